//! Extractors whose refusals are Persian pages or problem+json instead of axum's
//! plain-text defaults (e.g. for non-UTF-8 bytes or a missing field), and the forms
//! whose CSRF token is checked before any handler runs ([`CsrfForm`], [`CsrfMultipart`]).

use axum::extract::rejection::{FormRejection, JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::Method;
use axum::http::request::Parts;
use hamafza_core::access::Decision;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::auth::{Credential, CurrentUser, SESSION_COOKIE, cookie, secret_hash};
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
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    return AppError::too_large();
                }
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
            .map_err(|e| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::too_large()
                } else {
                    AppError::BadRequest("فرم خوانده نشد.".into())
                }
            })?;
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
        let (fields, files) = read_multipart(form).await?;
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

/// The signed-in caller of an API request. Writes from a browser session must carry the
/// session's CSRF token in `X-CSRF-Token`; bearer tokens need none.
pub struct ApiUser(pub CurrentUser);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            let header = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok());
            user.check_csrf(header)?;
        }
        Ok(ApiUser(user))
    }
}

pub(crate) fn allowed(d: Decision) -> Result<(), AppError> {
    match d {
        Decision::Allow => Ok(()),
        Decision::Deny(r) => Err(r.into()),
    }
}

/// Reads a multipart form: its text fields and its files. Used by the update form and
/// `POST /api/v1/resolutions/{id}/updates`.
pub async fn read_multipart(
    mut form: axum::extract::Multipart,
) -> crate::error::AppResult<(
    std::collections::HashMap<String, String>,
    Vec<hamafza_store::NewEvidence>,
)> {
    let mut fields = std::collections::HashMap::new();
    let mut files = Vec::new();
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::too_large()
        } else {
            AppError::invalid("body", "فرم چندبخشی خوانده نشد")
        }
    };
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_string();
        match field.file_name().map(str::to_string) {
            Some(file_name) => {
                let media_type = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_string();
                let content = field.bytes().await.map_err(unreadable)?.to_vec();
                // A file input left empty still sends a part with no name and no bytes.
                if !file_name.is_empty() || !content.is_empty() {
                    files.push(hamafza_store::NewEvidence {
                        file_name,
                        media_type,
                        content,
                    });
                }
            }
            None => {
                // Text is UTF-8 or refused, as JSON and CSV are: never decoded by a
                // guessed charset, never rewritten with replacement characters.
                let bytes = field.bytes().await.map_err(unreadable)?;
                let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
                    AppError::validation(
                        format!("فیلد «{name}» نویسه‌های نامعتبر دارد (UTF-8 نیست)"),
                        serde_json::json!([{ "field": name }]),
                    )
                })?;
                fields.insert(name, text);
            }
        }
    }
    Ok((fields, files))
}

impl From<crate::auth::CsrfMismatch> for AppError {
    fn from(_: crate::auth::CsrfMismatch) -> Self {
        AppError::Csrf
    }
}

/// The signed-in caller: a session cookie (pages, and the API from a browser) or a bearer
/// token (agency integrations). No caller, an expired session or an unknown token is a
/// 401 (pages go to the sign-in form).
impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let store = &state.store;
        // One read decides whether what this server looked up before still holds — the
        // caller, and (through `CurrentUser::versions`) every cache the handler uses.
        let versions = store.data_versions().await?;
        let version = versions.accounts;
        let now = time::OffsetDateTime::now_utc();
        let key = match parts.headers.get(axum::http::header::AUTHORIZATION) {
            Some(h) => h
                .to_str()
                .ok()
                .map(|v| format!("b:{}", secret_hash(v.trim()))),
            None => cookie(parts, SESSION_COOKIE).map(|t| format!("s:{}", secret_hash(t))),
        };
        if let Some((user, credential)) = key
            .as_deref()
            .and_then(|k| state.auth_cache.get(k, version, now))
        {
            let actor = user.actor();
            return Ok(CurrentUser {
                user,
                actor,
                credential,
                versions,
            });
        }
        let mut expires_at = None;
        let (user_id, credential) =
            if let Some(h) = parts.headers.get(axum::http::header::AUTHORIZATION) {
                let token = h
                    .to_str()
                    .ok()
                    .and_then(|v| v.strip_prefix("Bearer "))
                    .ok_or(AppError::BadToken)?;
                let user_id = store
                    .api_token_user(&secret_hash(token.trim()))
                    .await?
                    .ok_or(AppError::BadToken)?;
                (user_id, Credential::Bearer)
            } else {
                let token = cookie(parts, SESSION_COOKIE)
                    .ok_or(AppError::Unauthenticated { expired: false })?;
                let token_hash = secret_hash(token);
                let session = store
                    .session(&token_hash)
                    .await?
                    .ok_or(AppError::Unauthenticated { expired: true })?;
                expires_at = hamafza_store::parse_instant(&session.expires_at);
                if expires_at.is_none_or(|t| t < now) {
                    return Err(AppError::Unauthenticated { expired: true });
                }
                (
                    session.user_id,
                    Credential::Session {
                        token_hash,
                        csrf: session.csrf_token,
                    },
                )
            };
        let user = store
            .user(user_id)
            .await
            .map_err(|_| AppError::Unauthenticated { expired: false })?;
        if !user.active {
            return Err(AppError::Unauthenticated { expired: false });
        }
        if let Some(key) = key {
            state
                .auth_cache
                .put(key, version, (user.clone(), credential.clone(), expires_at));
        }
        let actor = user.actor();
        Ok(CurrentUser {
            user,
            actor,
            credential,
            versions,
        })
    }
}

/// A purpose from a code and optional words, or 422 naming `purpose`.
pub fn purpose(
    code: Option<&str>,
    text: Option<&str>,
) -> Result<hamafza_core::people::Purpose, AppError> {
    let code = code.map(str::trim).filter(|c| !c.is_empty()).ok_or_else(|| {
        AppError::invalid(
            "purpose",
            "هدف از دیدن اطلاعات افراد را بگویید (purpose): یکی از service، case_work، referral، duplicate_check، supervision، legal_request، other",
        )
    })?;
    hamafza_core::people::Purpose::parse(code, text).map_err(|e| {
        AppError::invalid(
            "purpose",
            match e {
                hamafza_core::people::PurposeError::UnknownKind => {
                    "هدف از دیدن باید یکی از فهرست باشد"
                }
                hamafza_core::people::PurposeError::NeedsWords => {
                    "برای هدف «دیگر» بنویسید چه هدفی دارید"
                }
                hamafza_core::people::PurposeError::TooLong => "توضیح هدف حداکثر ۳۰۰ نویسه است",
            },
        )
    })
}
