// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The dump's memory: the segment table and `--map` lines with their decoded protection, the
//! `--read` hex dump, and [`read_struct`], the bounds-checked read every structure walk uses.

use core::fmt::Write as _;

use agx_firmware_defs::uat::{Ap, MemAttr, Perm, Prot, Pte};
use zerocopy::{FromBytes, Immutable, KnownLayout};

use super::Error;
use crate::format::pte::{flags_pte_bits, flags_rwx};
use crate::format::{Dump, LoadSegment, VaError, GPU_PAGE_SIZE_U64};

/// Most bytes `--read` will dump.
pub const MAX_READ: u64 = 64 << 20;

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
    let gpu_bit = if Pte(pte).gpu_access() {
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

pub(super) fn segment_table(out: &mut String, dump: &Dump<'_>) {
    let _ = writeln!(out, "Segments ({})", dump.segment_count());
    let _ = writeln!(
        out,
        "    #  gpu va range                       phys           pages  data  elf  p_flags   protection"
    );
    segment_lines(out, dump);
    let (mut pages, mut data_pages, mut user_pages) = (0u64, 0u64, 0u64);
    for s in dump.segments() {
        pages = pages.saturating_add(s.pages());
        if s.has_data {
            data_pages = data_pages.saturating_add(s.pages());
        }
        if s.is_user() {
            user_pages = user_pages.saturating_add(s.pages());
        }
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
    segment_lines(&mut out, dump);
    out
}

/// Appends a [`segment_line`] for every segment.
fn segment_lines(out: &mut String, dump: &Dump<'_>) {
    for (i, s) in dump.segments().enumerate() {
        out.push_str(&segment_line(i, &s));
        out.push('\n');
    }
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
pub(super) fn read_struct<T: FromBytes + KnownLayout + Immutable>(
    dump: &Dump<'_>,
    va: u64,
) -> Result<T, VaError> {
    let mut buf = vec![0u8; core::mem::size_of::<T>()];
    dump.read_va(va, &mut buf)?;
    // The buffer has exactly the size of `T`, so this cannot fail.
    T::read_from_bytes(&buf).map_err(|_| VaError::NoData(va))
}

/// Reads entry `index` of the array of `T`s at GPU VA `base` (a ring's messages).
pub(super) fn read_entry<T: FromBytes + KnownLayout + Immutable>(
    dump: &Dump<'_>,
    base: u64,
    index: u32,
) -> Result<T, VaError> {
    let at = base.wrapping_add(u64::from(index).wrapping_mul(core::mem::size_of::<T>() as u64));
    read_struct(dump, at)
}
