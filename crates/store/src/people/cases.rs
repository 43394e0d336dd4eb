//! Cases: opened by an agency that may read the person (it then holds the record),
//! worked by that agency — services received, notes, closing with a reason, reopening —
//! and read as the person is read, each read audited with its purpose.

use std::collections::BTreeMap;

use hamafza_core::access::{Action, Actor};
use hamafza_core::ids::{AgencyId, CaseId, PersonId, UserId};
use hamafza_core::jalali::{JalaliDate, iso_day};
use hamafza_core::people::{ClosureReason, ConsentUse};
use serde::Serialize;
use sqlx::Row;

use super::read::refused;
use super::{AgencyRef, PersonReader};
use crate::{Rule, Store, StoreError, StoreResult, Who, now_text};

const ANSWER_MAX: usize = 500;
const TEXT_MAX: usize = 4_000;

/// A case as the agency opens it.
#[derive(Debug, Clone, Default)]
pub struct NewCase {
    /// The case worker: a user of the opening agency (the opener when absent).
    pub worker: Option<UserId>,
    /// Answers to the needs assessment, by question code.
    pub assessment: BTreeMap<String, String>,
    pub plan: Option<String>,
}

/// Work on an open (or closed, to reopen) case.
#[derive(Debug, Clone)]
pub enum CaseWork {
    Service {
        service: String,
        provider: Option<AgencyId>,
        given_on: JalaliDate,
        outcome: Option<String>,
    },
    Note {
        body: String,
    },
    Close {
        reason: ClosureReason,
        note: Option<String>,
    },
    Reopen {
        note: Option<String>,
    },
    /// Looked for the person and did not find them. After [`LOST_AFTER_ATTEMPTS`] such
    /// attempts with no contact between them, the case closes for lost contact (Built
    /// for Zero's "inactive").
    Attempt {
        note: Option<String>,
    },
}

/// Attempts without a contact after which a case closes for lost contact.
pub const LOST_AFTER_ATTEMPTS: i64 = 3;

#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub id: CaseId,
    pub person_id: PersonId,
    pub agency: AgencyRef,
    pub worker: Option<String>,
    pub opened_at: String,
    /// (question, answer) in the questions' order.
    pub assessment: Vec<(String, String)>,
    pub plan: Option<String>,
    pub closed_at: Option<String>,
    pub closure_reason: Option<ClosureReason>,
    pub entries: Vec<CaseEntry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseEntry {
    pub kind: String,
    pub at: String,
    pub by: Option<String>,
    pub service: Option<String>,
    pub provider: Option<String>,
    pub given_on: Option<String>,
    pub outcome: Option<String>,
    pub body: Option<String>,
}

/// A case as a person's timeline lists it.
#[derive(Debug, Clone, Serialize)]
pub struct CaseSummary {
    pub id: CaseId,
    pub agency: String,
    pub opened_at: String,
    pub closed_at: Option<String>,
    pub closure_reason: Option<ClosureReason>,
}

pub(super) fn text(
    field: &'static str,
    v: Option<&str>,
    max: usize,
) -> StoreResult<Option<String>> {
    let v = v.map(str::trim).filter(|s| !s.is_empty());
    if v.is_some_and(|s| s.chars().count() > max) {
        return Err(StoreError::invalid(field, Rule::TooLong { max }));
    }
    Ok(v.map(str::to_string))
}

