//! Events: categories, placing each event in the deepest place containing it (from the
//! in-memory index of leaf boundaries), its H3 cell, and the monthly counts of the place
//! and all its ancestors, updated in the same transaction.

use super::{jalali_month, placeholders};
use crate::{
    Form, Rule, Store, StoreError, StoreResult, Who, instant_text, new_id, now_text, query_with,
};
use hamafza_core::access::Scope;
use hamafza_core::ids::{AgencyId, PlaceId};
use hamafza_geo::locate::PointLocator;
use hamafza_geo::{hexbin, read_stored_geometry};
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;
use time::OffsetDateTime;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EventCategory {
    pub code: String,
    pub name_fa: String,
    pub name_en: String,
    pub position: i64,
    pub active: i64,
}

/// An event about to be written.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub category: String,
    pub occurred_at: OffsetDateTime,
    pub lon: f64,
    pub lat: f64,
    pub agency_id: AgencyId,
    pub note: Option<String>,
}

/// Where an event was put.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedEvent {
    pub id: String,
    /// The leaf place, or `None`: the point lies in no place (kept and flagged).
    pub place_id: Option<PlaceId>,
    pub h3_cell: Option<String>,
    pub month: String,
}

/// A place's id and its ancestors' ids, nearest first.
pub type PlaceChain = (String, Vec<String>);

/// The in-memory point-in-polygon index of the places, one grid per depth of the place
/// tree (places at one depth do not overlap). A point is placed in the deepest place
/// containing it — a neighbourhood where there are neighbourhoods, else the county —
/// with that place's ancestors.
pub struct PlaceLocator {
    /// Deepest first: the index and, per polygon, (place id, ancestor ids leaf first).
    depths: Vec<(PointLocator, Vec<PlaceChain>)>,
}

impl PlaceLocator {
    /// The deepest place containing the point and its ancestors, nearest first.
    pub fn place(&self, lon: f64, lat: f64) -> Option<&PlaceChain> {
        self.depths
            .iter()
            .find_map(|(index, chains)| index.locate(lon, lat).map(|i| &chains[i as usize]))
    }

    /// How many places with a boundary the index holds.
    pub fn place_count(&self) -> usize {
        self.depths.iter().map(|(_, c)| c.len()).sum()
    }
}

/// Rows per multi-row INSERT. Measured on the demo's 60,000 events (SQLite, release):
/// 500 rows per statement took 9.2 s in all — binding grows faster than linearly with
/// the parameter count — while 50 took 2.7 s and 16 no better.
pub(crate) const EVENTS_PER_INSERT: usize = 50;

impl Store {
    /// `scope` comes from `ViewAtlas`.
    pub async fn event_categories(&self, scope: &Scope) -> StoreResult<Vec<EventCategory>> {
        let sql = format!(
            "SELECT code, name_fa, name_en, position, active FROM event_categories
             WHERE {} ORDER BY position, code",
            crate::scope_sql::shared(scope)
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?)
    }

    /// Adds a category (or renames one), appended to the end of the list.
    pub async fn save_event_category(
        &self,
        who: &Who,
        code: &str,
        name_fa: &str,
        name_en: &str,
    ) -> StoreResult<()> {
        let code = code.trim();
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
        if name_fa.trim().is_empty() {
            return Err(StoreError::invalid("name_fa", Rule::Required));
        }
        let mut tx = self.write_tx().await?;
        let exists: Option<String> =
            sqlx::query_scalar("SELECT code FROM event_categories WHERE code = $1")
                .bind(code)
                .fetch_optional(&mut *tx.tx)
                .await?;
        if exists.is_some() {
            sqlx::query("UPDATE event_categories SET name_fa = $1, name_en = $2 WHERE code = $3")
                .bind(name_fa.trim())
                .bind(name_en.trim())
                .bind(code)
                .execute(&mut *tx.tx)
                .await?;
        } else {
            sqlx::query(
                "INSERT INTO event_categories (code, name_fa, name_en, position, active)
                 VALUES ($1, $2, $3, (SELECT COALESCE(MAX(position), 0) + 1 FROM event_categories), 1)",
            )
            .bind(code)
            .bind(name_fa.trim())
            .bind(name_en.trim())
            .execute(&mut *tx.tx)
            .await?;
        }
        tx.audit(
            who,
            "event_category.save",
            "event_category",
            code,
            serde_json::json!({ "name_fa": name_fa }),
        )
        .await?;
        crate::operations::bump_data_version(&mut tx.tx, "event_categories").await?;
        crate::operations::bump_data_version(&mut tx.tx, "atlas").await?;
        tx.commit().await
    }

