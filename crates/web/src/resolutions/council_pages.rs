//! Council pages: the list, each council's dashboard with its meetings and the forms its
//! secretariat uses, and a meeting's agenda, minutes and attendance.

use super::pages::{agency_names, figures, table};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::FormPairs;
use crate::extract::{CsrfForm, CsrfMultipart};
use crate::layout::{self, Section, num};
use crate::resolutions as f;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_core::access::{Action, scope};
use hamafza_core::ids::{AgencyId, PlaceId, ResolutionId};
use hamafza_core::jalali::JalaliDate;
use hamafza_core::scorecard::Summary;
use hamafza_store::{Council, ResolutionFilter, ResolutionRow, Who};
use maud::{Markup, html};

pub async fn list_page(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Markup, AppError> {
    let today = state.clock.today();
    let councils = state
        .store
        .list_councils(&scope(&user.actor, Action::ViewCouncils))
        .await?;
    let mut lines = Vec::new();
    for c in &councils {
        let facts = council_facts(&state, &user, c).await?;
        lines.push((c, Summary::of(facts.iter().map(|(_, f)| f), today)));
    }
    let form = create_form(&state, &user, None).await?;
    let body = html! {
        h1 { "شوراها و قرارگاه‌ها" }
        p { a href="/scorecard" { "کارنامهٔ دستگاه‌ها" } " · " a href="/resolutions" { "همهٔ مصوبات" } }
        @if councils.is_empty() { p.hint { "دستگاه شما عضو شورایی نیست." } }
        div.table-wrap { table {
            thead { tr { th { "شورا" } th { "گونه" } th { "مصوبات" } th { "اعلام انجام" } th { "تأییدشده" } th { "معوق" } th { "راکد" } } }
            tbody {
                @for (c, s) in &lines {
                    tr {
                        td { a href={ "/councils/" (c.code) } { (c.name_fa) } }
                        td { (c.kind.name_fa()) }
                        td { (num(s.total as i64)) }
                        td { (num(s.count(hamafza_core::resolutions::State::ReportedDone) as i64)) }
                        td { (num(s.count(hamafza_core::resolutions::State::Verified) as i64)) }
                        td { (num(s.overdue as i64)) }
                        td { (num(s.stalled as i64)) }
                    }
                }
            }
        } }
    };
    let body = html! { (body) (form) };
    Ok(layout::page("شوراها", &user, Section::Councils, body))
}

/// The form that sets a council up, for system administrators and agency heads.
pub(crate) async fn create_form(
    state: &AppState,
    user: &CurrentUser,
    error: Option<&str>,
) -> Result<Markup, AppError> {
    use hamafza_core::access::Role;
    let admin = user.actor.has(Role::SystemAdmin);
    if !admin && !user.actor.has(Role::AgencyAdmin) {
        return Ok(html! {});
    }
    let agencies = state
        .store
        .list_agencies(&scope(&user.actor, Action::ViewAgencies))
        .await?;
    let own = AgencyId::from(user.actor.agency_id);
    Ok(html! {
        h2 { "تشکیل شورا یا قرارگاه" }
        @if let Some(e) = error { p.flash.error role="alert" { (e) } }
        form.stack method="post" action="/councils" {
            input type="hidden" name="csrf" value=(user.csrf());
            label { "کد (لاتین)" input type="text" name="code" required placeholder="d05-hq" dir="ltr"; }
            label { "نام" input type="text" name="name_fa" required; }
            label { "گونه" select name="kind" {
                @for k in hamafza_core::resolutions::CouncilKind::ALL { option value=(k.code()) { (k.name_fa()) } }
            } }
            label { "کد مکان حوزه" input type="text" name="place" required placeholder="SYN-HMF-D05" dir="ltr"; }
            label { "دبیرخانه" select name="secretariat_agency" {
                @for a in agencies.iter().filter(|a| admin || a.id == own) { option value=(a.code) { (a.name_fa) } }
            } }
            label { "دستگاه‌های عضو" select name="members" multiple size="5" {
                @for a in &agencies { option value=(a.code) { (a.name_fa) } }
            } }
            label { "سقف مصوبات هم‌زمان در کانون توجه" input type="text" name="focus_limit" value="10" inputmode="numeric"; }
            label { "راکد پس از چند روز بی‌گزارش" input type="text" name="stall_days" value="30" inputmode="numeric"; }
            button.primary type="submit" { "تشکیل" }
        }
    })
}

/// A number typed in a form, in any digit script.
pub(crate) fn form_number(form: &FormPairs, name: &str) -> i64 {
    form.get(name)
        .map(|v| hamafza_core::digits::to_ascii(v.trim()))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

pub async fn create_submit(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm<FormPairs>,
) -> Response {
    let input = f::CouncilIn {
        code: form.get("code").unwrap_or_default().to_string(),
        name_fa: form.get("name_fa").unwrap_or_default().to_string(),
        kind: form.get("kind").unwrap_or_default().to_string(),
        place: form.get("place").unwrap_or_default().to_string(),
        secretariat_agency: form
            .get("secretariat_agency")
            .unwrap_or_default()
            .to_string(),
        members: form
            .all("members")
            .into_iter()
            .map(|agency| f::MemberIn {
                agency,
                representative: None,
            })
            .collect(),
        focus_limit: form_number(&form, "focus_limit"),
        stall_days: form_number(&form, "stall_days"),
    };
    match f::create_council(&state, &user, input).await {
        Ok(c) => Redirect::to(&format!("/councils/{}", c.code)).into_response(),
        Err(r) => {
            crate::pages::refused_form(r, |m| async move {
                let form = create_form(&state, &user, Some(&m)).await?;
                Ok(layout::page("شوراها", &user, Section::Councils, form))
            })
            .await
        }
    }
}

pub async fn settings_submit(
    State(state): State<AppState>,
    Path(key): Path<String>,
    CsrfForm { user, form }: CsrfForm<FormPairs>,
) -> Response {
    let result: Result<(), AppError> = async {
        let council = f::council_to_run(&state, &user, &key).await?;
        state
            .store
            .update_council_settings(
                &Who::of(&user.actor),
                council.id,
                form_number(&form, "focus_limit"),
                form_number(&form, "stall_days"),
            )
            .await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to(&format!("/councils/{key}")).into_response(),
        Err(r) => council_refused(&state, &user, &key, r).await,
    }
}

/// What the figures need of the council's resolutions this user may see.
pub(crate) async fn council_facts(
    state: &AppState,
    user: &CurrentUser,
    c: &Council,
) -> Result<Vec<(ResolutionId, hamafza_core::scorecard::Facts)>, AppError> {
    let filter = ResolutionFilter {
        council_id: Some(c.id),
        ..ResolutionFilter::default()
    };
    Ok(state
        .store
        .resolution_facts(&f::resolution_scope(user), &filter)
        .await?)
}

/// The council's resolutions this user may see.
pub(crate) async fn council_rows(
    state: &AppState,
    user: &CurrentUser,
    c: &Council,
    today: time::Date,
) -> Result<Vec<ResolutionRow>, AppError> {
    let filter = ResolutionFilter {
        council_id: Some(c.id),
        ..ResolutionFilter::default()
    };
    Ok(state
        .store
        .list_resolutions(&f::resolution_scope(user), &filter, today)
        .await?)
}

/// How many overdue (and stalled) resolutions the dashboard lists, the longest late first.
pub(crate) const DASHBOARD_LIST: usize = 15;

pub async fn council_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(key): Path<String>,
) -> Result<Markup, AppError> {
    render_council(&state, &user, &key, None).await
}

pub(crate) async fn render_council(
    state: &AppState,
    user: &CurrentUser,
    key: &str,
    error: Option<&str>,
) -> Result<Markup, AppError> {
    let access = f::council_where(state, user, key, Action::ViewCouncil).await?;
    let council = &access.council;
    let today = state.clock.today();
    let facts = council_facts(state, user, council).await?;
    let summary = Summary::of(facts.iter().map(|(_, f)| f), today);
    let names = agency_names(state).await?;
    let name = |id: &AgencyId| names.get(id).cloned().unwrap_or_default();
    // Meetings and minutes are the members' (an agency with one resolution here sees
    // the heading and its own resolutions only).
    let reads_records = access.may(user, Action::ViewCouncilRecords);
    let meetings = if reads_records {
        state
            .store
            .council_meetings(&scope(&user.actor, Action::ViewCouncilRecords), council.id)
            .await?
    } else {
        Vec::new()
    };
    let members = state
        .store
        .council_members(&scope(&user.actor, Action::ViewCouncils), council.id)
        .await?;
    let place = state.store.place_by_id(council.place_id).await?;
    let can_run = access.may(user, Action::RunCouncil);
    // The dashboard shows the worst few of each, read in full; the full lists are a
    // click away.
    let mut late: Vec<_> = facts.iter().filter(|(_, f)| f.is_overdue(today)).collect();
    late.sort_by_key(|(_, f)| f.deadline);
    let mut quiet: Vec<_> = facts.iter().filter(|(_, f)| f.is_stalled(today)).collect();
    quiet.sort_by_key(|(_, f)| f.last_activity_on);
    let (overdue_total, stalled_total) = (late.len(), quiet.len());
    let worst = |list: Vec<&(ResolutionId, hamafza_core::scorecard::Facts)>| ResolutionFilter {
        ids: Some(
            list.iter()
                .take(DASHBOARD_LIST)
                .map(|(id, _)| *id)
                .collect(),
        ),
        ..ResolutionFilter::default()
    };
    let resolutions = f::resolution_scope(user);
    let mut overdue = state
        .store
        .list_resolutions(&resolutions, &worst(late), today)
        .await?;
    overdue.sort_by_key(|r| r.facts().deadline);
    let mut stalled = state
        .store
        .list_resolutions(&resolutions, &worst(quiet), today)
        .await?;
    stalled.sort_by_key(|r| r.facts().last_activity_on);
    let current_period = hamafza_core::jalali::Period::Quarter(
        JalaliDate::from_gregorian(today).year,
        (JalaliDate::from_gregorian(today).month - 1) / 3 + 1,
    );
    let body = html! {
        h1 { (council.name_fa) }
        @if let Some(e) = error { p.flash.error role="alert" { (e) } }
        dl.facts {
            dt { "گونه" } dd { (council.kind.name_fa()) }
            dt { "حوزه" } dd { a href={ "/places/" (place.id) } { (place.name_fa) } }
            dt { "دبیرخانه" } dd { (name(&council.secretariat_agency_id)) }
            dt { "اعضا" } dd {
                @for (i, (a, rep)) in members.iter().enumerate() {
                    @if i > 0 { "، " }
                    (name(a)) @if let Some(r) = rep { " (" (r) ")" }
                }
            }
            dt { "سقف مصوبات در کانون" } dd { (num(council.focus_limit)) }
            dt { "راکد پس از" } dd { (num(council.stall_days)) " روز بی‌گزارش" }
        }
        @if can_run {
            details {
                summary { "تنظیم سقف کانون توجه و روزهای رکود" }
                form.inline method="post" action={ "/councils/" (council.code) "/settings" } {
                    input type="hidden" name="csrf" value=(user.csrf());
                    label { "سقف کانون" input type="text" name="focus_limit" value=(council.focus_limit) inputmode="numeric" size="4"; }
                    label { "روزهای رکود" input type="text" name="stall_days" value=(council.stall_days) inputmode="numeric" size="4"; }
                    button.primary type="submit" { "ذخیره" }
                }
            }
        }
        p {
            a href={ "/resolutions?council=" (council.code) } { "همهٔ مصوبات این شورا" } " · "
            a href={ "/resolutions.xlsx?council=" (council.code) } download { "خروجی اکسل" }
        }
        form.inline method="get" action={ "/councils/" (council.code) "/report.pdf" } {
            label { "گزارش دوره‌ای (PDF)" input type="text" name="period" value=(current_period.code()) size="8" aria-label="دوره"; }
            button.primary type="submit" { "دریافت گزارش" }
        }
        h2 { "نمای کلی" }
        (figures(&summary))
        h2 { "معوق (" (num(overdue_total as i64)) ")" }
        (table(&overdue, &names, today))
        @if overdue_total > overdue.len() {
            p { a href={ "/resolutions?council=" (council.code) "&overdue=true" } { "همهٔ " (num(overdue_total as i64)) " مصوبهٔ معوق" } }
        }
        h2 { "راکد (" (num(stalled_total as i64)) ")" }
        (table(&stalled, &names, today))
        @if stalled_total > stalled.len() {
            p { a href={ "/resolutions?council=" (council.code) "&stalled=true" } { "همهٔ " (num(stalled_total as i64)) " مصوبهٔ راکد" } }
        }
        @if reads_records {
        h2 { "جلسه‌ها" }
        @if meetings.is_empty() { p.hint { "هنوز جلسه‌ای ثبت نشده است." } }
        ul {
            @for m in &meetings {
                li { a href={ "/meetings/" (m.id) } { "جلسهٔ " (num(m.number)) } " — " (f::jalali(Some(&m.held_on))) " — " (m.venue) }
            }
        }
        } @else {
            p.hint { "دستگاه شما عضو این شورا نیست: فقط مصوباتی را می‌بینید که مسئول یا همکار آن‌هاست." }
        }
        @if can_run {
            form.inline method="post" action={ "/councils/" (council.code) "/import" } enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(user.csrf());
                label { "ورود مصوبات از اکسل یا CSV (با ستون‌های خروجی اکسل)" input type="file" name="file" accept=".xlsx,.csv" required; }
                button.primary type="submit" { "ورود" }
            }
            div.dash {
                form.stack method="post" action={ "/councils/" (council.code) "/meetings" } {
                    h3 { "ثبت جلسهٔ تازه" }
                    input type="hidden" name="csrf" value=(user.csrf());
                    label { "تاریخ جلسه" input type="text" name="held_on" required placeholder="۱۴۰۴/۰۸/۲۹" value=(JalaliDate::from_gregorian(today).format_numeric()); }
                    label { "محل" input type="text" name="venue"; }
                    label { "دستور جلسه (هر بند در یک سطر)" textarea name="agenda" rows="3" {} }
                    p.hint { "مصوبه‌های معوق، راکد و در انتظار تأیید خودکار به دستور جلسه افزوده می‌شوند." }
                    button.primary type="submit" { "ثبت جلسه" }
                }
                (resolution_form(state, user, council, None).await?)
            }
        }
    };
    Ok(layout::page(
        &council.name_fa,
        user,
        Section::Councils,
        body,
    ))
}

