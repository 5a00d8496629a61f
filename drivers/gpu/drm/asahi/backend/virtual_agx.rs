// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The virtual AGX: an in-kernel model of AGX firmware, the default backend when no Apple GPU
//! is present.
//!
//! It presents itself as an M1 (`t8103`, G13G). Like AGX firmware it is driven through
//! channel rings in its memory and doorbells:
//!
//! - a pipe doorbell (vertex, fragment, compute × 4 priorities) makes it consume the
//!   `RunWorkQueue` messages on that pipe, each naming a queue's `QueueInfo` and the new write
//!   index of its command ring; it adds them to its run list (in the caller's context, as the
//!   real firmware accepts messages at once and schedules later);
//! - its "firmware core", a work item, takes queues off the run list in order and runs each
//!   queue's commands from the ring's firmware read index (`RingState::gpu_rptr`, which it
//!   advances) up to the announced write index: it reads each run command
//!   (`fw::job::VirtualRunCommand`, which the driver wrote in the firmware-private heap) and runs
//!   its *virtual control stream* (below). With one core, a queue's commands run in ring order
//!   whatever their unit, which honours every barrier of the uAPI;
//! - the FwCtl doorbell makes it drop what it cached of a range of kernel memory (it caches no
//!   kernel-half data, so it logs and acknowledges);
//! - the device-control doorbell makes it handle `Initialize` and `DestroyContext` (drop the
//!   context's queued runs, stop its commands after the one running, and acknowledge; context
//!   0xff is a cache flush) by advancing the channel's read index.
//!
//! It reads messages, queues, rings and commands only through the kernel half's page tables,
//! and the memory a command names only by walking the page tables of the command's address
//! space (the same UAT format the hardware walks, through the shared `fw::pgtable` engine): a
//! missing or wrongly-permissioned page is a GPU fault, never a silent access. When a job's last
//! command completes it writes the slot's stamp in the event page, marks the slot fired and
//! raises its interrupt, which calls the driver's handler in hard-IRQ context (`irq_work`).
//!
//! At boot it finds its runtime structures by reading the init data through the kernel half's
//! page tables, and it posts a Flag message on the event channel ring for every completion (the
//! driver consumes the ring; the ring state is what a crash dump shows). Like real firmware it
//! writes a firmware log (boot, faults, context destruction, cache flushes, crash), a
//! kernel-trace record per unit of work started and completed, and utilization statistics to
//! the FwLog, KTrace and Stats rings, and interrupts so that the driver drains them (see
//! [`rx`]). It crashes on demand
//! (debugfs `crash_firmware`) and when its own invariants are violated (a message or ring names
//! no queue or run command in firmware memory, or a command names an address space whose
//! page-table root is not a table in RAM): it stops, and reports the crash with a crash log.
//!
//! Translations are cached in a small TLB (256 entries, 4-way set associative, keyed by page-table
//! root and GPU page, for user address spaces and the kernel half alike; see [`tlb`]): a
//! translation the driver changes or removes stays in use until the driver invalidates it
//! through [`Backend::tlb_invalidate`] or [`Backend::tlb_invalidate_all`], as on the hardware. A
//! walk happens only on a miss; a fault (missing entry) is never cached, a permission fault is
//! checked against the cached permissions.
//!
//! A fault is reported through the event page's fault mailbox with the fault register encoding
//! (address, unit, read/write, level); the firmware waits for the mailbox to be free, then
//! continues with the next work, as AGX firmware does after a recoverable fault.
//!
//! # Virtual control stream
//!
//! A stream is a sequence of 32-byte ops at a GPU address, ended by `END` or after
//! [`stream::MAX_OPS`] ops. Each op is `{ u32 opcode, u32 pad, u64 a, u64 b, u64 c }`, little endian:
//!
//! | opcode | name | effect |
//! |---|---|---|
//! | 0 | `END` | end of stream |
//! | 1 | `WRITE32` | `*(u32 *)a = b` |
//! | 2 | `WRITE64` | `*(u64 *)a = b` |
//! | 3 | `COPY` | copy `c` bytes from `b` to `a` (at most 1 MiB) |
//! | 4 | `FILL` | fill `c` bytes at `a` with the byte `b` (at most 1 MiB) |
//! | 5 | `DELAY` | busy the unit for `c` microseconds (at most 100 ms) |
//! | 6 | `READ32` | read `*(u32 *)a` and discard it (to fault on purpose) |
//!
//! An unknown opcode or an oversize op faults the work (unit: the work's unit). A unit of work
//! that runs longer than [`stream::WORK_TIMEOUT_MS`] of wall-clock time, whatever it does, is stopped
//! and reported as timed out (the fault mailbox with kind `FAULT_KIND_TIMEOUT`, as real firmware
//! reports a timeout event for the work's event slot); the firmware then goes on with the next
//! work, so one client cannot hold the GPU.
//!
//! # Locks
//!
//! `queue`, `handler` and `tlb` are irq-safe spinlocks, each a leaf: nothing else is taken while
//! one is held. `tlb` is taken by the firmware core for every translation and by invalidations
//! in any context (the driver's are under `Vm::inner` or `Gpu::fw`).

