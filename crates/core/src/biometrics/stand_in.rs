//! The built-in matcher for the demo and the tests — **a stand-in, not a biometric
//! algorithm**: cosine similarity between [`VectorTemplate`]s, a candidate from a
//! threshold up. It answers the same contract an external ABIS does ([`super::abis`]),
//! so everything around it (jobs, the review queue, deletion) is exercised as in a
//! real deployment.

use super::VectorTemplate;

/// Candidates from this cosine similarity up.
pub const DEFAULT_THRESHOLD: f64 = 0.92;
/// At most this many candidates an identify returns.
pub const MAX_RESULTS: usize = 10;

#[derive(Debug, Clone, Copy)]
pub struct StandInMatcher {
    pub threshold: f64,
    pub max_results: usize,
}

impl Default for StandInMatcher {
    fn default() -> Self {
        StandInMatcher {
            threshold: DEFAULT_THRESHOLD,
            max_results: MAX_RESULTS,
        }
    }
}

impl StandInMatcher {
    /// 1:N: the gallery's references whose template is at least `threshold` alike to
    /// the probe, most alike first, as (reference, confidence 0–100).
    pub fn identify<'a>(
        &self,
        probe_reference: &str,
        probe: &VectorTemplate,
        gallery: impl IntoIterator<Item = (&'a str, &'a VectorTemplate)>,
    ) -> Vec<(String, f64)> {
        let mut found: Vec<(String, f64)> = gallery
            .into_iter()
            .filter(|(r, _)| *r != probe_reference)
            .map(|(r, t)| (r.to_string(), probe.cosine(t)))
            .filter(|(_, s)| *s >= self.threshold)
            .map(|(r, s)| (r, (s * 1000.0).round() / 10.0))
            .collect();
        found.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        found.truncate(self.max_results);
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::biometrics::VECTOR_DIMENSION;

    fn template(f: impl Fn(usize) -> f32) -> VectorTemplate {
        let v: Vec<f32> = (0..VECTOR_DIMENSION).map(f).collect();
        VectorTemplate::from_bytes(&VectorTemplate::to_bytes(&v)).unwrap()
    }

    #[test]
    fn finds_the_same_template_captured_again_and_not_another() {
        let a = template(|i| (i as f32).sin());
        let a_again = template(|i| (i as f32).sin() + 0.05 * (i as f32 * 3.1).cos());
        let b = template(|i| (i as f32 * 1.7).cos());
        let gallery = [("a", &a), ("a2", &a_again), ("b", &b)];
        let found = StandInMatcher::default().identify("a", &a, gallery);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "a2");
        assert!(found[0].1 > 92.0 && found[0].1 <= 100.0);
    }
}
