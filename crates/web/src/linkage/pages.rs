//! The linkage pages: `/people/matches` (the queue and the run button), a pair side by
//! side with the decision form, `/people/matches/model` (the learnt weights), and the
//! pieces the people pages show (likely matches at registration, a person's links).

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_core::access::{Action, Target, decide};
use hamafza_core::ids::{LinkId, MatchPairId};
use hamafza_core::people::{Purpose, PurposeKind};
use hamafza_store::linkage::{LikelyMatch, LinkedGroup};
use hamafza_store::people::PersonReader;
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::{CsrfForm, FormPairs, PageQuery, PathId};
use crate::layout::{self, Section};

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

fn flash(saved: Option<&str>) -> Markup {
    let text = match saved {
        Some("run") => "بررسی همهٔ سوابق انجام شد؛ نتیجه در بالای فهرست آمده است.",
        Some("same") => "ثبت شد: این دو سابقه یک نفرند و به هم پیوند خوردند.",
        Some("different") => "ثبت شد: این دو سابقه دو نفرند؛ این جفت دیگر پیشنهاد نمی‌شود.",
        Some("unsure") => "ثبت شد: برای نگاه دوباره در فهرست می‌ماند.",
        Some("unlinked") => "پیوند برداشته شد؛ هر سابقه همان است که پیش از پیوند بود.",
        Some("linked") => "پیوند ثبت شد.",
        _ => return html! {},
    };
    html! { p.flash.ok role="status" { (text) } }
}

/// The queue: pairs to decide, most likely first, and the run button.
pub async fn queue_page(
    State(state): State<AppState>,
    user: CurrentUser,
    PageQuery(q): PageQuery<SavedQuery>,
) -> Result<Response, AppError> {
    let rows = state
        .store
        .match_queue(&user.actor, super::today(&state))
        .await?;
    let may_run = decide(&user.actor, Action::RunLinkage, Target::Collection).is_allowed();
    let last = state.store.last_linkage_run().await?;
    let matcher = crate::biometrics::pages::matcher_panel(&state, &user).await?;
    let body = html! {
        h1 { "سوابق تکراری: بررسی ناظر" }
        (flash(q.saved.as_deref()))
        p.hint { "جفت‌سوابقی که احتمالاً یک نفرند، از همهٔ دستگاه‌ها. نام‌ها فقط در صفحهٔ هر جفت دیده می‌شوند و دیدنشان ثبت می‌شود. «دو نفرند» به یاد می‌ماند و این جفت دیگر نمی‌آید." }
        @if let Some(run) = &last {
            p { "آخرین بررسی (" (layout::instant(&run.started_at)) "): " (layout::num(run.records)) " سابقه، "
                (layout::num(run.queued)) " جفت تازه برای بررسی، "
                (layout::num(run.linked)) " پیوند خودکار"
                @if run.capped_blocks > 0 { "، " (layout::num(run.capped_blocks)) " گروه بسیار بزرگ جست‌وجو نشد" }
                "." }
        }
        @if may_run {
            form.inline method="post" action="/people/matches/run" {
                input type="hidden" name="csrf" value=(user.csrf());
                button.primary type="submit" { "بررسی همهٔ سوابق" }
                a href="/people/matches/model" { "وزن‌های آموخته" }
            }
        }
        @if rows.is_empty() { p.hint { "جفتی در انتظار بررسی نیست." } } @else {
            div.table-wrap { table.cards {
                thead { tr { th { "احتمال" } th { "یافته با" } th { "سابقهٔ نخست" } th { "سابقهٔ دوم" } th { "وضعیت" } } }
                tbody { @for r in &rows {
                    tr {
                        td data-label="احتمال" { a href={ "/people/matches/" (r.id) } { (super::percent(r.probability)) } }
                        td data-label="یافته با" { (super::found_by_fa(&r.source)) }
                        td data-label="سابقهٔ نخست" { (r.a.agency) @if let Some(p) = &r.a.place { "، " (p) } }
                        td data-label="سابقهٔ دوم" { (r.b.agency) @if let Some(p) = &r.b.place { "، " (p) } }
                        td data-label="وضعیت" { (super::decision_fa(&r.state)) }
                    }
                } }
            } }
        }
        (matcher)
    };
    Ok(layout::page("سوابق تکراری", &user, Section::People, body).into_response())
}

pub async fn run_submit(
    State(state): State<AppState>,
    CsrfForm { user, .. }: CsrfForm<FormPairs>,
) -> Result<Response, AppError> {
    state.store.run_linkage(&user.actor).await?;
    Ok(Redirect::to("/people/matches?saved=run").into_response())
}

