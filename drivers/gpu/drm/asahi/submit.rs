// SPDX-License-Identifier: GPL-2.0 OR MIT

//! `DRM_IOCTL_ASAHI_SUBMIT`: syncs and command buffer parsing, then the hand-off to the queue.
//!
//! Everything userspace passes is copied in once (so a second thread rewriting it cannot change
//! what was validated) and checked before anything is published. The order is:
//!
//! 1. read and validate the sync array (input fences looked up, output syncobjs looked up and
//!    timeline chain nodes allocated);
//! 2. read and validate the command buffer into firmware work units;
//! 3. create the job and its fence (the last allocations), register its input-fence callbacks;
//! 4. enqueue it, waiting if the queue has 127 jobs already or every event slot is busy
//!    (interruptible); its stamp and fence seqno are assigned here, in queue order;
//! 5. publish the fence to the output syncobjs and let the job run once its inputs signal:
//!    from here nothing can fail, and the code runs in a fence-signalling section.

use crate::bindings;
use crate::file::{mbz, read_extensible, DrmFile, MAX_ATTACHMENTS, MAX_COMMANDS_PER_SUBMISSION};
use crate::gpu::{Job, TimestampBuffer};
use crate::gpu::{Work, WorkKind, Works};
use crate::kernel_ext::dma_fence::{Fence, SignallingSection};
use crate::kernel_ext::syncobj::{ChainNode, SyncObj};
use crate::kernel_ext::vec::SmallVec;
use crate::queue::Queue;
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::time::Ktime;
use kernel::uaccess::UserSlice;

/// The phases of a submit, in order, as [`PROFILE_NS`] counts them (each ends where the next
/// begins).
#[derive(Clone, Copy)]
enum Phase {
    /// Copying and looking up the syncs.
    Syncs,
    /// Copying and parsing the command buffer.
    Cmdbuf,
    /// Creating the job (fence, VM slot, firmware commands).
    Job,
    /// Queueing it.
    Enqueue,
    /// Publishing its fence, the doorbell, releasing the submit's references.
    Publish,
}

/// The number of phases.
const PHASES: usize = Phase::Publish as usize + 1;

/// The debugfs names of the phases, indexed by [`Phase`].
pub(crate) const PROFILE_PHASES: [&kernel::str::CStr; PHASES] = [
    kernel::c_str!("submit_ns_syncs"),
    kernel::c_str!("submit_ns_cmdbuf"),
    kernel::c_str!("submit_ns_job"),
    kernel::c_str!("submit_ns_enqueue"),
    kernel::c_str!("submit_ns_publish"),
];

/// Where SUBMIT's time goes: nanoseconds spent in each [`Phase`] summed over every successful
/// submit since the module loaded, and ([`PROFILE_COUNT`]) how many there were. debugfs
/// `submit_ns_*` and `submit_count`; the submit benchmark reports their means.
pub(crate) static PROFILE_NS: [AtomicU64; PHASES] = [const { AtomicU64::new(0) }; PHASES];
/// Successful submits counted in [`PROFILE_NS`].
pub(crate) static PROFILE_COUNT: AtomicU64 = AtomicU64::new(0);

/// Times the phases of one submit; adds them to the profile only if it succeeds.
struct Laps {
    last: Ktime,
    ns: [u64; PHASES],
}

impl Laps {
    fn start() -> Self {
        Self {
            last: Ktime::ktime_get(),
            ns: [0; PHASES],
        }
    }

    /// Ends `phase`.
    fn lap(&mut self, phase: Phase) {
        let now = Ktime::ktime_get();
        if let Some(ns) = self.ns.get_mut(phase as usize) {
            // CAST: the monotonic clock does not go back.
            *ns = (now - self.last).to_ns() as u64;
        }
        self.last = now;
    }

    fn commit(self) {
        for (total, ns) in PROFILE_NS.iter().zip(self.ns) {
            total.fetch_add(ns, Ordering::Relaxed);
        }
        PROFILE_COUNT.fetch_add(1, Ordering::Relaxed);
    }
}

/// Most syncs (in + out) one submit may name.
const MAX_SYNCS: u32 = 1024;
/// Largest command buffer: every command at full size with maximal attachments, with room.
const MAX_CMDBUF_SIZE: u32 = 1 << 20;
/// `DRM_ASAHI_BARRIER_NONE`.
const BARRIER_NONE: u16 = 0xffff;

/// An output sync: where the job's fence goes.
enum OutSync {
    Binary(SyncObj),
    Timeline(SyncObj, ChainNode, u64),
}

/// Bytes copied in from userspace: on the stack up to `N` bytes, else in a `KVVec`. A typical
/// submit (a few syncs, one or two commands) then allocates nothing for its arguments; under a
/// debug kernel each allocation and free is a large part of SUBMIT's cost (BENCHMARKS.md).
enum UserBytes<const N: usize> {
    Inline([u8; N], usize),
    Heap(KVVec<u8>),
}

