//! Reading resolutions within the caller's scope: filtered lists with each one's
//! latest update, the light facts dashboards need, councils, updates and evidence,
//! and what changed in a reporting period.

use hamafza_core::ids::{AgencyId, CouncilId, EvidenceId, PlaceId, ResolutionId, UserId};
use std::collections::HashMap;

use hamafza_core::access::Scope;
use hamafza_core::resolutions::State;
use hamafza_core::scorecard::Facts;
use sqlx::{FromRow, Row};

use super::{Council, RESOLUTION_COLUMNS, Resolution, iso, parse_iso};
use crate::{Store, StoreError, StoreResult, query_with, scope_sql};

/// Which resolutions a list shows, within the caller's [`Scope`] (which every list
/// function takes apart from the filter, so it cannot be left out). Empty fields do
/// not filter.
#[derive(Debug, Clone, Default)]
pub struct ResolutionFilter {
    pub council_id: Option<CouncilId>,
    /// Responsible for it or collaborating on it.
    pub agency_id: Option<AgencyId>,
    pub state: Option<State>,
    /// Concerning this place or any place under it.
    pub place_id: Option<PlaceId>,
    /// Decided within these days (inclusive).
    pub decided_between: Option<(time::Date, time::Date)>,
    pub overdue_only: bool,
    pub stalled_only: bool,
    /// Only these resolutions (by id).
    pub ids: Option<Vec<ResolutionId>>,
}

/// The latest progress update of a resolution.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LatestUpdate {
    pub on_date: String,
    pub percent: i64,
    pub body: String,
}

/// One line of a resolution list: the resolution, its council, and its latest update.
#[derive(Debug, Clone)]
pub struct ResolutionRow {
    pub resolution: Resolution,
    pub council_code: String,
    pub council_name: String,
    pub stall_days: i64,
    pub latest: Option<LatestUpdate>,
}

