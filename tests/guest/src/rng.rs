//! A small seeded pseudo-random generator (SplitMix64) for reproducible fuzzing.
//!
//! The fuzzers derive one sub-seed per process and thread with [`Rng::derive`], so a run is
//! replayed by its top-level seed alone, and print every sub-seed so one failing sequence can be
//! named.

/// A SplitMix64 generator: fast, small state, good enough statistics for fuzzing.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator starting at `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The sub-seed number `index` of `seed` (independent of any generator's state).
    pub fn derive(seed: u64, index: u64) -> u64 {
        let mut r = Rng(seed ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        r.next_u64();
        r.next_u64()
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    /// One element of `items` (`None` if it is empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        // CAST: slice lengths fit in u64 and the index is below the length.
        items.get(self.below(items.len() as u64) as usize)
    }

    /// An index into a collection of `len` items, or `None` if it is empty.
    pub fn index(&mut self, len: usize) -> Option<usize> {
        // CAST: as in `pick`.
        (len > 0).then(|| self.below(len as u64) as usize)
    }

    /// A `u32` edge value: 0, 1, small, powers of two and their neighbours, the maximum.
    pub fn edge_u32(&mut self) -> u32 {
        // CAST: truncation to 32 bits is the point.
        self.edge_u64() as u32
    }

    /// A `u64` edge value: 0, 1, small, powers of two and their neighbours, the maximum.
    pub fn edge_u64(&mut self) -> u64 {
        let bit = self.below(64);
        match self.below(8) {
            0 => 0,
            1 => 1,
            2 => u64::MAX,
            3 => 1 << bit,
            4 => (1u64 << bit).wrapping_sub(1),
            5 => (1u64 << bit).wrapping_add(1),
            6 => self.below(256),
            _ => self.next_u64(),
        }
    }

    /// Random bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// The value of `name=` on the kernel command line (`/proc/cmdline`), if present.
pub fn cmdline_param(name: &str) -> Option<String> {
    let line = std::fs::read_to_string("/proc/cmdline").ok()?;
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(name)?.strip_prefix('=').map(str::to_owned))
}

/// A numeric kernel command line parameter (decimal or `0x` hexadecimal).
pub fn cmdline_u64(name: &str) -> Option<u64> {
    let v = cmdline_param(name)?;
    match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}
