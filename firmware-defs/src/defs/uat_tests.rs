//! Host tests of the UAT format: PTE and TTBAT encodings, geometry, indices, handoff.

use super::*;

const ALL_PROTS: [Prot; 11] = [
    Prot::FW_MMIO_RW,
    Prot::FW_MMIO_RO,
    Prot::FW_SHARED_RW,
    Prot::FW_SHARED_RO,
    Prot::FW_PRIV_RW,
    Prot::GPU_FW_SHARED_RW,
    Prot::GPU_FW_PRIV_RW,
    Prot::GPU_RO_FW_PRIV_RW,
    Prot::GPU_SHARED_RW,
    Prot::GPU_SHARED_RO,
    Prot::GPU_SHARED_WO,
];

#[test]
fn prot_encodings_match_downstream_bits() {
    // AP=1 (FW), memattr=2 (uncached), UXN, GPU access, AF.
    assert_eq!(
        Prot::FW_SHARED_RW.pte_bits(),
        1 << 6 | 2 << 2 | 1 << 54 | 1 << 55 | 1 << 10
    );
    // AP=0, memattr=0, UXN+PXN.
    assert_eq!(
        Prot::GPU_FW_PRIV_RW.pte_bits(),
        1 << 53 | 1 << 54 | 1 << 55 | 1 << 10
    );
    // AP=2, memattr=2, PXN only.
    assert_eq!(
        Prot::GPU_SHARED_WO.pte_bits(),
        2 << 6 | 2 << 2 | 1 << 53 | 1 << 55 | 1 << 10
    );
    assert_eq!(Prot::FW_MMIO_RW.memattr, MemAttr::Device);
    assert_eq!(Prot::GPU_SHARED_RW.access(), (Perm::None, Perm::Rw));
    assert_eq!(Prot::GPU_RO_FW_PRIV_RW.access(), (Perm::Rw, Perm::Ro));
    assert_eq!(Prot::GPU_FW_SHARED_RW.access(), (Perm::Rw, Perm::Rw));
    assert!(Prot::FW_PRIV_RW.is_cached_noncoherent());
    assert!(!Prot::FW_SHARED_RW.is_cached_noncoherent());
}

#[test]
fn page_pte_round_trip() {
    let pa = 0xab_cdef_4000;
    for prot in ALL_PROTS {
        for scope in [Scope::Global, Scope::NonGlobal] {
            let pte = encode_page(pa, prot, scope).unwrap();
            assert!(is_valid(pte));
            let e = decode_page(pte, OAS_T8103).unwrap();
            assert_eq!(e.pa, pa);
            assert_eq!(e.prot, Some(prot));
            assert_eq!(e.scope, scope);
            assert!(e.af && e.gpu_access);
        }
    }
}

#[test]
fn pte_errors_and_invalid() {
    assert_eq!(
        encode_page(0x1000, Prot::FW_PRIV_RW, Scope::Global),
        Err(PteError::Misaligned)
    );
    assert_eq!(encode_table(1 << 48), Err(PteError::OutOfRange));
    assert_eq!(decode_page(0, 40), None);
    assert_eq!(decode_page(0x4000 | 1, 40), None);
    let t = encode_table(0x8_0000_4000).unwrap();
    assert_eq!(t & 3, 3);
    assert_eq!(decode_table(t, 40), Some(0x8_0000_4000));
    // Bits above the OAS are not part of the address.
    assert_eq!(decode_table(t | 1 << 45, 40), Some(0x8_0000_4000));
    // Reserved AP value decodes without a protection.
    let odd = encode_page(0x4000, Prot::FW_PRIV_RW, Scope::Global).unwrap() | 3 << 6;
    assert_eq!(decode_page(odd, 40).unwrap().prot, None);
}

#[test]
fn reprotect_keeps_address_and_scope() {
    let pte = encode_page(0x1234_4000, Prot::FW_PRIV_RW, Scope::NonGlobal).unwrap();
    let re = reprotect(pte, Prot::FW_PRIV_RW.with_memattr(MemAttr::Uncached));
    let e = decode_page(re, 40).unwrap();
    assert_eq!(e.pa, 0x1234_4000);
    assert_eq!(e.scope, Scope::NonGlobal);
    assert_eq!(e.prot, Some(Prot::FW_SHARED_RW));
}

