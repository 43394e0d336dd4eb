//! The atlas's data: events placed at write time, live monthly counts, the indicator
//! dictionary and supplied indicator values.

use std::collections::HashMap;

use hamafza_core::indicator::{Denominator, Numerator, Publication, Worse};
use hamafza_core::jalali::{JalaliDate, Period};
use hamafza_geo::locate::PointLocator;
use hamafza_geo::{hexbin, read_stored_geometry};
use serde::Serialize;
use sqlx::Row;
use time::{OffsetDateTime, UtcOffset};

use crate::{Store, StoreError, StoreResult, Who, instant_text, new_id, now_text, query_with};

/// Iran's offset from UTC (no daylight saving since 1401).
const TEHRAN: UtcOffset = match UtcOffset::from_hms(3, 30, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

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
    pub agency_id: String,
    pub note: Option<String>,
}

/// Where an event was put.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedEvent {
    pub id: String,
    /// The leaf place, or `None`: the point lies in no place (kept and flagged).
    pub place_id: Option<String>,
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

/// The Jalali month (`1403-07`) of an instant, in Tehran.
pub fn jalali_month(at: OffsetDateTime) -> String {
    let day = JalaliDate::from_gregorian(at.to_offset(TEHRAN).date());
    Period::Month(day.year, day.month).code()
}

/// The first and last month codes of a period.
pub fn month_range(period: Period) -> (String, String) {
    let (a, b) = (period.first_day(), period.last_day());
    (
        Period::Month(a.year, a.month).code(),
        Period::Month(b.year, b.month).code(),
    )
}

/// Rows per multi-row INSERT. Measured on the demo's 60,000 events (SQLite, release):
/// 500 rows per statement took 9.2 s in all — binding grows faster than linearly with
/// the parameter count — while 50 took 2.7 s and 16 no better.
const EVENTS_PER_INSERT: usize = 50;

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
    pub source_agency_id: Option<String>,
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
    pub source_agency_id: Option<String>,
    pub publication: Publication,
    pub note_fa: Option<String>,
}

const INDICATOR_COLUMNS: &str = "id, code, version, name_fa, name_en, theme, unit_fa, worse, numerator, categories, numerator_fa, numerator_is_count, denominator, rate_base, source_agency_id, publication, note_fa, created_at";

fn indicator_from_row(r: &sqlx::any::AnyRow) -> StoreResult<Indicator> {
    let bad = |what: &str, v: &str| StoreError::Invalid(format!("indicator {what} `{v}`"));
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
    pub place_id: String,
    pub period: Period,
    pub value: f64,
}

/// Binds `$start..` placeholders for a list.
fn placeholders(binds: &mut Vec<String>, values: impl IntoIterator<Item = String>) -> String {
    let mut parts = Vec::new();
    for v in values {
        binds.push(v);
        parts.push(format!("${}", binds.len()));
    }
    if parts.is_empty() {
        "NULL".into()
    } else {
        parts.join(", ")
    }
}

impl Store {
    pub async fn event_categories(&self) -> StoreResult<Vec<EventCategory>> {
        Ok(sqlx::query_as(
            "SELECT code, name_fa, name_en, position, active FROM event_categories ORDER BY position, code",
        )
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
            return Err(StoreError::Invalid(
                "کد دسته فقط حروف کوچک لاتین، رقم و _ است".into(),
            ));
        }
        if name_fa.trim().is_empty() {
            return Err(StoreError::Invalid("نام فارسی دسته لازم است".into()));
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
            .event_categories()
            .await?
            .into_iter()
            .filter(|c| c.active != 0)
            .map(|c| c.code)
            .collect();
        let res = hexbin::resolution(hexbin::DEFAULT_RESOLUTION)
            .ok_or_else(|| StoreError::Invalid("H3 resolution".into()))?;
        for (i, e) in events.iter().enumerate() {
            if !categories.contains(&e.category) {
                return Err(StoreError::Invalid(format!(
                    "رویداد {}: دستهٔ «{}» تعریف نشده است",
                    i + 1,
                    e.category
                )));
            }
            // Ranges also reject NaN.
            if !((-180.0..=180.0).contains(&e.lon) && (-90.0..=90.0).contains(&e.lat)) {
                return Err(StoreError::Invalid(format!(
                    "رویداد {}: مختصات نامعتبر است (طول −۱۸۰ تا ۱۸۰، عرض −۹۰ تا ۹۰)",
                    i + 1
                )));
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
                    .bind(e.agency_id.clone())
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
                    place_id: chain.map(|c| c.0.clone()),
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

    /// The latest version of every indicator, by theme and code.
    pub async fn indicators(&self) -> StoreResult<Vec<Indicator>> {
        let sql = format!(
            "SELECT {INDICATOR_COLUMNS} FROM indicators i
             WHERE version = (SELECT MAX(version) FROM indicators j WHERE j.code = i.code)
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
            return Err(StoreError::Invalid(
                "کد شاخص فقط حروف کوچک لاتین، رقم و _ است".into(),
            ));
        }
        if def.name_fa.trim().is_empty() || def.numerator_fa.trim().is_empty() {
            return Err(StoreError::Invalid(
                "نام فارسی و تعریف صورت شاخص لازم است".into(),
            ));
        }
        if def.numerator == Numerator::Events && def.categories.is_empty() {
            return Err(StoreError::Invalid(
                "شاخصی که از رویدادها شمرده می‌شود دست‌کم یک دسته لازم دارد".into(),
            ));
        }
        if !(def.rate_base.is_finite() && def.rate_base > 0.0) {
            return Err(StoreError::Invalid("پایهٔ نرخ باید عددی مثبت باشد".into()));
        }
        let known: Vec<String> = self
            .event_categories()
            .await?
            .into_iter()
            .map(|c| c.code)
            .collect();
        if let Some(bad) = def.categories.iter().find(|c| !known.contains(c)) {
            return Err(StoreError::Invalid(format!("دستهٔ «{bad}» تعریف نشده است")));
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
        .bind(&def.source_agency_id)
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
            .bind(&v.place_id)
            .bind(&period)
            .execute(&mut *tx.tx)
            .await?;
            sqlx::query(
                "INSERT INTO indicator_values (indicator_code, place_id, period, value, source, entered_by, entered_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(code)
            .bind(&v.place_id)
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
            Numerator::Events => {
                let (first, last) = month_range(period);
                let cats = placeholders(&mut binds, indicator.categories.iter().cloned());
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
            Numerator::Imported => {
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
        if indicator.numerator == Numerator::Events {
            for id in place_ids {
                out.entry(id.clone()).or_insert(0.0);
            }
        }
        Ok(out)
    }

    async fn summed_from_descendants(
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn months_are_tehran_months() {
        // 1403-07-01 began at 2024-09-22 00:00 in Tehran = 2024-09-21 20:30 UTC.
        assert_eq!(jalali_month(datetime!(2024-09-21 20:29 UTC)), "1403-06");
        assert_eq!(jalali_month(datetime!(2024-09-21 20:30 UTC)), "1403-07");
        assert_eq!(
            month_range(Period::Quarter(1403, 3)),
            ("1403-07".into(), "1403-09".into())
        );
        assert_eq!(
            month_range(Period::Year(1403)),
            ("1403-01".into(), "1403-12".into())
        );
    }
}
