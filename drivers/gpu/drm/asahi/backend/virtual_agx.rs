// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The virtual AGX: an in-kernel model of AGX firmware, the default backend when no Apple GPU
//! is present.
//!
//! It presents itself as an M1 (`t8103`, G13G). Its "firmware core" is a work item that takes
//! units of work from the doorbell queue in order and runs each one's *virtual control stream*
//! (below), reading and writing memory only by walking the page tables of the work's address
//! space (the same UAT format the hardware walks, through the shared `fw::pgtable` engine): a
//! missing or wrongly-permissioned page is a GPU fault, never a silent access. When a unit of
//! work completes it writes the slot's stamp in the event page, marks the slot fired and raises
//! its interrupt, which calls the driver's handler in hard-IRQ context (`irq_work`).
//!
//! A fault is reported through the event page's fault mailbox with the fault register encoding
//! (address, unit, read/write, level); the firmware waits for the mailbox to be free, then
//! continues with the next work, as AGX firmware does after a recoverable fault.
//!
//! # Virtual control stream
//!
//! A stream is a sequence of 32-byte ops at a GPU address, ended by `END` or after
//! [`MAX_OPS`] ops. Each op is `{ u32 opcode, u32 pad, u64 a, u64 b, u64 c }`, little endian:
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
//! An unknown opcode or an oversize op faults the work (unit: the work's unit).

use super::{event_page, Backend, FwWork, IrqHandler, WorkKind};
use crate::bindings;
use crate::fw::fault::{FaultInfo, FaultReason};
use crate::fw::pgtable::{self, TableMemory, TablePhys, WalkError};
use crate::fw::uat::{self, Perm};
use crate::hw::{self, HwConfig};
use crate::kernel_ext::spinlock_irq::{lock_class, SpinLockIrq};
use crate::kernel_ext::work::{DriverWork, IrqWork, WorkHandler};
use crate::ring::Ring;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use kernel::c_str;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Arc;

/// Most ops one control stream may run.
pub(crate) const MAX_OPS: u64 = 4096;
/// Largest COPY or FILL.
const MAX_BULK: u64 = 1 << 20;
/// Longest DELAY, in microseconds.
const MAX_DELAY_US: u64 = 100_000;
/// Doorbell queue depth: every slot's maximum in flight.
const QUEUE_DEPTH: usize = 128 * 127;
/// GPU page size.
const PAGE: u64 = 0x4000;

/// Fault unit codes reported for each kind of work (as the G13 unit table names them: VDM,
/// ISP and CDM cores).
fn unit_code(kind: WorkKind) -> u8 {
    match kind {
        WorkKind::Vertex => 0x10,
        WorkKind::Fragment => 0x40,
        WorkKind::Compute => 0x20,
    }
}

/// Physical memory as the firmware sees it: RAM through the kernel's direct map, anything else
/// unreachable.
struct PhysMem;

impl PhysMem {
    /// The direct-map address of `len` bytes at `pa`, if they are RAM within one CPU page.
    fn ptr(pa: u64, len: usize) -> Option<*mut u8> {
        let page = kernel::page::PAGE_SIZE as u64;
        if (pa % page) + len as u64 > page {
            return None;
        }
        // CAST: page frame numbers fit in usize.
        // SAFETY: `pfn_valid` only inspects the memory map.
        if !unsafe { bindings::asahi_helper_pfn_valid((pa / page) as usize) } {
            return None;
        }
        // SAFETY: `pa` is RAM (checked above), which the direct map covers.
        Some(unsafe { bindings::asahi_helper_phys_to_virt(pa) }.cast())
    }
}

impl TableMemory for PhysMem {
    type Error = ();

    fn read_entry(&self, table: TablePhys, index: usize) -> Result<u64, ()> {
        let p = Self::ptr(table.addr() + index as u64 * 8, 8).ok_or(())?;
        // SAFETY: `p` is 8 aligned bytes of RAM; the driver updates entries atomically.
        Ok(unsafe { AtomicU64::from_ptr(p.cast()) }.load(Ordering::Acquire))
    }

