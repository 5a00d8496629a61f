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
//!   (message rings, events, `FwStatus`), `queues` (work queues and their commands) and `logs`
//!   (firmware log, KTrace) print what it finds.

use core::fmt::Write as _;

use agx_firmware_defs::ver::Variant;

use crate::format::Dump;

mod channels;
mod crashlog;
mod errors;
mod firmware;
mod identity;
mod logs;
mod memory;
mod queues;

pub use channels::describe_event;
pub use crashlog::printable_runs;
pub use errors::{Error, ParseErrorDisplay, VaErrorDisplay};
pub use identity::{
    firmware_version_string, guess_variant, parse_variant, variant_name, VARIANT_NAMES,
};
pub use logs::{fwlog_lines, ktrace, FwLogLine};
pub use memory::{describe_flags, hexdump, memory_map, read_memory, segment_line, MAX_READ};
pub use queues::describe_command;

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
/// in the text instead.
pub fn render(bytes: &[u8], opts: &Options) -> Result<String, Error> {
    let dump = Dump::parse(bytes)?;
    let info = dump.agx_info()?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "AGX GPU crash dump: {} bytes, {} segments, {} notes",
        bytes.len(),
        dump.segment_count(),
        dump.notes().count()
    );
    out.push('\n');
    match &info {
        Some(info) => identity(&mut out, info),
        None => out.push_str("GPU: no AGX note in this dump\n"),
    }
    out.push('\n');
    crashlog(&mut out, dump.crashlog());
    out.push('\n');
    segment_table(&mut out, &dump);
    if opts.firmware {
        out.push('\n');
        match &info {
            Some(info) => firmware(&mut out, &dump, info, opts.variant),
            None => out.push_str("Firmware structures: no AGX note, no init-data address\n"),
        }
    }
    Ok(out)
}
