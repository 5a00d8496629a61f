//! Firmware heap bookkeeping: which parts of a kernel-half heap range are in use.
//!
//! The heaps' places and unit are firmware facts that the layout module
//! [`heap`](super::super::heap) owns (private, GPU read-only and shared ranges, the [`UNIT`]);
//! this engine keeps their books.
//!
//! A heap is a VA range that grows one 16 KiB GPU page at a time (the caller maps each new page)
//! and is carved in units of [`UNIT`] bytes (downstream's `min_align` of 0x80). An object of up to
//! one page never straddles a page boundary, so its memory is physically contiguous and the CPU
//! reaches it through one direct-mapped page; a larger object takes whole consecutive pages.
//!
//! The firmware caches what it reads from private and GPU read-only memory. Memory freed there
//! may still be in that cache, so it is not reused at once: it becomes *garbage*, still counted
//! as in use, until [`Heap::collect`], which the driver calls only after the firmware has
//! flushed its cache (downstream sends `DestroyContext` with context `0xff` for that). The driver
//! asks for a flush when [`Heap::wants_flush`] says enough garbage has piled up (downstream: more
//! than 16 MiB or 2048 objects) or when the range is full.
//!
//! This module only keeps the books (no memory, no allocation): the caller provides the per-page
//! state as a slice, one [`PageUse`] per page mapped so far, and grows it as asked.
//!
//! Sources: reference §2 "Allocators" (ranges, `min_align`, block sizes, garbage lists and their
//! collection after a flush).

use super::super::heap::{PAGE, UNIT};

/// Units in one page.
pub const UNITS_PER_PAGE: u32 = (PAGE / UNIT) as u32;
/// Garbage bytes beyond which the driver should flush and collect.
pub const FLUSH_GARBAGE_BYTES: u64 = 16 << 20;
/// Garbage objects beyond which the driver should flush and collect.
pub const FLUSH_GARBAGE_OBJECTS: u64 = 2048;

/// Use of one page of a heap: a bit per unit.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct PageUse {
    /// Units allocated (including garbage).
    pub used: u128,
    /// Units freed but not reusable until the next collection (a subset of `used`).
    pub garbage: u128,
}

/// Why an allocation or free did not happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeapError {
    /// No room in the pages mapped so far: map this many more pages (appending them to the
    /// slice) and retry.
    NeedPages(u64),
    /// The range is exhausted (collecting garbage may help).
    Full,
    /// A zero size or one larger than the range.
    BadSize,
    /// A free of memory that is not an allocated object of that size (double free, wrong size).
    BadFree,
}

/// Bits `first..first + n` of a page mask.
const fn mask(first: u32, n: u32) -> u128 {
    if n >= UNITS_PER_PAGE {
        u128::MAX
    } else {
        ((1u128 << n) - 1) << first
    }
}

/// The lowest index `i` such that bits `i..i + n` of `free` are all set.
fn find_run(free: u128, n: u32) -> Option<u32> {
    if n == 0 || n > UNITS_PER_PAGE {
        return None;
    }
    // After each step, bit `i` of `m` is set iff bits `i..i + len` of `free` all are.
    let mut m = free;
    let mut len = 1;
    while len < n {
        let s = len.min(n - len);
        m &= m >> s;
        len += s;
    }
    (m != 0).then(|| m.trailing_zeros())
}

/// Counters of one heap.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct HeapStats {
    /// Objects allocated and not freed.
    pub live_objects: u64,
    /// Bytes (in whole units) of those objects.
    pub live_bytes: u64,
    /// Freed objects waiting for a flush.
    pub garbage_objects: u64,
    /// Bytes of those objects.
    pub garbage_bytes: u64,
    /// Collections so far.
    pub collections: u64,
}

/// The books of one heap range.
#[derive(Debug)]
pub struct Heap {
    base: u64,
    max_pages: u64,
    deferred: bool,
    /// No page below this one has a free unit.
    hint: usize,
    stats: HeapStats,
}

impl Heap {
    /// A heap at `base` of at most `size` bytes. With `deferred`, freed memory is garbage until
    /// [`Self::collect`] (private and GPU read-only heaps).
    pub const fn new(base: u64, size: u64, deferred: bool) -> Self {
        Self {
            base,
            max_pages: size / PAGE,
            deferred,
            hint: 0,
            stats: HeapStats {
                live_objects: 0,
                live_bytes: 0,
                garbage_objects: 0,
                garbage_bytes: 0,
                collections: 0,
            },
        }
    }

    /// First address of the range.
    pub const fn base(&self) -> u64 {
        self.base
    }

    /// Most pages the range holds.
    pub const fn max_pages(&self) -> u64 {
        self.max_pages
    }

    /// The address of page `index`.
    pub const fn page_va(&self, index: u64) -> u64 {
        self.base + index * PAGE
    }

