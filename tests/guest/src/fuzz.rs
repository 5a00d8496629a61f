//! A model-based uAPI fuzzer for the asahi driver: one [`Fuzzer`] per thread.
//!
//! Each fuzzer owns a DRM file of its own and models every object in it (GEM handles, VMs,
//! queues, syncobjs and their fence state), so for each generated ioctl it knows by
//! construction whether the input is **valid** (the kernel must accept it, resource exhaustion
//! aside), **invalid** (the kernel must refuse it: it carries exactly one injected defect such as
//! a non-zero pad, a stale id or an overflowing range) or **unknown** (races, reserved values).
//! It also shares one more DRM file with the other threads of its process and issues loosely
//! typed "chaos" ioctls there, whose only check is the errno set.
//!
//! A finding is one of: an errno outside the ioctl's allowed set, an accepted invalid input, a
//! rejected valid input, an ioctl (or wait) that overran its deadline, a new buffer that is not
//! zeroed, GET_PARAMS or GET_TIME output that is inconsistent. The kernel side (splats, leaks) is
//! judged by the harness.
//!
//! # Allowed errnos
//!
//! | ioctl | allowed errnos |
//! |---|---|
//! | GET_PARAMS | EINVAL, EFAULT |
//! | GET_TIME | EINVAL |
//! | VM_CREATE | EINVAL, ENOMEM (chaos: also ENOSPC) |
//! | VM_DESTROY, QUEUE_DESTROY | EINVAL, ENOENT |
//! | GEM_CREATE | EINVAL, ENOENT, ENOMEM |
//! | QUEUE_CREATE | EINVAL, ENOENT, ENOMEM (chaos: also ENOSPC) |
//! | GEM_BIND_OBJECT | EINVAL, ENOENT, ENOMEM, ENOSPC |
//! | GEM_MMAP_OFFSET | EINVAL, ENOENT, ENOMEM |
//! | VM_BIND | EINVAL, ENOENT, EFAULT, ENOMEM |
//! | SUBMIT | EINVAL, ENOENT, EFAULT, ENOMEM |
//! | GEM_CLOSE | EINVAL |
//! | PRIME handle/fd | EINVAL, ENOENT, EBADF, ENOMEM, EMFILE, EFAULT |
//! | SYNCOBJ_* | EINVAL, ENOENT, EFAULT, ETIME, ENOMEM, EBADF, EMFILE |
//!
//! `EINTR` is never visible (the wrappers retry, and nothing here sends signals but `SIGKILL`).
//! ENOMEM is the one resource errno a valid input may still get. ENOSPC and EBUSY are defects
//! for a fuzzer's own file: it keeps a handful of VMs and queues, far below the per-file id
//! limits, so an ENOSPC/EBUSY there could only come from a device-wide resource that other
//! clients hold (the chaos ioctls leave idle VMs and queues behind in the shared files, and
//! `fuzz_uapi` runs a neighbour holding more idle queues than the GPU has event slots), and a
//! well-behaved client must never be refused because of someone else's idle state. SUBMIT never
//! returns EBUSY: a full queue or device waits (interruptibly) instead. The chaos ioctls on the
//! shared file may get ENOSPC from VM_CREATE and QUEUE_CREATE, at that file's own id limit
//! (they never destroy what they create beyond the first ids). GEM_BIND_OBJECT keeps ENOSPC: its
//! timestamp window is a device resource whose bound is a separate question (issue 12 item 3).

use crate::gpu::{self, op, CMD_VA, DATA_VA, PAGE};
use crate::guard::GuardBuf;
use crate::rng::Rng;
use asahi_uapi::bindings::*;
use asahi_uapi::{ioctl, Device, Mapping};
use std::io;
use std::ops::Range;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// `DRM_CLOEXEC` and `DRM_RDWR` (`O_CLOEXEC`, `O_RDWR`).
// CAST: the open flags are positive.
const DRM_CLOEXEC: u32 = libc::O_CLOEXEC as u32;
// CAST: as above.
const DRM_RDWR: u32 = libc::O_RDWR as u32;

const EINVAL: i32 = libc::EINVAL;
const ENOENT: i32 = libc::ENOENT;
const EFAULT: i32 = libc::EFAULT;
const ENOMEM: i32 = libc::ENOMEM;
const ENOSPC: i32 = libc::ENOSPC;
const ETIME: i32 = libc::ETIME;
const EBADF: i32 = libc::EBADF;
const EMFILE: i32 = libc::EMFILE;

const A_PARAMS: &[i32] = &[EINVAL, EFAULT];
const A_TIME: &[i32] = &[EINVAL];
const A_VM_CREATE: &[i32] = &[EINVAL, ENOMEM];
/// On the shared file: also its own id limit.
const A_CHAOS_VM_CREATE: &[i32] = &[EINVAL, ENOMEM, ENOSPC];
const A_DESTROY: &[i32] = &[EINVAL, ENOENT];
const A_GEM_CREATE: &[i32] = &[EINVAL, ENOENT, ENOMEM];
const A_QUEUE_CREATE: &[i32] = &[EINVAL, ENOENT, ENOMEM];
/// On the shared file: also its own id limit.
const A_CHAOS_QUEUE_CREATE: &[i32] = &[EINVAL, ENOENT, ENOMEM, ENOSPC];
const A_BIND_OBJECT: &[i32] = &[EINVAL, ENOENT, ENOMEM, ENOSPC];
const A_MMAP_OFFSET: &[i32] = &[EINVAL, ENOENT, ENOMEM];
const A_VM_BIND: &[i32] = &[EINVAL, ENOENT, EFAULT, ENOMEM];
const A_SUBMIT: &[i32] = &[EINVAL, ENOENT, EFAULT, ENOMEM];
const A_GEM_CLOSE: &[i32] = &[EINVAL];
const A_PRIME: &[i32] = &[EINVAL, ENOENT, EBADF, ENOMEM, EMFILE, EFAULT];
const A_SYNCOBJ: &[i32] = &[EINVAL, ENOENT, EFAULT, ETIME, ENOMEM, EBADF, EMFILE];
/// Errnos a valid input may still get: the system ran out of memory. Not ENOSPC or EBUSY (see
/// the module docs): no device-wide resource may refuse a well-behaved client.
const RESOURCE: &[i32] = &[ENOMEM];

/// Longest any single ioctl may take (submit backpressure included) before it counts as a hang.
const SLOW: Duration = Duration::from_secs(15);
/// Size of the per-thread command and data buffers.
const BUF_SIZE: u64 = 256 << 10;
/// Where fuzzed binds go: 256 slots of 16 MiB from 4 GiB.
const BIND_BASE: u64 = 1 << 32;
/// Most findings printed per thread.
const MAX_REPORTS: usize = 12;
/// `DRM_IOCTL_SYNCOBJ_TRANSFER` (not in the uAPI crate).
const SYNCOBJ_TRANSFER: u32 = ioctl::drm_iowr::<SyncobjTransfer>(0xcc);

/// `struct drm_syncobj_transfer`.
#[repr(C)]
#[derive(Debug, Default)]
struct SyncobjTransfer {
    src_handle: u32,
    dst_handle: u32,
    src_point: u64,
    dst_point: u64,
    flags: u32,
    pad: u32,
}

/// What the kernel must do with an input, known by construction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Must succeed unless a resource ran out.
    Valid,
    /// Must fail: carries this defect.
    Invalid(&'static str),
    /// Either outcome is fine; only the errno set is checked.
    Unknown,
}

impl Verdict {
    /// The verdict of an input with one more property: the first defect wins.
    fn and(self, other: Verdict) -> Verdict {
        match (self, other) {
            (Verdict::Invalid(w), _) | (_, Verdict::Invalid(w)) => Verdict::Invalid(w),
            (Verdict::Unknown, _) | (_, Verdict::Unknown) => Verdict::Unknown,
            _ => Verdict::Valid,
        }
    }

    fn check(self, ok: bool, defect: &'static str) -> Verdict {
        if ok {
            self
        } else {
            self.and(Verdict::Invalid(defect))
        }
    }
}

/// What a syncobj holds, as far as the model knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SyncState {
    /// No fence.
    Empty,
    /// A plain fence (signal, binary out-sync, signalled creation).
    Binary,
    /// A timeline chain whose highest point is this.
    Chain(u64),
    /// Aliased or transferred: not modelled any more.
    Weird,
}

struct VmM {
    id: u32,
    /// Model-unique (ids are reused, VM_PRIVATE binds to the VM itself).
    serial: u64,
    kernel: Range<u64>,
}

struct Bo {
    handle: u32,
    size: u64,
    /// The serial of the VM a VM_PRIVATE object belongs to.
    private: Option<u64>,
    map: Option<Mapping>,
}

/// Counters of one fuzzer.
#[derive(Default, Debug, Clone, Copy)]
pub struct Stats {
    /// Ioctls issued.
    pub ops: u64,
    /// Valid inputs accepted.
    pub valid_ok: u64,
    /// Invalid inputs refused.
    pub invalid_refused: u64,
    /// Inputs of unknown verdict.
    pub unknown: u64,
    /// Jobs submitted.
    pub jobs: u64,
    /// Findings.
    pub findings: u64,
}

