// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The asahi GPU crash-dump format: an ELF64 core file of the firmware's GPU address space.
//!
//! This module is shared by the kernel writer and the host decoder. It is compiled in two ways:
//!
//! - by the host crate `asahi-coredump-format` as `mod format;` (from `src/lib.rs`, which
//!   re-exports it; the decoder `agx-coredump` re-exports that crate as `agx_coredump::format`), and
//! - by the kernel module as
//!   `#[path = ".../uapi/coredump/src/format.rs"] mod dumpfmt;`.
//!
//! To make both work, every file here follows the `firmware-defs` rules: submodules are declared
//! with explicit `#[path]` attributes (resolved relative to this file either way), there are no
//! `crate::` paths (only `super::`), no crate-level attributes, only `core` is used and nothing
//! allocates. The module does not use `firmware-defs` either, because its mount point differs
//! between the two builds; the few UAT PTE bits it needs are plain constants in [`pte`].
//!
//! The module denies the lints below (its "no panic" contract) itself, so both mounts get them
//! from here. No code here can panic: slices are accessed with `get`, arithmetic is checked,
//! and conversions use `TryFrom`.
//!
//! # File layout
//!
//! ```text
//! 0x0000  Elf64_Ehdr            ET_CORE, EM_AARCH64, ELFCLASS64, LSB, e_entry 0xffffff8000000000
//! 0x0040  Elf64_Phdr[0]         PT_NOTE, align 1, covering the notes below
//! 0x0078  Elf64_Phdr[1..n]      PT_LOAD, one per run of contiguous 16 KiB GPU pages (user
//!                               memory: flag `pte::FLAG_USER_MEMORY`, never any data)
//!         notes                 "AGX"/1 (AgxDumpInfo), "RTKIT"/1 (raw crash log)
//!         zero padding          up to the next 16 KiB boundary
//! data    page data             16 KiB per captured page, in segment order
//! ```
//!
//! See `uapi/coredump/FORMAT.md` for the field-by-field description and the differences
//! from the downstream Asahi driver's `crashdump.rs`, which this layout stays compatible with.
//!
//! # Modules
//!
//! - [`elf`]: the ELF64 header structures and their little-endian encoding.
//! - [`pte`]: the `p_flags` encoding of UAT PTE bits and the RWX tables.
//! - [`info`]: the `AGX` note descriptor, [`AgxDumpInfo`].
//! - [`writer`]: the streaming writer (segments, notes, layout, ranged reads).
//! - [`reader`]: the validating parser.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

#[path = "format/elf.rs"]
pub mod elf;

#[path = "format/pte.rs"]
pub mod pte;

#[path = "format/info.rs"]
pub mod info;

#[path = "format/writer.rs"]
pub mod writer;

#[path = "format/reader.rs"]
pub mod reader;

pub use info::AgxDumpInfo;
pub use reader::{Dump, LoadSegment, ParseError, VaError};
pub use writer::{
    Coalescer, LayoutError, Note, PageKind, PageSource, PagesRef, Segment, SegmentList, Writer,
};

/// log2 of the GPU (UAT) page size.
pub const GPU_PAGE_SHIFT: u32 = 14;
/// GPU (UAT) page size: every `PT_LOAD` and every page of data is a multiple of this.
pub const GPU_PAGE_SIZE: usize = 1 << GPU_PAGE_SHIFT;
/// [`GPU_PAGE_SIZE`] as a file offset / address quantity.
pub const GPU_PAGE_SIZE_U64: u64 = 1 << GPU_PAGE_SHIFT;

/// `e_entry` of every dump: the base of the upper (TTBR1, firmware) half of the GPU VA space.
///
/// Source: downstream `crashdump.rs` `FIRMWARE_ENTRYPOINT`.
pub const FIRMWARE_ENTRYPOINT: u64 = 0xffff_ff80_0000_0000;

/// Name of the note holding an [`AgxDumpInfo`] (without the NUL terminator).
pub const NOTE_NAME_AGX: &[u8] = b"AGX";
/// Type of the [`NOTE_NAME_AGX`] note holding an [`AgxDumpInfo`].
pub const NOTE_TYPE_AGX_INFO: u32 = 1;
/// Name of the note holding the raw RTKit crash log (without the NUL terminator).
pub const NOTE_NAME_RTKIT: &[u8] = b"RTKIT";
/// Type of the [`NOTE_NAME_RTKIT`] note holding the crash log.
pub const NOTE_TYPE_RTKIT_CRASHLOG: u32 = 1;

/// Rounds `v` up to a multiple of `align` (a power of two); `None` on overflow.
const fn align_up(v: u64, align: u64) -> Option<u64> {
    let mask = align.wrapping_sub(1);
    match v.checked_add(mask) {
        Some(x) => Some(x & !mask),
        None => None,
    }
}

/// Converts a length to a file quantity. `usize` is at most 64 bits on every target Linux and
/// the host tools support, so this never saturates in practice.
fn u64_of(v: usize) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}
