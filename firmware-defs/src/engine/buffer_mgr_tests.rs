//! Host tests of the buffer manager: growth and its lists, auto-grow against downstream's
//! numbers (worked out by hand from `auto_grow`), GrowTVB up to the maximum, the slot pool's
//! sticky reuse, eviction and exhaustion, and exactly when an `InitBuffer` is due.

extern crate std;

use super::*;
use std::vec;
use std::vec::Vec;

/// A fake GPU allocator: `n` block addresses, 128 KiB apart, from `base`.
fn blocks_at(base: u64, n: u32) -> Vec<u64> {
    (0..u64::from(n))
        .map(|i| base + i * u64::from(BLOCK_SIZE))
        .collect()
}

/// The firmware's lists, sized as downstream's `Buffer::new` sizes them.
struct Lists {
    blocks: Vec<u32>,
    pages: Vec<u32>,
}

impl Lists {
    fn new(max_blocks: u32) -> Lists {
        Lists {
            blocks: vec![0; 2 * max_blocks as usize],
            pages: vec![0; 4 * max_blocks as usize],
        }
    }
}

fn grow(b: &mut BufferManager, l: &mut Lists, to: u32, base: u64) -> HeapUpdate {
    let plan = b.plan_grow(to).unwrap().unwrap();
    let vas = blocks_at(base, plan.added());
    b.commit_grow(plan, &vas, &mut l.blocks, &mut l.pages)
        .unwrap()
}

#[test]
fn constants_match_downstream() {
    assert_eq!(PAGE_SIZE, 0x8000);
    assert_eq!(BLOCK_SIZE, 0x2_0000);
    assert_eq!(MAX_BLOCKS, 6579);
    assert_eq!(MAX_BLOCKS * PAGES_PER_BLOCK, 26316);
    assert_eq!(MAX_BLOCKS_NOMEMLESS * PAGES_PER_BLOCK, 8772);
    assert_eq!(NUM_BUFFER_SLOTS, 127);
}

#[test]
fn preallocation_fills_the_lists() {
    let mut b = BufferManager::new(1);
    let mut l = Lists::new(MAX_BLOCKS);
    assert_eq!(b.blocks(), 0);
    let base = 0x15_0000_0000u64;
    let u = grow(&mut b, &mut l, INITIAL_BLOCKS, base);
    assert_eq!(b.blocks(), 8);
    assert_eq!(b.size_bytes(), 8 * 0x2_0000);
    assert_eq!(
        u,
        HeapUpdate {
            block_ctl: 8,
            info: Some(InfoCounts {
                page_count: 32,
                block_count: 8,
                last_page: 31
            })
        }
    );
    // Block i at base + i·128 KiB: page number (base >> 15) + 4i, pages following it.
    let pn = 0x15_0000_0000u64 >> 15;
    assert_eq!(pn, 0x2a_0000);
    assert_eq!(l.blocks[0], 0x2a_0000);
    assert_eq!(l.blocks[1], 0);
    assert_eq!(l.blocks[2], 0x2a_0004);
    assert_eq!(l.blocks[14], 0x2a_001c);
    assert_eq!(l.blocks[16], 0);
    assert_eq!(
        &l.pages[0..6],
        &[0x2a_0000, 0x2a_0001, 0x2a_0002, 0x2a_0003, 0x2a_0004, 0x2a_0005]
    );
    assert_eq!(l.pages[31], 0x2a_001f);
    assert_eq!(l.pages[32], 0);
    // Growing appends after the existing blocks, from another address range.
    let u = grow(&mut b, &mut l, 10, 0x20_0000_0000);
    assert_eq!(u.block_ctl, 10);
    assert_eq!(l.blocks[16], 0x40_0000);
    assert_eq!(l.blocks[18], 0x40_0004);
    assert_eq!(
        l.pages[32..36],
        [0x40_0000, 0x40_0001, 0x40_0002, 0x40_0003]
    );
    assert_eq!(l.blocks[0], 0x2a_0000);
}

