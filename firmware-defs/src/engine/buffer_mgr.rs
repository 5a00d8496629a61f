//! The books of the tiled vertex buffer (TVB): the heap of 128 KiB blocks each render queue owns,
//! the GPU-wide buffer-manager slots its scenes bind it to, growth (preallocation, auto-grow from
//! the firmware's statistics, the firmware's GrowTVB request) and when an `InitBuffer` must
//! precede a `RunVertex`.
//!
//! This is pure bookkeeping: no allocation and no locks. The caller allocates the blocks a
//! [`GrowPlan`] asks for (anywhere in the VM, 32 KiB aligned), hands their GPU addresses to
//! [`BufferManager::commit_grow`], which fills the firmware's block and page lists (the "BLST" and
//! "PLST" arrays the buffer's `Info` points at, given as slices) and says which counters to
//! write. Every operation validates its input and changes nothing when it fails.
//!
//! Ownership: one [`SlotPool`] per GPU (the 127 firmware slots), one [`BufferManager`] per
//! render queue; the driver holds the pool's lock around [`BufferManager::begin_scene`],
//! [`BufferManager::end_scene`] and [`SlotPool::active_owner`] (the GrowTVB path), taken after
//! the buffer's own lock.
//!
//! Sources: downstream `buffer.rs` (herrnst/linux-asahi @ 070ab821: `NUM_BUFFERS`, `PAGE_SHIFT`,
//! `PAGES_PER_BLOCK`, `Buffer::new` maxima, `auto_grow`, `sync_grow`, `ensure_blocks`,
//! `new_scene`, `Scene::{used_bytes, overflowed}`, `BufferManager::grow`), `slotalloc.rs`
//! (sticky slots: a released slot is reused by its last owner unless another took it, otherwise
//! the least recently released free slot is taken and the binding "changed"), `queue/render.rs`
//! (InitBuffer when the slot changed or the heap grew); reference `firmware-commands.md` §3.1,
//! §3.4 and §3.5. The slot states follow the Tyr driver's slot manager (`Free`, `Active`,
//! `Idle`: an idle slot keeps its binding until it is evicted).

/// log2 of the TVB page size (downstream `PAGE_SHIFT`): block addresses must be aligned to it
/// and the lists hold addresses shifted right by it.
pub const PAGE_SHIFT: u32 = 15;
/// TVB page size, 32 KiB.
pub const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;
/// Pages per block (downstream `PAGES_PER_BLOCK`); a block's pages are contiguous in VA.
pub const PAGES_PER_BLOCK: u32 = 4;
/// Bytes per block, 128 KiB (downstream `BLOCK_SIZE`; `Info.block_size`).
pub const BLOCK_SIZE: u32 = (PAGE_SIZE as u32) * PAGES_PER_BLOCK;
/// Firmware buffer-manager slots: 127, "yes, 127, not 128" (downstream `NUM_BUFFERS`).
pub const NUM_BUFFER_SLOTS: usize = 127;
/// Largest heap in bytes, "the typical max on macOS" (downstream `Buffer::new` `max_size`).
pub const MAX_TVB_BYTES: u64 = 862_322_688;
/// Most blocks of a heap: 6579 (reference §3.1).
pub const MAX_BLOCKS: u32 = (MAX_TVB_BYTES / BLOCK_SIZE as u64) as u32;
/// Most blocks without memoryless render targets, a third of the maximum: 2193; auto-grow
/// stops here (downstream `max_blocks_nomemless`).
pub const MAX_BLOCKS_NOMEMLESS: u32 = (MAX_TVB_BYTES / 3 / BLOCK_SIZE as u64) as u32;
/// Blocks a queue's heap is preallocated with (downstream module parameter `initial_tvb_size`).
pub const INITIAL_BLOCKS: u32 = 8;
/// Blocks a GrowTVB request adds (downstream `sync_grow`: `cur_count + 10`).
pub const SYNC_GROW_BLOCKS: u32 = 10;
/// Bytes of the `buffer_mgr_ctl` object of `RuntimePointers` (reference §3.1).
pub const BUFFER_MGR_CTL_SIZE: usize = 0x4000;

