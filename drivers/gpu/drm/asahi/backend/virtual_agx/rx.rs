// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The firmware side of the receive channels: the virtual AGX writes its log, kernel-trace
//! records and statistics like real firmware does (ring layouts in `fw::crashlog` and
//! [`crate::fwlog`]).
//!
//! At boot the rings are found from `RuntimePointers` through the kernel half's page tables,
//! and the physical address of every ring page is kept (the rings live as long as the GPU, as
//! the event ring's). Writers are the firmware core, the backend calls (`destroy_context`,
//! `flush_fw_cache`, `crash`) and boot; they serialise on the model's `rx` lock (a leaf), copy
//! into preallocated ring memory and never allocate. A full ring drops the entry and counts
//! it: the driver is never waited for.
//!
//! What the model writes:
//!
//! | channel | when | contents |
//! |---|---|---|
//! | FwLog info (1) | boot | `virtual AGX firmware 13.5 booted` |
//! | FwLog warn (3) | each GPU fault | reason, access, address, unit, slot, stamp |
//! | FwLog debug (0) | destroy context, cache flush | slot; flush count |
//! | FwLog error (4) | crash, before stopping | the crash reason |
//! | KTrace | each unit of work started ([`KTRACE_WORK_START`]) and completed ([`KTRACE_WORK_END`]) | timestamp (ns), args `[slot, stamp, unit, stream]` |
//! | Stats | every [`STATS_EVERY`] completed units of work | `Utilization`: timestamp (ns), `util1` = units since the last message, `util2` = units so far (low 32 bits) |
//!
//! Payload sequence numbers count from 1 across all levels; timestamps are nanoseconds of the
//! monotonic clock (real firmware uses GPU ticks). The KTrace codes are the model's own.

use super::layout::{
    self as offsets, FWLOG_BUF_PAGES, FWLOG_ENTRIES, FWLOG_RING_PAGES, KTRACE_ENTRIES,
    KTRACE_RING_PAGES, STATS_ENTRIES, STATS_RING_PAGES,
};
use super::{LogWriter, PhysMem, Space};
use crate::fw::channels::{ChannelState, RingPtrs, FWLOG_SUB_RINGS};
use crate::fw::crashlog::{
    RawFwLogMsg, RawFwLogPayloadMsg, RawKTraceMsg, RawStatsMsg, FWLOG_MSG_INDEX, FWLOG_MSG_PAYLOAD,
    FWLOG_PAYLOADS_PER_RING, FWLOG_TEXT_SIZE, STATS_UTILIZATION,
};
use crate::fw::plain::bytes_of;
use crate::fw::types::{Array, U64};
use crate::pages::shared_u32;
use core::mem::size_of;
use core::sync::atomic::{AtomicU32, Ordering};

/// KTrace code: a unit of work started.
pub(super) const KTRACE_WORK_START: u8 = 0x01;
/// KTrace code: a unit of work completed.
pub(super) const KTRACE_WORK_END: u8 = 0x02;
/// Completed units of work per Stats message.
pub(super) const STATS_EVERY: u32 = 16;

/// FwLog levels the model uses.
pub(super) const DEBUG: usize = 0;
/// See [`DEBUG`].
pub(super) const INFO: usize = 1;
/// See [`DEBUG`].
pub(super) const WARN: usize = 3;
/// See [`DEBUG`].
pub(super) const ERROR: usize = 4;

const PAGE: usize = super::PAGE as usize;

/// The ring memory, by physical address, found at boot.
pub(super) struct RxRings {
    /// Writing allowed (between boot and shutdown).
    enabled: bool,
    fwlog_state: u64,
    fwlog_ring: [u64; FWLOG_RING_PAGES],
    fwlog_buf: [u64; FWLOG_BUF_PAGES],
    ktrace_state: u64,
    ktrace_ring: [u64; KTRACE_RING_PAGES],
    stats_state: u64,
    stats_ring: [u64; STATS_RING_PAGES],
    /// Last FwLog sequence number.
    seq: u32,
    /// Entries dropped because a ring was full.
    dropped: u64,
    /// Units of work completed since the last Stats message, and in all.
    since_stats: u32,
    completed: u32,
}

