// The sequence constructors of the nested `microseq` module of `microseq.rs` (inputs,
// lengths, `compute_sequence`/`vertex_sequence`/`fragment_sequence`), `include!`d into that
// module, whose items and imports it shares.
//
// Source: downstream `queue/compute.rs` `submit_compute`, `queue/render.rs` `submit_render`
// (herrnst/linux-asahi; which field points where, constants); reference §1.2, §1.3.

/// Bytes of the wait op (`WaitForIdle` or, on G14X, `WaitForIdle2`).
const WAIT_SIZE: usize = 4;

/// Bytes of the two Timestamp ops when `timestamps`.
const fn ts_bytes(timestamps: bool) -> usize {
    if timestamps {
        2 * size_of::<Timestamp>()
    } else {
        0
    }
}

/// Length of a sequence `Start → [Timestamp] → wait → [Timestamp] → Finalize → RetireStamp`
/// whose Start and Finalize ops have these sizes.
const fn sequence_len(start: usize, finalize: usize, timestamps: bool) -> usize {
    start + ts_bytes(timestamps) + WAIT_SIZE + finalize + size_of::<RetireStamp>()
}

/// Length of a compute sequence, with or without timestamps.
pub const fn compute_sequence_len(timestamps: bool) -> usize {
    sequence_len(size_of::<StartCompute>(), size_of::<FinalizeCompute>(), timestamps)
}

/// Length of a vertex sequence, with or without timestamps.
pub const fn vertex_sequence_len(timestamps: bool) -> usize {
    sequence_len(size_of::<StartVertex>(), size_of::<FinalizeVertex>(), timestamps)
}

/// Length of a fragment sequence, with or without timestamps.
pub const fn fragment_sequence_len(timestamps: bool) -> usize {
    sequence_len(size_of::<StartFragment>(), size_of::<FinalizeFragment>(), timestamps)
}

/// What a compute sequence points at, besides the [`RunCompute`] it belongs to.
///
/// The sub-structure addresses (`unk_pointee`, `job_params1` or `registers`,
/// `job_params2`, `unk_flag`, the timestamp fields) are `run_compute` plus their offsets in
/// this variant's [`RunCompute`], so the run command must be written with that layout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ComputeSeqInputs {
    /// GPU address of the command's [`RunCompute`].
    pub run_compute: u64,
    /// Compute statistics (`initdata.runtime_pointers.stats.comp`).
    pub stats: u64,
    /// The compute work queue's `QueueInfo`.
    pub work_queue: u64,
    /// The VM's slot.
    pub vm_slot: u32,
    /// Event generation (the queue id).
    pub event_generation: u32,
    /// Event sequence number of the work queue.
    pub event_seq: u64,
    /// Command uuid.
    pub uuid: u32,
    /// The work queue's firmware stamp (`FwStamp`).
    pub fw_stamp: u64,
    /// Value the firmware writes to `fw_stamp` on completion (`value.next()`).
    pub stamp_value: u32,
    /// Per-queue command counter (13.x; ignored on 12.x).
    pub counter: u64,
    /// The notifier's `state.unk_buf` (13.x; ignored on 12.x).
    pub notifier_buf: u64,
    /// Emit the start and end Timestamp ops (a user timestamp was requested).
    pub timestamps: bool,
    /// The attachments copied into the start op.
    pub attachments: Attachments,
}

/// What a vertex sequence points at, besides the [`RunVertex`] it belongs to (its
/// sub-structure addresses are `run_vertex` plus this variant's [`RunVertex`] offsets).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VertexSeqInputs {
    /// GPU address of the command's [`RunVertex`].
    pub run_vertex: u64,
    /// The buffer manager's `Info`.
    pub buffer: u64,
    /// The render's `Scene`.
    pub scene: u64,
    /// Vertex statistics (`initdata.runtime_pointers.stats.vtx`'s `stats`).
    pub stats: u64,
    /// The vertex work queue's `QueueInfo`.
    pub work_queue: u64,
    /// The VM's slot.
    pub vm_slot: u32,
    /// Event generation (the queue id).
    pub event_generation: u32,
    /// The scene's buffer-manager slot.
    pub buffer_slot: u32,
    /// Event sequence number of the work queue.
    pub event_seq: u64,
    /// Command uuid.
    pub uuid: u32,
    /// The work queue's firmware stamp (`FwStamp`).
    pub fw_stamp: u64,
    /// Value the firmware writes to `fw_stamp` on completion.
    pub stamp_value: u32,
    /// Per-queue command counter (13.x).
    pub counter: u64,
    /// The notifier's `state.unk_buf` (13.x).
    pub notifier_buf: u64,
    /// The scene uses clustering (13.x `StartVertex.unk_178` = !clustering).
    pub clustering: bool,
    /// Emit the start and end Timestamp ops.
    pub timestamps: bool,
    /// The vertex attachments.
    pub attachments: Attachments,
}

