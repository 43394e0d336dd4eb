//! Councils and resolutions in storage: the records and their ids, councils, and
//! reading one resolution; lists and reports ([`query`]), writes ([`write`]), meetings
//! ([`meetings`]) and the escalation job with the inbox ([`escalation`]).
//!
//! Every move goes through `hamafza_core::resolutions::decide_move`, is written to the
//! resolution's own history and to the audit chain in one transaction. "Today" is always
//! passed in, so tests can move the clock. Every list takes the caller's `Scope`.

use hamafza_core::access::Scope;
use hamafza_core::ids::{
    AgencyId, AgendaItemId, CouncilId, MeetingId, PlaceId, ResolutionId, UserId,
};
use hamafza_core::resolutions::{self as rules, CouncilKind, State};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use crate::audit::Who;
use crate::error::constraint_error;
use crate::{Form, Rule, Store, StoreError, StoreResult, now_text};

pub mod escalation;
pub mod meetings;
pub mod query;
pub mod sheet;
pub mod write;

pub use escalation::{EscalationRun, Notification, OutboxMessage, trouble_began};
pub use meetings::{AgendaItem, Attendance, Meeting, MeetingDetail, Presence};
pub use query::{Change, EvidenceMeta, LatestUpdate, ResolutionFilter, ResolutionRow, Update};

#[derive(Debug, Clone, Serialize)]
pub struct Council {
    pub id: CouncilId,
    pub code: String,
    pub name_fa: String,
    pub kind: CouncilKind,
    pub place_id: PlaceId,
    pub secretariat_agency_id: AgencyId,
    pub focus_limit: i64,
    pub stall_days: i64,
    /// Member agencies, the secretariat included.
    pub members: Vec<AgencyId>,
}

