//! Versioned layouts: one module per supported (generation, firmware) variant.
//!
//! # Mechanism
//!
//! The layouts that change between firmware versions are written once, in
//! `defs/versioned/layouts.rs` (channels, queues, initdata), `buffer.rs` (the buffer-manager
//! `Info`, `Scene`, `Stats` and `InitBuffer`, in a nested `buffer` module) and `defs/versioned/commands.rs`,
//! `commands_compute.rs` and `commands_tests.rs` (the `RunVertex`/`RunFragment`/`RunCompute`
//! work commands and their tests), `hwdata.rs` and `globals.rs` (`HwDataA`, `HwDataB`,
//! `Globals`, the runtime scratch area), `microseq.rs` (with `microseq_seq.rs` and
//! `microseq_decode.rs`, included into it) and `microseq_tests.rs` (the
//! microsequence ops, sequence constructors and decoder, in a nested `microseq` module), as
//! ordinary items that refer to a constant `VARIANT` of the
//! enclosing module. The [`define_variants!`] macro below creates
//! one module per variant, defines `VARIANT` in it and `include!`s those files.
//! Version-dependent fields are sized with `Array<{ if_present(COND, N) }, T>` or
//! `Pad<{ if COND { A } else { B } }>`, where `COND` is a `const` expression over `VARIANT` such
//! as `VARIANT.fw_at_least(FwVersion::V13_2)`; an absent field becomes a zero-length,
//! alignment-1 array that does not change the layout. Each module checks its sizes with `const`
//! assertions.
//!
//! The driver picks the variant at probe time with [`Variant::select`] and then uses the
//! matching module, e.g. `use fw::variants::g13_v13_5 as fwv;`.
//!
//! Source: the scheme mirrors downstream's `#[versions(AGX)]`/`#[ver(...)]` proc macro
//! (reference §1), done with `const` expressions so that no proc macro is needed.

use super::ver::{FwVersion, Gen, Variant};

