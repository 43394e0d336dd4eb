//! A council's meeting pages: recording a meeting (its agenda filled automatically),
//! reading it, and its minutes and attendance — for the council's members only.

use super::pages::{agency_names, table};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::CsrfForm;
use crate::extract::FormPairs;
use crate::extract::PathId;
use crate::layout::{self, Section, num};
use crate::resolutions as f;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_core::access::{Action, scope};
use hamafza_core::ids::{AgencyId, MeetingId};
use hamafza_store::{Attendance, Presence, ResolutionRow, Who};
use maud::{Markup, html};

use super::council_pages::{council_refused, council_rows, resolution_form};

pub async fn meeting_submit(
    State(state): State<AppState>,
    Path(key): Path<String>,
    CsrfForm { user, form }: CsrfForm<FormPairs>,
) -> Response {
    let input = f::MeetingIn {
        held_on: form.get("held_on").unwrap_or_default().to_string(),
        venue: form.get("venue").unwrap_or_default().to_string(),
        agenda: form
            .get("agenda")
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect(),
    };
    match f::create_meeting(&state, &user, &key, &input).await {
        Ok(id) => Redirect::to(&format!("/meetings/{id}")).into_response(),
        Err(e) => council_refused(&state, &user, &key, e).await,
    }
}

pub async fn meeting_page(
    State(state): State<AppState>,
    user: CurrentUser,
    PathId(id): PathId<MeetingId>,
) -> Result<Markup, AppError> {
    render_meeting(&state, &user, id, None).await
}

async fn render_meeting(
    state: &AppState,
    user: &CurrentUser,
    id: MeetingId,
    error: Option<&str>,
) -> Result<Markup, AppError> {
    let council = state.store.meeting_council(id).await?;
    let access = f::council_where(state, user, &council, Action::ViewCouncilRecords).await?;
    let detail = state
        .store
        .meeting(&scope(&user.actor, Action::ViewCouncilRecords), id)
        .await?;
    let council = &access.council;
    let today = state.clock.today();
    let names = agency_names(state).await?;
    let name = |id: &AgencyId| names.get(id).cloned().unwrap_or_default();
    let members = state
        .store
        .council_members(&scope(&user.actor, Action::ViewCouncils), council.id)
        .await?;
    let can_run = access.may(user, Action::RunCouncil);
    let decided: Vec<ResolutionRow> = council_rows(state, user, council, today)
        .await?
        .into_iter()
        .filter(|r| r.resolution.meeting_id == Some(id))
        .collect();
    let presence_of = |agency: &AgencyId| detail.attendance.iter().find(|a| a.agency_id == *agency);
    let m = &detail.meeting;
    let body = html! {
        p { a href={ "/councils/" (council.code) } { (council.name_fa) } }
        h1 { "جلسهٔ " (num(m.number)) " — " (f::jalali(Some(&m.held_on))) }
        @if let Some(e) = error { p.flash.error role="alert" { (e) } }
        p { "محل: " (m.venue) }
        h2 { "دستور جلسه" }
        ol.agenda {
            @for item in &detail.agenda {
                li {
                    @if let Some(r) = &item.resolution_id { a href={ "/resolutions/" (r) } { (item.title) } } @else { (item.title) }
                    @if item.automatic { span.badge { "خودکار" } }
                }
            }
        }
        h2 { "مصوبات این جلسه" }
        (table(&decided, &names, today))
        h2 { "صورت‌جلسه و حضور" }
        @if can_run {
            form.stack method="post" action={ "/meetings/" (m.id) "/minutes" } {
                input type="hidden" name="csrf" value=(user.csrf());
                @for (agency, rep) in &members {
                    @let current = presence_of(agency);
                    fieldset {
                        legend { (name(agency)) }
                        @for p in Presence::ALL {
                            label.check {
                                input type="radio" name={ "presence:" (agency) } value=(p.code())
                                    checked[current.map(|c| c.presence) == Some(p)];
                                (p.name_fa())
                            }
                        }
                        label { "نماینده" input type="text" name={ "representative:" (agency) }
                            value=(current.and_then(|c| c.representative.clone()).or(rep.clone()).unwrap_or_default()); }
                    }
                }
                label { "صورت‌جلسه" textarea name="minutes" rows="6" { (m.minutes) } }
                button.primary type="submit" { "ذخیرهٔ صورت‌جلسه" }
            }
            (resolution_form(state, user, council, Some(&detail)).await?)
        } @else {
            ul { @for a in &detail.attendance { li { (name(&a.agency_id)) ": " (a.presence.name_fa()) @if let Some(r) = &a.representative { " (" (r) ")" } } } }
            p { (m.minutes) }
        }
    };
    Ok(layout::page(
        &format!("جلسهٔ {}", num(m.number)),
        user,
        Section::Councils,
        body,
    ))
}

pub async fn minutes_submit(
    State(state): State<AppState>,
    PathId(id): PathId<MeetingId>,
    CsrfForm { user, form }: CsrfForm<FormPairs>,
) -> Response {
    let result: Result<(), AppError> = async {
        let council = state.store.meeting_council(id).await?;
        f::council_to_run(&state, &user, &council).await?;
        let attendance: Vec<Attendance> = form
            .0
            .iter()
            .filter_map(|(k, v)| {
                let agency = k.strip_prefix("presence:")?;
                Some(Attendance {
                    agency_id: agency.parse().ok()?,
                    presence: Presence::from_code(v)?,
                    representative: form
                        .get(&format!("representative:{agency}"))
                        .map(str::trim)
                        .filter(|r| !r.is_empty())
                        .map(str::to_string),
                })
            })
            .collect();
        state
            .store
            .record_minutes(
                &Who::of(&user.actor),
                id,
                form.get("minutes").unwrap_or_default(),
                &attendance,
            )
            .await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to(&format!("/meetings/{id}")).into_response(),
        Err(r) => {
            crate::pages::refused_form(r, |m| async move {
                render_meeting(&state, &user, id, Some(&m)).await
            })
            .await
        }
    }
}
