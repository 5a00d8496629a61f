// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The device's description: what its node says it is, read the same way on both paths.
//!
//! A real AGX is an `apple,agx-*` device-tree node; the virtual AGX is a platform device whose
//! software node carries the same properties (`asahi_main.rs`). Both are read here, through the
//! device property API ([`DeviceProps`]), so the virtual path exercises this code:
//! - [`Description::read`]: the compatible → GPU generation and variant, and the firmware ABI
//!   (`apple,firmware-abi`, upstream; `apple,firmware-compat`, downstream), refusing ABIs the
//!   driver has no layouts for (shared/reference/firmware-commands.md §6.1, §6.2);
//! - [`check_resources`] (device-tree nodes only): every resource the real transport needs
//!   exists (`reg` `asc`/`sgx`, `mboxes` naming an Apple ASC mailbox, the six reserved-memory
//!   regions), checked before any MMIO access.
//!
//! Each refusal says why with `dev_err`, naming the compatible, and returns `ENODEV`.

use crate::backend::Region;
use crate::hw::{GpuGen, GpuVariant};
use crate::kernel_ext::platform;
use crate::kernel_ext::print::{dev_err, AsRawDevice};
use crate::kernel_ext::property::DeviceProps;
use kernel::c_str;
use kernel::prelude::*;
use kernel::str::CStr;

/// The firmware ABIs the driver has layouts for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum FwAbi {
    /// 12.3.0 (G13).
    V12_3,
    /// 12.4.0 (G14).
    V12_4,
    /// 13.5.0 (G13, G14).
    V13_5,
}

/// What a device's node says it is.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Description {
    /// The `compatible` entry the description was taken from.
    pub(crate) compatible: &'static CStr,
    /// GPU generation.
    pub(crate) gen: GpuGen,
    /// GPU variant.
    pub(crate) variant: GpuVariant,
    /// The firmware ABI.
    pub(crate) abi: FwAbi,
    /// The ABI property's three cells, as read.
    pub(crate) abi_cells: [u32; 3],
    /// The property the ABI was read from.
    pub(crate) abi_property: &'static CStr,
}

/// Known compatibles, most specific first: a `-g13c`/`-g13d` node also lists its `-g13s`
/// fallback (binding §6.1), so the specific entry must win.
const COMPATIBLES: [(&CStr, GpuGen, GpuVariant); 16] = {
    use GpuGen::{G13, G14};
    use GpuVariant::{C, D, G, S};
    [
        // Downstream (DRV-J `driver.rs`): M1, M2, M1 Pro/Max/Ultra, M2 Pro/Max/Ultra. First: a node
        // names its most specific compatible first, and the SoC is the most specific.
        (c_str!("apple,agx-t8103"), G13, G),
        (c_str!("apple,agx-t8112"), G14, G),
        (c_str!("apple,agx-t6000"), G13, S),
        (c_str!("apple,agx-t6001"), G13, C),
        (c_str!("apple,agx-t6002"), G13, D),
        (c_str!("apple,agx-t6020"), G14, S),
        (c_str!("apple,agx-t6021"), G14, C),
        (c_str!("apple,agx-t6022"), G14, D),
        // Upstream binding (`apple,agx.yaml`).
        (c_str!("apple,agx-g13c"), G13, C),
        (c_str!("apple,agx-g13d"), G13, D),
        (c_str!("apple,agx-g14c"), G14, C),
        (c_str!("apple,agx-g14d"), G14, D),
        (c_str!("apple,agx-g13g"), G13, G),
        (c_str!("apple,agx-g13s"), G13, S),
        (c_str!("apple,agx-g14g"), G14, G),
        (c_str!("apple,agx-g14s"), G14, S),
    ]
};

/// The ABI properties, in the order they are tried (m1n1 always writes the upstream one).
const ABI_PROPERTIES: [&CStr; 2] = [
    c_str!("apple,firmware-abi"),
    c_str!("apple,firmware-compat"),
];

