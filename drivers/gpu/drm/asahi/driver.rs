// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The `asahi` platform driver and DRM driver description.
//!
//! Probe picks the backend from the matched device (see [`crate::backend`]), builds the
//! per-device [`AsahiDevice`], and registers a DRM device named `asahi` with a render node.
//! Unbinding unplugs the DRM device; files still open keep its data alive until closed.

use crate::backend::{virtual_agx::VirtualAgx, Transport};
use crate::bindings;
use crate::desc::{self, Description};
use crate::file::{DrmFile, File};
use crate::gpu::Gpu;
use crate::kernel_ext::drm::declare_ioctls;
use crate::kernel_ext::drm::ioctl_flags::{AUTH, RENDER_ALLOW};
use crate::kernel_ext::drm::{self, feature};
use crate::kernel_ext::platform::{self, IdTable, OfTable};
use crate::kernel_ext::print::{dev_dbg, dev_err, dev_info};
use crate::kernel_ext::property::{SwProps, SwValue};
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
    /// The virtual AGX this module creates (`agx-virtual`).
    Virtual = 1,
    /// An `apple,agx-*` device-tree node; which GPU it is comes from its properties
    /// ([`Description`]).
    DeviceTree,
}

impl Matched {
    fn from_index(index: usize) -> Option<Self> {
        [Self::Virtual, Self::DeviceTree]
            .into_iter()
            .find(|m| *m as usize == index)
    }
}

/// Device-tree nodes of real Apple GPUs: the upstream binding's compatibles (a `-g13c`/`-g13d`
/// node also lists `-g13s`, a `-g14c`/`-g14d` node `-g14s`, so those match through their
/// fallback; firmware-commands.md §6.1) and the downstream ones (§6.2). The real transport binds
/// here (`backend::rtkit`).
pub(crate) static OF_TABLE: OfTable<12> = OfTable::new([
    ("apple,agx-g13g", Matched::DeviceTree as usize),
    ("apple,agx-g13s", Matched::DeviceTree as usize),
    ("apple,agx-g14g", Matched::DeviceTree as usize),
    ("apple,agx-g14s", Matched::DeviceTree as usize),
    ("apple,agx-t8103", Matched::DeviceTree as usize),
    ("apple,agx-t8112", Matched::DeviceTree as usize),
    ("apple,agx-t6000", Matched::DeviceTree as usize),
    ("apple,agx-t6001", Matched::DeviceTree as usize),
    ("apple,agx-t6002", Matched::DeviceTree as usize),
    ("apple,agx-t6020", Matched::DeviceTree as usize),
    ("apple,agx-t6021", Matched::DeviceTree as usize),
    ("apple,agx-t6022", Matched::DeviceTree as usize),
]);

/// The virtual AGX device, created by this module.
static ID_TABLE: IdTable<1> = IdTable::new([("agx-virtual", Matched::Virtual as usize)]);

/// The firmware ABI the virtual AGX's software node announces (`apple,firmware-abi`).
const VIRTUAL_FIRMWARE_ABI: [u32; 3] = [13, 5, 0];
/// The compatibles of the virtual AGX's software node: the modelled SoC (an M1, `hw::t8103`).
const VIRTUAL_COMPATIBLE: [&CStr; 2] = [c_str!("apple,agx-t8103"), c_str!("apple,agx-g13g")];

/// The properties of the virtual AGX's software node: the same ones a device-tree node has, read
/// by probe through the same code ([`Description::read`]).
pub(crate) fn virtual_device_properties() -> Result<SwProps> {
    SwProps::new(&[
        (c_str!("compatible"), SwValue::Strings(&VIRTUAL_COMPATIBLE)),
        (
            c_str!("apple,firmware-abi"),
            SwValue::U32(&VIRTUAL_FIRMWARE_ABI),
        ),
    ])
}

/// Per-device state shared by every file and job of one GPU.
#[pin_data]
pub(crate) struct AsahiDevice {
    gpu: Arc<Gpu>,
}

