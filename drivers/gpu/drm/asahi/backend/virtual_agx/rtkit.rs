// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The virtual AGX's RTKit side: endpoint messages in, the firmware's boot from `MSG_INIT`, and
//! the crash report with a crash log in RTKit's format.
//!
//! Messages (shared/reference/firmware-commands.md §7.3, decoded by `fw::channels`):
//! `MSG_INIT` (`0x81 << 48 | va`) on the firmware endpoint boots the firmware from the init data
//! at `va`; on the doorbell endpoint `0x83 << 48 | n` rings doorbell `n` (a pipe, `0x10` kick,
//! `0x11` device control) and `0x84 << 48` the FwCtl doorbell. Messages before RTKit runs, or
//! after the firmware crashed, are refused with `ENODEV`, as `apple_rtkit_send_message` refuses
//! them; unknown messages are logged and ignored.
//!
//! The crash log is what RTKit hands over (6.12 `drivers/soc/apple/rtkit-crashlog.c`): a
//! 0x20-byte header (`CLHE`, version, total size, flags), then sections of a 16-byte header
//! (fourcc at 0, size at 12, counting the header) and their data: `Cver` (version string at
//! +16 of the data), `Cstr` (a `u32` message id, then text), `Ctim` (a `u64` time), and a
//! closing `CLHE`.

use super::layout as offsets;
use super::memory::Space;
use super::{
    rx, Firmware, VirtualAgx, CRASH_BAD_HANDOFF, CRASH_BAD_INITDATA, CRASH_NO_KERNEL_TTB,
    CRASH_REASONS,
};
use crate::fw::channels::{
    decode_doorbell, init_data_va, ChannelId, DoorbellMsg, FwCtlMsg, RawEventMsg,
};
use crate::fw::variants::g13_v13_5::{RawDeviceControlMsg, RunWorkQueueMsg};
use crate::kernel_ext::work::WorkHandler;
use core::mem::size_of;
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;

impl VirtualAgx {
    /// An endpoint message from the driver. Any context; never sleeps (device control and
    /// FwCtl are handed to the control work item, the firmware core is a work item).
    pub(super) fn receive(&self, endpoint: u8, msg: u64) -> Result {
        let fw = &*self.fw;
        if !fw.rtkit_up.load(Ordering::Acquire) || fw.crashed.load(Ordering::Acquire) {
            return Err(ENODEV);
        }
        match decode_doorbell(endpoint, msg) {
            Some(DoorbellMsg::Init(va)) => fw.boot(init_data_va(va)),
            Some(DoorbellMsg::Pipe { pipe, priority }) if fw.running.load(Ordering::Acquire) => {
                fw.consume_pipe(ChannelId::pipe_index(pipe, priority));
            }
            Some(DoorbellMsg::KickFirmware) if fw.running.load(Ordering::Acquire) => {
                fw.core.queue();
            }
            Some(DoorbellMsg::DeviceControl | DoorbellMsg::FwCtl)
                if fw.running.load(Ordering::Acquire) =>
            {
                fw.control.queue();
            }
            // Doorbells before the firmware booted: nothing reads the rings yet (the driver
            // rings device control again after `MSG_INIT`, as the real boot order does).
            Some(_) => {}
            None => fw.log(
                rx::WARN,
                format_args!("unknown message {msg:#x} on endpoint {endpoint:#x}"),
            ),
        }
        Ok(())
    }
}

impl Firmware {
    /// Boots from the init data at `initdata`: like the firmware, it finds its runtime
    /// structures from there, reading only through the kernel half's page tables, whose root
    /// is TTBAT slot 0's `ttb1`. Missing pieces are a firmware crash, and so is a handoff
    /// region without the driver's magic.
    fn boot(&self, initdata: u64) {
        if self.running.load(Ordering::Acquire) {
            self.log(rx::WARN, format_args!("MSG_INIT while running: ignored"));
            return;
        }
        if !self.handoff.ap_ready() {
            self.request_crash(CRASH_BAD_HANDOFF);
            return;
        }
        let ttb1 = self.kernel_root();
        if ttb1 == 0 {
            self.request_crash(CRASH_NO_KERNEL_TTB);
            return;
        }
        self.ttb1.store(ttb1, Ordering::Release);
        let Some(space) = Space::new_kernel(ttb1, &self.tlb) else {
            self.request_crash(CRASH_NO_KERNEL_TTB);
            return;
        };
        if self.find_structures(&space, initdata).is_none() {
            self.request_crash(CRASH_BAD_INITDATA);
            return;
        }
        self.running.store(true, Ordering::Release);
        self.log(rx::INFO, format_args!("virtual AGX firmware 13.5 booted"));
        // Device control may have been rung before the boot (the real order rings it after
        // `MSG_INIT`); look at it now.
        self.control.queue();
    }

