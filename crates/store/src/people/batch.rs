//! The rows of one or many registrations and contacts, written together: a person,
//! their categories, the agency holding them, their consent, the encounter (and a
//! reminder to ask again), the atlas's live counts and one audit entry per person or
//! encounter — a few statements per batch, however many people an agency's list holds.

use std::collections::HashMap;

use hamafza_core::access::Actor;
use hamafza_core::ids::{EncounterId, PersonId, PlaceId};
use hamafza_core::indicator::Numerator;
use hamafza_core::people::Consent;

use crate::audit::{PendingAudit, WriteTx};
use crate::rows::{Bind, Rows};
use crate::{StoreResult, Who, instant_text, now_text};

/// Whom an encounter was with, for the atlas's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EncounterKind {
    /// The first contact of a new named record.
    New,
    /// A later contact with someone on record.
    Returning,
    /// Nobody named (no consent): counted, never tied to anyone.
    Unnamed,
}

/// One encounter to write.
pub(super) struct PlannedEncounter<'a> {
    pub id: EncounterId,
    pub person: Option<PersonId>,
    pub actor: &'a Actor,
    pub category: &'a str,
    pub place: &'a (PlaceId, String),
    pub at: &'a str,
    pub month: &'a str,
    pub sex: Option<&'a str>,
    pub age_band: Option<&'a str>,
    pub consent: Consent,
    pub note: Option<&'a str>,
    pub kind: EncounterKind,
}

pub(super) struct Batch {
    pub persons: Rows,
    pub links: Rows,
    pub tokens: Rows,
    pub holders: Rows,
    pub consents: Rows,
    pub encounters: Rows,
    pub followups: Rows,
    /// (place, count key, month) → how many to add.
    counts: HashMap<(String, String, String), i64>,
    audits: Vec<PendingAudit>,
}

impl Batch {
    pub(super) fn new() -> Self {
        Batch {
            persons: Rows::new("persons", &person_columns()),
            links: Rows::new("person_category_links", &["person_id", "category"]),
            tokens: Rows::new("person_name_tokens", &["token", "person_id"]),
            holders: Rows::new("person_holders", &["person_id", "agency_id", "since"]),
            consents: Rows::new(
                "person_consents",
                &[
                    "id",
                    "person_id",
                    "consent",
                    "given_at",
                    "agency_id",
                    "recorded_by",
                    "note",
                ],
            ),
            encounters: Rows::new(
                "encounters",
                &[
                    "id",
                    "person_id",
                    "agency_id",
                    "category",
                    "place_id",
                    "place_path",
                    "occurred_at",
                    "month",
                    "sex",
                    "age_band",
                    "consent",
                    "recorded_by",
                    "note",
                ],
            ),
            followups: Rows::new(
                "consent_followups",
                &["id", "encounter_id", "agency_id", "due", "done_at"],
            ),
            counts: HashMap::new(),
            audits: Vec::new(),
        }
    }

    /// An audit entry, appended in order when the batch is written.
    pub(super) fn audit(
        &mut self,
        who: &Who,
        action: &'static str,
        record_type: &'static str,
        record_id: &impl std::fmt::Display,
        summary: serde_json::Value,
    ) {
        self.audits.push(PendingAudit {
            who: who.clone(),
            action,
            record_type,
            record_id: record_id.to_string(),
            summary,
        });
    }

    /// An encounter, and its place in the atlas's live counts: for its place and
    /// every ancestor, like an event, so registry indicators (contacts, new and
    /// returning people by category, place and month) are live and take the atlas's
    /// small-number rule. The counts carry no person.
    pub(super) fn encounter(&mut self, e: PlannedEncounter<'_>) {
        self.encounters.push(vec![
            e.id.to_string().into(),
            e.person.map(|p| p.to_string()).into(),
            e.actor.agency_id.to_string().into(),
            e.category.into(),
            e.place.0.to_string().into(),
            e.place.1.clone().into(),
            e.at.into(),
            e.month.into(),
            e.sex.into(),
            e.age_band.into(),
            e.consent.code().into(),
            e.actor.user_id.to_string().into(),
            e.note.into(),
        ]);
        let mut keys = vec![Numerator::Encounters.count_key(e.category)];
        match e.kind {
            EncounterKind::New => keys.push(Numerator::NewPeople.count_key(e.category)),
            EncounterKind::Returning => {
                keys.push(Numerator::ReturningPeople.count_key(e.category));
            }
            EncounterKind::Unnamed => {}
        }
        // The path lists the place's ancestors' ids and its own, root first.
        for place in e.place.1.split('/').filter(|s| !s.is_empty()) {
            for key in &keys {
                *self
                    .counts
                    .entry((place.to_string(), key.clone(), e.month.to_string()))
                    .or_default() += 1;
            }
        }
    }

    /// A reminder for the agency to ask again for consent.
    pub(super) fn ask_again(
        &mut self,
        encounter: EncounterId,
        actor: &Actor,
        due: time::OffsetDateTime,
    ) {
        self.followups.push(vec![
            crate::new_id().into(),
            encounter.to_string().into(),
            actor.agency_id.to_string().into(),
            instant_text(due).into(),
            Bind::Text(None),
        ]);
    }

    /// The search tokens of a person's names.
    pub(super) fn name_tokens(&mut self, person: PersonId, name_key: &str) {
        for t in super::name_tokens(name_key) {
            self.tokens.push(vec![t.into(), person.to_string().into()]);
        }
    }

    /// A holder of a person's record (since now).
    pub(super) fn holder(&mut self, person: PersonId, agency: uuid::Uuid) {
        self.holders.push(vec![
            person.to_string().into(),
            agency.to_string().into(),
            now_text().into(),
        ]);
    }

    /// Writes everything in `w`: tables in the order their references need, then the
    /// counts, the audit entries and the atlas's version.
    pub(super) async fn write(self, w: &mut WriteTx) -> StoreResult<()> {
        for rows in [
            &self.persons,
            &self.links,
            &self.tokens,
            &self.holders,
            &self.consents,
            &self.encounters,
            &self.followups,
        ] {
            if !rows.is_empty() {
                rows.insert(&mut w.tx).await?;
            }
        }
        if !self.counts.is_empty() {
            let mut counts = Rows::new("event_counts", &["place_id", "category", "month", "n"])
                .with_tail(
                    "ON CONFLICT (place_id, category, month) DO UPDATE SET n = event_counts.n + excluded.n",
                );
            for ((place, key, month), n) in self.counts {
                counts.push(vec![place.into(), key.into(), month.into(), n.into()]);
            }
            counts.insert(&mut w.tx).await?;
            crate::operations::bump_data_version(&mut w.tx, "atlas").await?;
        }
        w.audit_many(self.audits).await
    }
}

/// The `persons` columns a registration writes: the id, what the person is (in
/// [`super::register::identity_columns`]' order), where they were met, their consent
/// and who registered them when.
fn person_columns() -> Vec<&'static str> {
    let mut columns = vec!["id"];
    columns.extend(super::register::IDENTITY_COLUMNS);
    columns.extend([
        "met_place_id",
        "met_path",
        "consent",
        "registered_by_agency",
        "registered_by",
        "registered_at",
    ]);
    columns
}
