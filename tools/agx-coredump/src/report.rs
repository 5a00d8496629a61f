// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Host-side decoding of dumps: the text the `agx-coredump` command prints.
//!
//! Everything here works on a validated [`Dump`] and never panics on its contents: firmware
//! structures are read from the snapshot with bounds-checked lookups and decoded with
//! `zerocopy`, and a pointer that leads outside the snapshot is reported, not followed.

use core::fmt::{self, Write as _};

use agx_firmware_defs::channels::{
    ChannelId, ChannelState, EventMsg, FwCtlChannelState, PipeType, RawEventMsg, RingPtrs,
    FWLOG_SUB_RINGS,
};
use agx_firmware_defs::crashlog::{
    RawFwLogMsg, RawFwLogPayloadMsg, RawKTraceMsg, FWLOG_LEVEL_NAMES, FWLOG_MSG_INDEX,
    FWLOG_MSG_PAYLOAD, FWLOG_PAYLOADS_PER_RING,
};
use agx_firmware_defs::job::{ChannelRing, CommandType, FwStatus, RingState, VirtualRunCommand};
use agx_firmware_defs::types::{GpuPtr, U64};
use agx_firmware_defs::uat::{Ap, MemAttr, Perm, Prot, PTE_GPU_ACCESS};
use agx_firmware_defs::ver::{FwVersion, Gen, Variant, SUPPORTED};
use zerocopy::{FromBytes, Immutable, KnownLayout};

use crate::format::pte::{flags_pte_bits, flags_rwx};
use crate::format::{AgxDumpInfo, Dump, LoadSegment, ParseError, VaError, GPU_PAGE_SIZE_U64};

/// Most bytes `--read` will dump.
pub const MAX_READ: u64 = 64 << 20;
/// Most pending messages listed per ring.
const MAX_RING_MESSAGES: u32 = 32;
/// Most firmware log lines printed (the newest).
const MAX_FWLOG_LINES: usize = 64;
/// Most KTrace records printed (the newest).
const MAX_KTRACE_RECORDS: u32 = 32;

/// Why a dump could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The file is not a valid dump.
    Parse(ParseError),
    /// A requested memory range is not in the snapshot.
    Memory(VaError),
    /// A requested read is larger than [`MAX_READ`].
    ReadTooLarge(u64),
}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        Error::Parse(e)
    }
}

impl From<VaError> for Error {
    fn from(e: VaError) -> Self {
        Error::Memory(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse(e) => write!(f, "malformed dump: {}", ParseErrorDisplay(e)),
            Error::Memory(e) => write!(f, "{}", VaErrorDisplay(e)),
            Error::ReadTooLarge(n) => {
                write!(f, "read of {n} bytes exceeds the limit of {MAX_READ}")
            }
        }
    }
}

impl std::error::Error for Error {}

/// Human-readable form of a [`ParseError`].
pub struct ParseErrorDisplay<'a>(pub &'a ParseError);

impl fmt::Display for ParseErrorDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ParseError as P;
        match *self.0 {
            P::Truncated { need, have } => {
                write!(f, "file truncated: need {need} bytes, have {have}")
            }
            P::BadMagic => write!(f, "not an ELF file (bad magic)"),
            P::BadClass(c) => write!(f, "not a 64-bit ELF file (class {c})"),
            P::BadEncoding(d) => write!(f, "not a little-endian ELF file (data encoding {d})"),
            P::BadVersion(v) => write!(f, "unsupported ELF version {v}"),
            P::BadType(t) => write!(f, "not an ELF core file (e_type {t})"),
            P::BadMachine(m) => write!(f, "not an AArch64 core file (e_machine {m})"),
            P::BadHeaderSize { ehsize, phentsize } => write!(
                f,
                "bad header sizes (e_ehsize {ehsize}, e_phentsize {phentsize})"
            ),
            P::BadSegmentCount(n) => write!(f, "unsupported program header count {n}"),
            P::PhdrOutOfBounds { phoff, phnum } => write!(
                f,
                "program header table ({phnum} entries at {phoff:#x}) lies outside the file"
            ),
            P::MissingNotes => write!(f, "program header 0 is not the PT_NOTE segment"),
            P::UnexpectedSegment { index, p_type } => {
                write!(f, "program header {index} has type {p_type}, expected PT_LOAD")
            }
            P::NotesOutOfBounds { offset, size } => write!(
                f,
                "note segment ({size} bytes at {offset:#x}) lies outside the file or overlaps the headers"
            ),
            P::NoteOverflow { at } => {
                write!(f, "note at offset {at:#x} runs past the note segment")
            }
            P::BadNoteName { at } => {
                write!(f, "note at offset {at:#x} has an empty or unterminated name")
            }
            P::TooManyNotes => write!(
                f,
                "more than {} notes",
                crate::format::reader::MAX_NOTES
            ),
            P::AgxInfoTooSmall(n) => {
                write!(f, "AGX note descriptor is {n} bytes, need at least 52")
            }
            P::Unaligned { index } => write!(
                f,
                "segment {index} is not 16 KiB aligned (address, offset or p_align)"
            ),
            P::BadSegmentSize { index } => write!(
                f,
                "segment {index} size is zero, not a multiple of 16 KiB, or overflows"
            ),
            P::BadFileSize { index } => {
                write!(f, "segment {index} p_filesz is neither 0 nor p_memsz")
            }
            P::UserMemoryWithData { index } => write!(
                f,
                "segment {index} is marked as user memory but carries data (user memory is never captured)"
            ),
            P::DataOverlapsHeaders { index } => {
                write!(f, "segment {index} data overlaps the headers or notes")
            }
            P::OverlappingData { index } => {
                write!(f, "segment {index} data overlaps the previous segment's data")
            }
            P::OverlappingVa { index } => write!(
                f,
                "segment {index} address range overlaps or precedes the previous segment"
            ),
            P::DataOutOfBounds { index, end, size } => write!(
                f,
                "segment {index} data ends at {end:#x}, past the end of the file ({size:#x})"
            ),
        }
    }
}

