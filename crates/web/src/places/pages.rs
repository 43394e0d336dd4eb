//! The places browser: a tree, Persian-aware search, and a page per place with its
//! children drawn as a map.

use axum::extract::State;
use hamafza_core::access::{Action, Target, decide, scope};
use hamafza_core::ids::PlaceId;
use hamafza_core::numbers::format_decimal;
use hamafza_geo::svg::{MapShape, render_map};
use hamafza_store::{Place, PlaceFilter};
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::{PageQuery, PathId};
use crate::layout::{self, Section, bdi, num, synthetic_badge};

#[derive(Deserialize)]
pub struct BrowserQuery {
    q: Option<String>,
}

pub async fn browser(
    State(state): State<AppState>,
    user: CurrentUser,
    PageQuery(query): PageQuery<BrowserQuery>,
) -> Result<Markup, AppError> {
    let visible = scope(&user.actor, Action::ViewPlace);
    let q = query.q.unwrap_or_default();
    let q = q.trim();
    let results = if q.is_empty() {
        None
    } else {
        Some(
            state
                .store
                .list_places(
                    &visible,
                    &PlaceFilter {
                        name: Some(q.to_string()),
                        limit: 200,
                        ..Default::default()
                    },
                )
                .await?,
        )
    };
    let map_and_tree = map_and_tree(&state, user.versions.places, &visible).await?;
    let body = html! {
        h1 { "مکان‌ها" }
        form.inline role="search" method="get" action="/places" {
            label { "جست‌وجوی نام" input type="search" name="q" value=(q) placeholder="مثلاً کرمان"; }
            button.primary type="submit" { "جست‌وجو" }
        }
        @if let Some((found, total)) = &results {
            section aria-label="نتیجهٔ جست‌وجو" {
                h2 { "نتیجه برای «" (q) "»: " (num(*total as i64)) " مکان" }
                @if found.is_empty() { p.hint { "مکانی با این نام در حوزهٔ شما پیدا نشد." } }
                ul.results {
                    @for p in found {
                        li { (place_link(p)) " " span.badge { (p.level.name_fa()) } }
                    }
                }
            }
        }
        (maud::PreEscaped(&*map_and_tree))
    };
    Ok(layout::page("مکان‌ها", &user, Section::Places, body))
}

/// The top places' map and the tree under them, as the caller's scope shows them: the
/// same for everyone with that scope until places change (`cache`), and most of the
/// page's time (every top boundary is read and drawn).
async fn map_and_tree(
    state: &AppState,
    version: i64,
    visible: &hamafza_core::access::Scope,
) -> Result<std::sync::Arc<str>, AppError> {
    let key = format!("{visible:?}");
    state
        .caches
        .place_browser
        .get_or_make(version, key, || draw_map_and_tree(state, visible))
        .await
}

