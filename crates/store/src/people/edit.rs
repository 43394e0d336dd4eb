//! Correcting a person's record: a misspelt name, a birth year remembered, a national
//! id found, a guardian named. Checked as a registration is; by an agency that holds
//! the record; audited with the names of the fields changed, never their values.

use hamafza_core::access::{Action, Actor};
use hamafza_core::ids::PersonId;
use hamafza_core::jalali::JalaliDate;
use hamafza_core::people::{BirthSaid, ConsentUse};
use sqlx::Row;

use super::NewPerson;
use super::read::refused;
use super::register::{Lookups, check, identity_columns};
use crate::{Rule, Store, StoreError, StoreResult, Who};

impl Store {
    /// Replaces the person's identifying fields, categories, languages, place of
    /// living and guardian with `new` (checked as at registration); returns the names
    /// of the fields that changed. A record whose person withdrew consent (or that
    /// retention unnamed) takes no names again.
    pub async fn edit_person(
        &self,
        actor: &Actor,
        id: PersonId,
        new: &NewPerson,
        today: JalaliDate,
    ) -> StoreResult<Vec<&'static str>> {
        let access = self.person_access(actor, id, today).await?;
        refused(access.decide(actor, Action::EditPerson))?;
        if !access.consent.allows(ConsentUse::KeepNamed) {
            return Err(StoreError::invalid("consent", Rule::NotExpected));
        }
        let old = sqlx::query("SELECT * FROM persons WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        let mut checked = check(new, None, today)?;
        // "About 30" said again keeps the day it was first said, so the range stays.
        if let (Some(BirthSaid::About { years, .. }), Some(before)) = (
            checked.birth.value,
            old.try_get::<Option<String>, _>("birth")?
                .and_then(|b| serde_json::from_str::<BirthSaid>(&b).ok()),
        ) && matches!(before, BirthSaid::About { years: y, .. } if y == years)
        {
            checked.birth.value = Some(before);
        }
        let mut lookups = Lookups::default();
        self.check_categories(&checked.categories, &mut lookups)
            .await?;
        let lives = match new.lives_place {
            Some(place) => Some(
                self.place_for_registry("lives_place", place, &mut lookups)
                    .await?,
            ),
            None => None,
        };
        if let Some(nid) = &checked.national_id {
            let taken: Option<String> =
                sqlx::query_scalar("SELECT id FROM persons WHERE national_id = $1 AND id <> $2")
                    .bind(nid)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
            if taken.is_some() {
                return Err(StoreError::Conflict {
                    field: "national_id",
                    value: nid.clone(),
                });
            }
        }
        let row = identity_columns(&checked, lives.as_ref());
        let mut changed: Vec<&'static str> = row
            .iter()
            .filter(|(column, value)| {
                old.try_get::<Option<String>, _>(*column).ok().flatten() != *value
            })
            .map(|(column, _)| *column)
            .collect();
        let categories_before: Vec<String> = sqlx::query_scalar(
            "SELECT category FROM person_category_links WHERE person_id = $1 ORDER BY category",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let mut categories_now = checked.categories.clone();
        categories_now.sort();
        if categories_now != categories_before {
            changed.push("categories");
        }
        if changed.is_empty() {
            return Ok(changed);
        }
        let mut w = self.write_tx().await?;
        let sets: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, (column, _))| format!("{column} = ${}", i + 1))
            .collect();
        let sql = format!(
            "UPDATE persons SET {} WHERE id = ${}",
            sets.join(", "),
            row.len() + 1
        );
        let mut update = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (_, value) in &row {
            update = update.bind(value.clone());
        }
        update.bind(id).execute(&mut *w.tx).await?;
        if changed.contains(&"name_key") {
            sqlx::query("DELETE FROM person_name_tokens WHERE person_id = $1")
                .bind(id)
                .execute(&mut *w.tx)
                .await?;
            let key = row
                .iter()
                .find(|(c, _)| *c == "name_key")
                .and_then(|(_, v)| v.clone())
                .unwrap_or_default();
            for t in super::name_tokens(&key) {
                sqlx::query("INSERT INTO person_name_tokens (token, person_id) VALUES ($1, $2)")
                    .bind(t)
                    .bind(id)
                    .execute(&mut *w.tx)
                    .await?;
            }
        }
        if changed.contains(&"categories") {
            sqlx::query("DELETE FROM person_category_links WHERE person_id = $1")
                .bind(id)
                .execute(&mut *w.tx)
                .await?;
            for c in &checked.categories {
                sqlx::query(
                    "INSERT INTO person_category_links (person_id, category) VALUES ($1, $2)",
                )
                .bind(id)
                .bind(c)
                .execute(&mut *w.tx)
                .await?;
            }
        }
        // The fields' names only: the values are the person's.
        w.audit(
            &Who::of(actor),
            "person.edit",
            "person",
            &id,
            serde_json::json!({ "changed": changed }),
        )
        .await?;
        w.commit().await?;
        self.linkage_refresh(&[id]).await?;
        Ok(changed)
    }
}