const _: () = assert!(BLOCK_SIZE == 0x20000);
const _: () = assert!(MAX_BLOCKS == 6579);
const _: () = assert!(MAX_BLOCKS_NOMEMLESS == 2193);

/// Who owns a heap: any id the caller keeps unique per live [`BufferManager`] (a queue id).
pub type OwnerId = u64;

/// Why a buffer-manager operation was refused. Nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BufferError {
    /// The heap would need `requested` blocks, more than its maximum `max` (downstream
    /// `ensure_blocks`: ENOMEM).
    TooLarge {
        /// Blocks asked for.
        requested: u32,
        /// The heap's maximum.
        max: u32,
    },
    /// A GrowTVB request found the heap already at its maximum of `max` blocks.
    AtMax {
        /// The heap's maximum.
        max: u32,
    },
    /// The limits given to [`BufferManager::with_limits`] are inconsistent (zero, the auto-grow
    /// cap above the maximum, or a page count overflowing `u32`).
    BadLimits,
    /// The plan was made for a heap of `planned` blocks, but it has `current` now.
    StalePlan {
        /// Blocks when the plan was made.
        planned: u32,
        /// Blocks now.
        current: u32,
    },
    /// `commit_grow` got `got` block addresses for a plan adding `expected`.
    BlockCount {
        /// Blocks the plan adds.
        expected: u32,
        /// Addresses given.
        got: usize,
    },
    /// Block `index` of the addresses is not 32 KiB aligned, or its page numbers do not fit
    /// the lists' `u32`.
    BadBlockAddress {
        /// Index in the given addresses.
        index: usize,
        /// The address.
        va: u64,
    },
    /// The block or page list slice is shorter than the grown heap needs.
    ListTooShort,
    /// Every slot is bound to an active scene (downstream blocks; the caller may wait for a
    /// scene to end and retry).
    NoFreeSlot,
    /// A slot number past [`NUM_BUFFER_SLOTS`].
    BadSlot {
        /// The slot.
        slot: u32,
    },
    /// The slot is not active for this owner (release of a slot not held, an owner acquiring
    /// twice).
    NotOwner {
        /// The slot.
        slot: u32,
    },
    /// `end_scene` without a scene.
    NoActiveScene,
    /// More scenes than a `u32` counts.
    TooManyScenes,
}

/// The state of one firmware buffer-manager slot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SlotState {
    /// Bound to nothing (never used, or its last owner is gone).
    #[default]
    Free,
    /// Bound to `owner`'s heap, which has scenes in flight; never taken away.
    Active {
        /// The heap's owner.
        owner: OwnerId,
    },
    /// Still bound to `owner`'s heap (the firmware's state for it is valid) but without
    /// scenes: `owner` gets it back without re-initialisation, anyone else may evict it, the
    /// least recently released first.
    Idle {
        /// The heap's owner.
        owner: OwnerId,
        /// When it was released (a counter), for least-recently-released eviction.
        released: u64,
    },
}

/// A slot handed out by [`SlotPool::acquire`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotGrant {
    /// The slot number.
    pub slot: u32,
    /// The slot was not bound to this owner's heap before (downstream `Guard::changed`): the
    /// firmware must be told with an `InitBuffer`.
    pub changed: bool,
}

/// The GPU's 127 buffer-manager slots (about 3 KiB: the kernel keeps it in its GPU object, not
/// on the stack).
///
/// # Invariants
///
/// An owner is named by at most one slot that is not [`SlotState::Free`].
#[derive(Clone, Debug)]
pub struct SlotPool {
    slots: [SlotState; NUM_BUFFER_SLOTS],
    clock: u64,
}

impl Default for SlotPool {
    fn default() -> Self {
        Self::new()
    }
}

impl SlotPool {
    /// All slots free.
    pub const fn new() -> SlotPool {
        SlotPool {
            slots: [SlotState::Free; NUM_BUFFER_SLOTS],
            clock: 0,
        }
    }

    /// The state of `slot`, `None` past [`NUM_BUFFER_SLOTS`].
    pub fn state(&self, slot: u32) -> Option<SlotState> {
        self.slots.get(usize::try_from(slot).ok()?).copied()
    }

