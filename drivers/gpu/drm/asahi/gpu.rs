// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The GPU: event slots, work queues, jobs in flight, and the interrupt that completes them.
//!
//! # Object graph
//!
//! ```text
//! File ──> Queue ──> WorkQueue ──> Gpu ──> Backend
//!             │          ▲   ▲
//!             └─> Vm     │   └── Job (pending / in flight / retired) ──> Vm, Fence, deps
//!                        └── owners[slot] (non-owning; cleared when the WorkQueue drops)
//! ```
//!
//! A [`WorkQueue`] holds one of the 128 event slots for its lifetime and the jobs submitted to
//! it, first *pending* (waiting for their input fences), then *in flight* (handed to the
//! firmware), then *retired* (their fence signalled). Jobs hold references to everything the
//! firmware may touch while they run (their work queue and VM); nothing points back from a job
//! to the file or queue that made it, so userspace may close or destroy anything at any time.
//! Retired jobs are released on a worker, never in the interrupt handler (job references are
//! [`ExplicitDrop`]s: an implicit drop does not build).
//!
//! What the firmware may touch, and what keeps it alive:
//! - a job's context slot (the TTBAT entry naming its VM's page tables): the job's `VmSlot`
//!   hold; an idle slot is rebound to another VM only when no job holds it;
//! - a job's address space (page tables, mapped objects): the job's `ActiveVm` hold, released
//!   only after the job's completion stamp is written, which the firmware does last; objects
//!   unmapped while jobs run are parked in the VM's graveyard until they are done;
//! - a queue's firmware context (its `GpuContextData`, event slot and whatever the firmware
//!   keeps about them): destroyed with a DeviceControl `DestroyContext`, which the firmware
//!   acknowledges once it is done with it, before the slot is released and the context memory
//!   freed (the GpuContext invalidation of the real firmware);
//! - the firmware's own memory (init data, rings, event page, timestamp mappings): the `Gpu`,
//!   for its lifetime; timestamp buffers by the jobs that write into them.
//!
//! - a job's commands (one per unit of work, in the firmware-private heap): the job, until it is
//!   released after completion; the firmware reads a command when it starts the work and not
//!   after the stamp is written, so unlike downstream no "last completed command" has to be
//!   kept. Freed commands are reused only after a firmware cache flush ([`crate::fwalloc`]).
//!
//! # Fence signalling path
//!
//! From the moment a job's fence is published (attached to a syncobj) to its signal, the path
//! is: input-fence callbacks → [`WorkQueue::kick`] → `Backend::doorbell_pipe` → firmware → the
//! interrupt handler. None of it allocates or sleeps: rings are preallocated, locks are
//! [`SpinLockIrq`]s, and the handler and the submit tail run in a [`SignallingSection`].
//!
//! # Lock order
//!
//! `Gpu::owners` → `WorkQueue::inner` → `Gpu::pipes` → the backend's locks (its queue lock, in
//! `kick`'s doorbell); `WorkQueue::inner` → `Gpu::retired`. Never the other way round.

use crate::backend::{event_page, Backend, IrqHandler};
use crate::channel::TxChannel;
use crate::fw::channels::{ChannelId, PipeType};
use crate::fw::job::RingState;
use crate::fw::variants::g13_v13_5 as fwv;
use crate::fw::job::{CommandType, GpuContextData, VirtualRunCommand};
use crate::fwalloc::{FwAlloc, FwObject, HeapKind};
use crate::fw::types::GpuPtr;
use crate::fw::uat::{ttbat_entry, FIRST_USER_CONTEXT, NUM_CONTEXTS};
use crate::fw::event::{EventValue, NUM_EVENTS};
use crate::fw::fault::{unit_name, FaultInfo};
use crate::kernel_ext::dma_fence::{Fence, FenceContext, FenceNames, FenceOps, SignallingSection};
use crate::kernel_ext::explicit_drop::ExplicitDrop;
use crate::kernel_ext::print::dev_err;
use crate::kernel_ext::spinlock_irq::{lock_class, SpinLockIrq};
use crate::kernel_ext::vec::SmallVec;
use crate::kernel_ext::work::{DriverWork, WorkHandler};
use crate::crashdump::Snapshot;
use crate::gem;
use kernel::types::ARef;
use crate::fwalloc::FwAllocator;
use crate::fwmem::{offsets, FwBoot};
use crate::pages::{shared_u32, shared_u64};
use crate::kernel_ext::devcoredump::{dev_coredump, DumpSource};
use crate::ring::Ring;
use crate::vm::Vm;
use crate::bindings;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use kernel::c_str;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::new_mutex;
use kernel::sync::{Arc, Mutex};

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
}

/// Most jobs a work queue may have pending or in flight: one less than the stamp space, so
/// wrapping comparisons stay unambiguous (downstream's limit).
pub(crate) const MAX_JOBS_PER_QUEUE: usize = crate::fw::event::MAX_IN_FLIGHT as usize;

struct AsahiFences;
impl FenceNames for AsahiFences {
    const DRIVER: &'static CStr = c_str!("asahi");
    const TIMELINE: &'static CStr = c_str!("asahi-queue");
}
static FENCE_OPS: FenceOps = FenceOps::new::<AsahiFences>();

