//! Registration at first contact: every field checked (the national id's check digit,
//! a birth that cannot be in the future, a data-quality code that agrees with the
//! value), then one transaction that keeps what the consent allows — a named record
//! with its consent and first encounter, or only a pseudonymous encounter.

use hamafza_core::access::{Actor, DenyReason};
use hamafza_core::ids::{EncounterId, PersonId, PlaceId};
use hamafza_core::jalali::JalaliDate;
use hamafza_core::people::{BirthSaid, Consent, ConsentUse, DataQuality, Nationality, is_child};
use hamafza_core::{mobile, national_id, text};

use super::{BirthIn, Field, FirstContact, Guardian, NewPerson, Registered};
use crate::atlas::jalali_month;
use crate::error::{Form, Refusal};
use crate::{Rule, Store, StoreError, StoreResult, Who, instant_text, now_text};

/// Longest name part kept.
const NAME_MAX: usize = 100;
/// Longest note kept.
pub(super) const NOTE_MAX: usize = 2_000;
/// Days until an agency is reminded to ask again for consent.
const ASK_AGAIN_DAYS: i64 = 7;

/// The fields as they will be stored.
struct Checked {
    given_name: Field<String>,
    family_name: Field<String>,
    father_name: Field<String>,
    sex: Field<hamafza_core::people::Sex>,
    birth: Field<BirthSaid>,
    nationality: Field<Nationality>,
    national_id: Option<String>,
    foreign_document: Option<String>,
    identifier_quality: DataQuality,
    mobile: Field<String>,
    categories: Vec<String>,
    languages: Vec<String>,
    guardian: Option<Guardian>,
    note: Option<String>,
}

/// A value agrees with its quality code: a value for full or partial, none otherwise.
fn agrees<T>(field: &'static str, f: &Field<T>) -> StoreResult<()> {
    match (&f.value, f.quality.has_value()) {
        (Some(_), false) => Err(StoreError::invalid(
            field,
            Rule::ValueWithUnknown(f.quality),
        )),
        (None, true) => Err(StoreError::invalid(field, Rule::Required)),
        _ => Ok(()),
    }
}

/// A name part: letters of any script, spaces, ZWNJ, hyphen, dot and apostrophe. Markup
/// and SQL have no business in a name and are refused, not stored.
fn name(field: &'static str, f: &Field<String>) -> StoreResult<Field<String>> {
    let value = f
        .value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    let checked = Field {
        value,
        quality: f.quality,
    };
    agrees(field, &checked)?;
    if let Some(v) = &checked.value {
        if v.chars().count() > NAME_MAX {
            return Err(StoreError::invalid(field, Rule::TooLong { max: NAME_MAX }));
        }
        let fine = v.chars().all(|c| {
            c.is_alphabetic()
                || c == ' '
                || matches!(c, '\u{200C}' | '-' | '.' | '\'' | 'ـ')
                || ('\u{064B}'..='\u{0670}').contains(&c)
        });
        if !fine {
            return Err(StoreError::invalid(
                field,
                Rule::Malformed(Form::PersonName),
            ));
        }
    }
    Ok(checked)
}

fn birth(f: &Field<BirthIn>, today: JalaliDate) -> StoreResult<Field<BirthSaid>> {
    let value = match &f.value {
        None => None,
        Some(BirthIn::Date(s)) if s.trim().is_empty() => None,
        Some(BirthIn::Year(s)) if s.trim().is_empty() => None,
        Some(BirthIn::About(s)) if s.trim().is_empty() => None,
        Some(b) => Some(
            match b {
                BirthIn::Date(s) => BirthSaid::date(s, today),
                BirthIn::Year(s) => BirthSaid::year(s, today),
                BirthIn::About(s) => BirthSaid::about(s, today),
            }
            .map_err(|e| StoreError::invalid("birth", Rule::Birth(e)))?,
        ),
    };
    let checked = Field {
        value,
        quality: f.quality,
    };
    agrees("birth", &checked)?;
    Ok(checked)
}

