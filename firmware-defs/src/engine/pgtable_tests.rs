//! Host tests of the page-table engine's map, unmap, re-protect, reclaim and populate
//! operations, and the fakes ([`FakeMem`]) and helpers the other engine tests share.

extern crate std;

use core::cell::Cell;
use core::ops::ControlFlow;
use std::collections::BTreeMap;
use std::vec;
use std::vec::Vec;

use super::uat::{
    Ap, MemAttr, Prot, KERNEL_VA_PRIVATE, KERNEL_VA_SHARED, OAS_T8103, PAGE_SIZE, UPPER_HALF_BASE,
    USER_VA_TOP,
};
use super::*;

pub(super) const OAS: u32 = OAS_T8103;
pub(super) const GIB: u64 = 1 << 30;
pub(super) const MIB: u64 = 1 << 20;
/// VA span of one leaf table.
pub(super) const LEAF_SPAN: u64 = 32 * MIB;
/// VA span of one mid table.
pub(super) const MID_SPAN: u64 = 64 * GIB;
/// What a table handed out by the fake source holds before the engine clears it: a
/// valid-looking entry, so an uncleared table would show up as mappings.
pub(super) const GARBAGE: u64 = u64::MAX;
/// Base of the data pages that tests map.
pub(super) const DATA: u64 = 0x1_0000_0000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct NoTable(pub(super) u64);

/// Table memory backed by a map from table address to entries, counting reads.
pub(super) struct FakeMem {
    pub(super) tables: BTreeMap<u64, Vec<u64>>,
    next: u64,
    pub(super) reads: Cell<usize>,
}

impl TableMemory for FakeMem {
    type Error = NoTable;

    fn read_entry(&self, table: TablePhys, index: usize) -> Result<u64, NoTable> {
        self.reads.set(self.reads.get() + 1);
        let t = self
            .tables
            .get(&table.addr())
            .ok_or(NoTable(table.addr()))?;
        Ok(t[index])
    }

    fn write_entry(&mut self, table: TablePhys, index: usize, value: u64) {
        self.tables.get_mut(&table.addr()).expect("unknown table")[index] = value;
    }
}

impl FakeMem {
    pub(super) fn new() -> Self {
        Self {
            tables: BTreeMap::new(),
            next: 0x8_0000_0000,
            reads: Cell::new(0),
        }
    }

    pub(super) fn alloc(&mut self, fill: u64) -> TablePhys {
        let pa = self.next;
        self.next += PAGE_SIZE;
        self.tables.insert(pa, vec![fill; TABLE_ENTRIES]);
        TablePhys::new(pa).unwrap()
    }

    /// `n` tables for a [`Prealloc`], full of garbage.
    pub(super) fn prealloc(&mut self, n: usize) -> Vec<TablePhys> {
        (0..n).map(|_| self.alloc(GARBAGE)).collect()
    }

    pub(super) fn snapshot(&self) -> BTreeMap<u64, Vec<u64>> {
        self.tables.clone()
    }

    pub(super) fn reset_reads(&self) -> usize {
        self.reads.replace(0)
    }
}

pub(super) fn user(mem: &mut FakeMem) -> PageTable {
    PageTable::user(mem.alloc(0), OAS)
}

pub(super) fn kernel(mem: &mut FakeMem) -> PageTable {
    PageTable::kernel(mem.alloc(0), OAS)
}

/// Maps a contiguous range with exactly the tables it needs; returns the tables used.
pub(super) fn map_ok(
    pt: &PageTable,
    mem: &mut FakeMem,
    va: u64,
    pages: u64,
    pa: u64,
    prot: Prot,
) -> Vec<TablePhys> {
    let needed = pt.tables_needed(mem, va, pages).unwrap();
    let tables = mem.prealloc(needed);
    let mut src = Prealloc::new(&tables);
    assert_eq!(pt.map(mem, &mut src, va, pages, pa, prot), Ok(needed));
    assert!(src.unused().is_empty());
    src.used().to_vec()
}

pub(super) fn fault_of(r: Result<Translation, WalkError<NoTable>>) -> (Level, FaultKind) {
    match r {
        Err(WalkError::Fault(f)) => (f.level, f.kind),
        other => panic!("expected a fault, got {other:?}"),
    }
}

