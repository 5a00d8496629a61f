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
use crate::file::{read_extensible, DrmFile, Field, MAX_ATTACHMENTS, MAX_COMMANDS_PER_SUBMISSION};
use crate::fw::microseq::Attachments;
use crate::gpu::{tile_info, ComputeArgs, RenderArgs, Work, WorkKind, Works};
use crate::gpu::{Job, TimestampBuffer};
use crate::kernel_ext::dma_fence::{Fence, SignallingSection};
use crate::kernel_ext::syncobj::{ChainNode, SyncObj};
use crate::kernel_ext::vec::SmallVec;
use crate::queue::Queue;
use crate::refuse::{ensure, Why};
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
    why: &Why<'_>,
    args: &bindings::drm_asahi_submit,
    file: &DrmFile,
) -> Result<(KVec<Fence>, SmallVec<OutSync, 2>)> {
    let (ins_n, outs_n) = (args.in_sync_count, args.out_sync_count);
    let count = ins_n.checked_add(outs_n).filter(|n| *n <= MAX_SYNCS);
    let count = count.ok_or_else(|| {
        why.refused(
            EINVAL,
            "in_sync_count + out_sync_count",
            format_args!("{ins_n} + {outs_n} syncs, more than {MAX_SYNCS}"),
        )
    })?;
    let size = core::mem::size_of::<bindings::drm_asahi_sync>();
    let raw = read_user::<INLINE_SYNCS>(args.syncs, count as usize * size)?;
    let mut ins = KVec::with_capacity(args.in_sync_count as usize, GFP_KERNEL)?;
    let mut outs = SmallVec::new();
    for (i, chunk) in raw.chunks(size).enumerate() {
        let s = read_extensible::<bindings::drm_asahi_sync>(why, Field::Sync(i, "*"), chunk)?;
        let input = (i as u32) < args.in_sync_count;
        let h = s.handle;
        // An input's fence: ENOENT for an unknown handle, EINVAL for no fence (at the point).
        let fence = |point: u64| {
            SyncObj::fence(file.as_raw(), h, point).map_err(|e| {
                if e == ENOENT {
                    why.refused(
                        e,
                        Field::Sync(i, "handle"),
                        format_args!("no such syncobj {h}"),
                    )
                } else if e == EINVAL {
                    why.refused(
                        e,
                        Field::Sync(i, "handle"),
                        format_args!("syncobj {h} has no fence at point {point}"),
                    )
                } else {
                    e
                }
            })
        };
        let lookup = || {
            SyncObj::lookup(file.as_raw(), h).map_err(|e| {
                why.refused(
                    e,
                    Field::Sync(i, "handle"),
                    format_args!("no such syncobj {h}"),
                )
            })
        };
        match (s.sync_type, input) {
            (bindings::DRM_ASAHI_SYNC_SYNCOBJ, true) => {
                why.mbz(Field::Sync(i, "timeline_value (binary)"), s.timeline_value)?;
                ins.push(fence(0)?, GFP_KERNEL)?;
            }
            (bindings::DRM_ASAHI_SYNC_TIMELINE_SYNCOBJ, true) => {
                ins.push(fence(s.timeline_value)?, GFP_KERNEL)?;
            }
            (bindings::DRM_ASAHI_SYNC_SYNCOBJ, false) => {
                why.mbz(Field::Sync(i, "timeline_value (binary)"), s.timeline_value)?;
                outs.push(OutSync::Binary(lookup()?))?;
            }
            (bindings::DRM_ASAHI_SYNC_TIMELINE_SYNCOBJ, false) => {
                let o = lookup()?;
                let chain = ChainNode::new()?;
                outs.push(OutSync::Timeline(o, chain, s.timeline_value))?;
            }
            (t, _) => {
                return Err(why.refused(
                    EINVAL,
                    Field::Sync(i, "sync_type"),
                    format_args!("unknown sync type {t}"),
                ));
            }
        }
    }
    Ok((ins, outs))
}

/// Checks a barrier: NONE, or at most the number of commands already seen on that subqueue.
fn check_barrier(why: &Why<'_>, field: Field, barrier: u16, seen: u32) -> Result {
    ensure!(
        why,
        barrier == BARRIER_NONE || u32::from(barrier) <= seen,
        EINVAL,
        field,
        "barrier {barrier} beyond the {seen} earlier commands"
    );
    Ok(())
}

/// Checks a command's two barriers: `vdm_barrier` against the `renders` and `cdm_barrier`
/// against the `computes` before it.
fn check_barriers(
    why: &Why<'_>,
    at: usize,
    hdr: &bindings::drm_asahi_cmd_header,
    renders: u32,
    computes: u32,
) -> Result {
    check_barrier(why, Field::Cmd(at, "vdm_barrier"), hdr.vdm_barrier, renders)?;
    check_barrier(
        why,
        Field::Cmd(at, "cdm_barrier"),
        hdr.cdm_barrier,
        computes,
    )
}

