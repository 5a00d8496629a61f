// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Per-open-file state and the `asahi` ioctls.
//!
//! An open file owns its VMs and queues through per-file id maps; queues hold references to
//! their VM, so closing the file (which drops the maps) or destroying objects in any order
//! leaves nothing dangling. Ids are per file: one client cannot name another's objects.
//!
//! Every handler validates its whole argument before changing anything, and fails with
//! `EINVAL` for malformed input (non-zero padding or must-be-zero fields, unknown flags, bad
//! sizes or ranges), `ENOENT` for ids that do not exist in this file and `ENOSPC` when a per-file
//! id map is full; each such refusal is logged with `dev_dbg!` first, naming the field and the
//! rule (see [`crate::refuse`]).
//!
//! The file also owns its fdinfo busy-time counters ([`crate::fdinfo::Usage`]), shared with its
//! work queues.
//!
//! # Lock order
//!
//! `File::vms` before `File::queues` (QUEUE_CREATE looks the VM up, then inserts the queue; the
//! two locks are never held together).

use crate::bindings;
use crate::driver::{AsahiDriver, AsahiDrmDevice};
use crate::fdinfo::Usage;
use crate::fw::plain::{self, Plain};
use crate::fw::uat::Prot;
use crate::gem;
use crate::gpu::TimestampBuffer;
use crate::idmap::IdMap;
use crate::kernel_ext::drm;
use crate::pages::GPU_PAGE_SIZE;
use crate::queue::{Priority, Queue};
use crate::refuse::{ensure, Why};
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
    /// Busy time of the file's work, for fdinfo (shared with its work queues).
    usage: Arc<Usage>,
}

impl drm::DriverFile for File {
    type Driver = AsahiDriver;

