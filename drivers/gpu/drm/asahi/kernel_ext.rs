// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Safe abstractions over the kernel C APIs that 6.12's `kernel` crate lacks.
//!
//! Linux 6.12 has no Rust support for DRM, platform devices, OF matching, dma_fence or
//! devcoredump. This module is the driver's own small layer over the bindgen bindings in
//! [`crate::bindings`]: every `unsafe` call into C is here, behind a safe API with the C
//! contract stated once. Driver code above it (`driver`, `file`, `gpu`, ...) contains no FFI.
//!
//! The shapes follow the later upstream abstractions (`rust/kernel/drm/*` from 6.16) where they
//! exist, so moving to them later is mechanical.

pub(crate) mod devcoredump;
pub(crate) mod dma_fence;
pub(crate) mod drm;
pub(crate) mod explicit_drop;
pub(crate) mod memremap;
// Used by the real transport only, so not on kernels without RTKit.
#[cfg_attr(
    not(CONFIG_APPLE_RTKIT),
    allow(dead_code, reason = "used by the real transport only")
)]
pub(crate) mod io;
// Only with KUnit: the module's unit tests (`#[cfg(CONFIG_KUNIT)] mod tests` in driver files).
#[cfg(CONFIG_KUNIT)]
pub(crate) mod kunit;
pub(crate) mod platform;
pub(crate) mod print;
pub(crate) mod property;
// Only where the kernel has the RTKit library (arm64 test kernel).
#[cfg(CONFIG_APPLE_RTKIT)]
pub(crate) mod rtkit;
pub(crate) mod spinlock_irq;
pub(crate) mod syncobj;
pub(crate) mod vec;
pub(crate) mod work;