/// Human-readable form of a [`VaError`].
pub struct VaErrorDisplay<'a>(pub &'a VaError);

impl fmt::Display for VaErrorDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self.0 {
            VaError::Unmapped(va) => write!(f, "address {va:#x} is not mapped in the snapshot"),
            VaError::NoData(va) => {
                write!(f, "address {va:#x} is mapped but its page was not captured")
            }
            VaError::UserMemory(va) => {
                write!(f, "address {va:#x} maps user memory, not captured")
            }
        }
    }
}

/// What to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Walk the firmware structures from the init-data address.
    pub firmware: bool,
    /// Firmware layout to use instead of the one guessed from the `AGX` note.
    pub variant: Option<Variant>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            firmware: true,
            variant: None,
        }
    }
}

/// Names of the firmware layouts for `--variant`, with their variants.
pub const VARIANT_NAMES: [(&str, Variant); 5] = [
    ("g13_v12_3", Variant::new(Gen::G13, FwVersion::V12_3)),
    ("g13_v13_5", Variant::new(Gen::G13, FwVersion::V13_5)),
    ("g14_v12_3", Variant::new(Gen::G14, FwVersion::V12_3)),
    ("g14_v12_4", Variant::new(Gen::G14, FwVersion::V12_4)),
    ("g14_v13_5", Variant::new(Gen::G14, FwVersion::V13_5)),
];

/// The layout name of `v`.
pub fn variant_name(v: Variant) -> &'static str {
    VARIANT_NAMES
        .iter()
        .find(|(_, x)| *x == v)
        .map_or("unknown", |(n, _)| n)
}

/// Parses a layout name as printed by [`variant_name`].
pub fn parse_variant(name: &str) -> Option<Variant> {
    VARIANT_NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
}

/// Guesses the firmware layout from the `AGX` note: the generation, and the newest supported
/// firmware ABI not newer than the recorded firmware version (as m1n1 maps e.g. 13.6 to the
/// 13.5 ABI).
pub fn guess_variant(info: &AgxDumpInfo) -> Option<Variant> {
    let gen = match info.gpu_gen {
        13 => Gen::G13,
        14 => Gen::G14,
        _ => return None,
    };
    let [major, minor, ..] = info.firmware_version;
    let candidates = [
        ((13, 5), FwVersion::V13_5),
        ((12, 4), FwVersion::V12_4),
        ((12, 3), FwVersion::V12_3),
    ];
    candidates
        .iter()
        .filter(|(v, _)| (major, minor) >= *v)
        .map(|(_, fw)| Variant::new(gen, *fw))
        .find(|v| SUPPORTED.contains(v))
}

/// Decodes and describes a whole dump.
///
/// # Errors
///
/// [`Error::Parse`] if the dump is malformed. Problems in the firmware structures are reported
/// in the text instead.
pub fn render(bytes: &[u8], opts: &Options) -> Result<String, Error> {
    let dump = Dump::parse(bytes)?;
    let info = dump.agx_info()?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "AGX GPU crash dump: {} bytes, {} segments, {} notes",
        bytes.len(),
        dump.segment_count(),
        dump.notes().count()
    );
    out.push('\n');
    match &info {
        Some(info) => identity(&mut out, info),
        None => out.push_str("GPU: no AGX note in this dump\n"),
    }
    out.push('\n');
    crashlog(&mut out, dump.crashlog());
    out.push('\n');
    segment_table(&mut out, &dump);
    if opts.firmware {
        out.push('\n');
        match &info {
            Some(info) => firmware(&mut out, &dump, info, opts.variant),
            None => out.push_str("Firmware structures: no AGX note, no init-data address\n"),
        }
    }
    Ok(out)
}

fn variant_letter(v: u32) -> String {
    match char::from_u32(v) {
        Some(c) if c.is_ascii_alphabetic() => c.to_string(),
        _ => format!("?({v:#x})"),
    }
}

fn revision_name(rev: u32) -> String {
    let major = rev >> 4;
    let minor = rev & 0xf;
    match char::from_u32(u32::from(b'A').saturating_add(major)) {
        Some(c) if major < 26 => format!("{c}{minor}"),
        _ => "?".to_string(),
    }
}

