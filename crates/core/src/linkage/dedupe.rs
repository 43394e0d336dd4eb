//! A whole set of records at once (the registry's batch run, the benchmark): prepare,
//! block, compare, learn, score, cluster — each a step of its own so callers can time
//! and report them.

use super::blocking::{self, Candidates};
use super::cluster;
use super::compare::{self, Compared, Field};
use super::model::Model;
use super::record::{Keys, PersonFields, Prepared};

/// A pair whose probability is below this is not kept as a candidate link at all.
pub const KEEP_ABOVE: f64 = 0.01;
/// Two groups are not joined if any pair across them is below this: one record clearly
/// someone else.
pub const CHAIN_FLOOR: f64 = 0.01;
/// Pairs with names that sound the same the model learns from, at most (about).
pub const TRAINING_PAIRS: usize = 200_000;
/// The largest group clustering forms on its own.
pub const MAX_CLUSTER: usize = 50;

pub struct Dedupe {
    pub keys: Keys,
    pub records: Vec<Prepared>,
}

impl Dedupe {
    pub fn prepare<'a>(people: impl IntoIterator<Item = &'a PersonFields>) -> Self {
        let mut keys = Keys::default();
        let records: Vec<Prepared> = people.into_iter().map(|p| keys.prepare(p)).collect();
        for r in &records {
            keys.count(r, 1);
        }
        Dedupe { keys, records }
    }

    pub fn block(&self, cap: usize) -> Candidates {
        blocking::candidates(&self.records, cap)
    }

    /// Compares every candidate pair, on `threads` threads.
    pub fn compare(&self, pairs: &[(u32, u32)], threads: usize) -> Vec<Compared> {
        let one = |&(i, j): &(u32, u32)| {
            compare::records(
                &self.keys,
                &self.records[i as usize],
                &self.records[j as usize],
            )
        };
        in_parallel(pairs, threads, one)
    }

    /// Learns the model: `compared` are the candidates (their pairs with the same
    /// national id are one EM session); pairs with names that sound the same are drawn
    /// for the other.
    pub fn learn(
        &self,
        compared: &[Compared],
        cap: usize,
        random_pairs: usize,
        seed: u64,
    ) -> Model {
        let same_id: Vec<Compared> = compared
            .iter()
            .filter(|c| c.gamma.level(Field::NationalId) == 1)
            .copied()
            .collect();
        let sample = blocking::same_names_sample(&self.records, cap, TRAINING_PAIRS, seed);
        let same_names = self.compare(&sample, 1);
        Model::learn(
            &self.keys,
            &self.records,
            &same_id,
            &same_names,
            random_pairs,
            seed,
        )
    }

    /// Each pair's probability under the model.
    pub fn score(
        &self,
        model: &Model,
        pairs: &[(u32, u32)],
        compared: &[Compared],
        threads: usize,
    ) -> Vec<f64> {
        let indexed: Vec<(usize, (u32, u32))> = pairs.iter().copied().enumerate().collect();
        in_parallel(&indexed, threads, |&(k, (i, _))| {
            Model::probability(model.weight(&self.keys, &self.records[i as usize], compared[k]))
        })
    }

    /// One cluster number per record.
    pub fn cluster(
        &self,
        model: &Model,
        pairs: &[(u32, u32)],
        probabilities: &[f64],
        threshold: f64,
    ) -> Vec<u32> {
        let mut links: Vec<cluster::Link> = pairs
            .iter()
            .zip(probabilities)
            .filter(|(_, p)| **p >= threshold)
            .map(|(&(i, j), &p)| (i, j, p))
            .collect();
        let score = |i: u32, j: u32| {
            let (a, b) = (&self.records[i as usize], &self.records[j as usize]);
            Model::probability(model.weight(&self.keys, a, compare::records(&self.keys, a, b)))
        };
        cluster::clusters(
            self.records.len(),
            &mut links,
            threshold,
            CHAIN_FLOOR,
            MAX_CLUSTER,
            score,
        )
    }
}

/// Maps `items` through `f` on up to `threads` threads, keeping order.
fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.max(1);
    if threads == 1 || items.len() < 10_000 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        // A worker only panics if `f` does, and `f` is total: join cannot fail.
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}
