//! Host tests of batch planning and reclaim.

extern crate std;

use std::vec::Vec;

use super::super::tests::{map_ok, user, FakeMem, DATA, GARBAGE, LEAF_SPAN, MIB, MID_SPAN};
use super::super::uat::{Prot, PAGE_SIZE};
use super::super::{Prealloc, HALF_PAGES, PAGE_SHIFT};
use super::*;

const P: Prot = Prot::GPU_SHARED_RW;

/// Plans `ranges` (va, pages) as one batch from an empty set: the total.
fn plan(pt: &PageTable, mem: &FakeMem, ranges: &[(u64, u64)]) -> usize {
    let mut set = SlotSet::new();
    ranges
        .iter()
        .map(|&(va, pages)| pt.plan_batch(mem, &mut set, va, pages).unwrap())
        .sum()
}

/// Maps every range of a batch from one source holding exactly what `plan` said, as a bind
/// does; returns the tables the batch took (and checks the source ends up empty).
fn apply(pt: &PageTable, mem: &mut FakeMem, ranges: &[(u64, u64)]) -> usize {
    let needed = plan(pt, mem, ranges);
    let tables = mem.prealloc(needed);
    let mut src = Prealloc::new(&tables);
    for (i, &(va, pages)) in ranges.iter().enumerate() {
        let pa = DATA + (i as u64 % 64) * PAGE_SIZE;
        pt.map_repeat(mem, &mut src, va, pages, pa, P)
            .unwrap_or_else(|e| panic!("range {i} ({va:#x}, {pages}): {e:?}"));
    }
    assert!(src.unused().is_empty(), "the plan over-reserved");
    needed
}

#[test]
fn adjacent_single_page_batch_needs_the_union_not_the_sum() {
    // The case: 8192 single-page maps at adjacent addresses (128 MiB), unaligned to a
    // leaf table so it spans five of them, in a fresh VM.
    let mut mem = FakeMem::new();
    let u = user(&mut mem);
    let base = MID_SPAN + LEAF_SPAN / 2;
    let ops: Vec<(u64, u64)> = (0..8192).map(|i| (base + i * PAGE_SIZE, 1)).collect();
    // Alone, each op needs a mid and a leaf table: the old per-op sum was 16384 tables.
    let per_op: usize = ops
        .iter()
        .map(|&(va, n)| u.tables_needed(&mem, va, n).unwrap())
        .sum();
    assert_eq!(per_op, 2 * 8192);
    // The batch needs what one op over the whole range needs: 1 mid + 5 leaves.
    assert_eq!(
        plan(&u, &mem, &ops),
        u.tables_needed(&mem, base, 8192).unwrap()
    );
    assert_eq!(plan(&u, &mem, &ops), 6);
    assert_eq!(apply(&u, &mut mem, &ops), 6);
    assert_eq!(u.count_tables(&mem), Ok(1 + 6));
    // With the tables there, planning the same ranges again needs none.
    assert_eq!(plan(&u, &mem, &ops), 0);
}

#[test]
fn plan_counts_each_missing_slot_once_in_any_order() {
    let mut mem = FakeMem::new();
    let u = user(&mut mem);
    // An existing mapping: root entry 1 has a mid table with leaf slot 3.
    map_ok(&u, &mut mem, MID_SPAN + 3 * LEAF_SPAN, 1, DATA, P);
    let cases: &[(&[(u64, u64)], usize)] = &[
        // Under the existing leaf table: nothing.
        (&[(MID_SPAN + 3 * LEAF_SPAN + PAGE_SIZE, 4)], 0),
        // The same missing leaf slot twice, and a range straddling it and its neighbour.
        (
            &[
                (MID_SPAN + 5 * LEAF_SPAN, 1),
                (MID_SPAN + 5 * LEAF_SPAN + 8 * PAGE_SIZE, 2),
                (MID_SPAN + 6 * LEAF_SPAN - PAGE_SIZE, 2),
            ],
            2,
        ),
        // An empty root entry: its mid once, then leaves counted once across ranges, in
        // descending order, one range covering two leaf tables that an earlier one touched.
        (
            &[
                (3 * MID_SPAN + 9 * LEAF_SPAN, 1),
                (3 * MID_SPAN + 2 * LEAF_SPAN, 1),
                (
                    3 * MID_SPAN + 2 * LEAF_SPAN + (LEAF_SPAN >> 1),
                    (LEAF_SPAN * 8) >> PAGE_SHIFT,
                ),
            ],
            1 + 9,
        ),
        // A range over two root entries (one empty, one with tables) and the exact ends.
        (
            &[(2 * MID_SPAN - LEAF_SPAN, (2 * LEAF_SPAN) >> PAGE_SHIFT)],
            1 + 1 + 1,
        ),
        // Whole root entries: the batch's total is the single-range count.
        (
            &[(4 * MID_SPAN, MID_SPAN >> PAGE_SHIFT), (4 * MID_SPAN, 1)],
            1 + 2048,
        ),
    ];
    for (i, (ranges, want)) in cases.iter().enumerate() {
        assert_eq!(plan(&u, &mem, ranges), *want, "case {i}");
    }
    // And the plan is exactly what the maps then take (tables added == plan).
    let before = u.count_tables(&mem).unwrap();
    let ranges = cases[1].0;
    assert_eq!(apply(&u, &mut mem, ranges), 2);
    assert_eq!(u.count_tables(&mem).unwrap(), before + 2);
}

