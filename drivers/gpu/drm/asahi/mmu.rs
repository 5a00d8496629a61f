// SPDX-License-Identifier: GPL-2.0 OR MIT

//! GPU page tables (UAT) in kernel memory.
//!
//! The table format and the walking, mapping and unmapping logic live in the shared
//! `firmware-defs` engine ([`fw::pgtable`]), which is unit-tested on the host; this module
//! gives it memory: every table is one [`GpuPage`], reached through the kernel's direct map.
//!
//! A [`PageTables`] owns all of its table pages. Before an operation that may need new tables
//! the caller asks for them ([`PageTables::reserve`]), which is the only step that allocates;
//! the engine then links tables from that reserve and never fails for lack of memory, so a
//! multi-operation bind either happens whole or, if the reserve cannot be made, not at all.
//! Table pages are only freed with the page tables, so a GPU walking them concurrently (the
//! virtual AGX) never sees freed memory; the cost is that tables emptied by unmaps are kept
//! until the VM goes.
//!
//! Entries are read and written with atomic 64-bit accesses: the GPU walks the same memory.
//!
//! The GPU caches translations, so the one way to remove entries, [`PageTables::unmap`], also
//! invalidates them through the backend before returning (see "TLB invalidation" in
//! [`crate::backend`]); whoever drops a [`PageTables`] invalidates its whole address space first
//! ([`Backend::tlb_invalidate_all`]), since its root page may name a new address space later.

use crate::backend::Backend;
use crate::bindings;
use crate::fw::pgtable::{self, Error as PtError, TableMemory, TablePhys, TableSource};
use crate::fw::uat::{self, Prot};
use crate::kernel_ext::vec::VecExt;
use crate::pages::GpuPage;
use core::convert::Infallible;
use crate::pages::GPU_PAGE_SIZE;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel::prelude::*;

/// Output address size of the GPU MMU on the virtual AGX (as on t8103).
const OAS: u32 = uat::OAS_T8103;

/// debugfs `tlb_skip_invalidate` (test aid): while non-zero, [`PageTables::unmap`] skips its TLB
/// invalidation, so the GPU keeps using stale translations (the guest test `tlb` proves with it
/// that the TLB is real). The whole-address-space invalidation when a VM goes is never skipped.
pub(crate) static TLB_SKIP_INVALIDATE: AtomicU32 = AtomicU32::new(0);

/// Table memory: the direct-mapped [`GpuPage`]s of one [`PageTables`].
///
/// # Invariants
///
/// The engine only passes table addresses that came from this page-table set: the root, a page
/// it took from the reserve, or one it read out of a table entry it wrote itself.
struct DirectMap;

impl DirectMap {
    fn entry(table: TablePhys, index: usize) -> &'static AtomicU64 {
        // SAFETY: By the type invariant `table` is a live table page of 2048 entries (the engine
        // keeps `index` below that); the direct map covers all RAM, and the page outlives every
        // use (tables are freed only with the page tables, after all users are gone).
        unsafe {
            let base = bindings::asahi_helper_phys_to_virt(table.addr()).cast::<u64>();
            AtomicU64::from_ptr(base.add(index))
        }
    }
}

impl TableMemory for DirectMap {
    type Error = Infallible;

    fn read_entry(&self, table: TablePhys, index: usize) -> Result<u64, Infallible> {
        Ok(Self::entry(table, index).load(Ordering::Acquire))
    }

    fn write_entry(&mut self, table: TablePhys, index: usize, value: u64) {
        Self::entry(table, index).store(value, Ordering::Release);
    }
}

/// Hands the engine tables from a reserve, moving each into the owned list as it is taken.
///
/// # Invariants
///
/// `owned` has spare capacity for every page in `reserve`, so moving cannot allocate.
struct Reserve<'a> {
    reserve: &'a mut KVec<GpuPage>,
    owned: &'a mut KVec<GpuPage>,
}

impl TableSource for Reserve<'_> {
    fn remaining(&self) -> usize {
        self.reserve.len()
    }

    fn take(&mut self) -> Option<TablePhys> {
        let page = self.reserve.pop()?;
        let phys = TablePhys::new(page.phys());
        // INVARIANT: capacity was reserved for every reserve page, so this push cannot fail.
        self.owned.push(page, GFP_NOWAIT).ok()?;
        phys
    }
}

