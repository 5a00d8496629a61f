// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The firmware's completion and error protocol, driver side (downstream `gpu.rs`
//! `recv_message`, `handle_fault`, `handle_timeout`, `mark_pending_events`, `recover`;
//! shared/reference/firmware-commands.md §4).
//!
//! On the RX doorbell the driver drains the event channel, in ring order:
//! - **Flag**: the 128-bit mask names the event slots that completed work; each slot's stamp
//!   (written by the firmware where the command's `JobMeta` said) completes its queue's jobs;
//! - **Fault**: the firmware halted on a GPU fault. The driver reads the fault register over
//!   MMIO and decodes it, fails the work `Globals.pending_stamps` names with `EIO` (zeroing each
//!   entry), and resumes the firmware through `FwStatus` (`halted` ← 0, then `resume` ← 1);
//! - **Timeout**: work of the named slot ran past the firmware's limit and was stopped; the
//!   pending stamps of that slot fail with `ETIMEDOUT`, those of any other slot with
//!   `ECANCELED` (downstream's `Killed`), and the firmware is resumed the same way;
//! - **ChannelError**: the named work fails with `EIO`;
//! - **GrowTVB** (no buffer manager yet) and unknown messages are logged, rate-limited.
//!
//! All of it runs in whatever context the transport delivers the doorbell in (hard IRQ on the
//! virtual AGX): it never sleeps or allocates, and it is a fence signalling path (under
//! `Gpu::owners`, in a [`SignallingSection`]).

use super::{Gpu, Owners};
use crate::backend::Mmio;
use crate::fw::channels::{next_index, ChannelState, EventMsg, RawEventMsg};
use crate::fw::event::EventValue;
use crate::fw::fault::{unit_name, FaultInfo};
use crate::fw::job::{FwStatus, PendingStamp, PENDING_STAMPS};
use crate::fw::variants::g13_v13_5::Globals;
use crate::fwmem::EVENT_RING_ENTRIES;
use crate::kernel_ext::dma_fence::SignallingSection;
use crate::kernel_ext::print::dev_err;
use core::mem::size_of;
use core::sync::atomic::Ordering;
use kernel::prelude::*;

impl Gpu {
    /// Drains the event channel (see the module docs). Any context.
    pub(super) fn poll_events(&self) {
        let _s = SignallingSection::begin();
        let mut owners = self.owners.lock();
        let (state, ring) = self.boot.event_channel();
        let (rp_at, wp_at) = (
            ChannelState::READ_PTR_OFFSET,
            ChannelState::WRITE_PTR_OFFSET,
        );
        let mut rp = state.alloc().load_u32(rp_at);
        let wp = state.alloc().load_u32(wp_at);
        if rp >= EVENT_RING_ENTRIES || wp >= EVENT_RING_ENTRIES {
            dev_err!(
                self,
                "event channel corrupt (read {:#x}, write {:#x}): dropped\n",
                rp,
                wp
            );
            state.alloc().store_u32(rp_at, wp % EVENT_RING_ENTRIES);
            return;
        }
        while rp != wp {
            let mut raw: RawEventMsg = crate::fwmem::zeroed();
            let size = size_of::<RawEventMsg>();
            if ring
                .read_bytes(rp as usize * size, crate::fw::plain::bytes_of_mut(&mut raw))
                .is_ok()
            {
                self.handle_event(&mut owners, &EventMsg::decode(&raw));
            }
            rp = next_index(rp, EVENT_RING_ENTRIES);
            state.alloc().store_u32(rp_at, rp);
        }
    }

    fn handle_event(&self, owners: &mut Owners, msg: &EventMsg) {
        match *msg {
            EventMsg::Flag { firing, .. } => {
                for slot in firing.slots() {
                    let Some(wq) = owners.get(slot as usize).map(core::ptr::from_ref) else {
                        continue;
                    };
                    let stamp = self.slot_stamp(slot);
                    // SAFETY: The queue holds the slot, so it is alive until it gives the slot
                    // back under `owners`, which `complete` does last (invariant of `Owners`).
                    unsafe { &*wq }.complete(owners, stamp);
                }
            }
            EventMsg::Fault => self.handle_fault(owners),
            EventMsg::Timeout {
                counter,
                event_slot,
                ..
            } => self.handle_timeout(owners, counter, event_slot),
            EventMsg::ChannelError {
                error_type,
                pipe_type,
                event_slot,
                event_value,
            } => {
                if self.note_error() {
                    dev_err!(
                        self,
                        "channel error {:?} on pipe type {}: slot {} stamp {:#x} fails\n",
                        error_type,
                        pipe_type,
                        event_slot,
                        event_value
                    );
                }
                if let Some(wq) = owners.get(event_slot as usize) {
                    wq.mark_failed(EventValue(event_value), EIO);
                }
            }
            EventMsg::GrowTvb { .. } | EventMsg::Unknown(_) => {
                let n = self.strange.fetch_add(1, Ordering::Relaxed);
                if n < 10 {
                    dev_err!(self, "unexpected firmware event {:?}\n", msg);
                }
            }
        }
    }