/// One thread's fuzzer.
pub struct Fuzzer<'a> {
    name: String,
    rng: Rng,
    dev: Device,
    shared: &'a Device,
    params: drm_asahi_params_global,
    vms: Vec<VmM>,
    queues: Vec<u32>,
    bos: Vec<Bo>,
    syncs: Vec<(u32, SyncState)>,
    dead_vms: Vec<u32>,
    dead_queues: Vec<u32>,
    dead_bos: Vec<u32>,
    dead_syncs: Vec<u32>,
    cmd: (u32, Option<Mapping>),
    data: u32,
    next_stream: u64,
    next_serial: u64,
    /// Generate no defects (for this submit): most submits then run on the GPU.
    clean: bool,
    /// Statistics.
    pub stats: Stats,
    op_no: u64,
}

fn errno<T>(r: &io::Result<T>) -> Option<i32> {
    r.as_ref().err().map(|e| e.raw_os_error().unwrap_or(-1))
}

fn now_ns() -> i64 {
    gpu::deadline(0)
}

fn aligned(x: u64) -> bool {
    x % PAGE == 0
}

impl<'a> Fuzzer<'a> {
    /// A fuzzer named `name` (for reports) with its own file and `shared` for chaos ioctls.
    pub fn new(name: String, seed: u64, shared: &'a Device) -> io::Result<Self> {
        let dev = Device::open_render_asahi()?;
        let params = dev.get_params(0)?;
        let mut f = Self {
            name,
            rng: Rng::new(seed),
            dev,
            shared,
            params,
            vms: Vec::new(),
            queues: Vec::new(),
            bos: Vec::new(),
            syncs: Vec::new(),
            dead_vms: Vec::new(),
            dead_queues: Vec::new(),
            dead_bos: Vec::new(),
            dead_syncs: Vec::new(),
            cmd: (0, None),
            data: 0,
            next_stream: 0,
            next_serial: 1,
            clean: false,
            stats: Stats::default(),
            op_no: 0,
        };
        f.cmd.0 = f.create_bo(BUF_SIZE, 0, 0)?;
        f.data = f.create_bo(BUF_SIZE, 0, 0)?;
        let mut o = drm_asahi_gem_mmap_offset {
            handle: f.cmd.0,
            ..Default::default()
        };
        f.dev.gem_mmap_offset(&mut o)?;
        f.cmd.1 = Some(f.dev.mmap(o.offset, BUF_SIZE as usize)?);
        Ok(f)
    }

    fn create_bo(&mut self, size: u64, flags: u32, vm_id: u32) -> io::Result<u32> {
        let mut c = drm_asahi_gem_create {
            size,
            flags,
            vm_id,
            ..Default::default()
        };
        self.dev.gem_create(&mut c)?;
        self.bos.push(Bo {
            handle: c.handle,
            size: size.next_multiple_of(PAGE),
            private: None,
            map: None,
        });
        Ok(c.handle)
    }

    /// Reports a finding.
    fn finding(&mut self, what: std::fmt::Arguments<'_>) {
        self.stats.findings += 1;
        if self.stats.findings <= MAX_REPORTS as u64 {
            println!("# FINDING [{} op {}] {what}", self.name, self.op_no);
        }
    }

    /// Judges one ioctl's outcome: the errno set, the verdict and the time it took.
    fn judge<T>(
        &mut self,
        name: &str,
        allowed: &[i32],
        verdict: Verdict,
        started: Instant,
        r: &io::Result<T>,
        args: &dyn std::fmt::Debug,
    ) -> bool {
        self.stats.ops += 1;
        let took = started.elapsed();
        if took > SLOW {
            self.finding(format_args!("{name} took {took:?}: {args:?}"));
        }
        let e = errno(r);
        if let Some(e) = e {
            if !allowed.contains(&e) {
                self.finding(format_args!(
                    "{name} returned errno {e} ({}) outside {allowed:?}: {args:?}",
                    io::Error::from_raw_os_error(e)
                ));
            }
        }
        match (verdict, e) {
            (Verdict::Invalid(why), None) => {
                self.finding(format_args!(
                    "{name} accepted invalid input ({why}): {args:?}"
                ));
            }
            (Verdict::Invalid(_), Some(_)) => self.stats.invalid_refused += 1,
            (Verdict::Valid, Some(e)) if !RESOURCE.contains(&e) => {
                self.finding(format_args!(
                    "{name} rejected valid input with errno {e}: {args:?}"
                ));
            }
            (Verdict::Valid, None) => self.stats.valid_ok += 1,
            _ => self.stats.unknown += 1,
        }
        r.is_ok()
    }

    /// Runs until `deadline` (or `max_ops` ioctls); returns the statistics.
    pub fn run(&mut self, deadline: Instant, max_ops: u64) -> Stats {
        while Instant::now() < deadline && self.stats.ops < max_ops {
            self.op_no += 1;
            self.step();
        }
        self.stats
    }

    fn step(&mut self) {
        // Keep the model small: past these sizes, creating turns into destroying.
        let w = self.rng.below(100);
        match w {
            0..=2 => self.get_params(),
            3..=4 => self.get_time(),
            5..=8 if self.vms.len() < 6 => self.vm_create(),
            5..=10 => self.vm_destroy(),
            11..=15 if self.bos.len() < 24 => self.gem_create(),
            11..=17 => self.gem_close(),
            18..=19 => self.gem_mmap_offset(),
            20 => self.bind_object(),
            21..=31 => self.vm_bind(),
            32..=34 if self.queues.len() < 4 => self.queue_create(),
            32..=36 => self.queue_destroy(),
            37..=52 => self.submit(),
            53..=55 => self.prime(),
            56..=58 if self.syncs.len() < 24 => self.syncobj_create(),
            56..=60 => self.syncobj_destroy(),
            61..=64 => self.syncobj_wait(),
            65..=67 => self.syncobj_signal_reset(),
            68..=69 => self.syncobj_query_transfer(),
            70 => self.syncobj_fd(),
            71..=72 => self.cpu_touch(),
            _ => self.chaos(),
        }
    }

    // ---- Id choice -------------------------------------------------------------------------

    /// A VM id: live (with its model index), stale, or an edge value.
    fn pick_vm(&mut self) -> (u32, Option<usize>) {
        match self.rng.below(12) {
            0 => {
                let id = self.rng.pick(&self.dead_vms).copied().unwrap_or(0);
                (id, self.vms.iter().position(|v| v.id == id))
            }
            1 => {
                let id = self.rng.edge_u32();
                (id, self.vms.iter().position(|v| v.id == id))
            }
            _ => match self.rng.index(self.vms.len()) {
                Some(i) => (self.vms[i].id, Some(i)),
                None => (0, None),
            },
        }
    }

    fn pick_id(&mut self, live: &[u32], dead: &[u32]) -> (u32, bool) {
        let id = match self.rng.below(12) {
            0 => self.rng.pick(dead).copied().unwrap_or(0),
            1 => self.rng.edge_u32(),
            _ => self.rng.pick(live).copied().unwrap_or(0),
        };
        (id, live.contains(&id))
    }

    fn pick_bo(&mut self) -> (u32, Option<usize>) {
        let live: Vec<u32> = self.bos.iter().map(|b| b.handle).collect();
        let dead = self.dead_bos.clone();
        let (h, _) = self.pick_id(&live, &dead);
        (h, self.bos.iter().position(|b| b.handle == h))
    }

    fn pick_sync(&mut self) -> (u32, Option<usize>) {
        let live: Vec<u32> = self.syncs.iter().map(|s| s.0).collect();
        let dead = self.dead_syncs.clone();
        let (h, _) = self.pick_id(&live, &dead);
        (h, self.syncs.iter().position(|s| s.0 == h))
    }

    fn remember(dead: &mut Vec<u32>, id: u32) {
        dead.push(id);
        if dead.len() > 16 {
            dead.remove(0);
        }
    }

    /// A non-zero value for a must-be-zero field, now and then (with the verdict it implies).
    fn maybe_pad(&mut self) -> (u32, Verdict) {
        if self.rng.chance(1, 12) {
            (self.rng.edge_u32().max(1), Verdict::Invalid("non-zero pad"))
        } else {
            (0, Verdict::Valid)
        }
    }

    // ---- Simple ioctls ---------------------------------------------------------------------