mod control;
mod memory;
mod stream;
mod tlb;

use super::{event_page, Backend, IrqHandler};
use crate::fw::channels::{EventMsg, RawEventMsg};
use crate::fw::channels::{FwCtlMsg, NUM_PIPES};
use crate::fw::event::FlagBitmask;
use crate::fw::job::RingState;
use crate::fw::job::{CommandType, VirtualRunCommand};
use crate::fw::pgtable::TablePhys;
use crate::fw::uat;
use crate::fw::variants::g13_v13_5::{RawDeviceControlMsg, RunWorkQueueMsg};
use crate::fwmem::{
    offsets, FwLayout, DEVCTRL_RING_ENTRIES, EVENT_RING_ENTRIES, FWCTL_RING_ENTRIES,
    PIPE_RING_ENTRIES,
};
use crate::hw::{self, HwConfig};
use crate::kernel_ext::spinlock_irq::{lock_class, SpinLockIrq};
use crate::kernel_ext::work::{DriverWork, IrqWork, WorkHandler};
use crate::pages::{shared_u32, shared_u64};
use crate::ring::Ring;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use kernel::c_str;
use kernel::new_mutex;
use kernel::sync::Mutex;
use memory::{consume_ring, PhysMem, Space};
use stream::Abort;
use tlb::Tlb;

mod rx;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Arc;

/// debugfs `fw_stall_pipes`: while non-zero, the firmware ignores pipe doorbells (a firmware
/// busy elsewhere, as real firmware may be), so that `RunWorkQueue` messages pile up in the pipe
/// rings until they are full. Doorbells after it is cleared consume what waits.
pub(crate) static PIPE_STALL: AtomicU32 = AtomicU32::new(0);

/// Depth of the firmware's run list: one entry per `RunWorkQueue` message not yet handled, at
/// most one per job in flight (every slot's maximum).
const QUEUE_DEPTH: usize = 128 * 127;

/// One `RunWorkQueue` message the firmware accepted: run queue `queue_info`'s commands up to
/// `wptr`.
#[derive(Clone, Copy)]
struct QueueRun {
    /// Firmware address of the queue's `QueueInfo`.
    queue_info: u64,
    /// Write index of the queue's command ring the message announced.
    wptr: u32,
    /// The queue's `GpuContextData` (what `DestroyContext` names).
    context: u64,
}
/// GPU page size.
const PAGE: u64 = 0x4000;

/// Fault unit codes reported for each kind of command (as the G13 unit table names them: VDM,
/// ISP and CDM cores).
fn unit_code(tag: CommandType) -> u8 {
    match tag {
        CommandType::RunVertex => 0x10,
        CommandType::RunFragment => 0x40,
        _ => 0x20,
    }
}

/// A command as the firmware core read it.
struct Work {
    slot: u32,
    stamp: u32,
    complete: bool,
    /// The page-table root of the command's context slot, from the TTBAT (0: none).
    ttb: u64,
    tag: CommandType,
    stream: u64,
    ts_start: u64,
    ts_end: u64,
}