#[test]
fn never_shrinks_and_refuses_past_max() {
    let mut b = BufferManager::new(1);
    let mut l = Lists::new(MAX_BLOCKS);
    grow(&mut b, &mut l, 16, 0x1_0000_0000);
    // Smaller or equal: nothing to do (there is no shrink path downstream).
    assert_eq!(b.plan_grow(8), Ok(None));
    assert_eq!(b.plan_grow(16), Ok(None));
    assert_eq!(b.plan_grow(0), Ok(None));
    assert_eq!(b.blocks(), 16);
    assert_eq!(
        b.plan_grow(MAX_BLOCKS + 1),
        Err(BufferError::TooLarge {
            requested: 6580,
            max: 6579
        })
    );
    assert_eq!(
        b.plan_grow(u32::MAX),
        Err(BufferError::TooLarge {
            requested: u32::MAX,
            max: 6579
        })
    );
    assert_eq!(
        b.plan_grow(MAX_BLOCKS),
        Ok(Some(GrowPlan { from: 16, to: 6579 }))
    );
}

#[test]
fn commit_validates_everything_first() {
    let mut b = BufferManager::new(1);
    let mut l = Lists::new(16);
    let plan = b.plan_grow(4).unwrap().unwrap();
    let before = b.clone();
    let snapshot = (l.blocks.clone(), l.pages.clone());
    let check = |b: &BufferManager, l: &Lists| {
        assert_eq!(*b, before);
        assert_eq!((l.blocks.clone(), l.pages.clone()), snapshot);
    };
    // Wrong number of blocks.
    let r = b.commit_grow(plan, &blocks_at(0x10_0000, 3), &mut l.blocks, &mut l.pages);
    assert_eq!(
        r,
        Err(BufferError::BlockCount {
            expected: 4,
            got: 3
        })
    );
    check(&b, &l);
    // One misaligned block (16 KiB, a GPU page but not a TVB page): nothing written, not even
    // the good blocks before it.
    let mut vas = blocks_at(0x10_0000, 4);
    vas[2] += 0x4000;
    let r = b.commit_grow(plan, &vas, &mut l.blocks, &mut l.pages);
    assert_eq!(
        r,
        Err(BufferError::BadBlockAddress {
            index: 2,
            va: 0x14_4000
        })
    );
    check(&b, &l);
    // A page number past u32 (a VA at 2^47 is 2^32 pages).
    let vas = [0x10_0000, 0x20_0000, 0x30_0000, 1u64 << 47];
    assert!(matches!(
        b.commit_grow(plan, &vas, &mut l.blocks, &mut l.pages),
        Err(BufferError::BadBlockAddress { index: 3, .. })
    ));
    // The last page number of a block must fit as well.
    let top = (u64::from(u32::MAX) - 2) << PAGE_SHIFT;
    let vas = [0x10_0000, 0x20_0000, 0x30_0000, top];
    assert!(matches!(
        b.commit_grow(plan, &vas, &mut l.blocks, &mut l.pages),
        Err(BufferError::BadBlockAddress { index: 3, .. })
    ));
    check(&b, &l);
    // Lists too short for the grown heap.
    let vas = blocks_at(0x10_0000, 4);
    let mut short_b = vec![0u32; 7];
    let mut short_p = vec![0u32; 16];
    assert_eq!(
        b.commit_grow(plan, &vas, &mut short_b, &mut short_p),
        Err(BufferError::ListTooShort)
    );
    assert!(short_b.iter().all(|&v| v == 0));
    let mut ok_b = vec![0u32; 8];
    let mut short_p = vec![0u32; 15];
    assert_eq!(
        b.commit_grow(plan, &vas, &mut ok_b, &mut short_p),
        Err(BufferError::ListTooShort)
    );
    assert!(ok_b.iter().all(|&v| v == 0));
    check(&b, &l);
    // A plan made for another size, or a forged one past the maximum.
    let stale = GrowPlan { from: 2, to: 6 };
    assert_eq!(
        b.commit_grow(stale, &vas, &mut l.blocks, &mut l.pages),
        Err(BufferError::StalePlan {
            planned: 2,
            current: 0
        })
    );
    let backwards = GrowPlan { from: 0, to: 0 };
    assert_eq!(backwards.added(), 0);
    let forged = GrowPlan {
        from: 0,
        to: MAX_BLOCKS + 1,
    };
    assert!(matches!(
        b.commit_grow(forged, &[], &mut l.blocks, &mut l.pages),
        Err(BufferError::TooLarge { .. })
    ));
    check(&b, &l);
    // And the valid commit still works; the same plan a second time is stale.
    b.commit_grow(plan, &vas, &mut l.blocks, &mut l.pages)
        .unwrap();
    assert_eq!(b.blocks(), 4);
    assert_eq!(
        b.commit_grow(plan, &vas, &mut l.blocks, &mut l.pages),
        Err(BufferError::StalePlan {
            planned: 0,
            current: 4
        })
    );
}

