// SPDX-License-Identifier: GPL-2.0 OR MIT

//! A minimal JSON value and writer for `--json` (objects keep their key order; strings are
//! escaped per RFC 8259), so the decoder needs no serialisation crate.

use core::fmt::Write as _;

use super::errors::Error;
use super::identity::{firmware_version_string, guess_variant, variant_name};
use super::memory::describe_flags;
use crate::format::Dump;

/// A JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An unsigned integer.
    U64(u64),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object, in key order.
    Obj(Vec<(&'static str, Json)>),
}

impl From<&str> for Json {
    fn from(s: &str) -> Self {
        Json::Str(s.to_string())
    }
}

impl From<String> for Json {
    fn from(s: String) -> Self {
        Json::Str(s)
    }
}

impl From<u64> for Json {
    fn from(v: u64) -> Self {
        Json::U64(v)
    }
}

impl From<u32> for Json {
    fn from(v: u32) -> Self {
        Json::U64(v.into())
    }
}

impl From<bool> for Json {
    fn from(v: bool) -> Self {
        Json::Bool(v)
    }
}

fn escape(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Json {
    /// The value as JSON text, indented by two spaces per level.
    pub fn to_pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out.push('\n');
        out
    }

    fn write(&self, out: &mut String, depth: usize) {
        let pad = |out: &mut String, d: usize| {
            out.push('\n');
            out.extend(core::iter::repeat_n(' ', d.saturating_mul(2)));
        };
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::U64(v) => {
                let _ = write!(out, "{v}");
            }
            Json::Str(s) => escape(out, s),
            Json::Arr(a) if a.is_empty() => out.push_str("[]"),
            Json::Arr(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    pad(out, depth.saturating_add(1));
                    v.write(out, depth.saturating_add(1));
                }
                pad(out, depth);
                out.push(']');
            }
            Json::Obj(o) if o.is_empty() => out.push_str("{}"),
            Json::Obj(o) => {
                out.push('{');
                for (i, (k, v)) in o.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    pad(out, depth.saturating_add(1));
                    escape(out, k);
                    out.push_str(": ");
                    v.write(out, depth.saturating_add(1));
                }
                pad(out, depth);
                out.push('}');
            }
        }
    }
}

/// The `--json` report: the dump's structure (notes, identity, segments), the warnings, and the
/// text of each report section (`sections`, keyed by name) for what has no structured form.
pub(super) fn report(
    dump: &Dump<'_>,
    file_size: usize,
    sections: &[(&'static str, String)],
    warnings: &[String],
) -> Result<Json, Error> {
    let notes = dump
        .notes()
        .map(|n| {
            Json::Obj(vec![
                ("name", String::from_utf8_lossy(n.name).into_owned().into()),
                ("type", n.n_type.into()),
                ("size", (n.desc.len() as u64).into()),
            ])
        })
        .collect();
    let gpu = match dump.agx_info()? {
        None => Json::Null,
        Some(i) => Json::Obj(vec![
            ("chip_id", i.chip_id.into()),
            ("chip", format!("t{:x}", i.chip_id).into()),
            ("generation", i.gpu_gen.into()),
            ("variant", i.gpu_variant.into()),
            ("revision", i.gpu_rev.into()),
            ("active_cores", i.total_active_cores.into()),
            (
                "firmware_version",
                firmware_version_string(&i.firmware_version).into(),
            ),
            ("initdata_address", i.initdata_address.into()),
            (
                "layout",
                guess_variant(&i).map_or(Json::Null, |v| variant_name(v).into()),
            ),
        ]),
    };
    let segments = dump
        .segments()
        .enumerate()
        .map(|(i, s)| {
            Json::Obj(vec![
                ("index", (i as u64).into()),
                ("vaddr", s.vaddr.into()),
                ("size", s.memsz.into()),
                ("paddr", s.paddr.into()),
                ("pages", s.pages().into()),
                ("captured", s.has_data.into()),
                ("user_memory", s.is_user().into()),
                ("p_flags", s.flags.into()),
                ("protection", describe_flags(s.flags).trim_end().into()),
            ])
        })
        .collect();
    let texts = sections
        .iter()
        .map(|(name, text)| (*name, Json::from(text.as_str())))
        .collect();
    Ok(Json::Obj(vec![
        ("file_size", (file_size as u64).into()),
        ("complete", warnings.is_empty().into()),
        (
            "warnings",
            Json::Arr(warnings.iter().map(|w| w.as_str().into()).collect()),
        ),
        ("notes", Json::Arr(notes)),
        ("gpu", gpu),
        (
            "crash_log_bytes",
            dump.crashlog()
                .map_or(Json::Null, |l| (l.len() as u64).into()),
        ),
        ("segments", Json::Arr(segments)),
        ("sections", Json::Obj(texts)),
    ]))
}

#[cfg(test)]
mod tests {
    use super::Json;

    #[test]
    fn escapes_and_nests() {
        let v = Json::Obj(vec![
            ("a", Json::from("q\"\\\n\u{1}é")),
            (
                "b",
                Json::Arr(vec![Json::U64(1), Json::Null, Json::Bool(false)]),
            ),
            ("c", Json::Obj(vec![])),
        ]);
        assert_eq!(
            v.to_pretty(),
            "{\n  \"a\": \"q\\\"\\\\\\n\\u0001é\",\n  \"b\": [\n    1,\n    null,\n    false\n  ],\n  \"c\": {}\n}\n"
        );
    }
}
