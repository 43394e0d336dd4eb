//! The review queue: pairs a run found likely but not certain, for the registry's
//! supervisors to decide side by side. "Same person" links them; "different people"
//! is remembered so the pair never comes back; "not sure" keeps it for a second look.

use hamafza_core::access::{Action, Actor, Target, decide};
use hamafza_core::ids::{MatchPairId, PersonId};
use hamafza_core::linkage::compare::Field;
use serde::Serialize;
use sqlx::Row;

use super::Side;
use super::links::{add_link, reason_of};
use crate::people::{PersonReader, record_reads, refused};
use crate::{Store, StoreError, StoreResult, Who, now_text};

/// Pairs a queue page shows at most.
const QUEUE_PAGE: i64 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchDecision {
    Same,
    Different,
    Unsure,
}

impl MatchDecision {
    pub fn code(self) -> &'static str {
        match self {
            MatchDecision::Same => "same",
            MatchDecision::Different => "different",
            MatchDecision::Unsure => "unsure",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Same, Self::Different, Self::Unsure]
            .into_iter()
            .find(|d| d.code() == code)
    }
}

/// A pair as the queue lists it (no names).
#[derive(Debug, Clone, Serialize)]
pub struct QueueRow {
    pub id: MatchPairId,
    pub probability: f64,
    pub state: String,
    pub source: String,
    pub found_at: String,
    pub a: Side,
    pub b: Side,
}

/// One field of a pair, side by side.
#[derive(Debug, Clone, Serialize)]
pub struct PairField {
    pub field: &'static str,
    pub field_fa: &'static str,
    pub a: String,
    pub b: String,
    pub level_fa: &'static str,
    /// log2 of how much more likely this agreement is for one person than for two.
    pub weight: f64,
}

/// A pair on its page: both records' fields compared.
#[derive(Debug, Clone, Serialize)]
pub struct PairView {
    pub id: MatchPairId,
    pub probability: f64,
    /// The probability under the model as it is now.
    pub probability_now: Option<f64>,
    pub state: String,
    pub source: String,
    pub reason: Option<String>,
    pub a: Side,
    pub b: Side,
    pub swapped: bool,
    pub fields: Vec<PairField>,
}

impl Store {
    /// May `actor` decide about this pair? Both records must be theirs to review.
    async fn may_review(
        &self,
        actor: &Actor,
        a: PersonId,
        b: PersonId,
        today: hamafza_core::jalali::JalaliDate,
    ) -> StoreResult<()> {
        for p in [a, b] {
            let access = self.person_access(actor, p, today).await?;
            refused(access.decide(actor, Action::ReviewMatches))?;
        }
        Ok(())
    }

