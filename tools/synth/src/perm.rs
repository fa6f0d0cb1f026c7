//! Stateless unique numbering: a bijection on `0..m` that scatters consecutive keys.
//!
//! Identifiers embed the client key through a [`Perm`] of their number space, so they are
//! unique without any record of what was issued.

const fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A bijection of `0..m`: multiplication by a unit of `Z/m` near `m / φ` (so neighbouring
/// keys land far apart) followed by a per-seed shift.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Perm {
    m: u64,
    a: u64,
}

impl Perm {
    /// The permutation of `0..m`.
    pub(crate) const fn new(m: u64) -> Self {
        let m = if m == 0 { 1 } else { m };
        // Fixed-point m × 0.618…, below m.
        let mut a = ((m as u128 * 0x9E37_79B9_7F4A_7C15) >> 64) as u64 | 1;
        while gcd(a, m) != 1 {
            a += 2;
        }
        Self { m, a }
    }

    /// How many numbers it permutes (`m`).
    pub(crate) const fn size(self) -> u64 {
        self.m
    }

    /// The image of `x` (injective for `x < m`).
    pub(crate) fn apply(self, x: u64, salt: u64) -> u64 {
        let (m, a) = (self.m, self.a);
        if m <= u64::from(u32::MAX) {
            (x % m * a + salt % m) % m
        } else {
            // Below m, which is a u64.
            ((u128::from(x % m) * u128::from(a) + u128::from(salt % m)) % u128::from(m)) as u64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scramble_is_a_bijection() {
        for m in [1, 2, 10, 97, 3_000, 100_000, 112_000] {
            let mut seen = vec![false; m as usize];
            for x in 0..m {
                let v = Perm::new(m).apply(x, 12_345) as usize;
                assert!(!seen[v]);
                seen[v] = true;
            }
        }
    }
}
