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

use super::audit_words::{action_label, record_label, summary};

/// The families of actions the filter offers.
const FAMILIES: [(&str, &str); 16] = [
    ("session.", "ورود و خروج"),
    ("user.", "کاربران"),
    ("token.", "توکن‌ها"),
    ("agency.", "دستگاه‌ها"),
    ("place.", "مکان‌ها"),
    ("council.", "شوراها"),
    ("meeting.", "جلسه‌ها"),
    ("resolution.", "مصوبات"),
    ("indicator.", "شاخص‌ها"),
    ("events.", "رویدادها"),
    ("person.", "افراد"),
    ("case.", "پرونده‌ها"),
    ("referral.", "ارجاع‌ها"),
    ("linkage.", "پیوند سوابق"),
    ("biometric.", "زیست‌سنجی"),
    ("retention.", "نگه‌داری"),
];

/// Where a record of this kind is seen, if it has a page.
fn record_href(record_type: &str, id: &str) -> Option<String> {
    let base = match record_type {
        "place" => "/places/",
        "resolution" => "/resolutions/",
        "meeting" => "/meetings/",
        "person" => "/people/",
        "case" => "/cases/",
        "match_pair" => "/people/matches/",
        _ => return None,
    };
    uuid::Uuid::parse_str(id).ok()?;
    Some(format!("{base}{id}"))
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
    // The names of what was touched, where the viewer may know them: places,
    // agencies, users, councils and resolutions (never a person's name: that is a read).
    let mut names: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for u in &users {
        names.insert(u.id.to_string(), u.display_name.clone());
    }
    for a in state
        .store
        .list_agencies(&hamafza_core::access::Scope::reference_lists())
        .await?
    {
        names.insert(a.id.to_string(), a.name_fa);
    }
    let place_scope = scope(&user.actor, Action::ViewPlace);
    for e in entries.iter().filter(|e| e.record_type == "place") {
        if let Ok(id) = e.record_id.parse()
            && let Ok(p) = state.store.get_place(&place_scope, id).await
        {
            names.insert(e.record_id.clone(), p.name_fa);
        }
    }
    for c in state
        .store
        .list_councils(&scope(&user.actor, Action::ViewCouncils))
        .await?
    {
        names.insert(c.id.to_string(), c.name_fa);
    }
    let resolution_scope = scope(&user.actor, Action::ViewResolutions);
    for e in entries.iter().filter(|e| e.record_type == "resolution") {
        if let Ok(id) = e.record_id.parse()
            && let Ok(rows) = state
                .store
                .list_resolutions(
                    &resolution_scope,
                    &hamafza_store::ResolutionFilter {
                        ids: Some(vec![id]),
                        ..Default::default()
                    },
                    state.clock.today(),
                )
                .await
            && let Some(r) = rows.first()
        {
            names.insert(
                e.record_id.clone(),
                format!("{} ({})", r.resolution.number.to_persian(), r.council_name),
            );
        }
    }
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
                @for (a, label) in FAMILIES {
                    option value=(a) selected[action == a] { (label) }
                }
            } }
            label { "نوع رکورد" select name="record_type" {
                option value="" { "همه" }
                @for t in ["place", "agency", "user", "api_token", "council", "meeting", "resolution", "indicator", "person", "case", "referral", "person_link", "match_pair", "abis_job"] {
                    option value=(t) selected[record_type == t] { (record_label(t)) }
                } }
            }
            button.primary type="submit" { "پالایش" }
        }
        p { (num(total)) " رویداد" }
        div.table-wrap {
            table {
                thead { tr { th { "ردیف" } th { "زمان" } th { "کار" } th { "رکورد" } th { "کاربر" } th { "جزئیات" } } }
                tbody {
                    @for e in &entries {
                        tr {
                            td data-label="ردیف" { (num(e.seq)) }
                            td data-label="زمان" { (instant(&e.at)) }
                            td data-label="کار" { (action_label(&e.action)) }
                            td data-label="رکورد" {
                                (record_label(&e.record_type)) " "
                                @match (names.get(e.record_id.as_str()), record_href(&e.record_type, &e.record_id)) {
                                    (Some(n), Some(href)) => a href=(href) title=(e.record_id) { (n) },
                                    (Some(n), None) => span title=(e.record_id) { (n) },
                                    (None, Some(href)) => a href=(href) title=(e.record_id) { "(دیدن)" },
                                    (None, None) => span title=(e.record_id) { (bdi(short(&e.record_id))) },
                                }
                            }
                            td {
                                @match e.actor_user_id.as_deref() {
                                    None => "سامانه",
                                    Some(id) => @match who(id) { Some(name) => (name), None => span title=(id) { (bdi(short(id))) } },
                                }
                            }
                            td.summary data-label="جزئیات" { (summary(&e.summary, &names)) }
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
