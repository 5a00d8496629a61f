// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Jobs: one submission's units of work, its fence, its input-fence dependencies and the
//! references the firmware needs while it runs; and the list of retired jobs waiting to be
//! released in process context.
//!
//! A job's life: [`Job::new`] (SUBMIT, process context) → [`Job::arm_deps`] (its input-fence
//! callbacks registered, one count held back) → [`super::WorkQueue::enqueue`] (pending, stamp
//! and fence seqno assigned in queue order) → the fence published → [`Job::deps_ready`] (the
//! count held back released: once every input has signalled the queue runs it) → in flight →
//! retired (fence signalled, pushed on the [`RetiredList`]) → released by the GPU's worker.
//!
//! Registering the callbacks *before* the job can be seen by anyone else (enqueue) is what
//! makes a concurrent `fail_all` (firmware crash, unbind, kill) safe: whoever retires a pending
//! job finds every callback either registered or never to be, and removes them all
//! ([`Job::cancel_deps`]), which also waits for a callback running on another CPU.
//!
//! # Locks
//!
//! [`RetiredList`] is a leaf irq-safe spinlock (`Gpu::retired`).

use super::compute::ComputeCommand;
use super::render::{RenderArgs, RenderCommand};
use super::{TimestampBuffer, VmSlot, WorkQueue};
use crate::bindings;
use crate::kernel_ext::dma_fence::Fence;
use crate::kernel_ext::explicit_drop::ExplicitDrop;
use crate::kernel_ext::vec::SmallVec;
use crate::vm::{ActiveVm, Vm};
use core::ptr;
use core::sync::atomic::{
    AtomicBool, AtomicI32, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering,
};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::types::Opaque;

/// Which hardware unit a unit of work runs on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum WorkKind {
    /// Vertex and tiling (VDM/TA) part of a render.
    Vertex,
    /// Fragment (ISP/3D) part of a render.
    Fragment,
    /// Compute (CDM).
    Compute,
}

/// One unit of work of a job, as parsed from the submission.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Work {
    /// The unit.
    pub(crate) kind: WorkKind,
    /// GPU address of the work's control stream (0: nothing to run).
    pub(crate) stream: u64,
    /// Firmware (kernel-half) addresses where the work's start and end times go (0: none).
    pub(crate) ts_start: u64,
    /// See `ts_start`.
    pub(crate) ts_end: u64,
    /// The rest of a compute command (zero for render halves).
    pub(crate) compute: ComputeArgs,
    /// The rest of a render command (for both halves; `None` for compute).
    pub(crate) render: Option<RenderArgs>,
}

/// What a compute command carries besides its control stream and timestamps.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ComputeArgs {
    /// End of the first contiguous part of the CDM control stream.
    pub(crate) cdm_end: u64,
    /// The sampler heap and how many samplers it holds.
    pub(crate) sampler_heap: u64,
    /// See `sampler_heap`.
    pub(crate) sampler_count: u32,
    /// The helper program (USC address with flags), its configuration and its data word.
    pub(crate) helper_binary: u32,
    /// See `helper_binary`.
    pub(crate) helper_cfg: u32,
    /// See `helper_binary`.
    pub(crate) helper_data: u64,
    /// The compute attachments in force for the command (the last `SET_COMPUTE_ATTACHMENTS`
    /// before it).
    pub(crate) attachments: crate::fw::microseq::Attachments,
}

/// One firmware command of a job.
pub(crate) enum Command {
    /// A `RunVertex` or `RunFragment` with its microsequence.
    Render(RenderCommand),
    /// A `RunCompute` with its microsequence.
    Compute(ComputeCommand),
}

impl Command {
    /// The command's firmware address (what the queue's ring names).
    pub(super) fn va(&self) -> u64 {
        match self {
            Command::Render(c) => c.va(),
            Command::Compute(c) => c.va(),
        }
    }
}

/// A job's units of work as SUBMIT parsed them: inline for the common one or two (a compute
/// command, or a render command's vertex and fragment halves).
pub(crate) type Works = SmallVec<Work, 2>;

/// A job's firmware commands, one per unit of work, in order (inline like [`Works`]).
pub(super) type Commands = SmallVec<Command, 2>;

/// A dependency of a job: an input fence and its callback.
///
/// # Invariants
///
/// While `registered` is set, `cb` is registered on `fence` and `job` points to the `Job`
/// containing this `Dep`.
#[repr(C)]
pub(crate) struct Dep {
    cb: Opaque<bindings::dma_fence_cb>,
    job: *const Job,
    fence: Fence,
    registered: AtomicBool,
}

/// A reference to a job. The last one may only go in process context (a job's release drops
/// its VM hold, which takes the VM's mutex), so every reference is an [`ExplicitDrop`].
pub(crate) type JobRef = ExplicitDrop<Arc<Job>>;

