//! A pure UAT page-table engine: map, unmap, re-protect, reclaim, walk and enumerate.
//!
//! The engine works on one half (TTBR0 or TTBR1) of a UAT address space, described by a
//! [`PageTable`]. It never allocates and never touches memory itself: table entries are read and
//! written through a caller-provided [`TableMemory`], and new tables come from a caller-provided
//! [`TableSource`]. The same code therefore serves the kernel driver (GPU VMs and the kernel
//! half), the virtual AGX (which translates GPU VAs with [`PageTable::translate`]), the crash
//! dump (which enumerates leaves with [`PageTable::for_each_leaf`]) and host tests.
//!
//! # Geometry
//!
//! A table is one 16 KiB page of 2048 eight-byte entries; each level translates 11 VA bits, and
//! three levels plus the 14-bit page offset cover the 39-bit half. The root level is therefore
//! only partially used: VA bits \[38:36\] select one of its first 8 entries.
//!
//! | level ([`Level`]) | downstream level | VA bits | one entry covers |
//! |---|---|---|---|
//! | `Root` (L1) | 2 (the TTB) | \[38:36\] | 64 GiB (a mid table) |
//! | `Mid` (L2) | 1 | \[35:25\] | 32 MiB (a leaf table) |
//! | `Leaf` (L3) | 0 | \[24:14\] | one 16 KiB page |
//!
//! Source: downstream `pgtable.rs` (herrnst/linux-asahi commit 06a37694): `UAT_PGBIT = 14`,
//! `UAT_LVBIT = UAT_PGBIT - PTE_BIT = 11`, `UAT_LEVELS = 3`, `UAT_IAS = 39`; its `with_pages`
//! masks the IOVA with `UAT_IASMSK` before indexing from the TTB, so both halves index the same
//! way from their own root. Table and leaf entries both use type `3` (there are no block
//! entries), and any other type is invalid.
//!
//! # Entry states
//!
//! An entry is *empty* (zero), *valid* (type field 3) or *invalid* (non-zero with another type,
//! which the driver never writes). Operations that modify the table refuse to build on invalid
//! table entries ([`Error::InvalidEntry`]); read-only enumeration skips them; a walk reports them
//! as [`FaultKind::Invalid`].
//!
//! # All or nothing
//!
//! [`PageTable::map`] and its variants, [`PageTable::populate`], [`PageTable::unmap`] and
//! [`PageTable::reprotect`] first validate the whole request (alignment, ranges, physical
//! addresses, existing entries, and the number of tables needed) with reads only, and fail
//! before writing anything. In particular a map that needs more tables than the source holds
//! returns [`Error::NeedTables`] with the table memory and the source untouched, so the caller
//! can allocate more (outside its lock, say) and retry. This relies on the contracts of
//! [`TableMemory`] and [`TableSource`]; if they are broken, [`Error::Inconsistent`] is returned
//! and the operation may be partly applied.
//!
//! # Ordering and TLBs
//!
//! The engine writes a new table's zeroed contents ([`TableMemory::clear_table`]) before linking
//! it into its parent, and unlinks a table from its parent before handing it back for freeing.
//! Memory barriers and TLB invalidation are the caller's job: after an unmap or reclaim the
//! caller must invalidate the TLB (the UAT also caches table entries) before the unmapped pages
//! or the reclaimed tables are reused. Callers serialise operations on one [`PageTable`] (the
//! engine has no locking); a concurrent walker such as the GPU or the virtual AGX may read at
//! any time, so [`TableMemory`] implementations on shared memory use atomic or volatile accesses.

use core::ops::ControlFlow;
use core::ops::RangeInclusive;

use super::uat::{self, Half, Level, PageEntry, Prot, Scope, PAGE_MASK, PAGE_SHIFT, PAGE_SIZE};

#[path = "pgtable_batch.rs"]
mod batch;
pub use batch::SlotSet;

/// Entries per table.
pub const TABLE_ENTRIES: usize = uat::ENTRIES_PER_TABLE;
/// Pages in one 39-bit half; `(base, HALF_PAGES)` names the whole half.
pub const HALF_PAGES: u64 = 1 << (uat::VA_BITS - PAGE_SHIFT);