/// What a fragment sequence points at, besides the [`RunFragment`] it belongs to (its
/// sub-structure addresses are `run_fragment` plus this variant's [`RunFragment`] offsets).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FragmentSeqInputs {
    /// GPU address of the command's [`RunFragment`] (also the ops' `work_item`).
    pub run_fragment: u64,
    /// The render's `Scene`.
    pub scene: u64,
    /// The buffer manager's `Info`.
    pub buffer: u64,
    /// Fragment statistics (`initdata.runtime_pointers.stats.frag`'s `stats`).
    pub stats: u64,
    /// The fragment work queue's `QueueInfo`.
    pub work_queue: u64,
    /// The VM's slot.
    pub vm_slot: u32,
    /// Event generation (the queue id).
    pub event_generation: u32,
    /// The scene's buffer-manager slot.
    pub buffer_slot: u32,
    /// Event sequence number of the work queue.
    pub event_seq: u64,
    /// Command uuid.
    pub uuid: u32,
    /// The work queue's firmware stamp (`FwStamp`).
    pub fw_stamp: u64,
    /// Value the firmware writes to `fw_stamp` on completion.
    pub stamp_value: u32,
    /// Per-queue command counter (13.x).
    pub counter: u64,
    /// The notifier's `state.unk_buf` (13.x).
    pub notifier_buf: u64,
    /// Emit the start and end Timestamp ops.
    pub timestamps: bool,
    /// The fragment attachments.
    pub attachments: Attachments,
}

/// Sets every element of a version-dependent field (nothing when the field is absent).
fn put<const N: usize, T: Copy>(field: &mut Array<N, T>, v: T) {
    for x in field.iter_mut() {
        *x = v;
    }
}

/// `base + off` as a [`GpuPtr`].
fn at(base: u64, off: usize) -> GpuPtr {
    GpuPtr::new(base.wrapping_add(off as u64))
}

/// `base + off` as a [`GpuPtr`] before G14X; null on G14X, whose Start ops do not point there.
fn at_pre_g14x(base: u64, off: usize) -> GpuPtr {
    if G14X {
        GpuPtr::NULL
    } else {
        at(base, off)
    }
}

/// Where a run command's timestamp fields are: offsets of `command_time`,
/// `timestamp_pointers`, `user_timestamp_pointers` and the `unk_ts` word.
struct TsOffsets {
    command_time: usize,
    ts_pointers: usize,
    user_ts_pointers: usize,
    unk_ts: usize,
}

/// The [`TsOffsets`] of run command `$run`, whose `unk_ts` word is its field `$unk_ts`.
macro_rules! ts_offsets {
    ($run:ty, $unk_ts:ident) => {
        TsOffsets {
            command_time: offset_of!($run, command_time),
            ts_pointers: offset_of!($run, timestamp_pointers),
            user_ts_pointers: offset_of!($run, user_timestamp_pointers),
            unk_ts: offset_of!($run, $unk_ts),
        }
    };
}

/// The Timestamp op for a run command at `run` (`start`: the start one).
fn timestamp(run: u64, o: &TsOffsets, work_queue: u64, uuid: u32, start: bool) -> Timestamp {
    let which = if start {
        offset_of!(TimestampPointers, start_addr)
    } else {
        offset_of!(TimestampPointers, end_addr)
    };
    let mut t = Timestamp {
        header: timestamp_header(start),
        command_time: at(run, o.command_time),
        ts_pointers: at(run, o.ts_pointers),
        update_ts: at(run, o.ts_pointers + which),
        work_queue: GpuPtr::new(work_queue),
        user_ts_pointers: at(run, o.user_ts_pointers),
        uuid,
        ..Timestamp::default()
    };
    put(&mut t.unk_ts, at(run, o.unk_ts));
    t
}

/// Appends the wait op for `pipe` (`WaitForIdle2` on G14X).
fn add_wait(b: &mut Builder<'_>, pipe: Pipe) -> Result<(), MicroseqError> {
    if G14X {
        b.add(&WaitForIdle2 {
            header: WAIT_FOR_IDLE2_HEADER,
        })?;
    } else {
        b.add(&WaitForIdle {
            header: pipe.wait_for_idle_header(),
        })?;
    }
    Ok(())
}