    fn get_params(&mut self) {
        let expected = *self.params_bytes();
        let (group, mut v) = if self.rng.chance(1, 10) {
            (
                self.rng.edge_u32().max(1),
                Verdict::Invalid("param group != 0"),
            )
        } else {
            (0, Verdict::Valid)
        };
        let (pad, pv) = self.maybe_pad();
        v = v.and(pv);
        let size = match self.rng.below(4) {
            0 => self.rng.below(700),
            1 => self.rng.edge_u64(),
            _ => expected.len() as u64,
        };
        let mut buf = vec![0xa5u8; 1024];
        let guard = GuardBuf::new(&[0xa5; 16]);
        let pointer = match self.rng.below(10) {
            0 if size > 0 && size <= 1024 => {
                v = v.and(Verdict::Invalid("bad pointer"));
                *self
                    .rng
                    .pick(&[0u64, 8, 0xffff_8000_0000_0000])
                    .unwrap_or(&0)
            }
            // Past a guard page: faults iff more than 16 bytes are written.
            1 => {
                if size > 16 {
                    v = v.and(Verdict::Invalid("buffer shorter than size"));
                }
                guard.as_ref().map_or(0, GuardBuf::addr)
            }
            _ if size > 1024 => {
                // Only the struct is written, and it fits in `buf`.
                buf.as_mut_ptr() as u64
            }
            _ => buf.as_mut_ptr() as u64,
        };
        let args = drm_asahi_get_params {
            param_group: group,
            pad,
            pointer,
            size,
        };
        let t = Instant::now();
        // SAFETY: The kernel writes at most `min(size, 592)` bytes at `pointer`, which is `buf`
        // (1024 bytes), the guard buffer (16 bytes, then a fault) or an address that faults.
        let r = unsafe {
            self.dev.ioctl(
                ioctl::DRM_IOCTL_ASAHI_GET_PARAMS,
                (&raw const args).cast_mut(),
            )
        };
        let ok = self.judge("GET_PARAMS", A_PARAMS, v, t, &r, &args);
        if ok && pointer == buf.as_ptr() as u64 {
            let n = (size as usize).min(expected.len());
            if buf[..n] != expected[..n] || buf[n..].iter().any(|b| *b != 0xa5) {
                self.finding(format_args!(
                    "GET_PARAMS size {size} wrote other than the first {n} parameter bytes"
                ));
            }
        }
    }

    fn params_bytes(&self) -> &[u8; 592] {
        // SAFETY: `drm_asahi_params_global` is 592 bytes of plain integers.
        unsafe { &*(&raw const self.params).cast::<[u8; 592]>() }
    }

    fn get_time(&mut self) {
        let (flags, v) = if self.rng.chance(1, 8) {
            (self.rng.edge_u64().max(1), Verdict::Invalid("flags != 0"))
        } else {
            (0, Verdict::Valid)
        };
        let mut args = drm_asahi_get_time {
            flags,
            gpu_timestamp: self.rng.next_u64(),
        };
        let before = now_ns();
        let t = Instant::now();
        let r = self.dev.get_time(&mut args);
        let after = now_ns();
        if self.judge("GET_TIME", A_TIME, v, t, &r, &args) {
            // CAST: monotonic nanoseconds are non-negative.
            let ts = args.gpu_timestamp as i64;
            if ts < before || ts > after {
                self.finding(format_args!(
                    "GET_TIME {ts} outside the monotonic clock window {before}..{after}"
                ));
            }
        }
    }

    // ---- VMs -------------------------------------------------------------------------------

    fn vm_window(&mut self) -> (u64, u64, Verdict) {
        let (s, e, min) = (
            self.params.vm_start,
            self.params.vm_end,
            self.params.vm_kernel_min_size,
        );
        let (ks, ke) = match self.rng.below(12) {
            0..=4 => (e - (32 << 30), e),
            5 => (s, s + min),
            6 => {
                let start = s + self.rng.below((e - s - min) / PAGE) * PAGE;
                let len = min + self.rng.below((e - start - min) / PAGE + 1) * PAGE;
                (start, start + len)
            }
            7 => (
                e - (32 << 30) + *self.rng.pick(&[1, 0x1000, PAGE - 1]).unwrap_or(&1),
                e,
            ),
            8 => (e, e - (32 << 30)),
            9 => (e - min + PAGE, e),
            10 => (s - PAGE, s - PAGE + min),
            _ => (self.rng.edge_u64(), self.rng.edge_u64()),
        };
        let v = Verdict::Valid
            .check(aligned(ks) && aligned(ke), "misaligned kernel window")
            .check(ks >= s && ke <= e, "kernel window outside the VM")
            .check(
                ks < ke && ke - ks >= min,
                "kernel window too small or reversed",
            );
        (ks, ke, v)
    }

    fn vm_create(&mut self) {
        let (kernel_start, kernel_end, v) = self.vm_window();
        let (pad, pv) = self.maybe_pad();
        let mut args = drm_asahi_vm_create {
            kernel_start,
            kernel_end,
            vm_id: self.rng.edge_u32(),
            pad,
        };
        let t = Instant::now();
        let r = self.dev.vm_create(&mut args);
        if !self.judge("VM_CREATE", A_VM_CREATE, v.and(pv), t, &r, &args) {
            return;
        }
        if self.vms.iter().any(|m| m.id == args.vm_id) {
            self.finding(format_args!("VM_CREATE returned live id {}", args.vm_id));
        }
        let vm = VmM {
            id: args.vm_id,
            serial: self.next_serial,
            kernel: kernel_start..kernel_end,
        };
        self.next_serial += 1;
        // Map the command and data buffers where streams expect them, when the window allows.
        let ro = DRM_ASAHI_BIND_READ;
        let rw = DRM_ASAHI_BIND_READ | DRM_ASAHI_BIND_WRITE;
        let ops = [(self.cmd.0, CMD_VA, ro), (self.data, DATA_VA, rw)];
        self.vms.push(vm);
        for (handle, addr, flags) in ops {
            let o = drm_asahi_gem_bind_op {
                flags,
                handle,
                offset: 0,
                range: BUF_SIZE,
                addr,
            };
            let idx = self.vms.len() - 1;
            let v = self.op_verdict(&o, Some(idx));
            let t = Instant::now();
            let r = self.dev.vm_bind(args.vm_id, &[o]);
            self.judge("VM_BIND (setup)", A_VM_BIND, v, t, &r, &o);
        }
    }

    fn vm_destroy(&mut self) {
        let (vm_id, idx) = self.pick_vm();
        let (pad, pv) = self.maybe_pad();
        let v = Verdict::Valid.check(idx.is_some(), "stale VM id").and(pv);
        let args = drm_asahi_vm_destroy { vm_id, pad };
        let t = Instant::now();
        let r = self.dev.vm_destroy(&args);
        if self.judge("VM_DESTROY", A_DESTROY, v, t, &r, &args) {
            if let Some(i) = idx {
                self.vms.remove(i);
            }
            Self::remember(&mut self.dead_vms, vm_id);
        }
    }

    // ---- GEM -------------------------------------------------------------------------------

    fn gem_create(&mut self) {
        let mut v = Verdict::Valid;
        let size = match self.rng.below(16) {
            0 => {
                v = Verdict::Invalid("size 0");
                0
            }
            1 => {
                v = Verdict::Invalid("size overflows");
                u64::MAX - self.rng.below(PAGE)
            }
            2 => self.rng.range(1, 4 << 20),
            3 => PAGE * self.rng.range(1, 8) + self.rng.below(2),
            _ => self.rng.range(1, 128 << 10),
        };
        let mut flags = match self.rng.below(4) {
            0 => DRM_ASAHI_GEM_WRITEBACK,
            1 => DRM_ASAHI_GEM_VM_PRIVATE,
            _ => 0,
        };
        if self.rng.chance(1, 16) {
            flags |= 1 << self.rng.range(2, 31);
            v = v.and(Verdict::Invalid("unknown GEM flag"));
        }
        let mut private = None;
        let vm_id = if flags & DRM_ASAHI_GEM_VM_PRIVATE != 0 {
            let (id, idx) = self.pick_vm();
            v = v.check(idx.is_some(), "VM_PRIVATE with a stale VM");
            private = idx.map(|i| self.vms[i].serial);
            id
        } else if self.rng.chance(1, 16) {
            // A vm_id without VM_PRIVATE: the kernel refuses it; upstream says nothing.
            v = v.and(Verdict::Unknown);
            self.rng.edge_u32()
        } else {
            0
        };
        let (pad, pv) = self.maybe_pad();
        let mut args = drm_asahi_gem_create {
            size,
            flags,
            vm_id,
            handle: self.rng.next_u64() as u32,
            pad,
        };
        let t = Instant::now();
        let r = self.dev.gem_create(&mut args);
        if !self.judge("GEM_CREATE", A_GEM_CREATE, v.and(pv), t, &r, &args) {
            return;
        }
        if self.bos.iter().any(|b| b.handle == args.handle) {
            self.finding(format_args!(
                "GEM_CREATE returned live handle {}",
                args.handle
            ));
        }
        let mut bo = Bo {
            handle: args.handle,
            size: size.next_multiple_of(PAGE),
            private,
            map: None,
        };
        // New memory must read as zero (sampled).
        if self.rng.chance(1, 3) {
            let mut o = drm_asahi_gem_mmap_offset {
                handle: bo.handle,
                flags: 0,
                offset: 0,
            };
            if let Ok(m) = self
                .dev
                .gem_mmap_offset(&mut o)
                .and_then(|_| self.dev.mmap(o.offset, bo.size as usize))
            {
                let mut b = [0u8; 64];
                let mut dirty = false;
                for _ in 0..4 {
                    let at = self.rng.below(bo.size - 64) as usize;
                    m.read(at, &mut b);
                    dirty |= b.iter().any(|x| *x != 0);
                }
                if dirty {
                    self.finding(format_args!("new GEM object {} is not zeroed", bo.handle));
                }
                bo.map = Some(m);
            }
        }
        self.bos.push(bo);
    }

