//! A council's meetings: the automatic agenda, attendance and minutes.

use hamafza_core::ids::{AgencyId, AgendaItemId, CouncilId, MeetingId, ResolutionId};
use hamafza_core::resolutions::{self as rules, State};
use sqlx::{FromRow, Row};

use super::{Resolution, iso, parse_iso, text_ok};
use crate::audit::Who;
use hamafza_core::access::Scope;

use crate::{Rule, Store, StoreError, StoreResult, new_id, now_text, query_with, scope_sql};

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Meeting {
    pub id: MeetingId,
    pub council_id: CouncilId,
    pub number: i64,
    pub held_on: String,
    pub venue: String,
    pub minutes: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AgendaItem {
    pub id: AgendaItemId,
    pub position: i64,
    pub title: String,
    pub resolution_id: Option<ResolutionId>,
    pub automatic: bool,
}

/// Present, represented by someone else, or absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Present,
    Represented,
    Absent,
}

impl Presence {
    pub const ALL: [Presence; 3] = [Presence::Present, Presence::Represented, Presence::Absent];

    pub fn code(self) -> &'static str {
        match self {
            Presence::Present => "present",
            Presence::Represented => "represented",
            Presence::Absent => "absent",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == s)
    }

    pub fn name_fa(self) -> &'static str {
        match self {
            Presence::Present => "حاضر",
            Presence::Represented => "با نماینده",
            Presence::Absent => "غایب",
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Attendance {
    pub agency_id: AgencyId,
    pub presence: Presence,
    pub representative: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct MeetingDetail {
    pub meeting: Meeting,
    pub agenda: Vec<AgendaItem>,
    pub attendance: Vec<Attendance>,
}

impl Store {
    /// Records a meeting. Every resolution of the council that is overdue, stalled or
    /// waiting for verification goes onto its agenda automatically, after the items given.
    pub async fn create_meeting(
        &self,
        who: &Who,
        council_id: CouncilId,
        held_on: time::Date,
        venue: &str,
        agenda: &[String],
        today: time::Date,
    ) -> StoreResult<(MeetingId, i64, Vec<String>)> {
        text_ok("venue", venue, false)?;
        for item in agenda {
            text_ok("agenda", item, true)?;
        }
        let council = self.council(council_id).await?;
        let pending: Vec<Resolution> = self
            .resolutions_for_agenda(council_id)
            .await?
            .into_iter()
            .filter(|r| {
                let deadline = r.deadline.as_deref().and_then(parse_iso);
                let last = parse_iso(&r.last_activity_on).unwrap_or(today);
                r.state == State::ReportedDone
                    || rules::is_overdue(r.state, deadline, today)
                    || rules::is_stalled(r.state, last, today, council.stall_days)
            })
            .collect();
        let id = MeetingId::new();
        let mut w = self.write_tx().await?;
        let last: Option<i64> =
            sqlx::query_scalar("SELECT MAX(number) FROM meetings WHERE council_id = $1")
                .bind(council_id)
                .fetch_one(&mut *w.tx)
                .await?;
        let number = last.unwrap_or(0) + 1;
        sqlx::query("INSERT INTO meetings (id, council_id, number, held_on, venue, minutes, created_at) VALUES ($1, $2, $3, $4, $5, '', $6)")
            .bind(id)
            .bind(council_id)
            .bind(number)
            .bind(iso(held_on))
            .bind(venue.trim())
            .bind(now_text())
            .execute(&mut *w.tx)
            .await?;
        let automatic = pending.iter().map(|r| {
            let why = if r.state == State::ReportedDone {
                "در انتظار تأیید"
            } else {
                "پیگیری مصوبهٔ معوق یا راکد"
            };
            (
                format!("{}: مصوبهٔ {}", why, r.number.to_persian()),
                Some(r.id),
            )
        });
        let items: Vec<(String, Option<ResolutionId>)> = agenda
            .iter()
            .map(|a| (a.trim().to_string(), None))
            .chain(automatic)
            .collect();
        for (position, (title, resolution)) in items.iter().enumerate() {
            sqlx::query("INSERT INTO agenda_items (id, meeting_id, position, title, resolution_id, automatic) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(new_id())
                .bind(id)
                .bind(i64::try_from(position).unwrap_or(0) + 1)
                .bind(title)
                .bind(resolution)
                .bind(i64::from(resolution.is_some()))
                .execute(&mut *w.tx)
                .await?;
        }
        w.audit(who, "meeting.create", "meeting", &id, serde_json::json!({"after": {"council_id": council_id, "number": number, "agenda_items": items.len()}}))
            .await?;
        w.commit().await?;
        Ok((id, number, items.into_iter().map(|(t, _)| t).collect()))
    }

    /// The council a meeting belongs to: what the policy needs to decide about the
    /// meeting before any of it is read.
    pub async fn meeting_council(&self, id: MeetingId) -> StoreResult<CouncilId> {
        sqlx::query_scalar("SELECT council_id FROM meetings WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// A council's meetings, newest first; none unless `scope` (from
    /// `ViewCouncilRecords`) lets the caller read the council's records.
    pub async fn council_meetings(
        &self,
        scope: &Scope,
        council_id: CouncilId,
    ) -> StoreResult<Vec<Meeting>> {
        let mut binds = vec![council_id.to_string()];
        let visible = scope_sql::council_records(scope, "m.council_id", &mut binds);
        query_with(
            format!(
                "SELECT m.id, m.council_id, m.number, m.held_on, m.venue, m.minutes FROM meetings m
                 WHERE m.council_id = $1 AND {visible} ORDER BY m.number DESC"
            ),
            &binds,
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok(Meeting::from_row(r)?))
        .collect()
    }

    /// One meeting with its agenda and attendance; not found unless `scope` (from
    /// `ViewCouncilRecords`) lets the caller read its council's records.
    pub async fn meeting(&self, scope: &Scope, id: MeetingId) -> StoreResult<MeetingDetail> {
        let mut binds = vec![id.to_string()];
        let visible = scope_sql::council_records(scope, "m.council_id", &mut binds);
        let row = query_with(
            format!(
                "SELECT m.id, m.council_id, m.number, m.held_on, m.venue, m.minutes FROM meetings m
                 WHERE m.id = $1 AND {visible}"
            ),
            &binds,
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let agenda = sqlx::query(
            "SELECT id, position, title, resolution_id, automatic FROM agenda_items WHERE meeting_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(AgendaItem {
                id: r.try_get("id")?,
                position: r.try_get("position")?,
                title: r.try_get("title")?,
                resolution_id: r.try_get("resolution_id")?,
                automatic: r.try_get::<i64, _>("automatic")? != 0,
            })
        })
        .collect::<StoreResult<_>>()?;
        let attendance = sqlx::query(
            "SELECT agency_id, status, representative FROM attendance WHERE meeting_id = $1 ORDER BY agency_id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let status: String = r.try_get("status")?;
            Ok(Attendance {
                agency_id: r.try_get("agency_id")?,
                presence: Presence::from_code(&status).unwrap_or(Presence::Absent),
                representative: r.try_get("representative")?,
            })
        })
        .collect::<StoreResult<_>>()?;
        Ok(MeetingDetail {
            meeting: Meeting::from_row(&row)?,
            agenda,
            attendance,
        })
    }

    /// Writes a meeting's minutes and attendance (replacing what was recorded before).
    /// Attendance is for member agencies only.
    pub async fn record_minutes(
        &self,
        who: &Who,
        meeting_id: MeetingId,
        minutes: &str,
        attendance: &[Attendance],
    ) -> StoreResult<()> {
        text_ok("minutes", minutes, false)?;
        // The caller was checked by the policy (RunCouncil); these reads only check the
        // input against the council.
        let council_id = self.meeting_council(meeting_id).await?;
        let members: Vec<AgencyId> =
            sqlx::query_scalar("SELECT agency_id FROM council_members WHERE council_id = $1")
                .bind(council_id)
                .fetch_all(&self.pool)
                .await?;
        for a in attendance {
            if !members.contains(&a.agency_id) {
                return Err(StoreError::invalid("attendance", Rule::NotAMember));
            }
            if a.presence == Presence::Represented
                && a.representative
                    .as_deref()
                    .is_none_or(|r| r.trim().is_empty())
            {
                return Err(StoreError::invalid(
                    "attendance.representative",
                    Rule::Required,
                ));
            }
            if let Some(r) = &a.representative {
                text_ok("attendance.representative", r, false)?;
            }
        }
        let mut w = self.write_tx().await?;
        sqlx::query("UPDATE meetings SET minutes = $1, minutes_updated_at = $2 WHERE id = $3")
            .bind(minutes.trim())
            .bind(now_text())
            .bind(meeting_id)
            .execute(&mut *w.tx)
            .await?;
        sqlx::query("DELETE FROM attendance WHERE meeting_id = $1")
            .bind(meeting_id)
            .execute(&mut *w.tx)
            .await?;
        for a in attendance {
            sqlx::query("INSERT INTO attendance (meeting_id, agency_id, status, representative) VALUES ($1, $2, $3, $4)")
                .bind(meeting_id)
                .bind(a.agency_id)
                .bind(a.presence.code())
                .bind(a.representative.as_deref().map(str::trim))
                .execute(&mut *w.tx)
                .await
                .map_err(|e| crate::error::constraint_error(e, "attendance", a.agency_id, "attendance"))?;
        }
        w.audit(
            who,
            "meeting.minutes",
            "meeting",
            &meeting_id,
            serde_json::json!({"after": {"attendance": attendance.len(), "minutes_chars": minutes.chars().count()}}),
        )
        .await?;
        w.commit().await
    }
}
