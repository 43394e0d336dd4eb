//! The atlas page: an indicator for the children of a place as a choropleth map with its
//! legend and definition, a sortable table, and the place's trend against its parent
//! and siblings.

use axum::extract::State;
use hamafza_core::classify::Method;
use hamafza_core::ids::PlaceId;
use hamafza_core::indicator::{Shown, Worse, base_fa};
use hamafza_core::jalali::{JalaliDate, Period};
use hamafza_geo::svg::{MapShape, render_map};
use hamafza_store::Indicator;
use maud::{Markup, html};
use serde::Deserialize;

use super::trend_pages as trend;
pub use super::view::{default_period, default_place, shown_text, value_fa};
use crate::AppState;
use crate::atlas::{self, MapRequest};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::PageQuery;
use crate::layout::{self, Section, num};

#[derive(Debug, Deserialize, Default)]
pub struct AtlasQuery {
    place: Option<String>,
    indicator: Option<String>,
    period: Option<String>,
    method: Option<String>,
    palette: Option<String>,
    sort: Option<String>,
}

/// Classes on every map: five, or fewer when fewer distinct values exist.
const CLASSES: usize = 5;

/// The page's link with some parameters changed.
struct Link<'a> {
    place: PlaceId,
    indicator: &'a str,
    period: String,
    method: &'a str,
    palette: &'a str,
}

impl Link<'_> {
    fn to_place(&self, place: &PlaceId) -> String {
        format!(
            "/atlas?place={}&indicator={}&period={}&method={}&palette={}",
            place, self.indicator, self.period, self.method, self.palette
        )
    }

    fn sorted(&self, sort: &str) -> String {
        format!("{}&sort={sort}", self.to_place(&self.place))
    }
}

pub async fn atlas_page(
    State(state): State<AppState>,
    user: CurrentUser,
    PageQuery(q): PageQuery<AtlasQuery>,
) -> Result<Markup, AppError> {
    // The body is the same for every caller with the same places in view, roles and
    // threshold (`cache`); it is most of the page's time (the map, the trend).
    let actor = &user.actor;
    let key = format!(
        "atlas-page|{:?}|{:?}|{:?}|{}|{q:?}",
        hamafza_core::access::scope(actor, hamafza_core::access::Action::ViewPlace),
        actor.roles,
        atlas::threshold_for(actor, state.small_count),
        state.clock.today()
    );
    let version = user.versions.atlas;
    let body = match state.caches.atlas_pages.get(version, &key) {
        Some(body) => body,
        None => {
            let body: std::sync::Arc<str> =
                atlas_body(&state, &user, &q).await?.into_string().into();
            state.caches.atlas_pages.put(version, key, body.clone());
            body
        }
    };
    Ok(layout::page(
        "اطلس",
        &user,
        Section::Atlas,
        maud::PreEscaped(body.to_string()),
    ))
}

