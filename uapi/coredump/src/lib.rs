// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The asahi GPU crash-dump format: what the kernel writes to
//! `/sys/class/devcoredump/devcdN/data` when the GPU firmware crashes, and what its decoders
//! (`agx-coredump`, the guest tests) read. See `FORMAT.md` beside this crate for the file format.
//!
//! This crate is a thin host-side root: all content lives in `src/format.rs` and
//! `src/format/*.rs`, which the kernel module (built by Kbuild, no Cargo) mounts as a submodule:
//!
//! ```text
//! #[path = "../../../../uapi/coredump/src/format.rs"]
//! mod dumpfmt;
//! ```
//!
//! The crate is `no_std` and allocation-free, as the kernel needs: building it here proves that
//! the shared files use only `core`.

#![no_std]
#![forbid(unsafe_code)]

// `format.rs` carries its "no panic" lints itself (`#![deny(..)]`), for this mount and the kernel's.
mod format;

pub use format::*;
