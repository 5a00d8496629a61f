// The decoder of the nested `microseq` module of `microseq.rs` (`Op`, `next_op`, `ops`), for
// the firmware model; `include!`d into that module, whose items and imports it shares.
//
// Source: reference §1.1 (opcode = `header & 0x3f`, headers per op); m1n1
// `microsequence.py` (`MicroSequence` parsing by opcode).

/// One decoded op: a copy of its layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "a copy per op is what the firmware model wants, and there is no allocator"
)]
pub enum Op {
    /// `WaitForIdle` on the pipe its header names.
    WaitForIdle(Pipe),
    /// `WaitForIdle2`.
    WaitForIdle2,
    /// `RetireStamp`.
    RetireStamp,
    /// `Timestamp`.
    Timestamp(Timestamp),
    /// `StartVertex`.
    StartVertex(StartVertex),
    /// `FinalizeVertex`.
    FinalizeVertex(FinalizeVertex),
    /// `StartFragment`.
    StartFragment(StartFragment),
    /// `FinalizeFragment`.
    FinalizeFragment(FinalizeFragment),
    /// `StartCompute`.
    StartCompute(StartCompute),
    /// `FinalizeCompute`.
    FinalizeCompute(FinalizeCompute),
}

impl Op {
    /// The op's opcode.
    pub fn opcode(&self) -> OpCode {
        match self {
            Op::WaitForIdle(_) => OpCode::WaitForIdle,
            Op::WaitForIdle2 => OpCode::WaitForIdle2,
            Op::RetireStamp => OpCode::RetireStamp,
            Op::Timestamp(_) => OpCode::Timestamp,
            Op::StartVertex(_) => OpCode::StartVertex,
            Op::FinalizeVertex(_) => OpCode::FinalizeVertex,
            Op::StartFragment(_) => OpCode::StartFragment,
            Op::FinalizeFragment(_) => OpCode::FinalizeFragment,
            Op::StartCompute(_) => OpCode::StartCompute,
            Op::FinalizeCompute(_) => OpCode::FinalizeCompute,
        }
    }

    /// For a Start op, the GPU address of the run command it starts: `work_item` for
    /// fragment, `unk_pointer` less the offset of `unk_pointee` for vertex and compute.
    pub fn run_command(&self) -> Option<u64> {
        let back = |p: GpuPtr, off: usize| p.va().wrapping_sub(off as u64);
        match self {
            Op::StartVertex(s) => Some(back(s.unk_pointer, offset_of!(RunVertex, unk_pointee))),
            Op::StartFragment(s) => Some(s.work_item.va()),
            Op::StartCompute(s) => {
                Some(back(s.unk_pointer, offset_of!(RunCompute, unk_pointee)))
            }
            _ => None,
        }
    }

    /// For a Finalize op: the firmware stamp address, the value to store there, and the
    /// `restart_branch_offset`.
    pub fn completion(&self) -> Option<(u64, u32, i32)> {
        match self {
            Op::FinalizeVertex(f) => {
                Some((f.fw_stamp.va(), f.stamp_value, f.restart_branch_offset))
            }
            Op::FinalizeFragment(f) => {
                Some((f.fw_stamp.va(), f.stamp_value, f.restart_branch_offset))
            }
            Op::FinalizeCompute(f) => {
                Some((f.fw_stamp.va(), f.stamp_value, f.restart_branch_offset))
            }
            _ => None,
        }
    }
}

/// Reads a `T` from the start of `bytes`, or `Truncated`.
fn read_op<T: Plain>(bytes: &[u8], opcode: OpCode) -> Result<T, MicroseqError> {
    read_prefix_plain::<T>(bytes).ok_or(MicroseqError::Truncated {
        offset: 0,
        opcode: Some(opcode),
        needed: size_of::<T>(),
        available: bytes.len(),
    })
}

/// `T` from the first `size_of::<T>()` bytes (any alignment).
fn read_prefix_plain<T: Plain>(bytes: &[u8]) -> Option<T> {
    super::super::super::plain::read_prefix::<T>(bytes)
}

