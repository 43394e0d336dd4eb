//! Links between records of one person: made at registration, by a review decision
//! or automatically by a run; undone by a supervisor; each audited with who and why.

use std::collections::{BTreeSet, HashSet};

use hamafza_core::access::{Action, Actor};
use hamafza_core::ids::{LinkId, PersonId};
use serde::Serialize;
use sqlx::Row;

use super::Side;
use crate::audit::WriteTx;
use crate::people::refused;
use crate::{Rule, Store, StoreError, StoreResult, Who, now_text};

/// Longest reason kept.
pub const REASON_MAX: usize = 500;

/// One live link, as the person's page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct LinkRow {
    pub id: LinkId,
    pub a: PersonId,
    pub b: PersonId,
    pub source: String,
    pub probability: Option<f64>,
    pub reason: String,
    pub linked_at: String,
    pub linked_by: Option<String>,
}

/// The records of one person reached through live links (the record asked about
/// first), and the links themselves.
#[derive(Debug, Clone, Serialize)]
pub struct LinkedGroup {
    pub members: Vec<Side>,
    pub links: Vec<LinkRow>,
}

/// A reason: required, trimmed, at most [`REASON_MAX`] characters.
pub(super) fn reason_of(text: &str) -> StoreResult<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(StoreError::invalid("reason", Rule::Required));
    }
    if t.chars().count() > REASON_MAX {
        return Err(StoreError::invalid(
            "reason",
            Rule::TooLong { max: REASON_MAX },
        ));
    }
    Ok(t.to_string())
}

fn ordered(a: PersonId, b: PersonId) -> (PersonId, PersonId) {
    if a.to_string() <= b.to_string() {
        (a, b)
    } else {
        (b, a)
    }
}

