//! Guest test programs.
