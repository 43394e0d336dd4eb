//! Referrals between agencies: proposed by an agency that may read the person (with
//! their consent to share, or the override permission and a reason, audited), to an
//! agency that takes the person's category, with a day the answer is due; answered,
//! served and closed by the receiving agency, withdrawn by the referring one. On
//! acceptance the receiving agency holds the record; a transfer also hands it over.

use hamafza_core::access::{Action, Actor, Decision, DenyReason, Target, decide, scope};
use hamafza_core::ids::{AgencyId, PersonId, ReferralId};
use hamafza_core::jalali::{JalaliDate, iso_day};
use hamafza_core::people::{ConsentUse, ReferralMove, ReferralSide, ReferralState};
use serde::Serialize;
use sqlx::Row;

use super::read::refused;
use crate::error::Refusal;
use crate::{Rule, Store, StoreError, StoreResult, Who, now_text, query_with};

/// Days the receiving agency has to answer, unless said otherwise.
pub const ANSWER_DAYS: i64 = 7;
const TEXT_MAX: usize = 2_000;

#[derive(Debug, Clone)]
pub struct NewReferral {
    pub to: AgencyId,
    pub category: String,
    pub note: Option<String>,
    pub transfer: bool,
    /// Days to answer (1 to 60).
    pub answer_days: Option<i64>,
    /// Why, when the person did not consent to sharing (the override).
    pub override_reason: Option<String>,
}

/// A referral as the two agencies' lists show it (no names: the person's page has
/// them, for whoever may read the person).
#[derive(Debug, Clone, Serialize)]
pub struct ReferralRow {
    pub id: ReferralId,
    pub person_id: PersonId,
    pub from_agency: String,
    pub to_agency: String,
    pub incoming: bool,
    pub category: String,
    pub note: Option<String>,
    pub transfer: bool,
    pub state: ReferralState,
    pub due: String,
    pub overdue: bool,
    pub created_at: String,
    pub overridden: bool,
    pub decline_reason: Option<String>,
    pub outcome: Option<String>,
}

/// Free text of a referral, trimmed, at most [`TEXT_MAX`] characters.
fn words(field: &'static str, v: Option<&str>) -> StoreResult<Option<String>> {
    super::cases::text(field, v, TEXT_MAX)
}

impl Store {
    /// Refers a person from the actor's agency.
    pub async fn refer(
        &self,
        actor: &Actor,
        person: PersonId,
        new: &NewReferral,
        today: JalaliDate,
    ) -> StoreResult<ReferralId> {
        let access = self.person_access(actor, person, today).await?;
        let shared = access.consent.allows(ConsentUse::Share);
        match access.decide(actor, Action::Refer) {
            Decision::Allow => {}
            // Readable but not shared, and no override: the consent is the reason.
            Decision::Deny(DenyReason::Role)
                if !shared && access.decide(actor, Action::ViewPerson).is_allowed() =>
            {
                return Err(StoreError::Forbidden(Refusal::NoConsentToShare));
            }
            d => refused(d)?,
        }
        let override_reason = words("override_reason", new.override_reason.as_deref())?;
        if !shared && override_reason.is_none() {
            return Err(StoreError::invalid("override_reason", Rule::Required));
        }
        let note = words("note", new.note.as_deref())?;
        if new.to.uuid() == actor.agency_id {
            return Err(StoreError::invalid("to", Rule::NotExpected));
        }
        let days = new.answer_days.unwrap_or(ANSWER_DAYS);
        if !(1..=60).contains(&days) {
            return Err(StoreError::invalid(
                "answer_days",
                Rule::Between { min: 1, max: 60 },
            ));
        }
        if self.agency(new.to).await.is_err() {
            return Err(StoreError::invalid("to", Rule::Unknown(String::new())));
        }
        let known: Option<i64> =
            sqlx::query_scalar("SELECT active FROM person_categories WHERE code = $1")
                .bind(&new.category)
                .fetch_optional(&self.pool)
                .await?;
        if known != Some(1) {
            return Err(StoreError::invalid(
                "category",
                Rule::Unknown(new.category.clone()),
            ));
        }
        let takes: Vec<String> = sqlx::query_scalar(
            "SELECT category FROM agency_referral_categories WHERE agency_id = $1",
        )
        .bind(new.to)
        .fetch_all(&self.pool)
        .await?;
        if !takes.is_empty() && !takes.contains(&new.category) {
            return Err(StoreError::invalid(
                "to",
                Rule::DoesNotTake(new.category.clone()),
            ));
        }
        let id = ReferralId::new();
        let due = iso_day(today.to_gregorian() + time::Duration::days(days));
        let mut w = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO referrals (id, person_id, from_agency, to_agency, category, note, transfer, state, due, created_by, created_at, override_reason)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(id)
        .bind(person)
        .bind(actor.agency_id.to_string())
        .bind(new.to)
        .bind(&new.category)
        .bind(&note)
        .bind(i64::from(new.transfer))
        .bind(ReferralState::Proposed.code())
        .bind(&due)
        .bind(actor.user_id.to_string())
        .bind(now_text())
        .bind(&override_reason)
        .execute(&mut *w.tx)
        .await?;
        history(&mut w, id, 1, ReferralState::Proposed, actor, None).await?;
        w.audit(
            &Who::of(actor),
            if override_reason.is_some() {
                "referral.propose_without_consent"
            } else {
                "referral.propose"
            },
            "referral",
            &id,
            serde_json::json!({ "person": person, "to": new.to, "category": new.category, "transfer": new.transfer, "override": override_reason.is_some() }),
        )
        .await?;
        w.commit().await?;
        Ok(id)
    }

