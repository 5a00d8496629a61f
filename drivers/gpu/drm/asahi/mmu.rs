// SPDX-License-Identifier: GPL-2.0 OR MIT

//! GPU page tables (UAT) in kernel memory.
//!
//! The table format (`fw::uat`) and the walking, mapping and unmapping logic (the shared
//! `firmware-defs` engine [`fw::engine::pgtable`], unit-tested on the host) are shared; this
//! module gives the engine memory: every table is one [`TablePage`] (a [`GpuPage`]), reached
//! through the kernel's direct map.
//!
//! # Ownership of table memory
//!
//! A [`PageTables`] owns its root, the tables linked below it (owned *through the tree*: a
//! linked table is reached only by its parent entry, and freed when it is unlinked or when the
//! page tables go, [`pgtable::PageTable::release_all`]) and a small reserve of tables not yet
//! linked. Before an operation that may need new tables the caller asks for them
//! ([`PageTables::plan_batch`], [`PageTables::reserve`]), which is the only step that
//! allocates; the engine then links tables from that reserve and never fails for lack of memory,
//! so a multi-operation bind either happens whole or, if the reserve cannot be made, not at all.
//! Afterwards the reserve is cut back to a few tables ([`PageTables::trim_reserve`]).
//!
//! Unmaps record which tables they touched; [`PageTables::reclaim`] (once per bind) unlinks
//! those left empty, invalidates the GPU's cached translations over their whole span (the UAT
//! caches table entries too) and only then hands them to the caller, who frees them or, while
//! the GPU may still be walking the address space, keeps them until it is done (`Vm`'s
//! graveyard). A table is never freed while a parent entry points at it.
//!
//! Entries are read and written with atomic 64-bit accesses: the GPU walks the same memory.
//!
//! The GPU caches translations, so the one way to remove entries, [`PageTables::unmap`], also
//! invalidates them through the transport before returning (see "TLB invalidation" in
//! [`crate::backend`]); whoever drops a [`PageTables`] invalidates its whole address space first
//! ([`Transport::tlb_invalidate_all`]), since its root page may name a new address space later.

use crate::backend::Transport;
use crate::bindings;
use crate::fw::engine::pgtable::{
    self, Error as PtError, SlotSet, TableMemory, TablePhys, TableSource,
};
use crate::fw::uat::{self, Level, Prot};
use crate::kernel_ext::vec::VecExt;
use crate::pages::GpuPage;
use crate::pages::GPU_PAGE_SIZE;
use core::convert::Infallible;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel::prelude::*;

/// Output address size of the GPU MMU on the virtual AGX (as on t8103).
const OAS: u32 = uat::OAS_T8103;

/// debugfs `tlb_skip_invalidate` (test aid): while non-zero, [`PageTables::unmap`] skips its TLB
/// invalidation, so the GPU keeps using stale translations (the guest test `tlb` proves with it
/// that the TLB is real). The whole-address-space invalidation when a VM goes is never skipped,
/// and while it is set no emptied table is freed ([`PageTables::reclaim`]).
pub(crate) static TLB_SKIP_INVALIDATE: AtomicU32 = AtomicU32::new(0);

/// debugfs `vm_table_pages`: table pages alive, of every page-table set (roots, linked tables,
/// reserves, and emptied tables a VM still keeps for running jobs).
pub(crate) static TABLE_PAGES: AtomicU64 = AtomicU64::new(0);

/// One page-table page; counted in [`TABLE_PAGES`] while it exists.
pub(crate) struct TablePage(GpuPage);

impl TablePage {
    fn alloc() -> Result<Self> {
        Ok(Self::from_gpu_page(GpuPage::alloc()?))
    }

    fn from_gpu_page(page: GpuPage) -> Self {
        TABLE_PAGES.fetch_add(1, Ordering::Relaxed);
        Self(page)
    }

    fn phys(&self) -> u64 {
        self.0.phys()
    }

    /// Hands the page to the tree: it stays allocated (and counted) until [`Self::from_tree`].
    /// The caller links it right away (the invariant of [`PageTables`]).
    fn into_tree(self) {
        core::mem::forget(self);
    }