/// Downstream `auto_grow`: need = ⌈2·used/4⌉, want = ⌈3·used/4⌉, both capped at 2193; grow
/// to want when need exceeds the heap.
#[test]
fn auto_grow_policy() {
    let mut b = BufferManager::new(1);
    let mut l = Lists::new(MAX_BLOCKS);
    grow(&mut b, &mut l, 8, 0x1_0000_0000);
    // 16 pages used: need 8, not above 8 blocks: no growth.
    assert_eq!(b.auto_grow_target(16), None);
    assert_eq!(b.auto_grow_target(0), None);
    // 17 pages: need ⌈34/4⌉ = 9 > 8, want ⌈51/4⌉ = 13.
    assert_eq!(b.auto_grow_target(17), Some(13));
    // 100 pages: need 50, want 75.
    assert_eq!(b.auto_grow_target(100), Some(75));
    // Huge high-water marks are capped at the no-memless maximum.
    assert_eq!(b.auto_grow_target(3000), Some(2193));
    assert_eq!(b.auto_grow_target(u32::MAX), Some(2193));
    // The render plan: auto-grow, then at least the render's minimum.
    assert_eq!(
        b.plan_render(17, 16),
        Ok(Some(GrowPlan { from: 8, to: 16 }))
    );
    assert_eq!(
        b.plan_render(100, 16),
        Ok(Some(GrowPlan { from: 8, to: 75 }))
    );
    assert_eq!(b.plan_render(16, 8), Ok(None));
    assert!(matches!(
        b.plan_render(0, MAX_BLOCKS + 1),
        Err(BufferError::TooLarge { .. })
    ));
    // At the cap, auto-grow stops even if the firmware keeps overflowing.
    grow(&mut b, &mut l, 2193, 0x2_0000_0000);
    assert_eq!(b.auto_grow_target(u32::MAX), None);
    // ...but a render that needs more still gets it, up to the maximum.
    assert_eq!(
        b.plan_render(u32::MAX, 4103),
        Ok(Some(GrowPlan {
            from: 2193,
            to: 4103
        }))
    );
}

#[test]
fn grow_tvb_request_up_to_max() {
    let mut b = BufferManager::with_limits(7, 25, 20).unwrap();
    let mut l = Lists::new(25);
    grow(&mut b, &mut l, 8, 0x1_0000_0000);
    // +10 blocks per request.
    let p = b.plan_sync_grow().unwrap();
    assert_eq!(p, GrowPlan { from: 8, to: 18 });
    b.commit_grow(
        p,
        &blocks_at(0x2_0000_0000, 10),
        &mut l.blocks,
        &mut l.pages,
    )
    .unwrap();
    // The next one would pass the maximum of 25: capped.
    let p = b.plan_sync_grow().unwrap();
    assert_eq!(p, GrowPlan { from: 18, to: 25 });
    assert_eq!(p.added(), 7);
    b.commit_grow(p, &blocks_at(0x3_0000_0000, 7), &mut l.blocks, &mut l.pages)
        .unwrap();
    // At the maximum: refused, nothing changes.
    assert_eq!(b.plan_sync_grow(), Err(BufferError::AtMax { max: 25 }));
    assert_eq!(b.blocks(), 25);
    assert_eq!(l.blocks[2 * 24], (0x3_0000_0000u64 >> 15) as u32 + 6 * 4);
}

#[test]
fn limits_are_checked() {
    assert_eq!(
        BufferManager::with_limits(1, 10, 11),
        Err(BufferError::BadLimits)
    );
    assert_eq!(
        BufferManager::with_limits(1, 10, 0),
        Err(BufferError::BadLimits)
    );
    assert_eq!(
        BufferManager::with_limits(1, u32::MAX, 8),
        Err(BufferError::BadLimits)
    );
    // Half of downstream's limits (8 GiB machines).
    let b = BufferManager::with_limits(1, MAX_BLOCKS / 2, MAX_BLOCKS_NOMEMLESS / 2).unwrap();
    assert_eq!((b.max_blocks(), b.grow_cap()), (3289, 1096));
}

