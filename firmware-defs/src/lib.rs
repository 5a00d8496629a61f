//! AGX GPU firmware ABI: `#[repr(C)]` layouts and pure helpers.
//!
//! This crate is a thin host-side root around [`defs`](self). All content lives in
//! `src/defs.rs` and `src/defs/*.rs` (the firmware layouts) and in `src/engine.rs` and
//! `src/engine/*.rs` (the engines that operate on them: the UAT page-table engine, the heap
//! books; mounted from `defs.rs` as [`engine`]), so that the out-of-tree kernel module (built
//! by Kbuild, no Cargo) can mount the very same files as a submodule:
//!
//! ```text
//! #[path = "../../../../firmware-defs/src/defs.rs"]
//! mod fw;
//! ```
//!
//! Host tools (the crash-dump decoder, the test harness) use this crate with the `zerocopy`
//! feature, which derives `zerocopy::{FromBytes, IntoBytes, KnownLayout, Immutable}` on every
//! layout so that firmware structures can be read out of a dump without `unsafe`, and makes
//! them supertraits of [`plain::Plain`], the plain-data trait that bounds the kernel module's
//! byte views: the host build proves each `Plain` claim the module relies on.

#![no_std]
#![forbid(unsafe_op_in_unsafe_fn)]
#![forbid(missing_docs)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(clippy::missing_safety_doc)]

mod defs;
pub use defs::*;