/// Physical address of a page table.
///
/// # Invariants
///
/// The address is 16 KiB aligned and below `2^48` ([`uat::MAX_OAS`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TablePhys(u64);

impl TablePhys {
    /// Wraps a table address; `None` if it is misaligned or does not fit in a PTE.
    pub const fn new(pa: u64) -> Option<Self> {
        if pa & PAGE_MASK != 0 || pa >> uat::MAX_OAS != 0 {
            None
        } else {
            // INVARIANT: checked just above.
            Some(Self(pa))
        }
    }

    /// The physical address.
    pub const fn addr(self) -> u64 {
        self.0
    }
}

/// Access to page-table memory, implemented by the caller.
///
/// Contract, relied on for all-or-nothing updates:
///
/// - A read that succeeded once during an operation succeeds again (returning what was last
///   written) for the rest of that operation.
/// - Every table handed out by the [`TableSource`] of an operation can be written.
pub trait TableMemory {
    /// Why a table could not be read (for example, an address outside RAM).
    type Error;

    /// Reads entry `index` (below [`TABLE_ENTRIES`]) of `table`.
    fn read_entry(&self, table: TablePhys, index: usize) -> Result<u64, Self::Error>;

    /// Writes entry `index` (below [`TABLE_ENTRIES`]) of `table`.
    fn write_entry(&mut self, table: TablePhys, index: usize, value: u64);

    /// Zeroes every entry of a new table before the engine links it into its parent.
    ///
    /// The default writes all entries; an implementation whose tables are known to be zeroed
    /// already (allocated with `__GFP_ZERO`) may override it with a no-op.
    fn clear_table(&mut self, table: TablePhys) {
        for index in 0..TABLE_ENTRIES {
            self.write_entry(table, index, 0);
        }
    }
}

/// A supply of preallocated tables, implemented by the caller.
///
/// Contract: [`take`](Self::take) returns `Some` at least [`remaining`](Self::remaining) times.
/// The engine checks `remaining()` before it writes anything and never takes more tables than
/// an operation needs; the tables it does not take stay with the caller.
pub trait TableSource {
    /// Number of tables still available.
    fn remaining(&self) -> usize;

    /// Takes one table, whose address must be below `2^oas` of the page table.
    fn take(&mut self) -> Option<TablePhys>;
}

/// A [`TableSource`] over a caller-owned slice of preallocated tables, taken from the front.
///
/// After an operation, [`used`](Self::used) are now owned by the page table and
/// [`unused`](Self::unused) are still the caller's to free or keep.
#[derive(Clone, Debug)]
pub struct Prealloc<'a> {
    tables: &'a [TablePhys],
    used: usize,
}

impl<'a> Prealloc<'a> {
    /// A source handing out `tables` in order.
    pub const fn new(tables: &'a [TablePhys]) -> Self {
        Self { tables, used: 0 }
    }

    /// The tables taken so far (now linked into a page table).
    pub fn used(&self) -> &'a [TablePhys] {
        self.tables.get(..self.used).unwrap_or(&[])
    }

    /// The tables not taken.
    pub fn unused(&self) -> &'a [TablePhys] {
        self.tables.get(self.used..).unwrap_or(&[])
    }
}

impl TableSource for Prealloc<'_> {
    fn remaining(&self) -> usize {
        self.tables.len().saturating_sub(self.used)
    }

    fn take(&mut self) -> Option<TablePhys> {
        let t = self.tables.get(self.used).copied();
        if t.is_some() {
            self.used += 1;
        }
        t
    }
}

