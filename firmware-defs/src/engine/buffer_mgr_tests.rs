//! Host tests of the buffer manager.
use super::*;
