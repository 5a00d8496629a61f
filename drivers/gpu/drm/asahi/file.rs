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
use crate::gem;
use crate::idmap::IdMap;
use crate::kernel_ext::drm;
use crate::queue::{Priority, Queue};
use crate::vm::{self, Vm};
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
}

impl drm::DriverFile for File {
    type Driver = AsahiDriver;

    fn open(_dev: &AsahiDrmDevice) -> Result<Pin<KBox<Self>>> {
        KBox::try_pin_init(
            try_pin_init!(File {
                vms <- new_mutex!(IdMap::new(MAX_VMS), "asahi::File::vms"),
                queues <- new_mutex!(IdMap::new(MAX_QUEUES), "asahi::File::queues"),
            }),
            GFP_KERNEL,
        )
    }
}

/// Returns `EINVAL` unless `value` is zero (padding and must-be-zero fields).
fn mbz<T: PartialEq + Default>(value: T) -> Result {
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
        let hw = dev.data().backend().hw();
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
        // SAFETY: `drm_asahi_params_global` is plain integers with no padding (the uAPI header
        // makes padding explicit), so all its bytes are initialised.
        let bytes = unsafe {
            core::slice::from_raw_parts(
                (&raw const params).cast::<u8>(),
                core::mem::size_of_val(&params),
            )
        };
        let len = usize::try_from(args.size).unwrap_or(usize::MAX).min(bytes.len());
        // CAST: a user address is a `usize` on every 64-bit target this driver supports.
        let ptr = args.pointer as usize;
        UserSlice::new(ptr, len).writer().write_slice(&bytes[..len])?;
        Ok(0)
    }

    /// `DRM_IOCTL_ASAHI_GET_TIME`: the GPU timestamp in nanoseconds (the virtual AGX's clock is
    /// the kernel's monotonic clock).
    pub(crate) fn get_time(
        _dev: &AsahiDrmDevice,
        args: &mut bindings::drm_asahi_get_time,
        _file: &DrmFile,
    ) -> Result<u32> {
        mbz(args.flags)?;
        // CAST: the monotonic clock is non-negative.
        args.gpu_timestamp = kernel::time::Ktime::ktime_get().to_ns() as u64;
        Ok(0)
    }

    /// `DRM_IOCTL_ASAHI_VM_CREATE`.
    pub(crate) fn vm_create(
        _dev: &AsahiDrmDevice,
        args: &mut bindings::drm_asahi_vm_create,
        file: &DrmFile,
    ) -> Result<u32> {
        mbz(args.pad)?;
        let vm = Arc::new(Vm::new(args.kernel_start..args.kernel_end)?, GFP_KERNEL)?;
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
            let inner = file.inner();
            let vms = inner.vms.lock();
            vms.get(args.vm_id).ok_or(ENOENT)?.serial()
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

    /// `DRM_IOCTL_ASAHI_QUEUE_CREATE`.
    pub(crate) fn queue_create(
        _dev: &AsahiDrmDevice,
        args: &mut bindings::drm_asahi_queue_create,
        file: &DrmFile,
    ) -> Result<u32> {
        mbz(args.flags)?;
        let priority = Priority::from_uapi(args.priority)?;
        let vm = file
            .inner()
            .vms
            .lock()
            .get(args.vm_id)
            .cloned()
            .ok_or(ENOENT)?;
        let queue = Arc::new(Queue::new(vm, priority, args.usc_exec_base), GFP_KERNEL)?;
        args.queue_id = file.inner().queues.lock().insert(queue)?;
        Ok(0)
    }

    /// `DRM_IOCTL_ASAHI_QUEUE_DESTROY`.
    pub(crate) fn queue_destroy(
        _dev: &AsahiDrmDevice,
        args: &mut bindings::drm_asahi_queue_destroy,
        file: &DrmFile,
    ) -> Result<u32> {
        mbz(args.pad)?;
        let queue = file.inner().queues.lock().remove(args.queue_id).ok_or(ENOENT)?;
        drop(queue);
        Ok(0)
    }
}
