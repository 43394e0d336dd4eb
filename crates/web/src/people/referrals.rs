//! Referrals on the web: `POST /api/v1/persons/{id}/referrals`, `GET /api/v1/referrals`,
//! `POST /api/v1/referrals/{id}/move`, the agency's referral inbox at `/referrals` with
//! its answers, and the referral form on a person's page.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_core::access::{Action, Decision, Target, decide};
use hamafza_core::ids::{PersonId, ReferralId};
use hamafza_core::people::{ReferralMove, ReferralState};
use hamafza_store::people::{NewReferral, ReferralRow};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::{ApiJson, ApiUser, CsrfForm, FormPairs, PageQuery, PathId};
use crate::layout::{self, Section};

#[derive(Deserialize, Default)]
pub struct ReferralIn {
    /// The receiving agency's code.
    to: String,
    category: String,
    note: Option<String>,
    #[serde(default)]
    transfer: bool,
    answer_days: Option<i64>,
    override_reason: Option<String>,
}

async fn new_referral(state: &AppState, r: ReferralIn) -> Result<NewReferral, AppError> {
    let to = state
        .store
        .agency_by_code(r.to.trim())
        .await?
        .ok_or_else(|| AppError::invalid("to", "دستگاه مقصد پیدا نشد"))?;
    Ok(NewReferral {
        to: to.id,
        category: r.category.trim().to_string(),
        note: r.note,
        transfer: r.transfer,
        answer_days: r.answer_days,
        override_reason: r.override_reason,
    })
}

pub async fn refer_api(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(person): PathId<PersonId>,
    ApiJson(body): ApiJson<ReferralIn>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let new = new_referral(&state, body).await?;
    let id = state
        .store
        .refer(&user.actor, person, &new, super::today(&state))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "referral": id, "state": ReferralState::Proposed })),
    ))
}