    /// TTBAT slot 0's `ttb1`: the kernel half's page-table root (0 when not valid).
    fn kernel_root(&self) -> u64 {
        let Some(p) = super::PhysMem::ptr(self.ttbat + 8, 8) else {
            return 0;
        };
        // The driver changes TTBAT entries under the handoff lock.
        let Some(_h) = self.handoff.lock() else {
            return 0;
        };
        // SAFETY: `p` is the aligned `ttb1` word of slot 0 in the TTBAT page (RAM, checked).
        let entry = unsafe { AtomicU64::from_ptr(p.cast()) }.load(Ordering::Acquire);
        match crate::fw::uat::decode_ttbat_entry(entry) {
            Some((base, slot)) if slot == crate::fw::uat::KERNEL_CONTEXT => base,
            _ => 0,
        }
    }

    /// Finds every structure the init data names, checking each pointer and ring; `None` when
    /// something is missing.
    fn find_structures(&self, space: &Space<'_>, initdata: u64) -> Option<()> {
        let read = |va: u64| space.read_u64(va).ok().filter(|&p| p != 0);
        let rp = read(initdata + offsets::INITDATA_RUNTIME_POINTERS as u64)?;
        let globals = read(initdata + offsets::INITDATA_GLOBALS as u64)?;
        let fs = read(initdata + offsets::INITDATA_FW_STATUS as u64)?;
        // The buffers the firmware uses at run time: named and mapped.
        let named = Iterator::chain(
            offsets::RUNTIME_BUFFERS.iter().map(|&off| rp + off as u64),
            [initdata + offsets::INITDATA_UNK_BUF as u64],
        );
        for at in named {
            space.read_u32(read(at)?).ok()?;
        }
        let len = |entries: u32, msg: usize| entries as usize * msg;
        let (state, ring) = space
            .find_ring(
                rp + offsets::RUNTIME_EVENT as u64,
                0x30,
                len(offsets::EVENT_ENTRIES, size_of::<RawEventMsg>()),
            )
            .ok()?;
        let (dc_state, dc_ring) = space
            .find_ring(
                rp + offsets::RUNTIME_DEVCTRL as u64,
                0x30,
                len(offsets::DEVCTRL_ENTRIES, size_of::<RawDeviceControlMsg>()),
            )
            .ok()?;
        let pipe_size = len(offsets::PIPE_ENTRIES, size_of::<RunWorkQueueMsg>());
        for i in 0..self.pipe_state.len() {
            // `RuntimePointers::pipes` is 4 priorities × (vertex, fragment, compute), each a
            // `ChannelRing { state, ring }`, the order of `ChannelId::pipe_index`.
            let at = rp + offsets::RUNTIME_PIPES as u64 + i as u64 * 16;
            let (state, ring) = space.find_ring(at, 0x30, pipe_size).ok()?;
            self.pipe_state.get(i)?.store(state, Ordering::Release);
            self.pipe_ring.get(i)?.store(ring, Ordering::Release);
        }
        let (fwctl_state, fwctl_ring) = space
            .find_ring(
                fs + offsets::FW_STATUS_FWCTL as u64,
                0x20,
                len(offsets::FWCTL_ENTRIES, size_of::<FwCtlMsg>()),
            )
            .ok()?;
        // `Globals` must hold its pending stamps; `FwStatus` its flags.
        space.phys(
            globals + crate::fw::variants::g13_v13_5::Globals::PENDING_STAMPS_OFFSET as u64,
            8,
        )?;
        space.phys(fs, size_of::<crate::fw::job::FwStatus>())?;
        let rings = rx::RxRings::find(space, rp)?;
        self.globals.store(globals, Ordering::Release);
        self.fw_status.store(fs, Ordering::Release);
        self.event_state.store(state, Ordering::Release);
        self.event_ring.store(ring, Ordering::Release);
        self.fwctl_state.store(fwctl_state, Ordering::Release);
        self.fwctl_ring.store(fwctl_ring, Ordering::Release);
        self.dc_state.store(dc_state, Ordering::Release);
        self.dc_ring.store(dc_ring, Ordering::Release);
        *self.rx.lock() = rings;
        Some(())
    }
}

/// What the crash work item runs.
pub(super) struct CrashLine {
    pub(super) fw: *const Firmware,
}

