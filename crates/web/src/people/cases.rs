//! Cases on the web: `POST /api/v1/persons/{id}/cases`, `GET /api/v1/cases/{id}`,
//! `POST /api/v1/cases/{id}/work`, and the case page with its forms. A case is read as
//! its person is, with a purpose, and worked by its agency.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_core::access::Decision;
use hamafza_core::ids::{CaseId, PersonId};
use hamafza_core::jalali::JalaliDate;
use hamafza_core::people::ClosureReason;
use hamafza_store::people::{Case, CaseLoadQuery, CaseState, CaseWork, NewCase, PersonReader};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::{ApiJson, ApiQuery, ApiUser, CsrfForm, FormPairs, PageQuery, PathId};
use crate::layout::{self, Section};

#[derive(Deserialize)]
pub struct CaseIn {
    worker: Option<String>,
    #[serde(default)]
    assessment: BTreeMap<String, String>,
    plan: Option<String>,
}

fn new_case(c: CaseIn) -> Result<NewCase, AppError> {
    Ok(NewCase {
        worker: match c.worker.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
            Some(w) => Some(
                w.parse()
                    .map_err(|_| AppError::invalid("worker", "مددکار را از فهرست برگزینید"))?,
            ),
            None => None,
        },
        assessment: c.assessment,
        plan: c.plan,
    })
}

/// Work as a form or JSON gives it.
#[derive(Deserialize, Default)]
pub struct WorkIn {
    kind: String,
    service: Option<String>,
    /// The provider agency's code.
    provider: Option<String>,
    /// The day the service was given (Jalali); today when absent.
    given_on: Option<String>,
    outcome: Option<String>,
    body: Option<String>,
    reason: Option<String>,
    note: Option<String>,
}

async fn case_work(state: &AppState, w: WorkIn, today: JalaliDate) -> Result<CaseWork, AppError> {
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    Ok(match w.kind.as_str() {
        "service" => CaseWork::Service {
            service: given(&w.service).unwrap_or_default(),
            provider: match given(&w.provider) {
                Some(code) => Some(
                    state
                        .store
                        .agency_by_code(&code)
                        .await?
                        .ok_or_else(|| AppError::invalid("provider", "دستگاه ارائه‌دهنده پیدا نشد"))?
                        .id,
                ),
                None => None,
            },
            given_on: match given(&w.given_on) {
                Some(d) => JalaliDate::parse(&d)
                    .map_err(|e| AppError::invalid("given_on", e.to_string()))?,
                None => today,
            },
            outcome: given(&w.outcome),
        },
        "note" => CaseWork::Note {
            body: given(&w.body).unwrap_or_default(),
        },
        "close" => CaseWork::Close {
            reason: given(&w.reason)
                .and_then(|r| ClosureReason::from_code(&r))
                .ok_or_else(|| AppError::invalid("reason", "دلیل بستن پرونده را برگزینید"))?,
            note: given(&w.note),
        },
        "reopen" => CaseWork::Reopen {
            note: given(&w.note),
        },
        "attempt" => CaseWork::Attempt {
            note: given(&w.note),
        },
        _ => {
            return Err(AppError::invalid(
                "kind",
                "کار باید یکی از service، note، attempt، close، reopen باشد",
            ));
        }
    })
}

pub async fn open_api(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(person): PathId<PersonId>,
    ApiJson(body): ApiJson<CaseIn>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let id = state
        .store
        .open_case(&user.actor, person, &new_case(body)?, super::today(&state))
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "case": id }))))
}

pub async fn one_api(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(id): PathId<CaseId>,
    ApiQuery(q): ApiQuery<super::api::PurposeQuery>,
) -> Result<Json<Value>, AppError> {
    let purpose = q.purpose()?;
    let reader = PersonReader {
        actor: &user.actor,
        purpose: &purpose,
        today: super::today(&state),
    };
    Ok(Json(json!(state.store.read_case(&reader, id).await?)))
}

pub async fn work_api(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(id): PathId<CaseId>,
    ApiJson(body): ApiJson<WorkIn>,
) -> Result<Json<Value>, AppError> {
    let today = super::today(&state);
    let work = case_work(&state, body, today).await?;
    state.store.work_case(&user.actor, id, &work, today).await?;
    Ok(Json(json!({ "case": id, "done": true })))
}

pub async fn questions_api(
    State(state): State<AppState>,
    ApiUser(_user): ApiUser,
) -> Result<Json<Value>, AppError> {
    let questions: Vec<Value> = state
        .store
        .assessment_questions()
        .await?
        .into_iter()
        .map(|(code, text_fa)| json!({ "code": code, "text_fa": text_fa }))
        .collect();
    Ok(Json(json!({ "questions": questions })))
}

