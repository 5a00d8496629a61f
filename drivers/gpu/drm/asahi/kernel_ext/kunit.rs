// SPDX-License-Identifier: GPL-2.0 OR MIT

//! Module-internal unit tests with KUnit: suite registration and expectations.
//!
//! C header: [`include/kunit/test.h`](srctree/include/kunit/test.h)
//!
//! Linux 6.12's `kernel` crate runs its doctests through KUnit but has no `#[kunit_tests]`
//! attribute for a module's own tests. This is the small glue a C module gets from
//! `kunit_test_suites()`: [`kunit_suite!`] builds a zero-terminated `struct kunit_case` array and
//! a `struct kunit_suite` as statics and puts a pointer to the suite in the module's
//! `.kunit_test_suites` ELF section. The module loader (`kernel/module/main.c`,
//! `find_module_sections`) collects that section as an array of `struct kunit_suite *`, and
//! KUnit runs the suites when the module goes live (`kunit_module_init` in `lib/kunit/test.c`),
//! printing KTAP on the console; `kunit.enable=1` must be on the command line unless the kernel
//! has `CONFIG_KUNIT_DEFAULT_ENABLED`. Only built with `CONFIG_KUNIT` (see `kernel_ext.rs`).
//!
//! A test is a function taking `&mut Context` (checks with [`expect_true!`] and [`expect_eq!`],
//! which record a failure and carry on, so destructors run and nothing leaks) and returning `()`
//! or [`Result`], or a function taking nothing and returning [`Result`]. An `Err` fails the
//! test. There is no aborting assertion: `?` is the way to stop early.
//!
//! The C types come from `kernel::bindings`, which already binds `<kunit/test.h>` for the
//! doctests, so the module's own bindgen run needs no KUnit entries.
//!
//! # Examples
//!
//! ```ignore
//! #[cfg(CONFIG_KUNIT)]
//! mod tests {
//!     use crate::kernel_ext::kunit::{expect_eq, kunit_suite, Context};
//!     use kernel::prelude::*;
//!
//!     fn adds(ctx: &mut Context) {
//!         expect_eq!(ctx, 1 + 1, 2);
//!     }
//!
//!     fn parses() -> Result {
//!         let _n: u8 = 7u32.try_into().map_err(|_| EINVAL)?;
//!         Ok(())
//!     }
//!
//!     kunit_suite!(asahi_example, [adds, parses]);
//! }
//! ```

use core::cell::UnsafeCell;
use core::ffi::{c_void, CStr};
use core::fmt;
use core::ptr::NonNull;
use kernel::bindings;
use kernel::prelude::*;

/// `KBUILD_MODNAME`, which `KUNIT_CASE()` records in each case (KTAP's `# module:` line).
const MODULE_NAME: &CStr = c"asahi";

/// The state of one running test case, handed to test functions.
///
/// # Invariants
///
/// `test` is the `struct kunit` of the case that is running on this thread; it outlives `self`.
pub(crate) struct Context {
    test: NonNull<bindings::kunit>,
}

impl Context {
    /// Marks the running case as failed and logs `msg` as a KUnit expectation failure at
    /// `file:line`. Use [`expect_true!`] and [`expect_eq!`] instead.
    #[doc(hidden)]
    pub(crate) fn fail(&mut self, file: &'static CStr, line: u32, msg: fmt::Arguments<'_>) {
        let loc = bindings::kunit_loc {
            // CAST: `line!()` values are far below `i32::MAX`.
            line: line as i32,
            file: file.as_ptr().cast(),
        };
        let assert = bindings::kunit_fail_assert::default();
        // SAFETY:
        // - `self.test` is the live test of the running case (type invariant).
        // - `loc` and `assert` outlive the call, which formats them into the test's log before
        //   returning; `loc.file` is NUL-terminated.
        // - `kunit_fail_assert_format` is the formatter for a `kunit_fail_assert`, which `assert`
        //   is; it prints the message with `%pV`.
        // - The message format is NUL-terminated and consumes exactly one pointer argument, a
        //   `*const fmt::Arguments`, which is what `%pA` expects; `msg` outlives the call.
        // - `KUNIT_EXPECTATION` does not abort the test: the call returns.
        unsafe {
            bindings::__kunit_do_failed_assertion(
                self.test.as_ptr(),
                &loc,
                bindings::kunit_assert_type_KUNIT_EXPECTATION,
                &assert.assert,
                Some(bindings::kunit_fail_assert_format),
                c"%pA".as_ptr().cast(),
                core::ptr::from_ref(&msg).cast::<c_void>(),
            );
        }
    }
}

