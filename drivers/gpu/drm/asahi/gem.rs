// SPDX-License-Identifier: GPL-2.0 OR MIT

//! GEM buffer objects (`DRM_IOCTL_ASAHI_GEM_CREATE`, `GEM_MMAP_OFFSET`, mmap, PRIME export).
//!
//! An object's memory is a list of [`GpuPage`]s (16 KiB, physically contiguous), because the
//! GPU maps memory in 16 KiB pages whatever the CPU's page size. Memory is zeroed at allocation,
//! so a new object never shows a previous owner's data. It is charged to the memory cgroup of the
//! task that creates the object (`__GFP_ACCOUNT`), and an allocation past the cgroup's limit or the
//! machine's memory fails `GEM_CREATE` with `ENOMEM` instead of invoking the OOM killer.
//!
//! Objects are reference counted by the DRM core (`drm_gem_object`): handles, CPU mappings,
//! dma-bufs and GPU mappings each hold a reference, and the memory is freed at the last one.
//! `VM_PRIVATE` objects belong to one VM: they may only be bound there and cannot be exported.

use crate::bindings;
use crate::driver::AsahiDrmDevice;
use crate::file::DrmFile;
use crate::kernel_ext::print::dev_dbg;
use crate::pages::{GpuPage, CPU_PAGES_PER_GPU_PAGE, GPU_PAGE_SIZE};
use core::ptr::NonNull;
use kernel::error::to_result;
use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::types::{ARef, AlwaysRefCounted, Opaque};

/// Largest object: bounds the page table (8 bytes per 16 KiB) and keeps offsets in range.
pub(crate) const MAX_SIZE: u64 = 1 << 36;

/// A buffer object.
///
/// # Invariants
///
/// - `base` is an initialised `drm_gem_object` whose `funcs` is [`FUNCS`]; the DRM core owns the
///   reference count, and `free` (at the last reference) drops the whole `Object`.
/// - `chunks` covers exactly `base.size` bytes.
#[repr(C)]
pub(crate) struct Object {
    base: Opaque<bindings::drm_gem_object>,
    flags: u32,
    private_vm: u64,
    chunks: KVVec<GpuPage>,
}

// SAFETY: The object is only mutated through the DRM core (which synchronises) and at creation;
// chunks are owned pages, usable from any thread.
unsafe impl Send for Object {}
// SAFETY: As above; shared access is read-only.
unsafe impl Sync for Object {}