/// The ABI a `(generation, version)` pair runs, if the driver has layouts for it (downstream
/// `driver.rs` probe: G13 + 12.3.0, G14 + 12.4.0, either + 13.5.0).
pub(crate) fn supported_abi(gen: GpuGen, version: [u32; 3]) -> Option<FwAbi> {
    match (gen, version) {
        (GpuGen::G13, [12, 3, 0]) => Some(FwAbi::V12_3),
        (GpuGen::G14, [12, 4, 0]) => Some(FwAbi::V12_4),
        (_, [13, 5, 0]) => Some(FwAbi::V13_5),
        _ => None,
    }
}

impl Description {
    /// Reads the description of `dev` from its properties; `ENODEV`, after saying why, when it
    /// has no known compatible, no usable ABI property, or an ABI the driver cannot drive.
    pub(crate) fn read(dev: &dyn AsRawDevice) -> Result<Self> {
        let props = DeviceProps::new(dev);
        let Some(&(compatible, gen, variant)) =
            COMPATIBLES.iter().find(|(c, _, _)| props.is_compatible(c))
        else {
            dev_err!(
                dev,
                "no known apple,agx-* compatible: refusing the device\n"
            );
            return Err(ENODEV);
        };
        let Some(abi_property) = ABI_PROPERTIES.into_iter().find(|p| props.present(p)) else {
            dev_err!(
                dev,
                "{}: no apple,firmware-abi or apple,firmware-compat property: refusing the node\n",
                compatible
            );
            return Err(ENODEV);
        };
        let cells = match props.u32_count(abi_property) {
            Ok(n) if n >= 3 => props.read_u32_array::<3>(abi_property),
            Ok(n) => {
                dev_err!(
                    dev,
                    "{}: {} has {} cells, needs 3: refusing the node\n",
                    compatible,
                    abi_property,
                    n
                );
                return Err(ENODEV);
            }
            Err(e) => Err(e),
        };
        let abi_cells = match cells {
            Ok(c) => c,
            Err(e) => {
                dev_err!(
                    dev,
                    "{}: {} is not a u32 array ({:?}): refusing the node\n",
                    compatible,
                    abi_property,
                    e
                );
                return Err(ENODEV);
            }
        };
        let Some(abi) = supported_abi(gen, abi_cells) else {
            let [a, b, c] = abi_cells;
            dev_err!(
                dev,
                "{}: unsupported firmware ABI {}.{}.{} ({}); supported: 12.3.0 (G13), 12.4.0 (G14), 13.5.0 (G13, G14): refusing the node\n",
                compatible,
                a,
                b,
                c,
                abi_property
            );
            return Err(ENODEV);
        };
        Ok(Self {
            compatible,
            gen,
            variant,
            abi,
            abi_cells,
            abi_property,
        })
    }
}

/// The mailbox the RTKit library drives (6.12 `drivers/soc/apple/mailbox.c` match table; the
/// GPU's ASC uses the v4 ASC mailbox).
const ASC_MAILBOX: &CStr = c_str!("apple,asc-mailbox-v4");

/// Checks that a device-tree node has every resource the real transport needs, before anything
/// is mapped: `reg` entries `asc` and `sgx`, an `mboxes` entry naming an available Apple ASC
/// mailbox, and the six reserved-memory regions by name. Says what is missing and returns
/// `ENODEV` otherwise.
pub(crate) fn check_resources(pdev: &platform::Device, desc: &Description) -> Result {
    let props = DeviceProps::new(pdev);
    let compat = desc.compatible;
    let mut missing = 0u32;
    if !props.has_of_node() {
        dev_err!(
            pdev,
            "{}: not a device-tree node: refusing the device\n",
            compat
        );
        return Err(ENODEV);
    }
    for name in [c_str!("asc"), c_str!("sgx")] {
        if pdev.mem_resource(name).is_none() {
            dev_err!(pdev, "{}: missing reg \"{}\" (reg-names)\n", compat, name);
            missing += 1;
        }
    }
    match props.phandle_is_compatible(c_str!("mboxes"), c_str!("#mbox-cells"), 0, ASC_MAILBOX) {
        Ok(true) => {}
        Ok(false) => {
            dev_err!(
                pdev,
                "{}: mboxes[0] does not name an available {} node: unusable mailbox\n",
                compat,
                ASC_MAILBOX
            );
            missing += 1;
        }
        Err(e) if e == ENOENT => {
            dev_err!(pdev, "{}: missing mboxes\n", compat);
            missing += 1;
        }
        Err(e) => {
            dev_err!(
                pdev,
                "{}: malformed mboxes ({:?}): unusable mailbox\n",
                compat,
                e
            );
            missing += 1;
        }
    }
    for region in Region::ALL {
        match props.reserved_memory(region.name()) {
            Ok(_) => {}
            Err(e) if e == ENOENT => {
                dev_err!(
                    pdev,
                    "{}: missing memory-region \"{}\" (memory-region-names)\n",
                    compat,
                    region.name()
                );
                missing += 1;
            }
            Err(_) => {
                dev_err!(
                    pdev,
                    "{}: memory-region \"{}\" is not registered reserved memory\n",
                    compat,
                    region.name()
                );
                missing += 1;
            }
        }
    }
    if missing != 0 {
        dev_err!(
            pdev,
            "{}: {} required resource(s) missing or unusable: refusing the node\n",
            compat,
            missing
        );
        return Err(ENODEV);
    }
    Ok(())
}

