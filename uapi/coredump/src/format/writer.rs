// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Streaming dump writer: produces any byte range of a dump on demand.
//!
//! devcoredump reads a dump through a callback with arbitrary `(offset, count)` pairs, so the
//! writer never builds the file: [`Writer::read_at`] renders the headers and notes of the
//! requested range on the fly (every padding byte is zero) and fetches page data from a
//! [`PageSource`]. The writer itself owns nothing and allocates nothing; the caller keeps the
//! segment list, the note payloads and the copied pages.
//!
//! # Kernel use
//!
//! ```text
//! // At crash time: walk the page tables, copy pages, build segments.
//! let mut c = Coalescer::new();
//! for page in walk {                       // in increasing VA order
//!     // PageKind::Captured, NotCaptured (not RAM) or User (memory the driver does not own)
//!     if let Some(seg) = c.push_page(page.iova, page.pte, page.kind) {
//!         segments.push(seg, GFP_NOWAIT)?;
//!     }
//! }
//! if let Some(seg) = c.finish() { segments.push(seg, GFP_NOWAIT)?; }
//! let info = AgxDumpInfo { .. }.to_bytes(); // keep alongside the crash log
//! let size = Writer::over(&segments, &notes)?.total_size();
//!
//! // In the devcoredump read callback:
//! let notes = [Note::agx(&info), Note::rtkit(&crashlog)];
//! Writer::over(&segments, &notes)?.read_at(&pages, offset, buf)
//! ```
//!
//! The segment list need not be one slice: anything implementing [`SegmentList`] will do (the
//! kernel keeps it in page-sized chunks, so that a fragmented machine still gets its dump).

use super::elf::{
    Ehdr, Nhdr, Phdr, EHDR_SIZE, NHDR_SIZE, PF_R, PHDR_SIZE, PN_XNUM, PT_LOAD, PT_NOTE,
};
use super::pte::{pte_elf_flags, pte_paddr, FLAG_USER_MEMORY};
use super::{align_up, u64_of, GPU_PAGE_SIZE, GPU_PAGE_SIZE_U64};

/// One `PT_LOAD`: a run of GPU pages contiguous in VA and PA with the same flags, either all
/// captured (with data) or all without data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// GPU VA of the first page (`p_vaddr`), 16 KiB aligned.
    pub vaddr: u64,
    /// Physical address of the first page (`p_paddr`), 16 KiB aligned.
    pub paddr: u64,
    /// `p_flags`, normally from [`pte_elf_flags`].
    pub flags: u32,
    /// Number of 16 KiB pages, at least 1.
    pub pages: u64,
    /// Whether the pages' contents are in the file.
    pub has_data: bool,
}

/// What a dump holds of one mapped page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageKind {
    /// Firmware memory the driver owns, copied into the dump.
    Captured,
    /// Firmware memory without data in the dump (device memory, physical pages that are not
    /// RAM the kernel may map).
    NotCaptured,
    /// Memory the driver does not own (a user buffer mapped for the firmware): never copied;
    /// its segment carries [`FLAG_USER_MEMORY`].
    User,
}

impl Segment {
    /// A segment of `pages` pages starting at `vaddr`, mapped by `pte` (the first page's PTE).
    pub fn from_pte(vaddr: u64, pte: u64, pages: u64, has_data: bool) -> Self {
        let kind = if has_data {
            PageKind::Captured
        } else {
            PageKind::NotCaptured
        };
        Self::of_kind(vaddr, pte, pages, kind)
    }

    /// A segment of `pages` pages of `kind` starting at `vaddr`, mapped by `pte`.
    pub fn of_kind(vaddr: u64, pte: u64, pages: u64, kind: PageKind) -> Self {
        let user = if kind == PageKind::User {
            FLAG_USER_MEMORY
        } else {
            0
        };
        Self {
            vaddr,
            paddr: pte_paddr(pte),
            flags: pte_elf_flags(pte) | user,
            pages,
            has_data: kind == PageKind::Captured,
        }
    }

    /// Whether the segment maps memory the driver does not own (never captured).
    pub fn is_user(&self) -> bool {
        self.flags & FLAG_USER_MEMORY != 0
    }