/// Appends Start, [Timestamp start], wait, [Timestamp end]; returns the Start op's offset.
fn add_head<S: Plain>(
    b: &mut Builder<'_>,
    start: &S,
    ts: Option<(u64, &TsOffsets, u64, u32)>,
    pipe: Pipe,
) -> Result<i32, MicroseqError> {
    let start_off = b.add(start)?;
    if let Some((run, o, wq, uuid)) = ts {
        b.add(&timestamp(run, o, wq, uuid, true))?;
    }
    add_wait(b, pipe)?;
    if let Some((run, o, wq, uuid)) = ts {
        b.add(&timestamp(run, o, wq, uuid, false))?;
    }
    Ok(start_off)
}

/// Appends Finalize and RetireStamp, ending a sequence of `len` bytes; returns `len`.
fn add_tail<F: Plain>(
    b: &mut Builder<'_>,
    finalize: &F,
    len: usize,
) -> Result<usize, MicroseqError> {
    b.add(finalize)?;
    b.add(&RetireStamp {
        header: RETIRE_STAMP_HEADER,
    })?;
    Ok(len)
}

/// Appends the compute sequence `StartCompute → [Timestamp start] → WaitForIdle(compute)
/// (WaitForIdle2 on G14X) → [Timestamp end] → FinalizeCompute → RetireStamp` and returns
/// its length. `NoSpace` (nothing appended) if it does not fit.
///
/// Source: downstream `queue/compute.rs` `submit_compute`.
pub fn compute_sequence(
    i: &ComputeSeqInputs,
    b: &mut Builder<'_>,
) -> Result<usize, MicroseqError> {
    let len = compute_sequence_len(i.timestamps);
    b.reserve(len)?;
    let run = i.run_compute;
    let job_params2 = at(run, offset_of!(RunCompute, job_params2));
    let unk_flag = at(run, offset_of!(RunCompute, unk_2fd));
    let mut start = StartCompute {
        header: OpCode::StartCompute.value(),
        unk_pointer: at(run, offset_of!(RunCompute, unk_pointee)),
        job_params1: at_pre_g14x(run, offset_of!(RunCompute, job_params1)),
        stats: GpuPtr::new(i.stats),
        work_queue: GpuPtr::new(i.work_queue),
        vm_slot: i.vm_slot,
        unk_28: 1,
        event_generation: i.event_generation,
        event_seq: U64(i.event_seq),
        job_params2,
        uuid: i.uuid,
        attachments: i.attachments,
        ..StartCompute::default()
    };
    put(&mut start.registers, at(run, offset_of!(RunCompute, registers)));
    put(&mut start.unk_flag, unk_flag);
    put(&mut start.counter, U64(i.counter));
    put(&mut start.notifier_buf, GpuPtr::new(i.notifier_buf));
    let ts = ts_offsets!(RunCompute, context_store_req);
    let ts = i.timestamps.then_some((run, &ts, i.work_queue, i.uuid));
    let start_off = add_head(b, &start, ts, Pipe::Compute)?;
    let mut fin = FinalizeCompute {
        header: OpCode::FinalizeCompute.value(),
        stats: GpuPtr::new(i.stats),
        work_queue: GpuPtr::new(i.work_queue),
        vm_slot: i.vm_slot,
        job_params2,
        uuid: i.uuid,
        fw_stamp: GpuPtr::new(i.fw_stamp),
        stamp_value: i.stamp_value,
        restart_branch_offset: b.offset_to(start_off),
        has_attachments: u32::from(i.attachments.has_any()),
        ..FinalizeCompute::default()
    };
    put(&mut fin.unk_flag, unk_flag);
    add_tail(b, &fin, len)
}

