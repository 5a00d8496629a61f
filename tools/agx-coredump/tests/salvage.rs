// SPDX-License-Identifier: GPL-2.0 OR MIT

//! A damaged dump gives what it can: a truncated or partly corrupt file still yields its notes,
//! identity and every complete segment, with a warning for the rest and exit status 1; `--json`
//! gives the same report; `collect` keeps dumps and releases them, idempotently.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use agx_coredump::format::{Dump, LoadSegment};
use agx_coredump::report::{decode, salvage};
use common::*;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_agx-coredump"))
}

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("agx-coredump-salvage")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

/// The segments of `bytes` with their data (`None`: no data).
fn segments(bytes: &[u8]) -> Vec<(LoadSegment, Option<Vec<u8>>)> {
    let d = Dump::parse(bytes).unwrap();
    d.segments()
        .map(|s| {
            let data = s.has_data.then(|| {
                let mut b = vec![0; s.memsz as usize];
                d.read_va(s.vaddr, &mut b).unwrap();
                b
            });
            (s, data)
        })
        .collect()
}

#[test]
fn truncated_dumps_keep_every_complete_segment() {
    let full = sample_dump();
    let all = segments(&full);
    let with_data = all.iter().filter(|(s, _)| s.has_data).count();
    assert!(with_data >= 3, "the sample has data segments");
    // Cut at every page boundary of the data area and in the middle of pages.
    let data_start = all
        .iter()
        .filter(|(s, _)| s.has_data)
        .map(|(s, _)| s.offset)
        .min()
        .unwrap() as usize;
    let mut cuts: Vec<usize> = (data_start..full.len()).step_by(0x4000).collect();
    cuts.extend(cuts.clone().iter().map(|c| c + 0x1234));
    for cut in cuts {
        let bytes = &full[..cut];
        let s = salvage(bytes).unwrap_or_else(|e| panic!("cut {cut:#x}: {e}"));
        assert!(!s.warnings.is_empty(), "cut {cut:#x}");
        let kept = segments(&s.bytes);
        // Every segment whose data is all in the file is kept whole, with its data; segments
        // without data are kept; only the cut ones go.
        let expect: Vec<_> = all
            .iter()
            .filter(|(s, _)| !s.has_data || s.offset + s.memsz <= cut as u64)
            .collect();
        assert_eq!(kept.len(), expect.len(), "cut {cut:#x}");
        for ((k, kd), (e, ed)) in kept.iter().zip(expect) {
            assert_eq!((k.vaddr, k.memsz, k.flags), (e.vaddr, e.memsz, e.flags));
            assert_eq!(kd, ed, "cut {cut:#x}: data of {:#x}", e.vaddr);
        }
        assert_eq!(s.warnings.len(), all.len() - kept.len(), "{:?}", s.warnings);
        assert!(
            s.warnings
                .iter()
                .all(|w| w.contains("past the end of the file") && w.contains("dropped it")),
            "{:?}",
            s.warnings
        );
        // The report still has the identity and the crash log.
        let r = decode(bytes, &Default::default()).unwrap();
        let t = r.text();
        assert!(!r.is_complete());
        assert!(t.contains("chip:          t8103"), "{t}");
        assert!(t.contains("RTKit crash log ("), "{t}");
        assert!(t.contains("Warnings ("), "{t}");
    }
}

