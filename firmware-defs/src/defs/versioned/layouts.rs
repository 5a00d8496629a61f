// Versioned firmware layouts, included once per variant module by `defs/variants.rs`.
//
// This file is not a module: it is `include!`d into each `variants::<gen>_<fw>` module, which
// defines `VARIANT` and imports the helper types. Conditions below are `const` expressions over
// `VARIANT`; see the `variants` module documentation. Unknown fields are named by their byte
// offset in the newest firmware (13.5), as downstream does.

/// Firmware ≥ 13.2 on G14: pipe and DeviceControl messages grow by 0x10 bytes.
///
/// Source: downstream `fw/channels.rs` (`#[ver(V >= V13_2 && G == G14)]`).
pub const G14_LARGE_MSGS: bool = VARIANT.fw_at_least(FwVersion::V13_2) && VARIANT.gen_is(Gen::G14);

plain_layout! {
    /// A work-queue run request on a pipe channel (0x30 bytes, 0x40 with [`G14_LARGE_MSGS`]).
    ///
    /// Source: downstream `fw/channels.rs` `RunWorkQueueMsg`; m1n1 `NotifyCmdQueueWork`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct RunWorkQueueMsg {
        /// [`PipeType`] value.
        pub pipe_type: u32,
        /// The `QueueInfo` of the queue to run.
        pub work_queue: GpuPtr,
        /// New write index of the queue's command ring.
        pub wptr: u32,
        /// Event slot the queue signals.
        pub event_slot: u32,
        /// 1 if the firmware has not seen this queue before.
        pub is_new: u8,
        /// Padding.
        pub pad_15: Pad<
            {
                if G14_LARGE_MSGS {
                    0x2b
                } else {
                    0x1b
                }
            },
        >,
    }
}

impl RunWorkQueueMsg {
    /// Builds a run request.
    pub const fn new(
        pipe: PipeType,
        work_queue: u64,
        wptr: u32,
        event_slot: u32,
        is_new: bool,
    ) -> Self {
        Self {
            // CAST: fieldless enum discriminant.
            pipe_type: pipe as u32,
            work_queue: GpuPtr::new(work_queue),
            wptr,
            event_slot,
            is_new: if is_new { 1 } else { 0 },
            pad_15: Pad::ZERO,
        }
    }
}

const _: () = assert!(core::mem::offset_of!(RunWorkQueueMsg, is_new) == 0x14);
const _: () =
    assert!(core::mem::size_of::<RunWorkQueueMsg>() == if G14_LARGE_MSGS { 0x40 } else { 0x30 });

/// Payload bytes of a DeviceControl message (after the 4-byte type).
pub const DEVICE_CONTROL_PAYLOAD: usize = if G14_LARGE_MSGS { 0x3c } else { 0x2c };

plain_layout! {
    /// One raw DeviceControl ring entry.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    #[repr(C)]
    pub struct RawDeviceControlMsg {
        /// Message type (`DC_*`).
        pub msg_type: u32,
        /// Payload; message offset `n` is payload offset `n - 4`.
        pub data: Array<DEVICE_CONTROL_PAYLOAD, u8>,
    }
}

const _: () = assert!(core::mem::size_of::<RawDeviceControlMsg>() == 4 + DEVICE_CONTROL_PAYLOAD);

/// Firmware 13.3 inserted a DeviceControl message type before GrowTVBAck, shifting the later
/// numbers by one, and repacked `DestroyContext`.
///
/// Source: downstream `fw/channels.rs` (herrnst/linux-asahi 8b5a8e39: `#[ver(V >= V13_3)]
/// Unk0d` before `GrowTVBAck`). Another downstream revision inserts it before
/// `DestroyContext` instead, which would leave GrowTVBAck at 0x0d on 13.5; both agree on
/// `DestroyContext` and `Initialize`.
const DC_SHIFT: u32 = if VARIANT.fw_at_least(FwVersion::V13_3) {
    1
} else {
    0
};
/// DeviceControl type: acknowledge a TVB grow.
pub const DC_GROW_TVB_ACK: u32 = 0x0d + DC_SHIFT;
/// DeviceControl type: recover a pipe after a channel error (follows GrowTVBAck).
pub const DC_RECOVER_CHANNEL: u32 = 0x0e + DC_SHIFT;
/// DeviceControl type: destroy a GPU context (flushes firmware caches with context 0xff).
pub const DC_DESTROY_CONTEXT: u32 = 0x17 + DC_SHIFT;
/// DeviceControl type: initialize (sent before the first boot).
pub const DC_INITIALIZE: u32 = 0x19 + DC_SHIFT;

