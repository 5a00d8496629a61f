// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The driver's end of a transmit (driver → firmware) channel ring: device control, FwCtl and
//! the work pipes.
//!
//! A channel is a ring of fixed-size messages and a state block with the read and write indices
//! (`fw::channels`): the driver writes a message, then publishes it by advancing the write
//! index and ringing the channel's doorbell; the firmware consumes messages and advances the
//! read index, which is how the driver learns a message was handled. The ring is full when one
//! entry is left (the firmware's rule), so a sender waits for room.
//!
//! [`TxChannel`] only keeps addresses: its memory is allocated for the GPU's lifetime
//! ([`crate::fwalloc::FwAllocator::alloc_permanent`]) and lives in the firmware heaps.

use crate::fw::channels::{ChannelState, FwCtlChannelState, RingPtrs};
use crate::pages::shared_u32;
use core::sync::atomic::Ordering;
use kernel::prelude::*;

/// Time a sender waits for the firmware, in milliseconds (downstream: 1 s).
pub(crate) const TIMEOUT_MS: u32 = 1000;

/// The driver's end of a transmit ring.
pub(crate) struct TxChannel {
    /// Physical address of the `ChannelState`.
    state: u64,
    /// Physical address of the ring (one allocation of `entries * msg_size` bytes).
    ring: u64,
    entries: u32,
    msg_size: usize,
    /// Offsets of the read and write indices in the state block.
    read_off: usize,
    write_off: usize,
}

impl TxChannel {
    /// A channel over a state block and a ring in firmware memory (physical addresses; both
    /// stay allocated for the GPU's lifetime, zeroed).
    ///
    /// # Safety
    ///
    /// `state` is a `ChannelState` and `ring` `entries * msg_size` bytes of RAM, both live for
    /// as long as the channel.
    pub(crate) unsafe fn new(state: u64, ring: u64, entries: u32, msg_size: usize) -> Self {
        Self {
            state,
            ring,
            entries,
            msg_size,
            read_off: ChannelState::READ_PTR_OFFSET,
            write_off: ChannelState::WRITE_PTR_OFFSET,
        }
    }

    /// The FwCtl channel, whose state block is a `FwCtlChannelState` (indices at 0 and 0x10).
    ///
    /// # Safety
    ///
    /// As for [`Self::new`], with `state` a `FwCtlChannelState`.
    pub(crate) unsafe fn new_fwctl(state: u64, ring: u64, entries: u32, msg_size: usize) -> Self {
        Self {
            state,
            ring,
            entries,
            msg_size,
            read_off: FwCtlChannelState::READ_PTR_OFFSET,
            write_off: FwCtlChannelState::WRITE_PTR_OFFSET,
        }
    }

    fn index(&self, offset: usize) -> &core::sync::atomic::AtomicU32 {
        // SAFETY: The state block is live RAM (type invariant via `new`), and the offsets are
        // the aligned index fields of its state layout.
        unsafe { shared_u32(self.state + offset as u64) }
    }

    fn ptrs(&self) -> Option<RingPtrs> {
        RingPtrs::new(
            self.entries,
            self.index(self.read_off).load(Ordering::Acquire),
            self.index(self.write_off).load(Ordering::Acquire),
        )
    }

    /// Writes `msg` and publishes it; returns its index. `EBUSY` if the ring is full, `EIO` if
    /// the firmware left the indices corrupt. The caller serialises senders and rings the
    /// doorbell.
    pub(crate) fn send(&mut self, msg: &[u8]) -> Result<u32> {
        if msg.len() != self.msg_size {
            return Err(EINVAL);
        }
        let ptrs = self.ptrs().ok_or(EIO)?;
        let next = ptrs.produce().ok_or(EBUSY)?;
        let at = ptrs.write();
        let dst = self.ring + u64::from(at) * self.msg_size as u64;
        // SAFETY: `dst` is entry `at < entries` of the live ring; the firmware does not read
        // it before the write index moves past it (below, with release ordering).
        unsafe {
            core::ptr::copy_nonoverlapping(
                msg.as_ptr(),
                crate::bindings::asahi_helper_phys_to_virt(dst).cast::<u8>(),
                msg.len(),
            );
        }
        self.index(self.write_off)
            .store(next.write(), Ordering::Release);
        Ok(at)
    }

    /// Whether message `index` has been consumed by the firmware.
    pub(crate) fn consumed(&self, index: u32) -> bool {
        let Some(p) = self.ptrs() else {
            return false;
        };
        // Pending messages are the `used` ones from the read index on.
        let distance = (index + p.count() - p.read()) % p.count();
        distance >= p.used()
    }

    /// Waits (sleeping) until message `index` has been consumed: `ETIMEDOUT` after
    /// [`TIMEOUT_MS`].
    pub(crate) fn wait_consumed(&self, index: u32) -> Result {
        // TIMEOUT: 1 s, polled every millisecond, as downstream's `wait_for`.
        for _ in 0..TIMEOUT_MS {
            if self.consumed(index) {
                return Ok(());
            }
            // SAFETY: Plain sleep; callers are in process context.
            unsafe { crate::bindings::msleep(1) };
        }
        if self.consumed(index) {
            Ok(())
        } else {
            // CAST: errno constants are small positive numbers.
            Err(Error::from_errno(-(kernel::bindings::ETIMEDOUT as i32)))
        }
    }
}
