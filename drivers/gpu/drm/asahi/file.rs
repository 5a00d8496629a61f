// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Per-open-file state and the `asahi` ioctls.
//!
//! An open file owns its VMs and queues through per-file id maps; queues hold references to
//! their VM, so closing the file (which drops the maps) or destroying objects in any order
//! leaves nothing dangling. Ids are per file: one client cannot name another's objects.
//!
//! Every handler validates its whole argument before changing anything, and fails with
//! `EINVAL` for malformed input (non-zero padding or must-be-zero fields, unknown flags, bad
//! sizes or ranges) and `ENOENT` for ids that do not exist in this file.
//!
//! # Lock order
//!
//! `File::vms` before `File::queues` (QUEUE_CREATE looks the VM up, then inserts the queue; the
//! two locks are never held together).

use crate::bindings;
use crate::driver::{AsahiDriver, AsahiDrmDevice};
use crate::fw::plain::{self, Plain};
use crate::fw::uat::Prot;
use crate::gem;
use crate::gpu::TimestampBuffer;
use crate::idmap::IdMap;
use crate::kernel_ext::drm;
use crate::pages::GPU_PAGE_SIZE;
use crate::queue::{Priority, Queue};
use crate::vm::{self, BindOp, Vm};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};
use kernel::uaccess::UserSlice;

/// The DRM file type of this driver.
pub(crate) type DrmFile = drm::File<AsahiDriver>;

/// Most VMs one file may hold.
const MAX_VMS: usize = 1024;
/// Most queues one file may hold.
const MAX_QUEUES: usize = 1024;
/// Most bound objects (timestamp buffers) one file may hold.
const MAX_OBJECTS: usize = 1024;

/// Most hardware commands in one SUBMIT (upstream's value, reported in GET_PARAMS).
pub(crate) const MAX_COMMANDS_PER_SUBMISSION: u32 = 64;
/// Most attachments per render or compute command (downstream `microseq::MAX_ATTACHMENTS`).
pub(crate) const MAX_ATTACHMENTS: u32 = 64;

/// The state of one open `asahi` DRM file.
#[pin_data]
pub(crate) struct File {
    #[pin]
    vms: Mutex<IdMap<Arc<Vm>>>,
    #[pin]
    queues: Mutex<IdMap<Arc<Queue>>>,
    /// Objects bound with GEM_BIND_OBJECT (timestamp buffers).
    #[pin]
    pub(crate) objects: Mutex<IdMap<Arc<TimestampBuffer>>>,
}

impl drm::DriverFile for File {
    type Driver = AsahiDriver;

    fn open(_dev: &AsahiDrmDevice) -> Result<Pin<KBox<Self>>> {
        KBox::try_pin_init(
            try_pin_init!(File {
                vms <- new_mutex!(IdMap::new(MAX_VMS), "asahi::File::vms"),
                queues <- new_mutex!(IdMap::new(MAX_QUEUES), "asahi::File::queues"),
                objects <- new_mutex!(IdMap::new(MAX_OBJECTS), "asahi::File::objects"),
            }),
            GFP_KERNEL,
        )
    }
}

/// Most operations in one VM_BIND call (bounds the kernel's copy of the array).
const MAX_BINDS_PER_CALL: u32 = 1 << 16;

/// Largest VM_BIND stride: room for ops 128 times the current 32 bytes.
const MAX_BIND_STRIDE: u32 = 4096;

/// Reads a `T` from a user struct of another size: a shorter one is zero-extended, a longer one
/// must be all zero past `T` (an older kernel must refuse fields it does not know).
///
/// `T: Plain` (see `crate::uapi_plain`): any bytes userspace sends form a valid `T`.
pub(crate) fn read_extensible<T: Plain>(bytes: &[u8]) -> Result<T> {
    let size = core::mem::size_of::<T>();
    if bytes.len() > size && bytes[size..].iter().any(|b| *b != 0) {
        return Err(EINVAL);
    }
    let mut value = plain::zeroed::<T>();
    let n = bytes.len().min(size);
    plain::bytes_of_mut(&mut value)[..n].copy_from_slice(&bytes[..n]);
    Ok(value)
}

