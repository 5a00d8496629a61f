//! Helpers shared by the integration tests: compiling and running C against the uAPI header.

#![allow(dead_code, reason = "each test crate uses a subset")]

use std::collections::BTreeMap;
use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Directory of `asahi_drm.h`, as the build script used it.
pub fn header_dir() -> PathBuf {
    Path::new(env!("ASAHI_UAPI_HEADER"))
        .parent()
        .expect("header path has a parent")
        .to_owned()
}

/// Directory of the `drm.h` the build script found.
pub fn drm_include_dir() -> PathBuf {
    PathBuf::from(env!("ASAHI_UAPI_DRM_INCLUDE_DIR"))
}

/// Runs `cmd`, panicking with its output if it fails, and returns its standard output.
fn run(mut cmd: Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("output is UTF-8")
}

/// Compiles `body` (the statements of `main`) as C11 against `asahi_drm.h` with the system C
/// compiler (`$CC`, else `cc`), with warnings as errors, runs it and returns its standard output.
///
/// `__user` is defined away, as in the build script, so that an unexported kernel `drm.h` works.
///
/// `name` must be unique per test, as tests run in parallel.
pub fn run_c(name: &str, body: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("asahi-uapi-c");
    fs::create_dir_all(&dir).expect("create the C scratch directory");
    let src = dir.join(format!("{name}.c"));
    let exe = dir.join(name);
    let program = format!(
        "#define _POSIX_C_SOURCE 200809L\n#include <fcntl.h>\n#include <stddef.h>\n#include <stdio.h>\n#include \"asahi_drm.h\"\n\n\
         int main(void)\n{{\n{body}\treturn 0;\n}}\n"
    );
    fs::write(&src, program).expect("write the C source");

    let mut cc = Command::new(env::var("CC").unwrap_or_else(|_| "cc".to_owned()));
    cc.args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-D__user=", "-I"])
        .arg(header_dir())
        .arg("-I")
        .arg(drm_include_dir())
        .arg("-o")
        .arg(&exe)
        .arg(&src);
    run(cc);
    run(Command::new(&exe))
}

/// Compiles `source` as C++11 with `$CXX` (else `c++`), syntax only, warnings as errors.
pub fn check_cxx(name: &str, source: &str) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("asahi-uapi-c");
    fs::create_dir_all(&dir).expect("create the C scratch directory");
    let src = dir.join(format!("{name}.cpp"));
    fs::write(&src, source).expect("write the C++ source");
    let mut cxx = Command::new(env::var("CXX").unwrap_or_else(|_| "c++".to_owned()));
    cxx.args([
        "-std=c++11",
        "-fsyntax-only",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-D__user=",
        "-I",
    ])
    .arg(header_dir())
    .arg("-I")
    .arg(drm_include_dir())
    .arg(&src);
    run(cxx);
}

/// Parses lines of `key value...` into a map from key to the numbers that follow it.
pub fn parse_numbers(output: &str) -> BTreeMap<String, Vec<u64>> {
    output
        .lines()
        .map(|line| {
            let mut words = line.split_whitespace();
            let key = words.next().expect("non-empty line").to_owned();
            let numbers = words
                .map(|w| {
                    w.parse()
                        .unwrap_or_else(|_| panic!("bad number in {line:?}"))
                })
                .collect();
            (key, numbers)
        })
        .collect()
}
