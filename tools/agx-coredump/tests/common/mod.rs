// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Shared test helpers: a sparse GPU memory image and dump rendering.

#![allow(dead_code, missing_docs)]

use std::collections::BTreeMap;

use agx_coredump::format::{
    AgxDumpInfo, Coalescer, Note, PageKind, PageSource, PagesRef, Segment, Writer, GPU_PAGE_SIZE,
};
use agx_firmware_defs::channels::{ChannelState, EventMsg, FwCtlChannelState};
use agx_firmware_defs::event::FlagBitmask;
use agx_firmware_defs::job::{ChannelRing, FwStatus};
use agx_firmware_defs::types::GpuPtr;
use agx_firmware_defs::uat::{encode_page, Prot, Scope};
use agx_firmware_defs::variants::g13_v13_5 as fwv;
use zerocopy::IntoBytes;

pub const PAGE: u64 = GPU_PAGE_SIZE as u64;

/// One mapped GPU page: PTE and optional contents.
#[derive(Clone)]
pub struct MappedPage {
    pub pte: u64,
    pub data: Option<Box<[u8; GPU_PAGE_SIZE]>>,
    /// User memory (a buffer the driver does not own): never captured.
    pub user: bool,
}

/// A sparse GPU address space.
#[derive(Clone, Default)]
pub struct Image {
    pub pages: BTreeMap<u64, MappedPage>,
}

impl Image {
    /// Maps `n` pages at `va` to `pa` with `prot`, captured (zero-filled) or not.
    pub fn map(&mut self, va: u64, pa: u64, n: u64, prot: Prot, data: bool) {
        for i in 0..n {
            let pte = encode_page(pa + i * PAGE, prot, Scope::Global).unwrap();
            let data = data.then(|| Box::new([0u8; GPU_PAGE_SIZE]));
            let user = false;
            self.pages
                .insert(va + i * PAGE, MappedPage { pte, data, user });
        }
    }

    /// Maps `n` pages of user memory at `va` to `pa` (never captured).
    pub fn map_user(&mut self, va: u64, pa: u64, n: u64, prot: Prot) {
        for i in 0..n {
            let pte = encode_page(pa + i * PAGE, prot, Scope::Global).unwrap();
            let page = MappedPage {
                pte,
                data: None,
                user: true,
            };
            self.pages.insert(va + i * PAGE, page);
        }
    }

    /// Writes `bytes` at `va` (pages must be mapped with data).
    pub fn write(&mut self, va: u64, bytes: &[u8]) {
        for (i, b) in bytes.iter().enumerate() {
            let a = va + i as u64;
            let page = self.pages.get_mut(&(a & !(PAGE - 1))).expect("unmapped");
            page.data.as_mut().expect("no data")[(a % PAGE) as usize] = *b;
        }
    }

    /// Fills every captured page with a recognisable pattern.
    pub fn fill_pattern(&mut self) {
        for (va, p) in self.pages.iter_mut() {
            if let Some(d) = p.data.as_mut() {
                for (i, b) in d.iter_mut().enumerate() {
                    *b = ((*va >> 14) as u8).wrapping_mul(31)
                        ^ (i as u8).wrapping_add((i >> 8) as u8);
                }
            }
        }
    }

    /// Coalesces the pages into segments, plus the data pages in file order.
    pub fn segments(&self) -> (Vec<Segment>, Vec<[u8; GPU_PAGE_SIZE]>) {
        let mut c = Coalescer::new();
        let mut segs = Vec::new();
        let mut data = Vec::new();
        for (va, p) in &self.pages {
            let kind = match (&p.data, p.user) {
                (_, true) => PageKind::User,
                (Some(_), false) => PageKind::Captured,
                (None, false) => PageKind::NotCaptured,
            };
            if let Some(s) = c.push_page(*va, p.pte, kind) {
                segs.push(s);
            }
            if let Some(d) = &p.data {
                data.push(**d);
            }
        }
        segs.extend(c.finish());
        (segs, data)
    }
}

/// A 4 KiB-chunked page source over the same pages (a kernel with 4 KiB pages).
pub struct Chunked4k<'a>(pub &'a [[u8; GPU_PAGE_SIZE]]);

