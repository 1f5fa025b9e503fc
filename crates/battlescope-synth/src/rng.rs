//! Small sampling helpers on top of `rand` (no `rand_distr` needed).

use rand::Rng;

/// A heavy-tailed integer in `min..=max`: a Pareto draw with scale `min` and
/// tail index `alpha`, truncated at `max`. Most draws are near `min`.
pub(crate) fn heavy<R: Rng + ?Sized>(rng: &mut R, min: u32, max: u32, alpha: f64) -> u32 {
    let (min, max) = (min.min(max), max.max(min));
    if min == max {
        return min;
    }
    // 1 - u is in (0, 1]: never divides by zero.
    let u: f64 = 1.0 - rng.gen::<f64>();
    let x = f64::from(min.max(1)) * u.powf(-1.0 / alpha.max(0.05));
    let x = if min == 0 { x - 1.0 } else { x };
    if x >= f64::from(max) {
        max
    } else {
        (x as u32).clamp(min, max)
    }
}

/// An exponential draw with the given mean.
pub(crate) fn exp<R: Rng + ?Sized>(rng: &mut R, mean: f64) -> f64 {
    let u: f64 = 1.0 - rng.gen::<f64>();
    -u.ln() * mean
}

/// A uniform draw in `lo..=hi` (either order).
pub(crate) fn between<R: Rng + ?Sized>(rng: &mut R, lo: i64, hi: i64) -> i64 {
    rng.gen_range(lo.min(hi)..=hi.max(lo))
}

/// A uniform draw in `lo..=hi` for `u32` bounds (either order).
pub(crate) fn between_u32<R: Rng + ?Sized>(rng: &mut R, (lo, hi): (u32, u32)) -> u32 {
    rng.gen_range(lo.min(hi)..=hi.max(lo))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn heavy_stays_in_bounds_and_has_a_tail() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let draws: Vec<u32> = (0..20_000).map(|_| heavy(&mut rng, 1, 500, 0.8)).collect();
        assert!(draws.iter().all(|&d| (1..=500).contains(&d)));
        let small = draws.iter().filter(|&&d| d <= 3).count();
        let big = draws.iter().filter(|&&d| d >= 100).count();
        assert!(small > 10_000, "{small}");
        assert!(big > 100, "{big}");
        assert_eq!(heavy(&mut rng, 7, 7, 1.0), 7);
        assert!((0..100).all(|_| heavy(&mut rng, 0, 3, 1.0) <= 3));
    }
}
