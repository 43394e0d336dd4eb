//! Places: provinces down to neighbourhoods, one table for every level.

use hamafza_core::access::Scope;
use hamafza_core::ids::PlaceId;
use hamafza_core::place::PlaceLevel;
use hamafza_core::text;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::error::constraint_error;
use crate::{Store, StoreError, StoreResult, Who, like_escape, now_text};

/// A place as read back (without its geometry, which is fetched on demand).
#[derive(Debug, Clone, Serialize)]
pub struct Place {
    pub id: PlaceId,
    pub code: String,
    pub level: PlaceLevel,
    pub parent_id: Option<PlaceId>,
    #[serde(skip)]
    pub path: String,
    pub name_fa: String,
    pub name_en: Option<String>,
    pub population: Option<i64>,
    pub area_km2: Option<f64>,
    pub osm_id: Option<String>,
    pub wikidata: Option<String>,
    /// Invented for the demo: shown with a label wherever it appears.
    pub synthetic: bool,
}

/// A place with its boundary, for drawing.
#[derive(Debug, Clone)]
pub struct PlaceSummary {
    pub place: Place,
    pub geometry: Option<String>,
    pub child_count: i64,
}

/// A place about to be written; ids and paths are assigned by the caller so that a
/// batch can hold parents and their children.
#[derive(Debug, Clone)]
pub struct NewPlace {
    pub id: PlaceId,
    pub code: String,
    pub level: PlaceLevel,
    pub parent_id: Option<PlaceId>,
    pub path: String,
    pub name_fa: String,
    pub name_en: Option<String>,
    pub population: Option<i64>,
    pub area_km2: Option<f64>,
    pub geometry: Option<String>,
    pub osm_id: Option<String>,
    pub wikidata: Option<String>,
    pub synthetic: bool,
}

/// Filters for place lists; every field optional.
#[derive(Debug, Clone, Default)]
pub struct PlaceFilter {
    pub level: Option<PlaceLevel>,
    pub parent_id: Option<PlaceId>,
    /// Persian-aware name search (see `hamafza_core::text::search_key`).
    pub name: Option<String>,
    pub limit: usize,
    pub offset: usize,
}

const PLACE_COLUMNS: &str = "id, code, level, parent_id, path, name_fa, name_en, population, area_km2, osm_id, wikidata, synthetic";

fn place_from_row(r: &AnyRow) -> StoreResult<Place> {
    let level: String = r.try_get("level")?;
    Ok(Place {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        level: PlaceLevel::from_code(&level)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown level {level}")))?,
        parent_id: r.try_get("parent_id")?,
        path: r.try_get("path")?,
        name_fa: r.try_get("name_fa")?,
        name_en: r.try_get("name_en")?,
        population: r.try_get("population")?,
        area_km2: r.try_get("area_km2")?,
        osm_id: r.try_get("osm_id")?,
        wikidata: r.try_get("wikidata")?,
        synthetic: r.try_get::<i64, _>("synthetic")? != 0,
    })
}

impl Store {
    /// Writes a batch of places in one transaction, each with its audit entry.
    /// Nothing is written if any insert fails.
    pub async fn insert_places(
        &self,
        who: &Who,
        places: &[NewPlace],
        on_progress: &(dyn Fn(usize) + Sync),
    ) -> StoreResult<()> {
        let mut w = self.write_tx().await?;
        let now = now_text();
        for (i, p) in places.iter().enumerate() {
            let key = text::search_key(&format!(
                "{} {}",
                p.name_fa,
                p.name_en.as_deref().unwrap_or("")
            ));
            sqlx::query(
                "INSERT INTO places (id, code, level, depth, parent_id, path, name_fa, name_en, name_key, name_sort, population, area_km2, geometry, osm_id, wikidata, synthetic, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
            )
            .bind(p.id)
            .bind(&p.code)
            .bind(p.level.code())
            .bind(i64::from(p.level.depth()))
            .bind(p.parent_id)
            .bind(&p.path)
            .bind(&p.name_fa)
            .bind(&p.name_en)
            .bind(&key)
            .bind(text::sort_key_fa(&p.name_fa))
            .bind(p.population)
            .bind(p.area_km2)
            .bind(&p.geometry)
            .bind(&p.osm_id)
            .bind(&p.wikidata)
            .bind(i64::from(p.synthetic))
            .bind(&now)
            .execute(&mut *w.tx)
            .await
            .map_err(|e| constraint_error(e, "code", &p.code, "parent_id"))?;
            w.audit(
                who,
                "place.create",
                "place",
                &p.id,
                serde_json::json!({"after": {"code": p.code, "level": p.level.code(), "parent_id": p.parent_id, "synthetic": p.synthetic}}),
            )
            .await?;
            if i % 50 == 0 {
                on_progress(i);
            }
        }
        crate::operations::bump_data_version(&mut w.tx, "places").await?;
        crate::operations::bump_data_version(&mut w.tx, "atlas").await?;
        w.commit().await?;
        on_progress(places.len());
        Ok(())
    }

