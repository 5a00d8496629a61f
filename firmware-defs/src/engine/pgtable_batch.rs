//! Batches of page-table operations: what a batch needs and what it leaves behind.
//!
//! A bind of many operations must reserve, before its first change, every table its maps will
//! take, and no more: the tables of the *union* of its ranges (each table slot counted once,
//! and only if no table is there yet), not the sum of what each range would need alone. After
//! the batch, the tables its unmaps emptied go back to the caller, once each, however many of
//! the batch's ranges touched them.
//!
//! Both are kept in a [`SlotSet`], a bitmap of the half's table slots: one bit per mid table
//! (an entry of the root) and one per leaf table (an entry of a mid table), 16392 bits in all,
//! so a batch of any size costs one fixed-size set.
//!
//! - [`PageTable::plan_batch`] adds one map range to a set and returns how many tables the
//!   range adds to what the set's earlier ranges need; the sum over a batch is exactly what its
//!   maps take, provided no table is unlinked in between (the caller reclaims after the batch).
//! - [`PageTable::mark_unmapped`] records the slots an unmap range touched;
//!   [`PageTable::reclaim_marked`] then unlinks those of the marked tables that are empty,
//!   each leaf table before its mid table.
//! - [`PageTable::release_all`] unlinks every table (the page tables' own teardown).
//!
//! The TLB rule of the engine applies to what `reclaim_marked` and `release_all` hand back:
//! the caller invalidates (the UAT caches table entries too) before the tables are reused or
//! freed, and keeps them while a walker may still be reading them.

use super::uat::Level;
use super::walk::{table_is_empty, Node};
use super::{Error, PageTable, TableMemory, TablePhys, TABLE_ENTRIES};

/// Leaf-table slots in one half: one per mid-table entry of every used root entry.
const LEAF_SLOTS: usize = Level::Root.entries() * TABLE_ENTRIES;
/// 64-bit words of the leaf bitmap.
const LEAF_WORDS: usize = LEAF_SLOTS / 64;
/// Leaf slots (and bitmap words) under one root entry.
const SLOTS_PER_MID: usize = TABLE_ENTRIES;
const WORDS_PER_MID: usize = SLOTS_PER_MID / 64;

const _: () = assert!(Level::Root.entries() <= 64 && LEAF_SLOTS % 64 == 0);

/// A set of table slots of one half (see the module docs). All-zero is the empty set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotSet {
    /// Bit `ri`: the mid table of root entry `ri`.
    mids: u64,
    /// Bit `ri * 2048 + mi`: the leaf table of entry `mi` of that mid table.
    leaves: [u64; LEAF_WORDS],
}

impl Default for SlotSet {
    fn default() -> Self {
        Self::new()
    }
}

impl SlotSet {
    /// The empty set.
    pub const fn new() -> Self {
        Self {
            mids: 0,
            leaves: [0; LEAF_WORDS],
        }
    }

    /// Empties the set.
    pub fn clear(&mut self) {
        self.mids = 0;
        self.leaves = [0; LEAF_WORDS];
    }

    /// Marked slots, mid and leaf: at most how many tables [`PageTable::reclaim_marked`] may
    /// hand back for this set.
    pub fn len(&self) -> usize {
        // CAST: popcounts of at most 64 bits each, at most 16392 in all.
        self.mids.count_ones() as usize
            + self
                .leaves
                .iter()
                .map(|w| w.count_ones() as usize)
                .sum::<usize>()
    }

    /// `true` if nothing is marked.
    pub fn is_empty(&self) -> bool {
        self.mids == 0 && self.leaves.iter().all(|&w| w == 0)
    }

    /// Marks the mid table of root entry `ri`; `true` if it was not marked.
    fn mark_mid(&mut self, ri: usize) -> bool {
        let bit = 1u64 << ri;
        let new = self.mids & bit == 0;
        self.mids |= bit;
        new
    }

