//! Decoding of the UAT fault-status register.
//!
//! On G13/G14 the 64-bit register at SGX+0x17030 holds the whole fault report: bit 0 valid,
//! \[3:1\] reason, bit 4 read, \[6:5\] unknown, \[8:7\] level, \[16:9\] unit, \[22:17\] VM slot,
//! \[29:23\] sideband, and the faulting address (in 64-byte units) from bit 30 up. G14X moves the
//! register to 0xd8c0 and the address to its own register at 0xd8c8.
//!
//! The register is declared once, field by field, as [`FaultInfoReg`]; [`FaultInfo`] is its
//! decoded form.
//!
//! Source: downstream `regs.rs` (`get_fault_info`, `FaultReason`, `FaultUnit`); reference §5.

use super::bitfield::{bitfield, Bits};

/// Offset of the fault-info register in the SGX MMIO region (G13/G14).
pub const FAULT_INFO_REG: usize = 0x17030;
/// Offset of the fault-info register on G14X.
pub const FAULT_INFO_REG_G14X: usize = 0xd8c0;
/// Offset of the fault-address register on G14X.
pub const FAULT_ADDR_REG_G14X: usize = 0xd8c8;

bitfield! {
    /// The G13/G14 fault-info register (SGX+0x17030); on G14X the same fields without the
    /// address, which has its own register.
    pub struct FaultInfoReg(u64) {
        /// The register holds a fault report.
        VALID @ 0:0 valid, set_valid: bool;
        /// Why the UAT faulted ([`FaultReason::from_code`]).
        REASON @ 3:1 reason, set_reason: u8;
        /// The access was a read.
        READ @ 4:4 read, set_read: bool;
        /// Unknown.
        UNK_5 @ 6:5 unk_5, set_unk_5: u8;
        /// Page-table level of the fault.
        LEVEL @ 8:7 level, set_level: u8;
        /// The unit that faulted ([`unit_name`]).
        UNIT @ 16:9 unit, set_unit: u8;
        /// VM slot (TTBAT context) of the access.
        VM_SLOT @ 22:17 vm_slot, set_vm_slot: u8;
        /// Sideband bits.
        SIDEBAND @ 29:23 sideband, set_sideband: u8;
        /// The faulting address in 64-byte units (G13/G14 only).
        ADDRESS @ 63:30 address_units, set_address_units: u64;
    }
}

/// log2 of the granule of the fault address.
pub const FAULT_ADDRESS_SHIFT: u32 = 6;

/// Why the UAT faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultReason {
    /// No valid translation.
    Unmapped,
    /// Access flag fault.
    AfFault,
    /// Read from a write-only page.
    WriteOnly,
    /// Write to a read-only page.
    ReadOnly,
    /// No access for this agent.
    NoAccess,
    /// Another reason code.
    Unknown(u8),
}

impl FaultReason {
    /// Decodes the 3-bit reason field.
    pub const fn from_code(code: u8) -> Self {
        match code {
            0 => FaultReason::Unmapped,
            1 => FaultReason::AfFault,
            2 => FaultReason::WriteOnly,
            3 => FaultReason::ReadOnly,
            4 => FaultReason::NoAccess,
            c => FaultReason::Unknown(c),
        }
    }

    /// Returns the 3-bit reason code.
    pub const fn code(self) -> u8 {
        match self {
            FaultReason::Unmapped => 0,
            FaultReason::AfFault => 1,
            FaultReason::WriteOnly => 2,
            FaultReason::ReadOnly => 3,
            FaultReason::NoAccess => 4,
            FaultReason::Unknown(c) => c & 7,
        }
    }
}

/// A decoded fault report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultInfo {
    /// Faulting address (64-byte granular).
    pub address: u64,
    /// Sideband bits \[29:23\].
    pub sideband: u8,
    /// VM slot (TTBAT context) of the access, bits \[22:17\].
    pub vm_slot: u32,
    /// Raw unit code, bits \[16:9\] (see [`unit_name`]).
    pub unit_code: u8,
    /// Page-table level, bits \[8:7\].
    pub level: u8,
    /// Unknown bits \[6:5\].
    pub unk_5: u8,
    /// `true` for a read access (bit 4).
    pub read: bool,
    /// Reason, bits \[3:1\].
    pub reason: FaultReason,
}