    /// A move on a referral by one of its two agencies.
    pub async fn move_referral(
        &self,
        actor: &Actor,
        id: ReferralId,
        step: ReferralMove,
        text: Option<&str>,
    ) -> StoreResult<ReferralState> {
        let row = sqlx::query("SELECT person_id, from_agency, to_agency, state, transfer FROM referrals WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let parse = |c: &str| -> StoreResult<uuid::Uuid> {
            let v: String = row.try_get(c)?;
            v.parse()
                .map_err(|_| StoreError::Corrupt(format!("referral {c}")))
        };
        let (from, to) = (parse("from_agency")?, parse("to_agency")?);
        refused(decide(
            actor,
            Action::AnswerReferral,
            Target::Referral { from, to },
        ))?;
        let state_code: String = row.try_get("state")?;
        let state = ReferralState::from_code(&state_code)
            .ok_or_else(|| StoreError::Corrupt(format!("referral state {state_code}")))?;
        let side = if actor.agency_id == to {
            ReferralSide::Receiving
        } else {
            ReferralSide::Referring
        };
        let text = words("words", text)?;
        let next = step
            .apply(state, side, text.is_some())
            .map_err(|e| StoreError::invalid("action", Rule::Referral(e)))?;
        let person: PersonId = row.try_get("person_id")?;
        let transfer: i64 = row.try_get("transfer")?;
        let mut w = self.write_tx().await?;
        let (decline, outcome) = match step {
            ReferralMove::Decline => (text.clone(), None),
            ReferralMove::Close | ReferralMove::GiveService => (None, text.clone()),
            _ => (None, None),
        };
        sqlx::query(
            "UPDATE referrals SET state = $1, decline_reason = COALESCE($2, decline_reason), outcome = COALESCE($3, outcome) WHERE id = $4 AND state = $5",
        )
        .bind(next.code())
        .bind(&decline)
        .bind(&outcome)
        .bind(id)
        .bind(state.code())
        .execute(&mut *w.tx)
        .await?;
        if step == ReferralMove::Accept {
            let holds: Option<String> = sqlx::query_scalar(
                "SELECT agency_id FROM person_holders WHERE person_id = $1 AND agency_id = $2",
            )
            .bind(person)
            .bind(to.to_string())
            .fetch_optional(&mut *w.tx)
            .await?;
            if holds.is_none() {
                sqlx::query(
                    "INSERT INTO person_holders (person_id, agency_id, since) VALUES ($1, $2, $3)",
                )
                .bind(person)
                .bind(to.to_string())
                .bind(now_text())
                .execute(&mut *w.tx)
                .await?;
            }
            if transfer == 1 {
                sqlx::query("DELETE FROM person_holders WHERE person_id = $1 AND agency_id = $2")
                    .bind(person)
                    .bind(from.to_string())
                    .execute(&mut *w.tx)
                    .await?;
            }
        }
        let seq: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM referral_history WHERE referral_id = $1")
                .bind(id)
                .fetch_one(&mut *w.tx)
                .await?;
        history(&mut w, id, seq + 1, next, actor, text.as_deref()).await?;
        w.audit(
            &Who::of(actor),
            &format!("referral.{}", next.code()),
            "referral",
            &id,
            serde_json::json!({ "from": state.code(), "to": next.code() }),
        )
        .await?;
        w.commit().await?;
        Ok(next)
    }

