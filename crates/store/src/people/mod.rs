//! The registry of vulnerable people: registration at first contact (a named record
//! with consent, or a pseudonymous encounter without), reads that are each audited
//! with their purpose, the list and search, and a person's access report.
//!
//! Reads take a [`PersonReader`] — who reads and why — never a bare scope: the store
//! decides with the access policy which rows it returns in full and which only as
//! "exists", and writes the audit entry for every person it returns in full, in the
//! same transaction. A caller cannot read a person without leaving a trace.

mod batch;
mod cases;
mod changes;
mod edit;
mod encounters;
mod flow;
mod read;
mod referrals;
mod register;
mod research;

use hamafza_core::access::Actor;
use hamafza_core::ids::{AgencyId, EncounterId, PersonId, PlaceId};
use hamafza_core::jalali::JalaliDate;
use hamafza_core::people::{BirthSaid, Consent, DataQuality, Nationality, Purpose, Sex};
use serde::Serialize;

pub use cases::{
    Case, CaseEntry, CaseLoadQuery, CaseLoadRow, CaseState, CaseSummary, CaseWork,
    LOST_AFTER_ATTEMPTS, NewCase,
};
pub use changes::{ConsentFollowup, RetentionRun};
pub use encounters::NewEncounter;
pub use flow::FlowMonth;
pub use read::{COUNT_BOUND, PeopleQuery, PersonAccess};
pub(crate) use read::{record_reads, refused};
pub use referrals::{ANSWER_DAYS, NewReferral, ReferralRow};
pub use register::ImportedPeople;
pub use research::ResearchRow;

/// Who reads, and why: what every read of the registry takes.
#[derive(Debug, Clone, Copy)]
pub struct PersonReader<'a> {
    pub actor: &'a Actor,
    pub purpose: &'a Purpose,
    /// Today in Tehran (a record becomes an adult's on the 18th birthday).
    pub today: JalaliDate,
}

/// The operator at the command line (`hamafza person …`, answering a subject-access
/// or privacy request for the data controller), reading as a system administrator
/// with child protection; their reads are audited as the command line's (no user, no
/// agency) with the purpose they give. Never used for a request.
pub fn command_line_operator() -> Actor {
    use hamafza_core::access::Role;
    Actor {
        user_id: uuid::Uuid::nil(),
        agency_id: uuid::Uuid::nil(),
        roles: vec![Role::SystemAdmin, Role::ChildProtection],
        jurisdiction: Vec::new(),
    }
}

/// One identifying field: its value, and why it has none when it has none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field<T> {
    pub value: Option<T>,
    pub quality: DataQuality,
}

impl<T> Field<T> {
    /// A value given in full.
    pub fn full(value: T) -> Self {
        Field {
            value: Some(value),
            quality: DataQuality::Full,
        }
    }

    /// No value, for the reason `quality` gives.
    pub fn missing(quality: DataQuality) -> Self {
        Field {
            value: None,
            quality,
        }
    }
}

/// A birth as typed on the form: a date, a year, or an age "about N".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BirthIn {
    Date(String),
    Year(String),
    About(String),
}

/// A person as the officer typed them (validated by [`crate::Store::register`]).
#[derive(Debug, Clone)]
pub struct NewPerson {
    pub given_name: Field<String>,
    pub family_name: Field<String>,
    pub father_name: Field<String>,
    pub sex: Field<Sex>,
    pub birth: Field<BirthIn>,
    pub nationality: Field<Nationality>,
    /// The national id for Iranians; a residence card or passport number otherwise.
    pub identifier: Field<String>,
    pub mobile: Field<String>,
    pub lives_place: Option<PlaceId>,
    pub categories: Vec<String>,
    pub languages: Vec<String>,
    /// Who answers for the person (a child's parent or carer); required when the
    /// guardian gave the consent.
    pub guardian: Option<Guardian>,
}

/// A guardian as recorded: who, how related, how to reach them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Guardian {
    pub name: String,
    /// «مادر», «پدر», «عمو», …
    pub relation: Option<String>,
    /// E.164 once checked.
    pub mobile: Option<String>,
}

