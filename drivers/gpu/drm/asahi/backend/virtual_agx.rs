// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The virtual AGX: a model of an AGX's hardware interface, the default transport when no
//! Apple GPU is present.
//!
//! It models what real silicon and firmware present to the driver, through [`Transport`] only
//! (see [`crate::backend`]):
//!
//! - **the bootloader** ([`bootloader`], m1n1's role): before probe it reserves the `ttbs`
//!   region (the TTBAT, whose physical address the GPU is configured with) that the driver
//!   fills, and the `handoff` region in its handed-over state, as a bootloader hands them over;
//! - **the handoff** ([`handoff`]): when its CPU starts the firmware publishes its magic in the
//!   handoff region; at `MSG_INIT` it checks the driver's (crashing, with the reason in its
//!   crash log, when it is wrong); it reads TTBAT entries and completes range flushes under the
//!   handoff lock it shares with the driver;
//! - **a register file** ([`regs`]) behind the `asc` and `sgx` MMIO ranges: the ID registers
//!   and core mask of an M1 (`t8103`, G13G C0), the coprocessor's `CPU_CONTROL`, and the fault
//!   register, latched on every GPU fault;
//! - **an RTKit coprocessor** ([`rtkit`]): it starts only once `CPU_CONTROL`'s run bit is set,
//!   then takes endpoint messages with their real encodings: `MSG_INIT` on the firmware endpoint
//!   boots the firmware from the init data it names, found through the kernel half's page tables
//!   whose root is TTBAT slot 0's `ttb1`; TX doorbells on the doorbell endpoint name a pipe
//!   (`pipe_type | priority << 2`), device control (0x11) or the kick (0x10); `0x84 << 48` is the
//!   FwCtl doorbell. The firmware checks what real firmware depends on (non-null InitData
//!   pointers, ring geometry) and crashes, with the reason in its crash log, when something is
//!   missing;
//! - **the firmware**: a pipe doorbell makes it consume the `RunWorkQueue` messages on that pipe
//!   (in the caller's context, as the real firmware accepts messages at once and schedules
//!   later) into its run list; its "firmware core", a work item, runs each queue's commands from
//!   the ring's firmware read index (`RingState::gpu_rptr`, which it advances) up to the
//!   announced write index: it reads each run command (the variant's `RunCompute`, `RunVertex`
//!   or `RunFragment`: tag, context slot, `JobMeta`, microsequence) and runs its microsequence
//!   op by op ([`sequence`]: Start, timestamps, the wait that runs the work's control stream,
//!   below, Finalize, RetireStamp). With one core, a queue's commands run in ring order
//!   whatever their unit, which honours every barrier of the uAPI and a render's fragment
//!   half's wait for its vertex half. Device control (`Initialize`,
//!   `DestroyContext`: drop the context's queued runs, stop its commands after the one running,
//!   acknowledge; context 0 is a cache flush) and FwCtl run on a work item of their own and are
//!   acknowledged by advancing the channels' read indices;
//! - **the completion and error protocol** ([`events`]): when a job's last command completes it
//!   writes the command's stamp value where its `JobMeta` says, posts a Flag message on the event
//!   channel and sends the RX doorbell (`0x42 << 48` on the firmware endpoint), delivered to the
//!   driver's handler in hard-IRQ context (`irq_work`). A fault latches the fault register,
//!   records the work in `Globals.pending_stamps`, sets `FwStatus.halted`, posts a Fault
//!   message and waits for the driver to resume it (`FwStatus.resume`); a timeout does the same
//!   with a Timeout message naming the slot.
//!
//! It reads messages, queues, rings and commands only through the kernel half's page tables,
//! and the memory a command names only by walking the page tables of the command's address
//! space (the same UAT format the hardware walks, through the shared `fw::pgtable` engine): a
//! missing or wrongly-permissioned page is a GPU fault, never a silent access. Ring sizes and
//! structure offsets come from the firmware's own layouts (`crate::fw`), never from the
//! driver's choices.
//!
//! Like real firmware it writes a firmware log (boot, faults, context destruction, cache
//! flushes, crash), a kernel-trace record per unit of work started and completed, and
//! utilization statistics to the FwLog, KTrace and Stats rings, and rings the RX doorbell so
//! that the driver drains them (see [`rx`]). It crashes on demand (debugfs `crash_firmware`)
//! and when its own invariants are violated; its crash log is in RTKit's crash-log format.
//!
//! Translations are cached in a small TLB (256 entries, 4-way set associative, keyed by page-table
//! root and GPU page, for user address spaces and the kernel half alike; see [`tlb`]): a
//! translation the driver changes or removes stays in use until the driver invalidates it
//! through [`Transport::tlb_invalidate`] or [`Transport::tlb_invalidate_all`], as on the hardware. A
//! walk happens only on a miss; a fault (missing entry) is never cached, a permission fault is
//! checked against the cached permissions.
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
//! and reported as timed out (a Timeout message naming the work's event slot, as real firmware
//! reports it); the firmware then goes on with the next
//! work, so one client cannot hold the GPU.
//!
//! # Locks
//!
//! `queue`, `handler`, `rx` and `tlb` are irq-safe spinlocks, each a leaf: nothing else is taken
//! while one is held; `dc_lock` (a mutex) serialises device control and FwCtl, taken alone. `tlb` is taken by the firmware core for every translation and by invalidations
//! in any context (the driver's are under `Vm::inner` or `Gpu::fw`).

