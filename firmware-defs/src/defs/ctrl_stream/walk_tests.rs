//! Host tests of the walker: Mesa-shaped streams complete, links, calls and returns, and every
//! way a stream can be wrong (loop, no terminate, bad pointers, unknown words, deep calls).

extern crate std;

use std::vec::Vec;

use super::cdm::{CdmBlock, Grid, Launch};
use super::usc;
use super::vdm::{IndexList, VdmBlock, VdmState};
use super::virt::{self, Op};
use super::walk::{walk_cdm, walk_vdm, Config, Dispatch, Draw, DrawKind, Limits, Visitor};
use super::{Chip, Fault, GpuMemory, ShaderRegs, StreamError, Writer};

/// Sparse GPU memory: mapped regions; a read faults at its first unmapped byte.
#[derive(Default)]
struct Mem {
    regions: Vec<(u64, Vec<u8>)>,
}

impl Mem {
    fn map(&mut self, va: u64, len: usize) {
        self.regions.push((va, std::vec![0; len]));
    }

    fn put(&mut self, va: u64, data: &[u8]) {
        for (base, bytes) in &mut self.regions {
            if va >= *base && va + data.len() as u64 <= *base + bytes.len() as u64 {
                let off = (va - *base) as usize;
                bytes[off..off + data.len()].copy_from_slice(data);
                return;
            }
        }
        panic!("put outside the mappings at {va:#x}");
    }

    fn byte(&self, va: u64) -> Option<u8> {
        self.regions.iter().find_map(|(base, bytes)| {
            va.checked_sub(*base)
                .and_then(|off| bytes.get(usize::try_from(off).ok()?).copied())
        })
    }
}

impl GpuMemory for Mem {
    fn read(&mut self, va: u64, buf: &mut [u8]) -> Result<(), Fault> {
        for (i, b) in buf.iter_mut().enumerate() {
            let at = va.wrapping_add(i as u64);
            *b = self.byte(at).ok_or(Fault { va: at })?;
        }
        Ok(())
    }
}

#[derive(Default)]
struct Seen {
    launches: Vec<Dispatch>,
    draws: Vec<Draw>,
    programs: Vec<virt::VirtualProgram>,
}

impl Visitor<Mem> for Seen {
    fn launch(&mut self, mem: &mut Mem, d: &Dispatch) -> Result<(), StreamError> {
        if let Some(code) = d.shader.code_va {
            if let Some(p) = virt::parse_virtual_shader(mem, code)? {
                self.programs.push(p);
            }
        }
        self.launches.push(*d);
        Ok(())
    }

    fn draw(&mut self, _mem: &mut Mem, d: &Draw) -> Result<(), StreamError> {
        self.draws.push(*d);
        Ok(())
    }
}

const USC_BASE: u64 = 0x15_0000_0000;
const STREAM: u64 = 0x10_0000_0000;
const DATA: u64 = 0x11_0000_0000;
/// USC-relative offsets of the pipeline (USC words) and the shader code.
const PIPE: u32 = 0x1000;
const CODE: u32 = 0x2000;

fn cfg(chip: Chip) -> Config {
    Config {
        chip,
        usc_base: USC_BASE,
        limits: Limits::default(),
    }
}

/// Memory with a 64 KiB stream region, a 64 KiB data buffer, and a USC region holding a pipeline
/// (a uniform buffer in the data region, the shader at `CODE`, no preshader).
fn setup() -> Mem {
    let mut m = Mem::default();
    m.map(STREAM, 0x1_0000);
    m.map(DATA, 0x1_0000);
    m.map(USC_BASE, 0x1_0000);
    let mut w = [0u8; 16];
    let mut n = usc::encode_uniform(0, 4, DATA, &mut w).unwrap();
    n += usc::encode_shader(CODE, &mut w[n..]).unwrap();
    n += usc::encode_no_preshader(&mut w[n..]).unwrap();
    m.put(USC_BASE + u64::from(PIPE), &w[..n]);
    m
}

fn cdm_stream(chip: Chip, blocks: &[CdmBlock]) -> Vec<u8> {
    let mut buf = [0u8; 4096];
    let mut w = Writer::new(&mut buf);
    for b in blocks {
        b.encode(chip, &mut w).unwrap();
    }
    w.written().to_vec()
}

