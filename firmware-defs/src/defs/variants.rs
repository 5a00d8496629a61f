//! Versioned layouts: one module per supported (generation, firmware) variant.
//!
//! # Mechanism
//!
//! The layouts that change between firmware versions are written once, in
//! `defs/versioned/layouts.rs`, as ordinary items that refer to a constant `VARIANT` of the
//! enclosing module. The [`define_variants!`] macro below creates one module per variant, defines
//! `VARIANT` in it and `include!`s that file. Version-dependent fields are sized with
//! `Array<{ if_present(COND, N) }, T>` or `Pad<{ if COND { A } else { B } }>`, where `COND` is a
//! `const` expression over `VARIANT` such as `VARIANT.fw_at_least(FwVersion::V13_2)`; an absent
//! field becomes a zero-length, alignment-1 array that does not change the layout. Each module
//! checks its sizes with `const` assertions.
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
                use super::super::job::{ChannelRing, LinkedListHead, Priority};
                use super::super::types::{
                    if_present, read_u32, read_u64, write_u32, write_u64, Array, GpuPtr, Pad, U32,
                    U64,
                };
                use super::super::ver::{FwVersion, Gen, Variant};

                /// The (generation, firmware) pair these layouts are for.
                pub const VARIANT: Variant = Variant::new(Gen::$gen, FwVersion::$fw);

                include!("versioned/layouts.rs");
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

    #[test]
    fn notifier_layout() {
        assert_eq!(size_of::<g13_v12_3::NotifierState>(), 0x94);
        assert_eq!(size_of::<g14_v12_4::NotifierState>(), 0xac);
        assert_eq!(size_of::<g13_v13_5::NotifierState>(), 0x9c);
        assert_eq!(offset_of!(g13_v13_5::Notifier, state), 0x14);
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
}
