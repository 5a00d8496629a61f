// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The virtual AGX's TLB: a small cache of translations, as the real GPU has one.
//!
//! An entry maps one 16 KiB GPU page of one address space, keyed by the address space's
//! page-table root (`ttb`, user or kernel half) and the page's VA, to the physical page and the
//! access the walking agent (GPU or firmware) has there. It is filled by a successful walk (a
//! valid leaf, whatever its permissions; a missing or invalid entry is never cached) and
//! removed only by an invalidation ([`Tlb::invalidate_range`], [`Tlb::invalidate_all`]) or by
//! eviction when a fill finds its set full. So a driver that changes or removes a page-table
//! entry without invalidating it leaves the GPU using the old page, as on the hardware.
//!
//! [`SETS`] × [`WAYS`] entries (256), 4-way set associative, allocated with the firmware model
//! and never again; a set is picked by the VA's page number XOR the root's page number, so the
//! pages of one address space spread over the sets as their VAs do. The victim of a full set is
//! chosen round robin.
//!
//! A walk runs outside the TLB lock, so an invalidation may come between a miss and its fill;
//! the fill would then cache what the walk read before the invalidation. Every invalidation
//! therefore bumps a generation, and a fill is dropped if the generation moved since its miss
//! (the walk's result is still used for the access in flight, as an access racing with an
//! invalidation on the hardware may be).
//!
//! Its methods have no panicking paths and never allocate: invalidations may come from any
//! context, under the irq-safe spinlock that guards it.

use crate::fw::uat::Perm;
use kernel::prelude::*;

/// Sets.
pub(crate) const SETS: usize = 64;
/// Entries per set.
pub(crate) const WAYS: usize = 4;
/// GPU page shift.
const PAGE_SHIFT: u32 = 14;

/// A cached translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Page-table root of the address space.
    ttb: u64,
    /// Page number of the VA (`va >> 14`).
    vpn: u64,
    /// Physical address of the page.
    pub(crate) pa: u64,
    /// What the walking agent may do there.
    pub(crate) perm: Perm,
}

/// The TLB.
///
/// # Invariants
///
/// `entries.len() == SETS * WAYS`; set `s` is `entries[s * WAYS..(s + 1) * WAYS]`, and each
/// entry sits in the set of its `(ttb, vpn)`.
pub(crate) struct Tlb {
    entries: KVec<Option<Entry>>,
    /// Bumped by every invalidation.
    generation: u64,
    /// Round-robin victim counter.
    victim: usize,
}

fn set_of(ttb: u64, vpn: u64) -> usize {
    // CAST: only the low bits matter.
    ((vpn ^ (ttb >> PAGE_SHIFT)) as usize) % SETS
}

impl Tlb {
    /// An empty TLB (allocates its entries now, never later).
    pub(crate) fn new() -> Result<Self> {
        let mut entries = KVec::with_capacity(SETS * WAYS, GFP_KERNEL)?;
        for _ in 0..SETS * WAYS {
            entries.push(None, GFP_KERNEL)?;
        }
        Ok(Self {
            entries,
            generation: 0,
            victim: 0,
        })
    }

    fn set(&self, s: usize) -> &[Option<Entry>] {
        let start = s.saturating_mul(WAYS);
        self.entries
            .get(start..start.saturating_add(WAYS))
            .unwrap_or(&[])
    }

    fn set_mut(&mut self, s: usize) -> &mut [Option<Entry>] {
        let start = s.saturating_mul(WAYS);
        self.entries
            .get_mut(start..start.saturating_add(WAYS))
            .unwrap_or(&mut [])
    }

    /// The cached translation of `va` in `ttb`; on a miss, the generation to pass to
    /// [`Self::fill`] with the result of the walk.
    pub(crate) fn lookup(&self, ttb: u64, va: u64) -> Result<Entry, u64> {
        let vpn = va >> PAGE_SHIFT;
        self.set(set_of(ttb, vpn))
            .iter()
            .flatten()
            .find(|e| e.ttb == ttb && e.vpn == vpn)
            .copied()
            .ok_or(self.generation)
    }

