//! `/api/v1/councils`, `/meetings`, `/resolutions`, `/evidence`, `/inbox`, `/scorecard`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use hamafza_core::access::{Action, scope};
use hamafza_core::scorecard::Summary;
use hamafza_store::{Attendance, Council, Presence, Resolution, ResolutionRow, Who};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::AppError;
use crate::extract::ApiUser;
use crate::extract::PathId;
use crate::extract::{ApiJson, ApiQuery, Multipart};
use crate::resolutions::documents::{self, ReportOf};
use crate::resolutions::{self as f, ListParams};
use hamafza_core::ids::{EvidenceId, MeetingId, ResolutionId};

fn council_json(c: &Council) -> Value {
    json!({
        "id": c.id,
        "code": c.code,
        "name_fa": c.name_fa,
        "kind": c.kind.code(),
        "kind_fa": c.kind.name_fa(),
        "place_id": c.place_id,
        "secretariat_agency_id": c.secretariat_agency_id,
        "member_agency_ids": c.members,
        "focus_limit": c.focus_limit,
        "stall_days": c.stall_days,
    })
}

pub(crate) fn resolution_json(r: &Resolution) -> Value {
    json!({
        "id": r.id,
        "council_id": r.council_id,
        "number": r.number.to_string(),
        "number_fa": r.number.to_persian(),
        "body": r.body,
        "meeting_id": r.meeting_id,
        "agenda_item_id": r.agenda_item_id,
        "responsible_agency_id": r.responsible_agency_id,
        "collaborating_agency_ids": r.collaborators,
        "place_ids": r.places,
        "deadline": r.deadline,
        "deadline_jalali": f::jalali(r.deadline.as_deref()),
        "priority": r.priority,
        "in_focus": r.in_focus,
        "topic": r.topic,
        "expected_result": r.expected_result,
        "state": r.state.code(),
        "state_fa": r.state.name_fa(),
        "state_reason": r.state_reason,
        "merged_into": r.merged_into,
        "decided_on": r.decided_on,
        "assigned_on": r.assigned_on,
        "verified_on": r.verified_on,
        "last_activity_on": r.last_activity_on,
    })
}

fn row_json(row: &ResolutionRow, today: time::Date) -> Value {
    let mut v = resolution_json(&row.resolution);
    let facts = row.facts();
    v["council_code"] = json!(row.council_code);
    v["overdue"] = json!(facts.is_overdue(today));
    v["stalled"] = json!(facts.is_stalled(today));
    v["latest_update"] = json!(row.latest);
    v
}

