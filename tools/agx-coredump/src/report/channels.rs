// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The firmware's message rings: channel names, ring indices, the per-channel status lines,
//! the pending event-ring messages, and the `FwStatus` block with its FwCtl channel.

use core::fmt::Write as _;

use agx_firmware_defs::channels::{
    ChannelId, ChannelState, EventMsg, FwCtlChannelState, PipeType, RawEventMsg, RingPtrs,
    FWLOG_SUB_RINGS,
};
use agx_firmware_defs::job::{ChannelRing, FwStatus};

use super::memory::{read_entry, read_struct};
use super::VaErrorDisplay;
use crate::format::Dump;

/// Most pending messages listed per ring.
const MAX_RING_MESSAGES: u32 = 32;

pub(super) fn channel_name(id: ChannelId) -> String {
    match id {
        ChannelId::Pipe { pipe, priority } => {
            let kind = match pipe {
                PipeType::Vertex => "vtx",
                PipeType::Fragment => "frag",
                PipeType::Compute => "comp",
            };
            format!("pipe {kind} prio {priority}")
        }
        ChannelId::DeviceControl => "device_control".into(),
        ChannelId::Event => "event".into(),
        ChannelId::FwLog => "fw_log".into(),
        ChannelId::KTrace => "ktrace".into(),
        ChannelId::Stats => "stats".into(),
        ChannelId::FwCtl => "fwctl".into(),
    }
}

/// The start of a channel's status line: its name and the addresses of its state and ring.
fn channel_prefix(id: ChannelId, ring: ChannelRing) -> String {
    format!(
        "    {:<20} state {:#018x} ring {:#018x}",
        channel_name(id),
        ring.state.va(),
        ring.ring.va()
    )
}

/// The address of sub-ring `sub`'s state: FwLog has one `ChannelState` per sub-ring, back to
/// back; the other channels have only sub-ring 0.
pub(super) fn sub_ring_state(state: u64, sub: usize) -> u64 {
    state.wrapping_add(
        u64::try_from(sub)
            .unwrap_or(0)
            .wrapping_mul(core::mem::size_of::<ChannelState>() as u64),
    )
}

/// The indices in the `ChannelState` at `state` of a ring of `count` entries, or `None` if the
/// state cannot be read or the indices are corrupt.
pub(super) fn ring_ptrs(dump: &Dump<'_>, state: u64, count: u32) -> Option<RingPtrs> {
    read_struct::<ChannelState>(dump, state)
        .ok()
        .and_then(|s| RingPtrs::new(count, s.read_ptr, s.write_ptr))
}

/// The index before `index` in a ring of `count` entries (walking back from a write pointer).
pub(super) fn prev_index(index: u32, count: u32) -> u32 {
    index.checked_sub(1).unwrap_or(count.saturating_sub(1))
}

/// Formats a ring's indices: `rptr wptr pending`, or why they cannot be read.
fn ring_status(count: u32, read: u32, write: u32) -> (String, Option<RingPtrs>) {
    match RingPtrs::new(count, read, write) {
        Some(p) => (
            format!("rptr {read:>4}  wptr {write:>4}  pending {:>4}", p.used()),
            Some(p),
        ),
        None => (
            format!("rptr {read:#x}  wptr {write:#x}  (corrupt: ring has {count} entries)"),
            None,
        ),
    }
}