    /// Caches `va` in `ttb` → the page at `pa` with `perm`, unless an invalidation came since
    /// the miss that returned `generation`. Evicts an entry if the set is full.
    pub(crate) fn fill(&mut self, generation: u64, ttb: u64, va: u64, pa: u64, perm: Perm) {
        if generation != self.generation {
            return;
        }
        let vpn = va >> PAGE_SHIFT;
        let entry = Entry {
            ttb,
            vpn,
            pa: pa & !((1u64 << PAGE_SHIFT) - 1),
            perm,
        };
        let victim = self.victim;
        self.victim = self.victim.wrapping_add(1);
        let set = self.set_mut(set_of(ttb, vpn));
        // The same page again (two walks raced), else a free way, else round robin.
        let way = set
            .iter()
            .position(|e| e.is_some_and(|e| e.ttb == ttb && e.vpn == vpn))
            .or_else(|| set.iter().position(Option::is_none))
            .unwrap_or(victim % WAYS);
        if let Some(slot) = set.get_mut(way) {
            *slot = Some(entry);
        }
    }

    /// Drops every entry of `ttb` whose page overlaps `[va, va + size)`.
    pub(crate) fn invalidate_range(&mut self, ttb: u64, va: u64, size: u64) {
        self.generation = self.generation.wrapping_add(1);
        if size == 0 {
            return;
        }
        let first = va >> PAGE_SHIFT;
        let last = va.saturating_add(size - 1) >> PAGE_SHIFT;
        let hit =
            |e: &Option<Entry>| e.is_some_and(|e| e.ttb == ttb && (first..=last).contains(&e.vpn));
        if last - first >= SETS as u64 {
            // Every set holds pages of the range: look at every entry once.
            for e in self.entries.iter_mut().filter(|e| hit(e)) {
                *e = None;
            }
        } else {
            for vpn in first..=last {
                for e in self.set_mut(set_of(ttb, vpn)).iter_mut().filter(|e| hit(e)) {
                    *e = None;
                }
            }
        }
    }

    /// Drops every entry of `ttb`.
    pub(crate) fn invalidate_all(&mut self, ttb: u64) {
        self.generation = self.generation.wrapping_add(1);
        for e in self
            .entries
            .iter_mut()
            .filter(|e| e.is_some_and(|e| e.ttb == ttb))
        {
            *e = None;
        }
    }

    /// Valid entries (for tests and the crash log).
    pub(crate) fn len(&self) -> usize {
        self.entries.iter().flatten().count()
    }
}

#[cfg(CONFIG_KUNIT)]
mod tests {
    use super::{Tlb, SETS, WAYS};
    use crate::fw::uat::Perm;
    use crate::kernel_ext::kunit::{expect_eq, expect_true, kunit_suite, Context};
    use kernel::prelude::*;

    const PAGE: u64 = 0x4000;
    const TTB: u64 = 0x8_0000_4000;
    const OTHER: u64 = 0x8_0001_0000;
    const VA: u64 = 1 << 36;

    /// Misses, then fills with the generation of the miss.
    fn fill(tlb: &mut Tlb, ttb: u64, va: u64, pa: u64) {
        if let Err(g) = tlb.lookup(ttb, va) {
            tlb.fill(g, ttb, va, pa, Perm::Rw);
        }
    }

    fn hits_after_fill(ctx: &mut Context) -> Result {
        let mut tlb = Tlb::new()?;
        expect_true!(ctx, tlb.lookup(TTB, VA).is_err());
        fill(&mut tlb, TTB, VA + 0x10, 0x1234_4000);
        let e = tlb.lookup(TTB, VA + 0x3ffc);
        expect_eq!(
            ctx,
            e.map(|e| (e.pa, e.perm)).ok(),
            Some((0x1234_4000, Perm::Rw))
        );
        // Keyed by address space and page.
        expect_true!(ctx, tlb.lookup(OTHER, VA).is_err());
        expect_true!(ctx, tlb.lookup(TTB, VA + PAGE).is_err());
        Ok(())
    }

