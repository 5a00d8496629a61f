// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The driver's (the AP's) side of the handoff region: the reserved memory (`handoff`) through
//! which the driver and the firmware's page-table manager agree on changes to the TTBAT and on
//! the firmware's cache flushes of kernel memory (layout: `fw::uat::Handoff`, m1n1
//! `proxyclient/m1n1/fw/agx/handoff.py`, downstream `mmu.rs` `Handoff`, firmware-commands.md
//! §5.4).
//!
//! - **Init** (at probe, once the coprocessor's CPU runs, before the TTBAT is touched): the
//!   driver writes its magic (`magic_ap`), `cur_slot = 0` and `unk_640 = 0`, then waits under the
//!   lock (up to 1 s, sleeping 10 ms between tries) for the firmware's magic (`magic_fw`); a
//!   firmware that never publishes it, or a region holding something else, makes the probe fail
//!   with `EIO` and a message saying which. Then every flush slot is reset to idle.
//! - **The lock** ([`Handoff::lock`]): Dekker's algorithm with the firmware (downstream
//!   `Handoff::lock`/`unlock`): set `lock_ap`; while `lock_fw` is set, if the turn is the
//!   firmware's (`turn != 0`) drop `lock_ap`, wait for the turn to come back, set it again;
//!   unlock gives the turn to the firmware (`turn = 1`) and clears `lock_ap`. Every change the
//!   firmware may race with is made under it: TTBAT entries (slot 0 at boot, user slots when a
//!   VM is bound, `Gpu::bind_vm`) and the flush slots' state. Dekker's algorithm is for two
//!   parties, so the AP's threads take an irq-safe spinlock around it (which also keeps the
//!   holder from being preempted while the firmware spins); a lock the firmware does not let go
//!   of within [`LOCK_TIMEOUT_NS`] is `ETIMEDOUT`, never a hang.
//! - **Flushes** ([`Handoff::begin_flush`], [`Handoff::end_flush`]): before the driver asks the
//!   firmware (FwCtl) to drop what it cached of a range, the range's slot (64 for kernel memory)
//!   gets `addr`, `size` and state 1; the firmware sets 2 when done; the driver resets it to 0.
//!
//! Lock order: `Gpu::slots` or `FwAllocator::fwctl` → `asahi::Handoff::ap` (a leaf: nothing is
//! taken under it, nothing sleeps under it).

use crate::backend::{Region, Transport};
use crate::fw::uat::{
    handoff_current_slot, Handoff as Layout, FLUSH_DONE, FLUSH_IDLE, FLUSH_REQUESTED,
    HANDOFF_FLUSH_SLOTS, HANDOFF_MAGIC, HANDOFF_SIZE,
};
use crate::kernel_ext::memremap::RegionMap;
use crate::kernel_ext::spinlock_irq::{lock_class, SpinLockIrq, SpinLockIrqGuard};
use core::sync::atomic::{fence, AtomicU32, AtomicU64, AtomicU8, Ordering};
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::Arc;

/// How long the driver spins for the firmware to leave the lock (20 ms; the firmware holds it
/// for a few loads and stores).
pub(crate) const LOCK_TIMEOUT_NS: i64 = 20_000_000;

/// How long init waits for the firmware's magic (1 s, as downstream).
const INIT_TIMEOUT_NS: i64 = 1_000_000_000;

/// `ETIMEDOUT` (6.12's `kernel::error::code` has no constant for it).
pub(crate) fn etimedout() -> Error {
    Error::from_errno(-(kernel::bindings::ETIMEDOUT as i32))
}

fn now_ns() -> i64 {
    kernel::time::Ktime::ktime_get().to_ns()
}

/// The handoff region, mapped, and the AP side of its lock.
#[pin_data]
pub(crate) struct Handoff {
    map: RegionMap,
    /// Serialises the AP's threads around the two-party lock.
    #[pin]
    ap: SpinLockIrq<()>,
    /// Times the driver took the lock, and how many of those waited for the firmware.
    taken: AtomicU64,
    waited: AtomicU64,
}

/// The driver holds the handoff lock: the firmware is out of the TTBAT and the flush slots
/// until this drops.
pub(crate) struct HandoffGuard<'a> {
    h: &'a Handoff,
    // Dropped after `Drop::drop` has released the two-party lock.
    _ap: SpinLockIrqGuard<'a, ()>,
}

