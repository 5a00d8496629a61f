// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Decoding of the firmware log and KTrace rings from a synthetic dump.

mod common;

use agx_coredump::format::Note;
use agx_coredump::report::{self, Options};
use agx_firmware_defs::channels::ChannelState;
use agx_firmware_defs::crashlog::{RawFwLogMsg, RawFwLogPayloadMsg, RawKTraceMsg};
use agx_firmware_defs::job::ChannelRing;
use agx_firmware_defs::types::{Array, GpuPtr, U64};
use agx_firmware_defs::uat::Prot;
use common::*;
use zerocopy::IntoBytes;

const LOG_STATE: u64 = 0xffff_ffa8_0010_0000;
const KTRACE_STATE: u64 = LOG_STATE + 0x200;
const LOG_RING: u64 = 0xffff_ffa8_0020_0000;
const LOG_BUF: u64 = 0xffff_ffa8_0040_0000;
const KTRACE_RING: u64 = 0xffff_ffa8_0030_0000;

fn payload(seq: u32, text: &str) -> RawFwLogPayloadMsg {
    let mut p = RawFwLogPayloadMsg {
        msg_type: 3,
        seq_no: seq,
        timestamp: U64(1000 + u64::from(seq)),
        ..Default::default()
    };
    p.msg[..text.len()].copy_from_slice(text.as_bytes());
    p
}

fn image() -> Vec<u8> {
    let mut img = sample_image();
    img.map(LOG_STATE, 0x9_0000_0000, 1, Prot::FW_SHARED_RW, true);
    img.map(LOG_RING, 0x9_0010_0000, 6, Prot::FW_SHARED_RW, true);
    img.map(KTRACE_RING, 0x9_0020_0000, 2, Prot::FW_SHARED_RW, true);
    img.map(LOG_BUF, 0x9_0030_0000, 21, Prot::FW_SHARED_RW, true);
    // Zero the new pages (fill_pattern ran before).
    for va in [LOG_STATE, KTRACE_RING, KTRACE_RING + PAGE] {
        img.write(va, &[0u8; PAGE as usize]);
    }
    for i in 0..6 {
        img.write(LOG_RING + i * PAGE, &[0u8; PAGE as usize]);
    }
    for i in 0..21 {
        img.write(LOG_BUF + i * PAGE, &[0u8; PAGE as usize]);
    }
    // RuntimePointers: point fw_log, fwlog_buf and ktrace at them.
    let mut rp = sample_runtime_pointers();
    rp.fw_log = ChannelRing {
        state: GpuPtr::new(LOG_STATE),
        ring: GpuPtr::new(LOG_RING),
    };
    rp.fwlog_buf = GpuPtr::new(LOG_BUF);
    rp.ktrace = ChannelRing {
        state: GpuPtr::new(KTRACE_STATE),
        ring: GpuPtr::new(KTRACE_RING),
    };
    img.write(RUNTIME_POINTERS_VA, rp.as_bytes());

    // Info (1): two lines, both consumed. Warn (3): one line at payload 5, unread; its entry
    // straddles nothing, but sub-ring 3's payloads start past the first pages of the buffer.
    let state = |r: u32, w: u32| ChannelState {
        read_ptr: r,
        write_ptr: w,
        ..Default::default()
    };
    img.write(LOG_STATE + 0x30, state(2, 2).as_bytes());
    img.write(LOG_STATE + 3 * 0x30, state(0, 1).as_bytes());
    let idx = |i: u64| RawFwLogMsg {
        msg_type: 2,
        msg_index: U64(i),
        ..Default::default()
    };
    img.write(LOG_RING + 3 * 0x100 * 0x38, idx(5).as_bytes());
    img.write(
        LOG_BUF + 0x100 * 0xd8,
        payload(1, "virtual AGX firmware 13.5 booted").as_bytes(),
    );
    img.write(
        LOG_BUF + (0x100 + 1) * 0xd8,
        payload(3, "cache flush").as_bytes(),
    );
    img.write(
        LOG_BUF + (3 * 0x100 + 5) * 0xd8,
        payload(2, "GPU fault at 0xdead0000").as_bytes(),
    );

    // KTrace: three records at 0x1ff, 0, 1 (wrapped), write pointer 2.
    img.write(KTRACE_STATE, state(2, 2).as_bytes());
    let rec = |code: u8, ts: u64| RawKTraceMsg {
        timestamp: U64(ts),
        args: Array([U64(7), U64(0x100), U64(0x20), U64(0)]),
        code,
        ..Default::default()
    };
    img.write(KTRACE_RING + 0x1ff * 0x38, rec(1, 10).as_bytes());
    img.write(KTRACE_RING, rec(2, 11).as_bytes());
    img.write(KTRACE_RING + 0x38, rec(1, 12).as_bytes());

    let (segs, data) = img.segments();
    let info = sample_info().to_bytes();
    render(&segs, &[Note::agx(&info), Note::rtkit(CRASHLOG)], &data)
}

#[test]
fn firmware_log_oldest_first_with_levels() {
    let bytes = image();
    let text = report::render(&bytes, &Options::default()).unwrap();
    let a = text.find("fwlog #1     info").expect(&text);
    let b = text.find("fwlog #2     warn").expect(&text);
    let c = text.find("fwlog #3     info").expect(&text);
    assert!(a < b && b < c, "{text}");
    assert!(text.contains("virtual AGX firmware 13.5 booted"), "{text}");
    assert!(text.contains("GPU fault at 0xdead0000  (unread)"), "{text}");
    assert!(!text.contains("cache flush  (unread)"), "{text}");
    assert!(
        text.contains("Firmware log @ 0xffffffa800400000 (3 lines, oldest first)"),
        "{text}"
    );
}

#[test]
fn ktrace_newest_records_across_the_wrap() {
    let bytes = image();
    let text = report::render(&bytes, &Options::default()).unwrap();
    assert!(
        text.contains("KTrace @ 0xffffffa800300000 (the last 3 records, oldest first)"),
        "{text}"
    );
    let a = text.find("ktrace t=10 ").expect(&text);
    let b = text.find("ktrace t=11 ").expect(&text);
    let c = text.find("ktrace t=12 ").expect(&text);
    assert!(a < b && b < c, "{text}");
    assert!(
        text.contains("code 0x02 args [0x7, 0x100, 0x20, 0x0]"),
        "{text}"
    );
}

#[test]
fn sample_without_log_channels_says_so() {
    let text = report::render(&sample_dump(), &Options::default()).unwrap();
    assert!(text.contains("Firmware log: not set up"), "{text}");
    assert!(text.contains("KTrace: not set up"), "{text}");
}