/// Whether `DestroyContext` uses the packed 13.3+ layout.
const DC_PACKED_DESTROY: bool = VARIANT.fw_at_least(FwVersion::V13_3);

/// A decoded DeviceControl message.
///
/// Offsets are message offsets (the type word is at 0). Sources: downstream `fw/channels.rs`
/// `DeviceControlMsg` (GrowTVBAck, DestroyContext layouts) and the downstream revision that
/// adds `RecoverChannel`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceControlMsg {
    /// Acknowledge a GrowTVB event.
    GrowTvbAck {
        /// +0x04.
        unk_4: u32,
        /// +0x08.
        buffer_slot: u32,
        /// +0x0c.
        vm_slot: u32,
        /// +0x10, echoed from the event.
        counter: u32,
        /// +0x14.
        subpipe: u32,
        /// +0x18 (unaligned 64-bit).
        halt_count: u64,
    },
    /// Recover a pipe after a ChannelError event.
    RecoverChannel {
        /// +0x04.
        pipe_type: u32,
        /// +0x08: the queue's `QueueInfo`.
        work_queue: u64,
        /// +0x10.
        event_value: u32,
    },
    /// Destroy a GPU context. Before 13.3: ctx_23 +0x08, unk_c +0x0c, unk_10 +0x10,
    /// ctx_0/1/4 +0x14..0x16, unk_18 +0x18, gpu_context +0x1c. From 13.3 the fields are packed:
    /// ctx_23 +0x08, unk_c +0x09, unk_10 +0x0d, ctx_0/1/4 +0x11..0x13, gpu_context +0x14, and
    /// `unk_18` does not exist (decodes as 0).
    DestroyContext {
        /// +0x04.
        unk_4: u32,
        /// Byte 0x23 of the context data.
        ctx_23: u8,
        /// Unknown.
        unk_c: u32,
        /// Unknown.
        unk_10: u32,
        /// Byte 0 of the context data.
        ctx_0: u8,
        /// Byte 1 of the context data.
        ctx_1: u8,
        /// Byte 4 of the context data.
        ctx_4: u8,
        /// Unknown (before 13.3 only).
        unk_18: u32,
        /// The `GpuContextData`.
        gpu_context: u64,
    },
    /// Initialize.
    Initialize,
    /// Another message type, kept raw.
    Unknown(RawDeviceControlMsg),
}

impl DeviceControlMsg {
    /// `DestroyContext` for the context whose `GpuContextData` is at `gpu_context`: the
    /// firmware drops the context's queued work and forgets it. The message repeats bytes 0, 1,
    /// 4 and 0x23 of the context data as [`GpuContextData::default`] initialises them, which is
    /// what the driver writes (downstream sends the values it wrote).
    pub fn destroy_context(gpu_context: u64) -> Self {
        let d = GpuContextData::default();
        DeviceControlMsg::DestroyContext {
            unk_4: 0,
            ctx_23: d.unk_23,
            unk_c: 0,
            unk_10: 0,
            ctx_0: d.unk_0,
            ctx_1: d.unk_1,
            ctx_4: d.unk_4,
            unk_18: 0,
            gpu_context,
        }
    }

    /// The firmware cache flush: a `DestroyContext` for no context, with every context byte
    /// 0xff (reference §2). After it the firmware holds nothing of freed private memory.
    pub fn flush_all() -> Self {
        DeviceControlMsg::DestroyContext {
            unk_4: 0,
            ctx_23: 0,
            unk_c: 0,
            unk_10: 0,
            ctx_0: 0xff,
            ctx_1: 0xff,
            ctx_4: 0xff,
            unk_18: 0,
            gpu_context: 0,
        }
    }