    fn gem_close(&mut self) {
        let (handle, idx) = self.pick_bo();
        if idx.is_some() && (handle == self.cmd.0 || handle == self.data) {
            return;
        }
        let v = Verdict::Valid.check(idx.is_some(), "stale handle");
        let t = Instant::now();
        let r = self.dev.gem_close(handle);
        if self.judge("GEM_CLOSE", A_GEM_CLOSE, v, t, &r, &handle) {
            if let Some(i) = idx {
                self.bos.remove(i);
            }
            Self::remember(&mut self.dead_bos, handle);
        }
    }

    fn gem_mmap_offset(&mut self) {
        let (handle, idx) = self.pick_bo();
        let mut v = Verdict::Valid.check(idx.is_some(), "stale handle");
        let flags = if self.rng.chance(1, 10) {
            v = v.and(Verdict::Invalid("flags != 0"));
            self.rng.edge_u32().max(1)
        } else {
            0
        };
        let mut args = drm_asahi_gem_mmap_offset {
            handle,
            flags,
            offset: 0,
        };
        let t = Instant::now();
        let r = self.dev.gem_mmap_offset(&mut args);
        if self.judge("GEM_MMAP_OFFSET", A_MMAP_OFFSET, v, t, &r, &args) {
            if let Some(i) = idx {
                if self.bos[i].map.is_none() {
                    // The offset must be mappable for the object's size.
                    let m = self.dev.mmap(args.offset, self.bos[i].size as usize);
                    match m {
                        Ok(m) => self.bos[i].map = Some(m),
                        Err(e) => self.finding(format_args!("mmap of a valid offset: {e}")),
                    }
                }
            }
        }
    }

    fn bind_object(&mut self) {
        let (pad, pv) = self.maybe_pad();
        let (handle, _) = self.pick_bo();
        let (vm_id, _) = self.pick_vm();
        let mut args = drm_asahi_gem_bind_object {
            op: self.rng.below(3) as u32,
            flags: self.rng.below(3) as u32,
            handle,
            vm_id,
            offset: self.rng.below(4) * PAGE,
            range: self.rng.range(1, 4) * PAGE,
            object_handle: self.rng.edge_u32(),
            pad,
        };
        let t = Instant::now();
        let r = self.dev.gem_bind_object(&mut args);
        let v = Verdict::Unknown.and(pv);
        self.judge("GEM_BIND_OBJECT", A_BIND_OBJECT, v, t, &r, &args);
    }

    // ---- VM_BIND ---------------------------------------------------------------------------

    /// A GPU address for a bind: a slot, the standard buffers, or an edge.
    fn pick_va(&mut self, vm: Option<usize>) -> u64 {
        let k = vm.map(|i| self.vms[i].kernel.clone()).unwrap_or(0..0);
        let va = match self.rng.below(16) {
            0 => DATA_VA,
            1 => CMD_VA,
            2 => *self
                .rng
                .pick(&[
                    0,
                    self.params.vm_start,
                    self.params.vm_start - PAGE,
                    self.params.vm_end - PAGE,
                    self.params.vm_end,
                    1 << 39,
                    !(PAGE - 1),
                    k.start,
                    k.start.wrapping_sub(PAGE),
                    k.end.wrapping_sub(PAGE),
                ])
                .unwrap_or(&0),
            _ => BIND_BASE + self.rng.below(256) * (16 << 20) + self.rng.below(4) * PAGE,
        };
        if self.rng.chance(1, 24) {
            va.wrapping_add(*self.rng.pick(&[1, 0x1000, PAGE / 2]).unwrap_or(&1))
        } else {
            va
        }
    }

    fn gen_bind_op(&mut self, vm: Option<usize>) -> drm_asahi_gem_bind_op {
        let addr = self.pick_va(vm);
        if self.rng.chance(1, 4) {
            let mut o = drm_asahi_gem_bind_op {
                flags: DRM_ASAHI_BIND_UNBIND,
                handle: 0,
                offset: 0,
                range: self.rng.range(1, 64) * PAGE,
                addr,
            };
            match self.rng.below(16) {
                0 => o.handle = self.rng.edge_u32().max(1),
                1 => o.offset = PAGE,
                2 => o.flags |= DRM_ASAHI_BIND_READ,
                3 => o.range = self.rng.edge_u64(),
                _ => {}
            }
            return o;
        }
        let (handle, bo) = self.pick_bo();
        let size = bo.map_or(BUF_SIZE, |i| self.bos[i].size);
        let pages = size / PAGE;
        let n = self.rng.range(1, pages.min(16));
        let mut flags = match self.rng.below(8) {
            0 => DRM_ASAHI_BIND_READ,
            1 => DRM_ASAHI_BIND_WRITE,
            _ => DRM_ASAHI_BIND_READ | DRM_ASAHI_BIND_WRITE,
        };
        if self.rng.chance(1, 8) {
            flags |= DRM_ASAHI_BIND_SINGLE_PAGE;
        }
        let mut o = drm_asahi_gem_bind_op {
            flags,
            handle,
            offset: self.rng.below(pages - n + 1) * PAGE,
            range: n * PAGE,
            addr,
        };
        match self.rng.below(24) {
            0 => o.flags = 0,
            1 => o.flags |= 1 << self.rng.range(4, 31),
            2 => o.range = self.rng.edge_u64(),
            3 => o.offset = self.rng.edge_u64(),
            4 => o.offset = size,
            5 => o.range += 0x1000,
            6 => o.range = size + PAGE,
            // Overflow of addr + range.
            7 => {
                o.addr = !(PAGE - 1);
                o.range = 2 * PAGE;
            }
            // Overflow of offset + range.
            8 => {
                o.offset = !(PAGE - 1);
                o.range = 2 * PAGE;
            }
            _ => {}
        }
        o
    }

    /// The verdict of one bind op in the VM at model index `vm`.
    fn op_verdict(&self, o: &drm_asahi_gem_bind_op, vm: Option<usize>) -> Verdict {
        const KNOWN: u32 = DRM_ASAHI_BIND_UNBIND
            | DRM_ASAHI_BIND_READ
            | DRM_ASAHI_BIND_WRITE
            | DRM_ASAHI_BIND_SINGLE_PAGE;
        let Some(vm) = vm.map(|i| &self.vms[i]) else {
            return Verdict::Invalid("stale VM id");
        };
        let mut v = Verdict::Valid
            .check(o.flags & !KNOWN == 0, "unknown bind flag")
            .check(
                aligned(o.addr) && aligned(o.range) && aligned(o.offset),
                "misaligned bind",
            )
            .check(o.range != 0, "empty range");
        let Some(end) = o.addr.checked_add(o.range) else {
            return Verdict::Invalid("addr + range overflows");
        };
        v = v
            .check(
                o.addr >= self.params.vm_start && end <= self.params.vm_end,
                "range outside the VM",
            )
            .check(
                !(o.addr < vm.kernel.end && vm.kernel.start < end),
                "range in the kernel window",
            );
        if o.flags & DRM_ASAHI_BIND_UNBIND != 0 {
            return v.check(
                o.flags == DRM_ASAHI_BIND_UNBIND && o.handle == 0 && o.offset == 0,
                "unbind with map fields",
            );
        }
        v = v.check(
            o.flags & (DRM_ASAHI_BIND_READ | DRM_ASAHI_BIND_WRITE) != 0,
            "map without READ or WRITE",
        );
        let Some(bo) = self.bos.iter().find(|b| b.handle == o.handle) else {
            return v.and(Verdict::Invalid("stale handle"));
        };
        let used = if o.flags & DRM_ASAHI_BIND_SINGLE_PAGE != 0 {
            PAGE
        } else {
            o.range
        };
        match o.offset.checked_add(used) {
            Some(e) if e <= bo.size => {}
            _ => return v.and(Verdict::Invalid("offset + range past the object")),
        }
        v.check(
            bo.private.is_none_or(|p| p == vm.serial),
            "private object of another VM",
        )
    }

