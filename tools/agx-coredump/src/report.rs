//! Host-side decoding and printing of dumps.
