//! The priority index: which neighbourhoods are the most critical, computed the way the
//! US CDC Social Vulnerability Index and Berlin's Monitoring Soziale Stadtentwicklung do
//! it, so anyone can follow and repeat it.
//!
//! 1. Each indicator is standardised against a stated reference set: its percentile
//!    rank (Excel's PERCENTRANK.INC: the share of other places with a lower value) or
//!    its z-score, turned so that higher always means worse.
//! 2. Standardised values are summed within each theme (with the weight set's weights,
//!    1 by default), and the theme sums are summed into one score.
//! 3. The score is ranked — the sum is ranked, not the mean of ranks — giving a rank
//!    (1 = most critical), a percentile, a decile (10 = the worst tenth) and a class.
//! 4. Each indicator at or above the 90th percentile is flagged; flags are counted.
//! 5. Places under the minimum population, or missing a value, are left out and listed.

use serde::Serialize;

/// How values are made comparable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standardise {
    PercentileRank,
    ZScore,
}

impl Standardise {
    pub fn code(self) -> &'static str {
        match self {
            Standardise::PercentileRank => "percentile",
            Standardise::ZScore => "zscore",
        }
    }

    pub fn from_code(code: &str) -> Option<Standardise> {
        match code {
            "percentile" => Some(Standardise::PercentileRank),
            "zscore" => Some(Standardise::ZScore),
            _ => None,
        }
    }
}

/// One indicator in the index.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    pub code: String,
    pub theme: String,
    pub weight: f64,
    pub higher_is_worse: bool,
}

/// One place of the reference set with its value for each item (in item order).
#[derive(Debug, Clone)]
pub struct Unit {
    pub id: String,
    pub population: Option<f64>,
    pub values: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub standardise: Standardise,
    pub min_population: f64,
    /// The percentile at or above which an indicator is flagged (0.9).
    pub flag_at: f64,
}

/// Why a place is not ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    SmallPopulation,
    MissingValue,
}

/// A ranked place.
#[derive(Debug, Clone, Serialize)]
pub struct Ranked {
    pub id: String,
    /// Standardised value of each item (higher = worse).
    pub standardised: Vec<f64>,
    /// Each item's percentile rank (for the flags, whatever the standardisation).
    pub percentiles: Vec<f64>,
    /// Sum per theme, in the order of [`Outcome::themes`].
    pub theme_sums: Vec<f64>,
    pub score: f64,
    pub percentile: f64,
    /// 1 = the most critical.
    pub rank: usize,
    /// 1..=10, 10 = the worst tenth.
    pub decile: u8,
    /// 0..=3, 3 = the worst quarter.
    pub class: u8,
    pub flags: Vec<bool>,
    pub flag_count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub themes: Vec<String>,
    pub ranked: Vec<Ranked>,
    pub excluded: Vec<(String, Exclusion)>,
}

/// Percentile ranks (PERCENTRANK.INC): for each value, the number of values strictly
/// below it divided by n − 1; ties share the rank; a single value gets 0.
pub fn percentile_ranks(values: &[f64]) -> Vec<f64> {
    let n = values.len();
    if n < 2 {
        return vec![0.0; n];
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    values
        .iter()
        .map(|v| {
            let below = sorted.partition_point(|x| x < v);
            below as f64 / (n - 1) as f64
        })
        .collect()
}

/// z-scores with the population standard deviation; all equal → all 0.
pub fn z_scores(values: &[f64]) -> Vec<f64> {
    let n = values.len() as f64;
    if values.is_empty() {
        return Vec::new();
    }
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    values
        .iter()
        .map(|v| if sd > 0.0 { (v - mean) / sd } else { 0.0 })
        .collect()
}

/// Computes the index over the reference set.
pub fn compute(items: &[Item], units: &[Unit], settings: Settings) -> Outcome {
    let mut themes: Vec<String> = Vec::new();
    for item in items {
        if !themes.contains(&item.theme) {
            themes.push(item.theme.clone());
        }
    }
    let mut excluded = Vec::new();
    let mut kept: Vec<&Unit> = Vec::new();
    for u in units {
        if u.population.unwrap_or(0.0) < settings.min_population {
            excluded.push((u.id.clone(), Exclusion::SmallPopulation));
        } else if u.values.len() != items.len() || u.values.iter().any(std::option::Option::is_none)
        {
            excluded.push((u.id.clone(), Exclusion::MissingValue));
        } else {
            kept.push(u);
        }
    }
    // Per item, over the kept places: oriented values, their standardisation and
    // percentile ranks.
    let mut standardised = vec![vec![0.0; items.len()]; kept.len()];
    let mut percentiles = vec![vec![0.0; items.len()]; kept.len()];
    for (k, item) in items.iter().enumerate() {
        let oriented: Vec<f64> = kept
            .iter()
            .map(|u| {
                let v = u.values[k].unwrap_or(0.0);
                if item.higher_is_worse { v } else { -v }
            })
            .collect();
        let pr = percentile_ranks(&oriented);
        let st = match settings.standardise {
            Standardise::PercentileRank => pr.clone(),
            Standardise::ZScore => z_scores(&oriented),
        };
        for (row, (s, p)) in st.into_iter().zip(pr).enumerate() {
            standardised[row][k] = s;
            percentiles[row][k] = p;
        }
    }
    let theme_sums: Vec<Vec<f64>> = standardised
        .iter()
        .map(|row| {
            themes
                .iter()
                .map(|t| {
                    items
                        .iter()
                        .zip(row)
                        .filter(|(item, _)| &item.theme == t)
                        .map(|(item, s)| item.weight * s)
                        .sum()
                })
                .collect()
        })
        .collect();
    let scores: Vec<f64> = theme_sums.iter().map(|t| t.iter().sum()).collect();
    let score_pr = percentile_ranks(&scores);
    let mut ranked: Vec<Ranked> = kept
        .iter()
        .enumerate()
        .map(|(row, u)| {
            let flags: Vec<bool> = percentiles[row]
                .iter()
                .map(|&p| p >= settings.flag_at)
                .collect();
            let percentile = score_pr[row];
            Ranked {
                id: u.id.clone(),
                standardised: standardised[row].clone(),
                percentiles: percentiles[row].clone(),
                theme_sums: theme_sums[row].clone(),
                score: scores[row],
                percentile,
                rank: 1 + scores.iter().filter(|&&s| s > scores[row]).count(),
                decile: ((percentile * 10.0).ceil() as u8).clamp(1, 10),
                class: ((percentile * 4.0).ceil() as u8).clamp(1, 4) - 1,
                flag_count: flags.iter().filter(|f| **f).count(),
                flags,
            }
        })
        .collect();
    ranked.sort_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.id.cmp(&b.id)));
    Outcome {
        themes,
        ranked,
        excluded,
    }
}

