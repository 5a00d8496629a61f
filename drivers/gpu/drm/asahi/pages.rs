// SPDX-License-Identifier: GPL-2.0 OR MIT

//! GPU pages: 16 KiB of physically contiguous, zeroed memory.
//!
//! The GPU maps memory in 16 KiB pages whatever the CPU's page size. With 4 KiB kernel pages a
//! GPU page is an order-2 allocation (four CPU pages), with 16 KiB pages a single page. Buffer
//! objects and page tables are both made of these; buffer objects' pages are charged to the
//! creating task's memory cgroup ([`GpuPage::alloc_user`]).

use crate::bindings;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, AtomicU64};
use kernel::prelude::*;

/// GPU page size in bytes.
pub(crate) const GPU_PAGE_SIZE: u64 = 0x4000;
/// CPU pages per GPU page.
pub(crate) const CPU_PAGES_PER_GPU_PAGE: usize = GPU_PAGE_SIZE as usize / kernel::page::PAGE_SIZE;
/// Allocation order of one GPU page.
const ORDER: u32 = CPU_PAGES_PER_GPU_PAGE.trailing_zeros();
const _: () = assert!(
    CPU_PAGES_PER_GPU_PAGE.is_power_of_two() && CPU_PAGES_PER_GPU_PAGE >= 1,
    "the CPU page size must divide the 16 KiB GPU page"
);

/// One GPU page; freed on drop.
///
/// # Invariants
///
/// `self.0` is the first `struct page` of an order-`ORDER` allocation owned by this value.
pub(crate) struct GpuPage(NonNull<bindings::page>);

// SAFETY: The allocation is owned memory with no thread affinity.
unsafe impl Send for GpuPage {}
// SAFETY: `&GpuPage` only exposes addresses.
unsafe impl Sync for GpuPage {}

impl GpuPage {
    /// Allocates a zeroed GPU page (`ENOMEM` on failure, without a warning splat).
    pub(crate) fn alloc() -> Result<Self> {
        Self::alloc_gfp(bindings::GFP_KERNEL | bindings::__GFP_ZERO)
    }

    /// Allocates a zeroed GPU page of a user buffer object: charged to the memory cgroup of the
    /// calling task (`GFP_KERNEL_ACCOUNT`, uncharged when freed), and failing with `ENOMEM`
    /// rather than invoking the OOM killer (`__GFP_RETRY_MAYFAIL`), whether the cgroup's
    /// `memory.max` or the machine runs out: a client asking for more than it may have gets an
    /// errno, and no process is killed for it.
    pub(crate) fn alloc_user() -> Result<Self> {
        Self::alloc_gfp(
            bindings::GFP_KERNEL_ACCOUNT | bindings::__GFP_RETRY_MAYFAIL | bindings::__GFP_ZERO,
        )
    }

    fn alloc_gfp(gfp: bindings::gfp_t) -> Result<Self> {
        let gfp = gfp | bindings::__GFP_NOWARN;
        // SAFETY: Plain page allocation; the result is checked for null.
        let page = unsafe { bindings::asahi_helper_alloc_pages(gfp, ORDER) };
        // INVARIANT: a fresh allocation of `ORDER`, owned by the new value.
        Ok(Self(NonNull::new(page).ok_or(ENOMEM)?))
    }

    /// The first `struct page`.
    pub(crate) fn page(&self) -> *mut bindings::page {
        self.0.as_ptr()
    }

    /// The first page frame number.
    pub(crate) fn pfn(&self) -> usize {
        // SAFETY: `self.0` is a live page (type invariant).
        unsafe { bindings::asahi_helper_page_to_pfn(self.0.as_ptr()) }
    }

    /// The physical address (16 KiB aligned, since the buddy allocator aligns to the order).
    pub(crate) fn phys(&self) -> u64 {
        // SAFETY: `self.0` is a live page (type invariant).
        unsafe { bindings::asahi_helper_page_to_phys(self.0.as_ptr()) }
    }

