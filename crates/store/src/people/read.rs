//! Reading the registry: the facts the access policy decides on, a person in full
//! (audited with its purpose), a person as "exists, call this agency", the list and
//! search (each row decided, every named row audited), and the access report.

use hamafza_core::access::{
    Action, Actor, Decision, DenyReason, PersonFacts, Target, decide, scope,
};
use hamafza_core::ids::{AgencyId, PersonId};
use hamafza_core::jalali::{JalaliDate, iso_day};
use hamafza_core::people::{
    BirthSaid, Consent, ConsentUse, DataQuality, Nationality, Purpose, Sex, is_child,
};
use hamafza_core::{mobile, national_id, text};
use std::collections::HashMap;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{
    AgencyRef, ConsentEntry, EncounterEntry, Field, Guardian, Person, PersonCard, PersonReader,
    PersonStub, PlaceRef, ReadEntry, display_name,
};
use crate::error::Refusal;
use crate::{Rule, Store, StoreError, StoreResult, Who, query_with, search_text_ok};

/// What the access policy needs to know about one person, read without their names.
#[derive(Debug, Clone)]
pub struct PersonAccess {
    pub holders: Vec<uuid::Uuid>,
    pub places: Vec<String>,
    pub consent: Consent,
    pub child: bool,
    pub actor_agency_protects_children: bool,
}

impl PersonAccess {
    /// Decides work on a case of this person held by `agency`.
    pub fn decide_case(&self, actor: &Actor, agency: uuid::Uuid) -> Decision {
        let places: Vec<&str> = self.places.iter().map(String::as_str).collect();
        let facts = PersonFacts {
            holders: &self.holders,
            places: &places,
            shared: self.consent.allows(ConsentUse::Share),
            child: self.child,
            actor_agency_protects_children: self.actor_agency_protects_children,
        };
        decide(
            actor,
            Action::WorkCase,
            Target::Case {
                agency,
                person: &facts,
            },
        )
    }

    /// Decides `action` on this person for `actor`.
    pub fn decide(&self, actor: &Actor, action: Action) -> Decision {
        let places: Vec<&str> = self.places.iter().map(String::as_str).collect();
        let facts = PersonFacts {
            holders: &self.holders,
            places: &places,
            shared: self.consent.allows(ConsentUse::Share),
            child: self.child,
            actor_agency_protects_children: self.actor_agency_protects_children,
        };
        decide(actor, action, Target::Person(&facts))
    }
}

/// Matches counted at most (and one more, to say "more than"): a page of a list; past
/// it the searcher is asked to type more, and a common name over a million records is
/// not counted to the last. See `find_people`.
pub const COUNT_BOUND: i64 = 100;

/// A name part this common or rarer is looked up through its index; a commoner one
/// (a first name like «علی» over a million records) is matched while walking the
/// newest records, which finds a page of them after a few hundred rows.
const FEW_ENOUGH: i64 = 5_000;

/// A search of the registry.
#[derive(Debug, Clone, Default)]
pub struct PeopleQuery {
    /// Names (Persian-aware, any order), a national id or a mobile number.
    pub q: Option<String>,
    pub category: Option<String>,
    /// Only children's records (the child-protection view).
    pub children_only: bool,
    pub limit: i64,
    pub offset: i64,
}

/// The ways a search's words may be name parts: each word alone, or joined to its
/// neighbours (a compound name typed with a space: «علی اکبر» for «علی‌اکبر»). Words
/// beyond four are taken alone (2^(n−1) ways otherwise).
fn joinings(words: &[&str]) -> Vec<Vec<String>> {
    if words.len() <= 1 || words.len() > 4 {
        return vec![words.iter().map(ToString::to_string).collect()];
    }
    let gaps = words.len() - 1;
    (0..1u32 << gaps)
        .map(|joined| {
            let mut parts = vec![words[0].to_string()];
            for (i, w) in words[1..].iter().enumerate() {
                if joined & (1 << i) != 0 {
                    if let Some(last) = parts.last_mut() {
                        last.push_str(w);
                    }
                } else {
                    parts.push(w.to_string());
                }
            }
            parts
        })
        .collect()
}

