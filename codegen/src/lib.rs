//! Generator of the AscendC kernels of `ascend-kernels`.
//!
//! Each kernel is one [`KernelDesc`] (GM arguments, tiling struct, variants, body emitter). From it
//! the generator emits, per [`Target`] and [`Variant`], the kernel translation unit
//! `<kernel>_<target>_<variant>.cpp`, plus one C header `ak_kernels.h` (tiling POD structs and
//! launcher prototypes) and its Rust mirror `ak_kernels.rs`, so the ABI cannot drift between C
//! and Rust. Output is deterministic: the same selection gives the same bytes.

pub mod desc;
pub mod emit;
pub mod kernels;
pub mod project;
pub mod sources;
pub mod target;
pub mod ub;
pub mod writer;

pub use desc::{
    CType, Dir, EmitCtx, Field, GmArg, KernelCode, KernelDesc, ModeKey, SourceKernel, TypeParam,
    Variant,
};
pub use target::{Target, TargetCaps};

/// Name written into every generated file.
pub const GENERATOR: &str = "ascend-kernels-codegen";

/// A named integer constant shared by C and Rust (dtype codes, flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Const {
    /// Macro / const name.
    pub name: &'static str,
    /// Value.
    pub value: u32,
    /// Meaning.
    pub doc: &'static str,
}

/// Constants of the launch ABI.
pub fn consts() -> Vec<Const> {
    let c = |name, value, doc| Const { name, value, doc };
    vec![
        c("AK_DTYPE_F32", 0, "element dtype code: float"),
        c("AK_DTYPE_F16", 1, "element dtype code: half"),
        c("AK_DTYPE_BF16", 2, "element dtype code: bfloat16"),
        c("AK_FP8_E4M3", 0, "FP8 element format code: E4M3FN"),
        c("AK_FP8_E5M2", 1, "FP8 element format code: E5M2"),
        c(
            "AK_MX_RCEIL",
            1,
            "mx_quant flag: RCEIL scale rule (default OCP)",
        ),
        c(
            "AK_MX_TINY_SCALE",
            2,
            "mx_quant flag: OCP tiny blocks scaled by 2^127 (default: flushed)",
        ),
        c(
            "AK_MX_NAN_ELEMENTS",
            4,
            "mx_quant flag: NaN/Inf blocks get 0x7F elements (default: 0x00, as the NPU writes them)",
        ),
        c(
            "AK_ROPE_F32_COMPUTE",
            1,
            "rope_qk flag: f32 products and sums, one rounding at the end (default: HF rounding)",
        ),
        c(
            "AK_ROPE_DTYPE_COS_SIN",
            2,
            "rope_qk flag with F32_COMPUTE: cos/sin rounded to the activation dtype first (Ascend)",
        ),
        c(
            "AK_ROPE_ROUND_AWAY",
            4,
            "rope_qk flag with F32_COMPUTE: final rounding ties away from zero (CAST_ROUND)",
        ),
        c(
            "AK_RMS_NORM_FUSED",
            1,
            "rms_norm flag: h = x + residual is written and normalised",
        ),
        c(
            "AK_RMS_NORM_WEIGHT_F32",
            2,
            "rms_norm flag: no rounding before the weight multiply",
        ),
        c(
            "AK_RMS_NORM_ASCEND_RSTD",
            4,
            "rms_norm flag: mean = sum * f32(1/cols), rstd = 1 / sqrt in two roundings (Ascend)",
        ),
        c(
            "AK_RMS_NORM_NEWTON_RAPHSON",
            8,
            "rms_norm flag with ASCEND_RSTD: the Ascend 950's Newton-Raphson rstd (a5 only)",
        ),
        c(
            "AK_RMS_NORM_SCALE_SQUARES",
            16,
            "rms_norm flag with ASCEND_RSTD: squares scaled by 1/cols before the sum (A2/A3 AddRmsNorm)",
        ),
        c(
            "AK_RMS_NORM_F32_SUM",
            32,
            "rms_norm flag with FUSED: the f32 sum x + residual is normalised, not h (a5 only)",
        ),
        c(
            "AK_RMS_NORM_RSTD",
            64,
            "rms_norm flag: the per-row rstd is written to the rstd output",
        ),
    ]
}