/// The firmware's state shared between the doorbell, the firmware core and the interrupt.
#[pin_data]
struct Firmware {
    // Work items drop first, in this order: the crash report (which waits for the core), the
    // core (which raises the interrupt), then the interrupt.
    #[pin]
    crash_work: DriverWork<CrashLine>,
    #[pin]
    core: DriverWork<Firmware>,
    #[pin]
    irq: IrqWork<IrqLine>,
    #[pin]
    queue: SpinLockIrq<Ring<QueueRun>>,
    #[pin]
    handler: SpinLockIrq<Option<Arc<dyn IrqHandler>>>,
    /// Cached translations of every address space.
    #[pin]
    tlb: SpinLockIrq<Tlb>,
    /// The FwLog, KTrace and Stats rings (a leaf lock: nothing is taken under it).
    #[pin]
    rx: SpinLockIrq<rx::RxRings>,
    event_page: AtomicU64,
    /// The kernel half's page-table root.
    ttb1: AtomicU64,
    /// Physical address of the driver's TTBAT (context slot → page-table roots).
    ttbat: AtomicU64,
    /// Physical addresses of the event channel's state and ring, found at boot by walking the
    /// init data through the kernel half's page tables.
    event_state: AtomicU64,
    event_ring: AtomicU64,
    running: AtomicBool,
    crashed: AtomicBool,
    /// Work units completed (for the crash log).
    completed: AtomicU64,
    /// Cache flushes the driver asked for (for the crash log).
    cache_flushes: AtomicU64,
    /// Context (`GpuContextData` address) of the work the core is running (0 when idle).
    current_context: AtomicU64,
    /// Context being destroyed: the core stops running its commands (0: none).
    abort_context: AtomicU64,
    /// Physical addresses of the pipe channels' states and rings, found at boot, by
    /// `ChannelId::pipe_index`.
    pipe_state: [AtomicU64; NUM_PIPES],
    pipe_ring: [AtomicU64; NUM_PIPES],
    /// Physical addresses of the FwCtl channel's state and ring, found at boot.
    fwctl_state: AtomicU64,
    fwctl_ring: AtomicU64,
    /// Range flushes handled (for the crash log).
    range_flushes: AtomicU64,
    /// Physical addresses of the device-control channel's state and ring, found at boot.
    dc_state: AtomicU64,
    dc_ring: AtomicU64,
    /// Serialises device-control processing.
    #[pin]
    dc_lock: Mutex<()>,
    /// Why the firmware crashed (an index into `CRASH_REASONS`).
    crash_reason: AtomicU32,
    line: IrqLine,
    crash_line: CrashLine,
}

/// Crash reasons, as the crash log states them.
const CRASH_REASONS: [&str; 3] = [
    "crash requested (debugfs crash_firmware)",
    "firmware assertion: work names a context slot whose TTBAT entry is not a page table in RAM",
    "firmware assertion: a RunWorkQueue message or queue ring names no queue or run command in firmware memory",
];

/// What the crash work item runs.
struct CrashLine {
    fw: *const Firmware,
}

// SAFETY: As for `IrqLine`.
unsafe impl Send for CrashLine {}
// SAFETY: As for `IrqLine`.
unsafe impl Sync for CrashLine {}

impl WorkHandler for CrashLine {
    /// Reports the crash to the driver once the core has stopped, in process context.
    fn run(&self) {
        // SAFETY: See the `Send` impl of `IrqLine`.
        let fw = unsafe { &*self.fw };
        fw.core.flush();
        fw.irq.sync();
        let mut log = [0u8; 256];
        let mut w = LogWriter {
            buf: &mut log,
            len: 0,
        };
        let _ = core::fmt::Write::write_fmt(
            &mut w,
            format_args!(
                "virtual AGX firmware crash\nreason: {}\nwork completed: {}\nwork queued: {}\n\
                 cache flushes: {}\ntlb entries: {}\n",
                CRASH_REASONS
                    .get(fw.crash_reason.load(Ordering::Relaxed) as usize)
                    .unwrap_or(&"?"),
                fw.completed.load(Ordering::Relaxed),
                fw.queue.lock().len(),
                fw.cache_flushes.load(Ordering::Relaxed),
                fw.tlb.lock().len()
            ),
        );
        let _ = core::fmt::Write::write_fmt(
            &mut w,
            format_args!("log entries dropped: {}\n", fw.rx.lock().dropped()),
        );
        let len = w.len;
        let handler = fw.handler.lock().clone();
        if let Some(h) = handler {
            h.crashed(&log[..len]);
        }
    }
}