mod bootloader;
mod control;
mod events;
mod handoff;
mod layout;
mod memory;
mod regs;
mod rtkit;
mod rx;
mod sequence;
mod stream;
#[cfg(CONFIG_KUNIT)]
mod tests;
mod tlb;

use super::{MessageHandler, Mmio, Region, RegionInfo, Transport};
use crate::fw::channels::NUM_PIPES;
use crate::fw::job::CommandType;
use crate::fw::job::RingState;
use crate::fw::pgtable::TablePhys;
use crate::fw::uat;
use crate::fw::variants::g13_v13_5::RunWorkQueueMsg;
use crate::kernel_ext::spinlock_irq::{lock_class, SpinLockIrq};
use crate::kernel_ext::work::{DriverWork, IrqWork, WorkHandler};
use crate::ring::Ring;
use control::ControlLine;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use kernel::c_str;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::{Arc, Mutex};
use layout as offsets;
use memory::{consume_ring, PhysMem, Space};
use rtkit::{CrashLine, LogWriter};
use stream::Abort;
use tlb::Tlb;

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
    /// From the command's `JobMeta`: the event slot to flag, the stamp value and where to
    /// write it, and whether the command completes its job (`flush_stamps`).
    slot: u32,
    stamp: u32,
    stamp_va: u64,
    fw_stamp_va: u64,
    complete: bool,
    /// The context slot of the command's address space.
    vm_slot: u32,
    /// The page-table root of the command's context slot, from the TTBAT (0: none).
    ttb: u64,
    tag: CommandType,
    /// The control stream (CDM for compute, VDM for vertex work; 0: nothing to run) and what
    /// its USC-relative pointers are relative to (the queue's `usc_exec_base`).
    stream: u64,
    usc_base: u64,
    /// The command's microsequence.
    sequence: sequence::Sequence,
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
    /// Device control and FwCtl, in process context.
    #[pin]
    control: DriverWork<ControlLine>,
    #[pin]
    queue: SpinLockIrq<Ring<QueueRun>>,
    #[pin]
    handler: SpinLockIrq<Option<Arc<dyn MessageHandler>>>,
    /// Cached translations of every address space.
    #[pin]
    tlb: SpinLockIrq<Tlb>,
    /// The FwLog, KTrace and Stats rings (a leaf lock: nothing is taken under it).
    #[pin]
    rx: SpinLockIrq<rx::RxRings>,
    /// The register file behind the MMIO ranges.
    regs: regs::Regs,
    /// RTKit booted (endpoint messages accepted).
    rtkit_up: AtomicBool,
    /// The kernel half's page-table root (TTBAT slot 0's `ttb1`, read at `MSG_INIT`).
    ttb1: AtomicU64,
    /// Physical address of the TTBAT (the bootloader's `ttbs` region, the GPU's configuration).
    ttbat: u64,
    /// The firmware's side of the bootloader's handoff region.
    #[pin]
    handoff: handoff::FwHandoff,
    /// Firmware addresses of `Globals` and `FwStatus`, from the init data.
    globals: AtomicU64,
    fw_status: AtomicU64,
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
    control_line: ControlLine,
}

/// Crash reasons, as the crash log states them (indices: the `CRASH_*` constants).
const CRASH_REASONS: [&str; 7] = [
    "crash requested (debugfs crash_firmware)",
    "firmware assertion: work names a context slot whose TTBAT entry is not a page table in RAM",
    "firmware assertion: a RunWorkQueue message or queue ring names no queue or run command in firmware memory",
    "firmware assertion: InitData is unreadable or names no RuntimePointers, Globals or FwStatus, a channel ring is missing, or a statistics or scratch buffer the runtime pointers name is not mapped",
    "firmware assertion: halted on a fault and never resumed (FwStatus.resume)",
    "firmware assertion: TTBAT slot 0 names no kernel page table",
    "firmware assertion: the handoff region's magic_ap is not the PPL magic (handoff not initialised by the AP)",
];
/// `CRASH_REASONS` index: requested.
const CRASH_REQUESTED: u32 = 0;
/// `CRASH_REASONS` index: bad context slot.
const CRASH_BAD_TTB: u32 = 1;
/// `CRASH_REASONS` index: bad queue or command.
const CRASH_BAD_QUEUE: u32 = 2;
/// `CRASH_REASONS` index: incomplete init data.
const CRASH_BAD_INITDATA: u32 = 3;
/// `CRASH_REASONS` index: not resumed after a fault.
const CRASH_NOT_RESUMED: u32 = 4;
/// `CRASH_REASONS` index: no kernel page table.
const CRASH_NO_KERNEL_TTB: u32 = 5;
/// `CRASH_REASONS` index: the driver's handoff magic is missing.
const CRASH_BAD_HANDOFF: u32 = 6;