    /// Takes a table page back from the tree.
    ///
    /// # Safety
    ///
    /// `table` came from [`Self::into_tree`] and was not taken back since (it was just
    /// unlinked from the tree that owned it).
    unsafe fn from_tree(table: TablePhys) -> Self {
        // SAFETY: By the caller's promise `table` is the address of a live `GpuPage` whose
        // ownership `into_tree` gave up, so rebuilding the owner frees it exactly once.
        Self(unsafe { GpuPage::from_phys(table.addr()) })
    }
}

impl Drop for TablePage {
    fn drop(&mut self) {
        TABLE_PAGES.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Table memory: the direct-mapped table pages of one [`PageTables`].
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
        // use (a table is freed only after it was unlinked, and the engine does not touch an
        // unlinked table again).
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

/// Hands the engine tables from a reserve; each table taken is owned by the tree from then on.
struct Reserve<'a> {
    reserve: &'a mut KVec<TablePage>,
    linked: &'a mut usize,
}

impl TableSource for Reserve<'_> {
    fn remaining(&self) -> usize {
        self.reserve.len()
    }

    fn take(&mut self) -> Option<TablePhys> {
        // Only a page the engine can link leaves the reserve: the engine links what it takes at
        // once and fails only for an address it cannot encode, checked here first.
        let phys = TablePhys::new(self.reserve.last()?.phys()).filter(|t| t.addr() >> OAS == 0)?;
        let page = self.reserve.pop()?;
        // INVARIANT: the engine links the table it took before anything else.
        page.into_tree();
        *self.linked += 1;
        Some(phys)
    }
}

fn engine_error(_e: PtError<Infallible>) -> Error {
    // Callers validate ranges, alignment and the reserve before calling into the engine, so an
    // engine error means a request the uAPI layer let through wrongly: refuse it.
    EINVAL
}

/// The page tables of one GPU address-space half.
///
/// # Invariants
///
/// Every table linked below the root is a [`TablePage`] given to the tree by
/// [`TablePage::into_tree`] and owned by this value; `linked` counts them.
pub(crate) struct PageTables {
    pt: pgtable::PageTable,
    /// The root table (owned here; its address lives in `pt`).
    root: TablePage,
    /// Tables linked below the root.
    linked: usize,
    /// Allocated but not yet linked (never seen by the GPU).
    reserve: KVec<TablePage>,
    /// The tables unmaps touched since the last [`Self::reclaim`].
    slots: KBox<SlotSet>,
    /// Scratch for [`Self::plan_batch`] (empty between calls).
    plan: KBox<SlotSet>,
}