/// Checks that a condition holds; on failure, fails the test and carries on.
///
/// `expect_true!(ctx, condition)` or `expect_true!(ctx, condition, "format", args...)`.
macro_rules! expect_true {
    ($ctx:expr, $cond:expr $(,)?) => {
        if !$cond {
            $ctx.fail(
                $crate::kernel_ext::kunit::c_str(concat!(file!(), "\0")),
                line!(),
                format_args!("    Expected {} to be true, but is false\n", stringify!($cond)),
            );
        }
    };
    ($ctx:expr, $cond:expr, $($msg:tt)+) => {
        if !$cond {
            $ctx.fail(
                $crate::kernel_ext::kunit::c_str(concat!(file!(), "\0")),
                line!(),
                format_args!(
                    "    Expected {} to be true, but is false\n{}",
                    stringify!($cond),
                    $crate::kernel_ext::kunit::Note(format_args!($($msg)+)),
                ),
            );
        }
    };
}

/// Checks that two values are equal (`PartialEq`, printed with `Debug`); on failure, fails the
/// test and carries on.
///
/// `expect_eq!(ctx, left, right)` or `expect_eq!(ctx, left, right, "format", args...)`.
macro_rules! expect_eq {
    ($ctx:expr, $left:expr, $right:expr $(,)?) => {
        $crate::kernel_ext::kunit::expect_eq!($ctx, $left, $right, "")
    };
    ($ctx:expr, $left:expr, $right:expr, $($msg:tt)+) => {
        match (&$left, &$right) {
            (left, right) => {
                if !(*left == *right) {
                    $ctx.fail(
                        $crate::kernel_ext::kunit::c_str(concat!(file!(), "\0")),
                        line!(),
                        format_args!(
                            "    Expected {} == {}, but\n        {} == {:?}\n        {} == {:?}\n{}",
                            stringify!($left),
                            stringify!($right),
                            stringify!($left),
                            left,
                            stringify!($right),
                            right,
                            $crate::kernel_ext::kunit::Note(format_args!($($msg)+)),
                        ),
                    );
                }
            }
        }
    };
}

/// Registers a KUnit suite named `$suite` running the test functions `$test...` in order.
///
/// `kunit_suite!(asahi_idmap, [starts_at_one, reuses_lowest])`; see the [module
/// documentation](self) for the test function forms. Suite names must be unique in the kernel;
/// use an `asahi_` prefix.
macro_rules! kunit_suite {
    ($suite:ident, [$($test:ident),+ $(,)?]) => {
        const _: () = {
            const COUNT: usize = [$(stringify!($test)),+].len();

            static CASES: $crate::kernel_ext::kunit::Cases<{ COUNT + 1 }> =
                $crate::kernel_ext::kunit::Cases::new([
                    $(
                        $crate::kernel_ext::kunit::case(
                            $crate::kernel_ext::kunit::c_str(concat!(stringify!($test), "\0")),
                            {
                                /// Runs the test function for KUnit.
                                ///
                                /// # Safety
                                ///
                                /// `test` is the live test of this case (KUnit's `run_case`
                                /// contract).
                                unsafe extern "C" fn run(test: *mut ::kernel::bindings::kunit) {
                                    // SAFETY: KUnit passes the live test of this case,
                                    // which is what `kunit::run` requires.
                                    unsafe {
                                        $crate::kernel_ext::kunit::run(
                                            test,
                                            $crate::kernel_ext::kunit::c_str(
                                                concat!(file!(), "\0"),
                                            ),
                                            line!(),
                                            $test,
                                        )
                                    }
                                }
                                run
                            },
                        ),
                    )+
                    $crate::kernel_ext::kunit::CASES_END,
                ]);

            static SUITE: $crate::kernel_ext::kunit::Suite =
                $crate::kernel_ext::kunit::Suite::new(stringify!($suite), &CASES);

            #[used]
            #[link_section = ".kunit_test_suites"]
            static ENTRY: $crate::kernel_ext::kunit::SuiteEntry =
                $crate::kernel_ext::kunit::SuiteEntry::new(&SUITE);
        };
    };
}

