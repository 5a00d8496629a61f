// SPDX-License-Identifier: GPL-2.0 OR MIT
//! MUST NOT BUILD: types holding a pointer or a reference offered to the byte views.
//! Mounted into the module by `tools/compile-fail.sh`, which expects each of the three to be
//! refused for not being `Plain`:
//! - `plain_fields!` refuses a struct with a raw pointer field (`*const u8: Plain` unsatisfied),
//!   so it cannot be declared plain;
//! - `FwObject::new` refuses a struct holding a reference (`WithRef: Plain` unsatisfied): the
//!   kernel address would reach the firmware;
//! - `fwmem::zeroed` refuses a reference type (`&u32: Plain` unsatisfied): a null reference.
#![allow(dead_code)]

use crate::fw::plain::{plain_fields, Plain};
use crate::fwalloc::{FwAllocator, FwObject, HeapKind};
use kernel::prelude::*;
use kernel::sync::Arc;

#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) struct WithPointer {
    pub(crate) p: *const u8,
    pub(crate) n: u64,
}

plain_fields!(WithPointer { p: *const u8, n: u64 });

#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) struct WithRef {
    pub(crate) r: &'static u64,
}

static ANSWER: u64 = 42;

fn upload(fw: &Arc<FwAllocator>) -> Result {
    let _obj = FwObject::new(fw, HeapKind::Shared, &WithRef { r: &ANSWER })?;
    Ok(())
}

fn null_ref() -> &'static u32 {
    crate::fwmem::zeroed::<&'static u32>()
}