#[test]
fn level_geometry() {
    assert_eq!(Level::Leaf.shift(), 14);
    assert_eq!(Level::Mid.shift(), 25);
    assert_eq!(Level::Root.shift(), 36);
    assert_eq!(Level::Root.entries(), 8);
    assert_eq!(Level::Mid.entry_span(), 32 << 20);
    assert_eq!(ENTRIES_PER_TABLE as u64 * PTE_SIZE, PAGE_SIZE);
    assert_eq!(oa_mask(40), 0xff_ffff_c000);
}

#[test]
fn index_computation() {
    assert_eq!(indices(0), [0, 0, 0]);
    assert_eq!(indices(0x4000), [0, 0, 1]);
    assert_eq!(indices(0x200_0000), [0, 1, 0]);
    assert_eq!(indices(USER_VA_TOP - PAGE_SIZE), [7, 2047, 2047]);
    // Upper half: the same per-half offset gives the same indices.
    assert_eq!(indices(UPPER_HALF_BASE), [0, 0, 0]);
    assert_eq!(indices(0xffff_ffa0_0000_4000), [2, 0, 1]);
    assert_eq!(indices(!PAGE_MASK), [7, 2047, 2047]);
    for va in [
        0x4000u64,
        0x12_3456_c000,
        USER_UNK_PAGE,
        0xffff_ffa8_0123_4000,
        BUFMGR_CTL_HIGH,
    ] {
        let h = half(va).unwrap();
        assert_eq!(va_from_indices(h, indices(va)), va);
    }
    assert_eq!(half(1 << 39), None);
    assert_eq!(half(0xffff_ff7f_ffff_ffff), None);
    assert_eq!(half(UPPER_HALF_BASE), Some(Half::Upper));
}

#[test]
fn ttbat_entries() {
    let e = ttbat_entry(0x8_0001_c000, 5).unwrap();
    assert_eq!(e, 0x8_0001_c000 | 1 | 5 << 48);
    assert_eq!(decode_ttbat_entry(e), Some((0x8_0001_c000, 5)));
    assert_eq!(ttbat_entry(0x8_0001_c000, 64), None);
    assert_eq!(ttbat_entry(0x8_0001_c004, 1), None);
    assert_eq!(decode_ttbat_entry(0x8_0001_c000), None);
    assert_eq!(ttbat_entry(0x4000, KERNEL_CONTEXT), Some(0x4001));
}

/// The handoff layout is m1n1's `GFXHandoffStruct` byte for byte (offsets written out as m1n1
/// lists them), and the bootloader's hand-over state is all zero: no magic, the
/// lock free, every flush slot idle.
#[test]
fn handoff_layout_matches_m1n1() {
    assert_eq!(core::mem::size_of::<Handoff>(), 0x648);
    assert_eq!(core::mem::align_of::<Handoff>(), 8);
    assert_eq!(Handoff::MAGIC_AP_OFFSET, 0x0);
    assert_eq!(Handoff::MAGIC_FW_OFFSET, 0x8);
    assert_eq!(Handoff::LOCK_AP_OFFSET, 0x10);
    assert_eq!(Handoff::LOCK_FW_OFFSET, 0x11);
    assert_eq!(Handoff::TURN_OFFSET, 0x14);
    assert_eq!(Handoff::CUR_SLOT_OFFSET, 0x18);
    assert_eq!(Handoff::UNK_638_OFFSET, 0x638);
    assert_eq!(Handoff::UNK_640_OFFSET, 0x640);
    // m1n1: FLUSH_STATE/ADDR/SIZE = irange(0x20/0x28/0x30, 0x41, 0x18).
    assert_eq!(HANDOFF_FLUSH_SLOTS, 0x41);
    for i in 0..HANDOFF_FLUSH_SLOTS {
        assert_eq!(Handoff::flush_offset(i), Some(0x20 + 0x18 * i));
    }
    assert_eq!(
        Handoff::flush_offset(HANDOFF_KERNEL_FLUSH_SLOT),
        Some(0x620)
    );
    assert_eq!(Handoff::flush_offset(HANDOFF_FLUSH_SLOTS), None);
    assert_eq!(core::mem::offset_of!(FlushInfo, addr), 8);
    assert_eq!(core::mem::offset_of!(FlushInfo, size), 16);
    // The last flush slot ends where unk_638 starts.
    assert_eq!(0x20 + 0x18 * HANDOFF_FLUSH_SLOTS, 0x638);
    let h = Handoff::handed_over();
    assert!(crate::plain::bytes_of(&h).iter().all(|&b| b == 0));
    assert_eq!(HANDOFF_MAGIC, 0x4b1d_0000_0000_0002);
}