    /// The counters.
    pub const fn stats(&self) -> HeapStats {
        self.stats
    }

    /// Whether freed memory waits for a flush.
    pub const fn deferred(&self) -> bool {
        self.deferred
    }

    /// Whether enough garbage has piled up to flush and collect.
    pub const fn wants_flush(&self) -> bool {
        self.stats.garbage_bytes > FLUSH_GARBAGE_BYTES
            || self.stats.garbage_objects > FLUSH_GARBAGE_OBJECTS
    }

    /// Whether there is garbage to collect.
    pub const fn has_garbage(&self) -> bool {
        self.stats.garbage_objects != 0
    }

    /// Bytes an object of `size` bytes takes (whole units, or whole pages beyond one page).
    pub const fn footprint(size: u64) -> u64 {
        if size > PAGE {
            size.div_ceil(PAGE) * PAGE
        } else {
            size.div_ceil(UNIT) * UNIT
        }
    }

    /// Allocates `size` bytes in `pages` (the state of every page mapped so far); returns the
    /// object's address.
    pub fn alloc(&mut self, pages: &mut [PageUse], size: u64) -> Result<u64, HeapError> {
        if size == 0 || size > self.max_pages * PAGE {
            return Err(HeapError::BadSize);
        }
        let footprint = Self::footprint(size);
        let va = if size <= PAGE {
            // CAST: at most `UNITS_PER_PAGE` units.
            let units = (footprint / UNIT) as u32;
            self.alloc_small(pages, units)?
        } else {
            self.alloc_large(pages, footprint / PAGE)?
        };
        self.stats.live_objects += 1;
        self.stats.live_bytes += footprint;
        Ok(va)
    }

    fn alloc_small(&mut self, pages: &mut [PageUse], units: u32) -> Result<u64, HeapError> {
        let mut first_free = None;
        for (i, p) in pages.iter_mut().enumerate().skip(self.hint) {
            if p.used == u128::MAX {
                continue;
            }
            first_free.get_or_insert(i);
            if let Some(at) = find_run(!p.used, units) {
                p.used |= mask(at, units);
                // Pages below the first one with room stay full.
                self.hint = first_free.unwrap_or(i);
                return Ok(self.page_va(i as u64) + u64::from(at) * UNIT);
            }
        }
        self.hint = first_free.unwrap_or(pages.len());
        self.need(pages.len() as u64, 1)
    }

    fn alloc_large(&mut self, pages: &mut [PageUse], count: u64) -> Result<u64, HeapError> {
        // First fit over runs of empty pages; a run at the end may be extended.
        let mut run = 0u64;
        for i in 0..pages.len() {
            if pages[i].used != 0 {
                run = 0;
                continue;
            }
            run += 1;
            if run == count {
                // CAST: `run <= i + 1`.
                let first = i + 1 - run as usize;
                for p in &mut pages[first..=i] {
                    p.used = u128::MAX;
                }
                return Ok(self.page_va(first as u64));
            }
        }
        self.need(pages.len() as u64, count - run)
    }

    fn need(&self, mapped: u64, more: u64) -> Result<u64, HeapError> {
        if mapped + more <= self.max_pages {
            Err(HeapError::NeedPages(more))
        } else {
            Err(HeapError::Full)
        }
    }

    /// Frees the object of `size` bytes at `va`; in a deferred heap it becomes garbage.
    pub fn free(&mut self, pages: &mut [PageUse], va: u64, size: u64) -> Result<(), HeapError> {
        let off = va.checked_sub(self.base).ok_or(HeapError::BadFree)?;
        if size == 0 || off % UNIT != 0 {
            return Err(HeapError::BadFree);
        }
        let footprint = Self::footprint(size);
        // CAST: `off` is within the range, whose page count fits in memory.
        let first = (off / PAGE) as usize;
        let (count, bits) = if size <= PAGE {
            // CAST: both below `UNITS_PER_PAGE`.
            (
                1,
                mask(((off % PAGE) / UNIT) as u32, (footprint / UNIT) as u32),
            )
        } else if off % PAGE == 0 {
            // CAST: checked against the slice below.
            ((footprint / PAGE) as usize, u128::MAX)
        } else {
            return Err(HeapError::BadFree);
        };
        if size <= PAGE && (off % PAGE) + footprint > PAGE {
            return Err(HeapError::BadFree);
        }
        let range = pages
            .get_mut(first..first.checked_add(count).ok_or(HeapError::BadFree)?)
            .ok_or(HeapError::BadFree)?;
        if range
            .iter()
            .any(|p| p.used & bits != bits || p.garbage & bits != 0)
        {
            return Err(HeapError::BadFree);
        }
        for p in range.iter_mut() {
            if self.deferred {
                p.garbage |= bits;
            } else {
                p.used &= !bits;
            }
        }
        self.stats.live_objects -= 1;
        self.stats.live_bytes -= footprint;
        if self.deferred {
            self.stats.garbage_objects += 1;
            self.stats.garbage_bytes += footprint;
        } else {
            self.hint = self.hint.min(first);
        }
        Ok(())
    }