fn check(p: &NewPerson, note: Option<&str>, today: JalaliDate) -> StoreResult<Checked> {
    let given_name = name("given_name", &p.given_name)?;
    let family_name = name("family_name", &p.family_name)?;
    let father_name = name("father_name", &p.father_name)?;
    agrees("sex", &p.sex)?;
    let birth = birth(&p.birth, today)?;
    agrees("nationality", &p.nationality)?;
    let identifier = Field {
        value: p
            .identifier
            .value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string),
        quality: p.identifier.quality,
    };
    let foreign = p.nationality.value.is_some_and(|n| !n.has_national_id());
    let (national_id, foreign_document) = match identifier.value.as_deref() {
        None => (None, None),
        Some(v) if foreign => {
            let doc: String = hamafza_core::digits::to_ascii(v)
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            if !(3..=30).contains(&doc.chars().count())
                || !doc.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return Err(StoreError::invalid(
                    "foreign_document",
                    Rule::Malformed(Form::DocumentNumber),
                ));
            }
            (None, Some(doc.to_uppercase()))
        }
        Some(v) => (
            Some(
                national_id::parse(v)
                    .map_err(|e| StoreError::invalid("national_id", Rule::NationalId(e)))?,
            ),
            None,
        ),
    };
    agrees(
        if foreign {
            "foreign_document"
        } else {
            "national_id"
        },
        &identifier,
    )?;
    let mobile_value = match p.mobile.value.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(m) => Some(
            mobile::normalise(m)
                .map_err(|_| StoreError::invalid("mobile", Rule::Malformed(Form::Mobile)))?,
        ),
    };
    let mobile = Field {
        value: mobile_value,
        quality: p.mobile.quality,
    };
    agrees("mobile", &mobile)?;
    let mut categories: Vec<String> = Vec::new();
    for c in &p.categories {
        let c = c.trim();
        if c.is_empty() {
            continue;
        }
        if categories.iter().any(|k| k == c) {
            return Err(StoreError::invalid("categories", Rule::Repeated(c.into())));
        }
        categories.push(c.to_string());
    }
    if categories.is_empty() {
        return Err(StoreError::invalid("categories", Rule::Required));
    }
    let languages: Vec<String> = p
        .languages
        .iter()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    if languages.len() > 5 || languages.iter().any(|l| l.chars().count() > 40) {
        return Err(StoreError::invalid("languages", Rule::TooLong { max: 40 }));
    }
    let guardian = match &p.guardian {
        None => None,
        Some(g) => {
            let name = name(
                "guardian_name",
                &Field {
                    value: Some(g.name.clone()),
                    quality: DataQuality::Full,
                },
            )?
            .value;
            let relation = g
                .relation
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_string);
            if relation.as_ref().is_some_and(|r| r.chars().count() > 40) {
                return Err(StoreError::invalid(
                    "guardian_relation",
                    Rule::TooLong { max: 40 },
                ));
            }
            let mobile = match g.mobile.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(m) => Some(mobile::normalise(m).map_err(|_| {
                    StoreError::invalid("guardian_mobile", Rule::Malformed(Form::Mobile))
                })?),
            };
            name.map(|name| Guardian {
                name,
                relation,
                mobile,
            })
        }
    };
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > NOTE_MAX) {
        return Err(StoreError::invalid("note", Rule::TooLong { max: NOTE_MAX }));
    }
    Ok(Checked {
        given_name,
        family_name,
        father_name,
        sex: p.sex.clone(),
        birth,
        nationality: p.nationality.clone(),
        national_id,
        foreign_document,
        identifier_quality: identifier.quality,
        mobile,
        categories,
        languages,
        guardian,
        note: note.map(str::to_string),
    })
}

/// The search key of a person's names: each part folded (`text::search_key`) with its
/// spaces removed, so «علی رضا» and «علی‌رضا» are found alike, parts joined by `|`.
pub(crate) fn name_key(parts: [Option<&str>; 3]) -> String {
    parts
        .iter()
        .map(|p| text::search_key(p.unwrap_or("")).replace(' ', ""))
        .collect::<Vec<_>>()
        .join("|")
}

impl Store {
    /// Registers a first contact by `actor` (whom the access policy allowed to
    /// register), at a place in their jurisdiction. With consent to keep a named
    /// record: the person, their consent, categories and first encounter; without:
    /// only an encounter with category, place, time, sex and age band, and, when the
    /// person could not decide, a reminder for the agency to ask again. All or nothing.
    pub async fn register(
        &self,
        actor: &Actor,
        contact: &FirstContact,
        today: JalaliDate,
    ) -> StoreResult<Registered> {
        let prepared = self.prepare(actor, contact, today).await?;
        let mut w = self.write_tx().await?;
        let kept = insert_contact(&mut w, actor, contact, prepared, today).await?;
        w.commit().await?;
        Ok(kept)
    }

