// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Salvaging a damaged dump: a truncated or partly corrupt file that the strict reader rejects is
//! repaired, in a copy, into the largest dump the reader accepts, as `readelf` reads what it can
//! of a damaged ELF file and warns about the rest. Each repair is one warning:
//!
//! - a program header table that runs past the end of the file keeps the headers that fit;
//! - notes that run past the file or their segment, or are malformed, are cut at the first bad
//!   one (the notes before it are kept); an `AGX` note too small to hold the identity is ignored;
//! - a segment the reader rejects (truncated or out-of-bounds data, misalignment, overlaps,
//!   bad sizes) is dropped; every other segment, before or after it, is kept.
//!
//! Damage to the ELF header itself (magic, class, machine, sizes) cannot be repaired: there is
//! nothing to salvage, and the reader's error stands.

use crate::format::{Dump, ParseError};

use super::errors::{Error, ParseErrorDisplay};

/// ELF header offset of `e_phnum` (u16).
const E_PHNUM: usize = 56;
/// ELF header offset of `e_phoff` (u64).
const E_PHOFF: usize = 32;
/// Size of one ELF64 program header.
const PHDR_SIZE: usize = 56;
/// Program header offsets of `p_offset`, `p_vaddr`, `p_filesz`, `p_memsz` (u64).
const P_OFFSET: usize = 8;
const P_VADDR: usize = 16;
const P_FILESZ: usize = 32;
const P_MEMSZ: usize = 40;

/// A dump the reader accepts, and what had to be left out to get it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Salvaged {
    /// The (repaired, if `warnings` is not empty) dump.
    pub bytes: Vec<u8>,
    /// One line per repair: what was wrong and what was left out.
    pub warnings: Vec<String>,
}

fn get(b: &[u8], at: usize, n: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(n)?)?;
    let mut v = [0u8; 8];
    v.get_mut(..n)?.copy_from_slice(s);
    Some(u64::from_le_bytes(v))
}

fn put(b: &mut [u8], at: usize, n: usize, v: u64) -> Option<()> {
    let end = at.checked_add(n)?;
    b.get_mut(at..end)?
        .copy_from_slice(v.to_le_bytes().get(..n)?);
    Some(())
}

/// The file offset of program header `i`.
fn phdr_at(b: &[u8], i: usize) -> Option<usize> {
    let phoff = usize::try_from(get(b, E_PHOFF, 8)?).ok()?;
    phoff.checked_add(i.checked_mul(PHDR_SIZE)?)
}

fn align4(v: usize) -> Option<usize> {
    Some(v.checked_add(3)? & !3)
}

/// The offsets of the complete notes in `notes`: `(start, name, n_type offset, desc length)`.
fn walk_notes(notes: &[u8]) -> Vec<(usize, &[u8], usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < notes.len() {
        let step = || -> Option<(usize, &[u8], usize, usize, usize)> {
            let namesz = usize::try_from(get(notes, at, 4)?).ok()?;
            let descsz = usize::try_from(get(notes, at.checked_add(4)?, 4)?).ok()?;
            let name_at = at.checked_add(12)?;
            let name = notes.get(name_at..name_at.checked_add(namesz)?)?;
            let desc_end = align4(name_at.checked_add(namesz)?)?.checked_add(descsz)?;
            if desc_end > notes.len() {
                return None;
            }
            let name = name.strip_suffix(&[0]).unwrap_or(name);
            Some((at, name, at.checked_add(8)?, descsz, align4(desc_end)?))
        };
        let Some((start, name, ty, desc, next)) = step() else {
            break;
        };
        out.push((start, name, ty, desc));
        at = next;
    }
    out
}

