//! The `asahi` DRM device as generic DRM userspace sees it: nodes, version, caps, open/close.

use asahi_guest_tests::{in_processes, Tap};
use asahi_uapi::{bindings, Device};
use std::fs;

/// The DRM nodes in /dev/dri whose driver is `asahi`.
fn asahi_nodes(prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(dir) = fs::read_dir("/dev/dri") else {
        return out;
    };
    for e in dir.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with(prefix) {
            continue;
        }
        let path = format!("/dev/dri/{name}");
        if let Ok(dev) = Device::open(&path) {
            if dev.version().map(|v| v.name == "asahi").unwrap_or(false) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn main() {
    let mut tap = Tap::new();

    let render = asahi_nodes("renderD");
    tap.ok(
        render.len() == 1,
        format_args!("one asahi render node: {render:?}"),
    );
    let card = asahi_nodes("card");
    tap.ok(
        card.len() == 1,
        format_args!("one asahi primary node: {card:?}"),
    );

    let dev = Device::open_render_asahi();
    tap.check(
        dev.as_ref().map(|_| ()),
        "open_render_asahi finds the device",
    );
    let Ok(dev) = dev else {
        tap.diag("no device: skipping the rest");
        tap.finish();
    };

    match dev.version() {
        Ok(v) => {
            tap.ok(
                v.name == "asahi",
                format_args!("VERSION name is asahi ({:?})", v.name),
            );
            tap.ok(
                v.major == 1 && !v.desc.is_empty(),
                format_args!(
                    "VERSION {}.{}.{} desc {:?}",
                    v.major, v.minor, v.patchlevel, v.desc
                ),
            );
        }
        Err(e) => {
            tap.ok(false, format_args!("VERSION # {e}"));
            tap.ok(false, "VERSION numbers # skipped");
        }
    }

    let cap = |c: u32| dev.get_cap(u64::from(c));
    tap.ok(
        matches!(cap(bindings::DRM_CAP_SYNCOBJ), Ok(1)),
        format_args!("GET_CAP SYNCOBJ = 1 ({:?})", cap(bindings::DRM_CAP_SYNCOBJ)),
    );
    tap.ok(
        matches!(cap(bindings::DRM_CAP_SYNCOBJ_TIMELINE), Ok(1)),
        format_args!(
            "GET_CAP SYNCOBJ_TIMELINE = 1 ({:?})",
            cap(bindings::DRM_CAP_SYNCOBJ_TIMELINE)
        ),
    );

    // A syncobj created signalled is immediately waitable: the core syncobj support is live.
    let syncobj = dev
        .syncobj_create(bindings::DRM_SYNCOBJ_CREATE_SIGNALED)
        .and_then(|h| {
            dev.syncobj_wait(&[h], 0, 0)?;
            dev.syncobj_destroy(h)
        });
    tap.check(syncobj, "signalled syncobj create, wait, destroy");

    // Many processes opening and closing the node at once, each doing an ioctl in between.
    let path = render.first().cloned().unwrap_or_default();
    let good = in_processes(32, |_| {
        (0..20).all(|_| {
            Device::open(&path)
                .and_then(|d| d.version())
                .map(|v| v.name == "asahi")
                .unwrap_or(false)
        })
    });
    tap.ok(
        good == 32,
        format_args!("32 processes x 20 open/version/close: {good} ok"),
    );

    tap.finish();
}
