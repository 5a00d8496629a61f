// SPDX-License-Identifier: GPL-2.0 OR MIT
//! MUST BUILD: the control for `implicit_drop.rs`, releasing the value explicitly.

use crate::kernel_ext::explicit_drop::ExplicitDrop;

#[no_mangle]
extern "C" fn asahi_compile_fail_probe(v: u32) -> u32 {
    let value = ExplicitDrop::new(kernel::prelude::KBox::new(v, kernel::prelude::GFP_KERNEL));
    let n = value.as_ref().map(|b| **b).unwrap_or(0);
    value.release();
    n
}
