// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The virtual AGX's device-control and FwCtl channels: `Initialize`, `DestroyContext` (drop
//! a context's queued work, wait for what runs, acknowledge; context 0 is a cache flush) and
//! range flushes, handled on the firmware's control work item (queued by the device-control and
//! FwCtl doorbells, so that a doorbell never sleeps) and acknowledged by advancing the channel's
//! read index.

use super::layout::{
    self as offsets, DEVCTRL_ENTRIES as DEVCTRL_RING_ENTRIES, FWCTL_ENTRIES as FWCTL_RING_ENTRIES,
};
use super::memory::consume_ring;
use super::{rx, Firmware};
use crate::bindings;
use crate::fw::channels::{FwCtlChannelState, FwCtlMsg};
use crate::fw::variants::g13_v13_5::{DeviceControlMsg, RawDeviceControlMsg};
use crate::kernel_ext::work::WorkHandler;
use core::sync::atomic::Ordering;

/// What the control work item runs: both channels, whichever doorbell queued it.
pub(super) struct ControlLine {
    pub(super) fw: *const Firmware,
}

// SAFETY: `fw` points to the pinned `Firmware` containing this line, which outlives it (its
// work items are flushed before it drops).
unsafe impl Send for ControlLine {}
// SAFETY: As above; `Firmware` is `Sync`.
unsafe impl Sync for ControlLine {}

impl WorkHandler for ControlLine {
    fn run(&self) {
        // SAFETY: See the `Send` impl.
        let fw = unsafe { &*self.fw };
        if fw.running.load(Ordering::Acquire) {
            fw.device_control();
            fw.fwctl();
        }
    }
}

impl Firmware {
    /// Handles every message waiting on the device-control channel (process context) and
    /// acknowledges each by advancing the read index.
    pub(super) fn device_control(&self) {
        let _guard = self.dc_lock.lock();
        let (state, ring) = (
            self.dc_state.load(Ordering::Acquire),
            self.dc_ring.load(Ordering::Acquire),
        );
        let idx = (offsets::STATE_READ_PTR, offsets::STATE_WRITE_PTR);
        consume_ring(
            state,
            idx,
            ring,
            DEVCTRL_RING_ENTRIES,
            |raw: RawDeviceControlMsg| {
                match DeviceControlMsg::decode(&raw) {
                    DeviceControlMsg::DestroyContext { gpu_context: 0, .. } => {
                        // A cache flush. The model reads firmware structures through the page
                        // tables each time it needs them and caches nothing of kernel-half memory
                        // beyond the boot pointers (which live as long as the GPU): nothing to
                        // write back, so the flush is counted and acknowledged.
                        let n = self.cache_flushes.fetch_add(1, Ordering::Relaxed) + 1;
                        self.log(rx::DEBUG, format_args!("firmware cache flush #{n}"));
                    }
                    DeviceControlMsg::DestroyContext { gpu_context, .. } => {
                        self.destroy_context(gpu_context);
                        self.log(
                            rx::DEBUG,
                            format_args!("context destroyed: {gpu_context:#x}"),
                        );
                    }
                    // Initialize, and messages this model does not act on.
                    _ => {}
                }
                true
            },
        );
    }

    /// Handles every message waiting on the FwCtl channel: each names a range of kernel memory
    /// to write back and drop from the firmware's caches before the driver unmaps it. The model
    /// caches no kernel-half data (only translations, which the driver invalidates itself), so
    /// it logs the request and acknowledges it by advancing the read index.
    pub(super) fn fwctl(&self) {
        let _guard = self.dc_lock.lock();
        let (state, ring) = (
            self.fwctl_state.load(Ordering::Acquire),
            self.fwctl_ring.load(Ordering::Acquire),
        );
        let idx = (
            FwCtlChannelState::READ_PTR_OFFSET,
            FwCtlChannelState::WRITE_PTR_OFFSET,
        );
        consume_ring(state, idx, ring, FWCTL_RING_ENTRIES, |msg: FwCtlMsg| {
            let n = self.range_flushes.fetch_add(1, Ordering::Relaxed) + 1;
            // The driver announces the range in the handoff region's flush slot; the firmware
            // marks it done there.
            let announced = self
                .handoff
                .complete_flush(msg.slot as usize, msg.addr.get());
            self.log(
                if announced { rx::DEBUG } else { rx::ERROR },
                format_args!(
                    "range flush #{n}: {:#x}, {} pages, slot {}{}",
                    msg.addr.get(),
                    msg.page_count,
                    msg.slot,
                    if announced {
                        ""
                    } else {
                        ": not announced in the handoff region"
                    }
                ),
            );
            true
        });
    }

    /// Drops the queued work of context `ctx` and waits for the work of it that runs.
    pub(super) fn destroy_context(&self, ctx: u64) {
        {
            let mut q = self.queue.lock();
            // Keep every other context's work, in order.
            let n = q.len();
            for _ in 0..n {
                if let Some(w) = q.pop() {
                    if w.context != ctx {
                        let _ = q.push(w);
                    }
                }
            }
            // The core stops running the context's commands after the current one.
            self.abort_context.store(ctx, Ordering::Release);
        }
        // TIMEOUT: a unit of work is stopped after WORK_TIMEOUT_MS (plus one op); wait for the
        // one running, polling every millisecond.
        while self.current_context.load(Ordering::Acquire) == ctx {
            // SAFETY: Plain sleep in process context.
            unsafe { bindings::msleep(1) };
        }
        self.abort_context.store(0, Ordering::Release);
    }
}
