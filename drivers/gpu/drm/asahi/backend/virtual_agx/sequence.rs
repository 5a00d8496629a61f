// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The firmware core's execution of a run command: it reads the `RunCompute`, `RunVertex` or
//! `RunFragment` the queue's ring names (the tag, context slot, microsequence and `JobMeta`),
//! then runs the command's microsequence op by op, as the firmware does:
//!
//! - `StartCompute` launches the work on the compute unit: the control stream is the one
//!   `JobParameters1.cdm_ctrl_stream_base` names, its shaders relative to
//!   `usc_exec_base_cp` (both read through the op's `job_params1` pointer);
//! - `StartVertex` launches the vertex (tiling) work: the VDM control stream
//!   `VertexJobParams1.vdm_ctrl_stream_base`, shaders relative to `usc_exec_base_ta` (read
//!   through the op's `job_params1` pointer);
//! - `StartFragment` launches the fragment work, which has no control stream of its own (the
//!   model runs none: it cannot run the tile programs);
//!
//!   each in the address space of the op's context slot;
//! - `Timestamp` writes the time at the address stored where its `update_ts` points (the run
//!   command's `timestamp_pointers.start_addr` or `.end_addr`);
//! - `WaitForIdle` (of the launched unit's pipe) waits until the launched work is done: the
//!   model runs it there, so the start timestamp precedes the work and the end timestamp
//!   follows it;
//! - `Finalize{Compute,Vertex,Fragment}` names the firmware stamp and its value;
//!   `RetireStamp` ends the sequence, and the command completes as its `JobMeta` says (the
//!   stamp, the event slot to flag).
//!
//! Anything else (an op of another unit than the command's, a Start naming another command, a
//! wait on another pipe, a sequence that does not end in `RetireStamp`, one longer than
//! [`MAX_SEQUENCE`]) is a firmware assertion: the driver wrote a corrupt sequence, and the
//! firmware crashes (`CRASH_BAD_QUEUE`).

use super::memory::Space;
use super::{Firmware, Work, CRASH_BAD_QUEUE};
use crate::fw::job::{CommandType, ComputeJobParams1, JobMeta};
use crate::fw::plain;
use crate::fw::variants::g13_v13_5 as fwv;
use core::mem::{offset_of, size_of};
use fwv::microseq::{ops, Op, Pipe};
use fwv::VertexJobParams1;

/// Longest microsequence the firmware runs (the driver's are a few hundred bytes).
pub(super) const MAX_SEQUENCE: usize = 0x400;

/// Where a command's microsequence is.
#[derive(Clone, Copy)]
pub(super) struct Sequence {
    /// The run command it belongs to.
    pub(super) command: u64,
    /// Its firmware address and length.
    pub(super) va: u64,
    /// See `va`.
    pub(super) len: usize,
}

