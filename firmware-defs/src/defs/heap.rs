//! The kernel-half firmware heaps: where they are and their allocation unit.
//!
//! Kernel-owned firmware objects (init data, channel rings, queue structures, commands) live in
//! heaps in the kernel (TTBR1) half of the GPU address space, one per kind of memory:
//!
//! | heap | VA range | firmware view | freed memory |
//! |---|---|---|---|
//! | private | [`PRIVATE_BASE`] | cached | garbage until a firmware cache flush |
//! | GPU read-only | [`GPU_RO_BASE`] | cached | garbage until a firmware cache flush |
//! | shared | [`SHARED_BASE`] | uncached, shared with the CPU | reusable at once |
//!
//! A heap is a VA range that grows one 16 KiB GPU page at a time and is carved in units of
//! [`UNIT`] bytes (downstream's `min_align` of 0x80). This module holds only these facts of the
//! firmware's address map; the books that say which units are in use (allocation, garbage held
//! back until a firmware cache flush, its thresholds) are the engine in `engine::heap`.
//!
//! Sources: reference §2 "Allocators" (ranges, `min_align`, block sizes).

/// Allocation unit and alignment of every object, in bytes.
pub const UNIT: u64 = 0x80;
/// GPU page size.
pub const PAGE: u64 = 0x4000;

/// Start of the firmware-private heap range (downstream `0xffffffa0_00000000`).
pub const PRIVATE_BASE: u64 = 0xffff_ffa0_0000_0000;
/// Start of the GPU read-only heap range (downstream `0xffffffa6_00000000`).
pub const GPU_RO_BASE: u64 = 0xffff_ffa6_0000_0000;
/// Start of the firmware-shared heap range (downstream `0xffffffa8_00000000`).
pub const SHARED_BASE: u64 = 0xffff_ffa8_0000_0000;