    /// Registers an agency's list in one transaction: every row checked first, and
    /// nothing written unless every row is sound — except rows whose national id is on
    /// record already (or earlier in the list), which are set aside for the duplicate
    /// review, not written. `rows` are (row number, contact).
    pub async fn register_all(
        &self,
        actor: &Actor,
        rows: &[(usize, FirstContact)],
        today: JalaliDate,
    ) -> StoreResult<Result<ImportedPeople, Vec<(usize, StoreError)>>> {
        let mut ready = Vec::new();
        let mut problems = Vec::new();
        let mut duplicates = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (row, contact) in rows {
            match self.prepare(actor, contact, today).await {
                Ok(p) => match &p.checked.national_id {
                    Some(id) if !seen.insert(id.clone()) => duplicates.push((*row, id.clone())),
                    _ => ready.push((contact, p)),
                },
                Err(StoreError::Conflict {
                    field: "national_id",
                    value,
                }) => duplicates.push((*row, value)),
                Err(e @ StoreError::Db(_)) => return Err(e),
                Err(e) => problems.push((*row, e)),
            }
        }
        if !problems.is_empty() {
            return Ok(Err(problems));
        }
        let mut w = self.write_tx().await?;
        let mut registered = Vec::with_capacity(ready.len());
        for (contact, p) in ready {
            registered.push(insert_contact(&mut w, actor, contact, p, today).await?);
        }
        w.commit().await?;
        Ok(Ok(ImportedPeople {
            registered,
            duplicates,
        }))
    }

    /// The rows of a list that would be refused, with why (rows on record already are
    /// not refused: `register_all` sets them aside). Writes nothing.
    pub async fn check_all(
        &self,
        actor: &Actor,
        rows: &[(usize, FirstContact)],
        today: JalaliDate,
    ) -> StoreResult<Vec<(usize, StoreError)>> {
        let mut problems = Vec::new();
        for (row, contact) in rows {
            match self.prepare(actor, contact, today).await {
                Ok(_) | Err(StoreError::Conflict { .. }) => {}
                Err(e @ StoreError::Db(_)) => return Err(e),
                Err(e) => problems.push((*row, e)),
            }
        }
        Ok(problems)
    }