impl Firmware {
    /// Reads the run command at `va` (in firmware memory) with tag `tag`: its context slot,
    /// completion (`JobMeta`) and microsequence, at the offsets of that command's layout.
    /// `None` if it is unreadable or names no valid sequence.
    pub(super) fn read_run(&self, space: &Space<'_>, va: u64, tag: CommandType) -> Option<Work> {
        let (vm_slot, seq, seq_size, meta) = match tag {
            CommandType::RunCompute => (
                offset_of!(fwv::RunCompute, vm_slot),
                offset_of!(fwv::RunCompute, microsequence),
                offset_of!(fwv::RunCompute, microsequence_size),
                offset_of!(fwv::RunCompute, meta),
            ),
            CommandType::RunVertex => (
                offset_of!(fwv::RunVertex, vm_slot),
                offset_of!(fwv::RunVertex, microsequence),
                offset_of!(fwv::RunVertex, microsequence_size),
                offset_of!(fwv::RunVertex, meta),
            ),
            CommandType::RunFragment => (
                offset_of!(fwv::RunFragment, vm_slot),
                offset_of!(fwv::RunFragment, microsequence),
                offset_of!(fwv::RunFragment, microsequence_size),
                offset_of!(fwv::RunFragment, meta),
            ),
            _ => return None,
        };
        let at = |off: usize| va.wrapping_add(off as u64);
        let vm_slot = space.read_u32(at(vm_slot)).ok()?;
        let seq_va = space.read_u64_unaligned(at(seq)).ok()?;
        let len = space.read_u32(at(seq_size)).ok()? as usize;
        let mut m = JobMeta::default();
        space
            .read_bytes(at(meta), plain::bytes_of_mut(&mut m))
            .ok()?;
        if len == 0 || len > MAX_SEQUENCE {
            return None;
        }
        Some(Work {
            slot: m.stamp_slot,
            stamp: m.stamp_value.0,
            stamp_va: m.stamp.va(),
            fw_stamp_va: m.fw_stamp.va(),
            complete: m.flush_stamps != 0,
            vm_slot,
            ttb: self.slot_ttb(vm_slot),
            tag,
            // Known once the sequence's Start op runs.
            stream: 0,
            usc_base: 0,
            sequence: Sequence {
                command: va,
                va: seq_va,
                len,
            },
        })
    }

    /// Launches the work of Start op `op` for `work` (its stream, shader base and address
    /// space). `Err` is a firmware crash reason.
    fn launch(&self, space: &Space<'_>, work: &mut Work, op: &Op) -> Result<(), u32> {
        let read = |va: u64| space.read_u64_unaligned(va).map_err(|_| CRASH_BAD_QUEUE);
        let (tag, vm_slot) = match op {
            Op::StartCompute(s) => {
                let p = s.job_params1.va();
                let stream = offset_of!(ComputeJobParams1, cdm_ctrl_stream_base) as u64;
                work.stream = read(p + stream)?;
                work.usc_base = read(p + offset_of!(ComputeJobParams1, usc_exec_base_cp) as u64)?;
                (CommandType::RunCompute, s.vm_slot)
            }
            Op::StartVertex(s) => {
                let p = s.job_params1.va();
                let stream = offset_of!(VertexJobParams1, vdm_ctrl_stream_base) as u64;
                work.stream = read(p + stream)?;
                work.usc_base = read(p + offset_of!(VertexJobParams1, usc_exec_base_ta) as u64)?;
                (CommandType::RunVertex, s.vm_slot)
            }
            Op::StartFragment(s) => {
                work.stream = 0;
                work.usc_base = 0;
                (CommandType::RunFragment, s.vm_slot)
            }
            _ => return Err(CRASH_BAD_QUEUE),
        };
        // Checked by `check_sequence`: the Start op is of the command's kind.
        debug_assert!(tag == work.tag);
        work.vm_slot = vm_slot;
        work.ttb = self.slot_ttb(vm_slot);
        self.check_root(work)
    }

    /// Runs `work`'s microsequence `seq` and returns the work as it completed (its stream,
    /// firmware stamp and value as the sequence named them). `Err` is a firmware crash reason.
    pub(super) fn run_sequence(
        &self,
        space: &Space<'_>,
        mut work: Work,
        seq: &Sequence,
    ) -> Result<Work, u32> {
        let mut bytes = [0u8; MAX_SEQUENCE];
        let bytes = bytes.get_mut(..seq.len).ok_or(CRASH_BAD_QUEUE)?;
        space
            .read_bytes(seq.va, bytes)
            .map_err(|_| CRASH_BAD_QUEUE)?;
        check_sequence(bytes, seq.command, work.tag)?;
        // The work launched by the Start op, run by the next wait.
        let mut launched = false;
        for item in ops(bytes) {
            let (_, op) = item.map_err(|_| CRASH_BAD_QUEUE)?;
            match op {
                Op::StartCompute(_) | Op::StartVertex(_) | Op::StartFragment(_) => {
                    self.launch(space, &mut work, &op)?;
                    self.trace_work(super::rx::KTRACE_WORK_START, &work);
                    launched = true;
                }
                Op::Timestamp(t) => {
                    // The time goes where the run command's pointer (at `update_ts`) says.
                    if let Ok(target) = space.read_u64_unaligned(t.update_ts.va()) {
                        self.timestamp(target);
                    }
                }
                Op::WaitForIdle(_) | Op::WaitForIdle2 => {
                    if launched {
                        launched = false;
                        self.run_work(&work);
                    }
                }
                Op::FinalizeCompute(_) | Op::FinalizeVertex(_) | Op::FinalizeFragment(_) => {
                    let (fw_stamp, value, _) = op.completion().ok_or(CRASH_BAD_QUEUE)?;
                    work.fw_stamp_va = fw_stamp;
                    work.stamp = value;
                }
                Op::RetireStamp => return Ok(work),
            }
        }
        // Firmware invariant: a sequence ends in RetireStamp.
        Err(CRASH_BAD_QUEUE)
    }
}

