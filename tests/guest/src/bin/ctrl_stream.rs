//! Real control streams on the virtual AGX: Mesa-shaped CDM and VDM streams complete (links,
//! calls and returns followed, every launch and draw run, unmarked shaders run as no-ops), and
//! every way a stream can be wrong faults or times out the way the hardware reports it: the
//! fence fails with EIO (the driver decodes the fault register: reason, access, address) or
//! ETIMEDOUT, and the queue goes on working.

use agx_firmware_defs::ctrl_stream::cdm::{CdmBlock, Grid, Launch};
use agx_firmware_defs::ctrl_stream::vdm::{IndexList, VdmBlock, VdmState};
use agx_firmware_defs::ctrl_stream::{usc, Chip, ShaderRegs, Writer};
use asahi_guest_tests::gpu::{self, op, Ctx, CMD_VA, DATA_VA, USC_BASE};
use asahi_guest_tests::{kmsg, render, Tap};

/// Where this test lays out its streams in the command buffer (above `Ctx::put_stream`'s).
const BASE: u64 = 0x8_0000;
const CHIP: Chip = Chip::G13G;

/// A command-buffer layout: pipelines (USC words + virtual shader) and streams at chosen
/// offsets.
struct Layout<'a> {
    ctx: &'a Ctx,
    next: u64,
}

impl Layout<'_> {
    /// Reserves `len` bytes (64-byte aligned) and returns their GPU address.
    fn alloc(&mut self, len: usize) -> u64 {
        let at = self.next;
        self.next = (at + len as u64 + 63) & !63;
        assert!(
            self.next <= 1 << 20,
            "test layout overflows the command buffer"
        );
        CMD_VA + at
    }

    fn put(&mut self, bytes: &[u8]) -> u64 {
        let va = self.alloc(bytes.len());
        self.ctx.cmd_map.write((va - CMD_VA) as usize, bytes);
        va
    }

    /// A pipeline (USC words) whose shader is the virtual program `ops`; returns its
    /// USC-relative offset.
    fn pipeline(&mut self, ops: &[(u32, u64, u64, u64)]) -> u32 {
        let code = self.put(&gpu::program(ops));
        self.pipeline_at(code)
    }

    /// A pipeline whose shader code is at `code` (any address).
    fn pipeline_at(&mut self, code: u64) -> u32 {
        let mut w = [0u8; 8];
        let n = usc::encode_shader(rel(code), &mut w).unwrap();
        let n = n + usc::encode_no_preshader(&mut w[n..]).unwrap();
        rel(self.put(&w[..n]))
    }

    fn cdm(&mut self, blocks: &[CdmBlock]) -> u64 {
        self.put(&cdm_bytes(blocks))
    }

    fn vdm(&mut self, blocks: &[VdmBlock]) -> u64 {
        self.put(&vdm_bytes(blocks))
    }
}

fn rel(va: u64) -> u32 {
    u32::try_from(va - USC_BASE).unwrap()
}

fn cdm_bytes(blocks: &[CdmBlock]) -> Vec<u8> {
    let mut buf = [0u8; 1024];
    let mut w = Writer::new(&mut buf);
    for b in blocks {
        b.encode(CHIP, &mut w).unwrap();
    }
    w.written().to_vec()
}

fn vdm_bytes(blocks: &[VdmBlock]) -> Vec<u8> {
    let mut buf = [0u8; 1024];
    let mut w = Writer::new(&mut buf);
    for b in blocks {
        b.encode(&mut w).unwrap();
    }
    w.written().to_vec()
}

fn launch(pipeline: u32) -> CdmBlock {
    let grid = Grid::Direct {
        global: [64, 1, 1],
        local: [32, 1, 1],
    };
    CdmBlock::Launch(Launch::mesa(8, 0, pipeline, grid).unwrap())
}

fn vs_state(pipeline: u32) -> VdmBlock {
    VdmBlock::State(VdmState {
        restart_index: Some(0xffff_ffff),
        vs_word0: Some(ShaderRegs::new(8, 0, 1, 0).unwrap()),
        vs_word1: Some(pipeline),
        vertex_outputs: Some(0),
        vertex_unknown: Some(0),
        ..VdmState::default()
    })
}

