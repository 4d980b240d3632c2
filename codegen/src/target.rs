//! The hardware targets of the generated kernels and their one capacity table.
//!
//! Everything that depends on a target's sizes reads them from [`Target::caps`]: the generator
//! (header comments), host tiling (`src/tiling`), the cost model (`src/tune`) and the emulator,
//! which compiles the same figures from the generated `ak_targets.h` ([`targets_header`]).

use std::fmt;

/// A hardware target of the generated kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// Atlas A2/A3 (910B, 910_93), `dav-c220`: UB 192 KiB (188 160 B usable), no fp8/e8m0 types,
    /// no bf16 vector arithmetic.
    A2,
    /// Ascend 950, `dav-c310`: UB 248 KiB usable, native fp8 casts, MX cube instructions.
    A5,
}

/// The sizes and counts of one target. Sources: the asc-devkit architecture specs
/// (`docs/zh/guide/编程指南/高级编程/硬件实现/架构规格/NPU架构版本2201.md`, `NPU架构版本3510.md`) for the
/// usable UB, the CPU-debug capacity tables (`kernel_utils_mode_cpu.h`, the api_check ini files)
/// for the other memories, and the vendor's
/// product pages for the core counts (910B3/B4: 20 AIC + 40 AIV; 950PR: 28 AIC + 56 AIV);
/// see `docs/sim.md` and `docs/tuning.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetCaps {
    /// Unified buffer bytes per vector core that `TPipe::InitBuffer` may allocate: on a2 192 KiB
    /// minus 256 B and minus the 8 KiB Ascend C reserves for its own APIs (`Select` modes 1/2 and
    /// others) unless built with `--cce-disable-asc-reserved-ubuf`; on a5 248 KiB.
    pub ub_bytes: u32,
    /// L1 bytes per cube core.
    pub l1_bytes: u32,
    /// L0A bytes per cube core.
    pub l0a_bytes: u32,
    /// L0B bytes per cube core.
    pub l0b_bytes: u32,
    /// L0C bytes per cube core.
    pub l0c_bytes: u32,
    /// Bias-table (BT, `TPosition::C2`) bytes per cube core: the f32/int32 bias `Mmad` adds to
    /// its first accumulation (asc-devkit `DataCopy（L1ToBiasTable-Buffer数据搬运）.md`: 1 KB on
    /// Atlas A2/A3, 4 KB on Ascend 950PR/950DT).
    pub bt_bytes: u32,
    /// Bytes of each MX scale area (L0A_MX, L0B_MX); 0 where the target has no MX cube path.
    pub mx_scale_area_bytes: u32,
    /// Vector cores (AIV) of the reference part.
    pub vector_cores: u32,
    /// Cube cores (AIC) of the reference part.
    pub cube_cores: u32,
}

impl Target {
    /// Both targets, in a fixed order.
    pub const ALL: [Target; 2] = [Target::A2, Target::A5];

