// SPDX-License-Identifier: GPL-2.0 OR MIT

//! GPU virtual address spaces (`DRM_IOCTL_ASAHI_VM_CREATE`, `VM_BIND`).
//!
//! A [`Vm`] is one GPU address space of one client: the user half of the GPU's 39-bit address
//! range with its own page tables, minus a window userspace chose at creation that belongs to
//! the kernel (for per-queue firmware-visible objects) and that userspace may not bind into.
//!
//! Ownership: the VM holds a reference to every buffer object it maps, for as long as any page
//! of it is mapped, so the GPU never reaches freed memory; the file's VM table and every queue
//! on the VM (and, later, every job) hold references to the VM, so destroying it while queues
//! still use it is safe and takes effect when the last user goes. A `VM_PRIVATE` object records
//! its VM's serial rather than a reference, since a VM mapping its own private object would
//! otherwise keep both alive forever.
//!
//! The GPU caches translations: every bind operation that removes or replaces mappings
//! invalidates its range once, right after changing the page tables and before any object
//! reference it held is dropped ([`PageTables::unmap`]); a VM's release invalidates its whole
//! address space before its page tables and objects go.
//!
//! # Memory
//!
//! What a VM holds is bounded by what it maps, not by how it was bound: a bind reserves the
//! page tables its ranges need together (each missing table once, [`PageTables::plan_batch`]),
//! gives back reserved tables it did not use beyond [`TABLES_KEEP`], and frees the tables its
//! unmaps emptied ([`PageTables::reclaim`]); tree nodes kept for reuse are at most
//! [`SPARE_MAX`]. The objects and tables a bind removed go at its end, after the GPU's cached
//! translations of them were invalidated, unless a job is in the VM then: the GPU may be using
//! them, so they wait in the graveyard until the VM's last job is done.
//!
//! # Lock order
//!
//! Under `Vm::inner` only the transport's TLB invalidation runs (a leaf spinlock in the virtual
//! AGX); no other driver lock is taken while it is held (dropping an object reference under it
//! may free the object, which takes no driver lock).

use crate::backend::Transport;
use crate::fw::uat::Prot;
use crate::gem;
use crate::kernel_ext::vec::VecExt;
use crate::mmu::{PageTables, TablePage};
use crate::pages::GPU_PAGE_SIZE;
use core::ops::Range;
use core::sync::atomic::{fence, AtomicU64, AtomicUsize, Ordering};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNodeReservation};
use kernel::sync::Arc;
use kernel::sync::Mutex;
use kernel::types::ARef;

/// The part of the user half that userspace may use.
///
/// Source: downstream drm/asahi `mmu.rs` `IOVA_USER_USABLE_RANGE`, reported to userspace as
/// `vm_start`/`vm_end` (shared/reference/asahi-driver.md §4): the first 16 KiB stay unmapped to
/// catch null pointers and the top 32 KiB of the 2^39 half hold a driver-owned page.
pub(crate) const USER_RANGE: Range<u64> = 0x4000..(1 << 39) - 0x8000;

/// The smallest kernel window userspace may give a VM (512 MiB, as downstream).
pub(crate) const KERNEL_MIN_SIZE: u64 = 0x2000_0000;

/// Most tree nodes a VM keeps allocated ahead for reuse between binds (64 bytes each: 16 KiB,
/// as much as one page table). A bind allocates the nodes it may need beyond these before its
/// first change and frees the excess after: a kmalloc and kfree of 64 bytes per node, well
/// under a microsecond, against tens of microseconds per op for a bind in 16 KiB pieces
/// (BENCHMARKS.md), so reuse across binds buys little, while an unbounded spare list kept the
/// nodes of the largest bind ever made (8 MiB after one of 65536 ops) until the VM went. 256
/// covers the binds Mesa makes (a few ops each) without allocating.
pub(crate) const SPARE_MAX: usize = 256;

/// Reserved page tables a VM keeps between binds (two: a mid and a leaf table, what a map
/// into a fresh 64 GiB region needs).
pub(crate) const TABLES_KEEP: usize = 2;

/// debugfs `vm_spare_nodes`: tree nodes all VMs keep for reuse (at most [`SPARE_MAX`] each).
pub(crate) static SPARE_NODES: AtomicU64 = AtomicU64::new(0);

/// Source of VM serial numbers: unique for the module's lifetime, never 0.
static NEXT_SERIAL: AtomicU64 = AtomicU64::new(1);

