//! Identity linkage in the store (issue 13): the registry's named records held in
//! memory for "who might this be?" ([`hamafza_core::linkage::Index`], built on first
//! use and kept current by every write of a person), the whole-registry run, the review
//! queue, and links between records that can be undone.
//!
//! A person is every record reached through live links: linking adds one edge and
//! changes no record, case, referral or encounter; undoing it marks that edge undone,
//! so what was there before is exactly what is there after.

mod links;
mod queue;
mod run;

use hamafza_core::access::{Action, Actor};
use hamafza_core::ids::PersonId;
use hamafza_core::linkage::{Index, Model, PersonFields};
use hamafza_core::people::{BirthSaid, Sex};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::people::PersonReader;
use crate::{Store, StoreError, StoreResult};

pub use hamafza_core::linkage::model::{FieldWeight, LevelRow};
pub use links::{LinkRow, LinkedGroup};
pub use queue::{MatchDecision, PairField, PairView, QueueRow};
pub use run::{LastRun, LinkageRun};

/// Shown to an officer at registration from this probability up.
pub const SHOW_AT: f64 = 0.3;
/// Put in the review queue from this probability up.
pub const REVIEW_AT: f64 = 0.5;
/// Linked without review from this probability up, and only when every name, the
/// birth year and sex agree and no national id is against it (see `run::certain`).
pub const AUTO_LINK_AT: f64 = 0.999;
/// Blocks of more records than this are not searched (and reported by a run).
pub const BLOCK_CAP: usize = 2000;

/// The index, built on first use.
#[derive(Default)]
pub(crate) struct LinkageState {
    index: tokio::sync::Mutex<Option<Index>>,
}

/// One side of a pair as a list shows it: which record, which agency, which place; no
/// name (names are read on the pair's page, audited).
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub person_id: PersonId,
    pub agency: String,
    pub place: Option<String>,
}

/// A likely match of a record being registered.
#[derive(Debug, Clone, Serialize)]
pub struct LikelyMatch {
    pub person_id: PersonId,
    pub probability: f64,
    /// Given and family names agreed the other way round.
    pub swapped: bool,
    pub fields: Vec<FieldWeight>,
    /// The agency that registered the record: whom to call.
    pub agency: String,
    /// The name, when the officer may read the record (the read is audited).
    pub name: Option<String>,
    /// The officer may link the new record to it.
    pub may_link: bool,
}

const PEOPLE_COLUMNS: &str = "id, given_name, family_name, father_name, sex, birth, national_id, \
     lives_place_id, met_place_id";

/// A person's fields as linkage compares them.
fn fields_of(r: &AnyRow) -> StoreResult<PersonFields> {
    let text = |c: &str| -> StoreResult<String> {
        Ok(r.try_get::<Option<String>, _>(c)?.unwrap_or_default())
    };
    let birth: Option<String> = r.try_get("birth")?;
    let birth_year = match birth {
        Some(t) => Some(
            serde_json::from_str::<BirthSaid>(&t)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?
                .likely_year(),
        ),
        None => None,
    };
    let lives: Option<String> = r.try_get("lives_place_id")?;
    let met: Option<String> = r.try_get("met_place_id")?;
    Ok(PersonFields {
        given_name: text("given_name")?,
        family_name: text("family_name")?,
        father_name: text("father_name")?,
        sex: r
            .try_get::<Option<String>, _>("sex")?
            .as_deref()
            .and_then(Sex::from_code),
        birth_year,
        national_id: text("national_id")?,
        neighbourhood: lives.or(met),
    })
}

/// A record with no name is not matched by name (an encounter, or a record whose
/// person withdrew consent and whose names were removed).
fn has_a_name(p: &PersonFields) -> bool {
    !p.given_name.trim().is_empty() || !p.family_name.trim().is_empty()
}

