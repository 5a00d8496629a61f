// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The firmware's own logs: the FwLog lines still in the payload buffer and the newest KTrace
//! records.

use core::fmt::Write as _;

use agx_firmware_defs::channels::{ChannelId, FWLOG_SUB_RINGS};
use agx_firmware_defs::crashlog::{
    RawFwLogMsg, RawFwLogPayloadMsg, RawKTraceMsg, FWLOG_LEVEL_NAMES, FWLOG_MSG_INDEX,
    FWLOG_MSG_PAYLOAD, FWLOG_PAYLOADS_PER_RING,
};
use agx_firmware_defs::job::ChannelRing;
use agx_firmware_defs::types::{GpuPtr, U64};

use super::channels::{prev_index, ring_ptrs, sub_ring_state};
use super::memory::{read_entry, read_struct};
use crate::format::Dump;

/// Most firmware log lines printed (the newest).
const MAX_FWLOG_LINES: usize = 64;
/// Most KTrace records printed (the newest).
const MAX_KTRACE_RECORDS: u32 = 32;

/// One firmware log line found in a dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FwLogLine {
    /// Sequence number (the order the firmware wrote the lines in).
    pub seq: u32,
    /// Level: the sub-ring, 0 (debug) to 5 (critical).
    pub level: usize,
    /// Firmware timestamp.
    pub timestamp: u64,
    /// The text.
    pub text: String,
    /// Not yet consumed by the driver (between the sub-ring's read and write pointers).
    pub unread: bool,
}

/// The firmware log lines still in the payload buffer, oldest first (by sequence number).
///
/// Payloads stay in the buffer after the driver consumed their index messages, until the
/// firmware reuses them, so this is the recent history, not only what is pending. Sub-ring `i`
/// has its state at `ring.state + i * 0x30`, its index messages at
/// `ring.ring + i * 0x100 * 0x38` and its payloads at `buf + i * 0x100 * 0xd8`.
pub fn fwlog_lines(dump: &Dump<'_>, ring: ChannelRing, buf: GpuPtr) -> Vec<FwLogLine> {
    let mut lines = Vec::new();
    let Some(buf) = buf.get() else {
        return lines;
    };
    let entries = ChannelId::FwLog.entries();
    let step = |n: usize, size: usize| u64::try_from(n.saturating_mul(size)).unwrap_or(u64::MAX);
    for level in 0..FWLOG_SUB_RINGS {
        // Payload indices named by the index messages not yet consumed.
        let mut unread = Vec::new();
        let ptrs = ring_ptrs(dump, sub_ring_state(ring.state.va(), level), entries);
        if let (Some(mut p), Some(ring_va)) = (ptrs, ring.ring.get()) {
            let base = level.saturating_mul(entries as usize);
            while let Some(next) = p.consume() {
                let at = ring_va.wrapping_add(step(
                    base.saturating_add(p.read() as usize),
                    core::mem::size_of::<RawFwLogMsg>(),
                ));
                if let Ok(m) = read_struct::<RawFwLogMsg>(dump, at) {
                    if m.msg_type == FWLOG_MSG_INDEX {
                        unread.push(m.msg_index.get());
                    }
                }
                p = next;
            }
        }
        for i in 0..FWLOG_PAYLOADS_PER_RING {
            let index = level
                .saturating_mul(FWLOG_PAYLOADS_PER_RING)
                .saturating_add(i);
            let at = buf.wrapping_add(step(index, core::mem::size_of::<RawFwLogPayloadMsg>()));
            let Ok(p) = read_struct::<RawFwLogPayloadMsg>(dump, at) else {
                continue;
            };
            if p.msg_type != FWLOG_MSG_PAYLOAD {
                continue;
            }
            let Some(text) = p.text() else {
                continue;
            };
            lines.push(FwLogLine {
                seq: p.seq_no,
                level,
                timestamp: p.timestamp.get(),
                text: String::from_utf8_lossy(text).into_owned(),
                unread: unread.contains(&u64::try_from(i).unwrap_or(u64::MAX)),
            });
        }
    }
    lines.sort_by_key(|l| l.seq);
    lines
}

pub(super) fn firmware_log(out: &mut String, dump: &Dump<'_>, ring: ChannelRing, buf: GpuPtr) {
    if ring.state.is_null() || buf.is_null() {
        out.push_str("  Firmware log: not set up\n");
        return;
    }
    let lines = fwlog_lines(dump, ring, buf);
    let skip = lines.len().saturating_sub(MAX_FWLOG_LINES);
    let _ = writeln!(
        out,
        "  Firmware log @ {:#x} ({} lines, oldest first{})",
        buf.va(),
        lines.len(),
        if skip > 0 {
            format!(", the last {MAX_FWLOG_LINES}")
        } else {
            String::new()
        }
    );
    for l in lines.iter().skip(skip) {
        let _ = writeln!(
            out,
            "    fwlog #{:<5} {:<6} t={:<14} {}{}",
            l.seq,
            FWLOG_LEVEL_NAMES.get(l.level).unwrap_or(&"?"),
            l.timestamp,
            l.text,
            if l.unread { "  (unread)" } else { "" }
        );
    }
}

/// The newest KTrace records (at most `max`), oldest first: the entries before the write
/// pointer, whether or not the driver consumed them; never-written (all-zero) entries end the
/// walk.
pub fn ktrace(dump: &Dump<'_>, ring: ChannelRing, max: u32) -> Vec<RawKTraceMsg> {
    let count = ChannelId::KTrace.entries();
    let (Some(state), Some(ring_va)) = (ring.state.get(), ring.ring.get()) else {
        return Vec::new();
    };
    let Some(ptrs) = ring_ptrs(dump, state, count) else {
        return Vec::new();
    };
    let mut records = Vec::new();
    let mut index = ptrs.write();
    // One entry always stays free, so at most count - 1 were written since it was reused.
    for _ in 0..max.min(count.saturating_sub(1)) {
        index = prev_index(index, count);
        match read_entry::<RawKTraceMsg>(dump, ring_va, index) {
            Ok(m) if m != RawKTraceMsg::default() => records.push(m),
            _ => break,
        }
    }
    records.reverse();
    records
}

pub(super) fn ktrace_records(out: &mut String, dump: &Dump<'_>, ring: ChannelRing) {
    if ring.state.is_null() || ring.ring.is_null() {
        out.push_str("  KTrace: not set up\n");
        return;
    }
    let records = ktrace(dump, ring, MAX_KTRACE_RECORDS);
    let _ = writeln!(
        out,
        "  KTrace @ {:#x} (the last {} records, oldest first)",
        ring.ring.va(),
        records.len()
    );
    for r in records {
        let [a0, a1, a2, a3] = r.args.0.map(U64::get);
        let _ = writeln!(
            out,
            "    ktrace t={:<14} code {:#04x} args [{a0:#x}, {a1:#x}, {a2:#x}, {a3:#x}]",
            r.timestamp.get(),
            r.code
        );
    }
}
