// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Static per-SoC hardware descriptions.
//!
//! One submodule per SoC family, each a `HwConfig` constant. The identity fields are uAPI:
//! `DRM_IOCTL_ASAHI_GET_PARAMS` reports them and Mesa derives the GPU name and its code paths
//! from them, so their encodings follow the upstream header (see `uapi/include/drm/asahi_drm.h`).

pub(crate) mod regs;
pub(crate) mod t8103;

use crate::backend::{Mmio, Transport};

/// GPU generation, as reported to userspace (`gpu_generation`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u32)]
pub(crate) enum GpuGen {
    /// G13 (M1 family).
    G13 = 13,
    /// G14 (M2 family).
    G14 = 14,
}

/// GPU variant letter, as reported to userspace (`gpu_variant`, ASCII).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u32)]
pub(crate) enum GpuVariant {
    /// Base SoC (M1, M2).
    G = b'G' as u32,
    /// Pro.
    S = b'S' as u32,
    /// Max.
    C = b'C' as u32,
    /// Ultra (two dies).
    D = b'D' as u32,
}

/// A description of one SoC's GPU.
pub(crate) struct HwConfig {
    /// Chip id in BCD, e.g. `0x8103`.
    pub(crate) chip_id: u32,
    /// Generation.
    pub(crate) gpu_gen: GpuGen,
    /// Variant.
    pub(crate) gpu_variant: GpuVariant,
    /// Revision in BCD: high nibble the letter (A = 0), low nibble the number; `0x21` is C1.
    pub(crate) gpu_rev: u32,
    /// Number of dies.
    pub(crate) num_dies: u32,
    /// Number of shader clusters over all dies.
    pub(crate) num_clusters: u32,
    /// Shader cores per cluster.
    pub(crate) num_cores_per_cluster: u32,
    /// Highest performance state, in kHz.
    pub(crate) max_frequency_khz: u32,
    /// Per cluster, the bit mask of its enabled cores.
    pub(crate) core_masks: &'static [u64],
}

impl HwConfig {
    /// The revision letter, e.g. `C` for C0.
    pub(crate) fn revision_letter(&self) -> char {
        // CAST: the high nibble of a BCD revision is a letter index below 16.
        char::from(b'A' + ((self.gpu_rev >> 4) & 0xf) as u8)
    }
}

/// Why [`identify`] refused a GPU.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Unsupported {
    /// No SoC table for this generation and variant.
    Model(regs::IdVersion),
    /// The ID registers' core and cluster counts or core masks contradict the SoC's table.
    Counts {
        /// Clusters the registers report.
        clusters: u32,
        /// Cores per cluster the registers report.
        cores: u32,
        /// The packed core mask the registers report.
        mask: u64,
    },
}

/// Identifies the GPU from its ID registers (downstream `regs.rs` `get_gpu_id`, `get_core_masks`):
/// the SoC table whose generation, variant, cluster and core counts and core masks the registers
/// report. Reads MMIO only; any context.
pub(crate) fn identify(t: &dyn Transport) -> core::result::Result<&'static HwConfig, Unsupported> {
    let id = regs::IdVersion::decode(t.read32(Mmio::Sgx, regs::ID_VERSION));
    let cores = regs::cores_per_cluster(t.read32(Mmio::Sgx, regs::ID_COUNTS_1));
    let clusters = regs::clusters(t.read32(Mmio::Sgx, regs::ID_CLUSTERS));
    let mask = u64::from(t.read32(Mmio::Sgx, regs::CORE_MASK_0))
        | (u64::from(t.read32(Mmio::Sgx, regs::CORE_MASK_1)) << 32);
    let hw = match (id.generation, id.variant) {
        (regs::IdVersion::GEN_G13, regs::IdVersion::VARIANT_G) => &t8103::HWCONFIG,
        _ => return Err(Unsupported::Model(id)),
    };
    // Core masks are packed: cluster i takes the next `cores` bits (downstream `get_core_masks`).
    let mut packed = 0u64;
    for (i, m) in hw.core_masks.iter().enumerate() {
        packed |= m << (i as u32 * hw.num_cores_per_cluster);
    }
    if clusters != hw.num_clusters || cores != hw.num_cores_per_cluster || mask != packed {
        return Err(Unsupported::Counts {
            clusters,
            cores,
            mask,
        });
    }
    Ok(hw)
}

impl core::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Model(id) => write!(
                f,
                "no SoC table for generation {} variant {} revision {:#x}",
                id.generation, id.variant, id.revision
            ),
            Self::Counts {
                clusters,
                cores,
                mask,
            } => write!(
                f,
                "{clusters} clusters of {cores} cores, core mask {mask:#x}: not the SoC's table"
            ),
        }
    }
}
