// SPDX-License-Identifier: GPL-2.0 OR MIT

//! binutils' `readelf` accepts generated dumps. `readelf` is a required tool of the host tests
//! (`tools/setup.sh` installs binutils): without it the test fails, it does not pass unchecked.

mod common;

use std::process::Command;

#[test]
fn readelf_parses_a_dump() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("agx-coredump-readelf");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sample.core");
    std::fs::write(&path, common::sample_dump()).unwrap();
    let out = match Command::new("readelf")
        .arg("-a")
        .arg("-W")
        .arg(&path)
        .output()
    {
        Ok(o) => o,
        Err(e) => panic!(
            "readelf could not be run ({e}): install binutils (tools/setup.sh); \
             this test needs it and does not pass without it"
        ),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "readelf failed: {stderr}");
    assert!(
        !stderr.contains("Error") && !stderr.contains("Warning"),
        "readelf complained: {stderr}"
    );
    for want in [
        "CORE (Core file)",
        "AArch64",
        "Entry point address:               0xffffff8000000000",
        "Number of program headers:         5",
        "NOTE           0x000158",
        "LOAD           0x004000 0xffffffa000000000 0x0000000800000000 0x00c000 0x00c000 RW  0x4000",
        "LOAD           0x004000 0xffffffaf00000000 0x0000000204000000 0x000000 0x010000 RW  0x4000",
        "AGX                  0x00000038",
        "RTKIT                0x00000037",
    ] {
        assert!(stdout.contains(want), "missing {want:?} in:\n{stdout}");
    }
}
