// SPDX-License-Identifier: GPL-2.0 OR MIT

//! `agx-coredump`: validates and decodes asahi GPU crash dumps.
//!
//! Exit status: 0 on success, 1 if the dump is malformed or a request cannot be served,
//! 2 on a usage error.

#![forbid(unsafe_code)]

use std::io::Read as _;
use std::process::ExitCode;

use agx_coredump::format::Dump;
use agx_coredump::report::{self, Options};

const USAGE: &str = "\
usage: agx-coredump [OPTIONS] DUMP

Decodes an asahi GPU crash dump (an ELF core file from /sys/class/devcoredump/devcdN/data).
DUMP is a file name, or - for standard input.

options:
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

fn run(args: &Args) -> Result<String, String> {
    let bytes = load(&args.input)?;
    let fail = |e: report::Error| format!("{}: {e}", args.input);
    let dump = Dump::parse(&bytes).map_err(|e| fail(e.into()))?;
    if let Some(path) = &args.map {
        std::fs::write(path, report::memory_map(&dump))
            .map_err(|e| format!("writing {path}: {e}"))?;
    }
    match args.read {
        Some((addr, len)) => report::read_memory(&dump, addr, len).map_err(fail),
        None => report::render(&bytes, &args.opts).map_err(fail),
    }
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
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
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("agx-coredump: {e}");
            ExitCode::from(1)
        }
    }
}
