//! Errors as people and programs see them: a Persian page for browsers, RFC 9457
//! problem+json for the API. Neither ever shows internals; those go to the log.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_core::access::DenyReason;
use hamafza_store::StoreError;
use serde_json::json;

use crate::pages::layout;

/// Why a request could not be tied to a user.
#[derive(Debug)]
pub enum AuthError {
    NotSignedIn,
    SessionExpired,
    BadToken,
    Csrf,
    Store(StoreError),
}

impl From<StoreError> for AuthError {
    fn from(e: StoreError) -> Self {
        AuthError::Store(e)
    }
}

impl AuthError {
    fn message(&self) -> &'static str {
        match self {
            AuthError::NotSignedIn => "برای دیدن این صفحه وارد شوید.",
            AuthError::SessionExpired => "نشست شما به پایان رسیده است؛ دوباره وارد شوید.",
            AuthError::BadToken => "توکن API نامعتبر یا باطل شده است.",
            AuthError::Csrf => {
                "فرم منقضی یا نامعتبر است (توکن CSRF). صفحه را دوباره باز کنید و دوباره بفرستید."
            }
            AuthError::Store(_) => "خطای داخلی در خواندن نشست.",
        }
    }
}

/// For pages: not signed in → the login page; a bad form token → a Persian error page.
impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        match self {
            AuthError::NotSignedIn => Redirect::to("/login").into_response(),
            AuthError::SessionExpired | AuthError::BadToken => {
                Redirect::to("/login?expired=1").into_response()
            }
            AuthError::Csrf => PageError::Forbidden(self.message().into()).into_response(),
            AuthError::Store(e) => PageError::from(e).into_response(),
        }
    }
}

/// An error shown to a person as a page.
#[derive(Debug)]
pub enum PageError {
    NotFound,
    Forbidden(String),
    BadRequest(String),
    Internal,
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => PageError::NotFound,
            StoreError::Forbidden(m) => PageError::Forbidden(m),
            StoreError::Invalid(m) | StoreError::Conflict(m) => PageError::BadRequest(m),
            e => {
                tracing::error!(error = %e, "store error");
                PageError::Internal
            }
        }
    }
}

impl From<DenyReason> for PageError {
    fn from(r: DenyReason) -> Self {
        match r {
            DenyReason::Hidden => PageError::NotFound,
            r => PageError::Forbidden(r.message_fa().into()),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, detail) = match self {
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "پیدا نشد",
                "صفحه یا موردی که خواستید نیست، یا اجازهٔ دیدنش را ندارید.".to_string(),
            ),
            PageError::Forbidden(m) => (StatusCode::FORBIDDEN, "دسترسی ندارید", m),
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, "درخواست نادرست", m),
            PageError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "خطای داخلی",
                "خطایی پیش آمد و ثبت شد. دوباره تلاش کنید.".to_string(),
            ),
        };
        (status, layout::error_page(title, &detail)).into_response()
    }
}

/// An API error as RFC 9457 problem details. `type` is stable; `detail` is Persian.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub errors: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        kind: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            kind,
            title,
            detail: detail.into(),
            errors: None,
        }
    }
    pub fn forbidden(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail)
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not Found",
            "پیدا نشد، یا اجازهٔ دیدنش را ندارید.",
        )
    }
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Bad Request",
            detail,
        )
    }
    pub fn validation(detail: impl Into<String>, errors: serde_json::Value) -> Self {
        ApiError {
            errors: Some(errors),
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "Validation Failed",
                detail,
            )
        }
    }
}

/// Shared handlers answer pages with `PageError`; the API speaks problem+json.
impl From<PageError> for ApiError {
    fn from(e: PageError) -> Self {
        match e {
            PageError::NotFound => ApiError::not_found(),
            PageError::Forbidden(m) => ApiError::forbidden(m),
            PageError::BadRequest(m) => ApiError::bad_request(m),
            PageError::Internal => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal Server Error",
                "خطای درونی؛ دوباره بکوشید.",
            ),
        }
    }
}

impl From<DenyReason> for ApiError {
    fn from(r: DenyReason) -> Self {
        match r {
            DenyReason::Hidden => ApiError::not_found(),
            r => ApiError::forbidden(r.message_fa()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Forbidden(m) => ApiError::forbidden(m),
            StoreError::Invalid(m) => ApiError::validation(m, json!([])),
            StoreError::Conflict(m) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", "Conflict", m)
            }
            e => {
                tracing::error!(error = %e, "store error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal Server Error",
                    "خطای داخلی؛ ثبت شد.",
                )
            }
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        let msg = e.message();
        match e {
            AuthError::Csrf => ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "CSRF Token Missing or Wrong",
                msg,
            ),
            AuthError::Store(s) => s.into(),
            _ => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Unauthorized",
                msg,
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "type": format!("/problems/{}", self.kind),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let Some(errors) = self.errors {
            body["errors"] = errors;
        }
        let mut res = (self.status, body.to_string()).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

/// Last line of defence: a panic becomes a 500 with a Persian message, never a dropped
/// connection. Every known panic is a bug with a test.
pub fn panic_response(_err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    PageError::Internal.into_response()
}
