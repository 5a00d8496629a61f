//! Host tests of the page-table walker and queries: translation, leaf enumeration, faults.

extern crate std;

use std::vec::Vec;

use core::ops::ControlFlow;

use super::super::tests::{
    fault_of, kernel, leaves, map_ok, user, FakeMem, NoTable, DATA, GIB, LEAF_SPAN, MIB, MID_SPAN,
    OAS,
};
use super::super::uat::{
    Half, Prot, Scope, KERNEL_VA_PRIVATE, PAGE_SIZE, UPPER_HALF_BASE, VA_MASK,
};
use super::super::{Prealloc, HALF_PAGES};
use super::*;

#[test]
fn map_translate_round_trip_at_level_boundaries() {
    // (per-half offset, pages, tables a fresh table needs: mid + leaf)
    let cases: [(u64, u64, usize); 7] = [
        // First page of the half (first entry of every level).
        (0, 1, 2),
        // Last entry of the first leaf table.
        (LEAF_SPAN - PAGE_SIZE, 1, 2),
        // Crossing a leaf-table boundary.
        (LEAF_SPAN - 2 * PAGE_SIZE, 4, 3),
        // A whole leaf table, exactly.
        (3 * LEAF_SPAN, 2048, 2),
        // Crossing a mid-table (root entry) boundary.
        (MID_SPAN - 3 * PAGE_SIZE, 6, 4),
        // Last entry of the last mid table of root entry 6.
        (7 * MID_SPAN - PAGE_SIZE, 1, 2),
        // Last page of the half.
        (VA_MASK + 1 - PAGE_SIZE, 1, 2),
    ];
    for half in [Half::Lower, Half::Upper] {
        for (i, &(off, pages, tables)) in cases.iter().enumerate() {
            let mut mem = FakeMem::new();
            let root = mem.alloc(0);
            let pt = PageTable::new(root, half, Scope::NonGlobal, OAS);
            let va = pt.base() + off;
            let pa = DATA + i as u64 * 64 * MIB;
            let used = map_ok(&pt, &mut mem, va, pages, pa, Prot::GPU_SHARED_RW);
            assert_eq!(used.len(), tables, "case {i} {half:?}");
            for p in 0..pages {
                let v = va + p * PAGE_SIZE + 0x1238;
                let t = pt.translate(&mem, v).unwrap();
                assert_eq!(t.pa, pa + p * PAGE_SIZE + 0x1238);
                assert_eq!(t.page.prot, Some(Prot::GPU_SHARED_RW));
            }
            // The neighbours are unmapped, so the new tables were cleared.
            if off > 0 {
                let before = pt.translate(&mem, va - PAGE_SIZE);
                assert!(before.is_err());
            }
            let end = off + pages * PAGE_SIZE;
            if end <= VA_MASK {
                assert!(pt.translate(&mem, pt.base() + end).is_err());
            }
            let st = pt.stats(&mem).unwrap();
            assert_eq!(st.leaves, pages);
            assert_eq!(st.tables(), 1 + tables);
            assert_eq!(pt.count_tables(&mem), Ok(1 + tables));
            assert_eq!(pt.tables_needed(&mem, va, pages), Ok(0));
            // Both halves index the same way from their own root.
            let idx = uat::indices(va);
            let l1 = mem.tables[&root.addr()][idx[0]];
            assert!(uat::is_valid(l1));
        }
    }
}

