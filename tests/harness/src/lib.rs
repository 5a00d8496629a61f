//! Host side of the guest test harness.
