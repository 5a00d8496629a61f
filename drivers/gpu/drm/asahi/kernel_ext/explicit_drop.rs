// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Values that must be released explicitly, in the right context.
//!
//! Some objects may only be released where sleeping is allowed: their destructors take mutexes
//! or free memory through paths that can sleep. Letting the last reference go implicitly (an
//! early `?`, a forgotten local, a container dropped on the interrupt path) is a bug that
//! lockdep or `might_sleep` reports only if that path happens to run.
//!
//! [`ExplicitDrop<T>`] makes such a bug a *build* failure: its `Drop` calls
//! [`kernel::build_error`], which the optimiser removes only where no implicit drop can happen.
//! Anywhere one can, the module references the symbol `rust_build_error`, which the kernel does
//! not export (`CONFIG_RUST_BUILD_ASSERT_ALLOW` is off), so `modpost` rejects the module.
//! `tools/compile-fail.sh` builds a deliberately wrong snippet to prove it.
//!
//! The value is released with [`ExplicitDrop::release`], which checks the context at run time
//! (process context, may sleep, not inside a dma-fence signalling section), or handed to a
//! worker by callers in atomic context (the GPU's retired-job ring, see [`crate::gpu`]).
//!
//! Used for: job references (`gpu::JobRef`). A job's release drops its hold on its VM, which
//! takes the VM's mutex and may free page tables and the last references to buffer objects;
//! jobs complete in the interrupt handler, so the type system must keep their release off it.

use crate::bindings;
use core::mem::ManuallyDrop;
use core::ops::Deref;

/// A `T` that may not be dropped implicitly: call [`release`](Self::release).
///
/// # Invariants
///
/// `self.0` holds a valid `T` until `release` takes it.
#[repr(transparent)]
pub(crate) struct ExplicitDrop<T>(ManuallyDrop<T>);

impl<T> ExplicitDrop<T> {
    /// Wraps `value`.
    pub(crate) fn new(value: T) -> Self {
        Self(ManuallyDrop::new(value))
    }

    /// Takes the value out without releasing it, to move it somewhere that releases it later
    /// (an intrusive list drained in process context, say). The caller takes over the duty.
    pub(crate) fn into_value(self) -> T {
        self.into_inner()
    }

    fn into_inner(self) -> T {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so the value is taken exactly once (type invariant).
        unsafe { ManuallyDrop::take(&mut this.0) }
    }

    /// Releases the value. Must be called where sleeping is allowed; checked at run time
    /// (`might_sleep`, with a warning if called in interrupt context or inside a fence
    /// signalling section, where the value is then leaked rather than released unsafely).
    #[track_caller]
    pub(crate) fn release(self) {
        // SAFETY: Context checks only.
        let bad = unsafe { bindings::asahi_helper_check_release_context() };
        let value = self.into_inner();
        if bad {
            core::mem::forget(value);
        } else {
            drop(value);
        }
    }
}

impl<T> Deref for ExplicitDrop<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Drop for ExplicitDrop<T> {
    #[inline(always)]
    fn drop(&mut self) {
        implicit_drop();
    }
}

/// Where an implicit drop leads: a reference to the unexported `rust_build_error`. Inlined, so
/// that it exists in the object only where a drop can really happen.
#[inline(always)]
fn implicit_drop() -> ! {
    kernel::build_error(
        "ExplicitDrop value dropped implicitly: call release() where sleeping is allowed",
    )
}