    fn vm_bind(&mut self) {
        let (vm_id, vm) = self.pick_vm();
        let n = match self.rng.below(16) {
            0 => 0,
            1 => 16,
            _ => self.rng.range(1, 4),
        };
        let ops: Vec<drm_asahi_gem_bind_op> = (0..n).map(|_| self.gen_bind_op(vm)).collect();
        let size = std::mem::size_of::<drm_asahi_gem_bind_op>();
        // CAST: the stride choices are small or deliberate edges.
        let stride = match self.rng.below(24) {
            0 => 32,
            1 => 48,
            2 => 64,
            3 => 0,
            4 => 1,
            5 => 41,
            6 => 4096,
            7 => u32::MAX,
            8 => 1 << 31,
            _ => size as u32,
        };
        let mut v = Verdict::Valid;
        let mut bytes = Vec::new();
        let small = (stride as usize) <= 4096;
        if small {
            for o in &ops {
                // SAFETY: `drm_asahi_gem_bind_op` is plain integers without padding.
                let raw = unsafe {
                    std::slice::from_raw_parts(
                        (o as *const drm_asahi_gem_bind_op).cast::<u8>(),
                        size,
                    )
                };
                let s = stride as usize;
                let mut chunk = vec![0u8; s];
                let k = s.min(size);
                chunk[..k].copy_from_slice(&raw[..k]);
                let mut eff = drm_asahi_gem_bind_op::default();
                // SAFETY: Zero-extension of the first `k` bytes into a plain-data struct.
                unsafe {
                    std::ptr::copy_nonoverlapping(raw.as_ptr(), (&raw mut eff).cast::<u8>(), k);
                }
                if s > size && self.rng.chance(1, 6) {
                    chunk[s - 1] = 1;
                    v = v.and(Verdict::Invalid("non-zero tail past the op"));
                }
                v = v.and(self.op_verdict(&eff, vm));
                bytes.extend_from_slice(&chunk);
            }
        }
        if stride == 0 {
            v = if n == 0 {
                Verdict::Unknown
            } else {
                Verdict::Invalid("stride 0")
            };
        }
        let mut num_binds = n;
        let guard = GuardBuf::new(&bytes);
        let mut userptr = guard.as_ref().map_or(0, GuardBuf::addr);
        match self.rng.below(20) {
            0 if n > 0 => {
                num_binds = n + 1;
            }
            1 if n > 0 => num_binds = u32::MAX as u64,
            2 if n > 0 => num_binds = 65537,
            3 if n > 0 => {
                userptr = *self.rng.pick(&[0, 8, 0xffff_8000_0000_0000]).unwrap_or(&0);
            }
            _ => {}
        }
        // CAST: `num_binds` was chosen to fit in a u32.
        let num_binds = num_binds as u32;
        if (!small || num_binds != n as u32 || userptr != guard.as_ref().map_or(0, GuardBuf::addr))
            && num_binds > 0
            && stride != 0
        {
            // The kernel would read past the guarded bytes (or from nowhere).
            v = v.and(Verdict::Invalid("ops beyond the user buffer"));
        }
        if vm.is_none() {
            v = v.and(Verdict::Invalid("stale VM id"));
        }
        let (pad, pv) = self.maybe_pad();
        let args = drm_asahi_vm_bind {
            vm_id,
            num_binds,
            stride,
            pad,
            userptr,
        };
        let t = Instant::now();
        let r = self.dev.vm_bind_raw(&args);
        self.judge("VM_BIND", A_VM_BIND, v.and(pv), t, &r, &(args, &ops));
    }

    // ---- Queues ----------------------------------------------------------------------------

    fn queue_create(&mut self) {
        let (vm_id, vm) = self.pick_vm();
        let mut v = Verdict::Valid.check(vm.is_some(), "stale VM id");
        let priority = match self.rng.below(10) {
            0 => {
                v = v.and(Verdict::Unknown);
                self.rng.range(2, 3) as u32
            }
            1 => {
                v = v.and(Verdict::Invalid("unknown priority"));
                self.rng.edge_u32().max(4)
            }
            2 => DRM_ASAHI_PRIORITY_LOW,
            _ => DRM_ASAHI_PRIORITY_MEDIUM,
        };
        let flags = if self.rng.chance(1, 12) {
            v = v.and(Verdict::Invalid("flags != 0"));
            self.rng.edge_u32().max(1)
        } else {
            0
        };
        let mut args = drm_asahi_queue_create {
            flags,
            vm_id,
            priority,
            queue_id: self.rng.next_u64() as u32,
            usc_exec_base: if self.rng.chance(1, 4) {
                self.rng.edge_u64()
            } else {
                1 << 32
            },
        };
        let t = Instant::now();
        let r = self.dev.queue_create(&mut args);
        if self.judge("QUEUE_CREATE", A_QUEUE_CREATE, v, t, &r, &args) {
            if self.queues.contains(&args.queue_id) {
                self.finding(format_args!(
                    "QUEUE_CREATE returned live id {}",
                    args.queue_id
                ));
            }
            self.queues.push(args.queue_id);
        }
    }

    fn queue_destroy(&mut self) {
        let live = self.queues.clone();
        let dead = self.dead_queues.clone();
        let (queue_id, is_live) = self.pick_id(&live, &dead);
        let (pad, pv) = self.maybe_pad();
        let v = Verdict::Valid.check(is_live, "stale queue id").and(pv);
        let args = drm_asahi_queue_destroy { queue_id, pad };
        let t = Instant::now();
        let r = self.dev.queue_destroy(&args);
        if self.judge("QUEUE_DESTROY", A_DESTROY, v, t, &r, &args) {
            self.queues.retain(|q| *q != queue_id);
            Self::remember(&mut self.dead_queues, queue_id);
        }
    }

    // ---- SUBMIT ----------------------------------------------------------------------------

    /// A GPU address for a stream op to touch.
    fn stream_target(&mut self) -> u64 {
        match self.rng.below(12) {
            0 => CMD_VA + self.rng.below(BUF_SIZE),
            1 => self.pick_va(None),
            2 => self.rng.edge_u64(),
            3 => DATA_VA + BUF_SIZE - self.rng.below(8),
            _ => DATA_VA + self.rng.below(BUF_SIZE / 8) * 8,
        }
    }

    /// Writes a random control stream into the command buffer; returns its GPU address.
    fn gen_stream(&mut self) -> u64 {
        let n = self.rng.range(0, 6);
        let mut ops = Vec::new();
        for _ in 0..n {
            let a = self.stream_target();
            let o = match self.rng.below(16) {
                0..=3 => (op::WRITE32, a, self.rng.next_u64(), 0),
                4..=6 => (op::WRITE64, a, self.rng.next_u64(), 0),
                7..=8 => {
                    let len = match self.rng.below(8) {
                        0 => self.rng.edge_u64(),
                        1 => BUF_SIZE,
                        _ => self.rng.below(4096),
                    };
                    (op::COPY, a, self.stream_target(), len)
                }
                9..=10 => (op::FILL, a, self.rng.next_u64(), self.rng.below(2 * PAGE)),
                11 => (op::DELAY, 0, 0, self.rng.below(500)),
                12..=13 => (op::READ32, a, 0, 0),
                _ => (self.rng.range(7, 1 << 20) as u32, a, 0, 0),
            };
            ops.push(o);
        }
        let bytes = gpu::stream(&ops);
        let len = bytes.len() as u64;
        if self.next_stream + len > BUF_SIZE {
            self.next_stream = 0;
        }
        let at = self.next_stream;
        if let Some(m) = &self.cmd.1 {
            m.write(at as usize, &bytes);
        }
        self.next_stream = (at + len + 63) & !63;
        match self.rng.below(16) {
            0 => 0,
            1 => self.stream_target(),
            _ => CMD_VA + at,
        }
    }

    /// A payload of `size` bytes from `base`, zero-extended or with a tail (verdict adjusted).
    fn payload(&mut self, base: &[u8], v: &mut Verdict) -> Vec<u8> {
        let mut p = base.to_vec();
        let k = match self.rng.below(10) {
            2 if self.clean => 9,
            k => k,
        };
        match k {
            0 => p.truncate(self.rng.below(base.len() as u64) as usize),
            1 => p.extend(std::iter::repeat_n(0, self.rng.range(1, 64) as usize)),
            2 => {
                p.extend(std::iter::repeat_n(0, self.rng.range(1, 64) as usize));
                let last = p.len() - 1;
                p[last] = 1;
                *v = v.and(Verdict::Invalid("non-zero payload tail"));
            }
            _ => {}
        }
        p
    }

    fn push_cmd(buf: &mut Vec<u8>, ty: u16, vdm: u16, cdm: u16, payload: &[u8]) {
        buf.extend_from_slice(&ty.to_le_bytes());
        // CAST: payloads are far below 64 KiB.
        buf.extend_from_slice(&(payload.len() as u16).to_le_bytes());
        buf.extend_from_slice(&vdm.to_le_bytes());
        buf.extend_from_slice(&cdm.to_le_bytes());
        buf.extend_from_slice(payload);
    }

    /// True with probability `num / den`, never in clean mode: whether to inject a defect.
    fn defect(&mut self, num: u64, den: u64) -> bool {
        !self.clean && self.rng.chance(num, den)
    }

    fn barrier(&mut self, seen: u32, v: &mut Verdict) -> u16 {
        let k = if self.clean {
            self.rng.range(1, 9)
        } else {
            self.rng.below(10)
        };
        match k {
            0 => {
                *v = v.and(Verdict::Invalid("barrier beyond earlier commands"));
                // CAST: command counts are at most 65.
                (seen + 1 + self.rng.below(3) as u32).min(0xfffe) as u16
            }
            1..=3 => self.rng.below(u64::from(seen) + 1) as u16,
            _ => 0xffff,
        }
    }