fn engine_error(_e: PtError<Infallible>) -> Error {
    // Callers validate ranges, alignment and the reserve before calling into the engine, so an
    // engine error means a request the uAPI layer let through wrongly: refuse it.
    EINVAL
}

/// The page tables of one GPU address-space half.
pub(crate) struct PageTables {
    pt: pgtable::PageTable,
    /// The root table (owned here; its address lives in `pt`).
    root: GpuPage,
    /// Linked tables below the root.
    owned: KVec<GpuPage>,
    /// Allocated but not yet linked.
    reserve: KVec<GpuPage>,
}

impl PageTables {
    /// Empty page tables for a user (TTBR0) half.
    pub(crate) fn new_user() -> Result<Self> {
        Self::new(pgtable::PageTable::user)
    }

    /// Empty page tables for the kernel/firmware (TTBR1) half.
    pub(crate) fn new_kernel() -> Result<Self> {
        Self::new(pgtable::PageTable::kernel)
    }

    fn new(make: fn(TablePhys, u32) -> pgtable::PageTable) -> Result<Self> {
        let root = GpuPage::alloc()?;
        let root_phys = TablePhys::new(root.phys()).ok_or(EINVAL)?;
        Ok(Self {
            pt: make(root_phys, OAS),
            root,
            owned: KVec::new(),
            reserve: KVec::new(),
        })
    }

    /// Calls `f(va, pte)` for every mapped page in `[va, va + pages * 16K)`, in address order.
    pub(crate) fn for_each_leaf(
        &self,
        va: u64,
        pages: u64,
        mut f: impl FnMut(u64, u64) -> Result,
    ) -> Result {
        let r = self
            .pt
            .for_each_leaf(&DirectMap, va, pages, |va, pte| match f(va, pte) {
                Ok(()) => core::ops::ControlFlow::Continue(()),
                Err(e) => core::ops::ControlFlow::Break(e),
            })
            .map_err(engine_error)?;
        match r {
            core::ops::ControlFlow::Continue(()) => Ok(()),
            core::ops::ControlFlow::Break(e) => Err(e),
        }
    }

    /// The root table's physical address (what the firmware's TTB points at).
    pub(crate) fn root_phys(&self) -> u64 {
        self.root.phys()
    }

    /// How many tables mapping `pages` pages at `va` would need now.
    pub(crate) fn tables_needed(&self, va: u64, pages: u64) -> Result<usize> {
        self.pt
            .tables_needed(&DirectMap, va, pages)
            .map_err(engine_error)
    }

    /// Makes sure at least `n` tables are reserved, so the next maps cannot fail for memory.
    /// On failure nothing visible changes (extra reserved pages are kept for later).
    pub(crate) fn reserve(&mut self, n: usize) -> Result {
        while self.reserve.len() < n {
            self.reserve.push(GpuPage::alloc()?, GFP_KERNEL)?;
        }
        self.owned.reserve(self.reserve.len(), GFP_KERNEL)?;
        Ok(())
    }

    /// Makes room to hold `n` more tables later without allocating: bookkeeping only, no table
    /// is allocated here (see [`Self::add_reserve`]).
    pub(crate) fn reserve_capacity(&mut self, n: usize) -> Result {
        self.reserve.reserve(n, GFP_KERNEL)?;
        self.owned.reserve(self.reserve.len() + n, GFP_KERNEL)?;
        Ok(())
    }

    /// Tables reserved and not yet linked.
    pub(crate) fn reserved(&self) -> usize {
        self.reserve.len()
    }

    /// Adds a table page allocated by the caller to the reserve, without allocating; hands it
    /// back when the room made by [`Self::reserve_capacity`] is used up.
    pub(crate) fn add_reserve(&mut self, page: GpuPage) -> core::result::Result<(), GpuPage> {
        let owned_room = self.owned.capacity() - self.owned.len();
        if self.reserve.len() == self.reserve.capacity() || owned_room <= self.reserve.len() {
            return Err(page);
        }
        // INVARIANT: `owned` keeps spare capacity for every reserve page (checked above).
        // Within capacity (checked above): cannot fail.
        let _ = self.reserve.push(page, GFP_NOWAIT);
        Ok(())
    }