/// One validated VM_BIND operation.
pub(crate) enum BindOp {
    /// Map `pages` pages at `va` from `obj`, starting at its page `first`; with `repeat`, page
    /// `first` alone is mapped over the whole range (`DRM_ASAHI_BIND_SINGLE_PAGE`).
    Map {
        /// GPU address.
        va: u64,
        /// Length in GPU pages.
        pages: u64,
        /// The object.
        obj: ARef<gem::Object>,
        /// First object page.
        first: u64,
        /// Permissions.
        prot: Prot,
        /// Repeat one page.
        repeat: bool,
    },
    /// Unmap `pages` pages at `va`.
    Unmap {
        /// GPU address.
        va: u64,
        /// Length in GPU pages.
        pages: u64,
    },
}

/// A mapped range (its start is the tree key) and the object reference that keeps its memory
/// alive.
struct Mapping {
    end: u64,
    obj: ARef<gem::Object>,
    first: u64,
    repeat: bool,
}

impl Mapping {
    /// The part of the mapping `[start, self.end)` from `from` on, as a mapping of its own.
    fn tail_from(&self, start: u64, from: u64) -> Mapping {
        let skipped = if self.repeat {
            0
        } else {
            (from - start) / GPU_PAGE_SIZE
        };
        Mapping {
            end: self.end,
            obj: self.obj.clone(),
            first: self.first + skipped,
            repeat: self.repeat,
        }
    }
}

struct VmInner {
    pt: PageTables,
    /// Disjoint mappings by start address: O(log n) lookup, insert and removal.
    mappings: RBTree<u64, Mapping>,
    /// Mappings in the tree.
    count: usize,
    /// Tree nodes allocated ahead, so a bind changes nothing until it cannot fail.
    spare: KVec<RBTreeNodeReservation<u64, Mapping>>,
    /// Objects unmapped by the bind in progress, and those unmapped while jobs were running in
    /// this VM: the GPU may have translated an address just before the unmap, so their memory
    /// stays until those jobs are done.
    graveyard: KVec<ARef<gem::Object>>,
    /// Page tables emptied and unlinked while jobs were running in this VM (one list per bind):
    /// the GPU may be in the middle of a walk through them.
    dead_tables: KVec<KVec<TablePage>>,
}

impl VmInner {
    /// The first mapping overlapping `[start, end)`: `(its start, its end)`.
    fn first_overlap(&mut self, start: u64, end: u64) -> Option<(u64, u64)> {
        // The mapping before the first one starting at or after `start` may reach into it.
        let (prev, next) = match self.mappings.cursor_lower_bound(&start) {
            Some(c) => (
                c.peek_prev().map(|(k, m)| (*k, m.end)),
                Some((*c.current().0, c.current().1.end)),
            ),
            None => (
                self.mappings
                    .cursor_back()
                    .map(|c| (*c.current().0, c.current().1.end)),
                None,
            ),
        };
        if let Some((k, e)) = prev {
            if e > start {
                return Some((k, e));
            }
        }
        next.filter(|(k, _)| *k < end)
    }

    /// Keeps a node freed by an unmap for later inserts, if the spare list has room (it never
    /// grows here); otherwise frees it.
    fn recycle(&mut self, node: RBTreeNodeReservation<u64, Mapping>) {
        // A full list holds at least what the rest of the batch needs (`bind` reserved the
        // capacity for it), so dropping the node then is safe.
        if self.spare.len() < self.spare.capacity() {
            // Within capacity: cannot allocate or fail.
            let _ = self.spare.push(node, GFP_NOWAIT);
        }
    }

    /// Inserts a mapping using a node reserved by `bind`.
    fn insert(&mut self, start: u64, m: Mapping) -> Result {
        let node = self.spare.pop().ok_or(ENOMEM)?.into_node(start, m);
        self.mappings.insert(node);
        self.count += 1;
        Ok(())
    }
}

/// One client address space.
#[pin_data(PinnedDrop)]
pub(crate) struct Vm {
    serial: u64,
    /// Physical address of the page-table root (fixed for the VM's lifetime).
    ttb: u64,
    /// Where cached translations are invalidated.
    transport: Arc<dyn Transport>,
    /// Jobs created in this VM and not yet dropped.
    active_jobs: AtomicUsize,
    kernel_range: Range<u64>,
    #[pin]
    inner: Mutex<VmInner>,
}

