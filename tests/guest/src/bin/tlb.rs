//! The GPU's TLB: the virtual AGX caches translations, and the driver invalidates them whenever a
//! VM_BIND removes or replaces a mapping, so GPU writes follow the page tables: to the object
//! bound now, never to one unbound before, and an unbound address faults.
//!
//! The last part proves the TLB is real: with debugfs `tlb_skip_invalidate` set, a write after
//! rebinding still lands in the old object through the stale translation. The old object stays
//! alive until the knob is reset and an unbind has invalidated the stale entry (a stale entry to
//! freed memory is what KASAN would report); a guard resets the knob whatever happens.

use asahi_guest_tests::gpu::{self, op, Ctx, PAGE};
use asahi_guest_tests::Tap;
use asahi_uapi::bindings::*;
use asahi_uapi::{Device, Mapping};
use std::io;
use std::path::PathBuf;

/// Where the test binds its objects: away from the context's buffers (and their TLB sets).
const X: u64 = (1 << 36) + (256 << 20) + 7 * PAGE;
/// Pages of each test object.
const PAGES: u64 = 4;
const RW: u32 = DRM_ASAHI_BIND_READ | DRM_ASAHI_BIND_WRITE;
/// The fence status of a job that faulted.
const EIO: i32 = -libc::EIO;

/// A buffer object mapped on the CPU.
struct Obj {
    handle: u32,
    map: Mapping,
}

impl Obj {
    fn new(dev: &Device) -> io::Result<Self> {
        let (handle, map) = gpu::gem(dev, PAGES * PAGE)?;
        Ok(Self { handle, map })
    }

    /// The `u32` at byte `offset`.
    fn u32(&self, offset: u64) -> u32 {
        let mut b = [0u8; 4];
        self.map.read(offset as usize, &mut b);
        u32::from_le_bytes(b)
    }
}

fn bind(ctx: &Ctx, obj: &Obj, va: u64, pages: u64) -> io::Result<()> {
    gpu::bind_rw(&ctx.dev, ctx.vm, obj.handle, va, pages * PAGE)
}

fn unbind_op(va: u64, pages: u64) -> drm_asahi_gem_bind_op {
    gpu::unbind_op(va, pages * PAGE)
}

fn unbind(ctx: &Ctx, va: u64, pages: u64) -> io::Result<()> {
    ctx.dev.vm_bind(ctx.vm, &[unbind_op(va, pages)])
}

/// Runs one job writing each `(va, value)`; returns its fence status (1 ok, negative errno).
fn write(ctx: &mut Ctx, so: u32, writes: &[(u64, u32)]) -> io::Result<i32> {
    let ops: Vec<_> = writes
        .iter()
        .map(|&(va, v)| (op::WRITE32, va, u64::from(v), 0))
        .collect();
    ctx.run_on(so, &ops)
}

/// Sets debugfs `tlb_skip_invalidate` back to 0 when dropped.
struct Knob(PathBuf);

impl Knob {
    fn set(&self, v: u32) -> bool {
        std::fs::write(&self.0, v.to_string()).is_ok()
            && std::fs::read_to_string(&self.0).is_ok_and(|s| s.trim() == v.to_string())
    }
}

impl Drop for Knob {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.0, "0");
    }
}

