// Versioned buffer-manager (tiled vertex buffer) layouts, included once per variant module by
// `defs/variants.rs` after `layouts.rs` (whose `DeviceControlMsg` the GrowTVB acknowledgement is
// built from), in a nested `buffer` module as downstream's `fw::buffer::raw`.
//
// Sources: downstream `fw/buffer.rs` (herrnst/linux-asahi @ 70aab693: `raw::BlockControl`,
// `Counter`, `Stats`, `Info`, `Scene`, `InitBuffer` with their `#[ver]` conditions) and
// `buffer.rs` (herrnst/linux-asahi @ 070ab821: the values `Buffer::new` and `new_scene` write,
// which memory each lives in); reference `firmware-commands.md` §2.1 (InitBuffer 0x20),
// §3.3 (Scene offsets, 0x40 V12 / 0x48 V13.5), §3.4 (Info 0xc0 / 0xbc and its field offsets,
// BlockControl/Counter/Stats 0x40) and §3.5 (GrowTVBAck values). The engine that keeps the books
// over these structures is `engine::buffer_mgr`; the tiling math is `engine::tiling`.

/// Buffer-manager layouts of this variant: the per-buffer [`Info`](buffer::Info) and its
/// [`BlockControl`](buffer::BlockControl), [`Counter`](buffer::Counter) and
/// [`Stats`](buffer::Stats), the per-render [`Scene`](buffer::Scene) and the
/// [`InitBuffer`](buffer::InitBuffer) command.
///
/// The firmware writes several fields while it runs (marked "firmware-written"); code touching
/// live memory goes through the `*_OFFSET` constants with volatile accesses (see `defs.rs`).
pub mod buffer {
    use super::super::super::engine::buffer_mgr::{BLOCK_SIZE, PAGES_PER_BLOCK};
    use super::super::super::job::CommandType;
    use super::*;
    use core::mem::{offset_of, size_of};

    /// `Info` has the word at 0x1c (downstream `#[ver(V < V13_0B4 || G >= G14X)] unk_1c`).
    pub const INFO_UNK_1C: bool =
        !VARIANT.fw_at_least(FwVersion::V13_0B4) || VARIANT.gen_at_least(Gen::G14X);
    /// `Scene` starts with two control-word pointers (downstream `#[ver(G >= G14X)]`).
    pub const SCENE_CONTROL_WORDS: bool = VARIANT.gen_at_least(Gen::G14X);
    /// `Scene` has `unk_28` (downstream `#[ver(V >= V13_3)]`).
    pub const SCENE_V13_3: bool = VARIANT.fw_at_least(FwVersion::V13_3);
    /// `Scene` ends with two padding words (downstream `#[ver(G < G14X)] unk_30, unk_38`).
    pub const SCENE_TAIL: bool = VARIANT.gen_below(Gen::G14X);