/// The user context slots (ASIDs 1-63): the VM each one's TTBAT entry names and the jobs using
/// it. A VM gets a slot while it has jobs (the least recently used idle slot when it has none);
/// downstream's `Uat::bind`.
struct SlotTable {
    /// Serial of the VM in each slot (0: none).
    vm: [u64; NUM_CONTEXTS],
    /// That VM's page-table root.
    ttb: [u64; NUM_CONTEXTS],
    /// Jobs holding the slot.
    users: [u32; NUM_CONTEXTS],
    /// When the slot was last bound, for least-recently-used reuse.
    used: [u64; NUM_CONTEXTS],
    clock: u64,
}

impl SlotTable {
    fn new() -> Self {
        Self {
            vm: [0; NUM_CONTEXTS],
            ttb: [0; NUM_CONTEXTS],
            users: [0; NUM_CONTEXTS],
            used: [0; NUM_CONTEXTS],
            clock: 0,
        }
    }
}

/// A job's hold on its VM's context slot.
pub(crate) struct VmSlot {
    gpu: Arc<Gpu>,
    slot: u32,
}

impl VmSlot {
    /// The slot (ASID).
    pub(crate) fn slot(&self) -> u32 {
        self.slot
    }
}

impl Drop for VmSlot {
    fn drop(&mut self) {
        let mut t = self.gpu.slots.lock();
        if let Some(u) = t.users.get_mut(self.slot as usize) {
            *u = u.saturating_sub(1);
        }
    }
}

/// The event slots and who holds them.
struct Owners {
    /// The registered queue of each slot (null while free or being set up).
    wq: [*const WorkQueue; NUM_EVENTS],
    /// Slots taken.
    taken: [bool; NUM_EVENTS],
}

// SAFETY: The pointers are only dereferenced under the lock that also guards their removal.
unsafe impl Send for Owners {}

/// The device-wide GPU state.
#[pin_data]
pub(crate) struct Gpu {
    // Dropped first (see `DriverWork`).
    #[pin]
    cleanup: DriverWork<Gpu>,
    backend: Arc<dyn Backend>,
    /// The structures the firmware found at boot (dropped before their heaps).
    boot: FwBoot,
    /// The firmware's memory: the kernel half (locked while it is snapshotted) and its heaps.
    fw: Arc<FwAllocator>,
    /// Physical addresses of the event page and the event channel state, fixed at boot.
    event_page: u64,
    /// Physical address of the TTBAT (in `boot`).
    ttbat: u64,
    /// Which VM each user context slot (ASID) holds.
    #[pin]
    slots: Mutex<SlotTable>,
    event_state: u64,
    dev: *mut bindings::device,
    /// The driver's ends of the 12 pipe channels, by `ChannelId::pipe_index`.
    #[pin]
    pipes: SpinLockIrq<KVec<TxChannel>>,
    #[pin]
    owners: SpinLockIrq<Owners>,
    #[pin]
    retired: SpinLockIrq<Ring<JobRef>>,
    dead: AtomicBool,
    /// GPU faults so far (fault messages are rate-limited).
    faults: AtomicU32,
    /// The driver's side of the firmware log, trace and stats channels (drained by `cleanup`).
    rx_drain: crate::fwlog::RxDrain,
}

// SAFETY: `dev` is the bound platform device, used only for log prefixes while bound; the rest
// is synchronised by its locks and atomics.
unsafe impl Send for Gpu {}
// SAFETY: As above.
unsafe impl Sync for Gpu {}

impl crate::kernel_ext::print::AsRawDevice for Gpu {
    fn as_raw_device(&self) -> *mut bindings::device {
        self.dev
    }
}

impl Gpu {
    /// Creates the GPU state and boots the firmware.
    pub(crate) fn new(backend: Arc<dyn Backend>, dev: *mut bindings::device) -> Result<Arc<Self>> {
        let fw = FwAllocator::new(backend.clone())?;
        let mut boot = FwBoot::new(&fw)?;
        let pipes = boot.take_pipes().ok_or(EINVAL)?;
        let layout = boot.layout();
        let event_state = boot.event_state_phys();
        let retired = Ring::new(NUM_EVENTS * MAX_JOBS_PER_QUEUE)?;
        let gpu = Arc::pin_init(
            pin_init!(&this in Gpu {
                // SAFETY: `this` is the pinned `Gpu` being built; the work is its first field.
                cleanup <- unsafe { DriverWork::new(this.as_ptr(), lock_class!()) },
                backend,
                boot,
                fw,
                event_page: layout.event_page_phys,
                ttbat: layout.ttbat,
                slots <- new_mutex!(SlotTable::new(), "asahi::Gpu::slots"),
                event_state,
                dev,
                pipes <- SpinLockIrq::new(pipes, c_str!("asahi::Gpu::pipes"), lock_class!()),
                owners <- SpinLockIrq::new(
                    Owners {
                        wq: [core::ptr::null(); NUM_EVENTS],
                        taken: [false; NUM_EVENTS],
                    },
                    c_str!("asahi::Gpu::owners"),
                    lock_class!(),
                ),
                retired <- SpinLockIrq::new(retired, c_str!("asahi::Gpu::retired"), lock_class!()),
                dead: AtomicBool::new(false),
                faults: AtomicU32::new(0),
                rx_drain: crate::fwlog::RxDrain::new(),
            }),
            GFP_KERNEL,
        )?;
        let handler: Arc<dyn IrqHandler> = gpu.clone();
        gpu.backend.boot(layout, handler)?;
        // The firmware's first device-control message; its consumption proves the channel.
        if let Err(e) = gpu
            .fw
            .device_control(&crate::fw::variants::g13_v13_5::DeviceControlMsg::Initialize)
        {
            gpu.shutdown();
            return Err(e);
        }
        Ok(gpu)
    }

