// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The decoder of asahi GPU crash dumps.
//!
//! - [`format`](mod@format) is the dump format itself, the `no_std` crate
//!   `asahi-coredump-format` (`uapi/coredump/`, shared with the kernel module, which mounts its
//!   sources with `#[path]`): ELF structures, the streaming [`format::Writer`] and the
//!   validating [`format::Dump`] reader. It is re-exported here so that decoders need one
//!   dependency.
//! - [`report`] is the host decoder behind the `agx-coredump` command: GPU identity, crash log,
//!   segment table, memory reads and a best-effort walk of the firmware structures.
//!
//! See `uapi/coredump/FORMAT.md` for the file format.

#![forbid(unsafe_code)]

pub use asahi_coredump_format as format;

pub mod report;