pub(super) fn leaves(pt: &PageTable, mem: &FakeMem, va: u64, pages: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let flow = pt
        .for_each_leaf(mem, va, pages, |va, pte| {
            out.push((va, pte));
            ControlFlow::<()>::Continue(())
        })
        .unwrap();
    assert_eq!(flow, ControlFlow::Continue(()));
    out
}

#[test]
fn geometry_matches_downstream() {
    assert_eq!(TABLE_ENTRIES as u64 * uat::PTE_SIZE, PAGE_SIZE);
    assert_eq!(HALF_PAGES << PAGE_SHIFT, 1 << 39);
    assert_eq!(Level::Root.entries(), 8);
    assert_eq!(Level::Mid.entry_span(), LEAF_SPAN);
    assert_eq!(Level::Root.entry_span(), MID_SPAN);
    assert_eq!(TablePhys::new(0x4000).map(TablePhys::addr), Some(0x4000));
    assert_eq!(TablePhys::new(0x4008), None);
    assert_eq!(TablePhys::new(1 << 48), None);
}

#[test]
fn range_and_address_errors_change_nothing() {
    let mut mem = FakeMem::new();
    let u = user(&mut mem);
    let k = kernel(&mut mem);
    let tables = mem.prealloc(8);
    let snap = mem.snapshot();
    let mut src = Prealloc::new(&tables);
    let p = Prot::GPU_SHARED_RW;
    type E = Error<NoTable>;

    let cases: Vec<(PageTable, u64, u64, u64, E)> = vec![
        (u, 0x1000, 1, DATA, Error::Misaligned { va: 0x1000 }),
        (
            u,
            0x4000,
            u64::MAX / 2,
            DATA,
            Error::Overflow {
                va: 0x4000,
                pages: u64::MAX / 2,
            },
        ),
        // va + size wraps past 2^64.
        (
            k,
            !PAGE_MASK,
            2,
            DATA,
            Error::Overflow {
                va: !PAGE_MASK,
                pages: 2,
            },
        ),
        // Beyond the 39-bit lower half.
        (
            u,
            USER_VA_TOP - PAGE_SIZE,
            2,
            DATA,
            Error::OutOfRange {
                va: USER_VA_TOP - PAGE_SIZE,
                pages: 2,
            },
        ),
        (
            u,
            USER_VA_TOP,
            1,
            DATA,
            Error::OutOfRange {
                va: USER_VA_TOP,
                pages: 1,
            },
        ),
        // Non-canonical, and the wrong half.
        (
            k,
            0x100_0000_0000_0000,
            1,
            DATA,
            Error::OutOfRange {
                va: 0x100_0000_0000_0000,
                pages: 1,
            },
        ),
        (
            k,
            UPPER_HALF_BASE - PAGE_SIZE,
            2,
            DATA,
            Error::OutOfRange {
                va: UPPER_HALF_BASE - PAGE_SIZE,
                pages: 2,
            },
        ),
        (u, 0x4000, 1, DATA + 8, Error::PaMisaligned { pa: DATA + 8 }),
        (u, 0x4000, 1, 1 << OAS, Error::PaOutOfRange { pa: 1 << OAS }),
        // The physical range crosses the OAS limit.
        (
            u,
            0x4000,
            2,
            (1 << OAS) - PAGE_SIZE,
            Error::PaOutOfRange {
                pa: (1 << OAS) - PAGE_SIZE,
            },
        ),
    ];
    for (pt, va, pages, pa, err) in cases {
        assert_eq!(pt.map(&mut mem, &mut src, va, pages, pa, p), Err(err));
    }
    assert_eq!(
        u.map_pages(&mut mem, &mut src, 0x4000, 3, p, [DATA, DATA + 0x4000]),
        Err(Error::PageCount { expected: 3 })
    );
    assert_eq!(
        u.map_pages(&mut mem, &mut src, 0x4000, 1, p, [DATA, DATA + 0x4000]),
        Err(Error::PageCount { expected: 1 })
    );
    assert_eq!(
        u.map_pages(&mut mem, &mut src, 0x4000, 2, p, [DATA, DATA + 0x2000]),
        Err(Error::PaMisaligned { pa: DATA + 0x2000 })
    );
    assert_eq!(
        u.map_repeat(&mut mem, &mut src, 0x4000, 2, 1 << 45, p),
        Err(Error::PaOutOfRange { pa: 1 << 45 })
    );
    assert_eq!(
        u.unmap(&mut mem, USER_VA_TOP, 1),
        Err(Error::OutOfRange {
            va: USER_VA_TOP,
            pages: 1
        })
    );
    assert_eq!(
        k.reclaim(&mut mem, 0x4000, 1, |_, _| panic!()),
        Err(Error::OutOfRange {
            va: 0x4000,
            pages: 1
        })
    );
    assert_eq!(
        u.for_each_leaf(&mem, 0x2000, 1, |_, _| ControlFlow::<()>::Continue(())),
        Err(Error::Misaligned { va: 0x2000 })
    );
    assert_eq!(src.used().len(), 0);
    assert!(mem.snapshot() == snap);

    // The very last page of the upper half is fine: its end is 2^64.
    assert_eq!(k.map(&mut mem, &mut src, !PAGE_MASK, 1, DATA, p), Ok(2));
    assert_eq!(k.translate(&mem, u64::MAX).unwrap().pa, DATA + PAGE_MASK);
    // Empty ranges are no-ops.
    assert_eq!(u.map(&mut mem, &mut src, USER_VA_TOP, 0, DATA, p), Ok(0));
    assert_eq!(u.unmap(&mut mem, 0x4000, 0), Ok(0));
}

