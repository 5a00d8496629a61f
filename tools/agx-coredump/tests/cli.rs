// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The `agx-coredump` command on generated dumps.

mod common;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use common::*;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_agx-coredump"))
}

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("agx-coredump-cli");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Writes the sample dump to a file of its own (tests run in parallel).
fn sample_file(test: &str) -> PathBuf {
    let p = tmp(&format!("{test}.core"));
    std::fs::write(&p, sample_dump()).unwrap();
    p
}

#[test]
fn report_shows_identity_segments_and_firmware() {
    let p = sample_file("report_shows_identity_segments_and_firmware");
    let o = run(&[p.to_str().unwrap()]);
    let out = stdout(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    for want in [
        "4 segments, 2 notes",
        "chip:          t8103 (0x8103)",
        "generation:    G13",
        "variant:       G",
        "revision:      B1 (0x11)",
        "active cores:  8",
        "firmware:      13.5.0 [13, 5, 0, 0, 0, 0]",
        "init data:     0xffffffa000000000",
        // Crash log text and hex.
        "ASSERT: fw/agx/foo.c:123 bad thing",
        "|CLHE....Cstr....|",
        // Segments: private RW firmware data, shared, GPU+FW, MMIO without data.
        "    0  ffffffa000000000-ffffffa00000c000  000800000000       3  yes   rw-",
        "cached   fw     fw:RW gpu:--",
        "uncached fw+gpu fw:RW gpu:RW",
        "    3  ffffffaf00000000-ffffffaf00010000  000204000000       4  no    rw-",
        "device   fw     fw:RW gpu:--",
        "Totals: 4 segments, 11 pages mapped (0.17 MiB), 7 captured (0.11 MiB), 4 without data",
        // Firmware walk.
        "Firmware structures (layout g13_v13_5, from G13 firmware 13.5.0)",
        "InitData @ 0xffffffa000000000: runtime_pointers 0xffffffa000004000",
        "event                state 0xffffffa800000000 ring 0xffffffa800004000  rptr    1  wptr    3  pending    2  fw→driver",
        "event [1]: flag: event slots fired [3, 70]",
        "event [2]: fault",
        "device_control       state 0xffffffa800000100",
        "pending    0  driver→fw",
        "pipe vtx prio 0      state 0xffffffa400000040 ring 0xffffffa400001000  state: address 0xffffffa400000040 is not mapped in the snapshot",
        "pipe frag prio 1     state 0xffffffaf00000000 ring 0xffffffaf00000100  state: address 0xffffffaf00000000 is mapped but its page was not captured",
        "pipe comp prio 3     state 0x0000000000000000 ring 0x0000000000000000  (not set up)",
        "FwStatus @ 0xffffffa000008000: halt_count 2, halted 1, resume 0",
        "fwctl                state 0xffffffa800000200 ring 0xffffffa800000300  rptr    4  wptr    6  pending    2  driver→fw",
        "Globals @ 0xffffffa400000000: address 0xffffffa400000000 is not mapped in the snapshot",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
}

#[test]
fn stdin_map_and_read() {
    let map = tmp("stdin_map_and_read.map");
    let mut child = bin()
        .args([
            "--map",
            map.to_str().unwrap(),
            "--read",
            "0xffffffa8_00000000",
            "0x40",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&sample_dump())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    // Event channel state: read_ptr 1 at +0, write_ptr 3 at +0x20.
    assert!(out.starts_with("  ffffffa800000000  01 00 00 00 "), "{out}");
    assert!(out.contains("  ffffffa800000020  03 00 00 00 "), "{out}");
    assert_eq!(out.lines().count(), 4);
    let map = std::fs::read_to_string(map).unwrap();
    assert_eq!(map.lines().count(), 5);
    assert!(map
        .lines()
        .nth(4)
        .unwrap()
        .contains("ffffffaf00000000-ffffffaf00010000"));

    // A read spanning two adjacent segments works.
    let p = sample_file("stdin_map_and_read");
    let o = run(&["--read", "0xffffffa800007ff0", "32", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn errors_exit_non_zero() {
    let p = sample_file("errors_exit_non_zero");
    let p = p.to_str().unwrap();
    let o = run(&["--read", "0xffffffa400000000", "4", p]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("is not mapped in the snapshot"),
        "{}",
        stderr(&o)
    );
    let o = run(&["--read", "0xffffffaf00000000", "4", p]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("was not captured"));
    let o = run(&["--read", "0xffffffa000000000", "0x8000000", p]);
    assert_eq!(o.status.code(), Some(1));

    let bad = tmp("bad.core");
    let mut b = sample_dump();
    b[18] = 62;
    std::fs::write(&bad, &b).unwrap();
    let o = run(&[bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("malformed dump: not an AArch64 core file (e_machine 62)"),
        "{}",
        stderr(&o)
    );

    let o = run(&["/nonexistent/dump"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("reading /nonexistent/dump"));

    for args in [
        &[][..],
        &["--bogus", p],
        &["--read", "zz", "1", p],
        &["--variant", "g99", p],
        &[p, p],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains("usage:"));
    }
    assert!(run(&["--help"]).status.success());
}

#[test]
fn variant_override_and_no_firmware() {
    let p = sample_file("variant_override_and_no_firmware");
    let p = p.to_str().unwrap();
    let o = run(&["--no-firmware", p]);
    assert!(o.status.success());
    assert!(!stdout(&o).contains("Firmware structures"));
    // The 12.3 layout reads the init data 8 bytes earlier: the decoder must cope.
    let o = run(&["--variant", "g13_v12_3", p]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("Firmware structures (layout g13_v12_3, forced)"));
}
