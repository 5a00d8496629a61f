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
//! The verdicts and allowed errnos are in `verdict` (documented there); the model of the
//! file's objects is in `model`; each group of ioctls has a generator module of its own.

mod chaos;
mod cmdbuf;
mod gem;
mod model;
mod params;
mod prime;
mod queue;
mod submit;
mod syncobj;
mod verdict;
mod vm;
mod vm_bind;

pub use verdict::Verdict;

use crate::gpu::PAGE;
use crate::rng::Rng;
use asahi_uapi::bindings::*;
use asahi_uapi::{Device, Mapping};
use model::{Bo, SyncState, VmM};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Instant;

/// Size of the per-thread command and data buffers.
const BUF_SIZE: u64 = 256 << 10;

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

    /// A non-zero value for a must-be-zero field, now and then (with the verdict it implies).
    fn maybe_pad(&mut self) -> (u32, Verdict) {
        if self.rng.chance(1, 12) {
            (self.rng.edge_u32().max(1), Verdict::Invalid("non-zero pad"))
        } else {
            (0, Verdict::Valid)
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