/// Formats into a fixed buffer, truncating.
struct LogWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl core::fmt::Write for LogWriter<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let room = self.buf.len() - self.len;
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// The interrupt line: what the hard-IRQ work calls.
struct IrqLine {
    fw: *const Firmware,
}

// SAFETY: `fw` points to the pinned `Firmware` containing this line, which outlives it.
unsafe impl Send for IrqLine {}
// SAFETY: As above; `Firmware` is `Sync`.
unsafe impl Sync for IrqLine {}

impl WorkHandler for IrqLine {
    fn run(&self) {
        // SAFETY: See the `Send` impl.
        let fw = unsafe { &*self.fw };
        if !fw.running.load(Ordering::Acquire) {
            return;
        }
        // Hard-IRQ context: take a reference to the handler and call it outside the lock. The
        // stored reference outlives this clone (shutdown syncs this work before dropping it).
        let handler = fw.handler.lock().clone();
        if let Some(h) = handler {
            h.handle_irq();
        }
    }
}

impl Firmware {
    /// Writes a firmware log line at `level` and asks the driver to drain it.
    fn log(&self, level: usize, args: core::fmt::Arguments<'_>) {
        self.rx.lock().log(level, args);
        if self.running.load(Ordering::Acquire) {
            self.irq.raise();
        }
    }

    /// Writes the KTrace record of `work` with `code`, and counts completions for the stats.
    fn trace_work(&self, code: u8, work: &Work) {
        let mut rx = self.rx.lock();
        let args = [
            u64::from(work.slot),
            u64::from(work.stamp),
            u64::from(unit_code(work.tag)),
            work.stream,
        ];
        rx.ktrace(code, args);
        if code == rx::KTRACE_WORK_END {
            rx.work_done();
        }
    }

    fn event_u32(&self, offset: usize) -> &AtomicU32 {
        let pa = self.event_page.load(Ordering::Acquire);
        // SAFETY: The event page is a driver-owned RAM page set at boot, alive until shutdown
        // (the driver frees it only after `shutdown` returns); offsets are within the page and
        // aligned.
        unsafe { shared_u32(pa + offset as u64) }
    }

    fn event_u64(&self, offset: usize) -> &AtomicU64 {
        let pa = self.event_page.load(Ordering::Acquire);
        // SAFETY: As in `event_u32`.
        unsafe { shared_u64(pa + offset as u64) }
    }

    /// Marks `slot` fired, posts a Flag message on the event channel and interrupts.
    fn fire(&self, slot: u32) {
        self.event_u32(event_page::FIRED + (slot as usize / 32) * 4)
            .fetch_or(1 << (slot % 32), Ordering::AcqRel);
        self.post_flag(slot);
        self.irq.raise();
    }

