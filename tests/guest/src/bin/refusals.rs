//! Refusals that say why: with dynamic debug on for the module (`module asahi +p`), each ioctl
//! refused for bad input leaves one `KERN_DEBUG` message in the kernel log naming the ioctl, the
//! field and the errno, as Mesa developers read them. With dynamic debug off, the same refusal
//! logs nothing.

use asahi_guest_tests::gpu::{self, Ctx};
use asahi_guest_tests::Tap;
use asahi_uapi::bindings::*;
use std::io::{self, Read};
use std::os::fd::AsRawFd;

const CONTROL: &str = "/sys/kernel/debug/dynamic_debug/control";

/// The kernel log from now on (`/dev/kmsg`, non-blocking, positioned at its end).
struct Kmsg(std::fs::File);

impl Kmsg {
    fn open() -> io::Result<Self> {
        use std::os::unix::fs::OpenOptionsExt;
        let f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open("/dev/kmsg")?;
        // SAFETY: Plain syscall on our fd; SEEK_END on /dev/kmsg skips to after the last record.
        if unsafe { libc::lseek(f.as_raw_fd(), 0, libc::SEEK_END) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Self(f))
    }

    /// The records logged since the last call: `(level, message)`.
    fn take(&mut self) -> Vec<(u32, String)> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 8192];
        loop {
            match self.0.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let rec = String::from_utf8_lossy(&buf[..n]).into_owned();
                    // "prefix,seq,usec,flags;message\n"; the level is the prefix's low 3 bits.
                    let Some((head, msg)) = rec.split_once(';') else {
                        continue;
                    };
                    let level = head
                        .split(',')
                        .next()
                        .and_then(|p| p.parse::<u32>().ok())
                        .map_or(0, |p| p & 7);
                    let msg = msg.lines().next().unwrap_or("").to_string();
                    out.push((level, msg));
                }
                // EPIPE: records were overwritten since the last read; keep reading.
                Err(e) if e.raw_os_error() == Some(libc::EPIPE) => continue,
                Err(_) => break,
            }
        }
        out
    }
}

fn dyndbg(on: bool) -> io::Result<()> {
    let cmd = if on {
        "module asahi +p"
    } else {
        "module asahi -p"
    };
    std::fs::write(CONTROL, cmd)
}

/// Turns the module's debug messages off again however the program ends.
struct DyndbgGuard;

impl Drop for DyndbgGuard {
    fn drop(&mut self) {
        let _ = dyndbg(false);
    }
}

fn errno<T>(r: io::Result<T>) -> Option<i32> {
    r.err().and_then(|e| e.raw_os_error())
}