    /// Rebuilds the owner of the GPU page at `phys`, whose previous owner was forgotten
    /// (`core::mem::forget`) to hand the page to another structure (the page tables' tree).
    ///
    /// # Safety
    ///
    /// `phys` is [`Self::phys`] of a `GpuPage` that was forgotten and not rebuilt since.
    pub(crate) unsafe fn from_phys(phys: u64) -> Self {
        // SAFETY: `phys` is the start of a live allocation of `ORDER` (the caller's promise), so
        // its `struct page` exists and is not null.
        let page = unsafe { bindings::asahi_helper_phys_to_page(phys) };
        // INVARIANT: the caller hands over the forgotten owner's allocation.
        // SAFETY: `pfn_to_page` of RAM is never null.
        Self(unsafe { NonNull::new_unchecked(page) })
    }
}

impl Drop for GpuPage {
    fn drop(&mut self) {
        // SAFETY: Allocated with `ORDER` in `alloc` (type invariant), freed once here.
        unsafe { bindings::__free_pages(self.0.as_ptr(), ORDER) };
    }
}

/// A run of `1 << log2` physically contiguous GPU pages; freed on drop.
///
/// # Invariants
///
/// `page` is the first `struct page` of an order-`ORDER + log2` allocation owned by this value.
pub(crate) struct GpuPageRun {
    page: NonNull<bindings::page>,
    log2: u32,
}

// SAFETY: As for `GpuPage`.
unsafe impl Send for GpuPageRun {}
// SAFETY: As for `GpuPage`.
unsafe impl Sync for GpuPageRun {}

impl GpuPageRun {
    /// Allocates `1 << log2` uninitialised GPU pages in one piece without sleeping or entering
    /// reclaim (the crash snapshot); fails easily, more so for big runs.
    pub(crate) fn alloc_nowait(log2: u32) -> Result<Self> {
        Self::alloc_gfp(log2, bindings::GFP_NOWAIT | bindings::__GFP_NOWARN)
    }

    /// Allocates `1 << log2` uninitialised GPU pages in one piece, sleeping if need be.
    pub(crate) fn alloc(log2: u32) -> Result<Self> {
        Self::alloc_gfp(log2, bindings::GFP_KERNEL | bindings::__GFP_NOWARN)
    }

    fn alloc_gfp(log2: u32, gfp: bindings::gfp_t) -> Result<Self> {
        // SAFETY: Plain page allocation; the result is checked for null.
        let page = unsafe { bindings::asahi_helper_alloc_pages(gfp, ORDER + log2) };
        // INVARIANT: a fresh allocation of that order, owned by the new value.
        Ok(Self {
            page: NonNull::new(page).ok_or(ENOMEM)?,
            log2,
        })
    }

    /// The number of GPU pages.
    pub(crate) fn len(&self) -> usize {
        1 << self.log2
    }

    /// The physical address of the first page.
    pub(crate) fn phys(&self) -> u64 {
        // SAFETY: `self.page` is a live page (type invariant).
        unsafe { bindings::asahi_helper_page_to_phys(self.page.as_ptr()) }
    }
}

impl Drop for GpuPageRun {
    fn drop(&mut self) {
        // SAFETY: Allocated with this order in `alloc_nowait` (type invariant), freed once here.
        unsafe { bindings::__free_pages(self.page.as_ptr(), ORDER + self.log2) };
    }
}

/// The `u32` of shared memory (firmware structures, the event page) at physical address `pa`,
/// through the kernel's direct map. The GPU and firmware access the same memory, so it is only
/// ever used atomically.
///
/// # Safety
///
/// `pa` is 4-byte aligned RAM that stays allocated while the returned reference is used.
pub(crate) unsafe fn shared_u32<'a>(pa: u64) -> &'a AtomicU32 {
    // SAFETY: The caller promises an aligned, live RAM address, which the direct map covers.
    unsafe { AtomicU32::from_ptr(bindings::asahi_helper_phys_to_virt(pa).cast()) }
}

/// The `u64` of shared memory at physical address `pa`; see [`shared_u32`].
///
/// # Safety
///
/// `pa` is 8-byte aligned RAM that stays allocated while the returned reference is used.
pub(crate) unsafe fn shared_u64<'a>(pa: u64) -> &'a AtomicU64 {
    // SAFETY: As for `shared_u32`.
    unsafe { AtomicU64::from_ptr(bindings::asahi_helper_phys_to_virt(pa).cast()) }
}
