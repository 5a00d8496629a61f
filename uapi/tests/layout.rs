//! Struct sizes, alignments and field offsets, checked three ways.
//!
//! The expected numbers are the upstream uAPI layout (Linux 6.16+ `asahi_drm.h`, as tabulated in
//! the project's reference notes, section 1.2). They are compared with the generated Rust structs
//! and with what the system C compiler makes of `include/drm/asahi_drm.h`. The fields of each
//! table entry must tile the struct without gaps, so an unlisted field cannot hide in either the
//! header or the bindings.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::mem::{align_of, offset_of, size_of};

use asahi_uapi::*;

/// A field: its name, offset and size in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    name: &'static str,
    offset: usize,
    size: usize,
}

/// A struct: its name, size, alignment and fields in declaration order.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Layout {
    name: &'static str,
    size: usize,
    align: usize,
    fields: Vec<Field>,
}

/// Returns the size of the field that `get` borrows.
fn field_size<T, F>(_get: impl for<'a> Fn(&'a T) -> &'a F) -> usize {
    size_of::<F>()
}

/// Defines `$expected()` with the layouts as written and `$measured()` with the same structs as
/// Rust lays them out (a misspelt field fails to compile).
macro_rules! layouts {
    ($expected:ident, $measured:ident {
        $( $ty:ident: $size:literal, $align:literal {
            $( $field:ident: $off:literal, $fsize:literal; )*
        } )*
    }) => {
        fn $expected() -> Vec<Layout> {
            vec![$(Layout {
                name: stringify!($ty),
                size: $size,
                align: $align,
                fields: vec![$(Field {
                    name: stringify!($field),
                    offset: $off,
                    size: $fsize,
                }),*],
            }),*]
        }

        fn $measured() -> Vec<Layout> {
            vec![$(Layout {
                name: stringify!($ty),
                size: size_of::<$ty>(),
                align: align_of::<$ty>(),
                fields: vec![$(Field {
                    name: stringify!($field),
                    offset: offset_of!($ty, $field),
                    size: field_size(|s: &$ty| &s.$field),
                }),*],
            }),*]
        }
    };
}