fn draw() -> VdmBlock {
    VdmBlock::IndexList(IndexList::mesa_direct(4, 6, 1, 0))
}

/// Runs a compute (or, with `render`, a render) job whose stream is at `va`; returns the fence
/// status (1: completed; negative errno: failed).
fn run(ctx: &Ctx, va: u64, render: bool) -> Option<i32> {
    let so = ctx.dev.syncobj_create(0).ok()?;
    let cmd = if render {
        render::with_geometry(gpu::render_cmd(va, 0xffff, 0xffff), &render::FULL_HD)
    } else {
        gpu::compute_cmd(va)
    };
    ctx.dev
        .submit(ctx.queue, &[], &[gpu::sync(so)], &cmd)
        .ok()?;
    gpu::wait(&ctx.dev, so).ok()?;
    let st = gpu::fence_status(&ctx.dev, so).ok();
    let _ = ctx.dev.syncobj_destroy(so);
    st
}

/// Whether the fault at `va` (a read, for `reason`) was logged: by the firmware's log line
/// (what it latched in the fault register), or by the driver's decode of the fault register
/// (printed for the first faults of a boot only).
fn fault_logged(reason: &str, va: u64) -> bool {
    let fw = format!("fw: GPU fault: {reason} read at {va:#x},");
    let drv = format!("{reason} read at {va:#x},");
    gpu::poll_until(3000, || {
        kmsg::logged(&[&fw]) || kmsg::logged(&["GPU fault #", &drv])
    })
}

fn clear(ctx: &Ctx) {
    ctx.data_map.write(0, &[0u8; 0x100]);
}

fn completes(tap: &mut Tap, ctx: &Ctx, l: &mut Layout<'_>) {
    // CDM: launch A, jump to a second chunk, call a subroutine that launches B and returns,
    // launch C, terminate: A, B and C all run.
    clear(ctx);
    let a = l.pipeline(&[(op::WRITE32, DATA_VA, 0xa, 0)]);
    let b = l.pipeline(&[(op::WRITE32, DATA_VA + 4, 0xb, 0)]);
    let c = l.pipeline(&[(op::COPY, DATA_VA + 8, DATA_VA, 8)]);
    let sub = l.cdm(&[launch(b), CdmBlock::mesa_barrier(CHIP), CdmBlock::Return]);
    let second = l.cdm(&[
        CdmBlock::Link {
            target: sub,
            call: true,
        },
        launch(c),
        CdmBlock::mesa_barrier(CHIP),
        CdmBlock::Terminate,
    ]);
    let first = l.cdm(&[
        launch(a),
        CdmBlock::mesa_barrier(CHIP),
        CdmBlock::Link {
            target: second,
            call: false,
        },
    ]);
    let st = run(ctx, first, false);
    let got = [
        ctx.read_u32(0),
        ctx.read_u32(4),
        ctx.read_u32(8),
        ctx.read_u32(12),
    ];
    tap.ok(
        st == Some(1) && got == [0xa, 0xb, 0xa, 0xb],
        format_args!(
            "CDM: launch, jump, call + return, launch, terminate: every launch ran in stream \
             order (status {st:?}, data {got:x?})"
        ),
    );

    // VDM: two draws with one vertex shader, a state change to another, a PPP record, a link.
    clear(ctx);
    let v1 = l.pipeline(&[(op::FILL, DATA_VA + 0x10, 0x11, 4)]);
    let v2 = l.pipeline(&[(op::COPY, DATA_VA + 0x20, DATA_VA + 0x10, 4)]);
    let ppp = l.put(&[0u8; 64]);
    let tail = l.vdm(&[vs_state(v2), draw(), VdmBlock::Terminate]);
    let head = l.vdm(&[
        VdmBlock::PppState {
            record: ppp,
            words: 16,
        },
        vs_state(v1),
        draw(),
        draw(),
        VdmBlock::Link {
            target: tail,
            call: false,
        },
    ]);
    let st = run(ctx, head, true);
    let got = [ctx.read_u32(0x10), ctx.read_u32(0x20)];
    tap.ok(
        st == Some(1) && got == [0x1111_1111, 0x1111_1111],
        format_args!(
            "VDM: PPP record, state, two draws, link, new state, draw, terminate: each draw ran \
             its vertex shader (status {st:?}, data {got:x?})"
        ),
    );

    // A real (unmarked) shader runs as a no-op: the stream completes and writes nothing.
    clear(ctx);
    let code = l.put(&[0x0e, 0x05, 0x00, 0x00, 0x88, 0x00, 0x08, 0x00]);
    let real = l.pipeline_at(code);
    let s = l.cdm(&[
        launch(real),
        CdmBlock::mesa_barrier(CHIP),
        CdmBlock::Terminate,
    ]);
    let st = run(ctx, s, false);
    tap.ok(
        st == Some(1) && ctx.read_u32(0) == 0,
        format_args!("a launch of an unmarked shader completes as a no-op (status {st:?})"),
    );
}