impl ResolutionRow {
    pub fn facts(&self) -> Facts {
        let r = &self.resolution;
        let date = |s: &Option<String>| s.as_deref().and_then(parse_iso);
        Facts {
            state: r.state,
            deadline: date(&r.deadline),
            assigned_on: date(&r.assigned_on),
            verified_on: date(&r.verified_on),
            last_activity_on: parse_iso(&r.last_activity_on).unwrap_or(time::Date::MIN),
            stall_days: self.stall_days,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct EvidenceMeta {
    pub id: EvidenceId,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Update {
    pub id: String,
    pub agency_id: AgencyId,
    pub user_id: UserId,
    pub on_date: String,
    pub percent: i64,
    pub body: String,
    pub evidence: Vec<EvidenceMeta>,
}

pub(crate) fn filter_sql(scope: &Scope, f: &ResolutionFilter, binds: &mut Vec<String>) -> String {
    let mut conditions = vec![crate::scope_sql::resolutions(scope, binds)];
    let mut bind = |v: String| {
        binds.push(v);
        format!("${}", binds.len())
    };
    if let Some(c) = &f.council_id {
        conditions.push(format!("r.council_id = {}", bind(c.to_string())));
    }
    if let Some(a) = &f.agency_id {
        let p = bind(a.to_string());
        conditions.push(format!(
            "(r.responsible_agency_id = {p} OR EXISTS (SELECT 1 FROM resolution_agencies ra WHERE ra.resolution_id = r.id AND ra.agency_id = {p}))"
        ));
    }
    if let Some(s) = f.state {
        conditions.push(format!("r.state = {}", bind(s.code().into())));
    }
    if let Some(place) = &f.place_id {
        let p = bind(place.to_string());
        conditions.push(format!(
            "EXISTS (SELECT 1 FROM resolution_places rp JOIN places pl ON pl.id = rp.place_id
                     WHERE rp.resolution_id = r.id
                       AND pl.path LIKE ((SELECT path FROM places WHERE id = {p}) || '%'))"
        ));
    }
    if let Some((from, to)) = f.decided_between {
        let a = bind(iso(from));
        let b = bind(iso(to));
        conditions.push(format!("r.decided_on >= {a} AND r.decided_on <= {b}"));
    }
    if let Some(ids) = &f.ids {
        if ids.is_empty() {
            conditions.push("1 = 0".into());
        } else {
            let marks: Vec<String> = ids.iter().map(|id| bind(id.to_string())).collect();
            conditions.push(format!("r.id IN ({})", marks.join(", ")));
        }
    }
    conditions.join(" AND ")
}

/// A state change in a reporting period.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Change {
    pub resolution_id: ResolutionId,
    /// The business day (ISO).
    pub on_date: String,
    pub from_state: Option<String>,
    pub to_state: String,
}

/// A collaborating agency's own part in a resolution.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Collaboration {
    pub agency_id: AgencyId,
    pub action: Option<String>,
    pub deadline: Option<String>,
}

impl Store {
    /// Resolutions matching `filter`, ordered by council, year and number, each with its
    /// latest update. Overdue and stalled depend on `today`.
    pub async fn list_resolutions(
        &self,
        scope: &Scope,
        filter: &ResolutionFilter,
        today: time::Date,
    ) -> StoreResult<Vec<ResolutionRow>> {
        let mut binds = Vec::new();
        let condition = filter_sql(scope, filter, &mut binds);
        let columns = RESOLUTION_COLUMNS
            .split(", ")
            .map(|c| format!("r.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = query_with(
            format!(
                "SELECT {columns}, c.code AS council_code, c.name_fa AS council_name, c.stall_days,
                        r.latest_update_on, r.latest_percent, r.latest_body
                 FROM resolutions r JOIN councils c ON c.id = r.council_id
                 WHERE {condition}
                 ORDER BY c.code, r.year, r.seq"
            ),
            &binds,
        )
        .fetch_all(&self.pool)
        .await?;
        let collaborators = query_with(
            format!(
                "SELECT ra.resolution_id, ra.agency_id FROM resolution_agencies ra
                 WHERE ra.resolution_id IN (SELECT r.id FROM resolutions r WHERE {condition})"
            ),
            &binds,
        )
        .fetch_all(&self.pool)
        .await?;
        let mut collaborators_of: HashMap<ResolutionId, Vec<AgencyId>> = HashMap::new();
        for row in &collaborators {
            collaborators_of
                .entry(row.try_get("resolution_id")?)
                .or_default()
                .push(row.try_get("agency_id")?);
        }
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut resolution = Self::resolution_from_row(row)?;
            resolution.collaborators = collaborators_of.remove(&resolution.id).unwrap_or_default();
            let on_date: Option<String> = row.try_get("latest_update_on")?;
            let latest = match on_date {
                Some(on_date) => Some(LatestUpdate {
                    on_date,
                    percent: row
                        .try_get::<Option<i64>, _>("latest_percent")?
                        .unwrap_or(0),
                    body: row
                        .try_get::<Option<String>, _>("latest_body")?
                        .unwrap_or_default(),
                }),
                None => None,
            };
            let line = ResolutionRow {
                latest,
                council_code: row.try_get("council_code")?,
                council_name: row.try_get("council_name")?,
                stall_days: row.try_get("stall_days")?,
                resolution,
            };
            let facts = line.facts();
            if (filter.overdue_only && !facts.is_overdue(today))
                || (filter.stalled_only && !facts.is_stalled(today))
            {
                continue;
            }
            out.push(line);
        }
        Ok(out)
    }