    /// Every check of a registration, before anything is written.
    async fn prepare(
        &self,
        actor: &Actor,
        contact: &FirstContact,
        today: JalaliDate,
    ) -> StoreResult<Prepared> {
        let checked = check(&contact.person, contact.note.as_deref(), today)?;
        if contact.consent == Consent::Guardian && checked.guardian.is_none() {
            return Err(StoreError::invalid("guardian_name", Rule::Required));
        }
        let met = self
            .place_for_registry("met_place", contact.met_place)
            .await?;
        if !actor.covers(&met.1) {
            return Err(StoreError::Forbidden(Refusal::Policy(
                DenyReason::Jurisdiction,
            )));
        }
        let lives = match contact.person.lives_place {
            Some(id) => Some(self.place_for_registry("lives_place", id).await?),
            None => None,
        };
        for (i, c) in checked.categories.iter().enumerate() {
            let known: Option<i64> =
                sqlx::query_scalar("SELECT active FROM person_categories WHERE code = $1")
                    .bind(c)
                    .fetch_optional(&self.pool)
                    .await?;
            if known != Some(1) {
                return Err(StoreError::invalid(
                    "categories",
                    Rule::Item {
                        position: i + 1,
                        rule: Box::new(Rule::Unknown(c.clone())),
                    },
                ));
            }
        }
        if let Some(id) = &checked.national_id {
            let taken: Option<String> =
                sqlx::query_scalar("SELECT id FROM persons WHERE national_id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
            if taken.is_some() {
                return Err(StoreError::Conflict {
                    field: "national_id",
                    value: id.clone(),
                });
            }
        }
        Ok(Prepared {
            checked,
            met,
            lives,
        })
    }

    /// A place named on a registration: its id and path, or the field at fault.
    async fn place_for_registry(
        &self,
        field: &'static str,
        id: PlaceId,
    ) -> StoreResult<(PlaceId, String)> {
        match self.place_by_id(id).await {
            Ok(p) => Ok((p.id, p.path)),
            Err(StoreError::NotFound) => {
                Err(StoreError::invalid(field, Rule::Unknown(String::new())))
            }
            Err(e) => Err(e),
        }
    }
}

/// What `prepare` checked, ready to write.
struct Prepared {
    checked: Checked,
    met: (PlaceId, String),
    lives: Option<(PlaceId, String)>,
}

/// What an agency's list import did.
#[derive(Debug, Clone)]
pub struct ImportedPeople {
    pub registered: Vec<Registered>,
    /// (row, national id) of rows already on record: set aside for the duplicate review.
    pub duplicates: Vec<(usize, String)>,
}

/// Writes one prepared first contact inside `w`.
async fn insert_contact(
    w: &mut crate::audit::WriteTx,
    actor: &Actor,
    contact: &FirstContact,
    prepared: Prepared,
    today: JalaliDate,
) -> StoreResult<Registered> {
    let Prepared {
        checked,
        met,
        lives,
    } = prepared;
    let who = Who::of(actor);
    let at = instant_text(contact.occurred_at);
    let month = jalali_month(contact.occurred_at);
    let encounter_id = EncounterId::new();
    let sex = checked.sex.value.map(hamafza_core::people::Sex::code);
    let age_band = checked.birth.value.map(|b| b.band_on(today).code());
    let first_category = checked.categories[0].clone();
    let kept = if contact.consent.allows(ConsentUse::KeepNamed) {
        let person_id = PersonId::new();
        let (born_from, born_to) = checked
            .birth
            .value
            .map(|b| {
                let (a, z) = b.range();
                (
                    Some(hamafza_core::jalali::iso_day(a.to_gregorian())),
                    Some(hamafza_core::jalali::iso_day(z.to_gregorian())),
                )
            })
            .unwrap_or((None, None));
        let birth_json = checked
            .birth
            .value
            .map(|b| serde_json::to_string(&b).unwrap_or_default());
        let key = name_key([
            checked.given_name.value.as_deref(),
            checked.family_name.value.as_deref(),
            checked.father_name.value.as_deref(),
        ]);
        sqlx::query(
                "INSERT INTO persons (id, given_name, given_name_q, family_name, family_name_q, father_name, father_name_q, name_key,
                    sex, sex_q, birth, birth_q, born_from, born_to, nationality, nationality_q, national_id, foreign_document, identifier_q,
                    mobile, mobile_q, met_place_id, met_path, lives_place_id, lives_path, languages, consent,
                    registered_by_agency, registered_by, registered_at, guardian_name, guardian_relation, guardian_mobile)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33)",
            )
            .bind(person_id)
            .bind(&checked.given_name.value)
            .bind(checked.given_name.quality.code())
            .bind(&checked.family_name.value)
            .bind(checked.family_name.quality.code())
            .bind(&checked.father_name.value)
            .bind(checked.father_name.quality.code())
            .bind(&key)
            .bind(sex)
            .bind(checked.sex.quality.code())
            .bind(&birth_json)
            .bind(checked.birth.quality.code())
            .bind(&born_from)
            .bind(&born_to)
            .bind(checked.nationality.value.map(Nationality::code))
            .bind(checked.nationality.quality.code())
            .bind(&checked.national_id)
            .bind(&checked.foreign_document)
            .bind(checked.identifier_quality.code())
            .bind(&checked.mobile.value)
            .bind(checked.mobile.quality.code())
            .bind(met.0)
            .bind(&met.1)
            .bind(lives.as_ref().map(|l| l.0))
            .bind(lives.as_ref().map(|l| l.1.clone()))
            .bind(checked.languages.join("|"))
            .bind(contact.consent.code())
            .bind(actor.agency_id.to_string())
            .bind(actor.user_id.to_string())
            .bind(now_text())
            .bind(checked.guardian.as_ref().map(|g| g.name.clone()))
            .bind(checked.guardian.as_ref().and_then(|g| g.relation.clone()))
            .bind(checked.guardian.as_ref().and_then(|g| g.mobile.clone()))
            .execute(&mut *w.tx)
            .await?;
        for c in &checked.categories {
            sqlx::query("INSERT INTO person_category_links (person_id, category) VALUES ($1, $2)")
                .bind(person_id)
                .bind(c)
                .execute(&mut *w.tx)
                .await?;
        }
        sqlx::query("INSERT INTO person_holders (person_id, agency_id, since) VALUES ($1, $2, $3)")
            .bind(person_id)
            .bind(actor.agency_id.to_string())
            .bind(now_text())
            .execute(&mut *w.tx)
            .await?;
        sqlx::query(
                "INSERT INTO person_consents (id, person_id, consent, given_at, agency_id, recorded_by, note) VALUES ($1, $2, $3, $4, $5, $6, NULL)",
            )
            .bind(crate::new_id())
            .bind(person_id)
            .bind(contact.consent.code())
            .bind(&at)
            .bind(actor.agency_id.to_string())
            .bind(actor.user_id.to_string())
            .execute(&mut *w.tx)
            .await?;
        insert_encounter(
            w,
            Some(person_id),
            actor,
            (&first_category, &met, &at, &month),
            (sex, age_band),
            contact.consent,
            checked.note.as_deref(),
            encounter_id,
            EncounterKind::New,
        )
        .await?;
        let child = is_child(checked.birth.value, &checked.categories, today);
        // The audit names the record and what was decided, never the person's names.
        w.audit(
            &who,
            "person.register",
            "person",
            &person_id,
            serde_json::json!({
                "consent": contact.consent.code(),
                "categories": checked.categories,
                "child": child,
                "encounter": encounter_id,
            }),
        )
        .await?;
        Registered::Person {
            person_id,
            encounter_id,
        }
    } else {
        // Nothing named: the note may name the person, so it is not kept either.
        insert_encounter(
            w,
            None,
            actor,
            (&first_category, &met, &at, &month),
            (sex, age_band),
            contact.consent,
            None,
            encounter_id,
            EncounterKind::Unnamed,
        )
        .await?;
        let ask_again = contact.consent.asks_again();
        if ask_again {
            let due = contact.occurred_at + time::Duration::days(ASK_AGAIN_DAYS);
            sqlx::query(
                    "INSERT INTO consent_followups (id, encounter_id, agency_id, due, done_at) VALUES ($1, $2, $3, $4, NULL)",
                )
                .bind(crate::new_id())
                .bind(encounter_id)
                .bind(actor.agency_id.to_string())
                .bind(instant_text(due))
                .execute(&mut *w.tx)
                .await?;
        }
        w.audit(
            &who,
            "encounter.record",
            "encounter",
            &encounter_id,
            serde_json::json!({
                "consent": contact.consent.code(),
                "category": first_category,
                "ask_again": ask_again,
            }),
        )
        .await?;
        Registered::Encounter {
            encounter_id,
            ask_again,
        }
    };
    Ok(kept)
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn insert_encounter(
    w: &mut crate::audit::WriteTx,
    person: Option<PersonId>,
    actor: &Actor,
    (category, place, at, month): (&str, &(PlaceId, String), &str, &str),
    (sex, age_band): (Option<&str>, Option<&str>),
    consent: Consent,
    note: Option<&str>,
    id: EncounterId,
    kind: EncounterKind,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO encounters (id, person_id, agency_id, category, place_id, place_path, occurred_at, month, sex, age_band, consent, recorded_by, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(id)
    .bind(person)
    .bind(actor.agency_id.to_string())
    .bind(category)
    .bind(place.0)
    .bind(&place.1)
    .bind(at)
    .bind(month)
    .bind(sex)
    .bind(age_band)
    .bind(consent.code())
    .bind(actor.user_id.to_string())
    .bind(note)
    .execute(&mut *w.tx)
    .await?;
    count_encounter(w, category, &place.1, month, kind).await
}

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

/// Adds an encounter to the atlas's live counts — for its place and every ancestor,
/// in the same transaction, like an event — so registry indicators (contacts, new and
/// returning people by category, place and month) are live and take the atlas's
/// small-number rule. The counts carry no person.
async fn count_encounter(
    w: &mut crate::audit::WriteTx,
    category: &str,
    place_path: &str,
    month: &str,
    kind: EncounterKind,
) -> StoreResult<()> {
    use hamafza_core::atlas::indicators::Numerator;
    let mut keys = vec![Numerator::Encounters.count_key(category)];
    match kind {
        EncounterKind::New => keys.push(Numerator::NewPeople.count_key(category)),
        EncounterKind::Returning => keys.push(Numerator::ReturningPeople.count_key(category)),
        EncounterKind::Unnamed => {}
    }
    // The path lists the place's ancestors' ids and its own, root first.
    for place in place_path.split('/').filter(|s| !s.is_empty()) {
        for key in &keys {
            sqlx::query(
                "INSERT INTO event_counts (place_id, category, month, n) VALUES ($1, $2, $3, 1)
                 ON CONFLICT (place_id, category, month) DO UPDATE SET n = event_counts.n + 1",
            )
            .bind(place)
            .bind(key)
            .bind(month)
            .execute(&mut *w.tx)
            .await?;
        }
    }
    crate::operations::bump_data_version(&mut w.tx, "atlas").await
}