/// The rule a VM's kernel range breaks (see [`Vm::new`]), or `None` if it is valid.
pub(crate) fn kernel_range_rule(r: &Range<u64>) -> Option<&'static str> {
    let aligned = |x: u64| x % GPU_PAGE_SIZE == 0;
    if r.start < USER_RANGE.start || r.end > USER_RANGE.end {
        Some("outside the user range")
    } else if r.start >= r.end {
        Some("empty or reversed")
    } else if r.end - r.start < KERNEL_MIN_SIZE {
        Some("smaller than vm_kernel_min_size")
    } else if !aligned(r.start) || !aligned(r.end) {
        Some("not 16 KiB-aligned")
    } else {
        None
    }
}

impl Vm {
    /// Validates `kernel_range` (inside [`USER_RANGE`], at least [`KERNEL_MIN_SIZE`], GPU-page
    /// aligned; `EINVAL` otherwise) and returns an initialiser for the VM, whose cached
    /// translations `transport` invalidates.
    pub(crate) fn new(
        kernel_range: Range<u64>,
        transport: Arc<dyn Transport>,
    ) -> Result<impl PinInit<Self, Error>> {
        if kernel_range_rule(&kernel_range).is_some() {
            return Err(EINVAL);
        }
        let pt = PageTables::new_user()?;
        let ttb = pt.root_phys();
        Ok(try_pin_init!(Vm {
            serial: NEXT_SERIAL.fetch_add(1, Ordering::Relaxed),
            ttb,
            transport,
            active_jobs: AtomicUsize::new(0),
            kernel_range,
            inner <- new_mutex!(
                VmInner {
                    pt,
                    mappings: RBTree::new(),
                    count: 0,
                    spare: KVec::new(),
                    graveyard: KVec::new(),
                    dead_tables: KVec::new(),
                },
                "asahi::Vm::inner"
            ),
        }))
    }

    /// A number identifying this VM for the module's lifetime.
    pub(crate) fn serial(&self) -> u64 {
        self.serial
    }

    /// Whether `range` touches the kernel window.
    pub(crate) fn overlaps_kernel_range(&self, range: &Range<u64>) -> bool {
        range.start < self.kernel_range.end && self.kernel_range.start < range.end
    }

    /// Applies `ops` in order, all or nothing: every allocation (page tables, bookkeeping) is
    /// made before the first change, so on error the address space is as it was.
    pub(crate) fn bind(&self, ops: KVec<BindOp>) -> Result {
        let mut guard = self.inner.lock();
        let inner = &mut *guard;
        let spare_before = inner.spare.len();
        let r = Self::prepare(inner, &ops).and_then(|()| Self::apply(inner, ops, &*self.transport));
        self.finish(inner);
        let spare_after = inner.spare.len();
        drop(guard);
        // CAST: lengths fit in u64; the counter sums every VM's spare list.
        let delta = (spare_after as u64).wrapping_sub(spare_before as u64);
        SPARE_NODES.fetch_add(delta, Ordering::Relaxed);
        r
    }

    /// Makes every allocation `ops` may need: page tables, tree nodes, graveyard room.
    fn prepare(inner: &mut VmInner, ops: &KVec<BindOp>) -> Result {
        // The tables the maps need together (no table is unlinked before the batch ends, see
        // `finish`, so the count is exact).
        let tables = inner.pt.plan_batch(ops.iter().filter_map(|op| match op {
            BindOp::Map { va, pages, .. } => Some((*va, *pages)),
            BindOp::Unmap { .. } => None,
        }))?;
        inner.pt.reserve(tables)?;
        // An op needs at most one node more than it frees: cutting a mapping removes its node
        // (kept for reuse, see `recycle`) and inserts its head and tail; a map also inserts its
        // own. So a map needs at most two spare nodes and an unmap one; the batch removes at
        // most every mapping there will be.
        let nodes = ops
            .iter()
            .map(|op| match op {
                BindOp::Map { .. } => 2usize,
                BindOp::Unmap { .. } => 1,
            })
            .sum::<usize>();
        if nodes > inner.spare.len() {
            inner.spare.reserve(nodes - inner.spare.len(), GFP_KERNEL)?;
        }
        while inner.spare.len() < nodes {
            inner
                .spare
                .push(RBTreeNodeReservation::new(GFP_KERNEL)?, GFP_KERNEL)?;
        }
        // Every mapping removed by the batch goes to the graveyard until `finish`.
        let retire = inner.count + nodes;
        inner.graveyard.reserve(retire, GFP_KERNEL)?;
        // Room to park the tables the batch empties, should a job be running at its end.
        inner.dead_tables.reserve(1, GFP_KERNEL)?;
        Ok(())
    }

