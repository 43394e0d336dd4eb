//! `/api/v1/persons`: register, search, read and the access report. Reads take the
//! purpose on every call (`purpose`, and `purpose_text` for "other").

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hamafza_core::access::{Action, DenyReason, Target, decide};
use hamafza_core::ids::PersonId;
use hamafza_core::people::Purpose;
use hamafza_store::people::{PeopleQuery, PersonReader};
use hamafza_store::{Refusal, StoreError};
use serde::Deserialize;
use serde_json::{Value, json};

use super::input::PersonIn;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::{ApiJson, ApiQuery, ApiUser, PathId};

#[derive(Deserialize)]
pub struct PurposeQuery {
    purpose: Option<String>,
    purpose_text: Option<String>,
}

impl PurposeQuery {
    pub(super) fn purpose(&self) -> Result<Purpose, AppError> {
        super::purpose(self.purpose.as_deref(), self.purpose_text.as_deref())
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    category: Option<String>,
    /// Only children's records (child protection only).
    #[serde(default)]
    children: bool,
    limit: Option<i64>,
    offset: Option<i64>,
    #[serde(flatten)]
    purpose: PurposeQuery,
}

fn may(user: &CurrentUser, action: Action) -> Result<(), AppError> {
    match decide(&user.actor, action, Target::Collection) {
        hamafza_core::access::Decision::Allow => Ok(()),
        hamafza_core::access::Decision::Deny(r) => Err(r.into()),
    }
}

/// People the caller may locate, each in full or as "exists".
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Value>, AppError> {
    may(&user, Action::LocatePerson)?;
    let purpose = q.purpose.purpose()?;
    let reader = PersonReader {
        actor: &user.actor,
        purpose: &purpose,
        today: super::today(&state),
    };
    if q.children && !super::protects_children(&state, &user).await? {
        return Err(hamafza_core::access::DenyReason::Role.into());
    }
    let query = PeopleQuery {
        q: q.q,
        category: q.category,
        children_only: q.children,
        limit: q.limit.unwrap_or(50).clamp(1, 500),
        offset: q.offset.unwrap_or(0).max(0),
    };
    let (items, total) = state.store.find_people(&reader, &query).await?;
    Ok(Json(json!({
        "items": items,
        "total": total.min(hamafza_store::people::COUNT_BOUND),
        // More matched than were counted: `total` is a lower bound.
        "total_is_lower_bound": total > hamafza_store::people::COUNT_BOUND,
        "limit": query.limit,
        "offset": query.offset
    })))
}

/// Registers a first contact: a named record, or only an encounter without consent.
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<PersonIn>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    may(&user, Action::RegisterPeople)?;
    let contact = body.into_contact(time::OffsetDateTime::now_utc())?;
    let kept = state
        .store
        .register(&user.actor, &contact, super::today(&state))
        .await?;
    Ok((StatusCode::CREATED, Json(json!(kept))))
}

/// The records a person about to be registered may already have (across agencies),
/// with the score and why; nothing is saved. Names only where the caller may read.
pub async fn matches(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<PersonIn>,
) -> Result<Json<Value>, AppError> {
    may(&user, Action::RegisterPeople)?;
    let contact = body.into_contact(time::OffsetDateTime::now_utc())?;
    let found = super::likely_matches(&state, &user, &contact).await?;
    Ok(Json(json!({ "matches": found })))
}

/// A person in full; another agency's record without consent to share is refused
/// with whom to call; one the caller may not know of is 404.
pub async fn one(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(id): PathId<PersonId>,
    ApiQuery(q): ApiQuery<PurposeQuery>,
) -> Result<Json<Value>, AppError> {
    let purpose = q.purpose()?;
    let person = read(&state, &user, id, &purpose).await?;
    Ok(Json(json!(person)))
}

/// `read_person`, with the refusal for a record held elsewhere saying whom to call.
pub(crate) async fn read(
    state: &AppState,
    user: &CurrentUser,
    id: PersonId,
    purpose: &Purpose,
) -> Result<hamafza_store::people::Person, AppError> {
    let today = super::today(state);
    let reader = PersonReader {
        actor: &user.actor,
        purpose,
        today,
    };
    match state.store.read_person(&reader, id).await {
        Err(StoreError::Forbidden(Refusal::Policy(DenyReason::Agency))) => {
            let stub = state.store.locate_person(&user.actor, id, today).await?;
            Err(AppError::forbidden(super::held_elsewhere(&stub)))
        }
        other => Ok(other?),
    }
}

/// That a person's record exists and whom to call (no purpose: it names no one).
pub async fn holder(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(id): PathId<PersonId>,
) -> Result<Json<Value>, AppError> {
    let stub = state
        .store
        .locate_person(&user.actor, id, super::today(&state))
        .await?;
    Ok(Json(json!(stub)))
}

