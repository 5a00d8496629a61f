//! Probe of device-tree AGX nodes the driver cannot drive, and the virtual AGX beside them.
//!
//! On arm64 the guest boots with fake `apple,agx-*` nodes (tools/qemu/agx-fake-nodes.dtsi): a
//! downstream node with an unknown firmware ABI, an upstream node without mailbox or reserved
//! memory, and an upstream node with everything but a usable mailbox. Each must be refused with a
//! message that says why, before any MMIO access (the harness fails the run on any splat), none
//! may stay bound, and the virtual AGX must still be created and work. On every target the
//! virtual device's probe must have read its description (compatible, firmware ABI) from its
//! software node, through the same property code as a device-tree node.

use asahi_guest_tests::kmsg::kernel_log;
use asahi_guest_tests::Tap;
use asahi_uapi::Device;
use std::path::Path;

/// The log lines of device `dev` (as the driver core names it) bound to `asahi`.
fn lines_of<'a>(log: &'a [String], dev: &str) -> Vec<&'a str> {
    let prefix = format!("asahi {dev}: ");
    log.iter().filter_map(|l| l.strip_prefix(&prefix)).collect()
}

fn has(lines: &[&str], needle: &str) -> bool {
    lines.iter().any(|l| l.contains(needle))
}

const BOUND: &str = "/sys/bus/platform/drivers/asahi";

/// Checks one fake node: it exists, it is not bound, and its log says all of `want` and none of
/// `never`.
fn check_node(tap: &mut Tap, log: &[String], dev: &str, what: &str, want: &[&str], never: &[&str]) {
    tap.ok(
        Path::new("/sys/bus/platform/devices").join(dev).exists(),
        format_args!("{dev} ({what}) is a platform device: the fake node is in the device tree"),
    );
    tap.ok(
        !Path::new(BOUND).join(dev).exists(),
        format_args!("{dev} ({what}) is not bound to asahi"),
    );
    let lines = lines_of(log, dev);
    for w in want {
        tap.ok(
            has(&lines, w),
            format_args!("{dev} ({what}): the kernel log says {w:?} ({lines:?})"),
        );
    }
    for n in never {
        tap.ok(
            !has(&lines, n),
            format_args!("{dev} ({what}): the kernel log does not say {n:?}"),
        );
    }
}

fn main() {
    let mut tap = Tap::new();
    let log = kernel_log();
    tap.ok(!log.is_empty(), "the kernel log is readable");

    // The virtual device, on every target: described by its software node.
    let virt = lines_of(&log, "agx-virtual");
    tap.ok(
        has(
            &virt,
            "apple,agx-t8103 firmware ABI 13.5.0 (apple,firmware-abi)",
        ),
        format_args!(
            "the virtual AGX's probe read compatible and ABI from its software node ({virt:?})"
        ),
    );
    tap.ok(
        Path::new(BOUND).join("agx-virtual").exists(),
        "the virtual AGX is bound to asahi",
    );
    match Device::open_render_asahi() {
        Ok(dev) => {
            let p = dev.get_params(0);
            tap.ok(
                p.as_ref().is_ok_and(|p| p.chip_id == 0x8103),
                format_args!(
                    "GET_PARAMS works on the virtual AGX (chip {:#x?})",
                    p.as_ref().map(|p| p.chip_id).ok()
                ),
            );
        }
        Err(e) => tap.ok(
            false,
            format_args!("the virtual AGX's render node opens: {e}"),
        ),
    }

    if std::env::consts::ARCH != "aarch64" {
        tap.skip(
            "fake device-tree AGX nodes are refused",
            "only the arm64 guest boots with a device tree",
        );
        tap.finish();
    }

    check_node(
        &mut tap,
        &log,
        "200000000.gpu",
        "t8103, firmware-compat 12.9.0",
        &["apple,agx-t8103: unsupported firmware ABI 12.9.0 (apple,firmware-compat)"],
        &["missing", "transport ready"],
    );
    check_node(
        &mut tap,
        &log,
        "210000000.gpu",
        "g13g without mailbox and reserved memory",
        &[
            "apple,agx-g13g: missing mboxes",
            "apple,agx-g13g: missing memory-region \"ttbs\"",
            "apple,agx-g13g: missing memory-region \"pagetables\"",
            "apple,agx-g13g: missing memory-region \"handoff\"",
            "apple,agx-g13g: missing memory-region \"hw-cal-a\"",
            "apple,agx-g13g: missing memory-region \"hw-cal-b\"",
            "apple,agx-g13g: missing memory-region \"globals\"",
            "apple,agx-g13g: 7 required resource(s) missing or unusable: refusing the node",
        ],
        &["missing reg", "unsupported firmware ABI", "transport ready"],
    );
    check_node(
        &mut tap,
        &log,
        "220000000.gpu",
        "g14c with a clock as its mailbox",
        &[
            "apple,agx-g14c: mboxes[0] does not name an available apple,asc-mailbox-v4 node",
            "apple,agx-g14c: 1 required resource(s) missing or unusable: refusing the node",
        ],
        &["memory-region", "missing reg", "transport ready", "RTKit"],
    );
    tap.finish();
}
