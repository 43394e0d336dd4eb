//! `/api/v1/linkage/…` and `/api/v1/links/…`: runs, the queue, a pair, decisions,
//! links and the model, as JSON.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hamafza_core::ids::{LinkId, MatchPairId, PersonId};
use hamafza_core::people::{Purpose, PurposeKind};
use hamafza_store::people::PersonReader;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::AppError;
use crate::extract::{ApiJson, ApiUser, PathId};

pub async fn run(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let run = state.store.run_linkage(&user.actor).await?;
    Ok((StatusCode::CREATED, Json(json!(run))))
}

pub async fn queue(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, AppError> {
    let rows = state
        .store
        .match_queue(&user.actor, super::today(&state))
        .await?;
    Ok(Json(json!({ "pairs": rows })))
}

pub async fn pair(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(id): PathId<MatchPairId>,
) -> Result<Json<Value>, AppError> {
    let purpose = Purpose {
        kind: PurposeKind::Supervision,
        text: None,
    };
    let reader = PersonReader {
        actor: &user.actor,
        purpose: &purpose,
        today: super::today(&state),
    };
    Ok(Json(json!(state.store.match_pair(&reader, id).await?)))
}

#[derive(Deserialize)]
pub struct DecisionIn {
    decision: Option<String>,
    reason: Option<String>,
}

pub async fn decide(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(id): PathId<MatchPairId>,
    ApiJson(body): ApiJson<DecisionIn>,
) -> Result<Json<Value>, AppError> {
    let decision = super::decision_of(body.decision.as_deref())?;
    state
        .store
        .decide_match(
            &user.actor,
            id,
            decision,
            body.reason.as_deref().unwrap_or(""),
            super::today(&state),
        )
        .await?;
    Ok(Json(json!({ "pair": id, "decision": decision })))
}

#[derive(Deserialize)]
pub struct LinkIn {
    /// The record the person is linked to.
    other: Option<String>,
    reason: Option<String>,
    probability: Option<f64>,
}

pub async fn link(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(person): PathId<PersonId>,
    ApiJson(body): ApiJson<LinkIn>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let other: PersonId = body
        .other
        .as_deref()
        .and_then(|o| o.parse().ok())
        .ok_or_else(|| AppError::invalid("other", "سابقه‌ای را که به آن پیوند می‌زنید نشان دهید"))?;
    let id = state
        .store
        .link_at_registration(
            &user.actor,
            person,
            other,
            body.probability,
            body.reason.as_deref().unwrap_or(""),
            super::today(&state),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "link": id }))))
}

pub async fn links(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(person): PathId<PersonId>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(json!(
        state
            .store
            .linked_group(&user.actor, person, super::today(&state))
            .await?
    )))
}

#[derive(Deserialize)]
pub struct UnlinkIn {
    reason: Option<String>,
}

pub async fn unlink(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(id): PathId<LinkId>,
    ApiJson(body): ApiJson<UnlinkIn>,
) -> Result<Json<Value>, AppError> {
    state
        .store
        .unlink(
            &user.actor,
            id,
            body.reason.as_deref().unwrap_or(""),
            super::today(&state),
        )
        .await?;
    Ok(Json(json!({ "link": id, "unlinked": true })))
}

pub async fn model(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, AppError> {
    let (prior, levels, learnt) = state.store.linkage_model(&user.actor).await?;
    Ok(Json(
        json!({ "prior": prior, "learnt_from_registry": learnt, "levels": levels }),
    ))
}
