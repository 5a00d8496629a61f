//! The UAT (AGX GPU MMU) page-table format, the TTBAT and the handoff region.
//!
//! The UAT is close to the ARM64 stage-1 format with a 16 KiB granule: three levels of 2048
//! eight-byte entries translate a 39-bit input address per half. The lower half (TTBR0,
//! `0..2^39`) holds user contexts; the upper half (TTBR1, from `0xffffff80_00000000`) holds the
//! kernel/firmware context. The TTBAT holds one `{ttb0, ttb1}` pair for each of 64 contexts
//! (slot = ASID, slot 0 = kernel). The handoff region coordinates TTB changes and cache flushes
//! with the firmware.
//!
//! Everything here is pure: the functions encode and decode values and compute indices; they
//! never touch memory.
//!
//! Sources: downstream `pgtable.rs` (bit positions, permission encodings, OAS mask, table walk
//! indices), `mmu.rs` (TTBAT entry, handoff layout, VA ranges), `gpu.rs` (kernel VA ranges),
//! `hw/t8103.rs` (`uat_oas: 40`); reference §5.

use super::bitfield::{bitfield, Bits};
use super::plain::{plain_derive, plain_fields, plain_layout, Plain};
use core::ops::Range;

/// log2 of the UAT page size.
pub const PAGE_SHIFT: u32 = 14;
/// UAT page size (16 KiB).
pub const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;
/// Mask of the in-page offset bits.
pub const PAGE_MASK: u64 = PAGE_SIZE - 1;
/// Size of one page-table entry.
pub const PTE_SIZE: u64 = 8;
/// Entries per page table (one page of PTEs).
pub const ENTRIES_PER_TABLE: usize = 2048;
/// Address bits translated by one level (log2 of [`ENTRIES_PER_TABLE`]).
pub const LEVEL_BITS: u32 = 11;
/// Number of translation levels.
pub const LEVELS: usize = 3;
/// Input address bits per half (UAT_IAS).
pub const VA_BITS: u32 = 39;
/// Mask of the per-half input address.
pub const VA_MASK: u64 = (1 << VA_BITS) - 1;
/// Base of the upper (TTBR1, kernel/firmware) half.
pub const UPPER_HALF_BASE: u64 = 0xffff_ff80_0000_0000;
/// Output address size of t8103 (G13G), which the virtual AGX models.
pub const OAS_T8103: u32 = 40;

/// A translation level, from the root table down to the leaf table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Root table: VA bits \[38:36\], 8 used entries.
    Root,
    /// Middle table: VA bits \[35:25\]; each entry covers 32 MiB.
    Mid,
    /// Leaf table: VA bits \[24:14\]; each entry maps one 16 KiB page.
    Leaf,
}

impl Level {
    /// All levels in walk order.
    pub const WALK: [Level; LEVELS] = [Level::Root, Level::Mid, Level::Leaf];

    /// Lowest VA bit indexed by this level.
    pub const fn shift(self) -> u32 {
        match self {
            Level::Root => PAGE_SHIFT + 2 * LEVEL_BITS,
            Level::Mid => PAGE_SHIFT + LEVEL_BITS,
            Level::Leaf => PAGE_SHIFT,
        }
    }

    /// Number of entries of this level reachable with a 39-bit VA.
    pub const fn entries(self) -> usize {
        match self {
            Level::Root => 1 << (VA_BITS - Level::Root.shift()),
            Level::Mid | Level::Leaf => ENTRIES_PER_TABLE,
        }
    }

    /// Bytes of VA covered by one entry of this level.
    pub const fn entry_span(self) -> u64 {
        1 << self.shift()
    }
}

/// Which TTBR half a VA belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Half {
    /// `0..2^39`, translated through TTBR0 (user contexts, and the kernel's lower VM).
    Lower,
    /// `0xffffff80_00000000..`, translated through TTBR1 (kernel/firmware).
    Upper,
}

/// Returns the half `va` belongs to, or `None` if it lies in neither (non-canonical).
pub const fn half(va: u64) -> Option<Half> {
    if va <= VA_MASK {
        Some(Half::Lower)
    } else if va >= UPPER_HALF_BASE {
        Some(Half::Upper)
    } else {
        None
    }
}