/// Decodes the op at the start of `bytes`: its typed copy and its size in bytes.
///
/// Refuses, with the offset 0: fewer bytes than the op (`Truncated`), an opcode the driver
/// never emits (`UnknownOpcode`), a header whose argument bits the driver never sets
/// (`BadHeader`: only a `WaitForIdle` pipe and the Timestamp start bit vary), and a wait op
/// of the other generation (`NotForVariant`).
pub fn next_op(bytes: &[u8]) -> Result<(Op, usize), MicroseqError> {
    let header = read_u32(bytes, 0).ok_or(MicroseqError::Truncated {
        offset: 0,
        opcode: None,
        needed: 4,
        available: bytes.len(),
    })?;
    let opcode = OpCode::from_header(header)
        .ok_or(MicroseqError::UnknownOpcode { offset: 0, header })?;
    let bad = MicroseqError::BadHeader { offset: 0, header };
    let exact = |expected: u32| if header == expected { Ok(()) } else { Err(bad) };
    let op = match opcode {
        OpCode::WaitForIdle | OpCode::WaitForIdle2 if G14X != (opcode == OpCode::WaitForIdle2) => {
            return Err(MicroseqError::NotForVariant { offset: 0, opcode });
        }
        OpCode::WaitForIdle => {
            let pipe = Pipe::from_wait_for_idle_header(header).ok_or(bad)?;
            read_op::<WaitForIdle>(bytes, opcode)?;
            Op::WaitForIdle(pipe)
        }
        OpCode::WaitForIdle2 => {
            exact(WAIT_FOR_IDLE2_HEADER)?;
            read_op::<WaitForIdle2>(bytes, opcode)?;
            Op::WaitForIdle2
        }
        OpCode::RetireStamp => {
            exact(RETIRE_STAMP_HEADER)?;
            read_op::<RetireStamp>(bytes, opcode)?;
            Op::RetireStamp
        }
        OpCode::Timestamp => {
            exact(header & TIMESTAMP_START_FLAG | OpCode::Timestamp.value())?;
            Op::Timestamp(read_op(bytes, opcode)?)
        }
        OpCode::StartVertex => {
            exact(opcode.value())?;
            Op::StartVertex(read_op(bytes, opcode)?)
        }
        OpCode::FinalizeVertex => {
            exact(opcode.value())?;
            Op::FinalizeVertex(read_op(bytes, opcode)?)
        }
        OpCode::StartFragment => {
            exact(opcode.value())?;
            Op::StartFragment(read_op(bytes, opcode)?)
        }
        OpCode::FinalizeFragment => {
            exact(opcode.value())?;
            Op::FinalizeFragment(read_op(bytes, opcode)?)
        }
        OpCode::StartCompute => {
            exact(opcode.value())?;
            Op::StartCompute(read_op(bytes, opcode)?)
        }
        OpCode::FinalizeCompute => {
            exact(opcode.value())?;
            Op::FinalizeCompute(read_op(bytes, opcode)?)
        }
    };
    Ok((op, op_size(opcode)))
}

/// Size in bytes of an op of this variant.
pub const fn op_size(opcode: OpCode) -> usize {
    match opcode {
        OpCode::WaitForIdle => size_of::<WaitForIdle>(),
        OpCode::WaitForIdle2 => size_of::<WaitForIdle2>(),
        OpCode::RetireStamp => size_of::<RetireStamp>(),
        OpCode::Timestamp => size_of::<Timestamp>(),
        OpCode::StartVertex => size_of::<StartVertex>(),
        OpCode::FinalizeVertex => size_of::<FinalizeVertex>(),
        OpCode::StartFragment => size_of::<StartFragment>(),
        OpCode::FinalizeFragment => size_of::<FinalizeFragment>(),
        OpCode::StartCompute => size_of::<StartCompute>(),
        OpCode::FinalizeCompute => size_of::<FinalizeCompute>(),
    }
}

/// Iterator over the ops of a sequence: `(offset, op)` pairs, or the first error (with
/// the op's offset in the sequence), after which it ends. It ends at the end of the bytes;
/// it does not stop at `RetireStamp` (the walker does).
#[derive(Clone, Debug)]
pub struct Ops<'a> {
    bytes: &'a [u8],
    pos: usize,
    failed: bool,
}

/// The ops of `bytes`, in order.
pub fn ops(bytes: &[u8]) -> Ops<'_> {
    Ops {
        bytes,
        pos: 0,
        failed: false,
    }
}

impl Iterator for Ops<'_> {
    type Item = Result<(usize, Op), MicroseqError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let rest = self.bytes.get(self.pos..).filter(|r| !r.is_empty())?;
        match next_op(rest) {
            Ok((op, size)) => {
                let at = self.pos;
                self.pos += size;
                Some(Ok((at, op)))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e.at(self.pos)))
            }
        }
    }
}
