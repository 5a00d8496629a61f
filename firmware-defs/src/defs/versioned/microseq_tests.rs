// Per-variant tests of the microsequences of `microseq.rs`, included once per variant module by
// `defs/variants.rs` after it (and into the test-only G14X module). Expected numbers are the
// literal values of reference `firmware-commands.md` §1.1 (sizes, totals), §1.2 (op field
// offsets) and §2.3-§2.5 (run command offsets the ops point at), not formulas over our layouts.

#[cfg(test)]
mod microseq_tests {
    use super::microseq::*;
    use super::*;
    use core::mem::size_of;

    /// The value for this variant: 12.3/12.4 (`v12`), 13.5 G13/G14G (`v13`), 13.5 G14X.
    fn col(v12: usize, v13: usize, g14x: usize) -> usize {
        if G14X {
            g14x
        } else if V13 {
            v13
        } else {
            v12
        }
    }

    /// Extra bytes of the G14G 12.x Finalize ops.
    fn g14(v: usize) -> usize {
        v + if G14_V12 { 8 } else { 0 }
    }

    const RUN: u64 = 0xffff_ffa0_0c31_0000;
    const STATS: u64 = 0xffff_ffa0_0000_7000;
    const WQ: u64 = 0xffff_ffa0_0c20_0480;
    const FW_STAMP: u64 = 0xffff_ffa0_0c37_8014;
    const BUFFER: u64 = 0xffff_ffa0_0c40_0000;
    const SCENE: u64 = 0xffff_ffa0_0c41_0000;
    const NOTIFIER_BUF: u64 = 0xffff_ffa0_0c50_0014;

    fn attachments(n: u64) -> Attachments {
        let mut a = Attachments::default();
        for i in 0..n {
            a.push(0x15_0000_0000 + 0x10000 * i, 0x1000).unwrap();
        }
        a
    }

    fn compute_inputs(timestamps: bool) -> ComputeSeqInputs {
        ComputeSeqInputs {
            run_compute: RUN,
            stats: STATS,
            work_queue: WQ,
            vm_slot: 7,
            event_generation: 0x31,
            event_seq: 0x1_0000_0042,
            uuid: 0xabcd_0001,
            fw_stamp: FW_STAMP,
            stamp_value: 0x3b00,
            counter: 0x55,
            notifier_buf: NOTIFIER_BUF,
            timestamps,
            attachments: attachments(2),
        }
    }

    fn vertex_inputs(timestamps: bool) -> VertexSeqInputs {
        VertexSeqInputs {
            run_vertex: RUN,
            buffer: BUFFER,
            scene: SCENE,
            stats: STATS,
            work_queue: WQ,
            vm_slot: 7,
            event_generation: 0x31,
            buffer_slot: 3,
            event_seq: 0x1_0000_0042,
            uuid: 0xabcd_0002,
            fw_stamp: FW_STAMP,
            stamp_value: 0x3c00,
            counter: 0x56,
            notifier_buf: NOTIFIER_BUF,
            clustering: false,
            timestamps,
            attachments: Attachments::default(),
        }
    }

    fn fragment_inputs(timestamps: bool) -> FragmentSeqInputs {
        FragmentSeqInputs {
            run_fragment: RUN,
            scene: SCENE,
            buffer: BUFFER,
            stats: STATS,
            work_queue: WQ,
            vm_slot: 7,
            event_generation: 0x31,
            buffer_slot: 3,
            event_seq: 0x1_0000_0042,
            uuid: 0xabcd_0003,
            fw_stamp: FW_STAMP,
            stamp_value: 0x3d00,
            counter: 0x57,
            notifier_buf: NOTIFIER_BUF,
            timestamps,
            attachments: attachments(1),
        }
    }

