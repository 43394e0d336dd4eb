//! Sign-in and sign-out.

use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_store::Who;
use maud::html;
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use crate::AppState;
use crate::auth::{self, Credential};
use crate::error::AppError;
use crate::extract::CsrfForm;
use crate::extract::{PageForm, PageQuery};
use crate::layout;

#[derive(Deserialize)]
pub struct LoginQuery {
    expired: Option<String>,
}

fn login_form(csrf: &str, message: Option<&str>, username: &str) -> maud::Markup {
    layout::bare(
        "ورود",
        html! {
            div.login {
                h1 { "ورود به هم‌افزا" }
                @if let Some(m) = message { p.flash.error role="alert" { (m) } }
                form.stack method="post" action="/login" {
                    input type="hidden" name="csrf" value=(csrf);
                    label { "نام کاربری" input type="text" name="username" value=(username) autocomplete="username" required autofocus dir="ltr"; }
                    label { "گذرواژه" input type="password" name="password" autocomplete="current-password" required dir="ltr"; }
                    button.primary type="submit" { "ورود" }
                }
            }
        },
    )
}

pub async fn login_page(
    State(state): State<AppState>,
    PageQuery(q): PageQuery<LoginQuery>,
) -> Response {
    let csrf = auth::new_secret();
    let message = q
        .expired
        .map(|_| "نشست شما به پایان رسیده است؛ دوباره وارد شوید.");
    (
        [(
            header::SET_COOKIE,
            auth::login_csrf_cookie(&csrf, state.secure_cookies),
        )],
        login_form(&csrf, message, ""),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf: String,
}

pub async fn login_submit(
    State(state): State<AppState>,
    parts: Parts,
    PageForm(form): PageForm<LoginForm>,
) -> Result<Response, AppError> {
    let cookie_csrf = auth::cookie(&parts, auth::LOGIN_CSRF_COOKIE).unwrap_or("");
    if cookie_csrf.is_empty()
        || !auth::constant_time_eq(cookie_csrf.as_bytes(), form.csrf.as_bytes())
    {
        return Err(AppError::Forbidden(
            "فرم ورود منقضی یا نامعتبر است؛ صفحهٔ ورود را دوباره باز کنید.".into(),
        ));
    }
    let addr = auth::client_addr(&parts, &state.trusted_proxies);
    let username = form.username.trim();
    let again = |status: StatusCode, msg: &str| {
        let csrf = auth::new_secret();
        let shown = if username.len() <= 64 { username } else { "" };
        (
            status,
            [(
                header::SET_COOKIE,
                auth::login_csrf_cookie(&csrf, state.secure_cookies),
            )],
            login_form(&csrf, Some(msg), shown),
        )
            .into_response()
    };
    if let Some(wait) = state
        .limiter
        .retry_after(&state.store, username, addr)
        .await?
    {
        // Audited (without the address: no personal data beyond the account).
        let user_id = state
            .store
            .user_for_login(username)
            .await
            .ok()
            .flatten()
            .map(|(u, _)| u.id);
        state
            .store
            .record_failed_login(user_id, "throttled")
            .await?;
        let seconds = wait.as_secs().max(1);
        let minutes = seconds.div_ceil(60);
        let mut res = again(
            StatusCode::TOO_MANY_REQUESTS,
            &hamafza_core::digits::to_persian(&format!(
                "تلاش‌های ناموفق زیاد بوده است؛ {minutes} دقیقهٔ دیگر دوباره تلاش کنید."
            )),
        );
        if let Ok(v) = axum::http::HeaderValue::from_str(&seconds.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(res);
    }
    let found = if hamafza_store::valid_username(username) {
        state.store.user_for_login(username).await?
    } else {
        None
    };
    let ok_user = match found {
        Some((user, hash)) if user.active && auth::verify_password(&form.password, &hash) => {
            Some(user)
        }
        Some((user, _)) => {
            state
                .store
                .record_failed_login(Some(user.id), "password")
                .await?;
            None
        }
        None => {
            // Spend the same time as a real check, so timing does not reveal which names exist.
            let _ = auth::verify_password(&form.password, DUMMY_HASH);
            state
                .store
                .record_failed_login(None, "unknown_user")
                .await?;
            None
        }
    };
    let Some(user) = ok_user else {
        state
            .limiter
            .record_failure(&state.store, username, addr)
            .await?;
        return Ok(again(
            StatusCode::UNAUTHORIZED,
            "نام کاربری یا گذرواژه نادرست است.",
        ));
    };
    state
        .limiter
        .record_success(&state.store, username, addr)
        .await?;
    let token = auth::new_secret();
    let expires = hamafza_store::instant_text(
        OffsetDateTime::now_utc() + Duration::hours(auth::SESSION_HOURS),
    );
    state
        .store
        .create_session(
            &Who::of(&user.actor()),
            &auth::secret_hash(&token),
            user.id,
            &auth::new_secret(),
            &expires,
        )
        .await?;
    Ok((
        [(
            header::SET_COOKIE,
            auth::session_cookie(&token, state.secure_cookies),
        )],
        Redirect::to("/"),
    )
        .into_response())
}

/// A valid argon2id hash of a random string, checked against when the user does not exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$wXj3GgMG7q7gqW8KJ0y7m0QpT0W9e1jR7m7d6h5n3cE";

/// The sign-out form carries nothing but its CSRF token.
#[derive(Deserialize)]
pub struct SignOutForm {}

pub async fn logout(
    State(state): State<AppState>,
    CsrfForm { user, .. }: CsrfForm<SignOutForm>,
) -> Result<Response, AppError> {
    if let Credential::Session { token_hash, .. } = &user.credential {
        state
            .store
            .delete_session(&Who::of(&user.actor), token_hash)
            .await?;
    }
    Ok((
        [(
            header::SET_COOKIE,
            auth::clear_session_cookie(state.secure_cookies),
        )],
        Redirect::to("/login"),
    )
        .into_response())
}
