//! Isolation between clients: one process cannot name another's objects, its GPU work cannot
//! reach another's memory, new memory is zeroed after another process freed dirty memory,
//! nothing copied out carries uninitialised bytes, and an unauthenticated client of the primary
//! node is refused the `DRM_AUTH` ioctls as upstream refuses them.

use asahi_guest_tests::gpu::{self, op, Ctx, DATA_VA, PAGE};
use asahi_guest_tests::{errno, in_processes, Tap};
use asahi_uapi::bindings::*;
use asahi_uapi::{ioctl, Device, Mapping};
use std::fs;
use std::io;

const EINVAL: i32 = libc::EINVAL;
const ENOENT: i32 = libc::ENOENT;
const EACCES: i32 = libc::EACCES;

/// `DRM_IOCTL_GET_MAGIC`: `_IOR('d', 0x02, struct drm_auth)`.
const GET_MAGIC: u32 = 0x8004_6402;
/// `DRM_IOCTL_AUTH_MAGIC`: `_IOW('d', 0x11, struct drm_auth)`.
const AUTH_MAGIC: u32 = 0x4004_6411;
/// `DRM_IOCTL_DROP_MASTER`: `_IO('d', 0x1f)`.
const DROP_MASTER: u32 = 0x641f;

/// A VA that the standard [`Ctx`] leaves unmapped, where the other process maps its secret.
const SECRET_VA: u64 = DATA_VA + (16 << 20);
/// The byte the other process's secret buffer is filled with.
const SECRET: u8 = 0xb0;

fn all(m: &Mapping, len: usize, byte: u8) -> bool {
    let mut b = vec![0u8; len];
    m.read(0, &mut b);
    b.iter().all(|x| *x == byte)
}

/// The other process's objects cannot be named from a new file.
fn names(tap: &mut Tap) {
    let Ok(owner) = Ctx::new() else {
        tap.ok(false, "names: set up the owner's context");
        return;
    };
    let so = owner
        .dev
        .syncobj_create(DRM_SYNCOBJ_CREATE_SIGNALED)
        .unwrap_or(0);
    let (vm, queue, handle) = (owner.vm, owner.queue, owner.data);
    let good = in_processes(1, |_| {
        let Ok(dev) = Device::open_render_asahi() else {
            return false;
        };
        let mut ok = true;
        let mut check = |what: &str, got: Option<i32>, want: &[i32]| {
            let pass = got.is_some_and(|e| want.contains(&e));
            if !pass {
                println!("# names: {what} got {got:?}, want {want:?}");
            }
            ok &= pass;
        };
        let mut o = drm_asahi_gem_mmap_offset {
            handle,
            ..Default::default()
        };
        check(
            "GEM_MMAP_OFFSET",
            errno(dev.gem_mmap_offset(&mut o)),
            &[ENOENT],
        );
        check("GEM_CLOSE", errno(dev.gem_close(handle)), &[EINVAL]);
        check(
            "PRIME export",
            errno(dev.prime_handle_to_fd(handle, 0)),
            &[ENOENT],
        );
        check(
            "VM_BIND",
            errno(gpu::bind_rw(&dev, vm, handle, DATA_VA, PAGE)),
            &[ENOENT],
        );
        let mut q = drm_asahi_queue_create {
            vm_id: vm,
            priority: DRM_ASAHI_PRIORITY_MEDIUM,
            ..Default::default()
        };
        check("QUEUE_CREATE", errno(dev.queue_create(&mut q)), &[ENOENT]);
        let mut g = drm_asahi_gem_create {
            size: PAGE,
            flags: DRM_ASAHI_GEM_VM_PRIVATE,
            vm_id: vm,
            ..Default::default()
        };
        check(
            "GEM_CREATE VM_PRIVATE",
            errno(dev.gem_create(&mut g)),
            &[ENOENT],
        );
        check(
            "SUBMIT",
            errno(dev.submit(queue, &[], &[], &gpu::compute_cmd(0))),
            &[ENOENT],
        );
        check(
            "QUEUE_DESTROY",
            errno(dev.queue_destroy(&drm_asahi_queue_destroy {
                queue_id: queue,
                pad: 0,
            })),
            &[ENOENT],
        );
        check(
            "VM_DESTROY",
            errno(dev.vm_destroy(&drm_asahi_vm_destroy { vm_id: vm, pad: 0 })),
            &[ENOENT],
        );
        check(
            "SYNCOBJ_WAIT",
            errno(dev.syncobj_wait(&[so], 0, 0)),
            &[ENOENT, EINVAL],
        );
        check(
            "SYNCOBJ_DESTROY",
            errno(dev.syncobj_destroy(so)),
            &[EINVAL, ENOENT],
        );
        ok
    });
    tap.ok(
        good == 1,
        "another process cannot name our GEM handles, VMs, queues or syncobjs",
    );
    let mut owner = owner;
    let st = owner.run(&[(op::WRITE32, DATA_VA, 5, 0)]);
    tap.ok(
        matches!(st, Ok(1))
            && owner.read_u32(0) == 5
            && owner.dev.syncobj_wait(&[so], 0, 0).is_ok(),
        format_args!("the owner's objects still work afterwards: {st:?}"),
    );
}