#[test]
fn short_prealloc_is_all_or_nothing() {
    let mut mem = FakeMem::new();
    let u = user(&mut mem);
    map_ok(&u, &mut mem, 0x4000, 1, DATA, Prot::GPU_SHARED_RW);
    // From the last page of leaf table 0 (present) through leaf tables 1..=3 (absent), and
    // into root entry 1 (absent: a mid and a leaf table).
    let va = LEAF_SPAN - PAGE_SIZE;
    let pages = 1 + 3 * 2048;
    assert_eq!(u.tables_needed(&mem, va, pages), Ok(3));
    let va2 = MID_SPAN;
    assert_eq!(u.tables_needed(&mem, va2, 2), Ok(2));

    let tables = mem.prealloc(2);
    let snap = mem.snapshot();
    let mut src = Prealloc::new(&tables);
    assert_eq!(
        u.map(
            &mut mem,
            &mut src,
            va,
            pages,
            DATA + GIB,
            Prot::GPU_SHARED_RW
        ),
        Err(Error::NeedTables {
            needed: 3,
            available: 2
        })
    );
    assert!(mem.snapshot() == snap);
    assert_eq!(src.used(), &[] as &[TablePhys]);
    assert_eq!(src.unused(), &tables[..]);

    // Enough for the second range: it takes exactly 2 and leaves nothing behind.
    assert_eq!(
        u.map(
            &mut mem,
            &mut src,
            va2,
            2,
            DATA + 2 * GIB,
            Prot::GPU_SHARED_RW
        ),
        Ok(2)
    );
    assert_eq!(src.used(), &tables[..]);

    // With one spare table, the spare stays unused.
    let more = mem.prealloc(4);
    let mut src = Prealloc::new(&more);
    assert_eq!(
        u.map(
            &mut mem,
            &mut src,
            va,
            pages,
            DATA + GIB,
            Prot::GPU_SHARED_RW
        ),
        Ok(3)
    );
    assert_eq!(src.unused(), &more[3..]);
    assert_eq!(u.stats(&mem).unwrap().leaves, 1 + pages + 2);
}

#[test]
fn already_mapped_page_fails_before_any_table_is_linked() {
    let mut mem = FakeMem::new();
    let u = user(&mut mem);
    let mapped = LEAF_SPAN + 5 * PAGE_SIZE;
    map_ok(&u, &mut mem, mapped, 1, DATA, Prot::GPU_SHARED_RW);
    // Leaf table 0 is missing and would be linked first, in VA order.
    let tables = mem.prealloc(1);
    let snap = mem.snapshot();
    let mut src = Prealloc::new(&tables);
    assert_eq!(
        u.map(&mut mem, &mut src, 0, 2048 + 6, DATA, Prot::GPU_SHARED_RW),
        Err(Error::AlreadyMapped { va: mapped })
    );
    assert!(mem.snapshot() == snap);
    assert!(src.used().is_empty());
}

