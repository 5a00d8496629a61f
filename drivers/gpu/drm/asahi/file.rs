// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Per-open-file state.
//!
//! An open file will own its GPU VMs and queues (and, through them, everything their work
//! references); closing the file drops them in whatever order, because each object holds
//! references to what it uses. Until those objects exist the state is empty.

use crate::driver::{AsahiDriver, AsahiDrmDevice};
use crate::kernel_ext::drm;
use kernel::prelude::*;

/// The state of one open `asahi` DRM file.
pub(crate) struct File {}

impl drm::DriverFile for File {
    type Driver = AsahiDriver;

    fn open(_dev: &AsahiDrmDevice) -> Result<Pin<KBox<Self>>> {
        Ok(KBox::pin(File {}, GFP_KERNEL)?)
    }
}