/// The interrupt line: the mailbox's receive interrupt, which delivers the RX doorbell.
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
            h.recv_message(
                crate::fw::channels::EP_FIRMWARE,
                crate::fw::channels::MSG_RX_DOORBELL,
            );
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
        let at = self.ttbat + u64::from(slot) * 16;
        let Some(p) = PhysMem::ptr(at, 8) else {
            return 0;
        };
        // The driver changes TTBAT entries under the handoff lock.
        let Some(_h) = self.handoff.lock() else {
            return 0;
        };
        // SAFETY: `p` is the slot's aligned `ttb0` word in the driver's TTBAT page (RAM).
        let entry = unsafe { AtomicU64::from_ptr(p.cast()) }.load(Ordering::Acquire);
        match uat::decode_ttbat_entry(entry) {
            Some((base, s)) if s == slot => base,
            _ => 0,
        }
    }

    /// Reads the run command at `va` (`RunCompute`, `RunVertex` or `RunFragment`, by its tag),
    /// through the kernel half's page tables.
    fn read_command(&self, space: &Space<'_>, va: u64) -> Option<Work> {
        let tag = CommandType::from_u32(space.read_u32(va).ok()?)?;
        self.read_run(space, va, tag)
    }

    /// Firmware invariant: every work's address space is a page table in RAM (the driver only
    /// ever names its own). Real firmware asserts and dies on such corruption; so does this
    /// model (`Err` is the crash reason).
    fn check_root(&self, work: &Work) -> Result<(), u32> {
        if TablePhys::new(work.ttb).is_some() && PhysMem::ptr(work.ttb, 8).is_some() {
            Ok(())
        } else {
            Err(CRASH_BAD_TTB)
        }
    }

    /// Runs `work`'s control stream and reports its fault or timeout, if any.
    fn run_work(&self, work: &Work) {
        match self.run_stream(work) {
            Ok(()) => {}
            Err(Abort::Fault(f)) => self.report_fault(work, Some(&f)),
            Err(Abort::Timeout) => self.report_fault(work, None),
        }
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
            offsets::PIPE_ENTRIES,
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
            self.request_crash(CRASH_BAD_QUEUE);
        } else {
            self.core.queue();
        }
    }

    /// Runs queue `run.queue_info`'s commands from the firmware's read index up to `run.wptr`,
    /// advancing the read index (`RingState::gpu_rptr`) after each. Stops early if the queue's
    /// context is being destroyed. `Err` is a firmware crash reason.
    fn run_queue(&self, run: &QueueRun) -> Result<(), u32> {
        let space = Space::new_kernel(self.ttb1.load(Ordering::Acquire), &self.tlb)
            .ok_or(CRASH_BAD_QUEUE)?;
        let qi = run.queue_info;
        let state = space
            .read_u64(qi + offsets::QUEUE_INFO_STATE as u64)
            .map_err(|_| CRASH_BAD_QUEUE)?;
        let ring = space
            .read_u64(qi + offsets::QUEUE_INFO_RING as u64)
            .map_err(|_| CRASH_BAD_QUEUE)?;
        let rptr_va = state + RingState::GPU_RPTR_OFFSET as u64;
        let size_va = state + core::mem::offset_of!(RingState, rb_size) as u64;
        let rb_size = space.read_u32(size_va).map_err(|_| CRASH_BAD_QUEUE)?;
        if rb_size == 0 || rb_size > 0x10000 || run.wptr >= rb_size {
            return Err(CRASH_BAD_QUEUE);
        }
        let mut rptr = space.read_u32(rptr_va).map_err(|_| CRASH_BAD_QUEUE)? % rb_size;
        while rptr != run.wptr && self.running.load(Ordering::Acquire) {
            if self.abort_context.load(Ordering::Acquire) == run.context {
                return Ok(());
            }
            let cmd = space
                .read_u64(ring + u64::from(rptr) * 8)
                .map_err(|_| CRASH_BAD_QUEUE)?;
            // Firmware invariant: a queue's ring names run commands in firmware memory.
            let work = self.read_command(&space, cmd).ok_or(CRASH_BAD_QUEUE)?;
            let seq = work.sequence;
            let work = self.run_sequence(&space, work, &seq)?;
            self.trace_work(rx::KTRACE_WORK_END, &work);
            self.completed.fetch_add(1, Ordering::Relaxed);
            rptr = (rptr + 1) % rb_size;
            let _ = space.write(rptr_va, &rptr.to_le_bytes());
            if work.complete {
                self.complete(&work);
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

/// The virtual AGX: its bootloader's regions and the hardware behind the transport.
pub(crate) struct VirtualAgx {
    // The firmware first: it drops (stopping its work items) before the regions it points at.
    fw: Pin<KBox<Firmware>>,
    boot: bootloader::Bootloader,
}

impl VirtualAgx {
    /// Creates the model of an M1 GPU, its coprocessor stopped, with the reserved memory a
    /// bootloader would hand over.
    pub(crate) fn new() -> Result<Self> {
        let boot = bootloader::Bootloader::new()?;
        let ttbat = boot.ttbat_phys();
        let handoff = boot.handoff_phys();
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
                // SAFETY: As for `crash_work`.
                control <- unsafe {
                    DriverWork::new(&raw const (*this.as_ptr()).control_line, lock_class!())
                },
                queue <- SpinLockIrq::new(queue, c_str!("asahi::vagx::queue"), lock_class!()),
                handler <- SpinLockIrq::new(None, c_str!("asahi::vagx::handler"), lock_class!()),
                tlb <- SpinLockIrq::new(tlb, c_str!("asahi::vagx::tlb"), lock_class!()),
                rx <- SpinLockIrq::new(rx::RxRings::new(), c_str!("asahi::vagx::rx"), lock_class!()),
                regs: regs::Regs::new(),
                rtkit_up: AtomicBool::new(false),
                ttb1: AtomicU64::new(0),
                ttbat,
                handoff <- handoff::FwHandoff::new(handoff),
                globals: AtomicU64::new(0),
                fw_status: AtomicU64::new(0),
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
                control_line: ControlLine { fw: this.as_ptr() },
            }),
            GFP_KERNEL,
        )?;
        Ok(Self { fw, boot })
    }
}