/// The form the secretariat records a resolution with (on the council and meeting pages).
pub(crate) async fn resolution_form(
    state: &AppState,
    user: &CurrentUser,
    council: &Council,
    meeting: Option<&hamafza_store::MeetingDetail>,
) -> Result<Markup, AppError> {
    let meeting_id = meeting.map(|m| m.meeting.id.to_string());
    let agencies = state
        .store
        .list_agencies(&scope(&user.actor, Action::ViewAgencies))
        .await?;
    // The places a council's resolutions are usually about: its area and what lies in it.
    let scope = scope(&user.actor, Action::ViewPlace);
    let mut places = vec![state.store.place_by_id(council.place_id).await?];
    let under = |parent: PlaceId| hamafza_store::PlaceFilter {
        parent_id: Some(parent),
        limit: 500,
        ..Default::default()
    };
    // Two levels down: a district's sub-districts and their neighbourhoods.
    for child in state
        .store
        .list_places(&scope, &under(council.place_id))
        .await?
        .0
    {
        let grandchildren = state.store.list_places(&scope, &under(child.id)).await?.0;
        places.push(child);
        places.extend(grandchildren);
    }
    Ok(html! {
        form.stack method="post" action="/resolutions/new" {
            h3 { "ثبت مصوبهٔ تازه" }
            input type="hidden" name="csrf" value=(user.csrf());
            input type="hidden" name="council" value=(council.code);
            @if let Some(m) = meeting_id { input type="hidden" name="meeting_id" value=(m); }
            @if let Some(m) = meeting {
                label { "بند دستور جلسه" select name="agenda_item" {
                    option value="" { "—" }
                    @for item in &m.agenda { option value=(item.position) { (num(item.position)) ". " (item.title) } }
                } }
            }
            label { "متن مصوبه" textarea name="body" rows="3" required {} }
            label { "دستگاه مسئول" select name="responsible_agency" required {
                @for a in &agencies { option value=(a.code) { (a.name_fa) } }
            } }
            label { "دستگاه‌های همکار" select name="collaborators" multiple size="4" {
                @for a in &agencies { option value=(a.code) { (a.name_fa) } }
            } }
            label { "مکان‌ها" select name="places" multiple size="4" {
                @for p in &places { option value=(p.code) { (p.name_fa) } }
            } }
            label { "مهلت" input type="text" name="deadline" placeholder="۱۴۰۴/۱۰/۳۰"; }
            label { "موضوع" input type="text" name="topic"; }
            label { "نتیجهٔ مورد انتظار" input type="text" name="expected_result"; }
            label { "اولویت" select name="priority" {
                option value="1" { "بالا" } option value="2" selected { "میانه" } option value="3" { "پایین" }
            } }
            label.check { input type="checkbox" name="in_focus" value="true"; "در کانون توجه (حداکثر " (num(council.focus_limit)) " مصوبه)" }
            button.primary type="submit" { "ثبت پیش‌نویس" }
        }
    })
}