#[test]
fn unmap_holes_and_reclaim_exactly_the_emptied_tables() {
    let mut mem = FakeMem::new();
    let u = user(&mut mem);
    let p = Prot::GPU_SHARED_RW;
    // A: 3 pages in leaf table 0; B: 2 pages in leaf table 5 (same mid table as A);
    // C: 1 page under root entry 3.
    let a = map_ok(&u, &mut mem, 0x4000, 3, DATA, p);
    let b = map_ok(&u, &mut mem, 5 * LEAF_SPAN, 2, DATA + MIB, p);
    let c = map_ok(&u, &mut mem, 3 * MID_SPAN + 0x8000, 1, DATA + 2 * MIB, p);
    assert_eq!((a.len(), b.len(), c.len()), (2, 1, 2));
    let (mid0, leaf_a, leaf_b) = (a[0], a[1], b[0]);

    // Unmapping A plus a hole reclaims A's leaf table only: B still uses the mid table.
    assert_eq!(u.unmap(&mut mem, 0, 2 * 2048), Ok(3));
    let mut freed = Vec::new();
    let n = u
        .reclaim(&mut mem, 0, MID_SPAN >> PAGE_SHIFT, |t, l| {
            freed.push((t, l))
        })
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(freed, [(leaf_a, Level::Leaf)]);
    assert_eq!(
        fault_of(u.translate(&mem, 0x4000)),
        (Level::Mid, FaultKind::Unmapped)
    );
    assert_eq!(u.translate(&mem, 5 * LEAF_SPAN).unwrap().pa, DATA + MIB);

    // A wide unmap with holes, over an empty root entry too, counts only mapped pages.
    assert_eq!(u.unmap(&mut mem, 0, 2 * (MID_SPAN >> PAGE_SHIFT)), Ok(2));
    freed.clear();
    let n = u
        .reclaim(&mut mem, 0, 2 * (MID_SPAN >> PAGE_SHIFT), |t, l| {
            freed.push((t, l))
        })
        .unwrap();
    assert_eq!(n, 2);
    // The leaf table is unlinked and reported before its (now empty) mid table.
    assert_eq!(freed, [(leaf_b, Level::Leaf), (mid0, Level::Mid)]);
    assert_eq!(
        fault_of(u.translate(&mem, 5 * LEAF_SPAN)),
        (Level::Root, FaultKind::Unmapped)
    );
    assert_eq!(mem.tables[&u.root().addr()][0], 0);
    // C is untouched; reclaiming again finds nothing.
    assert_eq!(
        u.translate(&mem, 3 * MID_SPAN + 0x8000).unwrap().pa,
        DATA + 2 * MIB
    );
    assert_eq!(
        u.reclaim(&mut mem, 0, HALF_PAGES, |_, _| panic!("nothing to free")),
        Ok(0)
    );

    freed.clear();
    assert_eq!(
        u.unmap_and_reclaim(&mut mem, 3 * MID_SPAN, 4, |t, l| freed.push((t, l))),
        Ok((1, 2))
    );
    assert_eq!(freed, [(c[1], Level::Leaf), (c[0], Level::Mid)]);
    assert_eq!(u.count_tables(&mem), Ok(1));
    // The root is never freed, and every root entry is clear.
    assert!(mem.tables[&u.root().addr()].iter().all(|&e| e == 0));
}

#[test]
fn map_repeat_maps_one_page_everywhere() {
    let mut mem = FakeMem::new();
    let u = user(&mut mem);
    // Leaf tables 0..=3 and their mid table.
    let tables = mem.prealloc(5);
    let mut src = Prealloc::new(&tables);
    let va = LEAF_SPAN - 10 * PAGE_SIZE;
    let pa = DATA + 7 * PAGE_SIZE;
    assert_eq!(
        u.map_repeat(&mut mem, &mut src, va, 5000, pa, Prot::GPU_SHARED_RO),
        Ok(5)
    );
    let all = leaves(&u, &mem, 0, HALF_PAGES);
    assert_eq!(all.len(), 5000);
    for (i, &(v, pte)) in all.iter().enumerate() {
        assert_eq!(v, va + i as u64 * PAGE_SIZE);
        assert_eq!(uat::decode_page(pte, OAS).unwrap().pa, pa);
    }
    assert_eq!(
        u.translate(&mem, va + 4999 * PAGE_SIZE + 4).unwrap().pa,
        pa + 4
    );
}

