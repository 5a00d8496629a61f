/* SPDX-License-Identifier: MIT */
/*
 * Userspace interface of the asahi DRM driver for Apple AGX GPUs.
 *
 * This file is written for this project and is meant to be ABI-identical to
 * include/uapi/drm/asahi_drm.h of Linux 6.16 and later, the header Mesa (the
 * asahi Gallium driver and the honeykrisp Vulkan driver) is built against:
 * every ioctl number, struct, field, offset, size, enum and constant matches.
 * The comments are this project's own.
 *
 * It is the single source of truth for the uAPI in this project: the kernel
 * module and the asahi-uapi Rust crate both run bindgen over it.
 */
#ifndef _ASAHI_DRM_H_
#define _ASAHI_DRM_H_

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

/**
 * DOC: Rules for this interface
 *
 * - Every struct is laid out with explicit padding, so its size is a multiple
 *   of its alignment and no field has implicit padding in front of it.
 * - Padding fields are called pad and must be zero; the driver rejects
 *   anything else with EINVAL, so they can be given a meaning later.
 * - Flag bits are only ever added. A flag the driver does not know is
 *   rejected.
 * - A struct passed directly to an ioctl may grow at its end or by turning
 *   padding into a field. A zero in a new field must keep the old behaviour,
 *   because the DRM core zero-extends a struct that older userspace passes in.
 * - A struct reached through a pointer can only grow where its size travels
 *   with it (the stride of a bind array, the size in a command header).
 * - There are no unions.
 * - ioctl numbers are never reused or reordered; new ones go at the end of
 *   enum drm_asahi_ioctl_id.
 * - Each addition comes with a new driver version, so userspace can tell
 *   what the running kernel accepts.
 */

/**
 * enum drm_asahi_ioctl_id - Driver-specific ioctl numbers.
 *
 * Each value is added to DRM_COMMAND_BASE. Userspace uses the complete
 * request numbers DRM_IOCTL_ASAHI_* defined at the end of this file.
 */
enum drm_asahi_ioctl_id {
	/** @DRM_ASAHI_GET_PARAMS: Read a group of device parameters. */
	DRM_ASAHI_GET_PARAMS = 0,

	/** @DRM_ASAHI_GET_TIME: Read the current GPU time. */
	DRM_ASAHI_GET_TIME,

	/** @DRM_ASAHI_VM_CREATE: Create a GPU address space. */
	DRM_ASAHI_VM_CREATE,

	/** @DRM_ASAHI_VM_DESTROY: Destroy a GPU address space. */
	DRM_ASAHI_VM_DESTROY,

	/** @DRM_ASAHI_VM_BIND: Map or unmap memory in a GPU address space. */
	DRM_ASAHI_VM_BIND,

	/** @DRM_ASAHI_GEM_CREATE: Allocate a buffer object. */
	DRM_ASAHI_GEM_CREATE,

	/** @DRM_ASAHI_GEM_MMAP_OFFSET: Get the mmap offset of a buffer object. */
	DRM_ASAHI_GEM_MMAP_OFFSET,

	/** @DRM_ASAHI_GEM_BIND_OBJECT: Register a buffer object for a special use. */
	DRM_ASAHI_GEM_BIND_OBJECT,

	/** @DRM_ASAHI_QUEUE_CREATE: Create a command queue. */
	DRM_ASAHI_QUEUE_CREATE,

	/** @DRM_ASAHI_QUEUE_DESTROY: Destroy a command queue. */
	DRM_ASAHI_QUEUE_DESTROY,

	/** @DRM_ASAHI_SUBMIT: Submit a command buffer to a queue. */
	DRM_ASAHI_SUBMIT,
};

/* Length of drm_asahi_params_global::core_masks. */
#define DRM_ASAHI_MAX_CLUSTERS	64

/**
 * struct drm_asahi_params_global - Device parameters, group 0.
 *
 * Written by DRM_IOCTL_ASAHI_GET_PARAMS through drm_asahi_get_params::pointer.
 */
struct drm_asahi_params_global {
	/** @features: Bits from enum drm_asahi_feature. */
	__u64 features;

	/** @gpu_generation: GPU generation, for example 13 for G13. */
	__u32 gpu_generation;

	/** @gpu_variant: GPU variant as an ASCII letter: G, S, C or D. */
	__u32 gpu_variant;

