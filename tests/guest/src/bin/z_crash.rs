//! The firmware crash path, end to end (runs last: the GPU is dead afterwards, until the module
//! is reloaded, which this program does in between its two crashes).
//!
//! 1. With allocation failure injected into the snapshot: no dump, every job still fails.
//! 2. Under load from several processes: a dump appears in devcoredump, reads whole, decodes
//!    (identity, crash log, segments, the event channel's ring state), every waiter wakes with
//!    ENODEV, new work gets ENODEV, a second crash adds nothing, and `agx-coredump collect`
//!    (run as the udev rule runs it) keeps the dump and its decoded report, then releases it.
//!    The dump is also printed (base64) for the host to check with readelf and the decoder.
//!    A user timestamp buffer bound at crash time (full of a marker unique to the run, which
//!    jobs in flight write timestamps into) has no byte in the dump: it appears as a
//!    user-memory segment without data, and no segment with data lies in the timestamp window.
//!    The dump shows the state from before the jobs failed: a low-priority queue's commands the
//!    firmware had not run are listed as not run, as many as userspace then sees fail with
//!    ENODEV (give or take the one running), the jobs whose fences succeeded have their end
//!    timestamps written and none of the failed ones but the one running does.
//!    Before the crash, a faulting job's firmware log line ("fw: GPU fault ...") reaches the
//!    kernel log; the decoded dump holds firmware log text (boot, fault, crash) and KTrace
//!    records.

use agx_coredump::format::Dump;
use asahi_guest_tests::gpu::{self, op, Ctx, DATA_VA};
use asahi_guest_tests::kmsg;
use asahi_guest_tests::Tap;
use asahi_uapi::bindings::*;
use std::process::Command;

const ENODEV: i32 = libc::ENODEV;

fn crash() -> bool {
    gpu::debugfs_dir().is_some_and(|d| std::fs::write(d.join("crash_firmware"), "1").is_ok())
}

/// Submits `n` slow jobs with a binary out-syncobj each; returns the syncobjs.
fn load(ctx: &mut Ctx, n: usize) -> Vec<u32> {
    let s = ctx.put_stream(&[(op::DELAY, 0, 0, 20_000), (op::WRITE32, DATA_VA, 1, 0)]);
    (0..n)
        .filter_map(|_| {
            let so = ctx.dev.syncobj_create(0).ok()?;
            ctx.compute(s, &[], &[gpu::sync(so)]).ok()?;
            Some(so)
        })
        .collect()
}

/// Waits for every syncobj; returns (signalled ok, failed with ENODEV, other).
fn outcomes(ctx: &Ctx, sos: &[u32]) -> (usize, usize, usize) {
    let mut r = (0, 0, 0);
    for &so in sos {
        match gpu::wait(&ctx.dev, so).and_then(|_| gpu::fence_status(&ctx.dev, so)) {
            Ok(1) => r.0 += 1,
            Ok(s) if s == -ENODEV => r.1 += 1,
            other => {
                println!("# syncobj {so}: unexpected outcome {other:?}");
                r.2 += 1
            }
        }
    }
    r
}

/// The firmware half's timestamp window, where the driver maps user timestamp buffers.
const TS_WINDOW: std::ops::Range<u64> = 0xffff_ffae_1000_0000..0xffff_ffae_1400_0000;

/// A compute command for the stream at `va` writing its start and end timestamps into bound
/// object `obj` at `start` and `end`.
fn timestamped_cmd(va: u64, obj: u32, start: u32, end: u32) -> Vec<u8> {
    let mut cmd = gpu::compute_cmd(va);
    // The compute command's timestamp references follow its 8-byte header, at 48 and 56.
    for (at, off) in [(8 + 48, start), (8 + 56, end)] {
        cmd[at..at + 4].copy_from_slice(&obj.to_le_bytes());
        cmd[at + 4..at + 8].copy_from_slice(&off.to_le_bytes());
    }
    cmd
}

/// The user buffer's marker: unique to this run, so finding it in the dump can only mean the
/// buffer was copied.
fn marker() -> Vec<u8> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-parameter.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    format!(
        "ASAHI-USER-TIMESTAMP-BUFFER {:08x}{:08x} {} ",
        ts.tv_sec,
        ts.tv_nsec,
        std::process::id()
    )
    .into_bytes()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// `(commands not run)` of each work queue of firmware priority `prio` the decoder lists.
