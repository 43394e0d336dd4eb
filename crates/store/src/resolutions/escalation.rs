//! The escalation job (reminder → head's notice → agenda) and the inbox and outbox it
//! fills.

use hamafza_core::access::Scope;
use hamafza_core::ids::{AgencyId, ResolutionId, UserId};
use hamafza_core::resolutions::{Escalation, EscalationPolicy, State};
use hamafza_core::scorecard::Facts;
use sqlx::Row;

use super::{Council, Resolution, ResolutionFilter, ResolutionRow, iso};
use crate::audit::{Who, WriteTx};
use crate::{Store, StoreResult, new_id, now_text};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Notification {
    pub id: String,
    pub resolution_id: Option<ResolutionId>,
    pub kind: String,
    pub body: String,
    pub created_at: String,
    pub read: bool,
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct OutboxMessage {
    pub id: String,
    pub user_id: UserId,
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
        .then(|| f.deadline.and_then(time::Date::next_day))
        .flatten();
    let stalled = f
        .is_stalled(today)
        .then(|| f.last_activity_on + time::Duration::days(f.stall_days));
    match (overdue, stalled) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Active users of an agency holding a role.
pub(crate) async fn users_with_role(
    w: &mut WriteTx,
    agency_id: AgencyId,
    role: &str,
) -> StoreResult<Vec<UserId>> {
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
    recipients: &[UserId],
    resolution_id: Option<ResolutionId>,
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
    let recipients = users_with_role(w, *agency, role).await?;
    notify(w, &recipients, Some(r.id), kind, &body).await
}

impl Store {
    /// A user's notifications, newest first.
    pub async fn inbox(&self, user_id: UserId, limit: i64) -> StoreResult<Vec<Notification>> {
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

    pub async fn unread_count(&self, user_id: UserId) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Marks all of a user's notifications read (their own only).
    pub async fn mark_inbox_read(&self, user_id: UserId) -> StoreResult<u64> {
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
            .bind(r.id)
            .bind(iso(*began))
            .fetch_all(&mut *w.tx)
            .await?;
            let already = taken.iter().filter_map(|s| Escalation::from_code(s)).max();
            let steps = policy.steps_to_send((today - *began).whole_days(), already);
            if steps.is_empty() {
                continue;
            }
            let secretariat: AgencyId =
                sqlx::query_scalar("SELECT secretariat_agency_id FROM councils WHERE id = $1")
                    .bind(r.council_id)
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
                let recipients = users_with_role(&mut w, *agency, role).await?;
                notify(&mut w, &recipients, Some(r.id), step.code(), &body).await?;
                sqlx::query("INSERT INTO escalations (resolution_id, began_on, step, taken_on) VALUES ($1, $2, $3, $4)")
                    .bind(r.id)
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
