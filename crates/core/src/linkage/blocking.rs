//! Blocking: which pairs are compared at all. Comparing every pair of a million records
//! is half a trillion comparisons; instead each record gets a few keys and only records
//! sharing a key are compared. The keys are chosen so a true pair shares at least one
//! even when several fields were typed wrong: the national id; the two names in either
//! order (by sound); the family name with the birth year and sex; either name with the
//! father's name and either the birth year or the neighbourhood (either name, so a pair
//! typed with the names swapped *and* a typo still meets); the family name with the
//! father's name.
//!
//! A key shared by very many records (a million «محمد محمدی»s) would make its block
//! quadratic: such a block is skipped and counted, never silently explored.

use super::record::Prepared;

/// The blocking rules, in order; a pair is produced by the first rule it shares a key
/// in, so no pair is compared twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    NationalId,
    NamesYear,
    NamesFather,
    NamesPlace,
    FamilyYearSex,
    NameFatherYear,
    NameFatherPlace,
}

impl Rule {
    pub const ALL: [Rule; 7] = [
        Rule::NationalId,
        Rule::NamesYear,
        Rule::NamesFather,
        Rule::NamesPlace,
        Rule::FamilyYearSex,
        Rule::NameFatherYear,
        Rule::NameFatherPlace,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Rule::NationalId => "national_id",
            Rule::NamesYear => "names_either_order+birth_year",
            Rule::NamesFather => "names_either_order+father_sound",
            Rule::NamesPlace => "names_either_order+neighbourhood",
            Rule::FamilyYearSex => "family_sound+birth_year+sex",
            Rule::NameFatherYear => "either_name_sound+father_sound+birth_year",
            Rule::NameFatherPlace => "either_name_sound+father_sound+neighbourhood",
        }
    }

    /// The record's keys under this rule (a second one for the rules on either name);
    /// 0 when a part of a key is missing.
    pub fn keys(self, r: &Prepared) -> [u64; 2] {
        let year = r.birth_year.map_or(0, |y| y as u32);
        let tag = self as u32;
        match self {
            Rule::NationalId => [
                r.national_id.map_or(0, |d| {
                    mix(d
                        .iter()
                        .fold(0u64, |acc, &c| acc * 10 + u64::from(c - b'0'))
                        + 1)
                }),
                0,
            ],
            Rule::NamesYear | Rule::NamesFather | Rule::NamesPlace => {
                let (a, b) = (r.given.sound, r.family.sound);
                let third = match self {
                    Rule::NamesYear => year,
                    Rule::NamesFather => r.father.sound,
                    _ => r.neighbourhood,
                };
                [key(tag, [a.min(b), a.max(b), third]), 0]
            }
            Rule::FamilyYearSex => {
                let sex = r.sex.map_or(0, |s| s as u32 + 1);
                [key(tag, [r.family.sound, year, sex]), 0]
            }
            Rule::NameFatherYear => [
                key(tag, [r.given.sound, r.father.sound, year]),
                key(tag, [r.family.sound, r.father.sound, year]),
            ],
            Rule::NameFatherPlace => [
                key(tag, [r.given.sound, r.father.sound, r.neighbourhood]),
                key(tag, [r.family.sound, r.father.sound, r.neighbourhood]),
            ],
        }
    }
}

/// A key of three parts under a rule; 0 when a part is missing.
fn key(tag: u32, parts: [u32; 3]) -> u64 {
    if parts.contains(&0) {
        return 0;
    }
    mix((u64::from(parts[0]) << 32 | u64::from(parts[1]))
        ^ mix(u64::from(parts[2]) | u64::from(tag) << 40))
}

/// SplitMix64's finaliser: spreads keys so sorting groups them evenly.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)).max(1)
}

/// A block too large to compare within, reported rather than explored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CappedBlock {
    pub rule: &'static str,
    pub records: usize,
}