    /// A command buffer and its verdict.
    fn gen_cmdbuf(&mut self) -> (Vec<u8>, Verdict) {
        let mut v = Verdict::Valid;
        let mut buf = Vec::new();
        let (mut renders, mut computes) = (0u32, 0u32);
        let n = match self.rng.below(24) {
            0 if !self.clean => 0,
            1 => 64,
            2 if !self.clean => 65,
            _ => self.rng.range(1, 4),
        };
        for _ in 0..n {
            let kinds = if self.clean { 18 } else { 20 };
            match self.rng.below(kinds) {
                0..=9 => {
                    let vdm = self.barrier(renders, &mut v);
                    let cdm = self.barrier(computes, &mut v);
                    let mut c = [0u8; 64];
                    let s = self.gen_stream();
                    c[8..16].copy_from_slice(&s.to_le_bytes());
                    if self.defect(1, 16) {
                        c[0] = 1;
                    }
                    let p = self.payload(&c, &mut v);
                    // A flag truncated away is not seen: the kernel zero-extends short payloads.
                    if p.first().is_some_and(|b| *b != 0) {
                        v = v.and(Verdict::Invalid("compute flags != 0"));
                    }
                    Self::push_cmd(&mut buf, 1, vdm, cdm, &p);
                    computes += 1;
                }
                10..=14 => {
                    let vdm = self.barrier(renders, &mut v);
                    let cdm = self.barrier(computes, &mut v);
                    let mut r = [0u8; 240];
                    let s = self.gen_stream();
                    r[8..16].copy_from_slice(&s.to_le_bytes());
                    r[158] = 1;
                    let known = DRM_ASAHI_RENDER_VERTEX_SCRATCH
                        | DRM_ASAHI_RENDER_PROCESS_EMPTY_TILES
                        | DRM_ASAHI_RENDER_NO_VERTEX_CLUSTERING
                        | DRM_ASAHI_RENDER_DBIAS_IS_INT;
                    let mut flags = (self.rng.next_u64() as u32) & known;
                    if self.defect(1, 16) {
                        flags |= 1 << self.rng.range(3, 17);
                    }
                    r[0..4].copy_from_slice(&flags.to_le_bytes());
                    let p = self.payload(&r, &mut v);
                    // The flags the kernel sees: bytes truncated away read as zero.
                    let mut seen = [0u8; 4];
                    let n = p.len().min(4);
                    seen[..n].copy_from_slice(&p[..n]);
                    if u32::from_le_bytes(seen) & !known != 0 {
                        v = v.and(Verdict::Invalid("unknown render flag"));
                    }
                    Self::push_cmd(&mut buf, 0, vdm, cdm, &p);
                    renders += 1;
                }
                15..=17 => {
                    let ty = self.rng.range(2, 4) as u16;
                    let mut count = self.rng.range(0, 4);
                    if self.defect(1, 16) {
                        count = 65;
                        v = v.and(Verdict::Invalid("more than 64 attachments"));
                    }
                    let mut p = vec![0u8; count as usize * 24];
                    for a in p.chunks_mut(24) {
                        a[..8].copy_from_slice(&(DATA_VA + self.rng.below(BUF_SIZE)).to_le_bytes());
                        a[8..16].copy_from_slice(&self.rng.below(PAGE).to_le_bytes());
                    }
                    match if self.clean { 11 } else { self.rng.below(12) } {
                        0 if count > 0 => {
                            let i = (self.rng.below(count) * 24 + 16 + self.rng.below(8)) as usize;
                            p[i] = 1;
                            v = v.and(Verdict::Invalid("attachment pad or flags != 0"));
                        }
                        1 => {
                            p.extend(std::iter::repeat_n(0, self.rng.range(1, 23) as usize));
                            v = v.and(Verdict::Invalid("attachments not a multiple of 24"));
                        }
                        _ => {}
                    }
                    let (vdm, cdm) = if self.defect(1, 12) {
                        v = v.and(Verdict::Invalid("attachments with a barrier"));
                        (0, 0xffff)
                    } else {
                        (0xffff, 0xffff)
                    };
                    Self::push_cmd(&mut buf, ty, vdm, cdm, &p);
                }
                _ => {
                    let ty = *self.rng.pick(&[5u16, 6, 0x100, 0xffff]).unwrap_or(&5);
                    let mut p = vec![0u8; self.rng.below(64) as usize];
                    self.rng.fill(&mut p);
                    Self::push_cmd(&mut buf, ty, 0xffff, 0xffff, &p);
                    v = v.and(Verdict::Invalid("unknown command type"));
                }
            }
        }
        let commands = renders + computes;
        if commands == 0 || commands > 64 {
            v = v.and(Verdict::Invalid("0 or more than 64 hardware commands"));
        }
        match if self.clean { 23 } else { self.rng.below(24) } {
            0 => {
                // A truncated trailing header.
                buf.extend(std::iter::repeat_n(0, self.rng.range(1, 7) as usize));
                v = v.and(Verdict::Invalid("truncated header"));
            }
            1 if buf.len() >= 8 => {
                // The first payload's size runs past the end.
                let big = (buf.len() as u16).saturating_add(1);
                buf[2..4].copy_from_slice(&big.to_le_bytes());
                v = v.and(Verdict::Invalid("payload past the buffer"));
            }
            _ => {}
        }
        (buf, v)
    }

    /// One sync entry, its verdict, and the model update it implies when the submit succeeds.
    fn gen_sync(&mut self, input: bool) -> (drm_asahi_sync, Verdict) {
        let (handle, idx) = if self.clean {
            // Live syncobjs only; inputs must hold a fence.
            let ok: Vec<usize> = (0..self.syncs.len())
                .filter(|i| !input || !matches!(self.syncs[*i].1, SyncState::Empty))
                .collect();
            match self.rng.pick(&ok) {
                Some(i) => (self.syncs[*i].0, Some(*i)),
                None => self.pick_sync(),
            }
        } else {
            self.pick_sync()
        };
        let state = idx.map(|i| self.syncs[i].1);
        let mut v = Verdict::Valid.check(idx.is_some(), "stale syncobj");
        let timeline = self.rng.chance(1, 2);
        let mut s = drm_asahi_sync {
            sync_type: if timeline {
                DRM_ASAHI_SYNC_TIMELINE_SYNCOBJ
            } else {
                DRM_ASAHI_SYNC_SYNCOBJ
            },
            handle,
            timeline_value: 0,
        };
        if timeline {
            s.timeline_value = match (input, state) {
                (true, Some(SyncState::Chain(m))) if m > 0 => self.rng.range(1, m),
                _ => self.rng.range(1, 1000),
            };
        }
        match if self.clean { 23 } else { self.rng.below(24) } {
            0 => {
                s.sync_type = self.rng.edge_u32().max(2);
                v = v.and(Verdict::Invalid("unknown sync type"));
            }
            1 if !timeline => {
                s.timeline_value = self.rng.edge_u64().max(1);
                v = v.and(Verdict::Invalid("binary sync with a timeline value"));
            }
            2 if timeline => s.timeline_value = 0,
            _ => {}
        }
        if input {
            let p = s.timeline_value;
            v = v.and(match (state, timeline) {
                (None, _) => Verdict::Invalid("stale syncobj"),
                (Some(SyncState::Weird), _) => Verdict::Unknown,
                (Some(SyncState::Empty), _) => Verdict::Invalid("in-sync without a fence"),
                (Some(_), false) | (Some(_), true) if p == 0 => Verdict::Valid,
                (Some(SyncState::Binary), true) => Verdict::Invalid("point on a binary fence"),
                (Some(SyncState::Chain(m)), true) if p > m => {
                    Verdict::Invalid("point beyond the timeline")
                }
                _ => Verdict::Valid,
            });
        } else if timeline && s.timeline_value == 0 {
            v = v.and(Verdict::Unknown);
        }
        (s, v)
    }

    fn submit(&mut self) {
        self.clean = self.rng.chance(1, 2);
        self.submit_inner();
        self.clean = false;
    }

