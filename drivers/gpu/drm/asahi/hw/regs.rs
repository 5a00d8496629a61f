// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The MMIO registers the driver touches, in the `asc` and `sgx` ranges.
//!
//! Source: downstream `regs.rs` (herrnst/linux-asahi `drivers/gpu/drm/asahi/regs.rs`), summarised
//! in shared/reference/firmware-commands.md §6.3. These are facts of the silicon: the driver
//! reads them through [`crate::backend::Transport::read32`], and the virtual AGX's register file
//! answers at the same offsets.

/// `asc` + 0x44: the coprocessor's CPU control register.
pub(crate) const CPU_CONTROL: usize = 0x44;
/// `CPU_CONTROL` bit 4: the coprocessor's CPU runs.
pub(crate) const CPU_CONTROL_RUN: u32 = 1 << 4;

/// `sgx` + 0xd04000: GPU generation, variant and revision ([`IdVersion`]).
pub(crate) const ID_VERSION: usize = 0xd0_4000;
/// `sgx` + 0xd04008: unknown identity word (logged only).
pub(crate) const ID_UNK08: usize = 0xd0_4008;
/// `sgx` + 0xd04010: bits \[7:0\] cores per cluster.
pub(crate) const ID_COUNTS_1: usize = 0xd0_4010;
/// `sgx` + 0xd04014: bits \[23:16\] GPs per cluster.
pub(crate) const ID_COUNTS_2: usize = 0xd0_4014;
/// `sgx` + 0xd04018: unknown identity word (logged only).
pub(crate) const ID_UNK18: usize = 0xd0_4018;
/// `sgx` + 0xd0401c: bits \[19:12\] clusters (G13, G14G).
pub(crate) const ID_CLUSTERS: usize = 0xd0_401c;
/// `sgx` + 0xd01500: core mask, first word (G13, G14G).
pub(crate) const CORE_MASK_0: usize = 0xd0_1500;
/// `sgx` + 0xd01514: core mask, second word (G13, G14G).
pub(crate) const CORE_MASK_1: usize = 0xd0_1514;
/// `sgx` + 0x17030: the 64-bit fault information register (G13, G14G), in the encoding of
/// `fw::fault::FaultInfo`.
pub(crate) const FAULT_INFO: usize = 0x1_7030;
/// Size of the `sgx` range (the binding's example; everything above lies inside it).
pub(crate) const SGX_SIZE: usize = 0x100_0000;
/// Size of the `asc` range the driver maps (downstream maps 0x4000 bytes).
pub(crate) const ASC_SIZE: usize = 0x4000;

/// `ID_VERSION` decoded: \[31:24\] generation, \[23:16\] variant, \[15:8\] revision.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct IdVersion {
    /// Generation code: 4 = G13, 5 = G14G, 6 = G14X.
    pub(crate) generation: u8,
    /// Variant code: 1 = P, 2 = G, 3 = S, 4 = C (D when there is more than one die).
    pub(crate) variant: u8,
    /// Revision, high nibble the letter (0 = A), low nibble the number: 0x20 is C0.
    pub(crate) revision: u8,
}

impl IdVersion {
    /// Generation code of G13.
    pub(crate) const GEN_G13: u8 = 4;
    /// Variant code of the base SoC (G).
    pub(crate) const VARIANT_G: u8 = 2;

    /// Decodes the register.
    pub(crate) const fn decode(v: u32) -> Self {
        // CAST: each field is one byte of the register.
        Self {
            generation: (v >> 24) as u8,
            variant: (v >> 16) as u8,
            revision: (v >> 8) as u8,
        }
    }

    /// Encodes the register (what the virtual AGX's register file answers).
    pub(crate) const fn encode(self) -> u32 {
        ((self.generation as u32) << 24)
            | ((self.variant as u32) << 16)
            | ((self.revision as u32) << 8)
    }
}

/// Cores per cluster from `ID_COUNTS_1`.
pub(crate) const fn cores_per_cluster(counts_1: u32) -> u32 {
    counts_1 & 0xff
}

/// Clusters from `ID_CLUSTERS` (G13, G14G).
pub(crate) const fn clusters(id_clusters: u32) -> u32 {
    (id_clusters >> 12) & 0xff
}
