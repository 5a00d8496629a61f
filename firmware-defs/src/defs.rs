//! AGX firmware interface definitions, shared by the kernel module and host tools.
//!
//! This file is the root of the shared definitions. It is compiled in two ways:
//!
//! - by the host crate `agx-firmware-defs` as `mod defs;` (from `src/lib.rs`), and
//! - by the kernel module as `#[path = ".../firmware-defs/src/defs.rs"] mod fw;`.
//!
//! To make both work, every file here follows these rules: submodules are declared with explicit
//! `#[path]` attributes (resolved relative to this file either way), no `crate::` paths (only
//! `super::`), no crate-level attributes, and only `core` is used. Every layout is defined
//! through [`plain_layout!`](plain::plain_layout), which implements [`plain::Plain`] after a
//! compile-time layout check and, with the `zerocopy` feature (host), derives zerocopy's traits;
//! the kernel build has no such feature, so only the check remains there (see [`plain`]). A
//! kernel build that passes `--check-cfg` may want `#[allow(unexpected_cfgs)]` on the mount,
//! and a private mount will want `#[allow(dead_code, unreachable_pub)]` since it only uses part
//! of these definitions.
//!
//! # Shared memory
//!
//! The layouts describe memory that the firmware reads and writes concurrently. They are plain
//! data (no atomics), so that the same types can be decoded from a crash dump. Code that touches
//! live shared memory must not form `&`/`&mut` references to it: it should access fields through
//! raw pointers with volatile or atomic operations, using the `*_OFFSET` constants or
//! [`core::mem::offset_of!`] on these types.
//!
//! # Modules
//!
//! - [`plain`]: the [`Plain`](plain::Plain) trait that bounds every byte view of a type, and
//!   [`plain_layout!`](plain::plain_layout) that defines firmware layouts as plain data.
//! - [`bitfield`]: `bitfield!`, registers and table entries declared field by field with
//!   generated accessors (the fault register, PTEs, TTBAT entries).
//! - [`types`]: unaligned integer wrappers, explicit padding, arrays, GPU pointers.
//! - [`ver`]: GPU generations, firmware versions and their (generation, firmware) variants.
//! - [`uat`]: the UAT (GPU MMU) page-table format, TTBAT and handoff region.
//! - [`heap`]: where the kernel-half firmware heaps (private, GPU read-only, shared) lie and
//!   their allocation unit.
//! - [`event`]: event stamps, their wrapping values and the completion bitmask.
//! - [`channels`]: ring-buffer channels, ring arithmetic, doorbells and version-independent
//!   messages.
//! - [`fault`]: decoding of the MMU fault-status register.
//! - [`job`]: version-independent work-queue and command layouts.
//! - [`hwdata`]: the version-independent parts of `HwDataA`, `HwDataB` and `Globals` (shared
//!   power tables, I/O mappings, [`F32`](hwdata::F32)) and the statistics buffers.
//! - [`hwdata_soc`]: the per-SoC inputs of the `HwDataA`/`HwDataB`/`Globals` builders and the
//!   t8103 values.
//! - [`crashlog`]: firmware log and kernel-trace ring entries.
//! - [`microseq`]: microsequence opcodes, WaitForIdle pipes, attachments and the byte-buffer
//!   builder (the per-variant op layouts, sequence constructors and decoder are in
//!   `variants::<variant>::microseq`).
//! - [`ctrl_stream`]: CDM and VDM control-stream blocks as userspace writes them (decoders and
//!   Mesa-exact encoders), the USC words they point at, a bounded walker over GPU memory, and
//!   the virtual-shader convention by which the virtual AGX runs the project's op lists.
//! - [`variants`]: one module per (generation, firmware) pair holding the versioned layouts
//!   (among them `variants::<variant>::buffer`, the tiled-vertex-buffer manager's structures).
//!
//! The engines that operate on these layouts are not layouts and live apart, in `src/engine.rs`
//! and `src/engine/`, mounted here as [`engine`]: the UAT page-table engine
//! ([`engine::pgtable`], re-exported as [`pgtable`]), the heap books ([`engine::heap`]), the
//! tiling math ([`engine::tiling`]) and the tiled-vertex-buffer books ([`engine::buffer_mgr`]).
//!
//! # Sources
//!
//! Layout facts cite their source next to the definition. "Downstream" means the Asahi Linux
//! Rust driver, `drivers/gpu/drm/asahi/` in herrnst/linux-asahi; "reference" means the project's
//! `shared/reference/asahi-driver.md`.

#[path = "defs/plain.rs"]
pub mod plain;

#[path = "defs/bitfield.rs"]
pub mod bitfield;

#[path = "defs/types.rs"]
pub mod types;

#[path = "defs/ver.rs"]
pub mod ver;

#[path = "defs/uat.rs"]
pub mod uat;

#[path = "defs/event.rs"]
pub mod event;

#[path = "defs/channels.rs"]
pub mod channels;

#[path = "defs/fault.rs"]
pub mod fault;

#[path = "defs/job.rs"]
pub mod job;

#[path = "defs/heap.rs"]
pub mod heap;

#[path = "defs/hwdata.rs"]
pub mod hwdata;

#[path = "defs/hwdata_soc.rs"]
pub mod hwdata_soc;

// Not a layout: the engines (page tables, heap books), in src/engine/.
#[path = "engine.rs"]
pub mod engine;

/// The UAT page-table engine at its historic path `fw::pgtable`, which the module's users name.
pub use engine::pgtable;

#[path = "defs/crashlog.rs"]
pub mod crashlog;

#[path = "defs/microseq.rs"]
pub mod microseq;

#[path = "defs/variants.rs"]
pub mod variants;

#[path = "defs/ctrl_stream.rs"]
pub mod ctrl_stream;
