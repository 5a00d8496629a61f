//! The operations that write a page table: map, populate, unmap, re-protect and reclaim.
//!
//! Each first validates the whole request with reads only (a `plan` pass over the walker of
//! `walk`, and a check of the [`TableSource`] with `reserve`) and only then writes (`link` and
//! `apply`), so that a failure leaves the tables and the source untouched (see "All or nothing"
//! in the parent module).

use super::uat::{self, Level, Prot, PAGE_MASK, PAGE_SIZE};
use super::walk::{table_is_empty, Node, Reader, Span};
use super::{Error, PageTable, TableMemory, TablePhys, TableSource};

/// Number of leaf tables a span touches.
fn leaf_tables_in(span: Span) -> usize {
    let shift = Level::Mid.shift();
    // CAST: a span lies within one half, so the count is at most 2^14.
    ((span.last >> shift) - (span.first >> shift) + 1) as usize
}

impl PageTable {
    /// Checks one leaf physical address.
    fn check_pa<E>(&self, pa: u64) -> Result<(), Error<E>> {
        if pa & PAGE_MASK != 0 {
            Err(Error::PaMisaligned { pa })
        } else if pa >> self.oas != 0 {
            Err(Error::PaOutOfRange { pa })
        } else {
            Ok(())
        }
    }

    /// Validation pass of a map: counts the tables a map of `span` would add, checking the
    /// table entries on the way and, with `check_leaves`, that every leaf of `span` is empty.
    fn plan<M: TableMemory>(
        &self,
        mem: &M,
        span: Span,
        check_leaves: bool,
    ) -> Result<usize, Error<M::Error>> {
        let mut needed = 0usize;
        let mut r = mem;
        self.visit_all(&mut r, span, true, |r, node, s| {
            match node {
                Node::Hole(Level::Root) => needed += 1 + leaf_tables_in(s),
                Node::Hole(_) => needed += 1,
                Node::Leaf(leaf) if check_leaves => {
                    for li in s.leaf_indices() {
                        let pte = r.read(leaf, li)?;
                        let va = self.leaf_va(s, li);
                        if uat::is_valid(pte) {
                            return Err(Error::AlreadyMapped { va });
                        } else if pte != 0 {
                            return Err(Error::InvalidEntry {
                                level: Level::Leaf,
                                va,
                                pte,
                            });
                        }
                    }
                }
                Node::Leaf(_) => {}
            }
            Ok(())
        })?;
        Ok(needed)
    }

    /// Fails with [`Error::NeedTables`] unless `src` holds `needed` tables.
    fn reserve<E, S: TableSource + ?Sized>(src: &S, needed: usize) -> Result<(), Error<E>> {
        let available = src.remaining();
        if needed > available {
            Err(Error::NeedTables { needed, available })
        } else {
            Ok(())
        }
    }

    /// Returns the table linked from entry `index` of `parent`, first linking a new (cleared)
    /// one from `src` if the entry is empty.
    fn link<M: TableMemory, S: TableSource + ?Sized>(
        &self,
        mem: &mut M,
        src: &mut S,
        parent: TablePhys,
        index: usize,
        level: Level,
        off: u64,
    ) -> Result<TablePhys, Error<M::Error>> {
        let pte = mem.read_entry(parent, index).map_err(Error::Memory)?;
        if let Some(table) = self.next_table(pte, level, off)? {
            return Ok(table);
        }
        let table = src.take().ok_or(Error::Inconsistent)?;
        let entry = match uat::encode_table(table.addr()) {
            Ok(entry) if table.addr() >> self.oas == 0 => entry,
            _ => return Err(Error::Inconsistent),
        };
        mem.clear_table(table);
        mem.write_entry(parent, index, entry);
        Ok(table)
    }

