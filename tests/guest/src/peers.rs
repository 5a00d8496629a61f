//! The in-kernel peers the benchmarks compare the driver with: `sw_sync` timelines (debugfs) and
//! the `vgem` driver's dumb buffers and fences. Their uAPI structs are declared here, from
//! `include/uapi/linux/sync_file.h`-adjacent `drivers/dma-buf/sw_sync.c`, `drm_mode.h` and
//! `vgem_drm.h` of Linux 6.12.

use asahi_uapi::ioctl::{ioc, IOC_READ, IOC_WRITE};
use asahi_uapi::Device;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// `struct sw_sync_create_fence_data`.
#[repr(C)]
struct SwSyncCreateFence {
    value: u32,
    name: [u8; 32],
    fence: i32,
}

/// `SW_SYNC_IOC_CREATE_FENCE`: `_IOWR('W', 0, struct sw_sync_create_fence_data)`.
const SW_SYNC_IOC_CREATE_FENCE: u32 = ioc(
    IOC_READ | IOC_WRITE,
    b'W',
    0,
    size_of::<SwSyncCreateFence>(),
);
/// `SW_SYNC_IOC_INC`: `_IOW('W', 1, __u32)`.
const SW_SYNC_IOC_INC: u32 = ioc(IOC_WRITE, b'W', 1, 4);

fn check(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// A `sw_sync` timeline (one open of `/sys/kernel/debug/sync/sw_sync`).
pub struct SwSync {
    file: File,
    next: u32,
}

impl SwSync {
    /// Opens a new timeline.
    pub fn open() -> io::Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/sys/kernel/debug/sync/sw_sync")?;
        Ok(Self { file, next: 0 })
    }

    /// Creates a fence on the next point of the timeline and returns its sync_file.
    pub fn create_fence(&mut self) -> io::Result<OwnedFd> {
        self.next += 1;
        let mut d = SwSyncCreateFence {
            value: self.next,
            name: [0; 32],
            fence: -1,
        };
        d.name[0] = b'b';
        // SAFETY: `d` is the 40-byte struct the request encodes; it holds no pointers.
        check(unsafe {
            libc::ioctl(self.file.as_raw_fd(), SW_SYNC_IOC_CREATE_FENCE as _, &mut d)
        })?;
        // SAFETY: The kernel returned a new file descriptor we now own.
        Ok(unsafe { OwnedFd::from_raw_fd(d.fence) })
    }

    /// Advances the timeline by one point, signalling the oldest unsignalled fence.
    pub fn inc(&self) -> io::Result<()> {
        let one: u32 = 1;
        // SAFETY: The request reads one `u32`.
        check(unsafe { libc::ioctl(self.file.as_raw_fd(), SW_SYNC_IOC_INC as _, &one) }).map(drop)
    }
}

/// Waits until `fd` (a sync_file or dma-buf) is ready for `events`.
pub fn poll_wait(fd: RawFd, events: i16) -> io::Result<()> {
    let mut p = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    loop {
        // SAFETY: `p` is one valid pollfd.
        let r = unsafe { libc::poll(&mut p, 1, 10_000) };
        match r {
            1 => return Ok(()),
            0 => return Err(io::Error::new(io::ErrorKind::TimedOut, "poll timed out")),
            _ => {
                let e = io::Error::last_os_error();
                if e.raw_os_error() != Some(libc::EINTR) {
                    return Err(e);
                }
            }
        }
    }
}

/// `struct drm_mode_create_dumb`.
#[repr(C)]
#[derive(Default)]
struct CreateDumb {
    height: u32,
    width: u32,
    bpp: u32,
    flags: u32,
    handle: u32,
    pitch: u32,
    size: u64,
}

/// `struct drm_mode_map_dumb`.
#[repr(C)]
#[derive(Default)]
struct MapDumb {
    handle: u32,
    pad: u32,
    offset: u64,
}

/// `struct drm_vgem_fence_attach`.
#[repr(C)]
#[derive(Default)]
struct VgemFenceAttach {
    handle: u32,
    flags: u32,
    out_fence: u32,
    pad: u32,
}

