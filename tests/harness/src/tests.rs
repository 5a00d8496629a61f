//! The harness's verdicts on captured and edited console logs.

use super::*;

pub(crate) const CLEAN: &str = "\
[    0.000000] Linux version 6.12.117
ASAHI-HARNESS-BEGIN arch=x86_64 pagesize=4096
ASAHI-INSMOD exit=0
ASAHI-TEST-BEGIN drm_basics
TAP version 13
1..2
ok 1 - render node exists
[    3.100000] asahi agx-virtual: registered asahi DRM device
ok 2 - version name is asahi
ASAHI-TEST-END drm_basics exit=0
ASAHI-RMMOD exit=0
ASAHI-KMEMLEAK-BEGIN
ASAHI-KMEMLEAK-END
ASAHI-HARNESS-DONE
";

/// Asserts that `log` passes with `drm_basics` run and its two points reported, both ok.
fn assert_passes(log: &str) {
    let r = parse(log);
    assert_eq!(r.failures(&["drm_basics"]), vec![]);
    assert_eq!(r.counts(), (2, 0));
}

#[test]
fn clean_log_passes() {
    assert_passes(CLEAN);
}

#[test]
fn refusal_debug_messages_are_not_failures() {
    // What `module asahi +p` prints (the `refusals` program and anyone debugging a client):
    // refusals naming field, rule and errno, on the console if the log level lets them.
    let log = CLEAN.replace(
        "ok 2 - version",
        "[    3.2] asahi agx-virtual: VM_BIND: ops[1].flags: unknown flag 0x100: EINVAL\n\
         [    3.2] asahi agx-virtual: SUBMIT: syncs[0].handle: no such syncobj 999: ENOENT\n\
         [    3.3] asahi agx-virtual: VM_CREATE: VMs: the file already holds 1024: ENOSPC\n\
         [    3.3] asahi agx-virtual: SUBMIT: cmdbuf@0x0.cmd_type: unknown command type 9: \
         EINVAL\n\
         ok 2 - version",
    );
    assert_passes(&log);
}

#[test]
fn missing_program_fails() {
    let r = parse(CLEAN);
    let f = r.failures(&["drm_basics", "uapi_conformance"]);
    assert_eq!(f, vec![Failure("uapi_conformance: never ran".into())]);
}

#[test]
fn warn_splat_fails() {
    let log = CLEAN.replace(
        "ok 2 - version",
        "[    3.2] ------------[ cut here ]------------\n\
         [    3.2] WARNING: CPU: 1 PID: 77 at drivers/gpu/drm/asahi/x.c:1 f+0x1/0x2\n\
         ok 2 - version",
    );
    let f = parse(&log).failures(&["drm_basics"]);
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(f.iter().all(|x| x.0.starts_with("kernel splat")));
}

#[test]
fn kasan_lockdep_and_sleep_splats_fail() {
    for s in [
        "BUG: KASAN: slab-use-after-free in asahi_foo+0x10/0x20",
        "WARNING: possible circular locking dependency detected",
        "BUG: sleeping function called from invalid context at mm/slub.c:1",
        "Unable to handle kernel NULL pointer dereference at virtual address 0",
    ] {
        let log = CLEAN.replace("ASAHI-RMMOD", &format!("[ 4.0] {s}\nASAHI-RMMOD"));
        assert!(!parse(&log).failures(&["drm_basics"]).is_empty(), "{s}");
    }
}

#[test]
fn kmemleak_report_fails() {
    let log = CLEAN.replace(
        "ASAHI-KMEMLEAK-BEGIN\n",
        "ASAHI-KMEMLEAK-BEGIN\nunreferenced object 0xffff888 (size 64):\n  comm \"insmod\"\n",
    );
    let f = parse(&log).failures(&["drm_basics"]);
    assert!(f.iter().any(|x| x.0.starts_with("kmemleak")), "{f:?}");
}

