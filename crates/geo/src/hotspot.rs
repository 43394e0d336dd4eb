//! Hot spots: the Getis-Ord Gi* statistic with binary weights that include each cell
//! itself, computed the way PySAL's `esda.G_Local(y, w, transform="B", star=True)` does
//! so the z-scores agree with it, plus conditional-permutation pseudo p-values and the
//! Benjamini–Hochberg false-discovery-rate correction.
//!
//! For cell i with neighbour set N(i) ∪ {i} of size wᵢ, n cells, ȳ the mean and s² the
//! (population) variance of y:
//!
//! Gᵢ* = Σⱼ yⱼ / Σ y, E[Gᵢ*] = wᵢ / n,
//! Var[Gᵢ*] = wᵢ (n − wᵢ) / (n − 1) / n² · s² / ȳ², z = (Gᵢ* − E) / √Var.

use crate::hexbin::Neighbours;

/// The statistic for every cell.
#[derive(Debug, Clone)]
pub struct GiStar {
    pub z: Vec<f64>,
    /// One-tailed normal p-value of |z| (as esda's `p_norm`).
    pub p_norm: Vec<f64>,
    /// Folded permutation p-value (as esda's `p_sim`), when permutations were asked.
    pub p_sim: Option<Vec<f64>>,
}

/// Options for the permutation inference.
#[derive(Debug, Clone, Copy)]
pub struct Permutations {
    pub count: usize,
    pub seed: u64,
    pub threads: usize,
}

/// Gi* over `y` with the given neighbours. Cells with no variance in y (all equal) get
/// z = 0 and p = 0.5 rather than NaN.
pub fn gi_star(y: &[f64], w: &Neighbours, permutations: Option<Permutations>) -> GiStar {
    let n = y.len();
    let nf = n as f64;
    let sum: f64 = y.iter().sum();
    let mean = sum / nf;
    let mean_of_squares = y.iter().map(|v| v * v).sum::<f64>() / nf;
    let variance = mean_of_squares - mean * mean;
    let lagged: Vec<f64> = (0..n)
        .map(|i| y[i] + w.of(i).iter().map(|&j| y[j as usize]).sum::<f64>())
        .collect();
    let mut z = Vec::with_capacity(n);
    for (i, &lag) in lagged.iter().enumerate() {
        let statistic = lag / sum;
        let cardinality = (w.of(i).len() + 1) as f64;
        let expected = cardinality / nf;
        let mut expected_variance = cardinality * (nf - cardinality);
        expected_variance /= nf - 1.0;
        expected_variance *= 1.0 / (nf * nf);
        expected_variance *= variance / (mean * mean);
        let zi = (statistic - expected) / expected_variance.sqrt();
        z.push(if zi.is_finite() { zi } else { 0.0 });
    }
    let p_norm = z.iter().map(|&v| normal_sf(v.abs())).collect();
    let p_sim = permutations.map(|p| permutation_p(y, w, &lagged, p));
    GiStar { z, p_norm, p_sim }
}

/// Upper tail of the standard normal distribution.
pub fn normal_sf(x: f64) -> f64 {
    0.5 * libm::erfc(x / std::f64::consts::SQRT_2)
}

