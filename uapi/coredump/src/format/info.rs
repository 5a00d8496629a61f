// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The descriptor of the `AGX` note: GPU identity, firmware version and the init-data address.

use super::elf::Get;

/// Bytes of [`AgxDumpInfo`] that carry data (everything but [`AgxDumpInfo::pad`]). Readers
/// accept any descriptor at least this long and ignore the rest.
pub const AGX_INFO_FIELDS_SIZE: usize = 52;
/// Encoded size of [`AgxDumpInfo`], and the `n_descsz` writers use.
pub const AGX_INFO_SIZE: usize = 56;

/// Descriptor of the `AGX`/1 note.
///
/// Downstream's `AGXDumpInfo` has the same fields, whose 52 bytes `#[repr(C)]` rounds up to 56
/// because of the leading `u64`; downstream copies the whole struct, so its last 4 bytes are
/// uninitialised stack memory. This layout names those bytes [`pad`](Self::pad) and always
/// writes them as zero, so that no byte of a dump is undefined. Readers ignore everything after
/// the first 52 bytes, so both encodings read the same.
///
/// `gpu_gen`, `gpu_variant` and `gpu_rev` hold downstream's `#[repr(u32)]` enum values:
/// generation 13/14/…, variant as an ASCII letter (`'G'`, `'S'`, `'C'`, `'D'`, `'P'`), revision
/// `0x00` A0, `0x01` A1, `0x10` B0, `0x11` B1, `0x20` C0, `0x21` C1.
///
/// Source: downstream `crashdump.rs` `AGXDumpInfo`, `hw/mod.rs` (`GpuGen`, `GpuVariant`,
/// `GpuRevision`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct AgxDumpInfo {
    /// GPU VA of the firmware's `InitData`.
    pub initdata_address: u64,
    /// SoC chip ID, e.g. `0x8103`.
    pub chip_id: u32,
    /// GPU generation (13, 14, …).
    pub gpu_gen: u32,
    /// GPU variant letter.
    pub gpu_variant: u32,
    /// GPU revision.
    pub gpu_rev: u32,
    /// Number of active shader cores.
    pub total_active_cores: u32,
    /// Firmware version from the device tree, zero-filled past its length.
    pub firmware_version: [u32; 6],
    /// Explicit tail padding; always zero in our dumps, ignored by readers.
    pub pad: u32,
}

const _: () = assert!(core::mem::size_of::<AgxDumpInfo>() == AGX_INFO_SIZE);
const _: () = assert!(core::mem::offset_of!(AgxDumpInfo, pad) == AGX_INFO_FIELDS_SIZE);

impl AgxDumpInfo {
    /// Encodes the descriptor; [`pad`](Self::pad) is written as zero whatever its value.
    pub fn to_bytes(self) -> [u8; AGX_INFO_SIZE] {
        let mut out = [0u8; AGX_INFO_SIZE];
        let fields = [
            self.chip_id,
            self.gpu_gen,
            self.gpu_variant,
            self.gpu_rev,
            self.total_active_cores,
        ];
        let words = fields.iter().chain(self.firmware_version.iter());
        let bytes = self
            .initdata_address
            .to_le_bytes()
            .into_iter()
            .chain(words.flat_map(|w| w.to_le_bytes()));
        for (dst, src) in out.iter_mut().zip(bytes) {
            *dst = src;
        }
        out
    }

    /// Decodes the descriptor from the first [`AGX_INFO_FIELDS_SIZE`] bytes of `desc`; `None`
    /// if `desc` is shorter. Bytes after the fields are ignored, and [`pad`](Self::pad) is zero.
    pub fn from_bytes(desc: &[u8]) -> Option<Self> {
        let mut g = Get::new(desc);
        let initdata_address = g.u64()?;
        let chip_id = g.u32()?;
        let gpu_gen = g.u32()?;
        let gpu_variant = g.u32()?;
        let gpu_rev = g.u32()?;
        let total_active_cores = g.u32()?;
        let mut firmware_version = [0u32; 6];
        for v in firmware_version.iter_mut() {
            *v = g.u32()?;
        }
        Some(Self {
            initdata_address,
            chip_id,
            gpu_gen,
            gpu_variant,
            gpu_rev,
            total_active_cores,
            firmware_version,
            pad: 0,
        })
    }

    /// Sets [`firmware_version`](Self::firmware_version) from a version of any length: extra
    /// components are dropped and missing ones are zero, as downstream does.
    pub fn set_firmware_version(&mut self, version: &[u32]) {
        self.firmware_version = [0; 6];
        for (dst, src) in self.firmware_version.iter_mut().zip(version) {
            *dst = *src;
        }
    }
}