pub(crate) fn summary_json(s: &Summary) -> Value {
    json!({
        "total": s.total,
        "by_state": s.by_state.iter().map(|(st, n)| (st.code().to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "overdue": s.overdue,
        "stalled": s.stalled,
        "verified_with_deadline": s.verified_with_deadline,
        "verified_on_time": s.verified_on_time,
        "on_time_rate": s.on_time_rate,
        "median_days_to_verify": s.median_days_to_verify,
    })
}

pub async fn list_councils(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, AppError> {
    let councils = state
        .store
        .list_councils(&scope(&user.actor, Action::ViewCouncils))
        .await?;
    Ok(Json(
        json!({ "items": councils.iter().map(council_json).collect::<Vec<_>>() }),
    ))
}

pub async fn create_council(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<f::CouncilIn>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let council = f::create_council(&state, &user, body).await?;
    Ok((StatusCode::CREATED, Json(council_json(&council))))
}

#[derive(Deserialize)]
pub struct SettingsIn {
    focus_limit: i64,
    stall_days: i64,
}

pub async fn council_settings(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<SettingsIn>,
) -> Result<Json<Value>, AppError> {
    let council = f::council_to_run(&state, &user, &key).await?;
    let council = state
        .store
        .update_council_settings(
            &Who::of(&user.actor),
            council.id,
            body.focus_limit,
            body.stall_days,
        )
        .await?;
    Ok(Json(council_json(&council)))
}

/// A council with its dashboard figures.
pub async fn one_council(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(key): Path<String>,
) -> Result<Json<Value>, AppError> {
    let council = f::council_for(&state, &user, &key).await?;
    let today = state.clock.today();
    let filter = ListParams {
        council: Some(council.id.to_string()),
        ..ListParams::default()
    }
    .filter(&state, &user)
    .await?;
    let rows = state
        .store
        .list_resolutions(&f::resolution_scope(&user), &filter, today)
        .await?;
    let facts: Vec<_> = rows.iter().map(ResolutionRow::facts).collect();
    let mut v = council_json(&council);
    v["summary"] = summary_json(&Summary::of(&facts, today));
    v["today"] = json!(f::iso(today));
    Ok(Json(v))
}

pub async fn council_meetings(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(key): Path<String>,
) -> Result<Json<Value>, AppError> {
    let council = f::council_records_for(&state, &user, &key).await?;
    let meetings = state
        .store
        .council_meetings(&scope(&user.actor, Action::ViewCouncilRecords), council.id)
        .await?;
    Ok(Json(json!({ "items": meetings })))
}

pub async fn create_meeting(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<f::MeetingIn>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let id = f::create_meeting(&state, &user, &key, &body).await?;
    let detail = state
        .store
        .meeting(&scope(&user.actor, Action::ViewCouncilRecords), id)
        .await?;
    Ok((StatusCode::CREATED, Json(json!(detail))))
}

/// A meeting, if the user may read its council's records (its members may).
async fn visible_meeting(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    id: MeetingId,
) -> Result<hamafza_store::MeetingDetail, AppError> {
    let council = state.store.meeting_council(id).await?;
    f::council_records_for(state, user, &council).await?;
    Ok(state
        .store
        .meeting(&scope(&user.actor, Action::ViewCouncilRecords), id)
        .await?)
}

pub async fn one_meeting(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(id): PathId<MeetingId>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(json!(visible_meeting(&state, &user, id).await?)))
}

#[derive(Deserialize)]
pub struct MinutesIn {
    #[serde(default)]
    minutes: String,
    #[serde(default)]
    attendance: Vec<AttendanceIn>,
}

#[derive(Deserialize)]
pub struct AttendanceIn {
    agency: String,
    presence: String,
    #[serde(default)]
    representative: Option<String>,
}

pub async fn record_minutes(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(id): PathId<MeetingId>,
    ApiJson(body): ApiJson<MinutesIn>,
) -> Result<Json<Value>, AppError> {
    let detail = visible_meeting(&state, &user, id).await?;
    f::council_to_run(&state, &user, &detail.meeting.council_id).await?;
    let mut attendance = Vec::new();
    for a in &body.attendance {
        attendance.push(Attendance {
            agency_id: f::agency_id(&state, "attendance.agency", &a.agency).await?,
            presence: Presence::from_code(&a.presence).ok_or_else(|| {
                AppError::validation(
                    "حضور باید present، represented یا absent باشد",
                    json!([{"field": "attendance.presence"}]),
                )
            })?,
            representative: a.representative.clone(),
        });
    }
    state
        .store
        .record_minutes(&Who::of(&user.actor), id, &body.minutes, &attendance)
        .await?;
    Ok(Json(json!(
        state
            .store
            .meeting(&scope(&user.actor, Action::ViewCouncilRecords), id)
            .await?
    )))
}

pub async fn list_resolutions(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Value>, AppError> {
    let filter = params.filter(&state, &user).await?;
    let today = state.clock.today();
    let rows = state
        .store
        .list_resolutions(&f::resolution_scope(&user), &filter, today)
        .await?;
    let facts: Vec<_> = rows.iter().map(ResolutionRow::facts).collect();
    let (shown, page, pages) = params.page_of(&rows);
    Ok(Json(json!({
        "today": f::iso(today),
        "summary": summary_json(&Summary::of(&facts, today)),
        "total": rows.len(),
        "page": page,
        "pages": pages,
        "items": shown.iter().map(|r| row_json(r, today)).collect::<Vec<_>>(),
    })))
}

pub async fn create_resolution(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<f::ResolutionIn>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let r = f::create_resolution(&state, &user, &body).await?;
    Ok((StatusCode::CREATED, Json(resolution_json(&r))))
}

/// A resolution with its updates (and their evidence) and its history.
pub async fn one_resolution(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(id): PathId<ResolutionId>,
) -> Result<Json<Value>, AppError> {
    let visible = f::resolution_for(&state, &user, id).await?;
    let party = visible.party(&user);
    let (r, council) = (&visible.resolution, &visible.council);
    let mut v = resolution_json(r);
    v["council_code"] = json!(council.code);
    v["your_part"] = json!(format!("{party:?}").to_lowercase());
    v["collaborations"] = json!(
        state
            .store
            .collaborations(&scope(&user.actor, Action::ViewResolution), r.id)
            .await?
    );
    v["updates"] = json!(
        state
            .store
            .resolution_updates(&scope(&user.actor, Action::ViewResolution), r.id)
            .await?
    );
    v["history"] = json!(
        state
            .store
            .resolution_history(&scope(&user.actor, Action::ViewResolution), r.id)
            .await?
            .iter()
            .map(|h| json!({"at": h.at, "on_date": h.on_date, "from": h.from_state, "to": h.to_state, "note": h.note}))
            .collect::<Vec<_>>()
    );
    Ok(Json(v))
}

pub async fn move_resolution(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(id): PathId<ResolutionId>,
    ApiJson(body): ApiJson<f::MoveIn>,
) -> Result<Json<Value>, AppError> {
    let r = f::move_resolution(&state, &user, id, &body).await?;
    Ok(Json(resolution_json(&r)))
}

/// A progress update as `multipart/form-data`: `percent`, `body`, and any number of
/// evidence files.
pub async fn post_update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(id): PathId<ResolutionId>,
    Multipart(form): Multipart,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let (fields, files) = crate::extract::read_multipart(form).await?;
    let update = f::UpdateIn::from_form(&fields, files)?;
    let update_id = f::post_update(&state, &user, id, update).await?;
    let updates = state
        .store
        .resolution_updates(&scope(&user.actor, Action::ViewResolution), id)
        .await?;
    let posted = updates.into_iter().find(|u| u.id == update_id);
    Ok((StatusCode::CREATED, Json(json!(posted))))
}

pub async fn list_updates(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(id): PathId<ResolutionId>,
) -> Result<Json<Value>, AppError> {
    let v = f::resolution_for(&state, &user, id).await?;
    Ok(Json(
        json!({ "items": state.store.resolution_updates(&scope(&user.actor, Action::ViewResolution), v.resolution.id).await? }),
    ))
}

/// An evidence file, to those who may see its resolution.
pub async fn evidence(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(id): PathId<EvidenceId>,
) -> Result<Response, AppError> {
    evidence_response(&state, &user, id).await
}

/// The file as a download, its name in the header (RFC 6266, UTF-8).
pub(crate) async fn evidence_response(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    id: EvidenceId,
) -> Result<Response, AppError> {
    // The policy decides on the resolution first (so the answer is its answer: 404 to a
    // stranger, 403 to an analyst), then the file is read through the same scope.
    let resolution_id = state.store.evidence_resolution(id).await?;
    let v = f::resolution_for(state, user, resolution_id).await?;
    if !v.may(user, Action::ViewEvidence) {
        // Analysts see aggregates only: evidence can show people.
        return Err(AppError::from(hamafza_core::access::DenyReason::Role));
    }
    let (meta, _, content) = state
        .store
        .evidence_file(&scope(&user.actor, Action::ViewEvidence), id)
        .await?;
    let disposition = format!(
        "attachment; filename=\"evidence\"; filename*=UTF-8''{}",
        f::url_encode(&meta.file_name)
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::HeaderName::from_static("x-content-sha256"),
                meta.sha256,
            ),
        ],
        content,
    )
        .into_response())
}