    /// The acknowledgement of a GrowTVB event (`EventMsg::GrowTvb`): `unk_4` = 1, the event's
    /// buffer slot, VM slot and counter echoed, subpipe 0, `halt_count` from `FwStatus`
    /// (reference §3.5 step 4; downstream `gpu.rs` `ack_grow`). Sent whether or not the heap
    /// could grow (`engine::buffer_mgr` decides that).
    pub fn grow_tvb_ack(buffer_slot: u32, vm_slot: u32, counter: u32, halt_count: u64) -> Self {
        DeviceControlMsg::GrowTvbAck {
            unk_4: 1,
            buffer_slot,
            vm_slot,
            counter,
            subpipe: 0,
            halt_count,
        }
    }

    /// `Initialize`, sent once before the firmware's first boot.
    pub fn initialize() -> Self {
        DeviceControlMsg::Initialize
    }

    /// Encodes this message as a ring entry (unused bytes are zero).
    pub fn encode(&self) -> RawDeviceControlMsg {
        let mut raw = RawDeviceControlMsg {
            msg_type: 0,
            data: Array([0; DEVICE_CONTROL_PAYLOAD]),
        };
        let d = &mut raw.data.0;
        // Message offset to payload offset. All writes are in bounds (payload ≥ 0x2c), so the
        // returned flags are always true.
        let p = |off: usize| off - 4;
        match *self {
            DeviceControlMsg::GrowTvbAck {
                unk_4,
                buffer_slot,
                vm_slot,
                counter,
                subpipe,
                halt_count,
            } => {
                raw.msg_type = DC_GROW_TVB_ACK;
                write_u32(d, p(0x4), unk_4);
                write_u32(d, p(0x8), buffer_slot);
                write_u32(d, p(0xc), vm_slot);
                write_u32(d, p(0x10), counter);
                write_u32(d, p(0x14), subpipe);
                write_u64(d, p(0x18), halt_count);
            }
            DeviceControlMsg::RecoverChannel {
                pipe_type,
                work_queue,
                event_value,
            } => {
                raw.msg_type = DC_RECOVER_CHANNEL;
                write_u32(d, p(0x4), pipe_type);
                write_u64(d, p(0x8), work_queue);
                write_u32(d, p(0x10), event_value);
            }
            DeviceControlMsg::DestroyContext {
                unk_4,
                ctx_23,
                unk_c,
                unk_10,
                ctx_0,
                ctx_1,
                ctx_4,
                unk_18,
                gpu_context,
            } => {
                raw.msg_type = DC_DESTROY_CONTEXT;
                write_u32(d, p(0x4), unk_4);
                d[p(0x8)] = ctx_23;
                if DC_PACKED_DESTROY {
                    write_u32(d, p(0x9), unk_c);
                    write_u32(d, p(0xd), unk_10);
                    d[p(0x11)] = ctx_0;
                    d[p(0x12)] = ctx_1;
                    d[p(0x13)] = ctx_4;
                    write_u64(d, p(0x14), gpu_context);
                } else {
                    write_u32(d, p(0xc), unk_c);
                    write_u32(d, p(0x10), unk_10);
                    d[p(0x14)] = ctx_0;
                    d[p(0x15)] = ctx_1;
                    d[p(0x16)] = ctx_4;
                    write_u32(d, p(0x18), unk_18);
                    write_u64(d, p(0x1c), gpu_context);
                }
            }
            DeviceControlMsg::Initialize => raw.msg_type = DC_INITIALIZE,
            DeviceControlMsg::Unknown(r) => raw = r,
        }
        raw
    }