/// The firmware version as dotted components, trailing zeros after the third dropped.
pub fn firmware_version_string(v: &[u32; 6]) -> String {
    let keep = v
        .iter()
        .rposition(|x| *x != 0)
        .map_or(3, |last| last.saturating_add(1).max(3));
    v.iter()
        .take(keep)
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

fn identity(out: &mut String, info: &AgxDumpInfo) {
    let _ = writeln!(out, "GPU");
    let _ = writeln!(
        out,
        "  chip:          t{:x} ({:#x})",
        info.chip_id, info.chip_id
    );
    let _ = writeln!(out, "  generation:    G{}", info.gpu_gen);
    let _ = writeln!(out, "  variant:       {}", variant_letter(info.gpu_variant));
    let _ = writeln!(
        out,
        "  revision:      {} ({:#04x})",
        revision_name(info.gpu_rev),
        info.gpu_rev
    );
    let _ = writeln!(out, "  active cores:  {}", info.total_active_cores);
    let _ = writeln!(
        out,
        "  firmware:      {} {:?}",
        firmware_version_string(&info.firmware_version),
        info.firmware_version
    );
    let _ = writeln!(out, "  init data:     {:#x}", info.initdata_address);
}

/// Appends a classic 16-bytes-per-line hex dump of `bytes`, addresses starting at `base`.
pub fn hexdump(out: &mut String, base: u64, bytes: &[u8]) {
    for (i, line) in bytes.chunks(16).enumerate() {
        let addr = base.wrapping_add(u64::try_from(i).unwrap_or(0).wrapping_mul(16));
        let _ = write!(out, "  {addr:016x}  ");
        for j in 0..16 {
            match line.get(j) {
                Some(b) => {
                    let _ = write!(out, "{b:02x} ");
                }
                None => out.push_str("   "),
            }
            if j == 7 {
                out.push(' ');
            }
        }
        out.push_str(" |");
        out.extend(line.iter().map(|b| {
            if b.is_ascii_graphic() || *b == b' ' {
                char::from(*b)
            } else {
                '.'
            }
        }));
        out.push_str("|\n");
    }
}

/// Runs of at least four printable characters in `bytes`, with their offsets.
pub fn printable_runs(bytes: &[u8]) -> Vec<(usize, &str)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (i, b) in bytes.iter().chain(core::iter::once(&0)).enumerate() {
        let printable = b.is_ascii_graphic() || *b == b' ' || *b == b'\t';
        match (printable, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if i.saturating_sub(s) >= 4 {
                    if let Some(text) = bytes.get(s..i).and_then(|t| core::str::from_utf8(t).ok()) {
                        runs.push((s, text));
                    }
                }
                start = None;
            }
            _ => {}
        }
    }
    runs
}

fn crashlog(out: &mut String, log: Option<&[u8]>) {
    let Some(log) = log else {
        out.push_str("RTKit crash log: none\n");
        return;
    };
    let _ = writeln!(out, "RTKit crash log ({} bytes)", log.len());
    out.push_str(" text:\n");
    let runs = printable_runs(log);
    if runs.is_empty() {
        out.push_str("  (no printable text)\n");
    }
    for (off, text) in runs {
        let _ = writeln!(out, "  +{off:#06x}  {text}");
    }
    out.push_str(" hex:\n");
    hexdump(out, 0, log);
}

fn perm_name(p: Perm) -> &'static str {
    match p {
        Perm::None => "--",
        Perm::Ro => "RO",
        Perm::Wo => "WO",
        Perm::Rw => "RW",
    }
}

fn rwx_string(rwx: u32) -> String {
    use crate::format::elf::{PF_R, PF_W, PF_X};
    [(PF_R, 'r'), (PF_W, 'w'), (PF_X, 'x')]
        .iter()
        .map(|(bit, c)| if rwx & bit != 0 { *c } else { '-' })
        .collect()
}

/// Describes the protection recorded in `p_flags`: memory attribute, AP class, and the
/// firmware and GPU permissions per `firmware-defs` [`Prot::access`].
pub fn describe_flags(flags: u32) -> String {
    let pte = flags_pte_bits(flags);
    let gpu_bit = if pte & PTE_GPU_ACCESS != 0 {
        ""
    } else {
        " no-gpu-bit"
    };
    match Prot::from_pte(pte) {
        Some(prot) => {
            let memattr = match prot.memattr {
                MemAttr::Cached => "cached",
                MemAttr::Device => "device",
                MemAttr::Uncached => "uncached",
            };
            let ap = match prot.ap {
                Ap::FwGpu => "fw+gpu",
                Ap::Fw => "fw",
                Ap::Gpu => "gpu",
            };
            let (fw, gpu) = prot.access();
            format!(
                "{memattr:<8} {ap:<6} fw:{} gpu:{}{gpu_bit}",
                perm_name(fw),
                perm_name(gpu)
            )
        }
        None => format!("reserved attributes (pte bits {pte:#x}){gpu_bit}"),
    }
}

/// One line per segment: VA range, PA, pages, data, ELF permissions, decoded protection (and,
/// for memory the driver does not own, "user memory, not captured").
pub fn segment_line(i: usize, s: &LoadSegment) -> String {
    let end = s.vaddr.wrapping_add(s.memsz);
    let user = if s.is_user() {
        "  user memory, not captured"
    } else {
        ""
    };
    format!(
        "{i:>5}  {:016x}-{:016x}  {:012x}  {:>6}  {:<4}  {}  {:08x}  {}{user}",
        s.vaddr,
        end,
        s.paddr,
        s.pages(),
        if s.has_data {
            "yes"
        } else if s.is_user() {
            "user"
        } else {
            "no"
        },
        rwx_string(flags_rwx(s.flags)),
        s.flags,
        describe_flags(s.flags)
    )
}

fn segment_table(out: &mut String, dump: &Dump<'_>) {
    let _ = writeln!(out, "Segments ({})", dump.segment_count());
    let _ = writeln!(
        out,
        "    #  gpu va range                       phys           pages  data  elf  p_flags   protection"
    );
    let (mut pages, mut data_pages, mut user_pages) = (0u64, 0u64, 0u64);
    for (i, s) in dump.segments().enumerate() {
        pages = pages.saturating_add(s.pages());
        if s.has_data {
            data_pages = data_pages.saturating_add(s.pages());
        }
        if s.is_user() {
            user_pages = user_pages.saturating_add(s.pages());
        }
        out.push_str(&segment_line(i, &s));
        out.push('\n');
    }
    let mib = |p: u64| p.saturating_mul(GPU_PAGE_SIZE_U64) as f64 / f64::from(1u32 << 20);
    let _ = writeln!(
        out,
        "Totals: {} segments, {pages} pages mapped ({:.2} MiB), {data_pages} captured ({:.2} MiB), {} without data ({user_pages} user memory, not captured)",
        dump.segment_count(),
        mib(pages),
        mib(data_pages),
        pages.saturating_sub(data_pages)
    );
}

