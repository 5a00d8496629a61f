// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Raw bindings to the C APIs that 6.12's `kernel` crate does not bind.
//!
//! Generated at build time by bindgen from `bindings_helper.h` (see `Kbuild`), with the kernel's
//! own C flags, so the layouts are those of the running kernel. Types here are distinct from the
//! ones in `kernel::bindings` even where they name the same C struct (`struct device`, `struct
//! module`): convert pointers with `.cast()` at the boundary.
//!
//! Nothing outside `kernel_ext` and `helpers.c` should need this module: the driver uses the safe
//! abstractions in [`crate::kernel_ext`].

#![allow(
    dead_code,
    improper_ctypes,
    missing_docs,
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    unreachable_pub,
    unsafe_op_in_unsafe_fn,
    clippy::all,
    clippy::undocumented_unsafe_blocks
)]

// Mapped by hand, as `rust/bindings/lib.rs` does, so sizes are `usize`/`isize` on every target.
type __kernel_size_t = usize;
type __kernel_ssize_t = isize;
type __kernel_ptrdiff_t = isize;

include!("bindings_generated.rs");
