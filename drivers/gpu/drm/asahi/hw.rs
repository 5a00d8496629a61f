// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Static per-SoC hardware descriptions.
//!
//! One submodule per SoC family, each a `HwConfig` constant. The identity fields are uAPI:
//! `DRM_IOCTL_ASAHI_GET_PARAMS` reports them and Mesa derives the GPU name and its code paths
//! from them, so their encodings follow the upstream header (see `uapi/include/drm/asahi_drm.h`).

pub(crate) mod t8103;

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
