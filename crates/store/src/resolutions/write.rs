//! Writing resolutions: recording one, moving it (one decision, inside the write
//! transaction), and progress updates with their evidence.

use hamafza_core::access::{Action, Actor, Decision, DenyReason, Target, decide};
use hamafza_core::audit::hex;
use hamafza_core::ids::{MeetingId, ResolutionId};
use hamafza_core::resolutions::{
    self as rules, MoveFacts, MoveRefusal, Parties, State, Transition, TransitionError, decide_move,
};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use uuid::Uuid;

use super::{
    Council, NewEvidence, NewResolution, Resolution, council_in, iso, parse_iso,
    resolution_by_number_in, resolution_in, text_ok,
};
use crate::audit::{Who, WriteTx};
use crate::error::constraint_error;
use crate::{Form, Refusal, Rule, Store, StoreError, StoreResult, new_id, now_text};

/// Refuses one more resolution in focus when the council's limit is reached.
pub(crate) async fn check_focus(w: &mut WriteTx, council: &Council) -> StoreResult<()> {
    let in_focus: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM resolutions WHERE council_id = $1 AND in_focus = 1 AND state NOT IN ('verified', 'cancelled', 'merged', 'closed_without_result')",
    )
    .bind(council.id)
    .fetch_one(&mut *w.tx)
    .await?;
    rules::check_focus_limit(
        usize::try_from(in_focus).unwrap_or(0),
        usize::try_from(council.focus_limit).unwrap_or(0),
    )
    .map_err(|_| {
        StoreError::invalid(
            "in_focus",
            Rule::FocusFull {
                limit: usize::try_from(council.focus_limit).unwrap_or(0),
            },
        )
    })
}