/// The `--map` output: a header line, then one line per segment.
pub fn memory_map(dump: &Dump<'_>) -> String {
    let mut out = String::from("# index vaddr-end phys pages data elf p_flags protection\n");
    for (i, s) in dump.segments().enumerate() {
        out.push_str(&segment_line(i, &s));
        out.push('\n');
    }
    out
}

/// The `--read ADDR LEN` output: a hex dump of GPU memory from the snapshot.
///
/// # Errors
///
/// [`Error::Memory`] if part of the range is unmapped or was not captured, and
/// [`Error::ReadTooLarge`] past [`MAX_READ`].
pub fn read_memory(dump: &Dump<'_>, va: u64, len: u64) -> Result<String, Error> {
    if len > MAX_READ {
        return Err(Error::ReadTooLarge(len));
    }
    let n = usize::try_from(len).map_err(|_| Error::ReadTooLarge(len))?;
    let mut buf = vec![0u8; n];
    dump.read_va(va, &mut buf)?;
    let mut out = String::new();
    hexdump(&mut out, va, &buf);
    Ok(out)
}

/// Reads a `T` at GPU VA `va` from the snapshot.
fn read_struct<T: FromBytes + KnownLayout + Immutable>(
    dump: &Dump<'_>,
    va: u64,
) -> Result<T, VaError> {
    let mut buf = vec![0u8; core::mem::size_of::<T>()];
    dump.read_va(va, &mut buf)?;
    // The buffer has exactly the size of `T`, so this cannot fail.
    T::read_from_bytes(&buf).map_err(|_| VaError::NoData(va))
}

/// The parts of a versioned `InitData` the decoder follows.
trait InitDataView: FromBytes + KnownLayout + Immutable {
    fn runtime_pointers(&self) -> GpuPtr;
    fn globals(&self) -> GpuPtr;
    fn fw_status(&self) -> GpuPtr;
    fn uat_geometry(&self) -> (u16, u8, u8);
}

/// The channels of a versioned `RuntimePointers`.
trait RuntimePointersView: FromBytes + KnownLayout + Immutable {
    fn channels(&self) -> Vec<(ChannelId, ChannelRing)>;
    /// The FwLog channel and its payload buffer, and the KTrace channel.
    fn logs(&self) -> (ChannelRing, GpuPtr, ChannelRing);
}

/// The parts of a versioned `QueueInfo` the decoder shows.
trait QueueInfoView: FromBytes + KnownLayout + Immutable {
    fn state(&self) -> GpuPtr;
    fn ring(&self) -> GpuPtr;
    fn gpu_context(&self) -> GpuPtr;
    fn event_id(&self) -> i32;
    fn priority(&self) -> u32;
}

/// A versioned `RunWorkQueueMsg` (its size varies): the queue it names.
trait RunMsgView: FromBytes + KnownLayout + Immutable {
    fn work_queue(&self) -> GpuPtr;
}

macro_rules! impl_views {
    ($($m:ident),*) => {$(
        impl QueueInfoView for agx_firmware_defs::variants::$m::QueueInfo {
            fn state(&self) -> GpuPtr {
                self.state
            }
            fn ring(&self) -> GpuPtr {
                self.ring
            }
            fn gpu_context(&self) -> GpuPtr {
                self.gpu_context
            }
            fn event_id(&self) -> i32 {
                self.event_id
            }
            fn priority(&self) -> u32 {
                self.priority.level
            }
        }

        impl RunMsgView for agx_firmware_defs::variants::$m::RunWorkQueueMsg {
            fn work_queue(&self) -> GpuPtr {
                self.work_queue
            }
        }

        impl InitDataView for agx_firmware_defs::variants::$m::InitData {
            fn runtime_pointers(&self) -> GpuPtr {
                self.runtime_pointers
            }
            fn globals(&self) -> GpuPtr {
                self.globals
            }
            fn fw_status(&self) -> GpuPtr {
                self.fw_status
            }
            fn uat_geometry(&self) -> (u16, u8, u8) {
                (self.uat_page_size, self.uat_page_bits, self.uat_num_levels)
            }
        }

        impl RuntimePointersView for agx_firmware_defs::variants::$m::RuntimePointers {
            fn channels(&self) -> Vec<(ChannelId, ChannelRing)> {
                let mut v = Vec::new();
                for (priority, p) in (0u32..).zip(self.pipes.iter()) {
                    for (pipe, ring) in PipeType::ALL.into_iter().zip([p.vtx, p.frag, p.comp]) {
                        v.push((ChannelId::Pipe { pipe, priority }, ring));
                    }
                }
                v.push((ChannelId::DeviceControl, self.device_control));
                v.push((ChannelId::Event, self.event));
                v.push((ChannelId::FwLog, self.fw_log));
                v.push((ChannelId::KTrace, self.ktrace));
                v.push((ChannelId::Stats, self.stats));
                v
            }
            fn logs(&self) -> (ChannelRing, GpuPtr, ChannelRing) {
                (self.fw_log, self.fwlog_buf, self.ktrace)
            }
        }
    )*};
}

impl_views!(g13_v12_3, g13_v13_5, g14_v12_3, g14_v12_4, g14_v13_5);

