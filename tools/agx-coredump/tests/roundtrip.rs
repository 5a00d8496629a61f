// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Writer → reader round trips, ranged reads and PTE flag encoding.

mod common;

use agx_coredump::format::elf::{
    Ehdr, Phdr, EM_AARCH64, ET_CORE, PF_R, PF_W, PF_X, PT_LOAD, PT_NOTE,
};
use agx_coredump::format::pte::{
    flags_pte_bits, pte_elf_flags, pte_paddr, pte_rwx, PROT_TO_PERMS_FW, PROT_TO_PERMS_OS,
};
use agx_coredump::format::writer::{Layout, MissingPage};
use agx_coredump::format::{
    AgxDumpInfo, Coalescer, Dump, LayoutError, Note, PagesRef, Segment, VaError, Writer,
    FIRMWARE_ENTRYPOINT, GPU_PAGE_SIZE,
};
use agx_firmware_defs::uat::{encode_page, Prot, Scope};
use common::*;

fn check_roundtrip(img: &Image, notes: &[Note<'_>]) -> Vec<u8> {
    let (segs, data) = img.segments();
    let bytes = render(&segs, notes, &data);
    let w = Writer::new(&segs, notes).unwrap();
    assert_eq!(bytes.len() as u64, w.total_size());
    assert_eq!(w.layout().data_offset % PAGE, 0);

    let dump = Dump::parse(&bytes).unwrap();
    assert_eq!(dump.segment_count(), segs.len());
    let parsed: Vec<_> = dump.notes().collect();
    assert_eq!(parsed.len(), notes.len());
    for (p, n) in parsed.iter().zip(notes) {
        assert_eq!((p.name, p.n_type, p.desc), (n.name, n.n_type, n.desc));
    }
    for (s, l) in segs.iter().zip(dump.segments()) {
        assert_eq!(
            (l.vaddr, l.paddr, l.flags, l.pages(), l.has_data),
            (s.vaddr, s.paddr, s.flags, s.pages, s.has_data)
        );
    }
    // Every captured page reads back through the VA lookup.
    for (va, p) in &img.pages {
        let mut buf = vec![0u8; GPU_PAGE_SIZE];
        match &p.data {
            Some(d) => {
                dump.read_va(*va, &mut buf).unwrap();
                assert_eq!(&buf[..], &d[..]);
            }
            None => assert_eq!(dump.read_va(*va, &mut buf), Err(VaError::NoData(*va))),
        }
    }
    bytes
}

#[test]
fn sample_round_trip() {
    let img = sample_image();
    let info = sample_info().to_bytes();
    let bytes = check_roundtrip(&img, &[Note::agx(&info), Note::rtkit(CRASHLOG)]);
    let dump = Dump::parse(&bytes).unwrap();
    assert_eq!(dump.agx_info().unwrap(), Some(sample_info()));
    assert_eq!(dump.crashlog(), Some(CRASHLOG));
    let e = dump.ehdr();
    assert_eq!(
        (e.e_type, e.e_machine, e.e_entry),
        (ET_CORE, EM_AARCH64, FIRMWARE_ENTRYPOINT)
    );
    assert_eq!(e.e_phoff, 64);
    // InitData+RuntimePointers+FwStatus, event state/ring, GPU-shared buffer, MMIO.
    assert_eq!(dump.segment_count(), 4);
    let mmio = dump.segment(3).unwrap();
    assert!(!mmio.has_data);
    assert_eq!(mmio.pages(), 4);
    assert_eq!(
        dump.read_va(UNMAPPED_VA, &mut [0; 4]),
        Err(VaError::Unmapped(UNMAPPED_VA))
    );
}

#[test]
fn shapes() {
    let none: [Note<'_>; 0] = [];
    // No segments, no notes: just the headers, padded to 16 KiB.
    let bytes = check_roundtrip(&Image::default(), &none);
    assert_eq!(bytes.len(), GPU_PAGE_SIZE);

    // Only pages without data.
    let mut img = Image::default();
    img.map(
        0xffff_ffaf_0000_0000,
        0x2_0000_0000,
        3,
        Prot::FW_MMIO_RO,
        false,
    );
    let bytes = check_roundtrip(&img, &none);
    assert_eq!(bytes.len(), GPU_PAGE_SIZE);

    // Alternating data / no data with contiguous VAs and PAs: one segment each.
    let mut img = Image::default();
    for i in 0..6u64 {
        img.map(
            0xffff_ffa0_0000_0000 + i * PAGE,
            0x8_0000_0000 + i * PAGE,
            1,
            Prot::FW_SHARED_RW,
            i % 2 == 0,
        );
    }
    img.fill_pattern();
    let (segs, _) = img.segments();
    assert_eq!(segs.len(), 6);
    check_roundtrip(&img, &[Note::rtkit(b"x")]);

    // Many single pages (PA discontiguous), large crash log with odd length, empty note.
    let mut img = Image::default();
    for i in 0..300u64 {
        img.map(
            0xffff_ffa0_0000_0000 + i * PAGE,
            0x9_0000_0000 + i * 2 * PAGE,
            1,
            Prot::GPU_SHARED_RW,
            i % 7 != 3,
        );
    }
    img.fill_pattern();
    let log: Vec<u8> = (0..40_001u32).map(|i| (i * 7) as u8).collect();
    let info = sample_info().to_bytes();
    let bytes = check_roundtrip(
        &img,
        &[
            Note::agx(&info),
            Note::rtkit(&log),
            Note {
                name: b"X",
                n_type: 9,
                desc: b"",
            },
        ],
    );
    // 300 segments need more than one 16K page of program headers and notes.
    assert!(Dump::parse(&bytes).unwrap().data_offset() > PAGE);

    // A segment at the very top of the address space.
    let mut img = Image::default();
    img.map(
        u64::MAX - PAGE + 1,
        0x8_0000_0000,
        1,
        Prot::FW_PRIV_RW,
        true,
    );
    img.fill_pattern();
    check_roundtrip(&img, &none);
}

/// Renders `[off, off+len)` pieces with both page sources and compares to the one-shot file.
#[test]
fn ranged_reads_match_one_shot() {
    let img = sample_image();
    let (segs, data) = img.segments();
    let info = sample_info().to_bytes();
    let notes = [Note::agx(&info), Note::rtkit(CRASHLOG)];
    let whole = render(&segs, &notes, &data);
    let w = Writer::new(&segs, &notes).unwrap();
    let total = w.total_size();

    let mut rng = Rng(0x1234_5678);
    for chunk4k in [false, true] {
        // Sequential reads of awkward sizes reassemble the file.
        for step in [
            1usize, 3, 13, 56, 57, 4095, 4096, 4097, 16383, 16384, 16385, 65536,
        ] {
            let mut out = Vec::new();
            let mut off = 0u64;
            loop {
                let mut buf = vec![0x55u8; step];
                let n = if chunk4k {
                    w.read_at(&Chunked4k(&data), off, &mut buf).unwrap()
                } else {
                    w.read_at(&PagesRef(&data), off, &mut buf).unwrap()
                };
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&buf[..n]);
                off += n as u64;
            }
            assert_eq!(out, whole, "step {step} chunk4k {chunk4k}");
        }
        // Random windows.
        for _ in 0..500 {
            let off = rng.below(total + 100);
            let len = rng.below(3 * PAGE) as usize;
            let mut buf = vec![0x55u8; len];
            let n = if chunk4k {
                w.read_at(&Chunked4k(&data), off, &mut buf).unwrap()
            } else {
                w.read_at(&PagesRef(&data), off, &mut buf).unwrap()
            };
            let expect = whole
                .get(off as usize..)
                .map_or(&[][..], |t| &t[..len.min(t.len())]);
            assert_eq!(&buf[..n], expect, "off {off} len {len}");
        }
    }
    // Reads at and past the end return 0.
    assert_eq!(w.read_at(&PagesRef(&data), total, &mut [0; 8]).unwrap(), 0);
    assert_eq!(
        w.read_at(&PagesRef(&data), u64::MAX, &mut [0; 8]).unwrap(),
        0
    );
}

#[test]
fn padding_is_zero() {
    let img = sample_image();
    let (segs, data) = img.segments();
    let info = sample_info().to_bytes();
    let notes = [Note::agx(&info), Note::rtkit(b"abcde")];
    let bytes = render(&segs, &notes, &data);
    let dump = Dump::parse(&bytes).unwrap();
    let notes_ph = Phdr::from_bytes(&bytes[64..]).unwrap();
    let notes_end = (notes_ph.p_offset + notes_ph.p_filesz) as usize;
    assert!(bytes[notes_end..dump.data_offset() as usize]
        .iter()
        .all(|b| *b == 0));
    // AGX note: namesz 4 ("AGX\0"), descsz 56, last 4 bytes zero.
    let n = notes_ph.p_offset as usize;
    assert_eq!(&bytes[n..n + 12], &[4, 0, 0, 0, 56, 0, 0, 0, 1, 0, 0, 0]);
    assert_eq!(&bytes[n + 12..n + 16], b"AGX\0");
    assert_eq!(&bytes[n + 16 + 52..n + 16 + 56], &[0; 4]);
    // RTKIT note: namesz 6, name padded to 8, desc "abcde" padded to 8.
    let r = n + 16 + 56;
    assert_eq!(&bytes[r..r + 12], &[6, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0]);
    assert_eq!(&bytes[r + 12..r + 20], b"RTKIT\0\0\0");
    assert_eq!(&bytes[r + 20..r + 28], b"abcde\0\0\0");
    assert_eq!(r + 28, notes_end);
    // A pad value in the struct is not written.
    let mut info = sample_info();
    info.pad = 0xdead_beef;
    assert_eq!(&info.to_bytes()[52..], &[0; 4]);
}

#[test]
fn header_fields() {
    let img = sample_image();
    let (segs, data) = img.segments();
    let notes = [Note::rtkit(b"log")];
    let bytes = render(&segs, &notes, &data);
    let e = Ehdr::from_bytes(&bytes).unwrap();
    assert_eq!(&e.e_ident[..8], b"\x7fELF\x02\x01\x01\x00");
    assert_eq!(
        (e.e_ehsize, e.e_phentsize, e.e_phnum),
        (64, 56, 1 + segs.len() as u16)
    );
    assert_eq!((e.e_shoff, e.e_shnum, e.e_flags), (0, 0, 0));
    let note = Phdr::from_bytes(&bytes[64..]).unwrap();
    assert_eq!(
        (note.p_type, note.p_flags, note.p_align, note.p_memsz),
        (PT_NOTE, PF_R, 1, 0)
    );
    assert_eq!(note.p_offset, 64 + 56 * (1 + segs.len() as u64));
    let data_offset = Dump::parse(&bytes).unwrap().data_offset();
    let mut expect_off = data_offset;
    for (i, s) in segs.iter().enumerate() {
        let ph = Phdr::from_bytes(&bytes[64 + 56 * (i + 1)..]).unwrap();
        assert_eq!(ph.p_type, PT_LOAD);
        assert_eq!(ph.p_align, 0x4000);
        assert_eq!(ph.p_memsz, s.pages * PAGE);
        if s.has_data {
            assert_eq!((ph.p_offset, ph.p_filesz), (expect_off, ph.p_memsz));
            expect_off += ph.p_memsz;
        } else {
            // Downstream: no-data segments point at the data area with size 0.
            assert_eq!((ph.p_offset, ph.p_filesz), (data_offset, 0));
        }
    }
    assert_eq!(expect_off, bytes.len() as u64);
}

#[test]
fn pte_flags_match_downstream() {
    // Downstream's tables, [AP][UXN<<1|PXN] (pgtable.rs PROT_TO_PERMS_FW / _OS).
    const RW: u32 = PF_R | PF_W;
    const RX: u32 = PF_R | PF_X;
    assert_eq!(
        PROT_TO_PERMS_FW,
        [
            [0, 0, 0, RW],
            [0, RW, 0, RW],
            [RX, RX, 0, PF_R],
            [RX, RW, 0, PF_R]
        ]
    );
    assert_eq!(
        PROT_TO_PERMS_OS,
        [[0, PF_R, PF_W, RW], [PF_R, 0, RW, RW], [0; 4], [0; 4]]
    );

    // FW_SHARED_RW: AP=1, memattr=2, UXN, GPU access, AF: p_flags high = 0x00c (bits 54, 55),
    // low = 0x400 | 1<<6 | 2<<2 = 0x448, RWX from the OS table [1][2] = RW.
    let pte = encode_page(0x8_1234_4000, Prot::FW_SHARED_RW, Scope::Global).unwrap();
    assert_eq!(pte_paddr(pte), 0x8_1234_4000);
    assert_eq!(pte_elf_flags(pte), (0x00c << 20) | (0x448 << 8) | RW);
    // Type bits and NG are not recorded; AF is always recorded.
    let ng = encode_page(0x4000, Prot::FW_SHARED_RW, Scope::NonGlobal).unwrap();
    assert_eq!(
        pte_elf_flags(ng),
        pte_elf_flags(encode_page(0x4000, Prot::FW_SHARED_RW, Scope::Global).unwrap())
    );
    assert_eq!(pte_elf_flags(0x3 | 1 << 6) & 0xfff00, 0x440 << 8);
    // GPU-access clear: the FW table. AP=2, UXN=0, PXN=0 -> RX.
    assert_eq!(pte_rwx(2 << 6), RX);
    assert_eq!(pte_rwx(3 << 6 | 1 << 53), RW);
    // GPU-only mapping with GPU access: no firmware permissions.
    let gpu = encode_page(0x4000, Prot::GPU_SHARED_RW, Scope::Global).unwrap();
    assert_eq!(pte_rwx(gpu), 0);
    // The attribute bits survive a round trip through p_flags.
    let bits = flags_pte_bits(pte_elf_flags(pte));
    assert_eq!(bits, (pte & 0xfff0_0000_0000_0000) | (pte & 0xdc) | 0x400);
    // p_paddr drops bits 63:52 (e.g. a software bit 58).
    assert_eq!(pte_paddr(pte | 1 << 58 | 1 << 51), 0x8_1234_4000 | 1 << 51);
}

#[test]
fn coalescer_rules() {
    let pte = |pa| encode_page(pa, Prot::FW_PRIV_RW, Scope::Global).unwrap();
    let mut c = Coalescer::new();
    let base = 0xffff_ffa0_0000_0000;
    let mut out = Vec::new();
    out.extend(c.push(base, pte(0x10_0000), true));
    out.extend(c.push(base + PAGE, pte(0x10_4000), true)); // merges
    out.extend(c.push(base + 2 * PAGE, pte(0x10_c000), true)); // PA gap
    out.extend(c.push(base + 4 * PAGE, pte(0x11_0000), true)); // VA gap
    out.extend(c.push(base + 5 * PAGE, pte(0x11_4000), false)); // data differs
    let other = encode_page(0x11_8000, Prot::FW_SHARED_RW, Scope::Global).unwrap();
    out.extend(c.push(base + 6 * PAGE, other, false)); // flags differ
    out.extend(c.finish());
    assert!(c.finish().is_none());
    let shape: Vec<_> = out
        .iter()
        .map(|s| (s.vaddr - base, s.pages, s.has_data))
        .collect();
    assert_eq!(
        shape,
        [
            (0, 2, true),
            (2 * PAGE, 1, true),
            (4 * PAGE, 1, true),
            (5 * PAGE, 1, false),
            (6 * PAGE, 1, false)
        ]
    );
    // No wrap-around merge at the top of the address space.
    let mut c = Coalescer::new();
    assert!(c.push(u64::MAX - PAGE + 1, pte(0x4000), true).is_none());
    assert!(c.push(0, pte(0x8000), true).is_some());
}

#[test]
fn layout_errors() {
    let seg = |vaddr, pages| Segment {
        vaddr,
        paddr: 0x4000,
        flags: 0,
        pages,
        has_data: true,
    };
    let none: [Note<'_>; 0] = [];
    assert_eq!(
        Layout::new(&[seg(0, 0)], &none),
        Err(LayoutError::EmptySegment(0))
    );
    assert_eq!(
        Layout::new(&[seg(0, 1), seg(0x1000, 1)], &none),
        Err(LayoutError::UnalignedSegment(1))
    );
    assert_eq!(
        Layout::new(&[seg(0, u64::MAX)], &none),
        Err(LayoutError::SegmentOverflow(0))
    );
    assert_eq!(
        Layout::new(&[seg(u64::MAX - PAGE + 1, 2)], &none),
        Err(LayoutError::SegmentOverflow(0))
    );
    let many = vec![seg(0, 1); 65534];
    assert_eq!(
        Layout::new(&many, &none),
        Err(LayoutError::TooManySegments(65534))
    );
    assert!(Layout::new(&many[..65533], &none).is_ok());
    let bad = [Note {
        name: b"A\0B",
        n_type: 1,
        desc: b"",
    }];
    assert_eq!(Layout::new(&[], &bad), Err(LayoutError::BadNoteName(0)));
    // A missing data page is reported by the source.
    let segs = [seg(0, 2)];
    let w = Writer::new(&segs, &none).unwrap();
    let one = [[0u8; GPU_PAGE_SIZE]];
    let mut buf = vec![0; 2 * GPU_PAGE_SIZE];
    assert_eq!(
        w.read_at(&PagesRef(&one), PAGE, &mut buf),
        Err(MissingPage(1))
    );
}

#[test]
fn info_set_firmware_version() {
    let mut i = AgxDumpInfo::default();
    i.set_firmware_version(&[1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(i.firmware_version, [1, 2, 3, 4, 5, 6]);
    i.set_firmware_version(&[12, 3]);
    assert_eq!(i.firmware_version, [12, 3, 0, 0, 0, 0]);
    assert_eq!(AgxDumpInfo::from_bytes(&i.to_bytes()), Some(i));
    assert_eq!(AgxDumpInfo::from_bytes(&i.to_bytes()[..51]), None);
}