/// An empty [`SlotSet`] on the heap (2 KiB: not built on the stack).
fn empty_set() -> Result<KBox<SlotSet>> {
    let set = KBox::<SlotSet>::new_uninit(GFP_KERNEL | __GFP_ZERO)?;
    // SAFETY: The allocation is zeroed (`__GFP_ZERO`), and all-zero is a valid (empty)
    // `SlotSet`: it holds only integers.
    Ok(unsafe { set.assume_init() })
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
        let (slots, plan) = (empty_set()?, empty_set()?);
        let root = TablePage::alloc()?;
        let root_phys = TablePhys::new(root.phys()).ok_or(EINVAL)?;
        Ok(Self {
            pt: make(root_phys, OAS),
            root,
            linked: 0,
            reserve: KVec::new(),
            slots,
            plan,
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

    /// How many tables mapping all of `ranges` (`(va, pages)`) would need now: each missing
    /// table once, however many ranges it serves. Exact for a batch that unlinks no table
    /// before its maps are done (tables are reclaimed after a batch, [`Self::reclaim`]).
    pub(crate) fn plan_batch(&mut self, ranges: impl Iterator<Item = (u64, u64)>) -> Result<usize> {
        let mut total = Ok(0usize);
        for (va, pages) in ranges {
            total = total.and_then(|t: usize| {
                let n = self
                    .pt
                    .plan_batch(&DirectMap, &mut self.plan, va, pages)
                    .map_err(engine_error)?;
                t.checked_add(n).ok_or(ENOMEM)
            });
            if total.is_err() {
                break;
            }
        }
        self.plan.clear();
        total
    }

    /// Makes sure at least `n` tables are reserved, so the next maps cannot fail for memory.
    /// On failure nothing visible changes (the pages allocated stay in the reserve until
    /// [`Self::trim_reserve`]).
    pub(crate) fn reserve(&mut self, n: usize) -> Result {
        if n > self.reserve.len() {
            self.reserve.reserve(n - self.reserve.len(), GFP_KERNEL)?;
        }
        while self.reserve.len() < n {
            self.reserve.push(TablePage::alloc()?, GFP_KERNEL)?;
        }
        Ok(())
    }

    /// Frees reserved tables beyond `keep` (they were never linked, so the GPU never saw them),
    /// and the reserve's bookkeeping if it grew far beyond that.
    pub(crate) fn trim_reserve(&mut self, keep: usize) {
        while self.reserve.len() > keep {
            drop(self.reserve.pop());
        }
        if self.reserve.capacity() > 4 * keep.max(16) {
            if let Ok(mut small) = KVec::with_capacity(keep, GFP_KERNEL) {
                while let Some(p) = self.reserve.pop() {
                    // Within the capacity just allocated (`keep` >= len): cannot fail.
                    let _ = small.push(p, GFP_NOWAIT);
                }
                self.reserve = small;
            }
        }
    }

    /// Makes room to hold `n` more tables later without allocating: bookkeeping only, no table
    /// is allocated here (see [`Self::add_reserve`]).
    pub(crate) fn reserve_capacity(&mut self, n: usize) -> Result {
        self.reserve.reserve(n, GFP_KERNEL)?;
        Ok(())
    }

    /// Table pages held: the root, the linked tables and the reserve.
    pub(crate) fn pages(&self) -> usize {
        1 + self.linked + self.reserve.len()
    }

    /// Tables reserved and not yet linked.
    pub(crate) fn reserved(&self) -> usize {
        self.reserve.len()
    }

    /// Adds a table page allocated by the caller to the reserve, without allocating; hands it
    /// back when the room made by [`Self::reserve_capacity`] is used up.
    pub(crate) fn add_reserve(&mut self, page: GpuPage) -> core::result::Result<(), GpuPage> {
        if self.reserve.len() == self.reserve.capacity() {
            return Err(page);
        }
        // Within capacity (checked above): cannot fail.
        let _ = self
            .reserve
            .push(TablePage::from_gpu_page(page), GFP_NOWAIT);
        Ok(())
    }

    /// Maps `pages` GPU pages at `va`, the `i`-th at `phys(i)`, with `prot`. The range must be
    /// unmapped and the reserve big enough ([`Self::tables_needed`], [`Self::plan_batch`]).
    pub(crate) fn map(
        &mut self,
        va: u64,
        pages: u64,
        prot: Prot,
        phys: impl Iterator<Item = u64> + Clone,
    ) -> Result {
        let mut src = Reserve {
            reserve: &mut self.reserve,
            linked: &mut self.linked,
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
            linked: &mut self.linked,
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
    /// address space: see `Vm`'s graveyard). The tables stay linked; the ones this leaves
    /// empty are freed by the next [`Self::reclaim`]. Allocates nothing.
    pub(crate) fn unmap(&mut self, va: u64, pages: u64, tlb: &dyn Transport) -> Result {
        let mapped = self
            .pt
            .unmap(&mut DirectMap, va, pages)
            .map_err(engine_error)?;
        // The same range was just validated: marking cannot fail.
        let _ = self
            .pt
            .mark_unmapped::<Infallible>(&mut self.slots, va, pages);
        if mapped != 0 && TLB_SKIP_INVALIDATE.load(Ordering::Relaxed) == 0 {
            tlb.tlb_invalidate(self.root_phys(), va, pages.saturating_mul(GPU_PAGE_SIZE));
        }
        Ok(())
    }

    /// Unlinks the tables that unmaps since the last call left empty, invalidates the GPU's
    /// cached translations (and table entries) over their spans through `tlb`, and returns
    /// them: the caller frees them, or keeps them while the GPU may still be walking this
    /// address space. On error (no memory for the list) nothing is unlinked.
    /// While debugfs `tlb_skip_invalidate` is set, nothing is reclaimed (the marks are kept for
    /// later): freeing a table needs the invalidation the knob stands for leaving out, and
    /// the invalidation would also drop the stale translations the knob is there to keep.
    pub(crate) fn reclaim(&mut self, tlb: &dyn Transport) -> Result<KVec<TablePage>> {
        if TLB_SKIP_INVALIDATE.load(Ordering::Relaxed) != 0 {
            return Ok(KVec::new());
        }
        let bound = self.slots.len().min(self.linked);
        if bound == 0 {
            self.slots.clear();
            return Ok(KVec::new());
        }
        let mut freed = match KVec::with_capacity(bound, GFP_KERNEL) {
            Ok(v) => v,
            Err(e) => {
                // The tables stay linked (and are freed with the page tables).
                self.slots.clear();
                return Err(e.into());
            }
        };
        let (mut lo, mut hi) = (u64::MAX, 0u64);
        let linked = &mut self.linked;
        let r = self
            .pt
            .reclaim_marked(&mut DirectMap, &self.slots, |t, level, va| {
                let span = match level {
                    Level::Mid => Level::Root.entry_span(),
                    _ => Level::Mid.entry_span(),
                };
                lo = lo.min(va);
                hi = hi.max(va.saturating_add(span));
                *linked -= 1;
                // SAFETY: The engine hands back each table it unlinked, once; every linked table
                // came from `into_tree` (type invariant).
                let page = unsafe { TablePage::from_tree(t) };
                if freed.len() < freed.capacity() {
                    // Within capacity: cannot allocate or fail.
                    let _ = freed.push(page, GFP_NOWAIT);
                } else {
                    // Cannot happen (at most `slots.len()` tables come back), but never free a
                    // table before the invalidation below: leak it instead.
                    core::mem::forget(page);
                }
            });
        self.slots.clear();
        if !freed.is_empty() {
            // Whole spans: the GPU may hold walk-cache entries through these tables for any
            // address they translated, not only those unmapped in this batch.
            tlb.tlb_invalidate(self.root_phys(), lo, hi - lo);
        }
        // An engine error leaves the tables reported so far unlinked (handed back here), the
        // rest linked.
        let _ = r;
        Ok(freed)
    }

    /// Puts tables that [`Self::reclaim`] returned back into the reserve, up to `keep`; frees
    /// the rest. Only for tables no walker can still be reading.
    pub(crate) fn restock(&mut self, mut pages: KVec<TablePage>, keep: usize) {
        while let Some(p) = pages.pop() {
            if self.reserve.len() < keep && self.reserve.len() < self.reserve.capacity() {
                // Within capacity: cannot allocate or fail.
                let _ = self.reserve.push(p, GFP_NOWAIT);
            } else {
                drop(p);
            }
        }
    }
}

impl Drop for PageTables {
    /// Frees every table. The owner invalidated the whole address space first and nothing
    /// walks it any more (see the module docs).
    fn drop(&mut self) {
        let _ = self.pt.release_all(&mut DirectMap, |t, _| {
            // SAFETY: Every linked table came from `into_tree` (type invariant); the engine
            // hands each back once, after unlinking it.
            drop(unsafe { TablePage::from_tree(t) });
        });
    }
}

#[cfg(CONFIG_KUNIT)]
mod tests {
    use super::{PageTables, TABLE_PAGES, TLB_SKIP_INVALIDATE};
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
        expect_eq!(
            ctx,
            rec.ranges(),
            (1, [pt.root_phys(), VA, 8 * GPU_PAGE_SIZE])
        );
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

    fn table_pages() -> u64 {
        TABLE_PAGES.load(Ordering::Relaxed)
    }

    /// 8192 single-page ranges side by side (128 MiB, 32 MiB aligned) as one batch: the plan
    /// is the union's tables (a mid and four leaves), not two per range; unmapping them all
    /// and reclaiming gives every one back once, after one invalidation covering their spans.
    fn batch_reserves_union_and_reclaims_all(ctx: &mut Context) -> Result {
        const OPS: u64 = 8192;
        let base_pages = table_pages();
        let (rec, tlb) = Recorder::new()?;
        let mut pt = PageTables::new_user()?;
        let ranges = || (0..OPS).map(|i| (VA + i * GPU_PAGE_SIZE, 1));
        let n = pt.plan_batch(ranges())?;
        expect_eq!(ctx, n, 5);
        pt.reserve(n)?;
        for (va, pages) in ranges() {
            pt.map(
                va,
                pages,
                Prot::GPU_SHARED_RW,
                core::iter::once(0x8000_0000),
            )?;
        }
        expect_eq!(ctx, pt.reserved(), 0);
        expect_eq!(ctx, pt.pages(), 6);
        expect_eq!(ctx, table_pages() - base_pages, 6);
        // Planned again, the mapped ranges need nothing.
        expect_eq!(ctx, pt.plan_batch(ranges())?, 0);

        for (va, pages) in ranges() {
            pt.unmap(va, pages, &*tlb)?;
        }
        let unmaps = rec.ranges().0;
        expect_eq!(ctx, unmaps, OPS as u32);
        let freed = pt.reclaim(&*tlb)?;
        expect_eq!(ctx, freed.len(), 5);
        // Unlinked and invalidated (one range over the mid table's 64 GiB) before handed back.
        expect_eq!(
            ctx,
            rec.ranges(),
            (unmaps + 1, [pt.root_phys(), VA, 1 << 36])
        );
        expect_eq!(ctx, pt.pages(), 1);
        expect_eq!(ctx, pt.tables_needed(VA, 1)?, 2);
        // Restocking keeps two (the reserve has room for them); the other three are freed.
        pt.restock(freed, 2);
        expect_eq!(ctx, pt.reserved(), 2);
        expect_eq!(ctx, table_pages() - base_pages, 3);
        // The kept tables serve the next map (a mid and a leaf) without allocating.
        pt.map(VA, 1, Prot::GPU_SHARED_RW, core::iter::once(0x8000_0000))?;
        expect_eq!(ctx, (pt.reserved(), pt.pages()), (0, 3));
        pt.unmap(VA, 1, &*tlb)?;
        expect_eq!(ctx, pt.reclaim(&*tlb)?.len(), 2);
        expect_eq!(ctx, table_pages() - base_pages, 1);
        // Nothing to reclaim twice.
        expect_eq!(ctx, pt.reclaim(&*tlb)?.len(), 0);
        drop(pt);
        expect_eq!(ctx, table_pages(), base_pages);
        Ok(())
    }

    /// Dropping page tables frees every table they hold, linked or reserved, mapped or not.
    fn drop_frees_every_table(ctx: &mut Context) -> Result {
        let base_pages = table_pages();
        let mut pt = PageTables::new_user()?;
        map(&mut pt, VA, 1)?;
        map(&mut pt, VA + (5 << 25), 3)?;
        map(&mut pt, 3 << 36, 1)?;
        pt.reserve(4)?;
        expect_eq!(ctx, pt.pages(), 1 + 5 + 4);
        expect_eq!(ctx, table_pages() - base_pages, 10);
        pt.trim_reserve(1);
        expect_eq!(ctx, pt.pages(), 1 + 5 + 1);
        drop(pt);
        expect_eq!(ctx, table_pages(), base_pages);
        Ok(())
    }

    kunit_suite!(
        asahi_mmu,
        [
            unmap_invalidates_once_per_range,
            skip_knob_skips,
            batch_reserves_union_and_reclaims_all,
            drop_frees_every_table,
        ]
    );
}