/// GPU work of one process cannot reach another's memory.
fn gpu_memory(tap: &mut Tap) {
    let Ok(victim) = Ctx::new() else {
        tap.ok(false, "gpu memory: set up the victim's context");
        return;
    };
    let secret = gpu::gem(&victim.dev, 1 << 20).and_then(|(h, m)| {
        m.write(0, &[SECRET; 1 << 20]);
        gpu::bind_rw(&victim.dev, victim.vm, h, SECRET_VA, 1 << 20)?;
        Ok(m)
    });
    let Ok(secret) = secret else {
        tap.ok(false, "gpu memory: the victim's secret buffer");
        return;
    };
    // The victim's own GPU work sees its secret.
    let mut victim = victim;
    let st = victim.run(&[(op::COPY, DATA_VA + 0x200, SECRET_VA, 16)]);
    let mut b = [0u8; 16];
    victim.data_map.read(0x200, &mut b);
    tap.ok(
        matches!(st, Ok(1)) && b == [SECRET; 16],
        "the victim's own job reads its secret through its VM",
    );

    let good = in_processes(1, |_| {
        let Ok(mut a) = Ctx::new() else { return false };
        let bad = std::cell::Cell::new(false);
        let expect = |what: &str, got: io::Result<i32>, want: i32| {
            if !matches!(got, Ok(s) if s == want) {
                println!("# gpu memory: {what}: fence status {got:?}, want {want}");
                bad.set(true);
            }
        };
        // Reads, copies, writes and fills at the victim's address fault here: unmapped in A.
        let copy = a.run(&[(op::COPY, DATA_VA + 0x100, SECRET_VA, 64)]);
        expect("COPY from the victim's VA", copy, -libc::EIO);
        let read = a.run(&[(op::READ32, SECRET_VA + 0x40, 0, 0)]);
        expect("READ32 of the victim's VA", read, -libc::EIO);
        let write = a.run(&[(op::WRITE32, SECRET_VA, 0xbad, 0)]);
        expect("WRITE32 to the victim's VA", write, -libc::EIO);
        let fill = a.run(&[(op::FILL, SECRET_VA, 0xee, 2 * PAGE)]);
        expect("FILL of the victim's VA", fill, -libc::EIO);
        let mut b = [0u8; 64];
        a.data_map.read(0x100, &mut b);
        if b.contains(&SECRET) {
            println!("# gpu memory: A's buffer received the victim's bytes");
            bad.set(true);
        }
        // A's own buffer at the same VA: A's jobs see and change only A's memory.
        let mine = gpu::gem(&a.dev, 1 << 20).and_then(|(h, m)| {
            m.write(0, &[0xa0; 64]);
            gpu::bind_rw(&a.dev, a.vm, h, SECRET_VA, 1 << 20)?;
            Ok(m)
        });
        let Ok(mine) = mine else { return false };
        let copy = a.run(&[
            (op::COPY, DATA_VA + 0x100, SECRET_VA, 64),
            (op::WRITE32, SECRET_VA, 0xbad, 0),
            (op::FILL, SECRET_VA + PAGE, 0xee, PAGE),
        ]);
        expect("jobs on A's own mapping at that VA", copy, 1);
        a.data_map.read(0x100, &mut b);
        let mut w = [0u8; 4];
        mine.read(0, &mut w);
        if b != [0xa0; 64] || u32::from_le_bytes(w) != 0xbad {
            println!("# gpu memory: A's job did not see its own mapping");
            bad.set(true);
        }
        !bad.get()
    });
    tap.ok(
        good == 1,
        "another process's jobs fault at our VA (fence EIO) or see only their own mapping",
    );
    tap.ok(
        all(&secret, 1 << 20, SECRET),
        "the victim's buffer is untouched",
    );
}

