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

/// Throttles failed sign-ins so that guessing is slow and nobody can lock anyone else
/// out: failures are counted per (username, address), per address, and per username
/// over a sliding window.
///
/// - A (username, address) pair that fails `per_pair` times waits, 30 s after the
///   first lockout and twice as long after each further failure (at most the window).
/// - An address that fails `per_addr` times, whatever the names, waits out the window.
/// - A username that fails `per_user` times from anywhere is slowed for addresses it
///   has not signed in from before; an address that signed in as it before is not held
///   back by other addresses' failures, so an attacker cannot lock the owner out.
pub struct LoginLimiter {
    window: Duration,
    per_pair: usize,
    per_addr: usize,
    per_user: usize,
    state: Mutex<LimiterState>,
}

#[derive(Default)]
struct LimiterState {
    failures: HashMap<String, Vec<Instant>>,
    /// Addresses each username has signed in from (kept small per user).
    known: HashMap<String, Vec<IpAddr>>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter {
            window: Duration::from_secs(15 * 60),
            per_pair: 5,
            per_addr: 20,
            per_user: 50,
            state: Mutex::default(),
        }
    }
}

impl LoginLimiter {
    fn user_key(username: &str) -> String {
        format!("u:{}", username.to_lowercase())
    }

    fn keys(username: &str, addr: IpAddr) -> [String; 3] {
        [
            format!("p:{}@{addr}", username.to_lowercase()),
            format!("a:{addr}"),
            Self::user_key(username),
        ]
    }

    /// How long this username at this address must wait before another try, if at all.
    pub fn retry_after(&self, username: &str, addr: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let known = state
            .known
            .get(&Self::user_key(username))
            .is_some_and(|a| a.contains(&addr));
        let [pair, address, user] = Self::keys(username, addr);
        let window = self.window;
        // For each key: how many recent failures, the first and the last of them.
        let mut recent = |key: &str| -> (usize, Option<Instant>, Option<Instant>) {
            state.failures.get_mut(key).map_or((0, None, None), |v| {
                v.retain(|t| now.duration_since(*t) < window);
                (v.len(), v.first().copied(), v.last().copied())
            })
        };
        let pair_failures = recent(&pair);
        let address_failures = recent(&address);
        let user_failures = recent(&user);
        let wait_from = |since: Option<Instant>, wait: Duration| {
            since
                .map(|t| wait.saturating_sub(now.duration_since(t)))
                .filter(|d| !d.is_zero())
        };
        let mut waits = Vec::new();
        if pair_failures.0 >= self.per_pair {
            let over = u32::try_from(pair_failures.0 - self.per_pair).unwrap_or(u32::MAX);
            let wait = Duration::from_secs(30)
                .saturating_mul(2u32.saturating_pow(over.min(16)))
                .min(window);
            waits.push(wait_from(pair_failures.2, wait));
        }
        if address_failures.0 >= self.per_addr {
            waits.push(wait_from(address_failures.1, window));
        }
        if user_failures.0 >= self.per_user && !known {
            waits.push(wait_from(user_failures.1, window));
        }
        waits.into_iter().flatten().max()
    }

    pub fn record_failure(&self, username: &str, addr: IpAddr) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Bound memory under a flood of distinct names: forget everything stale first.
        if state.failures.len() > 100_000 {
            let now = Instant::now();
            let window = self.window;
            state
                .failures
                .retain(|_, v| v.iter().any(|t| now.duration_since(*t) < window));
        }
        for key in Self::keys(username, addr) {
            state.failures.entry(key).or_default().push(Instant::now());
        }
    }

    /// A successful sign-in: this pair starts afresh, and the address is one the
    /// username is known to sign in from.
    pub fn record_success(&self, username: &str, addr: IpAddr) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let [pair, _, user] = Self::keys(username, addr);
        state.failures.remove(&pair);
        let known = state.known.entry(user).or_default();
        if !known.contains(&addr) {
            if known.len() >= 16 {
                known.remove(0);
            }
            known.push(addr);
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
    fn limiter_slows_guessing_without_locking_the_owner_out() {
        let l = LoginLimiter::default();
        let (owner, attacker, elsewhere) = (
            IpAddr::from([10, 0, 0, 1]),
            IpAddr::from([10, 0, 0, 2]),
            IpAddr::from([10, 0, 0, 3]),
        );
        l.record_success("admin", owner);
        for _ in 0..5 {
            assert_eq!(l.retry_after("admin", attacker), None);
            l.record_failure("admin", attacker);
        }
        let first = l.retry_after("admin", attacker).expect("the pair waits");
        assert!(first <= Duration::from_secs(30));
        l.record_failure("admin", attacker);
        let second = l.retry_after("ADMIN", attacker).expect("still waiting");
        assert!(second > first, "each further failure doubles the wait");
        assert_eq!(
            l.retry_after("admin", owner),
            None,
            "the owner is not held back"
        );
        assert_eq!(
            l.retry_after("admin", elsewhere),
            None,
            "nor another address yet"
        );
        for i in 0..20 {
            l.record_failure(&format!("user{i}"), elsewhere);
        }
        assert!(
            l.retry_after("fresh", elsewhere).is_some(),
            "an address that fails for many names waits, for any name"
        );
        // Past the per-username ceiling, new addresses are slowed; the owner's is not.
        let l = LoginLimiter::default();
        l.record_success("admin", owner);
        for i in 0..50u8 {
            l.record_failure("admin", IpAddr::from([10, 1, 0, i]));
        }
        assert!(
            l.retry_after("admin", IpAddr::from([10, 2, 0, 1]))
                .is_some()
        );
        assert_eq!(l.retry_after("admin", owner), None);
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