    /// Just what the figures need of each resolution `filter` selects (ignoring its
    /// overdue and stalled flags): far lighter than whole rows for dashboards.
    pub async fn resolution_facts(
        &self,
        scope: &Scope,
        filter: &ResolutionFilter,
    ) -> StoreResult<Vec<(ResolutionId, Facts)>> {
        let mut binds = Vec::new();
        let condition = filter_sql(scope, filter, &mut binds);
        let rows = query_with(
            format!(
                "SELECT r.id, r.state, r.deadline, r.assigned_on, r.verified_on, r.last_activity_on, c.stall_days
                 FROM resolutions r JOIN councils c ON c.id = r.council_id WHERE {condition}"
            ),
            &binds,
        )
        .fetch_all(&self.pool)
        .await?;
        let date = |s: Option<String>| s.as_deref().and_then(parse_iso);
        rows.iter()
            .map(|r| {
                let state: String = r.try_get("state")?;
                Ok((
                    r.try_get("id")?,
                    Facts {
                        state: State::from_code(&state)
                            .ok_or_else(|| StoreError::Corrupt(format!("unknown state {state}")))?,
                        deadline: date(r.try_get("deadline")?),
                        assigned_on: date(r.try_get("assigned_on")?),
                        verified_on: date(r.try_get("verified_on")?),
                        last_activity_on: date(r.try_get("last_activity_on")?)
                            .unwrap_or(time::Date::MIN),
                        stall_days: r.try_get("stall_days")?,
                    },
                ))
            })
            .collect()
    }

    /// Councils within `scope`, by code.
    pub async fn list_councils(&self, scope: &Scope) -> StoreResult<Vec<Council>> {
        let mut binds = Vec::new();
        let condition = crate::scope_sql::councils(scope, &mut binds);
        let rows = query_with(
            format!("SELECT c.id FROM councils c WHERE {condition} ORDER BY c.code"),
            &binds,
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(self.council(row.try_get("id")?).await?);
        }
        Ok(out)
    }

    /// Whether `agency` leads or collaborates on at least one resolution of the council:
    /// the one fact about a council, besides its members, that access to it depends on.
    pub async fn agency_takes_part_in_council(
        &self,
        council_id: CouncilId,
        agency_id: AgencyId,
    ) -> StoreResult<bool> {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT r.id FROM resolutions r WHERE r.council_id = $1 AND (r.responsible_agency_id = $2
                OR EXISTS (SELECT 1 FROM resolution_agencies ra WHERE ra.resolution_id = r.id AND ra.agency_id = $2))
             LIMIT 1",
        )
        .bind(council_id)
        .bind(agency_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// A council's member agencies with their representatives; empty unless `scope`
    /// (from `ViewCouncils`) holds the council.
    pub async fn council_members(
        &self,
        scope: &Scope,
        council_id: CouncilId,
    ) -> StoreResult<Vec<(AgencyId, Option<String>)>> {
        let mut binds = vec![council_id.to_string()];
        let visible = scope_sql::councils(scope, &mut binds);
        let rows = query_with(
            format!(
                "SELECT agency_id, representative FROM council_members
                 WHERE council_id = $1 AND EXISTS (SELECT 1 FROM councils c WHERE c.id = $1 AND {visible})
                 ORDER BY agency_id"
            ),
            &binds,
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("agency_id")?, r.try_get("representative")?)))
            .collect()
    }

