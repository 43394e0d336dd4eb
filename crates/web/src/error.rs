//! The one error type of the web layer, [`AppError`], and its two faces: a Persian page
//! for browsers and RFC 9457 problem+json for the API. A fault has the same status on
//! both: 400 malformed, 401 not signed in, 403 refused (or a bad form token), 404 not
//! found *or not yours*, 409 conflict, 413 too large, 422 invalid with the field at
//! fault, 429 throttled, 500 with no internal detail (which goes to the log).
//!
//! A handler returns `Result<_, AppError>` whatever it serves. `AppError`'s response
//! carries the error itself; [`render`], the outermost layer of the router, writes it
//! as problem+json under `/api/` and as a page elsewhere, so no handler chooses a face.

use crate::words;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_core::access::DenyReason;
use hamafza_store::StoreError;
use serde_json::{Value, json};

use crate::layout;

#[derive(Debug, Clone)]
pub enum AppError {
    /// 400: the request could not be read (a body that is not JSON, a broken form).
    BadRequest(String),
    /// 401: no session or token; a page sends the browser to the sign-in form.
    Unauthenticated { expired: bool },
    /// 401 for a bearer token that is unknown or revoked.
    BadToken,
    /// 403: a form's CSRF token is missing or wrong.
    Csrf,
    /// 403: the policy refused, with its Persian reason.
    Forbidden(String),
    /// 404: not there, or not the caller's to know of.
    NotFound,
    /// 409
    Conflict(String),
    /// 413
    TooLarge(String),
    /// 422: well-formed but invalid; `errors` names the fields or rows at fault.
    Invalid { detail: String, errors: Value },
    /// 429
    Throttled {
        detail: String,
        retry_after_secs: u64,
    },
    /// 500: the detail is logged where it happens, never shown.
    Internal,
}

pub type AppResult<T> = Result<T, AppError>;

/// Requests larger than this are refused (413) before any handler runs. Large enough for
/// a form with a couple of 1 MB Persian fields (3× when URL-encoded).
pub const BODY_LIMIT: usize = 8 * 1024 * 1024;

impl AppError {
    pub fn forbidden(detail: impl Into<String>) -> Self {
        AppError::Forbidden(detail.into())
    }

    pub fn not_found() -> Self {
        AppError::NotFound
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        AppError::BadRequest(detail.into())
    }

    /// 413: the body is larger than the server takes.
    pub fn too_large() -> Self {
        AppError::TooLarge(format!(
            "بدنهٔ درخواست بزرگ‌تر از {} مگابایت است.",
            hamafza_core::digits::to_persian(&(BODY_LIMIT / (1024 * 1024)).to_string())
        ))
    }

    /// 422 with the faults listed (`[{"field": …}]`, or an import's rows).
    pub fn validation(detail: impl Into<String>, errors: Value) -> Self {
        AppError::Invalid {
            detail: detail.into(),
            errors,
        }
    }

    /// 422 naming one field.
    pub fn invalid(field: &str, detail: impl Into<String>) -> Self {
        Self::validation(detail, json!([{ "field": field }]))
    }

    /// A blocking task (typesetting, spreadsheets) that panicked or was cancelled: the
    /// detail goes to the log, the caller gets a plain 500.
    pub fn from_join(e: tokio::task::JoinError) -> Self {
        tracing::error!(error = %e, "a blocking task failed");
        AppError::Internal
    }

    /// The Persian message to show beside a form, when the fault is in the input.
    pub fn form_message(&self) -> Option<String> {
        match self {
            AppError::BadRequest(m) | AppError::Conflict(m) | AppError::TooLarge(m) => {
                Some(m.clone())
            }
            AppError::Invalid { detail, .. } => Some(detail.clone()),
            _ => None,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated { .. } | AppError::BadToken => StatusCode::UNAUTHORIZED,
            AppError::Csrf | AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable problem type (`/problems/…`) and its English title.
    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            AppError::BadRequest(_) => ("bad-request", "Bad Request"),
            AppError::Unauthenticated { .. } | AppError::BadToken => {
                ("unauthorized", "Unauthorized")
            }
            AppError::Csrf => ("csrf", "CSRF Token Missing or Wrong"),
            AppError::Forbidden(_) => ("forbidden", "Forbidden"),
            AppError::NotFound => ("not-found", "Not Found"),
            AppError::Conflict(_) => ("conflict", "Conflict"),
            AppError::TooLarge(_) => ("too-large", "Payload Too Large"),
            AppError::Invalid { .. } => ("validation", "Validation Failed"),
            AppError::Throttled { .. } => ("throttled", "Too Many Requests"),
            AppError::Internal => ("internal", "Internal Server Error"),
        }
    }

    /// What a person reads, in Persian.
    pub fn detail(&self) -> String {
        match self {
            AppError::BadRequest(m)
            | AppError::Forbidden(m)
            | AppError::Conflict(m)
            | AppError::TooLarge(m) => m.clone(),
            AppError::Invalid { detail, .. } | AppError::Throttled { detail, .. } => detail.clone(),
            AppError::Unauthenticated { expired: false } => "برای دیدن این صفحه وارد شوید.".into(),
            AppError::Unauthenticated { expired: true } => {
                "نشست شما به پایان رسیده است؛ دوباره وارد شوید.".into()
            }
            AppError::BadToken => "توکن API نامعتبر یا باطل شده است.".into(),
            AppError::Csrf => {
                "فرم منقضی یا نامعتبر است (توکن CSRF). صفحه را دوباره باز کنید و دوباره بفرستید."
                    .into()
            }
            AppError::NotFound => "صفحه یا موردی که خواستید نیست، یا اجازهٔ دیدنش را ندارید.".into(),
            AppError::Internal => "خطایی پیش آمد و ثبت شد. دوباره تلاش کنید.".into(),
        }
    }

