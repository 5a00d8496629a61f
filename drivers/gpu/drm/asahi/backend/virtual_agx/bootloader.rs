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
//!   its CPU starts, the driver writes its own at probe;
//! - `hw-cal-a`, `hw-cal-b`, `globals`: the `HwDataA`, `HwDataB` and `Globals` blobs of the
//!   modelled SoC (t8103, G13 firmware 13.5), built as m1n1 builds them (`rust_fill_gpu_initdata`,
//!   here firmware-defs' `hw_cal_a_blob`/`hw_cal_b_blob`/`globals_blob` from the t8103 tables,
//!   `uat_ttb_base` the `ttbs` region, no I/O mappings: the driver fills those), each in a
//!   physically contiguous run of GPU pages, zero past the blob (firmware-commands.md §5.3).
//!
//! Not modelled: `pagetables` (downstream makes it the kernel half's root; this driver
//! allocates its own root and names it in TTBAT slot 0, which the firmware reads), and the
//! `debug,*-size` properties m1n1 sets beside the blobs (the regions are whole pages).

use super::memory::PhysMem;
use super::Region;
use super::RegionInfo;
use crate::fw::hwdata_soc::{HwInputs, T8103, T8103_IDENTITY, T8103_POWER};
use crate::fw::plain::Plain;
use crate::fw::uat::{Handoff, HANDOFF_SIZE};
use crate::fw::variants::g13_v13_5 as fwv;
use crate::pages::{GpuPage, GpuPageRun, GPU_PAGE_SIZE};
use kernel::alloc::KVBox;
use kernel::prelude::*;

/// `T` all zeros, on the heap (the blobs are too big for the stack).
fn zeroed_box<T: Plain>() -> Result<KVBox<T>> {
    let mut b = KVBox::<T>::new_uninit(GFP_KERNEL)?;
    // SAFETY: `b` is a valid allocation of one `T`; zeroing it is writing plain bytes.
    unsafe { b.as_mut_ptr().write_bytes(0, 1) };
    // SAFETY: Zeroed just above, and all-zero is a valid `T` (`Plain`: plain data of
    // integers).
    Ok(unsafe { b.assume_init() })
}

/// Copies `bytes` into a new run of contiguous GPU pages, zero past the end.
fn blob_run(bytes: &[u8]) -> Result<GpuPageRun> {
    let page = GPU_PAGE_SIZE as usize;
    let pages = bytes.len().div_ceil(page).max(1);
    let run = GpuPageRun::alloc(pages.next_power_of_two().trailing_zeros())?;
    for i in 0..run.len() {
        let p = PhysMem::ptr(run.phys() + (i * page) as u64, page).ok_or(ENOMEM)?;
        let chunk = bytes.get(i * page..).unwrap_or(&[]);
        let n = chunk.len().min(page);
        // SAFETY: `p` is the direct-map address of page `i` of the run just allocated (RAM,
        // checked, `page` bytes), which nothing else sees yet; `n <= page`.
        unsafe {
            core::ptr::copy_nonoverlapping(chunk.as_ptr(), p, n);
            core::ptr::write_bytes(p.add(n), 0, page - n);
        }
    }
    Ok(run)
}

/// Builds the t8103 blobs `(hw-cal-a, hw-cal-b, globals)` with the TTBAT at `ttbs`.
fn t8103_blobs(ttbs: u64) -> Result<[GpuPageRun; 3]> {
    let hw = HwInputs {
        soc: &T8103,
        pwr: &T8103_POWER,
        id: T8103_IDENTITY,
        uat_ttb_base: ttbs,
        io_mappings: &[],
    };
    let mut a = zeroed_box::<fwv::HwDataA>()?;
    let mut b = zeroed_box::<fwv::HwDataB>()?;
    let mut g = zeroed_box::<fwv::Globals>()?;
    let a = fwv::hw_cal_a_blob(&mut a, &hw).map_err(|_| EINVAL)?;
    let a = blob_run(a)?;
    let b = fwv::hw_cal_b_blob(&mut b, &hw).map_err(|_| EINVAL)?;
    let b = blob_run(b)?;
    let g = fwv::globals_blob(&mut g, &hw).map_err(|_| EINVAL)?;
    Ok([a, b, blob_run(g)?])
}

/// The regions the bootloader reserved.
pub(super) struct Bootloader {
    ttbs: GpuPage,
    handoff: GpuPage,
    /// `hw-cal-a`, `hw-cal-b`, `globals`.
    blobs: [GpuPageRun; 3],
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
        let ttbs = GpuPage::alloc()?;
        let blobs = t8103_blobs(ttbs.phys())?;
        Ok(Self {
            ttbs,
            handoff,
            blobs,
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
        let (phys, pages) = match region {
            Region::Ttbs => (self.ttbs.phys(), 1),
            Region::Handoff => (self.handoff.phys(), 1),
            Region::HwCalA => (self.blobs[0].phys(), self.blobs[0].len()),
            Region::HwCalB => (self.blobs[1].phys(), self.blobs[1].len()),
            Region::Globals => (self.blobs[2].phys(), self.blobs[2].len()),
            Region::Pagetables => return None,
        };
        Some(RegionInfo {
            phys,
            size: pages as u64 * GPU_PAGE_SIZE,
        })
    }
}