    /// Marks leaf slots `first..=last`; returns how many were not marked.
    fn mark_leaves(&mut self, first: usize, last: usize) -> usize {
        let mut added = 0;
        let mut slot = first;
        while slot <= last {
            let (w, b) = (slot / 64, slot % 64);
            // Bits b..=min(63, b + last - slot) of word w.
            let n = (64 - b).min(last - slot + 1);
            let mask = if n == 64 {
                u64::MAX
            } else {
                ((1u64 << n) - 1) << b
            };
            if let Some(word) = self.leaves.get_mut(w) {
                // CAST: a popcount of at most 64.
                added += (mask & !*word).count_ones() as usize;
                *word |= mask;
            }
            slot += n;
        }
        added
    }

    /// `true` if a leaf slot under root entry `ri` is marked.
    fn any_leaf_under(&self, ri: usize) -> bool {
        self.leaves
            .get(ri * WORDS_PER_MID..(ri + 1) * WORDS_PER_MID)
            .is_some_and(|ws| ws.iter().any(|&w| w != 0))
    }

    /// The marked leaf slots under root entry `ri`, as mid-table indices, in order.
    fn leaves_under(&self, ri: usize) -> impl Iterator<Item = usize> + '_ {
        let words = self
            .leaves
            .get(ri * WORDS_PER_MID..(ri + 1) * WORDS_PER_MID)
            .unwrap_or(&[]);
        words.iter().enumerate().flat_map(|(wi, &w)| {
            let mut rest = w;
            core::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                // CAST: below 64.
                let b = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                Some(wi * 64 + b)
            })
        })
    }
}

/// The leaf slot (index into the half's leaf slots) of per-half offset `off`.
const fn leaf_slot(off: u64) -> usize {
    // CAST: a per-half offset has 39 bits, so the slot is below 2^14.
    (off >> Level::Mid.shift()) as usize
}

/// The root index of per-half offset `off`.
const fn root_index(off: u64) -> usize {
    // CAST: below 8.
    (off >> Level::Root.shift()) as usize
}

impl PageTable {
    /// Adds a map of `pages` pages at `va` to the batch planned in `set`: returns the number
    /// of tables it needs beyond what is linked now and what the ranges already in `set` need.
    /// Reads table entries only; validates the range as [`map`](Self::map) does (leaves are
    /// not checked: the batch may unmap them first).
    ///
    /// The sum over a batch's map ranges, starting from an empty set, is the number of tables
    /// the batch's maps take, as long as no table is unlinked until they are done.
    ///
    /// # Errors
    ///
    /// As for [`tables_needed`](Self::tables_needed).
    pub fn plan_batch<M: TableMemory>(
        &self,
        mem: &M,
        set: &mut SlotSet,
        va: u64,
        pages: u64,
    ) -> Result<usize, Error<M::Error>> {
        let Some(span) = self.span(va, pages)? else {
            return Ok(0);
        };
        let mut needed = 0usize;
        let mut r = mem;
        self.visit_all(&mut r, span, true, |_, node, s| {
            match node {
                Node::Hole(Level::Root) => {
                    needed += usize::from(set.mark_mid(root_index(s.first)));
                    needed += set.mark_leaves(leaf_slot(s.first), leaf_slot(s.last));
                }
                Node::Hole(_) => {
                    needed += set.mark_leaves(leaf_slot(s.first), leaf_slot(s.first));
                }
                Node::Leaf(_) => {}
            }
            Ok(())
        })?;
        Ok(needed)
    }

    /// Records in `set` the tables an unmap of `pages` pages at `va` touched: the leaf tables
    /// covering the range and the mid tables above them, the candidates for
    /// [`reclaim_marked`](Self::reclaim_marked). Reads nothing.
    ///
    /// # Errors
    ///
    /// Range errors as for [`unmap`](Self::unmap).
    pub fn mark_unmapped<E>(&self, set: &mut SlotSet, va: u64, pages: u64) -> Result<(), Error<E>> {
        let Some(span) = self.span::<E>(va, pages)? else {
            return Ok(());
        };
        for ri in root_index(span.first)..=root_index(span.last) {
            set.mark_mid(ri);
        }
        set.mark_leaves(leaf_slot(span.first), leaf_slot(span.last));
        Ok(())
    }