    /// Appends a Flag event to the event channel ring (dropped when the ring is full, as the
    /// driver also reads the fired mask).
    fn post_flag(&self, slot: u32) {
        let (state, ring) = (
            self.event_state.load(Ordering::Acquire),
            self.event_ring.load(Ordering::Acquire),
        );
        if state == 0 || ring == 0 {
            return;
        }
        if PhysMem::ptr(state, 0x30).is_none() {
            return;
        }
        // SAFETY: Both are aligned `u32`s of the firmware's channel state page (RAM, checked).
        let (wp, rp) = unsafe {
            (
                shared_u32(state + offsets::STATE_WRITE_PTR as u64),
                shared_u32(state + offsets::STATE_READ_PTR as u64),
            )
        };
        let w = wp.load(Ordering::Acquire);
        let next = (w + 1) % EVENT_RING_ENTRIES;
        if next == rp.load(Ordering::Acquire) {
            return;
        }
        let msg = EventMsg::Flag {
            firing: FlagBitmask::default().with(slot),
            unk_14: 0,
        }
        .encode();
        let size = core::mem::size_of::<RawEventMsg>();
        if let Some(p) = PhysMem::ptr(ring + u64::from(w) * size as u64, size) {
            let bytes = crate::fw::plain::bytes_of(&msg);
            // SAFETY: `p` is a ring entry of `size` bytes in the firmware's ring page (RAM).
            unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), p, size) };
            wp.store(next, Ordering::Release);
        }
    }

    /// Crashes the firmware for `reason` (an index into `CRASH_REASONS`): stops it and reports
    /// the crash from a work item. Only the first call counts.
    fn request_crash(&self, reason: u32) {
        if self.crashed.swap(true, Ordering::AcqRel) {
            return;
        }
        self.crash_reason.store(reason, Ordering::Release);
        self.rx.lock().log(
            rx::ERROR,
            format_args!(
                "firmware crash: {}",
                CRASH_REASONS.get(reason as usize).unwrap_or(&"?")
            ),
        );
        self.running.store(false, Ordering::Release);
        self.crash_work.queue();
    }

    /// Writes the current time (ns) at firmware address `va` (a timestamp buffer), through the
    /// kernel half's page tables.
    fn timestamp(&self, va: u64) {
        if va == 0 {
            return;
        }
        let Some(space) = Space::new_kernel(self.ttb1.load(Ordering::Acquire), &self.tlb) else {
            return;
        };
        // CAST: the monotonic clock is non-negative.
        let now = kernel::time::Ktime::ktime_get().to_ns() as u64;
        let _ = space.write(va, &now.to_le_bytes());
    }

    /// The page-table root the TTBAT names for user context slot `slot` (0 if the slot is not a
    /// user slot or its entry is not valid for it).
    fn slot_ttb(&self, slot: u32) -> u64 {
        if slot < uat::FIRST_USER_CONTEXT || slot as usize >= uat::NUM_CONTEXTS {
            return 0;
        }
        let at = self.ttbat.load(Ordering::Acquire) + u64::from(slot) * 16;
        let Some(p) = PhysMem::ptr(at, 8) else {
            return 0;
        };
        // SAFETY: `p` is the slot's aligned `ttb0` word in the driver's TTBAT page (RAM).
        let entry = unsafe { AtomicU64::from_ptr(p.cast()) }.load(Ordering::Acquire);
        match uat::decode_ttbat_entry(entry) {
            Some((base, s)) if s == slot => base,
            _ => 0,
        }
    }

    /// Reads the run command at `va` of queue context `context`, through the kernel half's
    /// page tables.
    fn read_command(&self, space: &Space<'_>, va: u64, context: u64) -> Option<Work> {
        let size = core::mem::size_of::<VirtualRunCommand>();
        let p = space.translate(va, size, false).ok()?;
        // SAFETY: `p` covers `size` readable bytes of RAM; the command is plain data the
        // driver wrote before publishing it in the queue's ring.
        let c = unsafe { p.cast::<VirtualRunCommand>().read_unaligned() };
        let tag = CommandType::from_u32(c.tag)?;
        if !matches!(
            tag,
            CommandType::RunVertex | CommandType::RunFragment | CommandType::RunCompute
        ) || c.gpu_context.va() != context
        {
            return None;
        }
        Some(Work {
            slot: c.event_slot,
            stamp: c.stamp_value,
            complete: c.flags & VirtualRunCommand::FLAG_COMPLETE != 0,
            ttb: self.slot_ttb(c.vm_slot),
            tag,
            stream: c.stream.va(),
            ts_start: c.ts_start.va(),
            ts_end: c.ts_end.va(),
        })
    }

    /// Consumes the `RunWorkQueue` messages on pipe `pipe` into the run list (the caller's
    /// context: the driver's doorbell; any context, allocates nothing). A message naming no
    /// queue in firmware memory, or a full run list, is a firmware crash.
    fn consume_pipe(&self, pipe: usize) {
        if PIPE_STALL.load(Ordering::Relaxed) != 0 {
            return;
        }
        let (Some(state), Some(ring)) = (self.pipe_state.get(pipe), self.pipe_ring.get(pipe))
        else {
            return;
        };
        let (state, ring) = (state.load(Ordering::Acquire), ring.load(Ordering::Acquire));
        let Some(space) = Space::new_kernel(self.ttb1.load(Ordering::Acquire), &self.tlb) else {
            return;
        };
        let idx = (offsets::STATE_READ_PTR, offsets::STATE_WRITE_PTR);
        let mut q = self.queue.lock();
        let mut broken = false;
        consume_ring(
            state,
            idx,
            ring,
            PIPE_RING_ENTRIES,
            |msg: RunWorkQueueMsg| {
                let qi = msg.work_queue.va();
                let context = space.read_u64(qi + offsets::QUEUE_INFO_GPU_CONTEXT as u64);
                let run = context.ok().map(|context| QueueRun {
                    queue_info: qi,
                    wptr: msg.wptr,
                    context,
                });
                broken = !matches!(run.map(|run| q.push(run)), Some(Ok(())));
                !broken
            },
        );
        drop(q);
        if broken {
            self.request_crash(2);
        } else {
            self.core.queue();
        }
    }

    /// Runs queue `run.queue_info`'s commands from the firmware's read index up to `run.wptr`,
    /// advancing the read index (`RingState::gpu_rptr`) after each. Stops early if the queue's
    /// context is being destroyed. `Err` is a firmware crash reason.
    fn run_queue(&self, run: &QueueRun) -> Result<(), u32> {
        let space = Space::new_kernel(self.ttb1.load(Ordering::Acquire), &self.tlb).ok_or(2u32)?;
        let qi = run.queue_info;
        let state = space
            .read_u64(qi + offsets::QUEUE_INFO_STATE as u64)
            .map_err(|_| 2u32)?;
        let ring = space
            .read_u64(qi + offsets::QUEUE_INFO_RING as u64)
            .map_err(|_| 2u32)?;
        let rptr_va = state + RingState::GPU_RPTR_OFFSET as u64;
        let size_va = state + core::mem::offset_of!(RingState, rb_size) as u64;
        let rb_size = space.read_u32(size_va).map_err(|_| 2u32)?;
        if rb_size == 0 || rb_size > 0x10000 || run.wptr >= rb_size {
            return Err(2);
        }
        let mut rptr = space.read_u32(rptr_va).map_err(|_| 2u32)? % rb_size;
        while rptr != run.wptr && self.running.load(Ordering::Acquire) {
            if self.abort_context.load(Ordering::Acquire) == run.context {
                return Ok(());
            }
            let cmd = space
                .read_u64(ring + u64::from(rptr) * 8)
                .map_err(|_| 2u32)?;
            // Firmware invariant: a queue's ring names run commands in firmware memory.
            let work = self.read_command(&space, cmd, run.context).ok_or(2u32)?;
            // Firmware invariant: every work's address space is a page table in RAM (the
            // driver only ever names its own). Real firmware asserts and dies on such
            // corruption; so does this model.
            let root_ok = TablePhys::new(work.ttb).is_some() && PhysMem::ptr(work.ttb, 8).is_some();
            if !root_ok {
                return Err(1);
            }
            self.timestamp(work.ts_start);
            self.trace_work(rx::KTRACE_WORK_START, &work);
            match self.run_stream(&work) {
                Ok(()) => {}
                Err(Abort::Fault(f)) => self.report_fault(&work, Some(&f)),
                Err(Abort::Timeout) => self.report_fault(&work, None),
            }
            self.timestamp(work.ts_end);
            self.trace_work(rx::KTRACE_WORK_END, &work);
            self.completed.fetch_add(1, Ordering::Relaxed);
            rptr = (rptr + 1) % rb_size;
            let _ = space.write(rptr_va, &rptr.to_le_bytes());
            if work.complete {
                self.event_u32(event_page::STAMPS + work.slot as usize * 4)
                    .store(work.stamp, Ordering::Release);
                self.fire(work.slot);
            }
        }
        Ok(())
    }
}

