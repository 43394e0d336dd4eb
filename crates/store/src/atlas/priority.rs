//! Saved priority indices: named, versioned weight sets and method settings.

use hamafza_core::access::Scope;
use hamafza_core::priority::Standardise;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::{Form, Rule, Store, StoreError, StoreResult, Who, new_id, now_text};

/// What each place is standardised against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reference {
    /// The places being ranked: the children of the chosen place.
    Siblings,
    /// Every place of the same level in the same province.
    Province,
    /// Every place of the same level in the country.
    Country,
}

impl Reference {
    pub fn code(self) -> &'static str {
        match self {
            Reference::Siblings => "siblings",
            Reference::Province => "province",
            Reference::Country => "country",
        }
    }

    pub fn from_code(code: &str) -> Option<Reference> {
        match code {
            "siblings" => Some(Reference::Siblings),
            "province" => Some(Reference::Province),
            "country" => Some(Reference::Country),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightedIndicator {
    pub indicator: String,
    pub weight: f64,
}

/// A saved index (one version).
#[derive(Debug, Clone, Serialize)]
pub struct PriorityIndex {
    pub id: String,
    pub code: String,
    pub version: i64,
    pub name_fa: String,
    pub reference: Reference,
    pub standardise: Standardise,
    pub min_population: i64,
    pub shrink: bool,
    pub items: Vec<WeightedIndicator>,
    pub note_fa: Option<String>,
    pub created_at: String,
}

/// An index to save: a new one or the next version of a code.
#[derive(Debug, Clone)]
pub struct NewPriorityIndex {
    pub code: String,
    pub name_fa: String,
    pub reference: Reference,
    pub standardise: Standardise,
    pub min_population: i64,
    pub shrink: bool,
    pub items: Vec<WeightedIndicator>,
    pub note_fa: Option<String>,
}

const COLUMNS: &str = "id, code, version, name_fa, reference, standardise, min_population, shrink, items, note_fa, created_at";

fn from_row(r: &sqlx::any::AnyRow) -> StoreResult<PriorityIndex> {
    let reference: String = r.try_get("reference")?;
    let standardise: String = r.try_get("standardise")?;
    let items: String = r.try_get("items")?;
    Ok(PriorityIndex {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        version: r.try_get("version")?,
        name_fa: r.try_get("name_fa")?,
        reference: Reference::from_code(&reference)
            .ok_or_else(|| StoreError::Corrupt(format!("reference `{reference}`")))?,
        standardise: Standardise::from_code(&standardise)
            .ok_or_else(|| StoreError::Corrupt(format!("standardise `{standardise}`")))?,
        min_population: r.try_get("min_population")?,
        shrink: r.try_get::<i64, _>("shrink")? != 0,
        items: serde_json::from_str(&items)
            .map_err(|e| StoreError::Corrupt(format!("index items: {e}")))?,
        note_fa: r.try_get("note_fa")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Store {
    /// The latest version of every saved index.
    /// `scope` comes from `ViewAtlas`.
    pub async fn priority_indices(&self, scope: &Scope) -> StoreResult<Vec<PriorityIndex>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM priority_indices i
             WHERE version = (SELECT MAX(version) FROM priority_indices j WHERE j.code = i.code)
               AND {}
             ORDER BY code",
            crate::scope_sql::shared(scope)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// One version of an index (the latest when `version` is `None`).
    pub async fn priority_index(
        &self,
        code: &str,
        version: Option<i64>,
    ) -> StoreResult<Option<PriorityIndex>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM priority_indices WHERE code = $1 AND ($2 < 0 OR version = $2)
             ORDER BY version DESC LIMIT 1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(code)
            .bind(version.unwrap_or(-1))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Saves the next version of an index; every indicator must exist, weights be positive.
    pub async fn save_priority_index(
        &self,
        who: &Who,
        new: &NewPriorityIndex,
    ) -> StoreResult<PriorityIndex> {
        let code = new.code.trim();
        if code.is_empty()
            || !code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(StoreError::invalid(
                "code",
                Rule::Malformed(Form::SnakeCode),
            ));
        }
        if new.name_fa.trim().is_empty() {
            return Err(StoreError::invalid("name_fa", Rule::Required));
        }
        if new.items.is_empty() {
            return Err(StoreError::invalid("items", Rule::Required));
        }
        for (i, item) in new.items.iter().enumerate() {
            let at = |field, rule| {
                StoreError::invalid(
                    field,
                    Rule::Item {
                        position: i + 1,
                        rule: Box::new(rule),
                    },
                )
            };
            if !(item.weight.is_finite() && item.weight > 0.0) {
                return Err(at("weight", Rule::Positive));
            }
            if self.indicator(&item.indicator).await?.is_none() {
                return Err(at("items", Rule::Unknown(item.indicator.clone())));
            }
        }
        let mut tx = self.write_tx().await?;
        let version: i64 = sqlx::query_scalar::<_, Option<i64>>(
            "SELECT MAX(version) FROM priority_indices WHERE code = $1",
        )
        .bind(code)
        .fetch_one(&mut *tx.tx)
        .await?
        .unwrap_or(0)
            + 1;
        let id = new_id();
        let items =
            serde_json::to_string(&new.items).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO priority_indices (id, code, version, name_fa, reference, standardise, min_population, shrink, items, note_fa, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&id)
        .bind(code)
        .bind(version)
        .bind(new.name_fa.trim())
        .bind(new.reference.code())
        .bind(new.standardise.code())
        .bind(new.min_population)
        .bind(i64::from(new.shrink))
        .bind(&items)
        .bind(&new.note_fa)
        .bind(who.user_id.map(|u| u.to_string()))
        .bind(now_text())
        .execute(&mut *tx.tx)
        .await?;
        tx.audit(
            who,
            "priority_index.save",
            "priority_index",
            &id,
            serde_json::json!({ "code": code, "version": version }),
        )
        .await?;
        crate::operations::bump_data_version(&mut tx.tx, "atlas").await?;
        tx.commit().await?;
        self.priority_index(code, Some(version))
            .await?
            .ok_or(StoreError::NotFound)
    }
}