/// Defines one module per `name => (Gen, FwVersion)` pair, each including the versioned
/// layouts.
macro_rules! define_variants {
    ($($(#[$doc:meta])* $name:ident => ($gen:ident, $fw:ident);)*) => {
        $(
            $(#[$doc])*
            pub mod $name {
                use super::super::channels::PipeType;
                use super::super::event::EventValue;
                use super::super::hwdata::{
                    AuxLeakCoef, HwDataA130Extra, HwDataBAuxPStates, HwDataShared1,
                    HwDataShared2, HwDataShared3, IoMapping, PowerZoneGlobal, T81xxData, F32,
                };
                use super::super::job::{
                    ArrayAddr, BackgroundProgram, ChannelRing, ComputeJobParams1,
                    EncoderParams, EotProgram, FragmentJobParams2, FwFaultInfo, GpuContextData, JobMeta,
                    LinkedListHead, PendingStamp, Priority, RegisterArray, TimestampPointers,
                    VertexJobParams2, VertexTilingParams,
                };
                use super::super::plain::{plain_derive, plain_fields, plain_layout, Plain};
                use super::super::types::{
                    if_present, read_u32, read_u64, write_u32, write_u64, Array, GpuPtr, Pad, U32,
                    U64,
                };
                use super::super::ver::{FwVersion, Gen, Variant};
                use super::super::hwdata_soc::{HwDataError, HwInputs, SocConfig};

                /// The (generation, firmware) pair these layouts are for.
                pub const VARIANT: Variant = Variant::new(Gen::$gen, FwVersion::$fw);

                include!("versioned/layouts.rs");
                include!("versioned/buffer.rs");
                include!("versioned/commands.rs");
                include!("versioned/commands_compute.rs");
                include!("versioned/commands_tests.rs");
                include!("versioned/hwdata.rs");
                include!("versioned/globals.rs");
                include!("versioned/initdata_build.rs");
                include!("versioned/microseq.rs");
                include!("versioned/microseq_tests.rs");
            }
        )*

        /// Every variant that has a module here, in declaration order.
        pub const ALL: &[Variant] = &[$(Variant::new(Gen::$gen, FwVersion::$fw)),*];
    };
}

define_variants! {
    /// G13 (M1, t8103/t600x) with firmware 12.3; the virtual AGX's first configuration.
    g13_v12_3 => (G13, V12_3);
    /// G13 with firmware 13.5; the virtual AGX's second configuration.
    g13_v13_5 => (G13, V13_5);
    /// G14 (M2, t8112) with firmware 12.3 (not built by downstream, see [`super::ver::SUPPORTED`]).
    g14_v12_3 => (G14, V12_3);
    /// G14 with firmware 12.4.
    g14_v12_4 => (G14, V12_4);
    /// G14 with firmware 13.5.
    g14_v13_5 => (G14, V13_5);
}

/// G14X (t602x) with firmware 13.5, for host tests only: no variant module exists for it yet
/// (its `HwData`/`Globals` are not described), but its run commands and microsequences are, and
/// their sizes are tested against the reference here.
#[cfg(test)]
#[allow(unused_imports, dead_code)]
mod g14x_v13_5 {
    use super::super::event::EventValue;
    use super::super::job::{
        ArrayAddr, BackgroundProgram, ChannelRing, ComputeJobParams1, EncoderParams, EotProgram,
        FragmentJobParams2, FwFaultInfo, GpuContextData, JobMeta, LinkedListHead, PendingStamp,
        Priority, RegisterArray, TimestampPointers, VertexJobParams2, VertexTilingParams,
    };
    use super::super::plain::{plain_derive, plain_fields, plain_layout, Plain};
    use super::super::types::{if_present, read_u32, read_u64, Array, GpuPtr, Pad, U32, U64};
    use super::super::ver::{FwVersion, Gen, Variant};

    /// The (generation, firmware) pair these layouts are for.
    pub const VARIANT: Variant = Variant::new(Gen::G14X, FwVersion::V13_5);

    include!("versioned/commands.rs");
    include!("versioned/commands_compute.rs");
    include!("versioned/buffer.rs");
    include!("versioned/microseq.rs");
    include!("versioned/microseq_tests.rs");
}

#[cfg(test)]
mod tests {
    use super::super::types::Array;
    use super::super::ver::SUPPORTED;
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn all_supported_variants_have_modules() {
        assert_eq!(ALL, &SUPPORTED[..]);
        assert_eq!(g13_v13_5::VARIANT, Variant::new(Gen::G13, FwVersion::V13_5));
    }

    #[test]
    fn message_sizes() {
        assert_eq!(size_of::<g13_v12_3::RunWorkQueueMsg>(), 0x30);
        assert_eq!(size_of::<g13_v13_5::RunWorkQueueMsg>(), 0x30);
        assert_eq!(size_of::<g14_v13_5::RunWorkQueueMsg>(), 0x40);
        assert_eq!(g13_v13_5::DEVICE_CONTROL_PAYLOAD, 0x2c);
        assert_eq!(g14_v13_5::DEVICE_CONTROL_PAYLOAD, 0x3c);
        assert_eq!(size_of::<g14_v12_4::RawDeviceControlMsg>(), 0x30);
        assert_eq!(size_of::<g14_v13_5::RawDeviceControlMsg>(), 0x40);
    }

    #[test]
    fn queue_info_layout() {
        assert_eq!(size_of::<g13_v12_3::QueueInfo>(), 0xb0);
        assert_eq!(offset_of!(g13_v12_3::QueueInfo, gpu_context), 0xa0);
        assert_eq!(size_of::<g13_v13_5::QueueInfo>(), 0xb8);
        assert_eq!(offset_of!(g13_v13_5::QueueInfo, gpu_context), 0xa4);
        assert_eq!(offset_of!(g13_v13_5::QueueInfo, priority), 0x30);
    }

    #[test]
    fn initdata_layout() {
        assert_eq!(offset_of!(g13_v12_3::InitData, runtime_pointers), 0x10);
        assert_eq!(offset_of!(g13_v13_5::InitData, runtime_pointers), 0x18);
        assert_eq!(size_of::<g13_v12_3::InitData>(), 0xb4);
        assert_eq!(size_of::<g13_v13_5::InitData>(), 0xbc);
        assert_eq!(offset_of!(g13_v13_5::RuntimePointers, device_control), 0xc0);
        assert_eq!(size_of::<g13_v13_5::RuntimePointers>(), 0x280);
    }

    /// HwDataA/B and Globals sizes and the runtime offsets the driver touches, per variant
    /// (m1n1 `raw.rs` sizes and firmware-commands.md §5.2 offsets); G14G shares G13's layout.
    #[test]
    fn hwdata_and_globals_layout() {
        macro_rules! check {
            ($m:ident, $a:expr, $b:expr, $g:expr, [$ps:expr, $fc:expr, $idle:expr, $stamps:expr]) => {{
                use $m::{Globals, HwDataA, HwDataB};
                assert_eq!(size_of::<HwDataA>(), $a, stringify!($m));
                assert_eq!(size_of::<HwDataB>(), $b, stringify!($m));
                assert_eq!(size_of::<Globals>(), $g, stringify!($m));
                assert_eq!(
                    [
                        offset_of!(Globals, pending_submissions),
                        offset_of!(Globals, fault_control),
                        offset_of!(Globals, idle_off_delay_ms),
                        offset_of!(Globals, pending_stamps),
                    ],
                    [$ps, $fc, $idle, $stamps],
                    stringify!($m)
                );
                assert_eq!(
                    size_of::<Array<0x100, super::super::job::PendingStamp>>(),
                    Globals::PENDING_STAMPS * 8
                );
            }};
        }
        const V12: [usize; 4] = [0x8904, 0x10e80, 0x11030, 0x1103c];
        const V13: [usize; 4] = [0x8974, 0x10fd8, 0x1119c, 0x111a8];
        check!(
            g13_v12_3,
            0x3d6c,
            0xb6c,
            0x11d40,
            [V12[0], V12[1], V12[2], V12[3]]
        );
        check!(
            g14_v12_3,
            0x3d6c,
            0xb6c,
            0x11d40,
            [V12[0], V12[1], V12[2], V12[3]]
        );
        check!(
            g14_v12_4,
            0x3d6c,
            0xb6c,
            0x11d40,
            [V12[0], V12[1], V12[2], V12[3]]
        );
        check!(
            g13_v13_5,
            0x421c,
            0x1884,
            0x12394,
            [V13[0], V13[1], V13[2], V13[3]]
        );
        check!(
            g14_v13_5,
            0x421c,
            0x1884,
            0x12394,
            [V13[0], V13[1], V13[2], V13[3]]
        );
        assert_eq!(offset_of!(g13_v12_3::HwDataB, io_mappings), 0x1d0);
        assert_eq!(offset_of!(g13_v13_5::HwDataB, io_mappings), 0x640);
        assert_eq!(g13_v12_3::IO_MAPPING_COUNT, 0x14);
        assert_eq!(g13_v13_5::IO_MAPPING_COUNT, 0x19);
        assert_eq!(offset_of!(g13_v13_5::HwDataB, sgx_sram_ptr), 0x960);
        assert_eq!(offset_of!(g13_v12_3::HwDataB, num_cores), 0x568);
        assert_eq!(offset_of!(g13_v13_5::HwDataB, num_cores), 0xa88);
        assert_eq!(size_of::<g13_v12_3::RuntimeScratch>(), 0x6940);
        assert_eq!(
            offset_of!(g13_v12_3::RuntimeScratch, unk_6b38),
            0x6b38 - 0x280
        );
        assert_eq!(
            g13_v13_5::INITDATA_VER_INFO_WORDS,
            [0x6ba0, 0x1f28, 0x601, 0xb0]
        );
        assert_eq!(g13_v12_3::INITDATA_VER_INFO_WORDS, [0; 4]);
    }

    #[test]
    fn notifier_layout() {
        assert_eq!(size_of::<g13_v12_3::NotifierState>(), 0x94);
        assert_eq!(size_of::<g14_v12_4::NotifierState>(), 0xac);
        assert_eq!(size_of::<g13_v13_5::NotifierState>(), 0x9c);
        assert_eq!(offset_of!(g13_v13_5::Notifier, state), 0x14);
    }

    /// Expected run-command facts of one variant: sizes, and byte offsets of the fields the
    /// driver fills. Values derived by summing downstream's fields for the 12.3 layout (m1n1
    /// confirms microsequence 0x46c/0x1e8, compute stamp 0x280, value 0x290 and timestamp
    /// pointers 0x2b0), plus 8 after the 13.x counter.
    struct CmdFacts {
        vertex: usize,
        fragment: usize,
        compute: usize,
        /// RunVertex: vm_slot, microsequence, vdm_ctrl_stream_base, meta.stamp_value,
        /// timestamp_pointers.
        vtx: [usize; 5],
        /// RunFragment: vm_slot, microsequence, meta.stamp_value, timestamp_pointers.
        frag: [usize; 4],
        /// RunCompute: vm_slot, microsequence, cdm_ctrl_stream_base, meta.stamp,
        /// meta.stamp_value, meta.stamp_slot, timestamp_pointers.
        comp: [usize; 7],
    }

    const V12_G13: CmdFacts = CmdFacts {
        vertex: 0x5e0,
        fragment: 0x930,
        compute: 0x2dc,
        vtx: [0x4, 0x46c, 0xc8, 0x578, 0x5b4],
        frag: [0x4, 0xc, 0x8c8, 0x904],
        comp: [0x8, 0x1e8, 0x70, 0x280, 0x290, 0x294, 0x2b0],
    };
    const V13_G13: CmdFacts = CmdFacts {
        vertex: 0x608,
        fragment: 0x96c,
        compute: 0x31c,
        vtx: [0xc, 0x474, 0xd0, 0x580, 0x5bc],
        // meta moves by 0x1c: counter 8, AuxFbInfo 8, unk_2a0 8 (all in 13.0b4), unk_v13_3 4.
        frag: [0xc, 0x14, 0x8e4, 0x920],
        comp: [0x10, 0x1f0, 0x78, 0x288, 0x298, 0x29c, 0x2b8],
    };

    macro_rules! check_cmds {
        ($m:ident, $f:expr, $vtx_enc:expr) => {{
            use $m::{RunCompute, RunFragment, RunVertex};
            let f: &CmdFacts = &$f;
            let meta = |base: usize, field: usize| base + field;
            assert_eq!(size_of::<RunVertex>(), f.vertex, stringify!($m));
            assert_eq!(size_of::<RunFragment>(), f.fragment, stringify!($m));
            assert_eq!(size_of::<RunCompute>(), f.compute, stringify!($m));
            assert_eq!(offset_of!(RunVertex, tag), 0);
            assert_eq!(offset_of!(RunFragment, tag), 0);
            assert_eq!(offset_of!(RunCompute, tag), 0);
            let v = [
                offset_of!(RunVertex, vm_slot),
                offset_of!(RunVertex, microsequence),
                offset_of!(RunVertex, job_params1)
                    + offset_of!($m::VertexJobParams1, vdm_ctrl_stream_base),
                meta(
                    offset_of!(RunVertex, meta),
                    offset_of!(JobMeta, stamp_value),
                ),
                offset_of!(RunVertex, timestamp_pointers),
            ];
            let mut want = f.vtx;
            want[2] = $vtx_enc;
            assert_eq!(v, want, stringify!($m));
            let fr = [
                offset_of!(RunFragment, vm_slot),
                offset_of!(RunFragment, microsequence),
                meta(
                    offset_of!(RunFragment, meta),
                    offset_of!(JobMeta, stamp_value),
                ),
                offset_of!(RunFragment, timestamp_pointers),
            ];
            assert_eq!(fr, f.frag, stringify!($m));
            let c = [
                offset_of!(RunCompute, vm_slot),
                offset_of!(RunCompute, microsequence),
                offset_of!(RunCompute, job_params1)
                    + offset_of!(ComputeJobParams1, cdm_ctrl_stream_base),
                meta(offset_of!(RunCompute, meta), offset_of!(JobMeta, stamp)),
                meta(
                    offset_of!(RunCompute, meta),
                    offset_of!(JobMeta, stamp_value),
                ),
                meta(
                    offset_of!(RunCompute, meta),
                    offset_of!(JobMeta, stamp_slot),
                ),
                offset_of!(RunCompute, timestamp_pointers),
            ];
            assert_eq!(c, f.comp, stringify!($m));
        }};
    }

    #[test]
    fn run_command_layouts() {
        use super::super::job::{ComputeJobParams1, JobMeta};
        // G14 drops four G13-only words before the vertex control-stream pointer.
        check_cmds!(g13_v12_3, V12_G13, 0xc8);
        check_cmds!(g14_v12_3, V12_G13, 0xa8);
        check_cmds!(g14_v12_4, V12_G13, 0xa8);
        check_cmds!(g13_v13_5, V13_G13, 0xd0);
        check_cmds!(g14_v13_5, V13_G13, 0xb0);
        // G14 moves the fragment depth buffers behind its extra words.
        assert_eq!(offset_of!(g13_v12_3::FragmentJobParams1, z_load), 0x58);
        assert_eq!(offset_of!(g14_v12_3::FragmentJobParams1, z_load), 0x68);
        assert_eq!(offset_of!(g14_v13_5::FragmentJobParams1, z_load), 0x70);
        assert_eq!(size_of::<g13_v13_5::AuxFbInfo>(), 0x18);
        assert_eq!(offset_of!(g13_v13_5::RunCompute, unk_2fd), 0x305);
    }

    #[test]
    fn device_control_round_trip() {
        use g13_v13_5::DeviceControlMsg as D13;
        use g14_v12_4::DeviceControlMsg as D12;
        let msgs13 = [
            D13::GrowTvbAck {
                unk_4: 1,
                buffer_slot: 2,
                vm_slot: 3,
                counter: 4,
                subpipe: 5,
                halt_count: 0x1_0000_0006,
            },
            D13::RecoverChannel {
                pipe_type: 2,
                work_queue: 0xffff_ffa0_1234_5600,
                event_value: 0x700,
            },
            D13::DestroyContext {
                unk_4: 1,
                ctx_23: 2,
                unk_c: 3,
                unk_10: 4,
                ctx_0: 5,
                ctx_1: 6,
                ctx_4: 7,
                unk_18: 0,
                gpu_context: 0xffff_ffa0_0000_0040,
            },
            D13::Initialize,
        ];
        for m in msgs13 {
            assert_eq!(D13::decode(&m.encode()), m);
        }
        let m = D12::DestroyContext {
            unk_4: 1,
            ctx_23: 2,
            unk_c: 3,
            unk_10: 4,
            ctx_0: 5,
            ctx_1: 6,
            ctx_4: 7,
            unk_18: 8,
            gpu_context: 0xffff_ffa0_0000_0080,
        };
        let raw = m.encode();
        assert_eq!(raw.msg_type, 0x17);
        assert_eq!(D12::decode(&raw), m);
        assert_eq!(g13_v13_5::DC_DESTROY_CONTEXT, 0x18);
        assert_eq!(g13_v12_3::DC_GROW_TVB_ACK, 0x0d);
        let unknown = g13_v12_3::RawDeviceControlMsg {
            msg_type: 0x3,
            data: Array([0; 0x2c]),
        };
        assert_eq!(
            g13_v12_3::DeviceControlMsg::decode(&unknown),
            g13_v12_3::DeviceControlMsg::Unknown(unknown)
        );
    }

    /// The GrowTVB acknowledgement echoes the event (reference §3.5 step 4) under the type
    /// number of its firmware (0x0d before 13.3, 0x0e from it).
    #[test]
    fn grow_tvb_ack() {
        use super::super::channels::{EventMsg, RawEventMsg, EVENT_GROW_TVB};
        let mut data = [0; 13];
        data[..3].copy_from_slice(&[3, 9, 0x42]);
        let ev = RawEventMsg {
            msg_type: EVENT_GROW_TVB,
            data,
        };
        let EventMsg::GrowTvb {
            vm_slot,
            buffer_slot,
            counter,
        } = EventMsg::decode(&ev)
        else {
            panic!("not a GrowTvb event");
        };
        let raw =
            g13_v13_5::DeviceControlMsg::grow_tvb_ack(buffer_slot, vm_slot, counter, 0x1_0000_0007)
                .encode();
        assert_eq!(raw.msg_type, 0x0e);
        let w = |o: usize| u32::from_le_bytes(raw.data.0[o - 4..o].try_into().unwrap());
        assert_eq!((w(4), w(8), w(0xc), w(0x10), w(0x14)), (1, 9, 3, 0x42, 0));
        assert_eq!(
            &raw.data.0[0x18 - 4..0x20 - 4],
            &0x1_0000_0007u64.to_le_bytes()
        );
        let old = g13_v12_3::DeviceControlMsg::grow_tvb_ack(1, 2, 3, 4).encode();
        assert_eq!(old.msg_type, 0x0d);
    }

    /// The constructors build the messages the driver sent as struct literals before, byte for
    /// byte, in both DestroyContext layouts (packed from 13.3 and not before).
    #[test]
    fn device_control_constructors() {
        use g13_v12_3::DeviceControlMsg as D12;
        use g13_v13_5::DeviceControlMsg as D13;
        let va = 0xffff_ffa0_0000_0080;
        let raw = D13::destroy_context(va).encode();
        assert_eq!(raw.msg_type, g13_v13_5::DC_DESTROY_CONTEXT);
        let d = &raw.data.0;
        // Packed 13.5 layout: ctx_23 at +0x08, ctx_0/1/4 at +0x11..0x13, the pointer at +0x14
        // (payload offsets are message offsets minus 4); GpuContextData::default()'s bytes.
        assert_eq!(d[0x8 - 4], 2);
        assert_eq!(d[0x11 - 4..0x14 - 4], [0xff, 0xff, 0]);
        assert_eq!(d[0x14 - 4..0x1c - 4], va.to_le_bytes());
        let zero_at = |d: &[u8], r: core::ops::Range<usize>| d[r].iter().all(|&b| b == 0);
        assert!(zero_at(d, 0..4) && zero_at(d, 0x9 - 4..0x11 - 4) && zero_at(d, 0x1c - 4..0x2c));
        assert_eq!(
            D13::decode(&raw),
            D13::DestroyContext {
                unk_4: 0,
                ctx_23: 2,
                unk_c: 0,
                unk_10: 0,
                ctx_0: 0xff,
                ctx_1: 0xff,
                ctx_4: 0,
                unk_18: 0,
                gpu_context: va,
            }
        );
        let flush = D13::flush_all().encode();
        assert_eq!(flush.msg_type, g13_v13_5::DC_DESTROY_CONTEXT);
        assert_eq!(flush.data.0[0x11 - 4..0x14 - 4], [0xff, 0xff, 0xff]);
        assert!(flush.data.0[0x14 - 4..].iter().all(|&b| b == 0));
        assert_eq!(flush.data.0[0x8 - 4], 0);
        // 12.3: the unpacked layout, ctx bytes at +0x14..0x16 and the pointer at +0x1c.
        let old = D12::destroy_context(va).encode();
        assert_eq!(old.msg_type, g13_v12_3::DC_DESTROY_CONTEXT);
        assert_eq!(old.data.0[0x14 - 4..0x17 - 4], [0xff, 0xff, 0]);
        assert_eq!(old.data.0[0x1c - 4..0x24 - 4], va.to_le_bytes());
        assert_eq!(
            D12::flush_all().encode().data.0[0x14 - 4..0x17 - 4],
            [0xff; 3]
        );
        assert_eq!(
            D13::initialize().encode().msg_type,
            g13_v13_5::DC_INITIALIZE
        );
        assert_eq!(D13::decode(&D13::initialize().encode()), D13::Initialize);
    }
}

#[cfg(test)]
mod build_tests {
    extern crate std;
    use super::super::hwdata::{IoMapping, F32};
    use super::super::hwdata_soc::*;
    use super::super::plain::{bytes_of, zeroed};
    use super::*;
    use std::boxed::Box;
    use std::vec::Vec;

    fn inputs(maps: &[IoMapping]) -> HwInputs<'_> {
        HwInputs {
            soc: &T8103,
            pwr: &T8103_POWER,
            id: T8103_IDENTITY,
            uat_ttb_base: 0x8_0000_0000,
            io_mappings: maps,
        }
    }

    fn maps() -> Vec<IoMapping> {
        T8103
            .io_mappings
            .iter()
            .enumerate()
            .map(|(i, r)| {
                r.map_or(IoMapping::default(), |r| {
                    r.mapped_at(0xffff_fa00_0000_0000 + 0x10_0000 * i as u64)
                })
            })
            .collect()
    }

    macro_rules! build_t8103 {
        ($m:ident) => {{
            use $m::*;
            let maps = maps();
            let hw = inputs(&maps);
            let mut a: Box<HwDataA> = Box::new(zeroed());
            let mut b: Box<HwDataB> = Box::new(zeroed());
            let mut g: Box<Globals> = Box::new(zeroed());
            fill_hwdata_a(&mut a, &hw).unwrap();
            fill_hwdata_b(&mut b, &hw).unwrap();
            fill_globals(&mut g, &hw, 0xb).unwrap();
            // Identity and clocks.
            assert_eq!(b.chip_id, 0x8103);
            assert_eq!(b.gpu_core_id, 11);
            assert_eq!(b.num_cores, 8);
            assert_eq!(b.num_frags, 8);
            assert_eq!(b.base_clock_khz, 24_000);
            assert_eq!(b.uat_ttb_base.get(), 0x8_0000_0000);
            assert_eq!(b.unk_30.get(), 0x6f_ffff_8000);
            // Performance states: MHz, voltages padded to 8 clusters, SRAM floor 850 mV.
            assert_eq!(b.max_pstate, 6);
            assert_eq!(&b.frequencies[..7], &[0, 396, 528, 720, 924, 1128, 1278]);
            assert_eq!(b.voltages[6].0, [931; 8]);
            assert_eq!(b.voltages_sram[1].0, [850; 8]);
            assert_eq!(b.rel_max_powers[6], 100);
            assert_eq!(b.rel_max_powers[1], 3714 * 100 / 19551);
            assert_eq!(b.rel_boost_freqs[1], 0);
            assert_eq!(
                b.rel_boost_freqs[6],
                (1_278_000_000 - 396_000_000) / ((1_278_000_000 - 396_000_000) / 100)
            );
            assert_eq!(b.io_mappings[3].phys_addr.get(), 0x2_0400_0000);
            assert_eq!(b.io_mappings[4], IoMapping::default());
            // Power: the float coefficients are what the FPU gives.
            let f = |v: f32| F32::from_f32(v);
            assert_eq!(a.pwr_filter_a, f(1.0 / 313.0));
            assert_eq!(a.pwr_filter_a_neg, f(1.0 - 1.0 / 313.0));
            assert_eq!(a.ppm_ki_dt, f(91.5 * (8.0 / 1000.0)));
            assert_eq!(a.pwr_pstate_related_k, f(-600.0 / 19551.0));
            assert_eq!(a.boost_state_unk_k, f(5.0 / 0.95));
            assert_eq!(a.max_pstate_scaled, 600);
            assert_eq!(a.base_pstate_scaled, 100);
            assert_eq!(a.max_freq_mhz, 1278);
            assert_eq!(a.power_zone_count, 1);
            assert_eq!(a.power_zones[0].target_off, 29900);
            assert_eq!(a.power_zones[0].filter_a, f(1.0 / 6875.0));
            assert_eq!(a.hws1.table[1], 0x7282);
            assert_eq!(a.sram_k[6], f(1.02));
            assert_eq!(a.sram_k[7], F32::ZERO);
            assert_eq!(a.clocks_per_period, 192_000);
            // Globals.
            assert_eq!(g.fault_control, 0xb);
            assert_eq!(g.idle_off_delay_ms, 2);
            assert_eq!(g.max_power, 19551);
            assert_eq!(g.sub.unk_54, 0xffff);
            assert_eq!(g.hws2.unk_508, 0xc00007);
            assert!(g.pending_stamps.iter().all(|p| p.info == 0));
            // The m1n1 path: the blobs the bootloader hands over load back to the same
            // structures, with the driver's overrides.
            let mut sa: Box<HwDataA> = Box::new(zeroed());
            let blob_a = hw_cal_a_blob(&mut sa, &hw).unwrap().to_vec();
            assert_eq!(blob_a.len(), HWDATA_A_SIZE);
            let mut la: Box<HwDataA> = Box::new(zeroed());
            load_hwdata_a(&mut la, &blob_a).unwrap();
            assert_eq!(bytes_of(&*la), bytes_of(&*a));
            let mut sb: Box<HwDataB> = Box::new(zeroed());
            let blob_b = hw_cal_b_blob(&mut sb, &hw).unwrap().to_vec();
            let mut lb: Box<HwDataB> = Box::new(zeroed());
            load_hwdata_b(&mut lb, &blob_b, &maps[..2], None).unwrap();
            assert_eq!(lb.chip_id, 0x8103);
            assert_eq!(lb.io_mappings[1], maps[1]);
            assert_eq!(lb.io_mappings[3], IoMapping::default());
            let mut sg: Box<Globals> = Box::new(zeroed());
            let mut blob_g = globals_blob(&mut sg, &hw).unwrap().to_vec();
            // A bootloader's stale counter is cleared.
            blob_g[Globals::PENDING_SUBMISSIONS_OFFSET] = 7;
            let mut lg: Box<Globals> = Box::new(zeroed());
            load_globals(&mut lg, &blob_g, 0xb).unwrap();
            assert_eq!(lg.pending_submissions, 0);
            assert_eq!(bytes_of(&*lg), bytes_of(&*g));
            // Wrong-ABI blobs and hostile inputs are refused and write nothing.
            let mut untouched: Box<Globals> = Box::new(zeroed());
            untouched.counter = 0x55;
            assert_eq!(
                load_globals(&mut untouched, &blob_g[1..], 0xb),
                Err(HwDataError::BlobSize {
                    expected: GLOBALS_SIZE,
                    got: GLOBALS_SIZE - 1
                })
            );
            let bad = PowerConfig {
                power_sample_period: 0,
                ..T8103_POWER
            };
            let bad_hw = HwInputs { pwr: &bad, ..hw };
            assert_eq!(
                fill_globals(&mut untouched, &bad_hw, 0xb),
                Err(HwDataError::ZeroTimeConstant)
            );
            let too_many = [IoMapping::default(); IO_MAPPING_COUNT + 1];
            let bad_hw = HwInputs {
                io_mappings: &too_many,
                ..hw
            };
            assert_eq!(
                fill_hwdata_b(&mut lb, &bad_hw),
                Err(HwDataError::IoMappings)
            );
            assert_eq!(untouched.counter, 0x55);
            assert_eq!(lb.chip_id, 0x8103);
            (a, b, g)
        }};
    }

    #[test]
    fn t8103_builders_v12_3() {
        let (a, b, _) = build_t8103!(g13_v12_3);
        assert_eq!(a.t81xx_data.max_pstate_scaled, 600);
        assert_eq!(b.min_sram_volt[0].get(), 850);
        assert_eq!(b.num_pstates[0].get(), 7);
    }

    #[test]
    fn t8103_builders_v13_5() {
        let (a, b, _) = build_t8103!(g13_v13_5);
        // 13.3+ leaves the t81xx block alone and fills the 13.0b4 extra block.
        assert_eq!(a.t81xx_data.max_pstate_scaled, 0);
        assert_eq!(a.unk_e10_0[0].gpu_se_filter_a, F32::from_f32(1.0 / 9.0));
        assert_eq!(
            a.unk_e10_0[0].gpu_se_filter_time_constant_clks.get(),
            9 * 192_000
        );
        assert_eq!(b.frequencies[6], 1278);
    }
}
