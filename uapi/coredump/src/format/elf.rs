// SPDX-License-Identifier: GPL-2.0 OR MIT

//! ELF64 structures used by the dump, with explicit little-endian encoding.
//!
//! The structures are `#[repr(C)]` with the System V gABI layout and no implicit padding (each
//! size is checked at compile time), but they are never reinterpreted as bytes: `to_bytes` and
//! `from_bytes` encode each field little-endian, so the code needs no `unsafe` and is correct on
//! any host.
//!
//! Source: System V gABI "ELF-64 Object File Format"; Linux `include/uapi/linux/elf.h`.

use core::mem::size_of;

/// ELF magic, `e_ident[0..4]`.
pub const ELFMAG: [u8; 4] = *b"\x7fELF";
/// `e_ident[EI_CLASS]`: 64-bit objects.
pub const ELFCLASS64: u8 = 2;
/// `e_ident[EI_DATA]`: little-endian.
pub const ELFDATA2LSB: u8 = 1;
/// `e_ident[EI_VERSION]` and `e_version`: the current version.
pub const EV_CURRENT: u8 = 1;
/// `e_ident[EI_OSABI]`: System V.
pub const ELFOSABI_NONE: u8 = 0;
/// Index of the class byte in `e_ident`.
pub const EI_CLASS: usize = 4;
/// Index of the data-encoding byte in `e_ident`.
pub const EI_DATA: usize = 5;
/// Index of the version byte in `e_ident`.
pub const EI_VERSION: usize = 6;
/// `e_type`: core file.
pub const ET_CORE: u16 = 4;
/// `e_machine`: AArch64 (the firmware coprocessor's architecture).
pub const EM_AARCH64: u16 = 183;
/// `e_phnum` escape value meaning "the count is in section header 0"; not used by dumps.
pub const PN_XNUM: u16 = 0xffff;
/// `p_type`: loadable segment.
pub const PT_LOAD: u32 = 1;
/// `p_type`: notes.
pub const PT_NOTE: u32 = 4;
/// `p_flags`: executable.
pub const PF_X: u32 = 1;
/// `p_flags`: writable.
pub const PF_W: u32 = 2;
/// `p_flags`: readable.
pub const PF_R: u32 = 4;

/// Size of [`Ehdr`].
pub const EHDR_SIZE: usize = 64;
/// Size of [`Phdr`].
pub const PHDR_SIZE: usize = 56;
/// Size of [`Nhdr`].
pub const NHDR_SIZE: usize = 12;

/// `Elf64_Ehdr`, the file header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Ehdr {
    /// Magic, class, data encoding, version, OS ABI, padding.
    pub e_ident: [u8; 16],
    /// Object file type.
    pub e_type: u16,
    /// Machine.
    pub e_machine: u16,
    /// Object file version.
    pub e_version: u32,
    /// Entry point.
    pub e_entry: u64,
    /// Program header table offset.
    pub e_phoff: u64,
    /// Section header table offset.
    pub e_shoff: u64,
    /// Processor-specific flags.
    pub e_flags: u32,
    /// Size of this header.
    pub e_ehsize: u16,
    /// Size of one program header.
    pub e_phentsize: u16,
    /// Number of program headers.
    pub e_phnum: u16,
    /// Size of one section header.
    pub e_shentsize: u16,
    /// Number of section headers.
    pub e_shnum: u16,
    /// Section name string table index.
    pub e_shstrndx: u16,
}

/// `Elf64_Phdr`, a program header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Phdr {
    /// Segment type.
    pub p_type: u32,
    /// Segment flags.
    pub p_flags: u32,
    /// File offset of the segment's data.
    pub p_offset: u64,
    /// Virtual address (here: GPU VA).
    pub p_vaddr: u64,
    /// Physical address.
    pub p_paddr: u64,
    /// Bytes of data in the file.
    pub p_filesz: u64,
    /// Bytes of memory covered.
    pub p_memsz: u64,
    /// Alignment.
    pub p_align: u64,
}

/// `Elf64_Nhdr`, a note header; the name and descriptor follow, each padded to 4 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Nhdr {
    /// Name length including the NUL terminator.
    pub n_namesz: u32,
    /// Descriptor length.
    pub n_descsz: u32,
    /// Note type.
    pub n_type: u32,
}

const _: () = assert!(size_of::<Ehdr>() == EHDR_SIZE);
const _: () = assert!(size_of::<Phdr>() == PHDR_SIZE);
const _: () = assert!(size_of::<Nhdr>() == NHDR_SIZE);
const _: () = assert!(core::mem::offset_of!(Ehdr, e_phoff) == 0x20);
const _: () = assert!(core::mem::offset_of!(Ehdr, e_phnum) == 0x38);
const _: () = assert!(core::mem::offset_of!(Phdr, p_offset) == 0x8);
const _: () = assert!(core::mem::offset_of!(Phdr, p_align) == 0x30);

/// Little-endian encoder into a fixed array; writes past the end are dropped (the callers'
/// sizes are fixed and checked by the tests, so this never happens).
struct Put<const N: usize> {
    buf: [u8; N],
    pos: usize,
}

