//! A whole-registry run: every named record compared with every other that shares a
//! blocking key, the model learnt again from the registry itself, pairs above the
//! review threshold queued, near-certain ones (every name, birth year and sex agreeing,
//! no national id against it) linked at once and listed. Decided pairs are never queued again.

use std::collections::HashMap;
use std::time::Instant;

use hamafza_core::access::{Action, Actor, Target, decide};
use hamafza_core::ids::{MatchPairId, PersonId};
use hamafza_core::linkage::compare::{Compared, Field, NAME_SOUND};
use hamafza_core::linkage::dedupe::Dedupe;
use hamafza_core::linkage::{Model, PersonFields};
use serde::Serialize;
use sqlx::Row;

use super::links::add_link;
use super::{AUTO_LINK_AT, BLOCK_CAP, REVIEW_AT};
use crate::people::refused;
use crate::{Store, StoreError, StoreResult, Who, now_text};

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct LinkageRun {
    pub id: String,
    pub records: usize,
    pub candidate_pairs: usize,
    /// Pairs newly put in the review queue (open pairs already there are updated).
    pub queued: usize,
    /// Pairs linked without review: (record, record, probability).
    pub linked: Vec<(PersonId, PersonId, f64)>,
    /// Blocks too large to search, by rule and size.
    pub capped_blocks: Vec<(String, usize)>,
    pub seconds: f64,
}

/// The last run, as the queue page recalls it.
#[derive(Debug, Clone, Serialize)]
pub struct LastRun {
    pub started_at: String,
    pub records: i64,
    pub queued: i64,
    pub linked: i64,
    pub capped_blocks: i64,
}

/// What the computation found, before anything is written.
struct Found {
    records: usize,
    candidates: usize,
    capped: Vec<(String, usize)>,
    /// (a, b, probability, certain) above the review threshold.
    pairs: Vec<(String, String, f64, bool)>,
    model: Model,
}

/// A pair that may be linked without a person looking at it: very likely, both names
/// and the father's name agreeing (exactly or by sound, given and family either way),
/// the same birth year and sex, and no national id against it (the same valid one, or
/// one missing: the registry refuses a second record with an id already on record).
fn certain(c: Compared, p: f64, valid_ids: bool) -> bool {
    let agrees = |f: Field| (1..=NAME_SOUND).contains(&c.gamma.level(f));
    let id_ok = match c.gamma.level(Field::NationalId) {
        0 => true,
        1 => valid_ids,
        _ => false,
    };
    p >= AUTO_LINK_AT
        && id_ok
        && agrees(Field::Given)
        && agrees(Field::Family)
        && agrees(Field::Father)
        && c.gamma.level(Field::BirthYear) == 1
        && c.gamma.level(Field::Sex) == 1
}

fn compute(people: Vec<(String, PersonFields)>) -> Found {
    let set = Dedupe::prepare(people.iter().map(|(_, p)| p));
    let candidates = set.block(BLOCK_CAP);
    let compared = set.compare(&candidates.pairs, 2);
    let n = people.len();
    let random = (n * n.saturating_sub(1)).clamp(1, 400_000);
    let model = set.learn(&compared, BLOCK_CAP, random, 20_261_202);
    let probabilities = set.score(&model, &candidates.pairs, &compared, 2);
    let valid =
        |i: u32| hamafza_core::national_id::parse(&people[i as usize].1.national_id).is_ok();
    let pairs = candidates
        .pairs
        .iter()
        .zip(&compared)
        .zip(&probabilities)
        .filter(|(_, p)| **p >= REVIEW_AT)
        .map(|((&(i, j), &c), &p)| {
            let (a, b) = (&people[i as usize].0, &people[j as usize].0);
            let (a, b) = if a <= b { (a, b) } else { (b, a) };
            (a.clone(), b.clone(), p, certain(c, p, valid(i) && valid(j)))
        })
        .collect();
    Found {
        records: n,
        candidates: candidates.pairs.len(),
        capped: candidates
            .capped
            .into_iter()
            .map(|c| (c.rule.to_string(), c.records))
            .collect(),
        pairs,
        model,
    }
}

