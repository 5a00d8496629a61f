// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Validating dump parser.
//!
//! [`Dump::parse`] checks the whole structure up front (header, program headers, notes, data
//! placement) and reports the first problem as a [`ParseError`]; afterwards the accessors cannot
//! fail on structure, only on lookups (an address that is not in the dump). Nothing here panics
//! or indexes out of bounds, whatever the input.

use super::elf::{
    Ehdr, Nhdr, Phdr, EHDR_SIZE, EI_CLASS, EI_DATA, EI_VERSION, ELFCLASS64, ELFDATA2LSB, ELFMAG,
    EM_AARCH64, ET_CORE, EV_CURRENT, NHDR_SIZE, PHDR_SIZE, PN_XNUM, PT_LOAD, PT_NOTE,
};
use super::info::{AgxDumpInfo, AGX_INFO_FIELDS_SIZE};
use super::pte::FLAG_USER_MEMORY;
use super::{align_up, u64_of, GPU_PAGE_SIZE_U64};
use super::{NOTE_NAME_AGX, NOTE_NAME_RTKIT, NOTE_TYPE_AGX_INFO, NOTE_TYPE_RTKIT_CRASHLOG};

/// Most notes a dump may have (ours have two).
pub const MAX_NOTES: usize = 64;

/// What is wrong with a dump. Indices count program headers, 0 being the note header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// The file is shorter than the ELF header.
    Truncated {
        /// Bytes needed.
        need: u64,
        /// Bytes present.
        have: u64,
    },
    /// `e_ident` does not start with `\x7fELF`.
    BadMagic,
    /// Not `ELFCLASS64`.
    BadClass(u8),
    /// Not little-endian.
    BadEncoding(u8),
    /// `e_ident[EI_VERSION]` or `e_version` is not `EV_CURRENT`.
    BadVersion(u32),
    /// `e_type` is not `ET_CORE`.
    BadType(u16),
    /// `e_machine` is not `EM_AARCH64`.
    BadMachine(u16),
    /// `e_ehsize` or `e_phentsize` do not match ELF64.
    BadHeaderSize {
        /// `e_ehsize`.
        ehsize: u16,
        /// `e_phentsize`.
        phentsize: u16,
    },
    /// `e_phnum` is 0 or the `PN_XNUM` escape.
    BadSegmentCount(u16),
    /// The program header table does not fit in the file.
    PhdrOutOfBounds {
        /// `e_phoff`.
        phoff: u64,
        /// `e_phnum`.
        phnum: u16,
    },
    /// Program header 0 is not `PT_NOTE`.
    MissingNotes,
    /// A program header after the first is not `PT_LOAD`.
    UnexpectedSegment {
        /// Program header index.
        index: usize,
        /// Its `p_type`.
        p_type: u32,
    },
    /// The notes do not lie within the file, or overlap the headers.
    NotesOutOfBounds {
        /// `p_offset` of the note header.
        offset: u64,
        /// `p_filesz` of the note header.
        size: u64,
    },
    /// A note's header, name or descriptor runs past the note segment.
    NoteOverflow {
        /// Byte offset of the note within the note segment.
        at: u64,
    },
    /// A note's name is empty or not NUL-terminated.
    BadNoteName {
        /// Byte offset of the note within the note segment.
        at: u64,
    },
    /// More than [`MAX_NOTES`] notes.
    TooManyNotes,
    /// The `AGX` note's descriptor is shorter than the fields of [`AgxDumpInfo`].
    AgxInfoTooSmall(u32),
    /// A segment's VA, PA or file offset is not 16 KiB aligned, or `p_align` is not 16 KiB.
    Unaligned {
        /// Program header index.
        index: usize,
    },
    /// A segment's `p_memsz` is 0 or not a multiple of 16 KiB, or its end overflows.
    BadSegmentSize {
        /// Program header index.
        index: usize,
    },
    /// A segment's `p_filesz` is neither 0 nor `p_memsz`.
    BadFileSize {
        /// Program header index.
        index: usize,
    },
    /// A segment marked as user memory ([`FLAG_USER_MEMORY`]) has data: user memory is never
    /// captured, so the file is not one our writer made.
    UserMemoryWithData {
        /// Program header index.
        index: usize,
    },
    /// A segment's data lies before the data area (overlapping the headers or notes).
    DataOverlapsHeaders {
        /// Program header index.
        index: usize,
    },
    /// A segment's data overlaps or precedes the previous segment's data.
    OverlappingData {
        /// Program header index.
        index: usize,
    },
    /// A segment's VA range overlaps or precedes the previous segment's.
    OverlappingVa {
        /// Program header index.
        index: usize,
    },
    /// A segment's data runs past the end of the file.
    DataOutOfBounds {
        /// Program header index.
        index: usize,
        /// File offset of the data's end.
        end: u64,
        /// File size.
        size: u64,
    },
}