#[test]
fn both_half_bases_and_kernel_ranges() {
    let mut mem = FakeMem::new();
    let k = kernel(&mut mem);
    let u = user(&mut mem);
    assert_eq!(k.base(), UPPER_HALF_BASE);
    assert_eq!(u.base(), 0);
    map_ok(&k, &mut mem, UPPER_HALF_BASE, 1, DATA, Prot::FW_PRIV_RW);
    map_ok(
        &k,
        &mut mem,
        KERNEL_VA_PRIVATE.start,
        2,
        DATA + 0x8000,
        Prot::FW_PRIV_RW,
    );
    map_ok(&u, &mut mem, 0x4000, 1, DATA + 0x10000, Prot::GPU_SHARED_RW);
    assert_eq!(k.translate(&mem, UPPER_HALF_BASE).unwrap().pa, DATA);
    assert_eq!(
        k.translate(&mem, KERNEL_VA_PRIVATE.start + 0x4010)
            .unwrap()
            .pa,
        DATA + 0xc010
    );
    // Each half only answers for its own VAs.
    assert_eq!(
        u.translate(&mem, UPPER_HALF_BASE),
        Err(WalkError::OutOfRange {
            va: UPPER_HALF_BASE
        })
    );
    assert_eq!(
        k.translate(&mem, 0x4000),
        Err(WalkError::OutOfRange { va: 0x4000 })
    );
    // The user half's 0x4000 is a different mapping from the kernel's base + 0x4000.
    assert_eq!(u.translate(&mem, 0x4000).unwrap().pa, DATA + 0x10000);
    assert_eq!(
        fault_of(k.translate(&mem, UPPER_HALF_BASE + 0x4000)),
        (Level::Leaf, FaultKind::Unmapped)
    );
}