fn queues_not_run(report: &str, prio: u32) -> Vec<u32> {
    let tag = format!(", priority {prio}, ");
    report
        .lines()
        .filter(|l| l.contains("QueueInfo @") && l.contains(&tag))
        .filter_map(|l| {
            let last = l.rsplit(", ").next()?;
            last.strip_suffix(" commands not run")?.parse().ok()
        })
        .collect()
}

/// Jobs on the low-priority queue before the crash.
const LOW_JOBS: usize = 8;

fn reload() -> bool {
    let ok = |c: &mut Command| c.status().is_ok_and(|s| s.success());
    ok(Command::new("rmmod").arg("asahi"))
        && ok(Command::new("insmod").arg("/lib/modules/asahi.ko"))
}

fn main() {
    let mut tap = Tap::new();

    // --- 1: snapshot allocation fails ---
    let first = (|| {
        let mut ctx = Ctx::new().ok()?;
        let dir = gpu::debugfs_dir()?;
        std::fs::write(dir.join("crash_dump_fail_after"), "2").ok()?;
        let sos = load(&mut ctx, 8);
        let crashed = crash();
        Some((crashed, outcomes(&ctx, &sos)))
    })();
    tap.ok(
        matches!(first, Some((true, (_, failed, 0))) if failed > 0),
        format_args!(
            "crash with the snapshot out of memory: jobs still fail with ENODEV {first:?}"
        ),
    );
    let no_dump = gpu::poll_until(500, || !gpu::devcoredumps().is_empty());
    tap.ok(!no_dump, "no dump when the snapshot cannot be allocated");
    tap.ok(reload(), "the module reloads after a crash");

    // --- 2: crash under load ---
    let mut ctx = tap.require(Ctx::new(), "context after reload");
    // The firmware log: the firmware logs a job's fault, and the driver prints it.
    let fault_va: u64 = 0x0070_0000_0040;
    let faulted = (|| {
        let s = ctx.put_stream(&[(op::READ32, fault_va, 0, 0)]);
        let so = ctx.dev.syncobj_create(0).ok()?;
        ctx.compute(s, &[], &[gpu::sync(so)]).ok()?;
        gpu::wait(&ctx.dev, so).ok()?;
        gpu::fence_status(&ctx.dev, so).ok()
    })();
    let addr = format!("at {fault_va:#x}");
    let logged = gpu::poll_until(3000, || kmsg::logged(&["fw: GPU fault: ", &addr]));
    tap.ok(
        faulted == Some(-libc::EIO) && logged,
        format_args!("the firmware's fault log line reaches the kernel log (fence {faulted:?})"),
    );
    // The driver's side: the Fault message made it read the fault register over MMIO and
    // decode it (reason, access, address, unit, context slot of the faulting VM).
    let decoded = gpu::poll_until(3000, || {
        kmsg::logged(&["GPU fault #1: Unmapped read ", &addr, "unit ", "vm slot "])
    });
    tap.ok(
        decoded,
        "the driver decodes the fault from the fault register (reason, access, address, unit)",
    );
    tap.ok(
        kmsg::logged(&["fw: virtual AGX firmware 13.5 booted"]),
        "the firmware's boot log line is in the kernel log",
    );

    // Other processes keep the GPU busy and wait on their own jobs across the crash.
    let children: Vec<i32> = (0..3)
        .map(|_| {
            // SAFETY: Single-threaded program.
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                let ok = Ctx::new().is_ok_and(|mut c| {
                    let sos = load(&mut c, 20);
                    let (_, _, other) = outcomes(&c, &sos);
                    other == 0
                });
                // SAFETY: Child exit.
                unsafe { libc::_exit(if ok { 0 } else { 1 }) };
            }
            pid
        })
        .collect();
    // A user timestamp buffer, bound at crash time: 1 KiB of zeros for the timestamps, then a
    // marker unique to this run; jobs on a low-priority queue (the only one at firmware
    // priority 3) write their start and end times into it.
    let mark = marker();
    let ts_size = 2 * gpu::PAGE;
    let ts = gpu::gem(&ctx.dev, ts_size).ok().and_then(|(handle, map)| {
        let mut fill = vec![0u8; ts_size as usize];
        for chunk in fill[1024..].chunks_mut(mark.len()) {
            chunk.copy_from_slice(&mark[..chunk.len()]);
        }
        map.write(0, &fill);
        let mut b = drm_asahi_gem_bind_object {
            op: DRM_ASAHI_BIND_OBJECT_OP_BIND,
            flags: DRM_ASAHI_BIND_OBJECT_USAGE_TIMESTAMPS,
            handle,
            range: ts_size,
            ..Default::default()
        };
        ctx.dev.gem_bind_object(&mut b).ok()?;
        Some((b.object_handle, map))
    });
    tap.ok(ts.is_some(), "a user timestamp buffer bound for the crash");
    let mut low = drm_asahi_queue_create {
        vm_id: ctx.vm,
        priority: DRM_ASAHI_PRIORITY_LOW,
        usc_exec_base: gpu::USC_BASE,
        ..Default::default()
    };
    let low_ok = ctx.dev.queue_create(&mut low).is_ok();
    // Half a second each (the longest DELAY is 100 ms): the crash comes a few hundred ms
    // after they are queued, so most are still in the ring, whatever the scheduling.
    let slow = ctx.put_stream(&[(op::DELAY, 0, 0, 100_000); 5]);
    let low_sos: Vec<u32> = (0..LOW_JOBS)
        .filter_map(|i| {
            let (obj, _) = ts.as_ref()?;
            let so = ctx.dev.syncobj_create(0).ok()?;
            let cmd = timestamped_cmd(slow, *obj, 16 * i as u32, 16 * i as u32 + 8);
            ctx.dev
                .submit(low.queue_id, &[], &[gpu::sync(so)], &cmd)
                .ok()?;
            Some(so)
        })
        .collect();
    tap.ok(
        low_ok && low_sos.len() == LOW_JOBS,
        format_args!("{} timestamped jobs queued at low priority", low_sos.len()),
    );
    let sos = load(&mut ctx, 30);
    std::thread::sleep(std::time::Duration::from_millis(100));
    tap.ok(crash(), "crash_firmware accepted");
    let (done, failed, other) = outcomes(&ctx, &sos);
    // Per low-priority job: did its fence succeed, and was its end timestamp written?
    let low_jobs: Vec<(Option<i32>, u64)> = low_sos
        .iter()
        .enumerate()
        .map(|(i, &so)| {
            let st = gpu::wait(&ctx.dev, so)
                .and_then(|_| gpu::fence_status(&ctx.dev, so))
                .ok();
            let mut b = [0u8; 8];
            if let Some((_, map)) = &ts {
                map.read(16 * i + 8, &mut b);
            }
            (st, u64::from_le_bytes(b))
        })
        .collect();
    let low_failed = low_jobs.iter().filter(|(s, _)| *s == Some(-ENODEV)).count();
    // One queue runs in order: the completed jobs come first and all wrote their end time;
    // of the failed ones only the first (running when the firmware crashed, its completion
    // never reported) may have got as far as its end timestamp.
    let done_low = low_jobs.iter().take_while(|(s, _)| *s == Some(1)).count();
    let rest = &low_jobs[done_low..];
    tap.ok(
        low_jobs[..done_low].iter().all(|(_, end)| *end != 0)
            && rest.iter().all(|(s, _)| *s == Some(-ENODEV))
            && rest.iter().skip(1).all(|(_, end)| *end == 0),
        format_args!(
            "low-priority jobs: the completed ones ran first and wrote their end timestamp, \
             the failed ones after the running one did not ({low_jobs:?})"
        ),
    );
    let mut user_bytes = vec![0u8; ts_size as usize];
    if let Some((_, map)) = &ts {
        map.read(0, &mut user_bytes);
    }
    tap.ok(
        contains(&user_bytes[1024..], &mark),
        "the user buffer still holds its marker (the dump search below can fail)",
    );
    tap.ok(
        other == 0 && failed > 0,
        format_args!(
            "every waiter woke: {done} completed before the crash, {failed} failed with ENODEV"
        ),
    );
    let kids_ok = children.iter().all(|&pid| {
        let mut st = 0;
        // SAFETY: `pid` is our child.
        unsafe {
            libc::waitpid(pid, &mut st, 0) == pid
                && libc::WIFEXITED(st)
                && libc::WEXITSTATUS(st) == 0
        }
    });
    tap.ok(kids_ok, "waiters in 3 other processes woke too");
    let st = gpu::compute_cmd(gpu::CMD_VA);
    tap.ok(
        ctx.dev
            .submit(ctx.queue, &[], &[], &st)
            .err()
            .and_then(|e| e.raw_os_error())
            == Some(ENODEV),
        "SUBMIT after the crash -> ENODEV",
    );
    tap.ok(
        ctx.dev.get_params(0).err().and_then(|e| e.raw_os_error()) == Some(ENODEV),
        "GET_PARAMS after the crash -> ENODEV",
    );
    let mut qc = drm_asahi_queue_create {
        vm_id: ctx.vm,
        ..Default::default()
    };
    tap.ok(
        ctx.dev
            .queue_create(&mut qc)
            .err()
            .and_then(|e| e.raw_os_error())
            == Some(ENODEV),
        "QUEUE_CREATE after the crash -> ENODEV",
    );

    // The dump.
    let appeared = gpu::poll_until(3000, || gpu::devcoredumps().len() == 1);
    let dumps = gpu::devcoredumps();
    tap.ok(appeared, format_args!("one devcoredump: {dumps:?}"));
    let dir = dumps.first().cloned().unwrap_or_default();
    let failing = std::fs::read_link(dir.join("failing_device")).map(|p| p.display().to_string());
    tap.ok(
        failing.as_ref().is_ok_and(|p| p.ends_with("agx-virtual")),
        format_args!("failing_device is the AGX: {failing:?}"),
    );
    let bytes = std::fs::read(dir.join("data")).unwrap_or_default();
    let parsed = Dump::parse(&bytes);
    tap.ok(
        parsed.is_ok(),
        format_args!("the dump ({} bytes) is a valid AGX ELF core", bytes.len()),
    );
    if let Ok(d) = &parsed {
        let info = d.agx_info().ok().flatten();
        tap.ok(
            info.is_some_and(|i| {
                i.chip_id == 0x8103
                    && i.gpu_gen == 13
                    && i.initdata_address == 0xffff_ffa0_0000_0000
            }),
            format_args!("AGX note: {info:?}"),
        );
        let log = d.crashlog().map(String::from_utf8_lossy);
        tap.ok(
            log.as_ref()
                .is_some_and(|l| l.contains("virtual AGX firmware crash")),
            format_args!("RTKIT note holds the crash log: {log:?}"),
        );
        tap.ok(
            d.segment_count() >= 2,
            format_args!("{} PT_LOAD segments", d.segment_count()),
        );
        // User memory: never in the dump.
        tap.ok(
            !contains(&bytes, &mark),
            "no byte run of the bound user timestamp buffer (its marker) is in the dump",
        );
        let user: Vec<_> = d.segments().filter(|s| s.is_user()).collect();
        let data_in_window = d.segments().filter(|s| {
            s.has_data && s.vaddr < TS_WINDOW.end && s.vaddr + s.memsz > TS_WINDOW.start
        });
        tap.ok(
            !user.is_empty()
                && user
                    .iter()
                    .all(|s| !s.has_data && TS_WINDOW.contains(&s.vaddr))
                && user.iter().map(|s| s.memsz).sum::<u64>() >= ts_size
                && data_in_window.count() == 0,
            format_args!(
                "the timestamp window is in the dump as user-memory segments without data: {user:?}"
            ),
        );
        let report = agx_coredump::report::render(&bytes, &Default::default());
        tap.ok(
            report
                .as_ref()
                .is_ok_and(|r| r.lines().any(|l| l.contains("user memory, not captured"))),
            "the decoder shows the user buffer as \"user memory, not captured\"",
        );
        // The state from before the jobs failed: the low-priority queue's commands the
        // firmware had not run are still queued in the dumped ring.
        let not_run = report
            .as_ref()
            .map(|r| queues_not_run(r, 3))
            .unwrap_or_default();
        tap.ok(
            matches!(not_run[..], [k] if k >= 1
                && (k as usize) <= low_failed
                && low_failed <= k as usize + 1),
            format_args!(
                "the dump lists the low-priority queue's unrun commands {not_run:?} \
                 as userspace saw them fail ({low_failed} ENODEV of {LOW_JOBS})"
            ),
        );
        if let Ok(r) = &report {
            for line in r.lines().filter(|l| l.contains("priority 3,")) {
                tap.diag(line);
            }
        }
        let ok = report
            .as_ref()
            .is_ok_and(|r| r.contains("event") && r.contains("0x8103"));
        tap.ok(ok, "the decoder renders the dump, with the event channel");
        let fwlog_ok = report.as_ref().is_ok_and(|r| {
            r.lines()
                .any(|l| l.contains("fwlog #") && l.contains("virtual AGX firmware 13.5 booted"))
                && r.lines()
                    .any(|l| l.contains("fwlog #") && l.contains(" warn ") && l.contains(&addr))
                && r.lines().any(|l| {
                    l.contains("fwlog #")
                        && l.contains(" error ")
                        && l.contains("firmware crash: crash requested")
                })
        });
        tap.ok(
            fwlog_ok,
            "the decoded dump holds the firmware log: boot, fault and crash lines",
        );
        let ktrace_n = report.as_ref().map_or(0, |r| {
            r.lines()
                .filter(|l| l.trim_start().starts_with("ktrace t="))
                .count()
        });
        tap.ok(
            ktrace_n > 0,
            format_args!("the decoded dump holds {ktrace_n} KTrace records"),
        );
        // FwStatus, Globals and HwDataA/B decoded from their real layouts: the fault above
        // halted the firmware once (FwStatus.halt_count), Globals shows its named fields and
        // pending stamps, and each HwData block is either decoded or reported as not set.
        let line_of = |prefix: &str| {
            report.as_ref().ok().and_then(|r| {
                r.lines()
                    .map(str::trim_start)
                    .find(|l| l.starts_with(prefix))
                    .map(str::to_owned)
            })
        };
        let fw_status = line_of("FwStatus @");
        let halts = fw_status.as_deref().and_then(|l| {
            l.split("halt_count ")
                .nth(1)?
                .split(',')
                .next()?
                .parse::<u32>()
                .ok()
        });
        tap.ok(
            halts.is_some_and(|n| n >= 1)
                && fw_status.as_deref().is_some_and(|l| l.contains("resume ")),
            format_args!("the decoded FwStatus counts the fault's halt ({fw_status:?})"),
        );
        let globals = line_of("Globals @");
        tap.ok(
            globals.as_deref().is_some_and(|l| {
                l.contains("ktrace_enable ")
                    && l.contains("fault_control ")
                    && l.contains("idle_off_delay_ms ")
            }) && line_of("pending_stamps: ").is_some(),
            format_args!("the decoded Globals shows its named fields ({globals:?})"),
        );
        // HwDataA/B are the t8103's (the bootloader's hw-cal blobs the driver copied): the
        // chip, its clock and its frequency table, and the performance-state fields of A.
        let hwdata_b = line_of("HwDataB @");
        tap.ok(
            hwdata_b.as_deref().is_some_and(|l| {
                l.contains("chip_id 0x8103,")
                    && l.contains("num_cores 8,")
                    && l.contains("base_clock_khz 24000,")
            }) && line_of("frequencies (MHz): ")
                .is_some_and(|l| l.ends_with("[0, 396, 528, 720, 924, 1128, 1278]")),
            format_args!(
                "the decoded HwDataB names the t8103 and its frequency table ({hwdata_b:?})"
            ),
        );
        let hwdata_a = line_of("HwDataA @");
        tap.ok(
            hwdata_a.as_deref().is_some_and(|l| {
                l.contains("max_pstate_scaled ") && l.contains("power_zone_count 1")
            }),
            format_args!("the decoded HwDataA shows its named fields ({hwdata_a:?})"),
        );
        if let Ok(r) = &report {
            for line in r.lines().filter(|l| l.contains("fwlog #")).take(8) {
                tap.diag(line);
            }
        }
        if let Ok(r) = &report {
            for line in r
                .lines()
                .filter(|l| l.contains("event") || l.contains("Event"))
                .take(6)
            {
                tap.diag(line);
            }
        }
    } else {
        for what in [
            "AGX note",
            "crash log",
            "segments",
            "user memory not in the dump",
            "user-memory segments",
            "decoder: user memory",
            "unrun commands",
            "decoder",
            "firmware log",
            "ktrace",
            "FwStatus",
            "Globals",
            "HwDataA",
            "HwDataB",
        ] {
            tap.ok(false, format_args!("{what} # no dump"));
        }
    }
    // For the host: the dump as base64 between markers.
    let b64 = Command::new("base64").arg(dir.join("data")).output();
    if let Ok(out) = b64 {
        println!("ASAHI-DUMP-BEGIN {}", std::env::consts::ARCH);
        print!("{}", String::from_utf8_lossy(&out.stdout));
        println!("ASAHI-DUMP-END");
    }

    // A second crash while the dump is pending adds nothing.
    let _ = crash();
    std::thread::sleep(std::time::Duration::from_millis(300));
    tap.ok(
        gpu::devcoredumps().len() == 1,
        "a second crash while a dump is pending adds no dump",
    );
    collect(&mut tap, &dir, &bytes);
    tap.finish();
}