fn faults(tap: &mut Tap, ctx: &Ctx, l: &mut Layout<'_>) {
    const EIO: Option<i32> = Some(-libc::EIO);
    let good = l.pipeline(&[(op::WRITE32, DATA_VA + 0x40, 1, 0)]);
    // An address nothing is mapped at, in the user range.
    let hole: u64 = 0x0060_0000_0000;

    let s = l.cdm(&[
        launch(good),
        CdmBlock::Link {
            target: hole,
            call: false,
        },
    ]);
    let st = run(ctx, s, false);
    tap.ok(
        st == EIO && fault_logged("Unmapped", hole),
        format_args!("a link to unmapped memory faults there (status {st:?})"),
    );

    let far = rel(DATA_VA + (512 << 20));
    let s = l.cdm(&[launch(far), CdmBlock::Terminate]);
    let st = run(ctx, s, false);
    tap.ok(
        st == EIO && fault_logged("Unmapped", DATA_VA + (512 << 20)),
        format_args!("a launch whose pipeline is unmapped faults at the pipeline (status {st:?})"),
    );

    let nocode = l.pipeline_at(DATA_VA + (256 << 20));
    let s = l.cdm(&[launch(nocode), CdmBlock::Terminate]);
    let st = run(ctx, s, false);
    tap.ok(
        st == EIO && fault_logged("Unmapped", DATA_VA + (256 << 20)),
        format_args!("a launch whose shader code is unmapped faults at the code (status {st:?})"),
    );

    let grid = Grid::IndirectGlobal {
        buffer: hole + 0x100,
        local: [1, 1, 1],
    };
    let s = l.cdm(&[
        CdmBlock::Launch(Launch::mesa(0, 0, good, grid).unwrap()),
        CdmBlock::Terminate,
    ]);
    let st = run(ctx, s, false);
    tap.ok(
        st == EIO && fault_logged("Unmapped", hole + 0x100),
        format_args!("an indirect launch whose grid buffer is unmapped faults (status {st:?})"),
    );

    // An undefined block type (5), a bad USC tag, a bad virtual-shader version, an unknown op.
    let s = l.put(&(5u32 << 29).to_le_bytes());
    let st = run(ctx, s, false);
    tap.ok(
        st == EIO,
        format_args!("an unknown CDM block faults (status {st:?})"),
    );

    let bad_usc = rel(l.put(&[0xff, 0, 0, 0, 0, 0, 0, 0]));
    let s = l.cdm(&[launch(bad_usc), CdmBlock::Terminate]);
    let st = run(ctx, s, false);
    tap.ok(
        st == EIO,
        format_args!("a pipeline with an unknown USC tag faults (status {st:?})"),
    );

    let mut marker = gpu::program(&[(op::WRITE32, DATA_VA + 0x44, 1, 0)]);
    marker[8] = 2;
    let code = l.put(&marker);
    let p = l.pipeline_at(code);
    let s = l.cdm(&[launch(p), CdmBlock::Terminate]);
    let st = run(ctx, s, false);
    tap.ok(
        st == EIO && ctx.read_u32(0x44) == 0,
        format_args!("a marked shader of an unknown version faults and runs nothing ({st:?})"),
    );

    let p = l.pipeline(&[(0x77, DATA_VA, 0, 0)]);
    let s = l.cdm(&[launch(p), CdmBlock::Terminate]);
    let st = run(ctx, s, false);
    tap.ok(
        st == EIO,
        format_args!("a virtual op with an unknown opcode faults ({st:?})"),
    );

    // A return without a call; calls nested past the stack.
    let s = l.cdm(&[CdmBlock::Return]);
    let st = run(ctx, s, false);
    tap.ok(
        st == EIO,
        format_args!("a return without a call faults (status {st:?})"),
    );
    let s = l.alloc(8);
    let call_self = cdm_bytes(&[CdmBlock::Link {
        target: s,
        call: true,
    }]);
    ctx.cmd_map.write((s - CMD_VA) as usize, &call_self);
    let st = run(ctx, s, false);
    tap.ok(
        st == EIO,
        format_args!("unbounded recursion (a call to itself) faults ({st:?})"),
    );

    // VDM: an index buffer and a PPP record that are not mapped.
    let ib = IndexList::mesa_indexed(4, hole + 0x200, 1, 12, false, 6, 1, 0).unwrap();
    let good_vs = l.pipeline(&[(op::WRITE32, DATA_VA + 0x48, 1, 0)]);
    let s = l.vdm(&[
        vs_state(good_vs),
        VdmBlock::IndexList(ib),
        VdmBlock::Terminate,
    ]);
    let st = run(ctx, s, true);
    tap.ok(
        st == EIO && fault_logged("Unmapped", hole + 0x200),
        format_args!("a draw whose index buffer is unmapped faults there (status {st:?})"),
    );
    let s = l.vdm(&[
        VdmBlock::PppState {
            record: hole + 0x300,
            words: 8,
        },
        VdmBlock::Terminate,
    ]);
    let st = run(ctx, s, true);
    tap.ok(
        st == EIO && fault_logged("Unmapped", hole + 0x300),
        format_args!("a PPP record that is unmapped faults there (status {st:?})"),
    );
}

