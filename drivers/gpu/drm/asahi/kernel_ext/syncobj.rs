// SPDX-License-Identifier: GPL-2.0 OR MIT

//! DRM sync objects, as a submit uses them: look up by handle, read the fence at a point, and
//! install a job's fence (binary replace, or a new timeline point).
//!
//! C header: [`include/drm/drm_syncobj.h`](srctree/include/drm/drm_syncobj.h).

use crate::bindings;
use crate::kernel_ext::dma_fence::Fence;
use core::ptr::NonNull;
use kernel::error::to_result;
use kernel::prelude::*;

/// A reference to a sync object.
///
/// # Invariants
///
/// `self.0` is a live syncobj on which this value owns one reference.
pub(crate) struct SyncObj(NonNull<bindings::drm_syncobj>);

// SAFETY: Syncobjs are refcounted and internally locked.
unsafe impl Send for SyncObj {}
// SAFETY: As above.
unsafe impl Sync for SyncObj {}

impl SyncObj {
    /// Looks up `handle` in `file` (`ENOENT` if unknown).
    pub(crate) fn lookup(file: *mut bindings::drm_file, handle: u32) -> Result<Self> {
        // SAFETY: `file` is a live DRM file (callers pass the ioctl's file); the result is a new
        // reference or null.
        let raw = unsafe { bindings::drm_syncobj_find(file, handle) };
        // INVARIANT: we own the reference the lookup took.
        Ok(Self(NonNull::new(raw).ok_or(ENOENT)?))
    }

    /// The fence at `point` (0 for binary syncobjs); `EINVAL` if there is none yet.
    pub(crate) fn fence(file: *mut bindings::drm_file, handle: u32, point: u64) -> Result<Fence> {
        let mut raw = core::ptr::null_mut();
        // SAFETY: `file` is live; on success `raw` holds a new fence reference.
        to_result(unsafe { bindings::drm_syncobj_find_fence(file, handle, point, 0, &mut raw) })?;
        let raw = NonNull::new(raw).ok_or(EINVAL)?;
        // SAFETY: We own the reference the lookup took.
        Ok(unsafe { Fence::from_raw(raw) })
    }

    /// Makes `fence` the syncobj's fence (binary syncobjs).
    pub(crate) fn replace_fence(&self, fence: &Fence) {
        // SAFETY: Both objects are live; the syncobj takes its own fence reference.
        unsafe { bindings::drm_syncobj_replace_fence(self.0.as_ptr(), fence.as_raw()) };
    }

    /// Adds `fence` as timeline point `point`, using a chain node allocated beforehand.
    pub(crate) fn add_point(&self, chain: ChainNode, fence: &Fence, point: u64) {
        // SAFETY: All objects are live; the syncobj takes ownership of the chain node and its
        // own fence reference.
        unsafe {
            bindings::drm_syncobj_add_point(
                self.0.as_ptr(),
                chain.into_raw(),
                fence.as_raw(),
                point,
            )
        };
    }
}

impl Drop for SyncObj {
    fn drop(&mut self) {
        // SAFETY: We own one reference (type invariant).
        unsafe { bindings::asahi_helper_drm_syncobj_put(self.0.as_ptr()) };
    }
}

/// A preallocated timeline chain node (`dma_fence_chain`), consumed by [`SyncObj::add_point`].
pub(crate) struct ChainNode(NonNull<bindings::dma_fence_chain>);

// SAFETY: An unused allocation, movable between threads.
unsafe impl Send for ChainNode {}
// SAFETY: `&ChainNode` exposes nothing.
unsafe impl Sync for ChainNode {}

impl ChainNode {
    /// Allocates a node (`ENOMEM` on failure).
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: Plain allocation.
        let raw = unsafe { bindings::asahi_helper_dma_fence_chain_alloc() };
        Ok(Self(NonNull::new(raw).ok_or(ENOMEM)?))
    }

    fn into_raw(self) -> *mut bindings::dma_fence_chain {
        let raw = self.0.as_ptr();
        core::mem::forget(self);
        raw
    }
}

impl Drop for ChainNode {
    fn drop(&mut self) {
        // SAFETY: An unused node from `dma_fence_chain_alloc`.
        unsafe { bindings::asahi_helper_dma_fence_chain_free(self.0.as_ptr()) };
    }
}