    plain_layout! {
        /// Block control (shared memory, 0x40): how many blocks the heap has; the driver writes
        /// `total` and `wptr` on every growth (downstream `ensure_blocks`).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        #[repr(C)]
        pub struct BlockControl {
            /// Blocks in the heap.
            pub total: u32,
            /// Write pointer: the same block count.
            pub wptr: u32,
            /// Unknown (zero).
            pub unk: u32,
            /// Zero.
            pub pad: Pad<0x34>,
        }

        /// Usage counter (shared, 0x40): the driver adds one per committed render (downstream
        /// `Buffer::increment`, a plain load and store under the buffer's lock).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        #[repr(C)]
        pub struct Counter {
            /// Renders committed on the buffer.
            pub count: u32,
            /// Zero.
            pub pad: Pad<0x3c>,
        }

        /// Buffer statistics (shared, 0x40), firmware-written; the driver reads `max_pages` for
        /// auto-grow and writes `reset` = 1 (initially and after each read; downstream
        /// `Buffer::new`, `auto_grow`).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        #[repr(C)]
        pub struct Stats {
            /// High-water mark of pages used by a render since the last reset.
            pub max_pages: u32,
            /// Unknown statistic.
            pub max_b: u32,
            /// Overflows (partial renders) counted.
            pub overflow_count: u32,
            /// Unknown statistic.
            pub gpu_c: u32,
            /// Zero.
            pub pad0: Pad<0x10>,
            /// Reset request: 1 asks the firmware to restart the statistics.
            pub reset: u32,
            /// Zero.
            pub pad1: Pad<0x1c>,
        }

        /// The buffer manager's view of one heap (private memory, 0xc0; 0xbc on G13/G14G with
        /// firmware ≥ 13.0b4), pointed at by `StartVertex.buffer`, `RunVertex.buffer` and
        /// [`InitBuffer::buffer`].
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        #[repr(C)]
        pub struct Info {
            /// Firmware counter (firmware-written).
            pub gpu_counter: u32,
            /// Zero.
            pub unk_4: u32,
            /// Zero.
            pub last_id: i32,
            /// −1.
            pub cur_id: i32,
            /// Zero.
            pub unk_10: u32,
            /// Firmware counter (firmware-written).
            pub gpu_counter2: u32,
            /// Zero.
            pub unk_18: u32,
            /// Zero; only where [`INFO_UNK_1C`].
            pub unk_1c: Array<{ if_present(INFO_UNK_1C, 1) }, U32>,
            /// Page list: `max_pages` u32 page numbers (VA >> 15), ualloc_priv "PLST" (0x20).
            pub page_list: GpuPtr,
            /// Bytes of the page list: 4 × `max_pages`.
            pub page_list_size: u32,
            /// Pages in the heap: 4 × blocks (written only while no scene is active).
            pub page_count: u32,
            /// Most blocks the heap may have.
            pub max_blocks: u32,
            /// Blocks in the heap (written only while no scene is active; 0x34).
            pub block_count: u32,
            /// Zero.
            pub unk_38: u32,
            /// Block list: 2 × `max_blocks` u32, entry 2i = block i's VA >> 15 ("BLST").
            pub block_list: GpuPtr,
            /// The [`BlockControl`] (0x44).
            pub block_ctl: GpuPtr,
            /// Last page index: pages − 1.
            pub last_page: u32,
            /// Zero (firmware-written).
            pub gpu_page_ptr1: u32,
            /// Zero (firmware-written).
            pub gpu_page_ptr2: u32,
            /// Zero.
            pub unk_58: u32,
            /// Bytes per block: [`BLOCK_SIZE`](super::super::super::engine::buffer_mgr::BLOCK_SIZE).
            pub block_size: u32,
            /// Zero.
            pub unk_60: U64,
            /// The [`Counter`] (0x68).
            pub counter: GpuPtr,
            /// Zero.
            pub unk_70: u32,
            /// Zero.
            pub unk_74: u32,
            /// Zero.
            pub unk_78: u32,
            /// Zero.
            pub unk_7c: u32,
            /// 1.
            pub unk_80: u32,
            /// Most pages: 4 × `max_blocks`.
            pub max_pages: u32,
            /// Most pages without memoryless render targets (a third of the maximum).
            pub max_pages_nomemless: u32,
            /// Zero.
            pub unk_8c: u32,
            /// Zero.
            pub unk_90: Pad<0x30>,
        }

        /// One render pass's scene (shared memory: the firmware does not clean its cache before
        /// reading it, downstream `new_scene`), pointed at by `StartVertex.scene`,
        /// `RunVertex.scene`, `RunFragment.scene` and the fragment Start op.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        #[repr(C)]
        pub struct Scene {
            /// G14X: the scene's 4-byte control word ("CWRD", kernel `gpu` allocator).
            pub control_word: Array<{ if_present(SCENE_CONTROL_WORDS, 1) }, GpuPtr>,
            /// G14X: the same address again.
            pub control_word2: Array<{ if_present(SCENE_CONTROL_WORDS, 1) }, GpuPtr>,
            /// Pages used by the last pass (firmware-written; 0x0 | 0x10 G14X).
            pub pass_page_count: u32,
            /// Zero.
            pub unk_4: u32,
            /// Zero.
            pub unk_8: U64,
            /// Zero.
            pub unk_10: U64,
            /// User buffer ("UBUF": 0x80 bytes, 0x10080 with several clusters; 0x18 | 0x28).
            pub user_buffer: GpuPtr,
            /// Zero.
            pub unk_20: u32,
            /// Zero; firmware ≥ 13.3 only (0x24 | 0x34).
            pub unk_28: Array<{ if_present(SCENE_V13_3, 1) }, U64>,
            /// The buffer's [`Stats`] (0x24 V12 | 0x2c V13.5 | 0x3c G14X).
            pub stats: GpuPtr,
            /// Pages used by all passes (firmware-written; 0x2c | 0x34 | 0x44).
            pub total_page_count: u32,
            /// Zero (not on G14X).
            pub unk_30: Array<{ if_present(SCENE_TAIL, 1) }, U64>,
            /// Zero (not on G14X).
            pub unk_38: Array<{ if_present(SCENE_TAIL, 1) }, U64>,
        }

        /// `InitBuffer` (0x20, private memory): queued on the vertex work queue before a
        /// `RunVertex` whose scene's slot or heap changed (reference §2.1, §3.5).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        #[repr(C)]
        pub struct InitBuffer {
            /// `CommandType::InitBuffer` (6).
            pub tag: u32,
            /// VM slot of the render.
            pub vm_slot: u32,
            /// Buffer-manager slot of the scene.
            pub buffer_slot: u32,
            /// Zero.
            pub unk_c: u32,
            /// Blocks in the heap now.
            pub block_count: u32,
            /// The buffer's [`Info`] (0x14).
            pub buffer: GpuPtr,
            /// The value the following `RunVertex` signals (0x1c).
            pub stamp_value: EventValue,
        }
    }