    fn index_of(&self, owner: OwnerId) -> Option<usize> {
        self.slots.iter().position(|s| match *s {
            SlotState::Active { owner: o } | SlotState::Idle { owner: o, .. } => o == owner,
            SlotState::Free => false,
        })
    }

    /// Binds a slot to `owner`'s heap: its idle slot if it still has one (`changed` false),
    /// else the lowest free slot, else the least recently released idle slot of another owner
    /// (evicted). `NotOwner` if `owner` already holds an active slot, `NoFreeSlot` if every
    /// slot is active.
    pub fn acquire(&mut self, owner: OwnerId) -> Result<SlotGrant, BufferError> {
        if let Some(i) = self.index_of(owner) {
            // CAST: i < NUM_BUFFER_SLOTS = 127.
            let slot = i as u32;
            if let SlotState::Active { .. } = self.slots[i] {
                return Err(BufferError::NotOwner { slot });
            }
            self.slots[i] = SlotState::Active { owner };
            return Ok(SlotGrant {
                slot,
                changed: false,
            });
        }
        let free = self.slots.iter().position(|s| *s == SlotState::Free);
        let victim = free.or_else(|| {
            self.slots
                .iter()
                .enumerate()
                .filter_map(|(i, s)| match *s {
                    SlotState::Idle { released, .. } => Some((released, i)),
                    _ => None,
                })
                .min()
                .map(|(_, i)| i)
        });
        let i = victim.ok_or(BufferError::NoFreeSlot)?;
        self.slots[i] = SlotState::Active { owner };
        Ok(SlotGrant {
            // CAST: i < NUM_BUFFER_SLOTS = 127.
            slot: i as u32,
            changed: true,
        })
    }

    /// Makes `owner`'s active `slot` idle (it keeps the binding until evicted).
    pub fn release(&mut self, slot: u32, owner: OwnerId) -> Result<(), BufferError> {
        let s = usize::try_from(slot)
            .ok()
            .and_then(|i| self.slots.get_mut(i))
            .ok_or(BufferError::BadSlot { slot })?;
        if *s != (SlotState::Active { owner }) {
            return Err(BufferError::NotOwner { slot });
        }
        self.clock = self.clock.wrapping_add(1);
        *s = SlotState::Idle {
            owner,
            released: self.clock,
        };
        Ok(())
    }

    /// Frees `owner`'s idle slot, if any, when its heap goes away. Returns whether the owner
    /// still holds an active slot (a bug in the caller: its scenes outlive the heap); that slot
    /// is left alone.
    pub fn forget(&mut self, owner: OwnerId) -> bool {
        match self.index_of(owner) {
            Some(i) => match self.slots[i] {
                SlotState::Idle { .. } => {
                    self.slots[i] = SlotState::Free;
                    false
                }
                _ => true,
            },
            None => false,
        }
    }

    /// The owner of an active slot: whom a GrowTVB event for `slot` is for (downstream
    /// `BufferManager::grow`: a request for a slot without an owner is only logged).
    pub fn active_owner(&self, slot: u32) -> Result<OwnerId, BufferError> {
        match self.state(slot) {
            None => Err(BufferError::BadSlot { slot }),
            Some(SlotState::Active { owner }) => Ok(owner),
            Some(_) => Err(BufferError::NotOwner { slot }),
        }
    }

    /// Slots in [`SlotState::Active`].
    pub fn active_count(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| matches!(s, SlotState::Active { .. }))
            .count()
    }
}

/// A growth of a heap from `from` to `to` blocks, to be allocated by the caller and committed
/// with [`BufferManager::commit_grow`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GrowPlan {
    /// Blocks before.
    pub from: u32,
    /// Blocks after.
    pub to: u32,
}

impl GrowPlan {
    /// Blocks to allocate.
    pub const fn added(&self) -> u32 {
        self.to.saturating_sub(self.from)
    }
}

/// The `Info` counters for a heap of a block count (downstream `ensure_blocks`: page_count =
/// 4n, block_count = n, last_page = 4n − 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InfoCounts {
    /// `Info.page_count`.
    pub page_count: u32,
    /// `Info.block_count`.
    pub block_count: u32,
    /// `Info.last_page`.
    pub last_page: u32,
}

