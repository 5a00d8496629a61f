// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The firmware → driver log channels: firmware log (FwLog), kernel trace (KTrace) and
//! statistics (Stats).
//!
//! The rings are allocated with the boot structures ([`crate::fwmem::FwBoot`] owns an
//! [`RxChannels`]) in the shared heap and named by `RuntimePointers` (layout in
//! `fw::crashlog`):
//!
//! | channel | state | ring | side buffer |
//! |---|---|---|---|
//! | FwLog | 6 × `ChannelState` (0x120 bytes) | 6 sub-rings × 0x100 × 0x38 = 0x15000 bytes (6 pages) | `fwlog_buf`: 6 × 0x100 payloads × 0xd8 = 0x51000 bytes (21 pages) |
//! | KTrace | `ChannelState` | 0x200 × 0x38 = 0x7000 bytes (2 pages) | |
//! | Stats | `ChannelState` | 0x100 × 0x40 = 0x4000 bytes (1 page) | |
//!
//! A firmware allocation is at most one 16 KiB page, but the firmware finds each ring (and the
//! FwLog payloads) from one base address, so a ring bigger than a page is an [`FwSpan`]: whole
//! pages allocated one after the other at boot, when the shared heap grows page by page, and
//! checked to be contiguous in the firmware's address space (boot fails with `EINVAL`
//! otherwise). Entries may straddle two pages, which need not be physically contiguous; both
//! sides copy entries piecewise.
//!
//! The driver drains the channels in process context, in the GPU's cleanup work
//! ([`crate::gpu::Gpu`]), which runs after every firmware interrupt (the firmware interrupts
//! after posting a log message, as real firmware asks the driver to poll its receive rings) and
//! once more at shutdown, after the firmware stopped: FwLog lines go to the kernel log prefixed
//! `fw: ` (info and notice at `KERN_INFO`, warn at `KERN_WARNING`, error and crit at
//! `KERN_ERR`; debug is not printed, as downstream prints it with `dev_dbg`), at most
//! [`LINES_PER_SECOND`] a second (the excess is counted and reported); KTrace and Stats are
//! acknowledged by moving their read pointers up to the write pointers (a crash dump shows
//! them, `tools/agx-coredump` decodes them). After [`RxDrain::close`] nothing is printed.

use crate::fw::channels::{ChannelId, ChannelState, FwLogChannelState, RingPtrs, FWLOG_SUB_RINGS};
use crate::fw::crashlog::{
    RawFwLogMsg, RawFwLogPayloadMsg, RawKTraceMsg, RawStatsMsg, FWLOG_MSG_INDEX, FWLOG_MSG_PAYLOAD,
    FWLOG_PAYLOADS_PER_RING,
};
use crate::fw::plain::{self, Plain};
use crate::fwalloc::{FwAlloc, FwAllocator, FwObject, HeapKind};
use crate::fwmem::zeroed;
use crate::kernel_ext::print::{dev_print, AsRawDevice, Level};
use crate::pages::{shared_u32, GPU_PAGE_SIZE};
use core::mem::size_of;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;

/// Entries per FwLog sub-ring.
pub(crate) const FWLOG_ENTRIES: u32 = ChannelId::FwLog.entries();
/// Entries of the KTrace ring.
pub(crate) const KTRACE_ENTRIES: u32 = ChannelId::KTrace.entries();
/// Entries of the Stats ring.
pub(crate) const STATS_ENTRIES: u32 = ChannelId::Stats.entries();
/// Bytes of the FwLog ring (all sub-rings).
pub(crate) const FWLOG_RING_SIZE: usize =
    FWLOG_SUB_RINGS * FWLOG_ENTRIES as usize * size_of::<RawFwLogMsg>();
/// Bytes of the FwLog payload buffer.
pub(crate) const FWLOG_BUF_SIZE: usize =
    FWLOG_SUB_RINGS * FWLOG_PAYLOADS_PER_RING * size_of::<RawFwLogPayloadMsg>();
/// Bytes of the KTrace ring.
pub(crate) const KTRACE_RING_SIZE: usize = KTRACE_ENTRIES as usize * size_of::<RawKTraceMsg>();
/// Bytes of the Stats ring.
pub(crate) const STATS_RING_SIZE: usize = STATS_ENTRIES as usize * size_of::<RawStatsMsg>();

/// GPU pages of a span of `size` bytes.
pub(crate) const fn span_pages(size: usize) -> usize {
    size.div_ceil(GPU_PAGE_SIZE as usize)
}

/// Most firmware log lines printed per second.
pub(crate) const LINES_PER_SECOND: u32 = 20;

/// Whole shared-heap pages, contiguous in the firmware's address space.
pub(crate) struct FwSpan {
    pages: KVec<FwAlloc>,
}