fn vdm_stream(blocks: &[VdmBlock]) -> Vec<u8> {
    let mut buf = [0u8; 4096];
    let mut w = Writer::new(&mut buf);
    for b in blocks {
        b.encode(&mut w).unwrap();
    }
    w.written().to_vec()
}

fn launch(pipeline: u32) -> CdmBlock {
    CdmBlock::Launch(
        Launch::mesa(
            16,
            0,
            pipeline,
            Grid::Direct {
                global: [64, 1, 1],
                local: [64, 1, 1],
            },
        )
        .unwrap(),
    )
}

/// What `hk_dispatch_with_usc_launch` writes for one dispatch, then the terminate.
fn mesa_compute(chip: Chip) -> Vec<u8> {
    cdm_stream(
        chip,
        &[
            launch(PIPE),
            CdmBlock::mesa_barrier(chip),
            CdmBlock::Terminate,
        ],
    )
}

#[test]
fn mesa_compute_stream_completes_on_every_chip() {
    for chip in [Chip::G13G, Chip::G13X, Chip::G14G, Chip::G14X] {
        let mut m = setup();
        let s = mesa_compute(chip);
        m.put(STREAM, &s);
        let mut seen = Seen::default();
        let sum = walk_cdm(&mut m, STREAM, &cfg(chip), &mut seen).unwrap();
        assert_eq!(sum.launches, 1);
        assert_eq!(sum.blocks, 3);
        assert_eq!(sum.words as usize, s.len() / 4);
        assert_eq!(sum.end_va, STREAM + s.len() as u64 - 8);
        let d = seen.launches[0];
        assert_eq!(d.va, STREAM);
        assert_eq!(d.shader.pipeline_va, USC_BASE + u64::from(PIPE));
        assert_eq!(d.shader.code_va, Some(USC_BASE + u64::from(CODE)));
        assert_eq!(d.shader.usc.buffers, 1);
        // Zeroed code is not a virtual shader: a no-op.
        assert!(seen.programs.is_empty());
    }
}

#[test]
fn virtual_shader_is_found_through_the_usc_words() {
    let mut m = setup();
    let ops = [
        Op::Write32 {
            addr: DATA,
            value: 7,
        },
        Op::End,
    ];
    let mut code = [0u8; 128];
    let n = virt::encode_program(&ops, &mut code).unwrap();
    m.put(USC_BASE + u64::from(CODE), &code[..n]);
    m.put(STREAM, &mesa_compute(Chip::G13G));
    let mut seen = Seen::default();
    walk_cdm(&mut m, STREAM, &cfg(Chip::G13G), &mut seen).unwrap();
    let p = seen.programs[0];
    assert_eq!(p.ops, 2);
    assert_eq!(p.ops_va, USC_BASE + u64::from(CODE) + 16);
    assert_eq!(p.op(&mut m, 0), Ok(Some(ops[0])));
    assert_eq!(p.op(&mut m, 1), Ok(Some(Op::End)));
    assert_eq!(p.op(&mut m, 2), Ok(None));

    // A marked shader with a wrong version or a ragged length is refused, not ignored.
    let code_va = USC_BASE + u64::from(CODE);
    m.put(code_va + 8, &2u32.to_le_bytes());
    assert!(matches!(
        virt::parse_virtual_shader(&mut m, code_va),
        Err(StreamError::BadVirtual { va, .. }) if va == code_va
    ));
    m.put(code_va + 8, &1u32.to_le_bytes());
    m.put(code_va + 12, &33u32.to_le_bytes());
    assert!(matches!(
        virt::parse_virtual_shader(&mut m, code_va),
        Err(StreamError::BadVirtual { .. })
    ));
    // A payload running off the mapping faults where it stops being readable.
    let end = USC_BASE + 0x1_0000;
    m.put(end - 16, &virt::header(2).unwrap());
    assert_eq!(
        virt::parse_virtual_shader(&mut m, end - 16),
        Err(StreamError::Fault(Fault { va: end }))
    );
    // An unknown op inside the payload is refused when run.
    m.put(code_va + 12, &64u32.to_le_bytes());
    m.put(code_va + 16, &virt::encode_raw((9, 0, 0, 0)));
    let p = virt::parse_virtual_shader(&mut m, code_va)
        .unwrap()
        .unwrap();
    assert!(
        matches!(p.op(&mut m, 0), Err(StreamError::BadVirtual { va, .. }) if va == code_va + 16)
    );
}