/// Memory freed dirty by one process comes back zeroed to the next.
fn zeroed(tap: &mut Tap) {
    const N: usize = 48;
    const SIZE: u64 = 256 << 10;
    let dirtied = in_processes(1, |_| {
        let Ok(mut c) = Ctx::new() else { return false };
        let mut keep = Vec::new();
        for i in 0..N {
            let Ok((h, m)) = gpu::gem(&c.dev, SIZE) else {
                return false;
            };
            m.write(0, &vec![0xdd; SIZE as usize]);
            if i % 8 == 0 {
                // Dirtied by the GPU too.
                let va = DATA_VA + (32 << 20) + i as u64 * SIZE;
                if gpu::bind_rw(&c.dev, c.vm, h, va, SIZE).is_err()
                    || !matches!(c.run(&[(op::FILL, va, 0xde, SIZE)]), Ok(1))
                {
                    return false;
                }
            }
            keep.push((h, m));
        }
        true
    });
    let Ok(dev) = Device::open_render_asahi() else {
        tap.ok(false, "zeroed: open the device");
        return;
    };
    let mut clean = 0;
    let mut maps = Vec::new();
    for _ in 0..N {
        if let Ok((h, m)) = gpu::gem(&dev, SIZE) {
            if all(&m, SIZE as usize, 0) {
                clean += 1;
            }
            maps.push((h, m));
        }
    }
    tap.ok(
        dirtied == 1 && clean == N,
        format_args!("{clean}/{N} new objects zeroed after another process freed dirty ones"),
    );
}

/// GET_PARAMS defines every byte it copies out, and copies no more than asked.
fn params_bytes(tap: &mut Tap) {
    let Ok(dev) = Device::open_render_asahi() else {
        tap.ok(false, "params: open the device");
        return;
    };
    // The uAPI size (host-tested against the C header too): a build-time fact, not a test point.
    const N: usize = std::mem::size_of::<drm_asahi_params_global>();
    const _: () = assert!(N == 592, "drm_asahi_params_global is 592 bytes");
    let mut a = vec![0xa5u8; N + 64];
    let mut b = vec![0x5au8; N + 64];
    let ra = dev.get_params_into(0, &mut a[..N]);
    let rb = dev.get_params_into(0, &mut b[..N]);
    tap.ok(
        ra.is_ok() && rb.is_ok() && a[..N] == b[..N],
        "GET_PARAMS writes all 592 bytes (0xa5- and 0x5a-filled buffers read back equal)",
    );
    tap.ok(
        a[N..].iter().all(|x| *x == 0xa5) && b[N..].iter().all(|x| *x == 0x5a),
        "GET_PARAMS writes nothing past its size",
    );
    let mut big = vec![0xa5u8; N + 64];
    let args = drm_asahi_get_params {
        param_group: 0,
        pad: 0,
        pointer: big.as_mut_ptr() as u64,
        size: (N + 64) as u64,
    };
    // SAFETY: The kernel writes at most 592 bytes (the struct) into `big`, which holds 656.
    let r = unsafe {
        dev.ioctl(
            ioctl::DRM_IOCTL_ASAHI_GET_PARAMS,
            (&raw const args).cast_mut(),
        )
    };
    tap.ok(
        r.is_ok() && big[..N] == a[..N] && big[N..].iter().all(|x| *x == 0xa5),
        "a larger size gets exactly the struct, the rest untouched",
    );
    let mut small = [0xa5u8; 16];
    let r = dev.get_params_into(0, &mut small[..5]);
    tap.ok(
        r.is_ok() && small[..5] == a[..5] && small[5..].iter().all(|x| *x == 0xa5),
        "size 5 writes exactly 5 bytes",
    );
    let p = dev.get_params(0);
    let ok = p.as_ref().is_ok_and(|p| {
        let n = p.num_clusters_total as usize;
        p.core_masks[n.min(64)..].iter().all(|m| *m == 0)
            && p.core_masks[..n.min(64)].iter().all(|m| *m != 0)
            && p.vm_start < p.vm_end
            && p.max_commands_per_submission > 0
            && p.command_timestamp_frequency_hz > 0
    });
    tap.ok(
        ok,
        "GET_PARAMS: core masks set for present clusters, zero beyond; ranges sane",
    );
}

