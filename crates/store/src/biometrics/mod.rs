//! Biometrics in the store (issue 13 point 6): enrolments (whose template is under which
//! opaque reference), the templates themselves sealed and kept apart from identity, and
//! the jobs that carry requests to the matcher and bring its answers back
//! ([`jobs`]). No image is ever stored, and no template is ever returned by a read.

mod jobs;
mod sealed;

use hamafza_core::access::{Action, Actor};
use hamafza_core::biometrics::{Modality, abis::Operation, check_template};
use hamafza_core::ids::{AbisJobId, BiometricRef, PersonId};
use hamafza_core::jalali::JalaliDate;
use hamafza_core::people::ConsentUse;
use serde::Serialize;
use sqlx::Row;

use crate::audit::WriteTx;
use crate::people::{PersonReader, record_reads, refused};
use crate::{Rule, Store, StoreError, StoreResult, Who, now_text};

pub use jobs::{AbisJob, AbisStatus, Applied, JobCount};
pub use sealed::TemplateKey;

/// A template as a capture device sent it.
#[derive(Debug, Clone, Copy)]
pub struct NewTemplate<'a> {
    pub modality: Modality,
    pub format: &'a str,
    pub bytes: &'a [u8],
}

/// What an enrolment started: the reference and the two jobs (insert, then identify).
#[derive(Debug, Clone, Serialize)]
pub struct Enrolled {
    pub reference_id: BiometricRef,
    pub insert_job: AbisJobId,
    pub identify_job: AbisJobId,
}

/// An enrolment as the person's page lists it (never the template).
#[derive(Debug, Clone, Serialize)]
pub struct Enrolment {
    pub reference_id: BiometricRef,
    pub modality: Modality,
    pub format: String,
    pub agency: String,
    pub enrolled_at: String,
    /// pending | enrolled | failed | deleted
    pub state: String,
    pub failure: Option<String>,
    pub deleted_at: Option<String>,
}

/// The states of an enrolment that hold a template.
const LIVE: &str = "('pending', 'enrolled')";

/// Queues a job for the matcher (inside the caller's transaction).
async fn queue_job(
    w: &mut WriteTx,
    op: Operation,
    reference: Option<BiometricRef>,
    after: Option<AbisJobId>,
) -> StoreResult<AbisJobId> {
    let id = AbisJobId::new();
    let now = now_text();
    sqlx::query(
        "INSERT INTO abis_jobs (id, operation, reference_id, after_job, state, queued_at, next_try_at)
         VALUES ($1, $2, $3, $4, 'queued', $5, $5)",
    )
    .bind(id)
    .bind(op.code())
    .bind(reference)
    .bind(after)
    .bind(&now)
    .execute(&mut *w.tx)
    .await?;
    Ok(id)
}

/// Removes a template (the sealed value is gone at once) and asks the matcher to
/// forget its reference; the enrolment stays, marked deleted with why.
async fn delete_template(
    w: &mut WriteTx,
    reference: BiometricRef,
    reason: &str,
) -> StoreResult<AbisJobId> {
    sqlx::query("DELETE FROM biometric_templates WHERE reference_id = $1")
        .bind(reference)
        .execute(&mut *w.tx)
        .await?;
    sqlx::query(
        "UPDATE biometric_enrolments SET state = 'deleted', deleted_at = $1, deleted_reason = $2 WHERE reference_id = $3",
    )
    .bind(now_text())
    .bind(reason)
    .bind(reference)
    .execute(&mut *w.tx)
    .await?;
    // A job still waiting to carry this reference has nothing left to carry.
    sqlx::query(
        "UPDATE abis_jobs SET state = 'failed', error = 'deleted', done_at = $1
         WHERE reference_id = $2 AND state = 'queued' AND operation IN ('insert', 'identify')",
    )
    .bind(now_text())
    .bind(reference)
    .execute(&mut *w.tx)
    .await?;
    queue_job(w, Operation::Delete, Some(reference), None).await
}

impl WriteTx {
    /// Deletes every live template of a person (consent withdrawn, retention): inside
    /// the transaction that unnames them.
    pub(crate) async fn delete_biometric_templates_of(
        &mut self,
        person: PersonId,
        reason: &str,
    ) -> StoreResult<usize> {
        let refs: Vec<BiometricRef> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT reference_id FROM biometric_enrolments WHERE person_id = $1 AND state IN {LIVE}"
        )))
        .bind(person)
        .fetch_all(&mut *self.tx)
        .await?;
        for r in &refs {
            delete_template(self, *r, reason).await?;
        }
        Ok(refs.len())
    }
}

