// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The virtual firmware's side of the handoff region (its page-table manager, the "PPL" whose
//! magic the region carries; layout `fw::uat::Handoff`, m1n1 `handoff.py`).
//!
//! - When the coprocessor's CPU starts, the firmware publishes its magic (`magic_fw`) under the
//!   lock: the driver waits for it before it touches the TTBAT.
//! - At `MSG_INIT` it checks the driver's magic (`magic_ap`): a region the driver did not
//!   initialise is a firmware crash, with the reason in the crash log.
//! - It reads TTBAT entries (the kernel half's root at boot, a user context's root for each
//!   work) under the lock, and completes a FwCtl range flush by moving the flush slot from
//!   requested to done under it (checking the slot names the range the message names).
//!
//! The lock is the firmware's half of Dekker's algorithm: set `lock_fw`; while `lock_ap` is set,
//! if the turn is the AP's (`turn == 0`) drop `lock_fw` until the turn changes; unlock gives the
//! turn to the AP (`turn = 0`) and clears `lock_fw`. The firmware's own threads (the doorbell
//! caller, the core and control work items) take `asahi::vagx::handoff`, an irq-safe spinlock
//! and a leaf, around it; a lock the driver holds for longer than the driver's own timeout makes
//! the firmware give up the access (it reads nothing then).

use super::memory::PhysMem;
use crate::fw::uat::{Handoff as Layout, FLUSH_DONE, FLUSH_REQUESTED, HANDOFF_MAGIC};
use crate::kernel_ext::spinlock_irq::{lock_class, SpinLockIrq, SpinLockIrqGuard};
use core::sync::atomic::{fence, AtomicU32, AtomicU64, AtomicU8, Ordering};
use kernel::c_str;
use kernel::prelude::*;

/// How long the firmware spins for the driver to leave the lock (20 ms; the driver holds it for
/// a few loads and stores).
const LOCK_TIMEOUT_NS: i64 = 20_000_000;

fn now_ns() -> i64 {
    kernel::time::Ktime::ktime_get().to_ns()
}

/// The firmware's view of the handoff region at physical address `phys` (the bootloader's page).
#[pin_data]
pub(super) struct FwHandoff {
    phys: u64,
    #[pin]
    side: SpinLockIrq<()>,
    /// Times the firmware took the lock, and how many of those waited for the driver.
    taken: AtomicU64,
    waited: AtomicU64,
}

/// The firmware holds the handoff lock.
pub(super) struct FwHandoffGuard<'a> {
    h: &'a FwHandoff,
    _side: SpinLockIrqGuard<'a, ()>,
}

impl FwHandoff {
    /// The firmware side of the region at `phys`.
    pub(super) fn new(phys: u64) -> impl PinInit<Self> {
        pin_init!(Self {
            phys,
            side <- SpinLockIrq::new((), c_str!("asahi::vagx::handoff"), lock_class!()),
            taken: AtomicU64::new(0),
            waited: AtomicU64::new(0),
        })
    }

    fn u8_at(&self, off: usize) -> Option<&AtomicU8> {
        let p = PhysMem::ptr(self.phys + off as u64, 1)?;
        // SAFETY: `p` is a byte of the bootloader's handoff page (RAM, checked), which lives as
        // long as the model; both sides access it atomically.
        Some(unsafe { AtomicU8::from_ptr(p) })
    }

    fn u32_at(&self, off: usize) -> Option<&AtomicU32> {
        let p = PhysMem::ptr(self.phys + off as u64, 4)?;
        // SAFETY: As for `u8_at`; `off` is a 4-aligned layout offset of a page-aligned region.
        Some(unsafe { AtomicU32::from_ptr(p.cast()) })
    }

    fn u64_at(&self, off: usize) -> Option<&AtomicU64> {
        let p = PhysMem::ptr(self.phys + off as u64, 8)?;
        // SAFETY: As for `u8_at`; `off` is an 8-aligned layout offset of a page-aligned region.
        Some(unsafe { AtomicU64::from_ptr(p.cast()) })
    }