/// A pair side by side, with the decision form.
pub async fn pair_page(
    State(state): State<AppState>,
    user: CurrentUser,
    PathId(id): PathId<MatchPairId>,
    PageQuery(q): PageQuery<SavedQuery>,
) -> Result<Response, AppError> {
    let purpose = Purpose {
        kind: PurposeKind::Supervision,
        text: None,
    };
    let reader = PersonReader {
        actor: &user.actor,
        purpose: &purpose,
        today: super::today(&state),
    };
    let pair = state.store.match_pair(&reader, id).await?;
    let open = pair.state == "open" || pair.state == "unsure";
    let body = html! {
        h1 { "آیا این دو سابقه یک نفرند؟" }
        (flash(q.saved.as_deref()))
        @if pair.source == "names" {
            p { "احتمال: " strong { (super::percent(pair.probability_now.unwrap_or(pair.probability))) } " — " (super::decision_fa(&pair.state)) }
        } @else {
            p { "یافته با " (super::found_by_fa(&pair.source)) ": امتیاز سامانهٔ تطبیق " strong { (super::percent(pair.probability)) }
                @if let Some(now) = pair.probability_now { " · احتمال از روی نام‌ها " (super::percent(now)) }
                " — " (super::decision_fa(&pair.state)) }
            p.hint { "الگوهای زیست‌سنجی دو سابقه به هم شبیه‌اند؛ تصویری نگه داشته نمی‌شود که نشان داده شود. ویژگی‌های زیر را کنار هم ببینید و تصمیم بگیرید؛ زیست‌سنجی هرگز بی‌تصمیم شما پیوند نمی‌زند." }
        }
        p.hint { "دیدن این دو سابقه با هدف «نظارت» ثبت شد." @if pair.swapped { " نام و نام خانوادگی در یکی جابه‌جا نوشته شده است." } }
        div.table-wrap { table.compare {
            thead { tr { th { "" } th { "سابقهٔ نخست" } th { "سابقهٔ دوم" } th { "هم‌خوانی" } } }
            tbody {
                tr { th { "دستگاه" } td { (pair.a.agency) } td { (pair.b.agency) } td {} }
                tr { th { "محل" } td { (pair.a.place.as_deref().unwrap_or("—")) } td { (pair.b.place.as_deref().unwrap_or("—")) } td {} }
                @for f in &pair.fields {
                    tr {
                        th { (f.field_fa) }
                        td { (if f.a.is_empty() { "—" } else { &f.a }) }
                        td { (if f.b.is_empty() { "—" } else { &f.b }) }
                        td class=(if f.weight > 0.0 { "agree" } else if f.weight < 0.0 { "differ" } else { "" }) { (f.level_fa) }
                    }
                }
            }
        } }
        p { a href={ "/people/" (pair.a.person_id) } { "سابقهٔ نخست" } " · " a href={ "/people/" (pair.b.person_id) } { "سابقهٔ دوم" } " · " a href="/people/matches" { "بازگشت به فهرست" } }
        @if open {
            form.stack method="post" action={ "/people/matches/" (pair.id) "/decide" } {
                input type="hidden" name="csrf" value=(user.csrf());
                fieldset { legend { "تصمیم شما" }
                    label.check { input type="radio" name="decision" value="same" required; "یک نفرند — پیوند بزن" }
                    label.check { input type="radio" name="decision" value="different"; "دو نفرند" }
                    label.check { input type="radio" name="decision" value="unsure"; "مطمئن نیستم" }
                }
                label { "دلیل (ثبت می‌شود)" input type="text" name="reason" required maxlength="500"; }
                button.primary type="submit" { "ثبت تصمیم" }
            }
        } @else if let Some(r) = &pair.reason { p { "دلیل: " (r) } }
    };
    Ok(layout::page("بررسی جفت سابقه", &user, Section::People, body).into_response())
}

pub async fn decide_submit(
    State(state): State<AppState>,
    PathId(id): PathId<MatchPairId>,
    CsrfForm { user, form }: CsrfForm<FormPairs>,
) -> Result<Response, AppError> {
    let decision = super::decision_of(form.get("decision"))?;
    state
        .store
        .decide_match(
            &user.actor,
            id,
            decision,
            form.get("reason").unwrap_or(""),
            super::today(&state),
        )
        .await?;
    Ok(Redirect::to(&format!("/people/matches/{id}?saved={}", decision.code())).into_response())
}

