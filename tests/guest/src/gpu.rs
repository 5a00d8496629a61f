//! Helpers for tests that run GPU work on the virtual AGX: a context (VM, queue, mapped
//! buffers), jobs in the hardware's encoding (Mesa-shaped CDM and VDM control streams launching
//! virtual shaders), and syncobj waits.

use agx_firmware_defs::ctrl_stream::cdm::{CdmBlock, Grid, Launch};
use agx_firmware_defs::ctrl_stream::vdm::{IndexList, VdmBlock, VdmState};
use agx_firmware_defs::ctrl_stream::{usc, virt, Chip, ShaderRegs, StreamError, Writer};
use asahi_uapi::{bindings::*, Device, Mapping};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

/// GPU page size.
pub const PAGE: u64 = 0x4000;
/// Where test contexts put their data buffer (Mesa's printf-buffer address).
pub const DATA_VA: u64 = 1 << 36;
/// Where test contexts put their command-stream buffer.
pub const CMD_VA: u64 = (1 << 36) + (64 << 20);

/// What the test queues' USC-relative pointers (pipelines, shader code) are relative to: the
/// data buffer, so that everything in the data and command buffers is within the 4 GiB a
/// USC-relative pointer reaches.
pub const USC_BASE: u64 = DATA_VA;

/// Opcodes of the virtual shader's op list: firmware-defs `ctrl_stream::virt`, the virtual
/// AGX's documented convention for shaders it can run.
pub use agx_firmware_defs::ctrl_stream::virt::opcode as op;

/// Bytes of a job (see [`cdm_job`]) before its USC words: room for either control stream.
const JOB_STREAM: u64 = 128;
/// Bytes of a job before its shader code.
const JOB_CODE: u64 = 192;

/// A virtual shader: the marker, then `ops` (raw `(opcode, a, b, c)`, so that tests can write
/// bad ones) and `END`.
pub fn program(ops: &[(u32, u64, u64, u64)]) -> Vec<u8> {
    let all: Vec<_> = ops.iter().copied().chain([(op::END, 0, 0, 0)]).collect();
    let mut v = virt::header(all.len())
        .expect("virtual shader too long")
        .to_vec();
    for &o in &all {
        v.extend_from_slice(&virt::encode_raw(o));
    }
    v
}

/// The USC-relative form of `va` for a queue whose `usc_exec_base` is `usc_base`.
fn usc_rel(va: u64, usc_base: u64) -> u32 {
    va.checked_sub(usc_base)
        .and_then(|d| u32::try_from(d).ok())
        .expect("job out of reach of usc_exec_base")
}

/// The USC words binding the shader at `code`, as Mesa links them (Shader, then No preshader).
fn usc_words(code: u32) -> Vec<u8> {
    let mut w = [0u8; 8];
    let n = usc::encode_shader(code, &mut w).unwrap();
    let n = n + usc::encode_no_preshader(&mut w[n..]).unwrap();
    w[..n].to_vec()
}

