// SPDX-License-Identifier: GPL-2.0 OR MIT

//! `asahi`: a DRM driver for Apple AGX GPUs (M1/M2 families), with a virtual AGX backend.
//!
//! # Architecture
//!
//! ```text
//!  userspace (Mesa asahi / honeykrisp)  --  uAPI: uapi/include/drm/asahi_drm.h
//!         |  ioctls on /dev/dri/renderD*
//!  driver.rs    platform + DRM driver, probe, per-device data (AsahiDevice)
//!  file.rs      per-open-file state
//!  uapi_plain.rs  the uAPI structs as plain data (fw::plain::Plain, checked field by field)
//!  vm.rs        GPU address spaces: page tables + the object references they need
//!  gem.rs       buffer objects (16 KiB GPU pages, mmap, PRIME)
//!  queue.rs     command queues
//!  mmu.rs       page-table memory for the shared UAT engine (fw::pgtable)
//!  fwmem.rs     the kernel half of the GPU address space, the structures the firmware boots from
//!  fwalloc.rs   firmware heaps (private / GPU read-only / shared) and typed firmware objects
//!  channel.rs   the driver's end of a transmit channel ring (device control)
//!  fwlog.rs     firmware -> driver log channels (FwLog, KTrace, Stats): rings and draining
//!  hw/          static per-SoC descriptions (identity reported to userspace)
//!  backend.rs   THE BOUNDARY: transport to firmware + SoC identity
//!     |-- backend/virtual_agx.rs   in-kernel firmware model (default: no Apple GPU here)
//!     `-- (real hardware: RTKit mailbox + MMIO, bound by apple,agx-* DT nodes; later)
//!  kernel_ext/  safe abstractions over C APIs that 6.12's `kernel` crate lacks
//!  bindings.rs  bindgen output for those C APIs (only kernel_ext uses it)
//!  helpers.c    out-of-line wrappers for static inline C functions
//! ```
//!
//! At load the module registers the `asahi` platform driver. If the device tree has no
//! `apple,agx-*` node, it also creates an `agx-virtual` platform device, which the driver binds
//! with the virtual backend. Unload unregisters the virtual device (unplugging its DRM device)
//! and then the driver; an open file pins the module, so unload waits for userspace.
//!
//! # Lock order
//!
//! `File::vms` / `File::queues` (never nested) → `Vm::inner` → the backend's TLB lock. Object
//! references may be dropped under `Vm::inner`; freeing an object takes no driver lock.
//!
//! TLB invalidations (`Backend::tlb_invalidate*`) are made under `Vm::inner` (VM_BIND) and the
//! kernel half's lock (timestamp buffers); the virtual AGX takes its TLB lock
//! (`asahi::vagx::tlb`, an irq-safe spinlock) for them, a leaf under which nothing else is taken.
//!
//! Firmware memory (`fwalloc.rs`): a heap's lock → the device-control channel's lock (a cache
//! flush) → the backend's device-control lock; a heap's lock → the kernel half's lock. The FwCtl
//! channel's lock is taken alone, before the kernel half's. Nothing allocates under the kernel
//! half's lock, which the crash snapshot takes on the fence-signalling path.
//!
//! Submission (`gpu.rs`, which documents the fence-signalling path): `Gpu::owners` (event
//! slots; taken by enqueue, the interrupt handler and the failure paths) → `WorkQueue::inner` →
//! `Gpu::pipes` → the virtual AGX's run-list and TLB locks (all irq-safe spinlocks). Binding a
//! VM to a context slot: `Gpu::slots` (a mutex, taken alone at job creation and release) → the
//! backend's TLB lock.

// pin_init! of the firmware model state has many fields.
#![recursion_limit = "256"]

mod backend;
mod bench;
mod bindings;
mod channel;
mod crashdump;
mod driver;
mod fdinfo;
mod file;
mod fwalloc;
mod fwlog;
mod fwmem;
mod gem;
mod gpu;
mod hw;
mod idmap;
mod kernel_ext;
mod mmu;
mod pages;
mod queue;
mod refuse;
mod ring;
mod submit;
mod uapi_plain;
mod vm;

// The firmware ABI and the UAT page-table engine, shared with the host tools (which test them).
// The driver uses part of it; the rest serves the tools and the firmware model.
#[path = "../../../../firmware-defs/src/defs.rs"]
#[allow(dead_code, unreachable_pub, unexpected_cfgs)]
mod fw;

// The crash-dump format, shared with its decoder (tools/agx-coredump), which tests it.
#[path = "../../../../tools/agx-coredump/src/format.rs"]
#[allow(dead_code, unreachable_pub, unused_imports)]
#[deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
mod dumpfmt;

use kernel::prelude::*;

module! {
    type: AsahiModule,
    name: "asahi",
    author: "asahi-agx driver authors",
    description: "DRM driver for Apple AGX GPUs",
    license: "Dual MIT/GPL",
}

struct AsahiModule {
    // Field order is drop order: the virtual device goes first (unbinding it), then the driver.
    _virtual_device: Option<kernel_ext::platform::DeviceRegistration>,
    _driver: kernel_ext::platform::Registration<driver::AsahiPlatformDriver>,
}

impl kernel::Module for AsahiModule {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let driver = kernel_ext::platform::Registration::new(module)?;
        let virtual_device = if kernel_ext::platform::of_match_exists(driver::OF_TABLE.as_ptr()) {
            None
        } else {
            Some(kernel_ext::platform::DeviceRegistration::new_simple(
                driver::VIRTUAL_DEVICE_NAME,
                -1,
            )?)
        };
        Ok(AsahiModule {
            _virtual_device: virtual_device,
            _driver: driver,
        })
    }
}
