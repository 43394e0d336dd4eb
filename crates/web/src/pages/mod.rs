//! Server-rendered pages, in Persian, right to left.

mod admin;
mod audit;
mod home;
pub mod layout;
mod login;
mod places;

use axum::Router;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::AppState;
use crate::error::PageError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/login", get(login::login_page).post(login::login_submit))
        .route("/logout", post(login::logout))
        .route("/places", get(places::browser))
        .route("/places/{id}", get(places::place_page))
        .route(
            "/agencies",
            get(admin::agencies_page).post(admin::create_agency),
        )
        .route("/users", get(admin::users_page).post(admin::create_user))
        .route("/users/{id}/active", post(admin::set_active))
        .route("/audit", get(audit::audit_page))
}

pub async fn not_found() -> impl IntoResponse {
    PageError::NotFound
}
