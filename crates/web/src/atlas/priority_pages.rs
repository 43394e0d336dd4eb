//! The priority page: a saved index run over the children of a place — the method in
//! words, the ranking with deciles, classes and flags, a map of the classes, status
//! crossed with change, and why a chosen place stands where it does.

use axum::extract::State;
use hamafza_core::access::{Action, scope};
use hamafza_core::indicator::sees_restricted;
use hamafza_core::jalali::{JalaliDate, Period};
use hamafza_core::numbers::format_decimal;
use hamafza_core::priority::{Exclusion, Standardise};
use hamafza_geo::svg::{MapShape, render_map};
use maud::{Markup, html};
use serde::Deserialize;

use super::view::value_fa;
use crate::AppState;
use crate::atlas;
use crate::atlas::priority::{self, CLASS_FA, dynamics_fa};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::PageQuery;
use crate::layout::{self, Section, num};

#[derive(Deserialize)]
pub struct PriorityQuery {
    place: Option<String>,
    index: Option<String>,
    period: Option<String>,
    since: Option<String>,
    explain: Option<String>,
    /// Rank every place of this level under the place (e.g. all neighbourhoods of a
    /// city), not only its children.
    level: Option<String>,
}

fn percent(p: f64) -> String {
    format!("{}٪", format_decimal(p * 100.0, 0))
}

