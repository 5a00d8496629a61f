// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Refusals that say why: every `EINVAL`, `ENOENT` and `ENOSPC` an ioctl returns for bad input
//! is logged with `dev_dbg!` first, naming the ioctl, the field and the rule it broke, worded
//! like the guest fuzzer's verdicts:
//!
//! ```text
//! asahi agx-virtual: VM_BIND: ops[2].flags: unknown flag 0x100: EINVAL
//! asahi agx-virtual: SUBMIT: syncs[0].handle: no such syncobj 57: ENOENT
//! ```
//!
//! The messages are off unless dynamic debug enables them (`echo 'module asahi +p' >
//! /sys/kernel/debug/dynamic_debug/control`), so a client that probes the uAPI costs a disabled
//! branch per refusal.

use crate::file::DrmFile;
use crate::kernel_ext::print::dev_dbg;
use core::fmt::{Arguments, Display};
use kernel::prelude::*;

/// The ioctl being served, for refusal messages.
#[derive(Clone, Copy)]
pub(crate) struct Why<'a> {
    file: &'a DrmFile,
    ioctl: &'static str,
}

/// The short name of an errno the ioctls refuse with.
fn errno_name(e: Error) -> &'static str {
    match e {
        e if e == EINVAL => "EINVAL",
        e if e == ENOENT => "ENOENT",
        e if e == ENOSPC => "ENOSPC",
        e if e == EFAULT => "EFAULT",
        e if e == ENOMEM => "ENOMEM",
        _ => "error",
    }
}

impl<'a> Why<'a> {
    /// Refusals of `ioctl` (its name without `DRM_IOCTL_ASAHI_`) on `file`.
    pub(crate) fn new(file: &'a DrmFile, ioctl: &'static str) -> Self {
        Self { file, ioctl }
    }

    /// Logs that `field` broke `rule` and returns `err` to refuse with.
    pub(crate) fn refused(&self, err: Error, field: impl Display, rule: Arguments<'_>) -> Error {
        dev_dbg!(
            self.file.device(),
            "{}: {}: {}: {}\n",
            self.ioctl,
            field,
            rule,
            errno_name(err)
        );
        err
    }

    /// `EINVAL` (logged) unless `value` is zero (padding and must-be-zero fields).
    pub(crate) fn mbz<T: PartialEq + Default + core::fmt::LowerHex>(
        &self,
        field: impl Display,
        value: T,
    ) -> Result {
        if value == T::default() {
            Ok(())
        } else {
            Err(self.refused(EINVAL, field, format_args!("must be 0, is {value:#x}")))
        }
    }

    /// Logs `err` for `field` if it is `ENOENT` or `EINVAL` from a lookup of `what` `id`.
    pub(crate) fn lookup<T>(
        &self,
        r: Result<T>,
        field: impl Display,
        what: &str,
        id: u32,
    ) -> Result<T> {
        r.map_err(|e| {
            if e == ENOENT || e == EINVAL {
                self.refused(e, field, format_args!("no such {what} {id}"))
            } else {
                e
            }
        })
    }

    /// Logs an `ENOSPC` of inserting into a per-file id map holding at most `limit` `what`s.
    pub(crate) fn id_space<T>(&self, r: Result<T>, what: &str, limit: usize) -> Result<T> {
        r.map_err(|e| {
            if e == ENOSPC {
                self.refused(e, what, format_args!("the file already holds {limit}"))
            } else {
                e
            }
        })
    }
}

/// `Err(why.refused(err, field, rule))` unless `cond`: `ensure!(why, cond, EINVAL, "field",
/// "rule {}", args)`.
macro_rules! ensure {
    ($why:expr, $cond:expr, $err:expr, $field:expr, $($rule:tt)*) => {
        if !$cond {
            return Err($why.refused($err, $field, format_args!($($rule)*)));
        }
    };
}

pub(crate) use ensure;
