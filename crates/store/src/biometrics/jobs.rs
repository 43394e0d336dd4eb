//! The jobs that carry requests to the matcher and bring its answers back, as MOSIP's
//! ABIS API is asynchronous: a job is queued (in the transaction that made it), sent —
//! the matcher acknowledged it and its response is awaited — then done or failed. A
//! request that could not be delivered is tried again later, a little later each time,
//! and failed after [`MAX_ATTEMPTS`].
//!
//! The worker that moves them is the web crate's (it holds the matcher's client); what
//! a response means — an enrolment made, candidates into the review queue — is decided
//! here.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hamafza_core::access::{Action, Actor, Target, decide};
use hamafza_core::biometrics::Modality;
use hamafza_core::biometrics::abis::{Flags, InlineBiometrics, Operation, Request, Response};
use hamafza_core::ids::{AbisJobId, BiometricRef, MatchPairId, PersonId};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::TemplateKey;
use crate::people::refused;
use crate::{Store, StoreError, StoreResult, Who, instant_text, now_text};

/// Tries before a request that cannot be delivered is given up.
pub const MAX_ATTEMPTS: i64 = 8;
/// Candidates an identify asks for at most.
const MAX_RESULTS: u32 = 10;
/// A candidate whose matcher gives no score is queued at the review threshold (0.5, as
/// the name matcher's): the matcher called it a match, a person decides.
const UNSCORED: f64 = 0.5;

/// A job as the administrator's page and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct AbisJob {
    pub id: AbisJobId,
    pub operation: String,
    pub reference_id: Option<BiometricRef>,
    /// queued | sent | done | failed
    pub state: String,
    pub queued_at: String,
    pub sent_at: Option<String>,
    pub done_at: Option<String>,
    pub attempts: i64,
    pub return_value: Option<i64>,
    pub failure_reason: Option<i64>,
    pub candidates: Option<i64>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobCount {
    pub operation: String,
    pub state: String,
    pub count: i64,
}

/// The matcher's side of things at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct AbisStatus {
    pub counts: Vec<JobCount>,
    /// Templates held (pending or enrolled).
    pub templates: i64,
    /// The latest failed jobs.
    pub failures: Vec<AbisJob>,
}

/// What a response did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Applied {
    /// Not a job of ours, or one finished already: nothing changed.
    Ignored,
    Done {
        queued_pairs: usize,
    },
    Failed,
}

const JOB_COLUMNS: &str = "id, operation, reference_id, state, queued_at, sent_at, done_at, attempts, \
     return_value, failure_reason, candidates, error";

fn job_of(r: &AnyRow) -> StoreResult<AbisJob> {
    Ok(AbisJob {
        id: r.try_get("id")?,
        operation: r.try_get("operation")?,
        reference_id: r.try_get("reference_id")?,
        state: r.try_get("state")?,
        queued_at: r.try_get("queued_at")?,
        sent_at: r.try_get("sent_at")?,
        done_at: r.try_get("done_at")?,
        attempts: r.try_get("attempts")?,
        return_value: r.try_get("return_value")?,
        failure_reason: r.try_get("failure_reason")?,
        candidates: r.try_get("candidates")?,
        error: r.try_get("error")?,
    })
}

fn ordered(a: PersonId, b: PersonId) -> (PersonId, PersonId) {
    if a.to_string() <= b.to_string() {
        (a, b)
    } else {
        (b, a)
    }
}

impl Store {
    /// The requests due to go to the matcher, built (an insert carries its template,
    /// opened with `key`); an identify waits until its insert is done. For the worker
    /// only: it serves no request.
    pub async fn abis_due_requests(
        &self,
        key: &TemplateKey,
        limit: i64,
    ) -> StoreResult<Vec<(AbisJobId, Request)>> {
        let now = now_text();
        let rows = sqlx::query(
            "SELECT j.id, j.operation, j.reference_id FROM abis_jobs j
             WHERE j.state = 'queued' AND j.next_try_at <= $1
               AND (j.after_job IS NULL OR EXISTS (SELECT 1 FROM abis_jobs d WHERE d.id = j.after_job AND d.state = 'done'))
             ORDER BY j.queued_at, j.id LIMIT $2",
        )
        .bind(&now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: AbisJobId = r.try_get("id")?;
            let op: String = r.try_get("operation")?;
            let op = Operation::from_code(&op)
                .ok_or_else(|| StoreError::Corrupt(format!("abis operation {op}")))?;
            let reference: Option<BiometricRef> = r.try_get("reference_id")?;
            let mut request = Request::new(op, &id.to_string(), &now);
            request.reference_id = reference.map(|r| r.to_string());
            match (op, reference) {
                (Operation::Insert, Some(reference)) => {
                    match self.opened_template(key, reference).await {
                        Ok(Some(b)) => request.biometrics = Some(b),
                        Ok(None) => {
                            self.abis_give_up(id, "template deleted").await?;
                            continue;
                        }
                        Err(StoreError::Corrupt(e)) => {
                            self.abis_give_up(id, &e).await?;
                            continue;
                        }
                        Err(e) => return Err(e),
                    }
                }
                (Operation::Identify, Some(_)) => {
                    request.flags = Some(Flags {
                        max_results: Some(MAX_RESULTS),
                    });
                }
                (Operation::Delete, Some(_)) | (Operation::Ping, None) => {}
                _ => {
                    self.abis_give_up(id, "job without its reference").await?;
                    continue;
                }
            }
            out.push((id, request));
        }
        Ok(out)
    }