#[test]
fn plan_matches_what_random_batches_take() {
    // A deterministic LCG; ranges clustered in 2 root entries so they share tables often.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = |m: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % m
    };
    for round in 0..40 {
        let mut mem = FakeMem::new();
        let u = user(&mut mem);
        let mut used = std::collections::BTreeSet::new();
        let mut ranges = Vec::new();
        for _ in 0..(1 + next(30)) {
            let va = (next(2) + 1) * MID_SPAN + next(64) * LEAF_SPAN + next(2048) * PAGE_SIZE;
            let pages = 1 + next(3000);
            let end = (va + pages * PAGE_SIZE).min(3 * MID_SPAN);
            let pages = (end - va) / PAGE_SIZE;
            // Keep the ranges disjoint (a map fails on a mapped page).
            if pages == 0 || (0..pages).any(|p| used.contains(&(va + p * PAGE_SIZE))) {
                continue;
            }
            used.extend((0..pages).map(|p| va + p * PAGE_SIZE));
            ranges.push((va, pages));
        }
        let before = u.count_tables(&mem).unwrap();
        let took = apply(&u, &mut mem, &ranges);
        assert_eq!(
            u.count_tables(&mem).unwrap(),
            before + took,
            "round {round}"
        );
    }
}

#[test]
fn reclaim_marked_frees_each_emptied_table_once() {
    let mut mem = FakeMem::new();
    let u = user(&mut mem);
    // 8192 adjacent pages over leaf tables 0..=4 of root entry 1 (unaligned), plus one page in
    // leaf table 10 of the same mid table, and an untouched page under root entry 2.
    let base = MID_SPAN + LEAF_SPAN / 2;
    let ops: Vec<(u64, u64)> = (0..8192).map(|i| (base + i * PAGE_SIZE, 1)).collect();
    apply(&u, &mut mem, &ops);
    map_ok(&u, &mut mem, MID_SPAN + 10 * LEAF_SPAN, 1, DATA, P);
    map_ok(&u, &mut mem, 2 * MID_SPAN, 1, DATA, P);
    assert_eq!(u.count_tables(&mem), Ok(1 + (1 + 5 + 1) + (1 + 1)));

    // Unmap all 8192 one page at a time, as one batch, marking as a bind does.
    let mut set = SlotSet::new();
    for &(va, n) in &ops {
        u.unmap(&mut mem, va, n).unwrap();
        u.mark_unmapped::<()>(&mut set, va, n).unwrap();
    }
    // Marked: the mid of root entry 1 and its five leaf slots, once each.
    assert_eq!(set.len(), 1 + 5);
    mem.reset_reads();
    let mut freed = Vec::new();
    let n = u
        .reclaim_marked(&mut mem, &set, |t, l, va| freed.push((t, l, va)))
        .unwrap();
    // The five leaf tables went; the mid stays (leaf table 10 still maps a page).
    assert_eq!(n, 5);
    assert!(freed.iter().all(|&(_, l, _)| l == Level::Leaf));
    let vas: Vec<u64> = freed.iter().map(|&(_, _, va)| va).collect();
    assert_eq!(
        vas,
        (0..5).map(|i| MID_SPAN + i * LEAF_SPAN).collect::<Vec<_>>()
    );
    // Cost: each marked table scanned once (5 empty leaves fully, the mid until an entry).
    assert!(mem.reset_reads() <= 5 * (TABLE_ENTRIES + 1) + TABLE_ENTRIES + 2);
    // Unlinked: the freed tables are no longer reachable, and the rest still translate.
    assert_eq!(u.count_tables(&mem), Ok(1 + (1 + 1) + (1 + 1)));
    assert_eq!(
        u.translate(&mem, MID_SPAN + 10 * LEAF_SPAN).unwrap().pa,
        DATA
    );
    assert_eq!(u.translate(&mem, 2 * MID_SPAN).unwrap().pa, DATA);

    // The last page under root entry 1: its leaf and then its mid go, leaf first.
    set.clear();
    u.unmap(&mut mem, MID_SPAN + 10 * LEAF_SPAN, 1).unwrap();
    u.mark_unmapped::<()>(&mut set, MID_SPAN + 10 * LEAF_SPAN, 1)
        .unwrap();
    freed.clear();
    assert_eq!(
        u.reclaim_marked(&mut mem, &set, |t, l, va| freed.push((t, l, va))),
        Ok(2)
    );
    let levels: Vec<(Level, u64)> = freed.iter().map(|&(_, l, va)| (l, va)).collect();
    assert_eq!(
        levels,
        [
            (Level::Leaf, MID_SPAN + 10 * LEAF_SPAN),
            (Level::Mid, MID_SPAN)
        ]
    );
    assert_eq!(mem.tables[&u.root().addr()][1], 0);
    assert_eq!(u.count_tables(&mem), Ok(1 + 1 + 1));
    // Reclaiming the same set again finds nothing.
    assert_eq!(
        u.reclaim_marked(&mut mem, &set, |_, _, _| panic!("freed twice")),
        Ok(0)
    );
}