/// One submission: its work, fence and the references its work needs.
pub(crate) struct Job {
    pub(super) wq: Arc<WorkQueue>,
    /// Timestamp buffers the firmware writes for this job.
    _timestamps: KVec<Arc<TimestampBuffer>>,
    _vm: ActiveVm,
    /// The VM's context slot, held while the job lives.
    _slot: VmSlot,
    /// Signalled when the job completes.
    pub(crate) fence: Fence,
    /// The job's commands, in the firmware-private heap, in order.
    pub(super) commands: Commands,
    /// The pipe its `RunWorkQueue` message goes to: the unit of its first command.
    pub(super) pipe: crate::fw::channels::PipeType,
    deps: KVec<Dep>,
    deps_left: AtomicUsize,
    /// Its completion stamp (set at enqueue).
    pub(super) stamp: AtomicU32,
    /// When it reached the firmware (monotonic ns, set by the kick; fdinfo busy time).
    pub(super) submitted_ns: AtomicU64,
    /// How many of its commands are render (vertex or fragment) work, the rest being compute
    /// (fdinfo splits its busy time by them).
    pub(super) render_units: u32,
    /// The errno the firmware reported for it (0: none): `EIO` for a fault, `ETIMEDOUT` for a
    /// timeout.
    pub(super) error: AtomicI32,
    /// The next job on the [`RetiredList`] (null: none or not on it).
    retired_next: AtomicPtr<Job>,
}

// SAFETY: `Dep::job` points to the `Job` containing it (type invariant of `Dep`); everything
// else is thread-safe.
unsafe impl Send for Job {}
// SAFETY: As above.
unsafe impl Sync for Job {}

impl Job {
    /// Creates a job running `works` in `vm` on `wq` (whose shaders run from `usc_exec_base`),
    /// after `deps` have signalled. Its stamp, event slot and fence seqno are assigned when it
    /// is queued.
    pub(crate) fn new(
        wq: Arc<WorkQueue>,
        vm: &Arc<Vm>,
        usc_exec_base: u64,
        works: Works,
        deps: KVec<Fence>,
        timestamps: KVec<Arc<TimestampBuffer>>,
    ) -> Result<JobRef> {
        let fence = wq.new_fence()?;
        let slot = wq.gpu.bind_vm(vm)?;
        let mut commands = Commands::new();
        for (i, w) in works.iter().enumerate() {
            let last = i + 1 == works.len();
            let counter = wq.next_counter();
            let (fw, vm_slot) = (wq.gpu.fw(), slot.slot());
            let c = if w.kind == WorkKind::Compute {
                Command::Compute(ComputeCommand::new(
                    fw,
                    w,
                    vm_slot,
                    usc_exec_base,
                    counter,
                    last,
                )?)
            } else {
                let hw = wq.gpu.hw();
                Command::Render(RenderCommand::new(
                    fw,
                    hw,
                    w,
                    vm_slot,
                    usc_exec_base,
                    counter,
                    last,
                )?)
            };
            commands.push(c)?;
        }
        let pipe = match works.first().map(|w| w.kind) {
            Some(WorkKind::Vertex) => crate::fw::channels::PipeType::Vertex,
            Some(WorkKind::Fragment) => crate::fw::channels::PipeType::Fragment,
            _ => crate::fw::channels::PipeType::Compute,
        };
        let mut d = KVec::with_capacity(deps.len(), GFP_KERNEL)?;
        for f in deps {
            d.push(
                Dep {
                    cb: Opaque::uninit(),
                    job: ptr::null(),
                    fence: f,
                    registered: AtomicBool::new(false),
                },
                GFP_KERNEL,
            )?;
        }
        let n = d.len();
        let render_units = works.iter().filter(|w| w.kind != WorkKind::Compute).count() as u32;
        let job = Arc::new(
            Job {
                wq,
                _timestamps: timestamps,
                _vm: ActiveVm::new(vm),
                _slot: slot,
                fence,
                commands,
                pipe,
                deps: d,
                // One extra count, released by `deps_ready` once the job is queued and its
                // fence published.
                deps_left: AtomicUsize::new(n + 1),
                stamp: AtomicU32::new(0),
                submitted_ns: AtomicU64::new(0),
                render_units,
                error: AtomicI32::new(0),
                retired_next: AtomicPtr::new(ptr::null_mut()),
            },
            GFP_KERNEL,
        )?;
        Ok(ExplicitDrop::new(job))
    }

    /// Registers the input-fence callbacks. Call once, before [`super::WorkQueue::enqueue`]
    /// (so nobody else can see the job yet); allocates nothing. The job does not run before
    /// [`Self::deps_ready`].
    pub(crate) fn arm_deps(self: &Arc<Self>) {
        let this: *const Job = &**self;
        for dep in self.deps.iter() {
            let dep_ptr = ptr::from_ref(dep).cast_mut();
            // SAFETY: The job is pinned in its `Arc` (and the deps vector is never resized), so
            // `dep` stays put; `job` is written before the callback can run. The job stays
            // alive while the callback is registered: it is removed by `cancel_deps` before a
            // pending job is retired, and a job only leaves the pending list once every
            // callback has run.
            let r = unsafe {
                (*dep_ptr).job = this;
                bindings::dma_fence_add_callback(
                    dep.fence.as_raw(),
                    dep.cb.get(),
                    Some(dep_signalled),
                )
            };
            if r == 0 {
                // INVARIANT: the callback is registered and `job` set.
                dep.registered.store(true, Ordering::Release);
            } else {
                // Already signalled: no callback will come.
                self.dep_done();
            }
        }
    }