/// InitBuffer exactly when the slot changed or the heap grew since the last one.
#[test]
fn init_buffer_when_slot_or_heap_changed() {
    let mut pool = SlotPool::new();
    let mut b = BufferManager::new(1);
    let mut l = Lists::new(MAX_BLOCKS);
    grow(&mut b, &mut l, 8, 0x1_0000_0000);
    assert!(b.needs_init_buffer());
    // First scene: fresh slot.
    let t = b.begin_scene(&mut pool).unwrap();
    assert_eq!(
        t,
        SceneTicket {
            slot: 0,
            needs_init_buffer: true,
            block_count: 8,
            info: None
        }
    );
    assert!(!b.needs_init_buffer());
    b.end_scene(&mut pool).unwrap();
    // Same slot back, same heap: no InitBuffer.
    let t = b.begin_scene(&mut pool).unwrap();
    assert_eq!((t.slot, t.needs_init_buffer), (0, false));
    b.end_scene(&mut pool).unwrap();
    // The heap grew while idle: InitBuffer with the new block count, Info written at once.
    let u = grow(&mut b, &mut l, 12, 0x2_0000_0000);
    assert!(u.info.is_some());
    assert!(b.needs_init_buffer());
    let t = b.begin_scene(&mut pool).unwrap();
    assert_eq!(
        (t.slot, t.needs_init_buffer, t.block_count, t.info),
        (0, true, 12, None)
    );
    // A second scene in flight shares the slot; nothing changed: no InitBuffer.
    let t2 = b.begin_scene(&mut pool).unwrap();
    assert_eq!((t2.slot, t2.needs_init_buffer), (0, false));
    // A GrowTVB while scenes run: the Info counters are the firmware's now.
    let p = b.plan_sync_grow().unwrap();
    let u = b
        .commit_grow(
            p,
            &blocks_at(0x3_0000_0000, 10),
            &mut l.blocks,
            &mut l.pages,
        )
        .unwrap();
    assert_eq!(
        u,
        HeapUpdate {
            block_ctl: 22,
            info: None
        }
    );
    // A third scene while the others run: the heap changed, InitBuffer; the Info counters
    // still wait for an idle heap.
    let t3 = b.begin_scene(&mut pool).unwrap();
    assert_eq!(
        (t3.needs_init_buffer, t3.block_count, t3.info),
        (true, 22, None)
    );
    for _ in 0..3 {
        b.end_scene(&mut pool).unwrap();
    }
    assert_eq!(b.end_scene(&mut pool), Err(BufferError::NoActiveScene));
    assert_eq!(b.active_scenes(), 0);
    assert_eq!(b.slot(), None);
    // Idle again: the next scene gets the Info counters the growth could not write.
    let t = b.begin_scene(&mut pool).unwrap();
    assert!(!t.needs_init_buffer);
    assert_eq!(
        t.info,
        Some(InfoCounts {
            page_count: 88,
            block_count: 22,
            last_page: 87
        })
    );
    b.end_scene(&mut pool).unwrap();
    // Another queue evicts the slot: the first one's next scene is rebound and needs one.
    let mut pool_full = SlotPool::new();
    let mut others: Vec<BufferManager> = (0..NUM_BUFFER_SLOTS as u64)
        .map(|i| BufferManager::new(100 + i))
        .collect();
    let t = b.begin_scene(&mut pool_full).unwrap();
    assert!(t.needs_init_buffer);
    b.end_scene(&mut pool_full).unwrap();
    for o in others.iter_mut() {
        o.begin_scene(&mut pool_full).unwrap();
    }
    assert_eq!(pool_full.active_count(), NUM_BUFFER_SLOTS);
    assert_eq!(b.begin_scene(&mut pool_full), Err(BufferError::NoFreeSlot));
    assert_eq!(b.active_scenes(), 0);
    // The last newcomer evicted `b`'s idle slot 0; the others took slots 1.. in order.
    assert_eq!(others[126].slot(), Some(0));
    assert_eq!(others[5].slot(), Some(6));
    others[5].end_scene(&mut pool_full).unwrap();
    let t = b.begin_scene(&mut pool_full).unwrap();
    assert_eq!((t.slot, t.needs_init_buffer), (6, true));
}

#[test]
fn aborted_scene_keeps_the_init_owed() {
    let mut pool = SlotPool::new();
    let mut b = BufferManager::new(1);
    let t = b.begin_scene(&mut pool).unwrap();
    assert!(t.needs_init_buffer);
    b.abort_scene(&mut pool, &t).unwrap();
    assert!(b.needs_init_buffer());
    let t = b.begin_scene(&mut pool).unwrap();
    assert!(t.needs_init_buffer);
    b.end_scene(&mut pool).unwrap();
    let t = b.begin_scene(&mut pool).unwrap();
    assert!(!t.needs_init_buffer);
    b.abort_scene(&mut pool, &t).unwrap();
    assert!(!b.needs_init_buffer());
}

