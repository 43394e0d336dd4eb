//! What the atlas pages and API share: the place index for events, who may see which
//! indicator, and the values of a place's children as the caller may see them.

pub mod api;
pub mod export;
pub mod hotspot_pages;
pub mod indicator_pages;
pub mod pages;
pub mod priority;
pub mod priority_form;
pub mod priority_pages;
pub mod profile;
pub mod trend_pages;
pub mod view;

use std::sync::Arc;

use hamafza_core::access::{Action, Actor, Target, decide, scope};
use hamafza_core::classify::{self, Method};
use hamafza_core::indicator::{Denominator, Numerator, Publication, Shown, Worse, rate};
use hamafza_core::jalali::Period;
use hamafza_store::{
    Indicator, NewIndicator, Place, PlaceLocator, PlaceSummary, Store, StoreResult,
};
use tokio::sync::RwLock;

/// The leaf places' point-in-polygon index, built on first use and dropped when places
/// change, so events are placed from memory.
#[derive(Default)]
pub struct LocatorCache(RwLock<Option<(i64, Arc<PlaceLocator>)>>);

impl LocatorCache {
    /// The index, rebuilt when the places changed since it was built — through this
    /// server or another on the same database (one indexed read of `data_versions`).
    pub async fn get(&self, store: &Store) -> StoreResult<Arc<PlaceLocator>> {
        let version = store.data_version("places").await?;
        if let Some((v, l)) = self.0.read().await.as_ref()
            && *v == version
        {
            return Ok(l.clone());
        }
        let mut slot = self.0.write().await;
        if let Some((v, l)) = slot.as_ref()
            && *v == version
        {
            return Ok(l.clone());
        }
        let built = Arc::new(store.place_locator().await?);
        *slot = Some((version, built.clone()));
        Ok(built)
    }

    /// Forget the index (after an import of places).
    pub async fn invalidate(&self) {
        *self.0.write().await = None;
    }
}

// The atlas's questions to the access policy (`hamafza_core::access`), by name.

/// Whether the caller may see the indicator at all.
pub fn may_see(actor: &Actor, indicator: &Indicator) -> bool {
    let restricted = indicator.publication != Publication::Public;
    decide(
        actor,
        Action::ViewIndicator,
        Target::Indicator { restricted },
    )
    .is_allowed()
}

/// Who may write the dictionary (and event categories).
pub fn may_define(actor: &Actor) -> bool {
    decide(actor, Action::DefineIndicators, Target::Collection).is_allowed()
}

/// Who may write priority indices (weight sets).
pub fn may_define_priority(actor: &Actor) -> bool {
    decide(actor, Action::DefinePriorityIndices, Target::Collection).is_allowed()
}

/// Who may supply values.
pub fn may_supply(actor: &Actor) -> bool {
    decide(actor, Action::SupplyValues, Target::Collection).is_allowed()
}

/// Who may record events.
pub fn may_record_events(actor: &Actor) -> bool {
    decide(actor, Action::RecordEvents, Target::Collection).is_allowed()
}

/// The threshold that applies to the caller: `None` for restricted access.
pub fn threshold_for(actor: &Actor, k: i64) -> Option<i64> {
    let sees_small = decide(actor, Action::SeeSmallCounts, Target::Collection).is_allowed();
    (!sees_small).then_some(k)
}

/// One child place on a map: its value as the caller may see it, and its class.
pub struct MapRow {
    pub place: PlaceSummary,
    pub shown: Shown,
    pub class: Option<usize>,
}

/// The children of a place with the indicator's values for a period.
pub struct MapData {
    pub rows: Vec<MapRow>,
    pub bounds: Vec<f64>,
    /// The place's own value (for the headline and trends).
    pub own: Shown,
}

/// What a map shows: an indicator for the children of a place in a period.
pub struct MapRequest<'a> {
    pub place: &'a Place,
    pub indicator: &'a Indicator,
    pub period: Period,
    pub method: Method,
    pub classes: usize,
    /// Counts below this are hidden (`threshold_for` the caller, or always for a
    /// public export); `None` shows every count.
    pub threshold: Option<i64>,
}

