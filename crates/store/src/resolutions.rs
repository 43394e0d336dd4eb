//! Councils, meetings and resolutions: follow every decision to a verified result.
//!
//! Every move goes through `hamafza_core::resolutions::decide_move`, is written to the
//! resolution's own history and to the audit chain in one transaction. "Today" is always
//! passed in, so tests can move the clock.

use hamafza_core::access::{Action, Actor, Decision, DenyReason, Target, decide};
use hamafza_core::audit::hex;
use hamafza_core::resolutions::{
    self as rules, CouncilKind, MoveFacts, MoveRefusal, Parties, State, Transition,
    TransitionError, decide_move,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::audit::WriteTx;
use crate::error::constraint_error;
use crate::{Store, StoreError, StoreResult, Who, new_id, now_text};

#[derive(Debug, Clone, Serialize)]
pub struct Council {
    pub id: String,
    pub code: String,
    pub name_fa: String,
    pub kind: CouncilKind,
    pub place_id: String,
    pub secretariat_agency_id: String,
    pub focus_limit: i64,
    pub stall_days: i64,
    /// Member agencies, the secretariat included.
    pub members: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct NewCouncil {
    pub code: String,
    pub name_fa: String,
    pub kind: CouncilKind,
    pub place_id: String,
    pub secretariat_agency_id: String,
    pub focus_limit: i64,
    pub stall_days: i64,
    /// (agency id, representative)
    pub members: Vec<(String, Option<String>)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Resolution {
    pub id: String,
    pub council_id: String,
    pub number: rules::Number,
    pub body: String,
    pub meeting_id: Option<String>,
    /// The agenda item of that meeting that decided it.
    pub agenda_item_id: Option<String>,
    pub responsible_agency_id: String,
    pub collaborators: Vec<String>,
    pub places: Vec<String>,
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
    pub council_id: String,
    /// Jalali year of the decision: the first half of its number.
    pub year: i32,
    pub body: String,
    pub meeting_id: Option<String>,
    pub agenda_item_id: Option<String>,
    pub responsible_agency_id: String,
    /// (agency id, its own action, its own deadline as ISO date)
    pub collaborators: Vec<(String, Option<String>, Option<String>)>,
    pub places: Vec<String>,
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
    pub user_id: Option<String>,
    pub from_state: Option<String>,
    pub to_state: String,
    pub note: Option<String>,
}

const MAX_TEXT: usize = 20_000;

pub(crate) fn iso(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

pub(crate) fn parse_iso(s: &str) -> Option<time::Date> {
    let mut it = s.splitn(3, '-');
    let y = it.next()?.parse().ok()?;
    let m = time::Month::try_from(it.next()?.parse::<u8>().ok()?).ok()?;
    let d = it.next()?.parse().ok()?;
    time::Date::from_calendar_date(y, m, d).ok()
}

/// A stored agency id for the access policy. The store writes every id as a UUID;
/// an unreadable one becomes `Uuid::max()`, which is no agency's (never the nil UUID,
/// and never the caller's), so the policy refuses rather than confuses.
pub fn uuid_of(s: &str) -> Uuid {
    Uuid::parse_str(s).unwrap_or(Uuid::max())
}

pub(crate) fn text_ok(field: &str, s: &str, required: bool) -> StoreResult<()> {
    if required && s.trim().is_empty() {
        return Err(StoreError::Invalid(format!("{field} خالی است")));
    }
    if s.chars().count() > MAX_TEXT {
        return Err(StoreError::Invalid(format!(
            "{field} بلندتر از ۲۰٬۰۰۰ نویسه است"
        )));
    }
    Ok(())
}

pub(crate) const RESOLUTION_COLUMNS: &str = "id, council_id, year, seq, body, meeting_id, agenda_item_id, responsible_agency_id, deadline, priority, in_focus, topic, expected_result, state, state_reason, merged_into, last_activity_on, assigned_on, verified_on, decided_on";

impl Store {
    pub async fn create_council(&self, who: &Who, new: &NewCouncil) -> StoreResult<Council> {
        if !hamafza_core::agency::valid_code(&new.code) {
            return Err(StoreError::Invalid(
                "کد شورا باید ۲ تا ۶۴ نویسهٔ لاتین، رقم، نقطه، خط تیره یا زیرخط باشد".into(),
            ));
        }
        text_ok("نام شورا", &new.name_fa, true)?;
        if !(1..=100).contains(&new.focus_limit) || !(1..=365).contains(&new.stall_days) {
            return Err(StoreError::Invalid(
                "سقف مصوبات در کانون (۱ تا ۱۰۰) یا روزهای رکود (۱ تا ۳۶۵) نادرست است".into(),
            ));
        }
        let id = new_id();
        let mut w = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO councils (id, code, name_fa, kind, place_id, secretariat_agency_id, focus_limit, stall_days, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(&new.code)
        .bind(new.name_fa.trim())
        .bind(new.kind.code())
        .bind(&new.place_id)
        .bind(&new.secretariat_agency_id)
        .bind(new.focus_limit)
        .bind(new.stall_days)
        .bind(now_text())
        .execute(&mut *w.tx)
        .await
        .map_err(|e| constraint_error(e, "شورایی با این کد از پیش هست", "مکان یا دستگاه دبیرخانه پیدا نشد"))?;
        let mut members = vec![(new.secretariat_agency_id.clone(), None)];
        members.extend(
            new.members
                .iter()
                .filter(|(a, _)| *a != new.secretariat_agency_id)
                .cloned(),
        );
        for (agency, representative) in &members {
            sqlx::query("INSERT INTO council_members (council_id, agency_id, representative) VALUES ($1, $2, $3)")
                .bind(&id)
                .bind(agency)
                .bind(representative)
                .execute(&mut *w.tx)
                .await
                .map_err(|e| constraint_error(e, "دستگاه عضو تکراری است", "دستگاه عضو پیدا نشد"))?;
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
        self.council(&id).await
    }

    pub async fn council(&self, id: &str) -> StoreResult<Council> {
        let mut conn = self.pool.acquire().await?;
        council_in(&mut conn, id).await
    }

    pub async fn council_by_code(&self, code: &str) -> StoreResult<Option<Council>> {
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM councils WHERE code = $1")
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        match id {
            Some(id) => Ok(Some(self.council(&id).await?)),
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
                .ok_or_else(|| StoreError::Invalid(format!("unknown state {state}")))?,
            state_reason: r.try_get("state_reason")?,
            merged_into: r.try_get("merged_into")?,
            last_activity_on: r.try_get("last_activity_on")?,
            assigned_on: r.try_get("assigned_on")?,
            verified_on: r.try_get("verified_on")?,
            decided_on: r.try_get("decided_on")?,
        })
    }

    pub async fn resolution(&self, id: &str) -> StoreResult<Resolution> {
        let mut conn = self.pool.acquire().await?;
        resolution_in(&mut conn, id).await
    }

    /// Every resolution of a council, for the automatic agenda of a meeting its
    /// secretariat records (not a list anyone reads: lists take a `Scope`).
    async fn resolutions_for_agenda(&self, council_id: &str) -> StoreResult<Vec<Resolution>> {
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
        council_id: &str,
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
        let council = self.council(&r.council_id).await?;
        let collaborators = r.collaborators.iter().map(|a| uuid_of(a)).collect();
        let members = council.members.iter().map(|a| uuid_of(a)).collect();
        Ok((council, collaborators, members))
    }

    /// Records a new resolution as a draft with the next number of its council and year.
    pub async fn create_resolution(
        &self,
        who: &Who,
        new: &NewResolution,
        today: time::Date,
    ) -> StoreResult<Resolution> {
        text_ok("متن مصوبه", &new.body, true)?;
        text_ok("موضوع", &new.topic, false)?;
        if let Some(e) = &new.expected_result {
            text_ok("نتیجهٔ مورد انتظار", e, false)?;
        }
        if new
            .deadline
            .as_deref()
            .is_some_and(|d| parse_iso(d).is_none())
        {
            return Err(StoreError::Invalid("مهلت نادرست است".into()));
        }
        if !(1..=3).contains(&new.priority) {
            return Err(StoreError::Invalid(
                "اولویت باید ۱ (بالا) تا ۳ (پایین) باشد".into(),
            ));
        }
        if new
            .collaborators
            .iter()
            .any(|(a, _, _)| *a == new.responsible_agency_id)
        {
            return Err(StoreError::Invalid(
                "دستگاه مسئول نمی‌تواند هم‌زمان همکار باشد".into(),
            ));
        }
        let council = self.council(&new.council_id).await?;
        let id = new_id();
        let mut w = self.write_tx().await?;
        if new.in_focus {
            check_focus(&mut w, &council).await?;
        }
        let last: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(seq) FROM resolutions WHERE council_id = $1 AND year = $2",
        )
        .bind(&council.id)
        .bind(i64::from(new.year))
        .fetch_one(&mut *w.tx)
        .await?;
        let seq = last.unwrap_or(0) + 1;
        let meeting_day: Option<String> = match &new.meeting_id {
            Some(m) => {
                sqlx::query_scalar("SELECT held_on FROM meetings WHERE id = $1 AND council_id = $2")
                    .bind(m)
                    .bind(&council.id)
                    .fetch_optional(&mut *w.tx)
                    .await?
            }
            None => None,
        };
        if new.meeting_id.is_some() && meeting_day.is_none() {
            return Err(StoreError::Invalid("جلسه در این شورا پیدا نشد".into()));
        }
        if let Some(item) = &new.agenda_item_id {
            let of_meeting: Option<String> =
                sqlx::query_scalar("SELECT meeting_id FROM agenda_items WHERE id = $1")
                    .bind(item)
                    .fetch_optional(&mut *w.tx)
                    .await?;
            if of_meeting.is_none() || of_meeting != new.meeting_id {
                return Err(StoreError::Invalid(
                    "بند دستور جلسه از همین جلسه نیست".into(),
                ));
            }
        }
        let decided_on = new
            .decided_on
            .map(iso)
            .or(meeting_day)
            .unwrap_or_else(|| iso(today));
        sqlx::query(
            "INSERT INTO resolutions (id, council_id, year, seq, body, meeting_id, agenda_item_id, responsible_agency_id, deadline, priority, in_focus, topic, expected_result, state, last_activity_on, created_at, decided_on)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(&id)
        .bind(&council.id)
        .bind(i64::from(new.year))
        .bind(seq)
        .bind(new.body.trim())
        .bind(&new.meeting_id)
        .bind(&new.agenda_item_id)
        .bind(&new.responsible_agency_id)
        .bind(&new.deadline)
        .bind(new.priority)
        .bind(i64::from(new.in_focus))
        .bind(new.topic.trim())
        .bind(&new.expected_result)
        .bind(State::Draft.code())
        .bind(iso(today))
        .bind(now_text())
        .bind(&decided_on)
        .execute(&mut *w.tx)
        .await
        .map_err(|e| constraint_error(e, "شمارهٔ مصوبه تکراری است", "دستگاه مسئول یا جلسه پیدا نشد"))?;
        for (agency, action, deadline) in &new.collaborators {
            sqlx::query("INSERT INTO resolution_agencies (resolution_id, agency_id, action, deadline) VALUES ($1, $2, $3, $4)")
                .bind(&id)
                .bind(agency)
                .bind(action)
                .bind(deadline)
                .execute(&mut *w.tx)
                .await
                .map_err(|e| constraint_error(e, "دستگاه همکار تکراری است", "دستگاه همکار پیدا نشد"))?;
        }
        for place in &new.places {
            sqlx::query("INSERT INTO resolution_places (resolution_id, place_id) VALUES ($1, $2)")
                .bind(&id)
                .bind(place)
                .execute(&mut *w.tx)
                .await
                .map_err(|e| constraint_error(e, "مکان تکراری است", "مکان پیدا نشد"))?;
        }
        history(&mut w, &id, who, today, None, State::Draft, None).await?;
        w.audit(
            who,
            "resolution.create",
            "resolution",
            &id,
            serde_json::json!({"after": {"council_id": council.id, "number": format!("{}/{seq}", new.year), "responsible": new.responsible_agency_id, "deadline": new.deadline}}),
        )
        .await?;
        w.commit().await?;
        self.resolution(&id).await
    }

    /// Moves a resolution for `actor`: everything the decision needs is read inside the
    /// write transaction, `hamafza_core::resolutions::decide_move` is asked once, and the
    /// move, its history, notifications and audit entry are written in the same
    /// transaction. A merge target may be named by its number in the same council
    /// («۱۴۰۴/۳») or by its id. Refusals say why, in Persian.
    pub async fn move_resolution(
        &self,
        who: &Who,
        actor: &Actor,
        id: &str,
        t: &Transition,
        today: time::Date,
    ) -> StoreResult<Resolution> {
        let mut w = self.write_tx().await?;
        let r = resolution_in(&mut w.tx, id).await?;
        let council = council_in(&mut w.tx, &r.council_id).await?;
        let collaborators: Vec<Uuid> = r.collaborators.iter().map(|a| uuid_of(a)).collect();
        let members: Vec<Uuid> = council.members.iter().map(|a| uuid_of(a)).collect();
        let evidence: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM evidence_files WHERE resolution_id = $1")
                .bind(id)
                .fetch_one(&mut *w.tx)
                .await?;
        let reporter: Option<Option<String>> = sqlx::query_scalar(
            "SELECT user_id FROM resolution_history WHERE resolution_id = $1 AND to_state = 'reported_done' ORDER BY at DESC, id DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&mut *w.tx)
        .await?;
        let facts = MoveFacts {
            id,
            state: r.state,
            parties: Parties {
                secretariat: uuid_of(&council.secretariat_agency_id),
                responsible: uuid_of(&r.responsible_agency_id),
                collaborators: &collaborators,
                council_members: &members,
            },
            evidence_files: usize::try_from(evidence).unwrap_or(0),
            reported_by: reporter.flatten().and_then(|u| Uuid::parse_str(&u).ok()),
        };
        // A merge target named by its number is looked up in the same council first, so
        // that the rule "not into itself" sees the real id.
        let t = match t {
            Transition::MergeInto { other } => Transition::MergeInto {
                other: merge_target(&mut w.tx, &r, other).await?,
            },
            t => t.clone(),
        };
        let to = decide_move(actor, &facts, &t).map_err(|refusal| match refusal {
            MoveRefusal::Hidden => StoreError::NotFound,
            MoveRefusal::Role => StoreError::Forbidden(DenyReason::Role.message_fa().to_string()),
            MoveRefusal::Rule(e @ TransitionError::WrongParty(_)) => {
                StoreError::Forbidden(e.to_string())
            }
            MoveRefusal::Rule(e) => StoreError::Invalid(e.to_string()),
        })?;
        let (reason, merged_into) = match &t {
            Transition::SendBack { reason }
            | Transition::Cancel { reason }
            | Transition::CloseWithoutResult { reason }
            | Transition::Reopen { reason } => (Some(reason.trim().to_string()), None),
            Transition::MergeInto { other } => (None, Some(other.clone())),
            _ => (None, None),
        };
        if let Transition::Reopen { .. } = t
            && r.in_focus
        {
            check_focus(&mut w, &council).await?;
        }
        let today_s = iso(today);
        sqlx::query(
            "UPDATE resolutions SET state = $1, state_reason = $2, merged_into = COALESCE($3, merged_into), last_activity_on = $4,
                 assigned_on = CASE WHEN $5 = 'assigned' THEN $4 ELSE assigned_on END,
                 verified_on = CASE WHEN $5 = 'verified' THEN $4 WHEN $5 = 'in_progress' THEN NULL ELSE verified_on END
             WHERE id = $6",
        )
        .bind(to.code())
        .bind(&reason)
        .bind(&merged_into)
        .bind(&today_s)
        .bind(to.code())
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        history(&mut w, id, who, today, Some(r.state), to, reason.as_deref()).await?;
        crate::followup::notify_transition(&mut w, &r, &council, to, reason.as_deref()).await?;
        w.audit(
            who,
            "resolution.transition",
            "resolution",
            id,
            serde_json::json!({"before": {"state": r.state.code()}, "after": {"state": to.code(), "merged_into": merged_into}}),
        )
        .await?;
        w.commit().await?;
        self.resolution(id).await
    }

    /// A dated progress update from the responsible or a collaborating agency (decided
    /// by the access policy's `ReportProgress`), with its evidence files. An assigned
    /// resolution starts with its first update.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_resolution_update(
        &self,
        who: &Who,
        actor: &Actor,
        id: &str,
        percent: i64,
        body: &str,
        evidence: &[NewEvidence],
        today: time::Date,
    ) -> StoreResult<String> {
        if !(0..=100).contains(&percent) {
            return Err(StoreError::Invalid(
                "درصد پیشرفت باید بین ۰ و ۱۰۰ باشد".into(),
            ));
        }
        text_ok("شرح پیشرفت", body, true)?;
        for e in evidence {
            text_ok("نام پرونده", &e.file_name, true)?;
            if e.content.is_empty() {
                return Err(StoreError::Invalid(format!(
                    "پروندهٔ «{}» خالی است",
                    e.file_name
                )));
            }
        }
        let r = self.resolution(id).await?;
        let (council, collaborators, members) = self.resolution_parties(&r).await?;
        let parties = Parties {
            secretariat: uuid_of(&council.secretariat_agency_id),
            responsible: uuid_of(&r.responsible_agency_id),
            collaborators: &collaborators,
            council_members: &members,
        };
        match decide(actor, Action::ReportProgress, Target::Resolution(&parties)) {
            Decision::Allow => {}
            Decision::Deny(DenyReason::Hidden) => return Err(StoreError::NotFound),
            Decision::Deny(DenyReason::Agency) => {
                return Err(StoreError::Forbidden(
                    "فقط دستگاه مسئول و دستگاه‌های همکار گزارش پیشرفت می‌فرستند".into(),
                ));
            }
            Decision::Deny(reason) => {
                return Err(StoreError::Forbidden(reason.message_fa().into()));
            }
        }
        let (user_id, agency) = (actor.user_id.to_string(), actor.agency_id);
        let user_id = user_id.as_str();
        if !matches!(r.state, State::Assigned | State::InProgress) {
            return Err(StoreError::Invalid(format!(
                "در وضعیت «{}» گزارش پیشرفت پذیرفته نیست",
                r.state.name_fa()
            )));
        }
        let update_id = new_id();
        let today_s = iso(today);
        let mut w = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO resolution_updates (id, resolution_id, agency_id, user_id, on_date, percent, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&update_id)
        .bind(id)
        .bind(agency.to_string())
        .bind(user_id)
        .bind(&today_s)
        .bind(percent)
        .bind(body.trim())
        .bind(now_text())
        .execute(&mut *w.tx)
        .await?;
        let mut digests = Vec::new();
        for e in evidence {
            let sha = hex(&Sha256::digest(&e.content));
            sqlx::query(
                "INSERT INTO evidence_files (id, resolution_id, update_id, file_name, media_type, size, sha256, uploaded_by, created_at, content)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(new_id())
            .bind(id)
            .bind(&update_id)
            .bind(&e.file_name)
            .bind(&e.media_type)
            .bind(i64::try_from(e.content.len()).unwrap_or(i64::MAX))
            .bind(&sha)
            .bind(user_id)
            .bind(now_text())
            .bind(&e.content)
            .execute(&mut *w.tx)
            .await?;
            digests.push(sha);
        }
        let new_state = if r.state == State::Assigned {
            State::InProgress
        } else {
            r.state
        };
        sqlx::query("UPDATE resolutions SET last_activity_on = $1, state = $2, latest_update_on = $1, latest_percent = $3, latest_body = $4 WHERE id = $5")
            .bind(&today_s)
            .bind(new_state.code())
            .bind(percent)
            .bind(body.trim())
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        if new_state != r.state {
            history(
                &mut w,
                id,
                who,
                today,
                Some(r.state),
                new_state,
                Some("نخستین گزارش پیشرفت"),
            )
            .await?;
        }
        w.audit(
            who,
            "resolution.update",
            "resolution",
            id,
            serde_json::json!({"after": {"update_id": update_id, "percent": percent, "evidence_sha256": digests}}),
        )
        .await?;
        w.commit().await?;
        Ok(update_id)
    }

    pub async fn resolution_history(&self, id: &str) -> StoreResult<Vec<HistoryEntry>> {
        let rows = sqlx::query("SELECT at, on_date, user_id, from_state, to_state, note FROM resolution_history WHERE resolution_id = $1 ORDER BY at, id")
            .bind(id)
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

    /// Records a meeting. Every resolution of the council that is overdue, stalled or
    /// waiting for verification goes onto its agenda automatically, after the items given.
    pub async fn create_meeting(
        &self,
        who: &Who,
        council_id: &str,
        held_on: time::Date,
        venue: &str,
        agenda: &[String],
        today: time::Date,
    ) -> StoreResult<(String, i64, Vec<String>)> {
        text_ok("محل جلسه", venue, false)?;
        for item in agenda {
            text_ok("بند دستور جلسه", item, true)?;
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
        let id = new_id();
        let mut w = self.write_tx().await?;
        let last: Option<i64> =
            sqlx::query_scalar("SELECT MAX(number) FROM meetings WHERE council_id = $1")
                .bind(council_id)
                .fetch_one(&mut *w.tx)
                .await?;
        let number = last.unwrap_or(0) + 1;
        sqlx::query("INSERT INTO meetings (id, council_id, number, held_on, venue, minutes, created_at) VALUES ($1, $2, $3, $4, $5, '', $6)")
            .bind(&id)
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
                Some(r.id.clone()),
            )
        });
        let items: Vec<(String, Option<String>)> = agenda
            .iter()
            .map(|a| (a.trim().to_string(), None))
            .chain(automatic)
            .collect();
        for (position, (title, resolution)) in items.iter().enumerate() {
            sqlx::query("INSERT INTO agenda_items (id, meeting_id, position, title, resolution_id, automatic) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(new_id())
                .bind(&id)
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
}

/// Refuses one more resolution in focus when the council's limit is reached.
async fn check_focus(w: &mut WriteTx, council: &Council) -> StoreResult<()> {
    let in_focus: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM resolutions WHERE council_id = $1 AND in_focus = 1 AND state NOT IN ('verified', 'cancelled', 'merged', 'closed_without_result')",
    )
    .bind(&council.id)
    .fetch_one(&mut *w.tx)
    .await?;
    rules::check_focus_limit(
        usize::try_from(in_focus).unwrap_or(0),
        usize::try_from(council.focus_limit).unwrap_or(0),
    )
    .map_err(StoreError::Invalid)
}

async fn history(
    w: &mut WriteTx,
    id: &str,
    who: &Who,
    on: time::Date,
    from: Option<State>,
    to: State,
    note: Option<&str>,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO resolution_history (id, resolution_id, at, on_date, user_id, from_state, to_state, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(new_id())
        .bind(id)
        .bind(now_text())
        .bind(iso(on))
        .bind(who.user_id.map(|u| u.to_string()))
        .bind(from.map(State::code))
        .bind(to.code())
        .bind(note)
        .execute(&mut *w.tx)
        .await?;
    Ok(())
}

/// A council, read on `conn` (a pool connection, or a write transaction).
async fn council_in(conn: &mut AnyConnection, id: &str) -> StoreResult<Council> {
    let row = sqlx::query(
        "SELECT id, code, name_fa, kind, place_id, secretariat_agency_id, focus_limit, stall_days FROM councils WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    let members: Vec<String> =
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
async fn resolution_in(conn: &mut AnyConnection, id: &str) -> StoreResult<Resolution> {
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
async fn resolution_by_number_in(
    conn: &mut AnyConnection,
    council_id: &str,
    number: rules::Number,
) -> StoreResult<Option<Resolution>> {
    let id: Option<String> = sqlx::query_scalar(
        "SELECT id FROM resolutions WHERE council_id = $1 AND year = $2 AND seq = $3",
    )
    .bind(council_id)
    .bind(i64::from(number.year))
    .bind(i64::from(number.seq))
    .fetch_optional(&mut *conn)
    .await?;
    match id {
        Some(id) => Ok(Some(resolution_in(conn, &id).await?)),
        None => Ok(None),
    }
}

/// The id of the resolution a merge folds `r` into: named by a number of the same
/// council («۱۴۰۴/۳») or by an id, and always of the same council.
async fn merge_target(conn: &mut AnyConnection, r: &Resolution, key: &str) -> StoreResult<String> {
    let key = key.trim();
    if key.is_empty() {
        return Err(StoreError::Invalid("شمارهٔ مصوبهٔ مقصد را بنویسید".into()));
    }
    let target = match rules::Number::parse(key) {
        Some(n) => resolution_by_number_in(conn, &r.council_id, n)
            .await?
            .ok_or_else(|| StoreError::Invalid("مصوبه‌ای با این شماره در این شورا نیست".into()))?,
        None => resolution_in(conn, key)
            .await
            .map_err(|_| StoreError::Invalid("مصوبهٔ مقصد ادغام پیدا نشد".into()))?,
    };
    if target.council_id != r.council_id {
        return Err(StoreError::Invalid(
            "ادغام فقط در مصوبه‌ای از همین شورا ممکن است".into(),
        ));
    }
    Ok(target.id)
}