    fn open(_dev: &AsahiDrmDevice) -> Result<Pin<KBox<Self>>> {
        KBox::try_pin_init(
            try_pin_init!(File {
                vms <- new_mutex!(IdMap::new(MAX_VMS), "asahi::File::vms"),
                queues <- new_mutex!(IdMap::new(MAX_QUEUES), "asahi::File::queues"),
                objects <- new_mutex!(IdMap::new(MAX_OBJECTS), "asahi::File::objects"),
                usage: Usage::new()?,
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
/// must be all zero past `T` (an older kernel must refuse fields it does not know; `EINVAL`,
/// logged for `field`).
///
/// `T: Plain` (see `crate::uapi_plain`): any bytes userspace sends form a valid `T`.
pub(crate) fn read_extensible<T: Plain>(
    why: &Why<'_>,
    field: impl core::fmt::Display,
    bytes: &[u8],
) -> Result<T> {
    let size = core::mem::size_of::<T>();
    ensure!(
        why,
        bytes.len() <= size || bytes[size..].iter().all(|b| *b == 0),
        EINVAL,
        field,
        "non-zero bytes past the {size} this kernel knows (of {})",
        bytes.len()
    );
    let mut value = plain::zeroed::<T>();
    let n = bytes.len().min(size);
    plain::bytes_of_mut(&mut value)[..n].copy_from_slice(&bytes[..n]);
    Ok(value)
}

/// Validates VM_BIND op `i` against `vm` and resolves its object.
fn parse_bind_op(
    why: &Why<'_>,
    i: u32,
    vm: &Vm,
    op: &bindings::drm_asahi_gem_bind_op,
    file: &DrmFile,
) -> Result<BindOp> {
    const KNOWN: u32 = bindings::DRM_ASAHI_BIND_UNBIND
        | bindings::DRM_ASAHI_BIND_READ
        | bindings::DRM_ASAHI_BIND_WRITE
        | bindings::DRM_ASAHI_BIND_SINGLE_PAGE;
    let f = |name: &'static str| Field::Op(i, name);
    ensure!(
        why,
        op.flags & !KNOWN == 0,
        EINVAL,
        f("flags"),
        "unknown flag {:#x}",
        op.flags & !KNOWN
    );
    let aligned = |x: u64| x % GPU_PAGE_SIZE == 0;
    let page = GPU_PAGE_SIZE;
    ensure!(
        why,
        aligned(op.addr),
        EINVAL,
        f("addr"),
        "{:#x} not {page:#x}-aligned",
        op.addr
    );
    ensure!(why, op.range != 0, EINVAL, f("range"), "range 0");
    ensure!(
        why,
        aligned(op.range),
        EINVAL,
        f("range"),
        "{:#x} not {page:#x}-aligned",
        op.range
    );
    ensure!(
        why,
        aligned(op.offset),
        EINVAL,
        f("offset"),
        "{:#x} not {page:#x}-aligned",
        op.offset
    );
    let Some(end) = op.addr.checked_add(op.range) else {
        return Err(why.refused(EINVAL, f("range"), format_args!("addr + range overflows")));
    };
    let range = op.addr..end;
    ensure!(
        why,
        range.start >= vm::USER_RANGE.start && range.end <= vm::USER_RANGE.end,
        EINVAL,
        f("addr"),
        "{:#x}..{:#x} outside the user range {:#x}..{:#x}",
        range.start,
        range.end,
        vm::USER_RANGE.start,
        vm::USER_RANGE.end
    );
    ensure!(
        why,
        !vm.overlaps_kernel_range(&range),
        EINVAL,
        f("addr"),
        "{:#x}..{:#x} overlaps the VM's kernel range",
        range.start,
        range.end
    );
    let pages = op.range / GPU_PAGE_SIZE;
    if op.flags & bindings::DRM_ASAHI_BIND_UNBIND != 0 {
        // An unbind names only a range.
        ensure!(
            why,
            op.flags == bindings::DRM_ASAHI_BIND_UNBIND,
            EINVAL,
            f("flags"),
            "UNBIND with other flags {:#x}",
            op.flags
        );
        why.mbz(f("handle"), op.handle)?;
        why.mbz(f("offset"), op.offset)?;
        return Ok(BindOp::Unmap { va: op.addr, pages });
    }
    let read = op.flags & bindings::DRM_ASAHI_BIND_READ != 0;
    let write = op.flags & bindings::DRM_ASAHI_BIND_WRITE != 0;
    let prot = match (read, write) {
        (true, true) => Prot::GPU_SHARED_RW,
        (true, false) => Prot::GPU_SHARED_RO,
        (false, true) => Prot::GPU_SHARED_WO,
        (false, false) => {
            return Err(why.refused(
                EINVAL,
                f("flags"),
                format_args!("a bind with neither READ nor WRITE"),
            ))
        }
    };
    let repeat = op.flags & bindings::DRM_ASAHI_BIND_SINGLE_PAGE != 0;
    let obj = why.lookup(
        gem::Object::lookup(file, op.handle),
        f("handle"),
        "GEM object",
        op.handle,
    )?;
    let used = if repeat { GPU_PAGE_SIZE } else { op.range };
    ensure!(
        why,
        op.offset.checked_add(used).is_some_and(|e| e <= obj.size()),
        EINVAL,
        f("offset"),
        "offset {:#x} + {:#x} past the object's {:#x} bytes",
        op.offset,
        used,
        obj.size()
    );
    ensure!(
        why,
        obj.private_vm()
            .map_or(true, |serial| serial == vm.serial()),
        EINVAL,
        f("handle"),
        "object {} is private to another VM",
        op.handle
    );
    Ok(BindOp::Map {
        va: op.addr,
        pages,
        obj,
        first: op.offset / GPU_PAGE_SIZE,
        prot,
        repeat,
    })
}

/// A field of an array element, for refusal messages: `ops[3].flags`.
pub(crate) enum Field {
    /// Field of VM_BIND op `i`.
    Op(u32, &'static str),
    /// Field of SUBMIT sync `i`.
    Sync(usize, &'static str),
    /// Field of the SUBMIT command at byte offset `at` of the command buffer.
    Cmd(usize, &'static str),
}

impl core::fmt::Display for Field {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Op(i, name) => write!(f, "ops[{i}].{name}"),
            Self::Sync(i, name) => write!(f, "syncs[{i}].{name}"),
            Self::Cmd(at, name) => write!(f, "cmdbuf@{at:#x}.{name}"),
        }
    }
}

impl File {
    /// The VM `id` of this file (`ENOENT`, logged for `field`, if there is none).
    fn vm(&self, why: &Why<'_>, field: &str, id: u32) -> Result<Arc<Vm>> {
        let vm = self.vms.lock().get(id).cloned();
        vm.ok_or_else(|| why.refused(ENOENT, field, format_args!("no such VM {id}")))
    }

    /// The file's busy-time counters (fdinfo).
    pub(crate) fn usage(&self) -> &Arc<Usage> {
        &self.usage
    }

    /// The queue `id` of this file (`ENOENT`, logged, if there is none).
    fn queue(&self, why: &Why<'_>, id: u32) -> Result<Arc<Queue>> {
        let queue = self.queues.lock().get(id).cloned();
        queue.ok_or_else(|| why.refused(ENOENT, "queue_id", format_args!("no such queue {id}")))
    }
}

impl File {
    /// `DRM_IOCTL_ASAHI_GET_PARAMS`: copies out at most `size` bytes of the global parameters.
    pub(crate) fn get_params(
        dev: &AsahiDrmDevice,
        args: &mut bindings::drm_asahi_get_params,
        file: &DrmFile,
    ) -> Result<u32> {
        let why = Why::new(file, "GET_PARAMS");
        why.mbz("param_group", args.param_group)?;
        why.mbz("pad", args.pad)?;
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
        file: &DrmFile,
    ) -> Result<u32> {
        Why::new(file, "GET_TIME").mbz("flags", args.flags)?;
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
        let why = Why::new(file, "VM_CREATE");
        why.mbz("pad", args.pad)?;
        let range = args.kernel_start..args.kernel_end;
        if let Some(rule) = vm::kernel_range_rule(&range) {
            let field = "kernel_start..kernel_end";
            let (s, e) = (range.start, range.end);
            return Err(why.refused(EINVAL, field, format_args!("{s:#x}..{e:#x}: {rule}")));
        }
        let backend = dev.data().transport().clone();
        let vm = Vm::new(range, backend)?;
        let vm = Arc::pin_init(vm, GFP_KERNEL)?;
        let id = file.inner().vms.lock().insert(vm);
        args.vm_id = why.id_space(id, "VMs", MAX_VMS)?;
        Ok(0)
    }

    /// `DRM_IOCTL_ASAHI_VM_DESTROY`. Queues still using the VM keep it alive.
    pub(crate) fn vm_destroy(
        _dev: &AsahiDrmDevice,
        args: &mut bindings::drm_asahi_vm_destroy,
        file: &DrmFile,
    ) -> Result<u32> {
        let why = Why::new(file, "VM_DESTROY");
        why.mbz("pad", args.pad)?;
        let vm = file.inner().vms.lock().remove(args.vm_id);
        let id = args.vm_id;
        let vm = vm.ok_or_else(|| why.refused(ENOENT, "vm_id", format_args!("no such VM {id}")))?;
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
        let why = Why::new(file, "GEM_CREATE");
        why.mbz("pad", args.pad)?;
        const KNOWN: u32 = bindings::DRM_ASAHI_GEM_WRITEBACK | bindings::DRM_ASAHI_GEM_VM_PRIVATE;
        let unknown = args.flags & !KNOWN;
        ensure!(
            why,
            unknown == 0,
            EINVAL,
            "flags",
            "unknown flag {unknown:#x}"
        );
        let private_vm = if args.flags & bindings::DRM_ASAHI_GEM_VM_PRIVATE != 0 {
            file.inner().vm(&why, "vm_id", args.vm_id)?.serial()
        } else {
            // vm_id is only meaningful for VM-private objects.
            why.mbz("vm_id (without VM_PRIVATE)", args.vm_id)?;
            0
        };
        let size = args.size;
        ensure!(why, size != 0, EINVAL, "size", "size 0");
        ensure!(
            why,
            size <= gem::MAX_SIZE,
            EINVAL,
            "size",
            "{size:#x} larger than {:#x}",
            gem::MAX_SIZE
        );
        let obj = gem::Object::new(dev, size, args.flags, private_vm)?;
        args.handle = obj.create_handle(file)?;
        Ok(0)
    }

    /// `DRM_IOCTL_ASAHI_GEM_MMAP_OFFSET`.
    pub(crate) fn gem_mmap_offset(
        _dev: &AsahiDrmDevice,
        args: &mut bindings::drm_asahi_gem_mmap_offset,
        file: &DrmFile,
    ) -> Result<u32> {
        let why = Why::new(file, "GEM_MMAP_OFFSET");
        why.mbz("flags", args.flags)?;
        let obj = gem::Object::lookup(file, args.handle);
        let obj = why.lookup(obj, "handle", "GEM object", args.handle)?;
        args.offset = obj.mmap_offset()?;
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
        let why = Why::new(file, "VM_BIND");
        why.mbz("pad", args.pad)?;
        ensure!(why, args.stride != 0, EINVAL, "stride", "stride 0");
        let vm = file.inner().vm(&why, "vm_id", args.vm_id)?;
        if args.num_binds == 0 {
            return Ok(0);
        }
        let n = args.num_binds;
        ensure!(
            why,
            n <= MAX_BINDS_PER_CALL,
            EINVAL,
            "num_binds",
            "{n} more than {MAX_BINDS_PER_CALL}"
        );
        // A bigger stride than any future op could need is refused: the kernel would otherwise
        // copy in (and check to be zero) whatever size userspace names.
        let s = args.stride;
        ensure!(
            why,
            s <= MAX_BIND_STRIDE,
            EINVAL,
            "stride",
            "{s} more than {MAX_BIND_STRIDE}"
        );
        let stride = args.stride as usize;
        // Cannot overflow: both are bounded above.
        let total = stride * args.num_binds as usize;
        // Each op is copied in once, one at a time, through one op-sized buffer.
        // CAST: a user address is a `usize` on every 64-bit target.
        let mut reader = UserSlice::new(args.userptr as usize, total).reader();
        let mut buf = KVec::with_capacity(stride, GFP_KERNEL)?;
        buf.extend_with(stride, 0u8, GFP_KERNEL)?;
        let mut ops = KVec::with_capacity(args.num_binds as usize, GFP_KERNEL)?;
        for i in 0..args.num_binds {
            reader.read_slice(&mut buf)?;
            let op =
                read_extensible::<bindings::drm_asahi_gem_bind_op>(&why, Field::Op(i, "*"), &buf)?;
            ops.push(parse_bind_op(&why, i, &vm, &op, file)?, GFP_KERNEL)?;
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
        let why = Why::new(file, "GEM_BIND_OBJECT");
        why.mbz("pad", args.pad)?;
        why.mbz("vm_id", args.vm_id)?;
        match args.op {
            bindings::DRM_ASAHI_BIND_OBJECT_OP_BIND => {
                let flags = args.flags;
                ensure!(
                    why,
                    flags == bindings::DRM_ASAHI_BIND_OBJECT_USAGE_TIMESTAMPS,
                    EINVAL,
                    "flags",
                    "{flags:#x} is not USAGE_TIMESTAMPS"
                );
                let aligned = |x: u64| x % GPU_PAGE_SIZE == 0;
                let (offset, range, page) = (args.offset, args.range, GPU_PAGE_SIZE);
                ensure!(
                    why,
                    aligned(offset),
                    EINVAL,
                    "offset",
                    "{offset:#x} not {page:#x}-aligned"
                );
                ensure!(why, range != 0, EINVAL, "range", "range 0");
                ensure!(
                    why,
                    aligned(range),
                    EINVAL,
                    "range",
                    "{range:#x} not {page:#x}-aligned"
                );
                let obj = gem::Object::lookup(file, args.handle);
                let obj = why.lookup(obj, "handle", "GEM object", args.handle)?;
                ensure!(
                    why,
                    offset.checked_add(range).is_some_and(|e| e <= obj.size()),
                    EINVAL,
                    "offset",
                    "offset {offset:#x} + range {range:#x} past the object's {:#x} bytes",
                    obj.size()
                );
                let buf = dev.data().gpu().map_timestamps(
                    obj,
                    args.offset / GPU_PAGE_SIZE,
                    args.range / GPU_PAGE_SIZE,
                );
                let buf = buf.map_err(|e| {
                    if e == ENOSPC {
                        why.refused(
                            e,
                            "range",
                            format_args!("no room for {range:#x} bytes in the timestamp window"),
                        )
                    } else {
                        e
                    }
                })?;
                let buf = Arc::new(buf, GFP_KERNEL)?;
                let id = file.inner().objects.lock().insert(buf);
                args.object_handle = why.id_space(id, "bound objects", MAX_OBJECTS)?;
                Ok(0)
            }
            bindings::DRM_ASAHI_BIND_OBJECT_OP_UNBIND => {
                // An unbind names only the object handle.
                why.mbz("flags (UNBIND)", args.flags)?;
                why.mbz("handle (UNBIND)", args.handle)?;
                why.mbz("offset (UNBIND)", args.offset)?;
                why.mbz("range (UNBIND)", args.range)?;
                let id = args.object_handle;
                let buf = file.inner().objects.lock().remove(id);
                let buf = buf.ok_or_else(|| {
                    why.refused(
                        ENOENT,
                        "object_handle",
                        format_args!("no such bound object {id}"),
                    )
                })?;
                // Jobs still writing timestamps keep the mapping until they are done.
                drop(buf);
                Ok(0)
            }
            op => Err(why.refused(EINVAL, "op", format_args!("unknown op {op}"))),
        }
    }

    /// `DRM_IOCTL_ASAHI_QUEUE_CREATE`.
    pub(crate) fn queue_create(
        dev: &AsahiDrmDevice,
        args: &mut bindings::drm_asahi_queue_create,
        file: &DrmFile,
    ) -> Result<u32> {
        let why = Why::new(file, "QUEUE_CREATE");
        why.mbz("flags", args.flags)?;
        let p = args.priority;
        let priority = Priority::from_uapi(p).map_err(|e| {
            why.refused(
                e,
                "priority",
                format_args!("{p} is not LOW or MEDIUM (HIGH and REALTIME need privileges)"),
            )
        })?;
        let vm = file.inner().vm(&why, "vm_id", args.vm_id)?;
        let usage = file.inner().usage.clone();
        let queue = Queue::new(dev.data().gpu(), vm, priority, args.usc_exec_base, usage)?;
        let queue = Arc::new(queue, GFP_KERNEL)?;
        let id = file.inner().queues.lock().insert(queue);
        args.queue_id = why.id_space(id, "queues", MAX_QUEUES)?;
        Ok(0)
    }

    /// `DRM_IOCTL_ASAHI_SUBMIT`: see [`crate::submit`].
    pub(crate) fn submit(
        dev: &AsahiDrmDevice,
        args: &mut bindings::drm_asahi_submit,
        file: &DrmFile,
    ) -> Result<u32> {
        let why = Why::new(file, "SUBMIT");
        why.mbz("flags", args.flags)?;
        why.mbz("pad", args.pad)?;
        dev.data().gpu().check_alive()?;
        let queue = file.inner().queue(&why, args.queue_id)?;
        crate::submit::submit(&why, &queue, args, file)?;
        Ok(0)
    }

    /// `DRM_IOCTL_ASAHI_QUEUE_DESTROY`.
    pub(crate) fn queue_destroy(
        _dev: &AsahiDrmDevice,
        args: &mut bindings::drm_asahi_queue_destroy,
        file: &DrmFile,
    ) -> Result<u32> {
        let why = Why::new(file, "QUEUE_DESTROY");
        why.mbz("pad", args.pad)?;
        let id = args.queue_id;
        let queue = file.inner().queues.lock().remove(id);
        let queue = queue
            .ok_or_else(|| why.refused(ENOENT, "queue_id", format_args!("no such queue {id}")))?;
        drop(queue);
        Ok(0)
    }
}