impl<const N: usize> Put<N> {
    const fn new() -> Self {
        Self {
            buf: [0; N],
            pos: 0,
        }
    }

    fn bytes(&mut self, b: &[u8]) {
        for (dst, src) in self.buf.iter_mut().skip(self.pos).zip(b) {
            *dst = *src;
        }
        self.pos = self.pos.saturating_add(b.len());
    }

    fn u16(&mut self, v: u16) {
        self.bytes(&v.to_le_bytes());
    }

    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }

    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }
}

/// Little-endian decoder from a byte slice.
pub(super) struct Get<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Get<'a> {
    pub(super) const fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(super) fn array<const M: usize>(&mut self) -> Option<[u8; M]> {
        let end = self.pos.checked_add(M)?;
        let src = self.buf.get(self.pos..end)?;
        let mut out = [0u8; M];
        out.copy_from_slice(src);
        self.pos = end;
        Some(out)
    }

    pub(super) fn u16(&mut self) -> Option<u16> {
        self.array().map(u16::from_le_bytes)
    }

    pub(super) fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }

    pub(super) fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }
}

impl Ehdr {
    /// The header of a dump with `phnum` program headers, as downstream writes it.
    pub const fn dump(phnum: u16) -> Self {
        let mut e_ident = [0u8; 16];
        e_ident[0] = ELFMAG[0];
        e_ident[1] = ELFMAG[1];
        e_ident[2] = ELFMAG[2];
        e_ident[3] = ELFMAG[3];
        e_ident[EI_CLASS] = ELFCLASS64;
        e_ident[EI_DATA] = ELFDATA2LSB;
        e_ident[EI_VERSION] = EV_CURRENT;
        Self {
            e_ident,
            e_type: ET_CORE,
            e_machine: EM_AARCH64,
            e_version: EV_CURRENT as u32,
            e_entry: super::FIRMWARE_ENTRYPOINT,
            e_phoff: EHDR_SIZE as u64,
            e_shoff: 0,
            e_flags: 0,
            e_ehsize: EHDR_SIZE as u16,
            e_phentsize: PHDR_SIZE as u16,
            e_phnum: phnum,
            e_shentsize: 0,
            e_shnum: 0,
            e_shstrndx: 0,
        }
    }

    /// Encodes the header.
    pub fn to_bytes(self) -> [u8; EHDR_SIZE] {
        let mut p = Put::<EHDR_SIZE>::new();
        p.bytes(&self.e_ident);
        p.u16(self.e_type);
        p.u16(self.e_machine);
        p.u32(self.e_version);
        p.u64(self.e_entry);
        p.u64(self.e_phoff);
        p.u64(self.e_shoff);
        p.u32(self.e_flags);
        p.u16(self.e_ehsize);
        p.u16(self.e_phentsize);
        p.u16(self.e_phnum);
        p.u16(self.e_shentsize);
        p.u16(self.e_shnum);
        p.u16(self.e_shstrndx);
        p.buf
    }

    /// Decodes a header from the start of `b`; `None` if `b` is shorter than [`EHDR_SIZE`].
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        let mut g = Get::new(b);
        Some(Self {
            e_ident: g.array()?,
            e_type: g.u16()?,
            e_machine: g.u16()?,
            e_version: g.u32()?,
            e_entry: g.u64()?,
            e_phoff: g.u64()?,
            e_shoff: g.u64()?,
            e_flags: g.u32()?,
            e_ehsize: g.u16()?,
            e_phentsize: g.u16()?,
            e_phnum: g.u16()?,
            e_shentsize: g.u16()?,
            e_shnum: g.u16()?,
            e_shstrndx: g.u16()?,
        })
    }
}

impl Phdr {
    /// Encodes the program header.
    pub fn to_bytes(self) -> [u8; PHDR_SIZE] {
        let mut p = Put::<PHDR_SIZE>::new();
        p.u32(self.p_type);
        p.u32(self.p_flags);
        p.u64(self.p_offset);
        p.u64(self.p_vaddr);
        p.u64(self.p_paddr);
        p.u64(self.p_filesz);
        p.u64(self.p_memsz);
        p.u64(self.p_align);
        p.buf
    }

    /// Decodes a program header from the start of `b`; `None` if `b` is too short.
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        let mut g = Get::new(b);
        Some(Self {
            p_type: g.u32()?,
            p_flags: g.u32()?,
            p_offset: g.u64()?,
            p_vaddr: g.u64()?,
            p_paddr: g.u64()?,
            p_filesz: g.u64()?,
            p_memsz: g.u64()?,
            p_align: g.u64()?,
        })
    }
}

impl Nhdr {
    /// Encodes the note header.
    pub fn to_bytes(self) -> [u8; NHDR_SIZE] {
        let mut p = Put::<NHDR_SIZE>::new();
        p.u32(self.n_namesz);
        p.u32(self.n_descsz);
        p.u32(self.n_type);
        p.buf
    }

    /// Decodes a note header from the start of `b`; `None` if `b` is too short.
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        let mut g = Get::new(b);
        Some(Self {
            n_namesz: g.u32()?,
            n_descsz: g.u32()?,
            n_type: g.u32()?,
        })
    }
}