#[test]
fn reclaim_marked_keeps_what_is_not_marked_or_not_empty() {
    let mut mem = FakeMem::new();
    let u = user(&mut mem);
    // Two leaf tables, both emptied, but only the first range is marked.
    map_ok(&u, &mut mem, MID_SPAN, 1, DATA, P);
    map_ok(&u, &mut mem, MID_SPAN + LEAF_SPAN, 1, DATA, P);
    u.unmap(&mut mem, MID_SPAN, (2 * LEAF_SPAN) >> PAGE_SHIFT)
        .unwrap();
    let mut set = SlotSet::new();
    u.mark_unmapped::<()>(&mut set, MID_SPAN, 1).unwrap();
    assert_eq!(u.reclaim_marked(&mut mem, &set, |_, _, _| {}), Ok(1));
    // The unmarked empty leaf table and so the mid stay linked.
    assert_eq!(u.count_tables(&mem), Ok(3));
    // A marked range whose table refilled before the reclaim (a bind that unmaps, then maps
    // there again) keeps it.
    map_ok(&u, &mut mem, 3 * MID_SPAN, 2, DATA, P);
    set.clear();
    u.unmap(&mut mem, 3 * MID_SPAN, 2).unwrap();
    u.mark_unmapped::<()>(&mut set, 3 * MID_SPAN, 2).unwrap();
    let tables = mem.prealloc(0);
    let mut src = Prealloc::new(&tables);
    u.map(&mut mem, &mut src, 3 * MID_SPAN + PAGE_SIZE, 1, DATA, P)
        .unwrap();
    assert_eq!(
        u.reclaim_marked(&mut mem, &set, |_, _, _| panic!("in use")),
        Ok(0)
    );
    assert_eq!(
        u.translate(&mem, 3 * MID_SPAN + PAGE_SIZE).unwrap().pa,
        DATA
    );
    // Range errors change nothing.
    assert!(u.mark_unmapped::<()>(&mut set, 1, 1).is_err());
    assert!(u.mark_unmapped::<()>(&mut set, 0, HALF_PAGES + 1).is_err());
}

#[test]
fn marking_the_whole_half_marks_every_slot() {
    let mut mem = FakeMem::new();
    let u = user(&mut mem);
    let mut set = SlotSet::new();
    assert!(set.is_empty());
    u.mark_unmapped::<()>(&mut set, 0, HALF_PAGES).unwrap();
    assert_eq!(set.len(), 8 + 8 * TABLE_ENTRIES);
    set.clear();
    assert!(set.is_empty() && set == SlotSet::default());
    // One page at the very end of the half: the last mid and leaf slot.
    u.mark_unmapped::<()>(&mut set, (HALF_PAGES - 1) << PAGE_SHIFT, 1)
        .unwrap();
    assert_eq!(set.len(), 2);
    assert_eq!(set.leaves_under(7).collect::<Vec<_>>(), [TABLE_ENTRIES - 1]);
}

#[test]
fn release_all_unlinks_every_table() {
    let mut mem = FakeMem::new();
    let u = user(&mut mem);
    let mut all = Vec::new();
    all.extend(map_ok(&u, &mut mem, 0x4000, 3, DATA, P));
    all.extend(map_ok(&u, &mut mem, 5 * LEAF_SPAN, 2, DATA + MIB, P));
    all.extend(map_ok(
        &u,
        &mut mem,
        7 * MID_SPAN + 2047 * LEAF_SPAN,
        1,
        DATA,
        P,
    ));
    // An emptied table is released too.
    u.unmap(&mut mem, 5 * LEAF_SPAN, 2).unwrap();
    let mut freed = Vec::new();
    assert_eq!(
        u.release_all(&mut mem, |t, l| freed.push((t, l))),
        Ok(all.len())
    );
    let mut got: Vec<TablePhys> = freed.iter().map(|&(t, _)| t).collect();
    got.sort();
    all.sort();
    assert_eq!(got, all);
    assert_eq!(u.count_tables(&mem), Ok(1));
    assert!(mem.tables[&u.root().addr()].iter().all(|&e| e == 0));
    // Tables handed out but never linked are not the page table's.
    let _ = mem.alloc(GARBAGE);
    assert_eq!(u.release_all(&mut mem, |_, _| panic!()), Ok(0));
}