/// Plays udev's role for the dump at `dir` (whose data is `bytes`): the rule
/// (`tools/udev/99-asahi-coredump.rules`) matches it by its failing device's uevent and runs
/// `agx-coredump collect DIR $sys$devpath`, which keeps the dump and its report and releases it.
fn collect(tap: &mut Tap, dir: &std::path::Path, bytes: &[u8]) {
    let uevent = std::fs::read_to_string(dir.join("failing_device/uevent")).unwrap_or_default();
    tap.ok(
        uevent.lines().any(|l| l == "DRIVER=asahi"),
        format_args!("the failing device's uevent has DRIVER=asahi, which the udev rule matches"),
    );
    // `$sys$devpath`: the device's own sysfs directory, not the class symlink.
    let devpath = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let keep = std::path::Path::new("/tmp/asahi-coredumps");
    let run = || {
        Command::new("agx-coredump")
            .arg("collect")
            .arg(keep)
            .arg(&devpath)
            .output()
    };
    let first = run();
    let kept = |ext: &str| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(keep)
            .map(|d| d.flatten().map(|e| e.path()).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == ext))
            .collect()
    };
    let elf = kept("elf");
    let same = elf.len() == 1 && std::fs::read(&elf[0]).is_ok_and(|b| b == bytes);
    tap.ok(
        first.as_ref().is_ok_and(|o| o.status.success()) && same && !bytes.is_empty(),
        format_args!(
            "collect keeps the dump's {} bytes as {elf:?} ({:?})",
            bytes.len(),
            first
                .as_ref()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        ),
    );
    let report = elf
        .first()
        .and_then(|e| std::fs::read_to_string(e.with_extension("txt")).ok())
        .unwrap_or_default();
    let json = elf
        .first()
        .and_then(|e| std::fs::read_to_string(e.with_extension("json")).ok())
        .unwrap_or_default();
    tap.ok(
        report.contains("AGX GPU crash dump")
            && report.contains("chip:          t8103")
            && report.contains("RTKit crash log (")
            && !report.contains("Warnings (")
            && json.contains("\"complete\": true")
            && json.contains("\"chip\": \"t8103\""),
        format_args!(
            "the decoded report (.txt, {} bytes) and its JSON ({} bytes) are kept beside it",
            report.len(),
            json.len()
        ),
    );
    let released = gpu::poll_until(3000, || gpu::devcoredumps().is_empty());
    tap.ok(released, "collect released the devcoredump");
    // The rule firing again, or a run after the dump went: nothing to do, nothing lost.
    let again = run();
    tap.ok(
        again.as_ref().is_ok_and(|o| {
            o.status.success() && String::from_utf8_lossy(&o.stdout).contains("nothing to collect")
        }) && kept("elf") == elf,
        format_args!(
            "collect again on the vanished dump succeeds and changes nothing ({:?})",
            again.map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        ),
    );
}
