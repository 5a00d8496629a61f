// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Work queues: the firmware side of a user queue. Each has a firmware context, a command ring
//! and its jobs, pending (waiting for their inputs) then in flight (handed to the firmware).
//!
//! # Event slots
//!
//! The firmware reports a queue's completions through one of 128 event slots (a stamp each). A
//! queue holds a slot only while it has jobs pending or in flight, as downstream does: it takes
//! one when a job is queued on an idle queue (waiting, interruptibly, while all 128 are busy
//! with other queues' work, which completes or times out), and gives it back when its last job
//! leaves. So idle queues, however many a client makes, hold nothing another client needs. A
//! slot's stamps go on from where its last holder left them, so a new holder's first stamp is
//! never one the firmware already wrote.
//!
//! # Order
//!
//! A queue's jobs run, complete and signal in the order they are queued: stamps and fence
//! seqnos are both assigned in [`WorkQueue::enqueue`] under the queue lock (a fence numbered at
//! allocation could be overtaken by a later one from another thread, which `dma_fence` forbids).
//!
//! # Lock order
//!
//! `Gpu::owners` → `WorkQueue::inner` → `Gpu::pipes` → the transport's locks. Completion, failure
//! and slot changes run under `owners` (the interrupt handler, `fail_all`, `enqueue`); `kick`
//! (fence callbacks, any context) takes only `inner`, then `pipes`. Fences are signalled with
//! `inner` dropped: a signal runs other waiters' callbacks, which may kick this queue.

use super::compute::Placement;
use super::job::Command;
use super::job::{Job, JobRef};
use super::{Gpu, Owners};
use crate::backend::endpoint;
use crate::fdinfo::Usage;
use crate::fw::channels::{pipe_doorbell, ChannelId};
use crate::fw::event::EventValue;
use crate::fw::job::{GpuContextData, NotifierList, RingState};
use crate::fw::types::{GpuPtr, U32};
use crate::fw::variants::g13_v13_5 as fwv;
use crate::fwalloc::{FwAlloc, FwObject, HeapKind};
use crate::kernel_ext::dma_fence::{Fence, FenceContext, SignallingSection};
use crate::kernel_ext::explicit_drop::ExplicitDrop;
use crate::kernel_ext::print::dev_err;
use crate::kernel_ext::spinlock_irq::{lock_class, SpinLockIrq};
use crate::ring::Ring;
use core::mem::offset_of;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::Arc;

/// Most jobs a work queue may have pending or in flight: one less than the stamp space, so
/// wrapping comparisons stay unambiguous (downstream's limit).
pub(crate) const MAX_JOBS_PER_QUEUE: usize = crate::fw::event::MAX_IN_FLIGHT as usize;

/// Entries of a work queue's command ring (64-bit command pointers, one 16 KiB allocation).
const QUEUE_RING_ENTRIES: u32 = 0x800;

/// Identity of the next work queue (the firmware's event generation of its commands).
static NEXT_QUEUE_ID: AtomicU32 = AtomicU32::new(1);

/// The firmware-side queue of one user queue.
#[pin_data(PinnedDrop)]
pub(crate) struct WorkQueue {
    pub(super) gpu: Arc<Gpu>,
    /// The queue's firmware context (what its commands name and `DestroyContext` destroys).
    pub(super) context: FwObject<GpuContextData>,
    /// The queue's descriptor, which `RunWorkQueue` messages name, and the ring state and
    /// command ring it points to (owned here, so they outlive the pointers).
    queue_info: FwObject<fwv::QueueInfo>,
    ring_state: FwObject<RingState>,
    ring: FwAlloc,
    /// The queue's notifier (what its commands' `notifier` and their Start ops' `notifier_buf`
    /// name), the threshold it points to and the notifier list `QueueInfo` names.
    notifier: QueueNotifier,
    /// Firmware priority (0 highest) of the queue's pipes.
    priority: u32,
    fences: FenceContext,
    /// fdinfo busy time of the owning file (see [`crate::fdinfo`]).
    usage: Arc<Usage>,
    /// The queue's identity (its commands' event generation).
    id: u32,
    /// Commands made for this queue (the firmware's per-queue command counter).
    counter: AtomicU64,
    /// Commands queued (the event sequence of the next one; under `inner` in effect, as it
    /// only moves at enqueue).
    event_seq: AtomicU64,
    #[pin]
    inner: SpinLockIrq<WqInner>,
}