pub(super) fn channel(out: &mut String, dump: &Dump<'_>, id: ChannelId, ring: ChannelRing) {
    let (state, ring_va) = (ring.state.va(), ring.ring.va());
    let prefix = channel_prefix(id, ring);
    if ring.state.is_null() {
        let _ = writeln!(out, "{prefix}  (not set up)");
        return;
    }
    let dir = if id.is_tx() {
        "driver→fw"
    } else {
        "fw→driver"
    };
    let count = id.entries();
    let subs = id.sub_rings();
    for sub in 0..subs {
        let label = if subs > 1 {
            format!("{prefix} [{sub}/{FWLOG_SUB_RINGS}]")
        } else {
            prefix.clone()
        };
        match read_struct::<ChannelState>(dump, sub_ring_state(state, sub)) {
            Err(e) => {
                let _ = writeln!(out, "{label}  state: {}", VaErrorDisplay(&e));
            }
            Ok(s) => {
                let (text, ptrs) = ring_status(count, s.read_ptr, s.write_ptr);
                let _ = writeln!(out, "{label}  {text}  {dir}");
                if id == ChannelId::Event && !ring.ring.is_null() {
                    if let Some(p) = ptrs {
                        event_messages(out, dump, ring_va, p);
                    }
                }
            }
        }
    }
}

fn event_messages(out: &mut String, dump: &Dump<'_>, ring: u64, ptrs: RingPtrs) {
    let mut index = ptrs.read();
    let shown = ptrs.used().min(MAX_RING_MESSAGES);
    for _ in 0..shown {
        match read_entry::<RawEventMsg>(dump, ring, index) {
            Err(e) => {
                let _ = writeln!(out, "      event [{index}]: {}", VaErrorDisplay(&e));
                return;
            }
            Ok(raw) => {
                let _ = writeln!(out, "      event [{index}]: {}", describe_event(&raw));
            }
        }
        index = agx_firmware_defs::channels::next_index(index, ptrs.count());
    }
    if ptrs.used() > shown {
        let _ = writeln!(out, "      … {} more", ptrs.used().saturating_sub(shown));
    }
}

/// Describes one event-ring message.
pub fn describe_event(raw: &RawEventMsg) -> String {
    match EventMsg::decode(raw) {
        EventMsg::Fault => "fault (details in the fault-info register)".into(),
        EventMsg::Flag { firing, unk_14 } => {
            let slots: Vec<String> = firing.slots().map(|s| s.to_string()).collect();
            format!("flag: event slots fired [{}] (unk_14 {unk_14:#x})", slots.join(", "))
        }
        EventMsg::Timeout {
            counter,
            unk_8,
            event_slot,
        } => format!("timeout: counter {counter}, unk_8 {unk_8:#x}, event slot {event_slot}"),
        EventMsg::GrowTvb {
            vm_slot,
            buffer_slot,
            counter,
        } => format!("grow TVB: vm slot {vm_slot}, buffer slot {buffer_slot}, counter {counter}"),
        EventMsg::ChannelError {
            error_type,
            pipe_type,
            event_slot,
            event_value,
        } => format!(
            "channel error {error_type:?}: pipe {pipe_type}, event slot {event_slot}, value {event_value:#x}"
        ),
        EventMsg::Unknown(r) => format!("unknown type {:#x}", r.msg_type),
    }
}

pub(super) fn fw_status(out: &mut String, dump: &Dump<'_>, va: u64) {
    let st: FwStatus = match read_struct(dump, va) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(out, "  FwStatus @ {va:#x}: {}", VaErrorDisplay(&e));
            return;
        }
    };
    let _ = writeln!(
        out,
        "  FwStatus @ {va:#x}: halt_count {}, halted {}, resume {}",
        st.flags.halt_count, st.flags.halted, st.flags.resume
    );
    let ring = st.fwctl_channel;
    let prefix = channel_prefix(ChannelId::FwCtl, ring);
    match ring.state.get() {
        None => {
            let _ = writeln!(out, "{prefix}  (not set up)");
        }
        Some(s) => match read_struct::<FwCtlChannelState>(dump, s) {
            Err(e) => {
                let _ = writeln!(out, "{prefix}  state: {}", VaErrorDisplay(&e));
            }
            Ok(cs) => {
                let count = ChannelId::FwCtl.entries();
                let (text, _) = ring_status(count, cs.read_ptr, cs.write_ptr);
                let _ = writeln!(out, "{prefix}  {text}  driver→fw");
            }
        },
    }
}
