// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The GPU: event slots, work queues, jobs in flight, and the interrupt that completes them.
//!
//! # Object graph
//!
//! ```text
//! File ──> Queue ──> WorkQueue ──> Gpu ──> Transport
//!             │          ▲   ▲
//!             └─> Vm     │   └── Job (pending / in flight / retired) ──> Vm, Fence, deps
//!                        └── owners[slot] (non-owning; cleared when the WorkQueue drops)
//! ```
//!
//! A [`WorkQueue`] ([`workqueue`]) holds the jobs submitted to it ([`job`]), first *pending*
//! (waiting for their input fences), then *in flight* (handed to the firmware), then *retired*
//! (their fence signalled), and one of the 128 event slots only while it has jobs pending or in
//! flight. Jobs hold references to everything the firmware may touch while they run (their
//! work queue and VM); nothing points back from a job to the file or queue that made it, so
//! userspace may close or destroy anything at any time, and closing lets submitted work run to
//! completion (only a killed process's backlog is cancelled). Retired jobs are released on a
//! worker, never in the interrupt handler (job references are [`ExplicitDrop`]s: an implicit
//! drop does not build); the retired list is intrusive, so retiring never fails or allocates.
//!
//! Completion and errors follow the firmware's own protocol ([`events`]): the firmware writes
//! each command's stamp where its `JobMeta` says, posts Flag, Fault and Timeout messages on the
//! event channel and sends the RX doorbell; the handler drains the channel, signals fences from
//! the stamps, fails faulting work from the fault register and `Globals.pending_stamps`
//! (`EIO`), timed-out work (`ETIMEDOUT`), and resumes the halted firmware through `FwStatus`. A
//! pipe ring found full leaves the job first in line, retried by the worker
//! (`Gpu::kick_stalled`).
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
//! - the firmware's own memory (init data, rings, stamps, globals, timestamp mappings): the `Gpu`,
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
//! is: input-fence callbacks → [`WorkQueue::kick`] → the pipe's TX doorbell
//! (`Transport::send`) → firmware → RX doorbell → the message handler. None of it allocates or sleeps: rings are preallocated, locks are
//! [`SpinLockIrq`]s, and the handler and the submit tail run in a [`SignallingSection`]. A kick
//! never signals a fence (it runs inside other fences' callbacks); fences are signalled by the
//! interrupt handler and the failure paths (crash, shutdown, kill).
//!
//! # Lock order
//!
//! `Gpu::owners` → `WorkQueue::inner` → `Gpu::pipes` → the transport's locks (the virtual
//! AGX's queue lock, in `kick`'s doorbell); `Gpu::retired` is a leaf. `Gpu::slots` (a mutex) is taken alone, in
//! process context. Never the other way round.

mod compute;
mod events;
mod job;
mod render;
mod workqueue;

pub(crate) use job::{ComputeArgs, Job, JobRef, Work, WorkKind, Works};
pub(crate) use render::{tile_info, RenderArgs};
pub(crate) use workqueue::WorkQueue;

use crate::backend::{endpoint, MessageHandler, Mmio, Transport};
use crate::bindings;
use crate::channel::TxChannel;
use crate::crashdump::Snapshot;
use crate::fw::channels::{init_msg, DOORBELL_DEVCTRL, DOORBELL_KICKFW, MSG_TX_DOORBELL};
use crate::fw::event::{EventValue, NUM_EVENTS};
use crate::fw::uat::{ttbat_entry, FIRST_USER_CONTEXT, NUM_CONTEXTS};
use crate::fwalloc::FwAllocator;
use crate::fwmem::FwBoot;
use crate::gem;
use crate::hw::HwConfig;
use crate::kernel_ext::devcoredump::{dev_coredump, DumpSource};
use crate::kernel_ext::dma_fence::{FenceNames, FenceOps, SignallingSection};
use crate::kernel_ext::print::dev_err;
use crate::kernel_ext::spinlock_irq::{lock_class, SpinLockIrq};
use crate::kernel_ext::work::{DriverWork, WorkHandler};
use crate::vm::Vm;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use job::RetiredList;
use kernel::c_str;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::{Arc, Mutex};
use kernel::types::ARef;

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

/// The event slots and the work queues holding them (a queue holds one while it has jobs
/// pending or in flight, see [`workqueue`]).
///
/// # Invariants
///
/// A non-null `wq[i]` points to a live work queue whose `inner.slot` is `Some(i)`; it is set
/// and cleared only under the lock around this value, and a work queue clears its entry before
/// it is freed.
pub(crate) struct Owners {
    wq: [*const WorkQueue; NUM_EVENTS],
}

// SAFETY: The pointers are only dereferenced under the lock that also guards their removal.
unsafe impl Send for Owners {}

