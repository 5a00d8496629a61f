// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Device-prefixed logging (`dev_info!`, `dev_err!`, `dev_dbg!`; [`dev_print`] also at
//! `KERN_WARNING`).
//!
//! C header: [`include/linux/dev_printk.h`](srctree/include/linux/dev_printk.h). 6.12's `kernel`
//! crate has no `dev_*!` macros; these format with Rust's `fmt` and hand the result to the C
//! `_dev_*` functions through the kernel's `%pA` printf extension, as `pr_info!` does.
//!
//! `dev_dbg!` goes through one C `dev_dbg()` call site (`asahi_helper_dev_dbg`), so dynamic debug
//! switches all of the module's debug messages at once (`echo 'module asahi +p' >
//! /sys/kernel/debug/dynamic_debug/control`); they say why an input was refused.

use crate::bindings;

/// Something that names a C `struct device` for log prefixes.
pub(crate) trait AsRawDevice {
    /// The C `struct device` this object is, or belongs to.
    fn as_raw_device(&self) -> *mut bindings::device;
}

/// The C printing functions, one per level.
#[derive(Clone, Copy)]
pub(crate) enum Level {
    /// `KERN_ERR`.
    Err,
    /// `KERN_WARNING`.
    Warn,
    /// `KERN_INFO`.
    Info,
    /// `KERN_DEBUG`, printed only when dynamic debug enables it.
    Debug,
}

/// Prints `args` with the device prefix of `dev`. Use the macros instead.
pub(crate) fn dev_print(dev: &dyn AsRawDevice, level: Level, args: core::fmt::Arguments<'_>) {
    const FMT: &[u8] = b"%pA\0";
    let raw = dev.as_raw_device();
    let args_ptr: *const core::fmt::Arguments<'_> = &args;
    // SAFETY:
    // - `raw` is a live device: `AsRawDevice` implementors hand out devices they keep alive while
    //   borrowed.
    // - `FMT` is NUL-terminated and consumes exactly one pointer argument, a
    //   `*const fmt::Arguments`, which is what `%pA` expects; `args` outlives the call.
    unsafe {
        match level {
            Level::Err => bindings::_dev_err(raw, FMT.as_ptr(), args_ptr),
            Level::Warn => bindings::_dev_warn(raw, FMT.as_ptr(), args_ptr),
            Level::Info => bindings::_dev_info(raw, FMT.as_ptr(), args_ptr),
            Level::Debug => bindings::asahi_helper_dev_dbg(raw, args_ptr.cast()),
        }
    }
}

/// Logs at `KERN_ERR` with the device prefix: `dev_err!(dev, "fmt", args...)`.
macro_rules! dev_err {
    ($dev:expr, $($arg:tt)*) => {
        $crate::kernel_ext::print::dev_print(
            $dev, $crate::kernel_ext::print::Level::Err, format_args!($($arg)*))
    };
}

/// Logs at `KERN_INFO` with the device prefix.
macro_rules! dev_info {
    ($dev:expr, $($arg:tt)*) => {
        $crate::kernel_ext::print::dev_print(
            $dev, $crate::kernel_ext::print::Level::Info, format_args!($($arg)*))
    };
}

/// Logs at `KERN_DEBUG` with the device prefix, when dynamic debug enables the module's messages.
macro_rules! dev_dbg {
    ($dev:expr, $($arg:tt)*) => {
        $crate::kernel_ext::print::dev_print(
            $dev, $crate::kernel_ext::print::Level::Debug, format_args!($($arg)*))
    };
}

pub(crate) use {dev_dbg, dev_err, dev_info};
