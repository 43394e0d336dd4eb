//! Server-rendered pages, in Persian, right to left.

pub mod chart;
mod home;
pub mod layout;
mod login;

pub use crate::atlas::view::default_period as default_atlas_period;

use axum::Router;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::AppState;
use crate::admin::{audit_pages as audit, pages as admin};
use crate::atlas::{
    hotspot_pages as hotspots, indicator_pages as indicators, pages as atlas, priority_form,
    priority_pages as priority, profile, trend_pages as trend,
};
use crate::error::AppError;
use crate::places::pages as places;
use crate::resolutions::{
    council_pages as councils, meeting_pages as meetings, pages as resolutions,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/login", get(login::login_page).post(login::login_submit))
        .route("/logout", post(login::logout))
        .route("/places", get(places::browser))
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

pub async fn not_found() -> impl IntoResponse {
    AppError::NotFound
}

/// The answer to a refused form: when the refusal is about the input, the same page again
/// with the reason (`render` draws it) as a 400; otherwise the refusal's own error page.
/// A form shown again with the reason its input was refused (422), or the error that
/// stopped the page itself.
pub(crate) fn form_again(page: Result<maud::Markup, AppError>) -> axum::response::Response {
    match page {
        Ok(page) => (axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
        Err(e) => e.into_response(),
    }
}

pub(crate) async fn refused_form<F, Fut>(
    refusal: crate::error::AppError,
    render: F,
) -> axum::response::Response
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<maud::Markup, AppError>>,
{
    match refusal.form_message() {
        Some(message) => match render(message).await {
            Ok(page) => (axum::http::StatusCode::BAD_REQUEST, page).into_response(),
            Err(e) => e.into_response(),
        },
        None => refusal.into_response(),
    }
}