/// A first contact: the person, where and when they were met, and their consent.
#[derive(Debug, Clone)]
pub struct FirstContact {
    pub person: NewPerson,
    pub consent: Consent,
    pub met_place: PlaceId,
    pub occurred_at: time::OffsetDateTime,
    pub note: Option<String>,
}

/// What a registration kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kept", rename_all = "snake_case")]
pub enum Registered {
    /// A named record (with its first encounter).
    Person {
        person_id: PersonId,
        encounter_id: EncounterId,
    },
    /// Only a pseudonymous encounter (no consent); `ask_again` when the person could
    /// not decide and the agency has a reminder to ask again.
    Encounter {
        encounter_id: EncounterId,
        ask_again: bool,
    },
}

/// A person's record in full, as a reader allowed to see it gets it.
#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub id: PersonId,
    pub given_name: Field<String>,
    pub family_name: Field<String>,
    pub father_name: Field<String>,
    pub sex: Field<Sex>,
    pub birth: Field<BirthSaid>,
    pub nationality: Field<Nationality>,
    pub national_id: Option<String>,
    pub foreign_document: Option<String>,
    pub identifier_quality: DataQuality,
    pub mobile: Field<String>,
    pub met_place: Option<PlaceRef>,
    pub lives_place: Option<PlaceRef>,
    pub categories: Vec<String>,
    pub languages: Vec<String>,
    pub consent: Consent,
    pub child: bool,
    pub guardian: Option<Guardian>,
    pub registered_by_agency: AgencyRef,
    pub registered_by: Option<String>,
    pub registered_at: String,
    pub consents: Vec<ConsentEntry>,
    pub encounters: Vec<EncounterEntry>,
    /// Cases of every agency, as far as the reader may read the person.
    pub cases: Vec<CaseSummary>,
    /// Referrals between any two agencies.
    pub referrals: Vec<ReferralEntry>,
    /// Services given in any agency's case.
    pub services: Vec<ServiceEntry>,
}

/// A referral as a person's timeline lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ReferralEntry {
    pub id: hamafza_core::ids::ReferralId,
    pub created_at: String,
    pub category: String,
    pub state: hamafza_core::people::ReferralState,
    pub from_agency: String,
    pub to_agency: String,
}

/// A service as a person's timeline lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceEntry {
    pub case_id: hamafza_core::ids::CaseId,
    pub at: String,
    pub service: String,
    /// The day it was given (ISO).
    pub given_on: Option<String>,
    pub outcome: Option<String>,
    /// The agency whose case it is.
    pub agency: String,
    /// Who gave it, when not that agency.
    pub provider: Option<String>,
}

impl Person {
    /// "Given Family", or what is known of it.
    pub fn display_name(&self) -> String {
        display_name(
            self.given_name.value.as_deref(),
            self.family_name.value.as_deref(),
        )
    }
}

