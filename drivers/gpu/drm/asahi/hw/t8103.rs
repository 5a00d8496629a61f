// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Apple M1 (t8103), G13G.
//!
//! Source: downstream drm/asahi `hw/t8103.rs` as summarised in `shared/reference/asahi-driver.md`
//! (G13G, one die, one cluster of 8 cores) and Mesa's naming rule (`Apple M{gen-12}{variant}`);
//! the 1278 MHz top performance state is the t8103 device tree's highest GPU operating point.

use super::{GpuGen, GpuVariant, HwConfig};

/// The M1's GPU.
pub(crate) const HWCONFIG: HwConfig = HwConfig {
    chip_id: 0x8103,
    gpu_gen: GpuGen::G13,
    gpu_variant: GpuVariant::G,
    gpu_rev: 0x20,
    num_dies: 1,
    num_clusters: 1,
    num_cores_per_cluster: 8,
    max_frequency_khz: 1_278_000,
    core_masks: &[0xff],
};
