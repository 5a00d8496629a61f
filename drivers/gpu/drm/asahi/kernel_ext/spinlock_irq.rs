// SPDX-License-Identifier: GPL-2.0 OR MIT

//! An interrupt-safe spinlock (`spin_lock_irqsave`), which 6.12's `kernel::sync` lacks.
//!
//! Data shared with a hard interrupt handler must be locked with interrupts off, or the handler
//! can deadlock against the code it interrupted (and lockdep says so). Each lock gets its own
//! lockdep class from the `LockClassKey` given at initialisation.

use crate::bindings;
use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::LockClassKey;
use kernel::types::Opaque;

/// A spinlock taken with local interrupts disabled.
#[pin_data]
pub(crate) struct SpinLockIrq<T> {
    #[pin]
    lock: Opaque<bindings::spinlock_t>,
    data: UnsafeCell<T>,
}

// SAFETY: The lock hands out access to `data` to one holder at a time, on any CPU.
unsafe impl<T: Send> Send for SpinLockIrq<T> {}
// SAFETY: As above: `&SpinLockIrq` only gives access to `T` through the lock.
unsafe impl<T: Send> Sync for SpinLockIrq<T> {}

impl<T> SpinLockIrq<T> {
    /// An initialiser for a lock protecting `data`, of lockdep class `key`.
    pub(crate) fn new(
        data: T,
        name: &'static CStr,
        key: &'static LockClassKey,
    ) -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `slot` is the pinned, uninitialised lock; `name` and `key` are static.
            // `LockClassKey` is `repr(transparent)` over the C `lock_class_key`.
            lock <- Opaque::ffi_init(|slot: *mut bindings::spinlock_t| unsafe {
                bindings::asahi_helper_spin_lock_init(
                    slot,
                    name.as_char_ptr(),
                    (key as *const LockClassKey).cast_mut().cast(),
                )
            }),
            data: UnsafeCell::new(data),
        })
    }

    /// Takes the lock, disabling local interrupts until the guard drops.
    pub(crate) fn lock(&self) -> SpinLockIrqGuard<'_, T> {
        // SAFETY: The lock was initialised by `new` and is pinned.
        let flags = unsafe { bindings::asahi_helper_spin_lock_irqsave(self.lock.get()) };
        SpinLockIrqGuard { lock: self, flags }
    }
}

/// Access to the data of a held [`SpinLockIrq`].
#[must_use = "the lock unlocks immediately when the guard is unused"]
pub(crate) struct SpinLockIrqGuard<'a, T> {
    lock: &'a SpinLockIrq<T>,
    flags: usize,
}

impl<T> Deref for SpinLockIrqGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: The guard holds the lock, so access is exclusive.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for SpinLockIrqGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: The guard holds the lock, so access is exclusive.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for SpinLockIrqGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: The lock is held by this guard with these saved flags.
        unsafe { bindings::asahi_helper_spin_unlock_irqrestore(self.lock.lock.get(), self.flags) };
    }
}

/// Declares a static lockdep class and returns it (one class per call site).
macro_rules! lock_class {
    () => {{
        static CLASS: kernel::sync::LockClassKey =
            // SAFETY: lockdep expects statically allocated keys to be uninitialised memory.
            unsafe { ::core::mem::MaybeUninit::uninit().assume_init() };
        &CLASS
    }};
}
pub(crate) use lock_class;
