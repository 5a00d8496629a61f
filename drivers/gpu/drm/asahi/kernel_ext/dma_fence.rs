// SPDX-License-Identifier: GPL-2.0 OR MIT

//! DMA fences: the driver's own job fences, references to anyone's fences, and the signalling
//! annotations.
//!
//! C header: [`include/linux/dma-fence.h`](srctree/include/linux/dma-fence.h).
//!
//! The rules this module helps keep (see the dma-fence documentation): a fence, once published,
//! must signal in bounded time, and everything on the path to signalling it may not allocate
//! with `GFP_KERNEL` or take locks that memory reclaim can wait on. So fences are allocated when
//! work is submitted ([`FenceContext::new_fence`], which may sleep), and signalled later from any
//! context with [`Fence::signal`], which allocates nothing. Code on the signalling path runs
//! inside a [`SignallingSection`], which tells lockdep to check exactly that.

use crate::bindings;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::types::Opaque;

/// A reference to a `dma_fence` (ours or another driver's).
///
/// # Invariants
///
/// `self.0` points to a live fence on which this value owns one reference.
pub(crate) struct Fence(NonNull<bindings::dma_fence>);

// SAFETY: `dma_fence` is internally synchronised and refcounted; references may move between
// threads.
unsafe impl Send for Fence {}
// SAFETY: As above.
unsafe impl Sync for Fence {}

impl Fence {
    /// Takes over a reference the caller owns.
    ///
    /// # Safety
    ///
    /// `raw` is a live fence and the caller gives up one reference to it.
    pub(crate) unsafe fn from_raw(raw: NonNull<bindings::dma_fence>) -> Self {
        // INVARIANT: guaranteed by the caller.
        Self(raw)
    }

    /// The C fence.
    pub(crate) fn as_raw(&self) -> *mut bindings::dma_fence {
        self.0.as_ptr()
    }

    /// Waits for the fence, interruptibly (`ERESTARTSYS` on a signal).
    pub(crate) fn wait_interruptible(&self) -> Result {
        // SAFETY: The fence is live; `MAX_SCHEDULE_TIMEOUT` waits without a time limit.
        let r = unsafe {
            bindings::dma_fence_wait_timeout(self.as_raw(), true, bindings::MAX_SCHEDULE_TIMEOUT)
        };
        if r < 0 {
            // CAST: errno values fit in c_int.
            Err(Error::from_errno(r as i32))
        } else {
            Ok(())
        }
    }

    /// Signals the fence, with `error` if the work failed. Allocates nothing and may be called
    /// from any context, including hard interrupts. Signalling twice is harmless.
    pub(crate) fn signal(&self, error: Option<Error>) {
        // SAFETY: The fence is live. Setting the error before signalling is the C contract.
        unsafe {
            if let Some(e) = error {
                if !bindings::asahi_helper_dma_fence_is_signaled(self.as_raw()) {
                    bindings::asahi_helper_dma_fence_set_error(self.as_raw(), e.to_errno());
                }
            }
            bindings::dma_fence_signal(self.as_raw());
        }
    }
}

impl Clone for Fence {
    fn clone(&self) -> Self {
        // SAFETY: The fence is live; the new reference is owned by the new value.
        unsafe { bindings::asahi_helper_dma_fence_get(self.as_raw()) };
        Self(self.0)
    }
}

impl Drop for Fence {
    fn drop(&mut self) {
        // SAFETY: We own one reference (type invariant). The final put of one of *our* fences
        // frees it with `kfree_rcu`, which is safe in any context.
        unsafe { bindings::asahi_helper_dma_fence_put(self.as_raw()) };
    }
}

/// One of our fences: the C fence and the lock it uses, in one `kmalloc` allocation freed by
/// [`release`] with the core's `dma_fence_free` (an RCU-delayed `kfree` of the fence pointer,
/// which is the start of this struct).
///
/// Each of our fences holds a reference on this module: its operations, names and lock class
/// live in the module, and a fence can outlive every file of the device (a sync_file, another
/// driver's reservation object). So `rmmod` waits (fails with `EBUSY`/`EAGAIN`) until the last
/// of our fences is released.
#[repr(C)]
struct OwnFence {
    base: Opaque<bindings::dma_fence>,
    lock: Opaque<bindings::spinlock_t>,
}

/// A fence timeline: fences made from one context signal in order.
pub(crate) struct FenceContext {
    context: u64,
    seqno: AtomicU64,
    ops: &'static FenceOps,
}

/// The C operations of our fences.
#[repr(transparent)]
pub(crate) struct FenceOps(bindings::dma_fence_ops);
// SAFETY: Immutable table of function pointers.
unsafe impl Sync for FenceOps {}

impl FenceOps {
    /// Operations reporting `T`'s names.
    pub(crate) const fn new<T: FenceNames>() -> Self {
        Self(bindings::dma_fence_ops {
            get_driver_name: Some(driver_name::<T>),
            get_timeline_name: Some(timeline_name::<T>),
            release: Some(release),
            // SAFETY: The other callbacks are optional; null selects the core defaults.
            ..unsafe { core::mem::zeroed() }
        })
    }
}

/// Names our fences report (debugfs, sync_file info).
pub(crate) trait FenceNames {
    /// The driver name.
    const DRIVER: &'static CStr;
    /// The timeline name.
    const TIMELINE: &'static CStr;
}