fn check_attachments(
    why: &Why<'_>,
    at: usize,
    payload: &[u8],
    hdr: &bindings::drm_asahi_cmd_header,
) -> Result<Attachments> {
    let size = core::mem::size_of::<bindings::drm_asahi_attachment>();
    let len = payload.len();
    let field = Field::Cmd(at, "size");
    ensure!(
        why,
        len % size == 0,
        EINVAL,
        field,
        "attachments of {len} bytes, not a multiple of {size}"
    );
    let field = Field::Cmd(at, "size");
    let max = MAX_ATTACHMENTS as usize;
    ensure!(
        why,
        len / size <= max,
        EINVAL,
        field,
        "{} attachments, more than {max}",
        len / size
    );
    let (v, c) = (hdr.vdm_barrier, hdr.cdm_barrier);
    let field = Field::Cmd(at, "vdm_barrier/cdm_barrier");
    ensure!(
        why,
        v == BARRIER_NONE && c == BARRIER_NONE,
        EINVAL,
        field,
        "attachments with a barrier ({v:#x}, {c:#x})"
    );
    let mut list = Attachments::default();
    for chunk in payload.chunks(size) {
        let field = Field::Cmd(at, "attachment");
        let a = read_extensible::<bindings::drm_asahi_attachment>(why, field, chunk)?;
        why.mbz(Field::Cmd(at, "attachment.flags"), a.flags)?;
        why.mbz(Field::Cmd(at, "attachment.pad"), a.pad)?;
        let (p, s) = (a.pointer, a.size);
        if list.push(p, s).is_err() {
            let field = Field::Cmd(at, "attachment.size");
            return Err(why.refused(
                EINVAL,
                field,
                format_args!("{s:#x} bytes at {p:#x}: more cache lines than the firmware counts"),
            ));
        }
    }
    Ok(list)
}

/// Resolves the timestamp objects a command names into firmware addresses, keeping a
/// reference to each buffer for the job.
struct Timestamps<'a> {
    file: &'a DrmFile,
    held: KVec<Arc<TimestampBuffer>>,
}

impl Timestamps<'_> {
    /// The firmware address for `ts` (0 if its handle is 0), field `field` of a command.
    fn resolve(
        &mut self,
        why: &Why<'_>,
        field: Field,
        ts: &bindings::drm_asahi_timestamp,
    ) -> Result<u64> {
        let h = ts.handle;
        if h == 0 {
            return Ok(0);
        }
        let buf = self.file.inner().objects.lock().get(h).cloned();
        let buf = buf
            .ok_or_else(|| why.refused(ENOENT, &field, format_args!("no such bound object {h}")))?;
        let off = ts.offset;
        let va = buf.va_of(u64::from(off)).map_err(|e| {
            why.refused(
                e,
                &field,
                format_args!("offset {off:#x} not 8-aligned inside the bound range"),
            )
        })?;
        self.held.push(buf, GFP_KERNEL)?;
        Ok(va)
    }
}

