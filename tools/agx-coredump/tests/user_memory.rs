// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Memory the driver does not own (user timestamp buffers mapped for the firmware): segments
//! without data, marked with `FLAG_USER_MEMORY`, never merged with firmware pages, rejected by
//! the reader if they claim data, shown by the decoder as "user memory, not captured"; and the
//! writer over a chunked segment list (as the kernel keeps it) writes the same bytes.

mod common;

use agx_coredump::format::elf::{Phdr, PHDR_SIZE};
use agx_coredump::format::pte::FLAG_USER_MEMORY;
use agx_coredump::format::writer::Layout;
use agx_coredump::format::{
    Coalescer, Dump, LayoutError, Note, PageKind, PagesRef, ParseError, Segment, SegmentList,
    VaError, Writer,
};
use agx_firmware_defs::uat::{encode_page, Prot, Scope};
use common::*;

/// The timestamp window's base (the driver maps user timestamp buffers there).
const TS_VA: u64 = 0xffff_ffae_1000_0000;

/// The sample image plus three user pages in the timestamp window, the first physically
/// contiguous with the last firmware page before it.
fn image_with_user_pages() -> Image {
    let mut img = sample_image();
    // Firmware page right before the window, then user pages continuing it in VA and PA.
    img.map(TS_VA - PAGE, 0x9_0000_0000, 1, Prot::FW_SHARED_RW, true);
    img.map_user(TS_VA, 0x9_0000_4000, 2, Prot::FW_SHARED_RW);
    img.map_user(TS_VA + 4 * PAGE, 0x9_1000_0000, 1, Prot::FW_SHARED_RW);
    img.fill_pattern();
    img
}

fn dump_bytes(img: &Image) -> Vec<u8> {
    let (segs, data) = img.segments();
    let info = sample_info().to_bytes();
    render(&segs, &[Note::agx(&info), Note::rtkit(CRASHLOG)], &data)
}

#[test]
fn user_pages_are_segments_without_data() {
    let img = image_with_user_pages();
    let (segs, data) = img.segments();
    // Only firmware pages carry data: 3 + 2 + 2 sample pages and the one before the window.
    assert_eq!(data.len(), 8);
    let user: Vec<&Segment> = segs.iter().filter(|s| s.is_user()).collect();
    assert_eq!(user.len(), 2, "{segs:?}");
    assert!(user
        .iter()
        .all(|s| !s.has_data && s.flags & FLAG_USER_MEMORY != 0));
    assert_eq!((user[0].vaddr, user[0].pages), (TS_VA, 2));
    assert_eq!((user[1].vaddr, user[1].pages), (TS_VA + 4 * PAGE, 1));
    // The firmware page before the window did not absorb the user pages though VA and PA
    // follow on.
    let before = segs.iter().find(|s| s.vaddr == TS_VA - PAGE).unwrap();
    assert_eq!(
        (before.pages, before.has_data, before.is_user()),
        (1, true, false)
    );

    let bytes = dump_bytes(&img);
    let dump = Dump::parse(&bytes).unwrap();
    let parsed: Vec<_> = dump.segments().filter(|s| s.is_user()).collect();
    assert_eq!(parsed.len(), 2);
    for s in &parsed {
        assert!(!s.has_data);
        assert_eq!(
            dump.read_va(s.vaddr + 8, &mut [0; 8]),
            Err(VaError::UserMemory(s.vaddr + 8))
        );
        assert_eq!(dump.slice_va(s.vaddr, 8), Err(VaError::UserMemory(s.vaddr)));
    }
    // The file is headers, notes and exactly the firmware pages.
    assert_eq!(bytes.len() as u64, dump.data_offset() + 8 * PAGE);
}

#[test]
fn the_decoder_says_user_memory_not_captured() {
    let bytes = dump_bytes(&image_with_user_pages());
    let report = agx_coredump::report::render(&bytes, &Default::default()).unwrap();
    let lines: Vec<&str> = report
        .lines()
        .filter(|l| l.contains("user memory, not captured"))
        .collect();
    // Two segment lines and the totals line.
    assert_eq!(lines.len(), 3, "{report}");
    assert!(lines[0].contains(&format!("{TS_VA:016x}")), "{}", lines[0]);
    assert!(lines[0].contains(" user "), "{}", lines[0]);
    assert!(
        report.contains("without data (3 user memory, not captured)"),
        "{report}"
    );
    let dump = Dump::parse(&bytes).unwrap();
    let map = agx_coredump::report::memory_map(&dump);
    assert_eq!(map.matches("user memory, not captured").count(), 2);
}

