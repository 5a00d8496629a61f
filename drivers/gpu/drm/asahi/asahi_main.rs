// SPDX-License-Identifier: GPL-2.0 OR MIT

//! `asahi`: a DRM driver for Apple AGX GPUs (M1/M2 families), with a virtual AGX behind the same
//! hardware interface.
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
//!  mmu.rs       page-table memory for the shared UAT engine (fw::engine::pgtable)
//!  fwmem.rs     the kernel half of the GPU address space, the structures the firmware boots from
//!  handoff.rs   the AP side of the handoff region: magic, the lock shared with the firmware around
//!               TTBAT changes and flush slots
//!  fwalloc.rs   firmware heaps (private / GPU read-only / shared) and typed firmware objects
//!  channel.rs   the driver's end of a transmit channel ring (device control)
//!  fwlog.rs     firmware -> driver log channels (FwLog, KTrace, Stats): rings and draining
//!  gpu.rs, gpu/ event slots, work queues, jobs; gpu/events.rs: the firmware's completion and
//!               fault protocol (event channel, fault register, pending stamps, halt/resume)
//!  hw/          per-SoC descriptions (identity reported to userspace), hw/regs.rs: MMIO registers;
//!               `hw::identify` picks the SoC from the ID registers
//!  backend.rs   THE BOUNDARY, the silicon's: RTKit endpoint messages, asc/sgx MMIO, the
//!               bootloader's reserved memory, TLB invalidation (trait `Transport`)
//!     |-- backend/virtual_agx.rs   a model of that hardware (default: no Apple GPU here):
//!     |                            bootloader, register file, RTKit coprocessor, firmware
//!     `-- backend/rtkit.rs         real hardware: the kernel's apple_rtkit_* over the ASC
//!                                  mailbox, ioremap'd asc/sgx (arm64, CONFIG_APPLE_RTKIT)
//!  kernel_ext/  safe abstractions over C APIs that 6.12's `kernel` crate lacks
//!  bindings.rs  bindgen output for those C APIs (only kernel_ext uses it)
//!  helpers.c    out-of-line wrappers for static inline C functions
//! ```
//!
//! At load the module registers the `asahi` platform driver. If the device tree has no
//! `apple,agx-*` node, it also creates an `agx-virtual` platform device, which the driver binds
//! with the virtual transport. Unload unregisters the virtual device (unplugging its DRM device)
//! and then the driver; an open file pins the module, so unload waits for userspace.
//!
//! # Lock order
//!
//! `File::vms` / `File::queues` (never nested) → `Vm::inner` → the transport's TLB lock. Object
//! references may be dropped under `Vm::inner`; freeing an object takes no driver lock.
//!
//! TLB invalidations (`Transport::tlb_invalidate*`) are made under `Vm::inner` (VM_BIND) and the
//! kernel half's lock (timestamp buffers); the virtual AGX takes its TLB lock
//! (`asahi::vagx::tlb`, an irq-safe spinlock) for them, a leaf under which nothing else is taken.
//!
//! Firmware memory (`fwalloc.rs`): a heap's lock → the device-control channel's lock (a cache
//! flush) → nothing of the transport (the virtual AGX handles device control on a work item); a heap's lock → the kernel half's lock. The FwCtl
//! channel's lock is taken alone, before the kernel half's. Nothing allocates under the kernel
//! half's lock, which the crash snapshot takes on the fence-signalling path.
//!
//! Submission (`gpu.rs`, which documents the fence-signalling path): `Gpu::owners` (event
//! slots; taken by enqueue, the interrupt handler and the failure paths) → `WorkQueue::inner` →
//! `Gpu::pipes` → the virtual AGX's run-list and TLB locks (all irq-safe spinlocks). Binding a
//! VM to a context slot: `Gpu::slots` (a mutex, taken alone at job creation and release) → the
//! handoff lock (`asahi::Handoff::ap`, an irq-safe spinlock around the two-party lock shared with
//! the firmware, a leaf), released before the transport's TLB lock is taken. A range flush:
//! `FwAllocator::fwctl` → the handoff lock (leaf).

// pin_init! of the firmware model state has many fields.
#![recursion_limit = "512"]

mod backend;
mod bench;
mod bindings;
mod channel;
mod crashdump;
mod desc;
mod driver;
mod fdinfo;
mod file;
mod fwalloc;
mod fwlog;
mod fwmem;
mod gem;
mod gpu;
mod handoff;
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

// The firmware layouts (firmware-defs/src/defs/) and the engines on them (src/engine/: UAT page
// tables, heap books), shared with the host crate agx-firmware-defs, which tests them.
#[path = "../../../../firmware-defs/src/defs.rs"]
#[allow(dead_code, unreachable_pub, unexpected_cfgs)]
mod fw;

// The crash-dump format (ELF writer and reader, no_std), the crate asahi-coredump-format in
// uapi/coredump/ that the decoder tools/agx-coredump depends on and tests.
#[path = "../../../../uapi/coredump/src/format.rs"]
#[allow(dead_code, unreachable_pub, unused_imports)]
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
        // Registration probed every device present (synchronously): a bound one is a real AGX.
        // Without one (no node, or every node refused), the virtual AGX takes its place.
        let virtual_device = if driver.bound_devices() != 0 {
            None
        } else {
            let props = driver::virtual_device_properties()?;
            Some(kernel_ext::platform::DeviceRegistration::new_with_props(
                driver::VIRTUAL_DEVICE_NAME,
                -1,
                &props,
            )?)
        };
        Ok(AsahiModule {
            _virtual_device: virtual_device,
            _driver: driver,
        })
    }
}
