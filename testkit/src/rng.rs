//! Deterministic pseudo-randomness: every generated value is a pure function of (seed, stream, index),
//! so a million orders need no memory and the same seed always yields the same panel.

/// SplitMix64 finaliser.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A hash of the seed, a stream tag and an index.
pub fn h(seed: u64, stream: u64, i: u64) -> u64 {
    mix(seed ^ mix(stream.wrapping_mul(0x100_0000_01B3) ^ mix(i)))
}

/// Uniform in `0..n` (n > 0).
pub fn below(seed: u64, stream: u64, i: u64, n: u64) -> u64 {
    h(seed, stream, i) % n.max(1)
}

/// Uniform in [0, 1).
pub fn unit(seed: u64, stream: u64, i: u64) -> f64 {
    (h(seed, stream, i) >> 11) as f64 / (1u64 << 53) as f64
}

/// A small sequential generator for the up-front parts (users, tickets).
pub struct Seq {
    seed: u64,
    stream: u64,
    n: u64,
}

impl Seq {
    pub fn new(seed: u64, stream: u64) -> Self {
        Seq { seed, stream, n: 0 }
    }
    pub fn draw(&mut self) -> u64 {
        self.n += 1;
        h(self.seed, self.stream, self.n)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.draw() % n.max(1)
    }
    pub fn unit(&mut self) -> f64 {
        (self.draw() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}