/// Values of the visible children of `place` (and the place itself), classified, as
/// kept since the atlas's data last moved (`cache`; `version` is the caller's
/// `versions.atlas`): the same request from a caller with the same scope and threshold
/// gets the same answer.
pub async fn map_data(
    state: &crate::AppState,
    version: i64,
    actor: &Actor,
    req: &MapRequest<'_>,
) -> StoreResult<Arc<MapData>> {
    let key = map_key(actor, req);
    state
        .caches
        .maps
        .get_or_make(version, key, || async {
            Ok(Arc::new(compute_map_data(&state.store, actor, req).await?))
        })
        .await
}

/// Everything a map's answer depends on besides the data.
pub fn map_key(actor: &Actor, req: &MapRequest<'_>) -> String {
    format!(
        "{:?}|{}|{}@{}|{}|{}|{}|{:?}",
        scope(actor, Action::ViewPlace),
        req.place.id,
        req.indicator.code,
        req.indicator.version,
        req.period.code(),
        method_code(req.method),
        req.classes,
        req.threshold
    )
}

async fn compute_map_data(
    store: &Store,
    actor: &Actor,
    req: &MapRequest<'_>,
) -> StoreResult<MapData> {
    let MapRequest {
        place,
        indicator,
        period,
        method,
        classes,
        threshold,
    } = *req;
    let visible = scope(actor, Action::ViewPlace);
    let children = store
        .children_with_geometry(&visible, Some(place.id))
        .await?;
    let mut ids: Vec<String> = children.iter().map(|c| c.place.id.to_string()).collect();
    ids.push(place.id.to_string());
    let numerators = store.numerators(indicator, &ids, period).await?;
    let shown_for = |p: &Place| {
        let n = numerators.get(&p.id.to_string()).copied();
        let d = denominator_of(indicator, p);
        let v = n.and_then(|n| rate(n, indicator.denominator, d, indicator.rate_base));
        Shown::of(n, v, d, indicator.numerator_is_count, threshold)
    };
    let own = shown_for(place);
    let mut rows: Vec<MapRow> = children
        .into_iter()
        .map(|c| MapRow {
            shown: shown_for(&c.place),
            place: c,
            class: None,
        })
        .collect();
    let values: Vec<f64> = rows.iter().filter_map(|r| r.shown.value()).collect();
    let bounds = classify::breaks(&values, classes, method);
    for r in &mut rows {
        r.class = r.shown.value().and_then(|v| classify::class_of(v, &bounds));
    }
    Ok(MapData { rows, bounds, own })
}

/// The denominator an indicator divides by for a place (population or km²).
pub fn denominator_of(indicator: &Indicator, place: &Place) -> Option<f64> {
    use hamafza_core::indicator::Denominator;
    match indicator.denominator {
        Denominator::None => None,
        Denominator::Population => place.population.map(|p| p as f64),
        Denominator::Area => place.area_km2,
    }
}