impl RxRings {
    /// No rings yet (before boot).
    pub(super) const fn new() -> Self {
        Self {
            enabled: false,
            fwlog_state: 0,
            fwlog_ring: [0; FWLOG_RING_PAGES],
            fwlog_buf: [0; FWLOG_BUF_PAGES],
            ktrace_state: 0,
            ktrace_ring: [0; KTRACE_RING_PAGES],
            stats_state: 0,
            stats_ring: [0; STATS_RING_PAGES],
            seq: 0,
            dropped: 0,
            since_stats: 0,
            completed: 0,
        }
    }

    /// Finds the rings from the `RuntimePointers` at `rp`, reading through `space` (the kernel
    /// half), and enables writing.
    pub(super) fn find(space: &Space<'_>, rp: u64) -> Option<Self> {
        let read = |va: u64| space.read_u64(va).ok();
        let pages = |va: u64, out: &mut [u64]| -> Option<()> {
            for (i, pa) in out.iter_mut().enumerate() {
                *pa = space.phys(va.checked_add((i * PAGE) as u64)?, PAGE)?;
            }
            Some(())
        };
        let ring = |off: usize| -> Option<(u64, u64)> {
            let at = rp.checked_add(off as u64)?;
            Some((read(at)?, read(at.checked_add(offsets::RING_RING as u64)?)?))
        };
        let mut r = Self::new();
        let (state, ring_va) = ring(offsets::RUNTIME_FWLOG)?;
        r.fwlog_state = space.phys(state, FWLOG_SUB_RINGS * size_of::<ChannelState>())?;
        pages(ring_va, &mut r.fwlog_ring)?;
        pages(
            read(rp.checked_add(offsets::RUNTIME_FWLOG_BUF as u64)?)?,
            &mut r.fwlog_buf,
        )?;
        let (state, ring_va) = ring(offsets::RUNTIME_KTRACE)?;
        r.ktrace_state = space.phys(state, size_of::<ChannelState>())?;
        pages(ring_va, &mut r.ktrace_ring)?;
        let (state, ring_va) = ring(offsets::RUNTIME_STATS)?;
        r.stats_state = space.phys(state, size_of::<ChannelState>())?;
        pages(ring_va, &mut r.stats_ring)?;
        r.enabled = true;
        Some(r)
    }

    /// Stops all writing (shutdown): the ring memory may go after this.
    pub(super) fn disable(&mut self) {
        self.enabled = false;
    }

    /// Entries dropped so far because a ring was full.
    pub(super) fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Copies `bytes` to byte `offset` of the ring whose pages are at `pages`.
    fn write(pages: &[u64], offset: usize, bytes: &[u8]) -> bool {
        let mut done = 0;
        while done < bytes.len() {
            let Some(at) = offset.checked_add(done) else {
                return false;
            };
            let n = (PAGE - at % PAGE).min(bytes.len() - done);
            let (Some(&page), Some(src)) = (pages.get(at / PAGE), bytes.get(done..done + n)) else {
                return false;
            };
            let Some(p) = PhysMem::ptr(page + (at % PAGE) as u64, n) else {
                return false;
            };
            // SAFETY: `p` is `n` bytes of RAM in a ring page the driver keeps while writing is
            // enabled.
            unsafe { core::ptr::copy_nonoverlapping(src.as_ptr(), p, n) };
            done += n;
        }
        true
    }

    /// Claims the next entry of the ring whose state is at `state`: its index and the write
    /// pointer to publish it with, or `None` (counted as dropped) if the ring is full.
    fn claim(&mut self, state: u64, count: u32) -> Option<(u32, &'static AtomicU32, u32)> {
        if !self.enabled || PhysMem::ptr(state, size_of::<ChannelState>()).is_none() {
            return None;
        }
        // SAFETY: Aligned `u32`s of a channel state in RAM (checked) that the driver keeps
        // while writing is enabled.
        let (rp, wp) = unsafe {
            (
                shared_u32(state + ChannelState::READ_PTR_OFFSET as u64),
                shared_u32(state + ChannelState::WRITE_PTR_OFFSET as u64),
            )
        };
        let ptrs = RingPtrs::new(
            count,
            rp.load(Ordering::Acquire),
            wp.load(Ordering::Relaxed),
        );
        match ptrs.and_then(|p| Some((p.write(), p.produce()?.write()))) {
            Some((w, next)) => Some((w, wp, next)),
            None => {
                self.dropped = self.dropped.wrapping_add(1);
                None
            }
        }
    }