#[test]
fn link_chain_and_call_return() {
    let chip = Chip::G13G;
    let mut m = setup();
    // STREAM: launch, jump to B; B: call C, launch, terminate; C: launch, return.
    let (b, c) = (STREAM + 0x1000, STREAM + 0x2000);
    m.put(
        STREAM,
        &cdm_stream(
            chip,
            &[
                launch(PIPE),
                CdmBlock::Link {
                    target: b,
                    call: false,
                },
            ],
        ),
    );
    m.put(
        b,
        &cdm_stream(
            chip,
            &[
                CdmBlock::Link {
                    target: c,
                    call: true,
                },
                launch(PIPE),
                CdmBlock::Terminate,
            ],
        ),
    );
    m.put(c, &cdm_stream(chip, &[launch(PIPE), CdmBlock::Return]));
    let mut seen = Seen::default();
    let sum = walk_cdm(&mut m, STREAM, &cfg(chip), &mut seen).unwrap();
    let at: Vec<u64> = seen.launches.iter().map(|d| d.va).collect();
    // The call returned to the block after it (b + 8).
    assert_eq!(at, [STREAM, c, b + 8]);
    assert_eq!(sum.end_va, b + 8 + 32);

    // A barrier with Returns returns too; a return without a call is an error at its address.
    m.put(
        c,
        &cdm_stream(chip, &[CdmBlock::Barrier(super::cdm::BARRIER_RETURNS)]),
    );
    let mut seen = Seen::default();
    walk_cdm(&mut m, STREAM, &cfg(chip), &mut seen).unwrap();
    assert_eq!(seen.launches.len(), 2);
    m.put(STREAM, &cdm_stream(chip, &[CdmBlock::Return]));
    assert_eq!(
        walk_cdm(&mut m, STREAM, &cfg(chip), &mut Seen::default()),
        Err(StreamError::ReturnUnderflow { va: STREAM })
    );
}

#[test]
fn loops_and_unterminated_streams_stop() {
    let chip = Chip::G13G;
    let mut m = setup();
    // A link to itself.
    m.put(
        STREAM,
        &cdm_stream(
            chip,
            &[CdmBlock::Link {
                target: STREAM,
                call: false,
            }],
        ),
    );
    let small = Config {
        limits: Limits {
            max_words: 1000,
            ..Limits::default()
        },
        ..cfg(chip)
    };
    assert_eq!(
        walk_cdm(&mut m, STREAM, &small, &mut Seen::default()),
        Err(StreamError::Timeout { va: STREAM })
    );
    // A stream of barriers with no terminate runs into the end of its mapping (a fault there)
    // or, in a larger mapping, out of words.
    let barriers: Vec<CdmBlock> = (0..1024).map(|_| CdmBlock::mesa_barrier(chip)).collect();
    let s = cdm_stream(chip, &barriers);
    m.put(STREAM + 0x1_0000 - s.len() as u64, &s);
    assert_eq!(
        walk_cdm(
            &mut m,
            STREAM + 0x1_0000 - s.len() as u64,
            &cfg(chip),
            &mut Seen::default()
        ),
        Err(StreamError::Fault(Fault {
            va: STREAM + 0x1_0000
        }))
    );
    assert!(matches!(
        walk_cdm(
            &mut m,
            STREAM + 0x1_0000 - s.len() as u64,
            &small,
            &mut Seen::default()
        ),
        Err(StreamError::Timeout { .. })
    ));
    // VDM: a call loop is a depth overflow at the call that does not fit.
    m.put(
        STREAM,
        &vdm_stream(&[VdmBlock::Link {
            target: STREAM,
            call: true,
        }]),
    );
    assert_eq!(
        walk_vdm(&mut m, STREAM, &cfg(chip), &mut Seen::default()),
        Err(StreamError::DepthOverflow { va: STREAM })
    );
}

