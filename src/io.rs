//! Reading and writing tensors in safetensors files (through the `safetensors` crate), with
//! dtype-checked typed access and atomic writes (no partial output file on error).

use crate::error::{Error, Result};
use crate::formats::{DType, Element};
use crate::tensor::Tensor;
use safetensors::tensor::{Dtype as StDtype, TensorView as StView};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// A tensor of any dtype as raw little-endian bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct RawTensor {
    /// Element type.
    pub dtype: DType,
    /// Shape.
    pub shape: Vec<usize>,
    /// `shape.product() * dtype.size()` bytes.
    pub bytes: Vec<u8>,
}

impl RawTensor {
    /// Wraps a typed tensor.
    pub fn from_tensor<T: Element>(t: &Tensor<T>) -> Self {
        RawTensor {
            dtype: T::DTYPE,
            shape: t.shape().to_vec(),
            bytes: bytemuck::cast_slice(t.data()).to_vec(),
        }
    }

    /// Reinterprets as a typed tensor of `T`; `name` is used in the error if the dtype differs.
    pub fn to_tensor<T: Element>(&self, name: &str) -> Result<Tensor<T>> {
        self.to_tensor_as(name, T::DTYPE)
    }

    /// Like [`RawTensor::to_tensor`] but accepts a stored dtype `stored` of the same width
    /// (e.g. U8 bytes read as E8M0).
    pub fn to_tensor_as<T: Element>(&self, name: &str, stored: DType) -> Result<Tensor<T>> {
        if self.dtype != stored || stored.size() != std::mem::size_of::<T>() {
            return Err(Error::DType {
                tensor: name.to_string(),
                expected: stored.name().to_string(),
                actual: self.dtype,
            });
        }
        let data: Vec<T> = bytemuck::pod_collect_to_vec(&self.bytes);
        Tensor::new(self.shape.clone(), data).map_err(|_| Error::ShapeDataMismatch {
            tensor: name.to_string(),
            shape: self.shape.clone(),
            expected: crate::tensor::element_count(&self.shape).unwrap_or(usize::MAX),
            actual: self.bytes.len() / stored.size(),
        })
    }
}

pub(crate) fn to_dtype(d: StDtype) -> Option<DType> {
    Some(match d {
        StDtype::F32 => DType::F32,
        StDtype::F64 => DType::F64,
        StDtype::F16 => DType::F16,
        StDtype::BF16 => DType::BF16,
        StDtype::F8_E4M3 => DType::F8E4M3,
        StDtype::F8_E5M2 => DType::F8E5M2,
        StDtype::F8_E8M0 => DType::F8E8M0,
        StDtype::U8 => DType::U8,
        StDtype::I32 => DType::I32,
        StDtype::I64 => DType::I64,
        _ => return None,
    })
}

fn from_dtype(d: DType) -> StDtype {
    match d {
        DType::F32 => StDtype::F32,
        DType::F64 => StDtype::F64,
        DType::F16 => StDtype::F16,
        DType::BF16 => StDtype::BF16,
        DType::F8E4M3 => StDtype::F8_E4M3,
        DType::F8E5M2 => StDtype::F8_E5M2,
        DType::F8E8M0 => StDtype::F8_E8M0,
        DType::U8 => StDtype::U8,
        DType::I32 => StDtype::I32,
        DType::I64 => StDtype::I64,
    }
}

/// The tensors and metadata of one safetensors file, loaded into memory.
#[derive(Clone, Debug, Default)]
pub struct TensorFile {
    /// Where it came from (for error messages).
    pub path: String,
    /// Tensors by name.
    pub tensors: BTreeMap<String, RawTensor>,
    /// The `__metadata__` strings.
    pub metadata: HashMap<String, String>,
}

impl TensorFile {
    /// Parses a safetensors buffer; `path` names it in errors.
    pub fn parse(path: &str, buffer: &[u8]) -> Result<Self> {
        let format_err = |reason: String| Error::Format {
            path: path.to_string(),
            reason,
        };
        let (_, header) = safetensors::SafeTensors::read_metadata(buffer)
            .map_err(|e| format_err(format!("not a valid safetensors file: {e}")))?;
        let st = safetensors::SafeTensors::deserialize(buffer)
            .map_err(|e| format_err(format!("not a valid safetensors file: {e}")))?;
        let mut tensors = BTreeMap::new();
        for (name, view) in st.tensors() {
            let dtype = to_dtype(view.dtype()).ok_or_else(|| {
                format_err(format!(
                    "tensor {name}: unsupported dtype {:?}",
                    view.dtype()
                ))
            })?;
            tensors.insert(
                name,
                RawTensor {
                    dtype,
                    shape: view.shape().to_vec(),
                    bytes: view.data().to_vec(),
                },
            );
        }
        Ok(TensorFile {
            path: path.to_string(),
            tensors,
            metadata: header.metadata().clone().unwrap_or_default(),
        })
    }

    /// Reads and parses a file: a regular file only (a FIFO or a device is refused, never
    /// waited on), whose size, and the tensors copied out of it, fit the
    /// [budget](crate::budget::Budget).
    pub fn read(path: &Path) -> Result<Self> {
        let shown = path.display().to_string();
        let buffer = crate::files::read_regular(path)?;
        crate::budget::Budget::current()
            .plan(&shown)
            .bytes("file and tensors copied out of it", 2 * buffer.len() as u64)?;
        Self::parse(&shown, &buffer)
    }

    /// The tensor `name`, or an error naming it and this file.
    pub fn get(&self, name: &str) -> Result<&RawTensor> {
        self.tensors.get(name).ok_or_else(|| Error::MissingTensor {
            tensor: name.to_string(),
            source_name: self.path.clone(),
        })
    }

    /// The tensor `name` as `T`, checking its dtype.
    pub fn typed<T: Element>(&self, name: &str) -> Result<Tensor<T>> {
        self.get(name)?.to_tensor(name)
    }
}

/// Serializes tensors (and string metadata) to safetensors bytes.
pub fn serialize(
    tensors: &[(String, RawTensor)],
    metadata: &HashMap<String, String>,
) -> Result<Vec<u8>> {
    let views: Vec<(String, StView<'_>)> = tensors
        .iter()
        .map(|(name, t)| {
            StView::new(from_dtype(t.dtype), t.shape.clone(), &t.bytes)
                .map(|v| (name.clone(), v))
                .map_err(|e| Error::Format {
                    path: name.clone(),
                    reason: format!("cannot serialize: {e}"),
                })
        })
        .collect::<Result<_>>()?;
    let meta = (!metadata.is_empty()).then(|| metadata.clone());
    safetensors::serialize(views, meta).map_err(|e| Error::Format {
        path: "<output>".to_string(),
        reason: format!("cannot serialize: {e}"),
    })
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, then a rename,
/// so a failure never leaves a partial file behind.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io_err = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(io_err)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_err(e)
    })
}
