//! Sign-in, sessions, API tokens, CSRF and login rate limiting.
//!
//! Secrets (session cookies, API tokens) are random 256-bit values; only their SHA-256
//! is stored, so a copy of the database does not let anyone sign in.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::ConnectInfo;
use axum::http::header::COOKIE;
use axum::http::request::Parts;
use hamafza_core::access::Actor;
use hamafza_store::{LoginRecord, Store, StoreResult, User};
use rand::RngCore;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

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
/// over a sliding window. The counts live in the database, so every app server on it
/// throttles alike.
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
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter {
            window: Duration::from_secs(15 * 60),
            per_pair: 5,
            per_addr: 20,
            per_user: 50,
        }
    }
}

impl LoginLimiter {
    /// The name failures are counted under: what was typed, when it could be a
    /// username at all; anything else (too long, control characters, bytes PostgreSQL
    /// refuses in text) under one shared name, still counted for its address.
    fn name_key(username: &str) -> &str {
        if hamafza_store::valid_username(&username.to_lowercase()) {
            username
        } else {
            "-"
        }
    }

    /// How long this username at this address must wait before another try, if at all.
    pub async fn retry_after(
        &self,
        store: &Store,
        username: &str,
        addr: IpAddr,
    ) -> StoreResult<Option<Duration>> {
        let now = OffsetDateTime::now_utc();
        let record = store
            .login_record(
                Self::name_key(username),
                &addr.to_string(),
                now - self.window,
            )
            .await?;
        Ok(self.wait(&record, now))
    }

    pub async fn record_failure(
        &self,
        store: &Store,
        username: &str,
        addr: IpAddr,
    ) -> StoreResult<()> {
        let now = OffsetDateTime::now_utc();
        store
            .record_login_failure(
                Self::name_key(username),
                &addr.to_string(),
                now,
                now - self.window,
            )
            .await
    }

    /// A successful sign-in: this pair starts afresh, and the address is one the
    /// username is known to sign in from.
    pub async fn record_success(
        &self,
        store: &Store,
        username: &str,
        addr: IpAddr,
    ) -> StoreResult<()> {
        store
            .record_login_success(
                Self::name_key(username),
                &addr.to_string(),
                OffsetDateTime::now_utc(),
            )
            .await
    }

    /// The rule itself, on what the database counted.
    fn wait(&self, r: &LoginRecord, now: OffsetDateTime) -> Option<Duration> {
        let wait_from = |since: Option<OffsetDateTime>, wait: Duration| {
            let since = since?;
            let passed = Duration::try_from(now - since).unwrap_or(Duration::ZERO);
            Some(wait.saturating_sub(passed)).filter(|d| !d.is_zero())
        };
        let mut waits = Vec::new();
        if r.pair.count >= self.per_pair {
            let over = u32::try_from(r.pair.count - self.per_pair).unwrap_or(u32::MAX);
            let wait = Duration::from_secs(30)
                .saturating_mul(2u32.saturating_pow(over.min(16)))
                .min(self.window);
            waits.push(wait_from(r.pair.last, wait));
        }
        if r.address.count >= self.per_addr {
            waits.push(wait_from(r.address.first, self.window));
        }
        if r.user.count >= self.per_user && !r.known_address {
            waits.push(wait_from(r.user.first, self.window));
        }
        waits.into_iter().flatten().max()
    }
}

/// Signed-in callers already looked up, so a request costs one read of the `accounts`
/// version instead of four (credential, account, roles, places). Any ended session,
/// revoked token or (de)activated account moves the version — through this server or
/// another on the same database — and the next request looks everything up afresh.
#[derive(Default)]
pub struct AuthCache(std::sync::Mutex<AuthCacheState>);

#[derive(Default)]
struct AuthCacheState {
    version: i64,
    callers: std::collections::HashMap<String, (User, Credential, Option<time::OffsetDateTime>)>,
}

/// Enough for every active account's sessions and tokens; past it the cache starts over.
const AUTH_CACHE_ENTRIES: usize = 10_000;

impl AuthCache {
    pub(crate) fn get(
        &self,
        key: &str,
        version: i64,
        now: time::OffsetDateTime,
    ) -> Option<(User, Credential)> {
        let state = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.version != version {
            return None;
        }
        let (user, credential, expires) = state.callers.get(key)?;
        if expires.is_some_and(|t| t < now) {
            return None;
        }
        Some((user.clone(), credential.clone()))
    }

    pub(crate) fn put(
        &self,
        key: String,
        version: i64,
        entry: (User, Credential, Option<time::OffsetDateTime>),
    ) {
        let mut state = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.version != version || state.callers.len() >= AUTH_CACHE_ENTRIES {
            state.callers.clear();
            state.version = version;
        }
        state.callers.insert(key, entry);
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
    /// The data versions read when the caller was recognised: what the request's
    /// cached answers are checked against (see `crate::cache`).
    pub versions: hamafza_store::DataVersions,
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

/// The client's address (for rate limiting; never logged with a username). For a
/// connection from a trusted reverse proxy it is the last address in `X-Forwarded-For`
/// that is not itself a trusted proxy (the one the proxies saw); anyone else's header is
/// ignored, so a client cannot pick its own address.
pub fn client_addr(parts: &Parts, trusted_proxies: &[IpAddr]) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .rev()
        .find(|a| !trusted_proxies.contains(a))
        .unwrap_or(peer)
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

    #[tokio::test]
    async fn limiter_slows_guessing_without_locking_the_owner_out() {
        let store = hamafza_store::testing::fresh_sqlite().await.expect("store");
        let l = LoginLimiter::default();
        let wait = |name: &'static str, addr| {
            let (store, l) = (store.clone(), &l);
            async move { l.retry_after(&store, name, addr).await.expect("count") }
        };
        let fail = |name: String, addr| {
            let (store, l) = (store.clone(), &l);
            async move { l.record_failure(&store, &name, addr).await.expect("record") }
        };
        let (owner, attacker, elsewhere) = (
            IpAddr::from([10, 0, 0, 1]),
            IpAddr::from([10, 0, 0, 2]),
            IpAddr::from([10, 0, 0, 3]),
        );
        l.record_success(&store, "admin", owner).await.expect("ok");
        for _ in 0..5 {
            assert_eq!(wait("admin", attacker).await, None);
            fail("admin".into(), attacker).await;
        }
        let first = wait("admin", attacker).await.expect("the pair waits");
        assert!(first <= Duration::from_secs(30));
        fail("admin".into(), attacker).await;
        let second = wait("ADMIN", attacker).await.expect("still waiting");
        assert!(second > first, "each further failure doubles the wait");
        assert_eq!(
            wait("admin", owner).await,
            None,
            "the owner is not held back"
        );
        assert_eq!(
            wait("admin", elsewhere).await,
            None,
            "nor another address yet"
        );
        for i in 0..20 {
            fail(format!("user{i}"), elsewhere).await;
        }
        assert!(
            wait("fresh", elsewhere).await.is_some(),
            "an address that fails for many names waits, for any name"
        );
        // Past the per-username ceiling, new addresses are slowed; the owner's is not.
        for i in 0..50u8 {
            fail("root".into(), IpAddr::from([10, 1, 0, i])).await;
        }
        l.record_success(&store, "root", owner).await.expect("ok");
        assert!(wait("root", IpAddr::from([10, 2, 0, 1])).await.is_some());
        assert_eq!(wait("root", owner).await, None);
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
