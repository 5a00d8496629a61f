// SPDX-License-Identifier: GPL-2.0 OR MIT
//! MUST NOT BUILD: an `ExplicitDrop` value goes out of scope without `release()`.
//! Mounted into the module by `tools/compile-fail.sh`, which expects `modpost` to reject the
//! module for its reference to `rust_build_error`.

use crate::kernel_ext::explicit_drop::ExplicitDrop;

#[no_mangle]
extern "C" fn asahi_compile_fail_probe(v: u32) -> u32 {
    let value = ExplicitDrop::new(kernel::prelude::KBox::new(v, kernel::prelude::GFP_KERNEL));
    let n = value.as_ref().map(|b| **b).unwrap_or(0);
    // `value` is dropped here, implicitly.
    n
}