    /// Unlinks every empty table marked in `set` (see [`mark_unmapped`](Self::mark_unmapped)):
    /// a marked leaf table if all its entries are zero, then a marked mid table if all its
    /// entries are zero (after its leaves went). Each is handed to `free` with its level and
    /// the first VA it translated, after its parent entry was cleared; the root is never freed.
    /// Returns the number of tables freed, at most `set.len()`.
    ///
    /// Each marked table is looked at once, so the cost is one scan per marked table that
    /// exists, however many ranges of a batch touched it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidEntry`] and [`Error::Memory`]; tables reported until then are unlinked
    /// (the caller's), the others stay linked.
    pub fn reclaim_marked<M: TableMemory>(
        &self,
        mem: &mut M,
        set: &SlotSet,
        mut free: impl FnMut(TablePhys, Level, u64),
    ) -> Result<usize, Error<M::Error>> {
        let mut freed = 0;
        for ri in 0..Level::Root.entries() {
            let mid_marked = set.mids & (1 << ri) != 0;
            if !mid_marked && !set.any_leaf_under(ri) {
                continue;
            }
            // CAST: `ri` is below 8.
            let rfirst = (ri as u64) << Level::Root.shift();
            let pte = mem.read_entry(self.root, ri).map_err(Error::Memory)?;
            let Some(mid) = self.next_table(pte, Level::Root, rfirst)? else {
                continue;
            };
            for mi in set.leaves_under(ri) {
                // CAST: `mi` is below 2048.
                let mfirst = rfirst | ((mi as u64) << Level::Mid.shift());
                let pte = mem.read_entry(mid, mi).map_err(Error::Memory)?;
                let Some(leaf) = self.next_table(pte, Level::Mid, mfirst)? else {
                    continue;
                };
                if table_is_empty(&*mem, leaf)? {
                    mem.write_entry(mid, mi, 0);
                    free(leaf, Level::Leaf, self.va(mfirst));
                    freed += 1;
                }
            }
            if mid_marked && table_is_empty(&*mem, mid)? {
                mem.write_entry(self.root, ri, 0);
                free(mid, Level::Mid, self.va(rfirst));
                freed += 1;
            }
        }
        Ok(freed)
    }

    /// Unlinks every table below the root, mapped pages or not, handing each to `free` after
    /// its parent entry was cleared (leaf tables before their mid table). Returns the number of
    /// tables freed. For tearing a page table down; invalid entries are left alone.
    ///
    /// # Errors
    ///
    /// [`Error::Memory`]; the tables reported until then are the caller's.
    pub fn release_all<M: TableMemory>(
        &self,
        mem: &mut M,
        mut free: impl FnMut(TablePhys, Level),
    ) -> Result<usize, Error<M::Error>> {
        let mut freed = 0;
        for ri in 0..Level::Root.entries() {
            let pte = mem.read_entry(self.root, ri).map_err(Error::Memory)?;
            let Ok(Some(mid)) = self.next_table::<M::Error>(pte, Level::Root, 0) else {
                continue;
            };
            for mi in 0..TABLE_ENTRIES {
                let pte = mem.read_entry(mid, mi).map_err(Error::Memory)?;
                if let Ok(Some(leaf)) = self.next_table::<M::Error>(pte, Level::Mid, 0) {
                    mem.write_entry(mid, mi, 0);
                    free(leaf, Level::Leaf);
                    freed += 1;
                }
            }
            mem.write_entry(self.root, ri, 0);
            free(mid, Level::Mid);
            freed += 1;
        }
        Ok(freed)
    }
}

#[cfg(test)]
#[path = "pgtable_batch_tests.rs"]
mod tests;
