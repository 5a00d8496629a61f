// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The virtual firmware's side of the completion and error protocol (what real firmware does,
//! shared/reference/firmware-commands.md §4): messages on the event channel, the RX doorbell,
//! and on a fault or timeout the fault register, `Globals.pending_stamps`, the halt and the wait
//! for the driver's resume through `FwStatus`.

use super::memory::{Fault, PhysMem, Space};
use super::{rx, unit_code, Firmware, Work, CRASH_NOT_RESUMED};
use crate::bindings;
use crate::fw::channels::{next_index, ChannelId, ChannelState, EventMsg, RawEventMsg};
use crate::fw::event::FlagBitmask;
use crate::fw::fault::FaultInfo;
use crate::fw::job::{FwStatus, PendingStamp, PENDING_STAMPS};
use crate::fw::variants::g13_v13_5::Globals;
use crate::pages::shared_u32;
use core::mem::size_of;
use core::sync::atomic::Ordering;

/// `FwStatus.flags.halt_count`, `.halted` and `.resume`.
const HALT_COUNT: u64 = FwStatus::HALT_COUNT_OFFSET as u64;
const HALTED: u64 = FwStatus::HALTED_OFFSET as u64;
const RESUME: u64 = FwStatus::RESUME_OFFSET as u64;

impl Firmware {
    /// The kernel half, as the firmware sees it.
    fn kernel_space(&self) -> Option<Space<'_>> {
        Space::new_kernel(self.ttb1.load(Ordering::Acquire), &self.tlb)
    }

    /// Appends `msg` to the event channel ring. A full ring (the driver behind) is waited on,
    /// with the RX doorbell rung, for up to a second; then the message is dropped and logged.
    /// Process context (the firmware core).
    pub(super) fn post_event(&self, msg: EventMsg) {
        let (state, ring) = (
            self.event_state.load(Ordering::Acquire),
            self.event_ring.load(Ordering::Acquire),
        );
        if state == 0 || ring == 0 || PhysMem::ptr(state, size_of::<ChannelState>()).is_none() {
            return;
        }
        let entries = ChannelId::Event.entries();
        // SAFETY: Both are aligned `u32`s of the firmware's channel state (RAM, checked).
        let (wp, rp) = unsafe {
            (
                shared_u32(state + ChannelState::WRITE_PTR_OFFSET as u64),
                shared_u32(state + ChannelState::READ_PTR_OFFSET as u64),
            )
        };
        let w = wp.load(Ordering::Acquire) % entries;
        let next = next_index(w, entries);
        // TIMEOUT: 1 s, polled every millisecond: the driver drains the ring on every doorbell.
        let mut waited = 0;
        while next == rp.load(Ordering::Acquire) {
            if waited == 1000 || !self.running.load(Ordering::Acquire) {
                self.rx.lock().log(
                    rx::ERROR,
                    format_args!("event channel full: {msg:?} dropped"),
                );
                return;
            }
            self.irq.raise();
            waited += 1;
            // SAFETY: Plain sleep in process context.
            unsafe { bindings::msleep(1) };
        }
        let raw = msg.encode();
        let size = size_of::<RawEventMsg>();
        if let Some(p) = PhysMem::ptr(ring + u64::from(w) * size as u64, size) {
            let bytes = crate::fw::plain::bytes_of(&raw);
            // SAFETY: `p` is a ring entry of `size` bytes in the firmware's ring (RAM, checked).
            unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), p, size) };
            wp.store(next, Ordering::Release);
        }
    }

    /// Completes `work`: its stamps where its `JobMeta` says, a Flag message for its slot, the
    /// RX doorbell.
    pub(super) fn complete(&self, work: &Work) {
        if let Some(space) = self.kernel_space() {
            let value = work.stamp.to_le_bytes();
            let _ = space.write(work.stamp_va, &value);
            let _ = space.write(work.fw_stamp_va, &value);
        }
        self.post_event(EventMsg::Flag {
            firing: FlagBitmask::default().with(work.slot),
            unk_14: 0,
        });
        self.irq.raise();
    }

    /// Reports a fault (`Some`) or a timeout (`None`) of `work` as real firmware does: the fault
    /// register latched, the work's slot and stamp in `Globals.pending_stamps`, halted in
    /// `FwStatus`, a Fault or Timeout message and the RX doorbell; then it waits for the driver
    /// to resume it (`FwStatus.resume`), and crashes if it never does.
    pub(super) fn report_fault(&self, work: &Work, f: Option<&Fault>) {
        match f {
            Some(f) => self.log(
                rx::WARN,
                format_args!(
                    "GPU fault: {:?} {} at {:#x}, unit {:#x}, level {}, slot {} stamp {:#x}",
                    f.reason,
                    if f.read { "read" } else { "write" },
                    f.address,
                    unit_code(work.tag),
                    f.level,
                    work.slot,
                    work.stamp
                ),
            ),
            None => self.log(
                rx::WARN,
                format_args!(
                    "work timeout: unit {:#x} ran past {} ms, stopped; slot {} stamp {:#x}",
                    unit_code(work.tag),
                    super::stream::WORK_TIMEOUT_MS,
                    work.slot,
                    work.stamp
                ),
            ),
        }
        let Some(space) = self.kernel_space() else {
            return;
        };
        if let Some(f) = f {
            let info = FaultInfo {
                address: f.address,
                sideband: 0,
                vm_slot: work.vm_slot,
                unit_code: unit_code(work.tag),
                level: f.level,
                unk_5: 0,
                read: f.read,
                reason: f.reason,
            };
            self.regs.latch_fault(info.encode());
        }
        let globals = self.globals.load(Ordering::Acquire);
        let entry = size_of::<PendingStamp>() as u64;
        let base = globals + Globals::PENDING_STAMPS_OFFSET as u64;
        let free = (0..PENDING_STAMPS as u64)
            .map(|i| base + i * entry)
            .find(|&at| space.read_u32(at).is_ok_and(|v| v == 0));
        if let Some(at) = free {
            let p = PendingStamp::new(work.slot, work.stamp);
            let _ = space.write(at + 4, &p.wait_value.to_le_bytes());
            let _ = space.write(at, &p.info.to_le_bytes());
        }
        let status = self.fw_status.load(Ordering::Acquire);
        let halts = space
            .read_u32(status + HALT_COUNT)
            .unwrap_or(0)
            .wrapping_add(1);
        let _ = space.write(status + HALT_COUNT, &halts.to_le_bytes());
        let _ = space.write(status + HALTED, &1u32.to_le_bytes());
        self.post_event(match f {
            Some(_) => EventMsg::Fault,
            None => EventMsg::Timeout {
                counter: halts,
                unk_8: 0,
                // CAST: slots are below 128.
                event_slot: work.slot as i32,
            },
        });
        self.irq.raise();
        // TIMEOUT: the driver resumes from its doorbell handler; 1 s covers a guest under heavy
        // emulation, polled every millisecond. A firmware never resumed is dead.
        for _ in 0..1000 {
            if space.read_u32(status + RESUME).is_ok_and(|v| v == 1) {
                let _ = space.write(status + RESUME, &0u32.to_le_bytes());
                return;
            }
            if !self.running.load(Ordering::Acquire) {
                return;
            }
            // SAFETY: Plain sleep in process context.
            unsafe { bindings::msleep(1) };
        }
        self.request_crash(CRASH_NOT_RESUMED);
    }
}
