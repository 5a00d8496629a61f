// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Memory as the virtual AGX's firmware reaches it: physical RAM through the kernel's direct
//! map ([`PhysMem`], never anything else), address spaces walked through their page tables
//! and the TLB ([`Space`]: the GPU's user half, the firmware's kernel half), and the
//! driver-to-firmware channel rings it consumes ([`consume_ring`]).

use super::layout as offsets;
use super::tlb::Tlb;
use super::PAGE;
use crate::bindings;
use crate::fw::fault::FaultReason;
use crate::fw::pgtable::{self, TableMemory, TablePhys, WalkError};
use crate::fw::plain::Plain;
use crate::fw::uat::{self, Perm};
use crate::kernel_ext::spinlock_irq::SpinLockIrq;
use crate::pages::shared_u32;
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;

/// Physical memory as the firmware sees it: RAM through the kernel's direct map, anything else
/// unreachable.
pub(super) struct PhysMem;

impl PhysMem {
    /// The direct-map address of `len` bytes at `pa`, if they are RAM within one GPU page (a
    /// GPU page is physically contiguous, so contiguous in the direct map too).
    pub(super) fn ptr(pa: u64, len: usize) -> Option<*mut u8> {
        if (pa % PAGE) + len as u64 > PAGE {
            return None;
        }
        let page = kernel::page::PAGE_SIZE as u64;
        let last = pa + len.max(1) as u64 - 1;
        // CAST: page frame numbers fit in usize.
        // SAFETY: `pfn_valid` only inspects the memory map.
        let ram = unsafe {
            bindings::asahi_helper_pfn_valid((pa / page) as usize)
                && bindings::asahi_helper_pfn_valid((last / page) as usize)
        };
        if !ram {
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
pub(super) struct Fault {
    pub(super) address: u64,
    pub(super) level: u8,
    pub(super) read: bool,
    pub(super) reason: FaultReason,
}

/// Access to one address space, by its page-table root, as the GPU (user half) or the
/// firmware (kernel half) sees it, through the TLB.
pub(super) struct Space<'a> {
    pt: pgtable::PageTable,
    ttb: u64,
    firmware: bool,
    tlb: &'a SpinLockIrq<Tlb>,
}

impl<'a> Space<'a> {
    pub(super) fn new(ttb: u64, tlb: &'a SpinLockIrq<Tlb>) -> Option<Self> {
        Some(Self {
            pt: pgtable::PageTable::user(TablePhys::new(ttb)?, uat::OAS_T8103),
            ttb,
            firmware: false,
            tlb,
        })
    }

    pub(super) fn new_kernel(ttb1: u64, tlb: &'a SpinLockIrq<Tlb>) -> Option<Self> {
        Some(Self {
            pt: pgtable::PageTable::kernel(TablePhys::new(ttb1)?, uat::OAS_T8103),
            ttb: ttb1,
            firmware: true,
            tlb,
        })
    }

    /// The physical page of `va` and the access this space's agent has there: from the TLB,
    /// or by walking the page tables (and caching the result).
    pub(super) fn lookup(&self, va: u64) -> Result<(u64, Perm), Fault> {
        let generation = match self.tlb.lock().lookup(self.ttb, va) {
            Ok(e) => return Ok((e.pa, e.perm)),
            Err(generation) => generation,
        };
        let fault = |level: u8| Fault {
            address: va,
            level,
            read: true,
            reason: FaultReason::Unmapped,
        };
        let t = match self.pt.translate(&PhysMem, va) {
            Ok(t) => t,
            Err(WalkError::Fault(f)) => return Err(fault(f.level as u8)),
            Err(_) => return Err(fault(0)),
        };
        let perm = t
            .page
            .prot
            .map(|p| {
                if self.firmware {
                    p.access().0
                } else {
                    p.access().1
                }
            })
            .unwrap_or(Perm::None);
        let pa = t.page.pa & !(PAGE - 1);
        self.tlb.lock().fill(generation, self.ttb, va, pa, perm);
        Ok((pa, perm))
    }

    /// The physical address of `va`, for a firmware structure of `len` bytes.
    pub(super) fn phys(&self, va: u64, len: usize) -> Option<u64> {
        let p = self.translate(va, len, true).ok()?;
        // SAFETY: Inverse of the direct map for an address `translate` just produced.
        Some(unsafe { bindings::asahi_helper_virt_to_phys(p.cast()) })
    }

    /// Translates `va` for a GPU access of `len` bytes within one GPU page.
    pub(super) fn translate(&self, va: u64, len: usize, write: bool) -> Result<*mut u8, Fault> {
        let fault = |level: u8, reason| Fault {
            address: va,
            level,
            read: !write,
            reason,
        };
        let (pa, gpu) = self.lookup(va).map_err(|f| fault(f.level, f.reason))?;
        let allowed = matches!(
            (gpu, write),
            (Perm::Rw, _) | (Perm::Ro, false) | (Perm::Wo, true)
        );
        if !allowed {
            let reason = match gpu {
                Perm::Ro => FaultReason::ReadOnly,
                Perm::Wo => FaultReason::WriteOnly,
                _ => FaultReason::NoAccess,
            };
            return Err(fault(3, reason));
        }
        PhysMem::ptr(pa | (va & (PAGE - 1)), len).ok_or_else(|| fault(3, FaultReason::NoAccess))
    }

    pub(super) fn read_u32(&self, va: u64) -> Result<u32, Fault> {
        let p = self.translate(va, 4, false)?;
        // SAFETY: `p` is 4 bytes of RAM mapped readable; shared memory, so read it volatile.
        Ok(unsafe { p.cast::<u32>().read_volatile() })
    }

    /// Finds the `ChannelRing { state, ring }` pointer pair at `at`: the physical addresses of
    /// its state (`state_len` bytes) and ring (`ring_len` bytes), each contiguous.
    pub(super) fn find_ring(
        &self,
        at: u64,
        state_len: usize,
        ring_len: usize,
    ) -> Result<(u64, u64)> {
        let state_va = self.read_u64(at).map_err(|_| EIO)?;
        let ring_va = self
            .read_u64(at + offsets::RING_RING as u64)
            .map_err(|_| EIO)?;
        Ok((
            self.phys(state_va, state_len).ok_or(EIO)?,
            self.phys(ring_va, ring_len).ok_or(EIO)?,
        ))
    }

    pub(super) fn read_u64(&self, va: u64) -> Result<u64, Fault> {
        let p = self.translate(va, 8, false)?;
        // SAFETY: `p` is 8 bytes of RAM mapped readable for the GPU; user memory may change
        // concurrently, so read it volatile.
        Ok(unsafe { p.cast::<u64>().read_volatile() })
    }

    pub(super) fn write(&self, va: u64, bytes: &[u8]) -> Result<(), Fault> {
        let p = self.translate(va, bytes.len(), true)?;
        // SAFETY: `p` covers `bytes.len()` bytes of RAM mapped writable for the GPU.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len()) };
        Ok(())
    }

    /// Splits `[va, va + len)` at GPU and CPU page boundaries and calls `f(va, n)` per piece.
    pub(super) fn for_pieces(
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

    /// Reads the `u64` at `va` (any alignment, across pages).
    pub(super) fn read_u64_unaligned(&self, va: u64) -> Result<u64, Fault> {
        let mut b = [0u8; 8];
        self.read_bytes(va, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Reads `buf.len()` bytes at `va` (any alignment, across pages).
    pub(super) fn read_bytes(&self, va: u64, buf: &mut [u8]) -> Result<(), Fault> {
        let mut off = 0usize;
        Self::for_pieces(va, buf.len() as u64, |cur, k| {
            let p = self.translate(cur, k, false)?;
            let dst = buf.get_mut(off..off + k).ok_or(Fault {
                address: cur,
                level: 3,
                read: true,
                reason: FaultReason::NoAccess,
            })?;
            // SAFETY: `p` covers `k` readable bytes of RAM; `dst` is `k` bytes.
            unsafe { core::ptr::copy_nonoverlapping(p, dst.as_mut_ptr(), k) };
            off += k;
            Ok(())
        })
    }

    pub(super) fn fill(&self, va: u64, byte: u8, len: u64) -> Result<(), Fault> {
        Self::for_pieces(va, len, |cur, n| {
            let p = self.translate(cur, n, true)?;
            // SAFETY: `p` covers `n` writable bytes of RAM.
            unsafe { core::ptr::write_bytes(p, byte, n) };
            Ok(())
        })
    }

    pub(super) fn copy(&self, dst: u64, src: u64, len: u64) -> Result<(), Fault> {
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

/// Consumes the messages (of type `T`) waiting on a driver → firmware channel ring: `state` is
/// the physical address of its state block, with the read and write indices at the offsets
/// `idx`, and `ring` that of its `entries` entries. `f` handles each message in order; when it
/// returns `false` the message stays unconsumed and consuming stops. The read index moves past
/// each handled message, which is how the driver learns it was handled.
pub(super) fn consume_ring<T: Plain>(
    state: u64,
    idx: (usize, usize),
    ring: u64,
    entries: u32,
    mut f: impl FnMut(T) -> bool,
) {
    let (read_off, write_off) = idx;
    if PhysMem::ptr(state, read_off.max(write_off) + 4).is_none() {
        return;
    }
    // SAFETY: Both are aligned `u32`s of the channel's state block (RAM, checked above).
    let (rp, wp) = unsafe {
        (
            shared_u32(state + read_off as u64),
            shared_u32(state + write_off as u64),
        )
    };
    let size = core::mem::size_of::<T>();
    loop {
        let r = rp.load(Ordering::Acquire);
        if r == wp.load(Ordering::Acquire) || r >= entries {
            return;
        }
        let Some(p) = PhysMem::ptr(ring + u64::from(r) * size as u64, size) else {
            return;
        };
        // SAFETY: `p` is a ring entry the driver published before moving the write index; `T:
        // Plain` is valid for whatever bytes it holds.
        let msg = unsafe { p.cast::<T>().read_unaligned() };
        if !f(msg) {
            return;
        }
        rp.store((r + 1) % entries, Ordering::Release);
    }
}