/// Returns the table index for `va` at `level` (the half is ignored).
pub const fn index(va: u64, level: Level) -> usize {
    let idx = ((va & VA_MASK) >> level.shift()) & (ENTRIES_PER_TABLE as u64 - 1);
    // CAST: `idx` is below 2048.
    idx as usize
}

/// Returns the `[root, mid, leaf]` table indices for `va`.
pub const fn indices(va: u64) -> [usize; LEVELS] {
    [
        index(va, Level::Root),
        index(va, Level::Mid),
        index(va, Level::Leaf),
    ]
}

/// Rebuilds the page-aligned VA of `indices` in `half` (inverse of [`indices`]).
pub const fn va_from_indices(half: Half, indices: [usize; LEVELS]) -> u64 {
    // CAST: indices are table indices; higher bits are masked off.
    let low = (((indices[0] as u64) << Level::Root.shift())
        | ((indices[1] as u64 & 0x7ff) << Level::Mid.shift())
        | ((indices[2] as u64 & 0x7ff) << Level::Leaf.shift()))
        & VA_MASK;
    match half {
        Half::Lower => low,
        Half::Upper => UPPER_HALF_BASE | low,
    }
}

/// Memory attribute index, PTE bits \[4:2\].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemAttr {
    /// Normal cached memory (firmware-private mappings).
    Cached = 0,
    /// Device memory (firmware MMIO mappings).
    Device = 1,
    /// Normal uncached memory (shared mappings).
    Uncached = 2,
}

impl MemAttr {
    /// Decodes the 3-bit field.
    pub const fn from_bits(v: u64) -> Option<Self> {
        match v {
            0 => Some(MemAttr::Cached),
            1 => Some(MemAttr::Device),
            2 => Some(MemAttr::Uncached),
            _ => None,
        }
    }
}

/// Access-permission class, PTE bits \[7:6\].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ap {
    /// Accessible to firmware and GPU.
    FwGpu = 0,
    /// Firmware only (the GPU may get read access, see [`Prot`]).
    Fw = 1,
    /// GPU only.
    Gpu = 2,
}

impl Ap {
    /// Decodes the 2-bit field.
    pub const fn from_bits(v: u64) -> Option<Self> {
        match v {
            0 => Some(Ap::FwGpu),
            1 => Some(Ap::Fw),
            2 => Some(Ap::Gpu),
            _ => None,
        }
    }
}

/// Read/write permission of one agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Perm {
    /// No access.
    None,
    /// Read only.
    Ro,
    /// Write only.
    Wo,
    /// Read and write.
    Rw,
}

bitfield! {
    /// A UAT page-table entry, table or leaf (the output address is [`oa_mask`]'s bits).
    pub struct Pte(u64) {
        /// Entry type: [`PTE_TYPE_VALID`] for a valid table or page; any other non-zero value
        /// is invalid.
        TYPE @ 1:0 ty, set_ty: u8;
        /// Memory attribute ([`MemAttr`]).
        MEMATTR @ 4:2 memattr, set_memattr: u8;
        /// Access-permission class ([`Ap`]).
        AP @ 7:6 ap, set_ap: u8;
        /// Access flag; set in every leaf PTE.
        AF @ 10:10 af, set_af: bool;
        /// Non-global: set in user (TTBR0, driver-owned table) leaves, clear in kernel ones.
        NG @ 11:11 ng, set_ng: bool;
        /// Output address in 16 KiB pages (the first [`MAX_OAS`] bits of the address).
        OA @ 47:14 oa_page, set_oa_page: u64;
        /// PXN; part of the permission encoding (see [`Prot`]).
        PXN @ 53:53 pxn, set_pxn: bool;
        /// UXN; part of the permission encoding (see [`Prot`]).
        UXN @ 54:54 uxn, set_uxn: bool;
        /// GPU access; set by every driver mapping.
        GPU_ACCESS @ 55:55 gpu_access, set_gpu_access: bool;
    }
}