/// Every kernel description, in a fixed order.
pub fn kernels() -> Vec<KernelDesc> {
    vec![
        kernels::rms_norm::desc(),
        kernels::mx_dequant::desc(),
        kernels::mx_quant::desc(),
        kernels::fp8_block_dequant::desc(),
        kernels::rope_qk::desc(),
        kernels::matmul::desc(),
        kernels::matmul_mx::desc(),
        kernels::sim_probe::desc(),
    ]
}

/// One `(kernel, target, variant)` to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// Kernel name.
    pub kernel: String,
    /// Target.
    pub target: Target,
    /// Variant name.
    pub variant: String,
}

impl Unit {
    /// A unit from its parts.
    pub fn new(kernel: &str, target: Target, variant: &str) -> Self {
        Self {
            kernel: kernel.to_string(),
            target,
            variant: variant.to_string(),
        }
    }

    /// `<kernel>_<target>_<variant>`.
    pub fn stem(&self) -> String {
        format!("{}_{}_{}", self.kernel, self.target.name(), self.variant)
    }
}

/// Every unit of every kernel for the given targets (what `emit` writes).
pub fn all_units(targets: &[Target]) -> Vec<Unit> {
    let mut out = Vec::new();
    for k in kernels() {
        for &t in targets.iter().filter(|&&t| k.supports(t)) {
            for v in &k.variants {
                out.push(Unit::new(k.name, t, v.name));
            }
        }
    }
    out
}

/// One generated file: a name relative to the output directory and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// File name (`rms_norm_a2_v0.cpp`, `ak_kernels.h`, `ak_kernels.rs`).
    pub name: String,
    /// Its text.
    pub contents: String,
}

/// Generates the kernel sources of `units` plus `ak_kernels.h` and `ak_kernels.rs` declaring
/// exactly those units. Fails on an unknown kernel or variant or a duplicate unit.
pub fn generate(units: &[Unit]) -> Result<Vec<GeneratedFile>, String> {
    let descs = kernels();
    let mut ctxs: Vec<EmitCtx> = Vec::new();
    for u in units {
        let k = descs
            .iter()
            .find(|k| k.name == u.kernel)
            .ok_or_else(|| format!("unknown kernel `{}`", u.kernel))?;
        let v = k
            .variant(&u.variant)
            .ok_or_else(|| format!("kernel `{}` has no variant `{}`", u.kernel, u.variant))?;
        if !k.supports(u.target) {
            return Err(format!(
                "kernel `{}` is not generated for target {}",
                u.kernel,
                u.target.name()
            ));
        }
        if ctxs.iter().any(|c| c.stem() == u.stem()) {
            return Err(format!("unit `{}` selected twice", u.stem()));
        }
        ctxs.push(EmitCtx {
            kernel: k,
            target: u.target,
            variant: v,
        });
    }
    let all: Vec<&KernelDesc> = descs.iter().collect();
    let consts = consts();
    let mut files: Vec<GeneratedFile> = ctxs
        .iter()
        .map(|c| GeneratedFile {
            name: format!("{}.cpp", c.stem()),
            contents: emit::kernel_source(c),
        })
        .collect();
    files.push(GeneratedFile {
        name: "ak_kernels.h".into(),
        contents: emit::c_header(&all, &consts, &ctxs),
    });
    files.push(GeneratedFile {
        name: "ak_kernels.rs".into(),
        contents: emit::rust_bindings(&all, &consts, &ctxs)?,
    });
    Ok(files)
}

/// The generated files committed under `ascendc/kernels/` (paths relative to it): the target
/// traits (`common/ak_target_traits.h`) and every source kernel's buffer plan
/// (`<kernel>/<kernel>_ub.h`). The snapshot tests fail when the committed copies drift.
pub fn kernel_source_files() -> Result<Vec<GeneratedFile>, String> {
    let mut out = vec![GeneratedFile {
        name: "common/ak_target_traits.h".into(),
        contents: target::traits_header(),
    }];
    for k in kernels() {
        if let Some(ctx) = k.ub_plan_ctx() {
            let parsed = ctx.parse()?;
            out.push(GeneratedFile {
                name: format!("{}/{}_ub.h", k.name, k.name),
                contents: ctx.cpp_header(&parsed, GENERATOR),
            });
        }
    }
    Ok(out)
}

