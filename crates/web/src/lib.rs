//! Hamafza's web layer: server-rendered Persian pages (right to left, Jalali dates,
//! Persian digits) and the JSON API under `/api/v1`, over one [`AppState`].
//!
//! Every handler asks `hamafza_core::access` before it reads or writes, and passes the
//! caller's scope down to the store, so the pages and the API cannot disagree on who
//! sees what.

mod api;
mod assets;
pub mod auth;
mod error;
mod forms;
mod pages;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use hamafza_store::Store;

pub use auth::{hash_password, new_secret, secret_hash};

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub limiter: Arc<auth::LoginLimiter>,
}

impl AppState {
    pub fn new(store: Store) -> Self {
        AppState {
            store,
            limiter: Arc::new(auth::LoginLimiter::default()),
        }
    }
}

/// Requests larger than this are refused before any handler runs.
/// Large enough for a form with a couple of 1 MB Persian fields (3× when URL-encoded).
const BODY_LIMIT: usize = 8 * 1024 * 1024;

/// The whole application: pages, API, assets, health check.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(assets::routes())
        .merge(pages::routes())
        .nest("/api/v1", api::routes())
        .fallback(pages::not_found)
        .layer(axum::middleware::map_response(security_headers))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            error::panic_response,
        ))
        .with_state(state)
}

/// Headers that make the browser refuse what Hamafza never does: scripts or styles from
/// elsewhere, framing by another site, and guessing content types.
async fn security_headers(mut res: axum::response::Response) -> axum::response::Response {
    use axum::http::HeaderValue;
    let h = res.headers_mut();
    h.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    res
}

/// Serves until the process is stopped.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