#[test]
fn the_command_warns_and_exits_1_on_a_truncated_dump() {
    let dir = tmp("command");
    let full = sample_dump();
    let p = dir.join("cut.core");
    std::fs::write(&p, &full[..full.len() - 0x2000]).unwrap();
    let o = run(&[p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert!(err.contains("agx-coredump: warning: "), "{err}");
    assert!(err.contains("past the end of the file"), "{err}");
    assert!(out.contains("AGX GPU crash dump"), "{out}");
    assert!(out.contains("generation:    G13"), "{out}");
    // A complete dump: no warning, status 0.
    let q = dir.join("whole.core");
    std::fs::write(&q, &full).unwrap();
    let o = run(&[q.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(!text(&o.stdout).contains("Warnings"));
}

#[test]
fn a_corrupt_segment_is_dropped_and_the_others_kept() {
    let mut b = sample_dump();
    let all = segments(&b);
    // Program header 2 (the second segment) gets a misaligned address.
    let at = ph(2) + 16;
    let va = get64(&b, at);
    put64(&mut b, at, va + 0x10);
    let s = salvage(&b).unwrap();
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    assert!(s.warnings[0].contains("segment 2 is not 16 KiB aligned"));
    let kept = segments(&s.bytes);
    assert_eq!(kept.len(), all.len() - 1);
    let want: Vec<_> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, x)| x)
        .collect();
    for ((k, kd), (e, ed)) in kept.iter().zip(want) {
        assert_eq!((k.vaddr, kd), (e.vaddr, ed));
    }
}

#[test]
fn a_bad_agx_note_leaves_the_crash_log_and_segments() {
    let info = sample_info().to_bytes();
    let notes = [
        agx_coredump::format::Note {
            name: b"AGX",
            n_type: 1,
            desc: &info[..40],
        },
        agx_coredump::format::Note::rtkit(b"still here"),
    ];
    let img = sample_image();
    let (segs, data) = img.segments();
    let b = render(&segs, &notes, &data);
    assert!(Dump::parse(&b).is_err());
    let r = decode(&b, &Default::default()).unwrap();
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(r.warnings[0].contains("AGX note descriptor is 40 bytes"));
    let t = r.text();
    assert!(t.contains("GPU: no AGX note"), "{t}");
    assert!(t.contains("still here"), "{t}");
    assert!(t.contains(&format!("Segments ({})", segs.len())), "{t}");
}

#[test]
fn truncated_notes_keep_the_complete_ones() {
    // Cut inside the second note (the crash log): the AGX note stays.
    let full = sample_dump();
    let off = get64(&full, ph(0) + 8) as usize;
    let size = get64(&full, ph(0) + 32) as usize;
    let b = &full[..off + size - 4];
    let r = decode(b, &Default::default()).unwrap();
    assert!(!r.warnings.is_empty());
    let t = r.text();
    assert!(t.contains("chip:          t8103"), "{t}");
    assert!(t.contains("RTKit crash log: none"), "{t}");
}

#[test]
fn a_broken_elf_header_is_still_an_error() {
    let mut b = sample_dump();
    b[0] = 0;
    assert!(salvage(&b).is_err());
    assert!(salvage(&b[..10]).is_err());
    let dir = tmp("header");
    let p = dir.join("bad.core");
    std::fs::write(&p, &b).unwrap();
    let o = run(&[p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("malformed dump: not an ELF file"));
}

#[test]
fn json_is_the_same_report() {
    let full = sample_dump();
    let r = decode(&full, &Default::default()).unwrap();
    let j = &r.json;
    assert!(j.starts_with('{') && j.ends_with("}\n"), "{j}");
    assert!(j.contains("\"complete\": true"), "{j}");
    assert!(j.contains("\"chip\": \"t8103\""), "{j}");
    assert!(j.contains("\"layout\": \"g13_v13_5\""), "{j}");
    let n = Dump::parse(&full).unwrap().segment_count();
    assert_eq!(j.matches("\"vaddr\": ").count(), n);
    // Every section of the text report is in the JSON, escaped.
    for (name, _) in &r.sections {
        assert!(j.contains(&format!("\"{name}\": \"")), "{name}");
    }
    assert!(j.contains("\\n"));
    // Braces and brackets balance outside strings.
    let (mut depth, mut in_str, mut esc) = (0i32, false, false);
    for c in j.chars() {
        match (in_str, esc, c) {
            (true, true, _) => esc = false,
            (true, false, '\\') => esc = true,
            (true, false, '"') | (false, _, '"') => in_str = !in_str,
            (false, _, '{' | '[') => depth += 1,
            (false, _, '}' | ']') => depth -= 1,
            _ => {}
        }
        assert!(depth >= 0);
    }
    assert_eq!((depth, in_str), (0, false));

    // The command: --json of a truncated dump says it is incomplete, with the warnings.
    let dir = tmp("json");
    let p = dir.join("cut.core");
    std::fs::write(&p, &full[..full.len() - 0x4000]).unwrap();
    let o = run(&["--json", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    assert!(out.contains("\"complete\": false"), "{out}");
    assert!(out.contains("past the end of the file"), "{out}");
    assert!(!out.contains("AGX GPU crash dump: ") || out.contains("\"summary\": \"AGX GPU"));
}

/// A fake `/sys/.../devcoredump/devcdN` whose failing device is bound to `driver`.
fn fake_devcd(root: &Path, driver: &str, data: &[u8]) -> PathBuf {
    let drv = root.join("bus/platform/drivers").join(driver);
    let dev = root.join("devices/platform/agx-virtual");
    let devcd = root.join("devices/virtual/devcoredump/devcd1");
    for d in [&drv, &dev, &devcd] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::os::unix::fs::symlink(&drv, dev.join("driver")).unwrap();
    std::os::unix::fs::symlink(&dev, devcd.join("failing_device")).unwrap();
    std::fs::write(devcd.join("data"), data).unwrap();
    devcd
}

fn kept(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p: &PathBuf| p.extension().is_some_and(|e| e == ext));
    v
}

#[test]
fn collect_keeps_reports_and_releases() {
    let root = tmp("collect");
    let dump = sample_dump();
    let devcd = fake_devcd(&root, "asahi", &dump);
    let out = root.join("kept");
    let o = run(&["collect", out.to_str().unwrap(), devcd.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("kept as"), "{}", text(&o.stdout));
    let elf = kept(&out, "elf");
    assert_eq!(elf.len(), 1);
    assert_eq!(std::fs::read(&elf[0]).unwrap(), dump);
    let name = elf[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("asahi-") && name.contains('T') && name.contains("Z-"),
        "{name}"
    );
    let txt = std::fs::read_to_string(elf[0].with_extension("txt")).unwrap();
    assert_eq!(txt, decode(&dump, &Default::default()).unwrap().text());
    let json = std::fs::read_to_string(elf[0].with_extension("json")).unwrap();
    assert!(json.contains("\"complete\": true"));
    assert!(kept(&out, "partial").is_empty());
    // Released: the kernel's devcoredump takes any write to `data`.
    assert_eq!(std::fs::read(devcd.join("data")).unwrap(), b"1");

    // The same dump again (the rule ran twice before the release took effect): one copy.
    std::fs::write(devcd.join("data"), &dump).unwrap();
    let o = run(&["collect", out.to_str().unwrap(), devcd.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(
        text(&o.stdout).contains("already kept"),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(kept(&out, "elf").len(), 1);
    assert_eq!(std::fs::read(devcd.join("data")).unwrap(), b"1");

    // Vanished (released or timed out meanwhile): nothing to do, success.
    std::fs::remove_dir_all(&devcd).unwrap();
    let o = run(&["collect", out.to_str().unwrap(), devcd.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(text(&o.stdout).contains("gone"), "{}", text(&o.stdout));
    assert_eq!(kept(&out, "elf").len(), 1);
}

#[test]
fn collect_keeps_a_damaged_dump_with_its_warnings() {
    let root = tmp("collect-damaged");
    let full = sample_dump();
    let cut = &full[..full.len() - 0x4000];
    let devcd = fake_devcd(&root, "asahi", cut);
    let out = root.join("kept");
    let o = run(&["collect", out.to_str().unwrap(), devcd.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let elf = kept(&out, "elf");
    assert_eq!(std::fs::read(&elf[0]).unwrap(), cut);
    let txt = std::fs::read_to_string(elf[0].with_extension("txt")).unwrap();
    assert!(txt.contains("Warnings (") && txt.contains("chip:"), "{txt}");
}

#[test]
fn collect_leaves_other_drivers_dumps_alone() {
    let root = tmp("collect-other");
    let devcd = fake_devcd(&root, "i915", b"not ours");
    let out = root.join("kept");
    let o = run(&["collect", out.to_str().unwrap(), devcd.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(
        text(&o.stdout).contains("left alone"),
        "{}",
        text(&o.stdout)
    );
    assert!(kept(&out, "elf").is_empty());
    assert_eq!(std::fs::read(devcd.join("data")).unwrap(), b"not ours");
    // Usage errors.
    assert_eq!(run(&["collect"]).status.code(), Some(2));
    assert_eq!(run(&["collect", "a", "b", "c"]).status.code(), Some(2));
}
