// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The firmware core's execution of a real run command: it reads the `RunCompute` the queue's
//! ring names (which must name its microsequence and its queue's notifier), then runs the command's microsequence op by op, as the firmware does:
//!
//! - `StartCompute` launches the work on the compute unit: the control stream is the one
//!   `JobParameters1.cdm_ctrl_stream_base` names (read through the op's `job_params1`
//!   pointer), in the address space of the op's context slot;
//! - `Timestamp` writes the time at the address stored where its `update_ts` points (the run
//!   command's `timestamp_pointers.start_addr` or `.end_addr`);
//! - `WaitForIdle` waits until the launched work is done: the model runs it there, so the
//!   start timestamp precedes the work and the end timestamp follows it;
//! - `FinalizeCompute` names the firmware stamp and its value; `RetireStamp` ends the sequence,
//!   and the command completes as its `JobMeta` says (the stamp, the event slot to flag).
//!
//! Anything else (an op of another unit, a Start naming another command, a sequence that does
//! not end in `RetireStamp`, one longer than [`MAX_SEQUENCE`]) is a firmware assertion: the
//! driver wrote a corrupt sequence, and the firmware crashes.

use super::memory::Space;
use super::{Firmware, Work, CRASH_BAD_QUEUE};
use crate::fw::job::{CommandType, ComputeJobParams1};
use crate::fw::plain;
use crate::fw::variants::g13_v13_5 as fwv;
use core::mem::{offset_of, size_of};
use fwv::microseq::{ops, Op};

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
    /// Reads the `RunCompute` at `va` (in firmware memory): its completion from `JobMeta`, its
    /// microsequence. `None` if it is unreadable or names no valid sequence.
    pub(super) fn read_compute(&self, space: &Space<'_>, va: u64) -> Option<Work> {
        let mut c = crate::fwmem::zeroed::<fwv::RunCompute>();
        space.read_bytes(va, plain::bytes_of_mut(&mut c)).ok()?;
        let len = c.microsequence_size as usize;
        // Firmware invariants: a compute command names its sequence and its queue's notifier.
        if c.tag != CommandType::RunCompute as u32
            || len == 0
            || len > MAX_SEQUENCE
            || c.notifier.va() == 0
        {
            return None;
        }
        Some(Work {
            slot: c.meta.stamp_slot,
            stamp: c.meta.stamp_value.0,
            stamp_va: c.meta.stamp.va(),
            fw_stamp_va: c.meta.fw_stamp.va(),
            complete: c.meta.flush_stamps != 0,
            vm_slot: c.vm_slot,
            ttb: self.slot_ttb(c.vm_slot),
            tag: CommandType::RunCompute,
            // Known once the sequence's Start op runs.
            stream: 0,
            usc_base: 0,
            ts_start: 0,
            ts_end: 0,
            sequence: Some(Sequence {
                command: va,
                va: c.microsequence.va(),
                len,
            }),
        })
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
        // The work launched by the Start op, run by the next wait.
        let mut launched = false;
        for item in ops(bytes) {
            let (_, op) = item.map_err(|_| CRASH_BAD_QUEUE)?;
            match op {
                Op::StartCompute(s) => {
                    // Firmware invariant: a sequence starts the command it belongs to.
                    if op.run_command() != Some(seq.command) || launched {
                        return Err(CRASH_BAD_QUEUE);
                    }
                    let at = s.job_params1.va()
                        + offset_of!(ComputeJobParams1, cdm_ctrl_stream_base) as u64;
                    work.stream = space.read_u64_unaligned(at).map_err(|_| CRASH_BAD_QUEUE)?;
                    let at =
                        s.job_params1.va() + offset_of!(ComputeJobParams1, usc_exec_base_cp) as u64;
                    work.usc_base = space.read_u64_unaligned(at).map_err(|_| CRASH_BAD_QUEUE)?;
                    work.vm_slot = s.vm_slot;
                    work.ttb = self.slot_ttb(s.vm_slot);
                    self.check_root(&work)?;
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
                Op::FinalizeCompute(_) => {
                    let (fw_stamp, value, _) = op.completion().ok_or(CRASH_BAD_QUEUE)?;
                    work.fw_stamp_va = fw_stamp;
                    work.stamp = value;
                }
                Op::RetireStamp => return Ok(work),
                _ => return Err(CRASH_BAD_QUEUE),
            }
        }
        // Firmware invariant: a sequence ends in RetireStamp.
        Err(CRASH_BAD_QUEUE)
    }
}

const _: () = assert!(size_of::<fwv::RunCompute>() <= 0x400);
