//! Static files compiled into the binary: the stylesheet, the small script, the font.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

const CSS: &str = include_str!("../assets/app.css");
const JS: &str = include_str!("../assets/app.js");
const FONT_REGULAR: &[u8] = include_bytes!("../assets/fonts/Vazirmatn-Regular.woff2");
const FONT_BOLD: &[u8] = include_bytes!("../assets/fonts/Vazirmatn-Bold.woff2");
const FONT_LICENCE: &str = include_str!("../assets/fonts/OFL.txt");

const CACHE: &str = "public, max-age=86400";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/assets/app.css",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                        (header::CACHE_CONTROL, CACHE),
                    ],
                    CSS,
                )
            }),
        )
        .route(
            "/assets/app.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, CACHE),
                    ],
                    JS,
                )
            }),
        )
        .route(
            "/assets/fonts/Vazirmatn-Regular.woff2",
            get(|| async { font(FONT_REGULAR) }),
        )
        .route(
            "/assets/fonts/Vazirmatn-Bold.woff2",
            get(|| async { font(FONT_BOLD) }),
        )
        .route(
            "/assets/fonts/OFL.txt",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    FONT_LICENCE,
                )
            }),
        )
        .route(
            "/favicon.ico",
            get(|| async { axum::http::StatusCode::NO_CONTENT }),
        )
}

fn font(bytes: &'static [u8]) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "font/woff2"),
            (header::CACHE_CONTROL, CACHE),
        ],
        bytes,
    )
}