fn main() {
    let mut tap = Tap::new();
    let (Ok(ctx), Ok(mut log)) = (Ctx::new(), Kmsg::open()) else {
        tap.ok(false, "context and /dev/kmsg");
        tap.finish();
    };
    let bad_time = || {
        let mut t = drm_asahi_get_time {
            flags: 1,
            ..Default::default()
        };
        errno(ctx.dev.get_time(&mut t))
    };

    // Off: the refusal is silent.
    let _ = dyndbg(false);
    log.take();
    let e = bad_time();
    let quiet = log.take();
    let quiet_ok = !quiet.iter().any(|(_, m)| m.contains("GET_TIME"));
    tap.ok(
        e == Some(libc::EINVAL) && quiet_ok,
        format_args!("dynamic debug off: GET_TIME refused with EINVAL ({e:?}) and nothing logged"),
    );

    let on = dyndbg(true);
    let _guard = DyndbgGuard;
    tap.ok(
        on.is_ok(),
        format_args!("dynamic debug enabled with '{CONTROL}' ({on:?})"),
    );

    // One bad call per ioctl: (ioctl, what must appear after "<IOCTL>: ", errno, the call).
    type Call<'a> = Box<dyn Fn() -> Option<i32> + 'a>;
    let d = &ctx.dev;
    let cases: Vec<(&str, &str, i32, Call<'_>)> = vec![
        (
            "GET_PARAMS",
            "param_group: must be 0",
            libc::EINVAL,
            Box::new(|| errno(d.get_params_into(1, &mut [0u8; 64]))),
        ),
        (
            "GET_TIME",
            "flags: must be 0",
            libc::EINVAL,
            Box::new(bad_time),
        ),
        (
            "VM_CREATE",
            "kernel_start..kernel_end",
            libc::EINVAL,
            Box::new(|| errno(d.vm_create(&mut drm_asahi_vm_create::default()))),
        ),
        (
            "VM_DESTROY",
            "vm_id: no such VM 999",
            libc::ENOENT,
            Box::new(|| {
                errno(d.vm_destroy(&drm_asahi_vm_destroy {
                    vm_id: 999,
                    ..Default::default()
                }))
            }),
        ),
        (
            "GEM_CREATE",
            "flags: unknown flag 0x80",
            libc::EINVAL,
            Box::new(|| {
                errno(d.gem_create(&mut drm_asahi_gem_create {
                    size: 1 << 14,
                    flags: 0x80,
                    ..Default::default()
                }))
            }),
        ),
        (
            "GEM_MMAP_OFFSET",
            "handle: no such GEM object 999",
            libc::ENOENT,
            Box::new(|| {
                errno(d.gem_mmap_offset(&mut drm_asahi_gem_mmap_offset {
                    handle: 999,
                    ..Default::default()
                }))
            }),
        ),
        (
            "VM_BIND",
            "ops[1].flags: unknown flag 0x100",
            libc::EINVAL,
            Box::new(|| {
                let op = |flags| drm_asahi_gem_bind_op {
                    flags,
                    handle: ctx.data,
                    offset: 0,
                    range: 1 << 14,
                    addr: 1 << 30,
                };
                let ops = [op(DRM_ASAHI_BIND_READ), op(DRM_ASAHI_BIND_READ | 0x100)];
                errno(d.vm_bind(ctx.vm, &ops))
            }),
        ),
        (
            "GEM_BIND_OBJECT",
            "op: unknown op 7",
            libc::EINVAL,
            Box::new(|| {
                errno(d.gem_bind_object(&mut drm_asahi_gem_bind_object {
                    op: 7,
                    ..Default::default()
                }))
            }),
        ),
        (
            "QUEUE_CREATE",
            "priority: 3 is not LOW or MEDIUM",
            libc::EINVAL,
            Box::new(|| {
                errno(d.queue_create(&mut drm_asahi_queue_create {
                    vm_id: ctx.vm,
                    priority: 3,
                    ..Default::default()
                }))
            }),
        ),
        (
            "QUEUE_DESTROY",
            "queue_id: no such queue 999",
            libc::ENOENT,
            Box::new(|| {
                errno(d.queue_destroy(&drm_asahi_queue_destroy {
                    queue_id: 999,
                    ..Default::default()
                }))
            }),
        ),
        (
            "SUBMIT",
            "syncs[0].handle: no such syncobj 999",
            libc::ENOENT,
            Box::new(|| {
                let cmd = gpu::compute_cmd(gpu::CMD_VA);
                errno(d.submit(ctx.queue, &[gpu::sync(999)], &[], &cmd))
            }),
        ),
        (
            "SUBMIT",
            "cmdbuf@0x0.cmd_type: unknown command type 9",
            libc::EINVAL,
            Box::new(|| {
                let mut cmd = gpu::compute_cmd(gpu::CMD_VA);
                cmd[0] = 9;
                errno(d.submit(ctx.queue, &[], &[], &cmd))
            }),
        ),
    ];
    log.take();
    for (ioctl, what, want, call) in &cases {
        let got = call();
        let msgs = log.take();
        let needle = format!("{ioctl}: {what}");
        let found = msgs.iter().find(|(_, m)| m.contains(&needle));
        let name = if *want == libc::ENOENT {
            "ENOENT"
        } else {
            "EINVAL"
        };
        let good = found.is_some_and(|(level, m)| {
            *level == 7 && m.starts_with("asahi ") && m.trim_end().ends_with(name)
        });
        tap.ok(
            got == Some(*want) && good,
            format_args!(
                "{ioctl} refused with {name} ({got:?}) logs \"{needle}...: {name}\" at KERN_DEBUG \
                 ({:?})",
                found.map_or_else(|| format!("not found among {msgs:?}"), |(_, m)| m.clone())
            ),
        );
    }

    // ENOSPC: a file's VM ids run out at 1024.
    let mut made = 0;
    let mut last = None;
    for _ in 0..1100 {
        match gpu::create_vm(d) {
            Ok(_) => made += 1,
            Err(e) => {
                last = e.raw_os_error();
                break;
            }
        }
    }
    let msgs = log.take();
    let needle = "VM_CREATE: VMs: the file already holds 1024: ENOSPC";
    let found = msgs.iter().any(|(l, m)| *l == 7 && m.contains(needle));
    tap.ok(
        last == Some(libc::ENOSPC) && made == 1023 && found,
        format_args!(
            "the 1025th VM is refused with ENOSPC ({last:?} after {made} more) and logged as \
             \"{needle}\" ({found})"
        ),
    );
    drop(_guard);
    let off = log.take().len();
    let e = bad_time();
    let after = log.take();
    tap.ok(
        e == Some(libc::EINVAL) && !after.iter().any(|(_, m)| m.contains("GET_TIME")),
        format_args!("dynamic debug off again: silent ({off} records before)"),
    );
    tap.finish();
}