/// A validated `PT_LOAD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadSegment {
    /// GPU VA of the first byte.
    pub vaddr: u64,
    /// Physical address of the first byte.
    pub paddr: u64,
    /// `p_flags` (see [`super::pte`]).
    pub flags: u32,
    /// Bytes of GPU VA covered.
    pub memsz: u64,
    /// File offset of the data, meaningful only if [`has_data`](Self::has_data).
    pub offset: u64,
    /// Whether the data is in the file (`p_filesz == p_memsz`).
    pub has_data: bool,
}

impl LoadSegment {
    /// Number of 16 KiB pages.
    pub fn pages(&self) -> u64 {
        self.memsz / GPU_PAGE_SIZE_U64
    }

    /// Whether the segment maps memory the driver does not own (a user buffer mapped for the
    /// firmware): never captured.
    pub fn is_user(&self) -> bool {
        self.flags & FLAG_USER_MEMORY != 0
    }

    /// Whether `va` lies in this segment.
    pub fn contains(&self, va: u64) -> bool {
        va >= self.vaddr && va.wrapping_sub(self.vaddr) < self.memsz
    }
}

/// A note of a parsed dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedNote<'a> {
    /// Name without the NUL terminator.
    pub name: &'a [u8],
    /// Type.
    pub n_type: u32,
    /// Descriptor.
    pub desc: &'a [u8],
}

/// Why GPU memory could not be read from a dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VaError {
    /// No segment maps this address.
    Unmapped(u64),
    /// The address is mapped but its page was not captured (device memory, carve-outs).
    NoData(u64),
    /// The address maps user memory (a buffer the driver does not own), never captured.
    UserMemory(u64),
}

/// A parsed and validated dump borrowing the file's bytes.
#[derive(Clone, Copy, Debug)]
pub struct Dump<'a> {
    bytes: &'a [u8],
    ehdr: Ehdr,
    notes: &'a [u8],
    data_offset: u64,
}

/// Decodes note `at` of `notes`: `(note, offset of the next note)`.
fn note_at(notes: &[u8], at: usize) -> Result<(ParsedNote<'_>, usize), ParseError> {
    let err_at = u64_of(at);
    let overflow = ParseError::NoteOverflow { at: err_at };
    let hdr = notes.get(at..).and_then(Nhdr::from_bytes).ok_or(overflow)?;
    let name_at = at.checked_add(NHDR_SIZE).ok_or(overflow)?;
    let name_len = usize::try_from(hdr.n_namesz).map_err(|_| overflow)?;
    let desc_len = usize::try_from(hdr.n_descsz).map_err(|_| overflow)?;
    let name_end = name_at.checked_add(name_len).ok_or(overflow)?;
    let desc_at = align4(name_end).ok_or(overflow)?;
    let desc_end = desc_at.checked_add(desc_len).ok_or(overflow)?;
    let next = align4(desc_end).ok_or(overflow)?;
    let name = notes.get(name_at..name_end).ok_or(overflow)?;
    let desc = notes.get(desc_at..desc_end).ok_or(overflow)?;
    // The padding after the descriptor must be there too, except after the last note.
    if next > notes.len() && desc_end != notes.len() {
        return Err(overflow);
    }
    let Some((&0, name)) = name.split_last() else {
        return Err(ParseError::BadNoteName { at: err_at });
    };
    Ok((
        ParsedNote {
            name,
            n_type: hdr.n_type,
            desc,
        },
        next,
    ))
}

fn align4(v: usize) -> Option<usize> {
    Some(v.checked_add(3)? & !3)
}

/// Iterator over the notes of a [`Dump`].
#[derive(Clone, Debug)]
pub struct Notes<'a> {
    notes: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Notes<'a> {
    type Item = ParsedNote<'a>;

    fn next(&mut self) -> Option<ParsedNote<'a>> {
        if self.at >= self.notes.len() {
            return None;
        }
        // Validated by `Dump::parse`; an error here cannot happen and ends the iteration.
        let (note, next) = note_at(self.notes, self.at).ok()?;
        self.at = next;
        Some(note)
    }
}