pub async fn unlink_submit(
    State(state): State<AppState>,
    PathId(id): PathId<LinkId>,
    CsrfForm { user, form }: CsrfForm<FormPairs>,
) -> Result<Response, AppError> {
    state
        .store
        .unlink(
            &user.actor,
            id,
            form.get("reason").unwrap_or(""),
            super::today(&state),
        )
        .await?;
    let back = form
        .get("back")
        .filter(|b| b.starts_with("/people/"))
        .unwrap_or("/people/matches");
    Ok(Redirect::to(&format!("{back}?saved=unlinked")).into_response())
}

/// The learnt weights: what the model believes, for those who answer for it.
pub async fn model_page(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let (prior, rows, learnt) = state.store.linkage_model(&user.actor).await?;
    let body = html! {
        h1 { "وزن‌های پیوند سوابق" }
        p.hint { @if learnt { "این وزن‌ها از خود سوابق آموخته شده‌اند (بیشینه‌سازی امید، بی‌پاسخ از پیش)." } @else { "هنوز سوابق کافی برای آموختن نیست (کمتر از ۱۰۰۰ سابقهٔ نام‌دار، یا بررسی همهٔ سوابق اجرا نشده)؛ وزن‌های آغازین به کار می‌روند." } }
        p { "احتمال آنکه دو سابقهٔ تصادفی یک نفر باشند: " (format!("{prior:.2e}")) }
        p.hint { "m: سهم جفت‌های یک نفر در این سطح؛ u: سهم جفت‌های تصادفی؛ وزن: log₂(m/u) — مثبت یعنی نشانهٔ یک نفر بودن." }
        div.table-wrap { table {
            thead { tr { th { "ویژگی" } th { "سطح" } th { "m" } th { "u" } th { "وزن" } } }
            tbody { @for r in &rows {
                tr { td { (r.field_fa) } td { (r.level_fa) } td { (format!("{:.4}", r.m)) } td { (format!("{:.6}", r.u)) } td { (format!("{:+.1}", r.weight)) } }
            } }
        } }
    };
    Ok(layout::page("وزن‌های پیوند", &user, Section::People, body).into_response())
}

/// Likely matches of a registration, before it is saved: the choice to link or to
/// register as new.
pub fn matches_panel(matches: &[LikelyMatch]) -> Markup {
    html! {
        section.matches aria-labelledby="matches-title" {
            h2 #matches-title { "شاید این فرد پیش‌تر ثبت شده باشد" }
            p.hint { "پیش از ثبت، سوابق همانند از همهٔ دستگاه‌ها. اگر همان فرد است، پیوند بزنید؛ وگرنه «فرد تازه» را برگزینید." }
            @for m in matches {
                div.match-card {
                    p { strong { (super::percent(m.probability)) } " — " (m.name.as_deref().unwrap_or("نام دیده نمی‌شود (سابقهٔ دستگاه دیگر)")) " · " (m.agency) }
                    ul.why { @for f in &m.fields { @if f.level != "missing" {
                        li class=(if f.weight > 0.0 { "agree" } else { "differ" }) { (f.field_fa) ": " (f.level_fa) }
                    } } }
                    @if m.may_link {
                        label.check { input type="radio" name="link_to" value={ (m.person_id) "|" (m.probability) }; "همین فرد است: پیوند بزن" }
                    }
                }
            }
            label.check { input type="radio" name="link_to" value="new" required; "فرد تازه است" }
            label { "دلیل پیوند (اگر پیوند می‌زنید)" input type="text" name="link_reason" maxlength="500"; }
            input type="hidden" name="matches_seen" value="1";
        }
    }
}

/// A person's other records through links, with the undo for a supervisor.
pub fn linked_section(group: &LinkedGroup, person: &str, csrf: &str, may_unlink: bool) -> Markup {
    if group.links.is_empty() {
        return html! {};
    }
    html! {
        section aria-labelledby="links-title" {
            h2 #links-title { "سوابق همین فرد در دستگاه‌های دیگر" }
            ul { @for m in group.members.iter().filter(|m| m.person_id.to_string() != person) {
                li { a href={ "/people/" (m.person_id) } { (m.agency) } @if let Some(p) = &m.place { "، " (p) } }
            } }
            @for l in &group.links {
                div.link-row {
                    p.hint { (super::source_fa(&l.source)) " · " (crate::layout::instant(&l.linked_at)) @if let Some(by) = &l.linked_by { " · " (by) } " · دلیل: " (l.reason) }
                    @if may_unlink {
                        form.inline method="post" action={ "/links/" (l.id) "/unlink" } {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="back" value={ "/people/" (person) };
                            label { "دلیل برداشتن" input type="text" name="reason" required maxlength="500"; }
                            button.danger type="submit" { "برداشتن پیوند" }
                        }
                    }
                }
            }
        }
    }
}