async fn draw_map_and_tree(
    state: &AppState,
    visible: &hamafza_core::access::Scope,
) -> Result<std::sync::Arc<str>, AppError> {
    let top = state.store.children_with_geometry(visible, None).await?;
    let mut tree = Vec::new();
    for p in &top {
        let kids = state.store.children(visible, Some(p.place.id)).await?;
        tree.push((&p.place, kids));
    }
    let top_map = map_of(&top, "نقشهٔ مکان‌ها");
    let markup = html! {
        @if let Some(svg) = top_map {
            figure.map-box {
                (layout::raw(svg))
                figcaption.attribution { "برای رفتن به هر مکان روی آن بزنید. " (layout::osm_attribution()) "." }
            }
        }
        h2 { "درخت مکان‌ها" }
        @if tree.is_empty() { p.hint { "هنوز مکانی در حوزهٔ شما نیست." } }
        ul.tree {
            @for (p, kids) in &tree {
                li {
                    details {
                        summary { (place_link(p)) " " span.hint { "(" (num(kids.len() as i64)) " زیرمجموعه)" } }
                        ul {
                            @for k in kids {
                                li { (place_link(&k.place)) @if k.child_count > 0 { " " span.hint { "(" (num(k.child_count)) ")" } } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(markup.into_string().into())
}

fn place_link(p: &Place) -> Markup {
    html! {
        a href={ "/places/" (p.id) } { (p.name_fa) }
        @if p.synthetic { (synthetic_badge()) }
    }
}

pub async fn place_page(
    State(state): State<AppState>,
    user: CurrentUser,
    PathId(id): PathId<PlaceId>,
) -> Result<Markup, AppError> {
    let visible = scope(&user.actor, Action::ViewPlace);
    let place = state.store.get_place(&visible, id).await?;
    if let hamafza_core::access::Decision::Deny(r) = decide(
        &user.actor,
        Action::ViewPlace,
        Target::Place { path: &place.path },
    ) {
        return Err(r.into());
    }
    let ancestors = state.store.ancestors(&place).await?;
    let children = state
        .store
        .children_with_geometry(&visible, Some(place.id))
        .await?;

    // Children drawn as a map; a place without children is drawn alone.
    let drawn = if children.is_empty() {
        let geometry = state.store.place_geometry(place.id).await?;
        vec![hamafza_store::PlaceSummary {
            place: place.clone(),
            geometry,
            child_count: 0,
        }]
    } else {
        children.clone()
    };
    let svg = map_of(&drawn, &format!("نقشهٔ {}", place.name_fa)).unwrap_or_default();
    let connect = super::connect::sections(
        &state,
        &user,
        &place,
        ancestors.last(),
        !children.is_empty(),
    )
    .await?;
    let any_real = drawn.iter().any(|d| !d.place.synthetic);
    let any_synthetic = drawn.iter().any(|d| d.place.synthetic);

    let body = html! {
        nav aria-label="مسیر" {
            ol.crumbs {
                li { a href="/places" { "مکان‌ها" } }
                @for a in &ancestors { li { a href={ "/places/" (a.id) } { (a.name_fa) } } }
                li aria-current="page" { (place.name_fa) }
            }
        }
        h1 { (layout::place_title(&place)) @if place.synthetic { (synthetic_badge()) } }
        @if place.synthetic {
            p.note role="note" { "این مکان ساختگی است: برای نمایش و آموزش ساخته شده و نام و مرزش واقعی نیست." }
        }
        div.place-layout {
            div {
                @if svg.is_empty() {
                    p.hint { "مرزی برای رسم ثبت نشده است." }
                } @else {
                    figure.map-box {
                        (layout::raw(svg))
                        figcaption.attribution {
                            @if !children.is_empty() { "زیرمجموعه‌های " (place.name_fa) "؛ برای رفتن به هر کدام روی آن بزنید. " }
                            @if any_real { (layout::osm_attribution()) ". " }
                            @if any_synthetic { "مرزهای شهر نمونه ساختگی‌اند." }
                        }
                    }
                }
            }
            div {
                dl.facts {
                    dt { "کد" } dd { (bdi(&place.code)) }
                    dt { "سطح" } dd { (place.level.name_fa()) }
                    @if let Some(en) = &place.name_en { dt { "نام انگلیسی" } dd { (bdi(en)) } }
                    dt { "جمعیت" } dd { @match place.population { Some(p) => (num(p)), None => span.hint { "ثبت نشده" } } }
                    @if let Some(a) = place.area_km2 { dt { "مساحت" } dd { (format_decimal(a, 1)) " کیلومتر مربع" } }
                    @if let Some(o) = &place.osm_id { dt { "شناسهٔ OSM" } dd { (bdi(o)) } }
                    @if let Some(w) = &place.wikidata { dt { "ویکی‌داده" } dd { (bdi(w)) } }
                }
                (connect)
                @if !children.is_empty() {
                    h2 { "زیرمجموعه‌ها (" (num(children.len() as i64)) ")" }
                    div.table-wrap {
                        table {
                            thead { tr { th { "نام" } th { "سطح" } th { "جمعیت" } } }
                            tbody {
                                @for c in &children {
                                    tr {
                                        td { (place_link(&c.place)) }
                                        td { (c.place.level.name_fa()) }
                                        td { @if let Some(p) = c.place.population { (num(p)) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(&place.name_fa, &user, Section::Places, body))
}

/// An SVG map of places that have boundaries, or `None` when none has.
fn map_of(places: &[hamafza_store::PlaceSummary], title: &str) -> Option<String> {
    let parsed: Vec<(&Place, hamafza_geo::MultiPolygon<f64>, String)> = places
        .iter()
        .filter_map(|c| {
            Some((
                &c.place,
                parse(c.geometry.as_deref()?)?,
                format!("/places/{}", c.place.id),
            ))
        })
        .collect();
    let shapes: Vec<MapShape<'_>> = parsed
        .iter()
        .map(|(p, g, href)| MapShape {
            label: &p.name_fa,
            href,
            geometry: g,
            class: if p.synthetic { "synthetic" } else { "" },
        })
        .collect();
    let svg = render_map(&shapes, 640.0, title);
    (!svg.is_empty()).then_some(svg)
}

fn parse(geojson: &str) -> Option<hamafza_geo::MultiPolygon<f64>> {
    hamafza_geo::read_stored_geometry(geojson)
}