#[test]
fn handoff_slot() {
    assert_eq!(handoff_current_slot(0), None);
    assert_eq!(handoff_current_slot(u32::MAX), None);
    assert_eq!(handoff_current_slot(3), Some(3));
}

/// The PTE fields sit where the constants said before `Pte` declared them (shifts written out).
#[test]
fn pte_fields_match_the_documented_bits() {
    assert_eq!(PTE_TYPE_MASK, 3);
    assert_eq!((PTE_MEMATTR_SHIFT, PTE_MEMATTR_MASK), (2, 7 << 2));
    assert_eq!((PTE_AP_SHIFT, PTE_AP_MASK), (6, 3 << 6));
    assert_eq!(PTE_AF, 1 << 10);
    assert_eq!(PTE_NG, 1 << 11);
    assert_eq!(PTE_PXN, 1 << 53);
    assert_eq!(PTE_UXN, 1 << 54);
    assert_eq!(PTE_GPU_ACCESS, 1 << 55);
    assert_eq!(Pte::OA.mask(), ((1 << MAX_OAS) - 1) & !PAGE_MASK);
    assert_eq!(Pte::OA.mask(), oa_mask(MAX_OAS));
}

#[test]
fn pte_accessors_round_trip_every_encoded_page() {
    let pa = 0xab_cdef_4000;
    for prot in ALL_PROTS {
        for scope in [Scope::Global, Scope::NonGlobal] {
            let raw = encode_page(pa, prot, scope).unwrap();
            let p = Pte(raw);
            assert_eq!(u64::from(p.ty()), PTE_TYPE_VALID);
            assert_eq!(p.memattr(), prot.memattr as u8);
            assert_eq!(p.ap(), prot.ap as u8);
            assert_eq!((p.uxn(), p.pxn()), (prot.uxn, prot.pxn));
            assert_eq!(p.ng(), scope == Scope::NonGlobal);
            assert!(p.af() && p.gpu_access());
            assert_eq!(p.oa_page() << PAGE_SHIFT, pa);
            // Rebuilding it field by field gives the same bits.
            let rebuilt = Pte(0)
                .set_ty(3)
                .set_memattr(p.memattr())
                .set_ap(p.ap())
                .set_af(true)
                .set_ng(p.ng())
                .set_oa_page(pa >> PAGE_SHIFT)
                .set_pxn(prot.pxn)
                .set_uxn(prot.uxn)
                .set_gpu_access(true);
            assert_eq!(rebuilt, p);
        }
    }
}

/// The TTBAT entry fields sit at `base | 1 | slot << 48`, as the constants said before.
#[test]
fn ttbat_fields_match_the_documented_bits() {
    assert_eq!(TTB_VALID, 1);
    assert_eq!(TTB_ASID_SHIFT, 48);
    assert_eq!(TTB_BASE_MASK, ((1 << 48) - 1) & !PAGE_MASK);
    for slot in 0..NUM_CONTEXTS as u32 {
        let base = 0x8_0001_c000 + u64::from(slot) * PAGE_SIZE;
        let e = TtbatEntry(ttbat_entry(base, slot).unwrap());
        assert!(e.valid());
        assert_eq!(u32::from(e.asid()), slot);
        assert_eq!(e.base_page() << PAGE_SHIFT, base);
        assert_eq!(e.0, base | 1 | u64::from(slot) << 48);
    }
}
