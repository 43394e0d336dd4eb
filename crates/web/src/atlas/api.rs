//! `/api/v1/events`, `/api/v1/indicators`, `/api/v1/atlas`: events in, the indicator
//! dictionary, supplied values, and indicator values by place (small counts hidden for
//! callers without restricted access).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hamafza_core::access::{Action, Target, decide, scope};
use hamafza_core::indicator::Numerator;
use hamafza_core::jalali::{JalaliDate, Period};
use hamafza_core::place::PlaceLevel;
use hamafza_store::atlas_sheet;
use hamafza_store::{NewEvent, Who};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::atlas::priority::{MIN_FOR_DECILES, Ranked, period_param, rank_children_of};
use crate::atlas::{self, MapRequest};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::ApiUser;
use crate::extract::{ApiJson, ApiQuery};

pub async fn categories(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, AppError> {
    Ok(Json(
        json!({ "categories": state.store.event_categories(&scope(&user.actor, Action::ViewAtlas)).await? }),
    ))
}

#[derive(Deserialize)]
pub struct EventIn {
    category: String,
    /// RFC 3339, or a Jalali date with an optional Tehran time.
    occurred_at: String,
    lon: f64,
    lat: f64,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub enum EventsIn {
    Many { events: Vec<EventIn> },
    One(EventIn),
}

/// Records one event or a batch; all or nothing.
pub async fn record(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<EventsIn>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let list = match body {
        EventsIn::Many { events } => events,
        EventsIn::One(e) => vec![e],
    };
    let mut events = Vec::with_capacity(list.len());
    for (i, e) in list.into_iter().enumerate() {
        let occurred_at = hamafza_core::jalali::parse_instant(&e.occurred_at).ok_or_else(|| {
            AppError::validation(
                format!("رویداد {}: زمان خوانده نشد", i + 1),
                json!([{ "index": i, "field": "occurred_at" }]),
            )
        })?;
        events.push(NewEvent {
            category: e.category,
            occurred_at,
            lon: e.lon,
            lat: e.lat,
            agency_id: user.actor.agency_id.into(),
            note: e.note.filter(|n| !n.trim().is_empty()),
        });
    }
    let recorded = record_checked(&state, &user, &events).await?;
    Ok((StatusCode::CREATED, Json(json!({ "events": recorded }))))
}

/// Records events after checking the caller's role and that every placed event lies in
/// the caller's jurisdiction. Events in no place are kept (and flagged).
async fn record_checked(
    state: &AppState,
    user: &CurrentUser,
    events: &[NewEvent],
) -> Result<Vec<hamafza_store::RecordedEvent>, AppError> {
    if !atlas::may_record_events(&user.actor) {
        return Err(AppError::forbidden("ثبت رویداد با نقش شما ممکن نیست."));
    }
    let locator = state.locator.get(&state.store).await?;
    for (i, e) in events.iter().enumerate() {
        if let Some((leaf, _)) = locator.place(e.lon, e.lat) {
            // The locator holds the ids as stored text.
            let leaf = leaf.parse().map_err(|_| AppError::Internal)?;
            let place = state.store.place_by_id(leaf).await?;
            let d = decide(
                &user.actor,
                Action::ViewPlace,
                Target::Place { path: &place.path },
            );
            if !user.actor.covers(&place.path) || !d.is_allowed() {
                return Err(AppError::forbidden(format!(
                    "رویداد {} در «{}» است که در حوزهٔ شما نیست.",
                    i + 1,
                    place.name_fa
                )));
            }
        }
    }
    Ok(state
        .store
        .record_events(&Who::of(&user.actor), &locator, events)
        .await?)
}

/// Bulk events from CSV or XLSX (the body is the file); all or nothing.
pub async fn import_events(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let bytes = body.to_vec();
    let table =
        tokio::task::spawn_blocking(move || hamafza_report::spreadsheet::read_table(&bytes))
            .await
            .map_err(AppError::from_join)?
            .map_err(AppError::bad_request)?;
    let events = atlas_sheet::plan_events(&state.store, &table, user.actor.agency_id.into())
        .await?
        .map_err(|rows| {
            AppError::validation(
                "هیچ رویدادی ثبت نشد؛ ردیف‌های نادرست را درست کنید و دوباره بفرستید",
                crate::words::rows_json(&rows),
            )
        })?;
    let recorded = record_checked(&state, &user, &events).await?;
    let unplaced = recorded.iter().filter(|e| e.place_id.is_none()).count();
    Ok((
        StatusCode::CREATED,
        Json(json!({ "imported": recorded.len(), "outside_every_place": unplaced })),
    ))
}

pub async fn indicators(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, AppError> {
    let list: Vec<_> = state
        .store
        .indicators(&hamafza_core::access::scope(
            &user.actor,
            hamafza_core::access::Action::ViewIndicator,
        ))
        .await?;
    Ok(Json(json!({ "indicators": list })))
}

pub async fn indicator(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
) -> Result<Json<Value>, AppError> {
    let versions = state.store.indicator_versions(&code).await?;
    match versions.first() {
        Some(latest) if atlas::may_see(&user.actor, latest) => {
            Ok(Json(json!({ "indicator": latest, "versions": versions })))
        }
        _ => Err(AppError::not_found()),
    }
}

/// Defines an indicator, or the next version of one.
pub async fn define(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(d): ApiJson<atlas::IndicatorIn>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    if !atlas::may_define(&user.actor) {
        return Err(AppError::forbidden("تعریف شاخص با نقش شما ممکن نیست."));
    }
    let def = atlas::indicator_definition(&state.store, d)
        .await?
        .map_err(|(name, msg)| AppError::validation(msg, json!([{ "field": name }])))?;
    let saved = state
        .store
        .save_indicator(&Who::of(&user.actor), &def)
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "indicator": saved }))))
}

