// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The `asahi` platform driver and DRM driver description.
//!
//! Probe picks the backend from the matched device (see [`crate::backend`]), builds the
//! per-device [`AsahiDevice`], and registers a DRM device named `asahi` with a render node.
//! Unbinding unplugs the DRM device; files still open keep its data alive until closed.

use crate::backend::{virtual_agx::VirtualAgx, Backend};
use crate::bindings;
use crate::file::{DrmFile, File};
use crate::gpu::Gpu;
use crate::kernel_ext::drm::declare_ioctls;
use crate::kernel_ext::drm::ioctl_flags::{AUTH, RENDER_ALLOW};
use crate::kernel_ext::drm::{self, feature};
use crate::kernel_ext::platform::{self, IdTable, OfTable};
use crate::kernel_ext::print::{dev_err, dev_info};
use kernel::c_str;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Arc;

/// Name of the platform device this module creates for the virtual AGX.
pub(crate) const VIRTUAL_DEVICE_NAME: &CStr = c_str!("agx-virtual");

/// Which table entry matched, as carried in the match tables.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(usize)]
enum Matched {
    Virtual = 1,
    T8103,
    T8112,
    T6000,
    T6001,
    T6002,
    T6020,
    T6021,
    T6022,
}

impl Matched {
    const ALL: [Matched; 9] = [
        Self::Virtual,
        Self::T8103,
        Self::T8112,
        Self::T6000,
        Self::T6001,
        Self::T6002,
        Self::T6020,
        Self::T6021,
        Self::T6022,
    ];

    fn from_index(index: usize) -> Option<Self> {
        Self::ALL.into_iter().find(|m| *m as usize == index)
    }
}

/// Device-tree nodes of real Apple GPUs; a real-hardware backend binds here.
pub(crate) static OF_TABLE: OfTable<8> = OfTable::new([
    ("apple,agx-t8103", Matched::T8103 as usize),
    ("apple,agx-t8112", Matched::T8112 as usize),
    ("apple,agx-t6000", Matched::T6000 as usize),
    ("apple,agx-t6001", Matched::T6001 as usize),
    ("apple,agx-t6002", Matched::T6002 as usize),
    ("apple,agx-t6020", Matched::T6020 as usize),
    ("apple,agx-t6021", Matched::T6021 as usize),
    ("apple,agx-t6022", Matched::T6022 as usize),
]);

/// The virtual AGX device, created by this module.
static ID_TABLE: IdTable<1> = IdTable::new([("agx-virtual", Matched::Virtual as usize)]);

/// Per-device state shared by every file and job of one GPU.
#[pin_data]
pub(crate) struct AsahiDevice {
    gpu: Arc<Gpu>,
}

impl AsahiDevice {
    /// The backend this device talks to.
    pub(crate) fn backend(&self) -> &Arc<dyn Backend> {
        self.gpu.backend()
    }

    /// The GPU.
    pub(crate) fn gpu(&self) -> &Arc<Gpu> {
        &self.gpu
    }
}

/// The DRM driver.
pub(crate) struct AsahiDriver;

/// The DRM device type of this driver.
pub(crate) type AsahiDrmDevice = drm::Device<AsahiDriver>;

impl drm::Driver for AsahiDriver {
    type Data = AsahiDevice;
    type File = File;

    const INFO: drm::DriverInfo = drm::DriverInfo {
        major: 1,
        minor: 0,
        patchlevel: 0,
        // Mesa's loader and libdrm select the userspace driver by this name.
        name: c_str!("asahi"),
        desc: c_str!("Apple AGX Graphics"),
        date: c_str!("20261121"),
    };

    const FEATURES: u32 =
        feature::GEM | feature::RENDER | feature::SYNCOBJ | feature::SYNCOBJ_TIMELINE;

    fn show_fdinfo(dev: &AsahiDrmDevice, file: &DrmFile, p: &mut drm::Printer<'_>) {
        crate::fdinfo::show(dev, file, p);
    }