impl FaultInfo {
    /// Decodes the G13/G14 fault-info register; `None` if the valid bit is clear.
    pub const fn decode(info: u64) -> Option<Self> {
        Self::decode_with_address(info, FaultInfoReg(info).address_units())
    }

    /// Decodes a fault-info register whose address field (in 64-byte units) comes from
    /// elsewhere, as on G14X.
    pub const fn decode_with_address(info: u64, addr_units: u64) -> Option<Self> {
        let r = FaultInfoReg(info);
        if !r.valid() {
            return None;
        }
        Some(Self {
            address: addr_units << FAULT_ADDRESS_SHIFT,
            sideband: r.sideband(),
            // CAST: widening.
            vm_slot: r.vm_slot() as u32,
            unit_code: r.unit(),
            level: r.level(),
            unk_5: r.unk_5(),
            read: r.read(),
            reason: FaultReason::from_code(r.reason()),
        })
    }

    /// Encodes this report as a G13/G14 fault-info register value (inverse of
    /// [`FaultInfo::decode`]); the address is truncated to 64-byte units. Used by the virtual
    /// AGX to raise faults.
    pub const fn encode(&self) -> u64 {
        self.register().0
    }

    /// This report as the G13/G14 fault-info register (see [`FaultInfo::encode`]); fields wider
    /// than the register's are truncated to its widths.
    pub const fn register(&self) -> FaultInfoReg {
        FaultInfoReg(0)
            .set_valid(true)
            .set_reason(self.reason.code())
            .set_read(self.read)
            .set_unk_5(self.unk_5)
            .set_level(self.level)
            .set_unit(self.unit_code)
            // CAST: truncated to the field's 6 bits by the setter.
            .set_vm_slot(self.vm_slot as u8)
            .set_sideband(self.sideband)
            .set_address_units(self.address >> FAULT_ADDRESS_SHIFT)
    }
}