    /// Logs a line at `level` (0 debug … 5 critical), truncated to the payload's text size.
    pub(super) fn log(&mut self, level: usize, args: core::fmt::Arguments<'_>) {
        if level >= FWLOG_SUB_RINGS {
            return;
        }
        let state = self.fwlog_state + (level * size_of::<ChannelState>()) as u64;
        let Some((w, wp, next)) = self.claim(state, FWLOG_ENTRIES) else {
            return;
        };
        self.seq = self.seq.wrapping_add(1);
        let mut payload = RawFwLogPayloadMsg {
            msg_type: FWLOG_MSG_PAYLOAD,
            seq_no: self.seq,
            timestamp: U64(now_ns()),
            ..Default::default()
        };
        {
            // Keep the last byte NUL.
            let text = payload
                .msg
                .0
                .get_mut(..FWLOG_TEXT_SIZE - 1)
                .unwrap_or(&mut []);
            let mut wr = LogWriter { buf: text, len: 0 };
            let _ = core::fmt::Write::write_fmt(&mut wr, args);
        }
        let index = RawFwLogMsg {
            msg_type: FWLOG_MSG_INDEX,
            msg_index: U64(u64::from(w)),
            ..Default::default()
        };
        let slot = level * FWLOG_PAYLOADS_PER_RING + w as usize;
        let ok = Self::write(
            &self.fwlog_buf,
            slot * size_of::<RawFwLogPayloadMsg>(),
            bytes_of(&payload),
        ) && Self::write(
            &self.fwlog_ring,
            slot * size_of::<RawFwLogMsg>(),
            bytes_of(&index),
        );
        if ok {
            wp.store(next, Ordering::Release);
        }
    }

    /// Appends a KTrace record.
    pub(super) fn ktrace(&mut self, code: u8, args: [u64; 4]) {
        let Some((w, wp, next)) = self.claim(self.ktrace_state, KTRACE_ENTRIES) else {
            return;
        };
        let msg = RawKTraceMsg {
            timestamp: U64(now_ns()),
            args: Array(args.map(U64)),
            code,
            ..Default::default()
        };
        if Self::write(
            &self.ktrace_ring,
            w as usize * size_of::<RawKTraceMsg>(),
            bytes_of(&msg),
        ) {
            wp.store(next, Ordering::Release);
        }
    }

    /// Counts a completed unit of work; every [`STATS_EVERY`] posts a Utilization message.
    pub(super) fn work_done(&mut self) {
        self.completed = self.completed.wrapping_add(1);
        self.since_stats = self.since_stats.saturating_add(1);
        if self.since_stats < STATS_EVERY {
            return;
        }
        let Some((w, wp, next)) = self.claim(self.stats_state, STATS_ENTRIES) else {
            return;
        };
        let mut msg = RawStatsMsg {
            msg_type: STATS_UTILIZATION,
            ..Default::default()
        };
        let fields = [
            &now_ns().to_le_bytes()[..],
            &self.since_stats.to_le_bytes(),
            &self.completed.to_le_bytes(),
        ];
        let mut at = 0;
        for f in fields {
            if let Some(d) = msg.data.0.get_mut(at..at + f.len()) {
                d.copy_from_slice(f);
            }
            at += f.len();
        }
        self.since_stats = 0;
        if Self::write(
            &self.stats_ring,
            w as usize * size_of::<RawStatsMsg>(),
            bytes_of(&msg),
        ) {
            wp.store(next, Ordering::Release);
        }
    }
}

fn now_ns() -> u64 {
    // CAST: the monotonic clock is non-negative.
    kernel::time::Ktime::ktime_get().to_ns() as u64
}
