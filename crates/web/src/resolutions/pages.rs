//! Resolution pages: the filtered list, one resolution with its moves, updates, evidence
//! and history, the inbox, and the per-agency scorecard.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_core::access::{Action, Scope, scope};
use hamafza_core::resolutions::{MoveKind, State as RState};
use hamafza_core::scorecard::Summary;
use hamafza_store::ResolutionRow;
use maud::{Markup, html};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::PathId;
use crate::extract::{CsrfForm, CsrfMultipart};
use crate::extract::{FormPairs, PageQuery};
use crate::layout::{self, Section, instant, num};
use crate::pages::chart::{self, Bar};
use crate::resolutions::{self as f, ListParams, MoveIn};
use hamafza_core::ids::{AgencyId, EvidenceId, ResolutionId};

/// Agency names by id, for tables.
pub(crate) async fn agency_names(state: &AppState) -> Result<HashMap<AgencyId, String>, AppError> {
    Ok(state
        .store
        .list_agencies(&Scope::reference_lists())
        .await?
        .into_iter()
        .map(|a| (a.id, a.name_fa))
        .collect())
}

pub(super) fn state_badge(s: RState) -> Markup {
    html! { span class={ "state s-" (s.code()) } { (s.name_fa()) } }
}

pub(super) fn flags(row: &ResolutionRow, today: time::Date) -> Markup {
    let facts = row.facts();
    html! {
        @if facts.is_overdue(today) { span.flag.overdue { "معوق" } }
        @if facts.is_stalled(today) { span.flag.stalled { "راکد" } }
    }
}

