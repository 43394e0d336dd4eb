//! Changes to the registry after registration: a person's consent (dated and kept; a
//! withdrawal removes what names them at once, keeping what counts), and the
//! categories people are registered under.

use hamafza_core::access::{Action, Actor};
use hamafza_core::ids::PersonId;
use hamafza_core::jalali::JalaliDate;
use hamafza_core::people::{BirthSaid, Consent, ConsentUse};

use crate::error::Form;
use crate::{Rule, Store, StoreError, StoreResult, Who, instant_text};

/// Longest note on a consent.
const NOTE_MAX: usize = 2_000;

impl Store {
    /// Records the person's consent as now given, by an agency that holds the record.
    /// Refused or unable — a withdrawal — replaces every name and identifier at once
    /// (the birth kept as a year, so counts by age still add up), drops the notes of
    /// their encounters, and keeps the dated consent history.
    pub async fn record_consent(
        &self,
        actor: &Actor,
        id: PersonId,
        consent: Consent,
        note: Option<&str>,
        at: time::OffsetDateTime,
        today: JalaliDate,
    ) -> StoreResult<()> {
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if note.is_some_and(|n| n.chars().count() > NOTE_MAX) {
            return Err(StoreError::invalid("note", Rule::TooLong { max: NOTE_MAX }));
        }
        let access = self.person_access(actor, id, today).await?;
        super::read::refused(access.decide(actor, Action::EditPerson))?;
        let withdrawn = !consent.allows(ConsentUse::KeepNamed);
        let mut w = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO person_consents (id, person_id, consent, given_at, agency_id, recorded_by, note) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(crate::new_id())
        .bind(id)
        .bind(consent.code())
        .bind(instant_text(at))
        .bind(actor.agency_id.to_string())
        .bind(actor.user_id.to_string())
        .bind(if withdrawn { None } else { note })
        .execute(&mut *w.tx)
        .await?;
        sqlx::query("UPDATE persons SET consent = $1 WHERE id = $2")
            .bind(consent.code())
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        if withdrawn {
            pseudonymise(&mut w, id).await?;
        }
        w.audit(
            &Who::of(actor),
            if withdrawn {
                "person.consent_withdrawn"
            } else {
                "person.consent"
            },
            "person",
            &id,
            serde_json::json!({ "consent": consent.code() }),
        )
        .await?;
        w.commit().await?;
        if withdrawn {
            self.linkage_refresh(&[id]).await?;
        }
        Ok(())
    }

    /// Adds a category people are registered under, or renames one.
    pub async fn save_person_category(
        &self,
        who: &Who,
        code: &str,
        name_fa: &str,
    ) -> StoreResult<()> {
        let code = code.trim();
        if code.is_empty()
            || code.len() > 64
            || !code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(StoreError::invalid(
                "code",
                Rule::Malformed(Form::SnakeCode),
            ));
        }
        let name = name_fa.trim();
        if name.is_empty() {
            return Err(StoreError::invalid("name_fa", Rule::Required));
        }
        if name.chars().count() > 100 {
            return Err(StoreError::invalid("name_fa", Rule::TooLong { max: 100 }));
        }
        let mut w = self.write_tx().await?;
        let renamed = sqlx::query("UPDATE person_categories SET name_fa = $1 WHERE code = $2")
            .bind(name)
            .bind(code)
            .execute(&mut *w.tx)
            .await?
            .rows_affected()
            > 0;
        if !renamed {
            let last: Option<i64> =
                sqlx::query_scalar("SELECT MAX(position) FROM person_categories")
                    .fetch_one(&mut *w.tx)
                    .await?;
            sqlx::query(
                "INSERT INTO person_categories (code, name_fa, position, active) VALUES ($1, $2, $3, 1)",
            )
            .bind(code)
            .bind(name)
            .bind(last.unwrap_or(0) + 1)
            .execute(&mut *w.tx)
            .await?;
        }
        w.audit(
            who,
            "person_category.save",
            "person_category",
            code,
            serde_json::json!({ "name_fa": name, "renamed": renamed }),
        )
        .await?;
        w.commit().await
    }
}

/// Replaces what names a person: names, identifiers, mobile and the exact birth (kept
/// as its earliest year), and the notes of their encounters. What counts stays: sex,
/// categories, places, dates, the consent history.
async fn pseudonymise(w: &mut crate::audit::WriteTx, id: PersonId) -> StoreResult<()> {
    let birth: Option<String> = sqlx::query_scalar("SELECT birth FROM persons WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *w.tx)
        .await?;
    let coarse = birth
        .and_then(|b| serde_json::from_str::<BirthSaid>(&b).ok())
        .map(|b| BirthSaid::Year {
            year: b.range().0.year,
        })
        .and_then(|b| serde_json::to_string(&b).ok());
    sqlx::query(
        "UPDATE persons SET given_name = NULL, given_name_q = 'refused', family_name = NULL, family_name_q = 'refused',
            father_name = NULL, father_name_q = 'refused', name_key = '', national_id = NULL, foreign_document = NULL,
            identifier_q = 'refused', mobile = NULL, mobile_q = 'refused', guardian_name = NULL,
            guardian_relation = NULL, guardian_mobile = NULL, birth = $1 WHERE id = $2",
    )
    .bind(coarse)
    .bind(id)
    .execute(&mut *w.tx)
    .await?;
    sqlx::query("DELETE FROM person_name_tokens WHERE person_id = $1")
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
    sqlx::query("UPDATE encounters SET note = NULL WHERE person_id = $1")
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
    // A template identifies as a name does: gone with it, here and at the matcher.
    w.delete_biometric_templates_of(id, "unnamed").await?;
    Ok(())
}

/// What a retention run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RetentionRun {
    /// People whose names and identifiers were replaced.
    pub pseudonymised: usize,
    /// People who were due but are on legal hold.
    pub on_hold: usize,
}

