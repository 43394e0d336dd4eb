//! The registry's records held in memory for "who might this be?": blocking keys in one
//! sorted table (records added since it was built in a small side table), the name
//! frequencies, and the model. A lookup prepares the new record, gathers the records
//! sharing any of its keys and scores each.

use std::collections::HashMap;

use serde::Serialize;

use super::blocking::Rule;
use super::compare;
use super::model::{FieldWeight, Model};
use super::record::{Keys, PersonFields, Prepared};

/// A likely match: which record, how likely, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Match {
    pub id: String,
    pub probability: f64,
    pub weight: f64,
    /// Given and family names agreed crosswise (typed the other way round).
    pub swapped: bool,
    pub fields: Vec<FieldWeight>,
}

pub struct Index {
    keys: Keys,
    records: Vec<Prepared>,
    ids: Vec<String>,
    alive: Vec<bool>,
    by_id: HashMap<String, u32>,
    /// (key, record) for every rule's key, sorted; `recent` holds later additions.
    table: Vec<(u64, u32)>,
    recent: HashMap<u64, Vec<u32>>,
    recent_len: usize,
    model: Model,
    cap: usize,
}

impl Index {
    /// An empty index; blocks of more than `cap` records are not searched.
    pub fn new(model: Model, cap: usize) -> Self {
        Index {
            keys: Keys::default(),
            records: Vec::new(),
            ids: Vec::new(),
            alive: Vec::new(),
            by_id: HashMap::new(),
            table: Vec::new(),
            recent: HashMap::new(),
            recent_len: 0,
            model,
            cap,
        }
    }

    /// Builds an index over many records at once (faster than inserting one by one).
    pub fn build(
        records: impl IntoIterator<Item = (String, PersonFields)>,
        model: Model,
        cap: usize,
    ) -> Self {
        let mut index = Index::new(model, cap);
        for (id, person) in records {
            let prepared = index.keys.prepare(&person);
            index.add(id, prepared);
        }
        index.rebuild();
        index
    }

    fn add(&mut self, id: String, prepared: Prepared) -> u32 {
        if let Some(&old) = self.by_id.get(&id) {
            self.retire(old);
        }
        let i = self.records.len() as u32;
        self.keys.count(&prepared, 1);
        self.records.push(prepared);
        self.alive.push(true);
        self.by_id.insert(id.clone(), i);
        self.ids.push(id);
        i
    }

    fn retire(&mut self, i: u32) {
        if std::mem::replace(&mut self.alive[i as usize], false) {
            self.keys.count(&self.records[i as usize].clone(), -1);
        }
    }

    /// Sorts every live record's keys into the table.
    fn rebuild(&mut self) {
        self.table.clear();
        for (i, r) in self.records.iter().enumerate() {
            if self.alive[i] {
                self.table.extend(
                    Rule::ALL
                        .iter()
                        .flat_map(|rule| rule.keys(r))
                        .filter(|&k| k != 0)
                        .map(|k| (k, i as u32)),
                );
            }
        }
        self.table.sort_unstable();
        self.recent.clear();
        self.recent_len = 0;
    }

    /// Adds or replaces a record.
    pub fn insert(&mut self, id: String, person: &PersonFields) {
        let prepared = self.keys.prepare(person);
        let i = self.add(id, prepared);
        for rule in Rule::ALL {
            for key in rule.keys(&self.records[i as usize]) {
                if key != 0 {
                    self.recent.entry(key).or_default().push(i);
                    self.recent_len += 1;
                }
            }
        }
        if self.recent_len > 4096 && self.recent_len * 10 > self.table.len() {
            self.rebuild();
        }
    }

    /// Takes a record out (merged into another, or deleted by retention).
    pub fn remove(&mut self, id: &str) {
        if let Some(i) = self.by_id.remove(id) {
            self.retire(i);
        }
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn set_model(&mut self, model: Model) {
        self.model = model;
    }

    /// The records that might be this person, most likely first: at least
    /// `min_probability`, at most `limit`. `exclude` leaves one record out (itself).
    pub fn matches(
        &mut self,
        person: &PersonFields,
        min_probability: f64,
        limit: usize,
        exclude: Option<&str>,
    ) -> Vec<Match> {
        let query = self.keys.prepare(person);
        let skip = exclude.and_then(|id| self.by_id.get(id).copied());
        let mut found: Vec<u32> = Vec::new();
        for key in Rule::ALL.iter().flat_map(|rule| rule.keys(&query)) {
            if key == 0 {
                continue;
            }
            let start = self.table.partition_point(|e| e.0 < key);
            let end = start + self.table[start..].partition_point(|e| e.0 == key);
            let recent = self.recent.get(&key).map_or(&[][..], Vec::as_slice);
            if end - start + recent.len() > self.cap {
                continue;
            }
            found.extend(self.table[start..end].iter().map(|e| e.1));
            found.extend_from_slice(recent);
        }
        found.sort_unstable();
        found.dedup();
        let mut out: Vec<Match> = found
            .into_iter()
            .filter(|&i| self.alive[i as usize] && Some(i) != skip)
            .filter_map(|i| {
                let other = &self.records[i as usize];
                let compared = compare::records(&self.keys, &query, other);
                let weight = self.model.weight(&self.keys, &query, compared);
                let probability = Model::probability(weight);
                (probability >= min_probability).then(|| Match {
                    id: self.ids[i as usize].clone(),
                    probability,
                    weight,
                    swapped: compared.swapped,
                    fields: self.model.explain(&self.keys, &query, compared),
                })
            })
            .collect();
        out.sort_by(|a, b| b.weight.total_cmp(&a.weight).then_with(|| a.id.cmp(&b.id)));
        out.truncate(limit);
        out
    }

    /// Two records compared, with why (for the review queue's side-by-side view).
    pub fn compare(&self, a: &str, b: &str) -> Option<Match> {
        let (&i, &j) = (self.by_id.get(a)?, self.by_id.get(b)?);
        let (x, y) = (&self.records[i as usize], &self.records[j as usize]);
        let compared = compare::records(&self.keys, x, y);
        let weight = self.model.weight(&self.keys, x, compared);
        Some(Match {
            id: b.to_string(),
            probability: Model::probability(weight),
            weight,
            swapped: compared.swapped,
            fields: self.model.explain(&self.keys, x, compared),
        })
    }
}
