// SPDX-License-Identifier: GPL-2.0 OR MIT

//! How a UAT leaf PTE becomes a `PT_LOAD`'s `p_paddr` and `p_flags`, and back.
//!
//! `p_flags` layout (bit 31 first):
//!
//! ```text
//! 31      20 19       8 7   3 2 1 0
//! [PTE 63:52][PTE 11:0 ][ 0  ] R W X
//! ```
//!
//! - bits \[31:20\]: PTE bits \[63:52\] (bit 53 PXN, 54 UXN, 55 GPU access; the rest as found);
//! - bits \[19:8\]: PTE bits \[11:0\] as downstream re-encodes them from its `Prot`: AP
//!   (\[7:6\]) and memattr (\[4:2\]) from the PTE, AF (bit 10) always set, everything else
//!   (type bits \[1:0\], NG bit 11) zero;
//! - bits \[7:4\]: zero;
//! - bit 3: [`FLAG_USER_MEMORY`], set on segments that map memory the driver does not own (user
//!   buffers, such as timestamp buffers); such segments never carry data. This bit is ours:
//!   downstream leaves it zero;
//! - bits \[2:0\]: ELF `PF_R`/`PF_W`/`PF_X` from [`PROT_TO_PERMS_FW`] if the GPU-access bit is
//!   clear, else from [`PROT_TO_PERMS_OS`], indexed `[AP][UXN << 1 | PXN]`.
//!
//! Source: downstream `pgtable.rs` `Prot::from_pte`, `Prot::elf_flags`, `Prot::as_pte`,
//! `PROT_TO_PERMS_FW`, `PROT_TO_PERMS_OS`, `PTE_ADDR_BITS` (AsahiLinux tree as mirrored in
//! kkpan11/AsahiLinux-linux, commit 27d733ab, `drivers/gpu/drm/asahi/pgtable.rs`), and
//! `crashdump.rs` (`p_paddr = pte & PTE_ADDR_BITS`, `p_flags = Prot::from_pte(pte).elf_flags()`;
//! kkpan11/AsahiLinux-linux e3d4a95d and herrnst/linux-asahi bf91b7c4).

use super::elf::{PF_R, PF_W, PF_X};

/// Shift of the PTE's high attribute bits \[63:52\].
pub const PTE_HIGH_SHIFT: u32 = 52;
/// PTE bits \[63:52\].
pub const PTE_HIGH_MASK: u64 = 0xfff << PTE_HIGH_SHIFT;
/// PTE access flag (bit 10).
pub const PTE_AF: u64 = 1 << 10;
/// Shift of the PTE's AP field.
pub const PTE_AP_SHIFT: u32 = 6;
/// PTE AP field, bits \[7:6\].
pub const PTE_AP_MASK: u64 = 3 << PTE_AP_SHIFT;
/// Shift of the PTE's memory-attribute index.
pub const PTE_MEMATTR_SHIFT: u32 = 2;
/// PTE memory-attribute index, bits \[4:2\].
pub const PTE_MEMATTR_MASK: u64 = 7 << PTE_MEMATTR_SHIFT;
/// PTE PXN bit.
pub const PTE_PXN: u64 = 1 << 53;
/// PTE UXN bit.
pub const PTE_UXN: u64 = 1 << 54;
/// PTE GPU-access bit; selects [`PROT_TO_PERMS_OS`] when set.
pub const PTE_GPU_ACCESS: u64 = 1 << 55;
/// PTE output-address bits as downstream puts them in `p_paddr`: bits \[51:14\].
pub const PTE_ADDR_BITS: u64 = !(super::GPU_PAGE_SIZE_U64 - 1) & !PTE_HIGH_MASK;