/// The candidate pairs (indices into `records`, smaller first) and the blocks skipped.
#[derive(Debug, Default)]
pub struct Candidates {
    pub pairs: Vec<(u32, u32)>,
    pub capped: Vec<CappedBlock>,
    /// How many pairs each rule produced (that no earlier rule had).
    pub by_rule: Vec<(&'static str, usize)>,
}

/// Every record's keys under every rule: `keys[(i * rules + r) * 2 + slot]`.
pub fn record_keys(records: &[Prepared]) -> Vec<u64> {
    let mut keys = Vec::with_capacity(records.len() * Rule::ALL.len() * 2);
    for r in records {
        keys.extend(Rule::ALL.iter().flat_map(|rule| rule.keys(r)));
    }
    keys
}

/// True when the two records share a key under rule `r` that is below `below` and was
/// not in a skipped block.
fn share(ki: &[u64], kj: &[u64], below: u64, skipped: &[u64]) -> bool {
    ki.iter()
        .any(|&k| k != 0 && k < below && kj.contains(&k) && !skipped.contains(&k))
}

/// The candidate pairs of a whole set of records; blocks over `cap` records skipped.
pub fn candidates(records: &[Prepared], cap: usize) -> Candidates {
    let rules = Rule::ALL.len();
    let keys = record_keys(records);
    let of =
        |i: u32, r: usize| &keys[(i as usize * rules + r) * 2..(i as usize * rules + r) * 2 + 2];
    let mut out = Candidates::default();
    let mut block: Vec<(u64, u32)> = Vec::with_capacity(records.len() * 2);
    // Keys of blocks skipped, per rule: a pair sharing one was not produced there.
    let mut skipped: Vec<Vec<u64>> = vec![Vec::new(); rules];
    for (r, rule) in Rule::ALL.iter().enumerate() {
        let before = out.pairs.len();
        block.clear();
        for i in 0..records.len() as u32 {
            let [a, b] = [of(i, r)[0], of(i, r)[1]];
            if a != 0 {
                block.push((a, i));
            }
            if b != 0 && b != a {
                block.push((b, i));
            }
        }
        block.sort_unstable();
        for group in block.chunk_by(|a, b| a.0 == b.0) {
            if group.len() < 2 {
                continue;
            }
            let key = group[0].0;
            if group.len() > cap {
                out.capped.push(CappedBlock {
                    rule: rule.code(),
                    records: group.len(),
                });
                skipped[r].push(key);
                continue;
            }
            for (x, &(_, i)) in group.iter().enumerate() {
                for &(_, j) in &group[x + 1..] {
                    // Produced already, by an earlier rule or by a smaller key of this one?
                    if (0..r).any(|e| share(of(i, e), of(j, e), u64::MAX, &skipped[e]))
                        || share(of(i, r), of(j, r), key, &skipped[r])
                    {
                        continue;
                    }
                    out.pairs.push((i.min(j), i.max(j)));
                }
            }
        }
        out.by_rule.push((rule.code(), out.pairs.len() - before));
    }
    out
}

/// Pairs whose two names sound the same (in either order), whatever else they have:
/// the pairs the model learns the national id's agreement from. Sampled evenly down to
/// about `max_pairs`, so a registry of common names does not make training quadratic.
pub fn same_names_sample(
    records: &[Prepared],
    cap: usize,
    max_pairs: usize,
    seed: u64,
) -> Vec<(u32, u32)> {
    let mut block: Vec<(u64, u32)> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.given.sound != 0 && r.family.sound != 0)
        .map(|(i, r)| {
            let (a, b) = (r.given.sound, r.family.sound);
            (u64::from(a.min(b)) << 32 | u64::from(a.max(b)), i as u32)
        })
        .collect();
    block.sort_unstable();
    let groups = || {
        block
            .chunk_by(|a, b| a.0 == b.0)
            .filter(|g| g.len() >= 2 && g.len() <= cap)
    };
    let total: usize = groups().map(|g| g.len() * (g.len() - 1) / 2).sum();
    let keep = (max_pairs as f64 / total.max(1) as f64).min(1.0);
    let threshold = (keep * u64::MAX as f64) as u64;
    let mut state = seed;
    let mut out = Vec::new();
    for group in groups() {
        for (x, &(_, i)) in group.iter().enumerate() {
            for &(_, j) in &group[x + 1..] {
                state = mix(state);
                if keep >= 1.0 || state <= threshold {
                    out.push((i.min(j), i.max(j)));
                }
            }
        }
    }
    out
}