#[test]
fn slot_pool_sticky_reuse_and_eviction() {
    let mut pool = SlotPool::new();
    assert_eq!(pool.state(0), Some(SlotState::Free));
    assert_eq!(pool.state(127), None);
    assert_eq!(pool.state(u32::MAX), None);
    let a = pool.acquire(10).unwrap();
    let b = pool.acquire(20).unwrap();
    assert_eq!((a.slot, a.changed, b.slot, b.changed), (0, true, 1, true));
    assert_eq!(pool.acquire(10), Err(BufferError::NotOwner { slot: 0 }));
    assert_eq!(pool.active_owner(1), Ok(20));
    pool.release(0, 10).unwrap();
    assert_eq!(
        pool.state(0),
        Some(SlotState::Idle {
            owner: 10,
            released: 1
        })
    );
    // Idle slots serve GrowTVB for nobody.
    assert_eq!(pool.active_owner(0), Err(BufferError::NotOwner { slot: 0 }));
    assert_eq!(pool.active_owner(2), Err(BufferError::NotOwner { slot: 2 }));
    assert_eq!(
        pool.active_owner(500),
        Err(BufferError::BadSlot { slot: 500 })
    );
    // Wrong owner, not active, out of range: refused, unchanged.
    assert_eq!(pool.release(1, 10), Err(BufferError::NotOwner { slot: 1 }));
    assert_eq!(pool.release(0, 10), Err(BufferError::NotOwner { slot: 0 }));
    assert_eq!(
        pool.release(127, 10),
        Err(BufferError::BadSlot { slot: 127 })
    );
    // A newcomer takes a free slot before evicting the idle one.
    let c = pool.acquire(30).unwrap();
    assert_eq!((c.slot, c.changed), (2, true));
    // The owner gets its idle slot back unchanged.
    let a = pool.acquire(10).unwrap();
    assert_eq!((a.slot, a.changed), (0, false));
    // Fill the rest, then idle two: the least recently released is evicted first.
    for i in 3..NUM_BUFFER_SLOTS as u64 {
        pool.acquire(1000 + i).unwrap();
    }
    assert_eq!(pool.acquire(9999), Err(BufferError::NoFreeSlot));
    pool.release(2, 30).unwrap();
    pool.release(0, 10).unwrap();
    let d = pool.acquire(40).unwrap();
    assert_eq!((d.slot, d.changed), (2, true));
    // 30 lost its slot: it gets the other idle one, changed.
    let e = pool.acquire(30).unwrap();
    assert_eq!((e.slot, e.changed), (0, true));
    assert_eq!(pool.acquire(10), Err(BufferError::NoFreeSlot));
    // Forgetting: an idle slot becomes free; an active one is reported and kept.
    pool.release(0, 30).unwrap();
    assert!(!pool.forget(30));
    assert_eq!(pool.state(0), Some(SlotState::Free));
    assert!(pool.forget(40));
    assert_eq!(pool.state(2), Some(SlotState::Active { owner: 40 }));
    assert!(!pool.forget(12345));
    let f = pool.acquire(30).unwrap();
    assert_eq!((f.slot, f.changed), (0, true));
}

/// A GrowTVB event names a slot: it reaches the heap whose scenes hold that slot.
#[test]
fn grow_tvb_routing() {
    let mut pool = SlotPool::new();
    let mut a = BufferManager::new(1);
    let mut b = BufferManager::new(2);
    let ta = a.begin_scene(&mut pool).unwrap();
    let tb = b.begin_scene(&mut pool).unwrap();
    assert_eq!(pool.active_owner(ta.slot), Ok(1));
    assert_eq!(pool.active_owner(tb.slot), Ok(2));
    b.end_scene(&mut pool).unwrap();
    assert!(pool.active_owner(tb.slot).is_err());
}

#[test]
fn scene_feedback() {
    assert_eq!(scene_used_bytes(0), 0);
    assert_eq!(scene_used_bytes(3), 3 * 0x8000);
    assert_eq!(scene_used_bytes(u32::MAX), u64::from(u32::MAX) << 15);
    assert!(!scene_overflowed(10, 10));
    assert!(scene_overflowed(10, 11));
    assert!(!scene_overflowed(11, 10));
}