    /// Applies `ops` with everything `prepare` reserved.
    fn apply(inner: &mut VmInner, ops: KVec<BindOp>, tlb: &dyn Transport) -> Result {
        for op in ops {
            match op {
                BindOp::Unmap { va, pages } => Self::unmap_locked(inner, va, pages, tlb)?,
                BindOp::Map {
                    va,
                    pages,
                    obj,
                    first,
                    prot,
                    repeat,
                } => {
                    // Binding over an existing mapping replaces it.
                    Self::unmap_locked(inner, va, pages, tlb)?;
                    let phys = (0..pages).map(|i| {
                        let page = if repeat { first } else { first + i };
                        // CAST: object page indices fit in usize (objects are bounded).
                        obj.page_phys(page as usize).unwrap_or(0)
                    });
                    inner.pt.map(va, pages, prot, phys)?;
                    let m = Mapping {
                        end: va + pages * GPU_PAGE_SIZE,
                        obj,
                        first,
                        repeat,
                    };
                    inner.insert(va, m)?;
                }
            }
        }
        Ok(())
    }

    /// Ends a bind, whether it succeeded or not: frees the page tables its unmaps emptied and
    /// drops the objects they removed, or, if a job is in the VM, parks both until the last job
    /// is done; then cuts the reserves back to their bounds.
    fn finish(&self, inner: &mut VmInner) {
        let tlb = &*self.transport;
        // Unlinks the emptied tables and invalidates their spans. Without room to park them it
        // unlinks nothing (they stay linked, which is always safe, and go with the VM or a later
        // bind).
        let freed = if inner.dead_tables.len() < inner.dead_tables.capacity() {
            inner.pt.reclaim(tlb).unwrap_or_default()
        } else {
            KVec::new()
        };
        // Is the GPU possibly walking this VM? Checked after the tables were unlinked and the
        // TLB invalidated, and ordered against `ActiveVm::new` (both sequentially consistent):
        // a job counted after this load walks only tables linked now, and a job counted before
        // it is still counted here (its `ActiveVm` drop then waits for the lock we hold, and
        // takes what we park).
        fence(Ordering::SeqCst);
        if self.active_jobs.load(Ordering::SeqCst) != 0 {
            if !freed.is_empty() {
                // Room reserved by `prepare` (checked above).
                let at = inner.dead_tables.len();
                let _ = inner.dead_tables.insert_within_capacity(at, freed);
            }
        } else {
            // No job: nothing can reach what the batch (or earlier ones, for jobs now done)
            // removed. Object references are dropped under the lock (see the lock order).
            inner.pt.restock(freed, TABLES_KEEP);
            while let Some(obj) = inner.graveyard.pop() {
                drop(obj);
            }
            while let Some(tables) = inner.dead_tables.pop() {
                drop(tables);
            }
            // Bookkeeping sized for a big bind goes when the VM no longer needs it.
            if inner.graveyard.capacity() > 2 * inner.count + SPARE_MAX {
                inner.graveyard = KVec::new();
            }
            if inner.dead_tables.capacity() > 16 {
                inner.dead_tables = KVec::new();
            }
        }
        inner.pt.trim_reserve(TABLES_KEEP);
        // Keep a bounded number of nodes for the next binds.
        while inner.spare.len() > SPARE_MAX {
            drop(inner.spare.pop());
        }
        if inner.spare.capacity() > 4 * SPARE_MAX {
            if let Ok(mut small) = KVec::with_capacity(SPARE_MAX, GFP_KERNEL) {
                while let Some(n) = inner.spare.pop() {
                    // Within the capacity just allocated: cannot fail.
                    let _ = small.push(n, GFP_NOWAIT);
                }
                inner.spare = small;
            }
        }
    }