struct WqInner {
    /// The event slot held while jobs are pending or in flight.
    slot: Option<u32>,
    /// Stamp of the last job queued on `slot`.
    last_stamp: EventValue,
    pending: Ring<JobRef>,
    inflight: Ring<JobRef>,
    /// Commands of the pending and in-flight jobs (bounded by the command ring).
    commands: usize,
    /// The driver's write index in the command ring.
    wptr: u32,
    /// Whether the firmware has not been told about this queue yet.
    new: bool,
    /// Set when the queue is cancelled: nothing more is handed to the firmware.
    cancelled: bool,
    /// Set when the head job's message found its pipe ring full: the GPU's worker retries.
    stalled: bool,
    /// When the last job completed (monotonic ns; fdinfo busy time).
    last_done_ns: u64,
}

impl WqInner {
    fn is_idle(&self) -> bool {
        self.pending.len() == 0 && self.inflight.len() == 0
    }
}

/// A queue's notifier, as downstream's `Queue::new` builds it (reference
/// `firmware-commands.md` §2.7; downstream `queue/mod.rs`, `fw/event.rs`): a shared
/// `NotifierList` whose list head points at itself, a shared 64-bit threshold, and the private
/// `Notifier` (threshold pointer, generation = the queue's id, `unk_10` = 0x50, the 13.x
/// `state.unk_buf` all ones), shared by every command of the queue.
struct QueueNotifier {
    notifier: FwObject<fwv::Notifier>,
    threshold: FwAlloc,
    /// Commands queued so far: the threshold's value (moves only under the queue's lock).
    queued: AtomicU64,
    list: FwObject<NotifierList>,
}

/// `Notifier.unk_10` (downstream `Queue::new`: 0x50).
const NOTIFIER_UNK_10: u32 = 0x50;

impl QueueNotifier {
    fn new(gpu: &Gpu, id: u32) -> Result<Self> {
        let list = FwObject::new(&gpu.fw, HeapKind::Shared, &NotifierList::default())?;
        let head = list.alloc().va();
        // An empty list: both links point at the head itself.
        list.alloc()
            .store_u64(offset_of!(NotifierList, list_head), head);
        list.alloc()
            .store_u64(offset_of!(NotifierList, list_head) + 8, head);
        let threshold = gpu.fw.alloc(HeapKind::Shared, 8)?;
        let mut n: fwv::Notifier = crate::fwmem::zeroed();
        n.threshold = GpuPtr::new(threshold.va());
        n.generation = U32(id);
        n.unk_10 = U32(NOTIFIER_UNK_10);
        for b in n.state.unk_buf.0.iter_mut() {
            *b = 0xff;
        }
        let notifier = FwObject::new(&gpu.fw, HeapKind::Private, &n)?;
        Ok(Self {
            notifier,
            threshold,
            queued: AtomicU64::new(0),
            list,
        })
    }

    /// Raises the threshold by a job's `commands`, before the ring publishes them (downstream
    /// `Queue::run`: two per render, one per compute). Any context; allocates nothing.
    fn raise(&self, commands: u64) {
        let total = self.queued.fetch_add(commands, Ordering::Relaxed) + commands;
        self.threshold.store_u64(0, total);
    }

    fn va(&self) -> u64 {
        self.notifier.alloc().va()
    }

    /// Where the Start ops' `notifier_buf` points: the notifier state's `unk_buf`.
    fn unk_buf_va(&self) -> u64 {
        let state = offset_of!(fwv::Notifier, state) + offset_of!(fwv::NotifierState, unk_buf);
        // CAST: a small offset.
        self.va() + state as u64
    }
}