impl AsahiDevice {
    /// The transport this device talks to.
    pub(crate) fn transport(&self) -> &Arc<dyn Transport> {
        self.gpu.transport()
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
        }
        // The transport's own debug files (the virtual AGX's firmware knobs).
        dev.data().transport().debugfs_init(root);
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
    if let Err(e) = gpu.crash_firmware() {
        return e.to_errno() as isize;
    }
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
        let matched = Matched::from_index(index).ok_or(ENODEV)?;
        // The same description code on both paths: a device-tree node or the virtual device's
        // software node.
        let desc = Description::read(pdev)?;
        let transport: Arc<dyn Transport> = match matched {
            Matched::Virtual => Arc::new(VirtualAgx::new()?, GFP_KERNEL)?,
            Matched::DeviceTree => real_transport(pdev, &desc)?,
        };
        // Nothing has started the coprocessor yet: on a refusal below, shutting the transport
        // down only frees it.
        let refuse = |e: Error| {
            transport.shutdown();
            e
        };
        let hw = crate::hw::identify(&*transport).map_err(|e| {
            dev_err!(pdev, "unsupported GPU: {}; not driven\n", e);
            refuse(ENODEV)
        })?;
        // The node must describe the GPU the registers identify, with a firmware ABI the driver
        // has layouts for.
        if desc.gen != hw.gpu_gen
            || desc.variant != hw.gpu_variant
            || desc.abi != desc::FwAbi::V13_5
        {
            dev_err!(
                pdev,
                "{}: node says {:?} {:?} firmware {:?}, the ID registers say G{}{} (chip {:#x}): not driven\n",
                desc.compatible,
                desc.gen,
                desc.variant,
                desc.abi,
                hw.gpu_gen as u32,
                char::from(hw.gpu_variant as u8),
                hw.chip_id
            );
            return Err(refuse(ENODEV));
        }
        let [a, b, c] = desc.abi_cells;
        dev_info!(
            pdev,
            "AGX G{}{} {}{} (chip {:#x}), {} transport; {} firmware ABI {}.{}.{} ({})\n",
            hw.gpu_gen as u32,
            char::from(hw.gpu_variant as u8),
            hw.revision_letter(),
            hw.gpu_rev & 0xf,
            hw.chip_id,
            transport.name(),
            desc.compatible,
            a,
            b,
            c,
            desc.abi_property
        );
        {
            use crate::backend::{Mmio, Region};
            use crate::hw::regs;
            let id = |off| transport.read32(Mmio::Sgx, off);
            dev_dbg!(
                pdev,
                "ID words {:#x} {:#x} {:#x}, GPs per cluster {}\n",
                id(regs::ID_VERSION),
                id(regs::ID_UNK08),
                id(regs::ID_UNK18),
                (id(regs::ID_COUNTS_2) >> 16) & 0xff
            );
            for r in Region::ALL {
                match transport.region(r) {
                    Some(i) => dev_dbg!(
                        pdev,
                        "reserved region {}: {:#x}, {:#x} bytes\n",
                        r.name(),
                        i.phys,
                        i.size
                    ),
                    None => dev_dbg!(pdev, "reserved region {}: none\n", r.name()),
                }
            }
        }

        // `Gpu::new` stops what it started on failure; what it failed before starting is freed
        // here (shutting down twice is harmless).
        let gpu = Gpu::new(transport.clone(), hw, pdev.raw_device()).map_err(refuse)?;
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

/// The transport of a device-tree AGX node: every resource is checked before any MMIO access,
/// then the real transport is built on them.
fn real_transport(pdev: &platform::Device, desc: &Description) -> Result<Arc<dyn Transport>> {
    desc::check_resources(pdev, desc)?;
    #[cfg(CONFIG_APPLE_RTKIT)]
    {
        let transport: Arc<dyn Transport> = crate::backend::rtkit::RtkitTransport::new(pdev)?;
        Ok(transport)
    }
    #[cfg(not(CONFIG_APPLE_RTKIT))]
    {
        dev_err!(
            pdev,
            "{}: the real transport needs CONFIG_APPLE_RTKIT, which this kernel lacks: refusing the node\n",
            desc.compatible
        );
        Err(ENODEV)
    }
}
