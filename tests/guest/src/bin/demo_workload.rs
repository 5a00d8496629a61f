//! The README demo's guest side: what a Mesa driver sees when it opens the virtual AGX.
//!
//! It follows the first steps of Mesa's `agx_open_device` (find the render node by driver name,
//! check the version and sync capabilities) and prints what it finds.

use asahi_uapi::{bindings, Device};

fn main() {
    let dev = match Device::open_render_asahi() {
        Ok(d) => d,
        Err(e) => {
            println!("demo: no asahi render node: {e}");
            std::process::exit(1);
        }
    };
    match dev.version() {
        Ok(v) => println!(
            "demo: driver {} {}.{}.{} ({})",
            v.name, v.major, v.minor, v.patchlevel, v.desc
        ),
        Err(e) => println!("demo: DRM_IOCTL_VERSION failed: {e}"),
    }
    for (name, cap) in [
        ("SYNCOBJ", bindings::DRM_CAP_SYNCOBJ),
        ("SYNCOBJ_TIMELINE", bindings::DRM_CAP_SYNCOBJ_TIMELINE),
    ] {
        println!("demo: cap {name} = {:?}", dev.get_cap(u64::from(cap)));
    }
}