impl InfoCounts {
    /// The counters for `blocks` blocks (at most [`BufferManager`]'s checked maximum, so the
    /// page count fits).
    fn of(blocks: u32) -> InfoCounts {
        let page_count = blocks.saturating_mul(PAGES_PER_BLOCK);
        InfoCounts {
            page_count,
            block_count: blocks,
            last_page: page_count.saturating_sub(1),
        }
    }
}

/// What to write after a committed growth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeapUpdate {
    /// `BlockControl.total` and `.wptr`: the new block count, always written.
    pub block_ctl: u32,
    /// The `Info` counters, only when no scene is active (the firmware owns them otherwise;
    /// they are then handed out by the next [`BufferManager::begin_scene`]).
    pub info: Option<InfoCounts>,
}

/// A scene's binding, from [`BufferManager::begin_scene`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SceneTicket {
    /// The buffer-manager slot (`RunVertex.buffer_slot`, `InitBuffer.buffer_slot`).
    pub slot: u32,
    /// An `InitBuffer` with [`SceneTicket::block_count`] must precede this scene's
    /// `RunVertex`: the slot changed or the heap grew since the last one.
    pub needs_init_buffer: bool,
    /// Blocks in the heap (`InitBuffer.block_count`).
    pub block_count: u32,
    /// `Info` counters to write before the scene runs (growth while scenes were active).
    pub info: Option<InfoCounts>,
}

/// The books of one render queue's TVB heap.
///
/// # Invariants
///
/// `blocks <= max_blocks`, `grow_cap <= max_blocks`, `max_blocks * PAGES_PER_BLOCK` fits `u32`;
/// `slot` is `Some` exactly while `active_scenes > 0`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BufferManager {
    owner: OwnerId,
    blocks: u32,
    max_blocks: u32,
    grow_cap: u32,
    active_scenes: u32,
    slot: Option<u32>,
    init_pending: bool,
    info_stale: bool,
}

impl BufferManager {
    /// An empty heap for `owner` with downstream's limits ([`MAX_BLOCKS`], auto-grow up to
    /// [`MAX_BLOCKS_NOMEMLESS`]). Preallocate it with [`BufferManager::plan_grow`] of
    /// [`INITIAL_BLOCKS`].
    pub const fn new(owner: OwnerId) -> BufferManager {
        BufferManager {
            owner,
            blocks: 0,
            max_blocks: MAX_BLOCKS,
            grow_cap: MAX_BLOCKS_NOMEMLESS,
            active_scenes: 0,
            slot: None,
            init_pending: true,
            info_stale: false,
        }
    }

    /// An empty heap with other limits (8 GiB machines halve them, per downstream's comment):
    /// `BadLimits` unless 0 < `grow_cap` <= `max_blocks` and its page count fits `u32`.
    pub fn with_limits(
        owner: OwnerId,
        max_blocks: u32,
        grow_cap: u32,
    ) -> Result<BufferManager, BufferError> {
        if grow_cap == 0
            || grow_cap > max_blocks
            || max_blocks.checked_mul(PAGES_PER_BLOCK * 4).is_none()
        {
            return Err(BufferError::BadLimits);
        }
        Ok(BufferManager {
            max_blocks,
            grow_cap,
            ..BufferManager::new(owner)
        })
    }

    /// The owner id.
    pub fn owner(&self) -> OwnerId {
        self.owner
    }

    /// Blocks in the heap.
    pub fn blocks(&self) -> u32 {
        self.blocks
    }

    /// Bytes in the heap.
    pub fn size_bytes(&self) -> u64 {
        u64::from(self.blocks) * u64::from(BLOCK_SIZE)
    }

    /// Most blocks the heap may have (`Info.max_blocks`).
    pub fn max_blocks(&self) -> u32 {
        self.max_blocks
    }

    /// Where auto-grow stops (`Info.max_pages_nomemless` / 4).
    pub fn grow_cap(&self) -> u32 {
        self.grow_cap
    }

    /// Scenes in flight.
    pub fn active_scenes(&self) -> u32 {
        self.active_scenes
    }

    /// The slot while scenes are in flight.
    pub fn slot(&self) -> Option<u32> {
        self.slot
    }

    /// Whether the heap changed since the last `InitBuffer` (never initialised, or grew): the
    /// next scene needs one even if it keeps its slot.
    pub fn needs_init_buffer(&self) -> bool {
        self.init_pending
    }

