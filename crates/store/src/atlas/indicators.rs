//! The indicator dictionary (every save a new version) and the values of indicators:
//! counted live from events, or supplied by an agency.

use super::{month_range, placeholders};
use crate::{Form, Rule, Store, StoreError, StoreResult, Who, new_id, now_text, query_with};
use hamafza_core::access::Scope;
use hamafza_core::ids::{AgencyId, PlaceId};
use hamafza_core::indicator::{Denominator, Numerator, Publication, Worse};
use hamafza_core::jalali::Period;
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;

/// A definition in the indicator dictionary (one version of it).
#[derive(Debug, Clone, Serialize)]
pub struct Indicator {
    pub id: String,
    pub code: String,
    pub version: i64,
    pub name_fa: String,
    pub name_en: String,
    pub theme: String,
    pub unit_fa: String,
    pub worse: Worse,
    pub numerator: Numerator,
    pub categories: Vec<String>,
    pub numerator_fa: String,
    pub numerator_is_count: bool,
    pub denominator: Denominator,
    pub rate_base: f64,
    pub source_agency_id: Option<AgencyId>,
    pub publication: Publication,
    pub note_fa: Option<String>,
    pub created_at: String,
}

/// A definition to save: a new indicator, or the next version of an existing code.
#[derive(Debug, Clone)]
pub struct NewIndicator {
    pub code: String,
    pub name_fa: String,
    pub name_en: String,
    pub theme: String,
    pub unit_fa: String,
    pub worse: Worse,
    pub numerator: Numerator,
    pub categories: Vec<String>,
    pub numerator_fa: String,
    pub numerator_is_count: bool,
    pub denominator: Denominator,
    pub rate_base: f64,
    pub source_agency_id: Option<AgencyId>,
    pub publication: Publication,
    pub note_fa: Option<String>,
}

pub(crate) const INDICATOR_COLUMNS: &str = "id, code, version, name_fa, name_en, theme, unit_fa, worse, numerator, categories, numerator_fa, numerator_is_count, denominator, rate_base, source_agency_id, publication, note_fa, created_at";

pub(crate) fn indicator_from_row(r: &sqlx::any::AnyRow) -> StoreResult<Indicator> {
    let bad = |what: &str, v: &str| StoreError::Corrupt(format!("indicator {what} `{v}`"));
    let worse: String = r.try_get("worse")?;
    let numerator: String = r.try_get("numerator")?;
    let denominator: String = r.try_get("denominator")?;
    let publication: String = r.try_get("publication")?;
    let categories: Option<String> = r.try_get("categories")?;
    Ok(Indicator {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        version: r.try_get("version")?,
        name_fa: r.try_get("name_fa")?,
        name_en: r.try_get("name_en")?,
        theme: r.try_get("theme")?,
        unit_fa: r.try_get("unit_fa")?,
        worse: Worse::from_code(&worse).ok_or_else(|| bad("worse", &worse))?,
        numerator: Numerator::from_code(&numerator).ok_or_else(|| bad("numerator", &numerator))?,
        categories: categories
            .unwrap_or_default()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        numerator_fa: r.try_get("numerator_fa")?,
        numerator_is_count: r.try_get::<i64, _>("numerator_is_count")? != 0,
        denominator: Denominator::from_code(&denominator)
            .ok_or_else(|| bad("denominator", &denominator))?,
        rate_base: r.try_get("rate_base")?,
        source_agency_id: r.try_get("source_agency_id")?,
        publication: Publication::from_code(&publication)
            .ok_or_else(|| bad("publication", &publication))?,
        note_fa: r.try_get("note_fa")?,
        created_at: r.try_get("created_at")?,
    })
}

/// A supplied value, checked.
#[derive(Debug, Clone)]
pub struct ValueIn {
    pub place_id: PlaceId,
    pub period: Period,
    pub value: f64,
}