impl FwSpan {
    /// Allocates `size` bytes as whole pages of the shared heap (process context, at boot).
    pub(crate) fn new(fw: &Arc<FwAllocator>, size: usize) -> Result<Self> {
        let n = span_pages(size);
        let mut pages = KVec::with_capacity(n, GFP_KERNEL)?;
        for i in 0..n {
            let a = fw.alloc(HeapKind::Shared, GPU_PAGE_SIZE as usize)?;
            let first = pages.first().map_or(a.va(), |p: &FwAlloc| p.va());
            // CAST: a few dozen pages.
            if a.va() != first + i as u64 * GPU_PAGE_SIZE {
                return Err(EINVAL);
            }
            pages.push(a, GFP_KERNEL)?;
        }
        Ok(Self { pages })
    }

    /// The firmware address of the first byte.
    pub(crate) fn va(&self) -> u64 {
        self.pages.first().map_or(0, |p| p.va())
    }

    /// Copies `buf.len()` bytes from byte `offset` of the span, page by page.
    pub(crate) fn read(&self, offset: usize, buf: &mut [u8]) -> Result {
        let page = GPU_PAGE_SIZE as usize;
        let mut done = 0;
        while done < buf.len() {
            let at = offset.checked_add(done).ok_or(EINVAL)?;
            let n = (page - at % page).min(buf.len() - done);
            let dst = buf.get_mut(done..done + n).ok_or(EINVAL)?;
            self.pages
                .get(at / page)
                .ok_or(EINVAL)?
                .read_bytes(at % page, dst)?;
            done += n;
        }
        Ok(())
    }

    /// The page holding byte `offset` and the offset inside it.
    fn page_of(&self, offset: usize) -> Option<(&FwAlloc, usize)> {
        let page = GPU_PAGE_SIZE as usize;
        Some((self.pages.get(offset / page)?, offset % page))
    }

    /// Loads the `u32` at byte `offset` (4-byte aligned; 0 outside the span). Any context.
    pub(crate) fn load_u32(&self, offset: usize) -> u32 {
        self.page_of(offset).map_or(0, |(p, o)| p.load_u32(o))
    }

    /// Stores `value` at byte `offset` (4-byte aligned; ignored outside the span). Any context.
    pub(crate) fn store_u32(&self, offset: usize, value: u32) {
        if let Some((p, o)) = self.page_of(offset) {
            p.store_u32(o, value);
        }
    }

    /// Reads the `index`-th `T` of the span.
    fn entry<T: Plain>(&self, index: usize) -> Option<T> {
        let mut v: T = zeroed();
        self.read(
            index.checked_mul(size_of::<T>())?,
            plain::bytes_of_mut(&mut v),
        )
        .ok()?;
        Some(v)
    }
}

/// The receive channels' memory, owned by the boot structures.
pub(crate) struct RxChannels {
    pub(crate) fwlog_state: FwObject<FwLogChannelState>,
    pub(crate) fwlog_ring: FwSpan,
    pub(crate) fwlog_buf: FwSpan,
    pub(crate) ktrace_state: FwObject<ChannelState>,
    pub(crate) ktrace_ring: FwSpan,
    pub(crate) stats_state: FwObject<ChannelState>,
    pub(crate) stats_ring: FwSpan,
}

impl RxChannels {
    /// Allocates the states and rings, zeroed, in `fw`'s shared heap.
    pub(crate) fn new(fw: &Arc<FwAllocator>) -> Result<Self> {
        let fwlog_state = FwObject::new(fw, HeapKind::Shared, &zeroed::<FwLogChannelState>())?;
        let ktrace_state = FwObject::new(fw, HeapKind::Shared, &zeroed::<ChannelState>())?;
        let stats_state = FwObject::new(fw, HeapKind::Shared, &zeroed::<ChannelState>())?;
        Ok(Self {
            fwlog_state,
            fwlog_ring: FwSpan::new(fw, FWLOG_RING_SIZE)?,
            fwlog_buf: FwSpan::new(fw, FWLOG_BUF_SIZE)?,
            ktrace_state,
            ktrace_ring: FwSpan::new(fw, KTRACE_RING_SIZE)?,
            stats_state,
            stats_ring: FwSpan::new(fw, STATS_RING_SIZE)?,
        })
    }
}

/// The read and write pointers of the channel state at physical address `state`.
///
/// # Safety
///
/// `state` is a `ChannelState` in a firmware allocation that outlives the references.
unsafe fn ring_ptrs<'a>(state: u64) -> (&'a AtomicU32, &'a AtomicU32) {
    // SAFETY: The caller's promise; the offsets are aligned `u32`s inside the state.
    unsafe {
        (
            shared_u32(state + ChannelState::READ_PTR_OFFSET as u64),
            shared_u32(state + ChannelState::WRITE_PTR_OFFSET as u64),
        )
    }
}