impl WorkQueue {
    /// Creates a work queue (it holds no event slot until it has work).
    /// Its jobs' busy time is counted in `usage`.
    pub(crate) fn new(gpu: &Arc<Gpu>, priority: u32, usage: Arc<Usage>) -> Result<Arc<Self>> {
        gpu.check_alive()?;
        let pending = Ring::new(MAX_JOBS_PER_QUEUE)?;
        let inflight = Ring::new(MAX_JOBS_PER_QUEUE)?;
        let context = FwObject::new(&gpu.fw, HeapKind::Private, &GpuContextData::default())?;
        let ring = gpu
            .fw
            .alloc(HeapKind::Shared, QUEUE_RING_ENTRIES as usize * 8)?;
        let mut rs: RingState = crate::fwmem::zeroed();
        rs.rb_size = QUEUE_RING_ENTRIES;
        let ring_state = FwObject::new(&gpu.fw, HeapKind::Shared, &rs)?;
        let id = NEXT_QUEUE_ID.fetch_add(1, Ordering::Relaxed);
        let notifier = QueueNotifier::new(gpu, id)?;
        let mut qi: fwv::QueueInfo = crate::fwmem::zeroed();
        qi.notifier_list = GpuPtr::new(notifier.list.alloc().va());
        qi.state = ring_state.gpu_pointer().into();
        qi.ring = GpuPtr::new(ring.va());
        qi.gpu_context = context.gpu_pointer().into();
        // Set whenever the queue takes an event slot.
        qi.event_id = -1;
        qi.priority = *crate::fw::job::Priority::TABLE
            .get(priority as usize)
            .ok_or(EINVAL)?;
        let queue_info = FwObject::new(&gpu.fw, HeapKind::Shared, &qi)?;
        Arc::pin_init(
            pin_init!(WorkQueue {
                gpu: gpu.clone(),
                context,
                queue_info,
                ring_state,
                ring,
                notifier,
                priority,
                fences: FenceContext::new(&super::FENCE_OPS),
                usage,
                id,
                counter: AtomicU64::new(0),
                event_seq: AtomicU64::new(0),
                inner <- SpinLockIrq::new(
                    WqInner {
                        slot: None,
                        last_stamp: EventValue(0),
                        pending,
                        inflight,
                        commands: 0,
                        wptr: 0,
                        new: true,
                        cancelled: false,
                        stalled: false,
                        last_done_ns: 0,
                    },
                    c_str!("asahi::WorkQueue::inner"),
                    lock_class!(),
                ),
            }),
            GFP_KERNEL,
        )
    }

    /// Clusters of the GPU the queue runs on (how a render's vertex work may be split).
    pub(crate) fn num_clusters(&self) -> u32 {
        self.gpu.hw().num_clusters
    }