	/** @gpu_revision: GPU revision in BCD, for example 0x21 for C1. */
	__u32 gpu_revision;

	/** @chip_id: SoC identifier in BCD, for example 0x8103 for T8103. */
	__u32 chip_id;

	/** @num_dies: Number of dies in the SoC. */
	__u32 num_dies;

	/** @num_clusters_total: Number of GPU clusters over all dies. */
	__u32 num_clusters_total;

	/**
	 * @num_cores_per_cluster: Number of core slots per cluster, counting
	 * cores that are fused off or absent.
	 */
	__u32 num_cores_per_cluster;

	/** @max_frequency_khz: Highest GPU core clock, in kHz. */
	__u32 max_frequency_khz;

	/** @core_masks: Per cluster, a bit for each core that is present. */
	__u64 core_masks[DRM_ASAHI_MAX_CLUSTERS];

	/**
	 * @vm_start: Lowest GPU virtual address userspace may use. All
	 * addresses userspace manages lie between @vm_start and @vm_end.
	 */
	__u64 vm_start;

	/** @vm_end: Highest GPU virtual address userspace may use. */
	__u64 vm_end;

	/**
	 * @vm_kernel_min_size: Smallest address window userspace must hand
	 * to the kernel in drm_asahi_vm_create for the kernel's own GPU
	 * objects.
	 */
	__u64 vm_kernel_min_size;

	/**
	 * @max_commands_per_submission: Largest number of hardware commands
	 * one DRM_IOCTL_ASAHI_SUBMIT may carry.
	 */
	__u32 max_commands_per_submission;

	/**
	 * @max_attachments: Largest number of drm_asahi_attachment entries
	 * per command.
	 */
	__u32 max_attachments;

	/**
	 * @command_timestamp_frequency_hz: Rate, in Hz, of the counter whose
	 * values the firmware writes for drm_asahi_timestamp requests.
	 */
	__u64 command_timestamp_frequency_hz;
};

/**
 * enum drm_asahi_feature - Bits of drm_asahi_params_global::features.
 */
enum drm_asahi_feature {
	/**
	 * @DRM_ASAHI_FEATURE_SOFT_FAULTS: Shader loads from unmapped GPU
	 * addresses return zero and shader stores to them are dropped, instead
	 * of faulting. Other hardware units (texture sampling, for instance)
	 * still fault. The setting is chosen when the GPU is initialised and
	 * cannot change afterwards.
	 */
	DRM_ASAHI_FEATURE_SOFT_FAULTS = (1UL) << 0,
};

/**
 * struct drm_asahi_get_params - Argument of DRM_IOCTL_ASAHI_GET_PARAMS.
 */
struct drm_asahi_get_params {
	/** @param_group: Parameter group; only 0 exists. */
	__u32 param_group;

	/** @pad: Must be zero. */
	__u32 pad;

	/** @pointer: User address the parameter struct is written to. */
	__u64 pointer;

	/**
	 * @size: Size of the buffer at @pointer. The kernel writes no more
	 * than this many bytes, so older userspace with a shorter struct keeps
	 * working.
	 */
	__u64 size;
};

/**
 * struct drm_asahi_vm_create - Argument of DRM_IOCTL_ASAHI_VM_CREATE.
 */
struct drm_asahi_vm_create {
	/**
	 * @kernel_start: Start of the address window reserved for the kernel.
	 * The window from @kernel_start to @kernel_end must lie within
	 * drm_asahi_params_global::vm_start and ::vm_end and be at least
	 * drm_asahi_params_global::vm_kernel_min_size long. Userspace must not
	 * bind anything inside it.
	 */
	__u64 kernel_start;

	/** @kernel_end: End of the address window reserved for the kernel. */
	__u64 kernel_end;

	/** @vm_id: Output: identifier of the new VM. */
	__u32 vm_id;

	/** @pad: Must be zero. */
	__u32 pad;
};

/**
 * struct drm_asahi_vm_destroy - Argument of DRM_IOCTL_ASAHI_VM_DESTROY.
 */
struct drm_asahi_vm_destroy {
	/** @vm_id: VM to destroy. */
	__u32 vm_id;

	/** @pad: Must be zero. */
	__u32 pad;
};

/**
 * enum drm_asahi_gem_flags - Flags of drm_asahi_gem_create::flags.
 */