impl<const N: usize> core::ops::Deref for UserBytes<N> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            // `len <= N` (see `read_user`), so this never falls back to the empty slice.
            Self::Inline(b, len) => b.get(..*len).unwrap_or(&[]),
            Self::Heap(v) => v,
        }
    }
}

/// Sync arrays of up to 16 entries stay on the stack.
const INLINE_SYNCS: usize = 16 * core::mem::size_of::<bindings::drm_asahi_sync>();
/// Command buffers of up to 512 bytes (a compute command, or a render command with a few
/// attachments) stay on the stack.
const INLINE_CMDBUF: usize = 512;

fn read_user<const N: usize>(ptr: u64, len: usize) -> Result<UserBytes<N>> {
    // CAST: a user address is a `usize` on every 64-bit target.
    let mut reader = UserSlice::new(ptr as usize, len).reader();
    if len <= N {
        let mut buf = [0u8; N];
        reader.read_slice(buf.get_mut(..len).ok_or(EINVAL)?)?;
        return Ok(UserBytes::Inline(buf, len));
    }
    let mut buf = KVVec::with_capacity(0, GFP_KERNEL)?;
    buf.extend_with(len, 0u8, GFP_KERNEL)?;
    reader.read_slice(&mut buf)?;
    Ok(UserBytes::Heap(buf))
}

fn parse_syncs(
    args: &bindings::drm_asahi_submit,
    file: &DrmFile,
) -> Result<(KVec<Fence>, SmallVec<OutSync, 2>)> {
    let count = args
        .in_sync_count
        .checked_add(args.out_sync_count)
        .filter(|n| *n <= MAX_SYNCS)
        .ok_or(EINVAL)?;
    let size = core::mem::size_of::<bindings::drm_asahi_sync>();
    let raw = read_user::<INLINE_SYNCS>(args.syncs, count as usize * size)?;
    let mut ins = KVec::with_capacity(args.in_sync_count as usize, GFP_KERNEL)?;
    let mut outs = SmallVec::new();
    for (i, chunk) in raw.chunks(size).enumerate() {
        let s = read_extensible::<bindings::drm_asahi_sync>(chunk)?;
        let input = (i as u32) < args.in_sync_count;
        match (s.sync_type, input) {
            (bindings::DRM_ASAHI_SYNC_SYNCOBJ, true) => {
                mbz(s.timeline_value)?;
                ins.push(SyncObj::fence(file.as_raw(), s.handle, 0)?, GFP_KERNEL)?;
            }
            (bindings::DRM_ASAHI_SYNC_TIMELINE_SYNCOBJ, true) => {
                let f = SyncObj::fence(file.as_raw(), s.handle, s.timeline_value)?;
                ins.push(f, GFP_KERNEL)?;
            }
            (bindings::DRM_ASAHI_SYNC_SYNCOBJ, false) => {
                mbz(s.timeline_value)?;
                let o = SyncObj::lookup(file.as_raw(), s.handle)?;
                outs.push(OutSync::Binary(o))?;
            }
            (bindings::DRM_ASAHI_SYNC_TIMELINE_SYNCOBJ, false) => {
                let o = SyncObj::lookup(file.as_raw(), s.handle)?;
                let chain = ChainNode::new()?;
                outs.push(OutSync::Timeline(o, chain, s.timeline_value))?;
            }
            _ => return Err(EINVAL),
        }
    }
    Ok((ins, outs))
}

/// Checks a barrier: NONE, or at most the number of commands already seen on that subqueue.
fn check_barrier(barrier: u16, seen: u32) -> Result {
    if barrier == BARRIER_NONE || u32::from(barrier) <= seen {
        Ok(())
    } else {
        Err(EINVAL)
    }
}

fn check_attachments(payload: &[u8], hdr: &bindings::drm_asahi_cmd_header) -> Result {
    let size = core::mem::size_of::<bindings::drm_asahi_attachment>();
    if payload.len() % size != 0
        || payload.len() / size > MAX_ATTACHMENTS as usize
        || hdr.vdm_barrier != BARRIER_NONE
        || hdr.cdm_barrier != BARRIER_NONE
    {
        return Err(EINVAL);
    }
    for chunk in payload.chunks(size) {
        let a = read_extensible::<bindings::drm_asahi_attachment>(chunk)?;
        mbz(a.flags)?;
        mbz(a.pad)?;
    }
    Ok(())
}

/// Resolves the timestamp objects a command names into firmware addresses, keeping a
/// reference to each buffer for the job.
struct Timestamps<'a> {
    file: &'a DrmFile,
    held: KVec<Arc<TimestampBuffer>>,
}

impl Timestamps<'_> {
    /// The firmware address for `ts` (0 if its handle is 0).
    fn resolve(&mut self, ts: &bindings::drm_asahi_timestamp) -> Result<u64> {
        if ts.handle == 0 {
            return Ok(0);
        }
        let buf = self
            .file
            .inner()
            .objects
            .lock()
            .get(ts.handle)
            .cloned()
            .ok_or(ENOENT)?;
        let va = buf.va_of(u64::from(ts.offset))?;
        self.held.push(buf, GFP_KERNEL)?;
        Ok(va)
    }
}