/// The table every resolution list uses.
pub(super) fn table(
    rows: &[ResolutionRow],
    names: &HashMap<AgencyId, String>,
    today: time::Date,
) -> Markup {
    let name = |id: &AgencyId| names.get(id).cloned().unwrap_or_default();
    html! {
        @if rows.is_empty() {
            p.hint { "مصوبه‌ای نیست." }
        } @else {
            div.table-wrap {
                table.resolutions {
                    thead { tr {
                        th { "شماره" } th { "شورا" } th { "متن" } th { "دستگاه مسئول" }
                        th { "مهلت" } th { "وضعیت" } th { "آخرین گزارش" }
                    } }
                    tbody {
                        @for row in rows {
                            @let r = &row.resolution;
                            tr data-number=(r.number.to_string()) {
                                td { a href={ "/resolutions/" (r.id) } { (r.number.to_persian()) } }
                                td { (row.council_name) }
                                td { (truncate(&r.body, 120)) }
                                td { (name(&r.responsible_agency_id)) }
                                td { (f::jalali(r.deadline.as_deref())) }
                                td { (state_badge(r.state)) (flags(row, today)) }
                                td {
                                    @if let Some(u) = &row.latest {
                                        (f::jalali(Some(&u.on_date))) " — " (num(u.percent)) "٪"
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn truncate(s: &str, chars: usize) -> String {
    if s.chars().count() <= chars {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(chars).collect::<String>())
    }
}

/// Headline cards and the state chart for a set of resolutions.
pub(super) fn figures(s: &Summary) -> Markup {
    let pct = |x: Option<f64>| {
        x.map(|r| format!("{}٪", hamafza_core::numbers::format_decimal(r * 100.0, 0)))
            .unwrap_or_else(|| "—".into())
    };
    let bars: Vec<Bar<'_>> = s
        .by_state
        .iter()
        .map(|(st, n)| Bar {
            label: st.name_fa(),
            value: *n,
            class: state_class(*st),
        })
        .collect();
    html! {
        div.cards.figures {
            div.card data-figure="total" { div.n { (num(s.total as i64)) } div { "همهٔ مصوبات" } }
            div.card data-figure="reported_done" { div.n { (num(s.count(RState::ReportedDone) as i64)) } div { "اعلام انجام، در انتظار تأیید" } }
            div.card data-figure="verified" { div.n { (num(s.count(RState::Verified) as i64)) } div { "انجام‌شده و تأییدشده" } }
            div.card data-figure="overdue" { div.n { (num(s.overdue as i64)) } div { "معوق (گذشته از مهلت)" } }
            div.card data-figure="stalled" { div.n { (num(s.stalled as i64)) } div { "راکد (بی‌گزارش)" } }
            div.card data-figure="on_time" { div.n { (pct(s.on_time_rate)) } div { "تأیید به‌موقع" } }
            div.card data-figure="median_days" {
                div.n { (s.median_days_to_verify.map(|d| hamafza_core::numbers::format_decimal(d, 1)).unwrap_or_else(|| "—".into())) }
                div { "میانهٔ روز از ابلاغ تا تأیید" }
            }
        }
        (chart::bars("شمار مصوبات به تفکیک وضعیت", &bars))
    }
}

fn state_class(s: RState) -> &'static str {
    match s {
        RState::Draft => "s-draft",
        RState::Assigned => "s-assigned",
        RState::InProgress => "s-in_progress",
        RState::ReportedDone => "s-reported_done",
        RState::Verified => "s-verified",
        RState::Cancelled => "s-cancelled",
        RState::Merged => "s-merged",
        RState::ClosedWithoutResult => "s-closed_without_result",
    }
}

pub async fn list_page(
    State(state): State<AppState>,
    user: CurrentUser,
    PageQuery(params): PageQuery<ListParams>,
) -> Result<Markup, AppError> {
    let today = state.clock.today();
    let filter = params.filter(&state, &user).await?;
    let rows = state
        .store
        .list_resolutions(&f::resolution_scope(&user), &filter, today)
        .await?;
    let facts: Vec<_> = rows.iter().map(ResolutionRow::facts).collect();
    let names = agency_names(&state).await?;
    let councils = state
        .store
        .list_councils(&scope(&user.actor, Action::ViewCouncils))
        .await?;
    let agencies = state
        .store
        .list_agencies(&scope(&user.actor, Action::ViewAgencies))
        .await?;
    let given = |v: &Option<String>| v.clone().unwrap_or_default();
    let query = params.query_string();
    let (shown, page, pages) = params.page_of(&rows);
    let body = html! {
        h1 { "مصوبات" }
        form.inline method="get" action="/resolutions" {
            label { "شورا" select name="council" {
                option value="" { "همه" }
                @for c in &councils { option value=(c.code) selected[given(&params.council) == c.code] { (c.name_fa) } }
            } }
            label { "دستگاه" select name="agency" {
                option value="" { "همه" }
                @for a in &agencies { option value=(a.code) selected[given(&params.agency) == a.code] { (a.name_fa) } }
            } }
            label { "وضعیت" select name="state" {
                option value="" { "همه" }
                @for s in RState::ALL { option value=(s.code()) selected[given(&params.state) == s.code()] { (s.name_fa()) } }
            } }
            label { "دوره" input type="text" name="period" value=(given(&params.period)) placeholder="1404Q2" size="8"; }
            label.check { input type="checkbox" name="overdue" value="true" checked[params.overdue.is_some()]; "فقط معوق" }
            label.check { input type="checkbox" name="stalled" value="true" checked[params.stalled.is_some()]; "فقط راکد" }
            button.primary type="submit" { "نمایش" }
        }
        p { a href={ "/resolutions.xlsx?" (query) } download { "دریافت همین فهرست (اکسل)" } }
        (figures(&Summary::of(&facts, today)))
        h2 { "فهرست (" (num(rows.len() as i64)) ")" }
        (table(shown, &names, today))
        @if pages > 1 {
            nav.pager aria-label="صفحه‌ها" {
                @if page > 1 { a href={ "/resolutions?" (query) "&page=" (page - 1) } { "صفحهٔ قبل" } }
                span { "صفحهٔ " (num(page as i64)) " از " (num(pages as i64)) }
                @if page < pages { a href={ "/resolutions?" (query) "&page=" (page + 1) } { "صفحهٔ بعد" } }
            }
        }
    };
    Ok(layout::page("مصوبات", &user, Section::Resolutions, body))
}

#[derive(serde::Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// What a save did, said at the top of the page it returns to.
fn saved_fa(saved: Option<&str>) -> Option<String> {
    let what = saved?;
    if what == "update" {
        return Some("گزارش پیشرفت ثبت شد.".into());
    }
    MoveKind::ALL
        .into_iter()
        .find(|m| m.code() == what)
        .map(|m| format!("انجام شد: «{}».", m.name_fa()))
}

/// Moves that end a resolution without its result: styled apart and confirmed.
fn destructive(m: MoveKind) -> bool {
    matches!(m, MoveKind::Cancel | MoveKind::Close | MoveKind::Merge)
}

/// A resolution's priority in words.
pub fn priority_fa(p: i64) -> &'static str {
    match p {
        1 => "بالا",
        2 => "میانه",
        3 => "پایین",
        _ => "—",
    }
}

pub async fn resolution_page(
    State(state): State<AppState>,
    user: CurrentUser,
    PathId(id): PathId<ResolutionId>,
    PageQuery(q): PageQuery<SavedQuery>,
) -> Result<Markup, AppError> {
    render_resolution(&state, &user, id, None, saved_fa(q.saved.as_deref())).await
}

async fn render_resolution(
    state: &AppState,
    user: &CurrentUser,
    id: ResolutionId,
    error: Option<&str>,
    saved: Option<String>,
) -> Result<Markup, AppError> {
    let visible = f::resolution_for(state, user, id).await?;
    let (r, council) = (&visible.resolution, &visible.council);
    let names = agency_names(state).await?;
    let name = |id: &AgencyId| names.get(id).cloned().unwrap_or_default();
    let updates = state
        .store
        .resolution_updates(&scope(&user.actor, Action::ViewResolution), r.id)
        .await?;
    let collaborations = state
        .store
        .collaborations(&scope(&user.actor, Action::ViewResolution), r.id)
        .await?;
    let meeting = match &r.meeting_id {
        // The meeting it was passed in is shown to the council's members only.
        Some(m) => match state
            .store
            .meeting(&scope(&user.actor, Action::ViewCouncilRecords), *m)
            .await
        {
            Ok(detail) => Some(detail),
            Err(hamafza_store::StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let agenda_item = meeting.as_ref().and_then(|m| {
        m.agenda
            .iter()
            .find(|a| Some(&a.id) == r.agenda_item_id.as_ref())
            .cloned()
    });
    let meeting = meeting.map(|m| m.meeting);
    let history = state
        .store
        .resolution_history(&scope(&user.actor, Action::ViewResolution), r.id)
        .await?;
    let today = state.clock.today();
    let row = ResolutionRow {
        resolution: r.clone(),
        council_code: council.code.clone(),
        council_name: council.name_fa.clone(),
        stall_days: council.stall_days,
        latest: None,
    };
    let moves = visible.moves(user);
    let can_report = visible.may(user, Action::ReportProgress)
        && matches!(r.state, RState::Assigned | RState::InProgress);
    let sees_evidence = visible.may(user, Action::ViewEvidence);
    // The places the resolution is about: named for whoever may see the resolution.
    let places = {
        let mut out = Vec::new();
        for p in &r.places {
            if let Ok(place) = state.store.place_by_id(*p).await {
                out.push(place);
            }
        }
        out
    };
    let done_in_full = updates.last().is_some_and(|u| u.percent >= 100);
    let body = html! {
        @if let Some(saved) = &saved { p.flash.ok role="status" { (saved) } }
        p { a href={ "/councils/" (council.code) } { (council.name_fa) } }
        h1 { "مصوبهٔ " (r.number.to_persian()) " " (state_badge(r.state)) (flags(&row, today)) }
        @if let Some(e) = error { p.flash.error role="alert" { (e) } }
        p.body { (r.body) }
        dl.facts {
            dt { "دستگاه مسئول" } dd { (name(&r.responsible_agency_id)) }
            @if !collaborations.is_empty() {
                dt { "دستگاه‌های همکار" }
                dd { ul.plain {
                    @for c in &collaborations {
                        li {
                            (name(&c.agency_id))
                            @if let Some(a) = &c.action { ": " (a) }
                            @if c.deadline.is_some() { " (مهلت " (f::jalali(c.deadline.as_deref())) ")" }
                        }
                    }
                } }
            }
            @if let Some(m) = &meeting {
                dt { "مصوب در" } dd {
                    a href={ "/meetings/" (m.id) } { "جلسهٔ " (num(m.number)) " — " (f::jalali(Some(&m.held_on))) }
                    @if let Some(a) = &agenda_item { "، بند " (num(a.position)) ": " (a.title) }
                }
            }
            dt { "تاریخ تصویب" } dd { (f::jalali(r.decided_on.as_deref())) }
            dt { "مهلت" } dd { (f::jalali(r.deadline.as_deref())) }
            dt { "اولویت" } dd { (priority_fa(r.priority)) @if r.in_focus { " " span.badge { "در کانون توجه" } } }
            @if !r.topic.is_empty() { dt { "موضوع" } dd { (r.topic) } }
            @if let Some(e) = &r.expected_result { dt { "نتیجهٔ مورد انتظار" } dd { (e) } }
            @if !places.is_empty() {
                dt { "مکان‌ها" } dd { @for (i, p) in places.iter().enumerate() { @if i > 0 { "، " } a href={ "/places/" (p.id) } { (p.name_fa) } } }
            }
            @if let Some(reason) = &r.state_reason { dt { "دلیل آخرین تغییر" } dd { (reason) } }
            dt { "آخرین فعالیت" } dd { (f::jalali(Some(&r.last_activity_on))) }
        }
        @if !moves.is_empty() {
            h2 { "اقدام" }
            @if done_in_full && moves.contains(&MoveKind::ReportDone) {
                p.flash.ok role="status" { "پیشرفت ۱۰۰٪ گزارش شده است؛ اگر کار تمام است، «" (MoveKind::ReportDone.name_fa()) "» را بزنید تا دبیرخانه آن را راستی‌آزمایی کند." }
            }
            div.actions {
                @for m in moves.iter().filter(|m| !destructive(**m)) {
                    (move_form(user, r.id, *m))
                }
            }
            @if moves.iter().any(|m| destructive(*m)) {
                details.danger-zone {
                    summary { "پایان بدون نتیجه: لغو، بستن یا ادغام" }
                    p.hint { "این کارها مصوبه را بی‌نتیجه می‌بندند و در گزارش‌ها «انجام‌شده» شمرده نمی‌شوند؛ دلیل ثبت می‌شود." }
                    div.actions {
                        @for m in moves.iter().filter(|m| destructive(**m)) {
                            (move_form(user, r.id, *m))
                        }
                    }
                }
            }
        }
        @if can_report {
            h2 { "گزارش پیشرفت" }
            form.stack method="post" action={ "/resolutions/" (r.id) "/updates" } enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(user.csrf());
                label { "درصد پیشرفت" input type="text" name="percent" inputmode="numeric" required; }
                label { "شرح" textarea name="body" rows="3" required {} }
                label { "پیوست شاهد (عکس، صورت‌جلسه، نامه)" input type="file" name="evidence" multiple; }
                button.primary type="submit" { "ثبت گزارش" }
            }
        }
        h2 { "گزارش‌های پیشرفت" }
        @if updates.is_empty() { p.hint { "هنوز گزارشی نرسیده است." } }
        @for u in updates.iter().rev() {
            article.card.update {
                strong { (f::jalali(Some(&u.on_date))) " — " (name(&u.agency_id)) " — " (num(u.percent)) "٪" }
                p { (u.body) }
                @for e in u.evidence.iter().filter(|_| sees_evidence) {
                    p.evidence {
                        a href={ "/evidence/" (e.id) } { (e.file_name) }
                        " (" (num(e.size)) " بایت) "
                        span.hint { "SHA-256: " code { (e.sha256) } }
                    }
                }
            }
        }
        h2 { "تاریخچه" }
        ol.history {
            @for h in &history {
                li title=(instant(&h.at)) {
                    (f::jalali(h.on_date.as_deref())) ": "
                    (h.from_state.as_deref().and_then(RState::from_code).map(RState::name_fa).unwrap_or("—"))
                    " ← " (RState::from_code(&h.to_state).map(RState::name_fa).unwrap_or(&h.to_state))
                    @if let Some(n) = &h.note { " (" (n) ")" }
                }
            }
        }
    };
    Ok(layout::page(
        &format!("مصوبهٔ {}", r.number.to_persian()),
        user,
        Section::Resolutions,
        body,
    ))
}

/// The form's answer to a refused request: the same page with the reason, as a 400.
async fn refused(state: &AppState, user: &CurrentUser, id: ResolutionId, r: AppError) -> Response {
    crate::pages::refused_form(r, |m| async move {
        render_resolution(state, user, id, Some(&m), None).await
    })
    .await
}

/// One move's form: its reason box labelled, a destructive move confirmed.
fn move_form(user: &CurrentUser, id: ResolutionId, m: MoveKind) -> Markup {
    html! {
        form.move-form method="post" action={ "/resolutions/" (id) "/move" } {
            input type="hidden" name="csrf" value=(user.csrf());
            input type="hidden" name="action" value=(m.code());
            @if m.needs_reason() {
                label { "دلیل «" (m.name_fa()) "»" input type="text" name="reason" required; }
            }
            @if m == MoveKind::Merge {
                label { "شمارهٔ مصوبهٔ مقصد" input type="text" name="into" placeholder="مثلاً ۱۴۰۴/۳"; }
            }
            @if destructive(m) {
                label.check { input type="checkbox" name="confirm" value="yes" required; "مطمئنم: «" (m.name_fa()) "» برگشت‌پذیر نیست مگر با بازگشایی" }
                button.danger type="submit" data-action=(m.code()) { (m.name_fa()) }
            } @else {
                button.primary type="submit" data-action=(m.code()) { (m.name_fa()) }
            }
        }
    }
}

pub async fn move_submit(
    State(state): State<AppState>,
    PathId(id): PathId<ResolutionId>,
    CsrfForm { user, form }: CsrfForm<FormPairs>,
) -> Response {
    let m = MoveIn {
        action: form.get("action").unwrap_or_default().to_string(),
        reason: form.get("reason").map(str::to_string),
        into: form.get("into").map(str::to_string),
    };
    // A move that ends the resolution without its result is made only when confirmed.
    let kind = MoveKind::ALL.into_iter().find(|k| k.code() == m.action);
    if kind.is_some_and(destructive) && form.get("confirm") != Some("yes") {
        let e = AppError::invalid(
            "confirm",
            "برای این کار، «مطمئنم» را تیک بزنید: مصوبه بی‌نتیجه بسته می‌شود",
        );
        return refused(&state, &user, id, e).await;
    }
    match f::move_resolution(&state, &user, id, &m).await {
        Ok(r) => Redirect::to(&format!("/resolutions/{}?saved={}", r.id, m.action)).into_response(),
        Err(e) => refused(&state, &user, id, e).await,
    }
}

pub async fn update_submit(
    State(state): State<AppState>,
    PathId(id): PathId<ResolutionId>,
    CsrfMultipart {
        user,
        fields,
        files,
    }: CsrfMultipart,
) -> Response {
    let result = match f::UpdateIn::from_form(&fields, files) {
        Ok(update) => f::post_update(&state, &user, id, update).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/resolutions/{id}?saved=update")).into_response(),
        Err(e) => refused(&state, &user, id, e).await,
    }
}

pub async fn evidence_download(
    State(state): State<AppState>,
    user: CurrentUser,
    PathId(id): PathId<EvidenceId>,
) -> Response {
    match crate::resolutions::api::evidence_response(&state, &user, id).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

/// What needs this user: notices, and the resolutions waiting on their agency.
pub async fn inbox_page(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Markup, AppError> {
    let today = state.clock.today();
    let notices = state.store.inbox(user.user.id, 100).await?;
    let names = agency_names(&state).await?;
    let crate::resolutions::work::Waiting {
        to_verify,
        to_assign,
        to_report,
    } = crate::resolutions::work::waiting(&state, &user, today).await?;
    let unread = notices.iter().filter(|n| !n.read).count();
    // The resolutions the notices are about, as they stand now: a notice whose cause
    // has gone (the work was started, the report verified, the delay made good) is
    // shown as done, not as work.
    let about: Vec<ResolutionId> = notices.iter().filter_map(|n| n.resolution_id).collect();
    let now: HashMap<ResolutionId, ResolutionRow> = if about.is_empty() {
        HashMap::new()
    } else {
        state
            .store
            .list_resolutions(
                &f::resolution_scope(&user),
                &hamafza_store::ResolutionFilter {
                    ids: Some(about),
                    ..Default::default()
                },
                today,
            )
            .await?
            .into_iter()
            .map(|r| (r.resolution.id, r))
            .collect()
    };
    let settled = |n: &hamafza_store::Notification| -> bool {
        let Some(row) = n.resolution_id.and_then(|id| now.get(&id)) else {
            return false;
        };
        notice_settled(&n.kind, row, today)
    };
    let (to_act, done): (Vec<_>, Vec<_>) = notices.iter().partition(|n| !settled(n));
    let agency = AgencyId::from(user.actor.agency_id);
    let (lead, help): (Vec<ResolutionRow>, Vec<ResolutionRow>) = to_report
        .into_iter()
        .partition(|r| r.resolution.responsible_agency_id == agency);
    let body = html! {
        h1 { "کارتابل" }
        @if !to_verify.is_empty() { h2 { "در انتظار تأیید شما" } (table(&to_verify, &names, today)) }
        @if !to_assign.is_empty() { h2 { "پیش‌نویس‌های آمادهٔ ابلاغ" } (table(&to_assign, &names, today)) }
        @if !lead.is_empty() { h2 { "مصوباتی که دستگاه شما مسئول (راهبر) آن است و باید گزارش دهد" } (table(&lead, &names, today)) }
        @if !help.is_empty() { h2 { "مصوباتی که دستگاه شما در آن همکار است" } (table(&help, &names, today)) }
        @if to_verify.is_empty() && to_assign.is_empty() && lead.is_empty() && help.is_empty() {
            p.hint { "کاری در انتظار شما نیست." }
        }
        h2 { "اعلان‌ها (" (num(unread as i64)) " خوانده‌نشده)" }
        @if unread > 0 {
            form method="post" action="/inbox/read" {
                input type="hidden" name="csrf" value=(user.csrf());
                button type="submit" { "همه خوانده شد" }
            }
        }
        @if !to_act.is_empty() {
            h3 { "نیازمند اقدام" }
            ul.notices {
                @for n in &to_act {
                    li.unread[!n.read] {
                        (instant(&n.created_at)) ": "
                        @if let Some(r) = &n.resolution_id { a href={ "/resolutions/" (r) } { (n.body) } } @else { (n.body) }
                    }
                }
            }
        }
        @if !done.is_empty() {
            details.notices-done {
                summary { "انجام‌شده یا فقط برای آگاهی (" (num(done.len() as i64)) ")" }
                ul.notices {
                    @for n in &done {
                        li.done {
                            (instant(&n.created_at)) ": "
                            @if let Some(r) = &n.resolution_id { a href={ "/resolutions/" (r) } { (n.body) } } @else { (n.body) }
                            @if let Some(row) = n.resolution_id.and_then(|id| now.get(&id)) {
                                " — اکنون: " (row.resolution.state.name_fa())
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page("کارتابل", &user, Section::Inbox, body))
}

/// Whether a notice's cause has gone: the work it asked for was done, or it only told.
fn notice_settled(kind: &str, row: &ResolutionRow, today: time::Date) -> bool {
    let state = row.resolution.state;
    let open = matches!(state, RState::Assigned | RState::InProgress);
    match kind {
        // "Assigned to you": done once work started or the resolution moved on.
        "assigned" => state != RState::Assigned,
        // "Reported done, verify it": done once verified or sent back.
        "reported_done" => state != RState::ReportedDone,
        // "Sent back": done once reported again (or closed).
        "sent_back" => !open,
        // Late or stalled: done once it is neither, or no longer open.
        "reminder" | "head_notice" | "agenda" => {
            let f = row.facts();
            !open || (!f.is_overdue(today) && !f.is_stalled(today))
        }
        // Only telling ("verified"): nothing to do.
        _ => true,
    }
}

pub async fn inbox_read(
    State(state): State<AppState>,
    CsrfForm { user, .. }: CsrfForm<FormPairs>,
) -> Response {
    match state.store.mark_inbox_read(user.user.id).await {
        Ok(_) => Redirect::to("/inbox").into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

pub async fn scorecard_page(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Markup, AppError> {
    let today = state.clock.today();
    let cards = f::scorecard(&state, &user, today).await?;
    let pct = |x: Option<f64>| {
        x.map(|r| format!("{}٪", hamafza_core::numbers::format_decimal(r * 100.0, 0)))
            .unwrap_or_else(|| "—".into())
    };
    let own = state
        .store
        .agency(AgencyId::from(user.actor.agency_id))
        .await?;
    let today_jalali = hamafza_core::jalali::JalaliDate::from_gregorian(today);
    let body = html! {
        h1 { "کارنامهٔ دستگاه‌ها" }
        form.inline method="get" action={ "/agencies/" (own.code) "/report.pdf" } {
            label { "گزارش دوره‌ای مصوبات " (own.name_fa) " (PDF)"
                input type="text" name="period" value=(today_jalali.year) size="8" aria-label="دوره"; }
            button.primary type="submit" { "دریافت گزارش" }
        }
        p.hint { "برای هر دستگاه مسئول، در همهٔ شوراهایی که می‌بینید. «اعلام انجام» و «تأییدشده» جدا شمرده می‌شوند." }
        div.table-wrap { table {
            thead { tr {
                th { "دستگاه" } th { "همه" } th { "باز" } th { "اعلام انجام" } th { "تأییدشده" }
                th { "معوق" } th { "راکد" } th { "تأیید به‌موقع" } th { "میانهٔ روز تا تأیید" }
            } }
            tbody {
                @for (a, s) in &cards {
                    tr {
                        td { a href={ "/resolutions?agency=" (a.code) } { (a.name_fa) } }
                        td { (num(s.total as i64)) }
                        td { (num((s.count(RState::Assigned) + s.count(RState::InProgress)) as i64)) }
                        td { (num(s.count(RState::ReportedDone) as i64)) }
                        td { (num(s.count(RState::Verified) as i64)) }
                        td { (num(s.overdue as i64)) }
                        td { (num(s.stalled as i64)) }
                        td { (pct(s.on_time_rate)) }
                        td { (s.median_days_to_verify.map(|d| hamafza_core::numbers::format_decimal(d, 1)).unwrap_or_else(|| "—".into())) }
                    }
                }
            }
        } }
    };
    Ok(layout::page(
        "کارنامهٔ دستگاه‌ها",
        &user,
        Section::Resolutions,
        body,
    ))
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    PageQuery(params): PageQuery<ListParams>,
) -> Response {
    match crate::resolutions::documents::export_xlsx(&state, &user, &params).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

/// An agency's own periodic report across every council.
pub async fn agency_report_pdf(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(key): Path<String>,
    PageQuery(q): PageQuery<crate::resolutions::documents::PeriodQuery>,
) -> Response {
    let subject = crate::resolutions::documents::ReportOf::Agency(&key);
    match crate::resolutions::documents::report_pdf(&state, &user, subject, q.period.as_deref())
        .await
    {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}