#[test]
fn map_pages_takes_scattered_pages() {
    let mut mem = FakeMem::new();
    let k = kernel(&mut mem);
    let pas: Vec<u64> = (0..40u64)
        .map(|i| DATA + (97 * i % 40) * 0x10_0000)
        .collect();
    let tables = mem.prealloc(2);
    let mut src = Prealloc::new(&tables);
    let va = KERNEL_VA_SHARED.start;
    assert_eq!(
        k.map_pages(
            &mut mem,
            &mut src,
            va,
            40,
            Prot::FW_SHARED_RW,
            pas.iter().copied()
        ),
        Ok(2)
    );
    for (i, &pa) in pas.iter().enumerate() {
        let t = k.translate(&mem, va + i as u64 * PAGE_SIZE).unwrap();
        assert_eq!(t.pa, pa);
        assert_eq!(t.page.scope, Scope::Global);
    }
}

#[test]
fn reprotect_keeps_addresses_and_is_all_or_nothing() {
    let mut mem = FakeMem::new();
    let k = kernel(&mut mem);
    let va = KERNEL_VA_PRIVATE.start + LEAF_SPAN - PAGE_SIZE;
    map_ok(&k, &mut mem, va, 3, DATA, Prot::FW_PRIV_RW);
    let uncached = Prot::FW_PRIV_RW.with_memattr(MemAttr::Uncached);
    assert_eq!(k.reprotect(&mut mem, va, 3, uncached), Ok(()));
    for i in 0..3 {
        let t = k.translate(&mem, va + i * PAGE_SIZE).unwrap();
        assert_eq!(t.pa, DATA + i * PAGE_SIZE);
        assert_eq!(t.page.prot, Some(Prot::FW_SHARED_RW));
        assert_eq!(t.page.scope, Scope::Global);
    }
    let snap = mem.snapshot();
    let gpu = Prot::FW_PRIV_RW.with_memattr(MemAttr::Cached);
    assert_eq!(
        k.reprotect(&mut mem, va, 4, gpu),
        Err(Error::NotMapped {
            va: va + 3 * PAGE_SIZE
        })
    );
    assert_eq!(
        k.reprotect(&mut mem, va - MID_SPAN, 1, gpu),
        Err(Error::NotMapped { va: va - MID_SPAN })
    );
    assert!(mem.snapshot() == snap);
    assert_eq!(Prot::FW_SHARED_RW.ap, Ap::Fw);
}

#[test]
fn populate_preallocates_tables_for_later_maps() {
    let mut mem = FakeMem::new();
    let k = kernel(&mut mem);
    let va = KERNEL_VA_SHARED.start;
    let pages = (64 * MIB) >> PAGE_SHIFT;
    let tables = mem.prealloc(3);
    let mut src = Prealloc::new(&tables);
    assert_eq!(k.populate(&mut mem, &mut src, va, pages), Ok(3));
    assert_eq!(k.populate(&mut mem, &mut src, va, pages), Ok(0));
    assert_eq!(
        k.stats(&mem).unwrap(),
        TableStats {
            mid_tables: 1,
            leaf_tables: 2,
            leaves: 0
        }
    );
    // Maps inside need no tables at all.
    let none = Prealloc::new(&[]);
    let mut none = none;
    assert_eq!(
        k.map(
            &mut mem,
            &mut none,
            va + LEAF_SPAN - PAGE_SIZE,
            2,
            DATA,
            Prot::FW_SHARED_RW
        ),
        Ok(0)
    );
    assert_eq!(k.unmap(&mut mem, va + LEAF_SPAN - PAGE_SIZE, 2), Ok(2));
    // Reclaim gives back populated-but-empty tables too, leaves first.
    let mut freed = Vec::new();
    assert_eq!(k.reclaim(&mut mem, va, pages, |t, _| freed.push(t)), Ok(3));
    assert_eq!(freed, [tables[1], tables[2], tables[0]]);
}
