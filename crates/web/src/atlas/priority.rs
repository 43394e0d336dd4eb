//! Running a saved priority index over the children of a place: gathering each
//! indicator's values for the reference set (shrunk toward the parent's rate when the
//! index asks), ranking with `hamafza_core::priority`, and the change over a span.

use std::collections::HashMap;
use std::sync::Arc;

use hamafza_core::access::Actor;
use hamafza_core::indicator::{Denominator, Worse, rate};
use hamafza_core::jalali::Period;
use hamafza_core::place::PlaceLevel;
use hamafza_core::priority::{self, Dynamics, Item, Outcome, Settings, Unit};
use hamafza_store::{Indicator, Place, PriorityIndex, Reference, Store, StoreResult};

use crate::atlas;

/// An index run: the indicators, the ranked outcome, and what each place is.
pub struct Ranking {
    pub indicators: Vec<Indicator>,
    pub outcome: Outcome,
    /// Every place of the reference set, by id.
    pub places: HashMap<String, Place>,
    /// The ids of the chosen place's children (what the page lists and draws).
    pub shown: Vec<String>,
    /// Raw values per place, in item order (for the explanation view).
    pub values: HashMap<String, Vec<Option<f64>>>,
    /// Status × change, when a span was asked.
    pub dynamics: HashMap<String, Dynamics>,
}

/// The index's indicators, if the caller may see every one of them.
pub async fn indicators_for(
    store: &Store,
    actor: &Actor,
    index: &PriorityIndex,
) -> StoreResult<Option<Vec<Indicator>>> {
    let mut out = Vec::new();
    for item in &index.items {
        match store.indicator(&item.indicator).await? {
            Some(i) if atlas::may_see(actor, &i) => out.push(i),
            _ => return Ok(None),
        }
    }
    Ok(Some(out))
}

/// Fewer ranked places than this get no deciles and no classes: a tenth of a handful
/// of places means nothing (the page says so instead).
pub const MIN_FOR_DECILES: usize = 10;

/// The reference set for ranking the places shown under `place` (its children, or
/// every place of one level under it): with `siblings`, the shown places themselves.
async fn reference_places(
    store: &Store,
    index: &PriorityIndex,
    place: &Place,
    children: &[Place],
) -> StoreResult<Vec<Place>> {
    let Some(level) = children.first().map(|c| c.level) else {
        return Ok(Vec::new());
    };
    let root = |depth: usize| -> String {
        let ids: Vec<&str> = place.path.trim_matches('/').split('/').collect();
        format!("/{}/", ids[..depth.min(ids.len())].join("/"))
    };
    match index.reference {
        Reference::Siblings => Ok(children.to_vec()),
        Reference::Province => store.places_at_level_within(level, &root(1)).await,
        Reference::Country => store.places_at_level_within(level, "/").await,
    }
}

/// Each place's value of one indicator in a period (shrunk if asked and possible).
async fn values_of(
    store: &Store,
    indicator: &Indicator,
    places: &[Place],
    period: Period,
    shrink: bool,
) -> StoreResult<Vec<Option<f64>>> {
    let ids: Vec<String> = places.iter().map(|p| p.id.to_string()).collect();
    let numerators = store.numerators(indicator, &ids, period).await?;
    let denominators: Vec<Option<f64>> = places
        .iter()
        .map(|p| atlas::denominator_of(indicator, p))
        .collect();
    if shrink && indicator.numerator_is_count && indicator.denominator == Denominator::Population {
        let counts: Vec<f64> = places
            .iter()
            .map(|p| numerators.get(&p.id.to_string()).copied().unwrap_or(0.0))
            .collect();
        let pops: Vec<f64> = denominators.iter().map(|d| d.unwrap_or(0.0)).collect();
        let (x, n): (f64, f64) = (counts.iter().sum(), pops.iter().sum());
        // The prior is the parent's rate: all events over all residents of the set.
        let prior = if n > 0.0 { x / n } else { 0.0 };
        return Ok(priority::shrink_rates(&counts, &pops, prior)
            .into_iter()
            .zip(places)
            .map(|(r, p)| {
                r.filter(|_| numerators.contains_key(&p.id.to_string()))
                    .map(|r| r * indicator.rate_base)
            })
            .collect());
    }
    Ok(places
        .iter()
        .zip(&denominators)
        .map(|(p, d)| {
            numerators
                .get(&p.id.to_string())
                .and_then(|n| rate(*n, indicator.denominator, *d, indicator.rate_base))
        })
        .collect())
}