fn timeouts(tap: &mut Tap, ctx: &Ctx, l: &mut Layout<'_>) {
    // A stream that links to itself never terminates.
    let s = l.alloc(8);
    let jump = cdm_bytes(&[CdmBlock::Link {
        target: s,
        call: false,
    }]);
    ctx.cmd_map.write((s - CMD_VA) as usize, &jump);
    let st = run(ctx, s, false);
    tap.ok(
        st == Some(-libc::ETIMEDOUT),
        format_args!("a CDM stream that loops forever times out (status {st:?})"),
    );
    let s = l.alloc(8);
    let jump = vdm_bytes(&[VdmBlock::Link {
        target: s,
        call: false,
    }]);
    ctx.cmd_map.write((s - CMD_VA) as usize, &jump);
    let st = run(ctx, s, true);
    tap.ok(
        st == Some(-libc::ETIMEDOUT),
        format_args!("a VDM stream that loops forever times out (status {st:?})"),
    );
}

fn main() {
    let mut tap = Tap::new();
    let mut ctx = tap.require(Ctx::new(), "context");
    {
        let mut l = Layout {
            ctx: &ctx,
            next: BASE,
        };
        completes(&mut tap, &ctx, &mut l);
        faults(&mut tap, &ctx, &mut l);
        timeouts(&mut tap, &ctx, &mut l);
    }
    let st = ctx.run(&[(op::WRITE32, DATA_VA + 0x80, 0x600d, 0)]);
    tap.ok(
        st.as_ref().ok() == Some(&1) && ctx.read_u32(0x80) == 0x600d,
        format_args!("after every bad stream the queue still runs work ({st:?})"),
    );
    tap.finish();
}