fn channel_name(id: ChannelId) -> String {
    match id {
        ChannelId::Pipe { pipe, priority } => {
            let kind = match pipe {
                PipeType::Vertex => "vtx",
                PipeType::Fragment => "frag",
                PipeType::Compute => "comp",
            };
            format!("pipe {kind} prio {priority}")
        }
        ChannelId::DeviceControl => "device_control".into(),
        ChannelId::Event => "event".into(),
        ChannelId::FwLog => "fw_log".into(),
        ChannelId::KTrace => "ktrace".into(),
        ChannelId::Stats => "stats".into(),
        ChannelId::FwCtl => "fwctl".into(),
    }
}

/// Formats a ring's indices: `rptr wptr pending`, or why they cannot be read.
fn ring_status(count: u32, read: u32, write: u32) -> (String, Option<RingPtrs>) {
    match RingPtrs::new(count, read, write) {
        Some(p) => (
            format!("rptr {read:>4}  wptr {write:>4}  pending {:>4}", p.used()),
            Some(p),
        ),
        None => (
            format!("rptr {read:#x}  wptr {write:#x}  (corrupt: ring has {count} entries)"),
            None,
        ),
    }
}

fn firmware(out: &mut String, dump: &Dump<'_>, info: &AgxDumpInfo, forced: Option<Variant>) {
    let variant = match forced {
        Some(v) => {
            let _ = writeln!(
                out,
                "Firmware structures (layout {}, forced)",
                variant_name(v)
            );
            v
        }
        None => match guess_variant(info) {
            Some(v) => {
                let _ = writeln!(
                    out,
                    "Firmware structures (layout {}, from G{} firmware {})",
                    variant_name(v),
                    info.gpu_gen,
                    firmware_version_string(&info.firmware_version)
                );
                v
            }
            None => {
                let _ = writeln!(
                    out,
                    "Firmware structures: no known layout for G{} firmware {} (use --variant)",
                    info.gpu_gen,
                    firmware_version_string(&info.firmware_version)
                );
                return;
            }
        },
    };
    use agx_firmware_defs::variants as v;
    let va = info.initdata_address;
    match variant_name(variant) {
        "g13_v12_3" => walk::<
            v::g13_v12_3::InitData,
            v::g13_v12_3::RuntimePointers,
            v::g13_v12_3::QueueInfo,
            v::g13_v12_3::RunWorkQueueMsg,
        >(out, dump, va),
        "g13_v13_5" => walk::<
            v::g13_v13_5::InitData,
            v::g13_v13_5::RuntimePointers,
            v::g13_v13_5::QueueInfo,
            v::g13_v13_5::RunWorkQueueMsg,
        >(out, dump, va),
        "g14_v12_3" => walk::<
            v::g14_v12_3::InitData,
            v::g14_v12_3::RuntimePointers,
            v::g14_v12_3::QueueInfo,
            v::g14_v12_3::RunWorkQueueMsg,
        >(out, dump, va),
        "g14_v12_4" => walk::<
            v::g14_v12_4::InitData,
            v::g14_v12_4::RuntimePointers,
            v::g14_v12_4::QueueInfo,
            v::g14_v12_4::RunWorkQueueMsg,
        >(out, dump, va),
        "g14_v13_5" => walk::<
            v::g14_v13_5::InitData,
            v::g14_v13_5::RuntimePointers,
            v::g14_v13_5::QueueInfo,
            v::g14_v13_5::RunWorkQueueMsg,
        >(out, dump, va),
        _ => out.push_str("  no layout module for this variant\n"),
    }
}

fn walk<I: InitDataView, R: RuntimePointersView, Q: QueueInfoView, M: RunMsgView>(
    out: &mut String,
    dump: &Dump<'_>,
    va: u64,
) {
    let init: I = match read_struct(dump, va) {
        Ok(i) => i,
        Err(e) => {
            let _ = writeln!(out, "  InitData @ {va:#x}: {}", VaErrorDisplay(&e));
            return;
        }
    };
    let (page_size, page_bits, levels) = init.uat_geometry();
    let _ = writeln!(
        out,
        "  InitData @ {va:#x}: runtime_pointers {:#x}, globals {:#x}, fw_status {:#x}, uat page {page_size:#x} ({page_bits} bits, {levels} levels)",
        init.runtime_pointers().va(),
        init.globals().va(),
        init.fw_status().va()
    );
    match init.runtime_pointers().get() {
        None => out.push_str("  RuntimePointers: null pointer\n"),
        Some(rp) => match read_struct::<R>(dump, rp) {
            Err(e) => {
                let _ = writeln!(out, "  RuntimePointers @ {rp:#x}: {}", VaErrorDisplay(&e));
            }
            Ok(r) => {
                let _ = writeln!(out, "  RuntimePointers @ {rp:#x}: channels");
                let channels = r.channels();
                for &(id, ring) in &channels {
                    channel(out, dump, id, ring);
                }
                work_queues::<Q, M>(out, dump, &channels);
                let (fw_log, fwlog_buf, ktrace) = r.logs();
                firmware_log(out, dump, fw_log, fwlog_buf);
                ktrace_records(out, dump, ktrace);
            }
        },
    }
    match init.fw_status().get() {
        None => out.push_str("  FwStatus: null pointer\n"),
        Some(fs) => fw_status(out, dump, fs),
    }
    let _ = writeln!(
        out,
        "  Globals @ {:#x}: not decoded (firmware-defs has no Globals layout; event stamps and fault info there are skipped)",
        init.globals().va()
    );
}