/// Page-type field value for valid table and page entries (bits \[1:0\]).
pub const PTE_TYPE_VALID: u64 = 3;
/// Mask of the page-type field.
pub const PTE_TYPE_MASK: u64 = Pte::TYPE.mask();
/// Shift of the memory attribute field.
pub const PTE_MEMATTR_SHIFT: u32 = Pte::MEMATTR.lo;
/// Mask of the memory attribute field.
pub const PTE_MEMATTR_MASK: u64 = Pte::MEMATTR.mask();
/// Shift of the access-permission field.
pub const PTE_AP_SHIFT: u32 = Pte::AP.lo;
/// Mask of the access-permission field.
pub const PTE_AP_MASK: u64 = Pte::AP.mask();
/// Access flag ([`Pte::af`]).
pub const PTE_AF: u64 = Pte::AF.mask();
/// Non-global bit ([`Pte::ng`]).
pub const PTE_NG: u64 = Pte::NG.mask();
/// PXN bit ([`Pte::pxn`]).
pub const PTE_PXN: u64 = Pte::PXN.mask();
/// UXN bit ([`Pte::uxn`]).
pub const PTE_UXN: u64 = Pte::UXN.mask();
/// GPU-access bit ([`Pte::gpu_access`]).
pub const PTE_GPU_ACCESS: u64 = Pte::GPU_ACCESS.mask();
/// All protection bits (AP, memattr, PXN/UXN/GPU-access), as replaced by a re-protect.
pub const PTE_PROT_MASK: u64 = PTE_AP_MASK | PTE_MEMATTR_MASK | PTE_PXN | PTE_UXN | PTE_GPU_ACCESS;
/// Highest output address size the PTE format can hold.
pub const MAX_OAS: u32 = 48;

/// Mask of the output-address bits of a PTE for an output address size of `oas` bits.
///
/// Source: downstream `pgtable.rs`: `phys = pte & oas_mask & !UAT_PGMSK`,
/// `oas_mask = (1 << oas) - 1`.
pub const fn oa_mask(oas: u32) -> u64 {
    let oas = if oas > MAX_OAS { MAX_OAS } else { oas };
    ((1u64 << oas) - 1) & !PAGE_MASK
}

/// A mapping protection: memory attribute, permission class and the UXN/PXN bits.
///
/// The meaning of UXN/PXN depends on the AP class. This table is downstream's `pgtable.rs`
/// naming of each combination (the permissions are as named there, not verified here):
///
/// | AP | UXN=0,PXN=0 | UXN=0,PXN=1 | UXN=1,PXN=0 | UXN=1,PXN=1 |
/// |---|---|---|---|---|
/// | FwGpu | both none | both RO | both WO | both RW |
/// | Fw | FW RO | FW none | FW RW | FW RW, GPU RO |
/// | Gpu | GPU RO | GPU WO | GPU RW | GPU none |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prot {
    /// Memory attribute.
    pub memattr: MemAttr,
    /// Permission class.
    pub ap: Ap,
    /// UXN bit.
    pub uxn: bool,
    /// PXN bit.
    pub pxn: bool,
}

impl Prot {
    const fn base(ap: Ap, uxn: bool, pxn: bool, memattr: MemAttr) -> Self {
        Self {
            memattr,
            ap,
            uxn,
            pxn,
        }
    }

    /// Firmware MMIO, read/write.
    pub const FW_MMIO_RW: Prot = Prot::base(Ap::Fw, true, false, MemAttr::Device);
    /// Firmware MMIO, read-only.
    pub const FW_MMIO_RO: Prot = Prot::base(Ap::Fw, false, false, MemAttr::Device);
    /// Firmware shared (uncached), read/write.
    pub const FW_SHARED_RW: Prot = Prot::base(Ap::Fw, true, false, MemAttr::Uncached);
    /// Firmware shared (uncached), read-only.
    pub const FW_SHARED_RO: Prot = Prot::base(Ap::Fw, false, false, MemAttr::Uncached);
    /// Firmware private (cached), read/write.
    pub const FW_PRIV_RW: Prot = Prot::base(Ap::Fw, true, false, MemAttr::Cached);
    /// Firmware and GPU shared (uncached), read/write.
    pub const GPU_FW_SHARED_RW: Prot = Prot::base(Ap::FwGpu, true, true, MemAttr::Uncached);
    /// Firmware and GPU private (cached), read/write.
    pub const GPU_FW_PRIV_RW: Prot = Prot::base(Ap::FwGpu, true, true, MemAttr::Cached);
    /// Firmware read/write, GPU read-only, cached.
    pub const GPU_RO_FW_PRIV_RW: Prot = Prot::base(Ap::Fw, true, true, MemAttr::Cached);
    /// GPU shared/coherent (uncached), read/write.
    pub const GPU_SHARED_RW: Prot = Prot::base(Ap::Gpu, true, false, MemAttr::Uncached);
    /// GPU shared/coherent (uncached), read-only.
    pub const GPU_SHARED_RO: Prot = Prot::base(Ap::Gpu, false, false, MemAttr::Uncached);
    /// GPU shared/coherent (uncached), write-only.
    pub const GPU_SHARED_WO: Prot = Prot::base(Ap::Gpu, false, true, MemAttr::Uncached);