/// The DRM primary node (`/dev/dri/cardN`) of the asahi driver.
fn card_node() -> Option<String> {
    let mut names: Vec<String> = fs::read_dir("/dev/dri")
        .ok()?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("card"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| format!("/dev/dri/{n}"))
        .find(|p| {
            Device::open(p)
                .and_then(|d| d.version())
                .is_ok_and(|v| v.name == "asahi")
        })
}

/// Issues each `DRM_AUTH` asahi ioctl with zeroed arguments and returns the errnos.
fn auth_ioctls(dev: &Device) -> Vec<(&'static str, Option<i32>)> {
    let mut out = Vec::new();
    let mut t = drm_asahi_get_time::default();
    out.push(("GET_TIME", errno(dev.get_time(&mut t))));
    let p = dev.get_params(0).unwrap_or_default();
    let mut vc = drm_asahi_vm_create {
        kernel_start: p.vm_end.saturating_sub(32 << 30),
        kernel_end: p.vm_end,
        ..Default::default()
    };
    out.push(("VM_CREATE", errno(dev.vm_create(&mut vc))));
    out.push((
        "VM_DESTROY",
        errno(dev.vm_destroy(&drm_asahi_vm_destroy { vm_id: 1, pad: 0 })),
    ));
    out.push(("VM_BIND", errno(dev.vm_bind(1, &[]))));
    let mut g = drm_asahi_gem_create {
        size: PAGE,
        ..Default::default()
    };
    out.push(("GEM_CREATE", errno(dev.gem_create(&mut g))));
    let mut o = drm_asahi_gem_mmap_offset {
        handle: 1,
        ..Default::default()
    };
    out.push(("GEM_MMAP_OFFSET", errno(dev.gem_mmap_offset(&mut o))));
    let mut q = drm_asahi_queue_create {
        vm_id: 1,
        ..Default::default()
    };
    out.push(("QUEUE_CREATE", errno(dev.queue_create(&mut q))));
    out.push((
        "QUEUE_DESTROY",
        errno(dev.queue_destroy(&drm_asahi_queue_destroy {
            queue_id: 1,
            pad: 0,
        })),
    ));
    out.push((
        "SUBMIT",
        errno(dev.submit(1, &[], &[], &gpu::compute_cmd(0))),
    ));
    out
}

/// Drops `CAP_SYS_ADMIN` from this (single-threaded) process: the DRM core authenticates every
/// file opened with it, so a root test must drop it to be an ordinary client.
fn drop_sys_admin() -> bool {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Default, Clone, Copy)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const CAP_SYS_ADMIN: u32 = 21;
    let mut h = Header {
        version: 0x2008_0522,
        pid: 0,
    };
    let mut d = [Data::default(); 2];
    // SAFETY: `capget` writes two `Data` (capability version 3) and reads the header.
    let r = unsafe { libc::syscall(libc::SYS_capget, &raw mut h, d.as_mut_ptr()) };
    if r != 0 {
        return false;
    }
    d[0].effective &= !(1 << CAP_SYS_ADMIN);
    d[0].permitted &= !(1 << CAP_SYS_ADMIN);
    // SAFETY: As above; `capset` only reads.
    unsafe { libc::syscall(libc::SYS_capset, &raw mut h, d.as_ptr()) == 0 }
}