impl Store {
    /// Enrols a template a capture device sent for a person, for an agency that holds
    /// the record and with the person's consent: the template is sealed with `key` and
    /// kept under a new opaque reference, and an insert and an identify are queued
    /// for the matcher. One live template per person and modality (delete, then
    /// enrol again). Audited without the template.
    pub async fn enrol_biometric(
        &self,
        actor: &Actor,
        person: PersonId,
        template: NewTemplate<'_>,
        key: &TemplateKey,
        today: JalaliDate,
    ) -> StoreResult<Enrolled> {
        let access = self.person_access(actor, person, today).await?;
        refused(access.decide(actor, Action::EnrolBiometric))?;
        if !access.consent.allows(ConsentUse::KeepNamed) {
            return Err(StoreError::invalid("consent", Rule::WithoutConsent));
        }
        check_template(template.format, template.bytes)
            .map_err(|e| StoreError::invalid("template", Rule::Template(e)))?;
        let live: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM biometric_enrolments WHERE person_id = $1 AND modality = $2 AND state IN {LIVE}"
        )))
        .bind(person)
        .bind(template.modality.code())
        .fetch_one(&self.pool)
        .await?;
        if live > 0 {
            return Err(StoreError::Conflict {
                field: "biometric",
                value: template.modality.code().into(),
            });
        }
        let reference = BiometricRef::new();
        let (nonce, sealed) = key.seal(&reference.to_string(), template.bytes)?;
        let who = Who::of(actor);
        let mut w = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO biometric_enrolments (reference_id, person_id, modality, format, agency_id, enrolled_by, enrolled_at, state)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending')",
        )
        .bind(reference)
        .bind(person)
        .bind(template.modality.code())
        .bind(template.format.trim())
        .bind(actor.agency_id.to_string())
        .bind(actor.user_id.to_string())
        .bind(now_text())
        .execute(&mut *w.tx)
        .await?;
        sqlx::query(
            "INSERT INTO biometric_templates (reference_id, key_id, nonce, sealed) VALUES ($1, $2, $3, $4)",
        )
        .bind(reference)
        .bind(key.id())
        .bind(&nonce)
        .bind(&sealed)
        .execute(&mut *w.tx)
        .await?;
        let insert_job = queue_job(&mut w, Operation::Insert, Some(reference), None).await?;
        let identify_job = queue_job(
            &mut w,
            Operation::Identify,
            Some(reference),
            Some(insert_job),
        )
        .await?;
        w.audit(
            &who,
            "biometric.enrol",
            "person",
            &person,
            serde_json::json!({
                "reference": reference, "modality": template.modality.code(),
                "format": template.format.trim(), "bytes": template.bytes.len(),
            }),
        )
        .await?;
        w.commit().await?;
        Ok(Enrolled {
            reference_id: reference,
            insert_job,
            identify_job,
        })
    }

    /// A person's enrolments (never a template), for whoever may read the record;
    /// audited as a read with the reader's purpose when there is one to read (a person
    /// page shows this section, and a person with none is most people).
    pub async fn biometric_enrolments(
        &self,
        reader: &PersonReader<'_>,
        person: PersonId,
    ) -> StoreResult<Vec<Enrolment>> {
        let access = self
            .person_access(reader.actor, person, reader.today)
            .await?;
        refused(access.decide(reader.actor, Action::ViewPerson))?;
        let rows = sqlx::query(
            "SELECT e.reference_id, e.modality, e.format, a.name_fa AS agency, e.enrolled_at, e.state, e.failure, e.deleted_at
             FROM biometric_enrolments e JOIN agencies a ON a.id = e.agency_id
             WHERE e.person_id = $1 ORDER BY e.enrolled_at DESC, e.reference_id",
        )
        .bind(person)
        .fetch_all(&self.pool)
        .await?;
        if !rows.is_empty() {
            let mut w = self.write_tx().await?;
            record_reads(&mut w, reader, "person.biometrics_read", &[person]).await?;
            w.commit().await?;
        }
        rows.iter()
            .map(|r| {
                let modality: String = r.try_get("modality")?;
                Ok(Enrolment {
                    reference_id: r.try_get("reference_id")?,
                    modality: Modality::from_code(&modality)
                        .ok_or_else(|| StoreError::Corrupt(format!("modality {modality}")))?,
                    format: r.try_get("format")?,
                    agency: r.try_get("agency")?,
                    enrolled_at: r.try_get("enrolled_at")?,
                    state: r.try_get("state")?,
                    failure: r.try_get("failure")?,
                    deleted_at: r.try_get("deleted_at")?,
                })
            })
            .collect()
    }

    /// Deletes a template, here and at the matcher, saying why; a template deleted
    /// already is refused with that reason.
    pub async fn delete_biometric(
        &self,
        actor: &Actor,
        reference: BiometricRef,
        reason: &str,
        today: JalaliDate,
    ) -> StoreResult<AbisJobId> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::invalid("reason", Rule::Required));
        }
        if reason.chars().count() > 500 {
            return Err(StoreError::invalid("reason", Rule::TooLong { max: 500 }));
        }
        let row = sqlx::query(
            "SELECT person_id, state FROM biometric_enrolments WHERE reference_id = $1",
        )
        .bind(reference)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let person: PersonId = row.try_get("person_id")?;
        let access = self.person_access(actor, person, today).await?;
        refused(access.decide(actor, Action::DeleteBiometric))?;
        if row.try_get::<String, _>("state")? == "deleted" {
            return Err(StoreError::Conflict {
                field: "biometric_deleted",
                value: String::new(),
            });
        }
        let mut w = self.write_tx().await?;
        let job = delete_template(&mut w, reference, reason).await?;
        w.audit(
            &Who::of(actor),
            "biometric.delete",
            "person",
            &person,
            serde_json::json!({ "reference": reference, "reason": reason }),
        )
        .await?;
        w.commit().await?;
        Ok(job)
    }
}