impl Handoff {
    /// Maps the transport's `handoff` region (`ENODEV` without one, `EINVAL` if it is smaller
    /// than the layout).
    pub(crate) fn new(transport: &dyn Transport) -> Result<Arc<Self>> {
        let Some(region) = transport.region(Region::Handoff) else {
            pr_err!("handoff: the device has no `handoff` memory region\n");
            return Err(ENODEV);
        };
        if region.size < HANDOFF_SIZE as u64 {
            pr_err!(
                "handoff: the `handoff` region is {:#x} bytes, the layout needs {:#x}\n",
                region.size,
                HANDOFF_SIZE
            );
            return Err(EINVAL);
        }
        let map = RegionMap::new(region.phys, HANDOFF_SIZE as u64)?;
        Arc::pin_init(
            pin_init!(Self {
                map,
                ap <- SpinLockIrq::new((), c_str!("asahi::Handoff::ap"), lock_class!()),
                taken: AtomicU64::new(0),
                waited: AtomicU64::new(0),
            }),
            GFP_KERNEL,
        )
    }

    fn u8_at(&self, off: usize) -> Result<&AtomicU8> {
        self.map.u8_at(off).ok_or(EINVAL)
    }

    fn u32_at(&self, off: usize) -> Result<&AtomicU32> {
        self.map.u32_at(off).ok_or(EINVAL)
    }

    fn u64_at(&self, off: usize) -> Result<&AtomicU64> {
        self.map.u64_at(off).ok_or(EINVAL)
    }

    /// The flush slot `slot`'s `(state, addr, size)` words.
    fn flush_words(&self, slot: usize) -> Result<[&AtomicU64; 3]> {
        let at = Layout::flush_offset(slot).ok_or(EINVAL)?;
        Ok([
            self.u64_at(at)?,
            self.u64_at(at + 8)?,
            self.u64_at(at + 16)?,
        ])
    }