pub(crate) async fn history(
    w: &mut WriteTx,
    id: ResolutionId,
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

/// The id of the resolution a merge folds `r` into: named by a number of the same
/// council («۱۴۰۴/۳») or by an id, and always of the same council.
pub(crate) async fn merge_target(
    conn: &mut AnyConnection,
    r: &Resolution,
    key: &str,
) -> StoreResult<String> {
    let key = key.trim();
    if key.is_empty() {
        return Err(StoreError::invalid("into", Rule::Required));
    }
    let target = match rules::Number::parse(key) {
        Some(n) => resolution_by_number_in(conn, r.council_id, n)
            .await?
            .ok_or_else(|| StoreError::invalid("into", Rule::Unknown(key.to_string())))?,
        None => {
            let unknown = || StoreError::invalid("into", Rule::Unknown(key.to_string()));
            let id: ResolutionId = key.parse().map_err(|_| unknown())?;
            resolution_in(conn, id).await.map_err(|_| unknown())?
        }
    };
    if target.council_id != r.council_id {
        return Err(StoreError::invalid("into", Rule::Elsewhere));
    }
    Ok(target.id.to_string())
}

impl Store {
    /// Records a new resolution as a draft with the next number of its council and year.
    pub async fn create_resolution(
        &self,
        who: &Who,
        new: &NewResolution,
        today: time::Date,
    ) -> StoreResult<Resolution> {
        text_ok("body", &new.body, true)?;
        text_ok("topic", &new.topic, false)?;
        if let Some(e) = &new.expected_result {
            text_ok("expected_result", e, false)?;
        }
        if new
            .deadline
            .as_deref()
            .is_some_and(|d| parse_iso(d).is_none())
        {
            return Err(StoreError::invalid("deadline", Rule::Malformed(Form::Date)));
        }
        if !(1..=3).contains(&new.priority) {
            return Err(StoreError::invalid(
                "priority",
                Rule::Between { min: 1, max: 3 },
            ));
        }
        if new
            .collaborators
            .iter()
            .any(|(a, _, _)| *a == new.responsible_agency_id)
        {
            return Err(StoreError::invalid(
                "collaborators",
                Rule::ResponsibleAsCollaborator,
            ));
        }
        let council = self.council(new.council_id).await?;
        let id = ResolutionId::new();
        let mut w = self.write_tx().await?;
        if new.in_focus {
            check_focus(&mut w, &council).await?;
        }
        let last: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(seq) FROM resolutions WHERE council_id = $1 AND year = $2",
        )
        .bind(council.id)
        .bind(i64::from(new.year))
        .fetch_one(&mut *w.tx)
        .await?;
        let seq = last.unwrap_or(0) + 1;
        let meeting_day: Option<String> = match &new.meeting_id {
            Some(m) => {
                sqlx::query_scalar("SELECT held_on FROM meetings WHERE id = $1 AND council_id = $2")
                    .bind(m)
                    .bind(council.id)
                    .fetch_optional(&mut *w.tx)
                    .await?
            }
            None => None,
        };
        if new.meeting_id.is_some() && meeting_day.is_none() {
            return Err(StoreError::invalid("meeting_id", Rule::Elsewhere));
        }
        if let Some(item) = &new.agenda_item_id {
            let of_meeting: Option<MeetingId> =
                sqlx::query_scalar("SELECT meeting_id FROM agenda_items WHERE id = $1")
                    .bind(item)
                    .fetch_optional(&mut *w.tx)
                    .await?;
            if of_meeting.is_none() || of_meeting != new.meeting_id {
                return Err(StoreError::invalid("agenda_item", Rule::Elsewhere));
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
        .bind(id)
        .bind(council.id)
        .bind(i64::from(new.year))
        .bind(seq)
        .bind(new.body.trim())
        .bind(new.meeting_id)
        .bind(new.agenda_item_id)
        .bind(new.responsible_agency_id)
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
        .map_err(|e| constraint_error(e, "number", "", "responsible_agency_id"))?;
        for (agency, action, deadline) in &new.collaborators {
            sqlx::query("INSERT INTO resolution_agencies (resolution_id, agency_id, action, deadline) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(agency)
                .bind(action)
                .bind(deadline)
                .execute(&mut *w.tx)
                .await
                .map_err(|e| constraint_error(e, "collaborators", agency, "collaborators"))?;
        }
        for place in &new.places {
            sqlx::query("INSERT INTO resolution_places (resolution_id, place_id) VALUES ($1, $2)")
                .bind(id)
                .bind(place)
                .execute(&mut *w.tx)
                .await
                .map_err(|e| constraint_error(e, "places", place, "places"))?;
        }
        history(&mut w, id, who, today, None, State::Draft, None).await?;
        w.audit(
            who,
            "resolution.create",
            "resolution",
            &id,
            serde_json::json!({"after": {"council_id": council.id, "number": format!("{}/{seq}", new.year), "responsible": new.responsible_agency_id, "deadline": new.deadline}}),
        )
        .await?;
        w.commit().await?;
        self.resolution(id).await
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
        id: ResolutionId,
        t: &Transition,
        today: time::Date,
    ) -> StoreResult<Resolution> {
        let mut w = self.write_tx().await?;
        let r = resolution_in(&mut w.tx, id).await?;
        let council = council_in(&mut w.tx, r.council_id).await?;
        let collaborators: Vec<Uuid> = r.collaborators.iter().map(|a| a.uuid()).collect();
        let members: Vec<Uuid> = council.members.iter().map(|a| a.uuid()).collect();
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
        let id_text = id.to_string();
        let facts = MoveFacts {
            id: &id_text,
            state: r.state,
            parties: Parties {
                secretariat: council.secretariat_agency_id.uuid(),
                responsible: r.responsible_agency_id.uuid(),
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
            MoveRefusal::Role => StoreError::Forbidden(Refusal::Policy(DenyReason::Role)),
            MoveRefusal::Rule(e @ TransitionError::WrongParty(_)) => {
                StoreError::Forbidden(Refusal::Move(e))
            }
            MoveRefusal::Rule(e) => StoreError::invalid(e.field(), Rule::Move(e)),
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
        super::escalation::notify_transition(&mut w, &r, &council, to, reason.as_deref()).await?;
        w.audit(
            who,
            "resolution.transition",
            "resolution",
            &id,
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
        id: ResolutionId,
        percent: i64,
        body: &str,
        evidence: &[NewEvidence],
        today: time::Date,
    ) -> StoreResult<String> {
        if !(0..=100).contains(&percent) {
            return Err(StoreError::invalid(
                "percent",
                Rule::Between { min: 0, max: 100 },
            ));
        }
        text_ok("body", body, true)?;
        for e in evidence {
            text_ok("evidence", &e.file_name, true)?;
            if e.content.is_empty() {
                return Err(StoreError::invalid(
                    "evidence",
                    Rule::EmptyFile(e.file_name.clone()),
                ));
            }
        }
        let r = self.resolution(id).await?;
        let (council, collaborators, members) = self.resolution_parties(&r).await?;
        let parties = Parties {
            secretariat: council.secretariat_agency_id.uuid(),
            responsible: r.responsible_agency_id.uuid(),
            collaborators: &collaborators,
            council_members: &members,
        };
        match decide(actor, Action::ReportProgress, Target::Resolution(&parties)) {
            Decision::Allow => {}
            Decision::Deny(DenyReason::Hidden) => return Err(StoreError::NotFound),
            Decision::Deny(DenyReason::Agency) => {
                return Err(StoreError::Forbidden(Refusal::NotAReporter));
            }
            Decision::Deny(reason) => {
                return Err(StoreError::Forbidden(Refusal::Policy(reason)));
            }
        }
        let (user_id, agency) = (actor.user_id.to_string(), actor.agency_id);
        let user_id = user_id.as_str();
        if !matches!(r.state, State::Assigned | State::InProgress) {
            return Err(StoreError::invalid("state", Rule::NotInState(r.state)));
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
            &id,
            serde_json::json!({"after": {"update_id": update_id, "percent": percent, "evidence_sha256": digests}}),
        )
        .await?;
        w.commit().await?;
        Ok(update_id)
    }
}