    /// Updates of a resolution, oldest first, each with its evidence files' metadata.
    /// Empty unless `scope` (from `ViewResolution`) holds the resolution.
    pub async fn resolution_updates(
        &self,
        scope: &Scope,
        id: ResolutionId,
    ) -> StoreResult<Vec<Update>> {
        let mut binds = vec![id.to_string()];
        let visible = scope_sql::of_resolution(scope, "$1", &mut binds);
        let rows = query_with(
            format!(
                "SELECT id, agency_id, user_id, on_date, percent, body FROM resolution_updates
                 WHERE resolution_id = $1 AND {visible} ORDER BY on_date, created_at, id"
            ),
            &binds,
        )
        .fetch_all(&self.pool)
        .await?;
        let files = query_with(
            format!(
                "SELECT id, update_id, file_name, media_type, size, sha256, uploaded_by FROM evidence_files
                 WHERE resolution_id = $1 AND {visible} ORDER BY created_at, id"
            ),
            &binds,
        )
        .fetch_all(&self.pool)
        .await?;
        let mut by_update: HashMap<String, Vec<EvidenceMeta>> = HashMap::new();
        for f in &files {
            let update: Option<String> = f.try_get("update_id")?;
            by_update
                .entry(update.unwrap_or_default())
                .or_default()
                .push(EvidenceMeta::from_row(f)?);
        }
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                Ok(Update {
                    evidence: by_update.remove(&id).unwrap_or_default(),
                    id,
                    agency_id: r.try_get("agency_id")?,
                    user_id: r.try_get("user_id")?,
                    on_date: r.try_get("on_date")?,
                    percent: r.try_get("percent")?,
                    body: r.try_get("body")?,
                })
            })
            .collect()
    }

    /// The resolution an evidence file belongs to: what the policy needs to decide
    /// before the file is read.
    pub async fn evidence_resolution(&self, id: EvidenceId) -> StoreResult<ResolutionId> {
        sqlx::query_scalar("SELECT resolution_id FROM evidence_files WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// One evidence file: its metadata, the resolution it belongs to, and its bytes.
    /// Not found unless `scope` (from `ViewEvidence`) holds its resolution.
    pub async fn evidence_file(
        &self,
        scope: &Scope,
        id: EvidenceId,
    ) -> StoreResult<(EvidenceMeta, String, Vec<u8>)> {
        let mut binds = vec![id.to_string()];
        let visible = scope_sql::of_resolution(scope, "e.resolution_id", &mut binds);
        let row = query_with(
            format!(
                "SELECT e.id, e.resolution_id, e.file_name, e.media_type, e.size, e.sha256, e.uploaded_by, e.content
                 FROM evidence_files e WHERE e.id = $1 AND {visible}"
            ),
            &binds,
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok((
            EvidenceMeta::from_row(&row)?,
            row.try_get("resolution_id")?,
            row.try_get("content")?,
        ))
    }

    /// State changes, between two days inclusive, of the resolutions `filter` selects
    /// (ignoring its overdue and stalled flags), oldest first.
    pub async fn changes_between(
        &self,
        scope: &Scope,
        filter: &ResolutionFilter,
        from: time::Date,
        to: time::Date,
    ) -> StoreResult<Vec<Change>> {
        let mut binds = Vec::new();
        let condition = filter_sql(scope, filter, &mut binds);
        binds.push(iso(from));
        let a = binds.len();
        binds.push(iso(to));
        let b = binds.len();
        let rows = query_with(
            format!(
                "SELECT h.resolution_id, h.on_date, h.from_state, h.to_state FROM resolution_history h
                 WHERE h.resolution_id IN (SELECT r.id FROM resolutions r WHERE {condition})
                   AND h.on_date >= ${a} AND h.on_date <= ${b}
                 ORDER BY h.on_date, h.at, h.id"
            ),
            &binds,
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(Change::from_row)
            .collect::<Result<_, _>>()?)
    }

    /// How many progress updates were posted between two days inclusive.
    pub async fn updates_between(
        &self,
        scope: &Scope,
        filter: &ResolutionFilter,
        from: time::Date,
        to: time::Date,
    ) -> StoreResult<i64> {
        let mut binds = Vec::new();
        let condition = filter_sql(scope, filter, &mut binds);
        binds.push(iso(from));
        let a = binds.len();
        binds.push(iso(to));
        let b = binds.len();
        let row = query_with(
            format!(
                "SELECT COUNT(*) AS n FROM resolution_updates u
                 WHERE u.resolution_id IN (SELECT r.id FROM resolutions r WHERE {condition})
                   AND u.on_date >= ${a} AND u.on_date <= ${b}"
            ),
            &binds,
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }

    /// Empty unless `scope` (from `ViewResolution`) holds the resolution.
    pub async fn collaborations(
        &self,
        scope: &Scope,
        resolution_id: ResolutionId,
    ) -> StoreResult<Vec<Collaboration>> {
        let mut binds = vec![resolution_id.to_string()];
        let visible = scope_sql::of_resolution(scope, "$1", &mut binds);
        query_with(
            format!(
                "SELECT agency_id, action, deadline FROM resolution_agencies
                 WHERE resolution_id = $1 AND {visible} ORDER BY agency_id"
            ),
            &binds,
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok(Collaboration::from_row(r)?))
        .collect()
    }
}