    /// The referrals the actor's agency sent or received, those waiting first.
    pub async fn referrals_of_agency(
        &self,
        actor: &Actor,
        today: JalaliDate,
    ) -> StoreResult<Vec<ReferralRow>> {
        let mut binds = Vec::new();
        let filter = crate::scope_sql::referrals(&scope(actor, Action::AnswerReferral), &mut binds);
        let rows = query_with(
            format!(
                "SELECT r.*, fa.name_fa AS from_name, ta.name_fa AS to_name FROM referrals r
                 JOIN agencies fa ON fa.id = r.from_agency JOIN agencies ta ON ta.id = r.to_agency
                 WHERE {filter} ORDER BY CASE WHEN r.state = 'proposed' THEN 0 ELSE 1 END, r.due, r.created_at DESC LIMIT 500"
            ),
            &binds,
        )
        .fetch_all(&self.pool)
        .await?;
        let today_iso = iso_day(today.to_gregorian());
        rows.iter()
            .map(|r| {
                let state: String = r.try_get("state")?;
                let state = ReferralState::from_code(&state)
                    .ok_or_else(|| StoreError::Corrupt(format!("referral state {state}")))?;
                let due: String = r.try_get("due")?;
                let to: String = r.try_get("to_agency")?;
                let transfer: i64 = r.try_get("transfer")?;
                let override_reason: Option<String> = r.try_get("override_reason")?;
                Ok(ReferralRow {
                    id: r.try_get("id")?,
                    person_id: r.try_get("person_id")?,
                    from_agency: r.try_get("from_name")?,
                    to_agency: r.try_get("to_name")?,
                    incoming: to == actor.agency_id.to_string(),
                    category: r.try_get("category")?,
                    note: r.try_get("note")?,
                    transfer: transfer == 1,
                    overdue: state.awaits_answer() && due < today_iso,
                    state,
                    due,
                    created_at: r.try_get("created_at")?,
                    overridden: override_reason.is_some(),
                    decline_reason: r.try_get("decline_reason")?,
                    outcome: r.try_get("outcome")?,
                })
            })
            .collect()
    }

    /// Sets the categories an agency takes referrals for (none: all).
    pub async fn set_agency_referral_categories(
        &self,
        who: &Who,
        agency: AgencyId,
        categories: &[String],
    ) -> StoreResult<()> {
        let mut w = self.write_tx().await?;
        sqlx::query("DELETE FROM agency_referral_categories WHERE agency_id = $1")
            .bind(agency)
            .execute(&mut *w.tx)
            .await?;
        for (i, c) in categories.iter().enumerate() {
            sqlx::query(
                "INSERT INTO agency_referral_categories (agency_id, category) VALUES ($1, $2)",
            )
            .bind(agency)
            .bind(c)
            .execute(&mut *w.tx)
            .await
            .map_err(|e| {
                match crate::error::constraint_error(e, "categories", c, "categories") {
                    StoreError::Invalid { field, .. } => StoreError::invalid(
                        field,
                        Rule::Item {
                            position: i + 1,
                            rule: Box::new(Rule::Unknown(c.clone())),
                        },
                    ),
                    other => other,
                }
            })?;
        }
        w.audit(
            who,
            "agency.referral_categories",
            "agency",
            &agency,
            serde_json::json!({ "categories": categories }),
        )
        .await?;
        w.commit().await
    }
}

