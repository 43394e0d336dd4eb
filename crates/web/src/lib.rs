//! Hamafza's web layer: server-rendered Persian pages (right to left, Jalali dates,
//! Persian digits) and the JSON API under `/api/v1`, over one [`AppState`].
//!
//! Every handler asks `hamafza_core::access` before it reads or writes, and passes the
//! caller's scope down to the store, so the pages and the API cannot disagree on who
//! sees what.

mod admin;
mod api;
mod app;
mod assets;
mod atlas;
pub mod auth;
pub mod biometrics;
mod cache;
pub mod checkpoints;
mod clock;
mod error;
mod extract;
mod home;
mod layout;
mod linkage;
mod pages;
mod people;
mod places;
mod resolutions;
mod server;
pub mod words;

use std::net::SocketAddr;
use std::sync::Arc;

use hamafza_store::Store;

pub use app::router;
pub use auth::{hash_password, new_secret, secret_hash};
pub use clock::Clock;
pub use server::{Limits, shutdown_signal};

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub limiter: Arc<auth::LoginLimiter>,
    /// Callers already looked up (see `auth::AuthCache`).
    pub auth_cache: Arc<auth::AuthCache>,
    /// Answers kept until the data they rest on moves (see `cache`).
    pub caches: Arc<Caches>,
    pub clock: Clock,
    /// Leaf places in memory, for placing events.
    pub locator: Arc<atlas::LocatorCache>,
    /// Counts below this are hidden from callers without restricted access.
    pub small_count: i64,
    /// Cookies carry `Secure` (served over HTTPS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`--trusted-proxy`).
    pub trusted_proxies: Arc<[std::net::IpAddr]>,
    /// The key this server signs its audit checkpoints and countersignatures with.
    pub checkpoint_key: Option<Arc<ed25519_dalek::SigningKey>>,
    /// Years after which a person with no open case and no encounter is unnamed by
    /// the daily retention run (`--retention-years`).
    pub retention_years: i64,
    /// The key templates are sealed with and the matcher (none: biometrics are off and
    /// their API says so).
    pub biometrics: Option<Arc<biometrics::Biometrics>>,
}

/// Years a quiet record keeps its names unless the operator says otherwise.
pub const DEFAULT_RETENTION_YEARS: i64 = 5;

/// The server's caches, each named with the version it follows. One cache follows one
/// version: a cache whose keys followed two would start over at every write of either.
#[derive(Default)]
pub struct Caches {
    /// `GET /api/v1/places` answers, by scope and filter (`places`).
    pub place_lists: cache::VersionedCache<axum::body::Bytes>,
    /// The places browser's map and tree, by scope (`places`).
    pub place_browser: cache::VersionedCache<Arc<str>>,
    /// A place's children with an indicator's values, classified (`atlas`).
    pub maps: cache::VersionedCache<Arc<atlas::MapData>>,
    /// The atlas page's map drawn (`atlas`).
    pub map_drawings: cache::VersionedCache<Arc<str>>,
    /// A priority index run over a place's children (`atlas`).
    pub rankings:
        cache::VersionedCache<Arc<(atlas::priority::Ranking, Vec<hamafza_store::PlaceSummary>)>>,
    /// Whole JSON answers of the atlas's read API, by everything the caller's answer
    /// depends on (`atlas`).
    pub answers: cache::VersionedCache<axum::body::Bytes>,
    /// The atlas page's body (without the signed-in frame), by everything it depends
    /// on (`atlas`).
    pub atlas_pages: cache::VersionedCache<Arc<str>>,
    /// The home page's figures by scope (`places` + `accounts`).
    pub home: cache::VersionedCache<Arc<home::Figures>>,
}

impl AppState {
    pub fn new(store: Store) -> Self {
        AppState {
            store,
            limiter: Arc::new(auth::LoginLimiter::default()),
            auth_cache: Arc::default(),
            caches: Arc::default(),
            clock: Clock::system(),
            locator: Arc::default(),
            small_count: hamafza_core::indicator::DEFAULT_SMALL_COUNT,
            secure_cookies: false,
            trusted_proxies: Arc::new([]),
            checkpoint_key: None,
            retention_years: DEFAULT_RETENTION_YEARS,
            biometrics: None,
        }
    }

    /// The same state with biometrics on (templates sealed with its key, sent to its
    /// matcher; run [`biometrics::spawn_worker`] beside it).
    pub fn with_biometrics(self, biometrics: Arc<biometrics::Biometrics>) -> Self {
        AppState {
            biometrics: Some(biometrics),
            ..self
        }
    }

    /// The same state with another retention period (1 to 100 years).
    pub fn with_retention_years(self, years: i64) -> Self {
        AppState {
            retention_years: years.clamp(1, 100),
            ..self
        }
    }