fn channel(out: &mut String, dump: &Dump<'_>, id: ChannelId, ring: ChannelRing) {
    let name = channel_name(id);
    let (state, ring_va) = (ring.state.va(), ring.ring.va());
    let prefix = format!("    {name:<20} state {state:#018x} ring {ring_va:#018x}");
    if ring.state.is_null() {
        let _ = writeln!(out, "{prefix}  (not set up)");
        return;
    }
    let dir = if id.is_tx() {
        "driver→fw"
    } else {
        "fw→driver"
    };
    let count = id.entries();
    // FwLog has one state block per sub-ring, back to back.
    let subs = id.sub_rings();
    for sub in 0..subs {
        let off = u64::try_from(sub)
            .unwrap_or(0)
            .wrapping_mul(core::mem::size_of::<ChannelState>() as u64);
        let label = if subs > 1 {
            format!("{prefix} [{sub}/{FWLOG_SUB_RINGS}]")
        } else {
            prefix.clone()
        };
        match read_struct::<ChannelState>(dump, state.wrapping_add(off)) {
            Err(e) => {
                let _ = writeln!(out, "{label}  state: {}", VaErrorDisplay(&e));
            }
            Ok(s) => {
                let (text, ptrs) = ring_status(count, s.read_ptr, s.write_ptr);
                let _ = writeln!(out, "{label}  {text}  {dir}");
                if id == ChannelId::Event && !ring.ring.is_null() {
                    if let Some(p) = ptrs {
                        event_messages(out, dump, ring_va, p);
                    }
                }
            }
        }
    }
}

/// Most work queues the report shows, and most messages it looks back per pipe to find them.
const MAX_QUEUES: usize = 16;
const MAX_PIPE_LOOKBACK: u32 = 16;
/// Most commands shown per queue.
const MAX_QUEUE_COMMANDS: u32 = 8;

/// The work queues the last `RunWorkQueue` messages on each pipe named: their ring indices and
/// the commands the firmware had not run yet.
fn work_queues<Q: QueueInfoView, M: RunMsgView>(
    out: &mut String,
    dump: &Dump<'_>,
    channels: &[(ChannelId, ChannelRing)],
) {
    let msg_size = core::mem::size_of::<M>() as u64;
    let mut queues: Vec<(u64, String)> = Vec::new();
    for &(id, ring) in channels {
        if !matches!(id, ChannelId::Pipe { .. }) || ring.state.is_null() {
            continue;
        }
        let Ok(st) = read_struct::<ChannelState>(dump, ring.state.va()) else {
            continue;
        };
        let Some(p) = RingPtrs::new(id.entries(), st.read_ptr, st.write_ptr) else {
            continue;
        };
        // Messages before the write index, newest first (the firmware consumed most of them).
        let mut index = p.write();
        for _ in 0..MAX_PIPE_LOOKBACK.min(p.count()) {
            index = index.checked_sub(1).unwrap_or(p.count() - 1);
            let at = ring
                .ring
                .va()
                .wrapping_add(u64::from(index).wrapping_mul(msg_size));
            let Ok(msg) = read_struct::<M>(dump, at) else {
                break;
            };
            let qi = msg.work_queue().va();
            if qi == 0 {
                break;
            }
            if !queues.iter().any(|(q, _)| *q == qi) && queues.len() < MAX_QUEUES {
                queues.push((qi, channel_name(id)));
            }
        }
    }
    if queues.is_empty() {
        out.push_str("  Work queues: none named on the pipes\n");
        return;
    }
    let _ = writeln!(out, "  Work queues ({} named on the pipes)", queues.len());
    for (qi, pipe) in queues {
        work_queue::<Q>(out, dump, qi, &pipe);
    }
}

fn work_queue<Q: QueueInfoView>(out: &mut String, dump: &Dump<'_>, qi: u64, pipe: &str) {
    let q: Q = match read_struct(dump, qi) {
        Ok(q) => q,
        Err(e) => {
            let _ = writeln!(
                out,
                "    QueueInfo @ {qi:#x} ({pipe}): {}",
                VaErrorDisplay(&e)
            );
            return;
        }
    };
    let rs: RingState = match read_struct(dump, q.state().va()) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(
                out,
                "    QueueInfo @ {qi:#x} ({pipe}): event slot {}, ring state: {}",
                q.event_id(),
                VaErrorDisplay(&e)
            );
            return;
        }
    };
    let size = rs.rb_size;
    let pending = if size == 0 || rs.gpu_rptr >= size || rs.cpu_wptr >= size {
        None
    } else {
        Some((rs.cpu_wptr + size - rs.gpu_rptr) % size)
    };
    let _ = writeln!(
        out,
        "    QueueInfo @ {qi:#x} ({pipe}): event slot {}, priority {}, context {:#x}, ring {:#x} ({} entries), gpu_rptr {}, cpu_wptr {}, {}",
        q.event_id(),
        q.priority(),
        q.gpu_context().va(),
        q.ring().va(),
        size,
        rs.gpu_rptr,
        rs.cpu_wptr,
        match pending {
            Some(n) => format!("{n} commands not run"),
            None => "indices corrupt".into(),
        }
    );
    let Some(n) = pending else {
        return;
    };
    let mut index = rs.gpu_rptr;
    for _ in 0..n.min(MAX_QUEUE_COMMANDS) {
        let at = q.ring().va().wrapping_add(u64::from(index) * 8);
        let text = match read_struct::<U64>(dump, at) {
            Err(e) => format!("{}", VaErrorDisplay(&e)),
            Ok(ptr) => describe_command(dump, ptr.get()),
        };
        let _ = writeln!(out, "      [{index}] {text}");
        index = (index + 1) % size;
    }
    if n > MAX_QUEUE_COMMANDS {
        let _ = writeln!(out, "      … {} more", n - MAX_QUEUE_COMMANDS);
    }
}