#[test]
fn call_depth_is_bounded() {
    let chip = Chip::G13G;
    let mut m = setup();
    // A chain of calls 5 deep: each level calls the next, the last returns.
    for i in 0..5u64 {
        let at = STREAM + i * 0x100;
        m.put(
            at,
            &cdm_stream(
                chip,
                &[
                    CdmBlock::Link {
                        target: at + 0x100,
                        call: true,
                    },
                    CdmBlock::Return,
                ],
            ),
        );
    }
    m.put(STREAM + 5 * 0x100, &cdm_stream(chip, &[CdmBlock::Return]));
    // The outer level terminates instead of returning.
    m.put(STREAM + 8, &cdm_stream(chip, &[CdmBlock::Terminate]));
    let depth = |d| Config {
        limits: Limits {
            max_depth: d,
            ..Limits::default()
        },
        ..cfg(chip)
    };
    assert!(walk_cdm(&mut m, STREAM, &depth(5), &mut Seen::default()).is_ok());
    assert_eq!(
        walk_cdm(&mut m, STREAM, &depth(4), &mut Seen::default()),
        Err(StreamError::DepthOverflow {
            va: STREAM + 4 * 0x100
        })
    );
    // Beyond the stack's capacity the limit is clamped.
    let mut m = setup();
    m.put(
        STREAM,
        &cdm_stream(
            chip,
            &[CdmBlock::Link {
                target: STREAM,
                call: true,
            }],
        ),
    );
    assert_eq!(
        walk_cdm(&mut m, STREAM, &depth(1000), &mut Seen::default()),
        Err(StreamError::DepthOverflow { va: STREAM })
    );
}

#[test]
fn bad_addresses_fault_with_their_va() {
    let chip = Chip::G13G;
    // The pipeline outside every mapping: the fault names its VA.
    let mut m = setup();
    m.put(
        STREAM,
        &cdm_stream(chip, &[launch(0x10_0000), CdmBlock::Terminate]),
    );
    assert_eq!(
        walk_cdm(&mut m, STREAM, &cfg(chip), &mut Seen::default()),
        Err(StreamError::Fault(Fault {
            va: USC_BASE + 0x10_0000
        }))
    );
    // A uniform buffer that is not mapped.
    let mut m = setup();
    let mut w = [0u8; 16];
    let mut n = usc::encode_uniform(0, 4, 0x30_0000_0000, &mut w).unwrap();
    n += usc::encode_no_preshader(&mut w[n..]).unwrap();
    m.put(USC_BASE + u64::from(PIPE), &w[..n]);
    m.put(STREAM, &mesa_compute(chip));
    assert_eq!(
        walk_cdm(&mut m, STREAM, &cfg(chip), &mut Seen::default()),
        Err(StreamError::Fault(Fault { va: 0x30_0000_0000 }))
    );
    // Shader code outside the USC region.
    let mut m = setup();
    let mut n = usc::encode_shader(0x20_0000, &mut w).unwrap();
    n += usc::encode_no_preshader(&mut w[n..]).unwrap();
    m.put(USC_BASE + u64::from(PIPE), &w[..n]);
    m.put(STREAM, &mesa_compute(chip));
    assert_eq!(
        walk_cdm(&mut m, STREAM, &cfg(chip), &mut Seen::default()),
        Err(StreamError::Fault(Fault {
            va: USC_BASE + 0x20_0000
        }))
    );
    // An unknown USC tag.
    let mut m = setup();
    m.put(USC_BASE + u64::from(PIPE), &[0x77]);
    m.put(STREAM, &mesa_compute(chip));
    assert_eq!(
        walk_cdm(&mut m, STREAM, &cfg(chip), &mut Seen::default()),
        Err(StreamError::BadUsc {
            va: USC_BASE + u64::from(PIPE),
            tag: 0x77
        })
    );
    // An indirect grid buffer that is not mapped.
    let mut m = setup();
    let l = CdmBlock::Launch(Launch {
        regs: ShaderRegs::new(0, 0, 0, 0).unwrap(),
        pipeline: PIPE,
        grid: Grid::IndirectLocal {
            buffer: DATA + 0x1_0000 - 8,
        },
    });
    m.put(STREAM, &cdm_stream(chip, &[l, CdmBlock::Terminate]));
    assert_eq!(
        walk_cdm(&mut m, STREAM, &cfg(chip), &mut Seen::default()),
        Err(StreamError::Fault(Fault {
            va: DATA + 0x1_0000
        }))
    );
    // A stream base that is not mapped, and a link to nowhere.
    let mut m = setup();
    assert_eq!(
        walk_cdm(&mut m, 0x40_0000_0000, &cfg(chip), &mut Seen::default()),
        Err(StreamError::Fault(Fault { va: 0x40_0000_0000 }))
    );
    m.put(
        STREAM,
        &cdm_stream(
            chip,
            &[CdmBlock::Link {
                target: 0x41_0000_0000,
                call: false,
            }],
        ),
    );
    assert_eq!(
        walk_cdm(&mut m, STREAM, &cfg(chip), &mut Seen::default()),
        Err(StreamError::Fault(Fault { va: 0x41_0000_0000 }))
    );
}

