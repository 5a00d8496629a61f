//! Generates the Rust bindings from `include/drm/asahi_drm.h` with bindgen.
//!
//! The header includes `"drm.h"`, which comes from the system: Debian ships it in `libdrm-dev` under
//! `/usr/include/libdrm` (its `linux-libc-dev` leaves out `drm/`). Set `ASAHI_UAPI_DRM_INCLUDE` to a
//! directory holding `drm.h` to use another copy: exported headers (`make headers_install`) or a
//! kernel tree's `include/uapi/drm` (its `__user` annotations are defined away).

use std::env;
use std::path::{Path, PathBuf};

use bindgen::callbacks::{DeriveInfo, ParseCallbacks, TypeKind};

/// Environment variable naming the directory that holds `drm.h`.
const DRM_INCLUDE_ENV: &str = "ASAHI_UAPI_DRM_INCLUDE";

/// Directories searched for `drm.h` when [`DRM_INCLUDE_ENV`] is not set, in order.
const DRM_INCLUDE_CANDIDATES: &[&str] = &["/usr/include/libdrm", "/usr/include/drm"];

/// Generic DRM structs from `drm.h` that the crate wraps, besides all `drm_asahi_*` structs.
const DRM_STRUCTS: &[&str] = &[
    "drm_version",
    "drm_get_cap",
    "drm_gem_close",
    "drm_prime_handle",
    "drm_syncobj_create",
    "drm_syncobj_destroy",
    "drm_syncobj_handle",
    "drm_syncobj_wait",
    "drm_syncobj_timeline_wait",
    "drm_syncobj_array",
    "drm_syncobj_timeline_array",
];

/// Structs that hold pointers and so cannot be built from arbitrary bytes or viewed as bytes.
///
/// `drm_version` has `char *` fields and implicit padding after `version_patchlevel` on 64-bit
/// targets.
const POINTER_STRUCTS: &[&str] = &["drm_version"];

/// Adds the zerocopy derives to every plain-data struct.
#[derive(Debug)]
struct ZerocopyDerives;

impl ParseCallbacks for ZerocopyDerives {
    fn add_derives(&self, info: &DeriveInfo<'_>) -> Vec<String> {
        let wanted = info.name.starts_with("drm_asahi_") || DRM_STRUCTS.contains(&info.name);
        if info.kind != TypeKind::Struct || !wanted || POINTER_STRUCTS.contains(&info.name) {
            return Vec::new();
        }
        [
            "zerocopy::FromBytes",
            "zerocopy::IntoBytes",
            "zerocopy::KnownLayout",
            "zerocopy::Immutable",
        ]
        .iter()
        .map(|d| (*d).to_owned())
        .collect()
    }
}

/// Returns the directory that holds `drm.h`.
fn drm_include_dir() -> PathBuf {
    println!("cargo:rerun-if-env-changed={DRM_INCLUDE_ENV}");
    if let Some(dir) = env::var_os(DRM_INCLUDE_ENV) {
        let dir = PathBuf::from(dir);
        assert!(
            dir.join("drm.h").is_file(),
            "{DRM_INCLUDE_ENV}={} has no drm.h",
            dir.display()
        );
        return dir;
    }
    DRM_INCLUDE_CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|dir| dir.join("drm.h").is_file())
        .unwrap_or_else(|| {
            panic!(
                "drm.h not found in {DRM_INCLUDE_CANDIDATES:?}: install Debian's libdrm-dev \
                 (tools/setup.sh does) or set {DRM_INCLUDE_ENV}"
            )
        })
}

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by Cargo"));
    let header = manifest_dir.join("include/drm/asahi_drm.h");
    let drm_dir = drm_include_dir();

    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={}", header.display());
    // The layout test compiles C against the same two headers.
    println!("cargo:rustc-env=ASAHI_UAPI_HEADER={}", header.display());
    println!(
        "cargo:rustc-env=ASAHI_UAPI_DRM_INCLUDE_DIR={}",
        drm_dir.display()
    );

    let generic = format!("({})", DRM_STRUCTS.join("|"));
    let bindings = bindgen::Builder::default()
        .header(path_str(&header))
        .clang_arg(format!("-I{}", path_str(&drm_dir)))
        // Unexported kernel uAPI headers still carry the kernel's `__user` annotation.
        .clang_arg("-D__user=")
        .allowlist_type("drm_asahi_.*")
        .allowlist_type(&generic)
        .allowlist_var("DRM_ASAHI_.*")
        .allowlist_var("DRM_IOCTL_ASAHI_.*")
        .allowlist_var("DRM_IOCTL_BASE|DRM_COMMAND_BASE|DRM_COMMAND_END")
        .allowlist_var("DRM_CAP_.*|DRM_PRIME_CAP_.*")
        .allowlist_var("DRM_SYNCOBJ_.*")
        // Keep the C names of enumerators (`DRM_ASAHI_CMD_RENDER`, not `drm_asahi_cmd_type_…`).
        .prepend_enum_name(false)
        .derive_debug(true)
        .derive_copy(true)
        .derive_partialeq(true)
        .derive_eq(true)
        .parse_callbacks(Box::new(ZerocopyDerives))
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .generate()
        .expect("bindgen failed on include/drm/asahi_drm.h");

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by Cargo")).join("bindings.rs");
    bindings
        .write_to_file(&out)
        .expect("cannot write the generated bindings");
}

/// Returns `path` as UTF-8, which bindgen and clang need.
fn path_str(path: &Path) -> &str {
    path.to_str()
        .unwrap_or_else(|| panic!("path is not UTF-8: {}", path.display()))
}