/// The primary-node checks, run in a child process without `CAP_SYS_ADMIN`; returns the
/// results as (passed, description).
fn primary_node_checks(card: &str) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    if !drop_sys_admin() {
        out.push((false, "drop CAP_SYS_ADMIN".to_string()));
        return out;
    }
    // The first opener becomes master (and is authenticated); the second is neither.
    let (master, other) = match (Device::open(card), Device::open(card)) {
        (Ok(a), Ok(b)) => (a, b),
        _ => {
            out.push((false, format!("open {card} twice")));
            return out;
        }
    };
    let got = auth_ioctls(&other);
    let refused: Vec<_> = got.iter().filter(|(_, e)| *e != Some(EACCES)).collect();
    out.push((
        refused.is_empty(),
        format!("unauthenticated client of {card}: every DRM_AUTH ioctl gets EACCES {refused:?}"),
    ));
    let mut b = drm_asahi_gem_bind_object::default();
    let e = errno(other.gem_bind_object(&mut b));
    out.push((
        matches!(e, Some(EACCES) | Some(EINVAL)),
        format!("GEM_BIND_OBJECT (no handler yet) is refused: {e:?}"),
    ));
    let p = other.get_params(0);
    out.push((
        p.is_ok(),
        format!(
            "unauthenticated client: GET_PARAMS (RENDER_ALLOW only) works: {:?}",
            p.err()
        ),
    ));
    let got = auth_ioctls(&master);
    let denied: Vec<_> = got.iter().filter(|(_, e)| *e == Some(EACCES)).collect();
    out.push((
        denied.is_empty(),
        format!("the master is not refused: {denied:?}"),
    ));

    // Authenticate the second client through the master: then it is no longer refused.
    let mut magic = 0u32;
    // SAFETY: `drm_auth` is one u32; GET_MAGIC writes it.
    let r1 = unsafe { other.ioctl(GET_MAGIC, &raw mut magic) };
    // SAFETY: AUTH_MAGIC reads one u32.
    let r2 = unsafe { master.ioctl(AUTH_MAGIC, &raw mut magic) };
    let mut t = drm_asahi_get_time::default();
    let r3 = other.get_time(&mut t);
    out.push((
        r1.is_ok() && r2.is_ok() && r3.is_ok(),
        format!("after AUTH_MAGIC the client may call GET_TIME: {r1:?} {r2:?} {r3:?}"),
    ));

    // A client opened while the master holds the node stays unauthenticated after the master
    // drops it.
    let late = Device::open(card);
    // SAFETY: DROP_MASTER takes no argument.
    let dropped = unsafe { master.ioctl(DROP_MASTER, std::ptr::null_mut::<u8>()) };
    let late_errs = late.map(|d| {
        let mut t = drm_asahi_get_time::default();
        errno(d.get_time(&mut t))
    });
    out.push((
        dropped.is_ok() && matches!(late_errs, Ok(Some(EACCES))),
        format!("after DROP_MASTER an unauthenticated client is still refused: {dropped:?} {late_errs:?}"),
    ));
    let mut t = drm_asahi_get_time::default();
    let r = master.get_time(&mut t);
    out.push((
        r.is_ok(),
        format!("the former master stays authenticated after DROP_MASTER: {r:?}"),
    ));
    out
}

fn primary_node(tap: &mut Tap) {
    let Some(card) = card_node() else {
        tap.ok(false, "primary node: find /dev/dri/cardN of asahi");
        return;
    };
    // The child reports through a file: one "0|1<TAB>description" line per check.
    let path = "/tmp/isolation-primary.txt";
    let _ = fs::remove_file(path);
    in_processes(1, |_| {
        let lines: String = primary_node_checks(&card)
            .into_iter()
            .map(|(ok, d)| format!("{}\t{d}\n", u8::from(ok)))
            .collect();
        fs::write(path, lines).is_ok()
    });
    let text = fs::read_to_string(path).unwrap_or_default();
    if text.is_empty() {
        tap.ok(false, "primary node: the checking process reported nothing");
    }
    for line in text.lines() {
        let (ok, d) = line.split_once('\t').unwrap_or(("0", line));
        tap.ok(ok == "1", d);
    }
}

fn main() {
    let mut tap = Tap::new();
    names(&mut tap);
    gpu_memory(&mut tap);
    zeroed(&mut tap);
    params_bytes(&mut tap);
    primary_node(&mut tap);
    tap.finish();
}
