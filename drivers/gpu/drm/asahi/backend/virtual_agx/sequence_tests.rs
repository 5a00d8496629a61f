// SPDX-License-Identifier: GPL-2.0 OR MIT

//! KUnit tests of the firmware's assertions on microsequences ([`check_sequence`]): the
//! sequences the driver builds (compute, vertex, fragment; with and without timestamps) pass,
//! and each way of corrupting one is a firmware crash (`CRASH_BAD_QUEUE`).

use super::*;
use crate::kernel_ext::kunit::{expect_eq, kunit_suite, Context};
use fwv::microseq::{
    compute_sequence, fragment_sequence, vertex_sequence, Builder, ComputeSeqInputs,
    FragmentSeqInputs, StartFragment, StartVertex, VertexSeqInputs,
};
use kernel::prelude::*;

const RUN: u64 = 0xffff_ffa0_0010_0000;
const BUF: usize = 0x800;
const BAD: Result<(), u32> = Err(CRASH_BAD_QUEUE);

/// The vertex sequence of the `RunVertex` at `run`.
fn vertex(run: u64, timestamps: bool) -> Result<KVec<u8>> {
    let mut buf = [0u8; BUF];
    let mut b = Builder::new(&mut buf);
    let i = VertexSeqInputs {
        run_vertex: run,
        work_queue: 0xffff_ffa0_0020_0000,
        vm_slot: 3,
        fw_stamp: 0xffff_ffa0_0030_0010,
        stamp_value: 0x200,
        timestamps,
        ..VertexSeqInputs::default()
    };
    let len = vertex_sequence(&i, &mut b).map_err(|_| EINVAL)?;
    let mut v = KVec::new();
    v.extend_from_slice(buf.get(..len).ok_or(EINVAL)?, GFP_KERNEL)?;
    Ok(v)
}

/// The fragment sequence of the `RunFragment` at `run`.
fn fragment(run: u64, timestamps: bool) -> Result<KVec<u8>> {
    let mut buf = [0u8; BUF];
    let mut b = Builder::new(&mut buf);
    let i = FragmentSeqInputs {
        run_fragment: run,
        vm_slot: 3,
        stamp_value: 0x200,
        timestamps,
        ..FragmentSeqInputs::default()
    };
    let len = fragment_sequence(&i, &mut b).map_err(|_| EINVAL)?;
    let mut v = KVec::new();
    v.extend_from_slice(buf.get(..len).ok_or(EINVAL)?, GFP_KERNEL)?;
    Ok(v)
}

fn store_u32(v: &mut [u8], at: usize, x: u32) -> Result {
    v.get_mut(at..at + 4)
        .ok_or(EINVAL)?
        .copy_from_slice(&x.to_le_bytes());
    Ok(())
}

fn driver_sequences_pass(ctx: &mut Context) -> Result {
    for ts in [false, true] {
        expect_eq!(
            ctx,
            check_sequence(&vertex(RUN, ts)?, RUN, CommandType::RunVertex),
            Ok(())
        );
        let f = fragment(RUN, ts)?;
        expect_eq!(
            ctx,
            check_sequence(&f, RUN, CommandType::RunFragment),
            Ok(())
        );
        let mut buf = [0u8; BUF];
        let mut b = Builder::new(&mut buf);
        let i = ComputeSeqInputs {
            run_compute: RUN,
            timestamps: ts,
            ..ComputeSeqInputs::default()
        };
        let len = compute_sequence(&i, &mut b).map_err(|_| EINVAL)?;
        let c = buf.get(..len).ok_or(EINVAL)?;
        expect_eq!(ctx, check_sequence(c, RUN, CommandType::RunCompute), Ok(()));
    }
    // Bytes after RetireStamp are not read.
    let mut v = vertex(RUN, false)?;
    v.extend_from_slice(&[0xff; 16], GFP_KERNEL)?;
    expect_eq!(ctx, check_sequence(&v, RUN, CommandType::RunVertex), Ok(()));
    Ok(())
}

fn corrupt_sequences_crash(ctx: &mut Context) -> Result {
    let v = vertex(RUN, true)?;
    let f = fragment(RUN, false)?;
    // A sequence of another unit than its command's.
    expect_eq!(ctx, check_sequence(&v, RUN, CommandType::RunFragment), BAD);
    expect_eq!(ctx, check_sequence(&f, RUN, CommandType::RunVertex), BAD);
    expect_eq!(ctx, check_sequence(&f, RUN, CommandType::RunCompute), BAD);
    // A Start naming another command.
    expect_eq!(
        ctx,
        check_sequence(&vertex(RUN + 0x1000, false)?, RUN, CommandType::RunVertex),
        BAD
    );
    expect_eq!(
        ctx,
        check_sequence(&fragment(RUN + 8, true)?, RUN, CommandType::RunFragment),
        BAD
    );
    // Truncated: no RetireStamp, or cut inside an op.
    let n = f.len();
    expect_eq!(
        ctx,
        check_sequence(f.get(..n - 4).ok_or(EINVAL)?, RUN, CommandType::RunFragment),
        BAD
    );
    expect_eq!(
        ctx,
        check_sequence(
            f.get(..n - 10).ok_or(EINVAL)?,
            RUN,
            CommandType::RunFragment
        ),
        BAD
    );
    expect_eq!(ctx, check_sequence(&[], RUN, CommandType::RunFragment), BAD);
    // The fragment sequence waiting on the vertex pipe (its wait follows StartFragment).
    let mut w = fragment(RUN, false)?;
    let wait = core::mem::size_of::<StartFragment>();
    store_u32(&mut w, wait, Pipe::Vertex.wait_for_idle_header())?;
    expect_eq!(ctx, check_sequence(&w, RUN, CommandType::RunFragment), BAD);
    // An unknown opcode where the Start op was.
    let mut u = vertex(RUN, false)?;
    store_u32(&mut u, 0, 0x3f)?;
    expect_eq!(ctx, check_sequence(&u, RUN, CommandType::RunVertex), BAD);
    // Two Start ops.
    let start = core::mem::size_of::<StartVertex>();
    let mut d = KVec::new();
    d.extend_from_slice(v.get(..start).ok_or(EINVAL)?, GFP_KERNEL)?;
    d.extend_from_slice(&v, GFP_KERNEL)?;
    expect_eq!(ctx, check_sequence(&d, RUN, CommandType::RunVertex), BAD);
    // RetireStamp before the Finalize op: the sequence cut after its wait.
    let mut r = KVec::new();
    r.extend_from_slice(f.get(..wait + 4).ok_or(EINVAL)?, GFP_KERNEL)?;
    r.extend_from_slice(f.get(n - 4..).ok_or(EINVAL)?, GFP_KERNEL)?;
    expect_eq!(ctx, check_sequence(&r, RUN, CommandType::RunFragment), BAD);
    Ok(())
}

kunit_suite!(
    asahi_virtual_agx_sequence,
    [driver_sequences_pass, corrupt_sequences_crash]
);
