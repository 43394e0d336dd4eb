//! Hot spots: Getis-Ord Gi* over the H3 cells (resolution 9) whose centre lies inside a
//! place, for the events of chosen categories and months; hot and cold cells at 90, 95
//! and 99 % confidence, optionally with permutation p-values and a false-discovery-rate
//! correction.

use axum::extract::State;
use hamafza_core::access::{Action, scope};
use hamafza_core::indicator::{is_small, sees_restricted};
use hamafza_core::jalali::{JalaliDate, Period};
use hamafza_geo::MultiPolygon;
use hamafza_geo::hexbin;
use hamafza_geo::hotspot::{self, Permutations, Spot};
use hamafza_geo::locate::PointLocator;
use hamafza_geo::svg::{MapShape, render_map};
use maud::{Markup, html};

use super::view::value_fa;
use crate::AppState;
use crate::atlas;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::PageQuery;
use crate::layout::{self, Section, num};
use hamafza_store::atlas::month_range;

/// Cells beyond this many are refused: pick a smaller place (a city of 400 km² has
/// about 4,000 cells at resolution 9).
const MAX_CELLS: usize = 40_000;

fn spot_class(s: Spot) -> &'static str {
    match s {
        Spot::Hot99 => "choro spot-hot3",
        Spot::Hot95 => "choro spot-hot2",
        Spot::Hot90 => "choro spot-hot1",
        Spot::NotSignificant => "choro spot-none",
        Spot::Cold90 => "choro spot-cold1",
        Spot::Cold95 => "choro spot-cold2",
        Spot::Cold99 => "choro spot-cold3",
    }
}

/// The statistic over a place's cells.
pub(crate) struct HotSpots {
    pub cells: Vec<u64>,
    pub y: Vec<f64>,
    pub g: hotspot::GiStar,
    pub spots: Vec<Spot>,
    /// The p-values the classes were tested with (permutation when asked, else normal).
    pub p_values: Vec<f64>,
}

/// Gi* over the resolution-9 cells whose centre lies in `place`, for the events of
/// `categories` in the months `first..=last`.
pub(crate) async fn compute(
    state: &AppState,
    place: &hamafza_store::Place,
    categories: &[String],
    (first, last): (&str, &str),
    permutations: usize,
    fdr: bool,
) -> Result<HotSpots, AppError> {
    let chosen = categories;
    let Some(boundary) = state
        .store
        .place_geometry(place.id)
        .await?
        .and_then(|g| hamafza_geo::read_stored_geometry(&g))
    else {
        return Err(AppError::BadRequest("این مکان مرز ثبت‌شده ندارد.".into()));
    };
    let res = hexbin::resolution(hexbin::DEFAULT_RESOLUTION).ok_or(AppError::Internal)?;
    let index = PointLocator::new(std::slice::from_ref(&boundary), 1000);
    let cells = hexbin::study_cells(&index, index.bbox(), res);
    if cells.len() > MAX_CELLS {
        return Err(AppError::BadRequest(format!(
            "این مکان {} یاختهٔ شش‌ضلعی دارد؛ مکان کوچک‌تری برگزینید.",
            num(cells.len() as i64)
        )));
    }
    let counts = state
        .store
        .event_cell_counts(&place.path, chosen, first, last)
        .await?;
    let mut y = vec![0.0; cells.len()];
    for (cell, n) in counts {
        if let Ok(i) = cells.binary_search(&cell) {
            y[i] = n as f64;
        }
    }
    let w = hexbin::ring_neighbours(&cells);
    let perms = (permutations > 0).then_some(Permutations {
        count: permutations,
        seed: 12345,
        threads: 2,
    });
    let g = hotspot::gi_star(&y, &w, perms);
    let p_values: Vec<f64> = g.p_sim.clone().unwrap_or_else(|| g.p_norm.clone());
    let significant = if fdr {
        hotspot::fdr_significant(&p_values, 0.05)
    } else {
        vec![true; cells.len()]
    };
    let spots: Vec<Spot> =
        g.z.iter()
            .zip(&significant)
            .map(|(&z, &ok)| {
                if ok {
                    Spot::of(z)
                } else {
                    Spot::NotSignificant
                }
            })
            .collect();
    Ok(HotSpots {
        cells,
        y,
        g,
        spots,
        p_values,
    })
}