    /// Short name used in file and symbol names (`a2`, `a5`).
    pub fn name(self) -> &'static str {
        match self {
            Target::A2 => "a2",
            Target::A5 => "a5",
        }
    }

    /// The core IP name (`dav-c220`, `dav-c310`).
    pub fn dav(self) -> &'static str {
        match self {
            Target::A2 => "dav-c220",
            Target::A5 => "dav-c310",
        }
    }

    /// Value of `__NPU_ARCH__` for this target.
    pub fn npu_arch(self) -> u32 {
        match self {
            Target::A2 => 2201,
            Target::A5 => 3510,
        }
    }

    /// Value of the legacy `__CCE_AICORE__` macro for this target.
    pub fn cce_aicore(self) -> u32 {
        match self {
            Target::A2 => 220,
            Target::A5 => 310,
        }
    }

    /// The session target code of the emulator (`AK_SIM_TARGET_*`).
    pub fn sim_code(self) -> u32 {
        match self {
            Target::A2 => 0,
            Target::A5 => 1,
        }
    }

    /// The capacity table.
    pub fn caps(self) -> TargetCaps {
        match self {
            Target::A2 => TargetCaps {
                ub_bytes: 188_160,
                l1_bytes: 524_288,
                l0a_bytes: 65_536,
                l0b_bytes: 65_536,
                l0c_bytes: 131_072,
                bt_bytes: 1024,
                mx_scale_area_bytes: 0,
                vector_cores: 40,
                cube_cores: 20,
            },
            Target::A5 => TargetCaps {
                ub_bytes: 253_952,
                l1_bytes: 524_288,
                l0a_bytes: 65_536,
                l0b_bytes: 65_536,
                l0c_bytes: 262_144,
                bt_bytes: 4096,
                mx_scale_area_bytes: 4096,
                vector_cores: 56,
                cube_cores: 28,
            },
        }
    }

    /// Usable unified-buffer bytes per vector core (`caps().ub_bytes`).
    pub fn ub_bytes(self) -> u32 {
        self.caps().ub_bytes
    }

    /// Vector cores the default tiling spreads work over (`caps().vector_cores`).
    pub fn vector_cores(self) -> u32 {
        self.caps().vector_cores
    }

    /// The SoC-name prefixes (`aclrtGetSocName`) of the parts this target runs on.
    pub fn soc_prefixes(self) -> &'static [&'static str] {
        match self {
            Target::A2 => &["Ascend910B", "Ascend910_93"],
            Target::A5 => &["Ascend950"],
        }
    }

    /// The target of a SoC name as `aclrtGetSocName` reports it (`Ascend910B3` → a2,
    /// `Ascend910_9392` → a2, `Ascend950PR_9599` → a5); `None` for a SoC no kernel is
    /// generated for.
    pub fn from_soc_name(soc: &str) -> Option<Target> {
        Target::ALL
            .into_iter()
            .find(|t| t.soc_prefixes().iter().any(|p| soc.starts_with(p)))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Target::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| format!("unknown target `{s}` (expected a2 or a5)"))
    }
}

/// Code-path flags of the target-traits types (`AkTargetA2`, `AkTargetA5`) the kernel sources are
/// templated on: (name, meaning). [`Target::trait_flag`] gives each target's value.
pub const TRAIT_FLAGS: [(&str, &str); 4] = [
    (
        "SOFT_FP8",
        "no FP8/E8M0 conversions in hardware: decode them with integer vector ops (ak_fp8_soft.h)",
    ),
    (
        "NEWTON_RAPHSON_RSTD",
        "the target's RmsNorm operators refine rstd by Newton-Raphson (the Ascend 950's, MulAddDst)",
    ),
    (
        "L0A_NZ",
        "L0A holds Nz, the L1 layout (one contiguous LoadData run); else Zz (one LoadData per row of fractals)",
    ),
    (
        "BT_COPY_32B",
        "DataCopy L1 -> bias table counts blockLen and dstGap in 32-B units (blockLen even); else 64-B units",
    ),
];

impl Target {
    /// The value of a [`TRAIT_FLAGS`] flag on this target (`false` for an unknown name).
    pub fn trait_flag(self, name: &str) -> bool {
        match name {
            "SOFT_FP8" => self == Target::A2,
            "NEWTON_RAPHSON_RSTD" => self == Target::A5,
            // asc-devkit 关键分形格式详解.md (L0A Zz on Atlas A2/A3, Nz on Ascend 950) and
            // DataCopy（L1ToBiasTable-Buffer数据搬运）.md (the units per product)
            "L0A_NZ" | "BT_COPY_32B" => self == Target::A5,
            _ => false,
        }
    }

    /// The C++ target-traits type of this target (`AkTargetA2`).
    pub fn traits_type(self) -> String {
        format!("AkTarget{}", self.name().to_uppercase())
    }
}

