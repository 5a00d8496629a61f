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
//!
//! # Modules
//!
//! This file owns the engine's types: [`TablePhys`], the caller's [`TableMemory`] and
//! [`TableSource`] (with [`Prealloc`]), the errors and results, and [`PageTable`] itself. The
//! operations live in private submodules that add methods to [`PageTable`]:
//!
//! - `walk` (`pgtable_walk.rs`): the VA span iterators and the table walker every operation is
//!   built on, and the read-only queries ([`PageTable::translate`],
//!   [`PageTable::for_each_leaf`], [`PageTable::stats`], [`PageTable::count_tables`]);
//! - `map` (`pgtable_map.rs`): the operations that write the tables ([`PageTable::map`] and its
//!   variants, [`PageTable::populate`], [`PageTable::unmap`], [`PageTable::reprotect`],
//!   [`PageTable::reclaim`]);
//! - `batch` (`pgtable_batch.rs`): batches of operations ([`SlotSet`]).

use super::super::uat::{self, Half, Level, PageEntry, Scope, PAGE_MASK, PAGE_SHIFT};

#[path = "pgtable_walk.rs"]
mod walk;

#[path = "pgtable_map.rs"]
mod map;

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
}

#[cfg(test)]
#[path = "pgtable_tests.rs"]
mod tests;