#[cfg(CONFIG_KUNIT)]
mod tests {
    use super::{supported_abi, FwAbi, COMPATIBLES};
    use crate::hw::{GpuGen, GpuVariant};
    use crate::kernel_ext::kunit::{expect_eq, expect_true, kunit_suite, Context};

    fn abi_table(ctx: &mut Context) {
        let (g13, g14) = (GpuGen::G13, GpuGen::G14);
        expect_eq!(ctx, supported_abi(g13, [12, 3, 0]), Some(FwAbi::V12_3));
        expect_eq!(ctx, supported_abi(g14, [12, 3, 0]), None);
        expect_eq!(ctx, supported_abi(g14, [12, 4, 0]), Some(FwAbi::V12_4));
        expect_eq!(ctx, supported_abi(g13, [12, 4, 0]), None);
        expect_eq!(ctx, supported_abi(g13, [13, 5, 0]), Some(FwAbi::V13_5));
        expect_eq!(ctx, supported_abi(g14, [13, 5, 0]), Some(FwAbi::V13_5));
        expect_eq!(ctx, supported_abi(g13, [12, 9, 0]), None);
        expect_eq!(ctx, supported_abi(g13, [13, 5, 1]), None);
        expect_eq!(ctx, supported_abi(g14, [0, 0, 0]), None);
    }

    fn compatible_table(ctx: &mut Context) {
        let pos = |name: &[u8]| {
            COMPATIBLES
                .iter()
                .position(|(c, _, _)| c.as_bytes() == name)
        };
        // A -g1Xc/-g1Xd node lists its -g1Xs fallback too: the specific entry must come first.
        for (specific, fallback) in [
            (&b"apple,agx-g13c"[..], &b"apple,agx-g13s"[..]),
            (b"apple,agx-g13d", b"apple,agx-g13s"),
            (b"apple,agx-g14c", b"apple,agx-g14s"),
            (b"apple,agx-g14d", b"apple,agx-g14s"),
        ] {
            let (a, b) = (pos(specific), pos(fallback));
            expect_true!(ctx, a.is_some() && b.is_some() && a < b);
        }
        let get = |name: &[u8]| {
            pos(name)
                .and_then(|i| COMPATIBLES.get(i))
                .map(|e| (e.1, e.2))
        };
        expect_eq!(
            ctx,
            get(b"apple,agx-t8103"),
            Some((GpuGen::G13, GpuVariant::G))
        );
        expect_eq!(
            ctx,
            get(b"apple,agx-t6002"),
            Some((GpuGen::G13, GpuVariant::D))
        );
        expect_eq!(
            ctx,
            get(b"apple,agx-t8112"),
            Some((GpuGen::G14, GpuVariant::G))
        );
        expect_eq!(
            ctx,
            get(b"apple,agx-t6021"),
            Some((GpuGen::G14, GpuVariant::C))
        );
    }

    kunit_suite!(asahi_desc, [abi_table, compatible_table]);
}