    /// The firmware's memory.
    pub(crate) fn fw(&self) -> &Arc<FwAllocator> {
        &self.fw
    }

    /// The firmware address of the init data.
    pub(crate) fn initdata_va(&self) -> u64 {
        self.boot.layout().initdata
    }

    /// Binds `vm` to a user context slot for a job: the slot it has, or the least recently
    /// used idle one, whose TTBAT entry then names `vm`'s page tables (and whose previous VM's
    /// translations are flushed, as an ASID reuse needs). Waits, interruptibly, while all 63
    /// are held by other VMs' jobs: those only wait on fences that already exist, so they
    /// complete. Process context.
    pub(crate) fn bind_vm(self: &Arc<Self>, vm: &Vm) -> Result<VmSlot> {
        let users = FIRST_USER_CONTEXT as usize..NUM_CONTEXTS;
        loop {
            self.check_alive()?;
            {
                let mut t = self.slots.lock();
                t.clock += 1;
                let now = t.clock;
                let pick = users.clone().find(|&i| t.vm[i] == vm.serial()).or_else(|| {
                    users
                        .clone()
                        .filter(|&i| t.users[i] == 0)
                        .min_by_key(|&i| (t.vm[i] != 0, t.used[i]))
                });
                if let Some(i) = pick {
                    if t.vm[i] != vm.serial() {
                        let old = t.ttb[i];
                        // CAST: slots are below 64.
                        let entry = ttbat_entry(vm.ttb(), i as u32).ok_or(EINVAL)?;
                        // SAFETY: The TTBAT is a page the GPU owns for its lifetime; slot `i`'s
                        // `ttb0` is an aligned word of it.
                        unsafe { shared_u64(self.ttbat + i as u64 * 16) }
                            .store(entry, Ordering::Release);
                        if old != 0 {
                            self.backend.tlb_invalidate_all(old);
                        }
                        t.vm[i] = vm.serial();
                        t.ttb[i] = vm.ttb();
                    }
                    t.users[i] += 1;
                    t.used[i] = now;
                    // CAST: slots are below 64.
                    return Ok(VmSlot {
                        gpu: self.clone(),
                        slot: i as u32,
                    });
                }
            }
            if kernel::current!().signal_pending() {
                return Err(ERESTARTSYS);
            }
            // SAFETY: Plain sleep in process context.
            unsafe { bindings::msleep(1) };
        }
    }

    /// The backend.
    pub(crate) fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// Whether the GPU can take work (`ENODEV` once it is shut down).
    pub(crate) fn check_alive(&self) -> Result {
        if self.dead.load(Ordering::Acquire) {
            Err(ENODEV)
        } else {
            Ok(())
        }
    }

    fn event_u32(&self, offset: usize) -> &AtomicU32 {
        // SAFETY: The event page is ours for the GPU's lifetime, and `offset` is an aligned
        // offset within it.
        unsafe { shared_u32(self.event_page + offset as u64) }
    }

    fn event_u64(&self, offset: usize) -> &AtomicU64 {
        // SAFETY: As in `event_u32`.
        unsafe { shared_u64(self.event_page + offset as u64) }
    }

    /// Stops the GPU: the firmware stops, then every job not yet complete fails with `ENODEV`
    /// and every later submit is refused. Process context.
    pub(crate) fn shutdown(&self) {
        self.dead.store(true, Ordering::Release);
        self.backend.shutdown();
        // Failing the jobs is fence signalling; freeing them afterwards is not (it takes locks
        // that are held around allocations), so the signalling section ends before the flush.
        self.fail_all_jobs(ENODEV);
        self.cleanup.queue();
        self.cleanup.flush();
        // The flush drained what the stopped firmware last logged; nothing is printed for this
        // device after it is unbound (a drain already running finishes before the second flush).
        self.rx_drain.close();
        self.cleanup.flush();
    }

    /// Consumes the event channel: the driver reads completions from the fired mask, so the
    /// messages are acknowledged by moving the read pointer up to the write pointer.
    fn ack_event_channel(&self) {
        // SAFETY: The channel state is in a firmware page kept for the GPU's lifetime; the
        // pointer offsets are aligned.
        let (rp, wp) = unsafe {
            (
                shared_u32(self.event_state + offsets::STATE_READ_PTR as u64),
                shared_u32(self.event_state + offsets::STATE_WRITE_PTR as u64),
            )
        };
        rp.store(wp.load(Ordering::Acquire), Ordering::Release);
    }