/// Validates one VM_BIND op against `vm` and resolves its object.
fn parse_bind_op(vm: &Vm, op: &bindings::drm_asahi_gem_bind_op, file: &DrmFile) -> Result<BindOp> {
    const KNOWN: u32 = bindings::DRM_ASAHI_BIND_UNBIND
        | bindings::DRM_ASAHI_BIND_READ
        | bindings::DRM_ASAHI_BIND_WRITE
        | bindings::DRM_ASAHI_BIND_SINGLE_PAGE;
    if op.flags & !KNOWN != 0 {
        return Err(EINVAL);
    }
    let aligned = |x: u64| x % GPU_PAGE_SIZE == 0;
    if !aligned(op.addr) || !aligned(op.range) || !aligned(op.offset) || op.range == 0 {
        return Err(EINVAL);
    }
    let end = op.addr.checked_add(op.range).ok_or(EINVAL)?;
    let range = op.addr..end;
    if range.start < vm::USER_RANGE.start || range.end > vm::USER_RANGE.end {
        return Err(EINVAL);
    }
    if vm.overlaps_kernel_range(&range) {
        return Err(EINVAL);
    }
    let pages = op.range / GPU_PAGE_SIZE;
    if op.flags & bindings::DRM_ASAHI_BIND_UNBIND != 0 {
        // An unbind names only a range.
        if op.flags != bindings::DRM_ASAHI_BIND_UNBIND || op.handle != 0 || op.offset != 0 {
            return Err(EINVAL);
        }
        return Ok(BindOp::Unmap { va: op.addr, pages });
    }
    let read = op.flags & bindings::DRM_ASAHI_BIND_READ != 0;
    let write = op.flags & bindings::DRM_ASAHI_BIND_WRITE != 0;
    let prot = match (read, write) {
        (true, true) => Prot::GPU_SHARED_RW,
        (true, false) => Prot::GPU_SHARED_RO,
        (false, true) => Prot::GPU_SHARED_WO,
        (false, false) => return Err(EINVAL),
    };
    let repeat = op.flags & bindings::DRM_ASAHI_BIND_SINGLE_PAGE != 0;
    let obj = gem::Object::lookup(file, op.handle)?;
    let used = if repeat { GPU_PAGE_SIZE } else { op.range };
    if op.offset.checked_add(used).ok_or(EINVAL)? > obj.size() {
        return Err(EINVAL);
    }
    if obj.private_vm().is_some_and(|serial| serial != vm.serial()) {
        return Err(EINVAL);
    }
    Ok(BindOp::Map {
        va: op.addr,
        pages,
        obj,
        first: op.offset / GPU_PAGE_SIZE,
        prot,
        repeat,
    })
}

impl File {
    /// The VM `id` of this file (`ENOENT` if there is none).
    fn vm(&self, id: u32) -> Result<Arc<Vm>> {
        self.vms.lock().get(id).cloned().ok_or(ENOENT)
    }

    /// The queue `id` of this file (`ENOENT` if there is none).
    fn queue(&self, id: u32) -> Result<Arc<Queue>> {
        self.queues.lock().get(id).cloned().ok_or(ENOENT)
    }
}

/// Returns `EINVAL` unless `value` is zero (padding and must-be-zero fields).
pub(crate) fn mbz<T: PartialEq + Default>(value: T) -> Result {
    if value == T::default() {
        Ok(())
    } else {
        Err(EINVAL)
    }
}

impl File {
    /// `DRM_IOCTL_ASAHI_GET_PARAMS`: copies out at most `size` bytes of the global parameters.
    pub(crate) fn get_params(
        dev: &AsahiDrmDevice,
        args: &mut bindings::drm_asahi_get_params,
        _file: &DrmFile,
    ) -> Result<u32> {
        mbz(args.param_group)?;
        mbz(args.pad)?;
        // A crashed GPU is gone until the driver reloads: Mesa gives up on ENODEV.
        dev.data().gpu().check_alive()?;
        let hw = dev.data().gpu().hw();
        let mut params = bindings::drm_asahi_params_global {
            // Hard faults: the virtual AGX fails the job on an unmapped access, so
            // DRM_ASAHI_FEATURE_SOFT_FAULTS is not offered.
            features: 0,
            gpu_generation: hw.gpu_gen as u32,
            gpu_variant: hw.gpu_variant as u32,
            gpu_revision: hw.gpu_rev,
            chip_id: hw.chip_id,
            num_dies: hw.num_dies,
            num_clusters_total: hw.num_clusters,
            num_cores_per_cluster: hw.num_cores_per_cluster,
            max_frequency_khz: hw.max_frequency_khz,
            core_masks: [0; bindings::DRM_ASAHI_MAX_CLUSTERS as usize],
            vm_start: vm::USER_RANGE.start,
            vm_end: vm::USER_RANGE.end,
            vm_kernel_min_size: vm::KERNEL_MIN_SIZE,
            max_commands_per_submission: MAX_COMMANDS_PER_SUBMISSION,
            max_attachments: MAX_ATTACHMENTS,
            // Timestamps are reported in nanoseconds.
            command_timestamp_frequency_hz: 1_000_000_000,
        };
        for (mask, hw_mask) in params.core_masks.iter_mut().zip(hw.core_masks) {
            *mask = *hw_mask;
        }
        // `drm_asahi_params_global` is `Plain` (no padding: every byte is initialised).
        let bytes = plain::bytes_of(&params);
        let len = usize::try_from(args.size)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        // CAST: a user address is a `usize` on every 64-bit target this driver supports.
        let ptr = args.pointer as usize;
        UserSlice::new(ptr, len)
            .writer()
            .write_slice(&bytes[..len])?;
        Ok(0)
    }