    /// The same state signing checkpoints (and witnessing others') with `key`.
    pub fn with_checkpoint_key(self, key: Arc<ed25519_dalek::SigningKey>) -> Self {
        AppState {
            checkpoint_key: Some(key),
            ..self
        }
    }

    /// The same state trusting these reverse proxies to name the client.
    pub fn with_trusted_proxies(self, proxies: Vec<std::net::IpAddr>) -> Self {
        AppState {
            trusted_proxies: proxies.into(),
            ..self
        }
    }

    /// The same state with another small-count threshold.
    pub fn with_small_count(self, k: i64) -> Self {
        AppState {
            small_count: k.max(1),
            ..self
        }
    }

    /// The same state with `Secure` cookies (HTTPS only) or without.
    pub fn with_secure_cookies(self, secure_cookies: bool) -> Self {
        AppState {
            secure_cookies,
            ..self
        }
    }

    /// The same state on another clock (a fixed or simulated day).
    pub fn with_clock(self, clock: Clock) -> Self {
        AppState { clock, ..self }
    }
}

/// Headers that make the browser refuse what Hamafza never does: scripts or styles from
/// elsewhere, framing by another site, and guessing content types.
pub(crate) async fn security_headers(
    mut res: axum::response::Response,
) -> axum::response::Response {
    use axum::http::HeaderValue;
    let h = res.headers_mut();
    h.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    // Nothing a signed-in user is shown is kept by the browser or a proxy: pages and
    // API answers alike. Static assets say otherwise for themselves.
    if !h.contains_key(axum::http::header::CACHE_CONTROL) {
        h.insert(
            axum::http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        );
    }
    res
}

/// Runs the escalation job now and then every hour, on the state's clock, until `stop`
/// turns true; a run that has begun is finished first (await the handle). With several
/// servers on one database, each hour's run is made by the one holding the job's lease.
/// A failed run is logged (without personal data) and tried again at the next hour.
pub fn spawn_escalation_job(
    state: &AppState,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let store = state.store.clone();
    let clock = state.clock.clone();
    // Who this process is, for the lease: new at every start.
    let holder = uuid::Uuid::now_v7().to_string();
    let retention_years = state.retention_years;
    tokio::spawn(async move {
        let mut retained_on: Option<time::Date> = None;
        let policy = hamafza_core::resolutions::EscalationPolicy::default();
        let hour = std::time::Duration::from_secs(3600);
        let mut every_hour = tokio::time::interval(hour);
        loop {
            // Stopping is looked at between runs only, so a run is never cut short.
            tokio::select! {
                biased;
                _ = every_hour.tick() => {}
                _ = stop.wait_for(|s| *s) => break,
            }
            if *stop.borrow() {
                break;
            }
            // A little less than the hour, so the holder renews it before anyone else
            // may take it, and another server takes over within the hour if it stops.
            let lease = time::Duration::minutes(55);
            match store
                .take_job_lease(
                    "escalation",
                    &holder,
                    time::OffsetDateTime::now_utc(),
                    lease,
                )
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    tracing::debug!("escalation: another server holds the lease");
                    continue;
                }
                Err(e) => {
                    tracing::warn!("escalation lease failed: {e}");
                    continue;
                }
            }
            match store.run_escalations(&policy, clock.today()).await {
                Ok(run) => tracing::info!(
                    reminders = run.reminders,
                    head_notices = run.head_notices,
                    agenda = run.agenda,
                    "escalation run"
                ),
                Err(e) => tracing::warn!("escalation run failed: {e}"),
            }
            match store.run_referral_escalations(&policy, clock.today()).await {
                Ok(0) => {}
                Ok(notices) => tracing::info!(notices, "referral escalation run"),
                Err(e) => tracing::warn!("referral escalation run failed: {e}"),
            }
            // Retention once a day (the first hourly run of each day): each run is
            // audited with what it did, so it is not repeated every hour.
            let today = clock.today();
            if retained_on != Some(today) {
                let before = today - time::Duration::days(365 * retention_years);
                match store.run_retention(before).await {
                    Ok(run) => {
                        retained_on = Some(today);
                        tracing::info!(
                            unnamed = run.pseudonymised,
                            on_hold = run.on_hold,
                            "retention run"
                        );
                    }
                    Err(e) => tracing::warn!("retention run failed: {e}"),
                }
            }
        }
    })
}

/// Serves until the process is asked to stop (SIGTERM or SIGINT), with the default
/// [`Limits`] on slow and flooding clients; requests in flight finish first.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    serve_with(
        listener,
        state,
        Limits::default(),
        server::shutdown_signal(),
    )
    .await
}

/// Serves with the given limits until `shutdown` resolves.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    // `tap_io` only to let axum hand each request its client's address.
    let listener = server::LimitedListener::new(listener, limits).tap_io(|_| {});
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