/// Which places under a place are ranked: its children, or every place of a deeper
/// level (the neighbourhoods of a whole city).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranked {
    Children,
    Level(PlaceLevel),
}

impl Ranked {
    /// From a query's `level`: a level below `place`'s children ranks every place of
    /// it; the children's own level, an absent or a higher one ranks the children. An
    /// unknown level is refused naming the field.
    pub fn from_param(
        given: Option<&str>,
        place: &Place,
    ) -> Result<Ranked, crate::error::AppError> {
        let Some(code) = given.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(Ranked::Children);
        };
        let level = PlaceLevel::from_code(code).ok_or_else(|| {
            crate::error::AppError::invalid(
                "level",
                "سطح مکان ناشناخته است: province، county، city، district، subdistrict یا neighbourhood",
            )
        })?;
        Ok(if level.depth() > place.level.depth() + 1 {
            Ranked::Level(level)
        } else {
            Ranked::Children
        })
    }
}

/// What the priority page, the district profile and `GET /api/v1/priority` share: the
/// index run over the places under `place` that `actor` may see — its children, or
/// every place of a deeper level (`ranked`) — with their boundaries when a map is to be
/// drawn (`with_geometry`). "Not found" when the actor may not see every indicator of
/// the index. Runs are kept until the atlas's data moves (`cache`), by everything they
/// depend on: the caller's scope, the index's version, the place, the level and the
/// periods.
pub async fn rank_children_of(
    state: &crate::AppState,
    user: &crate::auth::CurrentUser,
    index: &PriorityIndex,
    place: &Place,
    ranked: Ranked,
    (period, since): (Period, Option<Period>),
    with_geometry: bool,
) -> Result<Arc<(Ranking, Vec<hamafza_store::PlaceSummary>)>, crate::error::AppError> {
    let store = &state.store;
    let actor = &user.actor;
    let version = user.versions.atlas;
    let indicators = indicators_for(store, actor, index)
        .await?
        .ok_or(crate::error::AppError::NotFound)?;
    let visible = hamafza_core::access::scope(actor, hamafza_core::access::Action::ViewPlace);
    let key = format!(
        "{visible:?}|{}@{}|{}|{ranked:?}|{}|{:?}|{with_geometry}",
        index.code,
        index.version,
        place.id,
        period.code(),
        since.map(Period::code)
    );
    state
        .caches
        .rankings
        .get_or_make(version, key, || async {
            run_index(
                store,
                &visible,
                index,
                indicators,
                (place, ranked),
                (period, since),
                with_geometry,
            )
            .await
            .map(Arc::new)
        })
        .await
}

/// The run itself, over the places under `place` that `visible` lets through.
async fn run_index(
    store: &Store,
    visible: &hamafza_core::access::Scope,
    index: &PriorityIndex,
    indicators: Vec<Indicator>,
    (place, ranked): (&Place, Ranked),
    (period, since): (Period, Option<Period>),
    with_geometry: bool,
) -> Result<(Ranking, Vec<hamafza_store::PlaceSummary>), crate::error::AppError> {
    let children_geo = match ranked {
        Ranked::Level(level) => {
            store
                .descendants_at_level(visible, place, level, with_geometry)
                .await?
        }
        Ranked::Children if with_geometry => {
            store
                .children_with_geometry(visible, Some(place.id))
                .await?
        }
        Ranked::Children => store.children(visible, Some(place.id)).await?,
    };
    let children: Vec<Place> = children_geo.iter().map(|c| c.place.clone()).collect();
    let ranking = rank(store, index, indicators, place, &children, period, since).await?;
    Ok((ranking, children_geo))
}

/// A period as a query names it (`1403`, `1403Q2`, `1403-07`), or `default` when absent;
/// one that is not a period is refused with the field named.
pub fn period_param(
    field: &str,
    given: Option<&str>,
    default: Option<Period>,
) -> Result<Option<Period>, crate::error::AppError> {
    match given.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Period::parse(s)
            .map(Some)
            .map_err(|e| crate::error::AppError::invalid(field, e.to_string())),
        None => Ok(default),
    }
}

