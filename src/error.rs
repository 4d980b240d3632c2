//! The one error type of the library.

use crate::formats::DType;

/// Everything that can go wrong, each variant naming what was wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A tensor's shape does not agree with the number of elements it holds.
    #[error("{tensor}: shape {shape:?} holds {expected} elements but the data has {actual}")]
    ShapeDataMismatch {
        /// The tensor.
        tensor: String,
        /// Its claimed shape.
        shape: Vec<usize>,
        /// The element count the shape implies.
        expected: usize,
        /// The element count of the data.
        actual: usize,
    },
    /// A tensor has the wrong shape.
    #[error("{tensor}: expected shape {expected}, got {actual:?}")]
    Shape {
        /// The tensor.
        tensor: String,
        /// What was expected, in words or as a shape.
        expected: String,
        /// The shape it has.
        actual: Vec<usize>,
    },
    /// A tensor has the wrong dtype.
    #[error("{tensor}: expected dtype {expected}, got {actual}")]
    DType {
        /// The tensor.
        tensor: String,
        /// The dtypes accepted.
        expected: String,
        /// The dtype it has.
        actual: DType,
    },
    /// A required tensor is absent.
    #[error("{tensor}: missing from {source_name}")]
    MissingTensor {
        /// The tensor.
        tensor: String,
        /// Where it was looked for.
        source_name: String,
    },
    /// An option value is out of range or inconsistent with the inputs.
    #[error("option {option}: {reason}")]
    InvalidOption {
        /// The option.
        option: String,
        /// Why it is rejected.
        reason: String,
    },
    /// A value inside a tensor is not acceptable (e.g. a position outside the RoPE cache).
    #[error("{tensor}: {reason}")]
    InvalidValue {
        /// The tensor.
        tensor: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A tensor is present that nothing accounts for (e.g. a scale without its quantized weight).
    #[error("{tensor}: unexpected in {source_name}")]
    UnexpectedTensor {
        /// The tensor.
        tensor: String,
        /// Where it was found.
        source_name: String,
    },
    /// A well-formed input asks for a feature this crate does not implement.
    #[error("{source_name}: {feature} is not supported: {reason}")]
    Unsupported {
        /// The file or input that asks for it.
        source_name: String,
        /// The feature (e.g. a config key).
        feature: String,
        /// What exactly is not supported.
        reason: String,
    },
    /// The requested backend cannot run this operation here.
    #[error("backend {backend} is not available: {reason}")]
    BackendUnavailable {
        /// The backend.
        backend: String,
        /// Why.
        reason: String,
    },
    /// A call of the device path's runtime failed: the AscendCL function (or kernel launcher),
    /// its return code and the runtime's message (`aclGetRecentErrMsg`). A kernel that breaks
    /// an AscendC rule on the emulator comes back from `aclrtSynchronizeStream` this way, its
    /// message naming the kernel, the core, the API and the rule.
    #[error("{runtime} runtime: {api} returned {code}: {message}")]
    Runtime {
        /// `emulator` or `CANN`.
        runtime: String,
        /// The function that failed.
        api: String,
        /// Its return code (an AscendCL error code).
        code: i32,
        /// The runtime's message.
        message: String,
    },
    /// A shared library of the device path could not be loaded or lacks a symbol.
    #[error("{path}: {reason}")]
    Library {
        /// The library file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file is not a valid safetensors / JSON file, or its contents are inconsistent.
    #[error("{path}: {reason}")]
    Format {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Shorthand for [`Error::Shape`].
    pub fn shape(tensor: &str, expected: impl Into<String>, actual: &[usize]) -> Self {
        Error::Shape {
            tensor: tensor.to_string(),
            expected: expected.into(),
            actual: actual.to_vec(),
        }
    }

    /// Shorthand for [`Error::InvalidOption`].
    pub fn option(option: &str, reason: impl Into<String>) -> Self {
        Error::InvalidOption {
            option: option.to_string(),
            reason: reason.into(),
        }
    }
}