    fn write_entry(&mut self, _table: TablePhys, _index: usize, _value: u64) {
        // The firmware never writes user page tables.
    }
}

/// A GPU fault while running a unit of work.
struct Fault {
    address: u64,
    level: u8,
    read: bool,
    reason: FaultReason,
}

/// Access to one address space, by its page-table root.
struct Space {
    pt: pgtable::PageTable,
}

impl Space {
    fn new(ttb: u64) -> Option<Self> {
        Some(Self {
            pt: pgtable::PageTable::user(TablePhys::new(ttb)?, uat::OAS_T8103),
        })
    }

    /// Translates `va` for a GPU access of `len` bytes within one GPU page.
    fn translate(&self, va: u64, len: usize, write: bool) -> Result<*mut u8, Fault> {
        let fault = |level: u8, reason| Fault {
            address: va,
            level,
            read: !write,
            reason,
        };
        let t = match self.pt.translate(&PhysMem, va) {
            Ok(t) => t,
            Err(WalkError::Fault(f)) => return Err(fault(f.level as u8, FaultReason::Unmapped)),
            Err(_) => return Err(fault(0, FaultReason::Unmapped)),
        };
        let gpu = t.page.prot.map(|p| p.access().1).unwrap_or(Perm::None);
        let allowed = match (gpu, write) {
            (Perm::Rw, _) | (Perm::Ro, false) | (Perm::Wo, true) => true,
            _ => false,
        };
        if !allowed {
            let reason = match gpu {
                Perm::Ro => FaultReason::ReadOnly,
                Perm::Wo => FaultReason::WriteOnly,
                _ => FaultReason::NoAccess,
            };
            return Err(fault(3, reason));
        }
        PhysMem::ptr(t.pa, len).ok_or_else(|| fault(3, FaultReason::NoAccess))
    }

    fn read_u64(&self, va: u64) -> Result<u64, Fault> {
        let p = self.translate(va, 8, false)?;
        // SAFETY: `p` is 8 bytes of RAM mapped readable for the GPU; user memory may change
        // concurrently, so read it volatile.
        Ok(unsafe { p.cast::<u64>().read_volatile() })
    }

    fn write(&self, va: u64, bytes: &[u8]) -> Result<(), Fault> {
        let p = self.translate(va, bytes.len(), true)?;
        // SAFETY: `p` covers `bytes.len()` bytes of RAM mapped writable for the GPU.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len()) };
        Ok(())
    }

    /// Splits `[va, va + len)` at GPU and CPU page boundaries and calls `f(va, n)` per piece.
    fn for_pieces(
        va: u64,
        len: u64,
        mut f: impl FnMut(u64, usize) -> Result<(), Fault>,
    ) -> Result<(), Fault> {
        let step = (kernel::page::PAGE_SIZE as u64).min(PAGE);
        let mut done = 0;
        while done < len {
            let cur = va.wrapping_add(done);
            let n = (step - cur % step).min(len - done);
            // CAST: `n` is at most one page.
            f(cur, n as usize)?;
            done += n;
        }
        Ok(())
    }

    fn fill(&self, va: u64, byte: u8, len: u64) -> Result<(), Fault> {
        Self::for_pieces(va, len, |cur, n| {
            let p = self.translate(cur, n, true)?;
            // SAFETY: `p` covers `n` writable bytes of RAM.
            unsafe { core::ptr::write_bytes(p, byte, n) };
            Ok(())
        })
    }

