//! The audit log page: who did what, when; filterable; read-only.

use axum::extract::State;
use hamafza_core::access::{Action, Decision, Target, decide, scope};
use hamafza_store::AuditFilter;
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::PageQuery;
use crate::layout::{self, Section, bdi, instant, num};

const PAGE_SIZE: i64 = 50;

/// Persian labels for the actions recorded so far.
fn action_label(action: &str) -> &str {
    match action {
        "place.create" => "ثبت مکان",
        "agency.create" => "ثبت دستگاه",
        "user.create" => "ساخت کاربر",
        "user.activate" => "فعال‌سازی کاربر",
        "user.deactivate" => "غیرفعال‌سازی کاربر",
        "session.login" => "ورود",
        "session.logout" => "خروج",
        "session.login_failed" => "ورود ناموفق",
        "token.create" => "ساخت توکن API",
        "token.revoke" => "ابطال توکن API",
        other => other,
    }
}

fn record_label(record_type: &str) -> &str {
    match record_type {
        "place" => "مکان",
        "agency" => "دستگاه",
        "user" => "کاربر",
        "api_token" => "توکن",
        other => other,
    }
}

/// The first block of a UUID: enough to tell entries apart on screen.
fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

#[derive(Deserialize)]
pub struct AuditQuery {
    action: Option<String>,
    record_type: Option<String>,
    page: Option<i64>,
}

pub async fn audit_page(
    State(state): State<AppState>,
    user: CurrentUser,
    PageQuery(q): PageQuery<AuditQuery>,
) -> Result<Markup, AppError> {
    if let Decision::Deny(r) = decide(&user.actor, Action::ViewAudit, Target::Collection) {
        return Err(r.into());
    }
    let page = q.page.unwrap_or(1).clamp(1, 1_000_000);
    let filter = AuditFilter {
        action: q.action.clone().filter(|s| !s.is_empty()),
        record_type: q.record_type.clone().filter(|s| !s.is_empty()),
        actor_user_id: None,
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
    };
    let (entries, total) = state
        .store
        .list_audit(&scope(&user.actor, Action::ViewAudit), &filter)
        .await?;
    // Names for the users the viewer may see; other ids are shown shortened.
    let users = state
        .store
        .list_users(&scope(&user.actor, Action::ViewUsers))
        .await?;
    let who = |id: &str| {
        users
            .iter()
            .find(|u| u.id.to_string() == id)
            .map(|u| u.display_name.clone())
    };
    let action = q.action.unwrap_or_default();
    let record_type = q.record_type.unwrap_or_default();
    let link = |p: i64| {
        format!(
            "/audit?action={}&record_type={}&page={p}",
            urlencode(&action),
            urlencode(&record_type)
        )
    };
    let body = html! {
        h1 { "دفتر رویدادها" }
        p.hint { "هر تغییر در سامانه این‌جا ثبت می‌شود و هر ردیف به ردیف پیشین زنجیر شده است؛ درستی زنجیره را با فرمان " (bdi("hamafza audit verify")) " بسنجید." }
        form.inline method="get" action="/audit" {
            label { "کار" select name="action" {
                option value="" { "همه" }
                @for a in ["place.", "agency.", "user.", "session.", "token."] {
                    option value=(a) selected[action == a] { (a.trim_end_matches('.')) }
                }
            } }
            label { "نوع رکورد" select name="record_type" {
                option value="" { "همه" }
                @for t in ["place", "agency", "user", "api_token"] { option value=(t) selected[record_type == t] { (record_label(t)) } }
            } }
            button.primary type="submit" { "پالایش" }
        }
        p { (num(total)) " رویداد" }
        div.table-wrap {
            table {
                thead { tr { th { "#" } th { "زمان" } th { "کار" } th { "رکورد" } th { "کاربر" } th { "خلاصه" } } }
                tbody {
                    @for e in &entries {
                        tr {
                            td { (num(e.seq)) }
                            td { (instant(&e.at)) }
                            td { (action_label(&e.action)) }
                            td { (record_label(&e.record_type)) " " span title=(e.record_id) { (bdi(short(&e.record_id))) } }
                            td {
                                @match e.actor_user_id.as_deref() {
                                    None => "سامانه",
                                    Some(id) => @match who(id) { Some(name) => (name), None => span title=(id) { (bdi(short(id))) } },
                                }
                            }
                            td.summary { code dir="ltr" { (e.summary) } }
                        }
                    }
                }
            }
        }
        nav.pager aria-label="صفحه‌ها" {
            @if page > 1 { a href=(link(page - 1)) { "صفحهٔ پیش" } }
            @if page * PAGE_SIZE < total { a href=(link(page + 1)) { "صفحهٔ بعد" } }
        }
    };
    Ok(layout::page("دفتر رویدادها", &user, Section::Audit, body))
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}