#[test]
fn failed_rmmod_fails() {
    let log = CLEAN.replace("ASAHI-RMMOD exit=0", "ASAHI-RMMOD exit=1");
    let f = parse(&log).failures(&["drm_basics"]);
    assert_eq!(f, vec![Failure("rmmod asahi: Some(1)".into())]);
}

#[test]
fn crash_mid_program_fails() {
    let cut = CLEAN.find("ok 2").unwrap();
    let r = parse(&CLEAN[..cut]);
    let f = r.failures(&["drm_basics"]);
    assert!(f.contains(&Failure("drm_basics: did not finish".into())));
    assert!(f.contains(&Failure("drm_basics: planned 2 tests, reported 1".into())));
    assert!(f.contains(&Failure("guest did not reach the end of /init".into())));
}

#[test]
fn not_ok_and_exit_status_fail() {
    let log = CLEAN
        .replace("ok 2 - version", "not ok 2 - version")
        .replace("drm_basics exit=0", "drm_basics exit=1");
    let f = parse(&log).failures(&["drm_basics"]);
    assert!(f.contains(&Failure("drm_basics: exited with status 1".into())));
    assert!(f.contains(&Failure(
        "drm_basics: not ok 2 - version name is asahi".into()
    )));
    assert_eq!(parse(&log).counts(), (1, 1));
}

#[test]
fn kernel_lines_do_not_count_for_user_programs() {
    let log = CLEAN.replace(
        "ok 2 - version name is asahi\n",
        "ok 2 - version name is asahi\n[   5.1] ok 1 asahi_idmap\n[   5.2] 1..7\n",
    );
    assert_passes(&log);
}

#[test]
fn trailing_plan_is_accepted() {
    let log = CLEAN.replace("1..2\n", "").replace(
        "ok 2 - version name is asahi\n",
        "ok 2 - version name is asahi\n1..2\n",
    );
    assert_passes(&log);
}

#[test]
fn ktap_subtests_count_through_parent() {
    let log = CLEAN.replace(
        "1..2\nok 1 - render node exists",
        "1..2\n    KTAP version 1\n    1..1\n    ok 1 case\nok 1 - render node exists",
    );
    // Indented subtest lines do not count as top-level points.
    assert_passes(&log);
}

#[test]
fn failed_ktap_subtest_fails_even_under_an_ok_parent() {
    let log = CLEAN.replace(
        "1..2\nok 1 - render node exists",
        "1..2\n    KTAP version 1\n    # Subtest: nodes\n    1..1\n    not ok 1 case\n\
         ok 1 - render node exists",
    );
    assert_eq!(parse(&log).counts(), (2, 0));
    assert_eq!(
        parse(&log).failures(&["drm_basics"]),
        vec![Failure("drm_basics: nodes: not ok 1 case".into())]
    );
}