/// The place a query parameter names, if it is a place id and the caller may see it.
pub async fn visible_place(store: &Store, actor: &Actor, id: &str) -> StoreResult<Option<Place>> {
    let Ok(id) = id.parse::<hamafza_core::ids::PlaceId>() else {
        return Ok(None);
    };
    let place = match store.place_by_id(id).await {
        Ok(p) => p,
        Err(hamafza_store::StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let allowed = decide(
        actor,
        Action::ViewPlace,
        Target::Place { path: &place.path },
    )
    .is_allowed();
    Ok(allowed.then_some(place))
}

/// ColorBrewer's colour-blind-safe sequential palettes, five classes, light to dark.
/// `assets/app.css` holds the same colours as `.pal-<code> .c<shade>`.
pub const PALETTES: [(&str, &str, [&str; 5]); 3] = [
    (
        "ylorrd",
        "زرد تا سرخ",
        ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"],
    ),
    (
        "blues",
        "آبی",
        ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"],
    ),
    (
        "purples",
        "بنفش",
        ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"],
    ),
];

/// The shade (0 lightest … 4 darkest) of each of `classes` classes, darkest at the
/// worse end. Pages draw shades with the CSS classes `c0`…`c4` under `pal-<palette>`.
pub fn shades(classes: usize, higher_is_worse: bool) -> Vec<usize> {
    let n = classes.clamp(1, 5);
    let mut out: Vec<usize> = (0..n)
        .map(|i| if n == 1 { 4 } else { i * 4 / (n - 1) })
        .collect();
    if !higher_is_worse {
        out.reverse();
    }
    out
}

pub fn method_from(code: Option<&str>) -> Method {
    match code {
        Some("equal") => Method::EqualInterval,
        Some("jenks") => Method::NaturalBreaks,
        _ => Method::Quantile,
    }
}

pub fn method_code(m: Method) -> &'static str {
    match m {
        Method::EqualInterval => "equal",
        Method::NaturalBreaks => "jenks",
        Method::Quantile => "quantile",
    }
}

pub fn method_fa(m: Method) -> &'static str {
    match m {
        Method::EqualInterval => "فاصله‌های برابر",
        Method::NaturalBreaks => "شکست‌های طبیعی (جنکس)",
        Method::Quantile => "چندک‌ها (تعداد برابر در هر رده)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shades_darken_toward_the_worse_end() {
        assert_eq!(shades(5, true), vec![0, 1, 2, 3, 4]);
        assert_eq!(shades(3, true), vec![0, 2, 4]);
        assert_eq!(shades(3, false), vec![4, 2, 0]);
        assert_eq!(shades(1, true), vec![4]);
    }
}

/// An indicator definition as a caller writes it: codes for the choices, the source
/// agency by its code. The API takes it as JSON and the dictionary's form fills it.
#[derive(serde::Deserialize)]
pub struct IndicatorIn {
    pub code: String,
    pub name_fa: String,
    #[serde(default)]
    pub name_en: String,
    pub theme: String,
    #[serde(default)]
    pub unit_fa: String,
    pub worse: String,
    pub numerator: String,
    #[serde(default)]
    pub categories: Vec<String>,
    pub numerator_fa: String,
    #[serde(default = "yes")]
    pub numerator_is_count: bool,
    pub denominator: String,
    #[serde(default = "one")]
    pub rate_base: f64,
    pub source_agency: Option<String>,
    #[serde(default = "public")]
    pub publication: String,
    pub note_fa: Option<String>,
}

fn yes() -> bool {
    true
}

/// A coded choice, or the field at fault with the codes it takes.
fn choice<T>(
    field: &'static str,
    parsed: Option<T>,
    allowed: &str,
) -> Result<T, (&'static str, String)> {
    parsed.ok_or_else(|| (field, format!("{field} باید یکی از {allowed} باشد.")))
}
fn one() -> f64 {
    1.0
}
fn public() -> String {
    "public".into()
}

/// The definition to save, or the field at fault and why (in Persian). What the store
/// checks itself (codes, names, categories, the rate base) it reports when saving.
pub async fn indicator_definition(
    store: &Store,
    d: IndicatorIn,
) -> StoreResult<Result<NewIndicator, (&'static str, String)>> {
    let source_agency_id = match d.source_agency.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(code) => match store.agency_by_code(code).await? {
            Some(a) => Some(a.id),
            None => return Ok(Err(("source_agency", "دستگاه منبع پیدا نشد.".into()))),
        },
    };
    let parsed = (|| {
        Ok(NewIndicator {
            worse: choice("worse", Worse::from_code(&d.worse), "higher، lower")?,
            numerator: choice(
                "numerator",
                Numerator::from_code(&d.numerator),
                "events، imported",
            )?,
            denominator: choice(
                "denominator",
                Denominator::from_code(&d.denominator),
                "none، population، area",
            )?,
            publication: choice(
                "publication",
                Publication::from_code(&d.publication),
                "public، restricted",
            )?,
            code: d.code,
            name_fa: d.name_fa,
            name_en: d.name_en,
            theme: d.theme,
            unit_fa: d.unit_fa,
            categories: d.categories,
            numerator_fa: d.numerator_fa,
            numerator_is_count: d.numerator_is_count,
            rate_base: d.rate_base,
            source_agency_id,
            note_fa: d.note_fa.filter(|n| !n.trim().is_empty()),
        })
    })();
    Ok(parsed)
}
