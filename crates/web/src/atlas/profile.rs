//! `/atlas/profile.pdf`: the district profile — priority classes on a map, the ranking,
//! what drives it, and the hot spots — typeset with Typst.

use hamafza_core::access::{Action, scope};
use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;

use hamafza_core::digits::to_persian;
use hamafza_core::jalali::{JalaliDate, Period};
use hamafza_core::numbers::format_int;
use hamafza_geo::hexbin;
use hamafza_geo::hotspot::Spot;
use hamafza_geo::svg::{MapShape, render_map};
use hamafza_report::profile::{DistrictProfile, ProfileRow, with_colours};
use serde::Deserialize;

use super::view::value_fa;
use crate::AppState;
use crate::atlas;
use crate::atlas::priority::{self, CLASS_FA};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::PageQuery;
use crate::resolutions::documents::download;

#[derive(Deserialize)]
pub struct ProfileQuery {
    place: Option<String>,
    index: Option<String>,
    period: Option<String>,
}

pub async fn profile_pdf(
    State(state): State<AppState>,
    user: CurrentUser,
    PageQuery(q): PageQuery<ProfileQuery>,
) -> Result<Response, AppError> {
    let actor = &user.actor;
    let place = match q.place.as_deref().filter(|s| !s.is_empty()) {
        Some(id) => atlas::visible_place(&state.store, actor, id)
            .await?
            .ok_or(AppError::NotFound)?,
        None => super::view::default_place(&state, &user)
            .await?
            .ok_or(AppError::NotFound)?,
    };
    let indices = state
        .store
        .priority_indices(&scope(&user.actor, Action::ViewAtlas))
        .await?;
    let index = match q.index.as_deref().filter(|s| !s.is_empty()) {
        Some(code) => indices.into_iter().find(|i| i.code == code),
        None => indices.into_iter().next(),
    }
    .ok_or_else(|| AppError::BadRequest("شاخص اولویتی ذخیره نشده است.".into()))?;
    let today = JalaliDate::from_gregorian(state.clock.today());
    let last_year = Period::Year(today.year - 1);
    let period = priority::period_param("period", q.period.as_deref(), Some(last_year))?
        .unwrap_or(last_year);
    let run = priority::rank_children_of(
        &state,
        &user,
        &index,
        &place,
        priority::Ranked::Children,
        (period, None),
        true,
    )
    .await?;
    let (ranking, children_geo) = (&run.0, &run.1);
    let by_id: HashMap<&str, &hamafza_core::priority::Ranked> = ranking
        .outcome
        .ranked
        .iter()
        .map(|r| (r.id.as_str(), r))
        .collect();

    // The map: the same drawing as the priority page, coloured inline.
    let shades = atlas::shades(4, true);
    let colours = atlas::PALETTES[0].2;
    let parsed: Vec<(hamafza_geo::MultiPolygon<f64>, String)> = children_geo
        .iter()
        .filter_map(|c| {
            let g = hamafza_geo::read_stored_geometry(c.geometry.as_deref()?)?;
            let class = match by_id.get(c.place.id.to_string().as_str()) {
                Some(r) => format!("c{}", shades[usize::from(r.class)]),
                None => "nodata".into(),
            };
            Some((g, class))
        })
        .collect();
    let shapes: Vec<MapShape<'_>> = parsed
        .iter()
        .map(|(g, class)| MapShape {
            label: "",
            href: "#",
            geometry: g,
            class,
        })
        .collect();
    let class_colours: Vec<(String, &str)> =
        (0..5).map(|i| (format!("c{i}"), colours[i])).collect();
    let class_colours: Vec<(&str, &str)> = class_colours
        .iter()
        .map(|(c, h)| (c.as_str(), *h))
        .collect();
    let map_svg = with_colours(&render_map(&shapes, 480.0, &index.name_fa), &class_colours);
    let legend = CLASS_FA
        .iter()
        .enumerate()
        .map(|(c, label)| (colours[shades[c]].to_string(), label.to_string()))
        .chain(std::iter::once((
            "#ffffff".to_string(),
            "رتبه‌بندی نشده".to_string(),
        )))
        .collect();

    let name = |id: &str| {
        ranking
            .places
            .get(id)
            .map(|p| p.name_fa.clone())
            .unwrap_or_default()
    };
    let shown: Vec<&hamafza_core::priority::Ranked> = ranking
        .outcome
        .ranked
        .iter()
        .filter(|r| ranking.shown.contains(&r.id))
        .collect();
    let rows = shown
        .iter()
        .map(|r| ProfileRow {
            rank: format_int(r.rank as i64),
            name: name(&r.id),
            decile: format_int(i64::from(r.decile)),
            class: CLASS_FA[usize::from(r.class)].to_string(),
            flags: format_int(r.flag_count as i64),
        })
        .collect();
    let drivers = shown
        .iter()
        .take(5)
        .map(|r| {
            let mut order: Vec<usize> = (0..ranking.indicators.len()).collect();
            let share = |k: usize| index.items[k].weight * r.standardised[k];
            order.sort_by(|&a, &b| share(b).total_cmp(&share(a)));
            let top = order
                .iter()
                .take(3)
                .map(|&k| {
                    format!(
                        "{} (صدک {})",
                        ranking.indicators[k].name_fa,
                        format_int((r.percentiles[k] * 100.0).round() as i64)
                    )
                })
                .collect::<Vec<_>>()
                .join("، ");
            (name(&r.id), top)
        })
        .collect();

    // Hot spots of every category over the same period.
    let categories: Vec<String> = state
        .store
        .event_categories(&scope(&user.actor, Action::ViewAtlas))
        .await?
        .into_iter()
        .map(|c| c.code)
        .collect();
    let (first, _) = hamafza_store::atlas::month_range(period);
    let (_, last) = hamafza_store::atlas::month_range(period);
    let hot = super::hotspot_pages::compute(&state, &place, &categories, (&first, &last), 0, false)
        .await?;
    let k = atlas::threshold_for(actor, state.small_count);
    let locator = state.locator.get(&state.store).await?;
    let mut strongest: Vec<usize> = (0..hot.cells.len())
        .filter(|&i| hot.spots[i] >= Spot::Hot90)
        .collect();
    strongest.sort_by(|&a, &b| hot.g.z[b].total_cmp(&hot.g.z[a]));
    let hotspot_cells = strongest
        .iter()
        .take(12)
        .map(|&i| {
            let centre = hexbin::cell_outline(hot.cells[i]);
            let (x, y) = centre
                .iter()
                .fold((0.0, 0.0), |a, p| (a.0 + p.0 / 6.0, a.1 + p.1 / 6.0));
            let where_ = locator
                .place(x, y)
                .map(|(id, _)| id.clone())
                .and_then(|id| ranking.places.get(&id).map(|p| p.name_fa.clone()))
                .unwrap_or_default();
            let n = hot.y[i];
            vec![
                hexbin::cell_name(hot.cells[i]),
                where_,
                if k.is_some_and(|k| hamafza_core::indicator::is_small(n, k)) {
                    "کم".into()
                } else {
                    format_int(n as i64)
                },
                value_fa(hot.g.z[i]),
            ]
        })
        .collect();
    let hotspot_counts = [
        Spot::Hot99,
        Spot::Hot95,
        Spot::Hot90,
        Spot::Cold90,
        Spot::Cold95,
        Spot::Cold99,
    ]
    .iter()
    .map(|s| {
        (
            s.label_fa().to_string(),
            format_int(hot.spots.iter().filter(|x| *x == s).count() as i64),
        )
    })
    .collect();
    let profile = DistrictProfile {
        place: place.name_fa.clone(),
        period: period.label(),
        index: format!("{} (نسخهٔ {})", index.name_fa, format_int(index.version)),
        made_on: today.format_numeric(),
        method: vec![
            "هر شاخص به رتبهٔ صدکی در میان زیرمجموعه‌ها تبدیل می‌شود؛ عدد بیشتر یعنی وضع بدتر.".into(),
            "رتبه‌های صدکی در هر محور جمع و جمع محورها رتبه‌بندی می‌شود (نه میانگین رتبه‌ها).".into(),
            "دهک ۱۰ بدترین دهم و رده‌ها چهار ربع‌اند؛ شاخص‌های صدک ۹۰ و بالاتر پرچم می‌خورند.".into(),
            format!(
                "مکان‌های کمتر از {} نفر رتبه‌بندی نمی‌شوند.",
                format_int(index.min_population)
            ),
        ],
        map_svg,
        legend,
        ranking: rows,
        drivers,
        hotspot_note: format!(
            "آمارهٔ Getis-Ord Gi* روی {} یاختهٔ شش‌ضلعی H3 (وضوح ۹) درون {} برای همهٔ رویدادهای {}؛ اطمینان از z دوطرفه.",
            format_int(hot.cells.len() as i64),
            place.name_fa,
            to_persian(&period.label())
        ),
        hotspot_counts,
        hotspot_cells,
    };
    let file = format!("profile-{}-{}.pdf", place.code, period.code());
    let bytes = tokio::task::spawn_blocking(move || profile.pdf())
        .await
        .map_err(AppError::from_join)?
        .map_err(|e| {
            tracing::error!(error = %e, "profile typesetting failed");
            AppError::Internal
        })?;
    Ok(download(bytes, "application/pdf", &file))
}