    // Flags as upstream: every ioctl is AUTH | RENDER_ALLOW except GET_PARAMS (RENDER_ALLOW).
    fn debugfs_init(dev: &AsahiDrmDevice, root: *mut bindings::dentry) {
        let gpu: *const Gpu = &**dev.data().gpu();
        // SAFETY: `root` is the minor's debugfs directory; the names are static; the data
        // pointers outlive the files (see `crash_write`; the counters are statics, or live in
        // the `Gpu`'s firmware allocator, which outlives the files too). Failure to create a
        // debug file is not an error.
        unsafe {
            bindings::debugfs_create_file(
                c_str!("crash_firmware").as_char_ptr(),
                0o200,
                root,
                gpu.cast_mut().cast(),
                &CRASH_FOPS.0,
            );
            bindings::debugfs_create_u32(
                c_str!("crash_dump_fail_after").as_char_ptr(),
                0o600,
                root,
                crate::crashdump::FAIL_AFTER.as_ptr(),
            );
            bindings::debugfs_create_file(
                c_str!("bench").as_char_ptr(),
                0o200,
                root,
                gpu.cast_mut().cast(),
                &BENCH_FOPS.0,
            );
            bindings::debugfs_create_u64(
                c_str!("bench_ns").as_char_ptr(),
                0o400,
                root,
                crate::bench::LAST_NS.as_ptr(),
            );
            bindings::debugfs_create_u64(
                c_str!("bench_pages").as_char_ptr(),
                0o400,
                root,
                crate::bench::LAST_PAGES.as_ptr(),
            );
            bindings::debugfs_create_u64(
                c_str!("bench_walk_ns").as_char_ptr(),
                0o400,
                root,
                crate::bench::LAST_WALK_NS.as_ptr(),
            );
            bindings::debugfs_create_u64(
                c_str!("bench_alloc_ns").as_char_ptr(),
                0o400,
                root,
                crate::crashdump::LAST_ALLOC_NS.as_ptr(),
            );
            let [flushes, live, garbage, range_flushes] = (*gpu).fw().counters();
            for (name, counter) in [
                (c_str!("fw_cache_flushes"), flushes),
                (c_str!("fw_live_objects"), live),
                (c_str!("fw_garbage_objects"), garbage),
                (c_str!("fw_range_flushes"), range_flushes),
            ] {
                bindings::debugfs_create_u64(name.as_char_ptr(), 0o400, root, counter.as_ptr());
            }
            for (name, total) in crate::submit::PROFILE_PHASES
                .iter()
                .zip(crate::submit::PROFILE_NS.iter())
            {
                bindings::debugfs_create_u64(name.as_char_ptr(), 0o400, root, total.as_ptr());
            }
            bindings::debugfs_create_u64(
                c_str!("submit_count").as_char_ptr(),
                0o400,
                root,
                crate::submit::PROFILE_COUNT.as_ptr(),
            );
            for (name, counter) in [
                (c_str!("vm_table_pages"), &crate::mmu::TABLE_PAGES),
                (c_str!("vm_spare_nodes"), &crate::vm::SPARE_NODES),
            ] {
                bindings::debugfs_create_u64(name.as_char_ptr(), 0o400, root, counter.as_ptr());
            }
            bindings::debugfs_create_u32(
                c_str!("tlb_skip_invalidate").as_char_ptr(),
                0o600,
                root,
                crate::mmu::TLB_SKIP_INVALIDATE.as_ptr(),
            );
            bindings::debugfs_create_u32(
                c_str!("fw_stall_pipes").as_char_ptr(),
                0o600,
                root,
                crate::backend::virtual_agx::PIPE_STALL.as_ptr(),
            );
        }
    }

    const IOCTLS: &'static [bindings::drm_ioctl_desc] = declare_ioctls!(AsahiDriver;
        (DRM_IOCTL_ASAHI_GET_PARAMS, bindings::drm_asahi_get_params, RENDER_ALLOW, File::get_params),
        (DRM_IOCTL_ASAHI_GET_TIME, bindings::drm_asahi_get_time, AUTH | RENDER_ALLOW, File::get_time),
        (DRM_IOCTL_ASAHI_VM_CREATE, bindings::drm_asahi_vm_create, AUTH | RENDER_ALLOW, File::vm_create),
        (DRM_IOCTL_ASAHI_VM_DESTROY, bindings::drm_asahi_vm_destroy, AUTH | RENDER_ALLOW, File::vm_destroy),
        (DRM_IOCTL_ASAHI_VM_BIND, bindings::drm_asahi_vm_bind, AUTH | RENDER_ALLOW, File::vm_bind),
        (DRM_IOCTL_ASAHI_GEM_CREATE, bindings::drm_asahi_gem_create, AUTH | RENDER_ALLOW, File::gem_create),
        (DRM_IOCTL_ASAHI_GEM_MMAP_OFFSET, bindings::drm_asahi_gem_mmap_offset, AUTH | RENDER_ALLOW, File::gem_mmap_offset),
        (DRM_IOCTL_ASAHI_GEM_BIND_OBJECT, bindings::drm_asahi_gem_bind_object, AUTH | RENDER_ALLOW, File::gem_bind_object),
        (DRM_IOCTL_ASAHI_QUEUE_CREATE, bindings::drm_asahi_queue_create, AUTH | RENDER_ALLOW, File::queue_create),
        (DRM_IOCTL_ASAHI_QUEUE_DESTROY, bindings::drm_asahi_queue_destroy, AUTH | RENDER_ALLOW, File::queue_destroy),
        (DRM_IOCTL_ASAHI_SUBMIT, bindings::drm_asahi_submit, AUTH | RENDER_ALLOW, File::submit),
    );
}