impl Store {
    /// The latest run, if any.
    pub async fn last_linkage_run(&self) -> StoreResult<Option<LastRun>> {
        let row = sqlx::query(
            "SELECT started_at, records, queued, linked, capped_blocks FROM linkage_runs
             ORDER BY started_at DESC, id DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(LastRun {
                started_at: r.try_get("started_at")?,
                records: r.try_get("records")?,
                queued: r.try_get("queued")?,
                linked: r.try_get("linked")?,
                capped_blocks: r.try_get("capped_blocks")?,
            })
        })
        .transpose()
    }

    /// Runs linkage over the whole registry (a supervisor or the system administrator).
    pub async fn run_linkage(&self, actor: &Actor) -> StoreResult<LinkageRun> {
        refused(decide(actor, Action::RunLinkage, Target::Collection))?;
        let started = Instant::now();
        let people = self.linkage_people().await?;
        let found = tokio::task::spawn_blocking(move || compute(people))
            .await
            .map_err(|e| StoreError::Corrupt(format!("linkage run: {e}")))?;
        let known: HashMap<(String, String), String> =
            sqlx::query("SELECT person_a, person_b, state FROM match_pairs")
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| {
                    Ok((
                        (r.try_get("person_a")?, r.try_get("person_b")?),
                        r.try_get("state")?,
                    ))
                })
                .collect::<StoreResult<_>>()?;
        let who = Who::of(actor);
        let now = now_text();
        let mut w = self.write_tx().await?;
        let mut queued = 0;
        let mut linked = Vec::new();
        for (a, b, p, certain) in &found.pairs {
            let (pa, pb): (PersonId, PersonId) = match (a.parse(), b.parse()) {
                (Ok(x), Ok(y)) => (x, y),
                _ => continue,
            };
            match known.get(&(a.clone(), b.clone())).map(String::as_str) {
                Some("open") => {
                    // A pair the biometric matcher queued keeps its matcher's score.
                    sqlx::query("UPDATE match_pairs SET probability = $1 WHERE person_a = $2 AND person_b = $3 AND source = 'names'")
                        .bind(p)
                        .bind(a)
                        .bind(b)
                        .execute(&mut *w.tx)
                        .await?;
                    continue;
                }
                // Decided, or waiting as "not sure": never queued again.
                Some(_) => continue,
                None => {}
            }
            let state = if *certain {
                "linked_automatically"
            } else {
                "open"
            };
            sqlx::query(
                "INSERT INTO match_pairs (id, person_a, person_b, source, probability, found_at, state)
                 VALUES ($1, $2, $3, 'names', $4, $5, $6)",
            )
            .bind(MatchPairId::new())
            .bind(a)
            .bind(b)
            .bind(p)
            .bind(&now)
            .bind(state)
            .execute(&mut *w.tx)
            .await?;
            if *certain {
                let reason = "پیوند خودکار: نام، نام خانوادگی، نام پدر، سال تولد و جنس هم‌خوان";
                if add_link(&mut w, &who, pa, pb, "automatic", Some(*p), reason)
                    .await?
                    .is_some()
                {
                    linked.push((pa, pb, *p));
                }
            } else {
                queued += 1;
            }
        }
        let run_id = uuid::Uuid::now_v7().to_string();
        let seconds = started.elapsed().as_secs_f64();
        sqlx::query(
            "INSERT INTO linkage_runs (id, started_at, run_by, records, candidate_pairs, queued, linked, capped_blocks, seconds)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&run_id)
        .bind(&now)
        .bind(actor.user_id.to_string())
        .bind(found.records as i64)
        .bind(found.candidates as i64)
        .bind(queued as i64)
        .bind(linked.len() as i64)
        .bind(found.capped.len() as i64)
        .bind(seconds)
        .execute(&mut *w.tx)
        .await?;
        w.audit(
            &who,
            "linkage.run",
            "linkage_run",
            &run_id,
            serde_json::json!({
                "records": found.records, "candidate_pairs": found.candidates,
                "queued": queued, "linked": linked.len(), "capped_blocks": found.capped.len(),
            }),
        )
        .await?;
        w.commit().await?;
        // Lookups at registration score with what the registry taught.
        let model = found.model;
        self.with_linkage_index(move |index| index.set_model(model))
            .await?;
        Ok(LinkageRun {
            id: run_id,
            records: found.records,
            candidate_pairs: found.candidates,
            queued,
            linked,
            capped_blocks: found.capped,
            seconds,
        })
    }
}