    /// A live template opened, as the insert request carries it.
    async fn opened_template(
        &self,
        key: &TemplateKey,
        reference: BiometricRef,
    ) -> StoreResult<Option<InlineBiometrics>> {
        let row = sqlx::query(
            "SELECT t.key_id, t.nonce, t.sealed, e.modality, e.format FROM biometric_templates t
             JOIN biometric_enrolments e ON e.reference_id = t.reference_id
             WHERE t.reference_id = $1",
        )
        .bind(reference)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let key_id: String = row.try_get("key_id")?;
        if key_id != key.id() {
            return Err(StoreError::Corrupt(format!(
                "template sealed with key {key_id}, this server has key {}",
                key.id()
            )));
        }
        let bytes = key.open(
            &reference.to_string(),
            &row.try_get::<String, _>("nonce")?,
            &row.try_get::<String, _>("sealed")?,
        )?;
        let modality: String = row.try_get("modality")?;
        let modality = Modality::from_code(&modality)
            .ok_or_else(|| StoreError::Corrupt(format!("modality {modality}")))?;
        Ok(Some(InlineBiometrics {
            biometric_type: modality.mosip_type().into(),
            format: row.try_get("format")?,
            data: BASE64.encode(bytes),
        }))
    }

    /// Every live template opened, for the built-in stand-in matcher's gallery when it
    /// starts (an external ABIS keeps its own). Serves no request.
    pub async fn stand_in_gallery(
        &self,
        key: &TemplateKey,
    ) -> StoreResult<Vec<(String, InlineBiometrics)>> {
        let refs: Vec<BiometricRef> = sqlx::query_scalar(
            "SELECT e.reference_id FROM biometric_enrolments e
             JOIN abis_jobs j ON j.reference_id = e.reference_id AND j.operation = 'insert' AND j.state = 'done'
             WHERE e.state = 'enrolled' ORDER BY e.reference_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(refs.len());
        for r in refs {
            match self.opened_template(key, r).await {
                Ok(Some(t)) => out.push((r.to_string(), t)),
                Ok(None) => {}
                // Sealed with another key: it cannot be compared; its job failed
                // when it was sent, and the administrator's page says why.
                Err(StoreError::Corrupt(e)) => tracing::warn!("stand-in gallery: {e}"),
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// The matcher acknowledged the request; its response is awaited.
    pub async fn abis_sent(&self, id: AbisJobId) -> StoreResult<()> {
        sqlx::query(
            "UPDATE abis_jobs SET state = 'sent', sent_at = $1, attempts = attempts + 1 WHERE id = $2 AND state = 'queued'",
        )
        .bind(now_text())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The request did not reach the matcher: tried again later (5 s, 10 s, 20 s, …
    /// up to 10 minutes apart), and failed after [`MAX_ATTEMPTS`].
    pub async fn abis_retry(&self, id: AbisJobId, error: &str) -> StoreResult<()> {
        let attempts: Option<i64> = sqlx::query_scalar(
            "SELECT attempts FROM abis_jobs WHERE id = $1 AND state IN ('queued', 'sent')",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(attempts) = attempts else {
            return Ok(());
        };
        let attempts = attempts + 1;
        if attempts >= MAX_ATTEMPTS {
            sqlx::query("UPDATE abis_jobs SET attempts = $1 WHERE id = $2")
                .bind(attempts)
                .bind(id)
                .execute(&self.pool)
                .await?;
            return self.abis_give_up(id, error).await;
        }
        let wait = (5i64 << attempts.min(7)).min(600);
        let next = instant_text(time::OffsetDateTime::now_utc() + time::Duration::seconds(wait));
        sqlx::query(
            "UPDATE abis_jobs SET state = 'queued', attempts = $1, next_try_at = $2, error = $3 WHERE id = $4",
        )
        .bind(attempts)
        .bind(next)
        .bind(error.chars().take(300).collect::<String>())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The jobs whose response is awaited, oldest first.
    pub async fn abis_awaiting(&self, limit: i64) -> StoreResult<Vec<AbisJobId>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM abis_jobs WHERE state = 'sent' ORDER BY sent_at, id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// A job that will not be done: failed, with why; an insert's enrolment fails with
    /// it (its template is dropped), and so does the identify waiting for it.
    async fn abis_give_up(&self, id: AbisJobId, error: &str) -> StoreResult<()> {
        let mut w = self.write_tx().await?;
        fail_job(&mut w, id, None, error).await?;
        w.audit(
            &Who::system(),
            "abis.job_failed",
            "abis_job",
            &id,
            serde_json::json!({ "error": error }),
        )
        .await?;
        w.commit().await
    }

    /// Applies the matcher's response to its job: an insert done makes the enrolment;
    /// an identify's candidates go into the review queue beside the name matches
    /// (never linked without a person's decision; a pair decided already stays as
    /// decided); a failure is kept with its reason. Audited.
    pub async fn abis_apply(&self, response: &Response) -> StoreResult<Applied> {
        let Ok(id) = response.request_id.parse::<AbisJobId>() else {
            return Ok(Applied::Ignored);
        };
        let row = sqlx::query("SELECT operation, reference_id, state FROM abis_jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(Applied::Ignored);
        };
        let state: String = row.try_get("state")?;
        if state == "done" || state == "failed" {
            return Ok(Applied::Ignored);
        }
        let op: String = row.try_get("operation")?;
        let op = Operation::from_code(&op)
            .ok_or_else(|| StoreError::Corrupt(format!("abis operation {op}")))?;
        let reference: Option<BiometricRef> = row.try_get("reference_id")?;
        let mut w = self.write_tx().await?;
        if response.operation_id() != Some(op) {
            fail_job(&mut w, id, None, "response of another operation").await?;
            w.commit().await?;
            return Ok(Applied::Failed);
        }
        if let Some(code) = response.failure_code() {
            fail_job(
                &mut w,
                id,
                Some(code),
                hamafza_core::biometrics::abis::failure_fa(code),
            )
            .await?;
            w.audit(
                &Who::system(),
                "abis.job_failed",
                "abis_job",
                &id,
                serde_json::json!({ "operation": op.code(), "failure_reason": code }),
            )
            .await?;
            w.commit().await?;
            return Ok(Applied::Failed);
        }
        let mut queued = 0;
        let mut candidates = None;
        match (op, reference) {
            (Operation::Insert, Some(r)) => {
                sqlx::query(
                    "UPDATE biometric_enrolments SET state = 'enrolled' WHERE reference_id = $1 AND state = 'pending'",
                )
                .bind(r)
                .execute(&mut *w.tx)
                .await?;
            }
            (Operation::Identify, Some(r)) => {
                let found = response.candidates();
                candidates = Some(found.len() as i64);
                queued = queue_candidates(&mut w, r, found).await?;
            }
            _ => {}
        }
        sqlx::query(
            "UPDATE abis_jobs SET state = 'done', done_at = $1, return_value = 1, candidates = $2, error = NULL WHERE id = $3",
        )
        .bind(now_text())
        .bind(candidates)
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        if op == Operation::Identify {
            w.audit(
                &Who::system(),
                "biometric.identify",
                "abis_job",
                &id,
                serde_json::json!({ "reference": reference, "candidates": candidates, "queued": queued }),
            )
            .await?;
        }
        w.commit().await?;
        Ok(Applied::Done {
            queued_pairs: queued,
        })
    }

    /// Queues a ping for the matcher (the administrator's "is it there?").
    pub async fn queue_abis_ping(&self, actor: &Actor) -> StoreResult<AbisJobId> {
        refused(decide(actor, Action::ViewAbis, Target::Collection))?;
        let mut w = self.write_tx().await?;
        let id = super::queue_job(&mut w, Operation::Ping, None, None).await?;
        w.commit().await?;
        Ok(id)
    }

    pub async fn abis_job(&self, actor: &Actor, id: AbisJobId) -> StoreResult<AbisJob> {
        refused(decide(actor, Action::ViewAbis, Target::Collection))?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM abis_jobs WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        job_of(&row)
    }

    /// Jobs by operation and state, templates held, the latest failures.
    pub async fn abis_status(&self, actor: &Actor) -> StoreResult<AbisStatus> {
        refused(decide(actor, Action::ViewAbis, Target::Collection))?;
        let counts = sqlx::query(
            "SELECT operation, state, COUNT(*) AS n FROM abis_jobs GROUP BY operation, state ORDER BY operation, state",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(JobCount {
                operation: r.try_get("operation")?,
                state: r.try_get("state")?,
                count: r.try_get("n")?,
            })
        })
        .collect::<StoreResult<_>>()?;
        let templates: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM biometric_templates")
            .fetch_one(&self.pool)
            .await?;
        let failures = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM abis_jobs WHERE state = 'failed' ORDER BY done_at DESC, id DESC LIMIT 10"
        )))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(job_of)
        .collect::<StoreResult<_>>()?;
        Ok(AbisStatus {
            counts,
            templates,
            failures,
        })
    }
}

/// Fails a job (inside `w`); an insert takes its enrolment, its template and the
/// identify waiting for it along.
async fn fail_job(
    w: &mut crate::audit::WriteTx,
    id: AbisJobId,
    failure_reason: Option<i64>,
    error: &str,
) -> StoreResult<()> {
    let now = now_text();
    let row = sqlx::query("SELECT operation, reference_id FROM abis_jobs WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *w.tx)
        .await?;
    sqlx::query(
        "UPDATE abis_jobs SET state = 'failed', done_at = $1, return_value = $2, failure_reason = $3, error = $4 WHERE id = $5",
    )
    .bind(&now)
    .bind(failure_reason.map(|_| 2i64))
    .bind(failure_reason)
    .bind(error)
    .bind(id)
    .execute(&mut *w.tx)
    .await?;
    let op: String = row.try_get("operation")?;
    let reference: Option<BiometricRef> = row.try_get("reference_id")?;
    if let (Some(Operation::Insert), Some(r)) = (Operation::from_code(&op), reference) {
        sqlx::query(
            "UPDATE biometric_enrolments SET state = 'failed', failure = $1 WHERE reference_id = $2 AND state = 'pending'",
        )
        .bind(error)
        .bind(r)
        .execute(&mut *w.tx)
        .await?;
        sqlx::query("DELETE FROM biometric_templates WHERE reference_id = $1")
            .bind(r)
            .execute(&mut *w.tx)
            .await?;
        sqlx::query(
            "UPDATE abis_jobs SET state = 'failed', done_at = $1, error = 'insert failed' WHERE after_job = $2 AND state = 'queued'",
        )
        .bind(&now)
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
    }
    Ok(())
}

/// An identify's candidates into the review queue (source `biometric`); returns how
/// many pairs are newly queued. A candidate that is the probe's own person, unknown, or
/// no longer enrolled is left out; a pair already queued by names keeps its place
/// with the higher probability; a decided pair is not touched.
async fn queue_candidates(
    w: &mut crate::audit::WriteTx,
    probe: BiometricRef,
    candidates: &[hamafza_core::biometrics::abis::Candidate],
) -> StoreResult<usize> {
    let probe_person: Option<PersonId> = sqlx::query_scalar(
        "SELECT person_id FROM biometric_enrolments WHERE reference_id = $1 AND state IN ('pending', 'enrolled')",
    )
    .bind(probe)
    .fetch_optional(&mut *w.tx)
    .await?;
    let Some(probe_person) = probe_person else {
        return Ok(0);
    };
    let now = now_text();
    let mut queued = 0;
    for c in candidates {
        let Ok(reference) = c.reference_id.parse::<BiometricRef>() else {
            continue;
        };
        let other: Option<PersonId> = sqlx::query_scalar(
            "SELECT person_id FROM biometric_enrolments WHERE reference_id = $1 AND state IN ('pending', 'enrolled')",
        )
        .bind(reference)
        .fetch_optional(&mut *w.tx)
        .await?;
        let Some(other) = other else {
            continue;
        };
        if other == probe_person {
            continue;
        }
        let (a, b) = ordered(probe_person, other);
        let linked: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM person_links WHERE person_a = $1 AND person_b = $2 AND unlinked_at IS NULL",
        )
        .bind(a)
        .bind(b)
        .fetch_one(&mut *w.tx)
        .await?;
        if linked > 0 {
            continue;
        }
        let p = c.score().unwrap_or(UNSCORED);
        let known = sqlx::query(
            "SELECT state, probability FROM match_pairs WHERE person_a = $1 AND person_b = $2",
        )
        .bind(a)
        .bind(b)
        .fetch_optional(&mut *w.tx)
        .await?;
        match known {
            Some(k) => {
                let state: String = k.try_get("state")?;
                let before: f64 = k.try_get("probability")?;
                if state == "open" || state == "unsure" {
                    sqlx::query(
                        "UPDATE match_pairs SET source = CASE WHEN source = 'biometric' THEN source ELSE 'names_biometric' END,
                         probability = $1 WHERE person_a = $2 AND person_b = $3",
                    )
                    .bind(before.max(p))
                    .bind(a)
                    .bind(b)
                    .execute(&mut *w.tx)
                    .await?;
                }
            }
            None => {
                sqlx::query(
                    "INSERT INTO match_pairs (id, person_a, person_b, source, probability, found_at, state)
                     VALUES ($1, $2, $3, 'biometric', $4, $5, 'open')",
                )
                .bind(MatchPairId::new())
                .bind(a)
                .bind(b)
                .bind(p)
                .bind(&now)
                .execute(&mut *w.tx)
                .await?;
                queued += 1;
            }
        }
    }
    Ok(queued)
}