    /// Counts a fault or timeout; whether to log it (any client can fault at will).
    fn note_error(&self) -> bool {
        let n = self.faults.fetch_add(1, Ordering::Relaxed);
        n < 10 || n % 1000 == 0
    }

    /// A GPU fault: decode the fault register, fail the pending work, resume.
    fn handle_fault(&self, owners: &Owners) {
        let info = self
            .transport
            .read64(Mmio::Sgx, crate::hw::regs::FAULT_INFO);
        let fault = FaultInfo::decode(info);
        if self.note_error() {
            match fault {
                Some(f) => {
                    let unit = unit_name(f.unit_code).map(|(n, _)| n).unwrap_or("?");
                    dev_err!(
                        self,
                        "GPU fault #{}: {:?} {} at {:#x}, unit {} ({:#x}), level {}, vm slot {}\n",
                        self.faults.load(Ordering::Relaxed),
                        f.reason,
                        if f.read { "read" } else { "write" },
                        f.address,
                        unit,
                        f.unit_code,
                        f.level,
                        f.vm_slot
                    );
                }
                None => dev_err!(self, "GPU fault, fault register not valid ({:#x})\n", info),
            }
        }
        self.mark_pending(owners, None, EIO);
        self.recover();
    }

    /// A timeout of work of `slot` (negative: unknown).
    fn handle_timeout(&self, owners: &Owners, counter: u32, slot: i32) {
        if self.note_error() {
            dev_err!(
                self,
                "GPU timeout #{} (firmware counter {}): work of slot {} ran too long and was stopped\n",
                self.faults.load(Ordering::Relaxed),
                counter,
                slot
            );
        }
        // CAST: errno constants are small positive numbers.
        let timedout = Error::from_errno(-(kernel::bindings::ETIMEDOUT as i32));
        self.mark_pending(owners, u32::try_from(slot).ok(), timedout);
        self.recover();
    }

    /// Fails the work every valid `Globals.pending_stamps` entry names with `err` (with
    /// `ECANCELED` for slots other than `culprit`, when there is one) and zeroes the entries.
    fn mark_pending(&self, owners: &Owners, culprit: Option<u32>, err: Error) {
        let g = self.boot.globals();
        let entry = size_of::<PendingStamp>();
        for i in 0..PENDING_STAMPS {
            let at = Globals::PENDING_STAMPS_OFFSET + i * entry;
            let p = PendingStamp {
                info: g.load_u32(at),
                wait_value: g.load_u32(at + 4),
            };
            if !p.is_valid() {
                continue;
            }
            let slot = p.slot();
            let e = match culprit {
                // CAST: errno constants are small positive numbers.
                Some(c) if c != slot => Error::from_errno(-(kernel::bindings::ECANCELED as i32)),
                _ => err,
            };
            if let Some(wq) = owners.get(slot as usize) {
                wq.mark_failed(EventValue(p.wait_value), e);
            }
            g.store_u32(at, 0);
            g.store_u32(at + 4, 0);
        }
    }

    /// Resumes the halted firmware (downstream `recover`): `halted` ← 0, then `resume` ← 1. The
    /// firmware sets `halted` before it reports, so a clear flag means it cannot be resumed.
    fn recover(&self) {
        let status = self.boot.fw_status();
        if status.load_u32(FwStatus::HALTED_OFFSET) == 0 {
            dev_err!(self, "firmware not halted after a fault: cannot recover\n");
            return;
        }
        status.store_u32(FwStatus::HALTED_OFFSET, 0);
        status.store_u32(FwStatus::RESUME_OFFSET, 1);
    }
}
