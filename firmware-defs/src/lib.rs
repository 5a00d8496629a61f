//! AGX firmware ABI structures.