    /// Decodes a ring entry.
    pub fn decode(raw: &RawDeviceControlMsg) -> Self {
        let d = &raw.data.0;
        let p = |off: usize| off - 4;
        let w = |off: usize| read_u32(d, p(off)).unwrap_or(0);
        let q = |off: usize| read_u64(d, p(off)).unwrap_or(0);
        let b = |off: usize| d.get(p(off)).copied().unwrap_or(0);
        match raw.msg_type {
            t if t == DC_GROW_TVB_ACK => DeviceControlMsg::GrowTvbAck {
                unk_4: w(0x4),
                buffer_slot: w(0x8),
                vm_slot: w(0xc),
                counter: w(0x10),
                subpipe: w(0x14),
                halt_count: q(0x18),
            },
            t if t == DC_RECOVER_CHANNEL => DeviceControlMsg::RecoverChannel {
                pipe_type: w(0x4),
                work_queue: q(0x8),
                event_value: w(0x10),
            },
            t if t == DC_DESTROY_CONTEXT && DC_PACKED_DESTROY => DeviceControlMsg::DestroyContext {
                unk_4: w(0x4),
                ctx_23: b(0x8),
                unk_c: w(0x9),
                unk_10: w(0xd),
                ctx_0: b(0x11),
                ctx_1: b(0x12),
                ctx_4: b(0x13),
                unk_18: 0,
                gpu_context: q(0x14),
            },
            t if t == DC_DESTROY_CONTEXT => DeviceControlMsg::DestroyContext {
                unk_4: w(0x4),
                ctx_23: b(0x8),
                unk_c: w(0xc),
                unk_10: w(0x10),
                ctx_0: b(0x14),
                ctx_1: b(0x15),
                ctx_4: b(0x16),
                unk_18: w(0x18),
                gpu_context: q(0x1c),
            },
            t if t == DC_INITIALIZE => DeviceControlMsg::Initialize,
            _ => DeviceControlMsg::Unknown(*raw),
        }
    }
}

/// Firmware ≥ 13.2 before G14X: `QueueInfo` gains two words.
///
/// Source: downstream `fw/workqueue.rs` (`#[ver(V >= V13_2 && G < G14X)]`).
pub const QUEUE_INFO_EXTRA: bool =
    VARIANT.fw_at_least(FwVersion::V13_2) && VARIANT.gen_below(Gen::G14X);

plain_layout! {
    /// Per-pipe queue descriptor the firmware runs (0xb0 bytes, 0xb8 with [`QUEUE_INFO_EXTRA`]).
    ///
    /// Source: downstream `fw/workqueue.rs` `QueueInfo` (pointers are packed, so nothing is
    /// realigned after the optional words); m1n1 `CommandQueueInfo`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct QueueInfo {
        /// The queue's `RingState`.
        pub state: GpuPtr,
        /// The ring of 64-bit command pointers.
        pub ring: GpuPtr,
        /// The queue's `NotifierList`.
        pub notifier_list: GpuPtr,
        /// A firmware scratch buffer (0x2c18 bytes downstream).
        pub gpu_buf: GpuPtr,
        /// Firmware read index 1.
        pub gpu_rptr1: u32,
        /// Firmware read index 2.
        pub gpu_rptr2: u32,
        /// Firmware read index 3.
        pub gpu_rptr3: u32,
        /// Event slot, or -1.
        pub event_id: i32,
        /// Priority block, from `Priority::TABLE`.
        pub priority: Priority,
        /// Unknown.
        pub unk_4c: i32,
        /// Queue UUID.
        pub uuid: u32,
        /// Unknown.
        pub unk_54: i32,
        /// Unknown.
        pub unk_58: U64,
        /// Non-zero while the firmware is working on the queue.
        pub busy: u32,
        /// Padding.
        pub pad_64: Pad<0x20>,
        /// Unknown (only with [`QUEUE_INFO_EXTRA`]).
        pub unk_84_0: Array<{ if_present(QUEUE_INFO_EXTRA, 1) }, U32>,
        /// Unknown state.
        pub unk_84_state: U32,
        /// Error count.
        pub error_count: U32,
        /// Unknown.
        pub unk_8c: U32,
        /// Unknown.
        pub unk_90: U32,
        /// Unknown.
        pub unk_94: U32,
        /// Pending work count.
        pub pending: U32,
        /// Unknown.
        pub unk_9c: U32,
        /// The `GpuContextData`.
        pub gpu_context: GpuPtr,
        /// Unknown.
        pub unk_a8: U64,
        /// Unknown (only with [`QUEUE_INFO_EXTRA`]).
        pub unk_b0: Array<{ if_present(QUEUE_INFO_EXTRA, 1) }, U32>,
    }
}

const _: () = assert!(core::mem::offset_of!(QueueInfo, priority) == 0x30);
const _: () = assert!(core::mem::offset_of!(QueueInfo, pad_64) == 0x64);
const _: () =
    assert!(core::mem::size_of::<QueueInfo>() == if QUEUE_INFO_EXTRA { 0xb8 } else { 0xb0 });