enum drm_asahi_gem_flags {
	/**
	 * @DRM_ASAHI_GEM_WRITEBACK: Map the object write-back cached on the
	 * CPU rather than write-combined, which suits buffers the CPU reads.
	 */
	DRM_ASAHI_GEM_WRITEBACK = (1L << 0),

	/**
	 * @DRM_ASAHI_GEM_VM_PRIVATE: The object belongs to one VM
	 * (drm_asahi_gem_create::vm_id) and cannot be exported.
	 */
	DRM_ASAHI_GEM_VM_PRIVATE = (1L << 1),
};

/**
 * struct drm_asahi_gem_create - Argument of DRM_IOCTL_ASAHI_GEM_CREATE.
 */
struct drm_asahi_gem_create {
	/** @size: Size of the object in bytes. */
	__u64 size;

	/** @flags: Bits from enum drm_asahi_gem_flags. */
	__u32 flags;

	/** @vm_id: Owning VM; used only with DRM_ASAHI_GEM_VM_PRIVATE. */
	__u32 vm_id;

	/** @handle: Output: GEM handle of the new object. */
	__u32 handle;

	/** @pad: Must be zero. */
	__u32 pad;
};

/**
 * struct drm_asahi_gem_mmap_offset - Argument of
 * DRM_IOCTL_ASAHI_GEM_MMAP_OFFSET.
 */
struct drm_asahi_gem_mmap_offset {
	/** @handle: GEM handle of the object to map. */
	__u32 handle;

	/** @flags: Must be zero. */
	__u32 flags;

	/** @offset: Output: offset to pass to mmap() on the DRM file. */
	__u64 offset;
};

/**
 * enum drm_asahi_bind_flags - Flags of drm_asahi_gem_bind_op::flags.
 */
enum drm_asahi_bind_flags {
	/**
	 * @DRM_ASAHI_BIND_UNBIND: Unmap the address range instead of mapping
	 * an object into it.
	 */
	DRM_ASAHI_BIND_UNBIND = (1L << 0),

	/** @DRM_ASAHI_BIND_READ: The GPU may read the mapping. */
	DRM_ASAHI_BIND_READ = (1L << 1),

	/** @DRM_ASAHI_BIND_WRITE: The GPU may write the mapping. */
	DRM_ASAHI_BIND_WRITE = (1L << 2),

	/**
	 * @DRM_ASAHI_BIND_SINGLE_PAGE: Map the one page at
	 * drm_asahi_gem_bind_op::offset over and over across the whole range,
	 * for example to back sparse resources with a zero or scratch page.
	 */
	DRM_ASAHI_BIND_SINGLE_PAGE = (1L << 3),
};

/**
 * struct drm_asahi_gem_bind_op - One map or unmap operation of
 * DRM_IOCTL_ASAHI_VM_BIND.
 */
struct drm_asahi_gem_bind_op {
	/** @flags: Bits from enum drm_asahi_bind_flags. */
	__u32 flags;

	/** @handle: GEM handle of the object to map; ignored for unbind. */
	__u32 handle;

	/**
	 * @offset: Page-aligned offset into the object where the mapping
	 * starts, or the page to repeat for DRM_ASAHI_BIND_SINGLE_PAGE.
	 * Ignored for unbind.
	 */
	__u64 offset;

	/** @range: Page-aligned length of the mapping in bytes. */
	__u64 range;

	/** @addr: Page-aligned GPU virtual address of the mapping. */
	__u64 addr;
};

/**
 * struct drm_asahi_vm_bind - Argument of DRM_IOCTL_ASAHI_VM_BIND.
 */
struct drm_asahi_vm_bind {
	/** @vm_id: VM to change. */
	__u32 vm_id;

	/** @num_binds: Number of operations at @userptr. */
	__u32 num_binds;

	/**
	 * @stride: Distance in bytes between two operations at @userptr, so
	 * that drm_asahi_gem_bind_op can grow.
	 */
	__u32 stride;

	/** @pad: Must be zero. */
	__u32 pad;

	/** @userptr: User address of the drm_asahi_gem_bind_op array. */
	__u64 userptr;
};

/**
 * enum drm_asahi_bind_object_op - Values of drm_asahi_gem_bind_object::op.
 */