#[derive(Debug, Clone)]
pub struct NewCouncil {
    pub code: String,
    pub name_fa: String,
    pub kind: CouncilKind,
    pub place_id: PlaceId,
    pub secretariat_agency_id: AgencyId,
    pub focus_limit: i64,
    pub stall_days: i64,
    /// (agency id, representative)
    pub members: Vec<(AgencyId, Option<String>)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Resolution {
    pub id: ResolutionId,
    pub council_id: CouncilId,
    pub number: rules::Number,
    pub body: String,
    pub meeting_id: Option<MeetingId>,
    /// The agenda item of that meeting that decided it.
    pub agenda_item_id: Option<AgendaItemId>,
    pub responsible_agency_id: AgencyId,
    pub collaborators: Vec<AgencyId>,
    pub places: Vec<PlaceId>,
    pub deadline: Option<String>,
    pub priority: i64,
    pub in_focus: bool,
    pub topic: String,
    pub expected_result: Option<String>,
    pub state: State,
    pub state_reason: Option<String>,
    pub merged_into: Option<String>,
    pub last_activity_on: String,
    pub assigned_on: Option<String>,
    pub verified_on: Option<String>,
    /// The day the council decided it (ISO).
    pub decided_on: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewResolution {
    pub council_id: CouncilId,
    /// Jalali year of the decision: the first half of its number.
    pub year: i32,
    pub body: String,
    pub meeting_id: Option<MeetingId>,
    pub agenda_item_id: Option<AgendaItemId>,
    pub responsible_agency_id: AgencyId,
    /// (agency id, its own action, its own deadline as ISO date)
    pub collaborators: Vec<(AgencyId, Option<String>, Option<String>)>,
    pub places: Vec<PlaceId>,
    /// ISO date.
    pub deadline: Option<String>,
    pub priority: i64,
    pub in_focus: bool,
    pub topic: String,
    pub expected_result: Option<String>,
    /// The day it was decided; the meeting's date when there is a meeting, else today.
    pub decided_on: Option<time::Date>,
}

/// An evidence file attached to a progress update.
#[derive(Debug, Clone)]
pub struct NewEvidence {
    pub file_name: String,
    pub media_type: String,
    pub content: Vec<u8>,
}

/// One line of a resolution's own history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    pub at: String,
    /// The business day of the change (ISO).
    pub on_date: Option<String>,
    pub user_id: Option<UserId>,
    pub from_state: Option<String>,
    pub to_state: String,
    pub note: Option<String>,
}

pub(crate) const MAX_TEXT: usize = 20_000;

pub(crate) use hamafza_core::jalali::{iso_day as iso, parse_iso_day as parse_iso};

/// A council keeps 1 to 100 resolutions in focus and calls one stalled after 1 to 365
/// quiet days.
fn council_limits_ok(focus_limit: i64, stall_days: i64) -> StoreResult<()> {
    if !(1..=100).contains(&focus_limit) {
        return Err(StoreError::invalid(
            "focus_limit",
            Rule::Between { min: 1, max: 100 },
        ));
    }
    if !(1..=365).contains(&stall_days) {
        return Err(StoreError::invalid(
            "stall_days",
            Rule::Between { min: 1, max: 365 },
        ));
    }
    Ok(())
}

/// A free text: present when `required`, and at most [`MAX_TEXT`] characters.
pub(crate) fn text_ok(field: &'static str, s: &str, required: bool) -> StoreResult<()> {
    if required && s.trim().is_empty() {
        return Err(StoreError::invalid(field, Rule::Required));
    }
    if s.chars().count() > MAX_TEXT {
        return Err(StoreError::invalid(field, Rule::TooLong { max: MAX_TEXT }));
    }
    Ok(())
}

pub(crate) const RESOLUTION_COLUMNS: &str = "id, council_id, year, seq, body, meeting_id, agenda_item_id, responsible_agency_id, deadline, priority, in_focus, topic, expected_result, state, state_reason, merged_into, last_activity_on, assigned_on, verified_on, decided_on";

/// A council, read on `conn` (a pool connection, or a write transaction).
pub(crate) async fn council_in(conn: &mut AnyConnection, id: CouncilId) -> StoreResult<Council> {
    let row = sqlx::query(
        "SELECT id, code, name_fa, kind, place_id, secretariat_agency_id, focus_limit, stall_days FROM councils WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    let members: Vec<AgencyId> =
        sqlx::query_scalar("SELECT agency_id FROM council_members WHERE council_id = $1")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    let kind: String = row.try_get("kind")?;
    Ok(Council {
        id: row.try_get("id")?,
        code: row.try_get("code")?,
        name_fa: row.try_get("name_fa")?,
        kind: CouncilKind::from_code(&kind).unwrap_or(CouncilKind::Other),
        place_id: row.try_get("place_id")?,
        secretariat_agency_id: row.try_get("secretariat_agency_id")?,
        focus_limit: row.try_get("focus_limit")?,
        stall_days: row.try_get("stall_days")?,
        members,
    })
}

/// A resolution with its collaborators and places, read on `conn`.
pub(crate) async fn resolution_in(
    conn: &mut AnyConnection,
    id: ResolutionId,
) -> StoreResult<Resolution> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {RESOLUTION_COLUMNS} FROM resolutions WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    let mut r = Store::resolution_from_row(&row)?;
    r.collaborators =
        sqlx::query_scalar("SELECT agency_id FROM resolution_agencies WHERE resolution_id = $1")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    r.places =
        sqlx::query_scalar("SELECT place_id FROM resolution_places WHERE resolution_id = $1")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    Ok(r)
}

/// The resolution of a council with this number, read on `conn`.
pub(crate) async fn resolution_by_number_in(
    conn: &mut AnyConnection,
    council_id: CouncilId,
    number: rules::Number,
) -> StoreResult<Option<Resolution>> {
    let id: Option<ResolutionId> = sqlx::query_scalar(
        "SELECT id FROM resolutions WHERE council_id = $1 AND year = $2 AND seq = $3",
    )
    .bind(council_id)
    .bind(i64::from(number.year))
    .bind(i64::from(number.seq))
    .fetch_optional(&mut *conn)
    .await?;
    match id {
        Some(id) => Ok(Some(resolution_in(conn, id).await?)),
        None => Ok(None),
    }
}

impl Store {
    pub async fn create_council(&self, who: &Who, new: &NewCouncil) -> StoreResult<Council> {
        if !hamafza_core::agency::valid_code(&new.code) {
            return Err(StoreError::invalid("code", Rule::Malformed(Form::Code)));
        }
        text_ok("name_fa", &new.name_fa, true)?;
        council_limits_ok(new.focus_limit, new.stall_days)?;
        let id = CouncilId::new();
        let mut w = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO councils (id, code, name_fa, kind, place_id, secretariat_agency_id, focus_limit, stall_days, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(&new.code)
        .bind(new.name_fa.trim())
        .bind(new.kind.code())
        .bind(new.place_id)
        .bind(new.secretariat_agency_id)
        .bind(new.focus_limit)
        .bind(new.stall_days)
        .bind(now_text())
        .execute(&mut *w.tx)
        .await
        .map_err(|e| constraint_error(e, "code", &new.code, "place_id"))?;
        let mut members = vec![(new.secretariat_agency_id, None)];
        members.extend(
            new.members
                .iter()
                .filter(|(a, _)| *a != new.secretariat_agency_id)
                .cloned(),
        );
        for (agency, representative) in &members {
            sqlx::query("INSERT INTO council_members (council_id, agency_id, representative) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(agency)
                .bind(representative)
                .execute(&mut *w.tx)
                .await
                .map_err(|e| constraint_error(e, "members", agency, "members"))?;
        }
        w.audit(
            who,
            "council.create",
            "council",
            &id,
            serde_json::json!({"after": {"code": new.code, "kind": new.kind.code(), "members": members.len(), "focus_limit": new.focus_limit}}),
        )
        .await?;
        w.commit().await?;
        self.council(id).await
    }

    pub async fn council(&self, id: CouncilId) -> StoreResult<Council> {
        let mut conn = self.pool.acquire().await?;
        council_in(&mut conn, id).await
    }

    pub async fn council_by_code(&self, code: &str) -> StoreResult<Option<Council>> {
        let id: Option<CouncilId> = sqlx::query_scalar("SELECT id FROM councils WHERE code = $1")
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        match id {
            Some(id) => Ok(Some(self.council(id).await?)),
            None => Ok(None),
        }
    }

    pub(crate) fn resolution_from_row(r: &AnyRow) -> StoreResult<Resolution> {
        let state: String = r.try_get("state")?;
        Ok(Resolution {
            id: r.try_get("id")?,
            council_id: r.try_get("council_id")?,
            number: rules::Number {
                year: i32::try_from(r.try_get::<i64, _>("year")?).unwrap_or_default(),
                seq: u32::try_from(r.try_get::<i64, _>("seq")?).unwrap_or_default(),
            },
            body: r.try_get("body")?,
            meeting_id: r.try_get("meeting_id")?,
            agenda_item_id: r.try_get("agenda_item_id")?,
            responsible_agency_id: r.try_get("responsible_agency_id")?,
            collaborators: Vec::new(),
            places: Vec::new(),
            deadline: r.try_get("deadline")?,
            priority: r.try_get("priority")?,
            in_focus: r.try_get::<i64, _>("in_focus")? != 0,
            topic: r.try_get("topic")?,
            expected_result: r.try_get("expected_result")?,
            state: State::from_code(&state)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown state {state}")))?,
            state_reason: r.try_get("state_reason")?,
            merged_into: r.try_get("merged_into")?,
            last_activity_on: r.try_get("last_activity_on")?,
            assigned_on: r.try_get("assigned_on")?,
            verified_on: r.try_get("verified_on")?,
            decided_on: r.try_get("decided_on")?,
        })
    }

    pub async fn resolution(&self, id: ResolutionId) -> StoreResult<Resolution> {
        let mut conn = self.pool.acquire().await?;
        resolution_in(&mut conn, id).await
    }

    /// Every resolution of a council, for the automatic agenda of a meeting its
    /// secretariat records (not a list anyone reads: lists take a `Scope`).
    pub(crate) async fn resolutions_for_agenda(
        &self,
        council_id: CouncilId,
    ) -> StoreResult<Vec<Resolution>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RESOLUTION_COLUMNS} FROM resolutions WHERE council_id = $1 ORDER BY year, seq"
        )))
        .bind(council_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Self::resolution_from_row).collect()
    }

    /// The resolution of a council with this people-facing number, if there is one.
    pub async fn resolution_by_number(
        &self,
        council_id: CouncilId,
        number: rules::Number,
    ) -> StoreResult<Option<Resolution>> {
        let mut conn = self.pool.acquire().await?;
        resolution_by_number_in(&mut conn, council_id, number).await
    }

    /// Who is who in a resolution, for the access rules.
    pub async fn resolution_parties(
        &self,
        r: &Resolution,
    ) -> StoreResult<(Council, Vec<Uuid>, Vec<Uuid>)> {
        let council = self.council(r.council_id).await?;
        let collaborators = r.collaborators.iter().map(|a| a.uuid()).collect();
        let members = council.members.iter().map(|a| a.uuid()).collect();
        Ok((council, collaborators, members))
    }

    /// Empty unless `scope` (from `ViewResolution`) holds the resolution.
    pub async fn resolution_history(
        &self,
        scope: &Scope,
        id: ResolutionId,
    ) -> StoreResult<Vec<HistoryEntry>> {
        let mut binds = vec![id.to_string()];
        let visible = crate::scope_sql::of_resolution(scope, "$1", &mut binds);
        let rows = crate::query_with(
            format!(
                "SELECT at, on_date, user_id, from_state, to_state, note FROM resolution_history
                 WHERE resolution_id = $1 AND {visible} ORDER BY at, id"
            ),
            &binds,
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(HistoryEntry {
                    at: r.try_get("at")?,
                    on_date: r.try_get("on_date")?,
                    user_id: r.try_get("user_id")?,
                    from_state: r.try_get("from_state")?,
                    to_state: r.try_get("to_state")?,
                    note: r.try_get("note")?,
                })
            })
            .collect()
    }

    /// Changes a council's focus limit and stall threshold (its secretariat's head or a
    /// system administrator decides who may; see the web layer).
    pub async fn update_council_settings(
        &self,
        who: &Who,
        council_id: CouncilId,
        focus_limit: i64,
        stall_days: i64,
    ) -> StoreResult<Council> {
        council_limits_ok(focus_limit, stall_days)?;
        let before = self.council(council_id).await?;
        let mut w = self.write_tx().await?;
        sqlx::query("UPDATE councils SET focus_limit = $1, stall_days = $2 WHERE id = $3")
            .bind(focus_limit)
            .bind(stall_days)
            .bind(council_id)
            .execute(&mut *w.tx)
            .await?;
        w.audit(
            who,
            "council.settings",
            "council",
            &council_id,
            serde_json::json!({"before": {"focus_limit": before.focus_limit, "stall_days": before.stall_days}, "after": {"focus_limit": focus_limit, "stall_days": stall_days}}),
        )
        .await?;
        w.commit().await?;
        self.council(council_id).await
    }
}
