//! Event stamps: completion counters shared between the firmware and the driver.
//!
//! There are 128 event slots. Each slot has a driver-visible stamp and a firmware-private stamp
//! (both `u32` arrays). Every command a queue submits raises the expected value of its slot by
//! 0x100; the firmware writes the stamp as commands complete and reports the slot in the
//! `Flag` event bitmask. Values wrap, so they are compared through their signed difference.
//!
//! Source: downstream `event.rs` (`NUM_EVENTS`, `EventValue::next/delta`), `channel.rs` (flag
//! bitmask handling); reference §5 "Events".

use super::plain::{plain_derive, plain_fields, plain_layout, Plain};

/// Number of event slots managed by the firmware.
pub const NUM_EVENTS: usize = 128;
/// Amount an event value advances per command.
pub const STAMP_STEP: u32 = 0x100;
/// Most commands that may be in flight on one slot (one step must stay free).
pub const MAX_IN_FLIGHT: u32 = NUM_EVENTS as u32 - 1;

plain_layout! {
    /// A value of an event stamp.
    ///
    /// This is deliberately not `Ord`: the wrapping comparison is only meaningful between values
    /// less than 2^31 apart, so it is not a total order.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
    #[repr(transparent)]
    pub struct EventValue(pub u32);
}

impl EventValue {
    /// Returns the value one command later.
    pub const fn next(self) -> Self {
        Self(self.0.wrapping_add(STAMP_STEP))
    }

    /// Returns the value `n` commands later.
    pub const fn add(self, n: u32) -> Self {
        Self(self.0.wrapping_add(n.wrapping_mul(STAMP_STEP)))
    }

    /// Returns the value `n` commands earlier (used to roll back unsubmitted commands).
    pub const fn sub(self, n: u32) -> Self {
        Self(self.0.wrapping_sub(n.wrapping_mul(STAMP_STEP)))
    }

    /// Number of commands from `other` to `self`, negative if `self` is behind.
    pub const fn delta(self, other: Self) -> i32 {
        // CAST: reinterpreting the wrapped difference as signed is the point.
        (self.0.wrapping_sub(other.0) as i32) >> 8
    }

    /// `true` if a stamp that reads `stamp` has completed the command expecting `self`.
    pub const fn is_reached_by(self, stamp: Self) -> bool {
        stamp.delta(self) >= 0
    }
}

plain_layout! {
    /// The 128-bit "which slots fired" bitmask of a `Flag` event message.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    #[repr(transparent)]
    pub struct FlagBitmask(pub [u32; 4]);
}

impl FlagBitmask {
    /// Returns the mask with `slot` set; slots at or above [`NUM_EVENTS`] are ignored.
    pub const fn with(self, slot: u32) -> Self {
        let mut words = self.0;
        if (slot as usize) < NUM_EVENTS {
            // CAST: `slot / 32` is below 4.
            words[(slot / 32) as usize] |= 1 << (slot % 32);
        }
        Self(words)
    }

    /// `true` if `slot` is set.
    pub const fn is_set(self, slot: u32) -> bool {
        // CAST: widening.
        (slot as usize) < NUM_EVENTS && self.0[(slot / 32) as usize] & (1 << (slot % 32)) != 0
    }

    /// `true` if no slot is set.
    pub const fn is_empty(self) -> bool {
        self.0[0] | self.0[1] | self.0[2] | self.0[3] == 0
    }

    /// Iterates over the set slots in ascending order.
    pub fn slots(self) -> impl Iterator<Item = u32> {
        // CAST: NUM_EVENTS fits in u32.
        (0..NUM_EVENTS as u32).filter(move |s| self.is_set(*s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_steps_and_wraparound() {
        let v = EventValue(0xffff_ff00);
        assert_eq!(v.next(), EventValue(0));
        assert_eq!(v.add(3), EventValue(0x200));
        assert_eq!(EventValue(0x200).sub(3), v);
        assert_eq!(v.next().delta(v), 1);
        assert_eq!(v.delta(v.next()), -1);
        assert_eq!(EventValue(0x100).delta(EventValue(0xffff_ff00)), 2);
    }

    #[test]
    fn completion_across_wrap() {
        let expected = EventValue(0xffff_ff00).add(2); // 0x100, after the wrap.
        assert!(!expected.is_reached_by(EventValue(0xffff_ff00)));
        assert!(!expected.is_reached_by(EventValue(0)));
        assert!(expected.is_reached_by(EventValue(0x100)));
        assert!(expected.is_reached_by(EventValue(0x300)));
        // 127 commands in flight stay well inside the comparison window.
        let base = EventValue(0xfff0_0000);
        assert!(!base.add(MAX_IN_FLIGHT).is_reached_by(base));
        assert!(base.is_reached_by(base.add(MAX_IN_FLIGHT)));
    }

    #[test]
    fn flag_bitmask() {
        let m = FlagBitmask::default().with(0).with(33).with(127).with(128);
        assert_eq!(m.0, [1, 2, 0, 0x8000_0000]);
        assert!(m.is_set(33) && !m.is_set(34) && !m.is_set(200));
        let mut it = m.slots();
        assert_eq!(it.next(), Some(0));
        assert_eq!(it.next(), Some(33));
        assert_eq!(it.next(), Some(127));
        assert_eq!(it.next(), None);
        assert!(FlagBitmask::default().is_empty());
    }
}