/// The UB table of `docs/kernels/<kernel>.md` (`None` for a kernel without declared buffers).
pub fn docs_ub_table(k: &KernelDesc) -> Option<Result<String, String>> {
    let ctx = k.ub_plan_ctx()?;
    Some(ctx.parse().map(|p| ctx.docs_table(&p)))
}

/// Writes `files` into `dir` (created if missing), rewriting a file only when its bytes change so
/// that timestamps (and C++ rebuilds) stay put on an unchanged generator.
pub fn write_files(dir: &std::path::Path, files: &[GeneratedFile]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for f in files {
        let path = dir.join(&f.name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if std::fs::read_to_string(&path).ok().as_deref() != Some(f.contents.as_str()) {
            std::fs::write(&path, &f.contents)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_deterministic() {
        let units = all_units(&Target::ALL);
        let a = generate(&units).unwrap();
        let b = generate(&units).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), units.len() + 2);
    }

    #[test]
    fn header_names_target_and_variant() {
        let f = generate(&[Unit::new("rms_norm", Target::A5, "v1")]).unwrap();
        let src = &f[0].contents;
        assert_eq!(f[0].name, "rms_norm_a5_v1.cpp");
        assert!(src.contains("// target : a5 (dav-c310, __NPU_ARCH__ 3510"));
        assert!(src.contains("// variant: v1 (BUFFER_NUM = 1"));
        assert!(src.contains("constexpr int32_t BUFFER_NUM = 1;"));
        assert!(src.contains("extern \"C\" __global__ __aicore__ void ak_rms_norm_a5_v1(GM_ADDR x"));
        assert!(src.contains(
            "extern \"C\" int32_t ak_rms_norm_a5_v1_launch(uint32_t block_dim, void* stream"
        ));
    }

    #[test]
    fn abi_lists_exactly_the_selected_units() {
        let f = generate(&[Unit::new("rms_norm", Target::A2, "v0")]).unwrap();
        let h = &f
            .iter()
            .find(|f| f.name == "ak_kernels.h")
            .unwrap()
            .contents;
        let rs = &f
            .iter()
            .find(|f| f.name == "ak_kernels.rs")
            .unwrap()
            .contents;
        assert!(h.contains("int32_t ak_rms_norm_a2_v0_launch("));
        assert!(!h.contains("ak_rms_norm_a5_v0_launch"));
        let units = rs
            .split("pub static AK_EMULATOR_UNITS")
            .nth(1)
            .and_then(|s| s.split("];").next())
            .unwrap();
        assert!(units.contains("(\"rms_norm\", \"a2\", \"v0\"),"));
        assert!(!units.contains("\"a5\""));
        assert!(!units.contains("\"v1\""));
        assert!(h.contains("typedef struct AkRmsNormTiling {"));
        assert!(rs.contains("pub struct AkRmsNormTiling {"));
    }

    #[test]
    fn tiling_structs_are_padded_to_8_bytes() {
        for k in kernels() {
            let (_, _, size) = k.tiling_layout();
            assert_eq!(size % 8, 0, "{}", k.name);
        }
    }

    #[test]
    fn a5_only_kernels_are_not_generated_for_a2() {
        let units = all_units(&[Target::A2]);
        assert!(units.iter().all(|u| u.kernel != "matmul_mx"));
        assert!(all_units(&[Target::A5])
            .iter()
            .any(|u| u.kernel == "matmul_mx"));
        let err = generate(&[Unit::new("matmul_mx", Target::A2, "v0")]).unwrap_err();
        assert!(err.contains("not generated for target a2"), "{err}");
    }

    #[test]
    fn unknown_units_are_rejected() {
        assert!(generate(&[Unit::new("nope", Target::A2, "v0")]).is_err());
        assert!(generate(&[Unit::new("rms_norm", Target::A2, "v9")]).is_err());
        let u = Unit::new("rms_norm", Target::A2, "v0");
        assert!(generate(&[u.clone(), u]).is_err());
    }
}