    /// Releases the count held back for SUBMIT: the job may run once its inputs signal. Call
    /// once, after the job is queued; allocates nothing.
    pub(crate) fn deps_ready(&self) {
        self.dep_done();
    }

    /// Whether every input has signalled and SUBMIT is done with the job.
    pub(super) fn is_ready(&self) -> bool {
        self.deps_left.load(Ordering::Acquire) == 0
    }

    fn dep_done(&self) {
        if self.deps_left.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.wq.kick();
        }
    }

    /// Removes the input-fence callbacks not yet run (a pending job being failed, or a SUBMIT
    /// that failed after `arm_deps`). When it returns no callback of this job runs, now or
    /// later, on any CPU: removal takes each fence's lock, under which its callbacks run.
    pub(crate) fn cancel_deps(&self) {
        for dep in self.deps.iter() {
            if dep.registered.swap(false, Ordering::AcqRel) {
                // SAFETY: The callback was registered on this fence with this `cb` (invariant
                // of `Dep`); removing one that already ran is a no-op (the core re-initialises
                // its node before calling it).
                unsafe { bindings::dma_fence_remove_callback(dep.fence.as_raw(), dep.cb.get()) };
            }
        }
    }

    /// Sets the error the firmware reported (the first one wins).
    pub(super) fn set_error(&self, err: Error) {
        let _ = self
            .error
            .compare_exchange(0, err.to_errno(), Ordering::AcqRel, Ordering::Acquire);
    }

    /// The error the firmware reported, if any.
    pub(super) fn error(&self) -> Option<Error> {
        match self.error.load(Ordering::Acquire) {
            0 => None,
            e => Some(Error::from_errno(e)),
        }
    }
}

/// # Safety
///
/// Called by the dma-fence core (any context, under the fence's lock) for a callback registered
/// in `Job::arm_deps`.
unsafe extern "C" fn dep_signalled(_f: *mut bindings::dma_fence, cb: *mut bindings::dma_fence_cb) {
    // SAFETY: `cb` is the first field of a `repr(C)` `Dep` whose callback is registered, so its
    // `job` is set and alive (invariant of `Dep`; see `Job::arm_deps`).
    let dep = unsafe { &*cb.cast::<Dep>() };
    // SAFETY: As above.
    unsafe { &*dep.job }.dep_done();
}

/// Retired jobs waiting to be released in process context: an intrusive FIFO through
/// `Job::retired_next`, so pushing never allocates and never fails, however long the worker
/// that empties it is held up.
///
/// # Invariants
///
/// `head` and `tail` are null together, or `head` is a pointer from `Arc::into_raw` of a job
/// whose `retired_next` chain ends at `tail`; the list owns one reference to each job on it.
pub(crate) struct RetiredList {
    head: *const Job,
    tail: *const Job,
}

// SAFETY: The list only holds owned `Arc<Job>` references (`Job` is `Send + Sync`).
unsafe impl Send for RetiredList {}

impl RetiredList {
    /// An empty list.
    pub(crate) const fn new() -> Self {
        Self {
            head: ptr::null(),
            tail: ptr::null(),
        }
    }

    /// Appends `job` (any context).
    pub(crate) fn push(&mut self, job: JobRef) {
        let raw = Arc::into_raw(job.into_value());
        // SAFETY: `raw` is a live job (we own its reference), not on any list.
        unsafe {
            (*raw)
                .retired_next
                .store(ptr::null_mut(), Ordering::Relaxed)
        };
        if self.tail.is_null() {
            self.head = raw;
        } else {
            // SAFETY: `tail` is on the list, so alive (type invariant).
            unsafe {
                (*self.tail)
                    .retired_next
                    .store(raw.cast_mut(), Ordering::Relaxed)
            };
        }
        // INVARIANT: `raw` ends the chain and the list owns its reference.
        self.tail = raw;
    }

    /// Takes the oldest job off the list.
    pub(crate) fn pop(&mut self) -> Option<JobRef> {
        if self.head.is_null() {
            return None;
        }
        let raw = self.head;
        // SAFETY: `head` is on the list, so alive (type invariant).
        let next = unsafe { (*raw).retired_next.swap(ptr::null_mut(), Ordering::Relaxed) };
        // INVARIANT: the chain now starts at `next`; an empty list has both ends null.
        self.head = next;
        if next.is_null() {
            self.tail = ptr::null();
        }
        // SAFETY: `raw` came from `Arc::into_raw` and the list owned that reference, which it
        // hands over here.
        Some(ExplicitDrop::new(unsafe { Arc::from_raw(raw) }))
    }
}
