// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The committed corpus of broken dumps (`tests/corpus/*.bin`): each file gives an error, from
//! the parser and from the command, and nothing panics.
//!
//! The files are made by `common::malformed_cases`; to regenerate them after a format change:
//! `AGX_COREDUMP_REGEN_CORPUS=1 cargo test -p agx-coredump --test corpus`.

mod common;

use std::path::PathBuf;
use std::process::Command;

use agx_coredump::format::Dump;
use agx_coredump::report::ParseErrorDisplay;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn corpus_files() -> Vec<PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .collect();
    v.sort();
    v
}

#[test]
fn corpus_matches_generator() {
    let cases = common::malformed_cases();
    if std::env::var_os("AGX_COREDUMP_REGEN_CORPUS").is_some() {
        for f in corpus_files() {
            std::fs::remove_file(f).unwrap();
        }
        for (name, bytes, _) in &cases {
            std::fs::write(corpus_dir().join(name), bytes).unwrap();
        }
    }
    let hint =
        "regenerate with AGX_COREDUMP_REGEN_CORPUS=1 cargo test -p agx-coredump --test corpus";
    let files = corpus_files();
    assert_eq!(files.len(), cases.len(), "{hint}");
    for (name, bytes, want) in &cases {
        let got = std::fs::read(corpus_dir().join(name)).unwrap_or_default();
        assert!(&got == bytes, "{name} differs from the generator; {hint}");
        assert_eq!(Dump::parse(&got).err(), Some(*want), "{name}");
    }
}

#[test]
fn every_corpus_file_is_rejected_by_the_command() {
    let files = corpus_files();
    assert!(!files.is_empty());
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        assert!(Dump::parse(&bytes).is_err(), "{}", f.display());
        assert!(agx_coredump::report::render(&bytes, &Default::default()).is_err());
        let o = Command::new(env!("CARGO_BIN_EXE_agx-coredump"))
            .arg(&f)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{}: {err}", f.display());
        // Either nothing could be salvaged, or what could be is reported with a warning naming
        // the damage.
        let want = ParseErrorDisplay(&Dump::parse(&bytes).unwrap_err()).to_string();
        let salvaged = agx_coredump::report::salvage(&bytes).is_ok();
        let said = if salvaged {
            format!("warning: {}: {want}", f.display())
        } else {
            format!("malformed dump: {want}")
        };
        assert!(err.contains(&said), "{}: {err}", f.display());
        assert!(!err.contains("panicked"), "{}: {err}", f.display());
        if salvaged {
            assert!(
                String::from_utf8_lossy(&o.stdout).contains("AGX GPU crash dump"),
                "{}",
                f.display()
            );
        }
    }
}