/// Returns a short name for a G13/G14 fault unit code, if known.
///
/// Codes 0x00..=0x9f encode `unit | instance << 4`; the instance is returned alongside.
/// Source: downstream `regs.rs` `FaultUnit` (non-G14X table).
pub const fn unit_name(code: u8) -> Option<(&'static str, u8)> {
    const LOW: [&str; 15] = [
        "DCMP", "UL1C", "CMP", "GSL1", "IAP", "VCE", "TE", "RAS", "VDM", "PPP", "IPF", "IPF_CPF",
        "VF", "VF_CPF", "ZLS",
    ];
    const GSP: [&str; 16] = [
        "gPM_SP",
        "gVDM_CSD_SP",
        "gVDM_SSD_SP",
        "gVDM_ILF_SP",
        "gVDM_TFP_SP",
        "gVDM_MMB_SP",
        "gCDM_CS_KS0_SP",
        "gCDM_CS_KS1_SP",
        "gCDM_CS_KS2_SP",
        "gCDM_KS0_SP",
        "gCDM_KS1_SP",
        "gCDM_KS2_SP",
        "gIPP_SP",
        "gIPP_CS_SP",
        "gRDE0_SP",
        "gRDE1_SP",
    ];
    // CAST: indices are masked to the table sizes.
    match code {
        0x00..=0x9f if code & 0xf < 0xf => Some((LOW[(code & 0xf) as usize], code >> 4)),
        0xa1 => Some(("dPM", 0)),
        0xa2..=0xa4 => Some(("dCDM_KS", code - 0xa2)),
        0xa5 => Some(("dIPP", 0)),
        0xa6 => Some(("dIPP_CS", 0)),
        0xa7 => Some(("dVDM_CSD", 0)),
        0xa8 => Some(("dVDM_SSD", 0)),
        0xa9 => Some(("dVDM_ILF", 0)),
        0xaa => Some(("dVDM_ILD", 0)),
        0xab | 0xac => Some(("dRDE", code - 0xab)),
        0xad => Some(("FC", 0)),
        0xae => Some(("GSL2", 0)),
        0xb0..=0xb7 => Some(("GL2CC_META", code & 0xf)),
        0xb8 => Some(("GL2CC_MB", 0)),
        0xe0..=0xff => Some((GSP[(code & 0xf) as usize], (code >> 4) & 1)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_register_decodes_to_none() {
        assert_eq!(FaultInfo::decode(0), None);
        assert_eq!(FaultInfo::decode(0xffff_fffe), None);
    }

    #[test]
    fn field_positions() {
        // valid, reason 3 (ReadOnly), read, level 2, unit 0x81, slot 5, sideband 0x11,
        // address 0x12_3456_7840.
        let info: u64 = 1
            | 3 << 1
            | 1 << 4
            | 2 << 7
            | 0x81 << 9
            | 5 << 17
            | 0x11 << 23
            | (0x12_3456_7840u64 >> 6) << 30;
        let f = FaultInfo::decode(info).unwrap();
        assert_eq!(f.reason, FaultReason::ReadOnly);
        assert!(f.read);
        assert_eq!(f.level, 2);
        assert_eq!(f.unit_code, 0x81);
        assert_eq!(f.vm_slot, 5);
        assert_eq!(f.sideband, 0x11);
        assert_eq!(f.address, 0x12_3456_7840);
        assert_eq!(f.encode(), info);
        assert_eq!(unit_name(f.unit_code), Some(("UL1C", 8)));
    }

    #[test]
    fn round_trip_all_reasons() {
        for code in 0..8u8 {
            let f = FaultInfo {
                address: 0xffff_ffc0,
                sideband: 0x7f,
                vm_slot: 63,
                unit_code: 0xe3,
                level: 3,
                unk_5: 1,
                read: code % 2 == 0,
                reason: FaultReason::from_code(code),
            };
            assert_eq!(FaultInfo::decode(f.encode()), Some(f));
        }
        assert_eq!(FaultReason::from_code(6), FaultReason::Unknown(6));
        assert_eq!(unit_name(0xe3), Some(("gVDM_ILF_SP", 0)));
        assert_eq!(unit_name(0xc0), None);
    }

    /// The bit positions as the register was documented before `FaultInfoReg` (shifts written
    /// out): every field of the declaration sits exactly there.
    #[test]
    fn register_fields_match_the_documented_positions() {
        assert_eq!(FaultInfoReg::VALID.mask(), 1);
        assert_eq!(FaultInfoReg::REASON.mask(), 7 << 1);
        assert_eq!(FaultInfoReg::READ.mask(), 1 << 4);
        assert_eq!(FaultInfoReg::UNK_5.mask(), 3 << 5);
        assert_eq!(FaultInfoReg::LEVEL.mask(), 3 << 7);
        assert_eq!(FaultInfoReg::UNIT.mask(), 0xff << 9);
        assert_eq!(FaultInfoReg::VM_SLOT.mask(), 0x3f << 17);
        assert_eq!(FaultInfoReg::SIDEBAND.mask(), 0x7f << 23);
        assert_eq!(FaultInfoReg::ADDRESS.mask(), u64::MAX << 30);
        // Together they cover the whole register.
        let all = FaultInfoReg::FIELDS
            .iter()
            .fold(0u64, |a, (_, b)| a | b.mask());
        assert_eq!(all, u64::MAX);
    }

    #[test]
    fn every_register_value_with_the_valid_bit_round_trips() {
        // Decode then encode is the identity on valid registers (every field is kept) ...
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..1000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let info = x | 1;
            let f = FaultInfo::decode(info).unwrap();
            assert_eq!(f.encode(), info, "{info:#x}");
            assert_eq!(FaultInfo::decode(info & !1), None);
        }
        // ... and out-of-range fields of a FaultInfo are truncated, not spilled into the next.
        let f = FaultInfo {
            address: 0,
            sideband: 0xff,
            vm_slot: 0x40,
            unit_code: 0,
            level: 7,
            unk_5: 0,
            read: false,
            reason: FaultReason::Unmapped,
        };
        let r = f.register();
        assert_eq!(
            (r.vm_slot(), r.sideband(), r.level(), r.unk_5()),
            (0, 0x7f, 3, 0)
        );
        assert_eq!(r.address_units(), 0);
    }

    #[test]
    fn g14x_separate_address() {
        let f = FaultInfo::decode_with_address(1 | 1 << 17, 0x100).unwrap();
        assert_eq!(f.address, 0x4000);
        assert_eq!(f.vm_slot, 1);
        assert_eq!(f.reason, FaultReason::Unmapped);
    }
}