/// Supplied values from CSV or XLSX (`کد مکان, دوره, مقدار`); all or nothing.
pub async fn import_values(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(code): Path<String>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), AppError> {
    if !atlas::may_supply(&user.actor) {
        return Err(AppError::forbidden("ورود مقدار شاخص با نقش شما ممکن نیست."));
    }
    let indicator = state
        .store
        .indicator(&code)
        .await?
        .ok_or_else(AppError::not_found)?;
    if indicator.numerator != Numerator::Imported {
        return Err(AppError::bad_request(
            "این شاخص از رویدادها شمرده می‌شود و مقدار واردشدنی ندارد.",
        ));
    }
    let bytes = body.to_vec();
    let table =
        tokio::task::spawn_blocking(move || hamafza_report::spreadsheet::read_table(&bytes))
            .await
            .map_err(AppError::from_join)?
            .map_err(AppError::bad_request)?;
    let values = atlas_sheet::plan_values(&state.store, &table)
        .await?
        .map_err(|rows| {
            AppError::validation(
                "هیچ مقداری وارد نشد؛ ردیف‌های نادرست را درست کنید و دوباره بفرستید",
                crate::words::rows_json(&rows),
            )
        })?;
    for v in &values {
        let place = state.store.place_by_id(v.place_id).await?;
        if !user.actor.covers(&place.path) {
            return Err(AppError::forbidden(format!(
                "«{}» در حوزهٔ شما نیست.",
                place.name_fa
            )));
        }
    }
    let n = state
        .store
        .set_indicator_values(&Who::of(&user.actor), &code, &values, "import")
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "imported": n }))))
}

#[derive(Deserialize)]
pub struct AtlasQuery {
    place: String,
    indicator: String,
    period: Option<String>,
    method: Option<String>,
}

/// The values of a place's children (and the place itself) for one indicator and period,
/// kept until the atlas's data moves for callers who would get the same answer: the same
/// places in view, the same indicators visible, the same small-count threshold.
pub async fn values(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<AtlasQuery>,
) -> Result<axum::response::Response, AppError> {
    let actor = &user.actor;
    let default = super::view::default_period(JalaliDate::from_gregorian(state.clock.today()));
    let key = format!(
        "atlas|{:?}|{}|{:?}|{}|{}|{}|{:?}",
        scope(actor, Action::ViewPlace),
        hamafza_core::access::sees_restricted(actor),
        atlas::threshold_for(actor, state.small_count),
        q.place,
        q.indicator,
        q.period
            .clone()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| default.code()),
        q.method
    );
    crate::cache::kept_json(&state.caches.answers, user.versions.atlas, key, || {
        gather(&state, &user, &q)
    })
    .await
}