    /// Fails every job not yet complete with `err`.
    fn fail_all_jobs(&self, err: Error) {
        let _s = SignallingSection::begin();
        let owners = self.owners.lock();
        for &wq in owners.wq.iter().filter(|p| !p.is_null()) {
            // SAFETY: Registered work queues stay valid while registered (under this lock).
            let wq = unsafe { &*wq };
            wq.fail_all(self, err);
        }
    }

    /// Maps `pages` pages of `obj` from page `first` for the firmware to write timestamps into.
    pub(crate) fn map_timestamps(
        self: &Arc<Self>,
        obj: ARef<gem::Object>,
        first: u64,
        pages: u64,
    ) -> Result<TimestampBuffer> {
        self.check_alive()?;
        let phys = (first..first + pages).map(|i| obj.page_phys(i as usize).unwrap_or(0));
        let va = self.fw.kernel_half().map_timestamps(pages, phys)?;
        Ok(TimestampBuffer {
            gpu: self.clone(),
            obj,
            va,
            size: pages * crate::pages::GPU_PAGE_SIZE,
        })
    }

    /// Makes the firmware crash (debugfs `crash_firmware`).
    pub(crate) fn crash_firmware(&self) {
        self.backend.crash();
    }

    fn retire(&self, job: JobRef) {
        // The ring holds every job that can be in flight, so it is never full; if it were, the
        // job would leak rather than be released here in interrupt context.
        if let Err(job) = self.retired.lock().push(job) {
            core::mem::forget(job);
        }
    }
}

impl IrqHandler for Gpu {
    /// Hard-IRQ context: faults first (so a faulting job is marked before it completes), then
    /// completions of every fired slot.
    fn handle_irq(&self) {
        let _s = SignallingSection::begin();
        let mut fired = [0u32; 4];
        for (i, f) in fired.iter_mut().enumerate() {
            *f = self.event_u32(event_page::FIRED + i * 4).swap(0, Ordering::AcqRel);
        }
        let owners = self.owners.lock();
        if self.event_u32(event_page::FAULT_VALID).load(Ordering::Acquire) != 0 {
            let slot = self.event_u32(event_page::FAULT_SLOT).load(Ordering::Relaxed);
            let stamp = self.event_u32(event_page::FAULT_STAMP).load(Ordering::Relaxed);
            let info = self.event_u64(event_page::FAULT_INFO).load(Ordering::Relaxed);
            // Rate-limited: any client can fault at will.
            let n = self.faults.fetch_add(1, Ordering::Relaxed);
            let log = n < 10 || n % 1000 == 0;
            if let Some(f) = FaultInfo::decode(info).filter(|_| log) {
                let unit = unit_name(f.unit_code).map(|(n, _)| n).unwrap_or("?");
                dev_err!(
                    self,
                    "GPU fault #{}: {:?} {} at {:#x}, unit {} ({:#x}), level {}, slot {} stamp {:#x}\n",
                    n + 1,
                    f.reason,
                    if f.read { "read" } else { "write" },
                    f.address,
                    unit,
                    f.unit_code,
                    f.level,
                    slot,
                    stamp
                );
            }
            if let Some(&wq) = owners.wq.get(slot as usize) {
                if !wq.is_null() {
                    // SAFETY: Registered, so valid under the owners lock.
                    unsafe { &*wq }.mark_failed(stamp);
                }
            }
            self.event_u32(event_page::FAULT_VALID)
                .store(0, Ordering::Release);
        }
        for (slot, &wq) in owners.wq.iter().enumerate() {
            let bit = fired.get(slot / 32).is_some_and(|w| w & (1 << (slot % 32)) != 0);
            if !bit || wq.is_null() {
                continue;
            }
            let stamp = self
                .event_u32(event_page::STAMPS.wrapping_add(slot.wrapping_mul(4)))
                .load(Ordering::Acquire);
            // SAFETY: Registered, so valid under the owners lock.
            unsafe { &*wq }.complete(self, EventValue(stamp));
        }
        drop(owners);
        self.ack_event_channel();
        self.cleanup.queue();
    }

    /// The firmware crashed: refuse new work, snapshot the firmware's memory, fail every job
    /// (after the snapshot, so the dump shows the state the jobs were in), then publish the
    /// dump. A dump that cannot be made (out of memory) is dropped; the jobs are failed
    /// regardless.
    fn crashed(&self, crashlog: &[u8]) {
        let signalling = SignallingSection::begin();
        self.dead.store(true, Ordering::Release);
        dev_err!(self, "firmware crashed: GPU is dead until the driver is reloaded\n");
        let snapshot = {
            let fw = self.fw.kernel_half();
            Snapshot::take(&fw, self.boot.layout().initdata, self.backend.hw(), crashlog)
        };
        self.fail_all_jobs(ENODEV);
        drop(signalling);
        self.cleanup.queue();
        // Registering the dump allocates with GFP_KERNEL (the device core's sysfs objects), so
        // it happens after the jobs are failed, outside the signalling path; the dump already
        // holds the state from before.
        match snapshot {
            Ok(s) => {
                dev_err!(self, "crash dump: {} bytes in /sys/class/devcoredump\n", s.size());
                // TIMEOUT: one hour, as downstream, unless read and dismissed earlier.
                dev_coredump(self.dev, s, 3_600_000);
            }
            Err(e) => dev_err!(self, "could not generate crash dump: {:?}\n", e),
        }
    }
}