// SAFETY: `drm_gem_object_get`/`put` manage the count; the object lives while it is non-zero.
unsafe impl AlwaysRefCounted for Object {
    fn inc_ref(&self) {
        // SAFETY: `self` is backed by a reference, so the object is alive.
        unsafe { bindings::asahi_helper_drm_gem_object_get(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller gives up a reference it owns.
        unsafe { bindings::asahi_helper_drm_gem_object_put(obj.cast().as_ptr()) };
    }
}

impl Object {
    /// Allocates a zeroed object of `size` bytes rounded up to the GPU page size. `flags` are
    /// uAPI `DRM_ASAHI_GEM_*` flags (already validated); `private_vm` is the serial of the VM a
    /// `VM_PRIVATE` object belongs to, or 0.
    pub(crate) fn new(
        dev: &AsahiDrmDevice,
        size: u64,
        flags: u32,
        private_vm: u64,
    ) -> Result<ARef<Self>> {
        if size == 0 || size > MAX_SIZE {
            return Err(EINVAL);
        }
        let size = size.next_multiple_of(GPU_PAGE_SIZE);
        let n = usize::try_from(size / GPU_PAGE_SIZE)?;
        // The pages and their list are charged to the caller's memory cgroup.
        let mut chunks = KVVec::with_capacity(n, GFP_KERNEL_ACCOUNT)?;
        for _ in 0..n {
            chunks.push(GpuPage::alloc_user()?, GFP_KERNEL_ACCOUNT)?;
        }
        let obj = KBox::new(
            Object {
                base: Opaque::uninit(),
                flags,
                private_vm,
                chunks,
            },
            GFP_KERNEL,
        )?;
        let raw = KBox::into_raw(obj);
        // SAFETY: `raw` is a fresh allocation; `base` is first in the `repr(C)` struct. The C
        // object must start zeroed (the core expects kzalloc'd objects; init sets only some
        // fields). The init sets the reference count to 1, which we own from here on.
        unsafe {
            let base = Opaque::raw_get(&raw const (*raw).base);
            core::ptr::write_bytes(base, 0, 1);
            // CAST: `size` is at most `MAX_SIZE`, which fits a `usize`.
            bindings::drm_gem_private_object_init(dev.as_raw(), base, size as usize);
            (*base).funcs = &FUNCS.0;
        }
        // INVARIANT: initialised with `FUNCS`; the chunks cover `size`.
        // SAFETY: `raw` is non-null and we own its one reference.
        Ok(unsafe { ARef::from_raw(NonNull::new_unchecked(raw)) })
    }

    /// Looks up `handle` in `file` (`ENOENT` if there is no such handle).
    pub(crate) fn lookup(file: &DrmFile, handle: u32) -> Result<ARef<Self>> {
        // SAFETY: `file` is a live DRM file; the lookup returns a new reference or null.
        let obj = unsafe { bindings::drm_gem_object_lookup(file.as_raw(), handle) };
        let obj = NonNull::new(obj).ok_or(ENOENT)?;
        // SAFETY: Every GEM object of an asahi file is an `Object` (this driver imports no
        // foreign buffers), so `funcs` identifies it; we own the reference just taken.
        let is_ours = unsafe { core::ptr::eq((*obj.as_ptr()).funcs, &FUNCS.0) };
        // SAFETY: We own the reference `drm_gem_object_lookup` took.
        let obj = unsafe { ARef::from_raw(obj.cast::<Self>()) };
        if !is_ours {
            return Err(EINVAL);
        }
        Ok(obj)
    }

    fn as_raw(&self) -> *mut bindings::drm_gem_object {
        self.base.get()
    }

    /// Size in bytes (a multiple of the GPU page size).
    pub(crate) fn size(&self) -> u64 {
        // CAST: `usize` is 64-bit on every supported target.
        self.chunks.len() as u64 * GPU_PAGE_SIZE
    }

    /// The physical address of the object's GPU page `index` (`None` past the end).
    pub(crate) fn page_phys(&self, index: usize) -> Option<u64> {
        self.chunks.get(index).map(GpuPage::phys)
    }

    /// Whether the object is `VM_PRIVATE` to the VM with serial `vm`.
    pub(crate) fn private_vm(&self) -> Option<u64> {
        (self.private_vm != 0).then_some(self.private_vm)
    }

    /// Creates a handle for the object in `file`.
    pub(crate) fn create_handle(&self, file: &DrmFile) -> Result<u32> {
        let mut handle = 0;
        // SAFETY: `file` and the object are alive; on success the handle holds its own
        // reference.
        to_result(unsafe {
            bindings::drm_gem_handle_create(file.as_raw(), self.as_raw(), &mut handle)
        })?;
        Ok(handle)
    }

    /// The offset userspace passes to `mmap` for this object.
    pub(crate) fn mmap_offset(&self) -> Result<u64> {
        // SAFETY: The object is alive; creating the offset twice is a no-op.
        to_result(unsafe { bindings::drm_gem_create_mmap_offset(self.as_raw()) })?;
        // SAFETY: The offset node was just set up.
        Ok(unsafe { bindings::asahi_helper_drm_gem_mmap_offset(self.as_raw()) })
    }

    /// # Safety
    ///
    /// `obj` must be a live object of this driver (its `funcs` is [`FUNCS`]).
    unsafe fn from_raw<'a>(obj: *mut bindings::drm_gem_object) -> &'a Self {
        // SAFETY: `base` is at offset 0 of the `repr(C)` `Object`; the caller promises the rest.
        unsafe { &*obj.cast::<Self>() }
    }
}

/// The C object functions.
#[repr(transparent)]
struct Funcs(bindings::drm_gem_object_funcs);
// SAFETY: Immutable table of function pointers.
unsafe impl Sync for Funcs {}

#[repr(transparent)]
struct VmOps(bindings::vm_operations_struct);
// SAFETY: Immutable table of function pointers.
unsafe impl Sync for VmOps {}

static VM_OPS: VmOps = VmOps(bindings::vm_operations_struct {
    open: Some(bindings::drm_gem_vm_open),
    close: Some(bindings::drm_gem_vm_close),
    fault: Some(fault_callback),
    // SAFETY: Remaining callbacks are optional; null means "not provided".
    ..unsafe { core::mem::zeroed() }
});

static FUNCS: Funcs = Funcs(bindings::drm_gem_object_funcs {
    free: Some(free_callback),
    export: Some(export_callback),
    get_sg_table: Some(get_sg_table_callback),
    mmap: Some(mmap_callback),
    status: Some(status_callback),
    vm_ops: &VM_OPS.0,
    // SAFETY: Remaining callbacks are optional; null means "use the core's default".
    ..unsafe { core::mem::zeroed() }
});

/// # Safety
///
/// Called by the DRM core at the object's last reference.
unsafe extern "C" fn free_callback(obj: *mut bindings::drm_gem_object) {
    // SAFETY: `obj` is ours and has no references left: release the core's state, then free the
    // allocation made in `Object::new` (dropping the chunks).
    unsafe {
        bindings::drm_gem_object_release(obj);
        drop(KBox::from_raw(obj.cast::<Object>()));
    }
}

/// fdinfo's view of an object (`drm_show_memory_stats`): always resident, since its pages are
/// allocated at creation and never swapped out or purged, and never purgeable (there is no
/// madvise ioctl).
///
/// # Safety
///
/// Called by the DRM core under the file's table lock, with a live object.
unsafe extern "C" fn status_callback(
    _obj: *mut bindings::drm_gem_object,
) -> bindings::drm_gem_object_status {
    bindings::DRM_GEM_OBJECT_RESIDENT
}

fn err_ptr<T>(e: Error) -> *mut T {
    // CAST: the kernel's ERR_PTR encoding of a negative errno.
    e.to_errno() as isize as *mut T
}

/// # Safety
///
/// Called by the DRM core (PRIME export) with a live object of ours.
unsafe extern "C" fn export_callback(
    obj: *mut bindings::drm_gem_object,
    flags: c_int,
) -> *mut bindings::dma_buf {
    // SAFETY: Guaranteed by the caller.
    let object = unsafe { Object::from_raw(obj) };
    if object.private_vm().is_some() {
        // VM-private objects never leave their VM.
        return err_ptr(EINVAL);
    }
    // A dma-buf mapping (`drm_gem_prime_mmap`) offsets its VMA by the object's mmap offset as it
    // is at mapping time, and `fault_callback` subtracts the offset as it is at fault time: create
    // it now, so both see the same one (it never changes once created).
    if let Err(e) = object.mmap_offset() {
        return err_ptr(e);
    }
    // SAFETY: Standard GEM PRIME export of a live object.
    unsafe { bindings::drm_gem_prime_export(obj, flags) }
}

/// # Safety
///
/// Called by the DRM core (dma-buf attachment mapping) with a live object of ours; the caller
/// frees the table with `sg_free_table` and `kfree`.
unsafe extern "C" fn get_sg_table_callback(
    obj: *mut bindings::drm_gem_object,
) -> *mut bindings::sg_table {
    // SAFETY: Guaranteed by the caller.
    let obj = unsafe { Object::from_raw(obj) };
    let build = || -> Result<*mut bindings::sg_table> {
        let sgt = KBox::new(
            // SAFETY: `sg_table` is plain data; zeroed is its empty state.
            unsafe { core::mem::zeroed::<bindings::sg_table>() },
            GFP_KERNEL,
        )?;
        let sgt = KBox::into_raw(sgt);
        let n = u32::try_from(obj.chunks.len())?;
        // SAFETY: `sgt` is a valid, empty table.
        if let Err(e) = to_result(unsafe { bindings::sg_alloc_table(sgt, n, bindings::GFP_KERNEL) })
        {
            // SAFETY: Allocated above with `KBox`, not yet handed out.
            drop(unsafe { KBox::from_raw(sgt) });
            return Err(e);
        }
        // SAFETY: `sg_alloc_table` made `n` entries, walked with `sg_next`.
        let mut sg = unsafe { (*sgt).sgl };
        for chunk in obj.chunks.iter() {
            // CAST: a chunk is 16 KiB.
            // SAFETY: `sg` is one of the `n` entries; the page outlives the table because the
            // dma-buf holds a reference on the object.
            unsafe {
                bindings::asahi_helper_sg_set_page(sg, chunk.page(), GPU_PAGE_SIZE as u32, 0);
                sg = bindings::asahi_helper_sg_next(sg);
            }
        }
        Ok(sgt)
    };
    build().unwrap_or_else(err_ptr)
}

/// Sets up a CPU mapping: a PFN map of the object's pages (inserted page by page at fault).
///
/// Copy-on-write mappings (`MAP_PRIVATE`, which may always become writable) are refused with
/// `EINVAL`, as drm-shmem does: a private copy of a PFN-mapped page has no `struct page` for the
/// MM core to copy from, and `vmf_insert_pfn` `BUG`s on such a VMA. Shared mappings of a
/// read-only file have no `VM_MAYWRITE` and are not copy-on-write; `mprotect` cannot make them
/// writable. The VMA is `VM_DONTEXPAND` (`mremap` cannot grow it past the object) and is copied
/// on fork (the child's VMA takes its own object reference through `drm_gem_vm_open`).
///
/// # Safety
///
/// Called by `drm_gem_mmap_obj` with a live object of ours and the new VMA.
unsafe extern "C" fn mmap_callback(
    obj: *mut bindings::drm_gem_object,
    vma: *mut bindings::vm_area_struct,
) -> c_int {
    // SAFETY: `vma` is being set up by mmap, with the mm write lock held.
    if unsafe { bindings::asahi_helper_is_cow_mapping(vma) } {
        // SAFETY: Every object of ours was created on an asahi device (`Object::new`), which
        // outlives its objects; the caller holds a reference on the object.
        let dev = unsafe { AsahiDrmDevice::from_raw((*obj).dev) };
        dev_dbg!(
            dev,
            "mmap: copy-on-write (MAP_PRIVATE) mapping of a GEM object refused: EINVAL\n"
        );
        return EINVAL.to_errno();
    }
    // SAFETY: Guaranteed by the caller.
    let obj = unsafe { Object::from_raw(obj) };
    let writecombine = obj.flags & bindings::DRM_ASAHI_GEM_WRITEBACK == 0;
    // SAFETY: `vma` is being set up by mmap, with the mm write lock held.
    unsafe { bindings::asahi_helper_vma_setup_pfnmap(vma, writecombine) };
    0
}

/// # Safety
///
/// Called by the MM core for a fault in a VMA set up by `mmap_callback`, whose
/// `vm_private_data` is the object (holding a reference for the VMA's lifetime).
unsafe extern "C" fn fault_callback(vmf: *mut bindings::vm_fault) -> bindings::vm_fault_t {
    // SAFETY: The fault descriptor is valid for the call.
    let (vma, pgoff, address) = unsafe {
        let f = &(*vmf).__bindgen_anon_1;
        (f.vma, f.pgoff, f.address)
    };
    // SAFETY: `vma` is live and `vm_private_data` is our object (see above).
    let raw = unsafe { (*vma).vm_private_data }.cast::<bindings::drm_gem_object>();
    // SAFETY: As above.
    let obj = unsafe { Object::from_raw(raw) };
    // SAFETY: The object is alive; its mmap offset node is set up.
    let first = unsafe { bindings::asahi_helper_drm_gem_mmap_pgoff(raw) };
    let Some(page) = pgoff.checked_sub(first) else {
        return bindings::VM_FAULT_SIGBUS;
    };
    let Some(chunk) = obj.chunks.get(page / CPU_PAGES_PER_GPU_PAGE) else {
        return bindings::VM_FAULT_SIGBUS;
    };
    // With 16K CPU pages a GPU page is one CPU page and the offset is always 0.
    #[allow(clippy::modulo_one)]
    let pfn = chunk.pfn() + page % CPU_PAGES_PER_GPU_PAGE;
    // SAFETY: `address` is inside `vma`, a PFN map; the page stays allocated while the VMA
    // holds its object reference.
    unsafe { bindings::vmf_insert_pfn(vma, address, pfn) }
}