/// Why a page-table operation failed. `E` is the [`TableMemory::Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error<E> {
    /// Table memory could not be read.
    Memory(E),
    /// The VA is not 16 KiB aligned.
    Misaligned {
        /// The VA.
        va: u64,
    },
    /// The range wraps around the 64-bit address space.
    Overflow {
        /// First VA.
        va: u64,
        /// Number of pages.
        pages: u64,
    },
    /// The range is not wholly inside this page table's half.
    OutOfRange {
        /// First VA.
        va: u64,
        /// Number of pages.
        pages: u64,
    },
    /// A physical address is not 16 KiB aligned.
    PaMisaligned {
        /// The physical address.
        pa: u64,
    },
    /// A physical address (or the end of a contiguous range) is beyond the output address size.
    PaOutOfRange {
        /// The (first) physical address.
        pa: u64,
    },
    /// The physical-address iterator did not yield exactly one address per page.
    PageCount {
        /// Number of pages of the range.
        expected: u64,
    },
    /// A page of the range is already mapped.
    AlreadyMapped {
        /// The VA of the page.
        va: u64,
    },
    /// A page of the range is not mapped (re-protect).
    NotMapped {
        /// The VA of the page.
        va: u64,
    },
    /// An entry is neither empty nor valid.
    InvalidEntry {
        /// Level of the table holding the entry.
        level: Level,
        /// First VA translated through the entry.
        va: u64,
        /// The entry.
        pte: u64,
    },
    /// The source holds fewer tables than the operation needs; nothing was changed.
    NeedTables {
        /// Tables needed.
        needed: usize,
        /// Tables the source had.
        available: usize,
    },
    /// The caller broke a [`TableMemory`] or [`TableSource`] contract, or the physical-address
    /// iterator was not deterministic; the operation may be partly applied.
    Inconsistent,
}

/// How a walk failed at one level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// The entry is zero.
    Unmapped,
    /// The entry is non-zero but its type field is not valid.
    Invalid,
}

/// A translation fault, for fault reporting (level and address).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The faulting VA.
    pub va: u64,
    /// Level of the table whose entry stopped the walk.
    pub level: Level,
    /// That entry.
    pub pte: u64,
    /// Why it stopped the walk.
    pub kind: FaultKind,
}

/// Why [`PageTable::translate`] found no translation. `E` is the [`TableMemory::Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WalkError<E> {
    /// The VA is not in this page table's half.
    OutOfRange {
        /// The VA.
        va: u64,
    },
    /// The table at `level` could not be read (a table address outside memory).
    Memory {
        /// Level of the unreadable table.
        level: Level,
        /// The memory error.
        error: E,
    },
    /// An entry on the way is empty or invalid.
    Fault(Fault),
}

/// A successful translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translation {
    /// The translated VA.
    pub va: u64,
    /// The physical address, including the in-page offset of `va`.
    pub pa: u64,
    /// The raw leaf PTE.
    pub pte: u64,
    /// The decoded leaf PTE.
    pub page: PageEntry,
}

/// Population counts of a page table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableStats {
    /// Mid (L2) tables linked from the root.
    pub mid_tables: usize,
    /// Leaf (L3) tables linked from mid tables.
    pub leaf_tables: usize,
    /// Valid leaf entries (mapped pages).
    pub leaves: u64,
}

impl TableStats {
    /// All tables, including the root.
    pub const fn tables(&self) -> usize {
        1 + self.mid_tables + self.leaf_tables
    }
}

/// One half of a UAT address space: its root table and how its leaves are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageTable {
    root: TablePhys,
    half: Half,
    scope: Scope,
    oas: u32,
}

/// An inclusive range of per-half VA offsets (below `2^39`), never empty.
#[derive(Clone, Copy, Debug)]
struct Span {
    first: u64,
    last: u64,
}

impl Span {
    /// Splits the span at `level`'s entry boundaries.
    fn chunks(self, level: Level) -> Chunks {
        Chunks {
            next: Some(self.first),
            last: self.last,
            level,
        }
    }

    /// The leaf-table indices of a span that lies within one leaf table.
    fn leaf_indices(self) -> RangeInclusive<usize> {
        uat::index(self.first, Level::Leaf)..=uat::index(self.last, Level::Leaf)
    }
}