    fn copy(&self, dst: u64, src: u64, len: u64) -> Result<(), Fault> {
        let mut buf = [0u8; 256];
        let mut done = 0;
        while done < len {
            let n = (len - done).min(buf.len() as u64);
            let chunk = &mut buf[..n as usize];
            let mut off = 0usize;
            Self::for_pieces(src.wrapping_add(done), n, |cur, k| {
                let p = self.translate(cur, k, false)?;
                // SAFETY: `p` covers `k` readable bytes of RAM.
                unsafe { core::ptr::copy_nonoverlapping(p, chunk[off..].as_mut_ptr(), k) };
                off += k;
                Ok(())
            })?;
            let mut off = 0usize;
            Self::for_pieces(dst.wrapping_add(done), n, |cur, k| {
                self.write(cur, &chunk[off..off + k])?;
                off += k;
                Ok(())
            })?;
            done += n;
        }
        Ok(())
    }
}

/// The firmware's state shared between the doorbell, the firmware core and the interrupt.
#[pin_data]
struct Firmware {
    // Dropped first: stops the firmware core, which is what raises the interrupt.
    #[pin]
    core: DriverWork<Firmware>,
    #[pin]
    irq: IrqWork<IrqLine>,
    #[pin]
    queue: SpinLockIrq<Ring<FwWork>>,
    #[pin]
    handler: SpinLockIrq<Option<Arc<dyn IrqHandler>>>,
    event_page: AtomicU64,
    running: AtomicBool,
    line: IrqLine,
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
    fn event_u32(&self, offset: usize) -> &AtomicU32 {
        let pa = self.event_page.load(Ordering::Acquire);
        // SAFETY: The event page is a driver-owned RAM page set at boot, alive until shutdown
        // (the driver frees it only after `shutdown` returns); offsets are within the page and
        // aligned.
        unsafe {
            AtomicU32::from_ptr(
                bindings::asahi_helper_phys_to_virt(pa)
                    .cast::<u8>()
                    .add(offset)
                    .cast(),
            )
        }
    }

    fn event_u64(&self, offset: usize) -> &AtomicU64 {
        let pa = self.event_page.load(Ordering::Acquire);
        // SAFETY: As in `event_u32`.
        unsafe {
            AtomicU64::from_ptr(
                bindings::asahi_helper_phys_to_virt(pa)
                    .cast::<u8>()
                    .add(offset)
                    .cast(),
            )
        }
    }

    fn fire(&self, slot: u32) {
        self.event_u32(event_page::FIRED + (slot as usize / 32) * 4)
            .fetch_or(1 << (slot % 32), Ordering::AcqRel);
        self.irq.raise();
    }

    /// Runs one unit of work's control stream.
    fn run_stream(&self, work: &FwWork) -> Result<(), Fault> {
        if work.stream == 0 {
            return Ok(());
        }
        let Some(space) = Space::new(work.ttb) else {
            return Err(Fault {
                address: 0,
                level: 0,
                read: true,
                reason: FaultReason::Unmapped,
            });
        };
        for i in 0..MAX_OPS {
            let at = work.stream.wrapping_add(i * 32);
            let op = space.read_u64(at)?;
            let a = space.read_u64(at.wrapping_add(8))?;
            let b = space.read_u64(at.wrapping_add(16))?;
            let c = space.read_u64(at.wrapping_add(24))?;
            let bad = Fault {
                address: at,
                level: 3,
                read: true,
                reason: FaultReason::NoAccess,
            };
            // CAST: the opcode is the low word.
            match op as u32 {
                0 => return Ok(()),
                // CAST: WRITE32 stores the low 32 bits of `b`.
                1 => space.write(a, &(b as u32).to_le_bytes())?,
                2 => space.write(a, &b.to_le_bytes())?,
                3 if c <= MAX_BULK => space.copy(a, b, c)?,
                // CAST: FILL uses the low byte of `b`.
                4 if c <= MAX_BULK => space.fill(a, b as u8, c)?,
                5 if c <= MAX_DELAY_US => {
                    // CAST: at most 100 ms.
                    // SAFETY: Plain sleep in process context (the firmware core is a work item).
                    unsafe { bindings::msleep((c / 1000) as u32) };
                }
                6 => {
                    space.translate(a, 4, false)?;
                }
                _ => return Err(bad),
            }
        }
        Ok(())
    }

