// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Deterministic pseudo-fuzzing of the reader and the decoder: random bytes, and valid dumps
//! with random mutations. Nothing may panic; mutated dumps that still parse must also decode.
//! (The coverage-guided target is `fuzz/fuzz_targets/parse.rs`, for cargo-fuzz.)

mod common;

use agx_coredump::format::Dump;
use agx_coredump::report::{self, Options};
use common::*;

fn exercise(bytes: &[u8]) -> bool {
    let Ok(dump) = Dump::parse(bytes) else {
        assert!(report::render(bytes, &Options::default()).is_err());
        return false;
    };
    let _ = dump.agx_info();
    let _ = dump.crashlog();
    for s in dump.segments() {
        let mut buf = [0u8; 64];
        let _ = dump.read_va(s.vaddr.wrapping_add(s.memsz).wrapping_sub(32), &mut buf);
        let _ = dump.slice_va(s.vaddr, 16);
    }
    let _ = report::memory_map(&dump);
    let _ = report::read_memory(&dump, 0xffff_ffa0_0000_0000, 256);
    for variant in [None, report::parse_variant("g14_v12_4")] {
        let opts = Options {
            firmware: true,
            variant,
        };
        report::render(bytes, &opts).expect("a parsed dump must decode");
    }
    true
}

#[test]
fn random_bytes() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..2000 {
        let len = rng.below(300) as usize;
        let mut b: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // Give some inputs a valid-looking ident so that deeper checks run.
        if rng.below(2) == 0 && b.len() >= 64 {
            b[..8].copy_from_slice(b"\x7fELF\x02\x01\x01\x00");
            put16(&mut b, 16, 4);
            put16(&mut b, 18, 183);
            put32(&mut b, 20, 1);
            put16(&mut b, 52, 64);
            put16(&mut b, 54, 56);
            put64(&mut b, 32, 64);
            put16(&mut b, 56, (rng.below(5) + 1) as u16);
        }
        exercise(&b);
    }
}

#[test]
fn mutated_dumps() {
    let bases = [sample_dump(), small_base(), data_base()];
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut parsed = 0;
    for i in 0..3000 {
        let mut b = bases[i % bases.len()].clone();
        // Mostly mutate the headers and notes, where the structure is.
        for _ in 0..=rng.below(4) {
            if b.is_empty() {
                break;
            }
            let hot = b.len().min(0x400) as u64;
            let at = if rng.below(4) == 0 {
                rng.below(b.len() as u64)
            } else {
                rng.below(hot)
            } as usize;
            match rng.below(5) {
                0 => b[at] ^= 1 << rng.below(8),
                1 => b[at] = rng.next() as u8,
                2 if at + 8 <= b.len() => put64(&mut b, at, rng.next() >> rng.below(64)),
                3 if at + 4 <= b.len() => {
                    put32(&mut b, at, [0, 1, 0x4000, u32::MAX][rng.below(4) as usize])
                }
                _ => b.truncate(at),
            }
        }
        if exercise(&b) {
            parsed += 1;
        }
    }
    // A good share of mutants stay valid, so the decoder is exercised too.
    assert!(parsed > 300, "only {parsed} mutants parsed");
}