/// Iterator over `(index, sub-span)` of the entries of one level that a span touches.
struct Chunks {
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
trait Reader {
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
fn table_is_empty<M: TableMemory + ?Sized>(
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

/// Number of leaf tables a span touches.
fn leaf_tables_in(span: Span) -> usize {
    let shift = Level::Mid.shift();
    // CAST: a span lies within one half, so the count is at most 2^14.
    ((span.last >> shift) - (span.first >> shift) + 1) as usize
}

/// What a mid-level chunk of a span is translated through, as seen by `PageTable::visit`.
#[derive(Clone, Copy, Debug)]
enum Node {
    /// The leaf table covering the chunk.
    Leaf(TablePhys),
    /// The entry at this level is empty (or invalid, when not strict): at `Root` the chunk is
    /// the whole sub-span of the root entry, at `Mid` a part of one leaf table's span.
    Hole(Level),
}

impl PageTable {
    /// Describes a page table for `half` rooted at `root`, with leaves of `scope`, for an
    /// output address size of `oas` bits (clamped to [`uat::MAX_OAS`]).
    pub const fn new(root: TablePhys, half: Half, scope: Scope, oas: u32) -> Self {
        let oas = if oas > uat::MAX_OAS {
            uat::MAX_OAS
        } else {
            oas
        };
        Self {
            root,
            half,
            scope,
            oas,
        }
    }

    /// A user VM (TTBR0): lower half, non-global leaves.
    pub const fn user(root: TablePhys, oas: u32) -> Self {
        Self::new(root, Half::Lower, Scope::NonGlobal, oas)
    }

    /// The kernel/firmware half (TTBR1): upper half, global leaves.
    pub const fn kernel(root: TablePhys, oas: u32) -> Self {
        Self::new(root, Half::Upper, Scope::Global, oas)
    }

    /// The root table.
    pub const fn root(&self) -> TablePhys {
        self.root
    }

    /// The half this table translates.
    pub const fn half(&self) -> Half {
        self.half
    }

    /// The scope of leaves this table maps.
    pub const fn scope(&self) -> Scope {
        self.scope
    }

    /// The output address size in bits.
    pub const fn oas(&self) -> u32 {
        self.oas
    }

    /// First VA of the half.
    pub const fn base(&self) -> u64 {
        match self.half {
            Half::Lower => 0,
            Half::Upper => uat::UPPER_HALF_BASE,
        }
    }

    /// The VA of a per-half offset.
    const fn va(&self, off: u64) -> u64 {
        self.base() | off
    }

    /// Validates `pages` pages from `va`; `None` for an empty range.
    fn span<E>(&self, va: u64, pages: u64) -> Result<Option<Span>, Error<E>> {
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

    /// Decodes a table entry of `level` translating offset `off`: `None` if empty.
    fn next_table<E>(
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
    fn leaf_va(&self, s: Span, li: usize) -> u64 {
        // CAST: `li` is a table index, below 2048.
        self.va((s.first & !(Level::Mid.entry_span() - 1)) | (li as u64) << PAGE_SHIFT)
    }

    /// Calls `f` for each mid-level chunk of `span` in VA order, skipping empty subtrees: a
    /// hole at the root level is reported once with its whole sub-span. Reads only the root
    /// and mid entries of `span`; `f` decides what to do with leaf tables.
    ///
    /// With `strict`, invalid table entries are errors; otherwise they count as holes.
    fn visit<R: Reader, B>(
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
    fn visit_all<R: Reader>(
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
mod tests {
    extern crate std;

    use core::cell::Cell;
    use std::collections::BTreeMap;
    use std::vec;
    use std::vec::Vec;

    use super::super::uat::{
        Ap, MemAttr, KERNEL_VA_PRIVATE, KERNEL_VA_SHARED, OAS_T8103, UPPER_HALF_BASE, USER_VA_TOP,
        VA_MASK,
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
    pub(super) struct NoTable(u64);

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

        fn snapshot(&self) -> BTreeMap<u64, Vec<u64>> {
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

    fn fault_of(r: Result<Translation, WalkError<NoTable>>) -> (Level, FaultKind) {
        match r {
            Err(WalkError::Fault(f)) => (f.level, f.kind),
            other => panic!("expected a fault, got {other:?}"),
        }
    }

    fn leaves(pt: &PageTable, mem: &FakeMem, va: u64, pages: u64) -> Vec<(u64, u64)> {
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
}
