// SPDX-License-Identifier: GPL-2.0 OR MIT

//! `agx-coredump`: validates and decodes asahi GPU crash dumps.
//!
//! Exit status: 0 on success, 1 if the dump is malformed (a damaged dump still gets the report
//! of what could be decoded, with warnings) or a request cannot be served, 2 on a usage error.

#![forbid(unsafe_code)]

use std::io::Read as _;
use std::process::ExitCode;

use agx_coredump::format::Dump;
use agx_coredump::report::{self, Options};

mod collect;

const USAGE: &str = "\
usage: agx-coredump [OPTIONS] DUMP
       agx-coredump collect DIR [DEVCD]

Decodes an asahi GPU crash dump (an ELF core file from /sys/class/devcoredump/devcdN/data).
DUMP is a file name, or - for standard input. A truncated or partly corrupt dump still gets
what can be decoded (notes, identity, every complete segment), with a warning for the rest and
exit status 1.

collect keeps asahi dumps: it copies each pending devcoredump whose failing device is asahi
(DEVCD, a /sys/.../devcoredump/devcdN directory, or all of them) to DIR/asahi-<time>-<hash>.elf,
writes the decoded report beside it (.txt, .json) and releases the devcoredump. The udev rule
tools/udev/99-asahi-coredump.rules runs it on every new devcoredump.

options:
  --json              print the report as JSON (the same content, for scripts)
  --map FILE          write a memory map (one line per segment) to FILE
  --read ADDR LEN     hex dump LEN bytes of GPU memory at ADDR (hex with 0x, or decimal)
                      instead of the full report
  --no-firmware       do not walk the firmware structures
  --variant NAME      firmware layout to use: g13_v12_3, g13_v13_5, g14_v12_3, g14_v12_4,
                      g14_v13_5 (default: guessed from the AGX note)
  -h, --help          show this help
";

struct Args {
    input: String,
    map: Option<String>,
    read: Option<(u64, u64)>,
    json: bool,
    opts: Options,
}

fn parse_num(s: &str) -> Option<u64> {
    let s = s.replace('_', "");
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut input = None;
    let mut map = None;
    let mut read = None;
    let mut json = false;
    let mut opts = Options::default();
    while let Some(arg) = it.next() {
        let mut value = |what: &str| it.next().ok_or(format!("{arg} needs {what}"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--map" => map = Some(value("a file name")?),
            "--read" => {
                let a = value("an address and a length")?;
                let l = value("an address and a length")?;
                let addr = parse_num(&a).ok_or(format!("bad address {a:?}"))?;
                let len = parse_num(&l).ok_or(format!("bad length {l:?}"))?;
                read = Some((addr, len));
            }
            "--no-firmware" => opts.firmware = false,
            "--json" => json = true,
            "--variant" => {
                let name = value("a layout name")?;
                opts.variant =
                    Some(report::parse_variant(&name).ok_or(format!("unknown layout {name:?}"))?);
            }
            "-" => input = Some(arg),
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            _ if input.is_some() => return Err("more than one dump given".into()),
            _ => input = Some(arg),
        }
    }
    let input = input.ok_or("no dump given")?;
    Ok(Some(Args {
        input,
        map,
        read,
        json,
        opts,
    }))
}

fn load(input: &str) -> Result<Vec<u8>, String> {
    if input == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| format!("reading standard input: {e}"))?;
        Ok(buf)
    } else {
        std::fs::read(input).map_err(|e| format!("reading {input}: {e}"))
    }
}

/// What a run prints: the output, and the warnings about a damaged dump (exit status 1).
struct Output {
    text: String,
    warnings: Vec<String>,
}

fn run(args: &Args) -> Result<Output, String> {
    let bytes = load(&args.input)?;
    let fail = |e: report::Error| format!("{}: {e}", args.input);
    // A damaged dump is salvaged: what is left is decoded, and the rest is warned about.
    let salvaged = report::salvage(&bytes).map_err(fail)?;
    let dump = Dump::parse(&salvaged.bytes).map_err(|e| fail(e.into()))?;
    if let Some(path) = &args.map {
        std::fs::write(path, report::memory_map(&dump))
            .map_err(|e| format!("writing {path}: {e}"))?;
    }
    let text = match args.read {
        Some((addr, len)) => report::read_memory(&dump, addr, len).map_err(fail)?,
        None => {
            let r = report::decode(&bytes, &args.opts).map_err(fail)?;
            if args.json {
                r.json
            } else {
                r.text()
            }
        }
    };
    Ok(Output {
        text,
        warnings: salvaged.warnings,
    })
}

fn collect_main(mut it: impl Iterator<Item = String>) -> ExitCode {
    let (Some(dir), devcd, None) = (it.next(), it.next(), it.next()) else {
        eprintln!("agx-coredump: collect needs DIR and at most one DEVCD\n\n{USAGE}");
        return ExitCode::from(2);
    };
    match collect::run(dir.as_ref(), devcd.as_ref().map(std::path::Path::new)) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("agx-coredump: collect: {e}");
            ExitCode::from(1)
        }
    }
}

fn main() -> ExitCode {
    let mut argv = std::env::args().skip(1).peekable();
    if argv.peek().map(String::as_str) == Some("collect") {
        return collect_main(argv.skip(1));
    }
    let args = match parse_args(argv) {
        Ok(Some(a)) => a,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("agx-coredump: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(out) => {
            print!("{}", out.text);
            for w in &out.warnings {
                eprintln!("agx-coredump: warning: {}: {w}", args.input);
            }
            if out.warnings.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("agx-coredump: {e}");
            ExitCode::from(1)
        }
    }
}
