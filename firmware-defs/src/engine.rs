//! Engines that operate on the firmware layouts: pure, allocation-free logic shared by the kernel
//! module (which mounts this file as `fw::engine`, through `defs.rs`) and host tests.
//!
//! The layouts themselves (what the firmware reads) are the sibling modules of `defs.rs`; this
//! module owns the code that computes on them and follows the same rules (explicit `#[path]`,
//! `super::` paths only, `core` only).
//!
//! - [`pgtable`]: the UAT page-table engine over the [`uat`](super::uat) entry format: map, unmap,
//!   re-protect, batched reservations, reclaim, walk and enumerate.
//! - [`heap`]: the books of the kernel-half firmware heaps (whose ranges and unit the layout
//!   module [`heap`](super::heap) gives): allocation, garbage held back until a firmware cache
//!   flush.
//! - [`tiling`]: the tiling parameters of a render (tile counts, tilemap/TPC/clustering sizes,
//!   the register values of the run commands) from its framebuffer, with the hardware's limits.
//! - [`buffer_mgr`]: the books of the tiled vertex buffer heaps and the firmware's
//!   buffer-manager slots (growth, auto-grow, GrowTVB, when an `InitBuffer` is due).

#[path = "engine/pgtable.rs"]
pub mod pgtable;

#[path = "engine/heap.rs"]
pub mod heap;

#[path = "engine/tiling.rs"]
pub mod tiling;

#[path = "engine/buffer_mgr.rs"]
pub mod buffer_mgr;
