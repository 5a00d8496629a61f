// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Work items that can be flushed and cancelled, and hard-IRQ work (`irq_work`).
//!
//! C headers: [`include/linux/workqueue.h`](srctree/include/linux/workqueue.h),
//! [`include/linux/irq_work.h`](srctree/include/linux/irq_work.h).
//!
//! 6.12's `kernel::workqueue` can enqueue but not cancel or flush, which teardown needs. A
//! [`DriverWork`] or [`IrqWork`] is embedded in a pinned owner that implements [`WorkHandler`];
//! the callback reaches the owner through a pointer set at initialisation. Dropping either one
//! cancels and waits for the callback, so it must be the owner's *first* field (fields drop in
//! order): the callback never runs while the rest of the owner is being torn down.

use crate::bindings;
use kernel::prelude::*;
use kernel::sync::LockClassKey;
use kernel::types::Opaque;

/// What a work item runs.
pub(crate) trait WorkHandler: Sync {
    /// Runs the work.
    fn run(&self);
}

/// A work item on the unbound system workqueue, running `T::run` on the owner.
///
/// # Invariants
///
/// `owner` points to the pinned `T` that contains this value, valid until this value drops.
#[repr(C)]
#[pin_data(PinnedDrop)]
pub(crate) struct DriverWork<T: WorkHandler> {
    #[pin]
    work: Opaque<bindings::work_struct>,
    owner: *const T,
}

// SAFETY: The owner is `Sync` and outlives the item; the C work item is internally synchronised.
unsafe impl<T: WorkHandler> Send for DriverWork<T> {}
// SAFETY: As above.
unsafe impl<T: WorkHandler> Sync for DriverWork<T> {}

impl<T: WorkHandler> DriverWork<T> {
    /// An initialiser for a work item of `owner`, of lockdep class `key` (one per kind of work
    /// item, so that flushing one kind from another is not taken for recursion).
    ///
    /// # Safety
    ///
    /// `owner` is the pinned address of the `T` this item is the first field of.
    pub(crate) unsafe fn new(owner: *const T, key: &'static LockClassKey) -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `slot` is the pinned, uninitialised work item; `key` is static and
            // `LockClassKey` is `repr(transparent)` over the C key.
            work <- Opaque::ffi_init(|slot: *mut bindings::work_struct| unsafe {
                bindings::asahi_helper_init_work(
                    slot,
                    Some(Self::callback),
                    (key as *const LockClassKey).cast_mut().cast(),
                )
            }),
            owner,
        })
    }

    /// Queues the work (any context); a no-op if already queued.
    pub(crate) fn queue(&self) {
        // SAFETY: The item is initialised and pinned.
        unsafe { bindings::asahi_helper_queue_work(self.work.get()) };
    }

    /// Waits for the last queued run to finish. Process context.
    pub(crate) fn flush(&self) {
        // SAFETY: The item is initialised and pinned.
        unsafe { bindings::flush_work(self.work.get()) };
    }

    /// # Safety
    ///
    /// Called by the workqueue for an item initialised by `new`.
    unsafe extern "C" fn callback(work: *mut bindings::work_struct) {
        // SAFETY: `work` is the first field of a `repr(C)` `DriverWork<T>`.
        let this = unsafe { &*work.cast::<Self>() };
        // SAFETY: `owner` is valid until this item drops (type invariant), and dropping cancels
        // and waits for this callback first.
        unsafe { (*this.owner).run() };
    }
}

#[pinned_drop]
impl<T: WorkHandler> PinnedDrop for DriverWork<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: The item is initialised; after this no callback runs or is queued.
        unsafe { bindings::cancel_work_sync(self.work.get()) };
    }
}

/// Work run in hard interrupt context, like a device interrupt.
///
/// # Invariants
///
/// As for [`DriverWork`].
#[repr(C)]
#[pin_data(PinnedDrop)]
pub(crate) struct IrqWork<T: WorkHandler> {
    #[pin]
    work: Opaque<bindings::irq_work>,
    owner: *const T,
}

// SAFETY: As for `DriverWork`.
unsafe impl<T: WorkHandler> Send for IrqWork<T> {}
// SAFETY: As for `DriverWork`.
unsafe impl<T: WorkHandler> Sync for IrqWork<T> {}

impl<T: WorkHandler> IrqWork<T> {
    /// An initialiser for hard-IRQ work of `owner`.
    ///
    /// # Safety
    ///
    /// As for [`DriverWork::new`].
    pub(crate) unsafe fn new(owner: *const T) -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `slot` is the pinned, uninitialised item.
            work <- Opaque::ffi_init(|slot: *mut bindings::irq_work| unsafe {
                bindings::asahi_helper_init_irq_work_hard(slot, Some(Self::callback))
            }),
            owner,
        })
    }

    /// Raises the interrupt (any context); a no-op if already pending.
    pub(crate) fn raise(&self) {
        // SAFETY: The item is initialised and pinned.
        unsafe { bindings::irq_work_queue(self.work.get()) };
    }

    /// Waits until no callback is running. Process context.
    pub(crate) fn sync(&self) {
        // SAFETY: The item is initialised.
        unsafe { bindings::irq_work_sync(self.work.get()) };
    }

    /// # Safety
    ///
    /// Called by the irq_work core for an item initialised by `new`.
    unsafe extern "C" fn callback(work: *mut bindings::irq_work) {
        // SAFETY: `work` is the first field of a `repr(C)` `IrqWork<T>`.
        let this = unsafe { &*work.cast::<Self>() };
        // SAFETY: As for `DriverWork::callback`.
        unsafe { (*this.owner).run() };
    }
}

#[pinned_drop]
impl<T: WorkHandler> PinnedDrop for IrqWork<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: The item is initialised. The owner stops raising it before dropping it, so
        // after this sync no callback runs.
        unsafe { bindings::irq_work_sync(self.work.get()) };
    }
}