    /// Unmaps `[va, va + pages)` from the page tables (invalidating the range in the GPU's TLB
    /// through `tlb`) and the bookkeeping, splitting mappings that straddle the edges: O(log n)
    /// per mapping touched. The removed mappings' objects go to the graveyard (`finish` decides
    /// when they are dropped). Needs no allocation beyond what `bind` reserved.
    fn unmap_locked(inner: &mut VmInner, va: u64, pages: u64, tlb: &dyn Transport) -> Result {
        let end = va + pages * GPU_PAGE_SIZE;
        // Page tables first, then the TLB; only then may the references below be dropped.
        inner.pt.unmap(va, pages, tlb)?;
        while let Some((start, _)) = inner.first_overlap(va, end) {
            // Take the mapping out, keeping its tree node for the next insert: allocating and
            // freeing a node per mapping dominated binds made of many small ops.
            let m = inner
                .mappings
                .get(&start)
                .map(|m| Mapping {
                    end: m.end,
                    obj: m.obj.clone(),
                    first: m.first,
                    repeat: m.repeat,
                })
                .ok_or(EINVAL)?;
            let node = inner.mappings.remove_node(&start).ok_or(EINVAL)?;
            inner.recycle(node.into_reservation());
            inner.count -= 1;
            if start < va {
                // The head survives.
                let head = Mapping {
                    end: va,
                    obj: m.obj.clone(),
                    first: m.first,
                    repeat: m.repeat,
                };
                inner.insert(start, head)?;
            }
            if m.end > end {
                // The tail survives.
                let tail = m.tail_from(start, end);
                inner.insert(end, tail)?;
            }
            // Capacity reserved by `prepare`.
            let at = inner.graveyard.len();
            inner.graveyard.insert_within_capacity(at, m.obj)?;
        }
        Ok(())
    }

    /// The physical address of the page-table root, which the firmware walks.
    pub(crate) fn ttb(&self) -> u64 {
        self.ttb
    }
}

#[pinned_drop]
impl PinnedDrop for Vm {
    /// No job runs in the VM any more (each holds a reference). Its page tables, mapped objects
    /// and root page are freed after this, and the root may become a new VM's: the GPU forgets
    /// every translation of this one first.
    fn drop(self: Pin<&mut Self>) {
        self.transport.tlb_invalidate_all(self.ttb);
        // CAST: a length fits in u64.
        let spare = self.inner.lock().spare.len() as u64;
        SPARE_NODES.fetch_sub(spare, Ordering::Relaxed);
    }
}

/// A job's hold on its VM: while any exists, objects unmapped from the VM are kept alive.
pub(crate) struct ActiveVm(Arc<Vm>);

impl ActiveVm {
    /// Marks a job as running in `vm`.
    pub(crate) fn new(vm: &Arc<Vm>) -> Self {
        // Sequentially consistent: see `Vm::finish`.
        vm.active_jobs.fetch_add(1, Ordering::SeqCst);
        Self(vm.clone())
    }
}

impl Drop for ActiveVm {
    fn drop(&mut self) {
        if self.0.active_jobs.fetch_sub(1, Ordering::AcqRel) == 1 {
            let mut inner = self.0.inner.lock();
            let dead = core::mem::replace(&mut inner.graveyard, KVec::new());
            let tables = core::mem::replace(&mut inner.dead_tables, KVec::new());
            drop(inner);
            // Object references and the tables are dropped outside the VM lock.
            drop(dead);
            drop(tables);
        }
    }
}

#[cfg(CONFIG_KUNIT)]
mod tests {
    use super::{Vm, GPU_PAGE_SIZE, KERNEL_MIN_SIZE, USER_RANGE};
    use crate::backend::testing::Recorder;
    use crate::kernel_ext::kunit::{expect_eq, expect_true, kunit_suite, Context};
    use core::ops::Range;
    use kernel::prelude::*;
    use kernel::sync::Arc;

    /// The window Mesa asks for: the top 32 GiB of the user range.
    const MESA_WINDOW: Range<u64> = USER_RANGE.end - (32 << 30)..USER_RANGE.end;

    /// A VM over `range` whose invalidations go nowhere.
    fn vm(range: Range<u64>) -> Result<impl PinInit<Vm, Error>> {
        Vm::new(range, Recorder::new()?.1)
    }

    /// `Vm::new`'s verdict on `range`: `Ok(())` or the error.
    fn verdict(range: Range<u64>) -> Result {
        // Validation happens before the initialiser is built; dropping it frees the root table.
        vm(range).map(drop)
    }

    fn accepts_mesa_window() -> Result {
        Arc::pin_init(vm(MESA_WINDOW)?, GFP_KERNEL)?;
        Ok(())
    }