/// G14 firmware before 13.0b4 has extra words in the notifier state.
///
/// Source: downstream `fw/event.rs` (`#[ver(G >= G14 && V < V13_0B4)]`).
pub const NOTIFIER_G14_OLD: bool =
    VARIANT.gen_at_least(Gen::G14) && VARIANT.fw_below(FwVersion::V13_0B4);
/// Firmware ≥ 13.0b4 appends an 8-byte buffer initialized to 0xff.
pub const NOTIFIER_UNK_BUF: bool = VARIANT.fw_at_least(FwVersion::V13_0B4);

plain_layout! {
    /// Notifier (event control) state of a queue.
    ///
    /// Source: downstream `fw/event.rs` `NotifierState`; m1n1 `EventControl`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct NotifierState {
        /// Unknown.
        pub unk_14: U32,
        /// Unknown.
        pub unk_18: U64,
        /// Unknown.
        pub unk_20: U32,
        /// VM slot.
        pub vm_slot: U32,
        /// Vertex work present.
        pub has_vtx: U32,
        /// Vertex stamp pointers.
        pub pstamp_vtx: Array<4, U64>,
        /// Fragment work present.
        pub has_frag: U32,
        /// Fragment stamp pointers.
        pub pstamp_frag: Array<4, U64>,
        /// Compute work present.
        pub has_comp: U32,
        /// Compute stamp pointers.
        pub pstamp_comp: Array<4, U64>,
        /// Unknown (G14 before 13.0b4 only).
        pub unk_98_g14_0: Array<{ if_present(NOTIFIER_G14_OLD, 0x14) }, u8>,
        /// In the firmware's list.
        pub in_list: U32,
        /// List linkage.
        pub list_head: LinkedListHead,
        /// Padding (G14 before 13.0b4 only).
        pub unk_a8_g14_0: Array<{ if_present(NOTIFIER_G14_OLD, 4) }, u8>,
        /// Initialized to all 0xff (13.0b4 and later only).
        pub unk_buf: Array<{ if_present(NOTIFIER_UNK_BUF, 8) }, u8>,
    }
}

plain_layout! {
    /// A queue notifier: threshold pointer, counters and state.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct Notifier {
        /// Pointer to the 64-bit threshold.
        pub threshold: GpuPtr,
        /// Generation.
        pub generation: U32,
        /// Current count.
        pub cur_count: U32,
        /// Unknown.
        pub unk_10: U32,
        /// State.
        pub state: NotifierState,
    }
}

const _: () = assert!(
    core::mem::size_of::<NotifierState>()
        == 0x94 + if_present(NOTIFIER_G14_OLD, 0x18) + if_present(NOTIFIER_UNK_BUF, 8)
);

/// Firmware ≥ 13.0b4 starts the initdata with a version block.
pub const INITDATA_VER_INFO: bool = VARIANT.fw_at_least(FwVersion::V13_0B4);

plain_layout! {
    /// Per-level UAT geometry passed in the initdata (0x20 bytes).
    ///
    /// Source: downstream `fw/initdata.rs` `UatLevelInfo`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct UatLevelInfo {
        /// Unknown.
        pub unk_3: u8,
        /// Unknown.
        pub unk_1: u8,
        /// Unknown.
        pub unk_2: u8,
        /// VA shift of this level's index.
        pub index_shift: u8,
        /// Entries in a table of this level.
        pub num_entries: u16,
        /// Unknown.
        pub unk_4: u16,
        /// Unknown.
        pub unk_8: U64,
        /// Unknown.
        pub unk_10: U64,
        /// Mask of this level's index bits.
        pub index_mask: U64,
    }
}

plain_layout! {
    /// The root firmware structure; its VA is sent in the init message.
    ///
    /// Source: downstream `fw/initdata.rs` `InitData`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct InitData {
        /// Version block (13.0b4 and later only).
        pub ver_info: Array<{ if_present(INITDATA_VER_INFO, 8) }, u8>,
        /// Unknown buffer.
        pub unk_buf: GpuPtr,
        /// Unknown.
        pub unk_8: U32,
        /// Unknown.
        pub unk_c: U32,
        /// The `RuntimePointers`.
        pub runtime_pointers: GpuPtr,
        /// The globals.
        pub globals: GpuPtr,
        /// The `FwStatus`.
        pub fw_status: GpuPtr,
        /// UAT page size (0x4000).
        pub uat_page_size: u16,
        /// UAT page bits (14).
        pub uat_page_bits: u8,
        /// UAT levels (3).
        pub uat_num_levels: u8,
        /// Per-level geometry.
        pub uat_level_info: Array<3, UatLevelInfo>,
        /// Padding.
        pub pad_94: Pad<0x14>,
        /// Host-mapped firmware allocations flag.
        pub host_mapped_fw_allocations: U32,
        /// Unknown.
        pub unk_ac: U32,
        /// Unknown.
        pub unk_b0: U32,
        /// Unknown.
        pub unk_b4: U32,
        /// Unknown.
        pub unk_b8: U32,
    }
}