/// Conditional randomisation: cell i keeps its own value, and its neighbours' values
/// are replaced by a random draw (without replacement) from the other n − 1 cells. As
/// in esda, one table of draws serves every cell (index i is skipped by shifting), so the
/// cost is one pass over the table per cell.
fn permutation_p(y: &[f64], w: &Neighbours, lagged: &[f64], p: Permutations) -> Vec<f64> {
    let n = y.len();
    let most = (0..n).map(|i| w.of(i).len()).max().unwrap_or(0);
    if n < 2 || p.count == 0 {
        return vec![1.0; n];
    }
    let k = most.min(n - 1);
    let mut rng = Xoshiro::seeded(p.seed);
    let mut pool: Vec<u32> = (0..(n - 1) as u32).collect();
    let mut draws = vec![0u32; p.count * k];
    for row in draws.chunks_mut(k.max(1)) {
        // A partial Fisher–Yates shuffle; undone afterwards so the pool stays 0..n-1.
        let mut swaps = [(0usize, 0usize); 64];
        for (m, slot) in row.iter_mut().enumerate() {
            let pick = m + rng.below((n - 1 - m) as u64) as usize;
            pool.swap(m, pick);
            if m < swaps.len() {
                swaps[m] = (m, pick);
            }
            *slot = pool[m];
        }
        for &(a, b) in swaps[..row.len().min(swaps.len())].iter().rev() {
            pool.swap(a, b);
        }
    }
    let mut out = vec![0.0; n];
    let threads = p.threads.max(1);
    let chunk = n.div_ceil(threads);
    std::thread::scope(|s| {
        for (t, out) in out.chunks_mut(chunk).enumerate() {
            let draws = &draws;
            s.spawn(move || {
                for (offset, o) in out.iter_mut().enumerate() {
                    let i = t * chunk + offset;
                    let ki = w.of(i).len().min(k);
                    let observed = lagged[i];
                    let mut larger = 0usize;
                    for row in draws.chunks_exact(k) {
                        let mut total = y[i];
                        for &r in &row[..ki] {
                            // Skip cell i itself: draws ≥ i move up by one.
                            let j = r as usize + usize::from(r as usize >= i);
                            total += y[j];
                        }
                        larger += usize::from(total >= observed);
                    }
                    if p.count - larger < larger {
                        larger = p.count - larger;
                    }
                    *o = (larger + 1) as f64 / (p.count + 1) as f64;
                }
            });
        }
    });
    out
}

/// Which p-values stay significant at false-discovery rate `alpha` (Benjamini–Hochberg).
pub fn fdr_significant(p: &[f64], alpha: f64) -> Vec<bool> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut cutoff = None;
    for (rank, &i) in order.iter().enumerate() {
        if p[i] <= (rank + 1) as f64 / m as f64 * alpha {
            cutoff = Some(p[i]);
        }
    }
    p.iter().map(|&v| cutoff.is_some_and(|c| v <= c)).collect()
}

/// A cell's class on the hot-spot map: the confidence at which it is hot or cold
/// (two-sided normal: |z| > 1.645, 1.960, 2.576).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Spot {
    Cold99,
    Cold95,
    Cold90,
    NotSignificant,
    Hot90,
    Hot95,
    Hot99,
}

impl Spot {
    pub fn of(z: f64) -> Spot {
        let a = z.abs();
        let level = if a > 2.576 {
            2
        } else if a > 1.960 {
            1
        } else if a > 1.645 {
            0
        } else {
            return Spot::NotSignificant;
        };
        match (z > 0.0, level) {
            (true, 2) => Spot::Hot99,
            (true, 1) => Spot::Hot95,
            (true, _) => Spot::Hot90,
            (false, 2) => Spot::Cold99,
            (false, 1) => Spot::Cold95,
            (false, _) => Spot::Cold90,
        }
    }

    pub fn label_fa(self) -> &'static str {
        match self {
            Spot::Hot99 => "کانون داغ (اطمینان ۹۹٪)",
            Spot::Hot95 => "کانون داغ (اطمینان ۹۵٪)",
            Spot::Hot90 => "کانون داغ (اطمینان ۹۰٪)",
            Spot::NotSignificant => "معنادار نیست",
            Spot::Cold90 => "کانون سرد (اطمینان ۹۰٪)",
            Spot::Cold95 => "کانون سرد (اطمینان ۹۵٪)",
            Spot::Cold99 => "کانون سرد (اطمینان ۹۹٪)",
        }
    }
}

/// xoshiro256** seeded through splitmix64: small, fast, and the same on every machine,
/// so a seed reproduces a permutation run.
struct Xoshiro([u64; 4]);

impl Xoshiro {
    fn seeded(seed: u64) -> Xoshiro {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Xoshiro([next(), next(), next(), next()])
    }