/// Runs the index for the children of `place` in `period`; with `since`, also the
/// change since that period.
pub async fn rank(
    store: &Store,
    index: &PriorityIndex,
    indicators: Vec<Indicator>,
    place: &Place,
    children: &[Place],
    period: Period,
    since: Option<Period>,
) -> StoreResult<Ranking> {
    let reference = reference_places(store, index, place, children).await?;
    let items: Vec<Item> = index
        .items
        .iter()
        .zip(&indicators)
        .map(|(w, i)| Item {
            code: i.code.clone(),
            theme: i.theme.clone(),
            weight: w.weight,
            higher_is_worse: i.worse == Worse::Higher,
        })
        .collect();
    let mut columns = Vec::with_capacity(indicators.len());
    for ind in &indicators {
        columns.push(values_of(store, ind, &reference, period, index.shrink).await?);
    }
    let units: Vec<Unit> = reference
        .iter()
        .enumerate()
        .map(|(row, p)| Unit {
            id: p.id.to_string(),
            population: p.population.map(|v| v as f64),
            values: columns.iter().map(|c| c[row]).collect(),
        })
        .collect();
    let settings = Settings {
        standardise: index.standardise,
        min_population: index.min_population as f64,
        flag_at: 0.9,
    };
    let outcome = priority::compute(&items, &units, settings);

    let mut dynamics = HashMap::new();
    if let Some(base) = since {
        // Change of each indicator, turned so that up is worse, standardised by
        // percentile rank over the places that have both periods, then summed.
        let mut before = Vec::with_capacity(indicators.len());
        for ind in &indicators {
            before.push(values_of(store, ind, &reference, base, index.shrink).await?);
        }
        let mut ids = Vec::new();
        let mut change_columns: Vec<Vec<f64>> = vec![Vec::new(); items.len()];
        for (row, p) in reference.iter().enumerate() {
            let diffs: Option<Vec<f64>> = items
                .iter()
                .enumerate()
                .map(|(k, item)| {
                    let d = columns[k][row]? - before[k][row]?;
                    Some(if item.higher_is_worse { d } else { -d })
                })
                .collect();
            if let Some(diffs) = diffs {
                ids.push(p.id.to_string());
                for (k, d) in diffs.into_iter().enumerate() {
                    change_columns[k].push(d);
                }
            }
        }
        let mut scores = vec![0.0; ids.len()];
        for (k, column) in change_columns.iter().enumerate() {
            for (s, p) in scores.iter_mut().zip(priority::percentile_ranks(column)) {
                *s += items[k].weight * p;
            }
        }
        for (id, d) in ids.into_iter().zip(priority::dynamics_of(&scores)) {
            dynamics.insert(id, d);
        }
    }
    let values = reference
        .iter()
        .enumerate()
        .map(|(row, p)| (p.id.to_string(), columns.iter().map(|c| c[row]).collect()))
        .collect();
    Ok(Ranking {
        indicators,
        outcome,
        shown: children.iter().map(|c| c.id.to_string()).collect(),
        places: reference
            .into_iter()
            .map(|p| (p.id.to_string(), p))
            .collect(),
        values,
        dynamics,
    })
}

impl Ranking {
    /// How many of the shown places were ranked.
    pub fn shown_ranked(&self) -> usize {
        self.outcome
            .ranked
            .iter()
            .filter(|r| self.shown.contains(&r.id))
            .count()
    }

    /// The level of the shown places.
    pub fn shown_level(&self) -> Option<PlaceLevel> {
        self.shown
            .first()
            .and_then(|id| self.places.get(id))
            .map(|p| p.level)
    }

    /// What each place was standardised against, in words.
    pub fn reference_fa(&self, index: &PriorityIndex, place: &Place) -> String {
        let level = self.shown_level().map_or("مکان", |l| l.name_fa());
        match index.reference {
            Reference::Siblings => format!(
                "همهٔ {}‌های {} ({} مکان)",
                level,
                place.name_fa,
                hamafza_core::digits::to_persian(&self.shown.len().to_string())
            ),
            Reference::Province => format!("همهٔ {level}‌های استان"),
            Reference::Country => format!("همهٔ {level}‌های کشور"),
        }
    }
}

/// The class names, from the least to the most critical quarter.
pub const CLASS_FA: [&str; 4] = ["کم", "متوسط رو به پایین", "متوسط رو به بالا", "بحرانی"];

pub fn dynamics_fa(d: Dynamics) -> &'static str {
    match d {
        Dynamics::Improving => "رو به بهبود",
        Dynamics::Stable => "پایدار",
        Dynamics::Declining => "رو به وخامت",
    }
}