pub(crate) use {expect_eq, expect_true, kunit_suite};

/// A failure message's optional note: its own indented line, or nothing when empty.
#[doc(hidden)]
pub(crate) struct Note<'a>(pub(crate) fmt::Arguments<'a>);

impl fmt::Display for Note<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.as_str() == Some("") {
            Ok(())
        } else {
            writeln!(f, "        {}", self.0)
        }
    }
}

/// The `&'static CStr` of a NUL-terminated literal; a build error otherwise.
#[doc(hidden)]
pub(crate) const fn c_str(s: &'static str) -> &'static CStr {
    match CStr::from_bytes_with_nul(s.as_bytes()) {
        Ok(c) => c,
        Err(_) => panic!("not a NUL-terminated string without interior NULs"),
    }
}

/// The forms a test function may take (see the [module documentation](self)). `M` tells the
/// implementations apart; callers never name it.
#[doc(hidden)]
pub(crate) trait TestFn<M> {
    /// Runs the test.
    fn call(self, ctx: &mut Context) -> Result;
}

/// [`TestFn`] marker of `fn(&mut Context)`.
#[doc(hidden)]
pub(crate) struct WithContext;
/// [`TestFn`] marker of `fn(&mut Context) -> Result`.
#[doc(hidden)]
pub(crate) struct WithContextResult;
/// [`TestFn`] marker of `fn() -> Result`.
#[doc(hidden)]
pub(crate) struct ResultOnly;

impl<F: FnOnce(&mut Context)> TestFn<WithContext> for F {
    fn call(self, ctx: &mut Context) -> Result {
        self(ctx);
        Ok(())
    }
}

impl<F: FnOnce(&mut Context) -> Result> TestFn<WithContextResult> for F {
    fn call(self, ctx: &mut Context) -> Result {
        self(ctx)
    }
}

impl<F: FnOnce() -> Result> TestFn<ResultOnly> for F {
    fn call(self, _ctx: &mut Context) -> Result {
        self()
    }
}

/// Runs `test_fn` as the case whose `struct kunit` is `test`; an `Err` fails the case at
/// `file:line` (where the suite lists it).
///
/// # Safety
///
/// `test` is the live test of the case running on this thread, as KUnit passes it to
/// `run_case`.
#[doc(hidden)]
pub(crate) unsafe fn run<M>(
    test: *mut bindings::kunit,
    file: &'static CStr,
    line: u32,
    test_fn: impl TestFn<M>,
) {
    let Some(test) = NonNull::new(test) else {
        return;
    };
    // INVARIANT: `test` is the live test of this case (our caller's contract), and `ctx` does
    // not outlive this call, which KUnit makes within the case.
    let mut ctx = Context { test };
    if let Err(e) = test_fn.call(&mut ctx) {
        ctx.fail(file, line, format_args!("    Test returned Err({e:?})\n"));
    }
}

/// A `struct kunit_case` whose name is `name` and whose body is `run_case`.
#[doc(hidden)]
pub(crate) const fn case(
    name: &'static CStr,
    run_case: unsafe extern "C" fn(*mut bindings::kunit),
) -> bindings::kunit_case {
    let mut case = CASES_END;
    case.run_case = Some(run_case);
    case.name = name.as_ptr().cast();
    // CAST: KUnit never writes through `module_name` (`char *` only for historical reasons).
    case.module_name = MODULE_NAME.as_ptr().cast_mut().cast();
    case
}

/// The all-zeroes `struct kunit_case` that ends a case array (`{}` in C).
#[doc(hidden)]
pub(crate) const CASES_END: bindings::kunit_case = {
    // SAFETY: `struct kunit_case` holds only integers, nullable pointers and `Option`s of
    // function pointers, for all of which all-zeroes is a valid value (C's `{}`).
    unsafe { core::mem::zeroed() }
};

/// The case array of one suite, ending with [`CASES_END`].
///
/// KUnit may write to the cases (status, log), so they live in a mutable static.
#[doc(hidden)]
#[repr(transparent)]
pub(crate) struct Cases<const N: usize>(UnsafeCell<[bindings::kunit_case; N]>);

// SAFETY: Only the KUnit core accesses the cases after initialisation, through the raw pointer in
// the suite; Rust code never reads or writes them. KUnit runs a module's suites one at a time,
// under `kunit_run_lock`, from the module notifier, so its accesses do not race. The raw pointers
// inside point to `'static` C strings and functions, valid from any thread.
unsafe impl<const N: usize> Sync for Cases<N> {}

impl<const N: usize> Cases<N> {
    /// Wraps `cases`, whose last element must be [`CASES_END`].
    pub(crate) const fn new(cases: [bindings::kunit_case; N]) -> Self {
        assert!(N > 0 && cases[N - 1].run_case.is_none());
        Self(UnsafeCell::new(cases))
    }
}

/// One KUnit suite.
///
/// KUnit writes to the suite while running it (status, log, debugfs entry), so it lives in a
/// mutable static.
#[doc(hidden)]
#[repr(transparent)]
pub(crate) struct Suite(UnsafeCell<bindings::kunit_suite>);

// SAFETY: Only the KUnit core accesses the suite after initialisation, through the pointer in
// `.kunit_test_suites`; Rust code never reads or writes it. KUnit runs a module's suites one at
// a time, under `kunit_run_lock`, from the module notifier, so its accesses do not race. The raw
// pointer inside points to a `Cases` static, which is itself `Sync`.
unsafe impl Sync for Suite {}

impl Suite {
    /// A suite named `name` (at most 255 bytes) running `cases`.
    pub(crate) const fn new<const N: usize>(name: &str, cases: &'static Cases<N>) -> Self {
        // SAFETY: `struct kunit_suite` holds only integers, arrays of them, nullable pointers
        // and `Option`s of function pointers, for all of which all-zeroes is a valid value
        // (C's `{}`).
        let mut suite: bindings::kunit_suite = unsafe { core::mem::zeroed() };
        let name = name.as_bytes();
        // The name must stay NUL-terminated in its 256-byte array.
        assert!(name.len() < suite.name.len());
        let mut i = 0;
        while i < name.len() {
            // CAST: a byte reinterpreted as a C `char`, whatever its signedness.
            suite.name[i] = name[i] as _;
            i += 1;
        }
        suite.test_cases = cases.0.get().cast();
        Self(UnsafeCell::new(suite))
    }
}

/// One entry of the `.kunit_test_suites` section: a `struct kunit_suite *`, the element type
/// of the array `kunit_test_suites()` places there and the module loader collects.
#[doc(hidden)]
#[repr(transparent)]
pub(crate) struct SuiteEntry(*mut bindings::kunit_suite);

// SAFETY: The pointer is never written, and it points to a `Suite`, which is `Sync`.
unsafe impl Sync for SuiteEntry {}

impl SuiteEntry {
    /// The entry for `suite`.
    pub(crate) const fn new(suite: &'static Suite) -> Self {
        Self(suite.0.get())
    }
}