impl WorkHandler for Gpu {
    /// Drains the firmware's log channels and releases retired jobs, in process context.
    fn run(&self) {
        self.rx_drain.drain(self.boot.rx(), self);
        loop {
            let job = self.retired.lock().pop();
            match job {
                Some(job) => job.release(),
                None => return,
            }
        }
    }
}

/// The firmware-side queue of one user queue: an event slot and its jobs.
#[pin_data(PinnedDrop)]
pub(crate) struct WorkQueue {
    gpu: Arc<Gpu>,
    slot: u32,
    /// The queue's firmware context (what its commands name and `DestroyContext` destroys).
    context: FwObject<GpuContextData>,
    /// The queue's descriptor, which `RunWorkQueue` messages name, and the ring state and
    /// command ring it points to (owned here, so they outlive the pointers).
    queue_info: FwObject<fwv::QueueInfo>,
    ring_state: FwObject<RingState>,
    ring: FwAlloc,
    /// Firmware priority (0 highest) of the queue's pipes.
    priority: u32,
    fences: FenceContext,
    #[pin]
    inner: SpinLockIrq<WqInner>,
}

struct WqInner {
    /// Stamp of the last job submitted.
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
}

/// Entries of a work queue's command ring (64-bit command pointers, one 16 KiB allocation).
const QUEUE_RING_ENTRIES: u32 = 0x800;

impl WorkQueue {
    /// Creates a work queue holding one event slot (`ENOSPC` when all 128 are taken).
    pub(crate) fn new(gpu: &Arc<Gpu>, priority: u32) -> Result<Arc<Self>> {
        gpu.check_alive()?;
        let pending = Ring::new(MAX_JOBS_PER_QUEUE)?;
        let inflight = Ring::new(MAX_JOBS_PER_QUEUE)?;
        let context = FwObject::new(&gpu.fw, HeapKind::Private, &GpuContextData::default())?;
        let ring = gpu.fw.alloc(HeapKind::Shared, QUEUE_RING_ENTRIES as usize * 8)?;
        let mut rs: RingState = crate::fwmem::zeroed();
        rs.rb_size = QUEUE_RING_ENTRIES;
        let ring_state = FwObject::new(&gpu.fw, HeapKind::Shared, &rs)?;
        let mut qi: fwv::QueueInfo = crate::fwmem::zeroed();
        qi.state = ring_state.gpu_pointer().into();
        qi.ring = GpuPtr::new(ring.va());
        qi.gpu_context = context.gpu_pointer().into();
        // Set once the slot is known.
        qi.event_id = -1;
        qi.priority = *crate::fw::job::Priority::TABLE
            .get(priority as usize)
            .ok_or(EINVAL)?;
        let queue_info = FwObject::new(&gpu.fw, HeapKind::Shared, &qi)?;
        // Reserve a slot; it is registered once the queue is pinned.
        let slot = {
            let mut owners = gpu.owners.lock();
            let slot = owners.taken.iter().position(|t| !t).ok_or(ENOSPC)?;
            owners.taken[slot] = true;
            slot
        };
        let stamp = EventValue(gpu.event_u32(event_page::STAMPS + slot * 4).load(Ordering::Acquire));
        // CAST: slots are below 128.
        queue_info
            .alloc()
            .store_u32(core::mem::offset_of!(fwv::QueueInfo, event_id), slot as u32);
        let wq = Arc::pin_init(
            pin_init!(WorkQueue {
                gpu: gpu.clone(),
                // CAST: slots are below 128.
                slot: slot as u32,
                context,
                queue_info,
                ring_state,
                ring,
                priority,
                fences: FenceContext::new(&FENCE_OPS),
                inner <- SpinLockIrq::new(
                    WqInner {
                        last_stamp: stamp,
                        pending,
                        inflight,
                        commands: 0,
                        wptr: 0,
                        new: true,
                        cancelled: false,
                    },
                    c_str!("asahi::WorkQueue::inner"),
                    lock_class!(),
                ),
            }),
            GFP_KERNEL,
        );
        let wq = match wq {
            Ok(wq) => wq,
            Err(e) => {
                gpu.owners.lock().taken[slot] = false;
                return Err(e);
            }
        };
        gpu.owners.lock().wq[slot] = &*wq;
        Ok(wq)
    }

    /// Allocates the fence of a new job (at submit time, before anything is published).
    pub(crate) fn new_fence(&self) -> Result<Fence> {
        self.fences.new_fence()
    }