enum drm_asahi_bind_object_op {
	/** @DRM_ASAHI_BIND_OBJECT_OP_BIND: Register an object. */
	DRM_ASAHI_BIND_OBJECT_OP_BIND = 0,

	/** @DRM_ASAHI_BIND_OBJECT_OP_UNBIND: Drop a registered object. */
	DRM_ASAHI_BIND_OBJECT_OP_UNBIND = 1,
};

/**
 * enum drm_asahi_bind_object_flags - Flags of
 * drm_asahi_gem_bind_object::flags.
 */
enum drm_asahi_bind_object_flags {
	/**
	 * @DRM_ASAHI_BIND_OBJECT_USAGE_TIMESTAMPS: The object receives the
	 * timestamps requested with drm_asahi_timestamp.
	 */
	DRM_ASAHI_BIND_OBJECT_USAGE_TIMESTAMPS = (1L << 0),
};

/**
 * struct drm_asahi_gem_bind_object - Argument of
 * DRM_IOCTL_ASAHI_GEM_BIND_OBJECT.
 */
struct drm_asahi_gem_bind_object {
	/** @op: A value of enum drm_asahi_bind_object_op. */
	__u32 op;

	/** @flags: Bits from enum drm_asahi_bind_object_flags. */
	__u32 flags;

	/** @handle: GEM handle of the object to register (bind only). */
	__u32 handle;

	/** @vm_id: Must be zero for now. */
	__u32 vm_id;

	/** @offset: Offset of the registered part of the object (bind only). */
	__u64 offset;

	/** @range: Length of the registered part in bytes (bind only). */
	__u64 range;

	/**
	 * @object_handle: Output of bind, input of unbind: the identifier of
	 * the registered object.
	 */
	__u32 object_handle;

	/** @pad: Must be zero. */
	__u32 pad;
};

/**
 * enum drm_asahi_cmd_type - Values of drm_asahi_cmd_header::cmd_type.
 */
enum drm_asahi_cmd_type {
	/**
	 * @DRM_ASAHI_CMD_RENDER: A render pass (vertex and fragment work) on
	 * the render subqueue; the payload is a drm_asahi_cmd_render.
	 */
	DRM_ASAHI_CMD_RENDER = 0,

	/**
	 * @DRM_ASAHI_CMD_COMPUTE: Compute work on the compute subqueue; the
	 * payload is a drm_asahi_cmd_compute.
	 */
	DRM_ASAHI_CMD_COMPUTE = 1,

	/**
	 * @DRM_ASAHI_SET_VERTEX_ATTACHMENTS: Software command: the payload is
	 * an array of drm_asahi_attachment used by the vertex work of later
	 * commands in the same submission.
	 */
	DRM_ASAHI_SET_VERTEX_ATTACHMENTS = 2,

	/**
	 * @DRM_ASAHI_SET_FRAGMENT_ATTACHMENTS: Software command: the payload
	 * is an array of drm_asahi_attachment used by the fragment work of
	 * later commands in the same submission.
	 */
	DRM_ASAHI_SET_FRAGMENT_ATTACHMENTS = 3,

	/**
	 * @DRM_ASAHI_SET_COMPUTE_ATTACHMENTS: Software command: the payload
	 * is an array of drm_asahi_attachment used by later compute commands
	 * in the same submission.
	 */
	DRM_ASAHI_SET_COMPUTE_ATTACHMENTS = 4,
};

/**
 * enum drm_asahi_priority - Values of drm_asahi_queue_create::priority.
 *
 * The firmware scheduler takes the priority as a hint.
 */
enum drm_asahi_priority {
	/** @DRM_ASAHI_PRIORITY_LOW: Low priority. */
	DRM_ASAHI_PRIORITY_LOW = 0,

	/** @DRM_ASAHI_PRIORITY_MEDIUM: Normal priority. */
	DRM_ASAHI_PRIORITY_MEDIUM = 1,

	/** @DRM_ASAHI_PRIORITY_HIGH: High priority; reserved. */
	DRM_ASAHI_PRIORITY_HIGH = 2,

	/** @DRM_ASAHI_PRIORITY_REALTIME: Real-time priority; reserved. */
	DRM_ASAHI_PRIORITY_REALTIME = 3,
};

/**
 * struct drm_asahi_queue_create - Argument of DRM_IOCTL_ASAHI_QUEUE_CREATE.
 */