impl Owners {
    /// Gives a free slot to `wq`.
    fn take(&mut self, wq: &WorkQueue) -> Option<u32> {
        let slot = self.wq.iter().position(|p| p.is_null())?;
        // INVARIANT: the caller records the slot in `wq`'s state under the same lock.
        *self.wq.get_mut(slot)? = wq;
        // CAST: slots are below 128.
        Some(slot as u32)
    }

    /// Frees `slot`, held by `wq`.
    fn release(&mut self, slot: u32, wq: &WorkQueue) {
        if let Some(p) = self.wq.get_mut(slot as usize) {
            if core::ptr::eq(*p, wq) {
                // INVARIANT: the entry no longer names the queue.
                *p = core::ptr::null();
            }
        }
    }

    /// The queue holding `slot`.
    fn get(&self, slot: usize) -> Option<&WorkQueue> {
        let p = *self.wq.get(slot)?;
        // SAFETY: A non-null entry is a live work queue while it is in the table (type
        // invariant), and the returned reference borrows the table.
        (!p.is_null()).then(|| unsafe { &*p })
    }
}

/// The device-wide GPU state.
#[pin_data]
pub(crate) struct Gpu {
    // Dropped first (see `DriverWork`).
    #[pin]
    cleanup: DriverWork<Gpu>,
    transport: Arc<dyn Transport>,
    /// The SoC, identified from the ID registers at probe.
    hw: &'static HwConfig,
    /// The structures the firmware found at boot (dropped before their heaps).
    boot: FwBoot,
    /// The firmware's memory: the kernel half (locked while it is snapshotted) and its heaps.
    fw: Arc<FwAllocator>,
    /// Which VM each user context slot (ASID) holds.
    #[pin]
    slots: Mutex<SlotTable>,
    dev: *mut bindings::device,
    /// The driver's ends of the 12 pipe channels, by `ChannelId::pipe_index`.
    #[pin]
    pipes: SpinLockIrq<KVec<TxChannel>>,
    #[pin]
    owners: SpinLockIrq<Owners>,
    #[pin]
    retired: SpinLockIrq<RetiredList>,
    dead: AtomicBool,
    /// Set while some queue's head job waits for room in a full pipe ring (`cleanup` retries).
    stalled: AtomicBool,
    /// GPU faults and timeouts so far (their messages are rate-limited).
    faults: AtomicU32,
    /// Unexpected firmware messages so far (rate-limited too).
    strange: AtomicU32,
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
    /// Creates the GPU state for the identified SoC `hw` and boots the firmware through
    /// `transport`, in the real order (downstream `GpuManager::init`, firmware-commands.md §7.3):
    /// start the coprocessor's CPU, build the init data, queue `Initialize` on device control,
    /// boot RTKit and its endpoints, `MSG_INIT` with the init data's address, the device-control
    /// doorbell, the kick; then wait until the firmware has consumed `Initialize`.
    pub(crate) fn new(
        transport: Arc<dyn Transport>,
        hw: &'static HwConfig,
        dev: *mut bindings::device,
    ) -> Result<Arc<Self>> {
        let ctl = transport.read32(Mmio::Asc, crate::hw::regs::CPU_CONTROL);
        transport.write32(
            Mmio::Asc,
            crate::hw::regs::CPU_CONTROL,
            ctl | crate::hw::regs::CPU_CONTROL_RUN,
        );
        let fw = FwAllocator::new(transport.clone())?;
        let mut boot = FwBoot::new(&fw, &*transport)?;
        let pipes = boot.take_pipes().ok_or(EINVAL)?;
        let gpu = Arc::pin_init(
            pin_init!(&this in Gpu {
                // SAFETY: `this` is the pinned `Gpu` being built; the work is its first field.
                cleanup <- unsafe { DriverWork::new(this.as_ptr(), lock_class!()) },
                transport,
                hw,
                boot,
                fw,
                slots <- new_mutex!(SlotTable::new(), "asahi::Gpu::slots"),
                dev,
                pipes <- SpinLockIrq::new(pipes, c_str!("asahi::Gpu::pipes"), lock_class!()),
                owners <- SpinLockIrq::new(
                    Owners {
                        wq: [core::ptr::null(); NUM_EVENTS],
                    },
                    c_str!("asahi::Gpu::owners"),
                    lock_class!(),
                ),
                retired <- SpinLockIrq::new(
                    RetiredList::new(),
                    c_str!("asahi::Gpu::retired"),
                    lock_class!(),
                ),
                dead: AtomicBool::new(false),
                stalled: AtomicBool::new(false),
                faults: AtomicU32::new(0),
                strange: AtomicU32::new(0),
                rx_drain: crate::fwlog::RxDrain::new(),
            }),
            GFP_KERNEL,
        )?;
        let boot = || -> Result {
            let init = gpu.fw.queue_device_control(
                &crate::fw::variants::g13_v13_5::DeviceControlMsg::Initialize,
            )?;
            let handler: Arc<dyn MessageHandler> = gpu.clone();
            gpu.transport.start(handler)?;
            let t = &gpu.transport;
            t.send(endpoint::FIRMWARE, init_msg(gpu.boot.layout().initdata))?;
            t.send(endpoint::DOORBELL, MSG_TX_DOORBELL | DOORBELL_DEVCTRL)?;
            t.send(endpoint::DOORBELL, MSG_TX_DOORBELL | DOORBELL_KICKFW)?;
            // The firmware's first device-control message; its consumption proves the boot.
            gpu.fw.wait_device_control(init)
        };
        if let Err(e) = boot() {
            gpu.shutdown();
            return Err(e);
        }
        Ok(gpu)
    }

