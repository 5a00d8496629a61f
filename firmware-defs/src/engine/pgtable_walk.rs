//! The page-table walker and the read-only queries.
//!
//! A request's VA range becomes a `Span` of per-half offsets, which `Chunks` splits at the entry
//! boundaries of a level; `PageTable::visit` walks the root and mid entries of a span in VA
//! order and hands each mid-level chunk, as a leaf table or a hole (`Node`), to a callback.
//! The operations of `map` and `batch` are built on these, and so are the queries here that
//! only read the tables: [`PageTable::translate`] (a walk as the UAT does it),
//! [`PageTable::for_each_leaf`], [`PageTable::stats`] and [`PageTable::count_tables`].

use core::ops::ControlFlow;
use core::ops::RangeInclusive;

use super::uat::{self, Level, PAGE_MASK, PAGE_SHIFT, PAGE_SIZE};
use super::{
    Error, Fault, FaultKind, PageTable, TableMemory, TablePhys, TableStats, Translation, WalkError,
    TABLE_ENTRIES,
};

/// An inclusive range of per-half VA offsets (below `2^39`), never empty.
#[derive(Clone, Copy, Debug)]
pub(super) struct Span {
    pub(super) first: u64,
    pub(super) last: u64,
}

impl Span {
    /// Splits the span at `level`'s entry boundaries.
    pub(super) fn chunks(self, level: Level) -> Chunks {
        Chunks {
            next: Some(self.first),
            last: self.last,
            level,
        }
    }

    /// The leaf-table indices of a span that lies within one leaf table.
    pub(super) fn leaf_indices(self) -> RangeInclusive<usize> {
        uat::index(self.first, Level::Leaf)..=uat::index(self.last, Level::Leaf)
    }
}

/// Iterator over `(index, sub-span)` of the entries of one level that a span touches.
pub(super) struct Chunks {
    next: Option<u64>,
    last: u64,
    level: Level,
}

impl Iterator for Chunks {
    type Item = (usize, Span);

    fn next(&mut self) -> Option<(usize, Span)> {
        let first = self.next?;
        let last = (first | (self.level.entry_span() - 1)).min(self.last);
        self.next = if last < self.last {
            Some(last + 1)
        } else {
            None
        };
        Some((uat::index(first, self.level), Span { first, last }))
    }
}

/// Read access to table memory, through a shared or an exclusive reference.
pub(super) trait Reader {
    type MemError;

    fn read(&self, table: TablePhys, index: usize) -> Result<u64, Error<Self::MemError>>;
}

impl<M: TableMemory + ?Sized> Reader for &M {
    type MemError = M::Error;

    fn read(&self, table: TablePhys, index: usize) -> Result<u64, Error<M::Error>> {
        self.read_entry(table, index).map_err(Error::Memory)
    }
}

impl<M: TableMemory + ?Sized> Reader for &mut M {
    type MemError = M::Error;

    fn read(&self, table: TablePhys, index: usize) -> Result<u64, Error<M::Error>> {
        self.read_entry(table, index).map_err(Error::Memory)
    }
}

