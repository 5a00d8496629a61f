// SPDX-License-Identifier: GPL-2.0 OR MIT

//! `agx-coredump collect DIR [DEVCD]`: keeps asahi crash dumps before the kernel forgets them.
//!
//! The kernel holds a devcoredump in `/sys/class/devcoredump/devcdN/data` for five minutes, then
//! drops it. The udev rule in `tools/udev/` runs this on each devcoredump `add` event with the
//! new device's sysfs path (`$sys$devpath`); without `DEVCD` every pending devcoredump is
//! considered. For each one whose failing device is bound to the `asahi` driver (its
//! `failing_device/driver` link), it:
//!
//! 1. reads the dump;
//! 2. writes it to `DIR/asahi-<UTC time>-<hash>.elf` (through a temporary name, so a partial
//!    file never appears), unless a dump with the same contents is already kept there;
//! 3. writes the decoded report beside it (`.txt`, and `.json` for scripts); a damaged dump's
//!    report says what could not be decoded;
//! 4. releases the devcoredump (a write to its `data` file), so the kernel frees it.
//!
//! Running it again, or on a dump that vanished meanwhile (released by someone else, or timed
//! out), does nothing and succeeds; dumps of other drivers are left alone.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use agx_coredump::report::{self, Options};

/// The driver whose dumps are kept.
const DRIVER: &str = "asahi";

/// Where devcoredumps appear.
const CLASS_DIR: &str = "/sys/class/devcoredump";

/// What happened to one devcoredump.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Kept as this file (with its reports beside it), and released.
    Kept(PathBuf),
    /// Already kept as this file; released.
    AlreadyKept(PathBuf),
    /// The devcoredump vanished before it could be read.
    Vanished,
    /// Its failing device is not an asahi one: left alone.
    NotOurs,
}

/// Whether the failing device of devcoredump `devcd` is bound to the asahi driver.
fn is_ours(devcd: &Path) -> bool {
    std::fs::read_link(devcd.join("failing_device/driver"))
        .ok()
        .and_then(|p| p.file_name().map(|n| n == DRIVER))
        .unwrap_or(false)
}

/// FNV-1a, 64-bit: names a dump by its contents, so collecting it twice keeps one copy.
fn content_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `YYYYmmddTHHMMSSZ` for `secs` since the epoch (proleptic Gregorian, UTC).
pub fn utc_stamp(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Writes `bytes` to `path` through a temporary file in the same directory.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, bytes).map_err(|e| format!("writing {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("renaming to {}: {e}", path.display()))
}

/// A dump already kept in `dir` with this hash, if any.
fn already_kept(dir: &Path, hash: &str, bytes: &[u8]) -> Option<PathBuf> {
    let suffix = format!("-{hash}.elf");
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(&suffix))
                && std::fs::read(p).is_ok_and(|b| b == bytes)
        })
}

/// Reads a devcoredump's data; `None` if it vanished.
fn read_dump(devcd: &Path) -> Result<Option<Vec<u8>>, String> {
    let path = devcd.join("data");
    let mut f = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("opening {}: {e}", path.display())),
    };
    let mut bytes = Vec::new();
    match f.read_to_end(&mut bytes) {
        Ok(_) => {}
        // Released while we read it: the rest is gone.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("reading {}: {e}", path.display())),
    }
    // A released dump reads as empty until its device goes.
    Ok((!bytes.is_empty()).then_some(bytes))
}

/// Releases a devcoredump; one that already went is fine.
fn release(devcd: &Path) -> Result<(), String> {
    match std::fs::write(devcd.join("data"), "1") {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("releasing {}: {e}", devcd.display())),
    }
}

/// Collects one devcoredump into `dir` (see the module docs).
pub fn collect_one(dir: &Path, devcd: &Path) -> Result<Outcome, String> {
    if !devcd.join("data").exists() {
        return Ok(Outcome::Vanished);
    }
    if !is_ours(devcd) {
        return Ok(Outcome::NotOurs);
    }
    let Some(bytes) = read_dump(devcd)? else {
        return Ok(Outcome::Vanished);
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let hash = format!("{:016x}", content_hash(&bytes));
    if let Some(kept) = already_kept(dir, &hash, &bytes) {
        release(devcd)?;
        return Ok(Outcome::AlreadyKept(kept));
    }
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let base = dir.join(format!("asahi-{}-{hash}", utc_stamp(secs)));
    let elf = base.with_extension("elf");
    // The reports first: the .elf appearing means the collection is complete.
    let (text, json) = match report::decode(&bytes, &Options::default()) {
        Ok(r) => (r.text(), r.json),
        Err(e) => {
            let msg = format!("agx-coredump: {e}\n");
            let json = report::Json::Obj(vec![
                ("file_size", (bytes.len() as u64).into()),
                ("complete", false.into()),
                ("error", e.to_string().into()),
            ]);
            (msg, json.to_pretty())
        }
    };
    write_atomic(&base.with_extension("txt"), text.as_bytes())?;
    write_atomic(&base.with_extension("json"), json.as_bytes())?;
    write_atomic(&elf, &bytes)?;
    release(devcd)?;
    Ok(Outcome::Kept(elf))
}

/// `collect DIR [DEVCD]`: prints one line per devcoredump handled.
pub fn run(dir: &Path, devcd: Option<&Path>) -> Result<String, String> {
    let targets: Vec<PathBuf> = match devcd {
        Some(p) => vec![p.to_path_buf()],
        None => std::fs::read_dir(CLASS_DIR)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default(),
    };
    let mut out = String::new();
    for t in &targets {
        let line = match collect_one(dir, t)? {
            Outcome::Kept(p) => format!("{}: kept as {}", t.display(), p.display()),
            Outcome::AlreadyKept(p) => {
                format!("{}: already kept as {}", t.display(), p.display())
            }
            Outcome::Vanished => format!("{}: gone, nothing to collect", t.display()),
            Outcome::NotOurs => format!("{}: not an {DRIVER} dump, left alone", t.display()),
        };
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps() {
        assert_eq!(utc_stamp(0), "19700101T000000Z");
        assert_eq!(utc_stamp(951_782_400), "20000229T000000Z");
        assert_eq!(utc_stamp(1_796_614_861), "20261207T034101Z");
    }

    #[test]
    fn hash_is_fnv1a() {
        assert_eq!(content_hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(content_hash(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