    /// `p_memsz`: bytes of GPU VA covered; `None` on overflow.
    pub fn memsz(&self) -> Option<u64> {
        self.pages.checked_mul(GPU_PAGE_SIZE_U64)
    }

    /// Number of pages of data this segment puts in the file.
    pub fn data_pages(&self) -> u64 {
        if self.has_data {
            self.pages
        } else {
            0
        }
    }

    /// Whether a page at `vaddr`/`paddr` with these flags extends this segment.
    fn continues_with(&self, vaddr: u64, paddr: u64, flags: u32, has_data: bool) -> bool {
        let Some(len) = self.memsz() else {
            return false;
        };
        self.vaddr.checked_add(len) == Some(vaddr)
            && self.paddr.checked_add(len) == Some(paddr)
            && self.flags == flags
            && self.has_data == has_data
    }
}

/// Merges pages, given in increasing VA order, into [`Segment`]s as downstream does: a page
/// extends the current segment if its VA and PA follow on and its flags and data presence are
/// the same.
#[derive(Clone, Copy, Debug, Default)]
pub struct Coalescer {
    cur: Option<Segment>,
}

impl Coalescer {
    /// An empty coalescer.
    pub const fn new() -> Self {
        Self { cur: None }
    }

    /// Adds the page at `vaddr` mapped by `pte`, captured or not; returns the previous segment
    /// when this page starts a new one.
    pub fn push(&mut self, vaddr: u64, pte: u64, has_data: bool) -> Option<Segment> {
        let kind = if has_data {
            PageKind::Captured
        } else {
            PageKind::NotCaptured
        };
        self.push_page(vaddr, pte, kind)
    }

    /// Adds the page at `vaddr` mapped by `pte`, of `kind`; returns the previous segment when
    /// this page starts a new one. User pages never merge with firmware pages (their flags
    /// differ by [`FLAG_USER_MEMORY`]).
    pub fn push_page(&mut self, vaddr: u64, pte: u64, kind: PageKind) -> Option<Segment> {
        let page = Segment::of_kind(vaddr, pte, 1, kind);
        if let Some(cur) = self.cur.as_mut() {
            if cur.continues_with(vaddr, page.paddr, page.flags, page.has_data) {
                if let Some(pages) = cur.pages.checked_add(1) {
                    cur.pages = pages;
                    return None;
                }
            }
        }
        self.cur.replace(page)
    }

    /// Returns the last segment, if any page was pushed since the last call.
    pub fn finish(&mut self) -> Option<Segment> {
        self.cur.take()
    }
}

/// The segments of a dump, in order: a slice, or any other indexable store (the kernel keeps
/// them in page-sized chunks rather than one large allocation).
pub trait SegmentList {
    /// Number of segments.
    fn count(&self) -> usize;

    /// Segment `index`, or `None` past the end.
    fn segment(&self, index: usize) -> Option<Segment>;
}

impl SegmentList for [Segment] {
    fn count(&self) -> usize {
        self.len()
    }

    fn segment(&self, index: usize) -> Option<Segment> {
        self.get(index).copied()
    }
}

/// Iterates over the segments of `list`.
fn segments_of<L: SegmentList + ?Sized>(list: &L) -> impl Iterator<Item = Segment> + '_ {
    (0..list.count()).map_while(|i| list.segment(i))
}

/// One ELF note: `name` (without its NUL), type and descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Note<'a> {
    /// Note name, without the NUL terminator; must not contain NUL.
    pub name: &'a [u8],
    /// Note type.
    pub n_type: u32,
    /// Descriptor bytes.
    pub desc: &'a [u8],
}

impl<'a> Note<'a> {
    /// The `AGX`/1 note carrying an encoded [`super::AgxDumpInfo`].
    pub const fn agx(info: &'a [u8; super::info::AGX_INFO_SIZE]) -> Self {
        Self {
            name: super::NOTE_NAME_AGX,
            n_type: super::NOTE_TYPE_AGX_INFO,
            desc: info,
        }
    }

    /// The `RTKIT`/1 note carrying the raw RTKit crash log.
    pub const fn rtkit(crashlog: &'a [u8]) -> Self {
        Self {
            name: super::NOTE_NAME_RTKIT,
            n_type: super::NOTE_TYPE_RTKIT_CRASHLOG,
            desc: crashlog,
        }
    }

