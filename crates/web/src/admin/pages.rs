//! Agencies and users: the directory everyone sees, and the forms administrators use.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_core::access::{Action, Decision, Role, Target, decide, scope};
use hamafza_core::agency::AgencyKind;
use hamafza_store::{NewAgency, NewUser, PlaceFilter, Who};
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{self, CurrentUser};
use crate::error::AppError;
use crate::extract::CsrfForm;
use crate::extract::PathId;
use crate::layout::{self, Section, bdi};
use hamafza_core::ids::{AgencyId, PlaceId, UserId};

fn allowed(d: Decision) -> Result<(), AppError> {
    match d {
        Decision::Allow => Ok(()),
        Decision::Deny(r) => Err(r.into()),
    }
}

/// A form page shown again with its error: 400, or the error that stopped the page itself.
fn bad_request(page: Result<Markup, AppError>) -> Response {
    match page {
        Ok(m) => (axum::http::StatusCode::BAD_REQUEST, m).into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn agencies_page(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Markup, AppError> {
    render_agencies(&state, &user, None).await
}

async fn render_agencies(
    state: &AppState,
    user: &CurrentUser,
    error: Option<&str>,
) -> Result<Markup, AppError> {
    allowed(decide(
        &user.actor,
        Action::ViewAgencies,
        Target::Collection,
    ))?;
    let agencies = state
        .store
        .list_agencies(&scope(&user.actor, Action::ViewAgencies))
        .await?;
    let can_manage = decide(&user.actor, Action::ManageAgencies, Target::Collection).is_allowed();
    let body = html! {
        h1 { "دستگاه‌ها" }
        @if let Some(e) = error { p.flash.error role="alert" { (e) } }
        div.table-wrap {
            table {
                thead { tr { th { "نام" } th { "گونه" } th { "کد" } } }
                tbody {
                    @for a in &agencies {
                        tr { td { (a.name_fa) } td { (a.kind.name_fa()) } td { (bdi(&a.code)) } }
                    }
                }
            }
        }
        @if can_manage {
            h2 { "افزودن دستگاه" }
            form.stack method="post" action="/agencies" {
                input type="hidden" name="csrf" value=(user.csrf());
                label { "نام فارسی" input type="text" name="name_fa" required maxlength="200"; }
                label { "کد" span.hint { "حروف لاتین، رقم، نقطه، خط تیره؛ مثلاً welfare-teh" } input type="text" name="code" required dir="ltr" maxlength="64"; }
                label { "گونه"
                    select name="kind" {
                        @for k in AgencyKind::ALL { option value=(k.code()) { (k.name_fa()) } }
                    }
                }
                button.primary type="submit" { "افزودن" }
            }
        }
    };
    Ok(layout::page("دستگاه‌ها", user, Section::Agencies, body))
}

#[derive(Deserialize)]
pub struct AgencyForm {
    name_fa: String,
    code: String,
    kind: String,
}

pub async fn create_agency(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm<AgencyForm>,
) -> Result<Response, Response> {
    allowed(decide(
        &user.actor,
        Action::ManageAgencies,
        Target::Collection,
    ))
    .map_err(IntoResponse::into_response)?;
    let Some(kind) = AgencyKind::from_code(&form.kind) else {
        return Err(bad_request(
            render_agencies(&state, &user, Some("گونهٔ دستگاه نامعتبر است.")).await,
        ));
    };
    let new = NewAgency {
        code: form.code.trim().to_string(),
        name_fa: form.name_fa,
        kind,
        place_id: None,
    };
    match state.store.create_agency(&Who::of(&user.actor), &new).await {
        Ok(_) => Ok(Redirect::to("/agencies").into_response()),
        Err(
            e @ (hamafza_store::StoreError::Invalid { .. }
            | hamafza_store::StoreError::Conflict { .. }),
        ) => {
            let m = crate::words::store_error(&e);
            let page = render_agencies(&state, &user, Some(&m))
                .await
                .into_response();
            Err((axum::http::StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(e) => Err(AppError::from(e).into_response()),
    }
}

pub async fn users_page(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Markup, AppError> {
    render_users(&state, &user, None).await
}

async fn render_users(
    state: &AppState,
    user: &CurrentUser,
    error: Option<&str>,
) -> Result<Markup, AppError> {
    allowed(decide(&user.actor, Action::ViewUsers, Target::Collection))?;
    let users = state
        .store
        .list_users(&scope(&user.actor, Action::ViewUsers))
        .await?;
    let agencies = state
        .store
        .list_agencies(&scope(&user.actor, Action::ViewAgencies))
        .await?;
    let agency_name = |id: &AgencyId| {
        agencies
            .iter()
            .find(|a| a.id == *id)
            .map(|a| a.name_fa.clone())
            .unwrap_or_default()
    };
    let mut place_names = std::collections::HashMap::new();
    for id in users.iter().flat_map(|u| &u.jurisdiction) {
        if !place_names.contains_key(id) {
            let name = match state.store.place_by_id(*id).await {
                Ok(p) => format!("{} {}", p.level.name_fa(), p.name_fa),
                Err(_) => id.to_string(),
            };
            place_names.insert(*id, name);
        }
    }
    let is_admin = user.actor.has(Role::SystemAdmin);
    let own_agencies: Vec<_> = agencies
        .iter()
        .filter(|a| is_admin || a.id == user.user.agency_id)
        .collect();
    // Places an administrator may hand out: their own jurisdiction and what is under it, down to districts.
    let (places, _) = state
        .store
        .list_places(
            &scope(&user.actor, Action::ViewPlace),
            &PlaceFilter {
                limit: 1000,
                ..Default::default()
            },
        )
        .await?;
    let grantable: Vec<_> = places
        .iter()
        .filter(|p| {
            user.actor.covers(&p.path) && p.level <= hamafza_core::place::PlaceLevel::District
        })
        .collect();
    let body = html! {
        h1 { "کاربران" }
        @if let Some(e) = error { p.flash.error role="alert" { (e) } }
        div.table-wrap {
            table {
                thead { tr { th { "نام" } th { "نام کاربری" } th { "دستگاه" } th { "نقش‌ها" } th { "حوزه" } th { "وضعیت" } th { "" } } }
                tbody {
                    @for u in &users {
                        tr {
                            td { (u.display_name) }
                            td { (bdi(&u.username)) }
                            td { (agency_name(&u.agency_id)) }
                            td { @for (i, r) in u.roles.iter().enumerate() { @if i > 0 { "، " } (r.name_fa()) } }
                            td {
                                @if u.jurisdiction.is_empty() { span.hint { @if u.roles.contains(&Role::SystemAdmin) { "همه‌جا" } @else { "ندارد" } } }
                                @for (i, id) in u.jurisdiction.iter().enumerate() { @if i > 0 { "، " } (place_names.get(id).cloned().unwrap_or_default()) }
                            }
                            td { @if u.active { "فعال" } @else { "غیرفعال" } }
                            td {
                                @if u.id != user.user.id {
                                    form method="post" action={ "/users/" (u.id) "/active" } {
                                        input type="hidden" name="csrf" value=(user.csrf());
                                        input type="hidden" name="active" value=(if u.active { "0" } else { "1" });
                                        button.danger type="submit" { @if u.active { "غیرفعال کن" } @else { "فعال کن" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "افزودن کاربر" }
        form.stack method="post" action="/users" {
            input type="hidden" name="csrf" value=(user.csrf());
            label { "نام و نام خانوادگی" input type="text" name="display_name" maxlength="200"; }
            label { "نام کاربری" span.hint { "حروف کوچک لاتین، رقم، نقطه، خط تیره" } input type="text" name="username" required dir="ltr" maxlength="64"; }
            label { "گذرواژه" span.hint { "دست‌کم ۸ نویسه" } input type="password" name="password" required dir="ltr" autocomplete="new-password"; }
            label { "دستگاه"
                select name="agency_id" { @for a in &own_agencies { option value=(a.id) { (a.name_fa) } } }
            }
            fieldset {
                legend { "نقش‌ها" }
                @for r in Role::ALL {
                    @if is_admin || r != Role::SystemAdmin {
                        label.check { input type="checkbox" name="roles" value=(r.code()); (r.name_fa()) }
                    }
                }
            }
            label { "حوزهٔ جغرافیایی"
                select name="jurisdiction" {
                    option value="" { "— بدون حوزه —" }
                    @for p in &grantable { option value=(p.id) { (p.level.name_fa()) " " (p.name_fa) } }
                }
            }
            button.primary type="submit" { "افزودن کاربر" }
        }
    };
    Ok(layout::page("کاربران", user, Section::Users, body))
}

/// The users form: `roles` repeats, so it is read from the raw pairs.
pub struct UserForm {
    display_name: String,
    username: String,
    password: String,
    agency_id: String,
    roles: Vec<String>,
    jurisdiction: Vec<String>,
}

impl<'de> Deserialize<'de> for UserForm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let pairs: Vec<(String, String)> = Vec::deserialize(d)?;
        let one = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let many = |k: &str| {
            pairs
                .iter()
                .filter(|(n, v)| n == k && !v.is_empty())
                .map(|(_, v)| v.clone())
                .collect()
        };
        Ok(UserForm {
            display_name: one("display_name").unwrap_or_default(),
            username: one("username").unwrap_or_default(),
            password: one("password").unwrap_or_default(),
            agency_id: one("agency_id").unwrap_or_default(),
            roles: many("roles"),
            jurisdiction: many("jurisdiction"),
        })
    }
}

pub async fn create_user(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm<UserForm>,
) -> Result<Response, Response> {
    let refuse = |msg: String| {
        let state = state.clone();
        let user = user.clone();
        async move {
            let page = render_users(&state, &user, Some(&msg))
                .await
                .into_response();
            (axum::http::StatusCode::BAD_REQUEST, page).into_response()
        }
    };
    let roles: Option<Vec<Role>> = form.roles.iter().map(|r| Role::from_code(r)).collect();
    let Some(roles) = roles.filter(|r| !r.is_empty()) else {
        return Err(refuse("دست‌کم یک نقش معتبر برگزینید.".into()).await);
    };
    let mut paths = Vec::new();
    let mut jurisdiction = Vec::new();
    for id in &form.jurisdiction {
        let place = match id.parse::<PlaceId>() {
            Ok(id) => state.store.place_by_id(id).await.ok(),
            Err(_) => None,
        };
        let Some(place) = place else {
            return Err(refuse("مکان حوزه پیدا نشد.".into()).await);
        };
        paths.push(place.path);
        jurisdiction.push(place.id);
    }
    let Ok(agency_id) = form.agency_id.parse::<AgencyId>() else {
        return Err(refuse("دستگاه را از فهرست برگزینید.".into()).await);
    };
    let agency_uuid = agency_id.uuid();
    allowed(decide(
        &user.actor,
        Action::ManageUsers,
        Target::User {
            agency_id: agency_uuid,
            roles: &roles,
            jurisdiction: &paths,
        },
    ))
    .map_err(IntoResponse::into_response)?;
    let hash = match auth::hash_password(&form.password) {
        Ok(h) => h,
        Err(m) => return Err(refuse(m).await),
    };
    let new = NewUser {
        username: form.username.trim().to_string(),
        display_name: form.display_name,
        agency_id,
        roles,
        jurisdiction,
        password_hash: hash,
    };
    match state.store.create_user(&Who::of(&user.actor), &new).await {
        Ok(_) => Ok(Redirect::to("/users").into_response()),
        Err(
            e @ (hamafza_store::StoreError::Invalid { .. }
            | hamafza_store::StoreError::Conflict { .. }),
        ) => Err(refuse(crate::words::store_error(&e)).await),
        Err(e) => Err(AppError::from(e).into_response()),
    }
}

#[derive(Deserialize)]
pub struct ActiveForm {
    active: String,
}

pub async fn set_active(
    State(state): State<AppState>,
    PathId(id): PathId<UserId>,
    CsrfForm { user, form }: CsrfForm<ActiveForm>,
) -> Result<Response, Response> {
    let target = state
        .store
        .user(id)
        .await
        .map_err(|e| AppError::from(e).into_response())?;
    allowed(decide(&user.actor, Action::ManageUsers, target.as_target()))
        .map_err(IntoResponse::into_response)?;
    if target.id == user.user.id {
        return Err(
            AppError::BadRequest("نمی‌توانید حساب خودتان را غیرفعال کنید.".into()).into_response(),
        );
    }
    state
        .store
        .set_user_active(&Who::of(&user.actor), id, form.active == "1")
        .await
        .map_err(|e| AppError::from(e).into_response())?;
    Ok(Redirect::to("/users").into_response())
}
