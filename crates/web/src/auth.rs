//! Sign-in, sessions, API tokens, CSRF and login rate limiting.
//!
//! Secrets (session cookies, API tokens) are random 256-bit values; only their SHA-256
//! is stored, so a copy of the database does not let anyone sign in.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::ConnectInfo;
use axum::http::header::COOKIE;
use axum::http::request::Parts;
use hamafza_core::access::Actor;
use hamafza_store::User;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const SESSION_COOKIE: &str = "hamafza_session";
pub const LOGIN_CSRF_COOKIE: &str = "hamafza_login_csrf";
pub const SESSION_HOURS: i64 = 12;
/// Longest password accepted: beyond this, hashing is only a way to burn CPU.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// A new random secret, hex-encoded.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hamafza_core::audit::hex(&bytes)
}

/// What is stored for a secret.
pub fn secret_hash(secret: &str) -> String {
    hamafza_core::audit::hex(&Sha256::digest(secret.as_bytes()))
}

/// argon2id PHC string for a password.
pub fn hash_password(password: &str) -> Result<String, String> {
    if password.len() < 8 {
        return Err("گذرواژه باید دست‌کم ۸ نویسه باشد".into());
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err("گذرواژه بیش از اندازه بلند است".into());
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("argon2: {e}"))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    password.len() <= MAX_PASSWORD_BYTES
        && PasswordHash::new(phc).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
}

/// Counts failed sign-ins per username and per address over a sliding window.
pub struct LoginLimiter {
    window: Duration,
    per_user: usize,
    per_addr: usize,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter {
            window: Duration::from_secs(15 * 60),
            per_user: 5,
            per_addr: 20,
            failures: Mutex::default(),
        }
    }
}

impl LoginLimiter {
    fn keys(username: &str, addr: IpAddr) -> [String; 2] {
        [
            format!("u:{}", username.to_lowercase()),
            format!("a:{addr}"),
        ]
    }

    /// True when either the username or the address has failed too often lately.
    pub fn is_limited(&self, username: &str, addr: IpAddr) -> bool {
        let now = Instant::now();
        let Ok(mut map) = self.failures.lock() else {
            return true;
        };
        let [user_key, addr_key] = Self::keys(username, addr);
        let mut count = |key: &str| {
            map.get_mut(key).map_or(0, |v| {
                v.retain(|t| now.duration_since(*t) < self.window);
                v.len()
            })
        };
        count(&user_key) >= self.per_user || count(&addr_key) >= self.per_addr
    }

    pub fn record_failure(&self, username: &str, addr: IpAddr) {
        if let Ok(mut map) = self.failures.lock() {
            // Bound memory under a flood of distinct names: forget everything stale first.
            if map.len() > 100_000 {
                let now = Instant::now();
                map.retain(|_, v| v.iter().any(|t| now.duration_since(*t) < self.window));
            }
            for key in Self::keys(username, addr) {
                map.entry(key).or_default().push(Instant::now());
            }
        }
    }

    pub fn clear_user(&self, username: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&format!("u:{}", username.to_lowercase()));
        }
    }
}

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A browser session; writes must carry this CSRF token.
    Session { token_hash: String, csrf: String },
    /// A bearer API token; not a browser, so no CSRF.
    Bearer,
}

/// The signed-in caller, extracted from the session cookie or a bearer token.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub actor: Actor,
    pub credential: Credential,
}

impl CurrentUser {
    pub fn csrf(&self) -> &str {
        match &self.credential {
            Credential::Session { csrf, .. } => csrf,
            Credential::Bearer => "",
        }
    }

    /// Checks a submitted CSRF token (forms and cookie-authenticated API writes).
    pub fn check_csrf(&self, submitted: Option<&str>) -> Result<(), CsrfMismatch> {
        match &self.credential {
            Credential::Bearer => Ok(()),
            Credential::Session { csrf, .. } => {
                if submitted.is_some_and(|s| constant_time_eq(s.as_bytes(), csrf.as_bytes())) {
                    Ok(())
                } else {
                    Err(CsrfMismatch)
                }
            }
        }
    }
}

/// A form's CSRF token was missing or was not the session's.
#[derive(Debug, Clone, Copy)]
pub struct CsrfMismatch;

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A cookie's value from the request.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The client's address (for rate limiting; never logged with a username).
pub fn client_addr(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

/// `; Secure` when cookies may travel over HTTPS only (`serve --secure-cookies`).
fn secure_attr(secure: bool) -> &'static str {
    if secure { "; Secure" } else { "" }
}

/// `Set-Cookie` value for a new session.
pub fn session_cookie(token: &str, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        SESSION_HOURS * 3600,
        secure_attr(secure)
    )
}

pub fn clear_session_cookie(secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        secure_attr(secure)
    )
}

pub fn login_csrf_cookie(token: &str, secure: bool) -> String {
    format!(
        "{LOGIN_CSRF_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{}",
        secure_attr(secure)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_round_trip() {
        let h = hash_password("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
        assert!(hash_password("short").is_err());
        assert!(!verify_password("x", "not a phc string"));
    }

    #[test]
    fn limiter_counts_per_user_and_address() {
        let l = LoginLimiter::default();
        let a = IpAddr::from([10, 0, 0, 1]);
        let b = IpAddr::from([10, 0, 0, 2]);
        for _ in 0..5 {
            assert!(!l.is_limited("admin", a));
            l.record_failure("admin", a);
        }
        assert!(l.is_limited("admin", a));
        assert!(l.is_limited("ADMIN", b), "per user, from any address");
        assert!(!l.is_limited("other", b));
        for i in 0..20 {
            l.record_failure(&format!("user{i}"), b);
        }
        assert!(l.is_limited("fresh", b), "per address, for any name");
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(secret_hash(&a), a);
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
    }
}
