//! The README demo's guest side: a Mesa-like client on the virtual AGX, then a firmware crash
//! and its dump.
//!
//! 1. Mesa's start-up: find the render node by driver name, GET_PARAMS, VM_CREATE with Mesa's
//!    kernel window, the zero page / scratch / printf-buffer binds, QUEUE_CREATE.
//! 2. A frame: one submit with a compute command and a render command (with fragment
//!    attachments), two out-syncs (a binary syncobj and a timeline point), then the CPU reads
//!    back what the GPU wrote.
//! 3. Crash the firmware (debugfs), show that waiters get ENODEV, and decode the devcoredump
//!    with `agx-coredump` (then print it base64 for the host and dismiss it).

use asahi_guest_tests::gpu::{self, op, Ctx, DATA_VA, PAGE};
use asahi_guest_tests::render;
use std::process::Command;

fn main() {
    let mut ctx = match Ctx::new() {
        Ok(c) => c,
        Err(e) => {
            println!("demo: cannot open the asahi device: {e}");
            std::process::exit(1);
        }
    };
    let v = ctx.dev.version().expect("version");
    let p = ctx.dev.get_params(0).expect("params");
    println!(
        "demo: {} {}.{}.{}: Apple M{}{} (G{}{} {}{}), {} cores, VA {:#x}..{:#x}",
        v.name,
        v.major,
        v.minor,
        v.patchlevel,
        p.gpu_generation - 12,
        match p.gpu_variant as u8 {
            b'G' => "",
            b'S' => " Pro",
            b'C' => " Max",
            _ => " Ultra",
        },
        p.gpu_generation,
        p.gpu_variant as u8 as char,
        (b'A' + (p.gpu_revision >> 4) as u8) as char,
        p.gpu_revision & 0xf,
        p.core_masks[0].count_ones(),
        p.vm_start,
        p.vm_end
    );
    println!(
        "demo: VM {} and queue {} created, buffers bound at {:#x}",
        ctx.vm, ctx.queue, DATA_VA
    );

    // A "frame": compute fills a tile, render copies it and stamps a value.
    let bin = ctx.dev.syncobj_create(0).expect("syncobj");
    let tl = ctx.dev.syncobj_create(0).expect("syncobj");
    let cs = ctx.put_stream(&[(op::FILL, DATA_VA + PAGE, 0x42, PAGE)]);
    let vs = ctx.put_vdm(&[
        (op::COPY, DATA_VA + 2 * PAGE, DATA_VA + PAGE, 64),
        (op::WRITE32, DATA_VA, 0xf00d, 0),
    ]);
    let cmd = render::with_geometry(gpu::frame_cmd(cs, vs, 24), &render::FULL_HD);
    ctx.dev
        .submit(
            ctx.queue,
            &[],
            &[gpu::sync(bin), gpu::timeline(tl, 1)],
            &cmd,
        )
        .expect("submit");
    gpu::wait(&ctx.dev, bin).expect("wait");
    ctx.dev
        .syncobj_timeline_wait(&[tl], &[1], gpu::deadline(10_000), 0)
        .expect("timeline wait");
    let mut tile = [0u8; 4];
    ctx.data_map.read((2 * PAGE) as usize, &mut tile);
    println!(
        "demo: frame done: stamp {:#x}, copied tile starts {:02x?} (compute filled 0x42)",
        ctx.read_u32(0),
        tile
    );

    // Crash the firmware with work in flight.
    let slow = ctx.put_stream(&[(op::DELAY, 0, 0, 50_000)]);
    let pending: Vec<u32> = (0..8)
        .filter_map(|_| {
            let so = ctx.dev.syncobj_create(0).ok()?;
            ctx.compute(slow, &[], &[gpu::sync(so)]).ok()?;
            Some(so)
        })
        .collect();
    let dir = gpu::debugfs_dir().expect("asahi debugfs directory");
    std::fs::write(dir.join("crash_firmware"), "1").expect("crash_firmware");
    println!(
        "demo: firmware crash requested with {} jobs in flight",
        pending.len()
    );
    let failed = pending
        .iter()
        .filter(|&&so| {
            gpu::wait(&ctx.dev, so).is_ok()
                && gpu::fence_status(&ctx.dev, so).is_ok_and(|s| s == -libc::ENODEV)
        })
        .count();
    println!("demo: {failed} waiters woke with ENODEV");
    let err = ctx.dev.get_params(0).err();
    println!("demo: GET_PARAMS now fails with {err:?}");

    gpu::poll_until(3000, || !gpu::devcoredumps().is_empty());
    let Some(dump) = gpu::devcoredumps().into_iter().next() else {
        println!("demo: no devcoredump appeared");
        std::process::exit(1);
    };
    let data = dump.join("data");
    println!("demo: {} -> agx-coredump:", data.display());
    let out = Command::new("agx-coredump")
        .arg(&data)
        .output()
        .expect("agx-coredump");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    if let Ok(b64) = Command::new("base64").arg(&data).output() {
        println!("ASAHI-DUMP-BEGIN {}", std::env::consts::ARCH);
        print!("{}", String::from_utf8_lossy(&b64.stdout));
        println!("ASAHI-DUMP-END");
    }
    let _ = std::fs::write(&data, "1");
    gpu::poll_until(3000, || gpu::devcoredumps().is_empty());
    std::process::exit(if out.status.success() && failed > 0 {
        0
    } else {
        1
    });
}
