// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The virtual AGX's register file: what the `asc` and `sgx` MMIO ranges answer.
//!
//! The ID registers read as the modelled SoC's (an M1, t8103 G13G C0: one cluster of eight
//! cores), the core mask as its cores, `asc`+`CPU_CONTROL` holds the coprocessor's run bit (the
//! RTKit side starts only once it is set), and the fault register latches the last GPU fault
//! the firmware saw, in the hardware's encoding. Everything else reads as zero and ignores
//! writes, as unimplemented registers of the real block do; offsets outside the ranges read all
//! ones.

use crate::backend::Mmio;
use crate::hw::regs::{self, IdVersion};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// The modelled SoC's identity registers (t8103: downstream `hw/t8103.rs`, G13G revision C0).
const ID: IdVersion = IdVersion {
    generation: IdVersion::GEN_G13,
    variant: IdVersion::VARIANT_G,
    revision: 0x20,
};
/// `ID_COUNTS_1`: eight cores per cluster.
const COUNTS_1: u32 = 8;
/// `ID_CLUSTERS`: one cluster (bits \[19:12\]).
const CLUSTERS: u32 = 1 << 12;
/// Core mask: cores 0-7 of the one cluster.
const CORE_MASK: u32 = 0xff;

/// The register file.
pub(super) struct Regs {
    cpu_control: AtomicU32,
    fault_info: AtomicU64,
}

impl Regs {
    /// Registers at reset: the coprocessor's CPU stopped, no fault latched.
    pub(super) const fn new() -> Self {
        Self {
            cpu_control: AtomicU32::new(0),
            fault_info: AtomicU64::new(0),
        }
    }

    fn size(mmio: Mmio) -> usize {
        match mmio {
            Mmio::Asc => regs::ASC_SIZE,
            Mmio::Sgx => regs::SGX_SIZE,
        }
    }

    /// A 32-bit read.
    pub(super) fn read32(&self, mmio: Mmio, offset: usize) -> u32 {
        if offset % 4 != 0 || offset >= Self::size(mmio) {
            return !0;
        }
        match (mmio, offset) {
            (Mmio::Asc, regs::CPU_CONTROL) => self.cpu_control.load(Ordering::Acquire),
            (Mmio::Sgx, regs::ID_VERSION) => ID.encode(),
            (Mmio::Sgx, regs::ID_COUNTS_1) => COUNTS_1,
            (Mmio::Sgx, regs::ID_CLUSTERS) => CLUSTERS,
            (Mmio::Sgx, regs::CORE_MASK_0) => CORE_MASK,
            (Mmio::Sgx, o) if o == regs::FAULT_INFO => {
                self.fault_info.load(Ordering::Acquire) as u32
            }
            (Mmio::Sgx, o) if o == regs::FAULT_INFO + 4 => {
                // CAST: the high word.
                (self.fault_info.load(Ordering::Acquire) >> 32) as u32
            }
            _ => 0,
        }
    }

    /// A 64-bit read (the fault register; elsewhere two 32-bit reads).
    pub(super) fn read64(&self, mmio: Mmio, offset: usize) -> u64 {
        if mmio == Mmio::Sgx && offset == regs::FAULT_INFO {
            return self.fault_info.load(Ordering::Acquire);
        }
        u64::from(self.read32(mmio, offset)) | (u64::from(self.read32(mmio, offset + 4)) << 32)
    }

    /// A 32-bit write: only `CPU_CONTROL` is writable.
    pub(super) fn write32(&self, mmio: Mmio, offset: usize, value: u32) {
        if (mmio, offset) == (Mmio::Asc, regs::CPU_CONTROL) {
            self.cpu_control.store(value, Ordering::Release);
        }
    }

    /// Whether the coprocessor's CPU was started.
    pub(super) fn cpu_running(&self) -> bool {
        self.cpu_control.load(Ordering::Acquire) & regs::CPU_CONTROL_RUN != 0
    }

    /// Latches a fault, as the hardware does when a GPU access faults.
    pub(super) fn latch_fault(&self, info: u64) {
        self.fault_info.store(info, Ordering::Release);
    }
}