/// The form that opens a case, on the person's page.
pub async fn open_form(
    state: &AppState,
    user: &CurrentUser,
    person: PersonId,
) -> Result<Markup, AppError> {
    let questions = state.store.assessment_questions().await?;
    Ok(html! {
        h2 { "گشودن پرونده" }
        form.stack method="post" action={ "/people/" (person) "/cases" } {
            input type="hidden" name="csrf" value=(user.csrf());
            fieldset {
                legend { "نیازسنجی" }
                @for (code, q) in &questions {
                    label { (q) input type="text" name={ "q." (code) } maxlength="500"; }
                }
            }
            label { "برنامهٔ کار" textarea name="plan" maxlength="4000" {} }
            button.primary type="submit" { "گشودن پرونده" }
        }
    })
}

pub async fn open_submit(
    State(state): State<AppState>,
    PathId(person): PathId<PersonId>,
    CsrfForm { user, form }: CsrfForm<FormPairs>,
) -> Result<Response, AppError> {
    let assessment = form
        .0
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("q.").map(|q| (q.to_string(), v.clone())))
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
    let new = NewCase {
        worker: None,
        assessment,
        plan: form.get("plan").map(str::to_string),
    };
    let id = state
        .store
        .open_case(&user.actor, person, &new, super::today(&state))
        .await?;
    Ok(Redirect::to(&format!("/cases/{id}?saved=opened")).into_response())
}

#[derive(Deserialize)]
pub struct CasePageQuery {
    saved: Option<String>,
}

pub async fn case_page(
    State(state): State<AppState>,
    user: CurrentUser,
    PathId(id): PathId<CaseId>,
    PageQuery(q): PageQuery<CasePageQuery>,
) -> Result<Response, AppError> {
    let subject = format!("case:{id}");
    let Some(purpose) = super::pages::purpose_given(&state, &user, &subject).await? else {
        return Ok(super::pages::ask_purpose(
            &user,
            &subject,
            &format!("/cases/{id}"),
            "این پرونده",
        )
        .into_response());
    };
    let today = super::today(&state);
    let reader = PersonReader {
        actor: &user.actor,
        purpose: &purpose,
        today,
    };
    let case = state.store.read_case(&reader, id).await?;
    let access = state
        .store
        .person_access(&user.actor, case.person_id, today)
        .await?;
    let may_work = matches!(
        access.decide_case(&user.actor, case.agency.id.uuid()),
        Decision::Allow
    );
    let agencies = state
        .store
        .list_agencies(&hamafza_core::access::Scope::reference_lists())
        .await?;
    let body = html! {
        (case_body(&case, q.saved.as_deref()))
        @if may_work { (work_forms(&user, &case, &agencies)) }
    };
    Ok(layout::page("پرونده", &user, Section::People, body).into_response())
}

fn case_body(case: &Case, saved: Option<&str>) -> Markup {
    html! {
        h1 { "پرونده در " (case.agency.name_fa) }
        @if let Some(s) = saved { p.flash.ok role="status" { (match s { "opened" => "پرونده گشوده شد.", _ => "ثبت شد." }) } }
        p { a href={ "/people/" (case.person_id) } { "بازگشت به فرد" } }
        dl.facts {
            dt { "گشوده در" } dd { (layout::instant(&case.opened_at)) }
            dt { "مددکار" } dd { (case.worker.clone().unwrap_or_default()) }
            dt { "وضعیت" } dd {
                @match (&case.closed_at, case.closure_reason) {
                    (Some(at), Some(r)) => { "بسته — " (r.name_fa()) " — " (layout::instant(at)) }
                    _ => { "باز" }
                }
            }
            @if let Some(plan) = &case.plan { dt { "برنامه" } dd { (plan) } }
        }
        @if !case.assessment.is_empty() {
            h2 { "نیازسنجی" }
            dl.facts { @for (q, a) in &case.assessment { dt { (q) } dd { (a) } } }
        }
        h2 { "خدمات و یادداشت‌ها" }
        ol.timeline {
            @for e in &case.entries {
                li {
                    (layout::instant(&e.at)) " — "
                    @match e.kind.as_str() {
                        "service" => { "خدمت: " (e.service.clone().unwrap_or_default())
                            @if let Some(p) = &e.provider { " (" (p) ")" }
                            @if let Some(o) = &e.outcome { " — نتیجه: " (o) } }
                        "note" => { "یادداشت: " (e.body.clone().unwrap_or_default()) }
                        "closed" => { "بسته شد: " (e.outcome.as_deref().and_then(ClosureReason::from_code).map(ClosureReason::name_fa).unwrap_or_default())
                            @if let Some(b) = &e.body { " (" (b) ")" } }
                        "attempt" => { "جست‌وجو برای یافتن فرد، بی‌نتیجه" @if let Some(b) = &e.body { ": " (b) } }
                        _ => { "دوباره گشوده شد" @if let Some(b) = &e.body { ": " (b) } }
                    }
                    @if let Some(by) = &e.by { " — " (by) }
                }
            }
        }
    }
}