#[test]
fn for_each_leaf_is_ordered_and_linear_in_populated_tables() {
    let mut mem = FakeMem::new();
    let k = kernel(&mut mem);
    let p = Prot::FW_PRIV_RW;
    // One page every 64 MiB over a 4 GiB span: 64 leaf tables under one mid table. Map
    // them out of VA order, plus two pages under another root entry.
    let base = KERNEL_VA_PRIVATE.start;
    let mut expect = Vec::new();
    for i in (0..64u64).rev() {
        let va = base + i * 64 * MIB + (i % 7) * PAGE_SIZE;
        map_ok(&k, &mut mem, va, 1, DATA + i * PAGE_SIZE, p);
        expect.push(va);
    }
    for va in [UPPER_HALF_BASE + 0x4000, UPPER_HALF_BASE + 0x8000] {
        map_ok(&k, &mut mem, va, 1, DATA, p);
        expect.push(va);
    }
    expect.sort_unstable();
    let st = k.stats(&mem).unwrap();
    assert_eq!(
        st,
        TableStats {
            mid_tables: 2,
            leaf_tables: 65,
            leaves: 66
        }
    );

    mem.reset_reads();
    let all = leaves(&k, &mem, k.base(), HALF_PAGES);
    let reads = mem.reset_reads();
    let vas: Vec<u64> = all.iter().map(|&(va, _)| va).collect();
    assert_eq!(vas, expect);
    // Root entries, then every entry of each populated mid and leaf table: nothing else.
    assert_eq!(
        reads,
        Level::Root.entries() + TABLE_ENTRIES * (st.mid_tables + st.leaf_tables)
    );
    assert!(reads < (HALF_PAGES / 100) as usize);

    // A sub-range yields its leaves only, reading just the entries in range.
    let sub = leaves(&k, &mem, base + GIB, (GIB >> PAGE_SHIFT) + 1);
    // Pages i = 16..=31.
    assert_eq!(sub.len(), 16);
    assert_eq!(sub[0].0, base + GIB + (16 % 7) * PAGE_SIZE);

    // Breaking stops the walk.
    let mut seen = 0;
    let flow = k
        .for_each_leaf(&mem, k.base(), HALF_PAGES, |va, _| {
            seen += 1;
            if seen == 3 {
                ControlFlow::Break(va)
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert_eq!(flow, ControlFlow::Break(expect[2]));
    assert_eq!(seen, 3);
}

#[test]
fn prot_and_scope_are_preserved() {
    let prots = [
        Prot::FW_MMIO_RW,
        Prot::FW_MMIO_RO,
        Prot::FW_SHARED_RW,
        Prot::FW_SHARED_RO,
        Prot::FW_PRIV_RW,
        Prot::GPU_FW_SHARED_RW,
        Prot::GPU_FW_PRIV_RW,
        Prot::GPU_RO_FW_PRIV_RW,
        Prot::GPU_SHARED_RW,
        Prot::GPU_SHARED_RO,
        Prot::GPU_SHARED_WO,
    ];
    let mut mem = FakeMem::new();
    let u = user(&mut mem);
    let k = kernel(&mut mem);
    for (pt, scope) in [(u, Scope::NonGlobal), (k, Scope::Global)] {
        for (i, &prot) in prots.iter().enumerate() {
            let va = pt.base() + (i as u64 + 1) * LEAF_SPAN;
            let pa = DATA + i as u64 * PAGE_SIZE;
            map_ok(&pt, &mut mem, va, 1, pa, prot);
            let t = pt.translate(&mem, va).unwrap();
            assert_eq!(t.page.prot, Some(prot));
            assert_eq!(t.page.scope, scope);
            assert_eq!(t.pte, uat::encode_page(pa, prot, scope).unwrap());
        }
        let all = leaves(&pt, &mem, pt.base(), HALF_PAGES);
        assert_eq!(all.len(), prots.len());
        for ((_, pte), &prot) in all.iter().zip(prots.iter()) {
            assert_eq!(Prot::from_pte(*pte), Some(prot));
        }
    }
}

#[test]
fn walk_faults_report_level_and_kind() {
    let mut mem = FakeMem::new();
    let u = user(&mut mem);
    assert_eq!(
        fault_of(u.translate(&mem, 0x4000)),
        (Level::Root, FaultKind::Unmapped)
    );
    let t = map_ok(&u, &mut mem, 0x4000, 1, DATA, Prot::GPU_SHARED_RW);
    let leaf = t[1];
    assert_eq!(
        fault_of(u.translate(&mem, 0x8000)),
        (Level::Leaf, FaultKind::Unmapped)
    );
    assert_eq!(
        fault_of(u.translate(&mem, LEAF_SPAN)),
        (Level::Mid, FaultKind::Unmapped)
    );
    assert_eq!(
        fault_of(u.translate(&mem, MID_SPAN)),
        (Level::Root, FaultKind::Unmapped)
    );

    // A non-zero leaf with an invalid type.
    mem.write_entry(leaf, 2, 0x8001);
    let r = u.translate(&mem, 0x8000);
    assert_eq!(
        r,
        Err(WalkError::Fault(Fault {
            va: 0x8000,
            level: Level::Leaf,
            pte: 0x8001,
            kind: FaultKind::Invalid
        }))
    );
    assert_eq!(leaves(&u, &mem, 0, 4).len(), 1);
    let snap = mem.snapshot();
    let tables = mem.prealloc(0);
    let mut src = Prealloc::new(&tables);
    assert_eq!(
        u.map(&mut mem, &mut src, 0x8000, 1, DATA, Prot::GPU_SHARED_RW),
        Err(Error::InvalidEntry {
            level: Level::Leaf,
            va: 0x8000,
            pte: 0x8001
        })
    );
    assert!(mem.snapshot() == snap);
    // Unmap clears it (it counts mapped pages only).
    assert_eq!(u.unmap(&mut mem, 0x8000, 1), Ok(0));
    assert_eq!(mem.tables[&leaf.addr()][2], 0);

    // An invalid root entry: walks fault, modifications fail, enumeration skips it.
    let root = u.root();
    mem.write_entry(root, 4, 0x4_0001);
    assert_eq!(
        fault_of(u.translate(&mem, 4 * MID_SPAN)),
        (Level::Root, FaultKind::Invalid)
    );
    let snap = mem.snapshot();
    let bad = Error::InvalidEntry {
        level: Level::Root,
        va: 4 * MID_SPAN,
        pte: 0x4_0001,
    };
    assert_eq!(u.tables_needed(&mem, 4 * MID_SPAN, 1), Err(bad));
    assert_eq!(u.unmap(&mut mem, 0, HALF_PAGES), Err(bad));
    assert!(mem.snapshot() == snap);
    assert_eq!(leaves(&u, &mem, 0, HALF_PAGES).len(), 1);
    assert_eq!(u.stats(&mem).unwrap().mid_tables, 1);

    // A valid table entry pointing outside table memory.
    mem.write_entry(root, 2, 0x7_0000_0000 | 3);
    assert_eq!(
        u.translate(&mem, 2 * MID_SPAN),
        Err(WalkError::Memory {
            level: Level::Mid,
            error: NoTable(0x7_0000_0000)
        })
    );
    assert_eq!(
        u.tables_needed(&mem, 2 * MID_SPAN, 1),
        Err(Error::Memory(NoTable(0x7_0000_0000)))
    );
}