/// Empirical Bayes shrinkage of small-area rates toward a prior rate (Marshall 1991,
/// the global moment estimator): rᵢ* = m + Cᵢ (rᵢ − m), Cᵢ = A / (A + m / nᵢ), where
/// A = s² − m / n̄ (at least 0), s² the population-weighted variance of the rates around
/// m and n̄ the mean population. Small places move most; large ones hardly at all.
/// Returns rates per person; places with no population keep `None`.
pub fn shrink_rates(counts: &[f64], populations: &[f64], prior_rate: f64) -> Vec<Option<f64>> {
    let pairs: Vec<(f64, f64)> = counts
        .iter()
        .zip(populations)
        .filter(|(_, n)| **n > 0.0)
        .map(|(x, n)| (*x, *n))
        .collect();
    if pairs.is_empty() {
        return vec![None; counts.len()];
    }
    let total_n: f64 = pairs.iter().map(|p| p.1).sum();
    let mean_n = total_n / pairs.len() as f64;
    let m = prior_rate;
    let s2 = pairs
        .iter()
        .map(|(x, n)| n * (x / n - m).powi(2))
        .sum::<f64>()
        / total_n;
    let a = (s2 - m / mean_n).max(0.0);
    counts
        .iter()
        .zip(populations)
        .map(|(x, n)| {
            if *n <= 0.0 {
                return None;
            }
            let c = if a + m / n > 0.0 {
                a / (a + m / n)
            } else {
                0.0
            };
            Some(m + c * (x / n - m))
        })
        .collect()
}

/// The Berlin-style crossing of status and change: where a place stands now, and
/// whether it got worse or better over the span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dynamics {
    Improving,
    Stable,
    Declining,
}