// SAFETY: `fw` points to the pinned `Firmware` containing this line, which outlives it.
unsafe impl Send for CrashLine {}
// SAFETY: As above; `Firmware` is `Sync`.
unsafe impl Sync for CrashLine {}

/// A RTKit crash-log fourcc, as `rtkit-crashlog.c` compares it (a little-endian `u32` whose
/// most significant byte is the first letter).
const fn fourcc(s: &[u8; 4]) -> u32 {
    ((s[0] as u32) << 24) | ((s[1] as u32) << 16) | ((s[2] as u32) << 8) | s[3] as u32
}

/// Builds a crash log in RTKit's format in a fixed buffer.
struct CrashLog<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> CrashLog<'a> {
    /// Starts a log: room for the 0x20-byte header.
    fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, len: 0x20 }
    }

    fn put(&mut self, at: usize, bytes: &[u8]) {
        if let Some(d) = self.buf.get_mut(at..at + bytes.len()) {
            d.copy_from_slice(bytes);
        }
    }

    /// Appends a section `tag` whose data `fill` writes (returning its length).
    fn section(&mut self, tag: &[u8; 4], fill: impl FnOnce(&mut [u8]) -> usize) {
        let start = self.len;
        let Some(data) = self.buf.get_mut(start + 16..) else {
            return;
        };
        let n = fill(data);
        // Sections are padded to 4 bytes.
        let size = (16 + n + 3) & !3;
        if start + size > self.buf.len() {
            return;
        }
        self.put(start, &fourcc(tag).to_le_bytes());
        // CAST: a section is far below 4 GiB.
        self.put(start + 12, &(size as u32).to_le_bytes());
        self.len = start + size;
    }

    /// Closes the log: the footer section and the header. Returns the bytes.
    fn finish(mut self) -> &'a [u8] {
        self.section(b"CLHE", |_| 0);
        let len = self.len.min(self.buf.len());
        self.put(0, &fourcc(b"CLHE").to_le_bytes());
        self.put(4, &1u32.to_le_bytes());
        // CAST: the log is a few hundred bytes.
        self.put(8, &(len as u32).to_le_bytes());
        self.buf.get(..len).unwrap_or(&[])
    }
}

impl WorkHandler for CrashLine {
    /// Reports the crash to the driver once the core has stopped, in process context.
    fn run(&self) {
        // SAFETY: See the `Send` impl.
        let fw = unsafe { &*self.fw };
        fw.core.flush();
        fw.irq.sync();
        let mut buf = [0u8; 512];
        let mut log = CrashLog::new(&mut buf);
        log.section(b"Cver", |d| {
            let v = b"virtual AGX firmware 13.5 (RTKit model)\0";
            let n = (16 + v.len()).min(d.len());
            d[16..n].copy_from_slice(&v[..n - 16]);
            n
        });
        log.section(b"Ctim", |d| {
            // CAST: the monotonic clock is non-negative.
            let now = kernel::time::Ktime::ktime_get().to_ns() as u64;
            d[..8].copy_from_slice(&now.to_le_bytes());
            8
        });
        log.section(b"Cstr", |d| {
            d[..4].copy_from_slice(&0u32.to_le_bytes());
            let mut w = LogWriter {
                buf: &mut d[4..],
                len: 0,
            };
            let _ = core::fmt::Write::write_fmt(
                &mut w,
                format_args!(
                    "virtual AGX firmware crash\nreason: {}\nwork completed: {}\nwork queued: {}\n\
                     cache flushes: {}\ntlb entries: {}\nlog entries dropped: {}\n\
                     handoff locks: {} (waited {})\n",
                    CRASH_REASONS
                        .get(fw.crash_reason.load(Ordering::Relaxed) as usize)
                        .unwrap_or(&"?"),
                    fw.completed.load(Ordering::Relaxed),
                    fw.queue.lock().len(),
                    fw.cache_flushes.load(Ordering::Relaxed),
                    fw.tlb.lock().len(),
                    fw.rx.lock().dropped(),
                    fw.handoff.stats().0,
                    fw.handoff.stats().1
                ),
            );
            4 + w.len
        });
        let bytes = log.finish();
        let handler = fw.handler.lock().clone();
        if let Some(h) = handler {
            h.crashed(bytes);
        }
    }
}

/// Formats into a fixed buffer, truncating.
pub(super) struct LogWriter<'a> {
    pub(super) buf: &'a mut [u8],
    pub(super) len: usize,
}

impl core::fmt::Write for LogWriter<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let room = self.buf.len() - self.len;
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}