    /// Write pass of a map or populate: links the missing tables of `span` and, if `leaves` is
    /// given, writes one leaf per page from its physical addresses.
    fn apply<M, S, I>(
        &self,
        mem: &mut M,
        src: &mut S,
        span: Span,
        mut leaves: Option<(I, Prot)>,
    ) -> Result<(), Error<M::Error>>
    where
        M: TableMemory,
        S: TableSource + ?Sized,
        I: Iterator<Item = u64>,
    {
        for (ri, rspan) in span.chunks(Level::Root) {
            let mid = self.link(mem, src, self.root, ri, Level::Root, rspan.first)?;
            for (mi, mspan) in rspan.chunks(Level::Mid) {
                let leaf = self.link(mem, src, mid, mi, Level::Mid, mspan.first)?;
                let Some((pas, prot)) = leaves.as_mut() else {
                    continue;
                };
                for li in mspan.leaf_indices() {
                    let pa = pas.next().ok_or(Error::Inconsistent)?;
                    if pa >> self.oas != 0 {
                        return Err(Error::Inconsistent);
                    }
                    let pte =
                        uat::encode_page(pa, *prot, self.scope).map_err(|_| Error::Inconsistent)?;
                    mem.write_entry(leaf, li, pte);
                }
            }
        }
        Ok(())
    }

    /// Number of tables a map of `pages` pages at `va` would take from its [`TableSource`] now.
    ///
    /// # Errors
    ///
    /// Range errors as for [`map`](Self::map), [`Error::InvalidEntry`] for a corrupt table
    /// entry on the way, and [`Error::Memory`].
    pub fn tables_needed<M: TableMemory>(
        &self,
        mem: &M,
        va: u64,
        pages: u64,
    ) -> Result<usize, Error<M::Error>> {
        match self.span(va, pages)? {
            Some(span) => self.plan(mem, span, false),
            None => Ok(0),
        }
    }

    /// Links all the tables needed to map `pages` pages at `va`, without mapping any page
    /// (downstream `alloc_pages`, used to preallocate the kernel half). Returns the number of
    /// tables taken from `src`; all or nothing.
    ///
    /// # Errors
    ///
    /// As for [`tables_needed`](Self::tables_needed), plus [`Error::NeedTables`].
    pub fn populate<M, S>(
        &self,
        mem: &mut M,
        src: &mut S,
        va: u64,
        pages: u64,
    ) -> Result<usize, Error<M::Error>>
    where
        M: TableMemory,
        S: TableSource + ?Sized,
    {
        let Some(span) = self.span(va, pages)? else {
            return Ok(0);
        };
        let needed = self.plan(&*mem, span, false)?;
        Self::reserve(src, needed)?;
        self.apply(mem, src, span, None::<(core::iter::Empty<u64>, Prot)>)?;
        Ok(needed)
    }

    /// Maps `pages` pages at `va` to the physically contiguous range at `pa`. Returns the number
    /// of tables taken from `src`; all or nothing.
    ///
    /// # Errors
    ///
    /// - [`Error::Misaligned`], [`Error::Overflow`], [`Error::OutOfRange`] for a bad VA range
    ///   (it must lie wholly in this table's half);
    /// - [`Error::PaMisaligned`], [`Error::PaOutOfRange`] for a bad physical range;
    /// - [`Error::AlreadyMapped`] if a page of the range is mapped;
    /// - [`Error::InvalidEntry`] for a corrupt entry on the way;
    /// - [`Error::NeedTables`] if `src` holds too few tables;
    /// - [`Error::Memory`], and [`Error::Inconsistent`] on a broken contract.
    pub fn map<M, S>(
        &self,
        mem: &mut M,
        src: &mut S,
        va: u64,
        pages: u64,
        pa: u64,
        prot: Prot,
    ) -> Result<usize, Error<M::Error>>
    where
        M: TableMemory,
        S: TableSource + ?Sized,
    {
        // VA errors first, then the physical range as a whole.
        self.span::<M::Error>(va, pages)?;
        self.check_pa(pa)?;
        match pages
            .checked_mul(PAGE_SIZE)
            .and_then(|size| pa.checked_add(size.saturating_sub(1)))
        {
            Some(last) if last >> self.oas == 0 => {}
            _ => return Err(Error::PaOutOfRange { pa }),
        }
        self.map_pages(
            mem,
            src,
            va,
            pages,
            prot,
            (0..pages).map(move |i| pa + i * PAGE_SIZE),
        )
    }