impl Store {
    /// Escalates referrals whose answer is overdue, in the resolutions' three steps and
    /// on their schedule: a reminder to the receiving agency's officers the day after
    /// the answer was due, a notice to its head, then word to the referring agency's
    /// officers that it is still unanswered (so they may refer elsewhere). Each step is
    /// sent once; the notices name the referral's category and agencies, never the
    /// person. Returns how many notices went out.
    pub async fn run_referral_escalations(
        &self,
        policy: &hamafza_core::resolutions::EscalationPolicy,
        today: time::Date,
    ) -> StoreResult<usize> {
        use hamafza_core::resolutions::Escalation;
        let rows = sqlx::query(
            "SELECT r.id, r.due, r.from_agency, r.to_agency, r.category, fa.name_fa AS from_name, ta.name_fa AS to_name
             FROM referrals r JOIN agencies fa ON fa.id = r.from_agency JOIN agencies ta ON ta.id = r.to_agency
             WHERE r.state = 'proposed' AND r.due < $1 ORDER BY r.due, r.id",
        )
        .bind(iso_day(today))
        .fetch_all(&self.pool)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut sent = 0;
        let mut w = self.write_tx().await?;
        for r in &rows {
            let id: ReferralId = r.try_get("id")?;
            let due: String = r.try_get("due")?;
            let Some(due) = hamafza_core::jalali::parse_iso_day(&due) else {
                continue;
            };
            let taken: Vec<String> =
                sqlx::query_scalar("SELECT step FROM referral_escalations WHERE referral_id = $1")
                    .bind(id)
                    .fetch_all(&mut *w.tx)
                    .await?;
            let already = taken.iter().filter_map(|s| Escalation::from_code(s)).max();
            // The trouble begins the day after the answer was due.
            let steps = policy.steps_to_send((today - due).whole_days() - 1, already);
            let (from_name, to_name, category): (String, String, String) = (
                r.try_get("from_name")?,
                r.try_get("to_name")?,
                r.try_get("category")?,
            );
            for step in &steps {
                let (agency, role, body) = match step {
                    Escalation::Reminder => (
                        r.try_get::<String, _>("to_agency")?,
                        "agency_officer",
                        format!(
                            "یادآوری: ارجاع «{category}» از «{from_name}» از مهلت پاسخ گذشته است؛ آن را بپذیرید یا با دلیل نپذیرید."
                        ),
                    ),
                    Escalation::HeadNotice => (
                        r.try_get::<String, _>("to_agency")?,
                        "agency_admin",
                        format!(
                            "اخطار به رئیس دستگاه: ارجاع «{category}» از «{from_name}» بی‌پاسخ مانده و یادآوری هم بی‌پاسخ ماند."
                        ),
                    ),
                    Escalation::Agenda => (
                        r.try_get::<String, _>("from_agency")?,
                        "agency_officer",
                        format!(
                            "ارجاع «{category}» شما به «{to_name}» هنوز بی‌پاسخ است؛ می‌توانید آن را پس بگیرید و به دستگاه دیگری ارجاع دهید."
                        ),
                    ),
                };
                let agency: AgencyId = agency
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("referral agency {agency}")))?;
                let recipients =
                    crate::resolutions::escalation::users_with_role(&mut w, agency, role).await?;
                crate::resolutions::escalation::notify(
                    &mut w,
                    &recipients,
                    None,
                    &format!("referral_{}", step.code()),
                    &body,
                )
                .await?;
                sent += recipients.len();
                sqlx::query("INSERT INTO referral_escalations (referral_id, step, taken_on) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(step.code())
                    .bind(iso_day(today))
                    .execute(&mut *w.tx)
                    .await?;
            }
            if !steps.is_empty() {
                w.audit(
                    &Who::system(),
                    "referral.escalate",
                    "referral",
                    &id,
                    serde_json::json!({ "steps": steps.iter().map(|s| s.code()).collect::<Vec<_>>() }),
                )
                .await?;
            }
        }
        w.commit().await?;
        Ok(sent)
    }
}

async fn history(
    w: &mut crate::audit::WriteTx,
    id: ReferralId,
    seq: i64,
    state: ReferralState,
    actor: &Actor,
    words: Option<&str>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO referral_history (referral_id, seq, state, at, by_user, words) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(seq)
    .bind(state.code())
    .bind(now_text())
    .bind(actor.user_id.to_string())
    .bind(words)
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}