/// debugfs `crash_firmware`: any write makes the firmware crash.
///
/// # Safety
///
/// Called by the VFS for the debugfs file created in `debugfs_init`, whose private data (set by
/// `simple_open` from the inode) is the device's `Gpu`.
unsafe extern "C" fn crash_write(
    file: *mut bindings::file,
    _buf: *const kernel::ffi::c_char,
    count: usize,
    _pos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: See above; the `Gpu` outlives the debugfs file (the file is removed when the DRM
    // device is unregistered, and the device data holds the `Gpu` until then).
    let gpu = unsafe { &*(*file).private_data.cast::<Gpu>() };
    gpu.crash_firmware();
    // CAST: a write count fits `isize`.
    count as isize
}

static CRASH_FOPS: drm::FileOperations =
    drm::FileOperations::debugfs_write(&raw const bindings::__this_module, crash_write);

/// debugfs `bench`: runs one benchmark command (see [`crate::bench`]).
///
/// # Safety
///
/// As for `crash_write`; `buf` is a user pointer to `count` bytes.
unsafe extern "C" fn bench_write(
    file: *mut bindings::file,
    buf: *const kernel::ffi::c_char,
    count: usize,
    _pos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: As in `crash_write`.
    let gpu = unsafe { &*(*file).private_data.cast::<Gpu>() };
    let mut line = [0u8; 64];
    let n = count.min(line.len());
    let r = kernel::uaccess::UserSlice::new(buf as usize, n)
        .reader()
        .read_slice(&mut line[..n])
        .and_then(|()| crate::bench::run(gpu, &line[..n]));
    match r {
        // CAST: a write count fits `isize`.
        Ok(()) => count as isize,
        Err(e) => e.to_errno() as isize,
    }
}

static BENCH_FOPS: drm::FileOperations =
    drm::FileOperations::debugfs_write(&raw const bindings::__this_module, bench_write);

static FOPS: drm::FileOperations = drm::FileOperations::gem(&raw const bindings::__this_module);
static VTABLE: drm::DriverVTable = drm::DriverVTable::new::<AsahiDriver>(&FOPS);

/// What a bound platform device owns: its DRM registration (and through it the device data)
/// and the running GPU.
pub(crate) struct Binding {
    _registration: drm::Registration<AsahiDriver>,
    gpu: Arc<Gpu>,
}

impl Drop for Binding {
    fn drop(&mut self) {
        // The device is going away: stop the firmware and fail what did not complete, before the
        // DRM device is unplugged (open files keep the device data until they close).
        self.gpu.shutdown();
    }
}

/// The platform driver.
pub(crate) struct AsahiPlatformDriver;

impl platform::Driver for AsahiPlatformDriver {
    type Data = Binding;
    const NAME: &'static CStr = c_str!("asahi");

    fn of_table() -> *const bindings::of_device_id {
        OF_TABLE.as_ptr()
    }

    fn id_table() -> *const bindings::platform_device_id {
        ID_TABLE.as_ptr()
    }

    fn probe(pdev: &platform::Device, index: usize) -> Result<Pin<KBox<Binding>>> {
        let backend: Arc<dyn Backend> = match Matched::from_index(index) {
            Some(Matched::Virtual) => Arc::new(VirtualAgx::new()?, GFP_KERNEL)?,
            Some(chip) => {
                dev_err!(
                    pdev,
                    "{:?}: the real-hardware (RTKit) backend is not implemented yet\n",
                    chip
                );
                return Err(ENODEV);
            }
            None => return Err(ENODEV),
        };
        let hw = backend.hw();
        dev_info!(
            pdev,
            "AGX G{}{} {}{} (chip {:#x}), {} backend\n",
            hw.gpu_gen as u32,
            char::from(hw.gpu_variant as u8),
            hw.revision_letter(),
            hw.gpu_rev & 0xf,
            hw.chip_id,
            backend.name()
        );

        let gpu = Gpu::new(backend, pdev.raw_device())?;
        // From here on, errors must stop the GPU again.
        let start = |gpu: &Arc<Gpu>| -> Result<Pin<KBox<Binding>>> {
            let data = try_pin_init!(AsahiDevice { gpu: gpu.clone() });
            let dev = AsahiDrmDevice::new(pdev.raw_device(), &VTABLE, data)?;
            let registration = drm::Registration::new(dev)?;
            dev_info!(registration.device(), "registered asahi DRM device\n");
            Ok(KBox::pin(
                Binding {
                    _registration: registration,
                    gpu: gpu.clone(),
                },
                GFP_KERNEL,
            )?)
        };
        start(&gpu).inspect_err(|_| gpu.shutdown())
    }
}