pub async fn hotspots_page(
    State(state): State<AppState>,
    user: CurrentUser,
    PageQuery(pairs): PageQuery<Vec<(String, String)>>,
) -> Result<Markup, AppError> {
    let actor = &user.actor;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let place = match get("place") {
        Some(id) => atlas::visible_place(&state.store, actor, id)
            .await?
            .ok_or(AppError::NotFound)?,
        None => super::view::default_place(&state, &user)
            .await?
            .ok_or(AppError::NotFound)?,
    };
    let categories_all = state
        .store
        .event_categories(&scope(&user.actor, Action::ViewAtlas))
        .await?;
    let mut chosen: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "category")
        .map(|(_, v)| v.clone())
        .filter(|c| categories_all.iter().any(|x| &x.code == c))
        .collect();
    if chosen.is_empty() {
        chosen = categories_all.iter().map(|c| c.code.clone()).collect();
    }
    let today = JalaliDate::from_gregorian(state.clock.today());
    // A period that is not one is said beside its box; the page uses the default.
    let asked_from = super::view::PeriodAsked::read(get("from"));
    let asked_to = super::view::PeriodAsked::read(get("to"));
    let from = asked_from.period.unwrap_or(Period::Year(today.year - 1));
    let to = asked_to.period.unwrap_or(from);
    let (first, _) = month_range(from);
    let (_, last) = month_range(to);
    let permutations: usize = get("permutations")
        .and_then(|p| p.parse().ok())
        .unwrap_or(0)
        .min(9999);
    let fdr = get("fdr").is_some();

    let HotSpots {
        cells,
        y,
        g,
        spots,
        p_values,
    } = compute(&state, &place, &chosen, (&first, &last), permutations, fdr).await?;
    let k = atlas::threshold_for(actor, state.small_count);
    let count_text = |n: f64| {
        if k.is_some_and(|k| is_small(n, k)) {
            "کمتر از حد نمایش".to_string()
        } else {
            num(n as i64)
        }
    };

    let shapes_data: Vec<(MultiPolygon<f64>, String, &'static str)> = cells
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let hover = format!(
                "{} رویداد، z = {}{}",
                count_text(y[i]),
                value_fa(g.z[i]),
                match spots[i] {
                    Spot::NotSignificant => String::new(),
                    s => format!(" — {}", s.label_fa()),
                }
            );
            (hexbin::cell_polygon(c), hover, spot_class(spots[i]))
        })
        .collect();
    let shapes: Vec<MapShape<'_>> = shapes_data
        .iter()
        .map(|(geometry, hover, class)| MapShape {
            label: hover,
            href: "#hot-list",
            geometry,
            class,
        })
        .collect();
    let svg = render_map(
        &shapes,
        640.0,
        &format!("کانون‌های داغ در {}", place.name_fa),
    );
    let mut order: Vec<usize> = (0..cells.len())
        .filter(|&i| spots[i] > Spot::NotSignificant)
        .collect();
    order.sort_by(|&a, &b| g.z[b].total_cmp(&g.z[a]));
    let tally = |s: Spot| spots.iter().filter(|x| **x == s).count() as i64;
    let events_total: f64 = y.iter().sum();

    let body = html! {
        h1 { "کانون‌های داغ: " (place.name_fa) }
        form.inline.atlas-controls method="get" action="/atlas/hotspots" {
            input type="hidden" name="place" value=(place.id);
            fieldset.categories {
                legend { "دسته‌ها" }
                @for c in &categories_all {
                    label.check { input type="checkbox" name="category" value=(c.code) checked[chosen.contains(&c.code)]; (c.name_fa) }
                }
            }
            (super::view::period_field("from", "از دورهٔ", Some(from), &asked_from, today))
            (super::view::period_field("to", "تا دورهٔ", Some(to), &asked_to, today))
            label { (layout::term("آزمون‌های تصادفی (جایگشت)", "چند بار رویدادها به‌تصادف جابه‌جا شوند تا اطمینان سنجیده شود؛ ۰ یعنی آزمون نرمال، ۹۹۹ دقیق‌تر و کندتر")) input name="permutations" value=(permutations) size="5" dir="ltr"; }
            label.check { input type="checkbox" name="fdr" value="1" checked[fdr]; (layout::term("کنار گذاشتن کانون‌های تصادفی (تصحیح بنجامینی–هاخبرگ، ۵٪)", "وقتی یاخته‌های بسیاری آزموده می‌شوند، برخی به‌تصادف داغ دیده می‌شوند؛ این تصحیح آن‌ها را کنار می‌گذارد")) }
            button.primary type="submit" { "محاسبه" }
        }
        section.method aria-label="روش" {
            p.plain { strong { "کانون داغ" } " جایی است که رویدادها بیش از انتظار کنار هم جمع شده‌اند، نه فقط جایی که رویداد زیاد است. نقشه شهر را به شش‌ضلعی‌های هم‌اندازه (هر یک حدود ۰٫۱ کیلومتر مربع) تقسیم می‌کند و هر شش‌ضلعی را با همسایه‌هایش می‌سنجد." }
            p { "روش: آمارهٔ Getis-Ord Gi* روی یاخته‌های شش‌ضلعی H3 (وضوح ۹، حدود ۰٫۱ کیلومتر مربع) که مرکزشان درون مرز "
                (place.name_fa) " است (" (num(cells.len() as i64)) " یاخته، " (num(events_total as i64)) " رویداد؛ یاخته‌های بی‌رویداد صفر شمرده می‌شوند). "
                "هم‌سایگی: شش یاختهٔ پیرامون با وزن دودویی و خود یاخته. "
                "کانون داغ یعنی جایی که خود یاخته و همسایه‌هایش با هم بیش از انتظار رویداد دارند؛ سطح اطمینان از z دوطرفه (۱٫۶۴۵، ۱٫۹۶، ۲٫۵۷۶) است"
                @if permutations > 0 { "، با " (num(permutations as i64)) " جایگشت شرطی (بذر ۱۲۳۴۵)" }
                @if fdr { " و تنها یاخته‌هایی که پس از تصحیح بنجامینی–هاخبرگ معنادار مانده‌اند رنگ می‌گیرند" }
                "." }
        }
        div.place-layout {
            div {
                figure.map-box.atlas-map.hotspot-map {
                    (layout::raw(svg))
                    figcaption {
                        ul.legend aria-label="راهنمای نقشه" {
                            @for s in [Spot::Hot99, Spot::Hot95, Spot::Hot90, Spot::NotSignificant, Spot::Cold90, Spot::Cold95, Spot::Cold99] {
                                li { svg.swatch width="16" height="12" { rect class=(spot_class(s)) width="16" height="12" {} } (s.label_fa()) " (" (num(tally(s))) ")" }
                            }
                        }
                    }
                }
            }
            div #hot-list {
                h2 { "یاخته‌های معنادار" }
                @if order.is_empty() { p.hint { "یاختهٔ معناداری نیست." } }
                div.table-wrap {
                    table {
                        thead { tr { th { "یاخته" } th { "رویداد" } th { "z" } th { "p" } th { "رده" } } }
                        tbody {
                            @for &i in order.iter().take(20) {
                                tr {
                                    td { bdi dir="ltr" { (hexbin::cell_name(cells[i])) } }
                                    td { (count_text(y[i])) }
                                    td { (value_fa(g.z[i])) }
                                    td { (value_fa(p_values[i])) }
                                    td { (spots[i].label_fa()) }
                                }
                            }
                        }
                    }
                }
                @if !sees_restricted(actor) {
                    p.hint { "شمار رویداد یاخته‌هایی که کمتر از " (num(state.small_count)) " رویداد دارند نشان داده نمی‌شود." }
                }
            }
        }
    };
    Ok(layout::page("کانون‌های داغ", &user, Section::Atlas, body))
}