/// A real run's module load in test mode (x86_64 guest, console as captured), KUnit's KTAP
/// included.
const KUNIT: &str = "\
ASAHI-HARNESS-BEGIN arch=x86_64 pagesize=?
KernelPageSize:        4 kB
ASAHI-TEST-BEGIN kunit
[   14.906047] asahi: loading out-of-tree module taints kernel.
[   14.961099] asahi agx-virtual: AGX G13G C0 (chip 0x8103), virtual backend
[   14.996819] [drm] Initialized asahi 1.0.0 for agx-virtual on minor 1
[   14.997373] asahi agx-virtual: registered asahi DRM device
[   15.003343] KTAP version 1
[   15.004498] 1..2
[   15.010096]     KTAP version 1
[   15.010772]     # Subtest: asahi_idmap
[   15.011216]     # module: asahi
[   15.012415]     1..5
[   15.025750]     ok 1 ids_start_at_one
[   15.037278]     ok 2 reuses_lowest_free_id
[   15.047877]     ok 3 limit_gives_enospc
[   15.060322]     ok 4 remove_unknown_and_zero_ids
[   15.069600]     ok 5 get_after_remove
[   15.070426] # asahi_idmap: pass:5 fail:0 skip:0 total:5
[   15.071066] # Totals: pass:5 fail:0 skip:0 total:5
[   15.072044] ok 1 asahi_idmap
[   15.074616]     KTAP version 1
[   15.074830]     # Subtest: asahi_vm
[   15.075007]     # module: asahi
[   15.076286]     1..7
[   15.082802]     ok 1 accepts_mesa_window
[   15.089697]     ok 2 accepts_boundaries
[   15.102205]     ok 3 rejects_outside_user_range
[   15.110388]     ok 4 rejects_empty_and_reversed
[   15.118023]     ok 5 rejects_too_small
[   15.126525]     ok 6 rejects_unaligned
[   15.136022]     ok 7 serials_unique_and_nonzero
[   15.136713] # asahi_vm: pass:7 fail:0 skip:0 total:7
[   15.137352] # Totals: pass:7 fail:0 skip:0 total:7
[   15.137974] ok 2 asahi_vm
ASAHI-TEST-END kunit exit=0
ASAHI-INSMOD exit=0
ASAHI-RMMOD exit=0
ASAHI-KMEMLEAK-BEGIN
ASAHI-KMEMLEAK-END
ASAHI-HARNESS-DONE
";

/// The same suites with one failed expectation in each (a deliberately broken test, as
/// captured): an `expect_eq!` in `asahi_idmap` and an `Err` return in `asahi_vm`.
const KUNIT_FAILED: &str = "\
ASAHI-HARNESS-BEGIN arch=x86_64 pagesize=?
ASAHI-TEST-BEGIN kunit
[   15.960109] KTAP version 1
[   15.960993] 1..2
[   15.965807]     KTAP version 1
[   15.966399]     # Subtest: asahi_idmap
[   15.966870]     # module: asahi
[   15.967882]     1..5
[   15.975628]     # ids_start_at_one: EXPECTATION FAILED at /work/kunit-wt/build/x86_64/module/drivers/gpu/drm/asahi/idmap.rs:76
[   15.975628]     Expected map.insert(10) == Ok(2), but
[   15.975628]         map.insert(10) == Ok(1)
[   15.975628]         Ok(2) == Ok(2)
[   15.983669]     not ok 1 ids_start_at_one
[   15.992938]     ok 2 reuses_lowest_free_id
[   16.002186]     ok 3 limit_gives_enospc
[   16.010627]     ok 4 remove_unknown_and_zero_ids
[   16.021559]     ok 5 get_after_remove
[   16.022362] # asahi_idmap: pass:4 fail:1 skip:0 total:5
[   16.023154] # Totals: pass:4 fail:1 skip:0 total:5
[   16.023813] not ok 1 asahi_idmap
[   16.026726]     KTAP version 1
[   16.026950]     # Subtest: asahi_vm
[   16.027125]     # module: asahi
[   16.027535]     1..7
[   16.031963]     # accepts_mesa_window: EXPECTATION FAILED at /work/kunit-wt/build/x86_64/module/drivers/gpu/drm/asahi/vm.rs:146
[   16.031963]     Test returned Err(Error(22))
[   16.037929]     not ok 1 accepts_mesa_window
[   16.044346]     ok 2 accepts_boundaries
[   16.055287]     ok 3 rejects_outside_user_range
[   16.062860]     ok 4 rejects_empty_and_reversed
[   16.071203]     ok 5 rejects_too_small
[   16.080416]     ok 6 rejects_unaligned
[   16.087809]     ok 7 serials_unique_and_nonzero
[   16.088958] # asahi_vm: pass:6 fail:1 skip:0 total:7
[   16.089512] # Totals: pass:6 fail:1 skip:0 total:7
[   16.090031] not ok 2 asahi_vm
ASAHI-TEST-END kunit exit=0
ASAHI-INSMOD exit=0
ASAHI-RMMOD exit=0
ASAHI-KMEMLEAK-BEGIN
ASAHI-KMEMLEAK-END
ASAHI-HARNESS-DONE
";