/// `struct drm_vgem_fence_signal`.
#[repr(C)]
#[derive(Default)]
struct VgemFenceSignal {
    fence: u32,
    flags: u32,
}

const fn drm(dir: u32, nr: u32, size: usize) -> u32 {
    ioc(dir, b'd', nr, size)
}
const DRM_IOCTL_MODE_CREATE_DUMB: u32 = drm(IOC_READ | IOC_WRITE, 0xb2, size_of::<CreateDumb>());
const DRM_IOCTL_MODE_MAP_DUMB: u32 = drm(IOC_READ | IOC_WRITE, 0xb3, size_of::<MapDumb>());
/// `DRM_COMMAND_BASE + DRM_VGEM_FENCE_ATTACH`.
const DRM_IOCTL_VGEM_FENCE_ATTACH: u32 =
    drm(IOC_READ | IOC_WRITE, 0x41, size_of::<VgemFenceAttach>());
/// `DRM_COMMAND_BASE + DRM_VGEM_FENCE_SIGNAL`.
const DRM_IOCTL_VGEM_FENCE_SIGNAL: u32 = drm(IOC_WRITE, 0x42, size_of::<VgemFenceSignal>());
/// `VGEM_FENCE_WRITE`.
const VGEM_FENCE_WRITE: u32 = 1;

/// The vgem device, opened through its primary node (dumb buffers need it).
pub struct Vgem {
    /// The open node.
    pub dev: Device,
}

impl Vgem {
    /// Opens the first `/dev/dri/card*` whose driver is `vgem`.
    pub fn open() -> io::Result<Self> {
        let mut cards: Vec<String> = fs::read_dir("/dev/dri")?
            .filter_map(|e| {
                let n = e.ok()?.file_name().into_string().ok()?;
                n.starts_with("card").then_some(n)
            })
            .collect();
        cards.sort();
        for c in cards {
            let Ok(dev) = Device::open(format!("/dev/dri/{c}")) else {
                continue;
            };
            if dev.version().is_ok_and(|v| v.name == "vgem") {
                return Ok(Self { dev });
            }
        }
        Err(io::Error::new(io::ErrorKind::NotFound, "no vgem card node"))
    }

    /// Creates a dumb buffer of `size` bytes (a multiple of 4 KiB) and returns its handle.
    pub fn create_dumb(&self, size: u64) -> io::Result<u32> {
        let mut c = CreateDumb {
            width: 1024,
            height: u32::try_from(size / 4096).map_err(|_| io::ErrorKind::InvalidInput)?,
            bpp: 32,
            ..Default::default()
        };
        // SAFETY: `c` matches the request's struct, which holds no pointers.
        unsafe { self.dev.ioctl(DRM_IOCTL_MODE_CREATE_DUMB, &mut c) }?;
        Ok(c.handle)
    }

    /// The fake mmap offset of a dumb buffer.
    pub fn map_dumb(&self, handle: u32) -> io::Result<u64> {
        let mut m = MapDumb {
            handle,
            ..Default::default()
        };
        // SAFETY: `m` matches the request's struct, which holds no pointers.
        unsafe { self.dev.ioctl(DRM_IOCTL_MODE_MAP_DUMB, &mut m) }?;
        Ok(m.offset)
    }

    /// Attaches a new (write) fence to a buffer and returns its id.
    pub fn fence_attach(&self, handle: u32) -> io::Result<u32> {
        let mut a = VgemFenceAttach {
            handle,
            flags: VGEM_FENCE_WRITE,
            ..Default::default()
        };
        // SAFETY: `a` matches the request's struct, which holds no pointers.
        unsafe { self.dev.ioctl(DRM_IOCTL_VGEM_FENCE_ATTACH, &mut a) }?;
        Ok(a.out_fence)
    }

    /// Signals a fence made by [`Self::fence_attach`].
    pub fn fence_signal(&self, fence: u32) -> io::Result<()> {
        let mut s = VgemFenceSignal { fence, flags: 0 };
        // SAFETY: `s` matches the request's struct, which holds no pointers.
        unsafe { self.dev.ioctl(DRM_IOCTL_VGEM_FENCE_SIGNAL, &mut s) }.map(drop)
    }
}
