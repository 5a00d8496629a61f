//! Host tests of the block decoders and encoders: exact words against cmdbuf.xml bit positions,
//! round trips, refusals, truncation, and random input.

extern crate std;

use std::vec::Vec;

use super::cdm::{self, CdmBlock, Grid, Launch};
use super::usc;
use super::vdm::{self, IndexList, Tessellate, VdmBlock, VdmState};
use super::virt::{self, Op};
use super::{Chip, ShaderRegs, StreamError, Writer};

const CHIPS: [Chip; 4] = [Chip::G13G, Chip::G13X, Chip::G14G, Chip::G14X];

fn words(b: &[u8]) -> Vec<u32> {
    b.chunks(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn bytes(ws: &[u32]) -> Vec<u8> {
    ws.iter().flat_map(|w| w.to_le_bytes()).collect()
}

fn enc_cdm(b: &CdmBlock, chip: Chip) -> Vec<u8> {
    let mut buf = [0u8; 64];
    let mut w = Writer::new(&mut buf);
    b.encode(chip, &mut w).unwrap();
    w.written().to_vec()
}

fn enc_vdm(b: &VdmBlock) -> Vec<u8> {
    let mut buf = [0u8; 64];
    let mut w = Writer::new(&mut buf);
    b.encode(&mut w).unwrap();
    w.written().to_vec()
}

/// Every prefix shorter than the block is Truncated, never a panic or a wrong block.
fn assert_truncations(b: &[u8], dec: impl Fn(&[u8]) -> Result<usize, StreamError>) {
    assert_eq!(dec(b), Ok(b.len()));
    for n in 0..b.len() {
        match dec(&b[..n]) {
            Err(StreamError::Truncated { need, have }) => {
                assert_eq!(have, n);
                assert!(need > n && need <= b.len());
            }
            other => panic!("prefix {n} of {b:02x?}: {other:?}"),
        }
    }
}

#[test]
fn mesa_direct_launch_words() {
    // hk_dispatch_with_usc: sampler_state_register_count = 1, 64 uniforms, no preshader
    // (preshader 0 packs as one group, __gen_to_groups).
    let l = Launch::mesa(
        64,
        0,
        0x1_2340,
        Grid::Direct {
            global: [256, 2, 1],
            local: [32, 1, 1],
        },
    );
    let l = l.unwrap();
    // Uniforms [3:1] = 1, textures [8:4] = 1 (zero packs as one group), sampler states
    // [11:9] = 1, preshader [15:12] = 1, mode 0, type 0.
    assert_eq!(l.regs, ShaderRegs(0x1212));
    assert_eq!(l.regs.uniforms(), 64);
    assert_eq!(l.regs.preshader(), 16);
    assert_eq!(l.regs.textures(), 8);
    assert_eq!(l.regs.sampler_states(), 1);
    let b = enc_cdm(&CdmBlock::Launch(l), Chip::G13G);
    assert_eq!(words(&b), [0x1212, 0x1_2340, 256, 2, 1, 32, 1, 1]);
    assert_eq!(cdm::decode(&b, Chip::G13G), Ok((CdmBlock::Launch(l), 32)));
    assert_truncations(&b, |x| cdm::decode(x, Chip::G13G).map(|r| r.1));

    // G14X: the `CDM Unk G14X` word pair after word 1, word 1 bit 30 set.
    let b = enc_cdm(&CdmBlock::Launch(l), Chip::G14X);
    assert_eq!(
        words(&b),
        [0x1212, 0x1_2340, 0, 0x4000_0000, 256, 2, 1, 32, 1, 1]
    );
    assert_eq!(cdm::decode(&b, Chip::G14X), Ok((CdmBlock::Launch(l), 40)));
    assert_truncations(&b, |x| cdm::decode(x, Chip::G14X).map(|r| r.1));
    // Read as a G13 stream, the G14X pair is the global size: a different (valid) launch.
    assert_ne!(cdm::decode(&b, Chip::G13G).unwrap().0, CdmBlock::Launch(l));
}

#[test]
fn indirect_launches() {
    let regs = ShaderRegs::new(128, 8, 0, 16).unwrap();
    for (grid, mode, tail) in [
        (
            Grid::IndirectGlobal {
                buffer: 0x12_3456_7890,
                local: [8, 8, 1],
            },
            1u32,
            &[0x12, 0x3456_7890, 8, 8, 1][..],
        ),
        (
            Grid::IndirectLocal {
                buffer: 0xff_ffff_fffc,
            },
            2,
            &[0xff, 0xffff_fffc][..],
        ),
    ] {
        let l = CdmBlock::Launch(Launch {
            regs,
            pipeline: 0x80,
            grid,
        });
        for chip in CHIPS {
            let b = enc_cdm(&l, chip);
            let w = words(&b);
            assert_eq!(w[0], (mode << 27) | regs.0);
            let skip = if chip == Chip::G14X { 4 } else { 2 };
            assert_eq!(&w[skip..], tail);
            assert_eq!(cdm::decode(&b, chip), Ok((l, b.len())));
            assert_truncations(&b, |x| cdm::decode(x, chip).map(|r| r.1));
        }
    }
    // The indirect address low word holds bits 31:2 only (`CDM Indirect`, shr(2)).
    let bad = CdmBlock::Launch(Launch {
        regs,
        pipeline: 0,
        grid: Grid::IndirectLocal { buffer: 0x1002 },
    });
    let mut buf = [0u8; 64];
    assert!(bad.encode(Chip::G13G, &mut Writer::new(&mut buf)).is_err());
    assert_eq!(
        cdm::decode(&bytes(&[2 << 27, 0, 0, 0x1002]), Chip::G13G),
        Err(StreamError::Unknown {
            va: 0,
            word: 2 << 27
        })
    );
}

#[test]
fn cdm_control_blocks_exact() {
    let c = Chip::G13G;
    let cases: [(CdmBlock, &[u32]); 6] = [
        (
            CdmBlock::Link {
                target: 0x15_0000_1000,
                call: false,
            },
            &[0x2000_0015, 0x1000],
        ),
        (
            CdmBlock::Link {
                target: 0x15_0000_1000,
                call: true,
            },
            &[0x3000_0015, 0x1000],
        ),
        (CdmBlock::Terminate, &[0x4000_0000, 0]),
        (CdmBlock::mesa_barrier(c), &[0x600f_ffff]),
        (CdmBlock::Return, &[0x8000_0000, 0]),
        (CdmBlock::Barrier(cdm::BARRIER_RETURNS), &[0x6800_0000]),
    ];
    for (blk, ws) in cases {
        let b = enc_cdm(&blk, c);
        assert_eq!(words(&b), ws, "{blk:?}");
        assert_eq!(cdm::decode(&b, c), Ok((blk, b.len())));
        assert_truncations(&b, |x| cdm::decode(x, c).map(|r| r.1));
    }
    // A link target needs 40 bits at most.
    let far = CdmBlock::Link {
        target: 1 << 40,
        call: false,
    };
    let mut buf = [0u8; 8];
    assert!(far.encode(c, &mut Writer::new(&mut buf)).is_err());
}

#[test]
fn cdm_refusals() {
    let c = Chip::G13G;
    let unknown = |w: u32| Err(StreamError::Unknown { va: 0, word: w });
    // Block types 5..7 are not CDM blocks.
    for t in 5..8u32 {
        assert_eq!(
            cdm::decode(&bytes(&[t << 29, 0, 0, 0]), c),
            unknown(t << 29)
        );
    }
    // Mode 3 is undefined.
    let w = 3 << 27;
    assert_eq!(cdm::decode(&bytes(&[w; 10]), c), unknown(w));
    // Undefined bits in a launch, a link, a terminate, a barrier.
    for w in [1 << 20, 0x2000_0100, 0x4000_0001, 0x6000_0000 | 1 << 22] {
        assert_eq!(
            cdm::decode(&bytes(&[w, 0, 0, 0, 0, 0, 0, 0]), c),
            unknown(w)
        );
    }
    // A pipeline word with bits 5:0 set.
    assert_eq!(
        cdm::decode(&bytes(&[0, 0x41, 0, 0, 0, 0, 0, 0]), c),
        unknown(0)
    );
    // G14X: the extra pair must be exactly (0, 1 << 30).
    let b = bytes(&[0, 0x40, 0, 0, 1, 1, 1, 1, 1, 1]);
    assert_eq!(cdm::decode(&b, Chip::G14X), unknown(0));
}

#[test]
fn vdm_blocks_exact() {
    let state = VdmState {
        vs_word0: Some(ShaderRegs::new(64, 0, 1, 0).unwrap()),
        vs_word1: Some(0x4_0000),
        ..VdmState::default()
    };
    let cases: [(VdmBlock, Vec<u32>); 9] = [
        (
            VdmBlock::PppState {
                record: 0x15_0000_2000,
                words: 0x20,
            },
            [0x0000_2015, 0x2000].to_vec(),
        ),
        (VdmBlock::mesa_return(), [0x2800_0000].to_vec()),
        (VdmBlock::Barrier(1 << 3), [0x2000_0008].to_vec()),
        // Presence bits 1 and 2, then a padding word to 8 bytes (agxdecode ALIGN_POT).
        (
            VdmBlock::State(state),
            [0x4000_0006, 0x1212, 0x4_0000, 0].to_vec(),
        ),
        (
            VdmBlock::IndexList(IndexList::mesa_direct(6, 3, 1, 0)),
            [0x61c0_0600, 3, 1, 0].to_vec(),
        ),
        // Indexed U16 triangles: buffer lo, count, instances, start, then size in words.
        (
            VdmBlock::IndexList(
                IndexList::mesa_indexed(6, 0x15_0000_4002, 1, 6, true, 3, 2, 7).unwrap(),
            ),
            [0x61f3_0615, 0x4002, 3, 2, 7, 2].to_vec(),
        ),
        (
            VdmBlock::IndexList(IndexList::mesa_indirect(6, 0x15_0000_8000)),
            [0x6400_0600, 0x15, 0x8000].to_vec(),
        ),
        (
            VdmBlock::Link {
                target: 0x15_0000_1000,
                call: true,
            },
            [0x9000_0015, 0x1000].to_vec(),
        ),
        (
            VdmBlock::Terminate,
            [0xc000_0000, 0, 0, 0, 0, 0, 0, 0].to_vec(),
        ),
    ];
    for (blk, ws) in cases {
        let b = enc_vdm(&blk);
        assert_eq!(words(&b), ws, "{blk:?}");
        assert_eq!(vdm::decode(&b), Ok((blk, b.len())));
        assert_truncations(&b, |x| vdm::decode(x).map(|r| r.1));
    }
    // With the tessellation scale present the state is not padded.
    let s = VdmBlock::State(VdmState {
        tessellation_scale: Some(0x3c00),
        ..VdmState::default()
    });
    assert_eq!(words(&enc_vdm(&s)), [0x4000_0080, 0x3c00]);
    let s = VdmBlock::State(VdmState {
        restart_index: Some(0xffff),
        tessellation_scale: Some(0x3c00),
        ..VdmState::default()
    });
    assert_eq!(words(&enc_vdm(&s)), [0x4000_0081, 0xffff, 0x3c00]);
    assert_eq!(vdm::decode(&enc_vdm(&s)), Ok((s, 12)));
}

#[test]
fn tessellate_round_trip() {
    let t = Tessellate {
        header: 0x15 | (0xc << 8) | (1 << 20),
        factor_buffer_lo: Some(0x1000),
        patches: Some([4, 2]),
        base_patch: Some(1),
        base_instance: Some([0, 16]),
        indirect: None,
        factor_buffer_size: Some(63),
    };
    let blk = VdmBlock::Tessellate(t);
    let b = enc_vdm(&blk);
    assert_eq!(
        words(&b),
        [0xb2f0_0c15, 0x1000, 4, 2, 1, 0, 16, 63],
        "presence 21, 22, 23, 25, 28"
    );
    assert_eq!(vdm::decode(&b), Ok((blk, 32)));
    assert_eq!(t.factor_buffer(), Some(0x15_0000_1000));
    let ind = VdmBlock::Tessellate(Tessellate {
        indirect: Some((0x20_0000_0000, 64)),
        ..Tessellate::default()
    });
    let b = enc_vdm(&ind);
    assert_eq!(words(&b), [0xa400_0000, 0x20, 0, 64]);
    assert_truncations(&b, |x| vdm::decode(x).map(|r| r.1));
}

#[test]
fn vdm_refusals() {
    let unknown = |w: u32| Err(StreamError::Unknown { va: 0, word: w });
    let pad = |w: u32| bytes(&[w, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    // Type 7; Index List Unk 1 / Unk 2 present (their words are not placed by the XML); VDM
    // State bit 6; barrier bit 0 (G16 only); a PPP word with bits above 15; terminate bits.
    for w in [
        0xe000_0000,
        0x6200_0000,
        0x6800_0000,
        0x4000_0040,
        0x2000_0001,
        0x0001_0000,
        0xc000_0001,
    ] {
        assert_eq!(vdm::decode(&pad(w)), unknown(w), "{w:#x}");
    }
}

/// xorshift64*, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn random_bytes_never_panic_and_reencode() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let (mut ok_cdm, mut ok_vdm) = (0, 0);
    for i in 0..200_000u32 {
        let len = (rng.next() % 56) as usize;
        let mut b: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // Bias the first word towards known block types and few set bits, so that valid
        // blocks (not only refusals) are exercised.
        if b.len() >= 4 && i % 2 == 0 {
            let w = ((rng.next() as u32) & (rng.next() as u32) & (rng.next() as u32) & 0x1fff_ffff)
                | ((i / 2 % 8) << 29);
            b[..4].copy_from_slice(&w.to_le_bytes());
        }
        for chip in CHIPS {
            if let Ok((blk, n)) = cdm::decode(&b, chip) {
                ok_cdm += 1;
                assert!(n <= b.len());
                // What decodes re-encodes to a block that decodes the same.
                let e = enc_cdm(&blk, chip);
                assert_eq!(e.len(), n);
                assert_eq!(cdm::decode(&e, chip), Ok((blk, n)));
            }
        }
        if let Ok((blk, n)) = vdm::decode(&b) {
            ok_vdm += 1;
            let e = enc_vdm(&blk);
            assert_eq!(e.len(), n);
            assert_eq!(vdm::decode(&e), Ok((blk, n)));
        }
        let _ = usc::entry_len(b.first().copied().unwrap_or(0));
        if b.len() >= virt::OP_LEN {
            let op: [u8; virt::OP_LEN] = b[..virt::OP_LEN].try_into().unwrap();
            if let Some(op) = Op::decode(&op) {
                assert_eq!(Op::decode(&op.encode()), Some(op));
            }
        }
    }
    // The bias made valid blocks of both kinds common.
    assert!(ok_cdm > 1000 && ok_vdm > 1000, "{ok_cdm} {ok_vdm}");
}

#[test]
fn groups_packing_matches_mesa() {
    use super::{from_groups, to_groups};
    // __gen_to_groups: 0 -> 1 group, round up, 1 << bits groups -> 0.
    assert_eq!(to_groups(0, 64, 3), Ok(1));
    assert_eq!(to_groups(1, 64, 3), Ok(1));
    assert_eq!(to_groups(65, 64, 3), Ok(2));
    assert_eq!(to_groups(512, 64, 3), Ok(0));
    assert!(to_groups(513, 64, 3).is_err());
    assert_eq!(from_groups(0, 64, 3), 512);
    assert_eq!(from_groups(3, 8, 5), 24);
}

#[test]
fn virtual_ops_match_the_driver_encoding() {
    // The guest's `gpu::stream` encoding: four LE u64 (opcode, a, b, c).
    let op = Op::Write32 {
        addr: 0x10_0000_0000,
        value: 0xdead_beef,
    };
    let e = op.encode();
    assert_eq!(&e[..8], &1u64.to_le_bytes());
    assert_eq!(&e[8..16], &0x10_0000_0000u64.to_le_bytes());
    assert_eq!(&e[16..24], &0xdead_beefu64.to_le_bytes());
    assert_eq!(&e[24..], &[0; 8]);
    // Limits as the driver's stream.rs: bulk 1 MiB, delay 100 ms; unknown opcodes refused;
    // the opcode is the low 32 bits of the first word.
    assert_eq!(
        Op::decode(&virt::encode_raw((3, 1, 2, 1 << 20))),
        Some(Op::Copy {
            dst: 1,
            src: 2,
            len: 1 << 20
        })
    );
    assert_eq!(
        Op::decode(&virt::encode_raw((3, 1, 2, (1 << 20) + 1))),
        None
    );
    assert_eq!(
        Op::decode(&virt::encode_raw((4, 1, 0x1ff, 8))),
        Some(Op::Fill {
            dst: 1,
            byte: 0xff,
            len: 8
        })
    );
    assert_eq!(Op::decode(&virt::encode_raw((5, 0, 0, 100_001))), None);
    assert_eq!(Op::decode(&virt::encode_raw((7, 0, 0, 0))), None);
    let mut raw = virt::encode_raw((6, 8, 0, 0));
    raw[4] = 0xff; // high half of the opcode word is ignored
    assert_eq!(Op::decode(&raw), Some(Op::Read32 { addr: 8 }));
    let h = virt::header(2).unwrap();
    assert_eq!(&h[..8], b"AGXVIRT\0");
    assert_eq!(&h[8..], &[1, 0, 0, 0, 64, 0, 0, 0]);
    assert!(virt::header(virt::MAX_OPS + 1).is_err());
}

#[test]
fn usc_entries() {
    let mut b = [0u8; 32];
    let mut n = usc::encode_uniform(0, 8, 0x15_0000_0100, &mut b).unwrap();
    n += usc::encode_shader(0x2000, &mut b[n..]).unwrap();
    n += usc::encode_no_preshader(&mut b[n..]).unwrap();
    assert_eq!(n, 16);
    let e: [u8; 8] = b[..8].try_into().unwrap();
    assert_eq!(usc::entry_buffer(&e), Some((0x15_0000_0100, 16)));
    assert_eq!(&b[8..16], &[0x0d, 0, 0, 0x20, 0, 0, 0x88, 0]);
    assert!(usc::encode_uniform(0, 0, 0, &mut b).is_err());
    assert!(usc::encode_uniform(0, 1, 2, &mut b).is_err());
}