    fn submit_inner(&mut self) {
        let live = self.queues.clone();
        let dead = self.dead_queues.clone();
        let (queue_id, is_live) = match self.rng.pick(&live) {
            Some(q) if self.clean => (*q, true),
            _ => self.pick_id(&live, &dead),
        };
        let mut v = Verdict::Valid.check(is_live, "stale queue id");
        let nin = if self.rng.chance(1, 3) {
            self.rng.range(1, 3)
        } else {
            0
        };
        let nout = if self.rng.chance(1, 2) {
            self.rng.range(1, 3)
        } else {
            0
        };
        let mut syncs = Vec::new();
        for i in 0..nin + nout {
            let (s, sv) = self.gen_sync(i < nin);
            v = v.and(sv);
            syncs.push(s);
        }
        let (cmd, cv) = self.gen_cmdbuf();
        v = v.and(cv);
        // SAFETY: `drm_asahi_sync` is plain integers without padding.
        let sync_bytes = unsafe {
            std::slice::from_raw_parts(
                syncs.as_ptr().cast::<u8>(),
                syncs.len() * std::mem::size_of::<drm_asahi_sync>(),
            )
        };
        let sg = GuardBuf::new(sync_bytes);
        let cg = GuardBuf::new(&cmd);
        // CAST: counts are small.
        let mut args = drm_asahi_submit {
            syncs: sg.as_ref().map_or(0, GuardBuf::addr),
            cmdbuf: cg.as_ref().map_or(0, GuardBuf::addr),
            flags: 0,
            queue_id,
            in_sync_count: nin as u32,
            out_sync_count: nout as u32,
            cmdbuf_size: cmd.len() as u32,
            pad: 0,
        };
        match if self.clean { 31 } else { self.rng.below(32) } {
            0 => {
                args.flags = self.rng.edge_u32().max(1);
                v = v.and(Verdict::Invalid("flags != 0"));
            }
            1 => {
                args.pad = self.rng.edge_u32().max(1);
                v = v.and(Verdict::Invalid("pad != 0"));
            }
            2 => {
                args.in_sync_count = u32::MAX;
                v = v.and(Verdict::Invalid("sync count overflow"));
            }
            3 => {
                args.out_sync_count += 1;
                v = v.and(Verdict::Invalid("syncs beyond the user buffer"));
            }
            4 => {
                args.cmdbuf_size +=
                    1 + self.rng.below(u64::from(u32::MAX - args.cmdbuf_size)) as u32;
                v = v.and(Verdict::Invalid("cmdbuf_size beyond the user buffer"));
            }
            5 => {
                args.cmdbuf_size = 0;
                v = v.and(Verdict::Invalid("empty command buffer"));
            }
            6 => {
                args.cmdbuf = *self.rng.pick(&[0, 8, 0xffff_8000_0000_0000]).unwrap_or(&0);
                v = v.and(Verdict::Invalid("bad cmdbuf pointer"));
            }
            7 if nin + nout > 0 => {
                args.syncs = *self.rng.pick(&[0, 8, 0xffff_8000_0000_0000]).unwrap_or(&0);
                v = v.and(Verdict::Invalid("bad syncs pointer"));
            }
            _ => {}
        }
        let t = Instant::now();
        let r = self.dev.submit_raw(&args);
        if self.judge("SUBMIT", A_SUBMIT, v, t, &r, &(args, &syncs)) {
            self.stats.jobs += 1;
            for s in &syncs[nin as usize..] {
                if let Some(e) = self.syncs.iter_mut().find(|e| e.0 == s.handle) {
                    e.1 = match (s.sync_type, e.1) {
                        (_, SyncState::Weird) => SyncState::Weird,
                        (DRM_ASAHI_SYNC_SYNCOBJ, _) => SyncState::Binary,
                        (_, _) if s.timeline_value == 0 => SyncState::Weird,
                        (_, SyncState::Chain(m)) => SyncState::Chain(m.max(s.timeline_value)),
                        _ => SyncState::Chain(s.timeline_value),
                    };
                }
            }
            // Now and then, let the GPU catch up (bounded).
            if self.stats.jobs % 32 == 0 {
                if let Some(s) = syncs[nin as usize..]
                    .iter()
                    .find(|s| s.sync_type == DRM_ASAHI_SYNC_SYNCOBJ)
                {
                    let _ = self.dev.syncobj_wait(&[s.handle], gpu::deadline(2000), 0);
                }
            }
        }
    }

    // ---- PRIME -----------------------------------------------------------------------------

    fn prime(&mut self) {
        let (handle, idx) = self.pick_bo();
        let mut v = Verdict::Valid.check(idx.is_some(), "stale handle");
        if let Some(i) = idx {
            v = v.check(
                self.bos[i].private.is_none(),
                "export of a VM-private object",
            );
        }
        let mut flags = *self
            .rng
            .pick(&[0, DRM_CLOEXEC, DRM_CLOEXEC | DRM_RDWR])
            .unwrap_or(&0);
        if self.rng.chance(1, 12) {
            flags |= 1 << self.rng.range(0, 31);
            if flags & !(DRM_CLOEXEC | DRM_RDWR) != 0 {
                v = v.and(Verdict::Invalid("unknown PRIME flag"));
            }
        }
        let t = Instant::now();
        let r = self.dev.prime_handle_to_fd(handle, flags);
        if !self.judge("PRIME_HANDLE_TO_FD", A_PRIME, v, t, &r, &(handle, flags)) {
            // Import of a bad fd.
            let fd = *self.rng.pick(&[-1, 0, 1, 9999]).unwrap_or(&-1);
            // SAFETY: The borrowed fd is only passed to the kernel, which validates it.
            let b = unsafe { BorrowedFd::borrow_raw(fd.max(0)) };
            let v = if (0..=2).contains(&fd) {
                Verdict::Invalid("not a dma-buf")
            } else {
                Verdict::Unknown
            };
            let t = Instant::now();
            let r = self.dev.prime_fd_to_handle(b);
            self.judge("PRIME_FD_TO_HANDLE", A_PRIME, v, t, &r, &fd);
            return;
        }
        let Ok(fd) = r else { return };
        match self.rng.below(3) {
            0 => {
                // Into our own file: the same handle comes back.
                let t = Instant::now();
                let r = self.dev.prime_fd_to_handle(fd.as_fd());
                let ok = self.judge(
                    "PRIME_FD_TO_HANDLE",
                    A_PRIME,
                    Verdict::Valid,
                    t,
                    &r,
                    &handle,
                );
                if ok && r.as_ref().ok() != Some(&handle) {
                    self.finding(format_args!(
                        "self-import of handle {handle} returned {r:?}"
                    ));
                }
            }
            _ => {
                // Into the shared file, then back from there into ours as a foreign object.
                let t = Instant::now();
                let r = self.shared.prime_fd_to_handle(fd.as_fd());
                self.judge(
                    "PRIME_FD_TO_HANDLE (shared)",
                    A_PRIME,
                    Verdict::Unknown,
                    t,
                    &r,
                    &handle,
                );
                if let Ok(h2) = r {
                    if let Ok(fd2) = self.shared.prime_handle_to_fd(h2, DRM_CLOEXEC) {
                        let t = Instant::now();
                        let r = self.dev.prime_fd_to_handle(fd2.as_fd());
                        self.judge("PRIME_FD_TO_HANDLE", A_PRIME, Verdict::Valid, t, &r, &h2);
                        if r.as_ref().ok() != Some(&handle) {
                            self.finding(format_args!(
                                "re-import of handle {handle} via another file returned {r:?}"
                            ));
                        }
                    }
                    if self.rng.chance(1, 2) {
                        let _ = self.shared.gem_close(h2);
                    }
                }
            }
        }
    }

    // ---- Syncobjs --------------------------------------------------------------------------

    fn syncobj_create(&mut self) {
        let (flags, v) = match self.rng.below(10) {
            0 => (
                self.rng.edge_u32() | 2,
                Verdict::Invalid("unknown syncobj flag"),
            ),
            1..=3 => (DRM_SYNCOBJ_CREATE_SIGNALED, Verdict::Valid),
            _ => (0, Verdict::Valid),
        };
        let t = Instant::now();
        let r = self.dev.syncobj_create(flags);
        if self.judge("SYNCOBJ_CREATE", A_SYNCOBJ, v, t, &r, &flags) {
            if let Ok(h) = r {
                if self.syncs.iter().any(|s| s.0 == h) {
                    self.finding(format_args!("SYNCOBJ_CREATE returned live handle {h}"));
                }
                let st = if flags != 0 {
                    SyncState::Binary
                } else {
                    SyncState::Empty
                };
                self.syncs.push((h, st));
            }
        }
    }

    fn syncobj_destroy(&mut self) {
        let (h, idx) = self.pick_sync();
        let v = Verdict::Valid.check(idx.is_some(), "stale syncobj");
        let t = Instant::now();
        let r = self.dev.syncobj_destroy(h);
        if self.judge("SYNCOBJ_DESTROY", A_SYNCOBJ, v, t, &r, &h) {
            if let Some(i) = idx {
                self.syncs.remove(i);
            }
            Self::remember(&mut self.dead_syncs, h);
        }
    }

    fn sync_list(&mut self) -> (Vec<u32>, Verdict) {
        let n = match self.rng.below(16) {
            0 => 0,
            1 => 16,
            _ => self.rng.range(1, 3),
        };
        let mut v = Verdict::Valid;
        let hs = (0..n)
            .map(|_| {
                let (h, i) = self.pick_sync();
                v = v.check(i.is_some(), "stale syncobj");
                h
            })
            .collect();
        (hs, v)
    }

    fn syncobj_wait(&mut self) {
        let (hs, mut v) = self.sync_list();
        v = v.and(Verdict::Unknown);
        let flags = (self.rng.below(8) as u32)
            & (DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL
                | DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT
                | DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE);
        // Absolute deadlines only, never far off: every wait returns promptly.
        let budget_ms = *self.rng.pick(&[0i64, -1000, 1, 20, 200]).unwrap_or(&0);
        let timeout = if budget_ms == 0 && self.rng.chance(1, 2) {
            0
        } else {
            gpu::deadline(budget_ms)
        };
        let timeline = self.rng.chance(1, 2);
        let t = Instant::now();
        let r = if timeline {
            let points: Vec<u64> = hs.iter().map(|_| self.rng.below(1000)).collect();
            self.dev.syncobj_timeline_wait(&hs, &points, timeout, flags)
        } else {
            self.dev
                .syncobj_wait(&hs, timeout, flags & !DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE)
        };
        let took = t.elapsed();
        if took > Duration::from_millis(budget_ms.max(0) as u64 + 3000) {
            self.finding(format_args!(
                "syncobj wait for {budget_ms} ms took {took:?} ({hs:?}, flags {flags})"
            ));
        }
        self.judge("SYNCOBJ_WAIT", A_SYNCOBJ, v, t, &r, &(hs, flags, timeline));
    }

