//! The registry's rows for a research export, before they are made anonymous (by
//! `hamafza_core::people::research`): the person's id (only to make the keyed
//! pseudonym), birth, sex, the district they were met in, categories, month registered
//! and consent. Names, identifiers, mobiles and notes are never read here.

use hamafza_core::access::Scope;
use hamafza_core::ids::PersonId;
use hamafza_core::people::BirthSaid;
use sqlx::Row;

use crate::{Store, StoreResult, query_with};

#[derive(Debug, Clone)]
pub struct ResearchRow {
    pub id: PersonId,
    pub birth: Option<BirthSaid>,
    pub sex: Option<String>,
    /// The district the person was met in (its code), if any.
    pub district: Option<String>,
    pub categories: Vec<String>,
    pub registered_at: String,
    pub consent: String,
}

impl Store {
    /// Every person, for a research export made at the command line (`scope` is a
    /// system job's; a person-level export never serves a request).
    pub async fn research_rows(&self, scope: &Scope) -> StoreResult<Vec<ResearchRow>> {
        let mut binds = Vec::new();
        let filter = crate::scope_sql::people(scope, &mut binds);
        let rows = query_with(
            format!(
                "SELECT p.id, p.birth, p.sex, p.registered_at, p.consent,
                        (SELECT d.code FROM places d WHERE d.level = 'district' AND p.met_path LIKE d.path || '%' LIMIT 1) AS district
                 FROM persons p WHERE {filter} ORDER BY p.id"
            ),
            &binds,
        )
        .fetch_all(&self.pool)
        .await?;
        // Every person's categories in one read, not one per person.
        let mut categories: std::collections::HashMap<PersonId, Vec<String>> =
            std::collections::HashMap::new();
        for r in sqlx::query(
            "SELECT person_id, category FROM person_category_links ORDER BY person_id, category",
        )
        .fetch_all(&self.pool)
        .await?
        {
            categories
                .entry(r.try_get("person_id")?)
                .or_default()
                .push(r.try_get("category")?);
        }
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: PersonId = r.try_get("id")?;
            let birth: Option<String> = r.try_get("birth")?;
            out.push(ResearchRow {
                id,
                birth: birth.and_then(|b| serde_json::from_str(&b).ok()),
                sex: r.try_get("sex")?,
                district: r.try_get("district")?,
                categories: categories.remove(&id).unwrap_or_default(),
                registered_at: r.try_get("registered_at")?,
                consent: r.try_get("consent")?,
            });
        }
        Ok(out)
    }
}