const KUNIT_EXPECTED: &[&str] = &["kunit", "kunit/asahi_idmap", "kunit/asahi_vm"];

#[test]
fn kunit_suites_count_as_points() {
    let r = parse(KUNIT);
    assert_eq!(r.failures(KUNIT_EXPECTED), vec![]);
    assert_eq!(r.counts(), (2, 0));
    let kunit = &r.programs[0];
    assert_eq!(kunit.plan, Some(2));
    assert_eq!(kunit.point("asahi_vm").map(|p| p.number), Some(2));
    assert_eq!(r.insmod, Some(0));
}

#[test]
fn failed_kunit_cases_fail_the_run_by_name() {
    let r = parse(KUNIT_FAILED);
    assert_eq!(r.counts(), (0, 2));
    assert_eq!(
        r.failures(KUNIT_EXPECTED),
        vec![
            Failure("kunit: not ok 1 - asahi_idmap".into()),
            Failure("kunit: not ok 2 - asahi_vm".into()),
            Failure("kunit: asahi_idmap: not ok 1 ids_start_at_one".into()),
            Failure("kunit: asahi_vm: not ok 1 accepts_mesa_window".into()),
        ]
    );
}

#[test]
fn missing_or_skipped_kunit_suite_fails() {
    let r = parse(KUNIT);
    let f = r.failures(&["kunit", "kunit/asahi_idmap", "kunit/asahi_gem"]);
    assert_eq!(f, vec![Failure("kunit/asahi_gem: not reported".into())]);

    let skipped = KUNIT.replace("] ok 2 asahi_vm", "] ok 2 asahi_vm # SKIP no GPU");
    let r = parse(&skipped);
    assert_eq!(r.counts(), (2, 0));
    let f = r.failures(KUNIT_EXPECTED);
    assert_eq!(f, vec![Failure("kunit/asahi_vm: skipped".into())]);
}

#[test]
fn kunit_disabled_or_missing_fails() {
    // Without kunit.enable=1 the suites do not run and KUnit says only this.
    let start = KUNIT.find("[   15.003343]").unwrap();
    let end = KUNIT.find("ASAHI-TEST-END").unwrap();
    let disabled = format!(
        "{}[   15.0] kunit: disabled\n{}",
        &KUNIT[..start],
        &KUNIT[end..]
    );
    let f = parse(&disabled).failures(KUNIT_EXPECTED);
    assert!(f.contains(&Failure("kunit: no TAP plan".into())), "{f:?}");
    assert!(
        f.contains(&Failure("kunit/asahi_vm: not reported".into())),
        "{f:?}"
    );

    // An /init without the kunit frame.
    let unframed = KUNIT
        .replace("ASAHI-TEST-BEGIN kunit\n", "")
        .replace("ASAHI-TEST-END kunit exit=0\n", "");
    let f = parse(&unframed).failures(KUNIT_EXPECTED);
    assert_eq!(
        f,
        vec![
            Failure("kunit: never ran".into()),
            Failure("kunit/asahi_idmap: never ran".into()),
            Failure("kunit/asahi_vm: never ran".into()),
        ]
    );
}

#[test]
fn crash_inside_a_kunit_suite_fails() {
    let cut = KUNIT.find("[   15.089697]").unwrap();
    let r = parse(&KUNIT[..cut]);
    let f = r.failures(KUNIT_EXPECTED);
    assert!(
        f.contains(&Failure("kunit: did not finish".into())),
        "{f:?}"
    );
    assert!(f.contains(&Failure("kunit: planned 2 tests, reported 1".into())));
    assert!(f.contains(&Failure("kunit/asahi_vm: not reported".into())));
}

#[test]
fn end_marker_of_another_program_does_not_end_the_current_one() {
    let log = CLEAN.replace(
        "ok 2 - version",
        "ASAHI-TEST-END other exit=0\nok 2 - version",
    );
    assert_passes(&log);
}