    /// The growth to at least `min_blocks` (downstream `ensure_blocks`): `None` if the heap is
    /// that large already (it never shrinks), `TooLarge` past the maximum.
    pub fn plan_grow(&self, min_blocks: u32) -> Result<Option<GrowPlan>, BufferError> {
        if min_blocks <= self.blocks {
            return Ok(None);
        }
        if min_blocks > self.max_blocks {
            return Err(BufferError::TooLarge {
                requested: min_blocks,
                max: self.max_blocks,
            });
        }
        Ok(Some(GrowPlan {
            from: self.blocks,
            to: min_blocks,
        }))
    }

    /// The auto-grow target for a firmware high-water mark of `used_pages` (`Stats.max_pages`,
    /// after which the caller writes `Stats.reset` = 1): downstream `auto_grow` grows to
    /// ⌈3·used/4⌉ blocks ("3x the requested size, same logic as macOS") when ⌈2·used/4⌉ exceeds
    /// the heap, both capped at the auto-grow cap; `None` otherwise.
    pub fn auto_grow_target(&self, used_pages: u32) -> Option<u32> {
        let blocks = |factor: u64| {
            let b = (u64::from(used_pages) * factor).div_ceil(u64::from(PAGES_PER_BLOCK));
            // CAST: capped at grow_cap, a u32.
            b.min(u64::from(self.grow_cap)) as u32
        };
        let need = blocks(2);
        (need > self.blocks).then(|| blocks(3))
    }

    /// The growth before a render: auto-grow from `used_pages` and then at least
    /// `min_tvb_blocks` (the render's `TileInfo::min_tvb_blocks`), as downstream's
    /// `submit_render` calls `auto_grow` and `ensure_blocks` in turn. `TooLarge` if the render
    /// needs more than the maximum.
    pub fn plan_render(
        &self,
        used_pages: u32,
        min_tvb_blocks: u32,
    ) -> Result<Option<GrowPlan>, BufferError> {
        let auto = self.auto_grow_target(used_pages).unwrap_or(0);
        self.plan_grow(auto.max(min_tvb_blocks))
    }

    /// The growth a GrowTVB event asks for (the firmware ran out during a pass): downstream
    /// `sync_grow` adds [`SYNC_GROW_BLOCKS`]; here capped at the maximum rather than refused
    /// whole, and `AtMax` when nothing can be added. The acknowledgement is sent either way.
    pub fn plan_sync_grow(&self) -> Result<GrowPlan, BufferError> {
        if self.blocks >= self.max_blocks {
            return Err(BufferError::AtMax {
                max: self.max_blocks,
            });
        }
        let to = self
            .blocks
            .saturating_add(SYNC_GROW_BLOCKS)
            .min(self.max_blocks);
        Ok(GrowPlan {
            from: self.blocks,
            to,
        })
    }

