//! Refusals that say why: with dynamic debug on for the module (`module asahi +p`), each ioctl
//! refused for bad input leaves one `KERN_DEBUG` message in the kernel log naming the ioctl, the
//! field and the errno, as Mesa developers read them. With dynamic debug off, the same refusal
//! logs nothing.

use asahi_guest_tests::gpu::{self, Ctx};
use asahi_guest_tests::kmsg::Kmsg;
use asahi_guest_tests::{errno, Tap};
use asahi_uapi::bindings::*;
use std::io;

const CONTROL: &str = "/sys/kernel/debug/dynamic_debug/control";

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

fn main() {
    let mut tap = Tap::new();
    let (Ok(ctx), Ok(mut log)) = (Ctx::new(), Kmsg::open_at_end()) else {
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
    let quiet_ok = !quiet.iter().any(|r| r.text.contains("GET_TIME"));
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
        let found = msgs.iter().find(|r| r.text.contains(&needle));
        let name = if *want == libc::ENOENT {
            "ENOENT"
        } else {
            "EINVAL"
        };
        let good = found.is_some_and(|r| {
            r.level == 7 && r.text.starts_with("asahi ") && r.text.trim_end().ends_with(name)
        });
        tap.ok(
            got == Some(*want) && good,
            format_args!(
                "{ioctl} refused with {name} ({got:?}) logs \"{needle}...: {name}\" at KERN_DEBUG \
                 ({:?})",
                found.map_or_else(|| format!("not found among {msgs:?}"), |r| r.text.clone())
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
    let found = msgs.iter().any(|r| r.level == 7 && r.text.contains(needle));
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
        e == Some(libc::EINVAL) && !after.iter().any(|r| r.text.contains("GET_TIME")),
        format_args!("dynamic debug off again: silent ({off} records before)"),
    );
    tap.finish();
}