fn encode(f: impl FnOnce(&mut Writer<'_>) -> Result<(), StreamError>) -> Vec<u8> {
    let mut buf = [0u8; JOB_STREAM as usize];
    let mut w = Writer::new(&mut buf);
    f(&mut w).expect("stream encoding");
    w.written().to_vec()
}

/// Lays a job out for address `va` (64-byte aligned): the stream `stream` at `va`, the USC
/// words at `va + 128`, the virtual shader running `ops` at `va + 192`.
fn job(va: u64, usc_base: u64, ops: &[(u32, u64, u64, u64)], vdm: bool) -> Vec<u8> {
    assert_eq!(va % 64, 0, "jobs are 64-byte aligned");
    let pipe = usc_rel(va + JOB_STREAM, usc_base);
    let code = usc_rel(va + JOB_CODE, usc_base);
    let stream = if vdm {
        // What Mesa's `agx_vdm_draw` path writes for one draw: the VDM state naming the vertex
        // pipeline, the draw, the terminate.
        let state = VdmState {
            vs_word0: Some(ShaderRegs::new(0, 0, 1, 0).unwrap()),
            vs_word1: Some(pipe),
            vertex_outputs: Some(0),
            ..VdmState::default()
        };
        encode(|w| {
            VdmBlock::State(state).encode(w)?;
            VdmBlock::IndexList(IndexList::mesa_direct(3, 3, 1, 0)).encode(w)?;
            VdmBlock::Terminate.encode(w)
        })
    } else {
        // What Mesa's `hk_dispatch_with_usc` writes for one dispatch, its barrier, the
        // terminate.
        let grid = Grid::Direct {
            global: [1, 1, 1],
            local: [1, 1, 1],
        };
        let launch = Launch::mesa(0, 0, pipe, grid).unwrap();
        encode(|w| {
            CdmBlock::Launch(launch).encode(Chip::G13G, w)?;
            CdmBlock::mesa_barrier(Chip::G13G).encode(Chip::G13G, w)?;
            CdmBlock::Terminate.encode(Chip::G13G, w)
        })
    };
    let mut v = stream;
    v.resize(JOB_STREAM as usize, 0);
    v.extend(usc_words(code));
    v.resize(JOB_CODE as usize, 0);
    v.extend(program(ops));
    v
}

/// A compute job for address `va`: a Mesa-shaped CDM stream at `va` launching a virtual shader
/// that runs `ops`, for a queue whose `usc_exec_base` is [`USC_BASE`].
pub fn cdm_job(va: u64, ops: &[(u32, u64, u64, u64)]) -> Vec<u8> {
    job(va, USC_BASE, ops, false)
}

/// A vertex job for address `va`: a Mesa-shaped VDM stream at `va` drawing with a virtual
/// vertex shader that runs `ops`, for a queue whose `usc_exec_base` is [`USC_BASE`].
pub fn vdm_job(va: u64, ops: &[(u32, u64, u64, u64)]) -> Vec<u8> {
    job(va, USC_BASE, ops, true)
}

/// [`cdm_job`] for a queue whose `usc_exec_base` is `usc_base`.
pub fn cdm_job_for(va: u64, usc_base: u64, ops: &[(u32, u64, u64, u64)]) -> Vec<u8> {
    job(va, usc_base, ops, false)
}

/// A device context with a VM, a queue, a 1 MiB data buffer at [`DATA_VA`] and a 1 MiB
/// command buffer at [`CMD_VA`], both mapped on the CPU.
pub struct Ctx {
    /// The device.
    pub dev: Device,
    /// The VM.
    pub vm: u32,
    /// The queue.
    pub queue: u32,
    /// Data buffer handle.
    pub data: u32,
    /// CPU view of the data buffer.
    pub data_map: Mapping,
    /// CPU view of the command buffer.
    pub cmd_map: Mapping,
    next_cmd: u64,
}

/// GEM_CREATE of `size` bytes with `flags` (`vm_id` for a VM-private object, else 0): the handle.
pub fn create_bo_with(dev: &Device, size: u64, flags: u32, vm_id: u32) -> io::Result<u32> {
    let mut c = drm_asahi_gem_create {
        size,
        flags,
        vm_id,
        ..Default::default()
    };
    dev.gem_create(&mut c).map(|()| c.handle)
}

/// GEM_CREATE of a plain `size`-byte object: the handle.
pub fn create_bo(dev: &Device, size: u64) -> io::Result<u32> {
    create_bo_with(dev, size, 0, 0)
}

/// GEM_MMAP_OFFSET: the fake offset to `mmap` object `handle` at.
pub fn mmap_offset(dev: &Device, handle: u32) -> io::Result<u64> {
    let mut o = drm_asahi_gem_mmap_offset {
        handle,
        ..Default::default()
    };
    dev.gem_mmap_offset(&mut o).map(|()| o.offset)
}

/// A new `size`-byte object mapped whole on the CPU: `(handle, mapping)`.
pub fn gem(dev: &Device, size: u64) -> io::Result<(u32, Mapping)> {
    let handle = create_bo(dev, size)?;
    let offset = mmap_offset(dev, handle)?;
    Ok((handle, dev.mmap(offset, size as usize)?))
}

/// One VM_BIND op.
pub fn bind_op(
    flags: u32,
    handle: u32,
    offset: u64,
    range: u64,
    addr: u64,
) -> drm_asahi_gem_bind_op {
    drm_asahi_gem_bind_op {
        flags,
        handle,
        offset,
        range,
        addr,
    }
}

/// VM_BIND of `range` bytes of object `handle` (from its start) read-write at `addr` of `vm`.
pub fn bind_rw(dev: &Device, vm: u32, handle: u32, addr: u64, range: u64) -> io::Result<()> {
    let rw = DRM_ASAHI_BIND_READ | DRM_ASAHI_BIND_WRITE;
    dev.vm_bind(vm, &[bind_op(rw, handle, 0, range, addr)])
}

/// The VM_BIND op that unmaps `range` bytes at `addr`.
pub fn unbind_op(addr: u64, range: u64) -> drm_asahi_gem_bind_op {
    bind_op(DRM_ASAHI_BIND_UNBIND, 0, 0, range, addr)
}

/// Creates a VM with the kernel range Mesa asks for (the top 32 GiB, or more if the device
/// needs it) and returns its id.
pub fn create_vm(dev: &Device) -> io::Result<u32> {
    let p = dev.get_params(0)?;
    let mut vc = drm_asahi_vm_create {
        kernel_start: p.vm_end - p.vm_kernel_min_size.max(32 << 30),
        kernel_end: p.vm_end,
        ..Default::default()
    };
    dev.vm_create(&mut vc)?;
    Ok(vc.vm_id)
}

impl Ctx {
    /// Opens the device and sets up a context.
    pub fn new() -> io::Result<Self> {
        let dev = Device::open_render_asahi()?;
        let vm_id = create_vm(&dev)?;
        let (data, data_map) = gem(&dev, 1 << 20)?;
        let (cmd, cmd_map) = gem(&dev, 1 << 20)?;
        let rw = DRM_ASAHI_BIND_READ | DRM_ASAHI_BIND_WRITE;
        let bind = |handle, addr, flags| bind_op(flags, handle, 0, 1 << 20, addr);
        dev.vm_bind(
            vm_id,
            &[
                bind(data, DATA_VA, rw),
                bind(cmd, CMD_VA, DRM_ASAHI_BIND_READ),
            ],
        )?;
        let mut qc = drm_asahi_queue_create {
            vm_id,
            priority: DRM_ASAHI_PRIORITY_MEDIUM,
            usc_exec_base: USC_BASE,
            ..Default::default()
        };
        dev.queue_create(&mut qc)?;
        Ok(Self {
            dev,
            vm: vm_id,
            queue: qc.queue_id,
            data,
            data_map,
            cmd_map,
            next_cmd: 0,
        })
    }

    /// Creates another queue (medium priority) on this context's VM and returns its id.
    pub fn add_queue(&self) -> io::Result<u32> {
        let mut q = drm_asahi_queue_create {
            vm_id: self.vm,
            priority: DRM_ASAHI_PRIORITY_MEDIUM,
            usc_exec_base: USC_BASE,
            ..Default::default()
        };
        self.dev.queue_create(&mut q).map(|()| q.queue_id)
    }

    /// Writes a compute job running `ops` ([`cdm_job`]) into the command buffer and returns
    /// its CDM stream's GPU address.
    pub fn put_stream(&mut self, ops: &[(u32, u64, u64, u64)]) -> u64 {
        self.put_job(ops, false)
    }

    /// Writes a vertex job running `ops` ([`vdm_job`]) into the command buffer and returns its
    /// VDM stream's GPU address.
    pub fn put_vdm(&mut self, ops: &[(u32, u64, u64, u64)]) -> u64 {
        self.put_job(ops, true)
    }

    fn put_job(&mut self, ops: &[(u32, u64, u64, u64)], vdm: bool) -> u64 {
        let len = JOB_CODE + program(ops).len() as u64;
        if self.next_cmd + len > 1 << 20 {
            self.next_cmd = 0;
        }
        let at = self.next_cmd;
        let s = job(CMD_VA + at, USC_BASE, ops, vdm);
        self.cmd_map.write(at as usize, &s);
        self.next_cmd = (at + s.len() as u64 + 63) & !63;
        CMD_VA + at
    }

    /// Reads a `u32` of the data buffer.
    pub fn read_u32(&self, offset: u64) -> u32 {
        let mut b = [0u8; 4];
        self.data_map.read(offset as usize, &mut b);
        u32::from_le_bytes(b)
    }

    /// Runs `ops` as one compute job signalling syncobj `so`, waits for it and returns its fence
    /// status (1 ok, negative errno if it failed).
    pub fn run_on(&mut self, so: u32, ops: &[(u32, u64, u64, u64)]) -> io::Result<i32> {
        let s = self.put_stream(ops);
        self.compute(s, &[], &[sync(so)])?;
        wait(&self.dev, so)?;
        fence_status(&self.dev, so)
    }

    /// [`Ctx::run_on`] with a syncobj of its own, destroyed afterwards.
    pub fn run(&mut self, ops: &[(u32, u64, u64, u64)]) -> io::Result<i32> {
        let so = self.dev.syncobj_create(0)?;
        let st = self.run_on(so, ops);
        self.dev.syncobj_destroy(so)?;
        st
    }

    /// Submits one compute command running the stream at `va`, signalling `out` syncs.
    pub fn compute(
        &self,
        va: u64,
        ins: &[drm_asahi_sync],
        outs: &[drm_asahi_sync],
    ) -> io::Result<()> {
        self.dev.submit(self.queue, ins, outs, &compute_cmd(va))
    }
}

/// A command buffer holding one compute command for the stream at `va`.
pub fn compute_cmd(va: u64) -> Vec<u8> {
    let mut v = header(DRM_ASAHI_CMD_COMPUTE, 64, 0xffff, 0xffff);
    let mut c = [0u8; 64];
    c[8..16].copy_from_slice(&va.to_le_bytes());
    c[16..24].copy_from_slice(&(va + 4096).to_le_bytes());
    v.extend_from_slice(&c);
    v
}

/// A command buffer holding one render command whose vertex stream is at `va`.
pub fn render_cmd(va: u64, vdm_barrier: u16, cdm_barrier: u16) -> Vec<u8> {
    let mut v = header(DRM_ASAHI_CMD_RENDER, 240, vdm_barrier, cdm_barrier);
    let mut r = [0u8; 240];
    r[8..16].copy_from_slice(&va.to_le_bytes());
    r[158] = 1;
    v.extend_from_slice(&r);
    v
}

/// Mesa's submit shape: a compute command for the stream at `cs`, fragment attachments of
/// `attachments` zero bytes, and a render command (vdm barrier none, cdm barrier 1) whose vertex
/// stream is at `vs`.
pub fn frame_cmd(cs: u64, vs: u64, attachments: u16) -> Vec<u8> {
    let mut v = compute_cmd(cs);
    v.extend(header(
        DRM_ASAHI_SET_FRAGMENT_ATTACHMENTS,
        attachments,
        0xffff,
        0xffff,
    ));
    v.extend(vec![0u8; usize::from(attachments)]);
    v.extend(render_cmd(vs, 0xffff, 1));
    v
}

/// A command header.
pub fn header(cmd_type: u32, size: u16, vdm: u16, cdm: u16) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&(cmd_type as u16).to_le_bytes());
    v.extend_from_slice(&size.to_le_bytes());
    v.extend_from_slice(&vdm.to_le_bytes());
    v.extend_from_slice(&cdm.to_le_bytes());
    v
}