/// Iterator over the `PT_LOAD` segments of a [`Dump`], in file order.
#[derive(Clone, Debug)]
pub struct Segments<'a> {
    dump: Dump<'a>,
    index: usize,
}

impl Iterator for Segments<'_> {
    type Item = LoadSegment;

    fn next(&mut self) -> Option<LoadSegment> {
        self.index = self.index.checked_add(1)?;
        // Validated by `Dump::parse`, so every header decodes.
        let ph = self.dump.phdr(self.index)?;
        Some(load_segment(&ph))
    }
}

fn load_segment(ph: &Phdr) -> LoadSegment {
    LoadSegment {
        vaddr: ph.p_vaddr,
        paddr: ph.p_paddr,
        flags: ph.p_flags,
        memsz: ph.p_memsz,
        offset: ph.p_offset,
        has_data: ph.p_filesz != 0,
    }
}

impl<'a> Dump<'a> {
    /// Parses and validates a dump.
    ///
    /// # Errors
    ///
    /// The first malformation found, as a [`ParseError`].
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let size = u64_of(bytes.len());
        let ehdr = Ehdr::from_bytes(bytes).ok_or(ParseError::Truncated {
            need: u64_of(EHDR_SIZE),
            have: size,
        })?;
        check_ident(&ehdr)?;
        let phnum = ehdr.e_phnum;
        if phnum == 0 || phnum == PN_XNUM {
            return Err(ParseError::BadSegmentCount(phnum));
        }
        let ph_end = u64_of(PHDR_SIZE)
            .checked_mul(u64::from(phnum))
            .and_then(|t| t.checked_add(ehdr.e_phoff))
            .filter(|end| *end <= size && ehdr.e_phoff >= u64_of(EHDR_SIZE))
            .ok_or(ParseError::PhdrOutOfBounds {
                phoff: ehdr.e_phoff,
                phnum,
            })?;
        let mut dump = Self {
            bytes,
            ehdr,
            notes: &[],
            data_offset: 0,
        };
        let note_ph = dump.phdr(0).ok_or(ParseError::MissingNotes)?;
        if note_ph.p_type != PT_NOTE {
            return Err(ParseError::MissingNotes);
        }
        let notes_oob = ParseError::NotesOutOfBounds {
            offset: note_ph.p_offset,
            size: note_ph.p_filesz,
        };
        let notes_end = note_ph
            .p_offset
            .checked_add(note_ph.p_filesz)
            .filter(|end| *end <= size && note_ph.p_offset >= ph_end)
            .ok_or(notes_oob)?;
        dump.notes = usize::try_from(note_ph.p_offset)
            .ok()
            .zip(usize::try_from(notes_end).ok())
            .and_then(|(a, b)| bytes.get(a..b))
            .ok_or(notes_oob)?;
        check_notes(dump.notes)?;
        // Data may not start before the 16 KiB boundary after the headers and notes.
        dump.data_offset = align_up(notes_end.max(ph_end), GPU_PAGE_SIZE_U64).unwrap_or(u64::MAX);
        dump.check_segments()?;
        Ok(dump)
    }

    fn check_segments(&self) -> Result<(), ParseError> {
        let size = u64_of(self.bytes.len());
        let mut prev_data_end = self.data_offset;
        let mut prev_va_last: Option<u64> = None;
        for index in 1..usize::from(self.ehdr.e_phnum) {
            let ph = self.phdr(index).ok_or(ParseError::PhdrOutOfBounds {
                phoff: self.ehdr.e_phoff,
                phnum: self.ehdr.e_phnum,
            })?;
            if ph.p_type != PT_LOAD {
                return Err(ParseError::UnexpectedSegment {
                    index,
                    p_type: ph.p_type,
                });
            }
            if (ph.p_vaddr | ph.p_paddr) % GPU_PAGE_SIZE_U64 != 0 || ph.p_align != GPU_PAGE_SIZE_U64
            {
                return Err(ParseError::Unaligned { index });
            }
            // The last byte; a segment may end exactly at the top of the address space.
            let va_last = ph
                .p_memsz
                .checked_sub(1)
                .and_then(|l| ph.p_vaddr.checked_add(l))
                .filter(|_| ph.p_memsz % GPU_PAGE_SIZE_U64 == 0)
                .ok_or(ParseError::BadSegmentSize { index })?;
            if prev_va_last.is_some_and(|prev| ph.p_vaddr <= prev) {
                return Err(ParseError::OverlappingVa { index });
            }
            prev_va_last = Some(va_last);
            if ph.p_flags & FLAG_USER_MEMORY != 0 && ph.p_filesz != 0 {
                return Err(ParseError::UserMemoryWithData { index });
            }
            if ph.p_filesz == 0 {
                continue;
            }
            if ph.p_filesz != ph.p_memsz {
                return Err(ParseError::BadFileSize { index });
            }
            if ph.p_offset % GPU_PAGE_SIZE_U64 != 0 {
                return Err(ParseError::Unaligned { index });
            }
            if ph.p_offset < self.data_offset {
                return Err(ParseError::DataOverlapsHeaders { index });
            }
            if ph.p_offset < prev_data_end {
                return Err(ParseError::OverlappingData { index });
            }
            let end = ph.p_offset.saturating_add(ph.p_filesz);
            if end > size {
                return Err(ParseError::DataOutOfBounds { index, end, size });
            }
            prev_data_end = end;
        }
        Ok(())
    }

    /// Program header `index`, if it is in the table.
    fn phdr(&self, index: usize) -> Option<Phdr> {
        if index >= usize::from(self.ehdr.e_phnum) {
            return None;
        }
        let at = u64_of(PHDR_SIZE)
            .checked_mul(u64_of(index))?
            .checked_add(self.ehdr.e_phoff)?;
        self.bytes
            .get(usize::try_from(at).ok()?..)
            .and_then(Phdr::from_bytes)
    }

    /// The ELF header.
    pub fn ehdr(&self) -> &Ehdr {
        &self.ehdr
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The raw note segment.
    pub fn note_bytes(&self) -> &'a [u8] {
        self.notes
    }

    /// The first file offset page data may use (16 KiB after the headers and notes).
    pub fn data_offset(&self) -> u64 {
        self.data_offset
    }

    /// Iterates over the notes.
    pub fn notes(&self) -> Notes<'a> {
        Notes {
            notes: self.notes,
            at: 0,
        }
    }

    /// Iterates over the `PT_LOAD` segments, in file (and VA) order.
    pub fn segments(&self) -> Segments<'a> {
        Segments {
            dump: *self,
            index: 0,
        }
    }

    /// Number of `PT_LOAD` segments.
    pub fn segment_count(&self) -> usize {
        usize::from(self.ehdr.e_phnum).saturating_sub(1)
    }

    /// Segment `i` (0-based among the `PT_LOAD`s).
    pub fn segment(&self, i: usize) -> Option<LoadSegment> {
        self.phdr(i.checked_add(1)?).map(|ph| load_segment(&ph))
    }

    /// The first note with this name and type.
    pub fn find_note(&self, name: &[u8], n_type: u32) -> Option<ParsedNote<'a>> {
        self.notes().find(|n| n.name == name && n.n_type == n_type)
    }

    /// The `AGX` note's descriptor, decoded; `Ok(None)` if the dump has none.
    ///
    /// # Errors
    ///
    /// [`ParseError::AgxInfoTooSmall`] if the descriptor is shorter than the known fields.
    pub fn agx_info(&self) -> Result<Option<AgxDumpInfo>, ParseError> {
        let Some(note) = self.find_note(NOTE_NAME_AGX, NOTE_TYPE_AGX_INFO) else {
            return Ok(None);
        };
        AgxDumpInfo::from_bytes(note.desc)
            .map(Some)
            .ok_or(ParseError::AgxInfoTooSmall(
                u32::try_from(note.desc.len()).unwrap_or(u32::MAX),
            ))
    }

    /// The raw RTKit crash log, if the dump has one.
    pub fn crashlog(&self) -> Option<&'a [u8]> {
        self.find_note(NOTE_NAME_RTKIT, NOTE_TYPE_RTKIT_CRASHLOG)
            .map(|n| n.desc)
    }

    /// The segment containing `va` (binary search; segments are sorted by VA).
    pub fn segment_for(&self, va: u64) -> Option<LoadSegment> {
        let (mut lo, mut hi) = (0usize, self.segment_count());
        while lo < hi {
            let mid = lo.saturating_add(hi.saturating_sub(lo) / 2);
            let seg = self.segment(mid)?;
            if va < seg.vaddr {
                hi = mid;
            } else if seg.contains(va) {
                return Some(seg);
            } else {
                lo = mid.checked_add(1)?;
            }
        }
        None
    }

    /// Copies GPU memory `va..va + dst.len()` from the snapshot into `dst`; the range may span
    /// adjacent segments.
    ///
    /// # Errors
    ///
    /// The first address that is unmapped or whose page has no data.
    pub fn read_va(&self, va: u64, dst: &mut [u8]) -> Result<(), VaError> {
        let mut done = 0usize;
        while let Some(rest) = dst.get_mut(done..).filter(|r| !r.is_empty()) {
            let at = va.wrapping_add(u64_of(done));
            let seg = self.segment_for(at).ok_or(VaError::Unmapped(at))?;
            if seg.is_user() {
                return Err(VaError::UserMemory(at));
            }
            if !seg.has_data {
                return Err(VaError::NoData(at));
            }
            let in_seg = at.wrapping_sub(seg.vaddr);
            let avail = seg.memsz.saturating_sub(in_seg);
            let n = usize::try_from(avail).map_or(rest.len(), |a| a.min(rest.len()));
            let src = seg
                .offset
                .checked_add(in_seg)
                .and_then(|o| usize::try_from(o).ok())
                .and_then(|o| self.bytes.get(o..o.checked_add(n)?))
                .ok_or(VaError::NoData(at))?;
            let Some(d) = rest.get_mut(..n) else {
                break;
            };
            d.copy_from_slice(src);
            done = done.saturating_add(n);
        }
        Ok(())
    }

    /// The snapshot bytes of `va..va + len` if they lie within one segment with data.
    pub fn slice_va(&self, va: u64, len: usize) -> Result<&'a [u8], VaError> {
        let seg = self.segment_for(va).ok_or(VaError::Unmapped(va))?;
        if seg.is_user() {
            return Err(VaError::UserMemory(va));
        }
        if !seg.has_data {
            return Err(VaError::NoData(va));
        }
        let in_seg = va.wrapping_sub(seg.vaddr);
        let end_in_seg = in_seg
            .checked_add(u64_of(len))
            .ok_or(VaError::Unmapped(va))?;
        if end_in_seg > seg.memsz {
            let past = seg.vaddr.wrapping_add(seg.memsz);
            return Err(self
                .segment_for(past)
                .map_or(VaError::Unmapped(past), |_| VaError::NoData(past)));
        }
        seg.offset
            .checked_add(in_seg)
            .and_then(|o| usize::try_from(o).ok())
            .and_then(|o| self.bytes.get(o..o.checked_add(len)?))
            .ok_or(VaError::NoData(va))
    }
}