    fn next(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in 0..n (Lemire's multiply-shift with rejection).
    fn below(&mut self, n: u64) -> u64 {
        loop {
            let m = (self.next() as u128) * (n as u128);
            let low = m as u64;
            if low >= n.wrapping_neg() % n {
                return (m >> 64) as u64;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3 × 3 grid with rook neighbours; every figure below is worked by hand.
    ///
    /// y = [0 0 0 / 0 9 0 / 0 0 0]: n = 9, Σy = 9, ȳ = 1, mean of squares 81/9 = 9,
    /// s² = 8. The centre has 4 neighbours, so w = 5: G* = 9/9 = 1, E = 5/9,
    /// Var = 5·4/8/81 · 8 = 20/81, z = (1 − 5/9)/√(20/81) = 4/√20 = 0.894427191.
    /// A corner (w = 3) sees only zeros: G* = 0, E = 3/9, Var = 3·6/8/81 · 8 = 18/81,
    /// z = −(1/3)/(√18/9) = −3/√18 = −0.707106781.
    /// An edge cell (w = 4) sees the 9: G* = 1, E = 4/9, Var = 4·5/8/81 · 8 = 20/81,
    /// z = (5/9)/(√20/9) = 5/√20 = 1.118033989.
    #[test]
    fn hand_computed_grid() {
        let lists: Vec<Vec<u32>> = (0..9u32)
            .map(|i| {
                let (r, c) = (i / 3, i % 3);
                let mut v = Vec::new();
                if r > 0 {
                    v.push(i - 3);
                }
                if r < 2 {
                    v.push(i + 3);
                }
                if c > 0 {
                    v.push(i - 1);
                }
                if c < 2 {
                    v.push(i + 1);
                }
                v
            })
            .collect();
        let w = Neighbours::from_lists(&lists);
        let mut y = vec![0.0; 9];
        y[4] = 9.0;
        let g = gi_star(&y, &w, None);
        assert!((g.z[4] - 4.0 / 20f64.sqrt()).abs() < 1e-12, "{}", g.z[4]);
        assert!((g.z[0] + 3.0 / 18f64.sqrt()).abs() < 1e-12, "{}", g.z[0]);
        assert!((g.z[1] - 5.0 / 20f64.sqrt()).abs() < 1e-12, "{}", g.z[1]);
        // One-tailed normal p of |z| = 1.118033989: 0.131776; of 0.707106781: 0.239750.
        assert!((g.p_norm[1] - 0.131776).abs() < 1e-6, "{}", g.p_norm[1]);
        assert!((g.p_norm[0] - 0.239750).abs() < 1e-6, "{}", g.p_norm[0]);

        // Permutations: seeded runs repeat, p stays within (0, 0.5], and the centre of
        // a lone spike is no less extreme than a corner.
        let perm = Permutations {
            count: 999,
            seed: 12345,
            threads: 2,
        };
        let a = gi_star(&y, &w, Some(perm)).p_sim.expect("p_sim");
        let b = gi_star(&y, &w, Some(perm)).p_sim.expect("p_sim");
        assert_eq!(a, b);
        assert!(a.iter().all(|&p| p > 0.0 && p <= 0.5 + 1e-12));
        // Every draw for the centre keeps its 9 and adds zeros: never below the observed,
        // so 999 of 999 are ≥ and the folded count is 0 → p = 1/1000.
        assert_eq!(a[4], 0.001);
    }

    #[test]
    fn constant_values_give_zero_not_nan() {
        let w = Neighbours::from_lists(&[vec![1], vec![0]]);
        let g = gi_star(&[3.0, 3.0], &w, None);
        assert_eq!(g.z, vec![0.0, 0.0]);
    }

    #[test]
    fn benjamini_hochberg() {
        // m = 5, alpha 0.05: thresholds 0.01, 0.02, 0.03, 0.04, 0.05. The sorted p
        // 0.001, 0.015, 0.03, 0.2, 0.9 pass at ranks 1..3, so the cutoff is 0.03.
        let p = [0.2, 0.001, 0.9, 0.03, 0.015];
        assert_eq!(
            fdr_significant(&p, 0.05),
            vec![false, true, false, true, true]
        );
        assert_eq!(fdr_significant(&[0.5, 0.6], 0.05), vec![false, false]);
    }

    #[test]
    fn confidence_classes() {
        assert_eq!(Spot::of(2.6), Spot::Hot99);
        assert_eq!(Spot::of(2.0), Spot::Hot95);
        assert_eq!(Spot::of(1.7), Spot::Hot90);
        assert_eq!(Spot::of(1.0), Spot::NotSignificant);
        assert_eq!(Spot::of(-2.0), Spot::Cold95);
    }
}