/// Describes the run command at `va` (the driver's virtual run command).
pub fn describe_command(dump: &Dump<'_>, va: u64) -> String {
    match read_struct::<VirtualRunCommand>(dump, va) {
        Err(e) => format!("command @ {va:#x}: {}", VaErrorDisplay(&e)),
        Ok(c) => {
            let kind = match CommandType::from_u32(c.tag) {
                Some(CommandType::RunVertex) => "vertex",
                Some(CommandType::RunFragment) => "fragment",
                Some(CommandType::RunCompute) => "compute",
                Some(CommandType::Barrier) => "barrier",
                Some(_) => "other",
                None => "unknown",
            };
            format!(
                "command @ {va:#x}: {kind} (tag {}), slot {}, stamp {:#x}{}, vm slot {}, stream {:#x}, context {:#x}",
                c.tag,
                c.event_slot,
                c.stamp_value,
                if c.flags & VirtualRunCommand::FLAG_COMPLETE != 0 {
                    " (completes the job)"
                } else {
                    ""
                },
                c.vm_slot,
                c.stream.va(),
                c.gpu_context.va()
            )
        }
    }
}

fn event_messages(out: &mut String, dump: &Dump<'_>, ring: u64, ptrs: RingPtrs) {
    let mut index = ptrs.read();
    let shown = ptrs.used().min(MAX_RING_MESSAGES);
    for _ in 0..shown {
        let at = ring.wrapping_add(
            u64::from(index).wrapping_mul(core::mem::size_of::<RawEventMsg>() as u64),
        );
        match read_struct::<RawEventMsg>(dump, at) {
            Err(e) => {
                let _ = writeln!(out, "      event [{index}]: {}", VaErrorDisplay(&e));
                return;
            }
            Ok(raw) => {
                let _ = writeln!(out, "      event [{index}]: {}", describe_event(&raw));
            }
        }
        index = agx_firmware_defs::channels::next_index(index, ptrs.count());
    }
    if ptrs.used() > shown {
        let _ = writeln!(out, "      … {} more", ptrs.used().saturating_sub(shown));
    }
}

/// Describes one event-ring message.
pub fn describe_event(raw: &RawEventMsg) -> String {
    match EventMsg::decode(raw) {
        EventMsg::Fault => "fault (details in the fault-info register)".into(),
        EventMsg::Flag { firing, unk_14 } => {
            let slots: Vec<String> = firing.slots().map(|s| s.to_string()).collect();
            format!("flag: event slots fired [{}] (unk_14 {unk_14:#x})", slots.join(", "))
        }
        EventMsg::Timeout {
            counter,
            unk_8,
            event_slot,
        } => format!("timeout: counter {counter}, unk_8 {unk_8:#x}, event slot {event_slot}"),
        EventMsg::GrowTvb {
            vm_slot,
            buffer_slot,
            counter,
        } => format!("grow TVB: vm slot {vm_slot}, buffer slot {buffer_slot}, counter {counter}"),
        EventMsg::ChannelError {
            error_type,
            pipe_type,
            event_slot,
            event_value,
        } => format!(
            "channel error {error_type:?}: pipe {pipe_type}, event slot {event_slot}, value {event_value:#x}"
        ),
        EventMsg::Unknown(r) => format!("unknown type {:#x}", r.msg_type),
    }
}

fn fw_status(out: &mut String, dump: &Dump<'_>, va: u64) {
    let st: FwStatus = match read_struct(dump, va) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(out, "  FwStatus @ {va:#x}: {}", VaErrorDisplay(&e));
            return;
        }
    };
    let _ = writeln!(
        out,
        "  FwStatus @ {va:#x}: halt_count {}, halted {}, resume {}",
        st.flags.halt_count, st.flags.halted, st.flags.resume
    );
    let ring = st.fwctl_channel;
    let name = channel_name(ChannelId::FwCtl);
    let prefix = format!(
        "    {name:<20} state {:#018x} ring {:#018x}",
        ring.state.va(),
        ring.ring.va()
    );
    match ring.state.get() {
        None => {
            let _ = writeln!(out, "{prefix}  (not set up)");
        }
        Some(s) => match read_struct::<FwCtlChannelState>(dump, s) {
            Err(e) => {
                let _ = writeln!(out, "{prefix}  state: {}", VaErrorDisplay(&e));
            }
            Ok(cs) => {
                let count = ChannelId::FwCtl.entries();
                let (text, _) = ring_status(count, cs.read_ptr, cs.write_ptr);
                let _ = writeln!(out, "{prefix}  {text}  driver→fw");
            }
        },
    }
}

/// One firmware log line found in a dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FwLogLine {
    /// Sequence number (the order the firmware wrote the lines in).
    pub seq: u32,
    /// Level: the sub-ring, 0 (debug) to 5 (critical).
    pub level: usize,
    /// Firmware timestamp.
    pub timestamp: u64,
    /// The text.
    pub text: String,
    /// Not yet consumed by the driver (between the sub-ring's read and write pointers).
    pub unread: bool,
}