pub async fn priority_page(
    State(state): State<AppState>,
    user: CurrentUser,
    PageQuery(q): PageQuery<PriorityQuery>,
) -> Result<Markup, AppError> {
    let actor = &user.actor;
    let indices = state
        .store
        .priority_indices(&scope(&user.actor, Action::ViewAtlas))
        .await?;
    let index = match q.index.as_deref().filter(|s| !s.is_empty()) {
        Some(code) => indices
            .iter()
            .find(|i| i.code == code)
            .cloned()
            .ok_or(AppError::NotFound)?,
        None => match indices.first() {
            Some(i) => i.clone(),
            None => {
                let body = html! {
                    h1 { "اولویت‌بندی محله‌ها" }
                    p.hint { "هنوز شاخص اولویتی ذخیره نشده است." }
                    @if atlas::may_define_priority(actor) { p { a.button href="/atlas/define-priority" { "تعریف شاخص اولویت" } } }
                };
                return Ok(layout::page("اولویت‌بندی", &user, Section::Atlas, body));
            }
        },
    };
    let place = match q.place.as_deref().filter(|s| !s.is_empty()) {
        Some(id) => atlas::visible_place(&state.store, actor, id)
            .await?
            .ok_or(AppError::NotFound)?,
        None => super::view::default_place(&state, &user)
            .await?
            .ok_or(AppError::NotFound)?,
    };
    let today = JalaliDate::from_gregorian(state.clock.today());
    let last_year = Period::Year(today.year - 1);
    // A period that is not one is said beside its box; the page shows the default.
    let asked_period = super::view::PeriodAsked::read(q.period.as_deref());
    let asked_since = super::view::PeriodAsked::read(q.since.as_deref());
    let period = asked_period.period.unwrap_or(last_year);
    let since = asked_since.period;
    let ranked = priority::Ranked::from_param(q.level.as_deref(), &place)?;
    let run =
        priority::rank_children_of(&state, &user, &index, &place, ranked, (period, since), true)
            .await?;
    let (ranking, children_geo) = (&run.0, &run.1);
    let by_id: std::collections::HashMap<&str, &hamafza_core::priority::Ranked> = ranking
        .outcome
        .ranked
        .iter()
        .map(|r| (r.id.as_str(), r))
        .collect();
    let total_ranked = ranking.outcome.ranked.len();
    // Deciles and classes of a handful of places mean nothing: the page says so.
    let graded = ranking.shown_ranked() >= priority::MIN_FOR_DECILES;
    let level_param = match ranked {
        priority::Ranked::Level(l) => format!("&level={}", l.code()),
        priority::Ranked::Children => String::new(),
    };
    let link = |extra: &str| {
        format!(
            "/atlas/priority?index={}&place={}&period={}{}{level_param}{extra}",
            index.code,
            place.id,
            period.code(),
            since
                .map(|s| format!("&since={}", s.code()))
                .unwrap_or_default()
        )
    };
    // The levels one may rank under this place: its children's, and each deeper one.
    let deeper: Vec<hamafza_core::place::PlaceLevel> = hamafza_core::place::PlaceLevel::ALL
        .into_iter()
        .filter(|l| l.depth() > place.level.depth() + 1)
        .collect();

    // The map of classes.
    let shades = atlas::shades(4, true);
    let parsed: Vec<(hamafza_geo::MultiPolygon<f64>, String, String, String)> = children_geo
        .iter()
        .filter_map(|c| {
            let g = hamafza_geo::read_stored_geometry(c.geometry.as_deref()?)?;
            let (class, hover) = match by_id.get(c.place.id.to_string().as_str()) {
                Some(r) if !graded => (
                    "choro c0".to_string(),
                    format!("{}: رتبهٔ {}", c.place.name_fa, num(r.rank as i64)),
                ),
                Some(r) => (
                    format!("choro c{}", shades[usize::from(r.class)]),
                    format!(
                        "{}: رتبهٔ {} — {}",
                        c.place.name_fa,
                        num(r.rank as i64),
                        CLASS_FA[usize::from(r.class)]
                    ),
                ),
                None => (
                    "choro nodata".to_string(),
                    format!("{}: رتبه‌بندی نشده", c.place.name_fa),
                ),
            };
            Some((g, link(&format!("&explain={}", c.place.id)), hover, class))
        })
        .collect();
    let shapes: Vec<MapShape<'_>> = parsed
        .iter()
        .map(|(g, href, hover, class)| MapShape {
            label: hover,
            href,
            geometry: g,
            class,
        })
        .collect();
    let svg = render_map(&shapes, 560.0, &index.name_fa);

    let mut rows: Vec<&hamafza_core::priority::Ranked> = ranking
        .outcome
        .ranked
        .iter()
        .filter(|r| ranking.shown.contains(&r.id))
        .collect();
    rows.sort_by_key(|r| r.rank);
    let excluded: Vec<(&str, Exclusion)> = ranking
        .outcome
        .excluded
        .iter()
        .filter(|(id, _)| ranking.shown.contains(id))
        .map(|(id, e)| (id.as_str(), *e))
        .collect();
    let name = |id: &str| {
        ranking
            .places
            .get(id)
            .map(|p| p.name_fa.clone())
            .unwrap_or_default()
    };
    let explain = q.explain.as_deref().and_then(|id| by_id.get(id).copied());
    let restricted = sees_restricted(actor);
    // The explanation lists indicators by their share of the score, largest first.
    let mut explain_order: Vec<usize> = (0..ranking.indicators.len()).collect();
    if let Some(r) = explain {
        let share = |k: usize| index.items[k].weight * r.standardised[k];
        explain_order.sort_by(|&a, &b| share(b).total_cmp(&share(a)));
    }
    let reference_fa = ranking.reference_fa(&index, &place);

    let body = html! {
        h1 { (index.name_fa) ": " (place.name_fa) }
        p.hint { "نسخهٔ " (num(index.version)) " · دوره: " (period.label())
            @if let Some(s) = since { " · تغییر نسبت به " (s.label()) }
            @if atlas::may_define_priority(actor) {
                " · " a href=(format!("/atlas/define-priority?code={}", index.code)) { "وزن‌ها و روش (نسخهٔ تازه)" }
                " · " a href="/atlas/define-priority" { "شاخص اولویت تازه" }
            } }
        form.inline method="get" action="/atlas/priority" {
            input type="hidden" name="place" value=(place.id);
            label { "شاخص اولویت"
                select name="index" { @for i in &indices { option value=(i.code) selected[i.code == index.code] { (i.name_fa) } } }
            }
            label { "کدام مکان‌ها"
                select name="level" {
                    option value="" selected[ranked == priority::Ranked::Children] { "زیرمجموعه‌های مستقیم" }
                    @for l in &deeper {
                        option value=(l.code()) selected[ranked == priority::Ranked::Level(*l)] { "همهٔ " (l.name_fa()) "‌ها" }
                    }
                }
            }
            (super::view::period_field("period", "دوره", Some(period), &asked_period, today))
            (super::view::period_field("since", "مقایسه با دورهٔ", since, &asked_since, today))
            button.primary type="submit" { "رتبه‌بندی" }
        }
        section.method aria-label="روش" {
            h2 { "روش محاسبه" }
            ol {
                li { "شاخص‌ها: "
                    @for (k, (ind, w)) in ranking.indicators.iter().zip(&index.items).enumerate() {
                        @if k > 0 { "، " }
                        (ind.name_fa) " (" (ind.theme) @if w.weight != 1.0 { "، وزن " (value_fa(w.weight)) } ")"
                    }
                    @if index.items.iter().all(|w| w.weight == 1.0) { " — همه با وزن برابر." }
                }
                li { "هر شاخص در برابر «" (reference_fa) "» "
                    @match index.standardise {
                        Standardise::PercentileRank => "به رتبهٔ صدکی (سهم مکان‌هایی که مقدار کمتری دارند) تبدیل می‌شود",
                        Standardise::ZScore => "به نمرهٔ استاندارد (فاصله از میانگین بر حسب انحراف معیار) تبدیل می‌شود",
                    }
                    "؛ جهت همه چنان است که عدد بیشتر یعنی وضع بدتر." }
                @if index.shrink {
                    li { "نرخ‌های جمعیتی با روش بیز تجربی به سوی نرخ کل مجموعه کشیده می‌شوند تا نرخ محله‌های کم‌جمعیت از نوسان تصادفی بزرگ‌نمایی نشود." }
                }
                li { "مقادیر استانداردشده در هر محور (" (ranking.outcome.themes.join("، ")) ") جمع و سپس جمع محورها جمع می‌شود؛ رتبه از همین جمع است، نه از میانگین رتبه‌ها." }
                @if graded {
                    li { "خروجی: رتبه (۱ = بحرانی‌ترین)، دهک (۱۰ = بدترین دهم) و رده در چهار ربع: " (CLASS_FA.join("، ")) "." }
                } @else {
                    li.few { "خروجی: فقط رتبه (۱ = بحرانی‌ترین). دهک و رده برای کمتر از " (num(priority::MIN_FOR_DECILES as i64)) " مکان معنا ندارد و نشان داده نمی‌شود؛ برای مقایسهٔ معنادار، «همهٔ محله‌ها» را برگزینید." }
                }
                li { "هر شاخصی که در صدک ۹۰ یا بالاتر باشد پرچم می‌خورد و شمار پرچم‌ها نشان داده می‌شود." }
                li { "مکان‌های کمتر از " (num(index.min_population)) " نفر جمعیت یا بی‌مقدار در یکی از شاخص‌ها رتبه‌بندی نمی‌شوند." }
                @if since.is_some() {
                    li { "پویایی: تغییر هر شاخص میان دو دوره (با همان جهت) به رتبهٔ صدکی تبدیل و جمع می‌شود؛ یک‌سوم با کمترین بدترشدن «رو به بهبود»، یک‌سوم میانی «پایدار» و یک‌سوم دیگر «رو به وخامت» است." }
                }
            }
        }
        div.place-layout {
            div {
                @if !svg.is_empty() {
                    figure class="map-box atlas-map pal-ylorrd" {
                        (layout::raw(svg))
                        figcaption {
                            ul.legend aria-label="راهنمای نقشه" {
                                @if graded { @for (c, label) in CLASS_FA.iter().enumerate() {
                                    li { span class=(format!("swatch c{}", shades[c])) {} (label) }
                                } } @else {
                                    li { span.swatch.c0 {} "رتبه‌بندی شده (رده‌بندی برای شمار کم معنا ندارد)" }
                                }
                                li { span.swatch.nodata {} "رتبه‌بندی نشده" }
                            }
                            p.attribution { "برای دیدن چرایی رتبهٔ هر محله روی آن بزنید." }
                        }
                    }
                }
                @if let Some(r) = explain {
                    section.explain aria-label="چرایی رتبه" {
                        h2 { "چرا " (name(&r.id)) " رتبهٔ " (num(r.rank as i64)) " از " (num(total_ranked as i64)) " است" }
                        table {
                            thead { tr { th { "شاخص" } th { "محور" } @if restricted { th { "مقدار" } } th { "صدک" } th { "سهم در امتیاز" } th { "پرچم" } } }
                            tbody {
                                @for &k in &explain_order {
                                    tr {
                                        td { (ranking.indicators[k].name_fa) }
                                        td { (ranking.indicators[k].theme) }
                                        @if restricted { td { @if let Some(v) = ranking.values.get(&r.id).and_then(|v| v[k]) { (value_fa(v)) } } }
                                        td { (percent(r.percentiles[k])) }
                                        td { (value_fa(index.items[k].weight * r.standardised[k])) }
                                        td { @if r.flags[k] { "⚑ صدک ۹۰+" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            div {
                h2 { "رتبه‌بندی" }
                div.table-wrap {
                    table.priority-table {
                        thead { tr {
                            th { "رتبه" } th { "مکان" } @if graded { th { "دهک" } th { "رده" } } th { "پرچم‌ها" }
                            @for t in &ranking.outcome.themes { th { (t) } }
                            th { "امتیاز" }
                            @if since.is_some() { th { "پویایی" } }
                        } }
                        tbody {
                            @for r in &rows {
                                tr {
                                    td { (num(r.rank as i64)) }
                                    td { a href=(link(&format!("&explain={}", r.id))) { (name(&r.id)) } }
                                    @if graded {
                                        td { (num(i64::from(r.decile))) }
                                        td { (CLASS_FA[usize::from(r.class)]) }
                                    }
                                    td { (num(r.flag_count as i64)) }
                                    @for s in &r.theme_sums { td { (value_fa(*s)) } }
                                    td { (value_fa(r.score)) }
                                    @if since.is_some() {
                                        td { @if let Some(d) = ranking.dynamics.get(&r.id) { (dynamics_fa(*d)) } }
                                    }
                                }
                            }
                        }
                    }
                }
                @if !excluded.is_empty() {
                    h3 { "رتبه‌بندی نشده" }
                    ul {
                        @for (id, why) in &excluded {
                            li { (name(id)) " — " @match why { Exclusion::SmallPopulation => "جمعیت کمتر از حد", Exclusion::MissingValue => "بی‌مقدار در دست‌کم یک شاخص" } }
                        }
                    }
                }
                @if since.is_some() && !rows.is_empty() && graded {
                    h3 { "وضعیت × پویایی" }
                    table.crossing {
                        thead { tr { th { "رده" } th { "رو به بهبود" } th { "پایدار" } th { "رو به وخامت" } } }
                        tbody {
                            @for c in (0..4u8).rev() {
                                tr {
                                    th scope="row" { (CLASS_FA[usize::from(c)]) }
                                    @for d in [hamafza_core::priority::Dynamics::Improving, hamafza_core::priority::Dynamics::Stable, hamafza_core::priority::Dynamics::Declining] {
                                        td { (num(rows.iter().filter(|r| r.class == c && ranking.dynamics.get(&r.id) == Some(&d)).count() as i64)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page("اولویت‌بندی", &user, Section::Atlas, body))
}
