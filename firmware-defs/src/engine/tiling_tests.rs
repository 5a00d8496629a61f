//! Host tests of the tiling math.
use super::*;