    /// Maps `pages` pages at `va` all to the one physical page at `pa` (the uAPI's
    /// single-page binds). All or nothing; errors as for [`map`](Self::map).
    pub fn map_repeat<M, S>(
        &self,
        mem: &mut M,
        src: &mut S,
        va: u64,
        pages: u64,
        pa: u64,
        prot: Prot,
    ) -> Result<usize, Error<M::Error>>
    where
        M: TableMemory,
        S: TableSource + ?Sized,
    {
        self.map_pages(mem, src, va, pages, prot, (0..pages).map(move |_| pa))
    }

    /// Maps `pages` pages at `va` to the physical pages yielded by `pas`, one per page (a GEM
    /// object's scatter list split into 16 KiB pages). Returns the number of tables taken from
    /// `src`; all or nothing.
    ///
    /// `pas` is iterated twice (a clone validates every address before anything is written),
    /// so it must yield the same addresses each time.
    ///
    /// # Errors
    ///
    /// As for [`map`](Self::map), plus [`Error::PageCount`] if `pas` does not yield exactly
    /// `pages` addresses.
    pub fn map_pages<M, S, I>(
        &self,
        mem: &mut M,
        src: &mut S,
        va: u64,
        pages: u64,
        prot: Prot,
        pas: I,
    ) -> Result<usize, Error<M::Error>>
    where
        M: TableMemory,
        S: TableSource + ?Sized,
        I: IntoIterator<Item = u64>,
        I::IntoIter: Clone,
    {
        let span = self.span(va, pages)?;
        let pas = pas.into_iter();
        let mut count = 0u64;
        for pa in pas.clone() {
            if count == pages {
                return Err(Error::PageCount { expected: pages });
            }
            self.check_pa(pa)?;
            count += 1;
        }
        if count != pages {
            return Err(Error::PageCount { expected: pages });
        }
        let Some(span) = span else {
            return Ok(0);
        };
        let needed = self.plan(&*mem, span, true)?;
        Self::reserve(src, needed)?;
        self.apply(mem, src, span, Some((pas, prot)))?;
        Ok(needed)
    }

    /// Unmaps `pages` pages at `va`; pages that are not mapped (holes) are fine. Returns the
    /// number of pages that were mapped. Tables are kept (see [`reclaim`](Self::reclaim)).
    ///
    /// The caller must invalidate the TLB for the range before reusing the unmapped pages.
    ///
    /// # Errors
    ///
    /// Range errors as for [`map`](Self::map), [`Error::InvalidEntry`] for a corrupt table
    /// entry, and [`Error::Memory`]; nothing is changed then.
    pub fn unmap<M: TableMemory>(
        &self,
        mem: &mut M,
        va: u64,
        pages: u64,
    ) -> Result<u64, Error<M::Error>> {
        let Some(span) = self.span(va, pages)? else {
            return Ok(0);
        };
        let mut mapped = 0u64;
        let mut r = &*mem;
        self.visit_all(&mut r, span, true, |r, node, s| {
            if let Node::Leaf(leaf) = node {
                for li in s.leaf_indices() {
                    if uat::is_valid(r.read(leaf, li)?) {
                        mapped += 1;
                    }
                }
            }
            Ok(())
        })?;
        let mut w = mem;
        self.visit_all(&mut w, span, true, |w, node, s| {
            if let Node::Leaf(leaf) = node {
                for li in s.leaf_indices() {
                    if w.read(leaf, li)? != 0 {
                        w.write_entry(leaf, li, 0);
                    }
                }
            }
            Ok(())
        })?;
        Ok(mapped)
    }