    /// `(n_namesz, n_descsz, padded name size, total encoded size)`, or `None` if a size does
    /// not fit in the ELF fields.
    fn sizes(&self) -> Option<(u32, u32, u64, u64)> {
        let namesz = self.name.len().checked_add(1)?;
        let namesz32 = u32::try_from(namesz).ok()?;
        let descsz32 = u32::try_from(self.desc.len()).ok()?;
        let name_padded = align_up(u64::from(namesz32), 4)?;
        let desc_padded = align_up(u64::from(descsz32), 4)?;
        let total = u64_of(NHDR_SIZE)
            .checked_add(name_padded)?
            .checked_add(desc_padded)?;
        Some((namesz32, descsz32, name_padded, total))
    }
}

/// Why a dump cannot be laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// More segments than `e_phnum` can count (at most 65533 plus the note header).
    TooManySegments(usize),
    /// A segment has no pages.
    EmptySegment(usize),
    /// A segment's VA or PA is not 16 KiB aligned.
    UnalignedSegment(usize),
    /// A segment's size or end address overflows.
    SegmentOverflow(usize),
    /// A note's name contains NUL.
    BadNoteName(usize),
    /// A note's name or descriptor is too large for the ELF size fields.
    NoteTooLarge(usize),
    /// The file size or page count overflows.
    TooLarge,
    /// A segment marked as user memory claims data: user memory is never captured.
    UserData(usize),
    /// The segment list reports more segments than it yields (this index is missing).
    MissingSegment(usize),
}

/// Where everything goes in a dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Number of program headers (segments plus the note header).
    pub phnum: u16,
    /// File offset of the notes.
    pub notes_offset: u64,
    /// Size of the notes, padding included.
    pub notes_size: u64,
    /// File offset of the first page of data, 16 KiB aligned.
    pub data_offset: u64,
    /// Number of pages of data.
    pub data_pages: usize,
    /// File size.
    pub total_size: u64,
}