impl Store {
    /// The needs assessment's questions: (code, Persian text), in order.
    pub async fn assessment_questions(&self) -> StoreResult<Vec<(String, String)>> {
        Ok(sqlx::query_as(
            "SELECT code, text_fa FROM assessment_questions WHERE active = 1 ORDER BY position, code",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Opens a case for a person by the actor's agency, which then holds the record.
    pub async fn open_case(
        &self,
        actor: &Actor,
        person: PersonId,
        new: &NewCase,
        today: JalaliDate,
    ) -> StoreResult<CaseId> {
        let access = self.person_access(actor, person, today).await?;
        refused(access.decide(actor, Action::OpenCase))?;
        let questions = self.assessment_questions().await?;
        let mut answers = serde_json::Map::new();
        for (code, answer) in &new.assessment {
            if !questions.iter().any(|(q, _)| q == code) {
                return Err(StoreError::invalid(
                    "assessment",
                    Rule::Unknown(code.clone()),
                ));
            }
            if let Some(a) = text("assessment", Some(answer), ANSWER_MAX)? {
                answers.insert(code.clone(), serde_json::Value::String(a));
            }
        }
        let plan = text("plan", new.plan.as_deref(), TEXT_MAX)?;
        let worker = new.worker.map_or(actor.user_id, UserId::uuid);
        let worker_agency: Option<String> =
            sqlx::query_scalar("SELECT agency_id FROM users WHERE id = $1 AND active = 1")
                .bind(worker.to_string())
                .fetch_optional(&self.pool)
                .await?;
        if worker_agency.as_deref() != Some(actor.agency_id.to_string().as_str()) {
            return Err(StoreError::invalid("worker", Rule::Unknown(String::new())));
        }
        let id = CaseId::new();
        let mut w = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO cases (id, person_id, agency_id, worker_id, opened_at, assessment, plan) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(person)
        .bind(actor.agency_id.to_string())
        .bind(worker.to_string())
        .bind(now_text())
        .bind(serde_json::Value::Object(answers).to_string())
        .bind(&plan)
        .execute(&mut *w.tx)
        .await?;
        let holds: Option<String> = sqlx::query_scalar(
            "SELECT agency_id FROM person_holders WHERE person_id = $1 AND agency_id = $2",
        )
        .bind(person)
        .bind(actor.agency_id.to_string())
        .fetch_optional(&mut *w.tx)
        .await?;
        if holds.is_none() {
            sqlx::query(
                "INSERT INTO person_holders (person_id, agency_id, since) VALUES ($1, $2, $3)",
            )
            .bind(person)
            .bind(actor.agency_id.to_string())
            .bind(now_text())
            .execute(&mut *w.tx)
            .await?;
        }
        w.audit(
            &Who::of(actor),
            "case.open",
            "case",
            &id,
            serde_json::json!({ "person": person, "shared": access.consent.allows(ConsentUse::Share) }),
        )
        .await?;
        w.commit().await?;
        Ok(id)
    }

    /// The case's person and agency.
    async fn case_owner(&self, id: CaseId) -> StoreResult<(PersonId, uuid::Uuid, bool)> {
        let row = sqlx::query("SELECT person_id, agency_id, closed_at FROM cases WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let agency: String = row.try_get("agency_id")?;
        let closed: Option<String> = row.try_get("closed_at")?;
        Ok((
            row.try_get("person_id")?,
            agency
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("case agency {agency}")))?,
            closed.is_some(),
        ))
    }

    /// Records work on a case, by its agency: a service, a note, closing, reopening.
    pub async fn work_case(
        &self,
        actor: &Actor,
        id: CaseId,
        work: &CaseWork,
        today: JalaliDate,
    ) -> StoreResult<()> {
        let (person, agency, closed) = self.case_owner(id).await?;
        let access = self.person_access(actor, person, today).await?;
        refused(access.decide_case(actor, agency))?;
        let open_only = |what: &'static str| {
            if closed {
                Err(StoreError::invalid(what, Rule::NotExpected))
            } else {
                Ok(())
            }
        };
        let mut w = self.write_tx().await?;
        let entry = |kind: &str| (crate::new_id(), kind.to_string());
        let (entry_id, kind) = match work {
            CaseWork::Service { .. } => entry("service"),
            CaseWork::Note { .. } => entry("note"),
            CaseWork::Close { .. } => entry("closed"),
            CaseWork::Reopen { .. } => entry("reopened"),
            CaseWork::Attempt { .. } => entry("attempt"),
        };
        let (mut service, mut provider, mut given_on, mut outcome, mut body) =
            (None, None, None, None, None);
        match work {
            CaseWork::Service {
                service: s,
                provider: p,
                given_on: g,
                outcome: o,
            } => {
                open_only("service")?;
                service = Some(
                    text("service", Some(s), 200)?
                        .ok_or(StoreError::invalid("service", Rule::Required))?,
                );
                if *g > today {
                    return Err(StoreError::invalid("given_on", Rule::NotExpected));
                }
                provider = p.map(|a| a.to_string());
                given_on = Some(iso_day(g.to_gregorian()));
                outcome = text("outcome", o.as_deref(), TEXT_MAX)?;
            }
            CaseWork::Note { body: b } => {
                open_only("body")?;
                body = Some(
                    text("body", Some(b), TEXT_MAX)?
                        .ok_or(StoreError::invalid("body", Rule::Required))?,
                );
            }
            CaseWork::Close { reason, note } => {
                open_only("reason")?;
                body = text("note", note.as_deref(), TEXT_MAX)?;
                sqlx::query("UPDATE cases SET closed_at = $1, closure_reason = $2, closure_note = $3 WHERE id = $4")
                    .bind(now_text())
                    .bind(reason.code())
                    .bind(&body)
                    .bind(id)
                    .execute(&mut *w.tx)
                    .await?;
                outcome = Some(reason.code().to_string());
            }
            CaseWork::Attempt { note } => {
                open_only("attempt")?;
                body = text("note", note.as_deref(), TEXT_MAX)?;
            }
            CaseWork::Reopen { note } => {
                if !closed {
                    return Err(StoreError::invalid("state", Rule::NotExpected));
                }
                body = text("note", note.as_deref(), TEXT_MAX)?;
                sqlx::query("UPDATE cases SET closed_at = NULL, closure_reason = NULL, closure_note = NULL WHERE id = $1")
                    .bind(id)
                    .execute(&mut *w.tx)
                    .await?;
            }
        }
        sqlx::query(
            "INSERT INTO case_entries (id, case_id, kind, at, by_user, service, provider_agency_id, given_on, outcome, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&entry_id)
        .bind(id)
        .bind(&kind)
        .bind(now_text())
        .bind(actor.user_id.to_string())
        .bind(&service)
        .bind(&provider)
        .bind(&given_on)
        .bind(&outcome)
        .bind(&body)
        .execute(&mut *w.tx)
        .await
        .map_err(|e| crate::error::constraint_error(e, "provider", "", "provider"))?;
        // The audit names what was done, never what was written about the person.
        w.audit(
            &Who::of(actor),
            &format!("case.{kind}"),
            "case",
            &id,
            serde_json::json!({ "entry": entry_id, "service": service, "outcome": if kind == "closed" { outcome.clone() } else { None } }),
        )
        .await?;
        if kind == "attempt" {
            close_if_lost(&mut w, actor, id, person).await?;
        }
        w.commit().await
    }

    /// A case in full, for a reader who may read its person; the read is audited as a
    /// read of the person.
    pub async fn read_case(&self, reader: &PersonReader<'_>, id: CaseId) -> StoreResult<Case> {
        let (person, _, _) = self.case_owner(id).await?;
        let access = self
            .person_access(reader.actor, person, reader.today)
            .await?;
        refused(access.decide(reader.actor, Action::ViewPerson))?;
        let row = sqlx::query(
            "SELECT c.*, a.name_fa AS agency_name, u.display_name AS worker_name FROM cases c
             JOIN agencies a ON a.id = c.agency_id LEFT JOIN users u ON u.id = c.worker_id WHERE c.id = $1",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        let questions = self.assessment_questions().await?;
        let answers: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&row.try_get::<String, _>("assessment")?).unwrap_or_default();
        let assessment = questions
            .iter()
            .filter_map(|(code, q)| {
                answers
                    .get(code)
                    .and_then(|a| a.as_str())
                    .map(|a| (q.clone(), a.to_string()))
            })
            .collect();
        let entries = sqlx::query(
            "SELECT e.*, u.display_name AS by_name, pa.name_fa AS provider_name FROM case_entries e
             LEFT JOIN users u ON u.id = e.by_user LEFT JOIN agencies pa ON pa.id = e.provider_agency_id
             WHERE e.case_id = $1 ORDER BY e.at, e.id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(CaseEntry {
                kind: r.try_get("kind")?,
                at: r.try_get("at")?,
                by: r.try_get("by_name")?,
                service: r.try_get("service")?,
                provider: r.try_get("provider_name")?,
                given_on: r.try_get("given_on")?,
                outcome: r.try_get("outcome")?,
                body: r.try_get("body")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
        let reason: Option<String> = row.try_get("closure_reason")?;
        let case = Case {
            id,
            person_id: person,
            agency: AgencyRef {
                id: row.try_get("agency_id")?,
                name_fa: row.try_get("agency_name")?,
            },
            worker: row.try_get("worker_name")?,
            opened_at: row.try_get("opened_at")?,
            assessment,
            plan: row.try_get("plan")?,
            closed_at: row.try_get("closed_at")?,
            closure_reason: reason.as_deref().and_then(ClosureReason::from_code),
            entries,
        };
        let mut w = self.write_tx().await?;
        super::read::record_reads(&mut w, reader, "case.read", &[person]).await?;
        w.commit().await?;
        Ok(case)
    }

    /// A person's cases, for their timeline (read with the person).
    pub(crate) async fn cases_of(
        &self,
        tx: &mut sqlx::AnyConnection,
        person: PersonId,
    ) -> StoreResult<Vec<CaseSummary>> {
        sqlx::query(
            "SELECT c.id, c.opened_at, c.closed_at, c.closure_reason, a.name_fa AS agency FROM cases c
             JOIN agencies a ON a.id = c.agency_id WHERE c.person_id = $1 ORDER BY c.opened_at DESC, c.id",
        )
        .bind(person)
        .fetch_all(tx)
        .await?
        .iter()
        .map(|r| {
            let reason: Option<String> = r.try_get("closure_reason")?;
            Ok(CaseSummary {
                id: r.try_get("id")?,
                agency: r.try_get("agency")?,
                opened_at: r.try_get("opened_at")?,
                closed_at: r.try_get("closed_at")?,
                closure_reason: reason.as_deref().and_then(ClosureReason::from_code),
            })
        })
        .collect()
    }
}

/// Which cases a case load lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CaseState {
    #[default]
    Open,
    Closed,
    All,
}

/// A case load: the caller's agency's cases.
#[derive(Debug, Clone, Default)]
pub struct CaseLoadQuery {
    pub state: CaseState,
    /// Only the caller's own (as case worker).
    pub mine: bool,
    pub limit: i64,
    pub offset: i64,
}

/// One row of a case load: the person named when the reader may read them (a child's
/// record is "a child" to anyone outside child protection).
#[derive(Debug, Clone, Serialize)]
pub struct CaseLoadRow {
    pub id: CaseId,
    pub person_id: PersonId,
    pub name: Option<String>,
    pub child: bool,
    pub categories: Vec<String>,
    pub worker: Option<String>,
    pub opened_at: String,
    pub closed_at: Option<String>,
    pub closure_reason: Option<ClosureReason>,
    /// The latest service, note, closing or reopening.
    pub last_work_at: Option<String>,
}

impl Store {
    /// The reader's agency's cases, oldest-opened first for open ones (the longest
    /// waiting on top), newest first otherwise; the named rows are one audited read
    /// (`cases.list`, with the purpose). Only staff who work with people have one.
    pub async fn case_load(
        &self,
        reader: &PersonReader<'_>,
        q: &CaseLoadQuery,
    ) -> StoreResult<(Vec<CaseLoadRow>, i64)> {
        use hamafza_core::access::{DenyReason, works_with_people};
        if !works_with_people(reader.actor) {
            return Err(StoreError::Forbidden(crate::error::Refusal::Policy(
                DenyReason::Role,
            )));
        }
        // The scope: the reader's own agency, always.
        let mut binds = vec![reader.actor.agency_id.to_string()];
        let mut filter = "c.agency_id = $1".to_string();
        match q.state {
            CaseState::Open => filter.push_str(" AND c.closed_at IS NULL"),
            CaseState::Closed => filter.push_str(" AND c.closed_at IS NOT NULL"),
            CaseState::All => {}
        }
        if q.mine {
            binds.push(reader.actor.user_id.to_string());
            filter.push_str(&format!(" AND c.worker_id = ${}", binds.len()));
        }
        let total: i64 = crate::query_with(
            format!("SELECT COUNT(*) FROM cases c WHERE {filter}"),
            &binds,
        )
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?;
        let order = if q.state == CaseState::Open {
            "c.opened_at, c.id"
        } else {
            "c.opened_at DESC, c.id"
        };
        let rows = crate::query_with(
            format!(
                "SELECT c.id, c.person_id, c.opened_at, c.closed_at, c.closure_reason, u.display_name AS worker,
                        (SELECT MAX(e.at) FROM case_entries e WHERE e.case_id = c.id) AS last_work_at,
                        p.given_name, p.family_name, p.birth, p.met_path, p.lives_path, p.consent
                 FROM cases c JOIN persons p ON p.id = c.person_id
                 LEFT JOIN users u ON u.id = c.worker_id
                 WHERE {filter} ORDER BY {order} LIMIT {} OFFSET {}",
                q.limit.clamp(1, 500),
                q.offset.max(0)
            ),
            &binds,
        )
        .fetch_all(&self.pool)
        .await?;
        let person_ids = rows
            .iter()
            .map(|r| r.try_get::<PersonId, _>("person_id"))
            .collect::<Result<Vec<_>, _>>()?;
        let facts = self.holders_and_categories(&person_ids).await?;
        let protects = self
            .agency_protects_children(reader.actor.agency_id.into())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        let mut named = Vec::new();
        for r in &rows {
            let person_id: PersonId = r.try_get("person_id")?;
            let (holders, categories) = facts.get(&person_id).cloned().unwrap_or_default();
            let access =
                super::read::access_from_row(r, holders, &categories, protects, reader.today)?;
            let in_full = access.decide(reader.actor, Action::ViewPerson).is_allowed();
            if in_full && !named.contains(&person_id) {
                named.push(person_id);
            }
            let given: Option<String> = r.try_get("given_name")?;
            let family: Option<String> = r.try_get("family_name")?;
            let reason: Option<String> = r.try_get("closure_reason")?;
            out.push(CaseLoadRow {
                id: r.try_get("id")?,
                person_id,
                name: in_full.then(|| super::display_name(given.as_deref(), family.as_deref())),
                child: access.child,
                categories,
                worker: r.try_get("worker")?,
                opened_at: r.try_get("opened_at")?,
                closed_at: r.try_get("closed_at")?,
                closure_reason: reason.as_deref().and_then(ClosureReason::from_code),
                last_work_at: r.try_get("last_work_at")?,
            });
        }
        if !named.is_empty() {
            let mut w = self.write_tx().await?;
            super::read::record_reads(&mut w, reader, "cases.list", &named).await?;
            w.commit().await?;
        }
        Ok((out, total))
    }
}

/// Closes the case for lost contact when the attempts to find the person since the
/// last contact (an encounter, a service, the case opened or reopened) reach
/// [`LOST_AFTER_ATTEMPTS`]: the "inactive" rule, applied as the worker records them.
async fn close_if_lost(
    w: &mut crate::audit::WriteTx,
    actor: &Actor,
    case: CaseId,
    person: PersonId,
) -> StoreResult<()> {
    let opened: String = sqlx::query_scalar("SELECT opened_at FROM cases WHERE id = $1")
        .bind(case)
        .fetch_one(&mut *w.tx)
        .await?;
    let last_work: Option<String> = sqlx::query_scalar(
        "SELECT MAX(at) FROM case_entries WHERE case_id = $1 AND kind IN ('service', 'reopened')",
    )
    .bind(case)
    .fetch_one(&mut *w.tx)
    .await?;
    let last_met: Option<String> =
        sqlx::query_scalar("SELECT MAX(occurred_at) FROM encounters WHERE person_id = $1")
            .bind(person)
            .fetch_one(&mut *w.tx)
            .await?;
    // Instants are RFC 3339 in UTC: their text orders as time does.
    let since = [Some(opened), last_work, last_met]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or_default();
    let attempts: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM case_entries WHERE case_id = $1 AND kind = 'attempt' AND at >= $2",
    )
    .bind(case)
    .bind(&since)
    .fetch_one(&mut *w.tx)
    .await?;
    if attempts < LOST_AFTER_ATTEMPTS {
        return Ok(());
    }
    let reason = ClosureReason::LostContact;
    let note = format!("پس از {attempts} تلاش بی‌نتیجه برای یافتن");
    let at = now_text();
    sqlx::query(
        "UPDATE cases SET closed_at = $1, closure_reason = $2, closure_note = $3 WHERE id = $4",
    )
    .bind(&at)
    .bind(reason.code())
    .bind(&note)
    .bind(case)
    .execute(&mut *w.tx)
    .await?;
    let entry = crate::new_id();
    sqlx::query(
        "INSERT INTO case_entries (id, case_id, kind, at, by_user, service, provider_agency_id, given_on, outcome, body)
         VALUES ($1, $2, 'closed', $3, $4, NULL, NULL, NULL, $5, $6)",
    )
    .bind(&entry)
    .bind(case)
    .bind(&at)
    .bind(actor.user_id.to_string())
    .bind(reason.code())
    .bind(&note)
    .execute(&mut *w.tx)
    .await?;
    w.audit(
        &Who::of(actor),
        "case.closed",
        "case",
        &case,
        serde_json::json!({ "entry": entry, "outcome": reason.code(), "rule": "lost_after_attempts", "attempts": attempts }),
    )
    .await
}
