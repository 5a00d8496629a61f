// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The uAPI structs as plain data: each bindgen struct of `asahi_drm.h` that the driver reads
//! from or writes to userspace as bytes implements [`Plain`], so the generic byte views
//! (`file::read_extensible`, the ioctl dispatcher `kernel_ext::drm::dispatch`, GET_PARAMS'
//! copy-out) accept them and nothing else.
//!
//! bindgen derives no zerocopy traits in the kernel, so each struct goes through
//! [`plain_fields!`], which proves the claim at compile time from its field list: the list is
//! exhaustive (a destructuring pattern without `..`), each field has the listed type (a typed
//! `let`), each field type is itself `Plain` (integers, arrays of them, or the structs above it
//! here), and the field sizes add up to the struct's size, so there is no padding. A field
//! added to the header without being added here, a pointer field, or a layout with padding
//! fails the build. The host crate `asahi-uapi` derives zerocopy's traits on its bindings of
//! the same header, which checks the same facts a second way.
//!
//! Owns nothing at run time; no locks.

use crate::bindings::{
    self, drm_asahi_attachment, drm_asahi_bg_eot, drm_asahi_cmd_compute, drm_asahi_cmd_header,
    drm_asahi_cmd_render, drm_asahi_gem_bind_object, drm_asahi_gem_bind_op, drm_asahi_gem_create,
    drm_asahi_gem_mmap_offset, drm_asahi_get_params, drm_asahi_get_time, drm_asahi_helper_program,
    drm_asahi_params_global, drm_asahi_queue_create, drm_asahi_queue_destroy, drm_asahi_submit,
    drm_asahi_sync, drm_asahi_timestamp, drm_asahi_timestamps, drm_asahi_vm_bind,
    drm_asahi_vm_create, drm_asahi_vm_destroy, drm_asahi_zls_buffer,
};
use crate::fw::plain::{plain_fields, Plain};

plain_fields!(drm_asahi_timestamp {
    handle: u32,
    offset: u32,
});
plain_fields!(drm_asahi_timestamps {
    start: drm_asahi_timestamp,
    end: drm_asahi_timestamp,
});
plain_fields!(drm_asahi_helper_program {
    binary: u32,
    cfg: u32,
    data: u64,
});
plain_fields!(drm_asahi_bg_eot {
    usc: u32,
    rsrc_spec: u32,
});
plain_fields!(drm_asahi_zls_buffer {
    base: u64,
    comp_base: u64,
    stride: u32,
    comp_stride: u32,
});
plain_fields!(drm_asahi_params_global {
    features: u64,
    gpu_generation: u32,
    gpu_variant: u32,
    gpu_revision: u32,
    chip_id: u32,
    num_dies: u32,
    num_clusters_total: u32,
    num_cores_per_cluster: u32,
    max_frequency_khz: u32,
    core_masks: [u64; bindings::DRM_ASAHI_MAX_CLUSTERS as usize],
    vm_start: u64,
    vm_end: u64,
    vm_kernel_min_size: u64,
    max_commands_per_submission: u32,
    max_attachments: u32,
    command_timestamp_frequency_hz: u64,
});
plain_fields!(drm_asahi_get_params {
    param_group: u32,
    pad: u32,
    pointer: u64,
    size: u64,
});
plain_fields!(drm_asahi_vm_create {
    kernel_start: u64,
    kernel_end: u64,
    vm_id: u32,
    pad: u32,
});
plain_fields!(drm_asahi_vm_destroy {
    vm_id: u32,
    pad: u32,
});
plain_fields!(drm_asahi_gem_create {
    size: u64,
    flags: u32,
    vm_id: u32,
    handle: u32,
    pad: u32,
});
plain_fields!(drm_asahi_gem_mmap_offset {
    handle: u32,
    flags: u32,
    offset: u64,
});
plain_fields!(drm_asahi_gem_bind_op {
    flags: u32,
    handle: u32,
    offset: u64,
    range: u64,
    addr: u64,
});
plain_fields!(drm_asahi_vm_bind {
    vm_id: u32,
    num_binds: u32,
    stride: u32,
    pad: u32,
    userptr: u64,
});
plain_fields!(drm_asahi_gem_bind_object {
    op: u32,
    flags: u32,
    handle: u32,
    vm_id: u32,
    offset: u64,
    range: u64,
    object_handle: u32,
    pad: u32,
});
plain_fields!(drm_asahi_queue_create {
    flags: u32,
    vm_id: u32,
    priority: u32,
    queue_id: u32,
    usc_exec_base: u64,
});
plain_fields!(drm_asahi_queue_destroy {
    queue_id: u32,
    pad: u32,
});
plain_fields!(drm_asahi_sync {
    sync_type: u32,
    handle: u32,
    timeline_value: u64,
});
plain_fields!(drm_asahi_cmd_header {
    cmd_type: u16,
    size: u16,
    vdm_barrier: u16,
    cdm_barrier: u16,
});
plain_fields!(drm_asahi_submit {
    syncs: u64,
    cmdbuf: u64,
    flags: u32,
    queue_id: u32,
    in_sync_count: u32,
    out_sync_count: u32,
    cmdbuf_size: u32,
    pad: u32,
});
plain_fields!(drm_asahi_attachment {
    pointer: u64,
    size: u64,
    pad: u32,
    flags: u32,
});
plain_fields!(drm_asahi_cmd_render {
    flags: u32,
    isp_zls_pixels: u32,
    vdm_ctrl_stream_base: u64,
    vertex_helper: drm_asahi_helper_program,
    fragment_helper: drm_asahi_helper_program,
    isp_scissor_base: u64,
    isp_dbias_base: u64,
    isp_oclqry_base: u64,
    depth: drm_asahi_zls_buffer,
    stencil: drm_asahi_zls_buffer,
    zls_ctrl: u64,
    ppp_multisamplectl: u64,
    sampler_heap: u64,
    ppp_ctrl: u32,
    width_px: u16,
    height_px: u16,
    layers: u16,
    sampler_count: u16,
    utile_width_px: u8,
    utile_height_px: u8,
    samples: u8,
    sample_size_B: u8,
    isp_merge_upper_x: u32,
    isp_merge_upper_y: u32,
    bg: drm_asahi_bg_eot,
    eot: drm_asahi_bg_eot,
    partial_bg: drm_asahi_bg_eot,
    partial_eot: drm_asahi_bg_eot,
    isp_bgobjdepth: u32,
    isp_bgobjvals: u32,
    ts_vtx: drm_asahi_timestamps,
    ts_frag: drm_asahi_timestamps,
});
plain_fields!(drm_asahi_cmd_compute {
    flags: u32,
    sampler_count: u32,
    cdm_ctrl_stream_base: u64,
    cdm_ctrl_stream_end: u64,
    sampler_heap: u64,
    helper: drm_asahi_helper_program,
    ts: drm_asahi_timestamps,
});
plain_fields!(drm_asahi_get_time {
    flags: u64,
    gpu_timestamp: u64,
});