    /// The next value of the queue's command counter (one per command made).
    pub(super) fn next_counter(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    /// Allocates the fence of a new job (at submit time, before anything is published).
    pub(crate) fn new_fence(&self) -> Result<Fence> {
        self.fences.new_fence()
    }

    /// Queues `job` behind earlier ones: takes an event slot if the queue is idle (waiting,
    /// interruptibly, while every slot is busy) and waits (interruptibly) while the queue is
    /// full. Returns with the job pending, its stamp and fence seqno assigned; its fence may be
    /// published from here. Process context.
    pub(crate) fn enqueue(&self, job: &JobRef) -> Result {
        let n = job.commands.len();
        if n >= QUEUE_RING_ENTRIES as usize {
            return Err(EINVAL);
        }
        loop {
            let mut owners = self.gpu.owners.lock();
            // Checked under `owners`: a shutdown marks the GPU dead before it fails the queues
            // holding slots (under `owners`), so a job queued here is either failed by it or
            // refused.
            self.gpu.check_alive()?;
            let mut inner = self.inner.lock();
            let room = inner.pending.len() + inner.inflight.len() < MAX_JOBS_PER_QUEUE
                && inner.commands + n < QUEUE_RING_ENTRIES as usize;
            if room {
                let slot = match inner.slot {
                    Some(slot) => slot,
                    None => match owners.take(self) {
                        Some(slot) => {
                            inner.slot = Some(slot);
                            inner.last_stamp = self.gpu.slot_stamp(slot);
                            self.queue_info
                                .alloc()
                                .store_u32(core::mem::offset_of!(fwv::QueueInfo, event_id), slot);
                            slot
                        }
                        None => {
                            drop(inner);
                            drop(owners);
                            self.gpu.wait_for_event_slot()?;
                            continue;
                        }
                    },
                };
                inner.commands += n;
                let stamp = inner.last_stamp.next();
                inner.last_stamp = stamp;
                job.stamp.store(stamp.0, Ordering::Relaxed);
                // Where and what the firmware writes on completion (`JobMeta`): the slot's stamp
                // in the shared and the firmware-private stamp arrays.
                let layout = self.gpu.boot.layout();
                let at = |base: u64| base + u64::from(slot) * 4;
                for c in job.commands.iter() {
                    let p = Placement {
                        work_queue: self.queue_info.alloc().va(),
                        stats: layout.stats,
                        notifier: self.notifier.va(),
                        notifier_buf: self.notifier.unk_buf_va(),
                        slot,
                        stamp: stamp.0,
                        stamp_va: at(layout.stamps),
                        fw_stamp_va: at(layout.fw_stamps),
                        event_generation: self.id,
                        event_seq: self.event_seq.fetch_add(1, Ordering::Relaxed),
                    };
                    match c {
                        Command::Render(c) => c.place(&p)?,
                        Command::Compute(c) => c.place(&p)?,
                    }
                }
                // CAST: fewer than the ring's entries.
                self.notifier.raise(n as u64);
                // SAFETY: The fence is this queue's, made by `Job::new` and not yet published
                // (SUBMIT publishes it after this returns); numbering under `inner` gives
                // seqnos in queue order, which is completion order.
                unsafe { self.fences.number(&job.fence) };
                // Cannot fail: the length was checked under the lock. (Were it to, the extra
                // reference would leak rather than be released under this spinlock.)
                if let Err(extra) = inner.pending.push(ExplicitDrop::new((**job).clone())) {
                    core::mem::forget(extra);
                    return Err(EBUSY);
                }
                return Ok(());
            }
            // Backpressure: wait for the oldest job, outside the locks.
            let oldest = inner
                .inflight
                .front()
                .or(inner.pending.front())
                .map(|j| j.fence.clone());
            drop(inner);
            drop(owners);
            if let Some(f) = oldest {
                f.wait_interruptible()?;
            }
        }
    }

    /// Hands every ready job at the head of the pending list to the firmware. Any context
    /// (often a fence callback, under another fence's lock).
    ///
    /// It never signals a fence: a kick runs inside other fences' callbacks, and signalling
    /// there would nest fence locks. A job the firmware cannot take now waits; one it will
    /// never take (the firmware died) is failed by the shutdown or crash path.
    pub(crate) fn kick(&self) {
        let _s = SignallingSection::begin();
        loop {
            let mut inner = self.inner.lock();
            let ready = !inner.cancelled && inner.pending.front().is_some_and(|j| j.is_ready());
            if !ready {
                return;
            }
            let Some(job) = inner.pending.pop() else {
                return;
            };
            match self.run(&mut inner, &job) {
                Ok(()) => {
                    inner.stalled = false;
                    // Pending and in flight together stay within the capacity, so the push
                    // succeeds; were it not to, the job would leak rather than be released
                    // under a spinlock.
                    if let Err(job) = inner.inflight.push(job) {
                        core::mem::forget(job);
                    }
                }
                Err(e) => {
                    // The pipe's ring is full (`EBUSY`: the firmware has not caught up): the job
                    // stays first in line and the GPU's worker kicks the queue again shortly.
                    // Nothing is lost and nothing fails. (No other error is possible; were one
                    // to happen, the job would wait the same way, and a GPU shutdown fails it.)
                    if let Err(job) = inner.pending.push_front(job) {
                        // Cannot happen: the job was just popped.
                        core::mem::forget(job);
                    }
                    inner.stalled = true;
                    drop(inner);
                    if e != EBUSY {
                        dev_err!(
                            &*self.gpu,
                            "could not hand a job to the firmware: {:?}\n",
                            e
                        );
                    }
                    self.gpu.retry_stalled();
                    return;
                }
            }
        }
    }

    /// Whether the head job waits for room in its pipe's ring.
    pub(super) fn is_stalled(&self) -> bool {
        self.inner.lock().stalled
    }

    /// Hands `job` to the firmware: its commands go on the queue's command ring, then a
    /// `RunWorkQueue` message on the pipe of its first unit tells the firmware to run the queue
    /// up to the new write index, and that pipe's doorbell rings. If the message cannot be
    /// sent (`EBUSY`: the pipe's ring is full) the ring is rolled back, so the firmware never
    /// sees the commands. Any context; allocates nothing and signals nothing.
    fn run(&self, inner: &mut WqInner, job: &Job) -> Result {
        let slot = inner.slot.ok_or(EINVAL)?;
        let old = inner.wptr;
        let mut wptr = old;
        for c in job.commands.iter() {
            // CAST: ring offsets are small.
            self.ring.store_u64(wptr as usize * 8, c.va());
            wptr = (wptr + 1) % QUEUE_RING_ENTRIES;
        }
        let pipe = ChannelId::pipe_index(job.pipe, self.priority);
        let doorbell = pipe_doorbell(job.pipe, self.priority);
        let msg = fwv::RunWorkQueueMsg::new(
            job.pipe,
            self.queue_info.alloc().va(),
            wptr,
            slot,
            inner.new,
        );
        let bytes = crate::fw::plain::bytes_of(&msg);
        self.ring_state
            .alloc()
            .store_u32(RingState::CPU_WPTR_OFFSET, wptr);
        let sent = {
            let mut pipes = self.gpu.pipes.lock();
            pipes
                .get_mut(pipe)
                .ok_or(EINVAL)
                .and_then(|p| p.send(bytes))
        };
        if let Err(e) = sent {
            self.ring_state
                .alloc()
                .store_u32(RingState::CPU_WPTR_OFFSET, old);
            if e == EBUSY {
                // Nudge the firmware to consume what waits; the job is sent again later.
                let _ = self.gpu.transport.send(endpoint::DOORBELL, doorbell);
            }
            return Err(e);
        }
        inner.wptr = wptr;
        inner.new = false;
        // fdinfo: the job's busy time starts no earlier than this.
        job.submitted_ns.store(now_ns(), Ordering::Relaxed);
        // The message is sent: the job is in flight. If the firmware is dead the doorbell fails,
        // and the crash or shutdown path fails every job in flight.
        let _ = self.gpu.transport.send(endpoint::DOORBELL, doorbell);
        Ok(())
    }

    /// Cancels everything not yet complete (the owning process is being killed): the firmware
    /// drops this queue's queued work and finishes what it is running; then every remaining
    /// job fails with `ECANCELED`. Process context.
    pub(crate) fn cancel(&self) {
        // From here on a job whose inputs signal stays pending (and fails below) instead of
        // reaching the firmware after its context is destroyed. Taking the lock also waits for
        // a kick in progress, whose work the firmware has then accepted and will drop.
        self.inner.lock().cancelled = true;
        self.destroy_context();
        {
            let _s = SignallingSection::begin();
            let mut owners = self.gpu.owners.lock();
            // CAST: errno constants are small positive numbers.
            let canceled = Error::from_errno(-(kernel::bindings::ECANCELED as i32));
            self.fail_all(&mut owners, canceled);
        }
        self.gpu.cleanup.queue();
    }

    /// Makes the firmware forget this queue's context (dropping its queued work, finishing
    /// what runs). Without running firmware there is nothing to forget; a firmware that does
    /// not answer is reported (its context memory is then only reused after a cache flush).
    fn destroy_context(&self) {
        match self.gpu.fw.destroy_context(&self.context) {
            Ok(()) => {}
            Err(e) if e == ENODEV => {}
            Err(e) => dev_err!(&*self.gpu, "DestroyContext failed: {:?}\n", e),
        }
    }

    /// Records `err` for every in-flight job whose stamp `upto` reaches (their fences will carry
    /// it): the work a pending-stamp entry names (downstream `mark_pending_events`).
    pub(super) fn mark_failed(&self, upto: EventValue, err: Error) {
        let inner = self.inner.lock();
        for job in inner
            .inflight
            .iter()
            .filter(|j| EventValue(j.stamp.load(Ordering::Relaxed)).is_reached_by(upto))
        {
            job.set_error(err);
        }
        drop(inner);
    }

    /// Completes every in-flight job whose stamp `stamp` has reached, then gives the event slot
    /// back if the queue is idle. Hard-IRQ context, under `owners`.
    pub(super) fn complete(&self, owners: &mut Owners, stamp: EventValue) {
        loop {
            let job = {
                let mut inner = self.inner.lock();
                let reached = inner.inflight.front().is_some_and(|j| {
                    EventValue(j.stamp.load(Ordering::Relaxed)).is_reached_by(stamp)
                });
                if !reached {
                    self.release_slot_if_idle(owners, &mut inner);
                    return;
                }
                let job = inner.inflight.pop();
                if let Some(j) = &job {
                    inner.commands -= j.commands.len();
                    // fdinfo: atomics only (this is the fence-signalling path).
                    let done = now_ns();
                    let submitted = j.submitted_ns.load(Ordering::Relaxed);
                    let units = j.commands.len() as u32;
                    self.usage
                        .account(submitted, inner.last_done_ns, done, j.render_units, units);
                    inner.last_done_ns = done;
                }
                job
            };
            let Some(job) = job else {
                return;
            };
            job.fence.signal(job.error());
            self.gpu.retire(job);
        }
    }

    /// Fails every job not yet complete with `err` (shutdown, kill), then gives the event slot
    /// back. Process context, under `owners`.
    pub(super) fn fail_all(&self, owners: &mut Owners, err: Error) {
        loop {
            let (job, pending) = {
                let mut inner = self.inner.lock();
                let (job, pending) = match inner.inflight.pop() {
                    Some(j) => (j, false),
                    None => match inner.pending.pop() {
                        Some(j) => (j, true),
                        None => {
                            self.release_slot_if_idle(owners, &mut inner);
                            return;
                        }
                    },
                };
                inner.commands -= job.commands.len();
                (job, pending)
            };
            if pending {
                job.cancel_deps();
            }
            job.fence.signal(Some(err));
            self.gpu.retire(job);
        }
    }

    /// Gives the event slot back if no job is pending or in flight.
    fn release_slot_if_idle(&self, owners: &mut Owners, inner: &mut WqInner) {
        if inner.is_idle() {
            if let Some(slot) = inner.slot.take() {
                inner.stalled = false;
                owners.release(slot, self);
            }
        }
    }
}

#[pinned_drop]
impl PinnedDrop for WorkQueue {
    fn drop(self: Pin<&mut Self>) {
        // No job refers to this queue any more (each holds a reference), so nothing is pending
        // or in flight. The firmware must forget the context (acknowledged) before its memory
        // is reused: a new queue must not inherit anything cached for this one.
        self.destroy_context();
        let mut owners = self.gpu.owners.lock();
        let mut inner = self.inner.lock();
        if let Some(slot) = inner.slot.take() {
            owners.release(slot, &self);
        }
    }
}

/// The monotonic clock in nanoseconds (any context).
fn now_ns() -> u64 {
    // CAST: the monotonic clock is non-negative.
    kernel::time::Ktime::ktime_get().to_ns() as u64
}
