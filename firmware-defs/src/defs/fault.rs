//! Decoding of the UAT fault-status register.
//!
//! On G13/G14 the 64-bit register at SGX+0x17030 holds the whole fault report: bit 0 valid,
//! \[3:1\] reason, bit 4 read, \[6:5\] unknown, \[8:7\] level, \[16:9\] unit, \[22:17\] VM slot,
//! \[29:23\] sideband, and the faulting address (in 64-byte units) from bit 30 up. G14X moves the
//! register to 0xd8c0 and the address to its own register at 0xd8c8.
//!
//! Source: downstream `regs.rs` (`get_fault_info`, `FaultReason`, `FaultUnit`); reference §5.

/// Offset of the fault-info register in the SGX MMIO region (G13/G14).
pub const FAULT_INFO_REG: usize = 0x17030;
/// Offset of the fault-info register on G14X.
pub const FAULT_INFO_REG_G14X: usize = 0xd8c0;
/// Offset of the fault-address register on G14X.
pub const FAULT_ADDR_REG_G14X: usize = 0xd8c8;

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
        Self::decode_with_address(info, info >> 30)
    }

    /// Decodes a fault-info register whose address field (in 64-byte units) comes from
    /// elsewhere, as on G14X.
    pub const fn decode_with_address(info: u64, addr_units: u64) -> Option<Self> {
        if info & 1 == 0 {
            return None;
        }
        // CAST: each field is masked to its width first.
        Some(Self {
            address: addr_units << 6,
            sideband: ((info >> 23) & 0x7f) as u8,
            vm_slot: ((info >> 17) & 0x3f) as u32,
            unit_code: ((info >> 9) & 0xff) as u8,
            level: ((info >> 7) & 3) as u8,
            unk_5: ((info >> 5) & 3) as u8,
            read: info & (1 << 4) != 0,
            reason: FaultReason::from_code(((info >> 1) & 7) as u8),
        })
    }

    /// Encodes this report as a G13/G14 fault-info register value (inverse of
    /// [`FaultInfo::decode`]); the address is truncated to 64-byte units. Used by the virtual
    /// AGX to raise faults.
    pub const fn encode(&self) -> u64 {
        // CAST: widening.
        1 | (self.reason.code() as u64) << 1
            | (self.read as u64) << 4
            | ((self.unk_5 & 3) as u64) << 5
            | ((self.level & 3) as u64) << 7
            | (self.unit_code as u64) << 9
            | ((self.vm_slot & 0x3f) as u64) << 17
            | ((self.sideband & 0x7f) as u64) << 23
            | (self.address >> 6) << 30
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

    #[test]
    fn g14x_separate_address() {
        let f = FaultInfo::decode_with_address(1 | 1 << 17, 0x100).unwrap();
        assert_eq!(f.address, 0x4000);
        assert_eq!(f.vm_slot, 1);
        assert_eq!(f.reason, FaultReason::Unmapped);
    }
}
