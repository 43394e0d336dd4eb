//! The Fellegi–Sunter model: for every field and level, how often true pairs reach it
//! (m) and how often two random records do (u). A pair's weight is the sum of
//! log2(m/u) over its fields plus the prior log-odds that two records are one person;
//! its probability follows. m is learnt by expectation–maximisation (EM) from the
//! candidate pairs themselves, with no labelled answers; u is counted on random pairs;
//! for names agreeing exactly or by sound, u is the name's own frequency (term-frequency
//! adjustment), so «محمد محمدی» agreeing weighs less than «کیومرث بیرانوند».

use std::borrow::Borrow;
use std::collections::HashMap;

use serde::Serialize;

use super::compare::{self, Compared, Field, Gamma};
use super::record::{Keys, NameField, Prepared};

const FIELDS: usize = 7;
/// Fewer named records than this teach nothing reliable (a few hundred records give
/// a few random pairs per name): the starting model is kept until then.
pub const LEARN_FROM: usize = 1000;
const LEVELS: usize = 8;

/// The learnt probabilities, kept so an administrator can see what the model believes.
#[derive(Debug, Clone, Serialize)]
pub struct Model {
    /// P(two records drawn at random are the same person).
    pub prior: f64,
    m: [[f64; LEVELS]; FIELDS],
    u: [[f64; LEVELS]; FIELDS],
    /// EM iterations run and whether it settled (changes below 1e-6).
    pub iterations: usize,
    pub converged: bool,
    /// How many candidate pairs and random pairs it was learnt from.
    pub trained_on_pairs: u64,
    pub random_pairs: u64,
}

/// One field's contribution to a pair's weight, for "why".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldWeight {
    pub field: &'static str,
    pub field_fa: &'static str,
    pub level: &'static str,
    pub level_fa: &'static str,
    /// log2 Bayes factor (0 for a missing value).
    pub weight: f64,
}

/// A row of the table shown to an administrator.
#[derive(Debug, Clone, Serialize)]
pub struct LevelRow {
    pub field: &'static str,
    pub field_fa: &'static str,
    pub level: &'static str,
    pub level_fa: &'static str,
    pub m: f64,
    pub u: f64,
    pub weight: f64,
}

/// What one EM session learnt.
struct Session {
    m: [[f64; LEVELS]; FIELDS],
    /// Expected true pairs among the session's pairs.
    matched: f64,
    /// Among them, the share with a value on both sides, per field.
    present: [f64; FIELDS],
    blocked: &'static [Field],
    iterations: usize,
    converged: bool,
}

/// Draws pseudo-random pair indices (SplitMix64), so training is repeatable.
pub(crate) struct SplitMix(u64);

impl SplitMix {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix(seed)
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

impl Model {
    /// [`Model::starting`] with the prior of a registry of `records` where a person is
    /// registered about 1.3 times on average (0.3 true pairs per record).
    pub fn starting_for(records: usize) -> Self {
        let mut model = Model::starting();
        model.prior = (0.6 / records.max(2) as f64).clamp(1e-9, 0.01);
        model
    }

    /// A model before any data: what a registry of this kind is like, used until
    /// there are enough records to learn from (see [`Model::learn`]).
    pub fn starting() -> Self {
        let mut m = [[0.0; LEVELS]; FIELDS];
        let mut u = [[0.0; LEVELS]; FIELDS];
        for field in Field::ALL {
            let f = field as usize;
            let (mm, uu): (&[f64], &[f64]) = match field {
                Field::Given | Field::Family => (
                    &[0.82, 0.06, 0.05, 0.01, 0.01, 0.05],
                    &[0.02, 0.002, 0.01, 0.003, 0.005, 0.96],
                ),
                Field::Father => (
                    &[0.85, 0.04, 0.04, 0.01, 0.01, 0.05],
                    &[0.03, 0.002, 0.01, 0.003, 0.005, 0.95],
                ),
                Field::NationalId => (&[0.93, 0.03, 0.04], &[1e-7, 2e-6, 0.999_997_9]),
                Field::BirthYear => (&[0.8, 0.15, 0.01, 0.04], &[0.02, 0.04, 0.001, 0.939]),
                Field::Sex => (&[0.99, 0.01], &[0.5, 0.5]),
                Field::Neighbourhood => (&[0.85, 0.15], &[0.005, 0.995]),
            };
            m[f][1..=mm.len()].copy_from_slice(mm);
            u[f][1..=uu.len()].copy_from_slice(uu);
        }
        Model {
            prior: 1e-4,
            m,
            u,
            iterations: 0,
            converged: false,
            trained_on_pairs: 0,
            random_pairs: 0,
        }
    }

