// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Error reporting: the decoder's [`Error`] and the human-readable forms of the format
//! module's [`ParseError`] and [`VaError`].

use core::fmt;

use super::MAX_READ;
use crate::format::{ParseError, VaError};

/// Why a dump could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The file is not a valid dump.
    Parse(ParseError),
    /// A requested memory range is not in the snapshot.
    Memory(VaError),
    /// A requested read is larger than [`MAX_READ`].
    ReadTooLarge(u64),
}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        Error::Parse(e)
    }
}

impl From<VaError> for Error {
    fn from(e: VaError) -> Self {
        Error::Memory(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse(e) => write!(f, "malformed dump: {}", ParseErrorDisplay(e)),
            Error::Memory(e) => write!(f, "{}", VaErrorDisplay(e)),
            Error::ReadTooLarge(n) => {
                write!(f, "read of {n} bytes exceeds the limit of {MAX_READ}")
            }
        }
    }
}

impl std::error::Error for Error {}

/// Human-readable form of a [`ParseError`].
pub struct ParseErrorDisplay<'a>(pub &'a ParseError);

impl fmt::Display for ParseErrorDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ParseError as P;
        match *self.0 {
            P::Truncated { need, have } => {
                write!(f, "file truncated: need {need} bytes, have {have}")
            }
            P::BadMagic => write!(f, "not an ELF file (bad magic)"),
            P::BadClass(c) => write!(f, "not a 64-bit ELF file (class {c})"),
            P::BadEncoding(d) => write!(f, "not a little-endian ELF file (data encoding {d})"),
            P::BadVersion(v) => write!(f, "unsupported ELF version {v}"),
            P::BadType(t) => write!(f, "not an ELF core file (e_type {t})"),
            P::BadMachine(m) => write!(f, "not an AArch64 core file (e_machine {m})"),
            P::BadHeaderSize { ehsize, phentsize } => write!(
                f,
                "bad header sizes (e_ehsize {ehsize}, e_phentsize {phentsize})"
            ),
            P::BadSegmentCount(n) => write!(f, "unsupported program header count {n}"),
            P::PhdrOutOfBounds { phoff, phnum } => write!(
                f,
                "program header table ({phnum} entries at {phoff:#x}) lies outside the file"
            ),
            P::MissingNotes => write!(f, "program header 0 is not the PT_NOTE segment"),
            P::UnexpectedSegment { index, p_type } => {
                write!(f, "program header {index} has type {p_type}, expected PT_LOAD")
            }
            P::NotesOutOfBounds { offset, size } => write!(
                f,
                "note segment ({size} bytes at {offset:#x}) lies outside the file or overlaps the headers"
            ),
            P::NoteOverflow { at } => {
                write!(f, "note at offset {at:#x} runs past the note segment")
            }
            P::BadNoteName { at } => {
                write!(f, "note at offset {at:#x} has an empty or unterminated name")
            }
            P::TooManyNotes => write!(
                f,
                "more than {} notes",
                crate::format::reader::MAX_NOTES
            ),
            P::AgxInfoTooSmall(n) => {
                write!(f, "AGX note descriptor is {n} bytes, need at least 52")
            }
            P::Unaligned { index } => write!(
                f,
                "segment {index} is not 16 KiB aligned (address, offset or p_align)"
            ),
            P::BadSegmentSize { index } => write!(
                f,
                "segment {index} size is zero, not a multiple of 16 KiB, or overflows"
            ),
            P::BadFileSize { index } => {
                write!(f, "segment {index} p_filesz is neither 0 nor p_memsz")
            }
            P::UserMemoryWithData { index } => write!(
                f,
                "segment {index} is marked as user memory but carries data (user memory is never captured)"
            ),
            P::DataOverlapsHeaders { index } => {
                write!(f, "segment {index} data overlaps the headers or notes")
            }
            P::OverlappingData { index } => {
                write!(f, "segment {index} data overlaps the previous segment's data")
            }
            P::OverlappingVa { index } => write!(
                f,
                "segment {index} address range overlaps or precedes the previous segment"
            ),
            P::DataOutOfBounds { index, end, size } => write!(
                f,
                "segment {index} data ends at {end:#x}, past the end of the file ({size:#x})"
            ),
        }
    }
}

/// Human-readable form of a [`VaError`].
pub struct VaErrorDisplay<'a>(pub &'a VaError);

impl fmt::Display for VaErrorDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self.0 {
            VaError::Unmapped(va) => write!(f, "address {va:#x} is not mapped in the snapshot"),
            VaError::NoData(va) => {
                write!(f, "address {va:#x} is mapped but its page was not captured")
            }
            VaError::UserMemory(va) => {
                write!(f, "address {va:#x} maps user memory, not captured")
            }
        }
    }
}