/// The firmware's assertions on the microsequence `bytes` of the command at `command` of kind
/// `tag`, checked before it runs (`Err(CRASH_BAD_QUEUE)`: the driver wrote a corrupt
/// sequence): every op decodes; one Start op, first, of the command's kind, naming the command;
/// waits only on the command's pipe, after the Start; one Finalize of the command's kind after
/// the Start; then `RetireStamp`, which ends the sequence (anything after it is not read).
pub(super) fn check_sequence(bytes: &[u8], command: u64, tag: CommandType) -> Result<(), u32> {
    let (mut started, mut finalized) = (false, false);
    for item in ops(bytes) {
        let (_, op) = item.map_err(|_| CRASH_BAD_QUEUE)?;
        let ok = match op {
            Op::StartCompute(_) | Op::StartVertex(_) | Op::StartFragment(_) => {
                let ok = !started && start_tag(&op) == Some(tag);
                started = true;
                ok && op.run_command() == Some(command)
            }
            Op::Timestamp(_) => started && !finalized,
            Op::WaitForIdle(pipe) => started && !finalized && pipe == unit_pipe(tag),
            Op::WaitForIdle2 => started && !finalized,
            Op::FinalizeCompute(_) | Op::FinalizeVertex(_) | Op::FinalizeFragment(_) => {
                let ok = started && !finalized && finalize_tag(&op) == Some(tag);
                finalized = true;
                ok
            }
            Op::RetireStamp => {
                return if finalized {
                    Ok(())
                } else {
                    Err(CRASH_BAD_QUEUE)
                }
            }
        };
        if !ok {
            return Err(CRASH_BAD_QUEUE);
        }
    }
    // A sequence ends in RetireStamp.
    Err(CRASH_BAD_QUEUE)
}

/// The kind of command Start op `op` launches.
fn start_tag(op: &Op) -> Option<CommandType> {
    match op {
        Op::StartCompute(_) => Some(CommandType::RunCompute),
        Op::StartVertex(_) => Some(CommandType::RunVertex),
        Op::StartFragment(_) => Some(CommandType::RunFragment),
        _ => None,
    }
}

/// The pipe whose idle a command of kind `tag` waits for.
fn unit_pipe(tag: CommandType) -> Pipe {
    match tag {
        CommandType::RunVertex => Pipe::Vertex,
        CommandType::RunFragment => Pipe::Fragment,
        _ => Pipe::Compute,
    }
}

/// The kind of command Finalize op `op` ends.
fn finalize_tag(op: &Op) -> Option<CommandType> {
    match op {
        Op::FinalizeCompute(_) => Some(CommandType::RunCompute),
        Op::FinalizeVertex(_) => Some(CommandType::RunVertex),
        Op::FinalizeFragment(_) => Some(CommandType::RunFragment),
        _ => None,
    }
}

const _: () = assert!(size_of::<JobMeta>() <= 0x40);

#[cfg(CONFIG_KUNIT)]
#[path = "sequence_tests.rs"]
mod tests;