#[test]
fn unknown_words_are_reported_at_their_va() {
    let chip = Chip::G13G;
    let mut m = setup();
    let mut s = mesa_compute(chip);
    let at = s.len() - 8;
    // Replace the terminate with block type 7.
    s[at..at + 4].copy_from_slice(&0xe000_0000u32.to_le_bytes());
    m.put(STREAM, &s);
    assert_eq!(
        walk_cdm(&mut m, STREAM, &cfg(chip), &mut Seen::default()),
        Err(StreamError::Unknown {
            va: STREAM + at as u64,
            word: 0xe000_0000
        })
    );
    // In VDM, an Index List with the undocumented Unk 1 word present.
    m.put(STREAM, &0x6200_0000u32.to_le_bytes());
    assert_eq!(
        walk_vdm(&mut m, STREAM, &cfg(chip), &mut Seen::default()),
        Err(StreamError::Unknown {
            va: STREAM,
            word: 0x6200_0000
        })
    );
}

/// A Mesa-shaped render stream: PPP state, vertex state with the pipeline, an indexed draw, a
/// direct draw, terminate.
fn mesa_render(ib: u64, ppp: u64) -> Vec<u8> {
    vdm_stream(&[
        VdmBlock::PppState {
            record: ppp,
            words: 8,
        },
        VdmBlock::State(VdmState {
            vs_word0: Some(ShaderRegs::new(16, 0, 1, 0).unwrap()),
            vs_word1: Some(PIPE),
            vertex_outputs: Some(4),
            ..VdmState::default()
        }),
        VdmBlock::IndexList(IndexList::mesa_indexed(6, ib, 1, 6, false, 3, 1, 0).unwrap()),
        VdmBlock::IndexList(IndexList::mesa_direct(6, 3, 1, 0)),
        VdmBlock::Terminate,
    ])
}