/// The firmware log lines still in the payload buffer, oldest first (by sequence number).
///
/// Payloads stay in the buffer after the driver consumed their index messages, until the
/// firmware reuses them, so this is the recent history, not only what is pending. Sub-ring `i`
/// has its state at `ring.state + i * 0x30`, its index messages at
/// `ring.ring + i * 0x100 * 0x38` and its payloads at `buf + i * 0x100 * 0xd8`.
pub fn fwlog_lines(dump: &Dump<'_>, ring: ChannelRing, buf: GpuPtr) -> Vec<FwLogLine> {
    let mut lines = Vec::new();
    let Some(buf) = buf.get() else {
        return lines;
    };
    let entries = ChannelId::FwLog.entries();
    let step = |n: usize, size: usize| u64::try_from(n.saturating_mul(size)).unwrap_or(u64::MAX);
    for level in 0..FWLOG_SUB_RINGS {
        // Payload indices named by the index messages not yet consumed.
        let mut unread = Vec::new();
        let state = ring
            .state
            .va()
            .wrapping_add(step(level, core::mem::size_of::<ChannelState>()));
        let ptrs = read_struct::<ChannelState>(dump, state)
            .ok()
            .and_then(|s| RingPtrs::new(entries, s.read_ptr, s.write_ptr));
        if let (Some(mut p), Some(ring_va)) = (ptrs, ring.ring.get()) {
            let base = level.saturating_mul(entries as usize);
            while let Some(next) = p.consume() {
                let at = ring_va.wrapping_add(step(
                    base.saturating_add(p.read() as usize),
                    core::mem::size_of::<RawFwLogMsg>(),
                ));
                if let Ok(m) = read_struct::<RawFwLogMsg>(dump, at) {
                    if m.msg_type == FWLOG_MSG_INDEX {
                        unread.push(m.msg_index.get());
                    }
                }
                p = next;
            }
        }
        for i in 0..FWLOG_PAYLOADS_PER_RING {
            let index = level
                .saturating_mul(FWLOG_PAYLOADS_PER_RING)
                .saturating_add(i);
            let at = buf.wrapping_add(step(index, core::mem::size_of::<RawFwLogPayloadMsg>()));
            let Ok(p) = read_struct::<RawFwLogPayloadMsg>(dump, at) else {
                continue;
            };
            if p.msg_type != FWLOG_MSG_PAYLOAD {
                continue;
            }
            let Some(text) = p.text() else {
                continue;
            };
            lines.push(FwLogLine {
                seq: p.seq_no,
                level,
                timestamp: p.timestamp.get(),
                text: String::from_utf8_lossy(text).into_owned(),
                unread: unread.contains(&u64::try_from(i).unwrap_or(u64::MAX)),
            });
        }
    }
    lines.sort_by_key(|l| l.seq);
    lines
}

fn firmware_log(out: &mut String, dump: &Dump<'_>, ring: ChannelRing, buf: GpuPtr) {
    if ring.state.is_null() || buf.is_null() {
        out.push_str("  Firmware log: not set up\n");
        return;
    }
    let lines = fwlog_lines(dump, ring, buf);
    let skip = lines.len().saturating_sub(MAX_FWLOG_LINES);
    let _ = writeln!(
        out,
        "  Firmware log @ {:#x} ({} lines, oldest first{})",
        buf.va(),
        lines.len(),
        if skip > 0 {
            format!(", the last {MAX_FWLOG_LINES}")
        } else {
            String::new()
        }
    );
    for l in lines.iter().skip(skip) {
        let _ = writeln!(
            out,
            "    fwlog #{:<5} {:<6} t={:<14} {}{}",
            l.seq,
            FWLOG_LEVEL_NAMES.get(l.level).unwrap_or(&"?"),
            l.timestamp,
            l.text,
            if l.unread { "  (unread)" } else { "" }
        );
    }
}

/// The newest KTrace records (at most `max`), oldest first: the entries before the write
/// pointer, whether or not the driver consumed them; never-written (all-zero) entries end the
/// walk.
pub fn ktrace(dump: &Dump<'_>, ring: ChannelRing, max: u32) -> Vec<RawKTraceMsg> {
    let count = ChannelId::KTrace.entries();
    let (Some(state), Some(ring_va)) = (ring.state.get(), ring.ring.get()) else {
        return Vec::new();
    };
    let Some(ptrs) = read_struct::<ChannelState>(dump, state)
        .ok()
        .and_then(|s| RingPtrs::new(count, s.read_ptr, s.write_ptr))
    else {
        return Vec::new();
    };
    let mut records = Vec::new();
    let mut index = ptrs.write();
    // One entry always stays free, so at most count - 1 were written since it was reused.
    for _ in 0..max.min(count.saturating_sub(1)) {
        index = index.checked_sub(1).unwrap_or(count.saturating_sub(1));
        let at = ring_va.wrapping_add(
            u64::from(index).wrapping_mul(core::mem::size_of::<RawKTraceMsg>() as u64),
        );
        match read_struct::<RawKTraceMsg>(dump, at) {
            Ok(m) if m != RawKTraceMsg::default() => records.push(m),
            _ => break,
        }
    }
    records.reverse();
    records
}

fn ktrace_records(out: &mut String, dump: &Dump<'_>, ring: ChannelRing) {
    if ring.state.is_null() || ring.ring.is_null() {
        out.push_str("  KTrace: not set up\n");
        return;
    }
    let records = ktrace(dump, ring, MAX_KTRACE_RECORDS);
    let _ = writeln!(
        out,
        "  KTrace @ {:#x} (the last {} records, oldest first)",
        ring.ring.va(),
        records.len()
    );
    for r in records {
        let [a0, a1, a2, a3] = r.args.0.map(U64::get);
        let _ = writeln!(
            out,
            "    ktrace t={:<14} code {:#04x} args [{a0:#x}, {a1:#x}, {a2:#x}, {a3:#x}]",
            r.timestamp.get(),
            r.code
        );
    }
}