/// Classes change scores (higher = got worse) by thirds of their percentile ranks.
pub fn dynamics_of(changes: &[f64]) -> Vec<Dynamics> {
    percentile_ranks(changes)
        .into_iter()
        .map(|p| {
            if p < 1.0 / 3.0 {
                Dynamics::Improving
            } else if p < 2.0 / 3.0 {
                Dynamics::Stable
            } else {
                Dynamics::Declining
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(code: &str, theme: &str, higher_is_worse: bool) -> Item {
        Item {
            code: code.into(),
            theme: theme.into(),
            weight: 1.0,
            higher_is_worse,
        }
    }

    fn unit(id: &str, pop: f64, values: &[f64]) -> Unit {
        Unit {
            id: id.into(),
            population: Some(pop),
            values: values.iter().map(|v| Some(*v)).collect(),
        }
    }

    #[test]
    fn percentile_ranks_follow_percentrank_inc() {
        assert_eq!(
            percentile_ranks(&[10.0, 20.0, 30.0, 40.0, 50.0]),
            vec![0.0, 0.25, 0.5, 0.75, 1.0]
        );
        // Ties share the lower rank: 1 is below both 5s.
        assert_eq!(percentile_ranks(&[5.0, 1.0, 5.0]), vec![0.5, 0.0, 0.5]);
        assert_eq!(percentile_ranks(&[7.0]), vec![0.0]);
    }

    /// Four places, two themes. By hand:
    ///
    /// | place | a (↑ worse) | b (↑ worse) | c (↓ worse) |
    /// | W | 1 | 8 | 50 |
    /// | X | 2 | 6 | 40 |
    /// | Y | 3 | 4 | 30 |
    /// | Z | 4 | 2 | 20 |
    ///
    /// Percentile ranks (n − 1 = 3): a: W 0, X ⅓, Y ⅔, Z 1; b: W 1, X ⅔, Y ⅓, Z 0;
    /// c turned (−50 … −20): W 0, X ⅓, Y ⅔, Z 1.
    /// Theme "social" = a + b: W 1, X 1, Y 1, Z 1. Theme "space" = c: W 0, X ⅓, Y ⅔, Z 1.
    /// Scores: W 1, X 1⅓, Y 1⅔, Z 2 → ranks Z 1, Y 2, X 3, W 4; score percentiles W 0,
    /// X ⅓, Y ⅔, Z 1 → deciles 1, 4, 7, 10; classes 0, 1, 2, 3. Flags (≥ 0.9): W has b;
    /// Z has a and c.
    #[test]
    fn hand_computed_small_case() {
        let items = [
            item("a", "social", true),
            item("b", "social", true),
            item("c", "space", false),
        ];
        let units = [
            unit("W", 5000.0, &[1.0, 8.0, 50.0]),
            unit("X", 5000.0, &[2.0, 6.0, 40.0]),
            unit("Y", 5000.0, &[3.0, 4.0, 30.0]),
            unit("Z", 5000.0, &[4.0, 2.0, 20.0]),
            unit("tiny", 90.0, &[9.0, 9.0, 9.0]),
            Unit {
                id: "gap".into(),
                population: Some(5000.0),
                values: vec![Some(1.0), None, Some(1.0)],
            },
        ];
        let out = compute(
            &items,
            &units,
            Settings {
                standardise: Standardise::PercentileRank,
                min_population: 1000.0,
                flag_at: 0.9,
            },
        );
        assert_eq!(out.themes, vec!["social", "space"]);
        let order: Vec<&str> = out.ranked.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(order, vec!["Z", "Y", "X", "W"]);
        let z = &out.ranked[0];
        assert_eq!(z.rank, 1);
        assert!((z.score - 2.0).abs() < 1e-12);
        assert_eq!((z.decile, z.class), (10, 3));
        assert_eq!(z.flags, vec![true, false, true]);
        assert_eq!(z.flag_count, 2);
        let x = &out.ranked[2];
        assert!(
            (x.theme_sums[0] - 1.0).abs() < 1e-12 && (x.theme_sums[1] - 1.0 / 3.0).abs() < 1e-12
        );
        assert_eq!((x.decile, x.class), (4, 1));
        let w = &out.ranked[3];
        assert_eq!((w.rank, w.decile, w.class), (4, 1, 0));
        assert_eq!(w.flags, vec![false, true, false]);
        assert_eq!(
            out.excluded,
            vec![
                ("tiny".to_string(), Exclusion::SmallPopulation),
                ("gap".to_string(), Exclusion::MissingValue)
            ]
        );
    }

    #[test]
    fn weights_and_z_scores() {
        let mut items = vec![item("a", "t", true), item("b", "t", true)];
        items[1].weight = 3.0;
        let units = [unit("P", 1.0, &[0.0, 1.0]), unit("Q", 1.0, &[1.0, 0.0])];
        let out = compute(
            &items,
            &units,
            Settings {
                standardise: Standardise::ZScore,
                min_population: 0.0,
                flag_at: 0.9,
            },
        );
        // z of two values is ±1: P = −1 + 3·1 = 2, Q = 1 − 3 = −2.
        assert_eq!(out.ranked[0].id, "P");
        assert!((out.ranked[0].score - 2.0).abs() < 1e-12);
    }

    /// Rates 10/100 and 1000/10,000 around a prior of 0.05: n̄ = 5050,
    /// s² = (100·0.05² + 10,000·0.05²)/10,100 = 0.0025, A = 0.0025 − 0.05/5050
    /// = 0.00249010, C(100) = A/(A + 0.0005) = 0.83278, C(10,000) = 0.99799.
    #[test]
    fn empirical_bayes_moves_small_places_most() {
        let r = shrink_rates(&[10.0, 1000.0, 5.0], &[100.0, 10_000.0, 0.0], 0.05);
        let small = r[0].expect("rate");
        let large = r[1].expect("rate");
        assert!((small - (0.05 + 0.832_78 * 0.05)).abs() < 1e-5, "{small}");
        assert!((large - (0.05 + 0.997_99 * 0.05)).abs() < 1e-5, "{large}");
        assert_eq!(r[2], None);
    }

    #[test]
    fn dynamics_by_thirds() {
        assert_eq!(
            dynamics_of(&[-5.0, 0.0, 5.0]),
            vec![Dynamics::Improving, Dynamics::Stable, Dynamics::Declining]
        );
    }
}