fn work_forms(user: &CurrentUser, case: &Case, agencies: &[hamafza_store::Agency]) -> Markup {
    let action = format!("/cases/{}/work", case.id);
    html! {
        @if case.closed_at.is_none() {
            h2 { "ثبت خدمت" }
            form.stack method="post" action=(action) {
                input type="hidden" name="csrf" value=(user.csrf());
                input type="hidden" name="kind" value="service";
                label { "خدمت" input type="text" name="service" required maxlength="200"; }
                label { "دستگاه ارائه‌دهنده" select name="provider" {
                    option value="" { "—" }
                    @for a in agencies { option value=(a.code) { (a.name_fa) } }
                } }
                label { "تاریخ" input type="text" name="given_on" placeholder="۱۴۰۵/۰۹/۱۱"; }
                label { "نتیجه" input type="text" name="outcome" maxlength="4000"; }
                button.primary type="submit" { "ثبت خدمت" }
            }
            h2 { "یادداشت" }
            form.stack method="post" action=(action) {
                input type="hidden" name="csrf" value=(user.csrf());
                input type="hidden" name="kind" value="note";
                label { "یادداشت" textarea name="body" required maxlength="4000" {} }
                button.primary type="submit" { "ثبت یادداشت" }
            }
            h2 { "جست‌وجوی بی‌نتیجه" }
            p.hint { "اگر فرد را در جای همیشگی نیافتید، ثبت کنید. پس از " (hamafza_store::people::LOST_AFTER_ATTEMPTS) " تلاش بی‌نتیجه بی‌هیچ دیدار یا خدمتی در میان، پرونده با «قطع تماس» بسته می‌شود و فرد در جدول ماهانه غیرفعال شمرده می‌شود." }
            form.stack method="post" action=(action) {
                input type="hidden" name="csrf" value=(user.csrf());
                input type="hidden" name="kind" value="attempt";
                label { "کجا و کی جست‌وجو شد" input type="text" name="note" maxlength="4000"; }
                button type="submit" { "ثبت جست‌وجوی بی‌نتیجه" }
            }
            h2 { "بستن پرونده" }
            form.stack method="post" action=(action) {
                input type="hidden" name="csrf" value=(user.csrf());
                input type="hidden" name="kind" value="close";
                label { "دلیل" select name="reason" required {
                    @for r in ClosureReason::ALL { option value=(r.code()) { (r.name_fa()) } }
                } }
                label { "توضیح" input type="text" name="note" maxlength="4000"; }
                button type="submit" { "بستن" }
            }
        } @else {
            form.stack method="post" action=(action) {
                input type="hidden" name="csrf" value=(user.csrf());
                input type="hidden" name="kind" value="reopen";
                label { "چرا دوباره؟" input type="text" name="note" maxlength="4000"; }
                button.primary type="submit" { "گشودن دوباره" }
            }
        }
    }
}

pub async fn work_submit(
    State(state): State<AppState>,
    PathId(id): PathId<CaseId>,
    CsrfForm { user, form }: CsrfForm<FormPairs>,
) -> Result<Response, AppError> {
    let get = |k: &str| form.get(k).map(str::to_string);
    let input = WorkIn {
        kind: get("kind").unwrap_or_default(),
        service: get("service"),
        provider: get("provider"),
        given_on: get("given_on"),
        outcome: get("outcome"),
        body: get("body"),
        reason: get("reason"),
        note: get("note"),
    };
    let today = super::today(&state);
    let work = case_work(&state, input, today).await?;
    state.store.work_case(&user.actor, id, &work, today).await?;
    Ok(Redirect::to(&format!("/cases/{id}?saved=work")).into_response())
}