impl WorkHandler for Firmware {
    /// The firmware core: runs the queues the pipes announced, in the order it accepted them.
    fn run(&self) {
        while self.running.load(Ordering::Acquire) {
            let run = {
                let mut q = self.queue.lock();
                let r = q.pop();
                // Published under the queue lock, so `destroy_context` sees either the run
                // queued or the core running it.
                self.current_context
                    .store(r.map_or(0, |r| r.context), Ordering::Release);
                r
            };
            let Some(run) = run else {
                return;
            };
            let r = self.run_queue(&run);
            self.current_context.store(0, Ordering::Release);
            if let Err(reason) = r {
                self.request_crash(reason);
                return;
            }
        }
    }
}

/// The virtual AGX backend.
pub(crate) struct VirtualAgx {
    hw: &'static HwConfig,
    fw: Pin<KBox<Firmware>>,
}

impl VirtualAgx {
    /// Creates the model of an M1 GPU (not yet booted).
    pub(crate) fn new() -> Result<Self> {
        let queue = Ring::new(QUEUE_DEPTH)?;
        let tlb = Tlb::new()?;
        let fw = KBox::pin_init(
            pin_init!(&this in Firmware {
                // SAFETY: `this` is the pinned address of the `Firmware` being built, and the
                // work items are its first fields.
                crash_work <- unsafe {
                    DriverWork::new(&raw const (*this.as_ptr()).crash_line, lock_class!())
                },
                // SAFETY: As above.
                core <- unsafe { DriverWork::new(this.as_ptr(), lock_class!()) },
                // SAFETY: `line` lives inside the same pinned `Firmware`.
                irq <- unsafe {
                    IrqWork::new(&raw const (*this.as_ptr()).line)
                },
                queue <- SpinLockIrq::new(queue, c_str!("asahi::vagx::queue"), lock_class!()),
                handler <- SpinLockIrq::new(None, c_str!("asahi::vagx::handler"), lock_class!()),
                tlb <- SpinLockIrq::new(tlb, c_str!("asahi::vagx::tlb"), lock_class!()),
                rx <- SpinLockIrq::new(rx::RxRings::new(), c_str!("asahi::vagx::rx"), lock_class!()),
                event_page: AtomicU64::new(0),
                ttb1: AtomicU64::new(0),
                ttbat: AtomicU64::new(0),
                event_state: AtomicU64::new(0),
                event_ring: AtomicU64::new(0),
                running: AtomicBool::new(false),
                crashed: AtomicBool::new(false),
                completed: AtomicU64::new(0),
                cache_flushes: AtomicU64::new(0),
                current_context: AtomicU64::new(0),
                abort_context: AtomicU64::new(0),
                pipe_state: [const { AtomicU64::new(0) }; NUM_PIPES],
                pipe_ring: [const { AtomicU64::new(0) }; NUM_PIPES],
                fwctl_state: AtomicU64::new(0),
                fwctl_ring: AtomicU64::new(0),
                range_flushes: AtomicU64::new(0),
                dc_state: AtomicU64::new(0),
                dc_ring: AtomicU64::new(0),
                dc_lock <- new_mutex!((), "asahi::vagx::dc_lock"),
                crash_reason: AtomicU32::new(0),
                line: IrqLine { fw: this.as_ptr() },
                crash_line: CrashLine { fw: this.as_ptr() },
            }),
            GFP_KERNEL,
        )?;
        Ok(Self {
            hw: &hw::t8103::HWCONFIG,
            fw,
        })
    }

