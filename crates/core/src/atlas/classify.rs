//! Classifying values into classes for choropleth maps: equal intervals, quantiles and
//! Jenks natural breaks. Each returns the class *upper bounds* (the last is the maximum),
//! so a value `v` falls in the first class whose bound is `>= v`.

/// How to cut values into classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    EqualInterval,
    Quantile,
    /// Jenks–Fisher optimal breaks: the least total squared deviation within classes.
    NaturalBreaks,
}

/// The upper bounds of at most `classes` classes of `values` (NaN values are ignored).
/// Fewer bounds come back when there are fewer distinct values than classes.
pub fn breaks(values: &[f64], classes: usize, method: Method) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() || classes == 0 {
        return Vec::new();
    }
    v.sort_by(f64::total_cmp);
    let distinct = {
        let mut d = v.clone();
        d.dedup();
        d.len()
    };
    // Quantiles and natural breaks cannot make more classes than distinct values;
    // equal intervals can (some stay empty), unless every value is the same.
    let k = match method {
        Method::EqualInterval => classes,
        _ => classes.min(distinct),
    };
    let mut bounds = match method {
        Method::EqualInterval => equal_interval(&v, k),
        Method::Quantile => quantile(&v, k),
        Method::NaturalBreaks => natural_breaks(&v, k),
    };
    bounds.dedup();
    bounds
}

/// The class (0-based) of a value given the upper bounds; `None` for no data.
pub fn class_of(value: f64, bounds: &[f64]) -> Option<usize> {
    if value.is_nan() || bounds.is_empty() {
        return None;
    }
    Some(
        bounds
            .iter()
            .position(|b| value <= *b)
            .unwrap_or(bounds.len() - 1),
    )
}

fn equal_interval(sorted: &[f64], k: usize) -> Vec<f64> {
    let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
    let step = (max - min) / k as f64;
    (1..=k)
        .map(|i| if i == k { max } else { min + step * i as f64 })
        .collect()
}

/// Upper bounds at the i/k quantiles, taken as observed values (no interpolation), so
/// each bound is a value someone can find on the map.
fn quantile(sorted: &[f64], k: usize) -> Vec<f64> {
    let n = sorted.len();
    (1..=k)
        .map(|i| sorted[((i * n).div_ceil(k)).clamp(1, n) - 1])
        .collect()
}

/// Fisher's exact dynamic programme (the algorithm behind "Jenks"): O(k·n²), fine for
/// the few hundred places of a map.
fn natural_breaks(sorted: &[f64], k: usize) -> Vec<f64> {
    let n = sorted.len();
    // Prefix sums for the squared deviation of any run sorted[a..=b].
    let mut sum = vec![0.0; n + 1];
    let mut sq = vec![0.0; n + 1];
    for (i, x) in sorted.iter().enumerate() {
        sum[i + 1] = sum[i] + x;
        sq[i + 1] = sq[i] + x * x;
    }
    let ssd = |a: usize, b: usize| {
        let m = (b - a + 1) as f64;
        let s = sum[b + 1] - sum[a];
        (sq[b + 1] - sq[a]) - s * s / m
    };
    // cost[c][j]: best total for sorted[0..=j] in c+1 classes; from[c][j]: where the last class starts.
    let mut cost = vec![vec![f64::INFINITY; n]; k];
    let mut from = vec![vec![0usize; n]; k];
    for (j, c) in cost[0].iter_mut().enumerate() {
        *c = ssd(0, j);
    }
    for c in 1..k {
        for j in c..n {
            for start in c..=j {
                let total = cost[c - 1][start - 1] + ssd(start, j);
                if total < cost[c][j] {
                    cost[c][j] = total;
                    from[c][j] = start;
                }
            }
        }
    }
    let mut bounds = vec![0.0; k];
    let mut end = n - 1;
    for c in (0..k).rev() {
        bounds[c] = sorted[end];
        if c > 0 {
            end = from[c][end] - 1;
        }
    }
    bounds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_intervals_split_the_range() {
        assert_eq!(
            breaks(&[0.0, 10.0, 5.0, 2.0], 5, Method::EqualInterval),
            vec![2.0, 4.0, 6.0, 8.0, 10.0]
        );
    }

    #[test]
    fn quantiles_take_observed_values() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(breaks(&v, 4, Method::Quantile), vec![3.0, 5.0, 8.0, 10.0]);
        assert_eq!(
            breaks(&[7.0, 7.0, 7.0], 5, Method::Quantile),
            vec![7.0],
            "one distinct value, one class"
        );
    }

    #[test]
    fn natural_breaks_find_the_gaps() {
        // Three obvious clusters, shuffled; hand-checked optimum: {1,2,3} {10,11,12} {30,31}.
        let v = [12.0, 1.0, 31.0, 3.0, 10.0, 2.0, 30.0, 11.0];
        assert_eq!(breaks(&v, 3, Method::NaturalBreaks), vec![3.0, 12.0, 31.0]);
        // Two classes of {0, 1, 4, 9}: {0,1,4}|{9} costs 8.67, {0,1}|{4,9} costs 13: the first wins.
        assert_eq!(
            breaks(&[0.0, 1.0, 4.0, 9.0], 2, Method::NaturalBreaks),
            vec![4.0, 9.0]
        );
    }

    #[test]
    fn classes_of_values() {
        let b = [3.0, 12.0, 31.0];
        assert_eq!(class_of(1.0, &b), Some(0));
        assert_eq!(class_of(3.0, &b), Some(0));
        assert_eq!(class_of(3.5, &b), Some(1));
        assert_eq!(class_of(99.0, &b), Some(2));
        assert_eq!(class_of(f64::NAN, &b), None, "no data");
        assert!(breaks(&[f64::NAN], 3, Method::Quantile).is_empty());
    }
}