    /// Queues `job` behind earlier ones, waiting (interruptibly) while the queue is full.
    /// Returns with the job pending and its stamp set; its fence may be published from here.
    pub(crate) fn enqueue(&self, job: &JobRef) -> Result {
        loop {
            self.gpu.check_alive()?;
            let mut inner = self.inner.lock();
            let n = job.commands.len();
            if n >= QUEUE_RING_ENTRIES as usize {
                return Err(EINVAL);
            }
            if inner.pending.len() + inner.inflight.len() < MAX_JOBS_PER_QUEUE
                && inner.commands + n < QUEUE_RING_ENTRIES as usize
            {
                inner.commands += n;
                let stamp = inner.last_stamp.next();
                inner.last_stamp = stamp;
                job.stamp.store(stamp.0, Ordering::Relaxed);
                for c in job.commands.iter() {
                    c.alloc()
                        .store_u32(VirtualRunCommand::STAMP_VALUE_OFFSET, stamp.0);
                }
                // Cannot fail: the length was checked under the lock. (Were it to, the extra
                // reference would leak rather than be released under this spinlock.)
                if let Err(extra) = inner.pending.push(ExplicitDrop::new((**job).clone())) {
                    core::mem::forget(extra);
                    return Err(EBUSY);
                }
                return Ok(());
            }
            // Backpressure: wait for the oldest job, outside the lock.
            let oldest = inner
                .inflight
                .front()
                .or(inner.pending.front())
                .map(|j| j.fence.clone());
            drop(inner);
            if let Some(f) = oldest {
                f.wait_interruptible()?;
            }
        }
    }

    /// Hands every ready job at the head of the pending list to the firmware. Any context.
    ///
    /// Fences are signalled outside the queue lock: signalling runs other waiters' callbacks,
    /// which may kick this same queue.
    pub(crate) fn kick(&self) {
        let _s = SignallingSection::begin();
        loop {
            let mut inner = self.inner.lock();
            let ready = !inner.cancelled
                && inner
                    .pending
                    .front()
                    .is_some_and(|j| j.deps_left.load(Ordering::Acquire) == 0);
            if !ready {
                return;
            }
            let Some(job) = inner.pending.pop() else {
                return;
            };
            let failed = match self.run(&mut inner, &job) {
                // Pending and in flight together stay within the capacity, so the push
                // succeeds.
                Ok(()) => inner.inflight.push(job).err(),
                Err(_) => {
                    inner.commands -= job.commands.len();
                    Some(job)
                }
            };
            drop(inner);
            if let Some(job) = failed {
                job.fence.signal(Some(ENODEV));
                self.gpu.retire(job);
            }
        }
    }

    /// Hands `job` to the firmware: its commands go on the queue's command ring, then a
    /// `RunWorkQueue` message on the pipe of its first unit tells the firmware to run the queue
    /// up to the new write index, and that pipe's doorbell rings. If the message cannot be
    /// sent the ring is rolled back, so the firmware never sees the commands. Any context;
    /// allocates nothing.
    fn run(&self, inner: &mut WqInner, job: &Job) -> Result {
        let old = inner.wptr;
        let mut wptr = old;
        for c in job.commands.iter() {
            // CAST: ring offsets are small.
            self.ring.store_u64(wptr as usize * 8, c.alloc().va());
            wptr = (wptr + 1) % QUEUE_RING_ENTRIES;
        }
        let pipe = ChannelId::pipe_index(job.pipe, self.priority);
        let msg = fwv::RunWorkQueueMsg::new(
            job.pipe,
            self.queue_info.alloc().va(),
            wptr,
            self.slot,
            inner.new,
        );
        // SAFETY: `RunWorkQueueMsg` is plain data with explicit padding.
        let bytes = unsafe {
            core::slice::from_raw_parts((&raw const msg).cast::<u8>(), size_of_val(&msg))
        };
        self.ring_state.alloc().store_u32(RingState::CPU_WPTR_OFFSET, wptr);
        let sent = {
            let mut pipes = self.gpu.pipes.lock();
            pipes.get_mut(pipe).ok_or(EINVAL).and_then(|p| p.send(bytes))
        };
        if let Err(e) = sent {
            self.ring_state.alloc().store_u32(RingState::CPU_WPTR_OFFSET, old);
            return Err(e);
        }
        inner.wptr = wptr;
        inner.new = false;
        // The firmware may already have the message; if it is dead the job fails here and the
        // firmware never runs anything again.
        self.gpu.backend.doorbell_pipe(pipe)
    }

    /// Cancels everything not yet complete (the user queue is being destroyed): the firmware
    /// drops this slot's queued work and finishes what it is running; then every remaining job
    /// fails with `ECANCELED`. Process context.
    pub(crate) fn cancel(&self) {
        // From here on a job whose inputs signal stays pending (and fails below) instead of
        // reaching the firmware after its context is destroyed. Taking the lock also waits for
        // a kick in progress, whose work the firmware has then accepted and will drop.
        self.inner.lock().cancelled = true;
        self.destroy_context();
        {
            let _s = SignallingSection::begin();
            // CAST: errno constants are small positive numbers.
            let canceled = Error::from_errno(-(kernel::bindings::ECANCELED as i32));
            self.fail_all(&self.gpu, canceled);
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
            Err(e) => dev_err!(&*self.gpu, "DestroyContext of slot {} failed: {:?}\n", self.slot, e),
        }
    }

    /// Marks the in-flight job with `stamp` as failed (its fence will carry `EIO`).
    fn mark_failed(&self, stamp: u32) {
        let inner = self.inner.lock();
        let job = inner
            .inflight
            .iter()
            .find(|j| j.stamp.load(Ordering::Relaxed) == stamp);
        if let Some(job) = job {
            job.failed.store(true, Ordering::Release);
        }
        drop(inner);
    }