struct drm_asahi_queue_create {
	/** @flags: Must be zero. */
	__u32 flags;

	/** @vm_id: VM the queue's commands run in. */
	__u32 vm_id;

	/** @priority: A value of enum drm_asahi_priority. */
	__u32 priority;

	/** @queue_id: Output: identifier of the new queue. */
	__u32 queue_id;

	/**
	 * @usc_exec_base: GPU virtual address that the 32-bit shader (USC)
	 * addresses of this queue's commands are relative to. The kernel
	 * programs it as the vertex, fragment and compute USC execution base
	 * (USC_EXEC_BASE_TA, USC_EXEC_BASE_ISP and USC_EXEC_BASE_CP) of every
	 * command, so userspace keeps all shaders in one 4 GiB window.
	 */
	__u64 usc_exec_base;
};

/**
 * struct drm_asahi_queue_destroy - Argument of DRM_IOCTL_ASAHI_QUEUE_DESTROY.
 */
struct drm_asahi_queue_destroy {
	/** @queue_id: Queue to destroy. */
	__u32 queue_id;

	/** @pad: Must be zero. */
	__u32 pad;
};

/**
 * enum drm_asahi_sync_type - Values of drm_asahi_sync::sync_type.
 */
enum drm_asahi_sync_type {
	/** @DRM_ASAHI_SYNC_SYNCOBJ: A binary syncobj. */
	DRM_ASAHI_SYNC_SYNCOBJ = 0,

	/** @DRM_ASAHI_SYNC_TIMELINE_SYNCOBJ: A point on a timeline syncobj. */
	DRM_ASAHI_SYNC_TIMELINE_SYNCOBJ = 1,
};

/**
 * struct drm_asahi_sync - A syncobj a submission waits for or signals.
 */
struct drm_asahi_sync {
	/** @sync_type: A value of enum drm_asahi_sync_type. */
	__u32 sync_type;

	/** @handle: Syncobj handle. */
	__u32 handle;

	/** @timeline_value: Timeline point; used for timeline syncobjs only. */
	__u64 timeline_value;
};

/*
 * Barrier value meaning "do not wait for anything on this subqueue", see
 * drm_asahi_cmd_header::vdm_barrier.
 */
#define DRM_ASAHI_BARRIER_NONE (0xFFFFu)

/**
 * struct drm_asahi_cmd_header - Header in front of each command of a command
 * buffer.
 *
 * Its layout is fixed; it cannot grow.
 */
struct drm_asahi_cmd_header {
	/** @cmd_type: A value of enum drm_asahi_cmd_type. */
	__u16 cmd_type;

	/**
	 * @size: Size of the payload after this header, in bytes. A hardware
	 * command payload may be shorter than its struct; the missing tail
	 * reads as zero. For the attachment commands, the payload is a whole
	 * number of drm_asahi_attachment structs.
	 */
	__u16 size;

	/**
	 * @vdm_barrier: Render subqueue barrier. 0 waits for all render work
	 * submitted before this submission; N waits for the first N render
	 * commands of this submission; DRM_ASAHI_BARRIER_NONE waits for
	 * nothing. Software commands must use DRM_ASAHI_BARRIER_NONE.
	 */
	__u16 vdm_barrier;

	/**
	 * @cdm_barrier: Compute subqueue barrier, with the same meaning as
	 * @vdm_barrier applied to compute commands.
	 */
	__u16 cdm_barrier;
};

/**
 * struct drm_asahi_submit - Argument of DRM_IOCTL_ASAHI_SUBMIT.
 */
struct drm_asahi_submit {
	/**
	 * @syncs: User address of an array of drm_asahi_sync: first
	 * @in_sync_count syncs to wait for, then @out_sync_count syncs to
	 * signal when the work completes.
	 */
	__u64 syncs;

	/**
	 * @cmdbuf: User address of the command buffer: a sequence of
	 * drm_asahi_cmd_header, each followed by its payload. It contains no
	 * CPU addresses. It must hold at least one hardware command and no
	 * more than drm_asahi_params_global::max_commands_per_submission.
	 */
	__u64 cmdbuf;

	/** @flags: Must be zero. */
	__u32 flags;

	/** @queue_id: Queue to submit to. */
	__u32 queue_id;