    /// Returns this protection with another memory attribute.
    pub const fn with_memattr(self, memattr: MemAttr) -> Self {
        Self { memattr, ..self }
    }

    /// `true` for cached mappings the firmware can see; these need a firmware cache flush
    /// before they are unmapped (downstream `Prot::is_cached_noncoherent`).
    pub const fn is_cached_noncoherent(self) -> bool {
        !matches!(self.ap, Ap::Gpu) && matches!(self.memattr, MemAttr::Cached)
    }

    /// The PTE bits of this protection, including the AF and GPU-access bits.
    pub const fn pte_bits(self) -> u64 {
        // CAST: fieldless enum discriminants, all below 8.
        Pte(0)
            .set_ap(self.ap as u8)
            .set_memattr(self.memattr as u8)
            .set_uxn(self.uxn)
            .set_pxn(self.pxn)
            .set_gpu_access(true)
            .set_af(true)
            .0
    }

    /// Decodes the protection of a PTE; `None` for reserved AP or memattr values.
    pub const fn from_pte(pte: u64) -> Option<Self> {
        let pte = Pte(pte);
        // CAST: widening.
        let memattr = match MemAttr::from_bits(pte.memattr() as u64) {
            Some(m) => m,
            None => return None,
        };
        // CAST: widening.
        let ap = match Ap::from_bits(pte.ap() as u64) {
            Some(a) => a,
            None => return None,
        };
        Some(Self {
            memattr,
            ap,
            uxn: pte.uxn(),
            pxn: pte.pxn(),
        })
    }

    /// Returns the `(firmware, gpu)` permissions of this protection (see the table above).
    pub const fn access(self) -> (Perm, Perm) {
        match (self.ap, self.uxn, self.pxn) {
            (Ap::FwGpu, false, false) => (Perm::None, Perm::None),
            (Ap::FwGpu, false, true) => (Perm::Ro, Perm::Ro),
            (Ap::FwGpu, true, false) => (Perm::Wo, Perm::Wo),
            (Ap::FwGpu, true, true) => (Perm::Rw, Perm::Rw),
            (Ap::Fw, false, false) => (Perm::Ro, Perm::None),
            (Ap::Fw, false, true) => (Perm::None, Perm::None),
            (Ap::Fw, true, false) => (Perm::Rw, Perm::None),
            (Ap::Fw, true, true) => (Perm::Rw, Perm::Ro),
            (Ap::Gpu, false, false) => (Perm::None, Perm::Ro),
            (Ap::Gpu, false, true) => (Perm::None, Perm::Wo),
            (Ap::Gpu, true, false) => (Perm::None, Perm::Rw),
            (Ap::Gpu, true, true) => (Perm::None, Perm::None),
        }
    }
}

/// Whether a leaf mapping is global (kernel) or per-context (user, non-global).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Kernel mapping in the bootloader-provided TTBR1 table: NG clear.
    Global,
    /// User mapping in a driver-owned table: NG set.
    NonGlobal,
}

/// Why a PTE could not be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PteError {
    /// The physical address is not 16 KiB aligned.
    Misaligned,
    /// The physical address does not fit in the output-address field.
    OutOfRange,
}

