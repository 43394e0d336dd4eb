//! The application: every route (pages here, the API in `api`), and the layers around
//! them. The one module that knows every feature; features know nothing of it.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::{AppState, api, assets, error, pages};

use crate::admin::{audit_pages as audit, pages as admin};
use crate::atlas::{
    hotspot_pages as hotspots, indicator_pages as indicators, pages as atlas, priority_form,
    priority_pages as priority, profile, trend_pages as trend,
};
use crate::home;
use crate::pages::login;
use crate::people::cases;
use crate::people::pages as people;
use crate::people::referrals;
use crate::places::pages as places;
use crate::resolutions::{
    council_pages as councils, meeting_pages as meetings, pages as resolutions,
};

/// How long a request body may take to arrive.
const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// A body declared larger than the limit is refused at once with 413, before a byte of
/// it is read.
async fn refuse_declared_too_large(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > error::BODY_LIMIT as u64) {
        return error::AppError::too_large().into_response();
    }
    next.run(req).await
}

/// The whole application: pages, API, assets, health check.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(assets::routes())
        .merge(page_routes())
        .nest("/api/v1", api::routes())
        .fallback(pages::not_found)
        .layer(axum::middleware::map_response(crate::security_headers))
        .layer(DefaultBodyLimit::max(error::BODY_LIMIT))
        // A body that stalls is cut off (the socket's idle guard catches a silent one;
        // this one a body dribbled too slowly to finish).
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            BODY_READ_TIMEOUT,
        ))
        .layer(axum::middleware::from_fn(refuse_declared_too_large))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            error::panic_response,
        ))
        // Outermost: every AppError, a panic's included, in the face its route speaks.
        .layer(axum::middleware::from_fn(error::render))
        .with_state(state)
}

/// The pages, each a feature's.
fn page_routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/login", get(login::login_page).post(login::login_submit))
        .route("/logout", post(login::logout))
        .route("/places", get(places::browser))
        .route("/people", get(people::search_page))
        .route(
            "/people/new",
            get(people::register_page).post(people::register_submit),
        )
        .route("/people/purpose", post(people::purpose_submit))
        .route("/people/flow", get(crate::people::flow::flow_page))
        .route("/people/matches", get(crate::linkage::pages::queue_page))
        .route(
            "/people/matches/run",
            post(crate::linkage::pages::run_submit),
        )
        .route(
            "/people/matches/model",
            get(crate::linkage::pages::model_page),
        )
        .route(
            "/people/matches/{id}",
            get(crate::linkage::pages::pair_page),
        )
        .route(
            "/people/matches/{id}/decide",
            post(crate::linkage::pages::decide_submit),
        )
        .route(
            "/links/{id}/unlink",
            post(crate::linkage::pages::unlink_submit),
        )
        .route(
            "/biometrics/{id}/delete",
            post(crate::biometrics::pages::delete_submit),
        )
        .route("/people/followups/{id}/done", post(people::followup_done))
        .route("/people/{id}", get(people::person_page))
        .route("/people/{id}/consent", post(people::consent_submit))
        .route(
            "/people/{id}/edit",
            get(crate::people::edit::edit_page).post(crate::people::edit::edit_submit),
        )
        .route("/people/{id}/cases", post(cases::open_submit))
        .route(
            "/people/{id}/encounters",
            post(crate::people::encounters::record_submit),
        )
        .route("/cases", get(cases::load_page))
        .route("/cases/{id}", get(cases::case_page))
        .route("/people/{id}/referrals", post(referrals::refer_submit))
        .route("/referrals", get(referrals::inbox_page))
        .route("/referrals/{id}/move", post(referrals::move_submit))
        .route("/cases/{id}/work", post(cases::work_submit))
        .route(
            "/people/{id}/access-report",
            get(people::access_report_page),
        )
        .route(
            "/people/{id}/access-report.pdf",
            get(people::access_report_pdf),
        )
        .route(
            "/people/{id}/access-report/subject.json",
            get(people::subject_report),
        )
        .route("/atlas", get(atlas::atlas_page))
        .route("/atlas/compare", get(trend::compare_page))
        .route("/atlas/priority", get(priority::priority_page))
        .route("/atlas/hotspots", get(hotspots::hotspots_page))
        .route("/atlas/export", get(atlas::export_download))
        .route("/atlas/profile.pdf", get(profile::profile_pdf))
        .route("/atlas/indicators", get(indicators::dictionary_page))
        .route(
            "/atlas/define-priority",
            get(priority_form::define_page).post(priority_form::define_submit),
        )
        .route(
            "/atlas/define-indicator",
            get(indicators::define_page).post(indicators::define_submit),
        )
        .route("/atlas/indicators/{code}", get(indicators::indicator_page))
        .route(
            "/atlas/indicators/{code}/values",
            post(indicators::value_submit),
        )
        .route("/places/{id}", get(places::place_page))
        .route(
            "/agencies",
            get(admin::agencies_page).post(admin::create_agency),
        )
        .route("/users", get(admin::users_page).post(admin::create_user))
        .route("/users/{id}/active", post(admin::set_active))
        .route("/audit", get(audit::audit_page))
        .route(
            "/councils",
            get(councils::list_page).post(councils::create_submit),
        )
        .route("/councils/{id}/settings", post(councils::settings_submit))
        .route("/councils/{id}", get(councils::council_page))
        .route("/councils/{id}/meetings", post(meetings::meeting_submit))
        .route("/councils/{id}/import", post(councils::import_submit))
        .route("/councils/{id}/report.pdf", get(councils::report_pdf))
        .route("/resolutions.xlsx", get(resolutions::export_xlsx))
        .route("/meetings/{id}", get(meetings::meeting_page))
        .route("/meetings/{id}/minutes", post(meetings::minutes_submit))
        .route("/resolutions", get(resolutions::list_page))
        .route("/resolutions/new", post(councils::resolution_submit))
        .route("/resolutions/{id}", get(resolutions::resolution_page))
        .route("/resolutions/{id}/move", post(resolutions::move_submit))
        .route(
            "/resolutions/{id}/updates",
            post(resolutions::update_submit),
        )
        .route("/evidence/{id}", get(resolutions::evidence_download))
        .route("/inbox", get(resolutions::inbox_page))
        .route("/inbox/read", post(resolutions::inbox_read))
        .route("/scorecard", get(resolutions::scorecard_page))
        .route(
            "/agencies/{id}/report.pdf",
            get(resolutions::agency_report_pdf),
        )
}