/// The fence's driver name (`dma_fence_ops::get_driver_name`).
///
/// # Safety
///
/// Called by the fence core on one of our fences; the argument is not used.
unsafe extern "C" fn driver_name<T: FenceNames>(
    _f: *mut bindings::dma_fence,
) -> *const kernel::ffi::c_char {
    T::DRIVER.as_char_ptr()
}

/// The fence's timeline name (`dma_fence_ops::get_timeline_name`).
///
/// # Safety
///
/// Called by the fence core on one of our fences; the argument is not used.
unsafe extern "C" fn timeline_name<T: FenceNames>(
    _f: *mut bindings::dma_fence,
) -> *const kernel::ffi::c_char {
    T::TIMELINE.as_char_ptr()
}

/// Frees one of our fences (its last reference is gone) and drops its module reference.
/// Runs in any context, like every final `dma_fence_put`.
///
/// # Safety
///
/// `f` is one of our fences, allocated by [`FenceContext::new_fence`], whose last reference is
/// gone (the fence core calls this from `dma_fence_release`).
unsafe extern "C" fn release(f: *mut bindings::dma_fence) {
    // SAFETY: `f` is one of our fences (only they use these operations), allocated as an
    // `OwnFence` whose first field it is; nobody holds a reference any more. `dma_fence_free`
    // frees it after an RCU grace period, as the core does for fences without `release`.
    unsafe { bindings::dma_fence_free(f) };
    // SAFETY: Drops the module reference `FenceContext::new_fence` took for this fence. This is
    // the last thing the fence's code does (the module's text may go once its count is zero).
    unsafe { bindings::asahi_helper_this_module_put() };
}

impl FenceContext {
    /// A new timeline whose fences use `ops`.
    pub(crate) fn new(ops: &'static FenceOps) -> Self {
        Self {
            // SAFETY: Plain counter allocation.
            context: unsafe { bindings::dma_fence_context_alloc(1) },
            seqno: AtomicU64::new(0),
            ops,
        }
    }

    /// Allocates and initialises a fence of this timeline, unsignalled and not yet numbered
    /// (seqno 0): [`Self::number`] gives it its place once its order of signalling is fixed.
    /// This is the allocation the signalling path must not make: call it at submit time.
    pub(crate) fn new_fence(&self) -> Result<Fence> {
        // `OwnFence` is plain C data; it is fully initialised below before use.
        let f = KBox::new(
            OwnFence {
                base: Opaque::uninit(),
                lock: Opaque::uninit(),
            },
            GFP_KERNEL,
        )?;
        let raw = KBox::into_raw(f);
        // SAFETY: The module is live (we are running its code for a caller that holds it); the
        // reference is dropped by `release`.
        unsafe { bindings::asahi_helper_this_module_get() };
        // SAFETY: `raw` is a fresh allocation; the lock is initialised before the fence that
        // uses it; from here the fence's refcount (1, ours) governs the allocation, released by
        // `release`.
        unsafe {
            let lock = Opaque::raw_get(&raw const (*raw).lock);
            let base = Opaque::raw_get(&raw const (*raw).base);
            core::ptr::write_bytes(base, 0, 1);
            bindings::asahi_helper_spin_lock_init(
                lock,
                c"asahi::fence".as_ptr().cast(),
                super::spinlock_irq::lock_class!() as *const _ as *mut _,
            );
            bindings::dma_fence_init(base, &self.ops.0, lock, self.context, 0);
            Ok(Fence::from_raw(NonNull::new_unchecked(base)))
        }
    }

    /// Gives `fence` the next seqno of this timeline. Fences of one timeline must signal in
    /// seqno order (`dma_fence_is_later`, sync_file merges and reservation objects keep only
    /// the "later" one), so a fence is numbered when its place in the execution order is fixed,
    /// under the lock that fixes it, rather than when it is allocated.
    ///
    /// # Safety
    ///
    /// `fence` was made by this context's [`Self::new_fence`], has not been numbered, and has
    /// not been shared yet (no other thread or subsystem can read its seqno, a plain field the
    /// core reads without locking).
    pub(crate) unsafe fn number(&self, fence: &Fence) {
        let seqno = self.seqno.fetch_add(1, Ordering::Relaxed) + 1;
        // SAFETY: `fence` is live and unshared (guaranteed by the caller), so this write races
        // with nothing.
        unsafe { (*fence.as_raw()).seqno = seqno };
    }
}

/// A `dma_fence_begin_signalling` / `end_signalling` section: while it is alive, lockdep treats
/// any allocation that may recurse into reclaim, and any lock also taken around fence waits, as
/// a deadlock.
#[must_use = "the section ends when the guard is dropped"]
pub(crate) struct SignallingSection(bool);

impl SignallingSection {
    /// Enters the section.
    pub(crate) fn begin() -> Self {
        // SAFETY: No preconditions; the cookie is handed back in `drop`.
        Self(unsafe { bindings::dma_fence_begin_signalling() })
    }
}

impl Drop for SignallingSection {
    fn drop(&mut self) {
        // SAFETY: The cookie from the matching `begin`.
        unsafe { bindings::dma_fence_end_signalling(self.0) };
    }
}