impl Transport for VirtualAgx {
    fn name(&self) -> &'static CStr {
        c_str!("virtual")
    }

    fn region(&self, region: Region) -> Option<RegionInfo> {
        self.boot.region(region)
    }

    fn read32(&self, mmio: Mmio, offset: usize) -> u32 {
        self.fw.regs.read32(mmio, offset)
    }

    fn read64(&self, mmio: Mmio, offset: usize) -> u64 {
        self.fw.regs.read64(mmio, offset)
    }

    fn write32(&self, mmio: Mmio, offset: usize, value: u32) {
        let was_running = self.fw.regs.cpu_running();
        self.fw.regs.write32(mmio, offset, value);
        // The firmware's page-table manager comes up with its CPU and publishes its magic (a
        // region it cannot reach stays without it: the driver's init then refuses the device).
        if !was_running && self.fw.regs.cpu_running() {
            self.fw.handoff.publish();
        }
    }

    fn start(&self, handler: Arc<dyn MessageHandler>) -> Result {
        // RTKit runs on the coprocessor's CPU, which the driver starts through `CPU_CONTROL`.
        if !self.fw.regs.cpu_running() {
            return Err(ENODEV);
        }
        *self.fw.handler.lock() = Some(handler);
        self.fw.rtkit_up.store(true, Ordering::Release);
        Ok(())
    }

    fn send(&self, endpoint: u8, msg: u64) -> Result {
        self.receive(endpoint, msg)
    }

    fn tlb_invalidate(&self, ttb: u64, va: u64, size: u64) {
        self.fw.tlb.lock().invalidate_range(ttb, va, size);
    }

    fn tlb_invalidate_all(&self, ttb: u64) {
        self.fw.tlb.lock().invalidate_all(ttb);
    }

    fn crash(&self) -> Result {
        self.fw.request_crash(CRASH_REQUESTED);
        Ok(())
    }

    fn shutdown(&self) {
        self.fw.rtkit_up.store(false, Ordering::Release);
        self.fw.running.store(false, Ordering::Release);
        self.fw.crash_work.flush();
        self.fw.control.flush();
        self.fw.core.flush();
        self.fw.irq.sync();
        // No more log, trace or stats writes: the driver may free the rings after this.
        self.fw.rx.lock().disable();
        let handler = self.fw.handler.lock().take();
        drop(handler);
    }

    fn debugfs_init(&self, root: *mut crate::bindings::dentry) {
        // SAFETY: `root` is the device's debugfs directory; the name is static and the counter a
        // static. Failure to create a debug file is not an error.
        unsafe {
            crate::bindings::debugfs_create_u32(
                c_str!("fw_stall_pipes").as_char_ptr(),
                0o600,
                root,
                PIPE_STALL.as_ptr(),
            );
        }
    }
}
