//! The asahi DRM uAPI for userspace.
