//! A builder for the command buffer of `DRM_IOCTL_ASAHI_SUBMIT`.
//!
//! A command buffer is a flat byte sequence: each command is a [`drm_asahi_cmd_header`] followed
//! by `size` bytes of payload. It holds GPU addresses and handles but no CPU pointers.

use zerocopy::{Immutable, IntoBytes};

use crate::bindings::{
    drm_asahi_attachment, drm_asahi_cmd_compute, drm_asahi_cmd_header, drm_asahi_cmd_render,
    drm_asahi_cmd_type, DRM_ASAHI_BARRIER_NONE, DRM_ASAHI_CMD_COMPUTE, DRM_ASAHI_CMD_RENDER,
};

/// [`DRM_ASAHI_BARRIER_NONE`] as the `u16` of [`drm_asahi_cmd_header`]'s barrier fields.
pub const BARRIER_NONE: u16 = {
    assert!(DRM_ASAHI_BARRIER_NONE == 0xffff);
    0xffff
};

/// A command buffer under construction.
///
/// # Examples
///
/// ```
/// use asahi_uapi::{drm_asahi_cmd_compute, CommandBuffer, BARRIER_NONE};
///
/// let mut cmdbuf = CommandBuffer::new();
/// cmdbuf.push_compute(BARRIER_NONE, 0, &drm_asahi_cmd_compute::default());
/// assert_eq!(cmdbuf.as_bytes().len(), 8 + 64);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandBuffer {
    /// The encoded commands.
    bytes: Vec<u8>,
}

impl CommandBuffer {
    /// Returns an empty command buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `header` as is, without a payload; see [`CommandBuffer::push_bytes`] for the payload.
    ///
    /// Lets a test write a header whose `size` disagrees with what follows.
    pub fn push_header(&mut self, header: &drm_asahi_cmd_header) -> &mut Self {
        self.bytes.extend_from_slice(header.as_bytes());
        self
    }

    /// Appends raw bytes.
    pub fn push_bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(bytes);
        self
    }

    /// Appends a command: a header with the given type and barriers and `size` set to the payload
    /// length, then the payload.
    ///
    /// # Panics
    ///
    /// Panics if `cmd_type` or the payload length does not fit in the header's `u16` fields.
    pub fn push_command(
        &mut self,
        cmd_type: drm_asahi_cmd_type,
        vdm_barrier: u16,
        cdm_barrier: u16,
        payload: &[u8],
    ) -> &mut Self {
        let header = drm_asahi_cmd_header {
            cmd_type: u16::try_from(cmd_type).expect("command type exceeds u16"),
            size: u16::try_from(payload.len()).expect("command payload exceeds 65535 bytes"),
            vdm_barrier,
            cdm_barrier,
        };
        self.push_header(&header).push_bytes(payload)
    }

    /// Appends a render command (`DRM_ASAHI_CMD_RENDER`).
    pub fn push_render(
        &mut self,
        vdm_barrier: u16,
        cdm_barrier: u16,
        cmd: &drm_asahi_cmd_render,
    ) -> &mut Self {
        self.push_command(
            DRM_ASAHI_CMD_RENDER,
            vdm_barrier,
            cdm_barrier,
            cmd.as_bytes(),
        )
    }

    /// Appends a compute command (`DRM_ASAHI_CMD_COMPUTE`).
    pub fn push_compute(
        &mut self,
        vdm_barrier: u16,
        cdm_barrier: u16,
        cmd: &drm_asahi_cmd_compute,
    ) -> &mut Self {
        self.push_command(
            DRM_ASAHI_CMD_COMPUTE,
            vdm_barrier,
            cdm_barrier,
            cmd.as_bytes(),
        )
    }

    /// Appends an attachment command (`DRM_ASAHI_SET_VERTEX_ATTACHMENTS`,
    /// `DRM_ASAHI_SET_FRAGMENT_ATTACHMENTS` or `DRM_ASAHI_SET_COMPUTE_ATTACHMENTS`) with both
    /// barriers [`BARRIER_NONE`], as software commands require.
    ///
    /// # Panics
    ///
    /// Panics if the attachments take more than 65535 bytes (2730 attachments).
    pub fn push_attachments(
        &mut self,
        cmd_type: drm_asahi_cmd_type,
        attachments: &[drm_asahi_attachment],
    ) -> &mut Self {
        self.push_command(cmd_type, BARRIER_NONE, BARRIER_NONE, attachments.as_bytes())
    }

    /// Appends any plain struct as raw bytes (a payload after [`CommandBuffer::push_header`]).
    pub fn push_struct<T: IntoBytes + Immutable>(&mut self, value: &T) -> &mut Self {
        self.push_bytes(value.as_bytes())
    }

    /// Returns the encoded command buffer.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}