fn check_ident(e: &Ehdr) -> Result<(), ParseError> {
    let ident = &e.e_ident;
    if ident.get(..4) != Some(&ELFMAG[..]) {
        return Err(ParseError::BadMagic);
    }
    let byte = |i: usize| ident.get(i).copied().unwrap_or(0);
    if byte(EI_CLASS) != ELFCLASS64 {
        return Err(ParseError::BadClass(byte(EI_CLASS)));
    }
    if byte(EI_DATA) != ELFDATA2LSB {
        return Err(ParseError::BadEncoding(byte(EI_DATA)));
    }
    if byte(EI_VERSION) != EV_CURRENT {
        return Err(ParseError::BadVersion(u32::from(byte(EI_VERSION))));
    }
    if e.e_version != u32::from(EV_CURRENT) {
        return Err(ParseError::BadVersion(e.e_version));
    }
    if e.e_type != ET_CORE {
        return Err(ParseError::BadType(e.e_type));
    }
    if e.e_machine != EM_AARCH64 {
        return Err(ParseError::BadMachine(e.e_machine));
    }
    if usize::from(e.e_ehsize) != EHDR_SIZE || usize::from(e.e_phentsize) != PHDR_SIZE {
        return Err(ParseError::BadHeaderSize {
            ehsize: e.e_ehsize,
            phentsize: e.e_phentsize,
        });
    }
    Ok(())
}

fn check_notes(notes: &[u8]) -> Result<(), ParseError> {
    let mut at = 0usize;
    let mut count = 0usize;
    while at < notes.len() {
        count = count.saturating_add(1);
        if count > MAX_NOTES {
            return Err(ParseError::TooManyNotes);
        }
        let (note, next) = note_at(notes, at)?;
        if note.name == NOTE_NAME_AGX
            && note.n_type == NOTE_TYPE_AGX_INFO
            && note.desc.len() < AGX_INFO_FIELDS_SIZE
        {
            return Err(ParseError::AgxInfoTooSmall(
                u32::try_from(note.desc.len()).unwrap_or(u32::MAX),
            ));
        }
        at = next;
    }
    Ok(())
}