/// A binary syncobj sync entry.
pub fn sync(handle: u32) -> drm_asahi_sync {
    drm_asahi_sync {
        sync_type: DRM_ASAHI_SYNC_SYNCOBJ,
        handle,
        timeline_value: 0,
    }
}

/// A timeline syncobj sync entry.
pub fn timeline(handle: u32, point: u64) -> drm_asahi_sync {
    drm_asahi_sync {
        sync_type: DRM_ASAHI_SYNC_TIMELINE_SYNCOBJ,
        handle,
        timeline_value: point,
    }
}

/// An absolute CLOCK_MONOTONIC deadline `ms` from now, as syncobj waits take it.
pub fn deadline(ms: i64) -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec * 1_000_000_000 + ts.tv_nsec + ms * 1_000_000
}

/// Waits up to 10 s for a binary syncobj.
pub fn wait(dev: &Device, handle: u32) -> io::Result<()> {
    dev.syncobj_wait(&[handle], deadline(10_000), 0).map(drop)
}

/// The status of a syncobj's fence: 1 signalled OK, 0 pending, negative errno on error
/// (through a sync file, `SYNC_IOC_FILE_INFO`).
pub fn fence_status(dev: &Device, handle: u32) -> io::Result<i32> {
    let fd = dev.syncobj_handle_to_fd(handle, DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE)?;
    sync_file_info(fd.as_fd(), false).map(|(status, _)| status)
}

