//! `/api/v1/agencies`, `/me`, `/users`, `/audit`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hamafza_core::access::{Action, Role, Target, decide, scope};
use hamafza_core::agency::AgencyKind;
use hamafza_store::{AuditFilter, NewAgency, NewUser, User, Who};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth;
use crate::error::AppError;
use crate::extract::PathId;
use crate::extract::{ApiJson, ApiQuery};
use crate::extract::{ApiUser, allowed};
use hamafza_core::ids::{PlaceId, UserId};

fn user_json(u: &User) -> Value {
    json!({
        "id": u.id,
        "username": u.username,
        "display_name": u.display_name,
        "agency_id": u.agency_id,
        "roles": u.roles,
        "jurisdiction": u.jurisdiction,
        "active": u.active,
    })
}

pub async fn list_agencies(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, AppError> {
    allowed(decide(
        &user.actor,
        Action::ViewAgencies,
        Target::Collection,
    ))?;
    let agencies = state
        .store
        .list_agencies(&scope(&user.actor, Action::ViewAgencies))
        .await?;
    Ok(Json(json!({ "items": agencies })))
}

#[derive(Deserialize)]
pub struct AgencyIn {
    code: String,
    name_fa: String,
    kind: String,
    place_id: Option<String>,
}

pub async fn create_agency(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<AgencyIn>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    allowed(decide(
        &user.actor,
        Action::ManageAgencies,
        Target::Collection,
    ))?;
    let kind = AgencyKind::from_code(&body.kind).ok_or_else(|| {
        AppError::validation("گونهٔ دستگاه نامعتبر است", json!([{"field": "kind"}]))
    })?;
    // Parsed here, where it enters: a bad id is the field at fault.
    let place_id = match body.place_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) => Some(p.parse::<PlaceId>().map_err(|_| {
            AppError::validation("مکان دستگاه پیدا نشد", json!([{"field": "place_id"}]))
        })?),
    };
    let agency = state
        .store
        .create_agency(
            &Who::of(&user.actor),
            &NewAgency {
                code: body.code,
                name_fa: body.name_fa,
                kind,
                place_id,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::to_value(agency).unwrap_or_default()),
    ))
}

pub async fn me(ApiUser(user): ApiUser) -> Json<Value> {
    let mut v = user_json(&user.user);
    v["csrf_token"] = json!(user.csrf());
    Json(v)
}

pub async fn my_tokens(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, AppError> {
    Ok(Json(
        json!({ "items": state.store.list_api_tokens(user.user.id).await? }),
    ))
}

pub async fn revoke_token(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    state
        .store
        .revoke_api_token(&Who::of(&user.actor), user.user.id, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_users(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, AppError> {
    allowed(decide(&user.actor, Action::ViewUsers, Target::Collection))?;
    let users = state
        .store
        .list_users(&scope(&user.actor, Action::ViewUsers))
        .await?;
    Ok(Json(
        json!({ "items": users.iter().map(user_json).collect::<Vec<_>>() }),
    ))
}

pub async fn get_user(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(id): PathId<UserId>,
) -> Result<Json<Value>, AppError> {
    let target = state.store.user(id).await?;
    if !decide(&user.actor, Action::ViewUsers, target.as_target()).is_allowed()
        && target.id != user.user.id
    {
        // Do not reveal that the account exists.
        return Err(AppError::not_found());
    }
    Ok(Json(user_json(&target)))
}

#[derive(Deserialize)]
pub struct UserIn {
    username: String,
    #[serde(default)]
    display_name: String,
    password: String,
    agency_id: String,
    roles: Vec<String>,
    #[serde(default)]
    jurisdiction: Vec<String>,
}

pub async fn create_user(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<UserIn>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let mut errors = Vec::new();
    let roles: Vec<Role> = body
        .roles
        .iter()
        .filter_map(|r| {
            let role = Role::from_code(r);
            if role.is_none() {
                errors.push(json!({"field": "roles", "detail": format!("نقش «{}» نامعتبر است", r.chars().take(40).collect::<String>())}));
            }
            role
        })
        .collect();
    if roles.is_empty() {
        errors.push(json!({"field": "roles", "detail": "دست‌کم یک نقش لازم است"}));
    }
    let mut paths = Vec::new();
    let mut jurisdiction = Vec::new();
    for id in &body.jurisdiction {
        let place = match id.parse::<PlaceId>() {
            Ok(id) => state.store.place_by_id(id).await.ok(),
            Err(_) => None,
        };
        match place {
            Some(p) => {
                paths.push(p.path);
                jurisdiction.push(p.id);
            }
            None => errors.push(json!({"field": "jurisdiction", "detail": "مکان حوزه پیدا نشد"})),
        }
    }
    if body.password.len() < 8 || body.password.len() > auth::MAX_PASSWORD_BYTES {
        errors.push(json!({"field": "password", "detail": "گذرواژه باید ۸ تا ۱۰۲۴ بایت باشد"}));
    }
    let agency = body.agency_id.parse::<hamafza_core::ids::AgencyId>();
    if agency.is_err() {
        errors.push(json!({"field": "agency_id", "detail": "شناسهٔ دستگاه نامعتبر است"}));
    }
    let (true, Ok(agency)) = (errors.is_empty(), agency) else {
        return Err(AppError::validation(
            "داده‌های کاربر نادرست است",
            Value::Array(errors),
        ));
    };
    let agency_id = agency;
    let agency = agency_id.uuid();
    allowed(decide(
        &user.actor,
        Action::ManageUsers,
        Target::User {
            agency_id: agency,
            roles: &roles,
            jurisdiction: &paths,
        },
    ))?;
    let hash = auth::hash_password(&body.password)
        .map_err(|m| AppError::validation(m, json!([{"field": "password"}])))?;
    let created = state
        .store
        .create_user(
            &Who::of(&user.actor),
            &NewUser {
                username: body.username.trim().to_string(),
                display_name: body.display_name,
                agency_id,
                roles,
                jurisdiction,
                password_hash: hash,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(user_json(&created))))
}

#[derive(Deserialize)]
pub struct ActiveIn {
    active: bool,
}

pub async fn set_active(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(id): PathId<UserId>,
    ApiJson(body): ApiJson<ActiveIn>,
) -> Result<Json<Value>, AppError> {
    let target = state.store.user(id).await?;
    allowed(decide(&user.actor, Action::ManageUsers, target.as_target()))?;
    if target.id == user.user.id {
        return Err(AppError::bad_request(
            "نمی‌توانید حساب خودتان را غیرفعال کنید.",
        ));
    }
    let updated = state
        .store
        .set_user_active(&Who::of(&user.actor), id, body.active)
        .await?;
    Ok(Json(user_json(&updated)))
}

#[derive(Deserialize)]
pub struct AuditQuery {
    action: Option<String>,
    record_type: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

pub async fn audit(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Value>, AppError> {
    allowed(decide(&user.actor, Action::ViewAudit, Target::Collection))?;
    let filter = AuditFilter {
        action: q.action,
        record_type: q.record_type,
        actor_user_id: None,
        limit: q.limit.unwrap_or(50).clamp(1, 500),
        offset: q.offset.unwrap_or(0).max(0),
    };
    let (entries, total) = state
        .store
        .list_audit(&scope(&user.actor, Action::ViewAudit), &filter)
        .await?;
    Ok(Json(json!({ "items": entries, "total": total })))
}