/// `ascendc/kernels/common/ak_target_traits.h`: one traits type per target for the kernel
/// sources, generated from [`Target::caps`] and [`TRAIT_FLAGS`] (the same single table as
/// `ak_targets.h`, in C++ form: kernels select code paths with `if constexpr (Traits::FLAG)`).
pub fn traits_header() -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "// ak_target_traits.h: generated by {}; do not edit.\n",
        crate::GENERATOR
    ));
    s.push_str("// Target traits of the kernel sources (codegen/src/target.rs: Target::caps, TRAIT_FLAGS).\n");
    s.push_str("#ifndef AK_TARGET_TRAITS_H\n#define AK_TARGET_TRAITS_H\n\n#include <stdint.h>\n");
    for t in Target::ALL {
        let c = t.caps();
        s.push_str(&format!(
            "\n// {} ({}, __NPU_ARCH__ {})\nstruct {} {{\n",
            t.name(),
            t.dav(),
            t.npu_arch(),
            t.traits_type()
        ));
        for (name, v) in [
            ("NPU_ARCH", t.npu_arch()),
            ("UB_BYTES", c.ub_bytes),
            ("L1_BYTES", c.l1_bytes),
            ("L0A_BYTES", c.l0a_bytes),
            ("L0B_BYTES", c.l0b_bytes),
            ("L0C_BYTES", c.l0c_bytes),
            ("BT_BYTES", c.bt_bytes),
            ("MX_SCALE_AREA_BYTES", c.mx_scale_area_bytes),
            ("VECTOR_CORES", c.vector_cores),
            ("CUBE_CORES", c.cube_cores),
        ] {
            s.push_str(&format!("    static constexpr uint32_t {name} = {v}u;\n"));
        }
        for (name, doc) in TRAIT_FLAGS {
            s.push_str(&format!(
                "    // {doc}\n    static constexpr bool {name} = {};\n",
                t.trait_flag(name)
            ));
        }
        s.push_str("};\n");
    }
    s.push_str("\n#endif // AK_TARGET_TRAITS_H\n");
    s
}

/// `ak_targets.h`: the capacity table as C constants for the emulator, generated from
/// [`Target::caps`] so the emulator enforces exactly the sizes host tiling plans for.
pub fn targets_header() -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "/* ak_targets.h: generated by {}; do not edit. */\n",
        crate::GENERATOR
    ));
    s.push_str("/* Capacity table of every target (codegen/src/target.rs, Target::caps). */\n");
    s.push_str("#ifndef AK_TARGETS_H\n#define AK_TARGETS_H\n\n#include <stdint.h>\n\n");
    for t in Target::ALL {
        let c = t.caps();
        let p = format!("AK_TARGET_{}", t.name().to_uppercase());
        s.push_str(&format!(
            "/* {} ({}, __NPU_ARCH__ {}) */\n",
            t.name(),
            t.dav(),
            t.npu_arch()
        ));
        for (name, v) in [
            ("CODE", t.sim_code()),
            ("NPU_ARCH", t.npu_arch()),
            ("UB_BYTES", c.ub_bytes),
            ("L1_BYTES", c.l1_bytes),
            ("L0A_BYTES", c.l0a_bytes),
            ("L0B_BYTES", c.l0b_bytes),
            ("L0C_BYTES", c.l0c_bytes),
            ("BT_BYTES", c.bt_bytes),
            ("MX_SCALE_AREA_BYTES", c.mx_scale_area_bytes),
            ("VECTOR_CORES", c.vector_cores),
            ("CUBE_CORES", c.cube_cores),
        ] {
            s.push_str(&format!("#define {p}_{name} {v}u\n"));
        }
        s.push('\n');
    }
    s.push_str("#endif /* AK_TARGETS_H */\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soc_names_pick_the_target() {
        assert_eq!(Target::from_soc_name("Ascend910B3"), Some(Target::A2));
        assert_eq!(Target::from_soc_name("Ascend910_9392"), Some(Target::A2));
        assert_eq!(Target::from_soc_name("Ascend950PR_9599"), Some(Target::A5));
        assert_eq!(Target::from_soc_name("Ascend310P3"), None);
        assert_eq!(Target::from_soc_name("Ascend910A"), None);
    }

    #[test]
    fn names_round_trip() {
        for t in Target::ALL {
            assert_eq!(t.name().parse::<Target>(), Ok(t));
            assert_eq!(t.to_string(), t.name());
        }
        assert!("a3".parse::<Target>().is_err());
    }

    #[test]
    fn header_carries_every_capacity() {
        let h = targets_header();
        assert!(h.contains("#define AK_TARGET_A2_UB_BYTES 188160u"));
        assert!(h.contains("#define AK_TARGET_A5_L0C_BYTES 262144u"));
        assert!(h.contains("#define AK_TARGET_A5_MX_SCALE_AREA_BYTES 4096u"));
    }
}