/// The driver's side of the receive channels: what it consumed and printed.
pub(crate) struct RxDrain {
    closed: AtomicBool,
    window_start_ns: AtomicU64,
    printed_in_window: AtomicU32,
    suppressed: AtomicU32,
}

impl RxDrain {
    /// Nothing consumed yet.
    pub(crate) const fn new() -> Self {
        Self {
            closed: AtomicBool::new(false),
            window_start_ns: AtomicU64::new(0),
            printed_in_window: AtomicU32::new(0),
            suppressed: AtomicU32::new(0),
        }
    }

    /// Stops draining for good (the device is going away: nothing more may be printed for it).
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    /// Consumes everything the firmware posted. Process context; one caller at a time (the
    /// GPU's cleanup work).
    pub(crate) fn drain(&self, rx: &RxChannels, dev: &dyn AsRawDevice) {
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        for level in 0..FWLOG_SUB_RINGS {
            self.drain_fwlog(rx, dev, level);
        }
        // SAFETY: The states live in `rx`, borrowed for this call.
        unsafe {
            Self::ack(rx.ktrace_state.alloc().phys(), KTRACE_ENTRIES);
            Self::ack(rx.stats_state.alloc().phys(), STATS_ENTRIES);
        }
    }

    /// Acknowledges every message of the ring whose state is at `state`.
    ///
    /// # Safety
    ///
    /// As for [`ring_ptrs`].
    unsafe fn ack(state: u64, count: u32) {
        // SAFETY: The caller's promise.
        let (rp, wp) = unsafe { ring_ptrs(state) };
        let w = wp.load(Ordering::Acquire);
        // Corrupt indices from the firmware: nothing to acknowledge.
        if RingPtrs::new(count, rp.load(Ordering::Relaxed), w).is_some() {
            rp.store(w, Ordering::Release);
        }
    }

    fn drain_fwlog(&self, rx: &RxChannels, dev: &dyn AsRawDevice, level: usize) {
        let state = rx.fwlog_state.alloc().phys() + (level * size_of::<ChannelState>()) as u64;
        // SAFETY: The sub-ring's state is inside `fwlog_state`, which `rx` owns.
        let (rp, wp) = unsafe { ring_ptrs(state) };
        let Some(mut ptrs) = RingPtrs::new(
            FWLOG_ENTRIES,
            rp.load(Ordering::Relaxed),
            wp.load(Ordering::Acquire),
        ) else {
            return;
        };
        let base = level * FWLOG_ENTRIES as usize;
        while let Some(next) = ptrs.consume() {
            let msg = rx
                .fwlog_ring
                .entry::<RawFwLogMsg>(base + ptrs.read() as usize);
            let payload = msg
                .filter(|m| m.msg_type == FWLOG_MSG_INDEX)
                .and_then(|m| usize::try_from(m.msg_index.0).ok())
                .filter(|&i| i < FWLOG_PAYLOADS_PER_RING)
                .and_then(|i| {
                    rx.fwlog_buf
                        .entry::<RawFwLogPayloadMsg>(level * FWLOG_PAYLOADS_PER_RING + i)
                })
                .filter(|p| p.msg_type == FWLOG_MSG_PAYLOAD);
            if let Some(text) = payload.as_ref().and_then(|p| p.text()) {
                self.print(dev, level, text);
            }
            ptrs = next;
            rp.store(ptrs.read(), Ordering::Release);
        }
    }

    fn print(&self, dev: &dyn AsRawDevice, level: usize, text: &[u8]) {
        let level = match level {
            // Debug: not printed (downstream's dev_dbg).
            0 => return,
            1 | 2 => Level::Info,
            3 => Level::Warn,
            _ => Level::Err,
        };
        // CAST: the monotonic clock is non-negative.
        let now = kernel::time::Ktime::ktime_get().to_ns() as u64;
        let start = self.window_start_ns.load(Ordering::Relaxed);
        if now.wrapping_sub(start) >= 1_000_000_000 {
            self.window_start_ns.store(now, Ordering::Relaxed);
            self.printed_in_window.store(0, Ordering::Relaxed);
            let n = self.suppressed.swap(0, Ordering::Relaxed);
            if n != 0 {
                dev_print(
                    dev,
                    Level::Warn,
                    format_args!("fw: {n} firmware log lines suppressed\n"),
                );
            }
        }
        if self.printed_in_window.fetch_add(1, Ordering::Relaxed) >= LINES_PER_SECOND {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let text = core::str::from_utf8(text).unwrap_or("(text not UTF-8)");
        dev_print(dev, level, format_args!("fw: {text}\n"));
    }
}