    /// `DRM_IOCTL_ASAHI_GET_TIME`: the GPU timestamp in nanoseconds (the virtual AGX's clock is
    /// the kernel's monotonic clock).
    pub(crate) fn get_time(
        dev: &AsahiDrmDevice,
        args: &mut bindings::drm_asahi_get_time,
        _file: &DrmFile,
    ) -> Result<u32> {
        mbz(args.flags)?;
        dev.data().gpu().check_alive()?;
        // CAST: the monotonic clock is non-negative.
        args.gpu_timestamp = kernel::time::Ktime::ktime_get().to_ns() as u64;
        Ok(0)
    }

    /// `DRM_IOCTL_ASAHI_VM_CREATE`.
    pub(crate) fn vm_create(
        dev: &AsahiDrmDevice,
        args: &mut bindings::drm_asahi_vm_create,
        file: &DrmFile,
    ) -> Result<u32> {
        mbz(args.pad)?;
        let backend = dev.data().transport().clone();
        let vm = Vm::new(args.kernel_start..args.kernel_end, backend)?;
        let vm = Arc::pin_init(vm, GFP_KERNEL)?;
        args.vm_id = file.inner().vms.lock().insert(vm)?;
        Ok(0)
    }

    /// `DRM_IOCTL_ASAHI_VM_DESTROY`. Queues still using the VM keep it alive.
    pub(crate) fn vm_destroy(
        _dev: &AsahiDrmDevice,
        args: &mut bindings::drm_asahi_vm_destroy,
        file: &DrmFile,
    ) -> Result<u32> {
        mbz(args.pad)?;
        let vm = file.inner().vms.lock().remove(args.vm_id).ok_or(ENOENT)?;
        // Dropped outside the lock.
        drop(vm);
        Ok(0)
    }

    /// `DRM_IOCTL_ASAHI_GEM_CREATE`: a zeroed object of `size` rounded up to 16 KiB.
    pub(crate) fn gem_create(
        dev: &AsahiDrmDevice,
        args: &mut bindings::drm_asahi_gem_create,
        file: &DrmFile,
    ) -> Result<u32> {
        mbz(args.pad)?;
        const KNOWN: u32 = bindings::DRM_ASAHI_GEM_WRITEBACK | bindings::DRM_ASAHI_GEM_VM_PRIVATE;
        if args.flags & !KNOWN != 0 {
            return Err(EINVAL);
        }
        let private_vm = if args.flags & bindings::DRM_ASAHI_GEM_VM_PRIVATE != 0 {
            file.inner().vm(args.vm_id)?.serial()
        } else {
            // vm_id is only meaningful for VM-private objects.
            mbz(args.vm_id)?;
            0
        };
        let obj = gem::Object::new(dev, args.size, args.flags, private_vm)?;
        args.handle = obj.create_handle(file)?;
        Ok(0)
    }

    /// `DRM_IOCTL_ASAHI_GEM_MMAP_OFFSET`.
    pub(crate) fn gem_mmap_offset(
        _dev: &AsahiDrmDevice,
        args: &mut bindings::drm_asahi_gem_mmap_offset,
        file: &DrmFile,
    ) -> Result<u32> {
        mbz(args.flags)?;
        args.offset = gem::Object::lookup(file, args.handle)?.mmap_offset()?;
        Ok(0)
    }

    /// `DRM_IOCTL_ASAHI_VM_BIND`: maps and unmaps buffer objects, all operations or none.
    ///
    /// The op array is copied in once, then each op is read with the caller's `stride`: shorter
    /// ops are zero-extended, longer ones must have an all-zero tail (`EINVAL` otherwise).
    pub(crate) fn vm_bind(
        _dev: &AsahiDrmDevice,
        args: &mut bindings::drm_asahi_vm_bind,
        file: &DrmFile,
    ) -> Result<u32> {
        mbz(args.pad)?;
        if args.stride == 0 {
            return Err(EINVAL);
        }
        let vm = file.inner().vm(args.vm_id)?;
        if args.num_binds == 0 {
            return Ok(0);
        }
        if args.num_binds > MAX_BINDS_PER_CALL {
            return Err(EINVAL);
        }
        // A bigger stride than any future op could need is refused: the kernel would otherwise
        // copy in (and check to be zero) whatever size userspace names.
        if args.stride > MAX_BIND_STRIDE {
            return Err(EINVAL);
        }
        let stride = args.stride as usize;
        let total = stride.checked_mul(args.num_binds as usize).ok_or(EINVAL)?;
        // Each op is copied in once, one at a time, through one op-sized buffer.
        // CAST: a user address is a `usize` on every 64-bit target.
        let mut reader = UserSlice::new(args.userptr as usize, total).reader();
        let mut buf = KVec::with_capacity(stride, GFP_KERNEL)?;
        buf.extend_with(stride, 0u8, GFP_KERNEL)?;
        let mut ops = KVec::with_capacity(args.num_binds as usize, GFP_KERNEL)?;
        for _ in 0..args.num_binds {
            reader.read_slice(&mut buf)?;
            let op = read_extensible::<bindings::drm_asahi_gem_bind_op>(&buf)?;
            ops.push(parse_bind_op(&vm, &op, file)?, GFP_KERNEL)?;
        }
        vm.bind(ops)?;
        Ok(0)
    }