    fn range_invalidation_is_exact(ctx: &mut Context) -> Result {
        let mut tlb = Tlb::new()?;
        for i in 0..8 {
            fill(&mut tlb, TTB, VA + i * PAGE, 0x1000_0000 + i * PAGE);
            fill(&mut tlb, OTHER, VA + i * PAGE, 0x2000_0000 + i * PAGE);
        }
        expect_eq!(ctx, tlb.len(), 16);
        // Pages 2..5 of TTB; a range ending inside page 5 covers it.
        tlb.invalidate_range(TTB, VA + 2 * PAGE, 3 * PAGE + 1);
        for i in 0..8 {
            let gone = (2..6).contains(&i);
            expect_eq!(
                ctx,
                tlb.lookup(TTB, VA + i * PAGE).is_err(),
                gone,
                "page {i}"
            );
            expect_true!(
                ctx,
                tlb.lookup(OTHER, VA + i * PAGE).is_ok(),
                "other page {i}"
            );
        }
        // A range covering more pages than there are sets scans every entry.
        tlb.invalidate_range(TTB, VA, (SETS as u64 + 10) * PAGE);
        expect_eq!(ctx, tlb.len(), 8);
        tlb.invalidate_range(OTHER, 0, u64::MAX);
        expect_eq!(ctx, tlb.len(), 0);
        Ok(())
    }

    fn invalidate_all_drops_one_space(ctx: &mut Context) -> Result {
        let mut tlb = Tlb::new()?;
        fill(&mut tlb, TTB, VA, 0x1000_0000);
        fill(&mut tlb, TTB, 0xffff_ffa0_0000_0000, 0x1000_4000);
        fill(&mut tlb, OTHER, VA, 0x2000_0000);
        tlb.invalidate_all(TTB);
        expect_true!(ctx, tlb.lookup(TTB, VA).is_err());
        expect_true!(ctx, tlb.lookup(TTB, 0xffff_ffa0_0000_0000).is_err());
        expect_true!(ctx, tlb.lookup(OTHER, VA).is_ok());
        Ok(())
    }

    fn stale_fill_is_dropped(ctx: &mut Context) -> Result {
        let mut tlb = Tlb::new()?;
        let g = tlb.lookup(TTB, VA).err().unwrap_or(u64::MAX);
        // The driver invalidates while the walk runs: the walk's result must not be cached.
        tlb.invalidate_range(TTB, VA, PAGE);
        tlb.fill(g, TTB, VA, 0x1000_0000, Perm::Rw);
        expect_true!(ctx, tlb.lookup(TTB, VA).is_err());
        Ok(())
    }

    fn full_set_evicts(ctx: &mut Context) -> Result {
        let mut tlb = Tlb::new()?;
        // Pages SETS apart share a set.
        let stride = SETS as u64 * PAGE;
        for i in 0..=WAYS as u64 {
            fill(&mut tlb, TTB, VA + i * stride, 0x1000_0000 + i * PAGE);
        }
        expect_eq!(ctx, tlb.len(), WAYS);
        let cached = (0..=WAYS as u64)
            .filter(|i| tlb.lookup(TTB, VA + i * stride).is_ok())
            .count();
        expect_eq!(ctx, cached, WAYS);
        expect_true!(ctx, tlb.lookup(TTB, VA + WAYS as u64 * stride).is_ok());
        Ok(())
    }

    kunit_suite!(
        asahi_vagx_tlb,
        [
            hits_after_fill,
            range_invalidation_is_exact,
            invalidate_all_drops_one_space,
            stale_fill_is_dropped,
            full_set_evicts,
        ]
    );
}