    /// Builds the point-in-polygon index of every place with a boundary. Rebuilt by the
    /// caller after places change.
    pub async fn place_locator(&self) -> StoreResult<PlaceLocator> {
        let rows = sqlx::query(
            "SELECT id, path, geometry FROM places WHERE geometry IS NOT NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut by_depth: std::collections::BTreeMap<usize, (Vec<_>, Vec<_>)> = Default::default();
        for r in &rows {
            let id: String = r.try_get("id")?;
            let path: String = r.try_get("path")?;
            let geometry: String = r.try_get("geometry")?;
            let Some(mp) = read_stored_geometry(&geometry) else {
                continue;
            };
            // The path lists ids root first; the chain is nearest first.
            let mut ancestors: Vec<String> = path
                .split('/')
                .filter(|s| !s.is_empty() && *s != id)
                .map(str::to_string)
                .collect();
            ancestors.reverse();
            let slot = by_depth.entry(ancestors.len()).or_default();
            slot.0.push(mp);
            slot.1.push((id, ancestors));
        }
        Ok(PlaceLocator {
            depths: by_depth
                .into_values()
                .rev()
                .map(|(polygons, chains)| {
                    (
                        PointLocator::new(&polygons, hamafza_geo::locate::DEFAULT_FINENESS),
                        chains,
                    )
                })
                .collect(),
        })
    }

    /// Writes events in one transaction: each gets its leaf place (and so its
    /// ancestors' counts) and its H3 cell at resolution 9. Nothing is written if any
    /// event is refused; the error names the event (from 1).
    pub async fn record_events(
        &self,
        who: &Who,
        locator: &PlaceLocator,
        events: &[NewEvent],
    ) -> StoreResult<Vec<RecordedEvent>> {
        let categories: Vec<String> = self
            .event_categories(&Scope::reference_lists())
            .await?
            .into_iter()
            .filter(|c| c.active != 0)
            .map(|c| c.code)
            .collect();
        let res = hexbin::resolution(hexbin::DEFAULT_RESOLUTION)
            .ok_or_else(|| StoreError::Corrupt("H3 resolution".into()))?;
        for (i, e) in events.iter().enumerate() {
            if !categories.contains(&e.category) {
                return Err(StoreError::invalid(
                    "category",
                    Rule::Item {
                        position: i + 1,
                        rule: Box::new(Rule::Unknown(e.category.clone())),
                    },
                ));
            }
            // Ranges also reject NaN.
            for (field, ok, form) in [
                ("lon", (-180.0..=180.0).contains(&e.lon), Form::Longitude),
                ("lat", (-90.0..=90.0).contains(&e.lat), Form::Latitude),
            ] {
                if !ok {
                    return Err(StoreError::invalid(
                        field,
                        Rule::Item {
                            position: i + 1,
                            rule: Box::new(Rule::Malformed(form)),
                        },
                    ));
                }
            }
        }
        let mut tx = self.write_tx().await?;
        let mut out = Vec::with_capacity(events.len());
        let mut increments: HashMap<(String, String, String), i64> = HashMap::new();
        let now = now_text();
        let who_id = who.user_id.map(|u| u.to_string());
        // Many rows per statement: a bulk import of a hundred thousand events is then a
        // few hundred round trips, not a hundred thousand.
        for chunk in events.chunks(EVENTS_PER_INSERT) {
            let mut sql = String::from(
                "INSERT INTO events (id, category, occurred_at, month, lon, lat, h3_cell, place_id, agency_id, note, created_by, created_at) VALUES ",
            );
            for k in 0..chunk.len() {
                let b = k * 12;
                if k > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8,
                    b + 9,
                    b + 10,
                    b + 11,
                    b + 12
                ));
            }
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for e in chunk {
                let id = new_id();
                let month = jalali_month(e.occurred_at);
                let chain = locator.place(e.lon, e.lat);
                let cell = hexbin::cell_of(e.lon, e.lat, res);
                query = query
                    .bind(id.clone())
                    .bind(e.category.clone())
                    .bind(instant_text(e.occurred_at))
                    .bind(month.clone())
                    .bind(e.lon)
                    .bind(e.lat)
                    .bind(cell.map(|c| c as i64))
                    .bind(chain.map(|c| c.0.clone()))
                    .bind(e.agency_id)
                    .bind(e.note.clone())
                    .bind(who_id.clone())
                    .bind(now.clone());
                if let Some((leaf, ancestors)) = chain {
                    for place in std::iter::once(leaf).chain(ancestors) {
                        *increments
                            .entry((place.clone(), e.category.clone(), month.clone()))
                            .or_default() += 1;
                    }
                }
                out.push(RecordedEvent {
                    id,
                    place_id: chain.and_then(|c| c.0.parse().ok()),
                    h3_cell: cell.map(hexbin::cell_name),
                    month,
                });
            }
            query.execute(&mut *tx.tx).await?;
        }
        let increments: Vec<_> = increments.into_iter().collect();
        for chunk in increments.chunks(EVENTS_PER_INSERT) {
            let values: Vec<String> = (0..chunk.len())
                .map(|k| {
                    format!(
                        "(${}, ${}, ${}, ${})",
                        k * 4 + 1,
                        k * 4 + 2,
                        k * 4 + 3,
                        k * 4 + 4
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO event_counts (place_id, category, month, n) VALUES {}
                 ON CONFLICT (place_id, category, month) DO UPDATE SET n = event_counts.n + excluded.n",
                values.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for ((place, category, month), n) in chunk {
                query = query.bind(place).bind(category).bind(month).bind(n);
            }
            query.execute(&mut *tx.tx).await?;
        }
        let unplaced = out.iter().filter(|e| e.place_id.is_none()).count();
        tx.audit(
            who,
            "events.record",
            "event",
            out.first().map_or("", |e| e.id.as_str()),
            serde_json::json!({ "count": out.len(), "outside_every_place": unplaced }),
        )
        .await?;
        crate::operations::bump_data_version(&mut tx.tx, "atlas").await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Events in no place, newest first (to be corrected or discarded).
    pub async fn unplaced_event_count(&self) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE place_id IS NULL")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Events per H3 cell within a place (and its descendants), of some categories, over
    /// a span of Jalali months.
    pub async fn event_cell_counts(
        &self,
        place_path: &str,
        categories: &[String],
        first_month: &str,
        last_month: &str,
    ) -> StoreResult<Vec<(u64, u64)>> {
        let mut binds = vec![format!("{}%", crate::like_escape(place_path))];
        let cats = placeholders(&mut binds, categories.iter().cloned());
        binds.push(first_month.to_string());
        let a = binds.len();
        binds.push(last_month.to_string());
        let b = binds.len();
        let sql = format!(
            "SELECT e.h3_cell AS cell, COUNT(*) AS n FROM events e JOIN places p ON p.id = e.place_id
             WHERE p.path LIKE $1 ESCAPE '\\' AND e.category IN ({cats}) AND e.month BETWEEN ${a} AND ${b}
               AND e.h3_cell IS NOT NULL
             GROUP BY e.h3_cell"
        );
        let rows = query_with(sql, &binds).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<i64, _>("cell")? as u64,
                    r.try_get::<i64, _>("n")? as u64,
                ))
            })
            .collect()
    }

    /// Event counts per month for some places over a span of months (for trends).
    pub async fn monthly_event_counts(
        &self,
        categories: &[String],
        place_ids: &[String],
        first_month: &str,
        last_month: &str,
    ) -> StoreResult<Vec<(String, String, f64)>> {
        let mut binds = Vec::new();
        let places = placeholders(&mut binds, place_ids.iter().cloned());
        let cats = placeholders(&mut binds, categories.iter().cloned());
        binds.push(first_month.to_string());
        let a = binds.len();
        binds.push(last_month.to_string());
        let b = binds.len();
        let sql = format!(
            "SELECT place_id, month, CAST(SUM(n) AS DOUBLE PRECISION) AS v FROM event_counts
             WHERE place_id IN ({places}) AND category IN ({cats}) AND month BETWEEN ${a} AND ${b}
             GROUP BY place_id, month"
        );
        let rows = query_with(sql, &binds).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| Ok((r.try_get("place_id")?, r.try_get("month")?, r.try_get("v")?)))
            .collect()
    }
}