impl Layout {
    /// Validates `segments` and `notes` and computes where everything goes.
    ///
    /// # Errors
    ///
    /// A [`LayoutError`] names the first offending segment or note.
    pub fn new(segments: &[Segment], notes: &[Note<'_>]) -> Result<Self, LayoutError> {
        Self::of(segments, notes)
    }

    /// [`Layout::new`] for any [`SegmentList`].
    ///
    /// # Errors
    ///
    /// As [`Layout::new`].
    pub fn of<L: SegmentList + ?Sized>(
        segments: &L,
        notes: &[Note<'_>],
    ) -> Result<Self, LayoutError> {
        let count = segments.count();
        let phnum = count
            .checked_add(1)
            .and_then(|n| u16::try_from(n).ok())
            .filter(|n| *n < PN_XNUM)
            .ok_or(LayoutError::TooManySegments(count))?;
        let mut data_pages: u64 = 0;
        let mut seen = 0usize;
        for (i, s) in segments_of(segments).enumerate() {
            seen = seen.saturating_add(1);
            if s.pages == 0 {
                return Err(LayoutError::EmptySegment(i));
            }
            if (s.vaddr | s.paddr) % GPU_PAGE_SIZE_U64 != 0 {
                return Err(LayoutError::UnalignedSegment(i));
            }
            let len = s.memsz().ok_or(LayoutError::SegmentOverflow(i))?;
            // The last byte must be addressable: `vaddr + len - 1` may not wrap.
            let last = len.saturating_sub(1);
            if s.vaddr.checked_add(last).is_none() || s.paddr.checked_add(last).is_none() {
                return Err(LayoutError::SegmentOverflow(i));
            }
            if s.is_user() && s.has_data {
                return Err(LayoutError::UserData(i));
            }
            data_pages = data_pages
                .checked_add(s.data_pages())
                .ok_or(LayoutError::TooLarge)?;
        }
        if seen != count {
            return Err(LayoutError::MissingSegment(seen));
        }
        let mut notes_size: u64 = 0;
        for (i, n) in notes.iter().enumerate() {
            if n.name.contains(&0) {
                return Err(LayoutError::BadNoteName(i));
            }
            let (_, _, _, size) = n.sizes().ok_or(LayoutError::NoteTooLarge(i))?;
            notes_size = notes_size.checked_add(size).ok_or(LayoutError::TooLarge)?;
        }
        let notes_offset = u64_of(PHDR_SIZE)
            .checked_mul(u64::from(phnum))
            .and_then(|v| v.checked_add(u64_of(EHDR_SIZE)))
            .ok_or(LayoutError::TooLarge)?;
        let data_offset = notes_offset
            .checked_add(notes_size)
            .and_then(|end| align_up(end, GPU_PAGE_SIZE_U64))
            .ok_or(LayoutError::TooLarge)?;
        let total_size = data_pages
            .checked_mul(GPU_PAGE_SIZE_U64)
            .and_then(|d| d.checked_add(data_offset))
            .ok_or(LayoutError::TooLarge)?;
        Ok(Self {
            phnum,
            notes_offset,
            notes_size,
            data_offset,
            data_pages: usize::try_from(data_pages).map_err(|_| LayoutError::TooLarge)?,
            total_size,
        })
    }
}

/// Supplies the captured page data to [`Writer::read_at`].
///
/// Data pages are numbered from 0 in file order: all pages of the first segment with data,
/// then the next one's, and so on (the order the page-table walk captured them in).
///
/// A kernel with 4 KiB pages that keeps each captured GPU page as four kernel pages would
/// implement it like this (with 16 KiB kernel pages, `PER_GPU_PAGE` is 1):
///
/// ```text
/// impl PageSource for CapturedPages {
///     const CHUNK_SIZE: usize = PAGE_SIZE;
///     type Error = Error;
///     fn read(&self, index: usize, offset: usize, dst: &mut [u8]) -> Result {
///         let k = index * PER_GPU_PAGE + offset / PAGE_SIZE;
///         let page = self.pages.get(k).ok_or(EIO)?;
///         // SAFETY: `dst` is valid for `dst.len()` bytes, and `offset % PAGE_SIZE +
///         // dst.len() <= PAGE_SIZE` because requests never cross a chunk.
///         unsafe { page.read_raw(dst.as_mut_ptr(), offset % PAGE_SIZE, dst.len()) }
///     }
/// }
/// ```
pub trait PageSource {
    /// Largest piece [`read`](Self::read) is ever asked for, and the alignment of every piece
    /// within its page: requests never cross a multiple of this. A power of two at most
    /// [`GPU_PAGE_SIZE`]; a kernel keeping each GPU page as four 4 KiB pages sets `PAGE_SIZE`.
    const CHUNK_SIZE: usize = GPU_PAGE_SIZE;

    /// Error returned when a page cannot be read.
    type Error;

    /// Fills `dst` with bytes `offset..offset + dst.len()` of data page `index`.
    ///
    /// `index` is below [`Layout::data_pages`], and `offset..offset + dst.len()` lies within one
    /// [`CHUNK_SIZE`](Self::CHUNK_SIZE)-aligned chunk of the page.
    ///
    /// # Errors
    ///
    /// Whatever the source reports; [`Writer::read_at`] passes it on.
    fn read(&self, index: usize, offset: usize, dst: &mut [u8]) -> Result<(), Self::Error>;
}

/// A page that a [`PagesRef`] does not have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MissingPage(pub usize);

/// A [`PageSource`] over pages held contiguously in memory (host tools and tests).
#[derive(Clone, Copy, Debug)]
pub struct PagesRef<'a>(pub &'a [[u8; GPU_PAGE_SIZE]]);

impl PageSource for PagesRef<'_> {
    type Error = MissingPage;

    fn read(&self, index: usize, offset: usize, dst: &mut [u8]) -> Result<(), MissingPage> {
        let src = offset
            .checked_add(dst.len())
            .and_then(|end| self.0.get(index)?.get(offset..end))
            .ok_or(MissingPage(index))?;
        dst.copy_from_slice(src);
        Ok(())
    }
}