impl Store {
    /// Every named record's fields.
    pub(crate) async fn linkage_people(&self) -> StoreResult<Vec<(String, PersonFields)>> {
        // Only constant column names are spliced in.
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PEOPLE_COLUMNS} FROM persons WHERE given_name IS NOT NULL OR family_name IS NOT NULL"
        )))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let fields = fields_of(r)?;
            if has_a_name(&fields) {
                out.push((r.try_get("id")?, fields));
            }
        }
        Ok(out)
    }

    /// Runs `f` on the index, building it first if this is its first use.
    pub(crate) async fn with_linkage_index<R>(
        &self,
        f: impl FnOnce(&mut Index) -> R,
    ) -> StoreResult<R> {
        let mut guard = self.linkage.index.lock().await;
        if guard.is_none() {
            let people = self.linkage_people().await?;
            let model = Model::starting_for(people.len());
            *guard = Some(Index::build(people, model, BLOCK_CAP));
        }
        match guard.as_mut() {
            Some(index) => Ok(f(index)),
            None => Err(StoreError::Corrupt("linkage index missing".into())),
        }
    }

    /// Brings these records up to date in the index, if it is built (after a
    /// registration, a correction, a withdrawal of consent, a deletion).
    pub(crate) async fn linkage_refresh(&self, ids: &[PersonId]) -> StoreResult<()> {
        let mut guard = self.linkage.index.lock().await;
        let Some(index) = guard.as_mut() else {
            return Ok(());
        };
        for chunk in ids.chunks(200) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT {PEOPLE_COLUMNS} FROM persons WHERE id IN ({})",
                marks.join(",")
            );
            // Only constant column names and numbered placeholders are spliced in.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            let rows = q.fetch_all(&self.pool).await?;
            let mut seen = std::collections::HashSet::new();
            for r in &rows {
                let id: String = r.try_get("id")?;
                let fields = fields_of(r)?;
                if has_a_name(&fields) {
                    index.insert(id.clone(), &fields);
                } else {
                    index.remove(&id);
                }
                seen.insert(id);
            }
            for id in chunk {
                let id = id.to_string();
                if !seen.contains(&id) {
                    index.remove(&id);
                }
            }
        }
        Ok(())
    }

    /// The records a person being registered may already have, across all agencies,
    /// most likely first: the score and why, the agency to call, and the name where the
    /// officer may read the record (audited as a duplicate check). Records the officer
    /// may not even locate are not shown; they reach the review queue at the next run.
    pub async fn likely_matches(
        &self,
        reader: &PersonReader<'_>,
        person: &PersonFields,
    ) -> StoreResult<Vec<LikelyMatch>> {
        if !has_a_name(person) {
            return Ok(Vec::new());
        }
        let found = self
            .with_linkage_index(|index| index.matches(person, SHOW_AT, 5, None))
            .await?;
        let mut out = Vec::new();
        let mut read = Vec::new();
        for m in found {
            let Ok(id) = m.id.parse::<PersonId>() else {
                continue;
            };
            let access = match self.person_access(reader.actor, id, reader.today).await {
                Ok(a) => a,
                Err(StoreError::NotFound) => continue,
                Err(e) => return Err(e),
            };
            if !access
                .decide(reader.actor, Action::LocatePerson)
                .is_allowed()
            {
                continue;
            }
            let may_link = access
                .decide(reader.actor, Action::LinkAtRegistration)
                .is_allowed();
            let may_read = access.decide(reader.actor, Action::ViewPerson).is_allowed();
            let row = sqlx::query(
                "SELECT p.given_name, p.family_name, a.name_fa FROM persons p
                 JOIN agencies a ON a.id = p.registered_by_agency WHERE p.id = $1",
            )
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
            let name = if may_read {
                read.push(id);
                Some(crate::people::display_name(
                    row.try_get::<Option<String>, _>("given_name")?.as_deref(),
                    row.try_get::<Option<String>, _>("family_name")?.as_deref(),
                ))
            } else {
                None
            };
            out.push(LikelyMatch {
                person_id: id,
                probability: m.probability,
                swapped: m.swapped,
                fields: m.fields,
                agency: row.try_get("name_fa")?,
                name,
                may_link,
            });
        }
        if !read.is_empty() {
            let mut w = self.write_tx().await?;
            crate::people::record_reads(&mut w, reader, "person.match_shown", &read).await?;
            w.commit().await?;
        }
        Ok(out)
    }

    /// The model the index scores with: every field's learnt m, u and weight, and
    /// the prior; for an administrator or a supervisor.
    pub async fn linkage_model(&self, actor: &Actor) -> StoreResult<(f64, Vec<LevelRow>, bool)> {
        crate::people::refused(hamafza_core::access::decide(
            actor,
            Action::RunLinkage,
            hamafza_core::access::Target::Collection,
        ))?;
        self.with_linkage_index(|index| {
            let m = index.model();
            (m.prior, m.table(), m.trained_on_pairs > 0)
        })
        .await
    }
}