    const _: () = assert!(size_of::<BlockControl>() == 0x40);
    const _: () = assert!(size_of::<Counter>() == 0x40);
    const _: () = assert!(size_of::<Stats>() == 0x40);
    const _: () = assert!(offset_of!(Stats, reset) == 0x20);
    const _: () = assert!(size_of::<InitBuffer>() == 0x20);
    const _: () = assert!(offset_of!(InitBuffer, buffer) == 0x14);
    const _: () = assert!(offset_of!(InitBuffer, stamp_value) == 0x1c);
    // Reference §3.4: 0xc0 with the 0x1c word, page_list at 0x20, block_count 0x34,
    // block_ctl 0x44, counter 0x68; all 4 bytes earlier without it.
    const INFO_SHIFT: usize = if INFO_UNK_1C { 0 } else { 4 };
    const _: () = assert!(size_of::<Info>() == 0xc0 - INFO_SHIFT);
    const _: () = assert!(offset_of!(Info, page_list) == 0x20 - INFO_SHIFT);
    const _: () = assert!(offset_of!(Info, block_count) == 0x34 - INFO_SHIFT);
    const _: () = assert!(offset_of!(Info, block_ctl) == 0x44 - INFO_SHIFT);
    const _: () = assert!(offset_of!(Info, counter) == 0x68 - INFO_SHIFT);
    // Reference §3.3: 0x40 (V12), 0x48 (V13.5, G13/G14G and G14X).
    const _: () = assert!(size_of::<Scene>() == if SCENE_V13_3 { 0x48 } else { 0x40 });

    /// Field offsets the driver touches in live memory.
    impl Stats {
        /// `max_pages`, read by auto-grow.
        pub const MAX_PAGES_OFFSET: usize = offset_of!(Stats, max_pages);
        /// `overflow_count`.
        pub const OVERFLOW_COUNT_OFFSET: usize = offset_of!(Stats, overflow_count);
        /// `reset`, written 1 after each auto-grow read.
        pub const RESET_OFFSET: usize = offset_of!(Stats, reset);
        /// The value written to `reset`.
        pub const RESET: u32 = 1;

        /// The statistics a new buffer starts with: all zero but `reset` = 1 (downstream
        /// `Buffer::new`).
        pub fn initial() -> Stats {
            Stats {
                reset: Stats::RESET,
                ..Default::default()
            }
        }
    }

    /// Field offsets the driver touches in live memory.
    impl Info {
        /// `page_count`.
        pub const PAGE_COUNT_OFFSET: usize = offset_of!(Info, page_count);
        /// `block_count`.
        pub const BLOCK_COUNT_OFFSET: usize = offset_of!(Info, block_count);
        /// `last_page`.
        pub const LAST_PAGE_OFFSET: usize = offset_of!(Info, last_page);

