//! Registration at first contact: every field checked (the national id's check digit,
//! a birth that cannot be in the future, a data-quality code that agrees with the
//! value), then one transaction that keeps what the consent allows — a named record
//! with its consent and first encounter, or only a pseudonymous encounter.

use hamafza_core::access::{Actor, DenyReason};
use hamafza_core::ids::{EncounterId, PersonId, PlaceId};
use hamafza_core::jalali::JalaliDate;
use hamafza_core::people::{BirthSaid, Consent, ConsentUse, DataQuality, Nationality, is_child};
use hamafza_core::{mobile, national_id, text};

use super::batch::{Batch, EncounterKind, PlannedEncounter};
use super::{BirthIn, Field, FirstContact, Guardian, NewPerson, Registered};
use crate::atlas::jalali_month;
use crate::error::{Form, Refusal};
use crate::rows::Bind;
use crate::{Rule, Store, StoreError, StoreResult, Who, instant_text, now_text};

/// Longest name part kept.
const NAME_MAX: usize = 100;
/// Longest note kept.
pub(super) const NOTE_MAX: usize = 2_000;
/// Days until an agency is reminded to ask again for consent.
const ASK_AGAIN_DAYS: i64 = 7;

/// The fields as they will be stored.
pub(super) struct Checked {
    pub(super) given_name: Field<String>,
    pub(super) family_name: Field<String>,
    pub(super) father_name: Field<String>,
    pub(super) sex: Field<hamafza_core::people::Sex>,
    pub(super) birth: Field<BirthSaid>,
    pub(super) nationality: Field<Nationality>,
    pub(super) national_id: Option<String>,
    pub(super) foreign_document: Option<String>,
    pub(super) identifier_quality: DataQuality,
    pub(super) mobile: Field<String>,
    pub(super) categories: Vec<String>,
    pub(super) languages: Vec<String>,
    pub(super) guardian: Option<Guardian>,
    pub(super) note: Option<String>,
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

pub(super) fn check(p: &NewPerson, note: Option<&str>, today: JalaliDate) -> StoreResult<Checked> {
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
        .map(|p| text::compact_key(p.unwrap_or("")))
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
        let prepared = self
            .prepare(actor, contact, today, &mut Lookups::default())
            .await?;
        let mut batch = Batch::new();
        let kept = plan_contact(&mut batch, actor, contact, prepared, today);
        let mut w = self.write_tx().await?;
        batch.write(&mut w).await?;
        w.commit().await?;
        if let Registered::Person { person_id, .. } = &kept {
            self.linkage_refresh(&[*person_id]).await?;
        }
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
        let mut lookups = Lookups::default();
        for (row, contact) in rows {
            match self.prepare(actor, contact, today, &mut lookups).await {
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
        let mut batch = Batch::new();
        let registered: Vec<Registered> = ready
            .into_iter()
            .map(|(contact, p)| plan_contact(&mut batch, actor, contact, p, today))
            .collect();
        let mut w = self.write_tx().await?;
        batch.write(&mut w).await?;
        w.commit().await?;
        let named: Vec<PersonId> = registered
            .iter()
            .filter_map(|r| match r {
                Registered::Person { person_id, .. } => Some(*person_id),
                Registered::Encounter { .. } => None,
            })
            .collect();
        self.linkage_refresh(&named).await?;
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
        let mut lookups = Lookups::default();
        for (row, contact) in rows {
            match self.prepare(actor, contact, today, &mut lookups).await {
                Ok(_) | Err(StoreError::Conflict { .. }) => {}
                Err(e @ StoreError::Db(_)) => return Err(e),
                Err(e) => problems.push((*row, e)),
            }
        }
        Ok(problems)
    }

    /// Every check of a registration, before anything is written. Places and
    /// categories already looked up for earlier rows of a list are not read again.
    async fn prepare(
        &self,
        actor: &Actor,
        contact: &FirstContact,
        today: JalaliDate,
        lookups: &mut Lookups,
    ) -> StoreResult<Prepared> {
        let checked = check(&contact.person, contact.note.as_deref(), today)?;
        if contact.consent == Consent::Guardian && checked.guardian.is_none() {
            return Err(StoreError::invalid("guardian_name", Rule::Required));
        }
        let met = self
            .place_for_registry("met_place", contact.met_place, lookups)
            .await?;
        if !actor.covers(&met.1) {
            return Err(StoreError::Forbidden(Refusal::Policy(
                DenyReason::Jurisdiction,
            )));
        }
        let lives = match contact.person.lives_place {
            Some(id) => Some(self.place_for_registry("lives_place", id, lookups).await?),
            None => None,
        };
        self.check_categories(&checked.categories, lookups).await?;
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

    /// Every category is one people are registered under now, or the first that is
    /// not, by its position.
    pub(super) async fn check_categories(
        &self,
        categories: &[String],
        lookups: &mut Lookups,
    ) -> StoreResult<()> {
        for (i, c) in categories.iter().enumerate() {
            let active = match lookups.categories.get(c) {
                Some(active) => *active,
                None => {
                    let known: Option<i64> =
                        sqlx::query_scalar("SELECT active FROM person_categories WHERE code = $1")
                            .bind(c)
                            .fetch_optional(&self.pool)
                            .await?;
                    lookups.categories.insert(c.clone(), known == Some(1));
                    known == Some(1)
                }
            };
            if !active {
                return Err(StoreError::invalid(
                    "categories",
                    Rule::Item {
                        position: i + 1,
                        rule: Box::new(Rule::Unknown(c.clone())),
                    },
                ));
            }
        }
        Ok(())
    }

    /// A place named on a registration: its id and path, or the field at fault.
    pub(super) async fn place_for_registry(
        &self,
        field: &'static str,
        id: PlaceId,
        lookups: &mut Lookups,
    ) -> StoreResult<(PlaceId, String)> {
        if let Some(found) = lookups.places.get(&id) {
            return Ok(found.clone());
        }
        match self.place_by_id(id).await {
            Ok(p) => {
                lookups.places.insert(id, (p.id, p.path.clone()));
                Ok((p.id, p.path))
            }
            Err(StoreError::NotFound) => {
                Err(StoreError::invalid(field, Rule::Unknown(String::new())))
            }
            Err(e) => Err(e),
        }
    }
}

/// Places and categories looked up for a list's earlier rows.
#[derive(Default)]
pub(super) struct Lookups {
    places: std::collections::HashMap<PlaceId, (PlaceId, String)>,
    /// Category code → whether it is active.
    categories: std::collections::HashMap<String, bool>,
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

/// Plans one prepared first contact into `batch` (written with the batch).
fn plan_contact(
    batch: &mut Batch,
    actor: &Actor,
    contact: &FirstContact,
    prepared: Prepared,
    today: JalaliDate,
) -> Registered {
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
    let named = contact
        .consent
        .allows(ConsentUse::KeepNamed)
        .then(PersonId::new);
    batch.encounter(PlannedEncounter {
        id: encounter_id,
        person: named,
        actor,
        category: &first_category,
        place: &met,
        at: &at,
        month: &month,
        sex,
        age_band,
        consent: contact.consent,
        // Nothing named: the note may name the person, so it is not kept either.
        note: named.and(checked.note.as_deref()),
        kind: if named.is_some() {
            EncounterKind::New
        } else {
            EncounterKind::Unnamed
        },
    });
    if let Some(person_id) = named {
        let mut row: Vec<Bind> = vec![person_id.to_string().into()];
        let identity = identity_columns(&checked, lives.as_ref());
        if let Some((_, key)) = identity.iter().find(|(c, _)| *c == "name_key") {
            batch.name_tokens(person_id, key.as_deref().unwrap_or(""));
        }
        row.extend(identity.into_iter().map(|(_, v)| Bind::Text(v)));
        row.extend([
            met.0.to_string().into(),
            met.1.clone().into(),
            contact.consent.code().into(),
            actor.agency_id.to_string().into(),
            actor.user_id.to_string().into(),
            now_text().into(),
        ]);
        batch.persons.push(row);
        for c in &checked.categories {
            batch
                .links
                .push(vec![person_id.to_string().into(), c.clone().into()]);
        }
        batch.holder(person_id, actor.agency_id);
        batch.consents.push(vec![
            crate::new_id().into(),
            person_id.to_string().into(),
            contact.consent.code().into(),
            at.clone().into(),
            actor.agency_id.to_string().into(),
            actor.user_id.to_string().into(),
            Bind::Text(None),
        ]);
        let child = is_child(checked.birth.value, &checked.categories, today);
        // The audit names the record and what was decided, never the person's names.
        batch.audit(
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
        );
        Registered::Person {
            person_id,
            encounter_id,
        }
    } else {
        let ask_again = contact.consent.asks_again();
        if ask_again {
            let due = contact.occurred_at + time::Duration::days(ASK_AGAIN_DAYS);
            batch.ask_again(encounter_id, actor, due);
        }
        batch.audit(
            &who,
            "encounter.record",
            "encounter",
            &encounter_id,
            serde_json::json!({
                "consent": contact.consent.code(),
                "category": first_category,
                "ask_again": ask_again,
            }),
        );
        Registered::Encounter {
            encounter_id,
            ask_again,
        }
    }
}

/// The columns [`identity_columns`] gives, in its order.
pub(super) const IDENTITY_COLUMNS: [&str; 26] = [
    "given_name",
    "given_name_q",
    "family_name",
    "family_name_q",
    "father_name",
    "father_name_q",
    "name_key",
    "sex",
    "sex_q",
    "birth",
    "birth_q",
    "born_from",
    "born_to",
    "nationality",
    "nationality_q",
    "national_id",
    "foreign_document",
    "identifier_q",
    "mobile",
    "mobile_q",
    "lives_place_id",
    "lives_path",
    "languages",
    "guardian_name",
    "guardian_relation",
    "guardian_mobile",
];

/// The `persons` columns of what a person is (names, birth, identifiers, places of
/// living, guardian), as text: what a registration writes beside who registered them,
/// and what an edit replaces and compares column by column.
pub(super) fn identity_columns(
    c: &Checked,
    lives: Option<&(PlaceId, String)>,
) -> Vec<(&'static str, Option<String>)> {
    let (born_from, born_to) = c
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
    let code = |q: hamafza_core::people::DataQuality| Some(q.code().to_string());
    let columns = vec![
        ("given_name", c.given_name.value.clone()),
        ("given_name_q", code(c.given_name.quality)),
        ("family_name", c.family_name.value.clone()),
        ("family_name_q", code(c.family_name.quality)),
        ("father_name", c.father_name.value.clone()),
        ("father_name_q", code(c.father_name.quality)),
        (
            "name_key",
            Some(name_key([
                c.given_name.value.as_deref(),
                c.family_name.value.as_deref(),
                c.father_name.value.as_deref(),
            ])),
        ),
        ("sex", c.sex.value.map(|s| s.code().to_string())),
        ("sex_q", code(c.sex.quality)),
        (
            "birth",
            c.birth
                .value
                .map(|b| serde_json::to_string(&b).unwrap_or_default()),
        ),
        ("birth_q", code(c.birth.quality)),
        ("born_from", born_from),
        ("born_to", born_to),
        (
            "nationality",
            c.nationality.value.map(|n| n.code().to_string()),
        ),
        ("nationality_q", code(c.nationality.quality)),
        ("national_id", c.national_id.clone()),
        ("foreign_document", c.foreign_document.clone()),
        ("identifier_q", code(c.identifier_quality)),
        ("mobile", c.mobile.value.clone()),
        ("mobile_q", code(c.mobile.quality)),
        ("lives_place_id", lives.map(|l| l.0.to_string())),
        ("lives_path", lives.map(|l| l.1.clone())),
        ("languages", Some(c.languages.join("|"))),
        ("guardian_name", c.guardian.as_ref().map(|g| g.name.clone())),
        (
            "guardian_relation",
            c.guardian.as_ref().and_then(|g| g.relation.clone()),
        ),
        (
            "guardian_mobile",
            c.guardian.as_ref().and_then(|g| g.mobile.clone()),
        ),
    ];
    debug_assert!(columns.iter().map(|c| c.0).eq(IDENTITY_COLUMNS));
    columns
}
