// SPDX-License-Identifier: GPL-2.0 OR MIT
//! MUST NOT BUILD: a firmware layout with implicit padding (3 bytes after `tag`), defined
//! through `plain_layout!` and handed to `FwObject::new` and `fwmem::zeroed`. Mounted into the
//! module by `tools/compile-fail.sh`, which expects the layout check of `plain_fields!` to refuse
//! it ("Padded has padding"): padding bytes would carry uninitialised kernel memory to the
//! firmware.
#![allow(dead_code)]

use crate::fw::plain::{plain_derive, plain_fields, plain_layout, Plain};
use crate::fwalloc::{FwAllocator, FwObject, HeapKind};
use kernel::prelude::*;
use kernel::sync::Arc;

plain_layout! {
    /// A tag and a word, with the padding between them left implicit.
    #[derive(Clone, Copy)]
    #[repr(C)]
    pub(crate) struct Padded {
        pub(crate) tag: u8,
        pub(crate) word: u32,
    }
}

fn upload(fw: &Arc<FwAllocator>) -> Result<FwObject<Padded>> {
    let mut v: Padded = crate::fwmem::zeroed();
    v.tag = 1;
    FwObject::new(fw, HeapKind::Shared, &v)
}
