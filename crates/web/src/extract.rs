//! Extractors whose refusals are Persian pages or problem+json instead of axum's
//! plain-text defaults (e.g. for non-UTF-8 bytes or a missing field), and the forms
//! whose CSRF token is checked before any handler runs ([`CsrfForm`], [`CsrfMultipart`]).

use axum::extract::rejection::{FormRejection, JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

/// A form body; a malformed one is a Persian 400 page.
pub struct PageForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for PageForm<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(PageForm(v)),
            Err(e) => Err(AppError::BadRequest(form_message(&e))),
        }
    }
}

fn form_message(e: &FormRejection) -> String {
    match e {
        FormRejection::InvalidFormContentType(_) => {
            "فرم باید به شکل application/x-www-form-urlencoded فرستاده شود.".into()
        }
        FormRejection::FailedToDeserializeForm(_)
        | FormRejection::FailedToDeserializeFormBody(_) => {
            "فرم ناقص یا نادرست است (فیلدی کم است یا نویسه‌های نامعتبر دارد).".into()
        }
        _ => "فرم خوانده نشد.".into(),
    }
}

/// A query string for pages.
pub struct PageQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for PageQuery<T> {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| PageQuery(q.0))
            .map_err(|_: QueryRejection| {
                AppError::BadRequest("پارامترهای نشانی نادرست است.".into())
            })
    }
}

/// A JSON body for the API.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|j| ApiJson(j.0))
            .map_err(|e: JsonRejection| {
                let detail = match &e {
                    JsonRejection::MissingJsonContentType(_) => {
                        "بدنهٔ درخواست باید application/json باشد.".to_string()
                    }
                    JsonRejection::JsonSyntaxError(_) => "JSON نامعتبر است.".to_string(),
                    JsonRejection::JsonDataError(d) => {
                        format!("داده‌های JSON با قالب خواسته‌شده نمی‌خواند: {}", d.body_text())
                    }
                    _ => "بدنهٔ درخواست خوانده نشد.".to_string(),
                };
                AppError::bad_request(detail)
            })
    }
}

/// A query string for the API.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| {
                AppError::bad_request(format!("پارامترهای نشانی نادرست است: {}", e.body_text()))
            })
    }
}

/// A `multipart/form-data` body (forms with files); anything else is a Persian 400.
pub struct Multipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for Multipart {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(Multipart)
            .map_err(|_| AppError::bad_request("بدنهٔ درخواست باید multipart/form-data باشد."))
    }
}

/// A form body read as its name–value pairs, for forms with repeated names (multiple
/// selections) or names built from ids (attendance per agency).
pub struct FormPairs(pub Vec<(String, String)>);

impl FormPairs {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

impl<S: Send + Sync> FromRequest<S> for FormPairs {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_form = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(AppError::BadRequest(
                "فرم باید به شکل application/x-www-form-urlencoded فرستاده شود.".into(),
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| AppError::BadRequest("فرم خوانده نشد.".into()))?;
        if std::str::from_utf8(&bytes).is_err() {
            return Err(AppError::BadRequest("فرم نویسه‌های نامعتبر دارد.".into()));
        }
        Ok(FormPairs(
            form_urlencoded::parse(&bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }
}

/// Lets a form be read as its pairs by [`CsrfForm`].
impl<'de> serde::Deserialize<'de> for FormPairs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<(String, String)>::deserialize(d).map(FormPairs)
    }
}

/// A form posted by a signed-in user whose CSRF token (the `csrf` field) has been
/// checked before the handler runs: no handler checks it by hand. `T` is the form's
/// own type, or [`FormPairs`] for forms with repeated names.
pub struct CsrfForm<T> {
    pub user: CurrentUser,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let user = CurrentUser::from_request_parts(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        let FormPairs(pairs) = FormPairs::from_request(req, state).await?;
        let token = pairs
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str());
        user.check_csrf(token)?;
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&pairs)
            .finish();
        let form = serde_urlencoded::from_str(&encoded).map_err(|_| {
            AppError::BadRequest(
                "فرم ناقص یا نادرست است (فیلدی کم است یا نویسه‌های نامعتبر دارد).".into(),
            )
        })?;
        Ok(CsrfForm { user, form })
    }
}

/// A `multipart/form-data` form (one with files) posted by a signed-in user, its CSRF
/// token checked: its text fields and its files.
pub struct CsrfMultipart {
    pub user: CurrentUser,
    pub fields: std::collections::HashMap<String, String>,
    pub files: Vec<hamafza_store::NewEvidence>,
}

impl FromRequest<AppState> for CsrfMultipart {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let user = CurrentUser::from_request_parts(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        let Multipart(form) = Multipart::from_request(req, state).await?;
        let (fields, files) = crate::resolutions::read_multipart(form).await?;
        user.check_csrf(fields.get("csrf").map(String::as_str))?;
        Ok(CsrfMultipart {
            user,
            fields,
            files,
        })
    }
}

/// An id from the path, parsed once: one that is not an id of this kind is "not
/// found", the same answer as an id nobody has.
pub struct PathId<T>(pub T);

impl<S: Send + Sync, T: std::str::FromStr + Send> FromRequestParts<S> for PathId<T> {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| AppError::NotFound)?;
        raw.parse().map(PathId).map_err(|_| AppError::NotFound)
    }
}