pub async fn inbox(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, AppError> {
    let items = state.store.inbox(user.user.id, 200).await?;
    let unread = state.store.unread_count(user.user.id).await?;
    Ok(Json(json!({ "unread": unread, "items": items })))
}

pub async fn mark_inbox_read(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, AppError> {
    let marked = state.store.mark_inbox_read(user.user.id).await?;
    Ok(Json(json!({ "marked": marked })))
}

/// Per responsible agency, across every council the user can see.
pub async fn scorecard(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, AppError> {
    let today = state.clock.today();
    let cards = crate::resolutions::scorecard(&state, &user, today).await?;
    Ok(Json(json!({
        "today": f::iso(today),
        "items": cards.iter().map(|(agency, s)| json!({
            "agency_id": agency.id, "agency_code": agency.code, "name_fa": agency.name_fa,
            "summary": summary_json(s),
        })).collect::<Vec<_>>(),
    })))
}

/// The list `GET /resolutions` would return, as an XLSX workbook.
pub async fn export(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Response, AppError> {
    documents::export_xlsx(&state, &user, &params).await
}

/// Resolutions from an XLSX or CSV body (the export's columns) into a council: every row
/// checked first; any bad row and nothing is written (422 with each row, column, reason).
pub async fn import(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(key): Path<String>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let n = documents::import(&state, &user, &key, body.to_vec()).await?;
    Ok((StatusCode::CREATED, Json(json!({ "imported": n }))))
}

pub async fn council_report(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(key): Path<String>,
    ApiQuery(q): ApiQuery<crate::resolutions::documents::PeriodQuery>,
) -> Result<Response, AppError> {
    documents::report_pdf(&state, &user, ReportOf::Council(&key), q.period.as_deref()).await
}

pub async fn agency_report(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(key): Path<String>,
    ApiQuery(q): ApiQuery<crate::resolutions::documents::PeriodQuery>,
) -> Result<Response, AppError> {
    documents::report_pdf(&state, &user, ReportOf::Agency(&key), q.period.as_deref()).await
}
