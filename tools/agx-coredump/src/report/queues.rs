// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The work queues named by the last `RunWorkQueue` messages on the pipes: their ring
//! indices and the run commands the firmware had not run yet.

use core::fmt::Write as _;

use agx_firmware_defs::channels::ChannelId;
use agx_firmware_defs::job::{ChannelRing, CommandType, JobMeta, RingState};
use agx_firmware_defs::types::U64;

use super::channels::{channel_name, prev_index, ring_ptrs};
use super::firmware::{QueueInfoView, RunMsgView, RunOffsets};
use super::memory::{read_entry, read_struct};
use super::VaErrorDisplay;
use crate::format::Dump;

/// Most work queues the report shows, and most messages it looks back per pipe to find them.
const MAX_QUEUES: usize = 16;
const MAX_PIPE_LOOKBACK: u32 = 16;
/// Most commands shown per queue.
const MAX_QUEUE_COMMANDS: u32 = 8;

/// The work queues the last `RunWorkQueue` messages on each pipe named: their ring indices and
/// the commands the firmware had not run yet.
pub(super) fn work_queues<Q: QueueInfoView, M: RunMsgView>(
    out: &mut String,
    dump: &Dump<'_>,
    channels: &[(ChannelId, ChannelRing)],
) {
    let mut queues: Vec<(u64, String)> = Vec::new();
    for &(id, ring) in channels {
        if !matches!(id, ChannelId::Pipe { .. }) || ring.state.is_null() {
            continue;
        }
        let Some(p) = ring_ptrs(dump, ring.state.va(), id.entries()) else {
            continue;
        };
        // Messages before the write index, newest first (the firmware consumed most of them).
        let mut index = p.write();
        for _ in 0..MAX_PIPE_LOOKBACK.min(p.count()) {
            index = prev_index(index, p.count());
            let Ok(msg) = read_entry::<M>(dump, ring.ring.va(), index) else {
                break;
            };
            let qi = msg.work_queue().va();
            if qi == 0 {
                break;
            }
            if !queues.iter().any(|(q, _)| *q == qi) && queues.len() < MAX_QUEUES {
                queues.push((qi, channel_name(id)));
            }
        }
    }
    if queues.is_empty() {
        out.push_str("  Work queues: none named on the pipes\n");
        return;
    }
    let _ = writeln!(out, "  Work queues ({} named on the pipes)", queues.len());
    for (qi, pipe) in queues {
        work_queue::<Q>(out, dump, qi, &pipe);
    }
}

fn work_queue<Q: QueueInfoView>(out: &mut String, dump: &Dump<'_>, qi: u64, pipe: &str) {
    let q: Q = match read_struct(dump, qi) {
        Ok(q) => q,
        Err(e) => {
            let _ = writeln!(
                out,
                "    QueueInfo @ {qi:#x} ({pipe}): {}",
                VaErrorDisplay(&e)
            );
            return;
        }
    };
    let rs: RingState = match read_struct(dump, q.state().va()) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(
                out,
                "    QueueInfo @ {qi:#x} ({pipe}): event slot {}, ring state: {}",
                q.event_id(),
                VaErrorDisplay(&e)
            );
            return;
        }
    };
    let size = rs.rb_size;
    let pending = if size == 0 || rs.gpu_rptr >= size || rs.cpu_wptr >= size {
        None
    } else {
        Some((rs.cpu_wptr + size - rs.gpu_rptr) % size)
    };
    let _ = writeln!(
        out,
        "    QueueInfo @ {qi:#x} ({pipe}): event slot {}, priority {}, context {:#x}, ring {:#x} ({} entries), gpu_rptr {}, cpu_wptr {}, {}",
        q.event_id(),
        q.priority(),
        q.gpu_context().va(),
        q.ring().va(),
        size,
        rs.gpu_rptr,
        rs.cpu_wptr,
        match pending {
            Some(n) => format!("{n} commands not run"),
            None => "indices corrupt".into(),
        }
    );
    let Some(n) = pending else {
        return;
    };
    let mut index = rs.gpu_rptr;
    for _ in 0..n.min(MAX_QUEUE_COMMANDS) {
        let text = match read_entry::<U64>(dump, q.ring().va(), index) {
            Err(e) => format!("{}", VaErrorDisplay(&e)),
            Ok(ptr) => describe_command(dump, ptr.get(), Q::run_offsets),
        };
        let _ = writeln!(out, "      [{index}] {text}");
        index = (index + 1) % size;
    }
    if n > MAX_QUEUE_COMMANDS {
        let _ = writeln!(out, "      … {} more", n - MAX_QUEUE_COMMANDS);
    }
}

/// Describes the run command at `va`: its tag, and for a run command (`offsets` of its tag
/// in the dump's layout) its context slot, completion (`JobMeta`) and microsequence.
pub(super) fn describe_command(
    dump: &Dump<'_>,
    va: u64,
    offsets: impl Fn(CommandType) -> Option<RunOffsets>,
) -> String {
    let tag = match read_struct::<u32>(dump, va) {
        Err(e) => return format!("command @ {va:#x}: {}", VaErrorDisplay(&e)),
        Ok(t) => t,
    };
    let ty = CommandType::from_u32(tag);
    let kind = match ty {
        Some(CommandType::RunVertex) => "vertex",
        Some(CommandType::RunFragment) => "fragment",
        Some(CommandType::RunCompute) => "compute",
        Some(CommandType::Barrier) => "barrier",
        Some(CommandType::InitBuffer) => "init-buffer",
        Some(_) => "other",
        None => "unknown",
    };
    let head = format!("command @ {va:#x}: {kind} (tag {tag})");
    let Some(o) = ty.and_then(offsets) else {
        return head;
    };
    let at = |off: usize| va.wrapping_add(off as u64);
    let fields = (|| {
        let meta = read_struct::<JobMeta>(dump, at(o.meta))?;
        let vm_slot = read_struct::<u32>(dump, at(o.vm_slot))?;
        let seq = read_struct::<U64>(dump, at(o.microsequence))?;
        let len = read_struct::<u32>(dump, at(o.microsequence_size))?;
        Ok((meta, vm_slot, seq.get(), len))
    })();
    match fields {
        Err(e) => format!("{head}: {}", VaErrorDisplay(&e)),
        Ok((m, vm_slot, seq, len)) => format!(
            "{head}, slot {}, stamp {:#x}{}, uuid {:#x}, event seq {}, vm slot {vm_slot}, microsequence {seq:#x} ({len} bytes)",
            { m.stamp_slot },
            { m.stamp_value.0 },
            if m.flush_stamps != 0 {
                " (completes the job)"
            } else {
                ""
            },
            { m.uuid },
            { m.event_seq },
        ),
    }
}