    /// Commits `plan` with the GPU addresses of its new blocks (`plan.added()` of them, each
    /// 32 KiB aligned): writes block i's page number (VA >> 15) at `block_list[2i]` and its
    /// pages at `page_list[4i..4i+4]` (downstream `ensure_blocks`), and marks the heap for an
    /// `InitBuffer`. Validates everything first; on error nothing is written.
    pub fn commit_grow(
        &mut self,
        plan: GrowPlan,
        block_vas: &[u64],
        block_list: &mut [u32],
        page_list: &mut [u32],
    ) -> Result<HeapUpdate, BufferError> {
        if plan.from != self.blocks || plan.to < plan.from {
            return Err(BufferError::StalePlan {
                planned: plan.from,
                current: self.blocks,
            });
        }
        if plan.to > self.max_blocks {
            return Err(BufferError::TooLarge {
                requested: plan.to,
                max: self.max_blocks,
            });
        }
        if block_vas.len() != plan.added() as usize {
            return Err(BufferError::BlockCount {
                expected: plan.added(),
                got: block_vas.len(),
            });
        }
        let page_num = |va: u64| -> Option<u32> {
            if va % PAGE_SIZE != 0 {
                return None;
            }
            let first = u32::try_from(va >> PAGE_SHIFT).ok()?;
            first.checked_add(PAGES_PER_BLOCK - 1).map(|_| first)
        };
        for (index, &va) in block_vas.iter().enumerate() {
            if page_num(va).is_none() {
                return Err(BufferError::BadBlockAddress { index, va });
            }
        }
        let from = plan.from as usize;
        let to = plan.to as usize;
        let ppb = PAGES_PER_BLOCK as usize;
        let blocks_out = block_list
            .get_mut(2 * from..2 * to)
            .ok_or(BufferError::ListTooShort)?;
        let pages_out = page_list
            .get_mut(ppb * from..ppb * to)
            .ok_or(BufferError::ListTooShort)?;
        for ((&va, b), p) in block_vas
            .iter()
            .zip(blocks_out.chunks_exact_mut(2))
            .zip(pages_out.chunks_exact_mut(ppb))
        {
            let first = page_num(va).unwrap_or(0);
            b[0] = first;
            for (j, e) in (0u32..).zip(p.iter_mut()) {
                *e = first + j;
            }
        }
        self.blocks = plan.to;
        if plan.to != plan.from {
            self.init_pending = true;
        }
        let info = if self.active_scenes == 0 {
            self.info_stale = false;
            Some(InfoCounts::of(self.blocks))
        } else {
            self.info_stale = true;
            None
        };
        Ok(HeapUpdate {
            block_ctl: self.blocks,
            info,
        })
    }

    /// Starts a scene (downstream `new_scene`): the first scene in flight binds a slot from
    /// `pool`, later ones share it. The ticket says whether an `InitBuffer` must go first (the
    /// slot changed, or the heap grew since the last one); handing that out clears the pending
    /// state, so a scene abandoned before it was queued must be ended with
    /// [`BufferManager::abort_scene`].
    pub fn begin_scene(&mut self, pool: &mut SlotPool) -> Result<SceneTicket, BufferError> {
        let scenes = self
            .active_scenes
            .checked_add(1)
            .ok_or(BufferError::TooManyScenes)?;
        let (slot, changed) = match self.slot {
            Some(slot) => (slot, false),
            None => {
                let g = pool.acquire(self.owner)?;
                (g.slot, g.changed)
            }
        };
        let info = if self.active_scenes == 0 && self.info_stale {
            self.info_stale = false;
            Some(InfoCounts::of(self.blocks))
        } else {
            None
        };
        let needs_init_buffer = changed || self.init_pending;
        self.init_pending = false;
        self.slot = Some(slot);
        self.active_scenes = scenes;
        Ok(SceneTicket {
            slot,
            needs_init_buffer,
            block_count: self.blocks,
            info,
        })
    }

    /// Ends a scene whose commands completed or were dropped after being queued; the last
    /// one releases the slot to `pool` (idle: the next scene gets it back unless evicted).
    pub fn end_scene(&mut self, pool: &mut SlotPool) -> Result<(), BufferError> {
        let slot = self.slot.ok_or(BufferError::NoActiveScene)?;
        if self.active_scenes == 1 {
            pool.release(slot, self.owner)?;
            self.slot = None;
        }
        self.active_scenes = self.active_scenes.saturating_sub(1);
        Ok(())
    }

    /// Ends a scene that was never queued: as [`BufferManager::end_scene`], and the
    /// `InitBuffer` its ticket called for is owed to the next scene again.
    pub fn abort_scene(
        &mut self,
        pool: &mut SlotPool,
        ticket: &SceneTicket,
    ) -> Result<(), BufferError> {
        self.end_scene(pool)?;
        if ticket.needs_init_buffer {
            self.init_pending = true;
        }
        Ok(())
    }
}

/// TVB bytes a scene used: `Scene.total_page_count` pages (downstream `Scene::used_bytes`).
pub const fn scene_used_bytes(total_page_count: u32) -> u64 {
    total_page_count as u64 * PAGE_SIZE
}

/// Whether the TVB overflowed while the scene rendered (partial renders happened):
/// `total_page_count > pass_page_count` (downstream `Scene::overflowed`).
pub const fn scene_overflowed(pass_page_count: u32, total_page_count: u32) -> bool {
    total_page_count > pass_page_count
}

#[cfg(test)]
#[path = "buffer_mgr_tests.rs"]
mod tests;
