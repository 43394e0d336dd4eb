//! The home page: what needs the signed-in person today — resolutions waiting on their
//! agency, the overdue and stalled ones in their view (the most overdue first),
//! referrals waiting for an answer, pairs waiting for a supervisor — each a link to the
//! filtered list; the quickest way to the ranking of their neighbourhoods; and what
//! their jurisdiction holds.

use std::sync::Arc;

use axum::extract::State;
use hamafza_core::access::{Action, Role, Target, decide, scope, works_with_people};
use hamafza_core::jalali::JalaliDate;
use hamafza_core::place::PlaceLevel;
use hamafza_store::{ResolutionFilter, ResolutionRow};
use maud::{Markup, html};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::layout::{self, Section, num};

/// What later issues add (the rest exists and is in the menu).
const COMING: [(&str, &str); 2] = [
    (
        "برنامهٔ محله‌محور",
        "محله‌های هدف، محورهای هفت‌گانه، دستگاه راهبر و پروژه‌ها",
    ),
    (
        "عملیات میدانی",
        "گزارش‌های میدانی با مسئول، شواهد، بازدیدهای مشترک و پیگیری",
    ),
];

/// The most overdue resolutions listed on the page.
const WORST: usize = 5;

/// What is in the caller's jurisdiction: places by level, agencies, users. Kept per
/// scope until places or accounts move (`cache`; the sum of two versions that only
/// grow moves whenever either does).
async fn figures(state: &AppState, user: &CurrentUser) -> Result<Arc<Figures>, AppError> {
    let places = scope(&user.actor, Action::ViewPlace);
    let users = scope(&user.actor, Action::ViewUsers);
    let version = user.versions.places + user.versions.accounts;
    let key = format!("home|{places:?}|{users:?}");
    state
        .caches
        .home
        .get_or_make(version, key, || count(state, user, &places, &users))
        .await
}

async fn count(
    state: &AppState,
    user: &CurrentUser,
    places: &hamafza_core::access::Scope,
    users: &hamafza_core::access::Scope,
) -> Result<Arc<Figures>, AppError> {
    let store = &state.store;
    let by_level = store.count_places_by_level(places).await?;
    let agencies = store
        .list_agencies(&scope(&user.actor, Action::ViewAgencies))
        .await?
        .len() as i64;
    let users = store.count_users(users).await?;
    Ok(Arc::new((by_level, agencies, users)))
}

/// Places by level, agencies and users in the caller's view.
pub type Figures = (Vec<(PlaceLevel, i64)>, i64, i64);

/// One thing waiting, as a card: how many, what, where to go.
struct Waiting {
    n: usize,
    what: String,
    href: &'static str,
    urgent: bool,
}

/// Days a resolution is past its deadline (0 when it has none or is not late).
fn days_late(row: &ResolutionRow, today: time::Date) -> i64 {
    row.facts()
        .deadline
        .map_or(0, |d| (today - d).whole_days().max(0))
}