    /// A doorbell: the firmware consumes a ring with `consume`, if it is running (`ENODEV`
    /// once it crashed or shut down).
    fn ring_doorbell(&self, consume: impl FnOnce(&Firmware)) -> Result {
        if !self.fw.running.load(Ordering::Acquire) {
            return Err(ENODEV);
        }
        consume(&self.fw);
        Ok(())
    }
}

impl Backend for VirtualAgx {
    fn name(&self) -> &'static CStr {
        c_str!("virtual")
    }

    fn hw(&self) -> &'static HwConfig {
        self.hw
    }

    fn boot(&self, layout: FwLayout, irq: Arc<dyn IrqHandler>) -> Result {
        // Like the firmware at boot: find the runtime structures from the init data, reading
        // only through the kernel half's page tables.
        let space = Space::new_kernel(layout.ttb1, &self.fw.tlb).ok_or(EINVAL)?;
        let rp = space
            .read_u64(layout.initdata + offsets::INITDATA_RUNTIME_POINTERS as u64)
            .map_err(|_| EIO)?;
        let ring_len = |entries: u32, msg: usize| entries as usize * msg;
        let (state, ring) = space.find_ring(
            rp + offsets::RUNTIME_EVENT as u64,
            0x30,
            ring_len(EVENT_RING_ENTRIES, core::mem::size_of::<RawEventMsg>()),
        )?;
        let (dc_state, dc_ring) = space.find_ring(
            rp + offsets::RUNTIME_DEVCTRL as u64,
            0x30,
            ring_len(
                DEVCTRL_RING_ENTRIES,
                core::mem::size_of::<RawDeviceControlMsg>(),
            ),
        )?;
        let pipe_size = ring_len(PIPE_RING_ENTRIES, core::mem::size_of::<RunWorkQueueMsg>());
        for i in 0..NUM_PIPES {
            // `RuntimePointers::pipes` is 4 priorities × (vertex, fragment, compute), each a
            // `ChannelRing { state, ring }`, the order of `ChannelId::pipe_index`.
            let at = rp + offsets::RUNTIME_PIPES as u64 + i as u64 * 16;
            let (state, ring) = space.find_ring(at, 0x30, pipe_size)?;
            if let (Some(s), Some(r)) = (self.fw.pipe_state.get(i), self.fw.pipe_ring.get(i)) {
                s.store(state, Ordering::Release);
                r.store(ring, Ordering::Release);
            }
        }
        let fs = space
            .read_u64(layout.initdata + offsets::INITDATA_FW_STATUS as u64)
            .map_err(|_| EIO)?;
        let (fwctl_state, fwctl_ring) = space.find_ring(
            fs + offsets::FW_STATUS_FWCTL as u64,
            0x20,
            ring_len(FWCTL_RING_ENTRIES, core::mem::size_of::<FwCtlMsg>()),
        )?;
        let event_page = space.phys(layout.event_page, 0x400).ok_or(EIO)?;
        if event_page != layout.event_page_phys {
            return Err(EIO);
        }
        let rings = rx::RxRings::find(&space, rp).ok_or(EIO)?;
        *self.fw.handler.lock() = Some(irq);
        self.fw.event_page.store(event_page, Ordering::Release);
        self.fw.ttb1.store(layout.ttb1, Ordering::Release);
        self.fw.ttbat.store(layout.ttbat, Ordering::Release);
        self.fw.event_state.store(state, Ordering::Release);
        self.fw.event_ring.store(ring, Ordering::Release);
        self.fw.fwctl_state.store(fwctl_state, Ordering::Release);
        self.fw.fwctl_ring.store(fwctl_ring, Ordering::Release);
        self.fw.dc_state.store(dc_state, Ordering::Release);
        self.fw.dc_ring.store(dc_ring, Ordering::Release);
        self.fw.running.store(true, Ordering::Release);
        *self.fw.rx.lock() = rings;
        self.fw
            .log(rx::INFO, format_args!("virtual AGX firmware 13.5 booted"));
        Ok(())
    }

    fn doorbell_pipe(&self, pipe: usize) -> Result {
        self.ring_doorbell(|fw| fw.consume_pipe(pipe))
    }

    fn doorbell_fwctl(&self) -> Result {
        self.ring_doorbell(|fw| fw.fwctl())
    }

    fn doorbell_device_control(&self) -> Result {
        self.ring_doorbell(|fw| fw.device_control())
    }

    fn tlb_invalidate(&self, ttb: u64, va: u64, size: u64) {
        self.fw.tlb.lock().invalidate_range(ttb, va, size);
    }

    fn tlb_invalidate_all(&self, ttb: u64) {
        self.fw.tlb.lock().invalidate_all(ttb);
    }

    fn crash(&self) {
        self.fw.request_crash(0);
    }

    fn shutdown(&self) {
        self.fw.running.store(false, Ordering::Release);
        self.fw.crash_work.flush();
        self.fw.core.flush();
        self.fw.irq.sync();
        // No more log, trace or stats writes: the driver may free the rings after this.
        self.fw.rx.lock().disable();
        let handler = self.fw.handler.lock().take();
        drop(handler);
    }
}