/// The policy's facts about a person from a list's row (its `birth`, `met_path`,
/// `lives_path` and `consent` columns) and the holders and categories read beside it.
pub(super) fn access_from_row(
    r: &AnyRow,
    holders: Vec<uuid::Uuid>,
    categories: &[String],
    actor_agency_protects_children: bool,
    today: JalaliDate,
) -> StoreResult<PersonAccess> {
    let consent: String = r.try_get("consent")?;
    Ok(PersonAccess {
        holders,
        places: paths(r)?,
        consent: consent_of(&consent)?,
        child: is_child(parse_birth(r)?, categories, today),
        actor_agency_protects_children,
    })
}

/// The day 18 years before `today` (28 February for a 29 February with no match):
/// someone whose latest possible birth is after it may be a child.
fn eighteen_years_before(today: JalaliDate) -> time::Date {
    let day = today.to_gregorian();
    let year = day.year() - hamafza_core::people::CHILD_UNDER as i32;
    day.replace_year(year)
        .or_else(|_| time::Date::from_calendar_date(year, time::Month::February, 28))
        .unwrap_or(day)
}

/// The refusal for a decision: "not found" when the record is hidden.
pub(crate) fn refused(d: Decision) -> StoreResult<()> {
    match d {
        Decision::Allow => Ok(()),
        Decision::Deny(DenyReason::Hidden) => Err(StoreError::NotFound),
        Decision::Deny(r) => Err(StoreError::Forbidden(Refusal::Policy(r))),
    }
}

fn parse_birth(r: &AnyRow) -> StoreResult<Option<BirthSaid>> {
    let text: Option<String> = r.try_get("birth")?;
    text.map(|t| serde_json::from_str(&t).map_err(|e| StoreError::Corrupt(e.to_string())))
        .transpose()
}

fn quality(r: &AnyRow, column: &str) -> StoreResult<DataQuality> {
    let code: String = r.try_get(column)?;
    DataQuality::from_code(&code).ok_or_else(|| StoreError::Corrupt(format!("{column}: {code}")))
}

fn consent_of(code: &str) -> StoreResult<Consent> {
    Consent::from_code(code).ok_or_else(|| StoreError::Corrupt(format!("consent: {code}")))
}

/// A search that is a mobile number (digits in any script, with spaces or a leading
/// +), normalised; names and document numbers are not.
fn mobile_query(q: &str) -> Option<String> {
    let ascii: String = hamafza_core::digits::to_ascii(q)
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect();
    let digits = ascii.strip_prefix('+').unwrap_or(&ascii);
    if digits.len() >= 10 && digits.chars().all(|c| c.is_ascii_digit()) {
        mobile::normalise(&ascii).ok()
    } else {
        None
    }
}

/// Where the person was met and where they live.
fn paths(r: &AnyRow) -> StoreResult<Vec<String>> {
    let met: Option<String> = r.try_get("met_path")?;
    let lives: Option<String> = r.try_get("lives_path")?;
    Ok([met, lives].into_iter().flatten().collect())
}