    /// Places the caller may see, filtered, in Persian alphabetical order.
    pub async fn list_places(
        &self,
        scope: &Scope,
        filter: &PlaceFilter,
    ) -> StoreResult<(Vec<Place>, usize)> {
        let mut binds = Vec::new();
        let mut conditions = vec![crate::scope_sql::places(scope, "path", &mut binds)];
        if let Some(level) = filter.level {
            binds.push(level.code().to_string());
            conditions.push(format!("level = ${}", binds.len()));
        }
        if let Some(parent) = &filter.parent_id {
            binds.push(parent.to_string());
            conditions.push(format!("parent_id = ${}", binds.len()));
        }
        if let Some(name) = &filter.name {
            crate::search_text_ok("name", name)?;
        }
        // A space, a joiner and nothing between a name's parts are the same to search
        // («نازی آباد» finds «نازی‌آباد»): both sides compared without spaces.
        if let Some(name) = filter
            .name
            .as_deref()
            .map(text::compact_key)
            .filter(|k| !k.is_empty())
        {
            binds.push(format!("%{}%", like_escape(&name)));
            conditions.push(format!(
                "REPLACE(name_key, ' ', '') LIKE ${} ESCAPE '\\'",
                binds.len()
            ));
        }
        let where_sql = conditions.join(" AND ");
        let mut count = sqlx::query_scalar::<_, i64>(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM places WHERE {where_sql}"
        )));
        for b in &binds {
            count = count.bind(b);
        }
        let total = count.fetch_one(&self.pool).await?;
        // name_sort holds ICU4X Persian sort keys: neither engine's own collation is right for Persian.
        let limit = if filter.limit == 0 {
            100
        } else {
            filter.limit.min(1000)
        };
        let sql = format!(
            "SELECT {PLACE_COLUMNS} FROM places WHERE {where_sql} ORDER BY depth, name_sort, id LIMIT {limit} OFFSET {}",
            filter.offset.min(i64::MAX as usize)
        );
        let q = crate::query_with(sql, &binds);
        let rows = q.fetch_all(&self.pool).await?;
        let places = rows
            .iter()
            .map(place_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((places, usize::try_from(total).unwrap_or(0)))
    }

    /// One place by id, if the caller's scope includes it.
    pub async fn get_place(&self, scope: &Scope, id: PlaceId) -> StoreResult<Place> {
        let mut binds = vec![id.to_string()];
        let cond = crate::scope_sql::places(scope, "path", &mut binds);
        let sql = format!("SELECT {PLACE_COLUMNS} FROM places WHERE id = $1 AND {cond}");
        let q = crate::query_with(sql, &binds);
        let row = q
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        place_from_row(&row)
    }

    /// One place by id, regardless of scope: the caller decides with
    /// `hamafza_core::access::decide` (a council's or a resolution's own place, ancestors
    /// for breadcrumbs), or it is a job that serves no request.
    pub async fn place_by_id(&self, id: PlaceId) -> StoreResult<Place> {
        let sql = format!("SELECT {PLACE_COLUMNS} FROM places WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        place_from_row(&row)
    }

    /// A place by its code, regardless of scope: for imports and the command line.
    pub async fn place_by_code(&self, code: &str) -> StoreResult<Option<Place>> {
        let sql = format!("SELECT {PLACE_COLUMNS} FROM places WHERE code = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(place_from_row).transpose()
    }

    /// Which of these codes already exist.
    pub async fn existing_place_codes(&self) -> StoreResult<std::collections::HashSet<String>> {
        let codes: Vec<String> = sqlx::query_scalar("SELECT code FROM places")
            .fetch_all(&self.pool)
            .await?;
        Ok(codes.into_iter().collect())
    }

    /// A place's boundary as GeoJSON text.
    pub async fn place_geometry(&self, id: PlaceId) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar::<_, Option<String>>("SELECT geometry FROM places WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        )
    }

    /// The visible children of a place with their boundaries and how many children each has.
    pub async fn children_with_geometry(
        &self,
        scope: &Scope,
        parent_id: Option<PlaceId>,
    ) -> StoreResult<Vec<PlaceSummary>> {
        self.children_of(scope, parent_id, true).await
    }

    /// The visible children of a place, without boundaries (for trees and lists).
    pub async fn children(
        &self,
        scope: &Scope,
        parent_id: Option<PlaceId>,
    ) -> StoreResult<Vec<PlaceSummary>> {
        self.children_of(scope, parent_id, false).await
    }

    /// The visible places of `level` anywhere under `ancestor` (e.g. every neighbourhood
    /// of a city), with their boundaries when asked.
    pub async fn descendants_at_level(
        &self,
        scope: &Scope,
        ancestor: &Place,
        level: PlaceLevel,
        with_geometry: bool,
    ) -> StoreResult<Vec<PlaceSummary>> {
        self.summaries(scope, Under::Level(ancestor, level), with_geometry)
            .await
    }

    async fn children_of(
        &self,
        scope: &Scope,
        parent_id: Option<PlaceId>,
        with_geometry: bool,
    ) -> StoreResult<Vec<PlaceSummary>> {
        self.summaries(scope, Under::Parent(parent_id), with_geometry)
            .await
    }

    async fn summaries(
        &self,
        scope: &Scope,
        under: Under<'_>,
        with_geometry: bool,
    ) -> StoreResult<Vec<PlaceSummary>> {
        let mut binds = Vec::new();
        let cond = crate::scope_sql::places(scope, "p.path", &mut binds);
        let parent_cond = match under {
            Under::Parent(Some(id)) => {
                binds.push(id.to_string());
                format!("p.parent_id = ${}", binds.len())
            }
            Under::Parent(None) => "p.parent_id IS NULL".to_string(),
            Under::Level(ancestor, level) => {
                binds.push(level.code().to_string());
                binds.push(format!("{}%", like_escape(&ancestor.path)));
                binds.push(ancestor.id.to_string());
                format!(
                    "p.level = ${} AND p.path LIKE ${} ESCAPE '\\' AND p.id <> ${}",
                    binds.len() - 2,
                    binds.len() - 1,
                    binds.len()
                )
            }
        };
        let cols: String = PLACE_COLUMNS
            .split(", ")
            .map(|c| format!("p.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let geometry = if with_geometry { "p.geometry" } else { "NULL" };
        let sql = format!(
            "SELECT {cols}, {geometry} AS geometry, (SELECT COUNT(*) FROM places c WHERE c.parent_id = p.id) AS child_count
             FROM places p WHERE {parent_cond} AND {cond} ORDER BY p.name_sort, p.id"
        );
        let q = crate::query_with(sql, &binds);
        let rows = q.fetch_all(&self.pool).await?;
        let out = rows
            .iter()
            .map(|r| {
                Ok(PlaceSummary {
                    place: place_from_row(r)?,
                    geometry: if with_geometry {
                        r.try_get("geometry")?
                    } else {
                        None
                    },
                    child_count: r.try_get("child_count")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(out)
    }

    /// A place's ancestors, root first (for breadcrumbs). Ancestors are always visible
    /// to someone who can see the place.
    pub async fn ancestors(&self, place: &Place) -> StoreResult<Vec<Place>> {
        let ids: Vec<PlaceId> = place
            .path
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse()
                    .map_err(|_| StoreError::Corrupt(format!("place path {}", place.path)))
            })
            .collect::<StoreResult<_>>()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids.into_iter().filter(|id| *id != place.id) {
            out.push(self.place_by_id(id).await?);
        }
        Ok(out)
    }

    /// Every place at the given levels with a boundary: the candidates when an import
    /// looks for parents by spatial containment.
    pub async fn places_with_geometry_at(
        &self,
        levels: &[PlaceLevel],
    ) -> StoreResult<Vec<(Place, String)>> {
        let mut out = Vec::new();
        for level in levels {
            let sql = format!(
                "SELECT {PLACE_COLUMNS}, geometry FROM places WHERE level = $1 AND geometry IS NOT NULL"
            );
            let rows = sqlx::query(AssertSqlSafe(sql))
                .bind(level.code())
                .fetch_all(&self.pool)
                .await?;
            for r in &rows {
                out.push((place_from_row(r)?, r.try_get::<String, _>("geometry")?));
            }
        }
        Ok(out)
    }

    /// Every place of a level under a path (a reference set for standardising; not a
    /// list shown to anyone, so not scoped).
    pub async fn places_at_level_within(
        &self,
        level: PlaceLevel,
        path_prefix: &str,
    ) -> StoreResult<Vec<Place>> {
        let sql = format!(
            "SELECT {PLACE_COLUMNS} FROM places WHERE level = $1 AND path LIKE $2 ESCAPE '\\' ORDER BY name_sort, id"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(level.code())
            .bind(format!("{}%", like_escape(path_prefix)))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(place_from_row).collect()
    }

    /// How many places the caller can see, per level.
    pub async fn count_places_by_level(
        &self,
        scope: &Scope,
    ) -> StoreResult<Vec<(PlaceLevel, i64)>> {
        let mut binds = Vec::new();
        let cond = crate::scope_sql::places(scope, "path", &mut binds);
        let sql = format!("SELECT level, COUNT(*) AS n FROM places WHERE {cond} GROUP BY level");
        let q = crate::query_with(sql, &binds);
        let rows = q.fetch_all(&self.pool).await?;
        let mut out = Vec::new();
        for r in &rows {
            let level: String = r.try_get("level")?;
            if let Some(l) = PlaceLevel::from_code(&level) {
                out.push((l, r.try_get::<i64, _>("n")?));
            }
        }
        out.sort_by_key(|(l, _)| *l);
        Ok(out)
    }
}

/// Which places a summary list holds: a place's children (or the roots), or every
/// place of a level under an ancestor.
enum Under<'a> {
    Parent(Option<PlaceId>),
    Level(&'a Place, PlaceLevel),
}
