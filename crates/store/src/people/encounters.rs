//! A later contact with a person on record: where and when they were met again, by
//! which agency, under which category. It joins the person's timeline, counts in the
//! atlas as a returning person, and keeps the record "active" for the monthly flow.

use hamafza_core::access::{Action, Actor, DenyReason};
use hamafza_core::ids::{EncounterId, PersonId, PlaceId};
use hamafza_core::jalali::JalaliDate;
use hamafza_core::people::{BirthSaid, Consent};
use sqlx::Row;

use super::batch::{Batch, EncounterKind, PlannedEncounter};
use super::read::refused;
use super::register::NOTE_MAX;
use crate::atlas::jalali_month;
use crate::error::Refusal;
use crate::{Rule, Store, StoreError, StoreResult, Who, instant_text};

/// A contact with someone already on record.
#[derive(Debug, Clone)]
pub struct NewEncounter {
    /// A person category (the person is linked to it if they were not yet).
    pub category: String,
    pub place: PlaceId,
    pub occurred_at: time::OffsetDateTime,
    pub note: Option<String>,
}

impl Store {
    /// Records a later contact with a person by the actor's agency, at a place in the
    /// actor's jurisdiction, no later than now. The person must be readable by the
    /// actor (a record they may only locate is refused, a hidden one is not found).
    pub async fn record_encounter(
        &self,
        actor: &Actor,
        person: PersonId,
        new: &NewEncounter,
        today: JalaliDate,
        now: time::OffsetDateTime,
    ) -> StoreResult<EncounterId> {
        let access = self.person_access(actor, person, today).await?;
        refused(access.decide(actor, Action::RecordEncounter))?;
        let category = new.category.trim();
        let active: Option<i64> =
            sqlx::query_scalar("SELECT active FROM person_categories WHERE code = $1")
                .bind(category)
                .fetch_optional(&self.pool)
                .await?;
        if active != Some(1) {
            return Err(StoreError::invalid(
                "category",
                Rule::Unknown(category.to_string()),
            ));
        }
        let place = match self.place_by_id(new.place).await {
            Ok(p) => (p.id, p.path),
            Err(StoreError::NotFound) => {
                return Err(StoreError::invalid("place", Rule::Unknown(String::new())));
            }
            Err(e) => return Err(e),
        };
        if !actor.covers(&place.1) {
            return Err(StoreError::Forbidden(Refusal::Policy(
                DenyReason::Jurisdiction,
            )));
        }
        if new.occurred_at > now {
            return Err(StoreError::invalid("occurred_at", Rule::InFuture));
        }
        let note = super::cases::text("note", new.note.as_deref(), NOTE_MAX)?;
        let row = sqlx::query("SELECT sex, birth, consent FROM persons WHERE id = $1")
            .bind(person)
            .fetch_one(&self.pool)
            .await?;
        let sex: Option<String> = row.try_get("sex")?;
        let birth: Option<String> = row.try_get("birth")?;
        let age_band = birth
            .and_then(|b| serde_json::from_str::<BirthSaid>(&b).ok())
            .map(|b| b.band_on(today).code());
        let consent: String = row.try_get("consent")?;
        let consent = Consent::from_code(&consent)
            .ok_or_else(|| StoreError::Corrupt(format!("consent: {consent}")))?;
        let at = instant_text(new.occurred_at);
        let month = jalali_month(new.occurred_at);
        let id = EncounterId::new();
        let mut batch = Batch::new();
        batch.encounter(PlannedEncounter {
            id,
            person: Some(person),
            actor,
            category,
            place: &place,
            at: &at,
            month: &month,
            sex: sex.as_deref(),
            age_band,
            consent,
            note: note.as_deref(),
            kind: EncounterKind::Returning,
        });
        let mut w = self.write_tx().await?;
        batch.write(&mut w).await?;
        sqlx::query(
            "INSERT INTO person_category_links (person_id, category)
             SELECT $1, $2 WHERE NOT EXISTS
               (SELECT 1 FROM person_category_links WHERE person_id = $1 AND category = $2)",
        )
        .bind(person)
        .bind(category)
        .execute(&mut *w.tx)
        .await?;
        w.audit(
            &Who::of(actor),
            "encounter.record",
            "person",
            &person,
            serde_json::json!({ "encounter": id, "category": category }),
        )
        .await?;
        w.commit().await?;
        Ok(id)
    }
}