	/** @in_sync_count: Number of syncs to wait for. */
	__u32 in_sync_count;

	/** @out_sync_count: Number of syncs to signal. */
	__u32 out_sync_count;

	/** @cmdbuf_size: Size of the command buffer in bytes. */
	__u32 cmdbuf_size;

	/** @pad: Must be zero. */
	__u32 pad;
};

/**
 * struct drm_asahi_attachment - A memory range shaders write, passed to the
 * firmware as a hint.
 *
 * Its size is implied by the command size, so it cannot grow.
 */
struct drm_asahi_attachment {
	/** @pointer: GPU virtual address of the range. */
	__u64 pointer;

	/** @size: Length of the range in bytes. */
	__u64 size;

	/** @pad: Must be zero. */
	__u32 pad;

	/** @flags: Must be zero. */
	__u32 flags;
};

/**
 * enum drm_asahi_render_flags - Flags of drm_asahi_cmd_render::flags.
 */
enum drm_asahi_render_flags {
	/**
	 * @DRM_ASAHI_RENDER_VERTEX_SCRATCH: The vertex shaders use scratch
	 * memory.
	 */
	DRM_ASAHI_RENDER_VERTEX_SCRATCH = (1U << 0),

	/**
	 * @DRM_ASAHI_RENDER_PROCESS_EMPTY_TILES: Run the tile programs on
	 * tiles without geometry too; needed to clear render targets.
	 */
	DRM_ASAHI_RENDER_PROCESS_EMPTY_TILES = (1U << 1),

	/**
	 * @DRM_ASAHI_RENDER_NO_VERTEX_CLUSTERING: Run the vertex work on one
	 * cluster only. Slower; useful to rule out coherency problems.
	 */
	DRM_ASAHI_RENDER_NO_VERTEX_CLUSTERING = (1U << 2),

	/**
	 * @DRM_ASAHI_RENDER_DBIAS_IS_INT: Use the depth bias formula for
	 * normalised integer depth formats rather than the one for float
	 * formats. The bit position is the one of the hardware control bit.
	 */
	DRM_ASAHI_RENDER_DBIAS_IS_INT = (1U << 18),
};

/**
 * struct drm_asahi_zls_buffer - A depth or stencil buffer of a render pass.
 *
 * The same values are used for loads, stores and partial renders. Embedded in
 * drm_asahi_cmd_render; it cannot grow.
 */
struct drm_asahi_zls_buffer {
	/** @base: GPU virtual address of the buffer. */
	__u64 base;

	/** @comp_base: GPU virtual address of its compression metadata. */
	__u64 comp_base;

	/** @stride: Distance in bytes between layers of the buffer. */
	__u32 stride;

	/** @comp_stride: Distance in bytes between layers of the metadata. */
	__u32 comp_stride;
};

/**
 * struct drm_asahi_timestamp - Where the firmware writes one timestamp.
 *
 * Embedded in other structs; it cannot grow.
 */
struct drm_asahi_timestamp {
	/**
	 * @handle: 0 for no timestamp, otherwise the object_handle returned
	 * by DRM_IOCTL_ASAHI_GEM_BIND_OBJECT for a timestamp buffer.
	 */
	__u32 handle;

	/** @offset: Byte offset of the timestamp in that buffer. */
	__u32 offset;
};

/**
 * struct drm_asahi_timestamps - Timestamps taken at the start and the end of
 * a piece of work.
 *
 * Embedded in other structs; it cannot grow.
 */
struct drm_asahi_timestamps {
	/** @start: Timestamp taken when the work starts. */
	struct drm_asahi_timestamp start;

	/** @end: Timestamp taken when the work ends. */
	struct drm_asahi_timestamp end;
};

/**
 * struct drm_asahi_helper_program - The helper program the hardware runs
 * alongside a stage, mainly to hand out scratch memory.
 *
 * Embedded in other structs; it cannot grow.
 */
struct drm_asahi_helper_program {
	/** @binary: USC address of the program, with flags in the low bits. */
	__u32 binary;

	/** @cfg: Further configuration bits of the program. */
	__u32 cfg;

	/**
	 * @data: Value the program can read; nobody but userspace gives it a
	 * meaning (usually a GPU address of its arguments).
	 */
	__u64 data;
};