    /// The Persian heading of the error page.
    fn title_fa(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) | AppError::Invalid { .. } => "درخواست نادرست",
            AppError::Unauthenticated { .. } | AppError::BadToken => "ورود لازم است",
            AppError::Csrf | AppError::Forbidden(_) => "دسترسی ندارید",
            AppError::NotFound => "پیدا نشد",
            AppError::Conflict(_) => "ناسازگاری",
            AppError::TooLarge(_) => "بیش از اندازه بزرگ",
            AppError::Throttled { .. } => "درخواست‌ها بیش از اندازه",
            AppError::Internal => "خطای داخلی",
        }
    }

    /// The problem+json face.
    pub fn to_problem(&self) -> Response {
        let (kind, title) = self.kind();
        let status = self.status();
        let mut body = json!({
            "type": format!("/problems/{kind}"),
            "title": title,
            "status": status.as_u16(),
            "detail": self.detail(),
        });
        if let AppError::Invalid { errors, .. } = self {
            body["errors"] = errors.clone();
        }
        let mut res = (status, body.to_string()).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        self.add_headers(&mut res);
        res
    }

    /// The page face: not signed in goes to the sign-in form; the rest is a Persian page
    /// with the same status the API would give.
    pub fn to_page(&self) -> Response {
        match self {
            AppError::Unauthenticated { expired: false } => Redirect::to("/login").into_response(),
            AppError::Unauthenticated { expired: true } | AppError::BadToken => {
                Redirect::to("/login?expired=1").into_response()
            }
            _ => {
                let mut res = (
                    self.status(),
                    layout::error_page(self.title_fa(), &self.detail()),
                )
                    .into_response();
                self.add_headers(&mut res);
                res
            }
        }
    }

    fn add_headers(&self, res: &mut Response) {
        match self {
            AppError::Unauthenticated { .. } | AppError::BadToken => {
                res.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            AppError::Throttled {
                retry_after_secs, ..
            } => {
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.max(&1).to_string()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            _ => {}
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Forbidden(hamafza_store::Refusal::Policy(r)) => AppError::from(r),
            StoreError::Forbidden(r) => AppError::Forbidden(words::refusal(&r)),
            StoreError::Invalid { field: "", rule } => {
                AppError::validation(words::explain("", &rule), json!([]))
            }
            StoreError::Invalid { field, rule } => {
                let reason = words::explain(field, &rule);
                AppError::validation(
                    reason.clone(),
                    json!([{ "field": field, "reason": reason }]),
                )
            }
            StoreError::Conflict { field, value } => {
                AppError::Conflict(words::conflict(field, &value))
            }
            e => {
                tracing::error!(error = %e, "store error");
                AppError::Internal
            }
        }
    }
}

impl From<DenyReason> for AppError {
    fn from(r: DenyReason) -> Self {
        match r {
            // Not the caller's to know of: the same answer as for nothing at all.
            DenyReason::Hidden => AppError::NotFound,
            r => AppError::Forbidden(r.message_fa().into()),
        }
    }
}

/// Marks a response as an error still to be written in the face its route speaks.
#[derive(Clone)]
struct Unrendered(AppError);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut res = self.status().into_response();
        res.extensions_mut().insert(Unrendered(self));
        res
    }
}

/// The outermost layer: writes every [`AppError`] as problem+json for the API and as a
/// page for everything else.
pub async fn render(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    let error = match res.extensions_mut().remove::<Unrendered>() {
        Some(Unrendered(e)) => e,
        // axum's own refusal of a body over the limit (a raw body read by `Bytes`):
        // the same 413 as every other, in the route's face.
        None if res.status() == StatusCode::PAYLOAD_TOO_LARGE => AppError::too_large(),
        None => return res,
    };
    if api {
        error.to_problem()
    } else {
        error.to_page()
    }
}

/// Last line of defence: a panic becomes a 500 with a Persian message, never a dropped
/// connection and never the panic's text. Every known panic is a bug with a test.
pub fn panic_response(_err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    AppError::Internal.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_faces_give_the_same_status() {
        let all = [
            AppError::bad_request("x"),
            AppError::Csrf,
            AppError::forbidden("x"),
            AppError::NotFound,
            AppError::Conflict("x".into()),
            AppError::TooLarge("x".into()),
            AppError::invalid("field", "x"),
            AppError::Throttled {
                detail: "x".into(),
                retry_after_secs: 3,
            },
            AppError::Internal,
        ];
        for e in all {
            assert_eq!(e.to_problem().status(), e.to_page().status(), "{e:?}");
            assert_eq!(e.to_problem().status(), e.status());
        }
        let throttled = AppError::Throttled {
            detail: "x".into(),
            retry_after_secs: 30,
        };
        assert_eq!(
            throttled.to_page().headers()[header::RETRY_AFTER],
            HeaderValue::from_static("30")
        );
        assert_eq!(
            AppError::from(DenyReason::Hidden).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            AppError::from(StoreError::Io("secret path".into())).detail(),
            AppError::Internal.detail(),
            "no internal detail"
        );
    }
}
