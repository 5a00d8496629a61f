// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The bootloader's part (what m1n1 does on a Mac before Linux runs): the reserved memory the
//! GPU is configured with and the driver is handed through `memory-region`.
//!
//! On a Mac m1n1 carves the regions out of RAM, configures the GPU with them and describes them
//! in the device tree (shared/reference/firmware-commands.md §5.3-§6.1). Here they are RAM pages
//! the model allocates before probe and keeps for its lifetime:
//! - `ttbs`: the TTBAT, 64 `{ttb0, ttb1}` context-slot entries (one GPU page, zeroed: the
//!   driver fills slot 0 with the kernel half's root and binds user slots).

use super::Region;
use super::RegionInfo;
use crate::pages::{GpuPage, GPU_PAGE_SIZE};
use kernel::prelude::*;

/// The regions the bootloader reserved.
pub(super) struct Bootloader {
    ttbs: GpuPage,
}

impl Bootloader {
    /// Reserves and prepares the regions.
    pub(super) fn new() -> Result<Self> {
        Ok(Self {
            ttbs: GpuPage::alloc()?,
        })
    }

    /// Physical address of the TTBAT (the GPU's configuration).
    pub(super) fn ttbat_phys(&self) -> u64 {
        self.ttbs.phys()
    }

    /// The region `region`, as the device tree would describe it.
    pub(super) fn region(&self, region: Region) -> Option<RegionInfo> {
        match region {
            Region::Ttbs => Some(RegionInfo {
                phys: self.ttbs.phys(),
                size: GPU_PAGE_SIZE,
            }),
            _ => None,
        }
    }
}