pub(crate) fn display_name(given: Option<&str>, family: Option<&str>) -> String {
    match (given, family) {
        (Some(g), Some(f)) => format!("{g} {f}"),
        (Some(n), None) | (None, Some(n)) => n.to_string(),
        (None, None) => "بی‌نام".to_string(),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PlaceRef {
    pub id: PlaceId,
    pub name_fa: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgencyRef {
    pub id: AgencyId,
    pub name_fa: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConsentEntry {
    pub consent: Consent,
    pub given_at: String,
    pub agency: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EncounterEntry {
    pub id: EncounterId,
    pub occurred_at: String,
    pub category: String,
    pub place: Option<String>,
    pub agency: String,
    pub note: Option<String>,
}

/// One row of a list of people: in full when the reader may read the person, or only
/// that the record exists and whom to call.
#[derive(Debug, Clone, Serialize)]
pub struct PersonCard {
    pub id: PersonId,
    /// `None` when the reader may not read the person (another agency's record without
    /// consent to share, or a child's): the list shows it without a name.
    pub name: Option<String>,
    pub father_name: Option<String>,
    pub birth: Option<String>,
    pub child: bool,
    pub categories: Vec<String>,
    /// Whom to call about this person: the agency that registered them.
    pub agency: AgencyRef,
    pub registered_at: String,
}

/// That a record exists, and whom to call: what another agency sees of a person who
/// did not consent to sharing.
#[derive(Debug, Clone, Serialize)]
pub struct PersonStub {
    pub id: PersonId,
    pub child: bool,
    pub agency: AgencyRef,
    /// The officer who registered the person.
    pub registered_by: Option<String>,
    pub registered_at: String,
}

/// A category people are registered under (administrators add more).
#[derive(Debug, Clone, Serialize)]
pub struct PersonCategory {
    pub code: String,
    pub name_fa: String,
}

/// One read of a person, for their access report.
#[derive(Debug, Clone, Serialize)]
pub struct ReadEntry {
    pub seq: i64,
    pub at: String,
    pub user: Option<String>,
    pub agency: Option<String>,
    /// `person.read`, `persons.list`, `person.access_report`, …
    pub action: String,
    pub purpose: Option<Purpose>,
}

/// A yes/no mark on a record that changes who reads it or how long it is kept.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Flag {
    /// `persons.legal_hold`: kept by the retention run.
    LegalHold,
    /// `agencies.protects_children`: its staff read children's records.
    ProtectsChildren,
}

impl crate::Store {
    /// Sets a flag on one record and audits it with `summary`; not found when the
    /// record is not there.
    pub(crate) async fn set_flag(
        &self,
        who: &crate::Who,
        flag: Flag,
        id: &str,
        on: bool,
        summary: serde_json::Value,
    ) -> crate::StoreResult<()> {
        let (sql, action, record) = match flag {
            Flag::LegalHold => (
                "UPDATE persons SET legal_hold = $1 WHERE id = $2",
                "person.legal_hold",
                "person",
            ),
            Flag::ProtectsChildren => (
                "UPDATE agencies SET protects_children = $1 WHERE id = $2",
                "agency.protects_children",
                "agency",
            ),
        };
        let mut w = self.write_tx().await?;
        let done = sqlx::query(sql)
            .bind(i64::from(on))
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(crate::StoreError::NotFound);
        }
        w.audit(who, action, record, &id, summary).await?;
        w.commit().await
    }
}

impl crate::Store {
    /// How many named records the registry holds (a figure with no names: for the
    /// operator and benchmarks).
    pub async fn count_people(&self) -> crate::StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM persons")
            .fetch_one(&self.pool)
            .await?)
    }
}

/// The search tokens of a name key (`given|family|father`, folded): its parts, once.
pub(crate) fn name_tokens(name_key: &str) -> Vec<String> {
    let mut tokens: Vec<String> = name_key
        .split('|')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    tokens.sort();
    tokens.dedup();
    tokens
}

/// Fills `person_name_tokens` from the names on record (the migration that adds it).
pub(crate) async fn fill_name_tokens(tx: &mut sqlx::AnyConnection) -> crate::StoreResult<()> {
    use sqlx::Row;
    let rows = sqlx::query("SELECT id, name_key FROM persons")
        .fetch_all(&mut *tx)
        .await?;
    let mut tokens = crate::rows::Rows::new("person_name_tokens", &["token", "person_id"]);
    for r in &rows {
        let id: String = r.try_get("id")?;
        let key: String = r.try_get("name_key")?;
        for t in name_tokens(&key) {
            tokens.push(vec![t.into(), id.clone().into()]);
        }
    }
    if !tokens.is_empty() {
        tokens.insert(tx).await?;
    }
    Ok(())
}

/// A count of the registry's records, refreshed at most every few minutes: a search
/// plans by it, and counting a million rows on every search would cost more than the
/// search.
#[derive(Default)]
pub(crate) struct Estimate {
    /// (people, when counted).
    kept: std::sync::Mutex<Option<(i64, std::time::Instant)>>,
}

impl crate::Store {
    /// Roughly how many people are on record (at most five minutes old).
    pub(crate) async fn people_estimate(&self) -> crate::StoreResult<i64> {
        let fresh = std::time::Duration::from_secs(300);
        if let Ok(kept) = self.people_estimate.kept.lock()
            && let Some((n, at)) = *kept
            && at.elapsed() < fresh
        {
            return Ok(n);
        }
        let n = self.count_people().await?;
        if let Ok(mut kept) = self.people_estimate.kept.lock() {
            *kept = Some((n, std::time::Instant::now()));
        }
        Ok(n)
    }
}