/// Copies the part of `piece` (at file offset `piece_off`) that overlaps `out` (at file offset
/// `out_off`) into `out`.
fn emit(out: &mut [u8], out_off: u64, piece_off: u64, piece: &[u8]) {
    let (Some(out_end), Some(piece_end)) = (
        out_off.checked_add(u64_of(out.len())),
        piece_off.checked_add(u64_of(piece.len())),
    ) else {
        return;
    };
    let start = out_off.max(piece_off);
    let end = out_end.min(piece_end);
    if start >= end {
        return;
    }
    let range = |base: u64| {
        let a = usize::try_from(start.checked_sub(base)?).ok()?;
        let b = usize::try_from(end.checked_sub(base)?).ok()?;
        Some(a..b)
    };
    if let (Some(o), Some(p)) = (range(out_off), range(piece_off)) {
        if let (Some(dst), Some(src)) = (out.get_mut(o), piece.get(p)) {
            dst.copy_from_slice(src);
        }
    }
}

/// Renders a dump described by segments and notes, range by range.
pub struct Writer<'a, L: SegmentList + ?Sized = [Segment]> {
    layout: Layout,
    segments: &'a L,
    notes: &'a [Note<'a>],
}

impl<L: SegmentList + ?Sized> Clone for Writer<'_, L> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<L: SegmentList + ?Sized> Copy for Writer<'_, L> {}

impl<L: SegmentList + ?Sized> core::fmt::Debug for Writer<'_, L> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Writer")
            .field("layout", &self.layout)
            .field("notes", &self.notes)
            .finish_non_exhaustive()
    }
}