#[test]
fn a_user_segment_with_data_is_refused() {
    // The writer refuses to lay one out...
    let pte = encode_page(0x9_0000_0000, Prot::FW_SHARED_RW, Scope::Global).unwrap();
    let mut seg = Segment::of_kind(TS_VA, pte, 1, PageKind::User);
    assert_eq!(Layout::new(&[seg], &[]).map(|l| l.data_pages), Ok(0));
    seg.has_data = true;
    assert_eq!(Layout::new(&[seg], &[]), Err(LayoutError::UserData(0)));
    // ...and the reader rejects a file that has one (a captured segment flagged afterwards).
    let mut bytes = dump_bytes(&sample_image());
    let at = 64 + PHDR_SIZE; // program header 1: the first PT_LOAD, with data
    let mut ph = Phdr::from_bytes(&bytes[at..]).unwrap();
    assert!(ph.p_filesz != 0);
    ph.p_flags |= FLAG_USER_MEMORY;
    bytes[at..at + PHDR_SIZE].copy_from_slice(&ph.to_bytes());
    assert_eq!(
        Dump::parse(&bytes).map(|_| ()),
        Err(ParseError::UserMemoryWithData { index: 1 })
    );
}

#[test]
fn user_and_firmware_pages_alternate() {
    let pte = |pa| encode_page(pa, Prot::FW_SHARED_RW, Scope::Global).unwrap();
    let mut c = Coalescer::new();
    let mut out = Vec::new();
    let kinds = [
        PageKind::Captured,
        PageKind::User,
        PageKind::User,
        PageKind::NotCaptured,
        PageKind::User,
        PageKind::Captured,
    ];
    for (i, k) in kinds.iter().enumerate() {
        let i = i as u64;
        out.extend(c.push_page(TS_VA + i * PAGE, pte(0x4000 + i * PAGE), *k));
    }
    out.extend(c.finish());
    let shape: Vec<_> = out
        .iter()
        .map(|s| ((s.vaddr - TS_VA) / PAGE, s.pages, s.has_data, s.is_user()))
        .collect();
    assert_eq!(
        shape,
        [
            (0, 1, true, false),
            (1, 2, false, true),
            (3, 1, false, false),
            (4, 1, false, true),
            (5, 1, true, false)
        ]
    );
}

/// Segments in fixed-size chunks, as the kernel keeps them (no single large allocation).
struct Chunks(Vec<Vec<Segment>>, usize);

impl SegmentList for Chunks {
    fn count(&self) -> usize {
        self.0.iter().map(Vec::len).sum()
    }

    fn segment(&self, index: usize) -> Option<Segment> {
        self.0.get(index / self.1)?.get(index % self.1).copied()
    }
}

#[test]
fn a_chunked_segment_list_writes_the_same_file() {
    // Many segments: every other page mapped, some user, across several chunks of 3.
    let mut img = image_with_user_pages();
    for i in 0..40u64 {
        let va = 0xffff_ffa4_1000_0000 + 2 * i * PAGE;
        if i % 5 == 0 {
            img.map_user(va, 0xa_0000_0000 + 2 * i * PAGE, 1, Prot::FW_SHARED_RW);
        } else {
            img.map(va, 0xa_0000_0000 + 2 * i * PAGE, 1, Prot::FW_PRIV_RW, true);
        }
    }
    img.fill_pattern();
    let (segs, data) = img.segments();
    let info = sample_info().to_bytes();
    let notes = [Note::agx(&info), Note::rtkit(CRASHLOG)];
    let flat = render(&segs, &notes, &data);
    let chunks = Chunks(segs.chunks(3).map(<[Segment]>::to_vec).collect(), 3);
    let w = Writer::over(&chunks, &notes).unwrap();
    assert_eq!(w.total_size(), flat.len() as u64);
    // Whole, and in odd-sized ranged reads.
    let mut whole = vec![0xaa; flat.len()];
    assert_eq!(w.read_at(&PagesRef(&data), 0, &mut whole), Ok(flat.len()));
    assert!(whole == flat);
    let mut pieced = Vec::new();
    let mut buf = vec![0u8; 4093];
    while pieced.len() < flat.len() {
        let n = w
            .read_at(&PagesRef(&data), pieced.len() as u64, &mut buf)
            .unwrap();
        pieced.extend_from_slice(&buf[..n]);
    }
    assert!(pieced == flat);
    // A list that claims more segments than it yields is refused, not read past.
    let short = Chunks(chunks.0.clone(), 3);
    struct Lying(Chunks);
    impl SegmentList for Lying {
        fn count(&self) -> usize {
            self.0.count() + 1
        }
        fn segment(&self, index: usize) -> Option<Segment> {
            self.0.segment(index)
        }
    }
    let n = short.count();
    assert_eq!(
        Writer::over(&Lying(short), &notes).map(|_| ()),
        Err(LayoutError::MissingSegment(n))
    );
}