    fn syncobj_signal_reset(&mut self) {
        let (hs, v) = self.sync_list();
        let kind = self.rng.below(3);
        let t = Instant::now();
        let points: Vec<u64> = hs.iter().map(|_| self.rng.below(100)).collect();
        let r = match kind {
            0 => self.dev.syncobj_signal(&hs),
            1 => self.dev.syncobj_reset(&hs),
            _ => self.dev.syncobj_timeline_signal(&hs, &points),
        };
        // An empty list is refused by the core for some of these: not modelled.
        let v = if hs.is_empty() { Verdict::Unknown } else { v };
        if self.judge(
            "SYNCOBJ_SIGNAL/RESET",
            A_SYNCOBJ,
            v,
            t,
            &r,
            &(kind, &hs, &points),
        ) {
            for (i, h) in hs.iter().enumerate() {
                if let Some(e) = self.syncs.iter_mut().find(|e| e.0 == *h) {
                    e.1 = match (kind, e.1) {
                        (_, SyncState::Weird) => SyncState::Weird,
                        (0, _) => SyncState::Binary,
                        (1, _) => SyncState::Empty,
                        _ if points[i] == 0 => SyncState::Binary,
                        (_, SyncState::Chain(m)) => SyncState::Chain(m.max(points[i])),
                        _ => SyncState::Chain(points[i]),
                    };
                }
            }
        }
    }

    fn syncobj_query_transfer(&mut self) {
        if self.rng.chance(1, 2) {
            let (hs, v) = self.sync_list();
            let flags = (self.rng.below(2) as u32) | if self.rng.chance(1, 12) { 2 } else { 0 };
            let v = if hs.is_empty() { Verdict::Unknown } else { v };
            let t = Instant::now();
            let r = self.dev.syncobj_query(&hs, flags);
            self.judge(
                "SYNCOBJ_QUERY",
                A_SYNCOBJ,
                v.and(Verdict::Unknown),
                t,
                &r,
                &(hs, flags),
            );
            return;
        }
        let (src, si) = self.pick_sync();
        let (dst, di) = self.pick_sync();
        let mut args = SyncobjTransfer {
            src_handle: src,
            dst_handle: dst,
            src_point: self.rng.below(4),
            dst_point: self.rng.below(4),
            flags: (self.rng.below(4) as u32) & DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
            pad: 0,
        };
        let v = Verdict::Unknown
            .check(si.is_some() && di.is_some(), "stale syncobj")
            .and(Verdict::Unknown);
        let t = Instant::now();
        // SAFETY: `SyncobjTransfer` is the 32-byte `drm_syncobj_transfer`, without pointers.
        let r = unsafe { self.dev.ioctl(SYNCOBJ_TRANSFER, &raw mut args) };
        self.judge("SYNCOBJ_TRANSFER", A_SYNCOBJ, v, t, &r, &args);
        if let Some(i) = di {
            self.syncs[i].1 = SyncState::Weird;
        }
    }

    fn syncobj_fd(&mut self) {
        let (h, idx) = self.pick_sync();
        let sync_file = self.rng.chance(1, 2);
        let flags = if sync_file {
            DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE
        } else {
            0
        };
        let v = Verdict::Valid
            .check(idx.is_some(), "stale syncobj")
            .and(if sync_file {
                Verdict::Unknown
            } else {
                Verdict::Valid
            });
        let t = Instant::now();
        let r = self.dev.syncobj_handle_to_fd(h, flags);
        if !self.judge("SYNCOBJ_HANDLE_TO_FD", A_SYNCOBJ, v, t, &r, &(h, flags)) {
            return;
        }
        let Ok(fd) = r else { return };
        let (target, iflags) = if sync_file {
            (h, DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE)
        } else {
            (0, 0)
        };
        let t = Instant::now();
        let r = self.dev.syncobj_fd_to_handle(fd.as_fd(), target, iflags);
        if self.judge(
            "SYNCOBJ_FD_TO_HANDLE",
            A_SYNCOBJ,
            Verdict::Valid,
            t,
            &r,
            &(h, iflags),
        ) {
            // Aliases are not modelled.
            for e in self.syncs.iter_mut().filter(|e| e.0 == h) {
                e.1 = SyncState::Weird;
            }
            if let Ok(h2) = r {
                if !sync_file && !self.syncs.iter().any(|e| e.0 == h2) {
                    self.syncs.push((h2, SyncState::Weird));
                }
            }
        }
    }

    // ---- CPU access ------------------------------------------------------------------------

    fn cpu_touch(&mut self) {
        let Some(i) = self.rng.index(self.bos.len()) else {
            return;
        };
        let at = self.rng.below(self.bos[i].size - 8) as usize;
        let v = self.rng.next_u64().to_le_bytes();
        if let Some(m) = &self.bos[i].map {
            m.write(at, &v);
            let mut b = [0u8; 8];
            m.read(at, &mut b);
        } else if self.rng.chance(1, 4) {
            self.bos[i].map = None;
        }
        if self.rng.chance(1, 8) {
            // Drop a CPU mapping (munmap) while the GPU may still use the object.
            self.bos[i].map = None;
        }
    }

    // ---- Chaos on the shared file ----------------------------------------------------------

    fn chaos(&mut self) {
        let d = self.shared;
        let id = self.rng.range(0, 8) as u32;
        let t = Instant::now();
        let u = Verdict::Unknown;
        match self.rng.below(12) {
            0 => {
                let mut a = drm_asahi_vm_create {
                    kernel_start: self.params.vm_end - (32 << 30),
                    kernel_end: self.params.vm_end,
                    ..Default::default()
                };
                let r = d.vm_create(&mut a);
                self.judge("chaos VM_CREATE", A_CHAOS_VM_CREATE, u, t, &r, &a);
            }
            1 => {
                let a = drm_asahi_vm_destroy { vm_id: id, pad: 0 };
                let r = d.vm_destroy(&a);
                self.judge("chaos VM_DESTROY", A_DESTROY, u, t, &r, &a);
            }
            2 => {
                let mut a = drm_asahi_gem_create {
                    size: self.rng.range(1, 64 << 10),
                    ..Default::default()
                };
                let r = d.gem_create(&mut a);
                self.judge("chaos GEM_CREATE", A_GEM_CREATE, u, t, &r, &a);
            }
            3 => {
                let r = d.gem_close(id);
                self.judge("chaos GEM_CLOSE", A_GEM_CLOSE, u, t, &r, &id);
            }
            4 => {
                let o = drm_asahi_gem_bind_op {
                    flags: if self.rng.chance(1, 3) {
                        DRM_ASAHI_BIND_UNBIND
                    } else {
                        DRM_ASAHI_BIND_READ | DRM_ASAHI_BIND_WRITE
                    },
                    handle: self.rng.range(1, 8) as u32,
                    offset: 0,
                    range: PAGE * self.rng.range(1, 4),
                    addr: *self.rng.pick(&[CMD_VA, DATA_VA]).unwrap_or(&CMD_VA),
                };
                let o = if o.flags == DRM_ASAHI_BIND_UNBIND {
                    drm_asahi_gem_bind_op { handle: 0, ..o }
                } else {
                    o
                };
                let r = d.vm_bind(id, &[o]);
                self.judge("chaos VM_BIND", A_VM_BIND, u, t, &r, &o);
            }
            5 => {
                let mut a = drm_asahi_queue_create {
                    vm_id: id,
                    priority: DRM_ASAHI_PRIORITY_MEDIUM,
                    usc_exec_base: 1 << 32,
                    ..Default::default()
                };
                let r = d.queue_create(&mut a);
                self.judge("chaos QUEUE_CREATE", A_CHAOS_QUEUE_CREATE, u, t, &r, &a);
            }
            6 => {
                let a = drm_asahi_queue_destroy {
                    queue_id: id,
                    pad: 0,
                };
                let r = d.queue_destroy(&a);
                self.judge("chaos QUEUE_DESTROY", A_DESTROY, u, t, &r, &a);
            }
            7..=8 => {
                let s = self.gen_stream();
                let cmd = gpu::compute_cmd(s);
                let syncs = [gpu::sync(self.rng.range(1, 8) as u32)];
                let (ins, outs): (&[drm_asahi_sync], &[drm_asahi_sync]) = match self.rng.below(3) {
                    0 => (&syncs, &[]),
                    1 => (&[], &syncs),
                    _ => (&[], &[]),
                };
                let r = d.submit(id, ins, outs, &cmd);
                self.judge("chaos SUBMIT", A_SUBMIT, u, t, &r, &(id, ins, outs));
            }
            9 => {
                let r = d.syncobj_create(self.rng.below(2) as u32);
                self.judge("chaos SYNCOBJ_CREATE", A_SYNCOBJ, u, t, &r, &id);
            }
            10 => {
                let r = d.syncobj_destroy(id);
                self.judge("chaos SYNCOBJ_DESTROY", A_SYNCOBJ, u, t, &r, &id);
            }
            _ => {
                let r = d.syncobj_wait(
                    &[id],
                    gpu::deadline(10),
                    DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
                );
                self.judge("chaos SYNCOBJ_WAIT", A_SYNCOBJ, u, t, &r, &id);
            }
        }
    }
}

/// A raw fd as an owned one (for tests that hand fds around).
///
/// # Safety
///
/// `fd` must be open and owned by nobody else.
pub unsafe fn own_fd(fd: i32) -> OwnedFd {
    // SAFETY: Guaranteed by the caller.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// The raw fd of a device (for tests that close it behind the `Device`'s back).
pub fn raw_fd(dev: &Device) -> i32 {
    dev.as_raw_fd()
}