        /// The `Info` of a new, empty heap of at most `max_blocks` blocks (`max_blocks_nomemless`
        /// without memoryless render targets) whose lists and control objects are at the given
        /// addresses: downstream `Buffer::new`'s values. `None` if a page count overflows.
        pub fn new(
            max_blocks: u32,
            max_blocks_nomemless: u32,
            page_list: u64,
            block_list: u64,
            block_ctl: u64,
            counter: u64,
        ) -> Option<Info> {
            let pages = |b: u32| b.checked_mul(PAGES_PER_BLOCK);
            let max_pages = pages(max_blocks)?;
            Some(Info {
                cur_id: -1,
                page_list: GpuPtr::new(page_list),
                page_list_size: max_pages.checked_mul(4)?,
                max_blocks,
                block_list: GpuPtr::new(block_list),
                block_ctl: GpuPtr::new(block_ctl),
                block_size: BLOCK_SIZE,
                counter: GpuPtr::new(counter),
                unk_80: 1,
                max_pages,
                max_pages_nomemless: pages(max_blocks_nomemless)?,
                ..Default::default()
            })
        }
    }

    /// Field offsets the driver touches in live memory.
    impl Scene {
        /// `pass_page_count` (firmware-written).
        pub const PASS_PAGE_COUNT_OFFSET: usize = offset_of!(Scene, pass_page_count);
        /// `total_page_count` (firmware-written).
        pub const TOTAL_PAGE_COUNT_OFFSET: usize = offset_of!(Scene, total_page_count);

        /// A fresh scene: the user buffer and stats pointers, the G14X control word (ignored
        /// elsewhere), everything else zero (downstream `new_scene`).
        pub fn new(user_buffer: u64, stats: u64, control_word: u64) -> Scene {
            let cw = Array([GpuPtr::new(control_word); if_present(SCENE_CONTROL_WORDS, 1)]);
            Scene {
                control_word: cw,
                control_word2: cw,
                user_buffer: GpuPtr::new(user_buffer),
                stats: GpuPtr::new(stats),
                ..Default::default()
            }
        }
    }

    impl InitBuffer {
        /// The command for heap `info` (its [`Info`]'s address) with `block_count` blocks bound
        /// to `buffer_slot`, completing with `stamp_value` (the following `RunVertex`'s).
        pub fn new(
            vm_slot: u32,
            buffer_slot: u32,
            block_count: u32,
            info: u64,
            stamp_value: EventValue,
        ) -> InitBuffer {
            InitBuffer {
                tag: CommandType::InitBuffer as u32,
                vm_slot,
                buffer_slot,
                unk_c: 0,
                block_count,
                buffer: GpuPtr::new(info),
                stamp_value,
            }
        }
    }
}

// Per-variant tests: offsets are the literal values of reference §3.3/§3.4 ("V12 | V13.5 G13/G14G
// | G14X"), not formulas over the layouts.
#[cfg(test)]
mod buffer_tests {
    use super::super::super::plain::bytes_of;
    use super::buffer::*;
    use super::*;
    use core::mem::{offset_of, size_of};

    /// The value for this variant: firmware 12.x, 13.5 on G13/G14G, 13.5 on G14X.
    fn col(v12: usize, v13: usize, g14x: usize) -> usize {
        if SCENE_CONTROL_WORDS {
            g14x
        } else if SCENE_V13_3 {
            v13
        } else {
            v12
        }
    }

    #[test]
    fn scene_layout() {
        assert_eq!(size_of::<Scene>(), col(0x40, 0x48, 0x48));
        assert_eq!(offset_of!(Scene, pass_page_count), col(0, 0, 0x10));
        assert_eq!(offset_of!(Scene, user_buffer), col(0x18, 0x18, 0x28));
        assert_eq!(offset_of!(Scene, stats), col(0x24, 0x2c, 0x3c));
        assert_eq!(Scene::TOTAL_PAGE_COUNT_OFFSET, col(0x2c, 0x34, 0x44));
        assert_eq!(Scene::PASS_PAGE_COUNT_OFFSET, col(0, 0, 0x10));
        if SCENE_V13_3 {
            assert_eq!(offset_of!(Scene, unk_28), col(0, 0x24, 0x34));
        }
        let s = Scene::new(0x15_0000_1000, 0xffff_ffa0_0000_2000, 0xffff_ffa0_0000_3000);
        let b = bytes_of(&s);
        let at = |o: usize| read_u64(b, o).unwrap();
        assert_eq!(at(col(0x18, 0x18, 0x28)), 0x15_0000_1000);
        assert_eq!(at(col(0x24, 0x2c, 0x3c)), 0xffff_ffa0_0000_2000);
        if SCENE_CONTROL_WORDS {
            assert_eq!((at(0), at(8)), (0xffff_ffa0_0000_3000, 0xffff_ffa0_0000_3000));
        }
        // Everything else zero (firmware-written counters start at 0).
        let nonzero = b.iter().filter(|&&x| x != 0).count();
        assert!(nonzero <= if SCENE_CONTROL_WORDS { 4 * 8 } else { 2 * 8 });
        assert_eq!(read_u32(b, Scene::TOTAL_PAGE_COUNT_OFFSET), Some(0));
    }

