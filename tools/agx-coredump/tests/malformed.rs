// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Every malformation class gives its typed error.

mod common;

use agx_coredump::format::reader::MAX_NOTES;
use agx_coredump::format::{Dump, Note, ParseError};
use common::*;

#[test]
fn bases_are_valid() {
    for b in [small_base(), data_base(), sample_dump()] {
        Dump::parse(&b).unwrap();
    }
}

#[test]
fn each_malformation_has_its_error() {
    let cases = malformed_cases();
    assert!(cases.len() >= 35);
    for (name, bytes, want) in cases {
        assert_eq!(Dump::parse(&bytes).err(), Some(want), "{name}");
        // The decoder reports the same error.
        let err = agx_coredump::report::render(&bytes, &Default::default()).unwrap_err();
        assert_eq!(err, agx_coredump::report::Error::Parse(want), "{name}");
    }
}

#[test]
fn too_many_notes() {
    let notes = vec![
        Note {
            name: b"N",
            n_type: 0,
            desc: b""
        };
        MAX_NOTES + 1
    ];
    let bytes = render(&[], &notes, &[]);
    assert_eq!(Dump::parse(&bytes).err(), Some(ParseError::TooManyNotes));
    let ok = render(&[], &notes[..MAX_NOTES], &[]);
    assert_eq!(Dump::parse(&ok).unwrap().notes().count(), MAX_NOTES);
}

#[test]
fn agx_note_too_small() {
    let notes = [Note {
        name: b"AGX",
        n_type: 1,
        desc: &[0; 51],
    }];
    let bytes = render(&[], &notes, &[]);
    assert_eq!(
        Dump::parse(&bytes).err(),
        Some(ParseError::AgxInfoTooSmall(51))
    );
    // Another type with that name is just an unknown note.
    let notes = [Note {
        name: b"AGX",
        n_type: 2,
        desc: &[0; 3],
    }];
    let dump_bytes = render(&[], &notes, &[]);
    let dump = Dump::parse(&dump_bytes).unwrap();
    assert_eq!(dump.agx_info(), Ok(None));
}

#[test]
fn last_note_may_lack_tail_padding() {
    // Lenient: a final descriptor whose padding was cut off still parses.
    let mut b = render(&[], &[Note::rtkit(b"abcde")], &[]);
    let size = get64(&b, ph(0) + 32);
    put64(&mut b, ph(0) + 32, size - 3);
    assert_eq!(Dump::parse(&b).unwrap().crashlog(), Some(&b"abcde"[..]));
}