    /// Learns the model from the records and their candidate pairs (already compared).
    ///
    /// u is counted on `random_pairs` random pairs. m is learnt by EM, as Splink does,
    /// in two sessions so that no field's m is learnt from pairs chosen for agreeing on
    /// it: among the pairs with the same national id, `same_id` (m of names, father,
    /// year, sex, place), and among pairs whose two names sound the same, `same_names`
    /// (m of the national id and the rest; every such pair, or an even sample — not the
    /// candidates, which were also chosen for agreeing on other fields). The prior
    /// follows: pairs sharing an id that are true, over the share of true pairs that
    /// share an id.
    pub fn learn<P: Borrow<Prepared>>(
        keys: &Keys,
        records: &[P],
        same_id: &[Compared],
        same_names: &[Compared],
        random_pairs: usize,
        seed: u64,
    ) -> Model {
        let n = records.len();
        let mut model = Model::starting_for(n);
        if n < LEARN_FROM {
            return model;
        }
        model.u = random_u(keys, records, random_pairs, seed);
        model.random_pairs = random_pairs as u64;
        model.trained_on_pairs = (same_id.len() + same_names.len()) as u64;
        let by_id = model.session(same_id, &[Field::NationalId]);
        let by_names = model.session(same_names, &[Field::Given, Field::Family]);
        let mut m = model.m;
        for field in Field::ALL {
            let f = field as usize;
            let from: Vec<&Session> = [&by_id, &by_names]
                .into_iter()
                .filter(|s| s.matched >= 20.0 && !s.blocked.contains(&field))
                .collect();
            if from.is_empty() {
                continue;
            }
            for (l, slot) in m[f]
                .iter_mut()
                .enumerate()
                .take(field.level_count())
                .skip(1)
            {
                *slot = from.iter().map(|s| s.m[f][l]).sum::<f64>() / from.len() as f64;
            }
        }
        model.m = m;
        model.iterations = by_id.iterations + by_names.iterations;
        model.converged = by_id.converged && by_names.converged;

        let all_pairs = n as f64 * (n as f64 - 1.0) / 2.0;
        let id_f = Field::NationalId as usize;
        let true_pairs = if by_id.matched >= 20.0 && by_names.matched >= 20.0 {
            // True pairs sharing an id, over the share of true pairs that do.
            let share_with_id = by_names.m[id_f][1] * by_names.present[id_f];
            by_id.matched / share_with_id.max(1e-3)
        } else if by_names.matched >= 20.0 {
            // No ids to go by: assume names sounding alike find most true pairs.
            by_names.matched / 0.8
        } else {
            return model;
        };
        model.prior = (true_pairs / all_pairs).clamp(1e-12, 0.5);
        model
    }

    /// One EM session over some pairs, with u fixed and the `blocked` fields left out
    /// (the pairs were chosen for agreeing on them).
    fn session(&self, pairs: &[Compared], blocked: &'static [Field]) -> Session {
        let mut mask = Gamma(u32::MAX);
        for &field in blocked {
            mask = mask.with(field, 0);
        }
        let mut patterns: HashMap<Gamma, f64> = HashMap::new();
        for c in pairs {
            *patterns.entry(Gamma(c.gamma.0 & mask.0)).or_default() += 1.0;
        }
        let patterns: Vec<(Gamma, f64)> = patterns.into_iter().collect();
        let total: f64 = patterns.iter().map(|p| p.1).sum();
        let mut out = Session {
            m: self.m,
            matched: 0.0,
            present: [0.0; FIELDS],
            blocked,
            iterations: 0,
            converged: false,
        };
        if total < 1.0 {
            return out;
        }
        let mut share = 0.5_f64;
        for round in 1..=200 {
            let mut m_acc = [[0.0; LEVELS]; FIELDS];
            let mut matched = 0.0;
            for &(gamma, count) in &patterns {
                let (mut pm, mut pu) = (share, 1.0 - share);
                for field in Field::ALL {
                    let l = gamma.level(field) as usize;
                    if l > 0 {
                        pm *= out.m[field as usize][l];
                        pu *= self.u[field as usize][l];
                    }
                }
                let p = pm / (pm + pu);
                matched += count * p;
                for field in Field::ALL {
                    m_acc[field as usize][gamma.level(field) as usize] += count * p;
                }
            }
            let mut change = (matched / total - share).abs();
            share = (matched / total).clamp(1e-9, 1.0 - 1e-9);
            for field in Field::ALL {
                let f = field as usize;
                let levels = field.level_count();
                let seen: f64 = m_acc[f][1..levels].iter().sum();
                out.present[f] = seen / matched.max(1e-12);
                if seen <= 0.0 || blocked.contains(&field) {
                    continue;
                }
                for (slot, acc) in out.m[f].iter_mut().zip(m_acc[f]).take(levels).skip(1) {
                    let next = (acc / seen).max(1e-6);
                    change = change.max((next - *slot).abs());
                    *slot = next;
                }
            }
            out.matched = matched;
            out.iterations = round;
            if change < 1e-6 {
                out.converged = true;
                break;
            }
        }
        out
    }