#[test]
fn mesa_render_stream_completes_and_faults_on_bad_buffers() {
    let chip = Chip::G13G;
    let mut m = setup();
    m.put(STREAM, &mesa_render(DATA + 0x100, DATA + 0x200));
    let mut seen = Seen::default();
    let sum = walk_vdm(&mut m, STREAM, &cfg(chip), &mut seen).unwrap();
    assert_eq!(sum.draws, 2);
    let d = seen.draws[0];
    assert_eq!(d.ppp, Some((DATA + 0x200, 8)));
    assert_eq!(d.vertex.unwrap().code_va, Some(USC_BASE + u64::from(CODE)));
    assert_eq!(d.state.vertex_outputs, Some(4));
    match d.kind {
        DrawKind::Indexed(l) => {
            assert_eq!(l.index_buffer(), Some(DATA + 0x100));
            assert_eq!(l.index_bytes(), Some(8));
        }
        DrawKind::Tessellated(_) => panic!("not tessellated"),
    }
    // An index buffer whose size runs past the mapping faults at the first unmapped byte.
    m.put(STREAM, &mesa_render(DATA + 0x1_0000 - 4, DATA + 0x200));
    assert_eq!(
        walk_vdm(&mut m, STREAM, &cfg(chip), &mut Seen::default()),
        Err(StreamError::Fault(Fault {
            va: DATA + 0x1_0000
        }))
    );
    // A PPP record partly outside the mapping.
    m.put(STREAM, &mesa_render(DATA, DATA + 0x1_0000 - 16));
    assert_eq!(
        walk_vdm(&mut m, STREAM, &cfg(chip), &mut Seen::default()),
        Err(StreamError::Fault(Fault {
            va: DATA + 0x1_0000
        }))
    );
    // A hole in the middle of an index buffer (mapped at both ends) faults at the hole.
    let mut m = setup();
    m.map(0x21_0000_0000, 0x1000);
    m.map(0x21_0000_2000, 0x2000);
    let mut s = mesa_render(0x21_0000_0000, DATA);
    s[44..48].copy_from_slice(&(0x4000u32 / 4).to_le_bytes());
    m.put(STREAM, &s);
    assert_eq!(
        walk_vdm(&mut m, STREAM, &cfg(chip), &mut Seen::default()),
        Err(StreamError::Fault(Fault { va: 0x21_0000_1000 }))
    );
    // A huge index buffer is checked page by page within the probe budget, not read whole.
    let mut m = setup();
    m.map(0x20_0000_0000, 1 << 24);
    m.put(STREAM, &mesa_render(0x20_0000_0000, DATA));
    let mut s = mesa_render(0x20_0000_0000, DATA);
    // The indexed draw's size word (the last of its six) at 8 + 16 = 24, +20.
    s[44..48].copy_from_slice(&((1u32 << 24) / 4).to_le_bytes());
    m.put(STREAM, &s);
    assert!(walk_vdm(&mut m, STREAM, &cfg(chip), &mut Seen::default()).is_ok());
    let tight = Config {
        limits: Limits {
            max_probes: 100,
            ..Limits::default()
        },
        ..cfg(chip)
    };
    assert!(matches!(
        walk_vdm(&mut m, STREAM, &tight, &mut Seen::default()),
        Err(StreamError::Timeout { .. })
    ));
}

#[test]
fn vdm_call_and_return_like_honeykrisp() {
    let chip = Chip::G13G;
    let mut m = setup();
    // A primary that calls a secondary ending in agx_vdm_return, then terminates.
    let sec = STREAM + 0x4000;
    m.put(
        STREAM,
        &vdm_stream(&[
            VdmBlock::Link {
                target: sec,
                call: true,
            },
            VdmBlock::Terminate,
        ]),
    );
    m.put(
        sec,
        &vdm_stream(&[
            VdmBlock::IndexList(IndexList::mesa_direct(6, 3, 1, 0)),
            VdmBlock::mesa_return(),
        ]),
    );
    let mut seen = Seen::default();
    let sum = walk_vdm(&mut m, STREAM, &cfg(chip), &mut seen).unwrap();
    assert_eq!(sum.draws, 1);
    assert_eq!(sum.end_va, STREAM + 8);
    // No vertex state was set: the draw says so.
    assert!(seen.draws[0].vertex.is_none());
}

#[test]
fn random_streams_never_panic() {
    // Random words in a small mapped stream: every walk ends with a result, none panics.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let limits = Limits {
        max_words: 4096,
        ..Limits::default()
    };
    let mut outcomes = [0u32; 3];
    for _ in 0..2000 {
        let mut m = setup();
        let ws: Vec<u8> = (0..64)
            .flat_map(|_| {
                let (r, q) = (next(), next());
                // Random block types with sparse bits (1 in 16 set), so that walks get past
                // the first block.
                let sparse = (r as u32) & ((r >> 32) as u32) & (q as u32) & ((q >> 32) as u32);
                let w = (sparse & 0x1fff_ffff) | ((next() >> 61) as u32) << 29;
                w.to_le_bytes()
            })
            .collect();
        m.put(STREAM, &ws);
        for chip in [Chip::G13G, Chip::G14X] {
            let c = Config {
                limits,
                ..cfg(chip)
            };
            let r = walk_cdm(&mut m, STREAM, &c, &mut Seen::default());
            let v = walk_vdm(&mut m, STREAM, &c, &mut Seen::default());
            for res in [r.map(|_| ()), v.map(|_| ())] {
                outcomes[match res {
                    Ok(()) => 0,
                    Err(StreamError::Unknown { .. }) => 1,
                    Err(_) => 2,
                }] += 1;
            }
        }
    }
    assert!(outcomes.iter().all(|&n| n > 0), "{outcomes:?}");
}
