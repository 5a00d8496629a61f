// SPDX-License-Identifier: GPL-2.0 OR MIT
//! MUST BUILD: the control for `plain_padding.rs` and `plain_pointer.rs`: the same uses with a
//! layout whose padding is explicit (`Pad<3>`) and whose fields are all plain.
#![allow(dead_code)]

use crate::fw::plain::{plain_derive, plain_fields, plain_layout, Plain};
use crate::fw::types::{Pad, U64};
use crate::fwalloc::{FwAllocator, FwObject, HeapKind};
use kernel::prelude::*;
use kernel::sync::Arc;

plain_layout! {
    /// A tag and a word, with explicit padding, and an unaligned 64-bit field.
    #[derive(Clone, Copy)]
    #[repr(C)]
    pub(crate) struct Explicit {
        pub(crate) tag: u8,
        pub(crate) pad: Pad<3>,
        pub(crate) word: u32,
        pub(crate) va: U64,
    }
}

fn upload(fw: &Arc<FwAllocator>) -> Result<FwObject<Explicit>> {
    let mut v: Explicit = crate::fwmem::zeroed();
    v.tag = 1;
    FwObject::new(fw, HeapKind::Shared, &v)
}
