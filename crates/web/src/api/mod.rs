//! The JSON API under `/api/v1`, described by `openapi.json` beside this file.
//! Errors are RFC 9457 problem+json.

use axum::Router;
use axum::http::header;
use axum::routing::{get, post};

use crate::AppState;
use crate::admin::api as admin;
use crate::atlas::api as atlas;
use crate::error::AppError;
use crate::people::api as people;
use crate::people::cases;
use crate::people::referrals;
use crate::places::api as places;
use crate::resolutions::api as resolutions;
use axum::response::IntoResponse;

/// The OpenAPI document, kept by hand next to the handlers; a test checks that every
/// path and method in it is routed and that every route is in it.
pub const OPENAPI: &str = include_str!("openapi.json");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/openapi.json",
            get(|| async { ([(header::CONTENT_TYPE, "application/json")], OPENAPI) }),
        )
        .route("/places", get(places::list))
        .route("/persons", get(people::list).post(people::create))
        .route("/persons/import", post(crate::people::import::import))
        .route("/persons/matches", post(people::matches))
        .route(
            "/persons/{id}/links",
            get(crate::linkage::api::links).post(crate::linkage::api::link),
        )
        .route("/links/{id}/unlink", post(crate::linkage::api::unlink))
        .route("/linkage/runs", post(crate::linkage::api::run))
        .route("/linkage/queue", get(crate::linkage::api::queue))
        .route("/linkage/model", get(crate::linkage::api::model))
        .route("/linkage/pairs/{id}", get(crate::linkage::api::pair))
        .route(
            "/linkage/pairs/{id}/decision",
            post(crate::linkage::api::decide),
        )
        .route(
            "/persons/{id}/biometrics",
            get(crate::biometrics::api::list).post(crate::biometrics::api::enrol),
        )
        .route(
            "/biometrics/{id}/delete",
            post(crate::biometrics::api::delete),
        )
        .route("/abis", get(crate::biometrics::api::status))
        .route("/abis/jobs/{id}", get(crate::biometrics::api::job))
        .route("/abis/ping", post(crate::biometrics::api::ping))
        .route("/people-flow", get(people::flow))
        .route(
            "/persons/{id}",
            get(people::one).put(crate::people::edit::edit_api),
        )
        .route("/persons/{id}/holder", get(people::holder))
        .route("/persons/{id}/access-report", get(people::access_report))
        .route("/persons/{id}/legal-hold", post(people::legal_hold))
        .route("/persons/{id}/consent", post(people::record_consent))
        .route("/persons/{id}/cases", post(cases::open_api))
        .route("/cases", get(cases::load_api))
        .route("/cases/{id}", get(cases::one_api))
        .route(
            "/persons/{id}/encounters",
            post(crate::people::encounters::record_api),
        )
        .route("/cases/{id}/work", post(cases::work_api))
        .route("/assessment-questions", get(cases::questions_api))
        .route("/persons/{id}/referrals", post(referrals::refer_api))
        .route("/referrals", get(referrals::list_api))
        .route("/referrals/{id}/move", post(referrals::move_api))
        .route(
            "/agencies/{id}/referral-categories",
            post(referrals::takes_api),
        )
        .route(
            "/person-categories",
            get(people::categories).post(people::save_category),
        )
        .route("/agencies/{id}/protects-children", post(people::designate))
        .route(
            "/event-categories",
            get(atlas::categories).post(atlas::save_category),
        )
        .route(
            "/priority-indices",
            get(atlas::priority_indices).post(atlas::save_priority_index),
        )
        .route("/priority", get(atlas::rank))
        .route("/events", post(atlas::record))
        .route("/events/import", post(atlas::import_events))
        .route("/indicators", get(atlas::indicators).post(atlas::define))
        .route("/indicators/{code}", get(atlas::indicator))
        .route("/indicators/{code}/values", post(atlas::import_values))
        .route("/atlas", get(atlas::values))
        .route("/atlas/export", get(atlas::export))
        .route("/places/import", post(places::import))
        .route("/places/{id}", get(places::one))
        .route(
            "/agencies",
            get(admin::list_agencies).post(admin::create_agency),
        )
        .route("/me", get(admin::me))
        .route("/me/tokens", get(admin::my_tokens))
        .route(
            "/me/tokens/{id}",
            axum::routing::delete(admin::revoke_token),
        )
        .route("/users", get(admin::list_users).post(admin::create_user))
        .route("/users/{id}", get(admin::get_user))
        .route("/users/{id}/active", post(admin::set_active))
        .route("/audit", get(admin::audit))
        .route("/witness/checkpoints", post(crate::checkpoints::witness))
        .route(
            "/councils",
            get(resolutions::list_councils).post(resolutions::create_council),
        )
        .route("/councils/{id}", get(resolutions::one_council))
        .route(
            "/councils/{id}/settings",
            post(resolutions::council_settings),
        )
        .route(
            "/councils/{id}/meetings",
            get(resolutions::council_meetings).post(resolutions::create_meeting),
        )
        .route("/meetings/{id}", get(resolutions::one_meeting))
        .route("/meetings/{id}/minutes", post(resolutions::record_minutes))
        .route(
            "/resolutions",
            get(resolutions::list_resolutions).post(resolutions::create_resolution),
        )
        .route("/resolutions/export", get(resolutions::export))
        .route("/councils/{id}/import", post(resolutions::import))
        .route("/councils/{id}/report", get(resolutions::council_report))
        .route("/agencies/{id}/report", get(resolutions::agency_report))
        .route("/resolutions/{id}", get(resolutions::one_resolution))
        .route(
            "/resolutions/{id}/transition",
            post(resolutions::move_resolution),
        )
        .route(
            "/resolutions/{id}/updates",
            get(resolutions::list_updates).post(resolutions::post_update),
        )
        .route("/evidence/{id}", get(resolutions::evidence))
        .route("/inbox", get(resolutions::inbox))
        .route("/inbox/read", post(resolutions::mark_inbox_read))
        .route("/scorecard", get(resolutions::scorecard))
        .fallback(|| async { AppError::not_found().into_response() })
}