/// Checks that `pa` is a page-aligned physical address the format can hold.
const fn check_pa(pa: u64) -> Result<u64, PteError> {
    if pa & PAGE_MASK != 0 {
        Err(PteError::Misaligned)
    } else if pa >> MAX_OAS != 0 {
        Err(PteError::OutOfRange)
    } else {
        Ok(pa)
    }
}

/// Encodes a leaf (page) PTE mapping `pa` with `prot`.
///
/// Source: downstream `map_pages`: `phys | prot.as_pte() | PTE_TYPE_LEAF_TABLE [| NG]`.
pub const fn encode_page(pa: u64, prot: Prot, scope: Scope) -> Result<u64, PteError> {
    let pa = match check_pa(pa) {
        Ok(pa) => pa,
        Err(e) => return Err(e),
    };
    let ng = matches!(scope, Scope::NonGlobal);
    Ok(Pte(pa | prot.pte_bits()).set_ng(ng).0 | PTE_TYPE_VALID)
}

/// Encodes a table PTE pointing at the next-level table at `pa`.
///
/// Source: downstream `with_pages`: `pt_paddr | PTE_TYPE_LEAF_TABLE`.
pub const fn encode_table(pa: u64) -> Result<u64, PteError> {
    match check_pa(pa) {
        Ok(pa) => Ok(pa | PTE_TYPE_VALID),
        Err(e) => Err(e),
    }
}

/// Re-protects a valid leaf PTE, keeping its address and scope (downstream `reprot_pages`).
pub const fn reprotect(pte: u64, prot: Prot) -> u64 {
    (pte & !PTE_PROT_MASK) | prot.pte_bits()
}

/// A decoded valid leaf PTE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageEntry {
    /// Physical address of the page.
    pub pa: u64,
    /// Protection; `None` if the AP or memattr field holds a reserved value.
    pub prot: Option<Prot>,
    /// Global or per-context.
    pub scope: Scope,
    /// Access flag.
    pub af: bool,
    /// GPU-access bit.
    pub gpu_access: bool,
}

/// `true` if the entry's type field marks a valid table or page.
pub const fn is_valid(pte: u64) -> bool {
    // CAST: widening.
    Pte(pte).ty() as u64 == PTE_TYPE_VALID
}

/// Decodes a leaf PTE; `None` if it is not valid.
pub const fn decode_page(pte: u64, oas: u32) -> Option<PageEntry> {
    if !is_valid(pte) {
        return None;
    }
    let bits = Pte(pte);
    Some(PageEntry {
        pa: pte & oa_mask(oas),
        prot: Prot::from_pte(pte),
        scope: if bits.ng() {
            Scope::NonGlobal
        } else {
            Scope::Global
        },
        af: bits.af(),
        gpu_access: bits.gpu_access(),
    })
}

/// Decodes a table PTE to the next-level table address; `None` if it is not valid.
pub const fn decode_table(pte: u64, oas: u32) -> Option<u64> {
    if is_valid(pte) {
        Some(pte & oa_mask(oas))
    } else {
        None
    }
}

/// Number of TTBAT contexts (slots = ASIDs).
pub const NUM_CONTEXTS: usize = 64;
/// The kernel's context slot.
pub const KERNEL_CONTEXT: u32 = 0;
/// First slot available to user VMs (63 user slots).
pub const FIRST_USER_CONTEXT: u32 = 1;

bitfield! {
    /// A TTBAT entry: one half ([`SlotTtbs::ttb0`] or [`SlotTtbs::ttb1`]) of a context's slot.
    ///
    /// Source: downstream `mmu.rs` (`TTBR_VALID`, `TTBR_ASID_SHIFT`); reference §5.
    pub struct TtbatEntry(u64) {
        /// The entry is valid.
        VALID @ 0:0 valid, set_valid: bool;
        /// The root table's address in 16 KiB pages.
        BASE @ 47:14 base_page, set_base_page: u64;
        /// The context's slot (ASID).
        ASID @ 63:48 asid, set_asid: u16;
    }
}

