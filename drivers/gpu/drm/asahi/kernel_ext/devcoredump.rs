// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Device coredumps: hand a dump to userspace through `/sys/class/devcoredump`.
//!
//! C header: [`include/linux/devcoredump.h`](srctree/include/linux/devcoredump.h).
//!
//! The dump is read on demand through [`DumpSource::read_at`] (no single huge buffer), and the
//! core owns it from the call on: it frees it (drops the box) when the dump is read and
//! dismissed, times out, is refused (one pending dump per device) or devcoredump is disabled.

use crate::bindings;
use kernel::ffi::{c_char, c_void};
use kernel::prelude::*;

/// A dump's contents.
pub(crate) trait DumpSource: Send + Sync + 'static {
    /// Total size in bytes.
    fn size(&self) -> usize;
    /// Fills `buf` from `offset`; returns the bytes written (short at the end), or an error.
    fn read_at(&self, offset: usize, buf: &mut [u8]) -> Result<usize>;
}

/// Publishes `dump` for `dev`, kept at most `timeout_ms` unless dismissed.
pub(crate) fn dev_coredump<T: DumpSource>(
    dev: *mut bindings::device,
    dump: KBox<T>,
    timeout_ms: u32,
) {
    let size = dump.size();
    let data = KBox::into_raw(dump);
    // SAFETY: `dev` is the bound device (callers pass their own); the data pointer is owned by
    // the core from here on and handed back to `free::<T>` exactly once; `read::<T>` and
    // `free::<T>` match its type; the owner is this module, which the core pins while the dump
    // exists.
    unsafe {
        bindings::dev_coredumpm_timeout(
            dev,
            (&raw const bindings::__this_module).cast_mut(),
            data.cast(),
            size,
            bindings::GFP_KERNEL,
            Some(read::<T>),
            Some(free::<T>),
            kernel::time::msecs_to_jiffies(timeout_ms) as _,
        )
    };
}

/// # Safety
///
/// Called by the devcoredump core with the data of a dump made by `dev_coredump::<T>` and a
/// buffer of `count` writable bytes.
unsafe extern "C" fn read<T: DumpSource>(
    buffer: *mut c_char,
    offset: bindings::loff_t,
    count: usize,
    data: *mut c_void,
    _datalen: usize,
) -> isize {
    // SAFETY: `data` is the `T` handed over in `dev_coredump`, alive until `free`.
    let dump = unsafe { &*data.cast::<T>() };
    // SAFETY: The core passes `count` writable bytes at `buffer`.
    let buf = unsafe { core::slice::from_raw_parts_mut(buffer.cast::<u8>(), count) };
    let Ok(offset) = usize::try_from(offset) else {
        return EINVAL.to_errno() as isize;
    };
    match dump.read_at(offset, buf) {
        // CAST: at most `count`, which fits `isize`.
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// # Safety
///
/// Called once by the devcoredump core with the data of a dump made by `dev_coredump::<T>`.
unsafe extern "C" fn free<T: DumpSource>(data: *mut c_void) {
    // SAFETY: Reclaims the box leaked in `dev_coredump`, once.
    drop(unsafe { KBox::from_raw(data.cast::<T>()) });
}