    /// Takes the handoff lock (Dekker's algorithm with the firmware). `ETIMEDOUT` if the
    /// firmware holds it for longer than [`LOCK_TIMEOUT_NS`]. Any context; never sleeps.
    pub(crate) fn lock(&self) -> Result<HandoffGuard<'_>> {
        let ap_guard = self.ap.lock();
        let lock_ap = self.u8_at(Layout::LOCK_AP_OFFSET)?;
        let lock_fw = self.u8_at(Layout::LOCK_FW_OFFSET)?;
        let turn = self.u32_at(Layout::TURN_OFFSET)?;
        let t0 = now_ns();
        let timed_out = || now_ns() - t0 > LOCK_TIMEOUT_NS;
        let mut waited = false;
        lock_ap.store(1, Ordering::SeqCst);
        while lock_fw.load(Ordering::SeqCst) != 0 {
            waited = true;
            if turn.load(Ordering::SeqCst) != 0 {
                // The firmware's turn: step back until it gives the turn back.
                lock_ap.store(0, Ordering::SeqCst);
                while turn.load(Ordering::SeqCst) != 0 && !timed_out() {
                    core::hint::spin_loop();
                }
                lock_ap.store(1, Ordering::SeqCst);
            }
            if timed_out() {
                lock_ap.store(0, Ordering::SeqCst);
                pr_err!(
                    "handoff: the firmware held the handoff lock for over {} ms\n",
                    LOCK_TIMEOUT_NS / 1_000_000
                );
                return Err(etimedout());
            }
            core::hint::spin_loop();
        }
        fence(Ordering::Acquire);
        self.taken.fetch_add(1, Ordering::Relaxed);
        if waited {
            self.waited.fetch_add(1, Ordering::Relaxed);
        }
        Ok(HandoffGuard {
            h: self,
            _ap: ap_guard,
        })
    }

    /// Writes the driver's half of the region and waits for the firmware's magic; then resets
    /// every flush slot. `EIO`, with a message saying what the region holds, when the firmware
    /// does not publish its magic within 1 s. Process context; sleeps.
    pub(crate) fn init(&self) -> Result {
        self.u64_at(Layout::MAGIC_AP_OFFSET)?
            .store(HANDOFF_MAGIC, Ordering::SeqCst);
        self.u32_at(Layout::CUR_SLOT_OFFSET)?
            .store(0, Ordering::SeqCst);
        self.u64_at(Layout::UNK_640_OFFSET)?
            .store(0, Ordering::SeqCst);
        let magic_fw = self.u64_at(Layout::MAGIC_FW_OFFSET)?;
        let t0 = now_ns();
        loop {
            let seen = {
                let _g = self.lock()?;
                magic_fw.load(Ordering::Acquire)
            };
            if seen == HANDOFF_MAGIC {
                break;
            }
            if now_ns() - t0 > INIT_TIMEOUT_NS {
                if seen == 0 {
                    pr_err!(
                        "handoff: the firmware never published its magic (magic_fw is 0): firmware not running?\n"
                    );
                } else {
                    pr_err!(
                        "handoff: wrong magic in the handoff region (magic_fw {:#x}, expected {:#x}): refusing the device\n",
                        seen,
                        HANDOFF_MAGIC
                    );
                }
                return Err(EIO);
            }
            // SAFETY: Plain sleep in process context.
            unsafe { crate::bindings::msleep(10) };
        }
        let _g = self.lock()?;
        for slot in 0..HANDOFF_FLUSH_SLOTS {
            for w in self.flush_words(slot)? {
                w.store(0, Ordering::Relaxed);
            }
        }
        fence(Ordering::SeqCst);
        Ok(())
    }

    /// Announces a flush of `[addr, addr + size)` in flush slot `slot` (state idle → requested),
    /// before the FwCtl message that asks for it. Any context.
    pub(crate) fn begin_flush(&self, slot: usize, addr: u64, size: u64) -> Result {
        let [state, a, s] = self.flush_words(slot)?;
        let _g = self.lock()?;
        let old = state.load(Ordering::Acquire);
        if old != FLUSH_IDLE {
            pr_err!("handoff: flush slot {slot} is in state {old}, expected idle\n");
        }
        a.store(addr, Ordering::Relaxed);
        s.store(size, Ordering::Relaxed);
        state.store(FLUSH_REQUESTED, Ordering::Release);
        Ok(())
    }

    /// Ends the flush in slot `slot` (done → idle). With `consumed` (the firmware took the FwCtl
    /// message), `EIO` if the firmware did not mark it done; the slot is reset to idle all the
    /// same. Any context.
    pub(crate) fn end_flush(&self, slot: usize, consumed: bool) -> Result {
        let [state, _, _] = self.flush_words(slot)?;
        let _g = self.lock()?;
        let old = state.load(Ordering::Acquire);
        state.store(FLUSH_IDLE, Ordering::Release);
        if consumed && old != FLUSH_DONE {
            pr_err!("handoff: flush slot {slot} ended in state {old}, expected done\n");
            return Err(EIO);
        }
        Ok(())
    }

    /// How many times the driver took the lock, and how many of those it waited for the
    /// firmware (KUnit).
    pub(crate) fn stats(&self) -> (u64, u64) {
        (
            self.taken.load(Ordering::Relaxed),
            self.waited.load(Ordering::Relaxed),
        )
    }

    /// The mapped region (KUnit tests play the firmware's part through it).
    #[cfg(CONFIG_KUNIT)]
    pub(crate) fn region(&self) -> &RegionMap {
        &self.map
    }
}

impl HandoffGuard<'_> {
    /// The user context slot the firmware has loaded for lower-half access, if any.
    pub(crate) fn current_slot(&self) -> Option<u32> {
        let cur = self
            .h
            .u32_at(Layout::CUR_SLOT_OFFSET)
            .map_or(0, |c| c.load(Ordering::Acquire));
        handoff_current_slot(cur)
    }
}

impl Drop for HandoffGuard<'_> {
    fn drop(&mut self) {
        // Unlock: give the turn to the firmware, then clear the AP's flag (downstream
        // `Handoff::unlock`).
        fence(Ordering::Release);
        if let (Ok(turn), Ok(lock_ap)) = (
            self.h.u32_at(Layout::TURN_OFFSET),
            self.h.u8_at(Layout::LOCK_AP_OFFSET),
        ) {
            turn.store(1, Ordering::SeqCst);
            lock_ap.store(0, Ordering::Release);
        }
    }
}