pub async fn list_api(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, AppError> {
    // As the inbox page: only those who may find people have referrals.
    if let Decision::Deny(r) = decide(&user.actor, Action::LocatePerson, Target::Collection) {
        return Err(r.into());
    }
    let items = state
        .store
        .referrals_of_agency(&user.actor, super::today(&state))
        .await?;
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
pub struct MoveIn {
    action: String,
    words: Option<String>,
}

fn step(action: &str) -> Result<ReferralMove, AppError> {
    ReferralMove::from_code(action.trim()).ok_or_else(|| {
        AppError::invalid(
            "action",
            "کار باید یکی از accept، decline، give_service، close، withdraw باشد",
        )
    })
}

pub async fn move_api(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(id): PathId<ReferralId>,
    ApiJson(body): ApiJson<MoveIn>,
) -> Result<Json<Value>, AppError> {
    let next = state
        .store
        .move_referral(&user.actor, id, step(&body.action)?, body.words.as_deref())
        .await?;
    Ok(Json(json!({ "referral": id, "state": next })))
}

#[derive(Deserialize)]
pub struct TakesIn {
    categories: Vec<String>,
}

/// The categories an agency takes referrals for (administrators; none: all).
pub async fn takes_api(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    axum::extract::Path(code): axum::extract::Path<String>,
    ApiJson(body): ApiJson<TakesIn>,
) -> Result<Json<Value>, AppError> {
    if let Decision::Deny(r) = decide(
        &user.actor,
        Action::ManagePersonCategories,
        Target::Collection,
    ) {
        return Err(r.into());
    }
    let agency = state
        .store
        .agency_by_code(&code)
        .await?
        .ok_or_else(AppError::not_found)?;
    state
        .store
        .set_agency_referral_categories(
            &hamafza_store::Who::of(&user.actor),
            agency.id,
            &body.categories,
        )
        .await?;
    Ok(Json(
        json!({ "agency": agency.code, "categories": body.categories }),
    ))
}

/// The referral form on a person's page.
pub async fn refer_form(
    state: &AppState,
    user: &CurrentUser,
    person: PersonId,
    shared: bool,
) -> Result<Markup, AppError> {
    let agencies = state
        .store
        .list_agencies(&hamafza_core::access::Scope::reference_lists())
        .await?;
    let categories = state.store.person_categories().await?;
    Ok(html! {
        h2 { "ارجاع به دستگاه دیگر" }
        form.stack method="post" action={ "/people/" (person) "/referrals" } {
            input type="hidden" name="csrf" value=(user.csrf());
            label { "دستگاه مقصد" select name="to" required {
                @for a in agencies.iter().filter(|a| a.id.uuid() != user.actor.agency_id) {
                    option value=(a.code) { (a.name_fa) }
                }
            } }
            label { "دسته" select name="category" required {
                @for c in &categories { option value=(c.code) { (c.name_fa) } }
            } }
            label { "چرا" input type="text" name="note" maxlength="2000"; }
            label.check { input type="checkbox" name="transfer" value="1"; "واگذاری (پس از پذیرش، پرونده با دستگاه مقصد است)" }
            label { "مهلت پاسخ (روز)" input type="text" name="answer_days" value="7" inputmode="numeric"; }
            @if !shared {
                label { "دلیل ارجاع بدون رضایت (ثبت و گزارش می‌شود)" input type="text" name="override_reason" required maxlength="2000"; }
            }
            button.primary type="submit" { "ارجاع" }
        }
    })
}

pub async fn refer_submit(
    State(state): State<AppState>,
    PathId(person): PathId<PersonId>,
    CsrfForm { user, form }: CsrfForm<FormPairs>,
) -> Result<Response, AppError> {
    let get = |k: &str| form.get(k).map(str::to_string);
    let input = ReferralIn {
        to: get("to").unwrap_or_default(),
        category: get("category").unwrap_or_default(),
        note: get("note"),
        transfer: form.get("transfer") == Some("1"),
        answer_days: form
            .get("answer_days")
            .map(|d| hamafza_core::digits::to_ascii(d.trim()))
            .and_then(|d| d.parse().ok()),
        override_reason: get("override_reason"),
    };
    let new = new_referral(&state, input).await?;
    state
        .store
        .refer(&user.actor, person, &new, super::today(&state))
        .await?;
    Ok(Redirect::to("/referrals?saved=sent").into_response())
}

#[derive(Deserialize)]
pub struct InboxQuery {
    saved: Option<String>,
}

pub async fn inbox_page(
    State(state): State<AppState>,
    user: CurrentUser,
    PageQuery(q): PageQuery<InboxQuery>,
) -> Result<Markup, AppError> {
    if let Decision::Deny(r) = decide(&user.actor, Action::LocatePerson, Target::Collection) {
        return Err(r.into());
    }
    let rows = state
        .store
        .referrals_of_agency(&user.actor, super::today(&state))
        .await?;
    let (incoming, outgoing): (Vec<&ReferralRow>, Vec<&ReferralRow>) =
        rows.iter().partition(|r| r.incoming);
    let body = html! {
        h1 { "ارجاع‌ها" }
        @if let Some(s) = &q.saved {
            p.flash.ok role="status" { (match s.as_str() { "sent" => "ارجاع فرستاده شد؛ دستگاه مقصد تا مهلت پاسخ می‌دهد.", _ => "ثبت شد." }) }
        }
        h2 { "رسیده به دستگاه شما" }
        (table(&user, &incoming))
        h2 { "فرستاده از دستگاه شما" }
        (table(&user, &outgoing))
    };
    Ok(layout::page("ارجاع‌ها", &user, Section::People, body))
}

fn table(user: &CurrentUser, rows: &[&ReferralRow]) -> Markup {
    html! {
        @if rows.is_empty() { p.hint { "ارجاعی نیست." } }
        @else {
            div.table-wrap { table {
                thead { tr { th { "فرد" } th { "از" } th { "به" } th { "دسته" } th { "وضعیت" } th { "مهلت پاسخ" } th { "کار" } } }
                tbody {
                    @for r in rows {
                        tr {
                            td { a href={ "/people/" (r.person_id) } { "پرونده" } @if r.overridden { " " span.badge { "بدون رضایت" } } }
                            td { (r.from_agency) }
                            td { (r.to_agency) }
                            td { (r.category) }
                            td { (r.state.name_fa()) @if r.overdue { " " span.badge.bad { "دیرکرد" } } }
                            td { (hamafza_core::jalali::parse_iso_day(&r.due).map(|d| hamafza_core::jalali::JalaliDate::from_gregorian(d).format_numeric()).unwrap_or_default()) }
                            td { (moves(user, r)) }
                        }
                    }
                }
            } }
        }
    }
}

fn moves(user: &CurrentUser, r: &ReferralRow) -> Markup {
    let form = |action: &str, label: &str, words: Option<&str>| {
        html! {
            form.inline method="post" action={ "/referrals/" (r.id) "/move" } {
                input type="hidden" name="csrf" value=(user.csrf());
                input type="hidden" name="action" value=(action);
                @if let Some(w) = words { input type="text" name="words" required placeholder=(w) aria-label=(w); }
                button type="submit" { (label) }
            }
        }
    };
    html! {
        @match (r.incoming, r.state) {
            (true, ReferralState::Proposed) => {
                (form("accept", "پذیرش", None))
                (form("decline", "نپذیرفتن", Some("دلیل")))
            }
            (true, ReferralState::Accepted) => {
                (form("give_service", "خدمت داده شد", Some("چه خدمتی")))
                (form("close", "بستن", Some("نتیجه")))
            }
            (true, ReferralState::ServiceGiven) => { (form("close", "بستن", Some("نتیجه"))) }
            (false, ReferralState::Proposed) => { (form("withdraw", "پس گرفتن", None)) }
            _ => {
                @if let Some(d) = &r.decline_reason { "دلیل: " (d) }
                @if let Some(o) = &r.outcome { "نتیجه: " (o) }
            }
        }
    }
}

pub async fn move_submit(
    State(state): State<AppState>,
    PathId(id): PathId<ReferralId>,
    CsrfForm { user, form }: CsrfForm<FormPairs>,
) -> Result<Response, AppError> {
    state
        .store
        .move_referral(
            &user.actor,
            id,
            step(form.get("action").unwrap_or(""))?,
            form.get("words"),
        )
        .await?;
    Ok(Redirect::to("/referrals?saved=moved").into_response())
}