    fn release_invalidates_whole_space(ctx: &mut Context) -> Result {
        let (rec, backend) = Recorder::new()?;
        let v = Arc::pin_init(Vm::new(MESA_WINDOW, backend)?, GFP_KERNEL)?;
        let ttb = v.ttb();
        expect_eq!(ctx, rec.alls(), (0, 0));
        drop(v);
        expect_eq!(ctx, rec.alls(), (1, ttb));
        expect_eq!(ctx, rec.ranges().0, 0);
        Ok(())
    }

    fn accepts_boundaries(ctx: &mut Context) {
        let start = USER_RANGE.start;
        let end = USER_RANGE.end;
        // The smallest window, at either end of the user range, and the whole user range.
        expect_eq!(ctx, verdict(start..start + KERNEL_MIN_SIZE), Ok(()));
        expect_eq!(ctx, verdict(end - KERNEL_MIN_SIZE..end), Ok(()));
        expect_eq!(ctx, verdict(USER_RANGE), Ok(()));
    }

    fn rejects_outside_user_range(ctx: &mut Context) {
        let start = USER_RANGE.start;
        let end = USER_RANGE.end;
        // Below the start: the null-catching first page, and address 0.
        let low = start - GPU_PAGE_SIZE;
        expect_eq!(ctx, verdict(low..low + KERNEL_MIN_SIZE), Err(EINVAL));
        expect_eq!(ctx, verdict(0..KERNEL_MIN_SIZE), Err(EINVAL));
        // Past the end: the driver-owned top page, and beyond the 39-bit half.
        let high = end + GPU_PAGE_SIZE;
        expect_eq!(ctx, verdict(high - KERNEL_MIN_SIZE..high), Err(EINVAL));
        expect_eq!(
            ctx,
            verdict(1 << 39..(1 << 39) + KERNEL_MIN_SIZE),
            Err(EINVAL)
        );
        expect_eq!(ctx, verdict(0..u64::MAX), Err(EINVAL));
    }

    fn rejects_empty_and_reversed(ctx: &mut Context) {
        let mid = MESA_WINDOW.start;
        expect_eq!(ctx, verdict(mid..mid), Err(EINVAL));
        // Reversed: must not underflow computing the size.
        expect_eq!(
            ctx,
            verdict(Range {
                start: MESA_WINDOW.end,
                end: MESA_WINDOW.start
            }),
            Err(EINVAL)
        );
        expect_eq!(ctx, verdict(mid + GPU_PAGE_SIZE..mid), Err(EINVAL));
    }

    fn rejects_too_small(ctx: &mut Context) {
        let start = MESA_WINDOW.start;
        expect_eq!(ctx, verdict(start..start + GPU_PAGE_SIZE), Err(EINVAL));
        let just_short = start..start + KERNEL_MIN_SIZE - GPU_PAGE_SIZE;
        expect_eq!(ctx, verdict(just_short), Err(EINVAL));
    }

    fn rejects_unaligned(ctx: &mut Context) {
        let Range { start, end } = MESA_WINDOW;
        // Off by a CPU page (4 KiB) and by a byte, at either end; the window stays large enough.
        for off in [0x1000, 1, GPU_PAGE_SIZE - 1] {
            expect_eq!(ctx, verdict(start + off..end), Err(EINVAL), "off {off:#x}");
            expect_eq!(ctx, verdict(start..end - off), Err(EINVAL), "off {off:#x}");
        }
    }

    fn serials_unique_and_nonzero(ctx: &mut Context) -> Result {
        let a = Arc::pin_init(vm(MESA_WINDOW)?, GFP_KERNEL)?;
        let b = Arc::pin_init(vm(MESA_WINDOW)?, GFP_KERNEL)?;
        let c = Arc::pin_init(vm(USER_RANGE)?, GFP_KERNEL)?;
        expect_true!(ctx, a.serial() != 0);
        expect_true!(ctx, b.serial() != 0);
        expect_true!(ctx, c.serial() != 0);
        expect_true!(ctx, a.serial() != b.serial());
        expect_true!(ctx, b.serial() != c.serial());
        expect_true!(ctx, a.serial() != c.serial());
        Ok(())
    }

    kunit_suite!(
        asahi_vm,
        [
            accepts_mesa_window,
            accepts_boundaries,
            rejects_outside_user_range,
            rejects_empty_and_reversed,
            rejects_too_small,
            rejects_unaligned,
            serials_unique_and_nonzero,
            release_invalidates_whole_space,
        ]
    );
}