    /// Builds with `f` into a fresh buffer; returns the buffer and the length.
    fn build(f: impl FnOnce(&mut Builder<'_>) -> Result<usize, MicroseqError>) -> ([u8; 0x800], usize) {
        let mut buf = [0u8; 0x800];
        let mut b = Builder::new(&mut buf);
        let n = f(&mut b).unwrap();
        assert_eq!(b.len(), n);
        (buf, n)
    }

    fn u32_at(b: &[u8], off: usize) -> u32 {
        read_u32(b, off).unwrap()
    }

    fn u64_at(b: &[u8], off: usize) -> u64 {
        read_u64(b, off).unwrap()
    }

    #[test]
    fn op_sizes() {
        assert_eq!(size_of::<Timestamp>(), col(0x34, 0x3c, 0x3c));
        assert_eq!(size_of::<StartVertex>(), col(0x17c, 0x18c, 0x194));
        assert_eq!(size_of::<FinalizeVertex>(), col(g14(0x74), 0x84, 0x84));
        assert_eq!(size_of::<StartFragment>(), col(0x194, 0x1ac, 0x1b4));
        assert_eq!(size_of::<FinalizeFragment>(), col(g14(0x9c), 0xb4, 0xb4));
        assert_eq!(size_of::<StartCompute>(), col(0x154, 0x16c, 0x174));
        assert_eq!(size_of::<FinalizeCompute>(), col(g14(0x64), 0x7c, 0x7c));
        for op in OpCode::ALL {
            let expect = match op {
                OpCode::WaitForIdle | OpCode::WaitForIdle2 | OpCode::RetireStamp => 4,
                OpCode::Timestamp => size_of::<Timestamp>(),
                OpCode::StartVertex => size_of::<StartVertex>(),
                OpCode::FinalizeVertex => size_of::<FinalizeVertex>(),
                OpCode::StartFragment => size_of::<StartFragment>(),
                OpCode::FinalizeFragment => size_of::<FinalizeFragment>(),
                OpCode::StartCompute => size_of::<StartCompute>(),
                OpCode::FinalizeCompute => size_of::<FinalizeCompute>(),
            };
            assert_eq!(op_size(op), expect, "{op:?}");
        }
    }

    #[test]
    fn sequence_totals() {
        let ts = 2 * col(0x34, 0x3c, 0x3c);
        let totals = [
            (compute_sequence_len(false), col(g14(0x1c0), 0x1f0, 0x1f8)),
            (vertex_sequence_len(false), col(g14(0x1f8), 0x218, 0x220)),
            (fragment_sequence_len(false), col(g14(0x238), 0x268, 0x270)),
        ];
        for (got, want) in totals {
            assert_eq!(got, want);
        }
        assert_eq!(compute_sequence_len(true), col(g14(0x1c0), 0x1f0, 0x1f8) + ts);
        assert_eq!(vertex_sequence_len(true), col(g14(0x1f8), 0x218, 0x220) + ts);
        assert_eq!(fragment_sequence_len(true), col(g14(0x238), 0x268, 0x270) + ts);
        // The constructors append exactly that.
        for t in [false, true] {
            assert_eq!(build(|b| compute_sequence(&compute_inputs(t), b)).1, compute_sequence_len(t));
            assert_eq!(build(|b| vertex_sequence(&vertex_inputs(t), b)).1, vertex_sequence_len(t));
            assert_eq!(
                build(|b| fragment_sequence(&fragment_inputs(t), b)).1,
                fragment_sequence_len(t)
            );
        }
    }

    /// The restart offset of the Finalize op in a sequence starting at 0.
    fn restart_of(bytes: &[u8]) -> i32 {
        let (fin_at, fin) = ops(bytes)
            .map(Result::unwrap)
            .find(|(_, op)| op.completion().is_some())
            .unwrap();
        let rbo = fin.completion().unwrap().2;
        // It points back at the Start op at offset 0.
        assert_eq!(fin_at as i64 + i64::from(rbo), 0);
        rbo
    }

    #[test]
    fn restart_branch_offsets() {
        let ts = 2 * col(0x34, 0x3c, 0x3c) as i32;
        let sc = col(0x154, 0x16c, 0x174) as i32;
        let sv = col(0x17c, 0x18c, 0x194) as i32;
        let sf = col(0x194, 0x1ac, 0x1b4) as i32;
        let (c, _) = build(|b| compute_sequence(&compute_inputs(false), b));
        assert_eq!(restart_of(&c), -(sc + 4));
        let (c, _) = build(|b| compute_sequence(&compute_inputs(true), b));
        assert_eq!(restart_of(&c), -(sc + 4 + ts));
        let (v, _) = build(|b| vertex_sequence(&vertex_inputs(false), b));
        assert_eq!(restart_of(&v), -(sv + 4));
        let (v, _) = build(|b| vertex_sequence(&vertex_inputs(true), b));
        assert_eq!(restart_of(&v), -(sv + 4 + ts));
        let (f, _) = build(|b| fragment_sequence(&fragment_inputs(false), b));
        assert_eq!(restart_of(&f), -(sf + 4));
        let (f, _) = build(|b| fragment_sequence(&fragment_inputs(true), b));
        assert_eq!(restart_of(&f), -(sf + 4 + ts));
        // Literal values for 12.3 G13 (reference §1.3: -(Start + 4)).
        if !V13 && !G14X {
            assert_eq!(-(sc + 4), -0x158);
        }
        // Relative: a sequence appended after other bytes has the same offset.
        let mut buf = [0u8; 0x800];
        let mut b = Builder::new(&mut buf);
        b.add(&0u64).unwrap();
        compute_sequence(&compute_inputs(false), &mut b).unwrap();
        let fin = 8 + size_of::<StartCompute>() + 4;
        let rbo_off = fin + col(g14(0x5c), 0x58, 0x58);
        assert_eq!(read_u32(b.as_bytes(), rbo_off), Some((-(sc + 4)) as u32));
    }

    /// Checks a Timestamp op at `at` of `b` for a run command with the given offsets.
    fn check_timestamp(b: &[u8], at: usize, start: bool, offs: [usize; 3], unk_ts: usize, uuid: u32) {
        let [cmd_time, ts_ptrs, user] = offs;
        assert_eq!(u32_at(b, at), if start { 0x8000_0019 } else { 0x19 });
        assert_eq!(u64_at(b, at + 0x4), RUN + cmd_time as u64);
        assert_eq!(u64_at(b, at + 0xc), RUN + ts_ptrs as u64);
        assert_eq!(u64_at(b, at + 0x14), RUN + ts_ptrs as u64 + if start { 0 } else { 8 });
        assert_eq!(u64_at(b, at + 0x1c), WQ);
        assert_eq!(u64_at(b, at + 0x24), RUN + user as u64);
        if V13 {
            assert_eq!(u64_at(b, at + 0x2c), RUN + unk_ts as u64);
        }
        assert_eq!(u32_at(b, at + col(0x2c, 0x34, 0x34)), uuid);
    }

    /// Checks the wait op at `at`.
    fn check_wait(b: &[u8], at: usize, pipe_header: u32) {
        assert_eq!(u32_at(b, at), if G14X { 2 } else { pipe_header });
    }

    /// Checks what follows a Start op of `start_size` bytes at the sequence's start: the start
    /// Timestamp, the wait op (`pipe_header` before G14X) and the end Timestamp, of command
    /// `uuid`; returns where the Finalize op must begin.
    fn check_head(
        b: &[u8],
        start_size: usize,
        offs: [usize; 3],
        unk_ts: usize,
        uuid: u32,
        pipe_header: u32,
    ) -> usize {
        let ts = size_of::<Timestamp>();
        check_timestamp(b, start_size, true, offs, unk_ts, uuid);
        check_wait(b, start_size + ts, pipe_header);
        check_timestamp(b, start_size + ts + 4, false, offs, unk_ts, uuid);
        start_size + 2 * ts + 4
    }

    #[test]
    fn compute_field_offsets() {
        let (b, n) = build(|b| compute_sequence(&compute_inputs(true), b));
        let b = &b[..n];
        // StartCompute (§1.2; run command offsets §2.3).
        assert_eq!(u32_at(b, 0), 0x29);
        assert_eq!(u64_at(b, 0x4), RUN + col(0x14, 0x1c, 0x1c) as u64);
        assert_eq!(u64_at(b, 0xc), if G14X { 0 } else { RUN + col(0x68, 0x70, 0) as u64 });
        if G14X {
            assert_eq!(u64_at(b, 0x14), RUN + 0x20);
        }
        assert_eq!(u64_at(b, col(0x14, 0x14, 0x1c)), STATS);
        assert_eq!(u64_at(b, col(0x1c, 0x1c, 0x24)), WQ);
        assert_eq!(u32_at(b, col(0x24, 0x24, 0x2c)), 7);
        assert_eq!(u32_at(b, col(0x28, 0x28, 0x30)), 1);
        assert_eq!(u32_at(b, col(0x2c, 0x2c, 0x34)), 0x31);
        assert_eq!(u64_at(b, col(0x30, 0x30, 0x38)), 0x1_0000_0042);
        let jp2 = RUN + col(0x1f4, 0x1fc, 0x75c) as u64;
        assert_eq!(u64_at(b, col(0x3c, 0x3c, 0x44)), jp2);
        assert_eq!(u32_at(b, col(0x48, 0x48, 0x50)), 0xabcd_0001);
        let att = col(0x4c, 0x4c, 0x54);
        assert_eq!(u64_at(b, att), 0x15_0000_0000);
        assert_eq!(u32_at(b, att + 8), 0x1000 / 0x80);
        assert_eq!(u32_at(b, att + 0xc), 0x0001_0017);
        assert_eq!(u64_at(b, att + 0x10), 0x15_0001_0000);
        assert_eq!(u32_at(b, att + 0x100), 2);
        let unk_flag = RUN + col(0, 0x305, 0x865) as u64;
        if V13 {
            assert_eq!(u64_at(b, col(0, 0x154, 0x15c)), unk_flag);
            assert_eq!(u64_at(b, col(0, 0x15c, 0x164)), 0x55);
            assert_eq!(u64_at(b, col(0, 0x164, 0x16c)), NOTIFIER_BUF);
        }
        // Timestamps and wait.
        let offs = [
            col(0x2a8, 0x2b0, 0x810),
            col(0x2b0, 0x2b8, 0x818),
            col(0x2c0, 0x2c8, 0x828),
        ];
        let unk_ts = col(0, 0x2e1, 0x841);
        let f = check_head(b, size_of::<StartCompute>(), offs, unk_ts, 0xabcd_0001, 0x80_0001);
        // FinalizeCompute.
        assert_eq!(u32_at(b, f), 0x2a);
        assert_eq!(u64_at(b, f + 0x4), STATS);
        assert_eq!(u64_at(b, f + 0xc), WQ);
        assert_eq!(u32_at(b, f + 0x14), 7);
        assert_eq!(u64_at(b, f + col(0x1c, 0x18, 0x18)), jp2);
        assert_eq!(u32_at(b, f + col(0x28, 0x24, 0x24)), 0xabcd_0001);
        assert_eq!(u64_at(b, f + col(0x2c, 0x28, 0x28)), FW_STAMP);
        assert_eq!(u32_at(b, f + col(0x34, 0x30, 0x30)), 0x3b00);
        assert_eq!(u32_at(b, f + col(g14(0x5c), 0x58, 0x58)), (-(f as i32)) as u32);
        assert_eq!(u32_at(b, f + col(g14(0x60), 0x5c, 0x5c)), 1);
        if V13 {
            // Unaligned, after 13 zero bytes.
            assert_eq!(u64_at(b, f + 0x6d), unk_flag);
            assert!(b[f + 0x60..f + 0x6d].iter().all(|&x| x == 0));
        }
        assert_eq!(u32_at(b, f + size_of::<FinalizeCompute>()), 0x4000_0018);
        assert_eq!(f + size_of::<FinalizeCompute>() + 4, n);
    }

    #[test]
    fn vertex_field_offsets() {
        let mut i = vertex_inputs(true);
        i.clustering = true;
        let (b, n) = build(|b| vertex_sequence(&i, b));
        let b = &b[..n];
        let unk_178 = col(0x178, 0x188, 0x190);
        assert_eq!(u32_at(b, unk_178), 0, "clustering: 0");
        let (b, n) = build(|b| vertex_sequence(&vertex_inputs(true), b));
        let b = &b[..n];
        assert_eq!(u32_at(b, 0), 0x22);
        // G13/G14: tiling_params and job_params1 (§2.4); G14X: registers at +0x40.
        if G14X {
            assert_eq!((u64_at(b, 0x4), u64_at(b, 0xc)), (0, 0));
            assert_eq!(u64_at(b, 0x14), RUN + 0x40);
        } else {
            assert_eq!(u64_at(b, 0x4), RUN + col(0x3bc, 0x3c4, 0) as u64);
            assert_eq!(u64_at(b, 0xc), RUN + col(0x38, 0x40, 0) as u64);
        }
        let d = if G14X { 8 } else { 0 };
        assert_eq!(u64_at(b, 0x14 + d), BUFFER);
        assert_eq!(u64_at(b, 0x1c + d), SCENE);
        assert_eq!(u64_at(b, 0x24 + d), STATS);
        assert_eq!(u64_at(b, 0x2c + d), WQ);
        assert_eq!(u32_at(b, 0x34 + d), 7);
        assert_eq!(u32_at(b, 0x38 + d), 1);
        assert_eq!(u32_at(b, 0x3c + d), 0x31);
        assert_eq!(u32_at(b, 0x40 + d), 3);
        assert_eq!(u64_at(b, 0x48 + d), 0x1_0000_0042);
        // unk_pointee follows fragment_stamp_value (§2.4: 0x47c | 0x484 | 0x770).
        let unk_pointee = RUN + col(0x480, 0x488, 0x774) as u64;
        assert_eq!(u64_at(b, 0x54 + d), unk_pointee);
        assert_eq!(u64_at(b, 0x5c + d), RUN + col(0x594, 0x59c, 0x888) as u64);
        assert_eq!(u32_at(b, 0x6c + d), 0xabcd_0002);
        assert_eq!(u32_at(b, 0x70 + d + 0x100), 0, "no attachments");
        if V13 {
            assert_eq!(u64_at(b, col(0, 0x178, 0x180)), 0x56);
            assert_eq!(u64_at(b, col(0, 0x180, 0x188)), NOTIFIER_BUF);
        }
        assert_eq!(u32_at(b, unk_178), u32::from(V13), "no clustering: 13.x sets it");
        let offs = [
            col(0x5ac, 0x5b4, 0x8a0),
            col(0x5b4, 0x5bc, 0x8a8),
            col(0x5c4, 0x5cc, 0x8b8),
        ];
        // `unk_ts` follows client_sequence and two words (ours `unk_5dd`).
        let unk_ts = col(0, 0x5e5, 0x8d1);
        let f = check_head(b, size_of::<StartVertex>(), offs, unk_ts, 0xabcd_0002, 0x101);
        assert_eq!(u32_at(b, f), 0x23);
        assert_eq!(u64_at(b, f + 0x4), SCENE);
        assert_eq!(u64_at(b, f + 0xc), BUFFER);
        assert_eq!(u64_at(b, f + 0x14), STATS);
        assert_eq!(u64_at(b, f + 0x1c), WQ);
        assert_eq!(u32_at(b, f + 0x24), 7);
        assert_eq!(u64_at(b, f + 0x2c), unk_pointee);
        assert_eq!(u32_at(b, f + 0x38), 0xabcd_0002);
        assert_eq!(u64_at(b, f + 0x3c), FW_STAMP);
        assert_eq!(u32_at(b, f + 0x44), 0x3c00);
        assert_eq!(u32_at(b, f + g14(0x6c)), (-(f as i32)) as u32);
        assert_eq!(u32_at(b, f + g14(0x70)), 0);
        assert_eq!(u32_at(b, f + size_of::<FinalizeVertex>()), 0x4000_0018);
    }

    #[test]
    fn fragment_field_offsets() {
        let (b, n) = build(|b| fragment_sequence(&fragment_inputs(true), b));
        let b = &b[..n];
        assert_eq!(u32_at(b, 0), 0x24);
        if G14X {
            assert_eq!((u64_at(b, 0x4), u64_at(b, 0xc)), (0, 0));
            assert_eq!(u64_at(b, 0x14), RUN + 0x80);
        } else {
            assert_eq!(u64_at(b, 0x4), RUN + col(0x3c0, 0x3c8, 0) as u64);
            assert_eq!(u64_at(b, 0xc), RUN + col(0x78, 0x80, 0) as u64);
        }
        let d = if G14X { 8 } else { 0 };
        let busy = RUN + col(0x870, 0x888, 0xb60) as u64;
        let flag758 = RUN + col(0x758, 0x770, 0xa48) as u64;
        assert_eq!(u64_at(b, 0x14 + d), SCENE);
        assert_eq!(u64_at(b, 0x1c + d), STATS);
        assert_eq!(u64_at(b, 0x24 + d), busy);
        assert_eq!(u64_at(b, 0x2c + d), RUN + col(0x874, 0x88c, 0xb64) as u64);
        let unk_pointer = u64_at(b, 0x34 + d);
        assert_eq!(u64_at(b, 0x3c + d), WQ);
        assert_eq!(u64_at(b, 0x44 + d), RUN);
        assert_eq!(u32_at(b, 0x4c + d), 7);
        assert_eq!(u32_at(b, 0x50 + d), 1);
        assert_eq!(u32_at(b, 0x54 + d), 0x31);
        assert_eq!(u32_at(b, 0x58 + d), 3);
        assert_eq!(u64_at(b, 0x60 + d), 0x1_0000_0042);
        assert_eq!(u64_at(b, 0x6c + d), flag758);
        assert_eq!(u32_at(b, col(0x88, 0x90, 0x98)), 0xabcd_0003);
        assert_eq!(u32_at(b, col(0x8c, 0x94, 0x9c) + 0x100), 1);
        if V13 {
            assert_eq!(u64_at(b, col(0, 0x19c, 0x1a4)), 0x57);
            assert_eq!(u64_at(b, col(0, 0x1a4, 0x1ac)), NOTIFIER_BUF);
        }
        let offs = [
            col(0x8fc, 0x918, 0xbf0),
            col(0x904, 0x920, 0xbf8),
            col(0x914, 0x930, 0xc08),
        ];
        // `unk_ts` follows client_sequence and two words (ours `unk_92d`).
        let unk_ts = col(0, 0x949, 0xc21);
        let f = check_head(b, size_of::<StartFragment>(), offs, unk_ts, 0xabcd_0003, 0x10001);
        assert_eq!(u32_at(b, f), 0x25);
        assert_eq!(u32_at(b, f + 0x4), 0xabcd_0003);
        assert_eq!(u64_at(b, f + 0xc), FW_STAMP);
        assert_eq!(u32_at(b, f + 0x14), 0x3d00);
        assert_eq!(u64_at(b, f + 0x1c), SCENE);
        assert_eq!(u64_at(b, f + 0x24), BUFFER);
        assert_eq!(u64_at(b, f + 0x2c), 1);
        assert_eq!(u64_at(b, f + 0x34), STATS);
        assert_eq!(u64_at(b, f + 0x3c), unk_pointer);
        assert_eq!(u64_at(b, f + 0x44), busy);
        assert_eq!(u64_at(b, f + 0x4c), WQ);
        assert_eq!(u64_at(b, f + 0x54), RUN);
        assert_eq!(u32_at(b, f + 0x5c), 7);
        assert_eq!(u64_at(b, f + 0x64), flag758);
        assert_eq!(u32_at(b, f + col(g14(0x94), 0x9c, 0x9c)), (-(f as i32)) as u32);
        assert_eq!(u32_at(b, f + col(g14(0x98), 0xa0, 0xa0)), 1);
        assert_eq!(u32_at(b, f + size_of::<FinalizeFragment>()), 0x4000_0018);
    }

    /// Decodes a whole sequence: opcodes in order, and the offsets and ops.
    fn decode_all(b: &[u8]) -> ([Option<(usize, Op)>; 8], usize) {
        let mut out = [None; 8];
        let mut n = 0;
        for r in ops(b) {
            out[n] = Some(r.unwrap());
            n += 1;
        }
        (out, n)
    }

    #[test]
    fn builder_decoder_round_trip() {
        let wait = if G14X { OpCode::WaitForIdle2 } else { OpCode::WaitForIdle };
        for t in [false, true] {
            let ci = compute_inputs(t);
            let (buf, n) = build(|b| compute_sequence(&ci, b));
            let (seq, count) = decode_all(&buf[..n]);
            let codes: [Option<OpCode>; 8] = seq.map(|o| o.map(|(_, op)| op.opcode()));
            let want: &[OpCode] = if t {
                &[
                    OpCode::StartCompute,
                    OpCode::Timestamp,
                    wait,
                    OpCode::Timestamp,
                    OpCode::FinalizeCompute,
                    OpCode::RetireStamp,
                ]
            } else {
                &[OpCode::StartCompute, wait, OpCode::FinalizeCompute, OpCode::RetireStamp]
            };
            assert_eq!(count, want.len());
            for (k, w) in want.iter().enumerate() {
                assert_eq!(codes[k], Some(*w));
            }
            let (at0, start) = seq[0].unwrap();
            assert_eq!(at0, 0);
            assert_eq!(start.run_command(), Some(RUN));
            let Op::StartCompute(s) = start else {
                panic!("not StartCompute: {start:?}")
            };
            assert_eq!(
                (s.vm_slot, s.event_seq.get(), s.uuid, s.attachments),
                (7, ci.event_seq, ci.uuid, ci.attachments)
            );
            let (fin_at, fin) = seq[count - 2].unwrap();
            let (stamp, value, rbo) = fin.completion().unwrap();
            assert_eq!((stamp, value), (FW_STAMP, 0x3b00));
            assert_eq!(fin_at as i64 + i64::from(rbo), 0);
            if !G14X {
                assert_eq!(seq[if t { 2 } else { 1 }].unwrap().1, Op::WaitForIdle(Pipe::Compute));
            }
            if t {
                let (Op::Timestamp(a), Op::Timestamp(e)) = (seq[1].unwrap().1, seq[3].unwrap().1)
                else {
                    panic!("timestamps expected")
                };
                assert_eq!(a.header & TIMESTAMP_START_FLAG, TIMESTAMP_START_FLAG);
                assert_eq!(e.header & TIMESTAMP_START_FLAG, 0);
                assert_eq!(e.update_ts.va(), a.update_ts.va() + 8);
            }
            // The decoded ops, re-encoded, are the bytes.
            let mut again = [0u8; 0x800];
            let mut b2 = Builder::new(&mut again);
            for (_, op) in seq.iter().take(count).map(|o| o.unwrap()) {
                match op {
                    Op::StartCompute(x) => b2.add(&x),
                    Op::Timestamp(x) => b2.add(&x),
                    Op::FinalizeCompute(x) => b2.add(&x),
                    Op::WaitForIdle(p) => b2.add(&p.wait_for_idle_header()),
                    Op::WaitForIdle2 => b2.add(&WAIT_FOR_IDLE2_HEADER),
                    Op::RetireStamp => b2.add(&RETIRE_STAMP_HEADER),
                    other => panic!("unexpected {other:?}"),
                }
                .unwrap();
            }
            assert_eq!(b2.as_bytes(), &buf[..n]);
        }
        for t in [false, true] {
            let (buf, n) = build(|b| vertex_sequence(&vertex_inputs(t), b));
            let (seq, count) = decode_all(&buf[..n]);
            assert_eq!(count, if t { 6 } else { 4 });
            assert_eq!(seq[0].unwrap().1.run_command(), Some(RUN));
            assert_eq!(seq[count - 1].unwrap(), (n - 4, Op::RetireStamp));
            let (_, _, rbo) = seq[count - 2].unwrap().1.completion().unwrap();
            assert_eq!(seq[count - 2].unwrap().0 as i64 + i64::from(rbo), 0);
            let (buf, n) = build(|b| fragment_sequence(&fragment_inputs(t), b));
            let (seq, count) = decode_all(&buf[..n]);
            assert_eq!(count, if t { 6 } else { 4 });
            assert_eq!(seq[0].unwrap().1.run_command(), Some(RUN));
            let Op::FinalizeFragment(f) = seq[count - 2].unwrap().1 else {
                panic!("FinalizeFragment expected")
            };
            assert_eq!((f.fw_stamp.va(), f.stamp_value, f.has_attachments), (FW_STAMP, 0x3d00, 1));
        }
    }

    #[test]
    fn builder_refuses_what_does_not_fit() {
        let need = fragment_sequence_len(true);
        let mut buf = [0xa5u8; 0x800];
        let mut b = Builder::new(&mut buf[..need - 1]);
        assert_eq!(
            fragment_sequence(&fragment_inputs(true), &mut b),
            Err(MicroseqError::NoSpace {
                needed: need,
                available: need - 1
            })
        );
        assert_eq!(b.len(), 0, "nothing appended");
        assert!(buf.iter().all(|&x| x == 0xa5), "nothing written");
        let mut b = Builder::new(&mut buf[..need]);
        assert_eq!(fragment_sequence(&fragment_inputs(true), &mut b), Ok(need));
        assert_eq!(b.remaining(), 0);
        // A second one does not fit the full buffer.
        assert!(matches!(
            compute_sequence(&compute_inputs(false), &mut b),
            Err(MicroseqError::NoSpace { available: 0, .. })
        ));
    }

    #[test]
    fn decoder_refuses_truncated_ops() {
        let (buf, n) = build(|b| compute_sequence(&compute_inputs(true), b));
        // Op boundaries.
        let mut bounds = [0usize; 8];
        let mut nb = 0;
        for r in ops(&buf[..n]) {
            bounds[nb] = r.unwrap().0;
            nb += 1;
        }
        let bounds = &bounds[..nb];
        assert_eq!(nb, 6);
        assert_eq!(next_op(&[]), Err(MicroseqError::Truncated {
            offset: 0,
            opcode: None,
            needed: 4,
            available: 0
        }));
        for cut in 1..n {
            let mut last = None;
            let mut items = 0;
            for r in ops(&buf[..cut]) {
                items += 1;
                last = Some(r);
            }
            let last = last.unwrap();
            if bounds.contains(&cut) {
                assert!(last.is_ok(), "cut {cut:#x} at a boundary");
                assert_eq!(items, bounds.iter().filter(|&&b| b < cut).count());
            } else {
                let op_at = *bounds.iter().rfind(|&&b| b < cut).unwrap();
                match last {
                    Err(MicroseqError::Truncated {
                        offset, available, ..
                    }) => {
                        assert_eq!(offset, op_at, "cut {cut:#x}");
                        assert_eq!(available, cut - op_at);
                    }
                    other => panic!("cut {cut:#x}: {other:?}"),
                }
            }
        }
        // A Start op cut by one byte names its opcode and size.
        assert_eq!(
            next_op(&buf[..size_of::<StartCompute>() - 1]),
            Err(MicroseqError::Truncated {
                offset: 0,
                opcode: Some(OpCode::StartCompute),
                needed: size_of::<StartCompute>(),
                available: size_of::<StartCompute>() - 1
            })
        );
    }

    #[test]
    fn decoder_refuses_unknown_and_bad_headers() {
        let (mut buf, n) = build(|b| compute_sequence(&compute_inputs(false), b));
        let wait_at = size_of::<StartCompute>();
        let run = |buf: &[u8]| {
            let mut it = ops(&buf[..n]);
            assert!(it.next().unwrap().is_ok());
            let e = it.next().unwrap().unwrap_err();
            assert!(it.next().is_none(), "the iterator ends after an error");
            e
        };
        for unknown in [0x00u32, 0x03, 0x10, 0x1f, 0x26, 0x2b, 0x2c, 0x3f] {
            buf[wait_at..wait_at + 4].copy_from_slice(&unknown.to_le_bytes());
            assert_eq!(
                run(&buf),
                MicroseqError::UnknownOpcode {
                    offset: wait_at,
                    header: unknown
                }
            );
        }
        // Known opcodes with arguments the driver never sets.
        let bad: &[u32] = if G14X {
            &[0x102, 0x4000_0018 & !0x4000_0000, 0x69, 0x4000_0019]
        } else {
            &[0x301, 0x1, 0x8001, 0x18, 0x4000_0029, 0x4000_0019]
        };
        for &h in bad {
            buf[wait_at..wait_at + 4].copy_from_slice(&h.to_le_bytes());
            assert_eq!(
                run(&buf),
                MicroseqError::BadHeader {
                    offset: wait_at,
                    header: h
                },
                "{h:#x}"
            );
        }
        // The other generation's wait op.
        let (other, code) = if G14X {
            (0x101u32, OpCode::WaitForIdle)
        } else {
            (2, OpCode::WaitForIdle2)
        };
        buf[wait_at..wait_at + 4].copy_from_slice(&other.to_le_bytes());
        assert_eq!(
            run(&buf),
            MicroseqError::NotForVariant {
                offset: wait_at,
                opcode: code
            }
        );
    }
}
