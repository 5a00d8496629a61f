// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Host-side decoding of dumps: the text the `agx-coredump` command prints.
//!
//! Everything here works on a validated [`Dump`] and never panics on its contents: firmware
//! structures are read from the snapshot with bounds-checked lookups and decoded with
//! `zerocopy`, and a pointer that leads outside the snapshot is reported, not followed.
//!
//! The report is split by section:
//!
//! - `errors`: [`Error`] and the human-readable forms of the format module's errors.
//! - `identity`: the GPU identity from the `AGX` note and the firmware layout it selects.
//! - `crashlog`: the RTKit crash log.
//! - `memory`: the segment table, the `--map` and `--read` outputs, and the bounds-checked
//!   structure read the walks use.
//! - `firmware`: the per-layout views and the walk from the init-data address; `channels`
//!   (message rings, events, `FwStatus`), `queues` (work queues and their commands), `logs`
//!   (firmware log, KTrace) and `hwdata` (`HwDataA`, `HwDataB`, `Globals`, named fields from
//!   their real layouts) print what it finds.
//! - `salvage`: repairs a truncated or partly corrupt dump into the largest one the reader
//!   accepts, with a warning per part left out ([`decode`]).
//! - `json`: the `--json` form of the same report.

use core::fmt::Write as _;

use agx_firmware_defs::ver::Variant;

use crate::format::Dump;

mod channels;
mod crashlog;
mod errors;
mod firmware;
mod hwdata;
mod identity;
mod json;
mod logs;
mod memory;
mod queues;
mod salvage;

pub use channels::describe_event;
pub use crashlog::printable_runs;
pub use errors::{Error, ParseErrorDisplay, VaErrorDisplay};
pub use identity::{
    firmware_version_string, guess_variant, parse_variant, variant_name, VARIANT_NAMES,
};
pub use json::Json;
pub use logs::{fwlog_lines, ktrace, FwLogLine};
pub use memory::{describe_flags, hexdump, memory_map, read_memory, segment_line, MAX_READ};
pub use salvage::{salvage, Salvaged};

use crashlog::crashlog;
use firmware::firmware;
use identity::identity;
use memory::segment_table;

/// What to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Walk the firmware structures from the init-data address.
    pub firmware: bool,
    /// Firmware layout to use instead of the one guessed from the `AGX` note.
    pub variant: Option<Variant>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            firmware: true,
            variant: None,
        }
    }
}

/// Decodes and describes a whole dump.
///
/// # Errors
///
/// [`Error::Parse`] if the dump is malformed. Problems in the firmware structures are reported
/// in the text instead. [`decode`] salvages what it can of a malformed dump instead.
pub fn render(bytes: &[u8], opts: &Options) -> Result<String, Error> {
    let dump = Dump::parse(bytes)?;
    Ok(text(&sections(&dump, bytes.len(), opts)?, &[]))
}

/// A decoded dump: the report's sections, and the warnings about what could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// `(name, text)` of each section, in order.
    pub sections: Vec<(&'static str, String)>,
    /// What was left out of a damaged dump (empty for a complete one).
    pub warnings: Vec<String>,
    /// The report as JSON.
    pub json: String,
}

impl Report {
    /// The text report, as `agx-coredump` prints it.
    pub fn text(&self) -> String {
        text(&self.sections, &self.warnings)
    }

    /// Whether the dump was decoded whole.
    pub fn is_complete(&self) -> bool {
        self.warnings.is_empty()
    }
}

/// Decodes what can be decoded of a dump: a truncated or partly corrupt one still gives its
/// notes, identity and every complete segment (see [`salvage`]), with one warning per part left
/// out.
///
/// # Errors
///
/// [`Error::Parse`] if nothing can be salvaged (the ELF header itself is damaged).
pub fn decode(bytes: &[u8], opts: &Options) -> Result<Report, Error> {
    let salvaged = salvage(bytes)?;
    let dump = Dump::parse(&salvaged.bytes)?;
    let sections = sections(&dump, bytes.len(), opts)?;
    let json = json::report(&dump, bytes.len(), &sections, &salvaged.warnings)?.to_pretty();
    Ok(Report {
        sections,
        warnings: salvaged.warnings,
        json,
    })
}

fn text(sections: &[(&'static str, String)], warnings: &[String]) -> String {
    let mut out = String::new();
    for (i, (name, s)) in sections.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(s);
        if *name == "summary" && !warnings.is_empty() {
            out.push('\n');
            let _ = writeln!(
                out,
                "Warnings ({}): the dump is damaged; what follows is what could be decoded",
                warnings.len()
            );
            for w in warnings {
                let _ = writeln!(out, "  warning: {w}");
            }
        }
    }
    out
}

/// The report's sections: `summary`, `gpu`, `crash_log`, `segments` and (with
/// `opts.firmware`) `firmware`.
fn sections(
    dump: &Dump<'_>,
    file_size: usize,
    opts: &Options,
) -> Result<Vec<(&'static str, String)>, Error> {
    let info = dump.agx_info()?;
    let mut v = Vec::new();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "AGX GPU crash dump: {} bytes, {} segments, {} notes",
        file_size,
        dump.segment_count(),
        dump.notes().count()
    );
    v.push(("summary", out));
    let mut out = String::new();
    match &info {
        Some(info) => identity(&mut out, info),
        None => out.push_str("GPU: no AGX note in this dump\n"),
    }
    v.push(("gpu", out));
    let mut out = String::new();
    crashlog(&mut out, dump.crashlog());
    v.push(("crash_log", out));
    let mut out = String::new();
    segment_table(&mut out, dump);
    v.push(("segments", out));
    if opts.firmware {
        let mut out = String::new();
        match &info {
            Some(info) => firmware(&mut out, dump, info, opts.variant),
            None => out.push_str("Firmware structures: no AGX note, no init-data address\n"),
        }
        v.push(("firmware", out));
    }
    Ok(v)
}
