//! `asahi-bench report --target <t> --out <dir> <console log>`: extracts a bench run from a
//! guest's console, prints the Markdown tables, writes `<dir>/<t>.json`, `<dir>/<t>.md` and one
//! `<dir>/<t>-<figure>.svg` per figure. Exits non-zero if the run had problems (a program failed,
//! a result was unreadable, the kernel splatted) or reported nothing.

use asahi_bench::{charts, console, report};
use std::path::PathBuf;
use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!("usage: asahi-bench report --target <name> --out <dir> <console log>");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some("report") {
        return usage();
    }
    let (mut target, mut out, mut log) = (None, None, None);
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--target" => target = it.next().cloned(),
            "--out" => out = it.next().map(PathBuf::from),
            _ if log.is_none() && !a.starts_with("--") => log = Some(PathBuf::from(a)),
            _ => return usage(),
        }
    }
    let (Some(target), Some(out), Some(log)) = (target, out, log) else {
        return usage();
    };
    let text = match std::fs::read(&log) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => {
            eprintln!("{}: {e}", log.display());
            return ExitCode::from(2);
        }
    };
    let run = console::parse(&text);
    let tables = report::tables(&target, &run);
    print!("{tables}");
    let write = |name: String, body: &str| {
        let path = out.join(name);
        if let Err(e) = std::fs::create_dir_all(&out).and_then(|_| std::fs::write(&path, body)) {
            eprintln!("{}: {e}", path.display());
            false
        } else {
            true
        }
    };
    let mut ok = write(
        format!("{target}.json"),
        &(report::to_json(&target, &run).to_string() + "\n"),
    );
    ok &= write(format!("{target}.md"), &tables);
    for (name, svg) in charts(&target, &run) {
        ok &= write(format!("{target}-{name}.svg"), &svg);
    }
    println!("wrote {}/{target}.{{json,md}} and charts", out.display());
    if ok && run.problems.is_empty() && !run.records.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