/// Valid bit of a TTBAT entry ([`TtbatEntry::valid`]).
pub const TTB_VALID: u64 = TtbatEntry::VALID.mask();
/// Shift of the slot (ASID) field of a TTBAT entry.
pub const TTB_ASID_SHIFT: u32 = TtbatEntry::ASID.lo;
/// Mask of the table-base field of a TTBAT entry (the base address in place).
pub const TTB_BASE_MASK: u64 = TtbatEntry::BASE.mask();

/// Encodes a TTBAT entry `base | 1 | slot << 48`; `None` if `base` is misaligned or out of
/// range or `slot` is not below [`NUM_CONTEXTS`].
///
/// Source: downstream `mmu.rs` (`TTBR_VALID`, `TTBR_ASID_SHIFT`); reference §5.
pub const fn ttbat_entry(base: u64, slot: u32) -> Option<u64> {
    // CAST: widening.
    if base & !TTB_BASE_MASK != 0 || slot as usize >= NUM_CONTEXTS {
        return None;
    }
    // CAST: `slot` is below NUM_CONTEXTS, checked above.
    Some(TtbatEntry(base).set_valid(true).set_asid(slot as u16).0)
}

/// Decodes a TTBAT entry to `(base, slot)`; `None` if the valid bit is clear.
pub const fn decode_ttbat_entry(entry: u64) -> Option<(u64, u32)> {
    let e = TtbatEntry(entry);
    if !e.valid() {
        return None;
    }
    // CAST: widening.
    Some((entry & TTB_BASE_MASK, e.asid() as u32))
}

plain_layout! {
    /// One TTBAT slot. The TTBAT (reserved-memory region `ttbs`) is `[SlotTtbs; NUM_CONTEXTS]`.
    ///
    /// Source: downstream `mmu.rs` `SlotTTBS`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct SlotTtbs {
        /// TTBR0 entry (lower half).
        pub ttb0: u64,
        /// TTBR1 entry (upper half).
        pub ttb1: u64,
    }
}

/// Size of the TTBAT.
pub const TTBAT_SIZE: usize = NUM_CONTEXTS * core::mem::size_of::<SlotTtbs>();
const _: () = assert!(core::mem::size_of::<SlotTtbs>() == 0x10);
const _: () = assert!(TTBAT_SIZE == 0x400);

/// Magic written by both sides of the handoff region ("PPL magic"): the AP writes it to
/// `magic_ap` before it waits for the firmware, the firmware to `magic_fw` once its page-table
/// manager runs (m1n1 `proxyclient/m1n1/fw/agx/handoff.py` `PPL_MAGIC`, downstream `mmu.rs`).
pub const HANDOFF_MAGIC: u64 = 0x4b1d_0000_0000_0002;
/// Handoff flush slot used for kernel (upper-half) mappings (m1n1 `prepare_cacheflush`'s
/// default `context=0x40`).
pub const HANDOFF_KERNEL_FLUSH_SLOT: usize = NUM_CONTEXTS;
/// Number of flush slots: one per context plus the kernel's (m1n1 `irange(0x20, 0x41, 0x18)`).
pub const HANDOFF_FLUSH_SLOTS: usize = NUM_CONTEXTS + 1;
/// Flush state: idle.
pub const FLUSH_IDLE: u64 = 0;
/// Flush state: requested by the driver (then an `FwCtlMsg` is sent).
pub const FLUSH_REQUESTED: u64 = 1;
/// Flush state: completed by the firmware (the driver resets it to idle).
pub const FLUSH_DONE: u64 = 2;

plain_layout! {
    /// One flush request slot of the handoff region.
    ///
    /// Source: downstream `mmu.rs` `FlushInfo`; m1n1 `handoff.py` `FLUSH_STATE`/`FLUSH_ADDR`/
    /// `FLUSH_SIZE` at 0x20/0x28/0x30 + 0x18·i.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct FlushInfo {
        /// One of [`FLUSH_IDLE`], [`FLUSH_REQUESTED`], [`FLUSH_DONE`].
        pub state: u64,
        /// First VA to flush.
        pub addr: u64,
        /// Size in bytes.
        pub size: u64,
    }
}