async fn gather(state: &AppState, user: &CurrentUser, q: &AtlasQuery) -> Result<Value, AppError> {
    let actor = &user.actor;
    let place = atlas::visible_place(&state.store, actor, &q.place)
        .await?
        .ok_or_else(AppError::not_found)?;
    let indicator = state
        .store
        .indicator(&q.indicator)
        .await?
        .filter(|i| atlas::may_see(actor, i))
        .ok_or_else(AppError::not_found)?;
    let period = match q.period.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => Period::parse(p)
            .map_err(|e| AppError::validation(e.to_string(), json!([{ "field": "period" }])))?,
        None => super::view::default_period(JalaliDate::from_gregorian(state.clock.today())),
    };
    let method = atlas::method_from(q.method.as_deref());
    let data = atlas::map_data(
        state,
        user.versions.atlas,
        actor,
        &MapRequest {
            place: &place,
            indicator: &indicator,
            period,
            method,
            classes: 5,
            threshold: atlas::threshold_for(&user.actor, state.small_count),
        },
    )
    .await?;
    let places: Vec<Value> = data
        .rows
        .iter()
        .map(|r| {
            json!({
                "id": r.place.place.id,
                "code": r.place.place.code,
                "name_fa": r.place.place.name_fa,
                "value": r.shown,
                "class": r.class,
            })
        })
        .collect();
    Ok(json!({
            "place": { "id": place.id, "code": place.code, "name_fa": place.name_fa, "value": data.own },
            "indicator": { "code": indicator.code, "version": indicator.version, "name_fa": indicator.name_fa },
            "period": period.code(),
            "method": atlas::method_code(method),
            "breaks": data.bounds,
            "small_count_threshold": atlas::threshold_for(actor, state.small_count),
            "places": places,
    }))
}

/// Values by place as CSV, XLSX or GeoJSON (suppression applied for the caller; always
/// with `public`).
pub async fn export(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<crate::atlas::export::ExportQuery>,
) -> Result<axum::response::Response, AppError> {
    crate::atlas::export::export(&state, &user, &q).await
}

#[derive(Deserialize)]
pub struct CategoryIn {
    code: String,
    name_fa: String,
    #[serde(default)]
    name_en: String,
}

/// Adds an event category (or renames one): system administrators and analysts.
pub async fn save_category(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(c): ApiJson<CategoryIn>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    if !atlas::may_define(&user.actor) {
        return Err(AppError::forbidden(
            "تعریف دستهٔ رویداد با نقش شما ممکن نیست.",
        ));
    }
    state
        .store
        .save_event_category(&Who::of(&user.actor), &c.code, &c.name_fa, &c.name_en)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "categories": state.store.event_categories(&scope(&user.actor, Action::ViewAtlas)).await? }),
        ),
    ))
}

pub async fn priority_indices(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, AppError> {
    Ok(Json(
        json!({ "indices": state.store.priority_indices(&scope(&user.actor, Action::ViewAtlas)).await? }),
    ))
}

#[derive(Deserialize)]
pub struct PriorityIndexIn {
    code: String,
    name_fa: String,
    #[serde(default = "siblings")]
    reference: String,
    #[serde(default = "percentile")]
    standardise: String,
    #[serde(default)]
    min_population: i64,
    #[serde(default)]
    shrink: bool,
    items: Vec<hamafza_store::WeightedIndicator>,
    note_fa: Option<String>,
}

fn siblings() -> String {
    "siblings".into()
}
fn percentile() -> String {
    "percentile".into()
}

/// Saves a named weight set (the next version of its code): system administrators and
/// analysts.
pub async fn save_priority_index(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(d): ApiJson<PriorityIndexIn>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    if !atlas::may_define_priority(&user.actor) {
        return Err(AppError::forbidden(
            "تعریف شاخص اولویت با نقش شما ممکن نیست.",
        ));
    }
    let field =
        |name: &str, msg: &str| AppError::validation(msg.to_string(), json!([{ "field": name }]));
    let saved = state
        .store
        .save_priority_index(
            &Who::of(&user.actor),
            &hamafza_store::NewPriorityIndex {
                code: d.code,
                name_fa: d.name_fa,
                reference: hamafza_store::Reference::from_code(&d.reference).ok_or_else(|| {
                    field(
                        "reference",
                        "reference باید siblings، province یا country باشد",
                    )
                })?,
                standardise: hamafza_core::priority::Standardise::from_code(&d.standardise)
                    .ok_or_else(|| {
                        field("standardise", "standardise باید percentile یا zscore باشد")
                    })?,
                min_population: d.min_population.max(0),
                shrink: d.shrink,
                items: d.items,
                note_fa: d.note_fa,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "index": saved }))))
}