    /// log2(m/u) of a field at a level (0 for missing).
    pub fn level_weight(&self, field: Field, level: u8) -> f64 {
        if level == 0 {
            return 0.0;
        }
        let f = field as usize;
        (self.m[f][level as usize] / self.u[f][level as usize]).log2()
    }

    /// The pair's weight: prior log-odds plus every field's, names adjusted for how
    /// common they are.
    pub fn weight(&self, keys: &Keys, a: &Prepared, compared: Compared) -> f64 {
        let mut w = (self.prior / (1.0 - self.prior)).log2();
        for field in Field::ALL {
            w += self.field_weight(keys, a, compared, field);
        }
        w
    }

    fn field_weight(&self, keys: &Keys, a: &Prepared, compared: Compared, field: Field) -> f64 {
        let level = compared.gamma.level(field);
        let base = self.level_weight(field, level);
        let name = match field {
            Field::Given => Some((NameField::Given, &a.given)),
            Field::Family => Some((NameField::Family, &a.family)),
            Field::Father => Some((NameField::Father, &a.father)),
            _ => None,
        };
        let Some((name_field, key)) = name else {
            if field == Field::BirthYear
                && level == 1
                && let Some(year) = a.birth_year
            {
                let u_exact = self.u[field as usize][1];
                return base + (u_exact / keys.year_frequency(year, u_exact)).log2();
            }
            return base;
        };
        if level != compare::NAME_EXACT && level != compare::NAME_SOUND {
            return base;
        }
        // When names were typed swapped, `a`'s given name is compared with `b`'s family
        // name: its frequency is still read in `a`'s own field.
        let value = if level == compare::NAME_EXACT {
            key.compact
        } else {
            key.sound
        };
        let f = field as usize;
        let u_exact = self.u[f][compare::NAME_EXACT as usize];
        let frequency = keys.frequency(name_field, value, u_exact);
        base + (u_exact / frequency).log2()
    }

    /// Probability from a weight.
    pub fn probability(weight: f64) -> f64 {
        1.0 / (1.0 + (-weight).exp2())
    }

    /// Every field's contribution, for "why these two".
    pub fn explain(&self, keys: &Keys, a: &Prepared, compared: Compared) -> Vec<FieldWeight> {
        Field::ALL
            .into_iter()
            .map(|field| {
                let level = compared.gamma.level(field);
                let (code, label) = if level == 0 {
                    ("missing", "نامعلوم در یکی از دو")
                } else {
                    field.levels()[level as usize - 1]
                };
                FieldWeight {
                    field: field.code(),
                    field_fa: field.name_fa(),
                    level: code,
                    level_fa: label,
                    weight: self.field_weight(keys, a, compared, field),
                }
            })
            .collect()
    }

    /// The learnt m, u and weight of every field and level.
    pub fn table(&self) -> Vec<LevelRow> {
        let mut rows = Vec::new();
        for field in Field::ALL {
            for (i, (code, label)) in field.levels().iter().enumerate() {
                let l = i + 1;
                let f = field as usize;
                rows.push(LevelRow {
                    field: field.code(),
                    field_fa: field.name_fa(),
                    level: code,
                    level_fa: label,
                    m: self.m[f][l],
                    u: self.u[f][l],
                    weight: self.level_weight(field, l as u8),
                });
            }
        }
        rows
    }
}

/// u for every field and level, counted on random pairs, at least half a pair's worth
/// so a level never seen by chance (the same national id) is not infinitely telling.
fn random_u<P: Borrow<Prepared>>(
    keys: &Keys,
    records: &[P],
    pairs: usize,
    seed: u64,
) -> [[f64; LEVELS]; FIELDS] {
    let mut counts = [[0.0_f64; LEVELS]; FIELDS];
    let mut rng = SplitMix::new(seed);
    let n = records.len();
    for _ in 0..pairs {
        let i = rng.below(n);
        let mut j = rng.below(n - 1);
        if j >= i {
            j += 1;
        }
        let c = compare::records(keys, records[i].borrow(), records[j].borrow());
        for field in Field::ALL {
            counts[field as usize][c.gamma.level(field) as usize] += 1.0;
        }
    }
    let mut u = [[0.0; LEVELS]; FIELDS];
    for field in Field::ALL {
        let f = field as usize;
        let levels = field.level_count();
        let seen: f64 = counts[f][1..levels].iter().sum();
        for l in 1..levels {
            u[f][l] = (counts[f][l].max(0.5)) / seen.max(1.0);
        }
    }
    u
}