    /// Completes every in-flight job whose stamp `stamp` has reached. Hard-IRQ context.
    fn complete(&self, gpu: &Gpu, stamp: EventValue) {
        loop {
            let job = {
                let mut inner = self.inner.lock();
                let reached = inner.inflight.front().is_some_and(|j| {
                    EventValue(j.stamp.load(Ordering::Relaxed)).is_reached_by(stamp)
                });
                if !reached {
                    return;
                }
                let job = inner.inflight.pop();
                if let Some(j) = &job {
                    inner.commands -= j.commands.len();
                }
                job
            };
            let Some(job) = job else {
                return;
            };
            let err = job.failed.load(Ordering::Acquire).then_some(EIO);
            job.fence.signal(err);
            gpu.retire(job);
        }
    }

    /// Fails every job not yet complete with `err` (shutdown, cancel). Process context.
    fn fail_all(&self, gpu: &Gpu, err: Error) {
        loop {
            let (job, pending) = {
                let mut inner = self.inner.lock();
                let (job, pending) = match inner.inflight.pop() {
                    Some(j) => (j, false),
                    None => match inner.pending.pop() {
                        Some(j) => (j, true),
                        None => return,
                    },
                };
                inner.commands -= job.commands.len();
                (job, pending)
            };
            if pending {
                job.cancel_deps();
            }
            job.fence.signal(Some(err));
            gpu.retire(job);
        }
    }
}

#[pinned_drop]
impl PinnedDrop for WorkQueue {
    fn drop(self: Pin<&mut Self>) {
        // No job refers to this queue any more (each holds a reference), so nothing is pending
        // or in flight. The firmware must forget the context (acknowledged) before the slot is
        // reused: a new queue on this slot must not inherit anything cached for this one.
        self.destroy_context();
        let mut owners = self.gpu.owners.lock();
        owners.wq[self.slot as usize] = core::ptr::null();
        owners.taken[self.slot as usize] = false;
    }
}

/// A user buffer mapped in the firmware's half for timestamps (`GEM_BIND_OBJECT`). Jobs that
/// write timestamps hold a reference, so the mapping outlives them.
pub(crate) struct TimestampBuffer {
    gpu: Arc<Gpu>,
    obj: ARef<gem::Object>,
    va: u64,
    size: u64,
}

impl TimestampBuffer {
    /// The firmware address of byte `offset` for an 8-byte timestamp (`EINVAL` if outside).
    pub(crate) fn va_of(&self, offset: u64) -> Result<u64> {
        if offset % 8 != 0 || offset.checked_add(8).ok_or(EINVAL)? > self.size {
            return Err(EINVAL);
        }
        Ok(self.va + offset)
    }
}

impl Drop for TimestampBuffer {
    fn drop(&mut self) {
        let pages = self.size / crate::pages::GPU_PAGE_SIZE;
        // The firmware wrote into these pages: it drops what it cached of them before they
        // leave its address space (without running firmware there is nothing cached). Only
        // then may their addresses be mapped to another buffer.
        let reusable = match self.gpu.fw.flush_range(self.va, pages) {
            Ok(()) => true,
            Err(e) if e == ENODEV => true,
            Err(e) => {
                dev_err!(&*self.gpu, "FwCtl flush of a timestamp buffer failed: {:?}\n", e);
                false
            }
        };
        self.gpu
            .fw
            .kernel_half()
            .unmap_timestamps(self.va, pages, &*self.gpu.backend, reusable);
        let _ = &self.obj;
    }
}

/// A job's units of work as SUBMIT parsed them: inline for the common one or two (a compute
/// command, or a render command's vertex and fragment halves).
pub(crate) type Works = SmallVec<Work, 2>;

/// A job's firmware commands, one per unit of work, in order (inline like [`Works`]).
type Commands = SmallVec<FwObject<VirtualRunCommand>, 2>;

/// A dependency of a job: an input fence and its callback.
#[repr(C)]
pub(crate) struct Dep {
    cb: kernel::types::Opaque<bindings::dma_fence_cb>,
    job: *const Job,
    fence: Fence,
    armed: AtomicBool,
}

/// A reference to a job. The last one may only go in process context (a job's release drops
/// its VM hold, which takes the VM's mutex), so every reference is an [`ExplicitDrop`].
pub(crate) type JobRef = ExplicitDrop<Arc<Job>>;

/// One submission: its work, fence and the references its work needs.
pub(crate) struct Job {
    wq: Arc<WorkQueue>,
    /// Timestamp buffers the firmware writes for this job.
    _timestamps: KVec<Arc<TimestampBuffer>>,
    _vm: crate::vm::ActiveVm,
    /// The VM's context slot, held while the job lives.
    _slot: VmSlot,
    /// Signalled when the job completes.
    pub(crate) fence: Fence,
    /// The job's commands, in the firmware-private heap, in order.
    commands: Commands,
    /// The pipe its `RunWorkQueue` message goes to: the unit of its first command.
    pipe: PipeType,
    deps: KVec<Dep>,
    deps_left: AtomicUsize,
    stamp: AtomicU32,
    failed: AtomicBool,
}