plain_layout! {
    /// The handoff region (reserved-memory `handoff`), shared with the firmware's page-table
    /// manager. `lock_ap`/`lock_fw`/`turn` form a Dekker lock: a side sets its flag, and while
    /// the other's flag is set and the turn is the other's, it drops its flag until the turn
    /// changes; it unlocks by giving the turn away and clearing its flag. `turn` is 0 when the
    /// AP has priority, 1 when the firmware has (the AP gives it 1 when it unlocks, the firmware
    /// 0).
    ///
    /// Source: downstream `mmu.rs` `Handoff` (implicit padding made explicit here) and its
    /// `lock`/`unlock`/`init`; m1n1 `proxyclient/m1n1/fw/agx/handoff.py` `GFXHandoffStruct`
    /// (`MAGIC_AP` 0x0, `MAGIC_FW` 0x8, `LOCK_AP` 0x10, `LOCK_FW` 0x11, `TURN` 0x14, `UNK`
    /// (= `cur_slot`) 0x18, flush entries from 0x20, `UNK2` 0x638, `UNK3` 0x640); reference
    /// firmware-commands.md §5.4.
    #[derive(Clone, Copy, Debug)]
    #[repr(C)]
    pub struct Handoff {
        /// Written with [`HANDOFF_MAGIC`] by the driver.
        pub magic_ap: u64,
        /// Written with [`HANDOFF_MAGIC`] by the firmware once it is ready.
        pub magic_fw: u64,
        /// Driver-side lock flag.
        pub lock_ap: u8,
        /// Firmware-side lock flag.
        pub lock_fw: u8,
        /// Padding.
        pub pad_12: [u8; 2],
        /// Dekker turn: non-zero while the firmware has priority.
        pub turn: u32,
        /// Context slot the firmware has loaded for lower-half access (0 or `u32::MAX`: none).
        pub cur_slot: u32,
        /// Padding.
        pub pad_1c: [u8; 4],
        /// Flush requests, one per context plus [`HANDOFF_KERNEL_FLUSH_SLOT`].
        pub flush: [FlushInfo; HANDOFF_FLUSH_SLOTS],
        /// Unknown (m1n1 `UNK2`).
        pub unk_638: u8,
        /// Padding.
        pub pad_639: [u8; 7],
        /// Unknown; zeroed by the driver at init (m1n1 `UNK3`).
        pub unk_640: u64,
    }
}

impl Handoff {
    /// Byte offset of `magic_ap`.
    pub const MAGIC_AP_OFFSET: usize = core::mem::offset_of!(Handoff, magic_ap);
    /// Byte offset of `magic_fw`.
    pub const MAGIC_FW_OFFSET: usize = core::mem::offset_of!(Handoff, magic_fw);
    /// Byte offset of `lock_ap`.
    pub const LOCK_AP_OFFSET: usize = core::mem::offset_of!(Handoff, lock_ap);
    /// Byte offset of `lock_fw`.
    pub const LOCK_FW_OFFSET: usize = core::mem::offset_of!(Handoff, lock_fw);
    /// Byte offset of `turn`.
    pub const TURN_OFFSET: usize = core::mem::offset_of!(Handoff, turn);
    /// Byte offset of `cur_slot`.
    pub const CUR_SLOT_OFFSET: usize = core::mem::offset_of!(Handoff, cur_slot);
    /// Byte offset of `flush`.
    pub const FLUSH_OFFSET: usize = core::mem::offset_of!(Handoff, flush);
    /// Byte offset of `unk_638`.
    pub const UNK_638_OFFSET: usize = core::mem::offset_of!(Handoff, unk_638);
    /// Byte offset of `unk_640`.
    pub const UNK_640_OFFSET: usize = core::mem::offset_of!(Handoff, unk_640);

    /// The state the bootloader hands over: no magic on either side (each writes its own), the
    /// lock free with the turn the AP's, no context loaded, every flush slot idle.
    pub const fn handed_over() -> Self {
        Self {
            magic_ap: 0,
            magic_fw: 0,
            lock_ap: 0,
            lock_fw: 0,
            pad_12: [0; 2],
            turn: 0,
            cur_slot: 0,
            pad_1c: [0; 4],
            flush: [FlushInfo {
                state: FLUSH_IDLE,
                addr: 0,
                size: 0,
            }; HANDOFF_FLUSH_SLOTS],
            unk_638: 0,
            pad_639: [0; 7],
            unk_640: 0,
        }
    }