    /// The open and "not sure" pairs the supervisor may review, most likely first
    /// (open before not sure).
    pub async fn match_queue(
        &self,
        actor: &Actor,
        today: hamafza_core::jalali::JalaliDate,
    ) -> StoreResult<Vec<QueueRow>> {
        refused(decide(actor, Action::ReviewMatches, Target::Collection))?;
        let rows = sqlx::query(
            "SELECT id, person_a, person_b, probability, state, source, found_at FROM match_pairs
             WHERE state IN ('open', 'unsure')
             ORDER BY CASE state WHEN 'open' THEN 0 ELSE 1 END, probability DESC, id
             LIMIT $1",
        )
        .bind(QUEUE_PAGE * 5)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let (a, b): (PersonId, PersonId) = (r.try_get("person_a")?, r.try_get("person_b")?);
            match self.may_review(actor, a, b, today).await {
                Ok(()) => {}
                Err(StoreError::NotFound | StoreError::Forbidden(_)) => continue,
                Err(e) => return Err(e),
            }
            let sides = self.sides(&[a, b]).await?;
            let mut sides = sides.into_iter();
            let (Some(sa), Some(sb)) = (sides.next(), sides.next()) else {
                continue;
            };
            out.push(QueueRow {
                id: r.try_get("id")?,
                probability: r.try_get("probability")?,
                state: r.try_get("state")?,
                source: r.try_get("source")?,
                found_at: r.try_get("found_at")?,
                a: sa,
                b: sb,
            });
            if out.len() as i64 >= QUEUE_PAGE {
                break;
            }
        }
        Ok(out)
    }

    /// A pair side by side, for a supervisor: reads both records' identifying fields,
    /// audited as reads with the reader's purpose.
    pub async fn match_pair(
        &self,
        reader: &PersonReader<'_>,
        id: MatchPairId,
    ) -> StoreResult<PairView> {
        let r = sqlx::query(
            "SELECT person_a, person_b, probability, state, source, reason FROM match_pairs WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let (a, b): (PersonId, PersonId) = (r.try_get("person_a")?, r.try_get("person_b")?);
        self.may_review(reader.actor, a, b, reader.today).await?;
        let mut values = Vec::new();
        for p in [a, b] {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {} FROM persons WHERE id = $1",
                super::PEOPLE_COLUMNS
            )))
            .bind(p)
            .fetch_one(&self.pool)
            .await?;
            values.push(super::fields_of(&row)?);
        }
        let compared = self
            .with_linkage_index(|index| index.compare(&a.to_string(), &b.to_string()))
            .await?;
        let (va, vb) = (&values[0], &values[1]);
        let shown = |f: Field, p: &hamafza_core::linkage::PersonFields| -> String {
            match f {
                Field::Given => p.given_name.clone(),
                Field::Family => p.family_name.clone(),
                Field::Father => p.father_name.clone(),
                Field::NationalId => p.national_id.clone(),
                Field::BirthYear => p.birth_year.map(|y| y.to_string()).unwrap_or_default(),
                Field::Sex => p.sex.map(|s| s.name_fa().to_string()).unwrap_or_default(),
                Field::Neighbourhood => String::new(),
            }
        };
        let fields = Field::ALL
            .into_iter()
            .filter(|f| *f != Field::Neighbourhood)
            .map(|f| {
                let w = compared
                    .as_ref()
                    .and_then(|m| m.fields.iter().find(|x| x.field == f.code()));
                PairField {
                    field: f.code(),
                    field_fa: f.name_fa(),
                    a: shown(f, va),
                    b: shown(f, vb),
                    level_fa: w.map_or("", |w| w.level_fa),
                    weight: w.map_or(0.0, |w| w.weight),
                }
            })
            .collect();
        let sides = self.sides(&[a, b]).await?;
        let mut sides = sides.into_iter();
        let (Some(sa), Some(sb)) = (sides.next(), sides.next()) else {
            return Err(StoreError::NotFound);
        };
        let mut w = self.write_tx().await?;
        record_reads(&mut w, reader, "person.match_review", &[a, b]).await?;
        w.commit().await?;
        Ok(PairView {
            id,
            probability: r.try_get("probability")?,
            probability_now: compared.as_ref().map(|m| m.probability),
            state: r.try_get("state")?,
            source: r.try_get("source")?,
            reason: r.try_get("reason")?,
            a: sa,
            b: sb,
            swapped: compared.is_some_and(|m| m.swapped),
            fields,
        })
    }

    /// Decides a pair: "same" links the two records, "different" is remembered,
    /// "not sure" keeps it for later. A reason is required; every decision is audited.
    /// A pair decided same or different already is refused.
    pub async fn decide_match(
        &self,
        actor: &Actor,
        id: MatchPairId,
        decision: MatchDecision,
        reason: &str,
        today: hamafza_core::jalali::JalaliDate,
    ) -> StoreResult<()> {
        let reason = reason_of(reason)?;
        let r = sqlx::query(
            "SELECT person_a, person_b, probability, state FROM match_pairs WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let (a, b): (PersonId, PersonId) = (r.try_get("person_a")?, r.try_get("person_b")?);
        self.may_review(actor, a, b, today).await?;
        let state: String = r.try_get("state")?;
        if state != "open" && state != "unsure" {
            return Err(StoreError::Conflict {
                field: "pair_decided",
                value: String::new(),
            });
        }
        let who = Who::of(actor);
        let mut w = self.write_tx().await?;
        let changed = sqlx::query(
            "UPDATE match_pairs SET state = $1, decided_by = $2, decided_at = $3, reason = $4
             WHERE id = $5 AND state IN ('open', 'unsure')",
        )
        .bind(decision.code())
        .bind(actor.user_id.to_string())
        .bind(now_text())
        .bind(&reason)
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        if changed.rows_affected() == 0 {
            return Err(StoreError::Conflict {
                field: "pair_decided",
                value: String::new(),
            });
        }
        w.audit(
            &who,
            "match.decide",
            "match_pair",
            &id,
            serde_json::json!({"a": a, "b": b, "decision": decision.code(), "reason": reason}),
        )
        .await?;
        if decision == MatchDecision::Same {
            let p: f64 = r.try_get("probability")?;
            add_link(&mut w, &who, a, b, "review", Some(p), &reason).await?;
        }
        w.commit().await?;
        Ok(())
    }
}