// SAFETY: `Dep::job` points to the `Job` containing it; everything else is thread-safe.
unsafe impl Send for Job {}
// SAFETY: As above.
unsafe impl Sync for Job {}

impl Job {
    /// Creates a job running `works` in `vm` on `wq`, after `deps` have signalled.
    pub(crate) fn new(
        wq: Arc<WorkQueue>,
        vm: &Arc<Vm>,
        works: Works,
        deps: KVec<Fence>,
        timestamps: KVec<Arc<TimestampBuffer>>,
    ) -> Result<JobRef> {
        let fence = wq.new_fence()?;
        let slot = wq.gpu.bind_vm(vm)?;
        let mut commands = Commands::new();
        for (i, w) in works.iter().enumerate() {
            let tag = match w.kind {
                WorkKind::Vertex => CommandType::RunVertex,
                WorkKind::Fragment => CommandType::RunFragment,
                WorkKind::Compute => CommandType::RunCompute,
            };
            let cmd = VirtualRunCommand {
                tag: tag as u32,
                event_slot: wq.slot,
                // Written when the job is queued and its stamp known.
                stamp_value: 0,
                flags: if i + 1 == works.len() {
                    VirtualRunCommand::FLAG_COMPLETE
                } else {
                    0
                },
                vm_slot: slot.slot(),
                pad_14: 0,
                stream: GpuPtr::new(w.stream),
                ts_start: GpuPtr::new(w.ts_start),
                ts_end: GpuPtr::new(w.ts_end),
                gpu_context: wq.context.gpu_pointer().into(),
            };
            commands.push(FwObject::new(wq.gpu.fw(), HeapKind::Private, &cmd)?)?;
        }
        let pipe = match works.first().map(|w| w.kind) {
            Some(WorkKind::Vertex) => PipeType::Vertex,
            Some(WorkKind::Fragment) => PipeType::Fragment,
            _ => PipeType::Compute,
        };
        let mut d = KVec::with_capacity(deps.len(), GFP_KERNEL)?;
        for f in deps {
            d.push(
                Dep {
                    cb: kernel::types::Opaque::uninit(),
                    job: core::ptr::null(),
                    fence: f,
                    armed: AtomicBool::new(false),
                },
                GFP_KERNEL,
            )?;
        }
        let n = d.len();
        let job = Arc::new(
            Job {
                wq,
                _timestamps: timestamps,
                _vm: crate::vm::ActiveVm::new(vm),
                _slot: slot,
                fence,
                commands,
                pipe,
                deps: d,
                // One extra count, released by `arm` once every callback is registered.
                deps_left: AtomicUsize::new(n + 1),
                stamp: AtomicU32::new(0),
                failed: AtomicBool::new(false),
            },
            GFP_KERNEL,
        )?;
        Ok(ExplicitDrop::new(job))
    }

    /// Registers the dependency callbacks and releases the job to run once they have all
    /// signalled. Call after [`WorkQueue::enqueue`]; allocates nothing.
    pub(crate) fn arm(self: &Arc<Self>) {
        let this: *const Job = &**self;
        for dep in self.deps.iter() {
            let dep_ptr = (dep as *const Dep).cast_mut();
            // SAFETY: The job is pinned in its `Arc` (and the deps vector is never resized), so
            // `dep` stays put; `job` is written before the callback can run; the job stays
            // alive while the callback is registered (it is pending, owned by its queue, until
            // `deps_left` reaches zero or `cancel_deps` removes the callbacks).
            let r = unsafe {
                (*dep_ptr).job = this;
                dep.armed.store(true, Ordering::Release);
                bindings::dma_fence_add_callback(dep.fence.as_raw(), dep.cb.get(), Some(dep_signalled))
            };
            if r != 0 {
                // Already signalled: no callback will come.
                dep.armed.store(false, Ordering::Release);
                self.dep_done();
            }
        }
        self.dep_done();
    }

    fn dep_done(&self) {
        if self.deps_left.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.wq.kick();
        }
    }

    /// Removes dependency callbacks not yet run (shutdown of a pending job).
    fn cancel_deps(&self) {
        for dep in self.deps.iter() {
            if dep.armed.swap(false, Ordering::AcqRel) {
                // SAFETY: The callback was registered on this fence with this `cb`.
                unsafe { bindings::dma_fence_remove_callback(dep.fence.as_raw(), dep.cb.get()) };
            }
        }
    }
}

/// # Safety
///
/// Called by the dma-fence core (any context) for a callback registered in `Job::arm`.
unsafe extern "C" fn dep_signalled(_f: *mut bindings::dma_fence, cb: *mut bindings::dma_fence_cb) {
    // SAFETY: `cb` is the first field of a `repr(C)` `Dep`, whose `job` was set before the
    // callback was registered and is alive while it is (see `Job::arm`).
    let dep = unsafe { &*cb.cast::<Dep>() };
    if dep.armed.swap(false, Ordering::AcqRel) {
        // SAFETY: As above.
        unsafe { &*dep.job }.dep_done();
    }
}