    /// The SoC.
    pub(crate) fn hw(&self) -> &'static HwConfig {
        self.hw
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
                        // Under the handoff lock: the firmware reads the TTBAT under it.
                        let h = self.boot.handoff().lock()?;
                        if h.current_slot() == Some(i as u32) {
                            dev_err!(
                                &**self,
                                "binding context slot {i}, which the firmware has loaded\n"
                            );
                        }
                        // Slot `i`'s `ttb0` is the first word of its 16-byte entry.
                        self.boot
                            .ttbat()
                            .u64_at(i * 16)
                            .ok_or(EINVAL)?
                            .store(entry, Ordering::Release);
                        drop(h);
                        if old != 0 {
                            self.transport.tlb_invalidate_all(old);
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

    /// The transport.
    pub(crate) fn transport(&self) -> &Arc<dyn Transport> {
        &self.transport
    }

    /// Whether the GPU can take work (`ENODEV` once it is shut down).
    pub(crate) fn check_alive(&self) -> Result {
        if self.dead.load(Ordering::Acquire) {
            Err(ENODEV)
        } else {
            Ok(())
        }
    }

    /// Stops the GPU: the firmware stops, then every job not yet complete fails with `ENODEV`
    /// and every later submit is refused. Process context.
    pub(crate) fn shutdown(&self) {
        self.dead.store(true, Ordering::Release);
        self.transport.shutdown();
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

    /// Fails every job not yet complete with `err`. Every queue with such a job holds an event
    /// slot, so going through the slots finds them all.
    fn fail_all_jobs(&self, err: Error) {
        let _s = SignallingSection::begin();
        let mut owners = self.owners.lock();
        for slot in 0..NUM_EVENTS {
            let Some(wq) = owners.get(slot).map(core::ptr::from_ref) else {
                continue;
            };
            // SAFETY: The queue holds the slot, so it is alive until it gives the slot back
            // under this lock, which `fail_all` does last (invariant of `Owners`).
            unsafe { &*wq }.fail_all(&mut owners, err);
        }
    }

    /// Completes, on every slot, the jobs whose stamps the firmware has written, whether or not
    /// it raised their interrupt (the crash path's last look before it fails the rest). Any
    /// context.
    fn complete_reached(&self) {
        // What the firmware posted before it died (a fault it reported, completions it flagged).
        self.poll_events();
        let mut owners = self.owners.lock();
        for slot in 0..NUM_EVENTS {
            let Some(wq) = owners.get(slot).map(core::ptr::from_ref) else {
                continue;
            };
            // CAST: slots are below 128.
            let stamp = self.slot_stamp(slot as u32);
            // SAFETY: The queue holds the slot, so it is alive until it gives the slot back
            // under this lock, which `complete` does last (invariant of `Owners`).
            unsafe { &*wq }.complete(&mut owners, stamp);
        }
    }

    /// The stamp the firmware last wrote for event slot `slot`.
    fn slot_stamp(&self, slot: u32) -> EventValue {
        EventValue(self.boot.stamp(slot))
    }

    /// Waits (interruptibly) for an event slot to become free, or the GPU to die. Slots are
    /// held by queues with work, which completes or times out, so the wait ends. Process
    /// context.
    fn wait_for_event_slot(&self) -> Result {
        loop {
            self.check_alive()?;
            if self.owners.lock().wq.iter().any(|p| p.is_null()) {
                return Ok(());
            }
            if kernel::current!().signal_pending() {
                return Err(ERESTARTSYS);
            }
            // SAFETY: Plain sleep in process context.
            unsafe { bindings::msleep(1) };
        }
    }

    /// A queue's head job found its pipe ring full: `cleanup` kicks stalled queues again after
    /// a short pause. Any context.
    fn retry_stalled(&self) {
        self.stalled.store(true, Ordering::Release);
        self.cleanup.queue();
    }

    /// Kicks every queue whose head job waits for room in a pipe ring (from `cleanup`).
    fn kick_stalled(&self) {
        if !self.stalled.swap(false, Ordering::AcqRel) {
            return;
        }
        // Give the firmware a moment to consume its rings.
        // SAFETY: Plain sleep in process context (the GPU's worker).
        unsafe { bindings::msleep(1) };
        let owners = self.owners.lock();
        for slot in 0..NUM_EVENTS {
            if let Some(wq) = owners.get(slot) {
                if wq.is_stalled() {
                    wq.kick();
                }
            }
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
    pub(crate) fn crash_firmware(&self) -> Result {
        self.transport.crash()
    }

    /// Puts a finished job on the retired list, which `cleanup` releases in process context.
    /// Any context; never fails or allocates (the list is intrusive). Every caller queues
    /// `cleanup` once when it is done (the interrupt handler, the failure paths), not per job.
    fn retire(&self, job: JobRef) {
        self.retired.lock().push(job);
    }
}

impl MessageHandler for Gpu {
    /// The RX doorbell ("poll the rings", downstream `recv_message`): the event channel is
    /// drained here (completions and errors, any context), the log, trace and stats channels by
    /// `cleanup` in process context. Anything else is logged (rate-limited) and ignored.
    fn recv_message(&self, ep: u8, msg: u64) {
        if ep == endpoint::FIRMWARE && msg == crate::fw::channels::MSG_RX_DOORBELL {
            self.poll_events();
            self.cleanup.queue();
        } else {
            let n = self.strange.fetch_add(1, Ordering::Relaxed);
            if n < 10 {
                dev_err!(
                    self,
                    "unknown firmware message {:#x} on endpoint {:#x}\n",
                    msg,
                    ep
                );
            }
        }
    }

    /// RTKit's buffers go into the kernel half's window for memory the driver maps but does not
    /// own (the one user timestamp buffers use; a crash dump copies nothing from it).
    fn shmem_map(&self, phys: u64, size: usize) -> Result<u64> {
        use crate::pages::GPU_PAGE_SIZE;
        // CAST: `usize` is at most 64 bits.
        let size = size as u64;
        if size == 0 || phys % GPU_PAGE_SIZE != 0 {
            dev_err!(
                self,
                "RTKit buffer at {:#x} ({:#x} bytes) is not GPU-page aligned: not mapped\n",
                phys,
                size
            );
            return Err(EINVAL);
        }
        let pages = size.div_ceil(GPU_PAGE_SIZE);
        self.fw
            .kernel_half()
            .map_timestamps(pages, (0..pages).map(|i| phys + i * GPU_PAGE_SIZE))
    }

    fn shmem_unmap(&self, iova: u64, size: usize) {
        // CAST: `usize` is at most 64 bits.
        let pages = (size as u64).div_ceil(crate::pages::GPU_PAGE_SIZE);
        // RTKit frees its buffers when the coprocessor is stopped or dead; the addresses are
        // not reused while a running firmware might still write back to them.
        let reusable = self.dead.load(Ordering::Acquire);
        self.fw
            .kernel_half()
            .unmap_timestamps(iova, pages, &*self.transport, reusable);
    }

    /// The firmware crashed: refuse new work, snapshot the firmware's memory, fail every job
    /// (after the snapshot, so the dump shows the state the jobs were in), then publish the
    /// dump. A dump that cannot be made (out of memory) is dropped; the jobs are failed
    /// regardless.
    fn crashed(&self, crashlog: &[u8]) {
        let signalling = SignallingSection::begin();
        self.dead.store(true, Ordering::Release);
        dev_err!(
            self,
            "firmware crashed: GPU is dead until the driver is reloaded\n"
        );
        let snapshot = {
            let fw = self.fw.kernel_half();
            Snapshot::take(&fw, self.boot.layout().initdata, self.hw, crashlog)
        };
        // Work the firmware finished (its stamp written, its fault reported) before it died
        // succeeds or fails as it did, even if the interrupt saying so never came; only what did
        // not finish fails with ENODEV.
        self.complete_reached();
        self.fail_all_jobs(ENODEV);
        drop(signalling);
        self.cleanup.queue();
        // Registering the dump allocates with GFP_KERNEL (the device core's sysfs objects), so
        // it happens after the jobs are failed, outside the signalling path; the dump already
        // holds the state from before.
        match snapshot {
            Ok(s) => {
                dev_err!(
                    self,
                    "crash dump: {} bytes in /sys/class/devcoredump\n",
                    s.size()
                );
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
                None => break,
            }
        }
        self.kick_stalled();
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
                dev_err!(
                    &*self.gpu,
                    "FwCtl flush of a timestamp buffer failed: {:?}\n",
                    e
                );
                false
            }
        };
        self.gpu
            .fw
            .kernel_half()
            .unmap_timestamps(self.va, pages, &*self.gpu.transport, reusable);
        let _ = &self.obj;
    }
}