/// Repairs what the reader rejected (`e`) once; `Err` if it cannot be repaired.
fn repair(b: &mut [u8], e: ParseError, orig: &mut Vec<usize>) -> Result<String, ()> {
    use ParseError as P;
    let why = ParseErrorDisplay(&e).to_string();
    let len = b.len();
    let ph0 = phdr_at(b, 0).ok_or(())?;
    match e {
        P::PhdrOutOfBounds { phoff, phnum } => {
            let phoff = usize::try_from(phoff).map_err(|_| ())?;
            let fit = len.checked_sub(phoff).ok_or(())? / PHDR_SIZE;
            let fit = fit.min(usize::from(phnum));
            if phoff < E_PHNUM || fit == 0 {
                return Err(());
            }
            put(b, E_PHNUM, 2, u64::try_from(fit).map_err(|_| ())?).ok_or(())?;
            orig.truncate(fit);
            Ok(format!(
                "{why}: kept the {fit} program headers in the file, dropped {}",
                usize::from(phnum).saturating_sub(fit)
            ))
        }
        P::NotesOutOfBounds { offset, size } => {
            let offset = usize::try_from(offset).map_err(|_| ())?;
            let have = len.checked_sub(offset).ok_or(())?;
            let size = usize::try_from(size).unwrap_or(usize::MAX);
            if have >= size {
                // The notes overlap the headers: nothing to salvage from them.
                return Err(());
            }
            let notes = b.get(offset..).ok_or(())?;
            let keep = walk_notes(notes)
                .last()
                .map_or(0, |&(start, _, _, _)| note_end(notes, start).unwrap_or(0));
            let keep = keep.min(have);
            put(b, ph0 + P_FILESZ, 8, keep as u64).ok_or(())?;
            Ok(format!("{why}: kept the {keep} bytes of complete notes"))
        }
        P::NoteOverflow { at } | P::BadNoteName { at } => {
            put(b, ph0 + P_FILESZ, 8, at).ok_or(())?;
            Ok(format!("{why}: notes from offset {at:#x} on dropped"))
        }
        P::TooManyNotes | P::AgxInfoTooSmall(_) => {
            let offset = usize::try_from(get(b, ph0 + P_OFFSET, 8).ok_or(())?).map_err(|_| ())?;
            let size = usize::try_from(get(b, ph0 + P_FILESZ, 8).ok_or(())?).map_err(|_| ())?;
            let notes = b
                .get(offset..offset.checked_add(size).ok_or(())?)
                .ok_or(())?;
            let found = walk_notes(notes);
            if e == P::TooManyNotes {
                let max = crate::format::reader::MAX_NOTES;
                let &(cut, _, _, _) = found.get(max).ok_or(())?;
                put(b, ph0 + P_FILESZ, 8, cut as u64).ok_or(())?;
                return Ok(format!("{why}: kept the first {max}"));
            }
            let &(_, _, ty, _) = found
                .iter()
                .find(|(_, name, ty, desc)| {
                    *name == b"AGX"
                        && get(notes, *ty, 4) == Some(1)
                        && *desc < crate::format::info::AGX_INFO_FIELDS_SIZE
                })
                .ok_or(())?;
            // Retyped, the note is an unknown one the reader skips.
            put(b, offset + ty, 4, 0).ok_or(())?;
            Ok(format!("{why}: the GPU identity is unknown"))
        }
        P::UnexpectedSegment { index, .. }
        | P::Unaligned { index }
        | P::BadSegmentSize { index }
        | P::BadFileSize { index }
        | P::UserMemoryWithData { index }
        | P::DataOverlapsHeaders { index }
        | P::OverlappingData { index }
        | P::OverlappingVa { index }
        | P::DataOutOfBounds { index, .. } => {
            let phnum = usize::try_from(get(b, E_PHNUM, 2).ok_or(())?).map_err(|_| ())?;
            if index == 0 || index >= phnum {
                return Err(());
            }
            let at = phdr_at(b, index).ok_or(())?;
            let end = phdr_at(b, phnum).ok_or(())?;
            let vaddr = get(b, at + P_VADDR, 8).ok_or(())?;
            let memsz = get(b, at + P_MEMSZ, 8).ok_or(())?;
            b.get(at..end).ok_or(())?;
            b.copy_within(at + PHDR_SIZE..end, at);
            put(b, E_PHNUM, 2, (phnum - 1) as u64).ok_or(())?;
            let original = if index < orig.len() {
                orig.remove(index)
            } else {
                index
            };
            // Named by its index in the file (earlier repairs may have moved it up).
            let why = why.replace(
                &format!("segment {index} "),
                &format!("segment {original} "),
            );
            Ok(format!(
                "{why}: dropped it (gpu va {vaddr:#x}, {memsz:#x} bytes); the other segments are kept"
            ))
        }
        _ => Err(()),
    }
}

/// The end (with padding) of the note starting at `start`.
fn note_end(notes: &[u8], start: usize) -> Option<usize> {
    let namesz = usize::try_from(get(notes, start, 4)?).ok()?;
    let descsz = usize::try_from(get(notes, start.checked_add(4)?, 4)?).ok()?;
    let desc_end = align4(start.checked_add(12)?.checked_add(namesz)?)?.checked_add(descsz)?;
    Some(align4(desc_end)?.min(notes.len()))
}

/// Salvages what it can of `bytes` (see the module docs).
///
/// # Errors
///
/// The reader's error if the damage cannot be repaired (the ELF header itself).
pub fn salvage(bytes: &[u8]) -> Result<Salvaged, Error> {
    let first = match Dump::parse(bytes) {
        Ok(_) => {
            return Ok(Salvaged {
                bytes: bytes.to_vec(),
                warnings: Vec::new(),
            })
        }
        Err(e) => e,
    };
    let mut b = bytes.to_vec();
    let mut warnings = Vec::new();
    let phnum = get(&b, E_PHNUM, 2).unwrap_or(0);
    let mut orig: Vec<usize> = (0..usize::try_from(phnum).unwrap_or(0)).collect();
    let mut e = first;
    // Each repair removes a header, a segment or notes: the loop ends.
    for _ in 0..=phnum.saturating_add(crate::format::reader::MAX_NOTES as u64 + 4) {
        match repair(&mut b, e, &mut orig) {
            Ok(w) => warnings.push(w),
            Err(()) => return Err(Error::Parse(first)),
        }
        match Dump::parse(&b) {
            Ok(_) => return Ok(Salvaged { bytes: b, warnings }),
            Err(next) => e = next,
        }
    }
    Err(Error::Parse(first))
}
