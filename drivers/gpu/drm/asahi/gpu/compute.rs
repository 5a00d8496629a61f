// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Compute commands as the firmware reads them: a `RunCompute` (in the firmware-private heap)
//! filled from a `drm_asahi_cmd_compute` and its queue, and the command's microsequence
//! (`StartCompute → [Timestamp] → WaitForIdle → [Timestamp] → FinalizeCompute → RetireStamp`)
//! that the firmware runs to execute it.
//!
//! The command is written at SUBMIT ([`ComputeCommand::new`], process context); what depends
//! on the queue's position (the event slot, the stamp value and where the firmware writes it)
//! is written when the job is queued ([`ComputeCommand::place`], under the queue's spinlock:
//! it allocates nothing), before the ring publishes the command.
//!
//! Field sources: reference `firmware-commands.md` §2.2 and §2.3 (downstream
//! `queue/compute.rs` `submit_compute`, `fw/compute.rs`); the layouts are `firmware-defs`'s.
//!
//! Not yet built here (issue 14 follow-ups): the preemption buffers (a per-job array of
//! `compute_preempt1_size` + 32 bytes in the user VM's kernel range; the virtual AGX never
//! preempts). The command names its queue's notifier (`RunCompute.notifier`, the Start op's
//! `notifier_buf`) and the runtime pointers' compute statistics.

use super::job::{ComputeArgs, Work};
use crate::fw::job::JobMeta;
use crate::fw::microseq::Builder;
use crate::fw::types::{GpuPtr, U64};
use crate::fw::variants::g13_v13_5 as fwv;
use crate::fwalloc::{FwAlloc, FwAllocator, FwObject, HeapKind};
use core::mem::offset_of;
use fwv::microseq::{compute_sequence, compute_sequence_len, ComputeSeqInputs};
use kernel::prelude::*;
use kernel::sync::Arc;

/// `JobParameters1.unk_38` (reference §2.3: constant 0x8c60).
const JOB_PARAMS1_UNK_38: u64 = 0x8c60;
/// `JobParameters1.unk_58` (reference §2.3: constant 1).
const JOB_PARAMS1_UNK_58: u32 = 1;
/// `EncoderParams.unk_mask` (reference §2.2: all ones).
const ENCODER_UNK_MASK: u32 = 0xffff_ffff;
/// Longest compute microsequence (with timestamps).
const SEQ_MAX: usize = compute_sequence_len(true);

/// Where the firmware reports a command's completion: decided when its job is queued.
#[derive(Clone, Copy)]
pub(super) struct Placement {
    /// The queue's `QueueInfo`.
    pub(super) work_queue: u64,
    /// Where the Start and Finalize ops point for statistics.
    pub(super) stats: crate::fwmem::StatsPointers,
    /// The queue's `Notifier`, and the notifier state's `unk_buf` the Start ops name.
    pub(super) notifier: u64,
    /// See `notifier`.
    pub(super) notifier_buf: u64,
    /// The event slot the queue holds.
    pub(super) slot: u32,
    /// The job's stamp value.
    pub(super) stamp: u32,
    /// The slot's driver-visible and firmware stamps.
    pub(super) stamp_va: u64,
    /// See `stamp_va`.
    pub(super) fw_stamp_va: u64,
    /// Event generation (the queue's identity) and the queue's command sequence number.
    pub(super) event_generation: u32,
    /// See `event_generation`.
    pub(super) event_seq: u64,
}

/// Writes the completion `p` decides into the `JobMeta` at byte `meta` of run command `a`
/// (any context; allocates nothing). The pointers are unaligned (packed): written as bytes,
/// before the ring publishes the command.
/// The command's `notifier` pointer, at byte `notifier`, is written too.
pub(super) fn write_meta(a: &FwAlloc, meta: usize, notifier: usize, p: &Placement) -> Result {
    a.write_bytes(notifier, &p.notifier.to_le_bytes())?;
    a.store_u32(meta + JobMeta::STAMP_VALUE_OFFSET, p.stamp);
    a.store_u32(meta + JobMeta::STAMP_SLOT_OFFSET, p.slot);
    a.write_bytes(meta + JobMeta::STAMP_OFFSET, &p.stamp_va.to_le_bytes())?;
    a.write_bytes(
        meta + JobMeta::FW_STAMP_OFFSET,
        &p.fw_stamp_va.to_le_bytes(),
    )?;
    // CAST: `JobMeta.event_seq` holds the sequence's low 32 bits.
    a.store_u32(meta + offset_of!(JobMeta, event_seq), p.event_seq as u32);
    Ok(())
}