layouts!(reference, rust {
    drm_asahi_params_global: 592, 8 {
        features: 0, 8;
        gpu_generation: 8, 4;
        gpu_variant: 12, 4;
        gpu_revision: 16, 4;
        chip_id: 20, 4;
        num_dies: 24, 4;
        num_clusters_total: 28, 4;
        num_cores_per_cluster: 32, 4;
        max_frequency_khz: 36, 4;
        core_masks: 40, 512;
        vm_start: 552, 8;
        vm_end: 560, 8;
        vm_kernel_min_size: 568, 8;
        max_commands_per_submission: 576, 4;
        max_attachments: 580, 4;
        command_timestamp_frequency_hz: 584, 8;
    }
    drm_asahi_get_params: 24, 8 {
        param_group: 0, 4;
        pad: 4, 4;
        pointer: 8, 8;
        size: 16, 8;
    }
    drm_asahi_get_time: 16, 8 {
        flags: 0, 8;
        gpu_timestamp: 8, 8;
    }
    drm_asahi_vm_create: 24, 8 {
        kernel_start: 0, 8;
        kernel_end: 8, 8;
        vm_id: 16, 4;
        pad: 20, 4;
    }
    drm_asahi_vm_destroy: 8, 4 {
        vm_id: 0, 4;
        pad: 4, 4;
    }
    drm_asahi_gem_create: 24, 8 {
        size: 0, 8;
        flags: 8, 4;
        vm_id: 12, 4;
        handle: 16, 4;
        pad: 20, 4;
    }
    drm_asahi_gem_mmap_offset: 16, 8 {
        handle: 0, 4;
        flags: 4, 4;
        offset: 8, 8;
    }
    drm_asahi_gem_bind_op: 32, 8 {
        flags: 0, 4;
        handle: 4, 4;
        offset: 8, 8;
        range: 16, 8;
        addr: 24, 8;
    }
    drm_asahi_vm_bind: 24, 8 {
        vm_id: 0, 4;
        num_binds: 4, 4;
        stride: 8, 4;
        pad: 12, 4;
        userptr: 16, 8;
    }
    drm_asahi_gem_bind_object: 40, 8 {
        op: 0, 4;
        flags: 4, 4;
        handle: 8, 4;
        vm_id: 12, 4;
        offset: 16, 8;
        range: 24, 8;
        object_handle: 32, 4;
        pad: 36, 4;
    }
    drm_asahi_queue_create: 24, 8 {
        flags: 0, 4;
        vm_id: 4, 4;
        priority: 8, 4;
        queue_id: 12, 4;
        usc_exec_base: 16, 8;
    }
    drm_asahi_queue_destroy: 8, 4 {
        queue_id: 0, 4;
        pad: 4, 4;
    }
    drm_asahi_sync: 16, 8 {
        sync_type: 0, 4;
        handle: 4, 4;
        timeline_value: 8, 8;
    }
    drm_asahi_cmd_header: 8, 2 {
        cmd_type: 0, 2;
        size: 2, 2;
        vdm_barrier: 4, 2;
        cdm_barrier: 6, 2;
    }
    drm_asahi_submit: 40, 8 {
        syncs: 0, 8;
        cmdbuf: 8, 8;
        flags: 16, 4;
        queue_id: 20, 4;
        in_sync_count: 24, 4;
        out_sync_count: 28, 4;
        cmdbuf_size: 32, 4;
        pad: 36, 4;
    }
    drm_asahi_attachment: 24, 8 {
        pointer: 0, 8;
        size: 8, 8;
        pad: 16, 4;
        flags: 20, 4;
    }
    drm_asahi_zls_buffer: 24, 8 {
        base: 0, 8;
        comp_base: 8, 8;
        stride: 16, 4;
        comp_stride: 20, 4;
    }
    drm_asahi_timestamp: 8, 4 {
        handle: 0, 4;
        offset: 4, 4;
    }
    drm_asahi_timestamps: 16, 4 {
        start: 0, 8;
        end: 8, 8;
    }
    drm_asahi_helper_program: 16, 8 {
        binary: 0, 4;
        cfg: 4, 4;
        data: 8, 8;
    }
    drm_asahi_bg_eot: 8, 4 {
        usc: 0, 4;
        rsrc_spec: 4, 4;
    }
    drm_asahi_cmd_render: 240, 8 {
        flags: 0, 4;
        isp_zls_pixels: 4, 4;
        vdm_ctrl_stream_base: 8, 8;
        vertex_helper: 16, 16;
        fragment_helper: 32, 16;
        isp_scissor_base: 48, 8;
        isp_dbias_base: 56, 8;
        isp_oclqry_base: 64, 8;
        depth: 72, 24;
        stencil: 96, 24;
        zls_ctrl: 120, 8;
        ppp_multisamplectl: 128, 8;
        sampler_heap: 136, 8;
        ppp_ctrl: 144, 4;
        width_px: 148, 2;
        height_px: 150, 2;
        layers: 152, 2;
        sampler_count: 154, 2;
        utile_width_px: 156, 1;
        utile_height_px: 157, 1;
        samples: 158, 1;
        sample_size_B: 159, 1;
        isp_merge_upper_x: 160, 4;
        isp_merge_upper_y: 164, 4;
        bg: 168, 8;
        eot: 176, 8;
        partial_bg: 184, 8;
        partial_eot: 192, 8;
        isp_bgobjdepth: 200, 4;
        isp_bgobjvals: 204, 4;
        ts_vtx: 208, 16;
        ts_frag: 224, 16;
    }
    drm_asahi_cmd_compute: 64, 8 {
        flags: 0, 4;
        sampler_count: 4, 4;
        cdm_ctrl_stream_base: 8, 8;
        cdm_ctrl_stream_end: 16, 8;
        sampler_heap: 24, 8;
        helper: 32, 16;
        ts: 48, 16;
    }
    // Generic DRM structs whose layout has not changed across drm.h versions.
    drm_get_cap: 16, 8 {
        capability: 0, 8;
        value: 8, 8;
    }
    drm_gem_close: 8, 4 {
        handle: 0, 4;
        pad: 4, 4;
    }
    drm_prime_handle: 12, 4 {
        handle: 0, 4;
        flags: 4, 4;
        fd: 8, 4;
    }
    drm_syncobj_create: 8, 4 {
        handle: 0, 4;
        flags: 4, 4;
    }
    drm_syncobj_destroy: 8, 4 {
        handle: 0, 4;
        pad: 4, 4;
    }
    drm_syncobj_array: 16, 8 {
        handles: 0, 8;
        count_handles: 8, 4;
        pad: 12, 4;
    }
    drm_syncobj_timeline_array: 24, 8 {
        handles: 0, 8;
        points: 8, 8;
        count_handles: 16, 4;
        flags: 20, 4;
    }
});

// Generic DRM structs that grew at their end in some Linux version (`deadline_nsec` in 6.4,
// `point` in 6.15), or that have implicit padding and pointers (`drm_version`, 64-bit layout).
// Only the listed fields are fixed; the size and alignment of the grown structs are those of the
// `drm.h` in use, so the table gives 0 for them and `unversioned` ignores them.
layouts!(prefix_reference, prefix_rust {
    drm_syncobj_handle: 0, 0 {
        handle: 0, 4;
        flags: 4, 4;
        fd: 8, 4;
        pad: 12, 4;
    }
    drm_syncobj_wait: 0, 0 {
        handles: 0, 8;
        timeout_nsec: 8, 8;
        count_handles: 16, 4;
        flags: 20, 4;
        first_signaled: 24, 4;
        pad: 28, 4;
    }
    drm_syncobj_timeline_wait: 0, 0 {
        handles: 0, 8;
        points: 8, 8;
        timeout_nsec: 16, 8;
        count_handles: 24, 4;
        flags: 28, 4;
        first_signaled: 32, 4;
        pad: 36, 4;
    }
    drm_version: 64, 8 {
        version_major: 0, 4;
        version_minor: 4, 4;
        version_patchlevel: 8, 4;
        name_len: 16, 8;
        name: 24, 8;
        date_len: 32, 8;
        date: 40, 8;
        desc_len: 48, 8;
        desc: 56, 8;
    }
});