/// Parses the command buffer into firmware work.
fn parse_cmdbuf(
    why: &Why<'_>,
    buf: &[u8],
    ts: &mut Timestamps<'_>,
    num_clusters: u32,
) -> Result<Works> {
    let hsize = core::mem::size_of::<bindings::drm_asahi_cmd_header>();
    let mut works = Works::new();
    let (mut renders, mut computes) = (0u32, 0u32);
    let mut at = 0usize;
    // The last SET_COMPUTE_ATTACHMENTS applies to the compute commands after it.
    let mut compute_attachments = Attachments::default();
    // Likewise for the render commands' halves.
    let (mut vertex_attachments, mut fragment_attachments) =
        (Attachments::default(), Attachments::default());
    while at < buf.len() {
        let len = buf.len();
        let Some(head) = buf.get(at..at + hsize) else {
            return Err(why.refused(
                EINVAL,
                Field::Cmd(at, "header"),
                format_args!("truncated header ({} of {hsize} bytes)", len - at),
            ));
        };
        let hdr =
            read_extensible::<bindings::drm_asahi_cmd_header>(why, Field::Cmd(at, "header"), head)?;
        let start = at + hsize;
        let end = start + usize::from(hdr.size);
        let Some(payload) = buf.get(start..end) else {
            return Err(why.refused(
                EINVAL,
                Field::Cmd(at, "size"),
                format_args!("payload of {} bytes past the {len}-byte buffer", hdr.size),
            ));
        };
        let cmd_at = at;
        at = end;
        let work = |kind, stream, (ts_start, ts_end): (u64, u64)| Work {
            kind,
            stream,
            ts_start,
            ts_end,
            compute: ComputeArgs::default(),
            render: None,
        };
        match u32::from(hdr.cmd_type) {
            bindings::DRM_ASAHI_CMD_RENDER => {
                check_barriers(why, cmd_at, &hdr, renders, computes)?;
                let r = read_extensible::<bindings::drm_asahi_cmd_render>(
                    why,
                    Field::Cmd(cmd_at, "render"),
                    payload,
                )?;
                const FLAGS: u32 = bindings::DRM_ASAHI_RENDER_VERTEX_SCRATCH
                    | bindings::DRM_ASAHI_RENDER_PROCESS_EMPTY_TILES
                    | bindings::DRM_ASAHI_RENDER_NO_VERTEX_CLUSTERING
                    | bindings::DRM_ASAHI_RENDER_DBIAS_IS_INT;
                let unknown = r.flags & !FLAGS;
                let field = Field::Cmd(cmd_at, "render.flags");
                ensure!(
                    why,
                    unknown == 0,
                    EINVAL,
                    field,
                    "unknown render flag {unknown:#x}"
                );
                let f = |name| Field::Cmd(cmd_at, name);
                let vtx = (
                    ts.resolve(why, f("ts_vtx.start"), &r.ts_vtx.start)?,
                    ts.resolve(why, f("ts_vtx.end"), &r.ts_vtx.end)?,
                );
                let frag = (
                    ts.resolve(why, f("ts_frag.start"), &r.ts_frag.start)?,
                    ts.resolve(why, f("ts_frag.end"), &r.ts_frag.end)?,
                );
                let tiles = tile_info(why, cmd_at, &r, num_clusters)?;
                let args = |attachments| {
                    Some(RenderArgs {
                        cmd: r,
                        tiles,
                        attachments,
                    })
                };
                let mut w = work(WorkKind::Vertex, r.vdm_ctrl_stream_base, vtx);
                w.render = args(vertex_attachments);
                works.push(w)?;
                let mut w = work(WorkKind::Fragment, 0, frag);
                w.render = args(fragment_attachments);
                works.push(w)?;
                renders += 1;
            }
            bindings::DRM_ASAHI_CMD_COMPUTE => {
                check_barriers(why, cmd_at, &hdr, renders, computes)?;
                let c = read_extensible::<bindings::drm_asahi_cmd_compute>(
                    why,
                    Field::Cmd(cmd_at, "compute"),
                    payload,
                )?;
                why.mbz(Field::Cmd(cmd_at, "compute.flags"), c.flags)?;
                let f = |name| Field::Cmd(cmd_at, name);
                let t = (
                    ts.resolve(why, f("ts.start"), &c.ts.start)?,
                    ts.resolve(why, f("ts.end"), &c.ts.end)?,
                );
                let mut w = work(WorkKind::Compute, c.cdm_ctrl_stream_base, t);
                w.compute = ComputeArgs {
                    cdm_end: c.cdm_ctrl_stream_end,
                    sampler_heap: c.sampler_heap,
                    sampler_count: c.sampler_count,
                    helper_binary: c.helper.binary,
                    helper_cfg: c.helper.cfg,
                    helper_data: c.helper.data,
                    attachments: compute_attachments,
                };
                works.push(w)?;
                computes += 1;
            }
            bindings::DRM_ASAHI_SET_COMPUTE_ATTACHMENTS => {
                compute_attachments = check_attachments(why, cmd_at, payload, &hdr)?;
            }
            bindings::DRM_ASAHI_SET_VERTEX_ATTACHMENTS => {
                vertex_attachments = check_attachments(why, cmd_at, payload, &hdr)?;
            }
            bindings::DRM_ASAHI_SET_FRAGMENT_ATTACHMENTS => {
                fragment_attachments = check_attachments(why, cmd_at, payload, &hdr)?;
            }
            t => {
                return Err(why.refused(
                    EINVAL,
                    Field::Cmd(cmd_at, "cmd_type"),
                    format_args!("unknown command type {t}"),
                ));
            }
        }
    }
    let commands = renders + computes;
    let max = MAX_COMMANDS_PER_SUBMISSION;
    ensure!(
        why,
        commands != 0 && commands <= max,
        EINVAL,
        "cmdbuf",
        "{commands} hardware commands, not 1 to {max}"
    );
    Ok(works)
}

/// Submits one job to `queue`.
pub(crate) fn submit(
    why: &Why<'_>,
    queue: &Queue,
    args: &bindings::drm_asahi_submit,
    file: &DrmFile,
) -> Result {
    let size = args.cmdbuf_size;
    ensure!(
        why,
        size != 0,
        EINVAL,
        "cmdbuf_size",
        "empty command buffer"
    );
    ensure!(
        why,
        size <= MAX_CMDBUF_SIZE,
        EINVAL,
        "cmdbuf_size",
        "{size} more than {MAX_CMDBUF_SIZE}"
    );
    let mut laps = Laps::start();
    let (ins, outs) = parse_syncs(why, args, file)?;
    laps.lap(Phase::Syncs);
    let cmdbuf = read_user::<INLINE_CMDBUF>(args.cmdbuf, args.cmdbuf_size as usize)?;
    let mut ts = Timestamps {
        file,
        held: KVec::new(),
    };
    let works = parse_cmdbuf(why, &cmdbuf, &mut ts, queue.wq().num_clusters())?;
    laps.lap(Phase::Cmdbuf);
    let usc = queue.usc_exec_base();
    let job = Job::new(queue.wq().clone(), queue.vm(), usc, works, ins, ts.held)?;
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