    /// `DRM_IOCTL_ASAHI_GEM_BIND_OBJECT`: binds part of an object for the firmware to write job
    /// timestamps into (`DRM_ASAHI_BIND_OBJECT_USAGE_TIMESTAMPS`), or unbinds it.
    pub(crate) fn gem_bind_object(
        dev: &AsahiDrmDevice,
        args: &mut bindings::drm_asahi_gem_bind_object,
        file: &DrmFile,
    ) -> Result<u32> {
        mbz(args.pad)?;
        mbz(args.vm_id)?;
        match args.op {
            bindings::DRM_ASAHI_BIND_OBJECT_OP_BIND => {
                if args.flags != bindings::DRM_ASAHI_BIND_OBJECT_USAGE_TIMESTAMPS {
                    return Err(EINVAL);
                }
                let aligned = |x: u64| x % GPU_PAGE_SIZE == 0;
                if !aligned(args.offset) || !aligned(args.range) || args.range == 0 {
                    return Err(EINVAL);
                }
                let obj = gem::Object::lookup(file, args.handle)?;
                if args.offset.checked_add(args.range).ok_or(EINVAL)? > obj.size() {
                    return Err(EINVAL);
                }
                let buf = dev.data().gpu().map_timestamps(
                    obj,
                    args.offset / GPU_PAGE_SIZE,
                    args.range / GPU_PAGE_SIZE,
                )?;
                let buf = Arc::new(buf, GFP_KERNEL)?;
                args.object_handle = file.inner().objects.lock().insert(buf)?;
                Ok(0)
            }
            bindings::DRM_ASAHI_BIND_OBJECT_OP_UNBIND => {
                // An unbind names only the object handle.
                mbz(args.flags)?;
                mbz(args.handle)?;
                mbz(args.offset)?;
                mbz(args.range)?;
                let buf = file
                    .inner()
                    .objects
                    .lock()
                    .remove(args.object_handle)
                    .ok_or(ENOENT)?;
                // Jobs still writing timestamps keep the mapping until they are done.
                drop(buf);
                Ok(0)
            }
            _ => Err(EINVAL),
        }
    }

    /// `DRM_IOCTL_ASAHI_QUEUE_CREATE`.
    pub(crate) fn queue_create(
        dev: &AsahiDrmDevice,
        args: &mut bindings::drm_asahi_queue_create,
        file: &DrmFile,
    ) -> Result<u32> {
        mbz(args.flags)?;
        let priority = Priority::from_uapi(args.priority)?;
        let vm = file.inner().vm(args.vm_id)?;
        let queue = Queue::new(dev.data().gpu(), vm, priority, args.usc_exec_base)?;
        let queue = Arc::new(queue, GFP_KERNEL)?;
        args.queue_id = file.inner().queues.lock().insert(queue)?;
        Ok(0)
    }

    /// `DRM_IOCTL_ASAHI_SUBMIT`: see [`crate::submit`].
    pub(crate) fn submit(
        dev: &AsahiDrmDevice,
        args: &mut bindings::drm_asahi_submit,
        file: &DrmFile,
    ) -> Result<u32> {
        mbz(args.flags)?;
        mbz(args.pad)?;
        dev.data().gpu().check_alive()?;
        let queue = file.inner().queue(args.queue_id)?;
        crate::submit::submit(&queue, args, file)?;
        Ok(0)
    }

    /// `DRM_IOCTL_ASAHI_QUEUE_DESTROY`.
    pub(crate) fn queue_destroy(
        _dev: &AsahiDrmDevice,
        args: &mut bindings::drm_asahi_queue_destroy,
        file: &DrmFile,
    ) -> Result<u32> {
        mbz(args.pad)?;
        let queue = file
            .inner()
            .queues
            .lock()
            .remove(args.queue_id)
            .ok_or(ENOENT)?;
        drop(queue);
        Ok(0)
    }
}