fn split_list(s: &str) -> Vec<String> {
    s.split('|')
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

impl Store {
    /// Whether the agency is designated for child protection.
    pub async fn agency_protects_children(&self, agency: AgencyId) -> StoreResult<bool> {
        let v: Option<i64> =
            sqlx::query_scalar("SELECT protects_children FROM agencies WHERE id = $1")
                .bind(agency)
                .fetch_optional(&self.pool)
                .await?;
        Ok(v == Some(1))
    }

    /// Designates an agency for child protection (or ends it).
    pub async fn set_agency_protects_children(
        &self,
        who: &Who,
        agency: AgencyId,
        protects: bool,
    ) -> StoreResult<()> {
        self.set_flag(
            who,
            super::Flag::ProtectsChildren,
            &agency.to_string(),
            protects,
            serde_json::json!({ "protects_children": protects }),
        )
        .await
    }

    /// The facts about a person the access policy decides on (no names), for `actor`.
    pub async fn person_access(
        &self,
        actor: &Actor,
        id: PersonId,
        today: JalaliDate,
    ) -> StoreResult<PersonAccess> {
        let row =
            sqlx::query("SELECT met_path, lives_path, consent, birth FROM persons WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound)?;
        let holders: Vec<String> =
            sqlx::query_scalar("SELECT agency_id FROM person_holders WHERE person_id = $1")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        let categories: Vec<String> =
            sqlx::query_scalar("SELECT category FROM person_category_links WHERE person_id = $1")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        let places = paths(&row)?;
        let consent: String = row.try_get("consent")?;
        Ok(PersonAccess {
            holders: holders.iter().filter_map(|h| h.parse().ok()).collect(),
            places,
            consent: consent_of(&consent)?,
            child: is_child(parse_birth(&row)?, &categories, today),
            actor_agency_protects_children: self
                .agency_protects_children(actor.agency_id.into())
                .await?,
        })
    }

    /// A person in full, for a reader the policy lets read them; the read is appended to
    /// the audit chain with its purpose (and indexed for the person's access report) in
    /// the same transaction as it is taken. "Not found" for a record hidden from the
    /// reader; refused (`Forbidden`) for a record they may only locate.
    pub async fn read_person(
        &self,
        reader: &PersonReader<'_>,
        id: PersonId,
    ) -> StoreResult<Person> {
        let access = self.person_access(reader.actor, id, reader.today).await?;
        refused(access.decide(reader.actor, Action::ViewPerson))?;
        let mut w = self.write_tx().await?;
        let row = sqlx::query(
            "SELECT p.*, a.name_fa AS agency_name, u.display_name AS officer,
                    mp.name_fa AS met_name, lp.name_fa AS lives_name
             FROM persons p
             JOIN agencies a ON a.id = p.registered_by_agency
             LEFT JOIN users u ON u.id = p.registered_by
             LEFT JOIN places mp ON mp.id = p.met_place_id
             LEFT JOIN places lp ON lp.id = p.lives_place_id
             WHERE p.id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *w.tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let categories: Vec<String> = sqlx::query_scalar(
            "SELECT category FROM person_category_links WHERE person_id = $1 ORDER BY category",
        )
        .bind(id)
        .fetch_all(&mut *w.tx)
        .await?;
        let consents = sqlx::query(
            "SELECT c.consent, c.given_at, c.note, a.name_fa AS agency FROM person_consents c
             JOIN agencies a ON a.id = c.agency_id WHERE c.person_id = $1 ORDER BY c.given_at, c.id",
        )
        .bind(id)
        .fetch_all(&mut *w.tx)
        .await?
        .iter()
        .map(|r| {
            let code: String = r.try_get("consent")?;
            Ok(ConsentEntry {
                consent: consent_of(&code)?,
                given_at: r.try_get("given_at")?,
                agency: r.try_get("agency")?,
                note: r.try_get("note")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
        let encounters = sqlx::query(
            "SELECT e.id, e.occurred_at, e.category, e.note, pl.name_fa AS place, a.name_fa AS agency
             FROM encounters e JOIN agencies a ON a.id = e.agency_id
             LEFT JOIN places pl ON pl.id = e.place_id
             WHERE e.person_id = $1 ORDER BY e.occurred_at DESC, e.id",
        )
        .bind(id)
        .fetch_all(&mut *w.tx)
        .await?
        .iter()
        .map(|r| {
            Ok(EncounterEntry {
                id: r.try_get("id")?,
                occurred_at: r.try_get("occurred_at")?,
                category: r.try_get("category")?,
                place: r.try_get("place")?,
                agency: r.try_get("agency")?,
                note: r.try_get("note")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
        let cases = self.cases_of(&mut w.tx, id).await?;
        let mut person = person_from_row(&row, categories, consents, encounters, access.child)?;
        person.cases = cases;
        person.referrals = referrals_of(&mut w.tx, id).await?;
        person.services = services_of(&mut w.tx, id).await?;
        record_reads(&mut w, reader, "person.read", &[id]).await?;
        w.commit().await?;
        Ok(person)
    }

    /// That a person's record exists and whom to call, for a caller the policy lets
    /// locate it. Carries no name, so it is not a read of the person.
    pub async fn locate_person(
        &self,
        actor: &Actor,
        id: PersonId,
        today: JalaliDate,
    ) -> StoreResult<PersonStub> {
        let access = self.person_access(actor, id, today).await?;
        refused(access.decide(actor, Action::LocatePerson))?;
        let row = sqlx::query(
            "SELECT p.registered_at, p.registered_by_agency, a.name_fa AS agency_name, u.display_name AS officer
             FROM persons p JOIN agencies a ON a.id = p.registered_by_agency
             LEFT JOIN users u ON u.id = p.registered_by WHERE p.id = $1",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(PersonStub {
            id,
            child: access.child,
            agency: AgencyRef {
                id: row.try_get("registered_by_agency")?,
                name_fa: row.try_get("agency_name")?,
            },
            registered_by: row.try_get("officer")?,
            registered_at: row.try_get("registered_at")?,
        })
    }

    /// People the reader may locate, matching the query, newest first (ids are
    /// time-ordered), counted up to [`COUNT_BOUND`] + 1: each row in full
    /// when the policy lets the reader read the person, else without a name. The named
    /// rows are one audited read (`persons.list`, with the purpose), indexed for each
    /// person's access report.
    pub async fn find_people(
        &self,
        reader: &PersonReader<'_>,
        query: &PeopleQuery,
    ) -> StoreResult<(Vec<PersonCard>, i64)> {
        let mut binds = Vec::new();
        let mut conditions = vec![crate::scope_sql::people(
            &scope(reader.actor, Action::LocatePerson),
            &mut binds,
        )];
        if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            search_text_ok("q", q)?;
            if let Ok(id) = national_id::parse(q) {
                binds.push(id);
                conditions.push(format!("p.national_id = ${}", binds.len()));
            } else if let Some(m) = mobile_query(q) {
                binds.push(m);
                conditions.push(format!("p.mobile = ${}", binds.len()));
            } else {
                let doc = hamafza_core::digits::to_ascii(q).to_uppercase();
                let key = text::search_key(q);
                let words: Vec<&str> = key.split(' ').filter(|t| !t.is_empty()).collect();
                // «علی اکبر» is also «علی‌اکبر» (one name part, stored without spaces):
                // every way of joining neighbouring words is searched.
                let mut either = Vec::new();
                for joined in joinings(&words) {
                    let parts: Vec<&str> = joined.iter().map(String::as_str).collect();
                    either.push(self.name_condition(&parts, doc.clone(), &mut binds).await?);
                }
                conditions.push(format!("({})", either.join(" OR ")));
            }
        }
        if let Some(c) = query.category.as_deref().filter(|c| !c.is_empty()) {
            binds.push(c.to_string());
            conditions.push(format!(
                "EXISTS (SELECT 1 FROM person_category_links pc WHERE pc.person_id = p.id AND pc.category = ${})",
                binds.len()
            ));
        }
        if query.children_only {
            // The youngest the birth as said allows is under 18 (`is_child`), or no
            // birth was said and they were met as a working or street child.
            binds.push(iso_day(eighteen_years_before(reader.today)));
            conditions.push(format!(
                "((p.born_to IS NOT NULL AND p.born_to > ${}) OR (p.born_to IS NULL AND EXISTS
                   (SELECT 1 FROM person_category_links pc WHERE pc.person_id = p.id AND pc.category = 'street_child')))",
                binds.len()
            ));
        }
        let filter = conditions.join(" AND ");
        // Counted up to a bound: past it, "more than" is all a searcher needs, and a
        // common name over a million records is not counted to the last.
        let total: i64 = query_with(
            format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM persons p WHERE {filter} LIMIT {}) AS bounded",
                COUNT_BOUND + 1
            ),
            &binds,
        )
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?;
        let rows = query_with(
            format!(
                "SELECT p.id, p.given_name, p.family_name, p.father_name, p.birth, p.met_path, p.lives_path, p.consent,
                        p.registered_at, p.registered_by_agency, a.name_fa AS agency_name
                 FROM persons p JOIN agencies a ON a.id = p.registered_by_agency
                 WHERE {filter} ORDER BY p.id DESC LIMIT {} OFFSET {}",
                query.limit.clamp(1, 500),
                query.offset.max(0)
            ),
            &binds,
        )
        .fetch_all(&self.pool)
        .await?;
        let protects = self
            .agency_protects_children(reader.actor.agency_id.into())
            .await?;
        let ids = rows
            .iter()
            .map(|r| r.try_get::<PersonId, _>("id"))
            .collect::<Result<Vec<_>, _>>()?;
        let mut facts = self.holders_and_categories(&ids).await?;
        let mut cards = Vec::with_capacity(rows.len());
        let mut named = Vec::new();
        for r in &rows {
            let id: PersonId = r.try_get("id")?;
            let (holders, categories) = facts.remove(&id).unwrap_or_default();
            let birth = parse_birth(r)?;
            let access = access_from_row(r, holders, &categories, protects, reader.today)?;
            let in_full = access.decide(reader.actor, Action::ViewPerson).is_allowed();
            let given: Option<String> = r.try_get("given_name")?;
            let family: Option<String> = r.try_get("family_name")?;
            if in_full {
                named.push(id);
            }
            cards.push(PersonCard {
                id,
                name: in_full.then(|| display_name(given.as_deref(), family.as_deref())),
                father_name: if in_full {
                    r.try_get("father_name")?
                } else {
                    None
                },
                birth: if in_full {
                    birth.map(BirthSaid::text_fa)
                } else {
                    None
                },
                child: access.child,
                categories,
                agency: AgencyRef {
                    id: r.try_get("registered_by_agency")?,
                    name_fa: r.try_get("agency_name")?,
                },
                registered_at: r.try_get("registered_at")?,
            });
        }
        if !named.is_empty() {
            let mut w = self.write_tx().await?;
            record_reads(&mut w, reader, "persons.list", &named).await?;
            w.commit().await?;
        }
        Ok((cards, total))
    }

    /// The condition for a search by name (each word begins one of the person's
    /// name parts, in any order) or by a foreign document number (`doc`). Driven from
    /// the rarest word's index entries when there are few; when the words are common
    /// and so are people with all of them, the newest records are walked (a page of
    /// «علی»s is found at once, instead of a hundred thousand gathered first); common
    /// words with a rare combination are intersected.
    async fn name_condition(
        &self,
        words: &[&str],
        doc: String,
        binds: &mut Vec<String>,
    ) -> StoreResult<String> {
        let range = |w: &str| (w.to_string(), format!("{w}{}", char::MAX));
        let mut sizes = Vec::with_capacity(words.len());
        for w in words {
            let (from, to) = range(w);
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM (SELECT 1 FROM person_name_tokens WHERE token >= $1 AND token < $2 LIMIT 200001) AS probe",
            )
            .bind(from)
            .bind(to)
            .fetch_one(&self.pool)
            .await?;
            sizes.push(n);
        }
        let rarest = (0..words.len()).min_by_key(|i| sizes[*i]);
        let common = !sizes.is_empty() && self.combination_is_common(&sizes).await?;
        binds.push(doc);
        let doc = binds.len();
        let probe = |w: &str, binds: &mut Vec<String>| {
            let (from, to) = range(w);
            binds.push(from);
            binds.push(to);
            format!(
                "EXISTS (SELECT 1 FROM person_name_tokens t WHERE t.person_id = p.id AND t.token >= ${} AND t.token < ${})",
                binds.len() - 1,
                binds.len()
            )
        };
        Ok(match rarest {
            None => format!("p.foreign_document = ${doc}"),
            Some(r) if sizes[r] <= FEW_ENOUGH => {
                let (from, to) = range(words[r]);
                binds.push(from);
                binds.push(to);
                let driver = format!(
                    "p.id IN (SELECT person_id FROM person_name_tokens WHERE token >= ${} AND token < ${} UNION SELECT id FROM persons WHERE foreign_document = ${doc})",
                    binds.len() - 1,
                    binds.len()
                );
                let others: Vec<String> = (0..words.len())
                    .filter(|i| *i != r)
                    .map(|i| probe(words[i], binds))
                    .collect();
                if others.is_empty() {
                    driver
                } else {
                    format!(
                        "{driver} AND (p.foreign_document = ${doc} OR ({}))",
                        others.join(" AND ")
                    )
                }
            }
            // Common words whose combination is common too (each word's share of the
            // records multiplied): walking the newest records finds a page and the
            // bounded count after a small part of them.
            Some(_) if common => {
                let all: Vec<String> = words.iter().map(|w| probe(w, binds)).collect();
                format!("(p.foreign_document = ${doc} OR ({}))", all.join(" AND "))
            }
            // Several common words whose combination may be rare: the intersection of
            // their entries, gathered once.
            Some(_) => {
                let sets: Vec<String> = words
                    .iter()
                    .map(|w| {
                        let (from, to) = range(w);
                        binds.push(from);
                        binds.push(to);
                        format!(
                            "SELECT person_id FROM person_name_tokens WHERE token >= ${} AND token < ${}",
                            binds.len() - 1,
                            binds.len()
                        )
                    })
                    .collect();
                format!(
                    "p.id IN (SELECT person_id FROM ({}) AS named UNION SELECT id FROM persons WHERE foreign_document = ${doc})",
                    sets.join(" INTERSECT ")
                )
            }
        })
    }

    /// Whether people matching every word, by the words' counts, are common enough
    /// that the bounded count is reached within a tenth of the records walked.
    async fn combination_is_common(&self, sizes: &[i64]) -> StoreResult<bool> {
        let people = self.people_estimate().await?.max(1) as f64;
        let share: f64 = sizes.iter().map(|n| *n as f64 / people).product();
        Ok(share * people * 0.1 >= (COUNT_BOUND + 1) as f64)
    }

    /// The agencies holding each of these people and their categories (sorted), in two
    /// queries whatever the number of people (a page of a list).
    pub(super) async fn holders_and_categories(
        &self,
        ids: &[PersonId],
    ) -> StoreResult<HashMap<PersonId, (Vec<uuid::Uuid>, Vec<String>)>> {
        let mut out: HashMap<PersonId, (Vec<uuid::Uuid>, Vec<String>)> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut binds = Vec::new();
        let list = crate::atlas::placeholders(&mut binds, ids.iter().map(ToString::to_string));
        let holders = query_with(
            format!("SELECT person_id, agency_id FROM person_holders WHERE person_id IN ({list})"),
            &binds,
        )
        .fetch_all(&self.pool)
        .await?;
        for r in &holders {
            let agency: String = r.try_get("agency_id")?;
            if let Ok(a) = agency.parse() {
                out.entry(r.try_get("person_id")?).or_default().0.push(a);
            }
        }
        let categories = query_with(
            format!(
                "SELECT person_id, category FROM person_category_links WHERE person_id IN ({list}) ORDER BY category"
            ),
            &binds,
        )
        .fetch_all(&self.pool)
        .await?;
        for r in &categories {
            out.entry(r.try_get("person_id")?)
                .or_default()
                .1
                .push(r.try_get("category")?);
        }
        Ok(out)
    }

    /// Who read a person's record, when and why, oldest first. The caller decides with
    /// `ViewPersonAccessReport` first; the report itself is a read and is audited.
    pub async fn person_access_report(
        &self,
        reader: &PersonReader<'_>,
        id: PersonId,
    ) -> StoreResult<Vec<ReadEntry>> {
        let access = self.person_access(reader.actor, id, reader.today).await?;
        refused(access.decide(reader.actor, Action::ViewPersonAccessReport))?;
        let mut w = self.write_tx().await?;
        record_reads(&mut w, reader, "person.access_report", &[id]).await?;
        let rows = sqlx::query(
            "SELECT l.seq, l.at, l.action, l.summary, u.display_name AS user_name, a.name_fa AS agency_name
             FROM person_reads r JOIN audit_log l ON l.seq = r.seq
             LEFT JOIN users u ON u.id = l.actor_user_id
             LEFT JOIN agencies a ON a.id = l.actor_agency_id
             WHERE r.person_id = $1 ORDER BY l.seq",
        )
        .bind(id)
        .fetch_all(&mut *w.tx)
        .await?;
        w.commit().await?;
        rows.iter()
            .map(|r| {
                let summary: String = r.try_get("summary")?;
                let purpose = serde_json::from_str::<serde_json::Value>(&summary)
                    .ok()
                    .and_then(|v| serde_json::from_value(v["purpose"].clone()).ok());
                Ok(ReadEntry {
                    seq: r.try_get("seq")?,
                    at: r.try_get("at")?,
                    user: r.try_get("user_name")?,
                    agency: r.try_get("agency_name")?,
                    action: r.try_get("action")?,
                    purpose,
                })
            })
            .collect()
    }

    /// The purpose a browser session gave for a subject (a person's id, `people` for
    /// the list of names), if it gave one.
    pub async fn session_purpose(
        &self,
        session_key: &str,
        subject: &str,
    ) -> StoreResult<Option<Purpose>> {
        let text: Option<String> = sqlx::query_scalar(
            "SELECT purpose FROM read_purposes WHERE session_key = $1 AND subject = $2",
        )
        .bind(session_key)
        .bind(subject)
        .fetch_optional(&self.pool)
        .await?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// Keeps the purpose a session gave for a subject, for the rest of the session.
    pub async fn set_session_purpose(
        &self,
        session_key: &str,
        subject: &str,
        purpose: &Purpose,
    ) -> StoreResult<()> {
        if subject.len() > 80 {
            return Err(StoreError::invalid("subject", Rule::TooLong { max: 80 }));
        }
        let text =
            serde_json::to_string(purpose).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM read_purposes WHERE session_key = $1 AND subject = $2")
            .bind(session_key)
            .bind(subject)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO read_purposes (session_key, subject, purpose, at) VALUES ($1, $2, $3, $4)",
        )
        .bind(session_key)
        .bind(subject)
        .bind(text)
        .bind(crate::now_text())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The categories people are registered under.
    pub async fn person_categories(&self) -> StoreResult<Vec<super::PersonCategory>> {
        let rows = sqlx::query(
            "SELECT code, name_fa FROM person_categories WHERE active = 1 ORDER BY position, code",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(super::PersonCategory {
                    code: r.try_get("code")?,
                    name_fa: r.try_get("name_fa")?,
                })
            })
            .collect()
    }
}

/// One audit entry for a read of these people (its purpose in the summary, never a
/// name), and a row per person for their access reports.
pub(crate) async fn record_reads(
    w: &mut crate::audit::WriteTx,
    reader: &PersonReader<'_>,
    action: &str,
    ids: &[PersonId],
) -> StoreResult<()> {
    // The command line's operator (nil ids) is audited as the system.
    let who = if reader.actor.user_id.is_nil() {
        Who::system()
    } else {
        Who::of(reader.actor)
    };
    let record_id = if ids.len() == 1 {
        ids[0].to_string()
    } else {
        String::new()
    };
    w.audit(
        &who,
        action,
        "person",
        &record_id,
        serde_json::json!({ "purpose": reader.purpose, "people": ids.len() }),
    )
    .await?;
    let seq: i64 = sqlx::query_scalar("SELECT seq FROM audit_head WHERE id = 1")
        .fetch_one(&mut *w.tx)
        .await?;
    // One statement per 200 people: a page of a list is one round trip, not one per row.
    for chunk in ids.chunks(200) {
        let values: Vec<String> = (1..=chunk.len())
            .map(|k| format!("(${k}, {seq})"))
            .collect();
        let sql = format!(
            "INSERT INTO person_reads (person_id, seq) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut *w.tx).await?;
    }
    Ok(())
}

fn person_from_row(
    r: &AnyRow,
    categories: Vec<String>,
    consents: Vec<ConsentEntry>,
    encounters: Vec<EncounterEntry>,
    child: bool,
) -> StoreResult<Person> {
    let text_field = |value: &str, q: &str| -> StoreResult<Field<String>> {
        Ok(Field {
            value: r.try_get(value)?,
            quality: quality(r, q)?,
        })
    };
    let sex: Option<String> = r.try_get("sex")?;
    let nationality: Option<String> = r.try_get("nationality")?;
    let consent: String = r.try_get("consent")?;
    let languages: String = r.try_get("languages")?;
    let met_place: Option<hamafza_core::ids::PlaceId> = r.try_get("met_place_id")?;
    let lives_place: Option<hamafza_core::ids::PlaceId> = r.try_get("lives_place_id")?;
    let guardian_name: Option<String> = r.try_get("guardian_name")?;
    let guardian = guardian_name.map(|name| -> StoreResult<Guardian> {
        Ok(Guardian {
            name,
            relation: r.try_get("guardian_relation")?,
            mobile: r.try_get("guardian_mobile")?,
        })
    });
    let guardian = guardian.transpose()?;
    Ok(Person {
        id: r.try_get("id")?,
        given_name: text_field("given_name", "given_name_q")?,
        family_name: text_field("family_name", "family_name_q")?,
        father_name: text_field("father_name", "father_name_q")?,
        sex: Field {
            value: sex.as_deref().and_then(Sex::from_code),
            quality: quality(r, "sex_q")?,
        },
        birth: Field {
            value: parse_birth(r)?,
            quality: quality(r, "birth_q")?,
        },
        nationality: Field {
            value: nationality.as_deref().and_then(Nationality::from_code),
            quality: quality(r, "nationality_q")?,
        },
        national_id: r.try_get("national_id")?,
        foreign_document: r.try_get("foreign_document")?,
        identifier_quality: quality(r, "identifier_q")?,
        mobile: text_field("mobile", "mobile_q")?,
        met_place: match met_place {
            Some(id) => Some(PlaceRef {
                id,
                name_fa: r
                    .try_get::<Option<String>, _>("met_name")?
                    .unwrap_or_default(),
            }),
            None => None,
        },
        lives_place: match lives_place {
            Some(id) => Some(PlaceRef {
                id,
                name_fa: r
                    .try_get::<Option<String>, _>("lives_name")?
                    .unwrap_or_default(),
            }),
            None => None,
        },
        categories,
        languages: split_list(&languages),
        consent: consent_of(&consent)?,
        child,
        guardian,
        registered_by_agency: AgencyRef {
            id: r.try_get("registered_by_agency")?,
            name_fa: r.try_get("agency_name")?,
        },
        registered_by: r.try_get("officer")?,
        registered_at: r.try_get("registered_at")?,
        consents,
        encounters,
        cases: Vec::new(),
        referrals: Vec::new(),
        services: Vec::new(),
    })
}

/// Every referral of a person, from any agency to any, newest first (the person's
/// timeline: whoever reads the person sees where they were sent).
async fn referrals_of(
    tx: &mut sqlx::AnyConnection,
    person: PersonId,
) -> StoreResult<Vec<super::ReferralEntry>> {
    sqlx::query(
        "SELECT r.id, r.created_at, r.category, r.state, fa.name_fa AS from_name, ta.name_fa AS to_name
         FROM referrals r JOIN agencies fa ON fa.id = r.from_agency JOIN agencies ta ON ta.id = r.to_agency
         WHERE r.person_id = $1 ORDER BY r.created_at DESC, r.id",
    )
    .bind(person)
    .fetch_all(tx)
    .await?
    .iter()
    .map(|r| {
        let state: String = r.try_get("state")?;
        Ok(super::ReferralEntry {
            id: r.try_get("id")?,
            created_at: r.try_get("created_at")?,
            category: r.try_get("category")?,
            state: hamafza_core::people::ReferralState::from_code(&state)
                .ok_or_else(|| StoreError::Corrupt(format!("referral state {state}")))?,
            from_agency: r.try_get("from_name")?,
            to_agency: r.try_get("to_name")?,
        })
    })
    .collect()
}

/// Every service a person received in any agency's case, newest first.
async fn services_of(
    tx: &mut sqlx::AnyConnection,
    person: PersonId,
) -> StoreResult<Vec<super::ServiceEntry>> {
    sqlx::query(
        "SELECT e.case_id, e.at, e.service, e.given_on, e.outcome, ca.name_fa AS case_agency, pa.name_fa AS provider
         FROM case_entries e JOIN cases c ON c.id = e.case_id JOIN agencies ca ON ca.id = c.agency_id
         LEFT JOIN agencies pa ON pa.id = e.provider_agency_id
         WHERE c.person_id = $1 AND e.kind = 'service' ORDER BY e.at DESC, e.id",
    )
    .bind(person)
    .fetch_all(tx)
    .await?
    .iter()
    .map(|r| {
        Ok(super::ServiceEntry {
            case_id: r.try_get("case_id")?,
            at: r.try_get("at")?,
            service: r.try_get::<Option<String>, _>("service")?.unwrap_or_default(),
            given_on: r.try_get("given_on")?,
            outcome: r.try_get("outcome")?,
            agency: r.try_get("case_agency")?,
            provider: r.try_get("provider")?,
        })
    })
    .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_way_of_joining_neighbouring_words() {
        let j = super::joinings(&["علی", "اکبر", "رضایی"]);
        assert_eq!(j.len(), 4);
        assert!(j.contains(&vec!["علیاکبر".to_string(), "رضایی".to_string()]));
        assert!(j.contains(&vec![
            "علی".to_string(),
            "اکبر".to_string(),
            "رضایی".to_string()
        ]));
        assert_eq!(super::joinings(&["علی"]), vec![vec!["علی".to_string()]]);
    }
}