/// `true` if every entry of `table` is zero.
pub(super) fn table_is_empty<M: TableMemory + ?Sized>(
    mem: &M,
    table: TablePhys,
) -> Result<bool, Error<M::Error>> {
    for index in 0..TABLE_ENTRIES {
        if mem.read_entry(table, index).map_err(Error::Memory)? != 0 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// What a mid-level chunk of a span is translated through, as seen by `PageTable::visit`.
#[derive(Clone, Copy, Debug)]
pub(super) enum Node {
    /// The leaf table covering the chunk.
    Leaf(TablePhys),
    /// The entry at this level is empty (or invalid, when not strict): at `Root` the chunk is
    /// the whole sub-span of the root entry, at `Mid` a part of one leaf table's span.
    Hole(Level),
}

impl PageTable {
    /// The VA of a per-half offset.
    pub(super) const fn va(&self, off: u64) -> u64 {
        self.base() | off
    }

    /// Validates `pages` pages from `va`; `None` for an empty range.
    pub(super) fn span<E>(&self, va: u64, pages: u64) -> Result<Option<Span>, Error<E>> {
        if va & PAGE_MASK != 0 {
            return Err(Error::Misaligned { va });
        }
        if pages == 0 {
            return Ok(None);
        }
        let last = pages
            .checked_mul(PAGE_SIZE)
            .and_then(|size| va.checked_add(size - 1))
            .ok_or(Error::Overflow { va, pages })?;
        let base = self.base();
        if va < base || last - base > uat::VA_MASK {
            return Err(Error::OutOfRange { va, pages });
        }
        Ok(Some(Span {
            first: va - base,
            last: last - base,
        }))
    }

    /// Decodes a table entry of `level` translating offset `off`: `None` if empty.
    pub(super) fn next_table<E>(
        &self,
        pte: u64,
        level: Level,
        off: u64,
    ) -> Result<Option<TablePhys>, Error<E>> {
        if pte == 0 {
            Ok(None)
        } else if uat::is_valid(pte) {
            // INVARIANT: `oa_mask` clears the page offset and every bit from `oas <= 48` up.
            Ok(Some(TablePhys(pte & uat::oa_mask(self.oas))))
        } else {
            Err(Error::InvalidEntry {
                level,
                va: self.va(off),
                pte,
            })
        }
    }

    /// Decodes a table entry, treating invalid entries as holes unless `strict`.
    fn table_or_hole<E>(
        &self,
        pte: u64,
        level: Level,
        off: u64,
        strict: bool,
    ) -> Result<Option<TablePhys>, Error<E>> {
        match self.next_table(pte, level, off) {
            Err(_) if !strict => Ok(None),
            r => r,
        }
    }

    /// VA of entry `li` of the leaf table whose span contains offset span `s`.
    pub(super) fn leaf_va(&self, s: Span, li: usize) -> u64 {
        // CAST: `li` is a table index, below 2048.
        self.va((s.first & !(Level::Mid.entry_span() - 1)) | ((li as u64) << PAGE_SHIFT))
    }

    /// Calls `f` for each mid-level chunk of `span` in VA order, skipping empty subtrees: a
    /// hole at the root level is reported once with its whole sub-span. Reads only the root
    /// and mid entries of `span`; `f` decides what to do with leaf tables.
    ///
    /// With `strict`, invalid table entries are errors; otherwise they count as holes.
    pub(super) fn visit<R: Reader, B>(
        &self,
        mem: &mut R,
        span: Span,
        strict: bool,
        mut f: impl FnMut(&mut R, Node, Span) -> Result<ControlFlow<B>, Error<R::MemError>>,
    ) -> Result<ControlFlow<B>, Error<R::MemError>> {
        for (ri, rspan) in span.chunks(Level::Root) {
            let pte = mem.read(self.root, ri)?;
            let Some(mid) = self.table_or_hole(pte, Level::Root, rspan.first, strict)? else {
                if let ControlFlow::Break(b) = f(mem, Node::Hole(Level::Root), rspan)? {
                    return Ok(ControlFlow::Break(b));
                }
                continue;
            };
            for (mi, mspan) in rspan.chunks(Level::Mid) {
                let pte = mem.read(mid, mi)?;
                let node = match self.table_or_hole(pte, Level::Mid, mspan.first, strict)? {
                    Some(leaf) => Node::Leaf(leaf),
                    None => Node::Hole(Level::Mid),
                };
                if let ControlFlow::Break(b) = f(mem, node, mspan)? {
                    return Ok(ControlFlow::Break(b));
                }
            }
        }
        Ok(ControlFlow::Continue(()))
    }

    /// [`visit`](Self::visit) for callbacks that never break.
    pub(super) fn visit_all<R: Reader>(
        &self,
        mem: &mut R,
        span: Span,
        strict: bool,
        mut f: impl FnMut(&mut R, Node, Span) -> Result<(), Error<R::MemError>>,
    ) -> Result<(), Error<R::MemError>> {
        let flow =
            self.visit::<R, core::convert::Infallible>(mem, span, strict, |r, node, s| {
                f(r, node, s).map(ControlFlow::Continue)
            })?;
        match flow {
            ControlFlow::Continue(()) => Ok(()),
            ControlFlow::Break(never) => match never {},
        }
    }

    /// Translates `va` by walking the tables, as the UAT does.
    ///
    /// # Errors
    ///
    /// [`WalkError::Fault`] gives the level and entry where the walk stopped;
    /// [`WalkError::Memory`] the level of an unreadable table; [`WalkError::OutOfRange`] a VA
    /// outside this table's half.
    pub fn translate<M: TableMemory>(
        &self,
        mem: &M,
        va: u64,
    ) -> Result<Translation, WalkError<M::Error>> {
        if uat::half(va) != Some(self.half) {
            return Err(WalkError::OutOfRange { va });
        }
        let mask = uat::oa_mask(self.oas);
        let entry = |table: TablePhys, level: Level| {
            let pte = mem
                .read_entry(table, uat::index(va, level))
                .map_err(|error| WalkError::Memory { level, error })?;
            let fault = |kind| {
                WalkError::Fault(Fault {
                    va,
                    level,
                    pte,
                    kind,
                })
            };
            if pte == 0 {
                Err(fault(FaultKind::Unmapped))
            } else if !uat::is_valid(pte) {
                Err(fault(FaultKind::Invalid))
            } else {
                Ok((pte, fault(FaultKind::Invalid)))
            }
        };
        // INVARIANT: `oa_mask` clears the page offset and every bit from `oas <= 48` up.
        let mid = TablePhys(entry(self.root, Level::Root)?.0 & mask);
        let leaf = TablePhys(entry(mid, Level::Mid)?.0 & mask);
        let (pte, invalid) = entry(leaf, Level::Leaf)?;
        // `decode_page` only fails for an invalid entry, which `entry` has ruled out.
        let page = uat::decode_page(pte, self.oas).ok_or(invalid)?;
        Ok(Translation {
            va,
            pa: page.pa | (va & PAGE_MASK),
            pte,
            page,
        })
    }

    /// Calls `f(va, pte)` for every valid leaf in `pages` pages at `va`, in VA order, until `f`
    /// breaks. Empty subtrees are skipped, so the cost is linear in the number of populated
    /// tables the range touches; invalid entries are skipped. `(self.base(), HALF_PAGES)` covers
    /// the whole half (the crash dump's enumeration of the kernel half).
    ///
    /// # Errors
    ///
    /// Range errors as for [`map`](Self::map), and [`Error::Memory`].
    pub fn for_each_leaf<M: TableMemory, B>(
        &self,
        mem: &M,
        va: u64,
        pages: u64,
        mut f: impl FnMut(u64, u64) -> ControlFlow<B>,
    ) -> Result<ControlFlow<B>, Error<M::Error>> {
        let Some(span) = self.span(va, pages)? else {
            return Ok(ControlFlow::Continue(()));
        };
        let mut r = mem;
        self.visit(&mut r, span, false, |r, node, s| {
            if let Node::Leaf(leaf) = node {
                for li in s.leaf_indices() {
                    let pte = r.read(leaf, li)?;
                    if uat::is_valid(pte) {
                        if let ControlFlow::Break(b) = f(self.leaf_va(s, li), pte) {
                            return Ok(ControlFlow::Break(b));
                        }
                    }
                }
            }
            Ok(ControlFlow::Continue(()))
        })
    }

    /// Counts the tables and mapped pages of the whole half (invalid entries are skipped).
    ///
    /// # Errors
    ///
    /// [`Error::Memory`].
    pub fn stats<M: TableMemory>(&self, mem: &M) -> Result<TableStats, Error<M::Error>> {
        let mut stats = TableStats::default();
        for ri in 0..Level::Root.entries() {
            let pte = mem.read_entry(self.root, ri).map_err(Error::Memory)?;
            if uat::is_valid(pte) {
                stats.mid_tables += 1;
            }
        }
        let all = Span {
            first: 0,
            last: uat::VA_MASK,
        };
        let mut r = mem;
        self.visit_all(&mut r, all, false, |r, node, s| {
            if let Node::Leaf(leaf) = node {
                stats.leaf_tables += 1;
                for li in s.leaf_indices() {
                    if uat::is_valid(r.read(leaf, li)?) {
                        stats.leaves += 1;
                    }
                }
            }
            Ok(())
        })?;
        Ok(stats)
    }

    /// All tables of the half, including the root: `stats(mem)?.tables()`.
    ///
    /// # Errors
    ///
    /// [`Error::Memory`].
    pub fn count_tables<M: TableMemory>(&self, mem: &M) -> Result<usize, Error<M::Error>> {
        Ok(self.stats(mem)?.tables())
    }
}

#[cfg(test)]
#[path = "pgtable_walk_tests.rs"]
mod tests;
