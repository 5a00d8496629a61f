// SPDX-License-Identifier: GPL-2.0 OR MIT

//! A dump built the way downstream's `crashdump.rs` builds it decodes, and our writer produces
//! the same bytes apart from the AGX note's uninitialised tail.

mod common;

use agx_coredump::format::pte::{pte_elf_flags, PTE_ADDR_BITS};
use agx_coredump::format::{AgxDumpInfo, Dump, Note};
use common::*;

/// Builds a dump following downstream's `CrashDumpBuilder::finalize` step by step, with
/// `agx_tail` as the 4 uninitialised bytes of `AGXDumpInfo`.
fn downstream_dump(img: &Image, info: &AgxDumpInfo, crashlog: &[u8], agx_tail: [u8; 4]) -> Vec<u8> {
    let mut phdrs: Vec<[u64; 8]> = Vec::new(); // type, flags, offset, vaddr, paddr, filesz, memsz, align
    phdrs.push([4, 4, 0, 0, 0, 0, 0, 1]);
    let mut off = 0u64;
    let mut next: Option<(u64, u64, u32, bool)> = None;
    let mut pages: Vec<&[u8; 16384]> = Vec::new();
    for (va, p) in &img.pages {
        let (vaddr, paddr, flags, valid) = (
            *va,
            p.pte & PTE_ADDR_BITS,
            pte_elf_flags(p.pte),
            p.data.is_some(),
        );
        if Some((vaddr, paddr, flags, valid)) != next {
            phdrs.push([
                1,
                u64::from(flags),
                if valid { off } else { 0 },
                vaddr,
                paddr,
                if valid { PAGE } else { 0 },
                PAGE,
                PAGE,
            ]);
            if valid {
                off += PAGE;
            }
        } else {
            let ph = phdrs.last_mut().unwrap();
            ph[6] += PAGE;
            if valid {
                ph[5] += PAGE;
                off += PAGE;
            }
        }
        if let Some(d) = &p.data {
            pages.push(d);
        }
        next = Some((vaddr + PAGE, paddr + PAGE, flags, valid));
    }
    let note_offset = 64 + 56 * phdrs.len();
    let mut notes = Vec::new();
    let mut agx = info.to_bytes().to_vec();
    agx[52..].copy_from_slice(&agx_tail);
    for (name, data) in [(&b"AGX"[..], &agx[..]), (&b"RTKIT"[..], crashlog)] {
        notes.extend_from_slice(&(name.len() as u32 + 1).to_le_bytes());
        notes.extend_from_slice(&(data.len() as u32).to_le_bytes());
        notes.extend_from_slice(&1u32.to_le_bytes());
        notes.extend_from_slice(name);
        notes.push(0);
        while notes.len() & 3 != 0 {
            notes.push(0);
        }
        notes.extend_from_slice(data);
        while notes.len() & 3 != 0 {
            notes.push(0);
        }
    }
    phdrs[0][2] = note_offset as u64;
    phdrs[0][5] = notes.len() as u64;
    let data_offset = (note_offset + notes.len()).next_multiple_of(16384);
    for ph in &mut phdrs[1..] {
        ph[2] += data_offset as u64;
    }
    let mut out = vec![0u8; data_offset];
    out[..4].copy_from_slice(b"\x7fELF");
    out[4] = 2;
    out[5] = 1;
    out[6] = 1;
    put16(&mut out, 16, 4);
    put16(&mut out, 18, 183);
    put32(&mut out, 20, 1);
    put64(&mut out, 24, 0xFFFFFF8000000000);
    put64(&mut out, 32, 64);
    put16(&mut out, 52, 64);
    put16(&mut out, 54, 56);
    put16(&mut out, 56, phdrs.len() as u16);
    for (i, ph) in phdrs.iter().enumerate() {
        let at = 64 + 56 * i;
        put32(&mut out, at, ph[0] as u32);
        put32(&mut out, at + 4, ph[1] as u32);
        for (j, v) in ph[2..].iter().enumerate() {
            put64(&mut out, at + 8 + 8 * j, *v);
        }
    }
    out[note_offset..note_offset + notes.len()].copy_from_slice(&notes);
    for p in pages {
        out.extend_from_slice(p);
    }
    out
}

#[test]
fn downstream_layout_decodes() {
    let img = sample_image();
    let info = sample_info();
    let bytes = downstream_dump(&img, &info, CRASHLOG, [0xde, 0xad, 0xbe, 0xef]);
    let dump = Dump::parse(&bytes).unwrap();
    let note = dump.find_note(b"AGX", 1).unwrap();
    assert_eq!(note.desc.len(), 56);
    assert_eq!(&note.desc[52..], &[0xde, 0xad, 0xbe, 0xef]);
    assert_eq!(dump.agx_info().unwrap(), Some(info));
    assert_eq!(dump.crashlog(), Some(CRASHLOG));
    assert_eq!(dump.segment_count(), 4);
    let mut buf = [0u8; 8];
    dump.read_va(RUNTIME_POINTERS_VA + 0xc0, &mut buf).unwrap();

    // The full decoder works on it too.
    let text = agx_coredump::report::render(&bytes, &Default::default()).unwrap();
    assert!(text.contains("chip:          t8103"), "{text}");
    assert!(text.contains("event"), "{text}");
}

#[test]
fn writer_matches_downstream_bytes() {
    let img = sample_image();
    let info = sample_info();
    let theirs = downstream_dump(&img, &info, CRASHLOG, [0xde, 0xad, 0xbe, 0xef]);
    let (segs, data) = img.segments();
    let agx = info.to_bytes();
    let ours = render(&segs, &[Note::agx(&agx), Note::rtkit(CRASHLOG)], &data);
    assert_eq!(ours.len(), theirs.len());
    let diff: Vec<usize> = (0..ours.len()).filter(|i| ours[*i] != theirs[*i]).collect();
    // Only the AGX note's tail differs: zero in ours, garbage in theirs.
    let note_off = get64(&ours, ph(0) + 8) as usize;
    let tail = note_off + 12 + 4 + 52;
    assert_eq!(diff, (tail..tail + 4).collect::<Vec<_>>());
    assert_eq!(&ours[tail..tail + 4], &[0; 4]);
    // With a zero tail, the files are identical.
    assert_eq!(ours, downstream_dump(&img, &info, CRASHLOG, [0; 4]));
}
