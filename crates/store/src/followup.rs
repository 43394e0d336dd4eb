//! Following resolutions up: filtered lists with each one's latest update, progress
//! updates and their evidence, meetings' minutes and attendance, the inbox and outbox,
//! and the escalation job.

use std::collections::HashMap;

use hamafza_core::access::Scope;
use hamafza_core::resolutions::{Escalation, EscalationPolicy, State};
use hamafza_core::scorecard::Facts;
use sqlx::{FromRow, Row};

use crate::audit::{Who, WriteTx};
use crate::resolutions::{RESOLUTION_COLUMNS, iso, parse_iso, text_ok};
use crate::{Council, Resolution, Store, StoreError, StoreResult, new_id, now_text, query_with};

/// Which resolutions a list shows, within the caller's [`Scope`] (which every list
/// function takes apart from the filter, so it cannot be left out). Empty fields do
/// not filter.
#[derive(Debug, Clone, Default)]
pub struct ResolutionFilter {
    pub council_id: Option<String>,
    /// Responsible for it or collaborating on it.
    pub agency_id: Option<String>,
    pub state: Option<State>,
    /// Concerning this place or any place under it.
    pub place_id: Option<String>,
    /// Decided within these days (inclusive).
    pub decided_between: Option<(time::Date, time::Date)>,
    pub overdue_only: bool,
    pub stalled_only: bool,
    /// Only these resolutions (by id).
    pub ids: Option<Vec<String>>,
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
    pub id: String,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Update {
    pub id: String,
    pub agency_id: String,
    pub user_id: String,
    pub on_date: String,
    pub percent: i64,
    pub body: String,
    pub evidence: Vec<EvidenceMeta>,
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Meeting {
    pub id: String,
    pub council_id: String,
    pub number: i64,
    pub held_on: String,
    pub venue: String,
    pub minutes: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AgendaItem {
    pub id: String,
    pub position: i64,
    pub title: String,
    pub resolution_id: Option<String>,
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
    pub agency_id: String,
    pub presence: Presence,
    pub representative: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct MeetingDetail {
    pub meeting: Meeting,
    pub agenda: Vec<AgendaItem>,
    pub attendance: Vec<Attendance>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Notification {
    pub id: String,
    pub resolution_id: Option<String>,
    pub kind: String,
    pub body: String,
    pub created_at: String,
    pub read: bool,
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct OutboxMessage {
    pub id: String,
    pub user_id: String,
    pub body: String,
    pub created_at: String,
}

/// What one escalation run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct EscalationRun {
    pub reminders: usize,
    pub head_notices: usize,
    pub agenda: usize,
}

/// The day a spell of trouble began: the day after the deadline for an overdue
/// resolution, the day it crossed the stall threshold for a stalled one; the earlier of
/// the two when both hold. `None` when it is neither on `today`.
pub fn trouble_began(f: &Facts, today: time::Date) -> Option<time::Date> {
    let overdue = f
        .is_overdue(today)
        .then(|| f.deadline.and_then(|d| d.next_day()))
        .flatten();
    let stalled = f
        .is_stalled(today)
        .then(|| f.last_activity_on + time::Duration::days(f.stall_days));
    match (overdue, stalled) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn filter_sql(scope: &Scope, f: &ResolutionFilter, binds: &mut Vec<String>) -> String {
    let mut conditions = vec![crate::scope_sql::resolutions(scope, binds)];
    let mut bind = |v: String| {
        binds.push(v);
        format!("${}", binds.len())
    };
    if let Some(c) = &f.council_id {
        conditions.push(format!("r.council_id = {}", bind(c.clone())));
    }
    if let Some(a) = &f.agency_id {
        let p = bind(a.clone());
        conditions.push(format!(
            "(r.responsible_agency_id = {p} OR EXISTS (SELECT 1 FROM resolution_agencies ra WHERE ra.resolution_id = r.id AND ra.agency_id = {p}))"
        ));
    }
    if let Some(s) = f.state {
        conditions.push(format!("r.state = {}", bind(s.code().into())));
    }
    if let Some(place) = &f.place_id {
        let p = bind(place.clone());
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
            let marks: Vec<String> = ids.iter().map(|id| bind(id.clone())).collect();
            conditions.push(format!("r.id IN ({})", marks.join(", ")));
        }
    }
    conditions.join(" AND ")
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
        let mut collaborators_of: HashMap<String, Vec<String>> = HashMap::new();
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
    ) -> StoreResult<Vec<(String, Facts)>> {
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
                            .ok_or_else(|| StoreError::Invalid(format!("unknown state {state}")))?,
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
            out.push(self.council(&row.try_get::<String, _>("id")?).await?);
        }
        Ok(out)
    }

    /// Whether `agency` leads or collaborates on at least one resolution of the council:
    /// the one fact about a council, besides its members, that access to it depends on.
    pub async fn agency_takes_part_in_council(
        &self,
        council_id: &str,
        agency_id: &str,
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

    /// A council's member agencies with their representatives.
    pub async fn council_members(
        &self,
        council_id: &str,
    ) -> StoreResult<Vec<(String, Option<String>)>> {
        let rows = sqlx::query(
            "SELECT agency_id, representative FROM council_members WHERE council_id = $1 ORDER BY agency_id",
        )
        .bind(council_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("agency_id")?, r.try_get("representative")?)))
            .collect()
    }

    /// Updates of a resolution, oldest first, each with its evidence files' metadata.
    pub async fn resolution_updates(&self, id: &str) -> StoreResult<Vec<Update>> {
        let rows = sqlx::query(
            "SELECT id, agency_id, user_id, on_date, percent, body FROM resolution_updates
             WHERE resolution_id = $1 ORDER BY on_date, created_at, id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let files = sqlx::query(
            "SELECT id, update_id, file_name, media_type, size, sha256, uploaded_by FROM evidence_files
             WHERE resolution_id = $1 ORDER BY created_at, id",
        )
        .bind(id)
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

    /// One evidence file: its metadata, the resolution it belongs to, and its bytes.
    pub async fn evidence_file(&self, id: &str) -> StoreResult<(EvidenceMeta, String, Vec<u8>)> {
        let row = sqlx::query(
            "SELECT id, resolution_id, file_name, media_type, size, sha256, uploaded_by, content FROM evidence_files WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok((
            EvidenceMeta::from_row(&row)?,
            row.try_get("resolution_id")?,
            row.try_get("content")?,
        ))
    }

    pub async fn council_meetings(&self, council_id: &str) -> StoreResult<Vec<Meeting>> {
        Ok(sqlx::query_as(
            "SELECT id, council_id, number, held_on, venue, minutes FROM meetings WHERE council_id = $1 ORDER BY number DESC",
        )
        .bind(council_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn meeting(&self, id: &str) -> StoreResult<MeetingDetail> {
        let row = sqlx::query(
            "SELECT id, council_id, number, held_on, venue, minutes FROM meetings WHERE id = $1",
        )
        .bind(id)
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
        meeting_id: &str,
        minutes: &str,
        attendance: &[Attendance],
    ) -> StoreResult<()> {
        text_ok("صورت‌جلسه", minutes, false)?;
        let detail = self.meeting(meeting_id).await?;
        let members: Vec<String> = self
            .council_members(&detail.meeting.council_id)
            .await?
            .into_iter()
            .map(|(a, _)| a)
            .collect();
        for a in attendance {
            if !members.contains(&a.agency_id) {
                return Err(StoreError::Invalid(
                    "حضور فقط برای دستگاه‌های عضو شورا ثبت می‌شود".into(),
                ));
            }
            if a.presence == Presence::Represented
                && a.representative
                    .as_deref()
                    .is_none_or(|r| r.trim().is_empty())
            {
                return Err(StoreError::Invalid(
                    "برای حضور با نماینده، نام نماینده را بنویسید".into(),
                ));
            }
            if let Some(r) = &a.representative {
                text_ok("نام نماینده", r, false)?;
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
                .bind(&a.agency_id)
                .bind(a.presence.code())
                .bind(a.representative.as_deref().map(str::trim))
                .execute(&mut *w.tx)
                .await
                .map_err(|e| crate::error::constraint_error(e, "حضور هر دستگاه یک بار ثبت می‌شود", "دستگاه پیدا نشد"))?;
        }
        w.audit(
            who,
            "meeting.minutes",
            "meeting",
            meeting_id,
            serde_json::json!({"after": {"attendance": attendance.len(), "minutes_chars": minutes.chars().count()}}),
        )
        .await?;
        w.commit().await
    }

    /// A user's notifications, newest first.
    pub async fn inbox(&self, user_id: &str, limit: i64) -> StoreResult<Vec<Notification>> {
        let rows = sqlx::query(
            "SELECT id, resolution_id, kind, body, created_at, read_at FROM notifications
             WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Notification {
                    id: r.try_get("id")?,
                    resolution_id: r.try_get("resolution_id")?,
                    kind: r.try_get("kind")?,
                    body: r.try_get("body")?,
                    created_at: r.try_get("created_at")?,
                    read: r.try_get::<Option<String>, _>("read_at")?.is_some(),
                })
            })
            .collect()
    }

    pub async fn unread_count(&self, user_id: &str) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Marks all of a user's notifications read (their own only).
    pub async fn mark_inbox_read(&self, user_id: &str) -> StoreResult<u64> {
        Ok(sqlx::query(
            "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL",
        )
        .bind(now_text())
        .bind(user_id)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// Messages a gateway has not delivered yet, oldest first.
    pub async fn pending_outbox(&self, limit: i64) -> StoreResult<Vec<OutboxMessage>> {
        Ok(sqlx::query_as(
            "SELECT id, user_id, body, created_at FROM outbox WHERE sent_at IS NULL ORDER BY created_at, id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Sends the escalation steps that are due on `today` for every overdue or stalled
    /// resolution: a reminder to the responsible agency's officers, then a notice to its
    /// head, then a note to the secretariat that it goes on the next agenda (where
    /// `create_meeting` puts it). Steps are remembered per spell of trouble, so running
    /// the job twice on a day sends nothing twice, and a clock that jumps weeks ahead
    /// still sends every step in order.
    pub async fn run_escalations(
        &self,
        policy: &EscalationPolicy,
        today: time::Date,
    ) -> StoreResult<EscalationRun> {
        let every = Scope::system_job("escalation");
        let rows = self
            .list_resolutions(&every, &ResolutionFilter::default(), today)
            .await?;
        let troubled: Vec<(ResolutionRow, time::Date)> = rows
            .into_iter()
            .filter_map(|row| trouble_began(&row.facts(), today).map(|b| (row, b)))
            .collect();
        let mut run = EscalationRun::default();
        if troubled.is_empty() {
            return Ok(run);
        }
        let mut w = self.write_tx().await?;
        for (row, began) in &troubled {
            let r = &row.resolution;
            let taken: Vec<String> = sqlx::query_scalar(
                "SELECT step FROM escalations WHERE resolution_id = $1 AND began_on = $2",
            )
            .bind(&r.id)
            .bind(iso(*began))
            .fetch_all(&mut *w.tx)
            .await?;
            let already = taken.iter().filter_map(|s| Escalation::from_code(s)).max();
            let steps = policy.steps_to_send((today - *began).whole_days(), already);
            if steps.is_empty() {
                continue;
            }
            let secretariat: String =
                sqlx::query_scalar("SELECT secretariat_agency_id FROM councils WHERE id = $1")
                    .bind(&r.council_id)
                    .fetch_one(&mut *w.tx)
                    .await?;
            let number = r.number.to_persian();
            let why = if row.facts().is_overdue(today) {
                "از مهلت گذشته"
            } else {
                "بی‌گزارش مانده"
            };
            for step in &steps {
                let (agency, role, body) = match step {
                    Escalation::Reminder => {
                        run.reminders += 1;
                        (
                            &r.responsible_agency_id,
                            "agency_officer",
                            format!(
                                "یادآوری: مصوبهٔ {number} ({}) {why}؛ گزارش پیشرفت بفرستید.",
                                row.council_name
                            ),
                        )
                    }
                    Escalation::HeadNotice => {
                        run.head_notices += 1;
                        (
                            &r.responsible_agency_id,
                            "agency_admin",
                            format!(
                                "اخطار به رئیس دستگاه: مصوبهٔ {number} ({}) {why} و یادآوری بی‌پاسخ مانده است.",
                                row.council_name
                            ),
                        )
                    }
                    Escalation::Agenda => {
                        run.agenda += 1;
                        (
                            &secretariat,
                            "council_secretary",
                            format!(
                                "مصوبهٔ {number} ({}) {why} و در دستور جلسهٔ بعدی شورا قرار می‌گیرد.",
                                row.council_name
                            ),
                        )
                    }
                };
                let recipients = users_with_role(&mut w, agency, role).await?;
                notify(&mut w, &recipients, Some(&r.id), step.code(), &body).await?;
                sqlx::query("INSERT INTO escalations (resolution_id, began_on, step, taken_on) VALUES ($1, $2, $3, $4)")
                    .bind(&r.id)
                    .bind(iso(*began))
                    .bind(step.code())
                    .bind(iso(today))
                    .execute(&mut *w.tx)
                    .await?;
            }
            w.audit(
                &Who::system(),
                "resolution.escalate",
                "resolution",
                &r.id,
                serde_json::json!({"after": {"began_on": iso(*began), "steps": steps.iter().map(|s| s.code()).collect::<Vec<_>>()}}),
            )
            .await?;
        }
        w.commit().await?;
        Ok(run)
    }
}

/// Active users of an agency holding a role.
pub(crate) async fn users_with_role(
    w: &mut WriteTx,
    agency_id: &str,
    role: &str,
) -> StoreResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT u.id FROM users u JOIN user_roles ur ON ur.user_id = u.id
         WHERE u.agency_id = $1 AND ur.role = $2 AND u.active = 1 ORDER BY u.id",
    )
    .bind(agency_id)
    .bind(role)
    .fetch_all(&mut *w.tx)
    .await?)
}

/// Puts a notice in each recipient's inbox and in the outbox for a gateway.
pub(crate) async fn notify(
    w: &mut WriteTx,
    recipients: &[String],
    resolution_id: Option<&str>,
    kind: &str,
    body: &str,
) -> StoreResult<()> {
    let now = now_text();
    for user in recipients {
        let id = new_id();
        sqlx::query("INSERT INTO notifications (id, user_id, resolution_id, kind, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&id)
            .bind(user)
            .bind(resolution_id)
            .bind(kind)
            .bind(body)
            .bind(&now)
            .execute(&mut *w.tx)
            .await?;
        sqlx::query("INSERT INTO outbox (id, notification_id, user_id, body, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(new_id())
            .bind(&id)
            .bind(user)
            .bind(body)
            .bind(&now)
            .execute(&mut *w.tx)
            .await?;
    }
    Ok(())
}

/// The notices a state change sends: who has to act next is told.
pub(crate) async fn notify_transition(
    w: &mut WriteTx,
    r: &Resolution,
    council: &Council,
    to: State,
    reason: Option<&str>,
) -> StoreResult<()> {
    let number = r.number.to_persian();
    let (agency, role, kind, body) = match (r.state, to) {
        (_, State::Assigned) => (
            &r.responsible_agency_id,
            "agency_officer",
            "assigned",
            format!(
                "مصوبهٔ {number} ({}) به دستگاه شما واگذار شد.",
                council.name_fa
            ),
        ),
        (_, State::ReportedDone) => (
            &council.secretariat_agency_id,
            "council_secretary",
            "reported_done",
            format!(
                "انجام مصوبهٔ {number} ({}) اعلام شد و در انتظار تأیید شماست.",
                council.name_fa
            ),
        ),
        (State::ReportedDone, State::InProgress) => (
            &r.responsible_agency_id,
            "agency_officer",
            "sent_back",
            format!(
                "مصوبهٔ {number} ({}) بازگردانده شد: {}",
                council.name_fa,
                reason.unwrap_or_default()
            ),
        ),
        (_, State::Verified) => (
            &r.responsible_agency_id,
            "agency_officer",
            "verified",
            format!("انجام مصوبهٔ {number} ({}) تأیید شد.", council.name_fa),
        ),
        _ => return Ok(()),
    };
    let recipients = users_with_role(w, agency, role).await?;
    notify(w, &recipients, Some(&r.id), kind, &body).await
}

/// A state change in a reporting period.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Change {
    pub resolution_id: String,
    /// The business day (ISO).
    pub on_date: String,
    pub from_state: Option<String>,
    pub to_state: String,
}

impl Store {
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
}

/// A collaborating agency's own part in a resolution.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Collaboration {
    pub agency_id: String,
    pub action: Option<String>,
    pub deadline: Option<String>,
}

impl Store {
    pub async fn collaborations(&self, resolution_id: &str) -> StoreResult<Vec<Collaboration>> {
        Ok(sqlx::query_as(
            "SELECT agency_id, action, deadline FROM resolution_agencies WHERE resolution_id = $1 ORDER BY agency_id",
        )
        .bind(resolution_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Changes a council's focus limit and stall threshold (its secretariat's head or a
    /// system administrator decides who may; see the web layer).
    pub async fn update_council_settings(
        &self,
        who: &Who,
        council_id: &str,
        focus_limit: i64,
        stall_days: i64,
    ) -> StoreResult<Council> {
        if !(1..=100).contains(&focus_limit) || !(1..=365).contains(&stall_days) {
            return Err(StoreError::Invalid(
                "سقف مصوبات در کانون (۱ تا ۱۰۰) یا روزهای رکود (۱ تا ۳۶۵) نادرست است".into(),
            ));
        }
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
            council_id,
            serde_json::json!({"before": {"focus_limit": before.focus_limit, "stall_days": before.stall_days}, "after": {"focus_limit": focus_limit, "stall_days": stall_days}}),
        )
        .await?;
        w.commit().await?;
        self.council(council_id).await
    }
}
