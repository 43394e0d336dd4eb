//! Server-rendered pages, in Persian, right to left.

pub mod chart;
pub mod login;

use axum::response::IntoResponse;

use crate::error::AppError;

pub async fn not_found() -> impl IntoResponse {
    AppError::NotFound
}

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
    // The answer to a refused form: when the refusal is about the input, the same page
    // again with the reason (`render` draws it), under the status the API gives the same
    // fault (400, 409, 413 or 422); otherwise the refusal's own error page.
    match refusal.form_message() {
        Some(message) => match render(message).await {
            Ok(page) => (refusal.status(), page).into_response(),
            Err(e) => e.into_response(),
        },
        None => refusal.into_response(),
    }
}
