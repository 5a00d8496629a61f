// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The bootloader's part (what m1n1 does on a Mac before Linux runs): the reserved memory the
//! GPU is configured with and the driver is handed through `memory-region`.
//!
//! On a Mac m1n1 carves the regions out of RAM, configures the GPU with them and describes them
//! in the device tree (shared/reference/firmware-commands.md §5.3-§6.1). Here they are RAM pages
//! the model allocates before probe and keeps for its lifetime:
//! - `ttbs`: the TTBAT, 64 `{ttb0, ttb1}` context-slot entries (one GPU page, zeroed: the
//!   driver fills slot 0 with the kernel half's root and binds user slots);
//! - `handoff`: the handoff region (`fw::uat::Handoff`, one GPU page) in the state a bootloader
//!   hands it over (`Handoff::handed_over`: no magic on either side, the lock free with the turn
//!   the AP's, no context loaded, every flush slot idle); the firmware publishes its magic when
//!   its CPU starts, the driver writes its own at probe.
//!
//! Not modelled (the driver does not read them): `pagetables` (downstream makes it the kernel
//! half's root; this driver allocates its own root and names it in TTBAT slot 0, which the
//! firmware reads), and the `hw-cal-a`/`hw-cal-b`/`globals` blobs.

use super::memory::PhysMem;
use super::Region;
use super::RegionInfo;
use crate::fw::uat::{Handoff, HANDOFF_SIZE};
use crate::pages::{GpuPage, GPU_PAGE_SIZE};
use kernel::prelude::*;

/// The regions the bootloader reserved.
pub(super) struct Bootloader {
    ttbs: GpuPage,
    handoff: GpuPage,
}

impl Bootloader {
    /// Reserves and prepares the regions.
    pub(super) fn new() -> Result<Self> {
        let handoff = GpuPage::alloc()?;
        let layout = Handoff::handed_over();
        let bytes = crate::fw::plain::bytes_of(&layout);
        let p = PhysMem::ptr(handoff.phys(), HANDOFF_SIZE).ok_or(ENOMEM)?;
        // SAFETY: `p` is the direct-map address of the page just allocated (RAM, checked, at
        // least `HANDOFF_SIZE` bytes), which nothing else sees yet.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len()) };
        Ok(Self {
            ttbs: GpuPage::alloc()?,
            handoff,
        })
    }

    /// Physical address of the TTBAT (the GPU's configuration).
    pub(super) fn ttbat_phys(&self) -> u64 {
        self.ttbs.phys()
    }

    /// Physical address of the handoff region (the firmware's configuration).
    pub(super) fn handoff_phys(&self) -> u64 {
        self.handoff.phys()
    }

    /// The region `region`, as the device tree would describe it.
    pub(super) fn region(&self, region: Region) -> Option<RegionInfo> {
        let page = match region {
            Region::Ttbs => &self.ttbs,
            Region::Handoff => &self.handoff,
            _ => return None,
        };
        Some(RegionInfo {
            phys: page.phys(),
            size: GPU_PAGE_SIZE,
        })
    }
}