impl<'a> Writer<'a> {
    /// Validates the inputs and lays the dump out (`O(segments + notes)`, no allocation).
    ///
    /// # Errors
    ///
    /// See [`Layout::new`].
    pub fn new(segments: &'a [Segment], notes: &'a [Note<'a>]) -> Result<Self, LayoutError> {
        Writer::over(segments, notes)
    }
}

impl<'a, L: SegmentList + ?Sized> Writer<'a, L> {
    /// [`Writer::new`] over any [`SegmentList`].
    ///
    /// # Errors
    ///
    /// See [`Layout::new`].
    pub fn over(segments: &'a L, notes: &'a [Note<'a>]) -> Result<Self, LayoutError> {
        Ok(Self {
            layout: Layout::of(segments, notes)?,
            segments,
            notes,
        })
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The file size.
    pub fn total_size(&self) -> u64 {
        self.layout.total_size
    }

    /// The ELF header.
    pub fn ehdr(&self) -> Ehdr {
        Ehdr::dump(self.layout.phnum)
    }

    /// The note program header (`PT_NOTE`, `PF_R`, align 1, `p_memsz` 0, as downstream).
    pub fn note_phdr(&self) -> Phdr {
        Phdr {
            p_type: PT_NOTE,
            p_flags: PF_R,
            p_offset: self.layout.notes_offset,
            p_filesz: self.layout.notes_size,
            p_align: 1,
            ..Phdr::default()
        }
    }

    /// The program header of `seg`, whose data (if any) starts at data page `first_page`.
    ///
    /// A segment without data gets `p_offset` = the data offset and `p_filesz` 0, as
    /// downstream writes it.
    pub fn segment_phdr(&self, seg: &Segment, first_page: u64) -> Phdr {
        let off = if seg.has_data {
            first_page.saturating_mul(GPU_PAGE_SIZE_U64)
        } else {
            0
        };
        let memsz = seg.memsz().unwrap_or(0);
        Phdr {
            p_type: PT_LOAD,
            p_flags: seg.flags,
            p_offset: self.layout.data_offset.saturating_add(off),
            p_vaddr: seg.vaddr,
            p_paddr: seg.paddr,
            p_filesz: if seg.has_data { memsz } else { 0 },
            p_memsz: memsz,
            p_align: GPU_PAGE_SIZE_U64,
        }
    }

    /// Writes file bytes `offset..offset + buf.len()` into `buf`, stopping at the end of the
    /// file; returns the number of bytes written (0 at or past the end).
    ///
    /// # Errors
    ///
    /// Passes on the first error of `src`; `buf` is then partly written.
    pub fn read_at<S: PageSource + ?Sized>(
        &self,
        src: &S,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize, S::Error> {
        const {
            assert!(S::CHUNK_SIZE.is_power_of_two() && S::CHUNK_SIZE <= GPU_PAGE_SIZE);
        }
        let Some(left) = self.layout.total_size.checked_sub(offset) else {
            return Ok(0);
        };
        let len = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
        let Some(out) = buf.get_mut(..len) else {
            return Ok(0);
        };
        out.fill(0);
        let end = offset.saturating_add(u64_of(len));
        emit(out, offset, 0, &self.ehdr().to_bytes());
        self.emit_phdrs(out, offset, end);
        self.emit_notes(out, offset, end);
        self.read_data(src, out, offset, end)?;
        Ok(len)
    }

    fn emit_phdrs(&self, out: &mut [u8], offset: u64, end: u64) {
        let phoff = u64_of(EHDR_SIZE);
        let phsz = u64_of(PHDR_SIZE);
        if end <= phoff || offset >= self.layout.notes_offset {
            return;
        }
        // First program header overlapping the range.
        let first = offset.saturating_sub(phoff).checked_div(phsz).unwrap_or(0);
        let Ok(first) = usize::try_from(first) else {
            return;
        };
        let mut pos = phoff.saturating_add(phsz.saturating_mul(u64_of(first)));
        if first == 0 {
            emit(out, offset, pos, &self.note_phdr().to_bytes());
            pos = pos.saturating_add(phsz);
        }
        let skip = first.saturating_sub(1);
        let mut page = segments_of(self.segments)
            .take(skip)
            .fold(0u64, |acc, s| acc.saturating_add(s.data_pages()));
        for seg in segments_of(self.segments).skip(skip) {
            if pos >= end {
                break;
            }
            emit(out, offset, pos, &self.segment_phdr(&seg, page).to_bytes());
            page = page.saturating_add(seg.data_pages());
            pos = pos.saturating_add(phsz);
        }
    }

    fn emit_notes(&self, out: &mut [u8], offset: u64, end: u64) {
        let mut pos = self.layout.notes_offset;
        for note in self.notes {
            if pos >= end {
                break;
            }
            let Some((namesz, descsz, name_padded, size)) = note.sizes() else {
                return;
            };
            let next = pos.saturating_add(size);
            if next > offset {
                let hdr = Nhdr {
                    n_namesz: namesz,
                    n_descsz: descsz,
                    n_type: note.n_type,
                };
                let name_at = pos.saturating_add(u64_of(NHDR_SIZE));
                emit(out, offset, pos, &hdr.to_bytes());
                // The NUL terminator and the padding are already zero.
                emit(out, offset, name_at, note.name);
                emit(out, offset, name_at.saturating_add(name_padded), note.desc);
            }
            pos = next;
        }
    }

    fn read_data<S: PageSource + ?Sized>(
        &self,
        src: &S,
        out: &mut [u8],
        offset: u64,
        end: u64,
    ) -> Result<(), S::Error> {
        let data = self.layout.data_offset;
        if end <= data {
            return Ok(());
        }
        let start = offset.max(data);
        let (Some(rel), Ok(mut out_pos)) = (
            start.checked_sub(data),
            usize::try_from(start.saturating_sub(offset)),
        ) else {
            return Ok(());
        };
        let (Ok(mut page), Ok(mut in_page)) = (
            usize::try_from(rel / GPU_PAGE_SIZE_U64),
            usize::try_from(rel % GPU_PAGE_SIZE_U64),
        ) else {
            return Ok(());
        };
        while let Some(rest) = out.get_mut(out_pos..).filter(|r| !r.is_empty()) {
            let chunk_end = in_page
                .checked_div(S::CHUNK_SIZE)
                .unwrap_or(0)
                .saturating_add(1)
                .saturating_mul(S::CHUNK_SIZE);
            let n = rest.len().min(chunk_end.saturating_sub(in_page));
            let Some(dst) = rest.get_mut(..n) else {
                break;
            };
            src.read(page, in_page, dst)?;
            out_pos = out_pos.saturating_add(n);
            in_page = in_page.saturating_add(n);
            if in_page >= GPU_PAGE_SIZE {
                in_page = 0;
                page = page.saturating_add(1);
            }
        }
        Ok(())
    }
}