pub async fn home(State(state): State<AppState>, user: CurrentUser) -> Result<Markup, AppError> {
    let today = state.clock.today();
    let jalali_today = JalaliDate::from_gregorian(today);
    let actor = &user.actor;
    let mut cards: Vec<Waiting> = Vec::new();

    // Resolutions: what waits on my agency, and what is late in my view.
    let mine = crate::resolutions::work::waiting(&state, &user, today).await?;
    let late_mine = mine
        .to_report
        .iter()
        .filter(|r| r.facts().is_overdue(today))
        .count();
    if !mine.to_verify.is_empty() {
        cards.push(Waiting {
            n: mine.to_verify.len(),
            what: "گزارش انجام در انتظار تأیید شما".into(),
            href: "/inbox",
            urgent: true,
        });
    }
    if !mine.to_assign.is_empty() {
        cards.push(Waiting {
            n: mine.to_assign.len(),
            what: "پیش‌نویس مصوبه آمادهٔ ابلاغ".into(),
            href: "/inbox",
            urgent: false,
        });
    }
    if !mine.to_report.is_empty() {
        cards.push(Waiting {
            n: mine.to_report.len(),
            what: if late_mine > 0 {
                format!(
                    "مصوبه که دستگاه شما باید گزارش دهد ({} معوق)",
                    num(late_mine as i64)
                )
            } else {
                "مصوبه که دستگاه شما باید گزارش دهد".into()
            },
            href: "/inbox",
            urgent: late_mine > 0,
        });
    }
    let mut late: Vec<ResolutionRow> = Vec::new();
    if decide(actor, Action::ViewResolutions, Target::Collection).is_allowed() {
        let in_view = crate::resolutions::resolution_scope(&user);
        late = state
            .store
            .list_resolutions(
                &in_view,
                &ResolutionFilter {
                    overdue_only: true,
                    ..ResolutionFilter::default()
                },
                today,
            )
            .await?;
        late.sort_by_key(|r| std::cmp::Reverse(days_late(r, today)));
        let stalled = state
            .store
            .list_resolutions(
                &in_view,
                &ResolutionFilter {
                    stalled_only: true,
                    ..ResolutionFilter::default()
                },
                today,
            )
            .await?
            .len();
        if !late.is_empty() {
            cards.push(Waiting {
                n: late.len(),
                what: "مصوبهٔ معوق (گذشته از مهلت) در حوزهٔ شما".into(),
                href: "/resolutions?overdue=true",
                urgent: true,
            });
        }
        if stalled > 0 {
            cards.push(Waiting {
                n: stalled,
                what: "مصوبهٔ راکد (بی‌گزارش) در حوزهٔ شما".into(),
                href: "/resolutions?stalled=true",
                urgent: false,
            });
        }
    }

    // The registry: referrals waiting for my agency's answer; pairs for a supervisor.
    if works_with_people(actor) {
        let referrals = state.store.referrals_of_agency(actor, jalali_today).await?;
        let waiting: Vec<_> = referrals
            .iter()
            .filter(|r| r.incoming && r.state == hamafza_core::people::ReferralState::Proposed)
            .collect();
        if !waiting.is_empty() {
            let overdue = waiting.iter().filter(|r| r.overdue).count();
            cards.push(Waiting {
                n: waiting.len(),
                what: if overdue > 0 {
                    format!(
                        "ارجاع در انتظار پاسخ دستگاه شما ({} دیرکرد)",
                        num(overdue as i64)
                    )
                } else {
                    "ارجاع در انتظار پاسخ دستگاه شما".into()
                },
                href: "/referrals",
                urgent: overdue > 0,
            });
        }
    }
    if actor.has(Role::RegistrySupervisor) {
        let pairs = state.store.match_queue(actor, jalali_today).await?;
        let open = pairs.iter().filter(|p| p.state == "open").count();
        if open > 0 {
            cards.push(Waiting {
                n: open,
                what: "جفت سابقهٔ احتمالاً تکراری در انتظار بررسی شما".into(),
                href: "/people/matches",
                urgent: false,
            });
        }
    }

    // The atlas: the ranking of every neighbourhood of the caller's place, one click.
    let atlas_place = if decide(actor, Action::ViewAtlas, Target::Collection).is_allowed() {
        crate::atlas::view::default_place(&state, &user).await?
    } else {
        None
    };
    let names = crate::resolutions::pages::agency_names(&state).await?;
    let figures = figures(&state, &user).await?;
    let (by_level, agencies, users) = (figures.0.as_slice(), figures.1, figures.2);

    let body = html! {
        h1 { "خوش آمدید، " (user.user.display_name) }
        section aria-labelledby="today-title" {
            h2 #today-title { "امروز، " (jalali_today.format_long()) }
            @if cards.is_empty() {
                p.hint { "کاری در انتظار شما نیست." }
            } @else {
                div.cards.today {
                    @for c in &cards {
                        a.card.urgent[c.urgent] href=(c.href) {
                            div.n { (num(c.n as i64)) }
                            div { (c.what) }
                        }
                    }
                }
            }
            @if !late.is_empty() {
                h3 { "بیشترین دیرکرد" }
                ol.worst {
                    @for row in late.iter().take(WORST) {
                        @let r = &row.resolution;
                        li {
                            a href={ "/resolutions/" (r.id) } { "مصوبهٔ " (r.number.to_persian()) }
                            " — " (row.council_name) " — " (names.get(&r.responsible_agency_id).map_or("", String::as_str))
                            " — " strong { (num(days_late(row, today))) " روز از مهلت گذشته" }
                        }
                    }
                }
                @if late.len() > WORST { p { a href="/resolutions?overdue=true" { "همهٔ " (num(late.len() as i64)) " مصوبهٔ معوق" } } }
            }
        }
        @if let Some(place) = &atlas_place {
            section aria-labelledby="atlas-title" {
                h2 #atlas-title { "اطلس" }
                ul.quick {
                    @if place.level.depth() + 1 < PlaceLevel::Neighbourhood.depth() {
                        li { a href={ "/atlas/priority?place=" (place.id) "&level=" (PlaceLevel::Neighbourhood.code()) } {
                            "رتبه‌بندی همهٔ محله‌های " (place.name_fa) " (بحرانی‌ترین‌ها نخست)" } }
                    }
                    li { a href={ "/atlas/priority?place=" (place.id) } { "رتبه‌بندی زیرمجموعه‌های " (place.name_fa) } }
                    li { a href={ "/atlas?place=" (place.id) } { "نقشهٔ شاخص‌های " (place.name_fa) } }
                    li { a href={ "/atlas/hotspots?place=" (place.id) } { "کانون‌های داغ رویدادها در " (place.name_fa) } }
                }
            }
        }
        section aria-labelledby="holds-title" {
            h2 #holds-title { "آنچه در حوزهٔ شما هست" }
            div.cards {
                @for (level, n) in by_level {
                    a.card href={ "/places" } {
                        div.n { (num(*n)) }
                        div { (level.name_fa()) }
                    }
                }
                div.card { div.n { (num(agencies)) } div { "دستگاه" } }
                @if users > 0 { div.card { div.n { (num(users)) } div { "کاربر" } } }
            }
            @if by_level.is_empty() {
                p.hint { "هنوز مکانی در حوزهٔ شما ثبت نشده است." }
            }
        }
        section aria-labelledby="coming-title" {
            h2 #coming-title { "در راه" }
            div.cards {
                @for (title, what) in COMING {
                    div.card.soon { strong { (title) } p { (what) } }
                }
            }
        }
    };
    Ok(layout::page("خانه", &user, Section::Home, body))
}