    /// Posts a fault in the mailbox, waiting for the driver to free it first.
    fn report_fault(&self, work: &FwWork, f: &Fault) {
        // TIMEOUT: the driver frees the mailbox in its interrupt handler; 1 s covers a guest
        // under heavy emulation. After that the fault is dropped (the job still completes).
        for _ in 0..1000 {
            if self.event_u32(event_page::FAULT_VALID).load(Ordering::Acquire) == 0 {
                let info = FaultInfo {
                    address: f.address,
                    sideband: 0,
                    vm_slot: 0,
                    unit_code: unit_code(work.kind),
                    level: f.level,
                    unk_5: 0,
                    read: f.read,
                    reason: f.reason,
                };
                self.event_u32(event_page::FAULT_SLOT)
                    .store(work.slot, Ordering::Relaxed);
                self.event_u32(event_page::FAULT_STAMP)
                    .store(work.stamp, Ordering::Relaxed);
                self.event_u64(event_page::FAULT_INFO)
                    .store(info.encode(), Ordering::Relaxed);
                self.event_u32(event_page::FAULT_VALID)
                    .store(1, Ordering::Release);
                self.fire(work.slot);
                return;
            }
            // SAFETY: Plain sleep in process context.
            unsafe { bindings::msleep(1) };
        }
    }
}

impl WorkHandler for Firmware {
    /// The firmware core: runs queued work in doorbell order.
    fn run(&self) {
        while self.running.load(Ordering::Acquire) {
            let Some(work) = self.queue.lock().pop() else {
                return;
            };
            if let Err(f) = self.run_stream(&work) {
                self.report_fault(&work, &f);
            }
            if work.complete {
                self.event_u32(event_page::STAMPS + work.slot as usize * 4)
                    .store(work.stamp, Ordering::Release);
                self.fire(work.slot);
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
        let fw = KBox::pin_init(
            pin_init!(&this in Firmware {
                // SAFETY: `this` is the pinned address of the `Firmware` being built, and the
                // work items are its first fields.
                core <- unsafe { DriverWork::new(this.as_ptr()) },
                // SAFETY: `line` lives inside the same pinned `Firmware`.
                irq <- unsafe {
                    IrqWork::new(&raw const (*this.as_ptr()).line)
                },
                queue <- SpinLockIrq::new(queue, c_str!("asahi::vagx::queue"), lock_class!()),
                handler <- SpinLockIrq::new(None, c_str!("asahi::vagx::handler"), lock_class!()),
                event_page: AtomicU64::new(0),
                running: AtomicBool::new(false),
                line: IrqLine { fw: this.as_ptr() },
            }),
            GFP_KERNEL,
        )?;
        Ok(Self {
            hw: &hw::t8103::HWCONFIG,
            fw,
        })
    }
}

impl Backend for VirtualAgx {
    fn name(&self) -> &'static CStr {
        c_str!("virtual")
    }

    fn hw(&self) -> &'static HwConfig {
        self.hw
    }

    fn boot(&self, event_page: u64, irq: Arc<dyn IrqHandler>) -> Result {
        *self.fw.handler.lock() = Some(irq);
        self.fw.event_page.store(event_page, Ordering::Release);
        self.fw.running.store(true, Ordering::Release);
        Ok(())
    }

    fn submit(&self, work: FwWork) -> Result {
        if !self.fw.running.load(Ordering::Acquire) {
            return Err(ENODEV);
        }
        self.fw.queue.lock().push(work).map_err(|_| EBUSY)?;
        self.fw.core.queue();
        Ok(())
    }

    fn shutdown(&self) {
        self.fw.running.store(false, Ordering::Release);
        self.fw.core.flush();
        self.fw.irq.sync();
        let handler = self.fw.handler.lock().take();
        drop(handler);
    }
}