    /// Maps `pages` GPU pages at `va`, the `i`-th at `phys(i)`, with `prot`. The range must be
    /// unmapped and the reserve big enough ([`Self::tables_needed`]).
    pub(crate) fn map(
        &mut self,
        va: u64,
        pages: u64,
        prot: Prot,
        phys: impl Iterator<Item = u64> + Clone,
    ) -> Result {
        let mut src = Reserve {
            reserve: &mut self.reserve,
            owned: &mut self.owned,
        };
        self.pt
            .map_pages(&mut DirectMap, &mut src, va, pages, prot, phys)
            .map(drop)
            .map_err(engine_error)
    }

    /// Creates every table `[va, va + pages)` needs, with no leaves, so later maps there
    /// allocate nothing. Allocates (the tables).
    pub(crate) fn populate(&mut self, va: u64, pages: u64) -> Result {
        let n = self.tables_needed(va, pages)?;
        self.reserve(n)?;
        let mut src = Reserve {
            reserve: &mut self.reserve,
            owned: &mut self.owned,
        };
        self.pt
            .populate(&mut DirectMap, &mut src, va, pages)
            .map(drop)
            .map_err(engine_error)
    }

    /// Unmaps `pages` GPU pages at `va` (holes are fine), then, if any page was mapped,
    /// invalidates the GPU's cached translations of the range through `tlb` (one invalidation
    /// for the whole range). On return the GPU no longer reaches the pages that were mapped
    /// there through these tables, except for accesses already in flight (work running in the
    /// address space: see `Vm`'s graveyard). Allocates nothing.
    pub(crate) fn unmap(&mut self, va: u64, pages: u64, tlb: &dyn Backend) -> Result {
        let mapped = self
            .pt
            .unmap(&mut DirectMap, va, pages)
            .map_err(engine_error)?;
        if mapped != 0 && TLB_SKIP_INVALIDATE.load(Ordering::Relaxed) == 0 {
            tlb.tlb_invalidate(self.root_phys(), va, pages.saturating_mul(GPU_PAGE_SIZE));
        }
        Ok(())
    }
}

#[cfg(CONFIG_KUNIT)]
mod tests {
    use super::{PageTables, TLB_SKIP_INVALIDATE};
    use crate::backend::testing::Recorder;
    use crate::fw::uat::Prot;
    use crate::kernel_ext::kunit::{expect_eq, kunit_suite, Context};
    use crate::pages::GPU_PAGE_SIZE;
    use core::sync::atomic::Ordering;
    use kernel::prelude::*;

    const VA: u64 = 1 << 36;

    /// Maps `pages` pages at `va` (to made-up physical pages: nothing reads them).
    fn map(pt: &mut PageTables, va: u64, pages: u64) -> Result {
        let n = pt.tables_needed(va, pages)?;
        pt.reserve(n)?;
        let phys = (0..pages).map(|i| 0x8000_0000 + i * GPU_PAGE_SIZE);
        pt.map(va, pages, Prot::GPU_SHARED_RW, phys)
    }

    fn unmap_invalidates_once_per_range(ctx: &mut Context) -> Result {
        let (rec, tlb) = Recorder::new()?;
        let mut pt = PageTables::new_user()?;
        map(&mut pt, VA + 2 * GPU_PAGE_SIZE, 3)?;
        // One invalidation for the whole range, not one per page.
        pt.unmap(VA, 8, &*tlb)?;
        expect_eq!(ctx, rec.ranges(), (1, [pt.root_phys(), VA, 8 * GPU_PAGE_SIZE]));
        // Nothing was mapped there any more: nothing to invalidate.
        pt.unmap(VA, 8, &*tlb)?;
        expect_eq!(ctx, rec.ranges().0, 1);
        Ok(())
    }

    fn skip_knob_skips(ctx: &mut Context) -> Result {
        let (rec, tlb) = Recorder::new()?;
        let mut pt = PageTables::new_user()?;
        map(&mut pt, VA, 1)?;
        TLB_SKIP_INVALIDATE.store(1, Ordering::Relaxed);
        let r = pt.unmap(VA, 1, &*tlb);
        TLB_SKIP_INVALIDATE.store(0, Ordering::Relaxed);
        r?;
        expect_eq!(ctx, rec.ranges().0, 0);
        Ok(())
    }

    kunit_suite!(
        asahi_mmu,
        [unmap_invalidates_once_per_range, skip_knob_skips]
    );
}