/// A case load's filter, as the page and `GET /api/v1/cases` take it.
#[derive(Deserialize, Default)]
pub struct LoadQuery {
    /// open (default), closed, all.
    state: Option<String>,
    /// `true`/`1`: only the caller's own cases.
    mine: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

impl LoadQuery {
    fn read(&self) -> Result<CaseLoadQuery, AppError> {
        Ok(CaseLoadQuery {
            state: match self.state.as_deref().unwrap_or("open") {
                "open" | "" => CaseState::Open,
                "closed" => CaseState::Closed,
                "all" => CaseState::All,
                _ => {
                    return Err(AppError::invalid(
                        "state",
                        "وضعیت باید یکی از open، closed، all باشد",
                    ));
                }
            },
            mine: matches!(self.mine.as_deref(), Some("1" | "true")),
            limit: self.limit.unwrap_or(100).clamp(1, 500),
            offset: self.offset.unwrap_or(0).max(0),
        })
    }
}

#[derive(Deserialize)]
pub struct LoadApiQuery {
    #[serde(flatten)]
    load: LoadQuery,
    #[serde(flatten)]
    purpose: super::api::PurposeQuery,
}

/// The caller's agency's cases; names are a read, audited with the purpose.
pub async fn load_api(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<LoadApiQuery>,
) -> Result<Json<Value>, AppError> {
    let query = q.load.read()?;
    let purpose = q.purpose.purpose()?;
    let reader = PersonReader {
        actor: &user.actor,
        purpose: &purpose,
        today: super::today(&state),
    };
    let (items, total) = state.store.case_load(&reader, &query).await?;
    Ok(Json(
        json!({ "items": items, "total": total, "limit": query.limit, "offset": query.offset }),
    ))
}

/// `/cases`: the agency's case load, the longest-open first.
pub async fn load_page(
    State(state): State<AppState>,
    user: CurrentUser,
    PageQuery(q): PageQuery<LoadQuery>,
) -> Result<Response, AppError> {
    // Before the purpose is asked: only staff who work with people have a case load.
    if !hamafza_core::access::works_with_people(&user.actor) {
        return Err(hamafza_core::access::DenyReason::Role.into());
    }
    let query = q.read()?;
    let state_code = match query.state {
        CaseState::Open => "open",
        CaseState::Closed => "closed",
        CaseState::All => "all",
    };
    let Some(purpose) = super::pages::purpose_given(&state, &user, "cases").await? else {
        let back = format!(
            "/cases?state={state_code}{}",
            if query.mine { "&mine=1" } else { "" }
        );
        return Ok(
            super::pages::ask_purpose(&user, "cases", &back, "پرونده‌های دستگاه شما")
                .into_response(),
        );
    };
    let reader = PersonReader {
        actor: &user.actor,
        purpose: &purpose,
        today: super::today(&state),
    };
    let (rows, total) = state.store.case_load(&reader, &query).await?;
    let body = html! {
        h1 { "پرونده‌های دستگاه شما" }
        form.inline method="get" action="/cases" {
            label { "وضعیت" select name="state" {
                @for (code, name) in [("open", "باز"), ("closed", "بسته"), ("all", "همه")] {
                    option value=(code) selected[code == state_code] { (name) }
                }
            } }
            label.check { input type="checkbox" name="mine" value="1" checked[query.mine]; "فقط پرونده‌های من" }
            button.primary type="submit" { "نشان بده" }
        }
        p.hint { "هدف شما در این نشست: " (purpose.text_fa()) ". هر نامی که این فهرست نشان می‌دهد با این هدف ثبت می‌شود." }
        p { (crate::layout::num(total)) " پرونده" }
        @if rows.is_empty() { p.hint { "پرونده‌ای نیست." } } @else {
            div.table-wrap { table {
                thead { tr { th { "فرد" } th { "مددکار" } th { "گشوده در" } th { "آخرین کار" } th { "وضعیت" } } }
                tbody {
                    @for r in &rows {
                        tr {
                            td { a href={ "/cases/" (r.id) } {
                                @match &r.name { Some(n) => { (n) } None => { @if r.child { "کودک — نام پنهان" } @else { "نام پنهان" } } }
                            } }
                            td { (r.worker.clone().unwrap_or_default()) }
                            td { (layout::instant(&r.opened_at)) }
                            td { @match &r.last_work_at { Some(at) => { (layout::instant(at)) } None => { span.hint { "هنوز کاری ثبت نشده" } } } }
                            td { @match (&r.closed_at, r.closure_reason) { (Some(_), Some(reason)) => { "بسته: " (reason.name_fa()) } _ => { "باز" } } }
                        }
                    }
                }
            } }
        }
    };
    Ok(layout::page("پرونده‌ها", &user, Section::People, body).into_response())
}
