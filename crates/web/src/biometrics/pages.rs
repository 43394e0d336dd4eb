//! What the pages show of biometrics: a person's enrolments (never a template) with the
//! delete form for an agency that holds the record, and the matcher's state for the
//! registry's supervisors beside the review queue. Templates come from capture devices
//! through the API, never from a browser.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_core::access::{Action, Target, decide};
use hamafza_core::ids::{BiometricRef, PersonId};
use hamafza_core::jalali::JalaliDate;
use hamafza_store::people::PersonReader;
use maud::{Markup, html};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::{CsrfForm, FormPairs, PathId};
use crate::layout;

fn state_fa(state: &str) -> &'static str {
    match state {
        "pending" => "در راه سامانهٔ تطبیق",
        "enrolled" => "ثبت شده",
        "failed" => "ثبت نشد",
        "deleted" => "حذف شده",
        _ => "—",
    }
}

/// The person page's section: their templates (modality, who enrolled, when, state),
/// each with a delete form where the caller may delete (`csrf`: the page's form token).
pub async fn person_section(
    state: &AppState,
    reader: &PersonReader<'_>,
    person: PersonId,
    csrf: &str,
    may_delete: bool,
) -> Result<Markup, AppError> {
    let enrolments = state.store.biometric_enrolments(reader, person).await?;
    if enrolments.is_empty() {
        return Ok(html! {});
    }
    Ok(html! {
        section aria-labelledby="biometrics-title" {
            h2 #biometrics-title { "زیست‌سنجی" }
            p.hint { "فقط الگوی دستگاه ثبت (نه تصویر) نگه داشته می‌شود: رمزگذاری‌شده، جدا از هویت، زیر شناسه‌ای بی‌معنا. با پس گرفتن رضایت یا سپری شدن زمان نگه‌داری، خودبه‌خود حذف می‌شود." }
            ul { @for e in &enrolments {
                li {
                    (e.modality.name_fa()) " — " (state_fa(&e.state)) " — " (e.agency) " — " (layout::instant(&e.enrolled_at))
                    @if let Some(f) = &e.failure { " (" (f) ")" }
                    @if may_delete && e.state != "deleted" {
                        form.inline method="post" action={ "/biometrics/" (e.reference_id) "/delete" } {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="person" value=(person);
                            label { "دلیل حذف" input type="text" name="reason" required maxlength="500"; }
                            button.danger type="submit" { "حذف الگو" }
                        }
                    }
                }
            } }
        }
    })
}

pub async fn delete_submit(
    State(state): State<AppState>,
    PathId(reference): PathId<BiometricRef>,
    CsrfForm { user, form }: CsrfForm<FormPairs>,
) -> Result<Response, AppError> {
    let today = JalaliDate::from_gregorian(state.clock.today());
    state
        .store
        .delete_biometric(
            &user.actor,
            reference,
            form.get("reason").unwrap_or(""),
            today,
        )
        .await?;
    if let Some(b) = &state.biometrics {
        b.wake();
    }
    let back = match form.get("person").and_then(|p| p.parse::<PersonId>().ok()) {
        Some(p) => format!("/people/{p}?saved=biometric_deleted"),
        None => "/people".into(),
    };
    Ok(Redirect::to(&back).into_response())
}

/// The matcher's state beside the review queue, for whoever may see it.
pub async fn matcher_panel(state: &AppState, user: &CurrentUser) -> Result<Markup, AppError> {
    let Some(b) = &state.biometrics else {
        return Ok(html! {});
    };
    if !decide(&user.actor, Action::ViewAbis, Target::Collection).is_allowed() {
        return Ok(html! {});
    }
    let status = state.store.abis_status(&user.actor).await?;
    let (matcher, url) = b.describe();
    let count = |state_code: &str| -> i64 {
        status
            .counts
            .iter()
            .filter(|c| c.state == state_code)
            .map(|c| c.count)
            .sum()
    };
    Ok(html! {
        section aria-labelledby="abis-title" {
            h2 #abis-title { "تطبیق زیست‌سنجی" }
            p { "سامانهٔ تطبیق: " (matcher) @if let Some(u) = &url { " — " bdi { (u) } } }
            p { (layout::num(status.templates)) " الگو نگه داشته می‌شود؛ درخواست‌ها: "
                (layout::num(count("queued"))) " در صف، " (layout::num(count("sent"))) " در انتظار پاسخ، "
                (layout::num(count("done"))) " انجام‌شده، " (layout::num(count("failed"))) " ناموفق." }
            @if !status.failures.is_empty() {
                ul.hint { @for f in &status.failures {
                    li { (hamafza_core::biometrics::abis::Operation::from_code(&f.operation).map_or("—", |o| o.name_fa())) " — "
                        (f.done_at.as_deref().map(layout::instant).unwrap_or_default()) " — " (f.error.as_deref().unwrap_or("")) }
                } }
            }
        }
    })
}