/**
 * struct drm_asahi_bg_eot - A background or end-of-tile program.
 *
 * The background program fills each tile at the start of a render pass (clear
 * colour or previous contents); the end-of-tile program stores it at the end.
 * Embedded in drm_asahi_cmd_render; it cannot grow.
 */
struct drm_asahi_bg_eot {
	/**
	 * @usc: USC address of the words that bind the program's resources
	 * and start it, with flags in the low bits.
	 */
	__u32 usc;

	/** @rsrc_spec: Packed resource counts the program needs. */
	__u32 rsrc_spec;
};

/**
 * struct drm_asahi_cmd_render - Payload of DRM_ASAHI_CMD_RENDER: one render
 * pass.
 *
 * Most fields are values of hardware control registers that the kernel
 * passes to the firmware. The framebuffer geometry is also used by the kernel
 * to size its tiling structures.
 */
struct drm_asahi_cmd_render {
	/** @flags: Bits from enum drm_asahi_render_flags. */
	__u32 flags;

	/**
	 * @isp_zls_pixels: ISP_ZLS_PIXELS value: size of the depth and
	 * stencil buffers, which may differ from the framebuffer size.
	 */
	__u32 isp_zls_pixels;

	/** @vdm_ctrl_stream_base: GPU address of the VDM control stream. */
	__u64 vdm_ctrl_stream_base;

	/** @vertex_helper: Helper program of the vertex stage. */
	struct drm_asahi_helper_program vertex_helper;

	/** @fragment_helper: Helper program of the fragment stage. */
	struct drm_asahi_helper_program fragment_helper;

	/** @isp_scissor_base: GPU address of the scissor array. */
	__u64 isp_scissor_base;

	/** @isp_dbias_base: GPU address of the depth bias array. */
	__u64 isp_dbias_base;

	/** @isp_oclqry_base: GPU address of the occlusion query results. */
	__u64 isp_oclqry_base;

	/** @depth: Depth buffer. */
	struct drm_asahi_zls_buffer depth;

	/** @stencil: Stencil buffer. */
	struct drm_asahi_zls_buffer stencil;

	/** @zls_ctrl: ZLS_CTRL value. */
	__u64 zls_ctrl;

	/** @ppp_multisamplectl: PPP_MULTISAMPLECTL value. */
	__u64 ppp_multisamplectl;

	/** @sampler_heap: GPU address of the sampler heap of both stages. */
	__u64 sampler_heap;

	/** @ppp_ctrl: PPP_CTRL value. */
	__u32 ppp_ctrl;

	/** @width_px: Framebuffer width in pixels. */
	__u16 width_px;

	/** @height_px: Framebuffer height in pixels. */
	__u16 height_px;

	/** @layers: Number of framebuffer layers. */
	__u16 layers;

	/** @sampler_count: Number of samplers in the sampler heap. */
	__u16 sampler_count;

	/** @utile_width_px: Width of a tilebuffer tile in pixels. */
	__u8 utile_width_px;

	/** @utile_height_px: Height of a tilebuffer tile in pixels. */
	__u8 utile_height_px;

	/** @samples: Samples per pixel: 1, 2 or 4. */
	__u8 samples;

	/** @sample_size_B: Tilebuffer bytes per sample. */
	__u8 sample_size_B;

	/**
	 * @isp_merge_upper_x: Bits of a 32-bit float, tan(60 degrees) times
	 * the width, used by the hardware to merge triangles. Userspace
	 * computes it so the kernel needs no floating point.
	 */
	__u32 isp_merge_upper_x;

	/**
	 * @isp_merge_upper_y: Bits of a 32-bit float, tan(60 degrees) times
	 * the height; see @isp_merge_upper_x.
	 */
	__u32 isp_merge_upper_y;

	/** @bg: Background program. */
	struct drm_asahi_bg_eot bg;

	/** @eot: End-of-tile program. */
	struct drm_asahi_bg_eot eot;

	/**
	 * @partial_bg: Background program used when a partial render
	 * resumes the pass.
	 */
	struct drm_asahi_bg_eot partial_bg;

	/**
	 * @partial_eot: End-of-tile program used when a partial render
	 * interrupts the pass.
	 */
	struct drm_asahi_bg_eot partial_eot;