/// One fence of a sync file, as `SYNC_IOC_FILE_INFO` reports it (`struct sync_fence_info`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SyncFenceInfo {
    /// The fence's timeline name.
    pub obj_name: [u8; 32],
    /// The fence's driver name.
    pub driver_name: [u8; 32],
    /// 1 signalled, 0 pending, negative errno.
    pub status: i32,
    /// Fence flags.
    pub flags: u32,
    /// When it signalled (CLOCK_MONOTONIC ns), 0 if pending.
    pub timestamp_ns: u64,
}

/// `SYNC_IOC_FILE_INFO` on a sync file with room for `max` fences: the file's status and its
/// fences (at most `max`; with `max` 0, none).
pub fn sync_file_fences(fd: BorrowedFd<'_>, max: u32) -> io::Result<(i32, Vec<SyncFenceInfo>)> {
    #[repr(C)]
    struct FileInfo {
        name: [u8; 32],
        status: i32,
        flags: u32,
        num_fences: u32,
        pad: u32,
        sync_fence_info: u64,
    }
    let empty = SyncFenceInfo {
        obj_name: [0; 32],
        driver_name: [0; 32],
        status: 0,
        flags: 0,
        timestamp_ns: 0,
    };
    let mut fences = vec![empty; max as usize];
    let mut info = FileInfo {
        name: [0; 32],
        status: 0,
        flags: 0,
        num_fences: max,
        pad: 0,
        sync_fence_info: if max > 0 {
            fences.as_mut_ptr() as u64
        } else {
            0
        },
    };
    // _IOWR('>', 4, struct sync_file_info)
    const SYNC_IOC_FILE_INFO: u64 = 0xc038_3e04;
    // SAFETY: `info` matches the kernel's 56-byte struct; `sync_fence_info` is 0 (no per-fence
    // array) or points to room for the `max` 80-byte `sync_fence_info`s `num_fences` asks for.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), SYNC_IOC_FILE_INFO as _, &mut info) };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    fences.truncate(if max > 0 { info.num_fences as usize } else { 0 });
    Ok((info.status, fences))
}

