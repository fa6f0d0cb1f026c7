//! Sampling helpers shared by the generator's modules; every draw comes from the caller's
//! ChaCha8 stream, so results stay a pure function of the seed and the key.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// Picks an item with probability proportional to `weight` (the table must not be empty).
pub(crate) fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u64 = items.iter().map(|i| u64::from(weight(i))).sum();
    let mut x = rng.random_range(0..total.max(1));
    for item in items {
        let w = u64::from(weight(item));
        if x < w {
            return item;
        }
        x -= w;
    }
    &items[items.len() - 1]
}

/// exp(N(ln median, sigma)).
pub(crate) fn log_normal(rng: &mut ChaCha8Rng, median: f64, sigma: f64) -> f64 {
    let z: f64 = rng.sample(StandardNormal);
    median * (sigma * z).exp()
}
