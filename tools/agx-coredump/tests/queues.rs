// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Decoding of the work queues the pipes name, and of their commands not yet run, from a
//! synthetic dump.

mod common;

use agx_coredump::format::Note;
use agx_coredump::report::{self, Options};
use agx_firmware_defs::channels::ChannelState;
use agx_firmware_defs::event::EventValue;
use agx_firmware_defs::job::{ChannelRing, CommandType, JobMeta, RingState};
use agx_firmware_defs::types::{GpuPtr, U64};
use agx_firmware_defs::uat::Prot;
use agx_firmware_defs::variants::g13_v13_5 as fwv;
use common::*;
use zerocopy::IntoBytes;

const PIPE_STATE: u64 = 0xffff_ffa8_0010_0000;
const PIPE_RING: u64 = 0xffff_ffa8_0011_0000;
const QUEUE_INFO: u64 = PIPE_STATE + 0x400;
const RING_STATE: u64 = PIPE_STATE + 0x800;
const QUEUE_RING: u64 = 0xffff_ffa8_0012_0000;
const COMMANDS: u64 = 0xffff_ffa0_0010_0000;
const CONTEXT: u64 = 0xffff_ffa0_0010_3000;

fn image() -> Vec<u8> {
    let mut img = sample_image();
    img.map(PIPE_STATE, 0x9_0000_0000, 1, Prot::FW_SHARED_RW, true);
    img.map(PIPE_RING, 0x9_0010_0000, 1, Prot::FW_SHARED_RW, true);
    img.map(QUEUE_RING, 0x9_0020_0000, 1, Prot::FW_SHARED_RW, true);
    img.map(COMMANDS, 0x9_0030_0000, 1, Prot::FW_PRIV_RW, true);
    for va in [PIPE_STATE, PIPE_RING, QUEUE_RING, COMMANDS] {
        img.write(va, &[0u8; PAGE as usize]);
    }
    // RuntimePointers: the compute pipe of priority 2.
    let mut rp = sample_runtime_pointers();
    rp.pipes.0[2].comp = ChannelRing {
        state: GpuPtr::new(PIPE_STATE),
        ring: GpuPtr::new(PIPE_RING),
    };
    img.write(RUNTIME_POINTERS_VA, rp.as_bytes());

    // Two messages, both consumed, naming the same queue.
    let st = ChannelState {
        read_ptr: 2,
        write_ptr: 2,
        ..Default::default()
    };
    img.write(PIPE_STATE, st.as_bytes());
    let msg = |wptr| {
        fwv::RunWorkQueueMsg::new(
            agx_firmware_defs::channels::PipeType::Compute,
            QUEUE_INFO,
            wptr,
            5,
            wptr == 1,
        )
    };
    let size = core::mem::size_of::<fwv::RunWorkQueueMsg>() as u64;
    img.write(PIPE_RING, msg(1).as_bytes());
    img.write(PIPE_RING + size, msg(3).as_bytes());

    let qi = fwv::QueueInfo {
        state: GpuPtr::new(RING_STATE),
        ring: GpuPtr::new(QUEUE_RING),
        gpu_context: GpuPtr::new(CONTEXT),
        event_id: 5,
        priority: agx_firmware_defs::job::Priority::TABLE[2],
        ..Default::default()
    };
    img.write(QUEUE_INFO, qi.as_bytes());
    let rs = RingState {
        gpu_rptr: 1,
        cpu_wptr: 4,
        rb_size: 0x800,
        ..Default::default()
    };
    img.write(RING_STATE, rs.as_bytes());
    for i in 0..3u64 {
        let mut cmd = fwv::RunCompute {
            tag: CommandType::RunCompute as u32,
            meta: JobMeta {
                stamp_slot: 5,
                stamp_value: EventValue(0x100 * (i as u32 + 1)),
                flush_stamps: 1,
                uuid: 0x40 + i as u32,
                event_seq: 7 + i as u32,
                ..Default::default()
            },
            vm_slot: 3,
            microsequence: GpuPtr::new(0xffff_ffa0_0020_0000 + i * 0x200),
            microsequence_size: 0x1f0,
            ..Default::default()
        };
        cmd.job_params1.0[0].cdm_ctrl_stream_base = U64(0x10_0000_0000 + i * 0x40);
        img.write(COMMANDS + i * 0x400, cmd.as_bytes());
        img.write(QUEUE_RING + i * 8, &(COMMANDS + i * 0x400).to_le_bytes());
    }
    // A fragment command's tag and JobMeta sit at the fragment layout's offsets.
    let frag = fwv::RunFragment {
        tag: CommandType::RunFragment as u32,
        vm_slot: 4,
        meta: JobMeta {
            stamp_slot: 5,
            stamp_value: EventValue(0x400),
            ..Default::default()
        },
        microsequence: GpuPtr::new(0xffff_ffa0_0020_0800),
        microsequence_size: 0x268,
        ..Default::default()
    };
    img.write(COMMANDS + 3 * 0x400, frag.as_bytes());
    img.write(QUEUE_RING + 3 * 8, &(COMMANDS + 3 * 0x400).to_le_bytes());
    let (segs, data) = img.segments();
    let info = sample_info().to_bytes();
    render(&segs, &[Note::agx(&info), Note::rtkit(CRASHLOG)], &data)
}

#[test]
fn queues_named_on_pipes_show_their_pending_commands() {
    let text = report::render(&image(), &Options::default()).unwrap();
    assert!(
        text.contains("Work queues (1 named on the pipes)"),
        "{text}"
    );
    assert!(
        text.contains(
            "QueueInfo @ 0xffffffa800100400 (pipe comp prio 2): event slot 5, priority 2, context 0xffffffa000103000"
        ),
        "{text}"
    );
    assert!(
        text.contains("gpu_rptr 1, cpu_wptr 4, 3 commands not run"),
        "{text}"
    );
    // The first command already ran; the ones after it are listed, in ring order, decoded at
    // the real commands' offsets.
    assert!(!text.contains("[0] command"), "{text}");
    let a = text
        .find("[1] command @ 0xffffffa000100400: compute (tag 3), slot 5, stamp 0x200 (completes the job), uuid 0x41, event seq 8, vm slot 3, microsequence 0xffffffa000200200 (496 bytes)")
        .expect(&text);
    let b = text
        .find("[2] command @ 0xffffffa000100800: compute (tag 3), slot 5, stamp 0x300")
        .expect(&text);
    let c = text
        .find("[3] command @ 0xffffffa000100c00: fragment (tag 1), slot 5, stamp 0x400, uuid 0x0, event seq 0, vm slot 4, microsequence 0xffffffa000200800 (616 bytes)")
        .expect(&text);
    assert!(a < b && b < c, "{text}");
}