#[derive(Deserialize)]
pub struct RankQuery {
    index: String,
    place: String,
    period: Option<String>,
    since: Option<String>,
    /// Rank every place of this level under `place` (e.g. `neighbourhood` under a
    /// city), not only its children.
    level: Option<String>,
}

/// A saved index run over the children of a place: rank, percentile, decile, class,
/// flags and theme sums per place, and the change class when `since` is given.
pub async fn rank(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<RankQuery>,
) -> Result<axum::response::Response, AppError> {
    // Kept like the atlas's values: by the caller's places and indicators in view.
    let actor = &user.actor;
    let key = format!(
        "priority|{:?}|{}|{}|{}|{:?}|{:?}|{:?}|{}",
        scope(actor, Action::ViewPlace),
        hamafza_core::access::sees_restricted(actor),
        q.index,
        q.place,
        q.level,
        q.period,
        q.since,
        state.clock.today()
    );
    crate::cache::kept_json(&state.caches.answers, user.versions.atlas, key, || {
        run_index(&state, &user, &q)
    })
    .await
}

async fn run_index(state: &AppState, user: &CurrentUser, q: &RankQuery) -> Result<Value, AppError> {
    let actor = &user.actor;
    let index = state
        .store
        .priority_index(&q.index, None)
        .await?
        .ok_or_else(AppError::not_found)?;
    let place = atlas::visible_place(&state.store, actor, &q.place)
        .await?
        .ok_or_else(AppError::not_found)?;
    let today = JalaliDate::from_gregorian(state.clock.today());
    let last_year = Period::Year(today.year - 1);
    let period = period_param("period", q.period.as_deref(), Some(last_year))?.unwrap_or(last_year);
    let since = period_param("since", q.since.as_deref(), None)?;
    let ranked = Ranked::from_param(q.level.as_deref(), &place)?;
    let run = rank_children_of(state, user, &index, &place, ranked, (period, since), false).await?;
    let ranking = &run.0;
    // Deciles and classes of a handful of places mean nothing: left out, and said.
    let graded = ranking.shown_ranked() >= MIN_FOR_DECILES;
    let places: Vec<Value> = ranking
        .outcome
        .ranked
        .iter()
        .filter(|r| ranking.shown.contains(&r.id))
        .map(|r| {
            let p = &ranking.places[&r.id];
            json!({
                "id": r.id, "code": p.code, "name_fa": p.name_fa,
                "rank": r.rank, "percentile": r.percentile,
                "decile": graded.then_some(r.decile), "class": graded.then_some(r.class),
                "score": r.score, "theme_sums": r.theme_sums, "flags": r.flags, "flag_count": r.flag_count,
                "dynamics": ranking.dynamics.get(&r.id),
            })
        })
        .collect();
    let excluded: Vec<Value> = ranking
        .outcome
        .excluded
        .iter()
        .filter(|(id, _)| ranking.shown.contains(id))
        .map(|(id, why)| json!({ "id": id, "reason": why }))
        .collect();
    Ok(json!({
        "index": { "code": index.code, "version": index.version, "name_fa": index.name_fa },
        "period": period.code(),
        "since": since.map(Period::code),
        "level": ranking.shown_level().map(PlaceLevel::code),
        "reference": ranking.reference_fa(&index, &place),
        "graded": graded,
        "themes": ranking.outcome.themes,
        "indicators": ranking.indicators.iter().map(|i| &i.code).collect::<Vec<_>>(),
        "places": places,
        "excluded": excluded,
    }))
}
