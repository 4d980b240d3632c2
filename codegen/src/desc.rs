//! Kernel descriptions: the single source from which kernel sources and both ABI mirrors are emitted.

pub use crate::target::Target;
use crate::ub::UbPlan;
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
    /// Where the kernel's AscendC comes from.
    pub code: KernelCode,
}

/// Where a kernel's device code comes from.
#[derive(Debug, Clone)]
pub enum KernelCode {
    /// A kernel class in `ascendc/kernels/<kernel>/` (the way every kernel is written now): the
    /// generator emits only the entry point, which instantiates the class template, and the
    /// buffer plan.
    Source(SourceKernel),
    /// The older form, C++ emitted from Rust strings (kernels not yet moved to a source folder).
    Inline {
        /// Emits the kernel body (everything between the includes and the entry point).
        body: fn(&EmitCtx, &mut SourceWriter),
        /// Emits the statements of the entry point (`ak_<kernel>_<target>_<variant>`), which see
        /// the GM arguments by name and the tiling struct as `tiling`.
        entry: fn(&EmitCtx, &mut SourceWriter),
    },
}

/// A type parameter of a kernel class, chosen at run time from a tiling field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeParam {
    /// Template parameter name (`T`).
    pub name: &'static str,
    /// The tiling field holding the `AK_DTYPE_*` code that selects it.
    pub field: &'static str,
    /// `(code constant, C++ type)` choices (`("AK_DTYPE_F32", "float")`, ...).
    pub choices: &'static [(&'static str, &'static str)],
}

/// The float element types every activation kernel takes, by `AK_DTYPE_*` code.
pub const FLOAT_DTYPES: &[(&str, &str)] = &[
    ("AK_DTYPE_F32", "float"),
    ("AK_DTYPE_F16", "half"),
    ("AK_DTYPE_BF16", "bfloat16_t"),
];

/// A mode key: a `bool` template parameter that selects a code path, chosen at run time from a
/// condition on the tiling (as ops-nn selects kernels by tiling key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeKey {
    /// Template parameter name (`FUSED`).
    pub name: &'static str,
    /// The C++ condition on `tiling` that selects `true` (`(tiling.flags & AK_RMS_NORM_FUSED) != 0`).
    pub when: &'static str,
    /// What the `true` path does.
    pub doc: &'static str,
}

/// A kernel written as an AscendC source file.
#[derive(Debug, Clone)]
pub struct SourceKernel {
    /// The kernel's header under `ascendc/kernels/` (`rms_norm/rms_norm.h`).
    pub header: &'static str,
    /// The kernel class template, declared as
    /// `template <type params..., int32_t BUFFER_NUM, typename Traits, bool keys...> class C`
    /// with `Init(GM_ADDR..., const Ak<Camel>Tiling&)` and `Process()`.
    pub class: &'static str,
    /// Element type parameters, in template order.
    pub type_params: Vec<TypeParam>,
    /// Mode keys, in template order.
    pub mode_keys: Vec<ModeKey>,
    /// The UB buffers, declared once (`crate::ub`); empty for the cube kernels, whose L1/L0/bias
    /// table plan is the shared block's (`ascendc/kernels/common/ak_block_mmad.h`).
    pub ub: UbPlan,
    /// The kernel names the FP8 element types through its traits (`typename Traits::Fp8E4m3`,
    /// `Fp8E5m2`) on targets that convert them in hardware: the unit's `Traits` then derives from
    /// the target's traits type and adds them. Targets with `SOFT_FP8` never see the names (the
    /// a2 toolchain has no fp8 types).
    pub native_fp8_types: bool,
    /// The argument of `KERNEL_TASK_TYPE_DEFAULT` in the entry point (`KERNEL_TYPE_AIV_ONLY` for a
    /// vector kernel, `KERNEL_TYPE_AIC_ONLY` for a cube kernel).
    pub task_type: &'static str,
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

    /// The source form, if the kernel is written as an AscendC source file.
    pub fn source(&self) -> Option<&SourceKernel> {
        match &self.code {
            KernelCode::Source(s) => Some(s),
            KernelCode::Inline { .. } => None,
        }
    }

    /// `Ak<Camel>Ub`: the generated struct of the kernel's UB buffers.
    pub fn ub_struct(&self) -> String {
        format!("Ak{}Ub", self.camel)
    }

    /// The UB plan in the emitters' terms (`None` for an inline kernel or one without UB buffers).
    pub fn ub_plan_ctx(&self) -> Option<crate::ub::PlanCtx<'_>> {
        let s = self.source()?;
        if s.ub.buffers.is_empty() {
            return None;
        }
        Some(crate::ub::PlanCtx {
            kernel: self.name,
            tiling_struct: self.tiling_struct(),
            ub_struct: self.ub_struct(),
            fields: self.tiling.iter().map(|f| f.name).collect(),
            type_params: s.type_params.iter().map(|p| p.name).collect(),
            keys: s.mode_keys.iter().map(|k| k.name).collect(),
            traits: crate::target::TRAIT_FLAGS.iter().map(|(n, _)| *n).collect(),
            plan: &s.ub,
        })
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