/// `SYNC_IOC_FILE_INFO` on a sync file: its status and, with `one_fence` (for a sync file of
/// exactly one fence), that fence's driver name.
pub fn sync_file_info(fd: BorrowedFd<'_>, one_fence: bool) -> io::Result<(i32, Option<String>)> {
    let (status, fences) = sync_file_fences(fd, u32::from(one_fence))?;
    let driver = one_fence.then(|| {
        let name = fences.first().map_or(&[][..], |f| &f.driver_name[..]);
        let name = name.split(|b| *b == 0).next().unwrap_or(&[]);
        String::from_utf8_lossy(name).into_owned()
    });
    Ok((status, driver))
}

/// The asahi primary node's debugfs directory (`/sys/kernel/debug/dri/N`).
pub fn debugfs_dir() -> Option<std::path::PathBuf> {
    let dir = std::fs::read_dir("/sys/kernel/debug/dri").ok()?;
    dir.flatten().map(|e| e.path()).find(|p| {
        std::fs::read_to_string(p.join("name")).is_ok_and(|n| n.starts_with("asahi "))
            && p.join("crash_firmware").exists()
    })
}

/// The pending devcoredump entries (`/sys/class/devcoredump/devcdN`).
pub fn devcoredumps() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir("/sys/class/devcoredump")
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("devcd"))
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Polls `cond` every 20 ms for up to `ms` milliseconds.
pub fn poll_until(ms: u64, mut cond: impl FnMut() -> bool) -> bool {
    for _ in 0..ms / 20 {
        if cond() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    cond()
}