fn main() {
    let mut tap = Tap::new();
    let mut ctx = tap.require(Ctx::new(), "context");
    let objs = Obj::new(&ctx.dev).and_then(|a| Ok((a, Obj::new(&ctx.dev)?)));
    let (a, b) = tap.require(objs, "objects A and B");
    let so = ctx.dev.syncobj_create(0).unwrap_or(0);

    // Map A at X: the GPU's write reaches A (and fills the TLB).
    let st = bind(&ctx, &a, X, 1).and_then(|_| write(&mut ctx, so, &[(X, 0xa1)]));
    tap.ok(
        matches!(st, Ok(1)) && a.u32(0) == 0xa1,
        format_args!(
            "A bound at X: the write lands in A ({st:?}, A {:#x})",
            a.u32(0)
        ),
    );

    // Unbind X, bind B there: the write reaches B, A keeps its value.
    let st = unbind(&ctx, X, 1)
        .and_then(|_| bind(&ctx, &b, X, 1))
        .and_then(|_| write(&mut ctx, so, &[(X, 0xb1)]));
    tap.ok(
        matches!(st, Ok(1)) && b.u32(0) == 0xb1 && a.u32(0) == 0xa1,
        format_args!(
            "unbind X, bind B at X: the write lands in B, A unchanged ({st:?}, A {:#x}, B {:#x})",
            a.u32(0),
            b.u32(0)
        ),
    );

    // Bind A over B without an unbind (a remap): the write reaches A.
    let st = bind(&ctx, &a, X, 1).and_then(|_| write(&mut ctx, so, &[(X + 4, 0xa2)]));
    tap.ok(
        matches!(st, Ok(1)) && a.u32(4) == 0xa2 && b.u32(4) == 0,
        format_args!("A bound over B at X: the write lands in A ({st:?})"),
    );

    // Unbind X: the write faults and changes nothing.
    let st = unbind(&ctx, X, 1).and_then(|_| write(&mut ctx, so, &[(X, 0xdead)]));
    tap.ok(
        matches!(st, Ok(EIO)) && a.u32(0) == 0xa1 && b.u32(0) == 0xb1,
        format_args!("X unbound: the write faults with EIO, A and B unchanged ({st:?})"),
    );

    // A 4-page range, cached page by page, then replaced by one unbind op and one bind op in
    // one VM_BIND: every page is invalidated, not just the first.
    let at = |i: u64| X + i * PAGE + 8;
    let all: Vec<_> = (0..PAGES).map(|i| (at(i), 0x10 + i as u32)).collect();
    let st = bind(&ctx, &a, X, PAGES).and_then(|_| write(&mut ctx, so, &all));
    let in_a = (0..PAGES).all(|i| a.u32(i * PAGE + 8) == 0x10 + i as u32);
    tap.ok(
        matches!(st, Ok(1)) && in_a,
        format_args!("A bound over 4 pages: each page's write lands in A ({st:?})"),
    );
    let all: Vec<_> = (0..PAGES).map(|i| (at(i), 0x20 + i as u32)).collect();
    let rebind = [
        unbind_op(X, PAGES),
        drm_asahi_gem_bind_op {
            flags: RW,
            handle: b.handle,
            offset: 0,
            range: PAGES * PAGE,
            addr: X,
        },
    ];
    let st = ctx
        .dev
        .vm_bind(ctx.vm, &rebind)
        .and_then(|_| write(&mut ctx, so, &all));
    let in_b = (0..PAGES).all(|i| b.u32(i * PAGE + 8) == 0x20 + i as u32);
    let a_kept = (0..PAGES).all(|i| a.u32(i * PAGE + 8) == 0x10 + i as u32);
    tap.ok(
        matches!(st, Ok(1)) && in_b && a_kept,
        format_args!("4 pages rebound to B in one VM_BIND: every write lands in B ({st:?})"),
    );

    // Unbinding one page in the middle faults that page only.
    let st1 = unbind(&ctx, X + 2 * PAGE, 1).and_then(|_| write(&mut ctx, so, &[(at(1), 0x31)]));
    let st2 = write(&mut ctx, so, &[(at(2), 0x32)]);
    tap.ok(
        matches!(st1, Ok(1))
            && matches!(st2, Ok(EIO))
            && b.u32(PAGE + 8) == 0x31
            && b.u32(2 * PAGE + 8) == 0x22,
        format_args!(
            "one page unbound: its write faults, its neighbour's lands ({st1:?}, {st2:?})"
        ),
    );
    let r = unbind(&ctx, X, PAGES);
    tap.check(r, "unbind the rest");

    // The TLB is real: with invalidation skipped, a rebound address still reaches the old object.
    let Some(knob) = gpu::debugfs_dir().map(|d| Knob(d.join("tlb_skip_invalidate"))) else {
        tap.ok(false, "debugfs tlb_skip_invalidate exists");
        tap.finish();
    };
    tap.ok(knob.0.exists(), "debugfs tlb_skip_invalidate exists");
    let st = bind(&ctx, &a, X, 1).and_then(|_| write(&mut ctx, so, &[(X, 0x33)]));
    tap.ok(
        matches!(st, Ok(1)) && a.u32(0) == 0x33,
        format_args!("A bound at X again: the write lands in A ({st:?})"),
    );
    let set = knob.set(1);
    let st = unbind(&ctx, X, 1)
        .and_then(|_| bind(&ctx, &b, X, 1))
        .and_then(|_| write(&mut ctx, so, &[(X, 0x44)]));
    tap.ok(
        set && matches!(st, Ok(1)) && a.u32(0) == 0x44 && b.u32(0) == 0xb1,
        format_args!(
            "with tlb_skip_invalidate=1, B bound at X: the write still lands in A through the \
             stale translation ({st:?}, A {:#x}, B {:#x})",
            a.u32(0),
            b.u32(0)
        ),
    );
    // Knob off, then an unbind that invalidates X: the stale entry is gone, X faults. Only now
    // may A's memory be freed.
    let reset = knob.set(0);
    let st = unbind(&ctx, X, 1).and_then(|_| write(&mut ctx, so, &[(X, 0x55)]));
    tap.ok(
        reset && matches!(st, Ok(EIO)) && a.u32(0) == 0x44 && b.u32(0) == 0xb1,
        format_args!("knob reset, X unbound: the write faults, A and B unchanged ({st:?})"),
    );
    drop(knob);

    // Destroying the VM invalidates its whole address space before its tables go.
    let r = ctx
        .dev
        .queue_destroy(&drm_asahi_queue_destroy {
            queue_id: ctx.queue,
            ..Default::default()
        })
        .and_then(|_| {
            ctx.dev.vm_destroy(&drm_asahi_vm_destroy {
                vm_id: ctx.vm,
                ..Default::default()
            })
        });
    tap.check(r, "queue and VM destroyed");
    let r = ctx
        .dev
        .gem_close(a.handle)
        .and_then(|_| ctx.dev.gem_close(b.handle));
    tap.check(r, "A and B closed");
    let _ = ctx.data;
    tap.finish();
}