/// Who read the person's record, when and why.
pub async fn access_report(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(id): PathId<PersonId>,
    ApiQuery(q): ApiQuery<PurposeQuery>,
) -> Result<Json<Value>, AppError> {
    let purpose = q.purpose()?;
    let reader = PersonReader {
        actor: &user.actor,
        purpose: &purpose,
        today: super::today(&state),
    };
    let reads = state.store.person_access_report(&reader, id).await?;
    Ok(Json(json!({ "person": id, "reads": reads })))
}

/// The categories people are registered under.
pub async fn categories(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, AppError> {
    may(&user, Action::LocatePerson)?;
    Ok(Json(
        json!({ "categories": state.store.person_categories().await? }),
    ))
}

#[derive(Deserialize)]
pub struct ConsentIn {
    consent: String,
    note: Option<String>,
}

/// Records the person's consent as now given (the agencies that hold the record). A
/// withdrawal (refused, unable) removes what names the person at once.
pub async fn record_consent(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(id): PathId<PersonId>,
    ApiJson(body): ApiJson<ConsentIn>,
) -> Result<Json<Value>, AppError> {
    let consent =
        hamafza_core::people::Consent::from_code(body.consent.trim()).ok_or_else(|| {
            AppError::invalid(
                "consent",
                "رضایت باید یکی از service، sharing، guardian، refused، unable باشد",
            )
        })?;
    state
        .store
        .record_consent(
            &user.actor,
            id,
            consent,
            body.note.as_deref(),
            time::OffsetDateTime::now_utc(),
            super::today(&state),
        )
        .await?;
    Ok(Json(json!({ "person": id, "consent": consent })))
}

#[derive(Deserialize)]
pub struct CategoryIn {
    code: String,
    name_fa: String,
}

/// Adds a category people are registered under, or renames one (administrators).
pub async fn save_category(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<CategoryIn>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    may(&user, Action::ManagePersonCategories)?;
    state
        .store
        .save_person_category(
            &hamafza_store::Who::of(&user.actor),
            &body.code,
            &body.name_fa,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "categories": state.store.person_categories().await? })),
    ))
}

#[derive(Deserialize)]
pub struct DesignationIn {
    protects_children: bool,
}

/// Designates an agency for child protection, or ends it (a council secretary or the
/// system administrator).
pub async fn designate(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    axum::extract::Path(code): axum::extract::Path<String>,
    ApiJson(body): ApiJson<DesignationIn>,
) -> Result<Json<Value>, AppError> {
    may(&user, Action::DesignateChildProtection)?;
    let agency = state
        .store
        .agency_by_code(&code)
        .await?
        .ok_or_else(AppError::not_found)?;
    state
        .store
        .set_agency_protects_children(
            &hamafza_store::Who::of(&user.actor),
            agency.id,
            body.protects_children,
        )
        .await?;
    Ok(Json(
        json!({ "agency": agency.code, "protects_children": body.protects_children }),
    ))
}

#[derive(Deserialize)]
pub struct FlowQuery {
    place: String,
}

/// Inflow and outflow per month for the people met in a place (a district, usually),
/// as counts: counts under the small-number threshold are hidden from callers without
/// restricted access, as in the atlas.
pub async fn flow(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<FlowQuery>,
) -> Result<Json<Value>, AppError> {
    let place = crate::atlas::visible_place(&state.store, &user.actor, &q.place)
        .await?
        .ok_or_else(AppError::not_found)?;
    let threshold = crate::atlas::threshold_for(&user.actor, state.small_count);
    let shown = |n: i64| match threshold {
        Some(k) if n > 0 && n < k => Value::String("suppressed".into()),
        _ => json!(n),
    };
    let months: Vec<Value> = state
        .store
        .flow_by_month(&place.path)
        .await?
        .into_iter()
        .map(|m| {
            json!({
                "month": m.month,
                "newly_identified": shown(m.newly_identified),
                "returned": shown(m.returned),
                "moved_on": shown(m.moved_on),
                "inactive": shown(m.inactive),
            })
        })
        .collect();
    Ok(Json(json!({
        "place": { "id": place.id, "name_fa": place.name_fa },
        "small_count_threshold": threshold,
        "months": months,
    })))
}

#[derive(Deserialize)]
pub struct HoldIn {
    hold: bool,
    /// Why (a court order, an inquiry): kept in the audit log.
    reason: Option<String>,
}

/// Puts a person's record on legal hold (the retention run keeps it) or releases it:
/// the system administrator, with the reason.
pub async fn legal_hold(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(id): PathId<PersonId>,
    ApiJson(body): ApiJson<HoldIn>,
) -> Result<Json<Value>, AppError> {
    may(&user, Action::HoldPerson)?;
    state
        .store
        .set_legal_hold(
            &hamafza_store::Who::of(&user.actor),
            id,
            body.hold,
            body.reason.as_deref().unwrap_or(""),
        )
        .await?;
    Ok(Json(json!({ "person": id, "legal_hold": body.hold })))
}
