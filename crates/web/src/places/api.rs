//! `/api/v1/places`

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use hamafza_core::access::{Action, Target, decide, scope};
use hamafza_core::place::PlaceLevel;
use hamafza_store::{PlaceFilter, Who};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::AppError;
use crate::extract::ApiQuery;
use crate::extract::{ApiUser, PathId, allowed};
use hamafza_core::ids::PlaceId;

#[derive(Deserialize)]
pub struct ListQuery {
    level: Option<String>,
    parent: Option<String>,
    name: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
}

pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    let level = match q.level.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(l) => Some(PlaceLevel::from_code(l).ok_or_else(|| {
            AppError::bad_request(format!(
                "سطح «{}» نامعتبر است؛ یکی از: {}",
                l.chars().take(40).collect::<String>(),
                PlaceLevel::ALL.map(PlaceLevel::code).join(", ")
            ))
        })?),
    };
    let filter = PlaceFilter {
        level,
        parent_id: match q.parent.filter(|s| !s.is_empty()) {
            Some(p) => Some(p.parse().map_err(|_| {
                AppError::validation("شناسهٔ مکان والد نامعتبر است", json!([{"field": "parent"}]))
            })?),
            None => None,
        },
        name: q.name.filter(|s| !s.is_empty()),
        limit: q.limit.unwrap_or(100).clamp(1, 1000),
        offset: q.offset.unwrap_or(0),
    };
    let visible = scope(&user.actor, Action::ViewPlace);
    // The answer depends on the scope and the filter only (see `cache`).
    let version = user.versions.places;
    let key = format!("{visible:?}|{filter:?}");
    let answer = match state.caches.place_lists.get(version, &key) {
        Some(answer) => answer,
        None => {
            let (items, total) = state.store.list_places(&visible, &filter).await?;
            let body = json!({ "items": items, "total": total, "limit": filter.limit, "offset": filter.offset });
            let answer = axum::body::Bytes::from(body.to_string());
            state.caches.place_lists.put(version, key, answer.clone());
            answer
        }
    };
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        answer,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct OneQuery {
    geometry: Option<bool>,
}

pub async fn one(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(id): PathId<PlaceId>,
    ApiQuery(q): ApiQuery<OneQuery>,
) -> Result<Json<Value>, AppError> {
    let place = state
        .store
        .get_place(&scope(&user.actor, Action::ViewPlace), id)
        .await?;
    allowed(decide(
        &user.actor,
        Action::ViewPlace,
        Target::Place { path: &place.path },
    ))?;
    let mut body = serde_json::to_value(&place).unwrap_or_default();
    if q.geometry.unwrap_or(false) {
        let geometry = state.store.place_geometry(place.id).await?;
        body["geometry"] = geometry
            .and_then(|g| serde_json::from_str(&g).ok())
            .unwrap_or(Value::Null);
    }
    Ok(Json(body))
}

#[derive(Deserialize)]
pub struct ImportQuery {
    level: String,
    parent: Option<String>,
}

/// Imports a GeoJSON FeatureCollection of places, all or nothing: every bad feature is
/// listed in the problem's `errors`, and nothing is written unless all are good.
pub async fn import(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), AppError> {
    allowed(decide(
        &user.actor,
        Action::ImportPlaces,
        Target::Collection,
    ))?;
    let level = PlaceLevel::from_code(&q.level)
        .ok_or_else(|| AppError::bad_request("سطح (level) نامعتبر است"))?;
    let features =
        hamafza_geo::read_features(&body).map_err(|e| AppError::bad_request(e.to_string()))?;
    if features.is_empty() {
        return Err(AppError::bad_request("پرونده هیچ عارضه‌ای (feature) ندارد"));
    }
    let places = match hamafza_store::import::plan_places(
        &state.store,
        &features,
        level,
        q.parent.as_deref(),
    )
    .await?
    {
        Ok(places) => places,
        Err(problems) => {
            return Err(AppError::validation(
                format!(
                    "{} عارضه از {} نادرست است؛ هیچ مکانی ثبت نشد",
                    problems.len(),
                    features.len()
                ),
                crate::words::import_problems_json(&problems),
            ));
        }
    };
    state
        .store
        .insert_places(&Who::of(&user.actor), &places, &|_| {})
        .await?;
    // New boundaries: events must be placed against them from now on.
    state.locator.invalidate().await;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "imported": places.len(), "level": level.code() })),
    ))
}