/// A refused form: the council page again, with the reason, as a 400.
pub(crate) async fn council_refused(
    state: &AppState,
    user: &CurrentUser,
    key: &str,
    r: AppError,
) -> Response {
    crate::pages::refused_form(r, |m| async move {
        render_council(state, user, key, Some(&m)).await
    })
    .await
}

pub async fn resolution_submit(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm<FormPairs>,
) -> Response {
    let text = |k: &str| {
        form.get(k)
            .map(str::to_string)
            .filter(|s| !s.trim().is_empty())
    };
    let council = form.get("council").unwrap_or_default().to_string();
    let input = f::ResolutionIn {
        council: council.clone(),
        body: form.get("body").unwrap_or_default().to_string(),
        responsible_agency: form
            .get("responsible_agency")
            .unwrap_or_default()
            .to_string(),
        collaborators: form
            .all("collaborators")
            .into_iter()
            .map(|agency| f::CollaboratorIn {
                agency,
                action: None,
                deadline: None,
            })
            .collect(),
        places: form.all("places"),
        deadline: text("deadline"),
        priority: form.get("priority").and_then(|p| p.parse().ok()),
        in_focus: Some(form.get("in_focus") == Some("true")),
        topic: text("topic"),
        expected_result: text("expected_result"),
        meeting_id: text("meeting_id"),
        agenda_item: form.get("agenda_item").and_then(|p| p.parse().ok()),
        decided_on: None,
    };
    match f::create_resolution(&state, &user, &input).await {
        Ok(r) => Redirect::to(&format!("/resolutions/{}", r.id)).into_response(),
        Err(e) => council_refused(&state, &user, &council, e).await,
    }
}

pub async fn report_pdf(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(key): Path<String>,
    crate::extract::PageQuery(q): crate::extract::PageQuery<
        crate::resolutions::documents::PeriodQuery,
    >,
) -> Response {
    let subject = crate::resolutions::documents::ReportOf::Council(&key);
    match crate::resolutions::documents::report_pdf(&state, &user, subject, q.period.as_deref())
        .await
    {
        Ok(r) => r,
        Err(r) => council_refused(&state, &user, &key, r).await,
    }
}

/// The import form: an XLSX or CSV file of resolutions, all or nothing.
pub async fn import_submit(
    State(state): State<AppState>,
    Path(key): Path<String>,
    CsrfMultipart {
        user, mut files, ..
    }: CsrfMultipart,
) -> Response {
    let Some(file) = files.pop() else {
        return council_refused(
            &state,
            &user,
            &key,
            AppError::invalid("file", "پرونده‌ای انتخاب نشده است"),
        )
        .await;
    };
    match crate::resolutions::documents::import(&state, &user, &key, file.content).await {
        Ok(_) => Redirect::to(&format!("/councils/{key}")).into_response(),
        Err(e) => council_refused(&state, &user, &key, e).await,
    }
}
