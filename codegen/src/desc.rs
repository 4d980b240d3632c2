//! Kernel descriptions: the single source from which kernel sources and both ABI mirrors are emitted.

pub use crate::target::Target;
use crate::writer::SourceWriter;

/// Tuning knobs of one compiled variant of a kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    /// Variant name used in file and symbol names (`v0`, `v1`, ...).
    pub name: &'static str,
    /// Depth of the in/out queues (`BUFFER_NUM`): 1 = no overlap, 2 = double buffering.
    pub buffer_num: u32,
    /// Share of the usable UB (percent) the host tiling may plan for this variant's tiles.
    pub ub_share_pct: u32,
    /// One line saying what the variant is for.
    pub doc: &'static str,
}

/// A fixed-width C scalar type of a tiling field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CType {
    /// `uint32_t` / `u32`.
    U32,
    /// `int32_t` / `i32`.
    I32,
    /// `uint64_t` / `u64`.
    U64,
    /// `float` / `f32`.
    F32,
}

impl CType {
    /// The C spelling.
    pub fn c(self) -> &'static str {
        match self {
            CType::U32 => "uint32_t",
            CType::I32 => "int32_t",
            CType::U64 => "uint64_t",
            CType::F32 => "float",
        }
    }

    /// The Rust spelling.
    pub fn rust(self) -> &'static str {
        match self {
            CType::U32 => "u32",
            CType::I32 => "i32",
            CType::U64 => "u64",
            CType::F32 => "f32",
        }
    }

    /// Size (and alignment) in bytes.
    pub fn size(self) -> u32 {
        match self {
            CType::U32 | CType::I32 | CType::F32 => 4,
            CType::U64 => 8,
        }
    }
}

/// One field of a kernel's tiling POD struct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Field name (snake_case, identical in C and Rust).
    pub name: &'static str,
    /// Its type.
    pub ty: CType,
    /// What it means (emitted as a comment in C and a doc comment in Rust).
    pub doc: &'static str,
}

/// Direction of a GM argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Read by the kernel.
    In,
    /// Written by the kernel.
    Out,
}

/// One global-memory argument of a kernel (passed as `GM_ADDR` / `uint8_t*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GmArg {
    /// Argument name.
    pub name: &'static str,
    /// Read or written.
    pub dir: Dir,
    /// Element types it may hold and its shape, for the reader.
    pub doc: &'static str,
}

/// Everything the emitters know about one kernel.
#[derive(Debug, Clone)]
pub struct KernelDesc {
    /// Kernel name (`rms_norm`).
    pub name: &'static str,
    /// CamelCase name used for the tiling struct (`RmsNorm` -> `AkRmsNormTiling`).
    pub camel: &'static str,
    /// One paragraph describing the kernel (header comment).
    pub doc: &'static str,
    /// GM arguments in launch order.
    pub gm_args: Vec<GmArg>,
    /// Tiling struct fields in declaration order.
    pub tiling: Vec<Field>,
    /// The variants this kernel can be generated in.
    pub variants: Vec<Variant>,
    /// The targets this kernel exists for (`&Target::ALL` for most; the a5 native MX matmul uses
    /// APIs that exist only on Ascend 950).
    pub targets: &'static [Target],
    /// Shared device helpers from `ascendc/include/` the kernel includes.
    pub includes: Vec<&'static str>,
    /// Emits the kernel body (everything between the includes and the entry point).
    pub body: fn(&EmitCtx, &mut SourceWriter),
    /// Emits the statements of the entry point (`ak_<kernel>_<target>_<variant>`), which see the
    /// GM arguments by name and the tiling struct as `tiling`.
    pub entry: fn(&EmitCtx, &mut SourceWriter),
}

impl KernelDesc {
    /// `Ak<Camel>Tiling`.
    pub fn tiling_struct(&self) -> String {
        format!("Ak{}Tiling", self.camel)
    }

    /// Fields in declaration order with explicit trailing padding so the struct is a multiple of
    /// 8 bytes; returns `(fields, padding_bytes, total_size)`.
    pub fn tiling_layout(&self) -> (Vec<(Field, u32)>, u32, u32) {
        let mut off = 0u32;
        let mut out = Vec::new();
        for f in &self.tiling {
            let a = f.ty.size();
            assert!(
                off % a == 0,
                "{}: field {} is misaligned; order fields by size",
                self.name,
                f.name
            );
            out.push((*f, off));
            off += a;
        }
        let total = off.div_ceil(8) * 8;
        (out, total - off, total)
    }

    /// Whether this kernel is generated for `t`.
    pub fn supports(&self, t: Target) -> bool {
        self.targets.contains(&t)
    }

    /// Finds a variant by name.
    pub fn variant(&self, name: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| v.name == name)
    }
}

/// What an emitter is generating right now.
#[derive(Debug, Clone, Copy)]
pub struct EmitCtx<'a> {
    /// The kernel.
    pub kernel: &'a KernelDesc,
    /// The target.
    pub target: Target,
    /// The variant.
    pub variant: &'a Variant,
}

impl EmitCtx<'_> {
    /// `<kernel>_<target>_<variant>`.
    pub fn stem(&self) -> String {
        format!(
            "{}_{}_{}",
            self.kernel.name,
            self.target.name(),
            self.variant.name
        )
    }

    /// The entry point symbol `ak_<kernel>_<target>_<variant>`.
    pub fn entry_symbol(&self) -> String {
        format!("ak_{}", self.stem())
    }
}