const _: () = assert!(core::mem::size_of::<UatLevelInfo>() == 0x20);
const _: () = assert!(core::mem::size_of::<InitData>() == 0xb4 + if_present(INITDATA_VER_INFO, 8));

plain_layout! {
    /// The three pipe channels of one priority.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct PipeChannels {
        /// Vertex pipe.
        pub vtx: ChannelRing,
        /// Fragment pipe.
        pub frag: ChannelRing,
        /// Compute pipe.
        pub comp: ChannelRing,
    }
}

plain_layout! {
    /// The channel part of the runtime pointers: the first 0x280 bytes, up to the GPU scratch area
    /// (which starts at 0x280 and is not described here).
    ///
    /// Source: downstream `fw/initdata.rs` `RuntimePointers` (G13/G14 layout; G14X drops
    /// `unkptr_1c0`/`unkptr_1c8` and is not covered).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(C)]
    pub struct RuntimePointers {
        /// Pipe channels, indexed by firmware priority.
        pub pipes: Array<4, PipeChannels>,
        /// DeviceControl channel.
        pub device_control: ChannelRing,
        /// Event channel.
        pub event: ChannelRing,
        /// FwLog channel (6 state blocks, 6 rings of 0x100 entries).
        pub fw_log: ChannelRing,
        /// KTrace channel.
        pub ktrace: ChannelRing,
        /// Stats channel.
        pub stats: ChannelRing,
        /// Padding.
        pub pad_110: Pad<0x50>,
        /// Unknown.
        pub unk_160: U64,
        /// Unknown.
        pub unk_168: U64,
        /// Global vertex statistics.
        pub stats_vtx: GpuPtr,
        /// Global fragment statistics.
        pub stats_frag: GpuPtr,
        /// Compute statistics.
        pub stats_comp: GpuPtr,
        /// Hardware data A.
        pub hwdata_a: GpuPtr,
        /// Unknown buffer.
        pub unkptr_190: GpuPtr,
        /// Unknown buffer.
        pub unkptr_198: GpuPtr,
        /// Hardware data B.
        pub hwdata_b: GpuPtr,
        /// Hardware data B again.
        pub hwdata_b_2: GpuPtr,
        /// FwLog payload buffer.
        pub fwlog_buf: GpuPtr,
        /// Unknown buffer.
        pub unkptr_1b8: GpuPtr,
        /// Unknown buffer.
        pub unkptr_1c0: GpuPtr,
        /// Unknown buffer.
        pub unkptr_1c8: GpuPtr,
        /// Unknown.
        pub unk_1d0: U32,
        /// Unknown.
        pub unk_1d4: U32,
        /// Unknown.
        pub unk_1d8: Array<0x3c, u8>,
        /// Buffer-manager control page, GPU address.
        pub buffer_mgr_ctl_gpu_addr: U64,
        /// Buffer-manager control page, firmware address.
        pub buffer_mgr_ctl_fw_addr: U64,
        /// Padding.
        pub pad_224: Pad<0x5c>,
    }
}

const _: () = assert!(core::mem::offset_of!(RuntimePointers, device_control) == 0xc0);
const _: () = assert!(core::mem::offset_of!(RuntimePointers, unk_160) == 0x160);
const _: () = assert!(core::mem::offset_of!(RuntimePointers, unk_1d0) == 0x1d0);
const _: () = assert!(core::mem::offset_of!(RuntimePointers, buffer_mgr_ctl_gpu_addr) == 0x214);
const _: () = assert!(core::mem::size_of::<RuntimePointers>() == 0x280);