impl Store {
    /// The latest version of every indicator, by theme and code.
    pub async fn indicators(&self, scope: &Scope) -> StoreResult<Vec<Indicator>> {
        let visible = crate::scope_sql::indicators(scope);
        let sql = format!(
            "SELECT {INDICATOR_COLUMNS} FROM indicators i
             WHERE version = (SELECT MAX(version) FROM indicators j WHERE j.code = i.code)
               AND {visible}
             ORDER BY theme, code"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(indicator_from_row).collect()
    }

    /// The latest version of one indicator.
    pub async fn indicator(&self, code: &str) -> StoreResult<Option<Indicator>> {
        let sql = format!(
            "SELECT {INDICATOR_COLUMNS} FROM indicators WHERE code = $1 ORDER BY version DESC LIMIT 1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(indicator_from_row).transpose()
    }

    /// Every version of an indicator, newest first.
    pub async fn indicator_versions(&self, code: &str) -> StoreResult<Vec<Indicator>> {
        let sql = format!(
            "SELECT {INDICATOR_COLUMNS} FROM indicators WHERE code = $1 ORDER BY version DESC"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(code)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(indicator_from_row).collect()
    }

    /// Saves a definition as the next version of its code (version 1 for a new code).
    pub async fn save_indicator(&self, who: &Who, def: &NewIndicator) -> StoreResult<Indicator> {
        let code = def.code.trim();
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
        if def.name_fa.trim().is_empty() {
            return Err(StoreError::invalid("name_fa", Rule::Required));
        }
        if def.numerator_fa.trim().is_empty() {
            return Err(StoreError::invalid("numerator_fa", Rule::Required));
        }
        if def.numerator.is_live() && def.categories.is_empty() {
            return Err(StoreError::invalid("categories", Rule::Required));
        }
        if !(def.rate_base.is_finite() && def.rate_base > 0.0) {
            return Err(StoreError::invalid("rate_base", Rule::Positive));
        }
        let known: Vec<String> = if def.numerator.counts_people() {
            self.person_categories()
                .await?
                .into_iter()
                .map(|c| c.code)
                .collect()
        } else {
            self.event_categories(&Scope::reference_lists())
                .await?
                .into_iter()
                .map(|c| c.code)
                .collect()
        };
        if let Some(bad) = def.categories.iter().find(|c| !known.contains(c)) {
            return Err(StoreError::invalid(
                "categories",
                Rule::Unknown(bad.clone()),
            ));
        }
        let mut tx = self.write_tx().await?;
        let version: i64 = sqlx::query_scalar::<_, Option<i64>>(
            "SELECT MAX(version) FROM indicators WHERE code = $1",
        )
        .bind(code)
        .fetch_one(&mut *tx.tx)
        .await?
        .unwrap_or(0)
            + 1;
        let id = new_id();
        sqlx::query(
            "INSERT INTO indicators (id, code, version, name_fa, name_en, theme, unit_fa, worse, numerator, categories, numerator_fa, numerator_is_count, denominator, rate_base, source_agency_id, publication, note_fa, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
        )
        .bind(&id)
        .bind(code)
        .bind(version)
        .bind(def.name_fa.trim())
        .bind(def.name_en.trim())
        .bind(def.theme.trim())
        .bind(def.unit_fa.trim())
        .bind(def.worse.code())
        .bind(def.numerator.code())
        .bind(def.categories.join(","))
        .bind(def.numerator_fa.trim())
        .bind(i64::from(def.numerator_is_count))
        .bind(def.denominator.code())
        .bind(def.rate_base)
        .bind(def.source_agency_id)
        .bind(def.publication.code())
        .bind(&def.note_fa)
        .bind(who.user_id.map(|u| u.to_string()))
        .bind(now_text())
        .execute(&mut *tx.tx)
        .await?;
        tx.audit(
            who,
            "indicator.save",
            "indicator",
            &id,
            serde_json::json!({ "code": code, "version": version }),
        )
        .await?;
        crate::operations::bump_data_version(&mut tx.tx, "atlas").await?;
        tx.commit().await?;
        self.indicator(code).await?.ok_or(StoreError::NotFound)
    }

    /// Writes supplied values for an indicator (replacing earlier ones for the same
    /// place and period) in one transaction.
    pub async fn set_indicator_values(
        &self,
        who: &Who,
        code: &str,
        values: &[ValueIn],
        source: &str,
    ) -> StoreResult<usize> {
        let mut tx = self.write_tx().await?;
        let now = now_text();
        for v in values {
            let period = v.period.code();
            sqlx::query(
                "DELETE FROM indicator_values WHERE indicator_code = $1 AND place_id = $2 AND period = $3",
            )
            .bind(code)
            .bind(v.place_id)
            .bind(&period)
            .execute(&mut *tx.tx)
            .await?;
            sqlx::query(
                "INSERT INTO indicator_values (indicator_code, place_id, period, value, source, entered_by, entered_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(code)
            .bind(v.place_id)
            .bind(&period)
            .bind(v.value)
            .bind(source)
            .bind(who.user_id.map(|u| u.to_string()))
            .bind(&now)
            .execute(&mut *tx.tx)
            .await?;
        }
        tx.audit(
            who,
            "indicator.values",
            "indicator",
            code,
            serde_json::json!({ "rows": values.len(), "source": source }),
        )
        .await?;
        crate::operations::bump_data_version(&mut tx.tx, "atlas").await?;
        tx.commit().await?;
        Ok(values.len())
    }

    /// The numerator of an indicator for each of the places in a period: a live sum of
    /// event counts, or the supplied value. Places without data are absent.
    pub async fn numerators(
        &self,
        indicator: &Indicator,
        place_ids: &[String],
        period: Period,
    ) -> StoreResult<HashMap<String, f64>> {
        let mut binds = Vec::new();
        let places = placeholders(&mut binds, place_ids.iter().cloned());
        let sql = match indicator.numerator {
            live if live.is_live() => {
                let (first, last) = month_range(period);
                let cats = placeholders(
                    &mut binds,
                    indicator.categories.iter().map(|c| live.count_key(c)),
                );
                binds.push(first);
                let a = binds.len();
                binds.push(last);
                let b = binds.len();
                format!(
                    "SELECT place_id, CAST(SUM(n) AS DOUBLE PRECISION) AS v FROM event_counts
                     WHERE place_id IN ({places}) AND category IN ({cats}) AND month BETWEEN ${a} AND ${b}
                     GROUP BY place_id"
                )
            }
            _ => {
                binds.push(indicator.code.clone());
                let c = binds.len();
                binds.push(period.code());
                let p = binds.len();
                format!(
                    "SELECT place_id, value AS v FROM indicator_values
                     WHERE place_id IN ({places}) AND indicator_code = ${c} AND period = ${p}"
                )
            }
        };
        let rows = query_with(sql, &binds).fetch_all(&self.pool).await?;
        let mut out = HashMap::new();
        for r in &rows {
            out.insert(
                r.try_get::<String, _>("place_id")?,
                r.try_get::<f64, _>("v")?,
            );
        }
        // A supplied count missing for a place is the sum of its descendants' values at
        // the deepest level that has them (neighbourhood figures add up to a district's).
        if indicator.numerator == Numerator::Imported && indicator.numerator_is_count {
            let missing: Vec<&String> = place_ids
                .iter()
                .filter(|id| !out.contains_key(*id))
                .collect();
            for id in missing {
                if let Some(v) = self.summed_from_descendants(indicator, id, period).await? {
                    out.insert(id.clone(), v);
                }
            }
        }
        // A live count with no event is a true zero, not missing data.
        if indicator.numerator.is_live() {
            for id in place_ids {
                out.entry(id.clone()).or_insert(0.0);
            }
        }
        Ok(out)
    }

    pub(crate) async fn summed_from_descendants(
        &self,
        indicator: &Indicator,
        place_id: &str,
        period: Period,
    ) -> StoreResult<Option<f64>> {
        let rows = sqlx::query(
            "SELECT p.path, v.value FROM indicator_values v JOIN places p ON p.id = v.place_id
             JOIN places a ON a.id = $1
             WHERE v.indicator_code = $2 AND v.period = $3 AND p.path LIKE a.path || '%' AND p.id <> a.id",
        )
        .bind(place_id)
        .bind(&indicator.code)
        .bind(period.code())
        .fetch_all(&self.pool)
        .await?;
        let depth = |path: &str| path.matches('/').count();
        let deepest = rows
            .iter()
            .filter_map(|r| r.try_get::<String, _>("path").ok())
            .map(|p| depth(&p))
            .max();
        let Some(deepest) = deepest else {
            return Ok(None);
        };
        let mut total = 0.0;
        for r in &rows {
            if depth(&r.try_get::<String, _>("path")?) == deepest {
                total += r.try_get::<f64, _>("value")?;
            }
        }
        Ok(Some(total))
    }
}