async fn atlas_body(
    state: &AppState,
    user: &CurrentUser,
    q: &AtlasQuery,
) -> Result<Markup, AppError> {
    let actor = &user.actor;
    let indicators: Vec<Indicator> = state
        .store
        .indicators(&hamafza_core::access::scope(
            actor,
            hamafza_core::access::Action::ViewIndicator,
        ))
        .await?;
    let place = match q.place.as_deref().filter(|s| !s.is_empty()) {
        Some(id) => atlas::visible_place(&state.store, actor, id)
            .await?
            .ok_or(AppError::NotFound)?,
        None => default_place(state, user)
            .await?
            .ok_or(AppError::NotFound)?,
    };
    let Some(indicator) = (match q.indicator.as_deref().filter(|s| !s.is_empty()) {
        Some(code) => Some(
            indicators
                .iter()
                .find(|i| i.code == code)
                .cloned()
                .ok_or(AppError::NotFound)?,
        ),
        None => indicators.first().cloned(),
    }) else {
        let body = html! {
            h1 { "اطلس" }
            p.hint { "هنوز شاخصی که اجازهٔ دیدنش را داشته باشید تعریف نشده است." }
        };
        return Ok(body);
    };
    let today = JalaliDate::from_gregorian(state.clock.today());
    // A period that is not one is said beside its box; the page shows the default.
    let asked = super::view::PeriodAsked::read(q.period.as_deref());
    let period = asked.period.unwrap_or_else(|| default_period(today));
    let method = atlas::method_from(q.method.as_deref());
    let palette = q
        .palette
        .as_deref()
        .filter(|p| atlas::PALETTES.iter().any(|x| x.0 == *p))
        .unwrap_or("ylorrd");
    let request = MapRequest {
        place: &place,
        indicator: &indicator,
        period,
        method,
        classes: CLASSES,
        threshold: atlas::threshold_for(&user.actor, state.small_count),
    };
    let version = user.versions.atlas;
    let data = atlas::map_data(state, version, actor, &request).await?;
    let ancestors = state.store.ancestors(&place).await?;
    let link = Link {
        place: place.id,
        indicator: &indicator.code,
        period: period.code(),
        method: atlas::method_code(method),
        palette,
    };
    let shades = atlas::shades(data.bounds.len(), indicator.worse == Worse::Higher);
    let source = match &indicator.source_agency_id {
        Some(id) => state
            .store
            .agency(*id)
            .await
            .ok()
            .map(|a| a.name_fa)
            .unwrap_or_default(),
        None => String::new(),
    };

    // The drawing is kept with the map's data (`cache`): parsing the boundaries and
    // drawing them is most of a page's time.
    let drawing_key = format!("{}|{palette}", atlas::map_key(actor, &request));
    let svg = match state.caches.map_drawings.get(version, &drawing_key) {
        Some(svg) => svg,
        None => {
            // The map: each child filled by its class, hatched when suppressed, outlined when
            // without data; hover names the place and its value; a click drills down.
            let parsed: Vec<(hamafza_geo::MultiPolygon<f64>, String, String, String)> = data
                .rows
                .iter()
                .filter_map(|r| {
                    let g = hamafza_geo::read_stored_geometry(r.place.geometry.as_deref()?)?;
                    let href = if r.place.child_count > 0 {
                        link.to_place(&r.place.place.id)
                    } else {
                        format!("/places/{}", r.place.place.id)
                    };
                    let hover = format!("{}: {}", r.place.place.name_fa, shown_text(&r.shown));
                    let class = match (&r.shown, r.class) {
                        (Shown::Suppressed, _) => "choro suppressed".to_string(),
                        (Shown::Value { .. }, Some(c)) => {
                            format!("choro c{}", shades.get(c).copied().unwrap_or(0))
                        }
                        _ => "choro nodata".to_string(),
                    };
                    Some((g, href, hover, class))
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
            let title = format!("{} — {}", indicator.name_fa, period.label());
            let svg = render_map(&shapes, 640.0, &title);
            let svg: std::sync::Arc<str> = svg.into();
            state
                .caches
                .map_drawings
                .put(version, drawing_key, svg.clone());
            svg
        }
    };

    let mut rows: Vec<&atlas::MapRow> = data.rows.iter().collect();
    if q.sort.as_deref() == Some("value") {
        // Worst first; suppressed and missing last. Ties keep the Persian name order.
        rows.sort_by(|a, b| {
            let (va, vb) = (a.shown.value(), b.shown.value());
            match (va, vb) {
                (Some(x), Some(y)) => match indicator.worse {
                    Worse::Higher => y.total_cmp(&x),
                    Worse::Lower => x.total_cmp(&y),
                },
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
        });
    }
    let trend_chart =
        trend::for_place(state, actor, &place, &ancestors, &indicator, period).await?;
    let restricted = atlas::threshold_for(actor, state.small_count).is_none();

    let body = html! {
        h1 { "اطلس: " (place.name_fa) }
        p.links { a href=(format!("/atlas/priority?place={}", place.id)) { "اولویت‌بندی محله‌ها" } " · " a href=(format!("/atlas/hotspots?place={}", place.id)) { "کانون‌های داغ" } " · " a href="/atlas/indicators" { "شناسنامهٔ شاخص‌ها" } }
        nav.crumbs aria-label="مسیر" {
            @for a in &ancestors { a href=(link.to_place(&a.id)) { (a.name_fa) } " › " }
            span { (place.name_fa) }
        }
        form.inline.atlas-controls method="get" action="/atlas" {
            input type="hidden" name="place" value=(place.id);
            label { "شاخص"
                select name="indicator" {
                    @for i in &indicators {
                        option value=(i.code) selected[i.code == indicator.code] { (i.theme) " — " (i.name_fa) }
                    }
                }
            }
            (super::view::period_field("period", "دوره", Some(period), &asked, today))
            label { "رده‌بندی"
                select name="method" {
                    @for m in [Method::Quantile, Method::NaturalBreaks, Method::EqualInterval] {
                        option value=(atlas::method_code(m)) selected[m == method] { (atlas::method_fa(m)) }
                    }
                }
            }
            label { "رنگ‌ها"
                select name="palette" {
                    @for p in &atlas::PALETTES {
                        option value=(p.0) selected[p.0 == palette] { (p.1) }
                    }
                }
            }
            button.primary type="submit" { "نمایش" }
        }
        div.place-layout {
            div {
                @if svg.is_empty() {
                    p.hint { "زیرمجموعه‌ای با مرز برای رسم نیست." }
                } @else {
                    figure class=(format!("map-box atlas-map pal-{palette}")) {
                        (maud::PreEscaped(&*svg))
                        figcaption {
                            (legend(&data.bounds, &shades))
                            p.attribution { "برای رفتن به درون هر ناحیه روی آن بزنید." }
                        }
                    }
                }
            }
            div {
                section.definition aria-label="تعریف شاخص" {
                    h2 { (indicator.name_fa) " " span.badge { "نسخهٔ " (num(indicator.version)) } }
                    dl.facts {
                        dt { "دوره" } dd { (period.label()) }
                        dt { (layout::term("صورت (آنچه شمرده می‌شود)", "آنچه در هر مکان شمرده یا گزارش می‌شود، مثلاً شمار متکدیان دیده‌شده")) } dd { (indicator.numerator_fa) }
                        dt { (layout::term("مخرج (نسبت به)", "آن‌چه شمار بر آن تقسیم می‌شود تا مکان‌های بزرگ و کوچک هم‌سنجیدنی شوند: جمعیت یا مساحت")) } dd {
                            @match indicator.denominator {
                                hamafza_core::indicator::Denominator::None => "ندارد (خود عدد)",
                                hamafza_core::indicator::Denominator::Population => "جمعیت مکان",
                                hamafza_core::indicator::Denominator::Area => "مساحت (کیلومتر مربع)",
                            }
                        }
                        @let base = base_fa(indicator.denominator, indicator.rate_base);
                        @if !base.is_empty() { dt { "واحد نرخ" } dd { (indicator.unit_fa) " " (base) } }
                        dt { "بدتر است اگر" } dd { @if indicator.worse == Worse::Higher { "بیشتر باشد" } @else { "کمتر باشد" } }
                        dt { "منبع" } dd { @if source.is_empty() { "—" } @else { (source) } }
                        dt { "انتشار" } dd { @if indicator.publication == hamafza_core::indicator::Publication::Public { "عمومی" } @else { "محدود" } }
                        dt { "رده‌بندی" } dd { (atlas::method_fa(method)) }
                        dt { (place.name_fa) } dd.own-value { (shown_text(&data.own)) }
                    }
                    @if !restricted {
                        p.hint { "شمارهای کمتر از " (num(state.small_count)) " (و نرخ‌هایی که از آن‌ها به دست می‌آید) برای حفظ حریم افراد نشان داده نمی‌شوند." }
                    }
                }
                h2 { "زیرمجموعه‌ها" }
                p.sort {
                    "ترتیب: "
                    a href=(link.sorted("name")) aria-current=[(q.sort.as_deref() != Some("value")).then_some("true")] { "نام" }
                    " · "
                    a href=(link.sorted("value")) aria-current=[(q.sort.as_deref() == Some("value")).then_some("true")] { "بدترین نخست" }
                }
                form method="get" action="/atlas/compare" {
                    input type="hidden" name="indicator" value=(indicator.code);
                    div.table-wrap {
                        table.atlas-table {
                            thead { tr { th { "مقایسه" } th { "نام" } th { "مقدار" } th { (layout::term_short("صورت", "آنچه در هر مکان شمرده یا گزارش می‌شود، مثلاً شمار متکدیان دیده‌شده")) } th { (layout::term_short("مخرج", "آن‌چه شمار بر آن تقسیم می‌شود تا مکان‌های بزرگ و کوچک هم‌سنجیدنی شوند: جمعیت یا مساحت")) } } }
                            tbody {
                                @for r in &rows {
                                    tr {
                                        td { input type="checkbox" name="place" value=(r.place.place.id) aria-label=(format!("مقایسهٔ {}", r.place.place.name_fa)); }
                                        td { a href=(link.to_place(&r.place.place.id)) { (r.place.place.name_fa) } }
                                        td { (shown_text(&r.shown)) }
                                        @match r.shown {
                                            Shown::Value { numerator, denominator, .. } => {
                                                td { (value_fa(numerator)) }
                                                td { @if let Some(d) = denominator { (value_fa(d)) } }
                                            }
                                            _ => { td {} td {} }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    button type="submit" { "مقایسهٔ برگزیده‌ها در دوره‌های اخیر" }
                }
                p.downloads {
                    "دریافت: "
                    @for (format, label) in [("csv", "CSV"), ("xlsx", "XLSX"), ("geojson", "GeoJSON")] {
                        a href=(format!("/atlas/export?place={}&indicator={}&period={}&format={format}", place.id, indicator.code, period.code())) download { (label) } " "
                    }
                    "· "
                    a href=(format!("/atlas/profile.pdf?place={}&period={}", place.id, Period::Year(period.first_day().year).code())) { "نمایهٔ PDF" }
                }
            }
        }
        section aria-label="روند" {
            h2 { "روند " (indicator.name_fa) " در " (place.name_fa) }
            (trend_chart)
        }
    };
    Ok(body)
}

/// `/atlas/export?place=…&indicator=…&period=…&format=csv|xlsx|geojson[&public=1]`.
pub async fn export_download(
    State(state): State<AppState>,
    user: CurrentUser,
    PageQuery(q): PageQuery<crate::atlas::export::ExportQuery>,
) -> Result<axum::response::Response, AppError> {
    crate::atlas::export::export(&state, &user, &q).await
}

/// The legend: one swatch per class with its range, then no data and suppressed.
fn legend(bounds: &[f64], shades: &[usize]) -> Markup {
    html! {
        ul.legend aria-label="راهنمای نقشه" {
            @for (i, upper) in bounds.iter().enumerate() {
                li {
                    span class=(format!("swatch c{}", shades.get(i).copied().unwrap_or(0))) {}
                    @if i == 0 { "تا " (value_fa(*upper)) } @else { (value_fa(bounds[i - 1])) " تا " (value_fa(*upper)) }
                }
            }
            li { span.swatch.nodata {} "بی‌داده" }
            li { span.swatch.suppressed {} "پنهان برای حریم افراد (شمار کم)" }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_digits() {
        let day = JalaliDate::new(1404, 2, 10).expect("day");
        assert_eq!(default_period(day), Period::Quarter(1403, 4));
        let day = JalaliDate::new(1404, 8, 10).expect("day");
        assert_eq!(default_period(day), Period::Quarter(1404, 2));
        assert_eq!(value_fa(12.345), "۱۲٫۳");
        assert_eq!(value_fa(1234.6), "۱٬۲۳۵");
        assert_eq!(value_fa(0.5), "۰٫۵۰");
        assert_eq!(value_fa(19.0), "۱۹", "counts without decimals");
    }
}