impl Store {
    /// Puts a person's record on legal hold (kept whatever its age) or takes it off,
    /// with why (a court order, an inquiry), which the audit keeps.
    pub async fn set_legal_hold(
        &self,
        who: &Who,
        id: PersonId,
        hold: bool,
        reason: &str,
    ) -> StoreResult<()> {
        let reason = super::cases::text("reason", Some(reason), 300)?
            .ok_or_else(|| StoreError::invalid("reason", Rule::Required))?;
        self.set_flag(
            who,
            super::Flag::LegalHold,
            &id.to_string(),
            hold,
            serde_json::json!({ "hold": hold, "reason": reason }),
        )
        .await
    }

    /// The retention job: people with no open case and no encounter since `before`
    /// (and registered before it) have their names, identifiers, mobile, exact birth
    /// and encounter notes replaced, keeping what counts; a record on legal hold is
    /// skipped. One audit entry says what the run did.
    pub async fn run_retention(&self, before: time::Date) -> StoreResult<RetentionRun> {
        let cutoff = instant_text(time::OffsetDateTime::new_utc(before, time::Time::MIDNIGHT));
        let due: Vec<(PersonId, i64)> = sqlx::query_as(
            "SELECT p.id, p.legal_hold FROM persons p
             WHERE p.registered_at < $1 AND p.name_key <> ''
               AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.person_id = p.id AND (c.closed_at IS NULL OR c.closed_at >= $1))
               AND NOT EXISTS (SELECT 1 FROM encounters e WHERE e.person_id = p.id AND e.occurred_at >= $1)
             ORDER BY p.id",
        )
        .bind(&cutoff)
        .fetch_all(&self.pool)
        .await?;
        let mut run = RetentionRun::default();
        let mut w = self.write_tx().await?;
        for (id, hold) in &due {
            if *hold == 1 {
                run.on_hold += 1;
                continue;
            }
            pseudonymise(&mut w, *id).await?;
            run.pseudonymised += 1;
        }
        w.audit(
            &Who::system(),
            "retention.run",
            "person",
            "",
            serde_json::json!({ "before": hamafza_core::jalali::iso_day(before), "pseudonymised": run.pseudonymised, "on_hold": run.on_hold }),
        )
        .await?;
        w.commit().await?;
        let done: Vec<PersonId> = due
            .iter()
            .filter(|(_, hold)| *hold != 1)
            .map(|(id, _)| *id)
            .collect();
        self.linkage_refresh(&done).await?;
        Ok(run)
    }
}

/// A reminder to ask again for the consent of someone who could not give it (an
/// unnamed encounter: what was counted, never a name).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ConsentFollowup {
    pub id: String,
    pub due: String,
    pub met_at: String,
    pub category: String,
    pub place: Option<String>,
}

impl Store {
    /// The actor's agency's reminders to ask again, soonest due first.
    pub async fn consent_followups(&self, actor: &Actor) -> StoreResult<Vec<ConsentFollowup>> {
        if !hamafza_core::access::works_with_people(actor) {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT f.id, f.due, e.occurred_at, e.category, pl.name_fa AS place
             FROM consent_followups f JOIN encounters e ON e.id = f.encounter_id
             LEFT JOIN places pl ON pl.id = e.place_id
             WHERE f.agency_id = $1 AND f.done_at IS NULL ORDER BY f.due, f.id LIMIT 200",
        )
        .bind(actor.agency_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                use sqlx::Row;
                Ok(ConsentFollowup {
                    id: r.try_get("id")?,
                    due: r.try_get("due")?,
                    met_at: r.try_get("occurred_at")?,
                    category: r.try_get("category")?,
                    place: r.try_get("place")?,
                })
            })
            .collect()
    }

    /// Marks a reminder of the actor's agency done (the person was asked again: a new
    /// registration records their answer).
    pub async fn close_consent_followup(&self, actor: &Actor, id: &str) -> StoreResult<()> {
        if !hamafza_core::access::works_with_people(actor) {
            return Err(StoreError::Forbidden(crate::error::Refusal::Policy(
                hamafza_core::access::DenyReason::Role,
            )));
        }
        let mut w = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE consent_followups SET done_at = $1 WHERE id = $2 AND agency_id = $3 AND done_at IS NULL",
        )
        .bind(crate::now_text())
        .bind(id)
        .bind(actor.agency_id.to_string())
        .execute(&mut *w.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        w.audit(
            &Who::of(actor),
            "consent.asked_again",
            "consent_followup",
            &id,
            serde_json::json!({}),
        )
        .await?;
        w.commit().await
    }
}