	/**
	 * @isp_bgobjdepth: ISP_BGOBJDEPTH value: the depth clear value in the
	 * depth buffer's format (32-bit float, or 16-bit unorm in the low
	 * bits).
	 */
	__u32 isp_bgobjdepth;

	/**
	 * @isp_bgobjvals: ISP_BGOBJVALS value; the low 8 bits are the stencil
	 * clear value.
	 */
	__u32 isp_bgobjvals;

	/** @ts_vtx: Timestamps of the vertex work. */
	struct drm_asahi_timestamps ts_vtx;

	/** @ts_frag: Timestamps of the fragment work. */
	struct drm_asahi_timestamps ts_frag;
};

/**
 * struct drm_asahi_cmd_compute - Payload of DRM_ASAHI_CMD_COMPUTE: a control
 * stream of compute dispatches.
 */
struct drm_asahi_cmd_compute {
	/** @flags: Must be zero. */
	__u32 flags;

	/** @sampler_count: Number of samplers in the sampler heap. */
	__u32 sampler_count;

	/** @cdm_ctrl_stream_base: GPU address of the CDM control stream. */
	__u64 cdm_ctrl_stream_base;

	/**
	 * @cdm_ctrl_stream_end: GPU address of the end of the first
	 * contiguous part of the control stream.
	 */
	__u64 cdm_ctrl_stream_end;

	/** @sampler_heap: GPU address of the sampler heap. */
	__u64 sampler_heap;

	/** @helper: Helper program. */
	struct drm_asahi_helper_program helper;

	/** @ts: Timestamps of the command. */
	struct drm_asahi_timestamps ts;
};

/**
 * struct drm_asahi_get_time - Argument of DRM_IOCTL_ASAHI_GET_TIME.
 */
struct drm_asahi_get_time {
	/** @flags: Must be zero. */
	__u64 flags;

	/** @gpu_timestamp: Output: current GPU time in nanoseconds. */
	__u64 gpu_timestamp;
};

/*
 * DRM_IOCTL_ASAHI(dir, id, type) builds the request number of an asahi
 * ioctl from its direction (W or WR), the suffix of its DRM_ASAHI_* number
 * and the suffix of its struct drm_asahi_* argument.
 */
#define DRM_IOCTL_ASAHI(__access, __id, __type) \
	DRM_IO ## __access(DRM_COMMAND_BASE + DRM_ASAHI_ ## __id, \
			   struct drm_asahi_ ## __type)

/* The request numbers are enumerators rather than macros so that bindgen evaluates them. */
enum {
	DRM_IOCTL_ASAHI_GET_PARAMS       = DRM_IOCTL_ASAHI(W, GET_PARAMS, get_params),
	DRM_IOCTL_ASAHI_GET_TIME         = DRM_IOCTL_ASAHI(WR, GET_TIME, get_time),
	DRM_IOCTL_ASAHI_VM_CREATE        = DRM_IOCTL_ASAHI(WR, VM_CREATE, vm_create),
	DRM_IOCTL_ASAHI_VM_DESTROY       = DRM_IOCTL_ASAHI(W, VM_DESTROY, vm_destroy),
	DRM_IOCTL_ASAHI_VM_BIND          = DRM_IOCTL_ASAHI(W, VM_BIND, vm_bind),
	DRM_IOCTL_ASAHI_GEM_CREATE       = DRM_IOCTL_ASAHI(WR, GEM_CREATE, gem_create),
	DRM_IOCTL_ASAHI_GEM_MMAP_OFFSET  = DRM_IOCTL_ASAHI(WR, GEM_MMAP_OFFSET, gem_mmap_offset),
	DRM_IOCTL_ASAHI_GEM_BIND_OBJECT  = DRM_IOCTL_ASAHI(WR, GEM_BIND_OBJECT, gem_bind_object),
	DRM_IOCTL_ASAHI_QUEUE_CREATE     = DRM_IOCTL_ASAHI(WR, QUEUE_CREATE, queue_create),
	DRM_IOCTL_ASAHI_QUEUE_DESTROY    = DRM_IOCTL_ASAHI(W, QUEUE_DESTROY, queue_destroy),
	DRM_IOCTL_ASAHI_SUBMIT           = DRM_IOCTL_ASAHI(W, SUBMIT, submit),
};

#if defined(__cplusplus)
}
#endif

#endif /* _ASAHI_DRM_H_ */