    /// Takes the firmware's side of the lock; `None` when the region is not RAM or the driver
    /// does not leave the lock in time. Any context; never sleeps.
    pub(super) fn lock(&self) -> Option<FwHandoffGuard<'_>> {
        let side = self.side.lock();
        let mine = self.u8_at(Layout::LOCK_FW_OFFSET)?;
        let theirs = self.u8_at(Layout::LOCK_AP_OFFSET)?;
        let turn = self.u32_at(Layout::TURN_OFFSET)?;
        let t0 = now_ns();
        let timed_out = || now_ns() - t0 > LOCK_TIMEOUT_NS;
        let mut waited = false;
        mine.store(1, Ordering::SeqCst);
        while theirs.load(Ordering::SeqCst) != 0 {
            waited = true;
            if turn.load(Ordering::SeqCst) == 0 {
                // The AP's turn: step back until it gives the turn over.
                mine.store(0, Ordering::SeqCst);
                while turn.load(Ordering::SeqCst) == 0 && !timed_out() {
                    core::hint::spin_loop();
                }
                mine.store(1, Ordering::SeqCst);
            }
            if timed_out() {
                mine.store(0, Ordering::SeqCst);
                return None;
            }
            core::hint::spin_loop();
        }
        fence(Ordering::Acquire);
        self.taken.fetch_add(1, Ordering::Relaxed);
        if waited {
            self.waited.fetch_add(1, Ordering::Relaxed);
        }
        Some(FwHandoffGuard {
            h: self,
            _side: side,
        })
    }

    /// At CPU start: publishes the firmware's magic under the lock (nothing when the region
    /// cannot be reached).
    pub(super) fn publish(&self) {
        let Some(_g) = self.lock() else {
            return;
        };
        if let Some(m) = self.u64_at(Layout::MAGIC_FW_OFFSET) {
            m.store(HANDOFF_MAGIC, Ordering::Release);
        }
    }

    /// Whether the driver initialised its half of the region (its magic, read under the lock).
    pub(super) fn ap_ready(&self) -> bool {
        let Some(_g) = self.lock() else {
            return false;
        };
        self.u64_at(Layout::MAGIC_AP_OFFSET)
            .is_some_and(|m| m.load(Ordering::Acquire) == HANDOFF_MAGIC)
    }

    /// Completes the range flush the driver requested in flush slot `slot` for the range at
    /// `addr`: requested → done. `false` (nothing changed) when the slot requests nothing or
    /// another range.
    pub(super) fn complete_flush(&self, slot: usize, addr: u64) -> bool {
        let Some(at) = Layout::flush_offset(slot) else {
            return false;
        };
        let Some(_g) = self.lock() else {
            return false;
        };
        let (Some(state), Some(a)) = (self.u64_at(at), self.u64_at(at + 8)) else {
            return false;
        };
        if state.load(Ordering::Acquire) != FLUSH_REQUESTED || a.load(Ordering::Acquire) != addr {
            return false;
        }
        state.store(FLUSH_DONE, Ordering::Release);
        true
    }

    /// Times the lock was taken, and how many of those waited for the driver.
    pub(super) fn stats(&self) -> (u64, u64) {
        (
            self.taken.load(Ordering::Relaxed),
            self.waited.load(Ordering::Relaxed),
        )
    }
}

impl Drop for FwHandoffGuard<'_> {
    fn drop(&mut self) {
        fence(Ordering::Release);
        if let (Some(turn), Some(mine)) = (
            self.h.u32_at(Layout::TURN_OFFSET),
            self.h.u8_at(Layout::LOCK_FW_OFFSET),
        ) {
            turn.store(0, Ordering::SeqCst);
            mine.store(0, Ordering::Release);
        }
    }
}
