// Per-variant tests of the run commands of `commands.rs` and `commands_compute.rs`, included
// once per variant module by `defs/variants.rs` after them (host test builds with `zerocopy`).

/// Per-variant checks that the fields the driver fills land at their byte offsets, and that
/// the commands survive a round trip through bytes.
#[cfg(all(test, feature = "zerocopy"))]
mod commands_tests {
    use super::super::super::job::CommandType;
    use super::*;
    use core::mem::offset_of;
    use zerocopy::{FromBytes, IntoBytes};

    const STAMP: u64 = 0xffff_ffa0_000c_8014;
    const FW_STAMP: u64 = 0xffff_ffa0_0c37_8014;

    fn meta() -> JobMeta {
        JobMeta {
            stamp: GpuPtr::new(STAMP),
            fw_stamp: GpuPtr::new(FW_STAMP),
            stamp_value: EventValue(0x3b00),
            stamp_slot: 5,
            flush_stamps: 1,
            ..JobMeta::default()
        }
    }

    fn timestamps(base: u64) -> TimestampPointers {
        TimestampPointers {
            start_addr: GpuPtr::new(base),
            end_addr: GpuPtr::new(base + 8),
        }
    }

    /// Checks the tag, vm slot, meta and timestamp pointers in `b`.
    fn check_common(b: &[u8], tag: u32, vm_slot: usize, meta_off: usize, ts_off: usize) {
        assert_eq!(read_u32(b, 0), Some(tag));
        assert_eq!(read_u32(b, vm_slot), Some(7));
        assert_eq!(read_u64(b, meta_off + 4), Some(STAMP));
        assert_eq!(read_u64(b, meta_off + 0xc), Some(FW_STAMP));
        assert_eq!(read_u32(b, meta_off + 0x14), Some(0x3b00));
        assert_eq!(read_u32(b, meta_off + 0x18), Some(5));
        assert_eq!(read_u64(b, ts_off), Some(0xffff_ffa0_0002_9030));
        assert_eq!(read_u64(b, ts_off + 8), Some(0xffff_ffa0_0002_9038));
    }

    #[test]
    fn run_vertex_bytes() {
        let mut c = RunVertex {
            tag: CommandType::RunVertex as u32,
            vm_slot: 7,
            microsequence: GpuPtr::new(0xffff_ffa0_0c31_1cc0),
            microsequence_size: 0x240,
            meta: meta(),
            timestamp_pointers: timestamps(0xffff_ffa0_0002_9030),
            ..RunVertex::default()
        };
        if let Some(p) = c.job_params1.first_mut() {
            p.vdm_ctrl_stream_base = U64(0x15_0007_8000);
        }
        let b = c.as_bytes();
        assert_eq!(b.len(), core::mem::size_of::<RunVertex>());
        check_common(
            b,
            0,
            offset_of!(RunVertex, vm_slot),
            offset_of!(RunVertex, meta),
            offset_of!(RunVertex, timestamp_pointers),
        );
        let ms = offset_of!(RunVertex, microsequence);
        assert_eq!(read_u64(b, ms), Some(0xffff_ffa0_0c31_1cc0));
        assert_eq!(read_u32(b, ms + 8), Some(0x240));
        if !CMD_REG_LIST {
            let enc = offset_of!(RunVertex, job_params1)
                + offset_of!(VertexJobParams1, vdm_ctrl_stream_base);
            assert_eq!(read_u64(b, enc), Some(0x15_0007_8000));
        }
        assert_eq!(RunVertex::read_from_bytes(b), Ok(c));
    }

    #[test]
    fn run_fragment_bytes() {
        let c = RunFragment {
            tag: CommandType::RunFragment as u32,
            vm_slot: 7,
            microsequence: GpuPtr::new(0xffff_ffa0_0c2d_5f00),
            meta: meta(),
            timestamp_pointers: timestamps(0xffff_ffa0_0002_9030),
            unk_92c: 0xa5,
            ..RunFragment::default()
        };
        let b = c.as_bytes();
        check_common(
            b,
            1,
            offset_of!(RunFragment, vm_slot),
            offset_of!(RunFragment, meta),
            offset_of!(RunFragment, timestamp_pointers),
        );
        let ms = offset_of!(RunFragment, microsequence);
        assert_eq!(read_u64(b, ms), Some(0xffff_ffa0_0c2d_5f00));
        assert_eq!(b.get(offset_of!(RunFragment, unk_92c)), Some(&0xa5));
        assert_eq!(RunFragment::read_from_bytes(b), Ok(c));
    }

    #[test]
    fn run_compute_bytes() {
        let mut c = RunCompute {
            tag: CommandType::RunCompute as u32,
            vm_slot: 7,
            microsequence: GpuPtr::new(0xffff_ffa0_0c31_1cc0),
            microsequence_size: 0x240,
            meta: meta(),
            timestamp_pointers: timestamps(0xffff_ffa0_0002_9030),
            ..RunCompute::default()
        };
        c.job_params2.cdm_ctrl_stream_end = U64(0x15_0007_8024);
        if let Some(p) = c.job_params1.first_mut() {
            p.cdm_ctrl_stream_base = U64(0x15_0007_8000);
        }
        let b = c.as_bytes();
        check_common(
            b,
            3,
            offset_of!(RunCompute, vm_slot),
            offset_of!(RunCompute, meta),
            offset_of!(RunCompute, timestamp_pointers),
        );
        let ms = offset_of!(RunCompute, microsequence);
        assert_eq!(read_u64(b, ms), Some(0xffff_ffa0_0c31_1cc0));
        assert_eq!(read_u32(b, ms + 8), Some(0x240));
        let end = offset_of!(RunCompute, job_params2)
            + offset_of!(ComputeJobParams2, cdm_ctrl_stream_end);
        assert_eq!(read_u64(b, end), Some(0x15_0007_8024));
        if !CMD_REG_LIST {
            let enc = offset_of!(RunCompute, job_params1)
                + offset_of!(ComputeJobParams1, cdm_ctrl_stream_base);
            assert_eq!(read_u64(b, enc), Some(0x15_0007_8000));
        }
        assert_eq!(RunCompute::read_from_bytes(b), Ok(c));
        // A corrupted byte decodes to a different command.
        let mut raw = [0u8; 0x1000];
        raw[..b.len()].copy_from_slice(b);
        raw[offset_of!(RunCompute, unk_2d8)] = 0xff;
        assert_ne!(RunCompute::read_from_bytes(&raw[..b.len()]), Ok(c));
    }
}
