// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The asahi GPU crash-dump format and its decoder.
//!
//! - [`format`](mod@format) is the `core`-only, allocation-free definition of the dump format, shared with
//!   the kernel module (which mounts `src/format.rs` with `#[path]`): ELF structures, the
//!   streaming [`format::Writer`] and the validating [`format::Dump`] reader.
//! - [`report`] is the host decoder behind the `agx-coredump` command: GPU identity, crash log,
//!   segment table, memory reads and a best-effort walk of the firmware structures.
//!
//! See `FORMAT.md` for the file format.

#![forbid(unsafe_code)]

// The lints below are the format module's "no panic" contract; they are attached to the `mod`
// item because the shared file cannot carry inner attributes.
#[deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub mod format;

pub mod report;