/// A `RunCompute` and its microsequence, both in the firmware-private heap.
pub(crate) struct ComputeCommand {
    run: FwObject<fwv::RunCompute>,
    seq: FwAlloc,
    args: ComputeArgs,
    timestamps: bool,
    vm_slot: u32,
    counter: u64,
    uuid: u32,
}

impl ComputeCommand {
    /// Writes the `RunCompute` for `work` in context slot `vm_slot` of a queue whose shaders
    /// run from `usc_exec_base`; `counter` is the queue's command counter, `last` whether the
    /// command completes its job. Process context.
    pub(super) fn new(
        fw: &Arc<FwAllocator>,
        work: &Work,
        vm_slot: u32,
        usc_exec_base: u64,
        counter: u64,
        last: bool,
    ) -> Result<Self> {
        let timestamps = work.ts_start != 0 || work.ts_end != 0;
        let len = compute_sequence_len(timestamps);
        let seq = fw.alloc(HeapKind::Private, len)?;
        let a = &work.compute;
        // CAST: the uuid names the command in the firmware's traces; the counter's low bits.
        let uuid = counter as u32;
        let mut run = KBox::new(crate::fwmem::zeroed::<fwv::RunCompute>(), GFP_KERNEL)?;
        run.tag = crate::fw::job::CommandType::RunCompute as u32;
        run.counter.0 = [U64(counter)];
        run.vm_slot = vm_slot;
        let p1 = &mut run.job_params1.0[0];
        p1.cdm_ctrl_stream_base = U64(work.stream);
        p1.usc_exec_base_cp = U64(usc_exec_base);
        p1.unk_38 = U64(JOB_PARAMS1_UNK_38);
        p1.helper_program = a.helper_binary;
        p1.helper_arg = U64(a.helper_data);
        p1.helper_cfg = a.helper_cfg;
        p1.unk_58 = JOB_PARAMS1_UNK_58;
        // CAST: a sequence is a few hundred bytes.
        run.microsequence = GpuPtr::new(seq.va());
        run.microsequence_size = len as u32;
        run.job_params2.cdm_ctrl_stream_end = U64(a.cdm_end);
        let e = &mut run.encoder_params;
        e.unk_mask = ENCODER_UNK_MASK;
        e.sampler_array = GpuPtr::new(a.sampler_heap);
        e.sampler_count = a.sampler_count;
        e.sampler_max = a.sampler_count.saturating_add(1);
        run.meta = JobMeta {
            // Downstream `queue/compute.rs` writes 0 (the reference's 0x2 is the offset).
            unk_2: 0,
            flush_stamps: u32::from(last),
            uuid,
            ..JobMeta::default()
        };
        run.timestamp_pointers.start_addr = GpuPtr::new(work.ts_start);
        run.timestamp_pointers.end_addr = GpuPtr::new(work.ts_end);
        let run = FwObject::new(fw, HeapKind::Private, &*run)?;
        Ok(Self {
            run,
            seq,
            args: *a,
            timestamps,
            vm_slot,
            counter,
            uuid,
        })
    }

    /// The `RunCompute`'s firmware address (what the queue's ring names).
    pub(super) fn va(&self) -> u64 {
        self.run.alloc().va()
    }

    /// Writes what the queue position decides: the completion in `JobMeta` and the
    /// microsequence (whose Finalize op carries the stamp). Any context; allocates nothing.
    pub(super) fn place(&self, p: &Placement) -> Result {
        write_meta(
            self.run.alloc(),
            offset_of!(fwv::RunCompute, meta),
            offset_of!(fwv::RunCompute, notifier),
            p,
        )?;
        let inputs = ComputeSeqInputs {
            run_compute: self.va(),
            stats: p.stats.comp,
            work_queue: p.work_queue,
            vm_slot: self.vm_slot,
            event_generation: p.event_generation,
            event_seq: p.event_seq,
            uuid: self.uuid,
            fw_stamp: p.fw_stamp_va,
            stamp_value: p.stamp,
            counter: self.counter,
            notifier_buf: p.notifier_buf,
            timestamps: self.timestamps,
            attachments: self.args.attachments,
        };
        let mut buf = [0u8; SEQ_MAX];
        let mut b = Builder::new(&mut buf);
        let len = compute_sequence(&inputs, &mut b).map_err(|_| EINVAL)?;
        self.seq.write_bytes(0, buf.get(..len).ok_or(EINVAL)?)
    }
}