impl PageSource for Chunked4k<'_> {
    const CHUNK_SIZE: usize = 4096;
    type Error = usize;

    fn read(&self, index: usize, offset: usize, dst: &mut [u8]) -> Result<(), usize> {
        // A kernel would look up kernel page `index * 4 + offset / 4096` here.
        assert!(dst.len() <= 4096, "request crosses a 4K chunk");
        assert_eq!(
            offset / 4096,
            (offset + dst.len() - 1) / 4096,
            "request crosses a chunk"
        );
        let page = self.0.get(index).ok_or(index)?;
        dst.copy_from_slice(&page[offset..offset + dst.len()]);
        Ok(())
    }
}

/// Renders the whole file in one call.
pub fn render(segs: &[Segment], notes: &[Note<'_>], data: &[[u8; GPU_PAGE_SIZE]]) -> Vec<u8> {
    let w = Writer::new(segs, notes).unwrap();
    let mut out = vec![0xaa; w.total_size() as usize];
    let n = w.read_at(&PagesRef(data), 0, &mut out).unwrap();
    assert_eq!(n, out.len());
    out
}

pub const INITDATA_VA: u64 = 0xffff_ffa0_0000_0000;
pub const RUNTIME_POINTERS_VA: u64 = 0xffff_ffa0_0000_4000;
pub const FW_STATUS_VA: u64 = 0xffff_ffa0_0000_8000;
pub const EVENT_STATE_VA: u64 = 0xffff_ffa8_0000_0000;
pub const DEVCTRL_STATE_VA: u64 = 0xffff_ffa8_0000_0100;
pub const EVENT_RING_VA: u64 = 0xffff_ffa8_0000_4000;
pub const FWCTL_STATE_VA: u64 = 0xffff_ffa8_0000_0200;
/// Mapped without data (device memory).
pub const MMIO_VA: u64 = 0xffff_ffaf_0000_0000;
/// Not mapped at all.
pub const UNMAPPED_VA: u64 = 0xffff_ffa4_0000_0000;

pub const CRASHLOG: &[u8] =
    b"CLHE\x00\x00\x01\x00Cstr\x10\x00\x00\x00ASSERT: fw/agx/foo.c:123 bad thing\x00\x01\x02\x03\xff";

pub fn sample_info() -> AgxDumpInfo {
    AgxDumpInfo {
        initdata_address: INITDATA_VA,
        chip_id: 0x8103,
        gpu_gen: 13,
        gpu_variant: u32::from(b'G'),
        gpu_rev: 0x11,
        total_active_cores: 8,
        firmware_version: [13, 5, 0, 0, 0, 0],
        pad: 0,
    }
}

/// A GPU image with firmware structures for layout g13_v13_5, an MMIO page without data and a
/// GPU-only mapping.
pub fn sample_image() -> Image {
    let mut img = Image::default();
    // Private firmware structures: InitData, RuntimePointers, FwStatus (3 contiguous pages).
    img.map(INITDATA_VA, 0x8_0000_0000, 3, Prot::FW_PRIV_RW, true);
    // Shared channel state and event ring, physically discontiguous from the above.
    img.map(EVENT_STATE_VA, 0x8_1000_0000, 2, Prot::FW_SHARED_RW, true);
    // A GPU/firmware shared buffer right after it, physically contiguous but other flags.
    img.map(
        EVENT_STATE_VA + 2 * PAGE,
        0x8_1000_8000,
        2,
        Prot::GPU_FW_SHARED_RW,
        true,
    );
    // Device memory: mapped, not captured.
    img.map(MMIO_VA, 0x2_0400_0000, 4, Prot::FW_MMIO_RW, false);
    img.fill_pattern();

    let init = fwv::InitData {
        runtime_pointers: GpuPtr::new(RUNTIME_POINTERS_VA),
        globals: GpuPtr::new(UNMAPPED_VA),
        fw_status: GpuPtr::new(FW_STATUS_VA),
        uat_page_size: 0x4000,
        uat_page_bits: 14,
        uat_num_levels: 3,
        ..Default::default()
    };
    img.write(INITDATA_VA, init.as_bytes());

    let mut rp = fwv::RuntimePointers {
        event: ChannelRing {
            state: GpuPtr::new(EVENT_STATE_VA),
            ring: GpuPtr::new(EVENT_RING_VA),
        },
        device_control: ChannelRing {
            state: GpuPtr::new(DEVCTRL_STATE_VA),
            ring: GpuPtr::new(EVENT_RING_VA + PAGE),
        },
        ..Default::default()
    };
    // A pipe whose state is not in the snapshot.
    rp.pipes[0].vtx = ChannelRing {
        state: GpuPtr::new(UNMAPPED_VA + 0x40),
        ring: GpuPtr::new(UNMAPPED_VA + 0x1000),
    };
    // A pipe whose state is in device memory (mapped, no data).
    rp.pipes[1].frag = ChannelRing {
        state: GpuPtr::new(MMIO_VA),
        ring: GpuPtr::new(MMIO_VA + 0x100),
    };
    img.write(RUNTIME_POINTERS_VA, rp.as_bytes());

    let ev = ChannelState {
        read_ptr: 1,
        write_ptr: 3,
        ..Default::default()
    };
    img.write(EVENT_STATE_VA, ev.as_bytes());
    let dc = ChannelState {
        read_ptr: 7,
        write_ptr: 7,
        ..Default::default()
    };
    img.write(DEVCTRL_STATE_VA, dc.as_bytes());
    let flag = EventMsg::Flag {
        firing: FlagBitmask::default().with(3).with(70),
        unk_14: 0,
    }
    .encode();
    img.write(EVENT_RING_VA + 0x38, flag.as_bytes());
    img.write(EVENT_RING_VA + 0x70, EventMsg::Fault.encode().as_bytes());

    let mut st = FwStatus {
        fwctl_channel: ChannelRing {
            state: GpuPtr::new(FWCTL_STATE_VA),
            ring: GpuPtr::new(FWCTL_STATE_VA + 0x100),
        },
        ..Default::default()
    };
    st.flags.halt_count = 2;
    st.flags.halted = 1;
    img.write(FW_STATUS_VA, st.as_bytes());
    let fc = FwCtlChannelState {
        read_ptr: 4,
        write_ptr: 6,
        ..Default::default()
    };
    img.write(FWCTL_STATE_VA, fc.as_bytes());
    img
}

/// The sample dump as bytes.
pub fn sample_dump() -> Vec<u8> {
    let img = sample_image();
    let (segs, data) = img.segments();
    let info = sample_info().to_bytes();
    let notes = [Note::agx(&info), Note::rtkit(CRASHLOG)];
    render(&segs, &notes, &data)
}

/// Deterministic xorshift64* generator.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

/// Offset of program header `i`.
pub fn ph(i: usize) -> usize {
    64 + 56 * i
}

pub fn put16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

pub fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

pub fn put64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

pub fn get64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// Small base for header-level corpus cases: two segments without data, cut right after the
/// notes (valid: nothing needs the data area).
pub fn small_base() -> Vec<u8> {
    let mut img = Image::default();
    img.map(
        0xffff_ffaf_0000_0000,
        0x2_0000_0000,
        2,
        Prot::FW_MMIO_RW,
        false,
    );
    img.map(
        0xffff_ffaf_0001_0000,
        0x2_0001_0000,
        1,
        Prot::FW_MMIO_RO,
        false,
    );
    let (segs, data) = img.segments();
    let info = sample_info().to_bytes();
    let notes = [Note::agx(&info), Note::rtkit(b"crash!")];
    let mut bytes = render(&segs, &notes, &data);
    let note_off = get64(&bytes, ph(0) + 8) as usize;
    let note_size = get64(&bytes, ph(0) + 32) as usize;
    bytes.truncate(note_off + note_size);
    bytes
}

/// Base with data: three one-page segments (data, data, no data).
pub fn data_base() -> Vec<u8> {
    let mut img = Image::default();
    img.map(
        0xffff_ffa0_0000_0000,
        0x8_0000_0000,
        1,
        Prot::FW_PRIV_RW,
        true,
    );
    img.map(
        0xffff_ffa0_0000_8000,
        0x8_0001_0000,
        1,
        Prot::FW_PRIV_RW,
        true,
    );
    img.map(
        0xffff_ffaf_0000_0000,
        0x2_0000_0000,
        1,
        Prot::FW_MMIO_RW,
        false,
    );
    img.fill_pattern();
    let (segs, data) = img.segments();
    render(&segs, &[Note::rtkit(b"log")], &data)
}

/// Every malformation class: `(corpus file name, bytes, expected error)`.
pub fn malformed_cases() -> Vec<(&'static str, Vec<u8>, agx_coredump::format::ParseError)> {
    use agx_coredump::format::ParseError as P;
    let base = small_base();
    let data = data_base();
    let len = base.len() as u64;
    let mut cases = Vec::new();
    let mut case = |name, f: &dyn Fn(&mut Vec<u8>), from: &Vec<u8>, err| {
        let mut b = from.clone();
        f(&mut b);
        cases.push((name, b, err));
    };
    let note_off = get64(&base, ph(0) + 8) as usize;

    case(
        "empty.bin",
        &|b| b.clear(),
        &base,
        P::Truncated { need: 64, have: 0 },
    );
    case(
        "truncated_header.bin",
        &|b| b.truncate(40),
        &base,
        P::Truncated { need: 64, have: 40 },
    );
    case("bad_magic.bin", &|b| b[1] = b'e', &base, P::BadMagic);
    case("bad_class.bin", &|b| b[4] = 1, &base, P::BadClass(1));
    case("big_endian.bin", &|b| b[5] = 2, &base, P::BadEncoding(2));
    case(
        "bad_ident_version.bin",
        &|b| b[6] = 0,
        &base,
        P::BadVersion(0),
    );
    case(
        "bad_version.bin",
        &|b| put32(b, 20, 2),
        &base,
        P::BadVersion(2),
    );
    case("not_core.bin", &|b| put16(b, 16, 2), &base, P::BadType(2));
    case(
        "x86_64.bin",
        &|b| put16(b, 18, 62),
        &base,
        P::BadMachine(62),
    );
    case(
        "bad_ehsize.bin",
        &|b| put16(b, 52, 52),
        &base,
        P::BadHeaderSize {
            ehsize: 52,
            phentsize: 56,
        },
    );
    case(
        "bad_phentsize.bin",
        &|b| put16(b, 54, 32),
        &base,
        P::BadHeaderSize {
            ehsize: 64,
            phentsize: 32,
        },
    );
    case(
        "no_phdrs.bin",
        &|b| put16(b, 56, 0),
        &base,
        P::BadSegmentCount(0),
    );
    case(
        "pn_xnum.bin",
        &|b| put16(b, 56, 0xffff),
        &base,
        P::BadSegmentCount(0xffff),
    );
    case(
        "absurd_phnum.bin",
        &|b| put16(b, 56, 60000),
        &base,
        P::PhdrOutOfBounds {
            phoff: 64,
            phnum: 60000,
        },
    );
    case(
        "phoff_past_end.bin",
        &|b| put64(b, 32, len),
        &base,
        P::PhdrOutOfBounds {
            phoff: len,
            phnum: 3,
        },
    );
    case(
        "phoff_overflow.bin",
        &|b| put64(b, 32, u64::MAX - 8),
        &base,
        P::PhdrOutOfBounds {
            phoff: u64::MAX - 8,
            phnum: 3,
        },
    );
    case(
        "phoff_in_header.bin",
        &|b| put64(b, 32, 8),
        &base,
        P::PhdrOutOfBounds { phoff: 8, phnum: 3 },
    );
    case(
        "first_not_note.bin",
        &|b| put32(b, ph(0), 1),
        &base,
        P::MissingNotes,
    );
    case(
        "unexpected_type.bin",
        &|b| put32(b, ph(2), 6),
        &base,
        P::UnexpectedSegment {
            index: 2,
            p_type: 6,
        },
    );
    let nsize = get64(&base, ph(0) + 32);
    case(
        "notes_past_end.bin",
        &|b| put64(b, ph(0) + 32, nsize + 1),
        &base,
        P::NotesOutOfBounds {
            offset: note_off as u64,
            size: nsize + 1,
        },
    );
    case(
        "notes_overflow.bin",
        &|b| put64(b, ph(0) + 32, u64::MAX),
        &base,
        P::NotesOutOfBounds {
            offset: note_off as u64,
            size: u64::MAX,
        },
    );
    case(
        "notes_in_phdrs.bin",
        &|b| put64(b, ph(0) + 8, 64),
        &base,
        P::NotesOutOfBounds {
            offset: 64,
            size: nsize,
        },
    );
    case(
        "note_cut.bin",
        &|b| put64(b, ph(0) + 32, nsize - 12),
        &base,
        P::NoteOverflow { at: 72 },
    );
    case(
        "note_descsz_huge.bin",
        &|b| put32(b, note_off + 4, u32::MAX),
        &base,
        P::NoteOverflow { at: 0 },
    );
    case(
        "note_namesz_zero.bin",
        &|b| put32(b, note_off, 0),
        &base,
        P::BadNoteName { at: 0 },
    );
    case(
        "note_name_unterminated.bin",
        &|b| b[note_off + 15] = b'!',
        &base,
        P::BadNoteName { at: 0 },
    );
    case(
        "agx_note_small.bin",
        &|b| put32(b, note_off + 4, 40),
        &base,
        P::AgxInfoTooSmall(40),
    );
    case(
        "unaligned_vaddr.bin",
        &|b| {
            let v = get64(b, ph(1) + 16);
            put64(b, ph(1) + 16, v + 0x1000)
        },
        &base,
        P::Unaligned { index: 1 },
    );
    case(
        "unaligned_paddr.bin",
        &|b| {
            let v = get64(b, ph(2) + 24);
            put64(b, ph(2) + 24, v + 8)
        },
        &base,
        P::Unaligned { index: 2 },
    );
    case(
        "bad_align.bin",
        &|b| put64(b, ph(1) + 48, 0x1000),
        &base,
        P::Unaligned { index: 1 },
    );
    case(
        "memsz_zero.bin",
        &|b| put64(b, ph(2) + 40, 0),
        &base,
        P::BadSegmentSize { index: 2 },
    );
    case(
        "memsz_partial.bin",
        &|b| put64(b, ph(1) + 40, 0x5000),
        &base,
        P::BadSegmentSize { index: 1 },
    );
    case(
        "memsz_wraps.bin",
        &|b| put64(b, ph(2) + 40, 1 << 62),
        &base,
        P::BadSegmentSize { index: 2 },
    );
    case(
        "va_overlap.bin",
        &|b| {
            let v = get64(b, ph(1) + 16);
            put64(b, ph(2) + 16, v + 0x4000)
        },
        &base,
        P::OverlappingVa { index: 2 },
    );
    let d_off = get64(&data, ph(1) + 8);
    case(
        "filesz_mismatch.bin",
        &|b| put64(b, ph(1) + 32, 0x8000),
        &data,
        P::BadFileSize { index: 1 },
    );
    case(
        "data_unaligned.bin",
        &|b| put64(b, ph(2) + 8, d_off + 0x4100),
        &data,
        P::Unaligned { index: 2 },
    );
    case(
        "data_in_headers.bin",
        &|b| put64(b, ph(1) + 8, 0),
        &data,
        P::DataOverlapsHeaders { index: 1 },
    );
    case(
        "data_overlap.bin",
        &|b| put64(b, ph(2) + 8, d_off),
        &data,
        P::OverlappingData { index: 2 },
    );
    let dlen = data.len() as u64;
    case(
        "data_truncated.bin",
        &|b| {
            b.pop();
        },
        &data,
        P::DataOutOfBounds {
            index: 2,
            end: dlen,
            size: dlen - 1,
        },
    );
    case(
        "data_offset_huge.bin",
        &|b| put64(b, ph(2) + 8, !0x3fff),
        &data,
        P::DataOutOfBounds {
            index: 2,
            end: u64::MAX,
            size: dlen,
        },
    );
    cases
}

/// The `RuntimePointers` [`sample_image`] holds, to edit and write back into an image.
pub fn sample_runtime_pointers() -> fwv::RuntimePointers {
    use zerocopy::FromBytes;
    let mut raw = vec![0u8; core::mem::size_of::<fwv::RuntimePointers>()];
    let dump = sample_dump();
    agx_coredump::format::Dump::parse(&dump)
        .unwrap()
        .read_va(RUNTIME_POINTERS_VA, &mut raw)
        .unwrap();
    fwv::RuntimePointers::read_from_bytes(&raw).unwrap()
}