/// Adds a live link (nothing if there is one already), audited.
pub(super) async fn add_link(
    w: &mut WriteTx,
    who: &Who,
    a: PersonId,
    b: PersonId,
    source: &str,
    probability: Option<f64>,
    reason: &str,
) -> StoreResult<Option<LinkId>> {
    let (a, b) = ordered(a, b);
    if a == b {
        return Err(StoreError::invalid(
            "person_id",
            Rule::Repeated(a.to_string()),
        ));
    }
    let exists: Option<String> = sqlx::query_scalar(
        "SELECT id FROM person_links WHERE person_a = $1 AND person_b = $2 AND unlinked_at IS NULL",
    )
    .bind(a)
    .bind(b)
    .fetch_optional(&mut *w.tx)
    .await?;
    if exists.is_some() {
        return Ok(None);
    }
    let id = LinkId::new();
    sqlx::query(
        "INSERT INTO person_links (id, person_a, person_b, source, probability, reason, linked_at, linked_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(a)
    .bind(b)
    .bind(source)
    .bind(probability)
    .bind(reason)
    .bind(now_text())
    .bind(who.user_id.map(|u| u.to_string()))
    .execute(&mut *w.tx)
    .await?;
    w.audit(
        who,
        "person.link",
        "person_link",
        &id,
        serde_json::json!({"a": a, "b": b, "source": source, "probability": probability, "reason": reason}),
    )
    .await?;
    Ok(Some(id))
}

impl Store {
    /// Links a record just registered to a likely match the officer may locate.
    pub async fn link_at_registration(
        &self,
        actor: &Actor,
        new: PersonId,
        existing: PersonId,
        probability: Option<f64>,
        reason: &str,
        today: hamafza_core::jalali::JalaliDate,
    ) -> StoreResult<LinkId> {
        let reason = reason_of(reason)?;
        let mine = self.person_access(actor, new, today).await?;
        refused(mine.decide(actor, Action::EditPerson))?;
        let theirs = self.person_access(actor, existing, today).await?;
        refused(theirs.decide(actor, Action::LinkAtRegistration))?;
        let mut w = self.write_tx().await?;
        let id = add_link(
            &mut w,
            &Who::of(actor),
            new,
            existing,
            "registration",
            probability,
            &reason,
        )
        .await?;
        w.commit().await?;
        id.ok_or(StoreError::Conflict {
            field: "link_exists",
            value: String::new(),
        })
    }

    /// Undoes a live link: a supervisor whose jurisdiction covers both records, with a
    /// reason. A link already undone is refused with that reason. The pair is then
    /// remembered as two people, so a run does not bring it back.
    pub async fn unlink(
        &self,
        actor: &Actor,
        id: LinkId,
        reason: &str,
        today: hamafza_core::jalali::JalaliDate,
    ) -> StoreResult<()> {
        let reason = reason_of(reason)?;
        let row = sqlx::query(
            "SELECT person_a, person_b, probability, unlinked_at FROM person_links WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let (a, b): (PersonId, PersonId) = (row.try_get("person_a")?, row.try_get("person_b")?);
        for p in [a, b] {
            let access = self.person_access(actor, p, today).await?;
            refused(access.decide(actor, Action::ReviewMatches))?;
        }
        if row.try_get::<Option<String>, _>("unlinked_at")?.is_some() {
            return Err(undone_already());
        }
        let who = Who::of(actor);
        let mut w = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE person_links SET unlinked_at = $1, unlinked_by = $2, unlink_reason = $3
             WHERE id = $4 AND unlinked_at IS NULL",
        )
        .bind(now_text())
        .bind(actor.user_id.to_string())
        .bind(&reason)
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(undone_already());
        }
        let remembered = sqlx::query(
            "UPDATE match_pairs SET state = 'different', decided_by = $1, decided_at = $2, reason = $3
             WHERE person_a = $4 AND person_b = $5",
        )
        .bind(actor.user_id.to_string())
        .bind(now_text())
        .bind(&reason)
        .bind(a)
        .bind(b)
        .execute(&mut *w.tx)
        .await?;
        if remembered.rows_affected() == 0 {
            // A link made at registration has no pair yet: remember it as two people.
            sqlx::query(
                "INSERT INTO match_pairs (id, person_a, person_b, source, probability, found_at, state, decided_by, decided_at, reason)
                 VALUES ($1, $2, $3, 'names', $4, $5, 'different', $6, $5, $7)",
            )
            .bind(hamafza_core::ids::MatchPairId::new())
            .bind(a)
            .bind(b)
            .bind(row.try_get::<Option<f64>, _>("probability")?.unwrap_or(0.0))
            .bind(now_text())
            .bind(actor.user_id.to_string())
            .bind(&reason)
            .execute(&mut *w.tx)
            .await?;
        }
        w.audit(
            &who,
            "person.unlink",
            "person_link",
            &id,
            serde_json::json!({"a": a, "b": b, "reason": reason}),
        )
        .await?;
        w.commit().await?;
        Ok(())
    }

    /// The records one person has through live links, as far as the caller may locate
    /// them (the others are left out, not named), with the links between them.
    pub async fn linked_group(
        &self,
        actor: &Actor,
        person: PersonId,
        today: hamafza_core::jalali::JalaliDate,
    ) -> StoreResult<LinkedGroup> {
        let start = self.person_access(actor, person, today).await?;
        refused(start.decide(actor, Action::LocatePerson))?;
        let mut members = vec![person];
        let mut seen: HashSet<PersonId> = members.iter().copied().collect();
        let mut links = Vec::new();
        let mut link_ids = BTreeSet::new();
        let mut next = 0;
        while next < members.len() && members.len() <= 100 {
            let p = members[next];
            next += 1;
            let rows = sqlx::query(
                "SELECT l.id, l.person_a, l.person_b, l.source, l.probability, l.reason, l.linked_at,
                        u.display_name AS linked_by
                 FROM person_links l LEFT JOIN users u ON u.id = l.linked_by
                 WHERE (l.person_a = $1 OR l.person_b = $1) AND l.unlinked_at IS NULL",
            )
            .bind(p)
            .fetch_all(&self.pool)
            .await?;
            for r in &rows {
                let row = LinkRow {
                    id: r.try_get("id")?,
                    a: r.try_get("person_a")?,
                    b: r.try_get("person_b")?,
                    source: r.try_get("source")?,
                    probability: r.try_get("probability")?,
                    reason: r.try_get("reason")?,
                    linked_at: r.try_get("linked_at")?,
                    linked_by: r.try_get("linked_by")?,
                };
                for other in [row.a, row.b] {
                    if seen.insert(other) {
                        members.push(other);
                    }
                }
                if link_ids.insert(row.id) {
                    links.push(row);
                }
            }
        }
        let mut visible = Vec::new();
        for p in members {
            match self.person_access(actor, p, today).await {
                Ok(a) if a.decide(actor, Action::LocatePerson).is_allowed() => visible.push(p),
                Ok(_) | Err(StoreError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        let shown: HashSet<PersonId> = visible.iter().copied().collect();
        links.retain(|l| shown.contains(&l.a) && shown.contains(&l.b));
        Ok(LinkedGroup {
            members: self.sides(&visible).await?,
            links,
        })
    }

    /// Which agency registered each record and where it was met.
    pub(super) async fn sides(&self, ids: &[PersonId]) -> StoreResult<Vec<super::Side>> {
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            let r = sqlx::query(
                "SELECT a.name_fa AS agency, pl.name_fa AS place FROM persons p
                 JOIN agencies a ON a.id = p.registered_by_agency
                 LEFT JOIN places pl ON pl.id = COALESCE(p.lives_place_id, p.met_place_id)
                 WHERE p.id = $1",
            )
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
            out.push(super::Side {
                person_id: id,
                agency: r.try_get("agency")?,
                place: r.try_get("place")?,
            });
        }
        Ok(out)
    }
}

/// A link undone twice: refused, saying so.
fn undone_already() -> StoreError {
    StoreError::Conflict {
        field: "link_undone",
        value: String::new(),
    }
}