    /// Byte offset of flush slot `slot`'s `state` (`addr` and `size` follow at +8, +16);
    /// `None` past the last slot.
    pub const fn flush_offset(slot: usize) -> Option<usize> {
        if slot < HANDOFF_FLUSH_SLOTS {
            Some(Self::FLUSH_OFFSET + slot * core::mem::size_of::<FlushInfo>())
        } else {
            None
        }
    }
}

/// Interprets `Handoff::cur_slot`: 0 and `u32::MAX` mean no user context is loaded.
pub const fn handoff_current_slot(cur_slot: u32) -> Option<u32> {
    if cur_slot == 0 || cur_slot == u32::MAX {
        None
    } else {
        Some(cur_slot)
    }
}

/// Size of the handoff structure.
pub const HANDOFF_SIZE: usize = core::mem::size_of::<Handoff>();
const _: () = assert!(core::mem::size_of::<FlushInfo>() == 0x18);
const _: () = assert!(Handoff::MAGIC_FW_OFFSET == 0x8);
const _: () = assert!(Handoff::LOCK_AP_OFFSET == 0x10);
const _: () = assert!(Handoff::LOCK_FW_OFFSET == 0x11);
const _: () = assert!(Handoff::TURN_OFFSET == 0x14);
const _: () = assert!(Handoff::CUR_SLOT_OFFSET == 0x18);
const _: () = assert!(Handoff::FLUSH_OFFSET == 0x20);
const _: () = assert!(Handoff::UNK_638_OFFSET == 0x638);
const _: () = assert!(Handoff::UNK_640_OFFSET == 0x640);
const _: () = assert!(HANDOFF_SIZE == 0x648);

/// First usable user VA (page 0 is never mapped).
pub const USER_VA_BASE: u64 = PAGE_SIZE;
/// End of the lower half.
pub const USER_VA_TOP: u64 = 1 << VA_BITS;
/// A special page the driver maps in every user VM (`2^39 - 32K`).
pub const USER_UNK_PAGE: u64 = USER_VA_TOP - 2 * PAGE_SIZE;
/// User VA range available to userspace.
pub const USER_VA_USABLE: Range<u64> = USER_VA_BASE..USER_UNK_PAGE;

/// Driver-managed kernel VA range.
pub const KERNEL_VA: Range<u64> = 0xffff_ffa0_0000_0000..0xffff_ffb0_0000_0000;
/// Private (cached) firmware structures.
pub const KERNEL_VA_PRIVATE: Range<u64> = 0xffff_ffa0_0000_0000..0xffff_ffa6_0000_0000;
/// Firmware-private, GPU read-only structures.
pub const KERNEL_VA_GPU_RO: Range<u64> = 0xffff_ffa6_0000_0000..0xffff_ffa8_0000_0000;
/// Shared (uncached) firmware structures.
pub const KERNEL_VA_SHARED: Range<u64> = 0xffff_ffa8_0000_0000..0xffff_ffaa_0000_0000;
/// Shared (uncached) read-only firmware structures.
pub const KERNEL_VA_SHARED_RO: Range<u64> = 0xffff_ffaa_0000_0000..0xffff_ffac_0000_0000;
/// GPU/firmware shared structures.
pub const KERNEL_VA_GPU: Range<u64> = 0xffff_ffac_0000_0000..0xffff_ffae_0000_0000;
/// RTKit buffers.
pub const KERNEL_VA_RTKIT: Range<u64> = 0xffff_ffae_0000_0000..0xffff_ffae_1000_0000;
/// Firmware MMIO mappings.
pub const KERNEL_VA_MMIO: Range<u64> = 0xffff_ffaf_0000_0000..0xffff_ffb0_0000_0000;
/// Buffer-manager control page, lower (context 0) mapping.
pub const BUFMGR_CTL_LOW: u64 = 0x20_0000_0000;
/// Buffer-manager control page, upper mapping.
pub const BUFMGR_CTL_HIGH: u64 = 0xffff_ffae_ffff_0000;

#[cfg(test)]
#[path = "uat_tests.rs"]
mod tests;