    /// Replaces the protection of `pages` mapped pages at `va`, keeping their addresses and
    /// scope (downstream `reprot_pages`, used to remap cached firmware memory uncached before
    /// unmapping it). All or nothing.
    ///
    /// # Errors
    ///
    /// Range errors as for [`map`](Self::map), [`Error::NotMapped`] if a page of the range is
    /// not mapped, [`Error::InvalidEntry`] and [`Error::Memory`].
    pub fn reprotect<M: TableMemory>(
        &self,
        mem: &mut M,
        va: u64,
        pages: u64,
        prot: Prot,
    ) -> Result<(), Error<M::Error>> {
        let Some(span) = self.span(va, pages)? else {
            return Ok(());
        };
        let mut r = &*mem;
        self.visit_all(&mut r, span, true, |r, node, s| {
            let Node::Leaf(leaf) = node else {
                return Err(Error::NotMapped {
                    va: self.va(s.first),
                });
            };
            for li in s.leaf_indices() {
                if !uat::is_valid(r.read(leaf, li)?) {
                    return Err(Error::NotMapped {
                        va: self.leaf_va(s, li),
                    });
                }
            }
            Ok(())
        })?;
        let mut w = mem;
        self.visit_all(&mut w, span, true, |w, node, s| {
            let Node::Leaf(leaf) = node else {
                return Err(Error::Inconsistent);
            };
            for li in s.leaf_indices() {
                let pte = w.read(leaf, li)?;
                w.write_entry(leaf, li, uat::reprotect(pte, prot));
            }
            Ok(())
        })?;
        Ok(())
    }

    /// Unlinks every empty (all-zero) leaf and mid table whose span intersects `pages` pages at
    /// `va`, and hands each to `free` with its level (`Leaf` for an L3 table, `Mid` for an L2
    /// table) after its parent entry has been cleared. The root is never freed. Returns the
    /// number of tables freed.
    ///
    /// The caller must invalidate the TLB (including cached table entries) for the range before
    /// the freed tables are reused, so `free` should queue them rather than free them at once.
    /// Each table is unlinked completely before it is reported, so on an error the tables
    /// reported so far are still the caller's and the rest remain linked.
    ///
    /// # Errors
    ///
    /// Range errors as for [`map`](Self::map), [`Error::InvalidEntry`] and [`Error::Memory`].
    pub fn reclaim<M: TableMemory>(
        &self,
        mem: &mut M,
        va: u64,
        pages: u64,
        mut free: impl FnMut(TablePhys, Level),
    ) -> Result<usize, Error<M::Error>> {
        let Some(span) = self.span(va, pages)? else {
            return Ok(0);
        };
        let mut freed = 0;
        for (ri, rspan) in span.chunks(Level::Root) {
            let pte = mem.read_entry(self.root, ri).map_err(Error::Memory)?;
            let Some(mid) = self.next_table(pte, Level::Root, rspan.first)? else {
                continue;
            };
            for (mi, mspan) in rspan.chunks(Level::Mid) {
                let pte = mem.read_entry(mid, mi).map_err(Error::Memory)?;
                let Some(leaf) = self.next_table(pte, Level::Mid, mspan.first)? else {
                    continue;
                };
                if table_is_empty(&*mem, leaf)? {
                    mem.write_entry(mid, mi, 0);
                    free(leaf, Level::Leaf);
                    freed += 1;
                }
            }
            if table_is_empty(&*mem, mid)? {
                mem.write_entry(self.root, ri, 0);
                free(mid, Level::Mid);
                freed += 1;
            }
        }
        Ok(freed)
    }

    /// [`unmap`](Self::unmap) followed by [`reclaim`](Self::reclaim) over the same range.
    /// Returns the number of pages that were mapped and the number of tables freed.
    ///
    /// # Errors
    ///
    /// As for [`unmap`](Self::unmap) and [`reclaim`](Self::reclaim).
    pub fn unmap_and_reclaim<M: TableMemory>(
        &self,
        mem: &mut M,
        va: u64,
        pages: u64,
        free: impl FnMut(TablePhys, Level),
    ) -> Result<(u64, usize), Error<M::Error>> {
        let unmapped = self.unmap(mem, va, pages)?;
        let freed = self.reclaim(mem, va, pages, free)?;
        Ok((unmapped, freed))
    }
}