/// Returns the C compiler's view of `layouts`: sizes, alignments and the listed fields.
fn c_layouts(test: &str, layouts: &[Layout]) -> Vec<Layout> {
    let mut body = String::new();
    for l in layouts {
        let s = l.name;
        writeln!(
            body,
            "\tprintf(\"{s} %zu %zu\\n\", sizeof(struct {s}), _Alignof(struct {s}));"
        )
        .unwrap();
        for f in &l.fields {
            let f = f.name;
            writeln!(
                body,
                "\tprintf(\"{s}.{f} %zu %zu\\n\", offsetof(struct {s}, {f}), \
                 sizeof(((struct {s} *)0)->{f}));"
            )
            .unwrap();
        }
    }
    let out = common::parse_numbers(&common::run_c(test, &body));
    let get = |key: &str| -> (usize, usize) {
        match out.get(key).map(Vec::as_slice) {
            Some(&[a, b]) => (a.try_into().unwrap(), b.try_into().unwrap()),
            other => panic!("C output for {key}: {other:?}"),
        }
    };
    layouts
        .iter()
        .map(|l| {
            let (size, align) = get(l.name);
            Layout {
                name: l.name,
                size,
                align,
                fields: l
                    .fields
                    .iter()
                    .map(|f| {
                        let (offset, size) = get(&format!("{}.{}", l.name, f.name));
                        Field {
                            name: f.name,
                            offset,
                            size,
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Asserts that two sets of layouts agree, naming the first struct that differs.
fn assert_same(what: &str, expected: &[Layout], actual: &[Layout]) {
    assert_eq!(expected.len(), actual.len());
    for (e, a) in expected.iter().zip(actual) {
        assert_eq!(e, a, "{what}: layout of {} differs", e.name);
    }
}

/// Zeroes the size and alignment of the structs whose size depends on the `drm.h` in use.
fn unversioned(mut layouts: Vec<Layout>) -> Vec<Layout> {
    for l in &mut layouts {
        if l.name != "drm_version" {
            l.size = 0;
            l.align = 0;
        }
    }
    layouts
}

#[test]
fn reference_fields_tile_each_struct() {
    for l in reference() {
        let mut end = 0;
        for f in &l.fields {
            assert_eq!(
                f.offset, end,
                "{}.{} leaves a gap or overlaps",
                l.name, f.name
            );
            assert_eq!(
                f.offset % l.align.min(f.size),
                0,
                "{}.{} misaligned",
                l.name,
                f.name
            );
            end = f.offset + f.size;
        }
        assert_eq!(end, l.size, "{}: fields do not reach the end", l.name);
        assert_eq!(
            l.size % l.align,
            0,
            "{}: size not a multiple of alignment",
            l.name
        );
    }
}

#[test]
fn rust_layouts_match_reference() {
    assert_same("Rust", &reference(), &rust());
}

#[test]
fn c_layouts_match_reference() {
    let reference = reference();
    assert_same("C", &reference, &c_layouts("layout", &reference));
}

#[test]
fn rust_layouts_match_reference_prefixes() {
    let mut expected = prefix_reference();
    let rust = prefix_rust();
    if cfg!(not(target_pointer_width = "64")) {
        expected.retain(|l| l.name != "drm_version");
    }
    let rust: Vec<Layout> = rust
        .into_iter()
        .filter(|l| expected.iter().any(|e| e.name == l.name))
        .collect();
    assert_same("Rust", &unversioned(expected), &unversioned(rust));
}

#[test]
fn c_and_rust_agree_on_versioned_drm_structs() {
    // Here the full size matters too: Rust and C must have used the same drm.h.
    let rust = prefix_rust();
    let c = c_layouts("layout_prefix", &rust);
    assert_same("C vs Rust", &rust, &c);

    let sizes: BTreeMap<&str, usize> = rust.iter().map(|l| (l.name, l.size)).collect();
    // Without and with `deadline_nsec`; without and with `point`.
    assert!([32, 40].contains(&sizes["drm_syncobj_wait"]));
    assert!([40, 48].contains(&sizes["drm_syncobj_timeline_wait"]));
    assert!([16, 24].contains(&sizes["drm_syncobj_handle"]));
}

#[test]
fn header_compiles_as_cxx() {
    common::check_cxx(
        "header",
        "#include \"asahi_drm.h\"\n\
         static_assert(sizeof(drm_asahi_cmd_render) == 240, \"cmd_render\");\n\
         static_assert(DRM_IOCTL_ASAHI_SUBMIT == 0x4028644a, \"submit\");\n",
    );
}