/// Shift of the PTE's bits \[63:52\] within `p_flags`.
pub const FLAGS_HIGH_SHIFT: u32 = 20;
/// Shift of the PTE's bits \[11:0\] within `p_flags`.
pub const FLAGS_LOW_SHIFT: u32 = 8;
/// `p_flags` bit of a segment mapping memory the driver does not own (user buffers mapped for
/// the firmware, such as timestamp buffers): its pages are never captured (`p_filesz` 0), and
/// a reader rejects such a segment with data. Bits \[7:3\] are zero in downstream's dumps.
pub const FLAG_USER_MEMORY: u32 = 1 << 3;
/// Mask of the ELF RWX bits within `p_flags`.
pub const FLAGS_RWX_MASK: u32 = PF_R | PF_W | PF_X;

const RW: u32 = PF_R | PF_W;
const RX: u32 = PF_R | PF_X;

/// ELF permissions of a page whose GPU-access bit is clear, `[AP][UXN << 1 | PXN]`.
///
/// Source: downstream `pgtable.rs` `PROT_TO_PERMS_FW` (copied value for value).
pub const PROT_TO_PERMS_FW: [[u32; 4]; 4] = [
    [0, 0, 0, RW],
    [0, RW, 0, RW],
    [RX, RX, 0, PF_R],
    [RX, RW, 0, PF_R],
];

/// ELF permissions of a page whose GPU-access bit is set, `[AP][UXN << 1 | PXN]`. These are
/// the firmware-side permissions of the driver's mappings (GPU-only mappings give none).
///
/// Source: downstream `pgtable.rs` `PROT_TO_PERMS_OS` (copied value for value).
pub const PROT_TO_PERMS_OS: [[u32; 4]; 4] = [
    [0, PF_R, PF_W, RW],
    [PF_R, 0, RW, RW],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
];

/// Returns `p_paddr` for a page mapped by `pte`.
pub const fn pte_paddr(pte: u64) -> u64 {
    pte & PTE_ADDR_BITS
}

/// Returns the ELF `PF_*` permissions of `pte` (the low three bits of its `p_flags`).
pub fn pte_rwx(pte: u64) -> u32 {
    let ap = (pte & PTE_AP_MASK) >> PTE_AP_SHIFT;
    let col = (usize::from(pte & PTE_UXN != 0) << 1) | usize::from(pte & PTE_PXN != 0);
    let table = if pte & PTE_GPU_ACCESS != 0 {
        &PROT_TO_PERMS_OS
    } else {
        &PROT_TO_PERMS_FW
    };
    // Both indices are below 4 by construction, so the fallback is never taken.
    usize::try_from(ap)
        .ok()
        .and_then(|row| table.get(row))
        .and_then(|r| r.get(col))
        .copied()
        .unwrap_or(0)
}

/// Returns the PTE bits \[11:0\] as downstream records them: AP and memattr, plus AF.
pub const fn pte_low_bits(pte: u64) -> u64 {
    (pte & (PTE_AP_MASK | PTE_MEMATTR_MASK)) | PTE_AF
}

/// Returns `p_flags` for a page mapped by `pte` (see the module documentation).
pub fn pte_elf_flags(pte: u64) -> u32 {
    let high = pte >> PTE_HIGH_SHIFT;
    let low = pte_low_bits(pte);
    // CAST: `high` and `low` have 12 bits each, so the shifted values fit in 32 bits.
    ((high as u32) << FLAGS_HIGH_SHIFT) | ((low as u32) << FLAGS_LOW_SHIFT) | pte_rwx(pte)
}

/// Rebuilds the PTE attribute bits (\[63:52\] and \[11:0\], no address) recorded in `p_flags`.
pub const fn flags_pte_bits(p_flags: u32) -> u64 {
    // CAST: widening.
    let high = (p_flags >> FLAGS_HIGH_SHIFT) as u64;
    let low = ((p_flags >> FLAGS_LOW_SHIFT) & 0xfff) as u64;
    (high << PTE_HIGH_SHIFT) | low
}

/// Returns the ELF RWX bits of `p_flags`.
pub const fn flags_rwx(p_flags: u32) -> u32 {
    p_flags & FLAGS_RWX_MASK
}