    /// Makes all garbage reusable. Call only after the firmware has flushed its caches.
    pub fn collect(&mut self, pages: &mut [PageUse]) {
        if !self.has_garbage() {
            return;
        }
        for p in pages.iter_mut() {
            p.used &= !p.garbage;
            p.garbage = 0;
        }
        self.stats.garbage_objects = 0;
        self.stats.garbage_bytes = 0;
        self.stats.collections += 1;
        self.hint = 0;
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::super::heap::{PRIVATE_BASE, SHARED_BASE};
    use super::*;
    use std::vec::Vec;

    /// Allocates, mapping pages as asked.
    fn alloc(h: &mut Heap, pages: &mut Vec<PageUse>, size: u64) -> Result<u64, HeapError> {
        loop {
            match h.alloc(pages, size) {
                Err(HeapError::NeedPages(n)) => {
                    pages.extend((0..n).map(|_| PageUse::default()));
                }
                r => return r,
            }
        }
    }

    #[test]
    fn runs() {
        assert_eq!(find_run(u128::MAX, 128), Some(0));
        assert_eq!(find_run(u128::MAX, 1), Some(0));
        assert_eq!(find_run(0, 1), None);
        assert_eq!(find_run(0b1110_0110, 3), Some(5));
        assert_eq!(find_run(0b1110_0110, 2), Some(1));
        assert_eq!(find_run(!0u128 << 100, 28), Some(100));
        assert_eq!(find_run(!0u128 << 100, 29), None);
        assert_eq!(find_run(u128::MAX, 0), None);
        assert_eq!(mask(0, 128), u128::MAX);
        assert_eq!(mask(3, 2), 0b11000);
    }

    #[test]
    fn small_objects_pack_and_never_straddle_pages() {
        let mut h = Heap::new(PRIVATE_BASE, 1 << 20, false);
        let mut pages = Vec::new();
        let a = alloc(&mut h, &mut pages, 1).unwrap();
        let b = alloc(&mut h, &mut pages, 0x81).unwrap();
        let c = alloc(&mut h, &mut pages, 0x3f00).unwrap();
        assert_eq!(a, PRIVATE_BASE);
        assert_eq!(b, PRIVATE_BASE + 0x80);
        // 0x3f00 bytes do not fit behind `b` in the first page: the next page.
        assert_eq!(c, PRIVATE_BASE + PAGE);
        assert_eq!(pages.len(), 2);
        for (va, size) in [(a, 1), (b, 0x81), (c, 0x3f00)] {
            assert_eq!(va % UNIT, 0);
            assert_eq!(
                va / PAGE,
                (va + size - 1) / PAGE,
                "{va:#x} straddles a page"
            );
        }
        assert_eq!(h.stats().live_objects, 3);
        assert_eq!(h.stats().live_bytes, 0x80 + 0x100 + 0x3f00);
    }

    #[test]
    fn shared_memory_is_reused_at_once() {
        let mut h = Heap::new(SHARED_BASE, 1 << 20, false);
        let mut pages = Vec::new();
        let a = alloc(&mut h, &mut pages, 0x200).unwrap();
        h.free(&mut pages, a, 0x200).unwrap();
        assert_eq!(alloc(&mut h, &mut pages, 0x200).unwrap(), a);
        assert!(!h.has_garbage());
    }

    #[test]
    fn private_memory_waits_for_a_flush() {
        let mut h = Heap::new(PRIVATE_BASE, 1 << 20, true);
        let mut pages = Vec::new();
        let a = alloc(&mut h, &mut pages, 0x200).unwrap();
        h.free(&mut pages, a, 0x200).unwrap();
        assert!(h.has_garbage());
        let b = alloc(&mut h, &mut pages, 0x200).unwrap();
        assert_ne!(a, b, "garbage reused before a flush");
        assert_eq!(h.stats().garbage_objects, 1);
        h.collect(&mut pages);
        assert_eq!(h.stats().collections, 1);
        assert!(!h.has_garbage());
        assert_eq!(alloc(&mut h, &mut pages, 0x200).unwrap(), a);
    }

    #[test]
    fn double_and_bad_frees_are_refused() {
        for deferred in [false, true] {
            let mut h = Heap::new(PRIVATE_BASE, 1 << 20, deferred);
            let mut pages = Vec::new();
            let a = alloc(&mut h, &mut pages, 0x100).unwrap();
            assert_eq!(h.free(&mut pages, a + 0x40, 0x100), Err(HeapError::BadFree));
            assert_eq!(h.free(&mut pages, a, 0x200), Err(HeapError::BadFree));
            assert_eq!(h.free(&mut pages, a - PAGE, 0x100), Err(HeapError::BadFree));
            assert_eq!(
                h.free(&mut pages, a + 10 * PAGE, 0x100),
                Err(HeapError::BadFree)
            );
            assert_eq!(h.free(&mut pages, a, 0), Err(HeapError::BadFree));
            h.free(&mut pages, a, 0x100).unwrap();
            assert_eq!(h.free(&mut pages, a, 0x100), Err(HeapError::BadFree));
            assert_eq!(h.stats().live_objects, 0);
        }
    }

    #[test]
    fn large_objects_take_whole_pages() {
        let mut h = Heap::new(PRIVATE_BASE, 1 << 20, false);
        let mut pages = Vec::new();
        let small = alloc(&mut h, &mut pages, 0x80).unwrap();
        let big = alloc(&mut h, &mut pages, 3 * PAGE + 1).unwrap();
        assert_eq!(big, PRIVATE_BASE + PAGE);
        assert_eq!(pages.len(), 5);
        // The big object's pages are not used for small objects.
        let s2 = alloc(&mut h, &mut pages, 0x80).unwrap();
        assert_eq!(s2, small + 0x80);
        h.free(&mut pages, big, 3 * PAGE + 1).unwrap();
        assert!(pages[1..5].iter().all(|p| p.used == 0));
        // A big object may not be freed from its middle.
        let big = alloc(&mut h, &mut pages, 2 * PAGE).unwrap();
        assert_eq!(
            h.free(&mut pages, big + 0x80, 2 * PAGE),
            Err(HeapError::BadFree)
        );
    }

    #[test]
    fn a_full_range_says_so_and_collection_makes_room() {
        let mut h = Heap::new(PRIVATE_BASE, 4 * PAGE, true);
        let mut pages = Vec::new();
        let objs: Vec<u64> = (0..4)
            .map(|_| alloc(&mut h, &mut pages, PAGE).unwrap())
            .collect();
        assert_eq!(alloc(&mut h, &mut pages, 0x80), Err(HeapError::Full));
        assert_eq!(alloc(&mut h, &mut pages, 5 * PAGE), Err(HeapError::BadSize));
        for &o in &objs {
            h.free(&mut pages, o, PAGE).unwrap();
        }
        assert_eq!(alloc(&mut h, &mut pages, 0x80), Err(HeapError::Full));
        h.collect(&mut pages);
        assert_eq!(alloc(&mut h, &mut pages, 4 * PAGE).unwrap(), PRIVATE_BASE);
    }

    #[test]
    fn flush_threshold() {
        let mut h = Heap::new(PRIVATE_BASE, 64 << 20, true);
        let mut pages = Vec::new();
        let objs: Vec<u64> = (0..=FLUSH_GARBAGE_OBJECTS)
            .map(|_| alloc(&mut h, &mut pages, 0x80).unwrap())
            .collect();
        for (i, &o) in objs.iter().enumerate() {
            assert!(!h.wants_flush(), "after {i} frees");
            h.free(&mut pages, o, 0x80).unwrap();
        }
        assert!(h.wants_flush());
        h.collect(&mut pages);
        assert!(!h.wants_flush());
    }

    #[test]
    fn churn_keeps_the_books() {
        // A deterministic mix of sizes, frees and collections; the heap must never hand out
        // overlapping memory and its counters must match a model.
        let mut h = Heap::new(PRIVATE_BASE, 64 << 20, true);
        let mut pages = Vec::new();
        let mut live: Vec<(u64, u64)> = Vec::new();
        let mut x = 0x1234_5678u32;
        for step in 0..5000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            if x % 5 < 3 || live.is_empty() {
                let size = u64::from(x % 0x5000) + 1;
                let va = match alloc(&mut h, &mut pages, size) {
                    Err(HeapError::Full) => {
                        h.collect(&mut pages);
                        alloc(&mut h, &mut pages, size).unwrap()
                    }
                    r => r.unwrap(),
                };
                let end = va + Heap::footprint(size);
                assert!(
                    live.iter()
                        .all(|&(v, s)| end <= v || v + Heap::footprint(s) <= va),
                    "overlap at step {step}"
                );
                live.push((va, size));
            } else {
                let (va, size) = live.swap_remove(x as usize % live.len());
                h.free(&mut pages, va, size).unwrap();
            }
            if step % 700 == 0 {
                h.collect(&mut pages);
            }
            let bytes: u64 = live.iter().map(|&(_, s)| Heap::footprint(s)).sum();
            assert_eq!(h.stats().live_objects, live.len() as u64);
            assert_eq!(h.stats().live_bytes, bytes);
        }
    }
}