/// Parses the command buffer into firmware work.
fn parse_cmdbuf(buf: &[u8], ts: &mut Timestamps<'_>) -> Result<Works> {
    let hsize = core::mem::size_of::<bindings::drm_asahi_cmd_header>();
    let mut works = Works::new();
    let (mut renders, mut computes) = (0u32, 0u32);
    let mut at = 0usize;
    while at < buf.len() {
        let head = buf.get(at..at + hsize).ok_or(EINVAL)?;
        let hdr = read_extensible::<bindings::drm_asahi_cmd_header>(head)?;
        let start = at + hsize;
        let end = start.checked_add(hdr.size.into()).ok_or(EINVAL)?;
        let payload = buf.get(start..end).ok_or(EINVAL)?;
        at = end;
        let work = |kind, stream, (ts_start, ts_end): (u64, u64)| Work {
            kind,
            stream,
            ts_start,
            ts_end,
        };
        match u32::from(hdr.cmd_type) {
            bindings::DRM_ASAHI_CMD_RENDER => {
                check_barrier(hdr.vdm_barrier, renders)?;
                check_barrier(hdr.cdm_barrier, computes)?;
                let r = read_extensible::<bindings::drm_asahi_cmd_render>(payload)?;
                const FLAGS: u32 = bindings::DRM_ASAHI_RENDER_VERTEX_SCRATCH
                    | bindings::DRM_ASAHI_RENDER_PROCESS_EMPTY_TILES
                    | bindings::DRM_ASAHI_RENDER_NO_VERTEX_CLUSTERING
                    | bindings::DRM_ASAHI_RENDER_DBIAS_IS_INT;
                if r.flags & !FLAGS != 0 {
                    return Err(EINVAL);
                }
                let vtx = (ts.resolve(&r.ts_vtx.start)?, ts.resolve(&r.ts_vtx.end)?);
                let frag = (ts.resolve(&r.ts_frag.start)?, ts.resolve(&r.ts_frag.end)?);
                works.push(work(WorkKind::Vertex, r.vdm_ctrl_stream_base, vtx))?;
                works.push(work(WorkKind::Fragment, 0, frag))?;
                renders += 1;
            }
            bindings::DRM_ASAHI_CMD_COMPUTE => {
                check_barrier(hdr.vdm_barrier, renders)?;
                check_barrier(hdr.cdm_barrier, computes)?;
                let c = read_extensible::<bindings::drm_asahi_cmd_compute>(payload)?;
                mbz(c.flags)?;
                let t = (ts.resolve(&c.ts.start)?, ts.resolve(&c.ts.end)?);
                works.push(work(WorkKind::Compute, c.cdm_ctrl_stream_base, t))?;
                computes += 1;
            }
            bindings::DRM_ASAHI_SET_VERTEX_ATTACHMENTS
            | bindings::DRM_ASAHI_SET_FRAGMENT_ATTACHMENTS
            | bindings::DRM_ASAHI_SET_COMPUTE_ATTACHMENTS => check_attachments(payload, &hdr)?,
            _ => return Err(EINVAL),
        }
    }
    let commands = renders + computes;
    if commands == 0 || commands > MAX_COMMANDS_PER_SUBMISSION {
        return Err(EINVAL);
    }
    Ok(works)
}

/// Submits one job to `queue`.
pub(crate) fn submit(queue: &Queue, args: &bindings::drm_asahi_submit, file: &DrmFile) -> Result {
    if args.cmdbuf_size == 0 || args.cmdbuf_size > MAX_CMDBUF_SIZE {
        return Err(EINVAL);
    }
    let mut laps = Laps::start();
    let (ins, outs) = parse_syncs(args, file)?;
    laps.lap(Phase::Syncs);
    let cmdbuf = read_user::<INLINE_CMDBUF>(args.cmdbuf, args.cmdbuf_size as usize)?;
    let mut ts = Timestamps {
        file,
        held: KVec::new(),
    };
    let works = parse_cmdbuf(&cmdbuf, &mut ts)?;
    laps.lap(Phase::Cmdbuf);
    let job = Job::new(queue.wq().clone(), queue.vm(), works, ins, ts.held)?;
    // The input-fence callbacks go in before anyone else can see the job (see `gpu::job`).
    job.arm_deps();
    laps.lap(Phase::Job);
    if let Err(e) = queue.wq().enqueue(&job) {
        job.cancel_deps();
        job.release();
        return Err(e);
    }
    laps.lap(Phase::Enqueue);

    // Point of no return: the job is queued and its fence may be published. (A crash or unbind
    // from here on fails the job; its fence is then published already signalled.)
    let _s = SignallingSection::begin();
    for out in outs {
        match out {
            OutSync::Binary(o) => o.replace_fence(&job.fence),
            OutSync::Timeline(o, chain, point) => o.add_point(chain, &job.fence, point),
        }
    }
    job.deps_ready();
    drop(_s);
    job.release();
    drop(cmdbuf);
    laps.lap(Phase::Publish);
    laps.commit();
    Ok(())
}