    #[test]
    fn info_layout() {
        let with_1c = !SCENE_V13_3 || SCENE_CONTROL_WORDS;
        assert_eq!(INFO_UNK_1C, with_1c);
        let d = if with_1c { 0 } else { 4 };
        assert_eq!(size_of::<Info>(), 0xc0 - d);
        assert_eq!(offset_of!(Info, page_list), 0x20 - d);
        assert_eq!(Info::PAGE_COUNT_OFFSET, 0x2c - d);
        assert_eq!(Info::BLOCK_COUNT_OFFSET, 0x34 - d);
        assert_eq!(offset_of!(Info, block_list), 0x3c - d);
        assert_eq!(offset_of!(Info, block_ctl), 0x44 - d);
        assert_eq!(Info::LAST_PAGE_OFFSET, 0x4c - d);
        assert_eq!(offset_of!(Info, block_size), 0x5c - d);
        assert_eq!(offset_of!(Info, counter), 0x68 - d);
        assert_eq!(offset_of!(Info, max_pages), 0x84 - d);
        // Downstream `Buffer::new`'s values for the default maxima.
        let i = Info::new(6579, 2193, 0x1000, 0x2000, 0x3000, 0x4000).unwrap();
        let b = bytes_of(&i);
        assert_eq!(read_u32(b, 0xc), Some(u32::MAX));
        assert_eq!(read_u64(b, 0x20 - d), Some(0x1000));
        assert_eq!(read_u32(b, 0x28 - d), Some(4 * 26316));
        assert_eq!(read_u32(b, 0x30 - d), Some(6579));
        assert_eq!(read_u64(b, 0x3c - d), Some(0x2000));
        assert_eq!(read_u64(b, 0x44 - d), Some(0x3000));
        assert_eq!(read_u32(b, 0x5c - d), Some(0x2_0000));
        assert_eq!(read_u64(b, 0x68 - d), Some(0x4000));
        assert_eq!(read_u32(b, 0x80 - d), Some(1));
        assert_eq!(read_u32(b, 0x84 - d), Some(26316));
        assert_eq!(read_u32(b, 0x88 - d), Some(8772));
        // Counts start at zero; written by the engine's `InfoCounts`.
        assert_eq!(read_u32(b, Info::PAGE_COUNT_OFFSET), Some(0));
        assert_eq!(Info::new(u32::MAX / 4 + 1, 1, 0, 0, 0, 0), None);
        assert_eq!(Info::new(u32::MAX / 16 + 1, 1, 0, 0, 0, 0), None);
    }

    #[test]
    fn small_objects_and_init_buffer() {
        assert_eq!(size_of::<BlockControl>(), 0x40);
        assert_eq!(size_of::<Counter>(), 0x40);
        assert_eq!(size_of::<Stats>(), 0x40);
        assert_eq!(Stats::RESET_OFFSET, 0x20);
        assert_eq!(Stats::MAX_PAGES_OFFSET, 0);
        assert_eq!(Stats::OVERFLOW_COUNT_OFFSET, 8);
        let s = Stats::initial();
        assert_eq!(read_u32(bytes_of(&s), 0x20), Some(1));
        assert_eq!(bytes_of(&s).iter().map(|&x| u32::from(x)).sum::<u32>(), 1);
        let ib = InitBuffer::new(3, 9, 22, 0xffff_ffa0_0c40_0000, EventValue(0x700));
        let b = bytes_of(&ib);
        assert_eq!(b.len(), 0x20);
        let w = |o| read_u32(b, o).unwrap();
        assert_eq!((w(0), w(4), w(8), w(0xc), w(0x10)), (6, 3, 9, 0, 22));
        assert_eq!(read_u64(b, 0x14), Some(0xffff_ffa0_0c40_0000));
        assert_eq!(w(0x1c), 0x700);
    }
}