/// Appends the vertex sequence `StartVertex → [Timestamp start] → WaitForIdle(vertex)
/// (WaitForIdle2 on G14X) → [Timestamp end] → FinalizeVertex → RetireStamp` and returns its
/// length. `NoSpace` (nothing appended) if it does not fit.
///
/// Source: downstream `queue/render.rs` `submit_render` (vertex half).
pub fn vertex_sequence(
    i: &VertexSeqInputs,
    b: &mut Builder<'_>,
) -> Result<usize, MicroseqError> {
    let len = vertex_sequence_len(i.timestamps);
    b.reserve(len)?;
    let run = i.run_vertex;
    let unk_pointer = at(run, offset_of!(RunVertex, unk_pointee));
    let mut start = StartVertex {
        header: OpCode::StartVertex.value(),
        tiling_params: at_pre_g14x(run, offset_of!(RunVertex, tiling_params)),
        job_params1: at_pre_g14x(run, offset_of!(RunVertex, job_params1)),
        buffer: GpuPtr::new(i.buffer),
        scene: GpuPtr::new(i.scene),
        stats: GpuPtr::new(i.stats),
        work_queue: GpuPtr::new(i.work_queue),
        vm_slot: i.vm_slot,
        unk_38: 1,
        event_generation: i.event_generation,
        buffer_slot: i.buffer_slot,
        event_seq: U64(i.event_seq),
        unk_pointer,
        unk_job_buf: at(run, offset_of!(RunVertex, unk_594)),
        uuid: i.uuid,
        attachments: i.attachments,
        unk_178: u32::from(V13 && !i.clustering),
        ..StartVertex::default()
    };
    put(&mut start.registers, at(run, offset_of!(RunVertex, registers)));
    put(&mut start.counter, U64(i.counter));
    put(&mut start.notifier_buf, GpuPtr::new(i.notifier_buf));
    let ts = ts_offsets!(RunVertex, unk_5dd);
    let ts = i.timestamps.then_some((run, &ts, i.work_queue, i.uuid));
    let start_off = add_head(b, &start, ts, Pipe::Vertex)?;
    let fin = FinalizeVertex {
        header: OpCode::FinalizeVertex.value(),
        scene: GpuPtr::new(i.scene),
        buffer: GpuPtr::new(i.buffer),
        stats: GpuPtr::new(i.stats),
        work_queue: GpuPtr::new(i.work_queue),
        vm_slot: i.vm_slot,
        unk_pointer,
        uuid: i.uuid,
        fw_stamp: GpuPtr::new(i.fw_stamp),
        stamp_value: i.stamp_value,
        restart_branch_offset: b.offset_to(start_off),
        has_attachments: u32::from(i.attachments.has_any()),
        ..FinalizeVertex::default()
    };
    add_tail(b, &fin, len)
}

/// Appends the fragment sequence `StartFragment → [Timestamp start] →
/// WaitForIdle(fragment) (WaitForIdle2 on G14X) → [Timestamp end] → FinalizeFragment →
/// RetireStamp` and returns its length. `NoSpace` (nothing appended) if it does not fit.
///
/// Source: downstream `queue/render.rs` `submit_render` (fragment half).
pub fn fragment_sequence(
    i: &FragmentSeqInputs,
    b: &mut Builder<'_>,
) -> Result<usize, MicroseqError> {
    let len = fragment_sequence_len(i.timestamps);
    b.reserve(len)?;
    let run = i.run_fragment;
    let unk_pointer = at(run, offset_of!(RunFragment, unk_pointee));
    let busy_flag = at(run, offset_of!(RunFragment, busy_flag));
    let unk_758_flag = at(run, offset_of!(RunFragment, unk_758));
    let mut start = StartFragment {
        header: OpCode::StartFragment.value(),
        job_params2: at_pre_g14x(run, offset_of!(RunFragment, job_params2)),
        job_params1: at_pre_g14x(run, offset_of!(RunFragment, job_params1)),
        scene: GpuPtr::new(i.scene),
        stats: GpuPtr::new(i.stats),
        busy_flag,
        tvb_overflow_count: at(run, offset_of!(RunFragment, tvb_overflow_count)),
        unk_pointer,
        work_queue: GpuPtr::new(i.work_queue),
        work_item: GpuPtr::new(run),
        vm_slot: i.vm_slot,
        unk_50: 1,
        event_generation: i.event_generation,
        buffer_slot: i.buffer_slot,
        event_seq: U64(i.event_seq),
        unk_758_flag,
        unk_job_buf: at(run, offset_of!(RunFragment, unk_8e4)),
        uuid: i.uuid,
        attachments: i.attachments,
        ..StartFragment::default()
    };
    put(&mut start.registers, at(run, offset_of!(RunFragment, registers)));
    put(&mut start.counter, U64(i.counter));
    put(&mut start.notifier_buf, GpuPtr::new(i.notifier_buf));
    let ts = ts_offsets!(RunFragment, unk_92d);
    let ts = i.timestamps.then_some((run, &ts, i.work_queue, i.uuid));
    let start_off = add_head(b, &start, ts, Pipe::Fragment)?;
    let fin = FinalizeFragment {
        header: OpCode::FinalizeFragment.value(),
        uuid: i.uuid,
        fw_stamp: GpuPtr::new(i.fw_stamp),
        stamp_value: i.stamp_value,
        scene: GpuPtr::new(i.scene),
        buffer: GpuPtr::new(i.buffer),
        unk_2c: U64(1),
        stats: GpuPtr::new(i.stats),
        unk_pointer,
        busy_flag,
        work_queue: GpuPtr::new(i.work_queue),
        work_item: GpuPtr::new(run),
        vm_slot: i.vm_slot,
        unk_758_flag,
        restart_branch_offset: b.offset_to(start_off),
        has_attachments: u32::from(i.attachments.has_any()),
        ..FinalizeFragment::default()
    };
    add_tail(b, &fin, len)
}
