//! What the HTTP test files share: a real server on a free port over a fresh store
//! (SQLite or PostgreSQL) with places, two agencies and one user per role, and helpers to
//! sign in and send requests as them.
#![allow(dead_code)] // each test file uses its own part of this

use hamafza_core::ids::AgencyId;
use std::net::SocketAddr;

use hamafza_core::access::Role;
use hamafza_core::agency::AgencyKind;
use hamafza_core::place::PlaceLevel;
use hamafza_store::{Engine, NewAgency, NewPlace, NewUser, Store, Who};
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::Value;

pub const PASSWORD: &str = "test-password-1";

/// The fixture's one user per role (see [`Fixture::start`]).
pub const EVERY_ROLE: [&str; 6] = [
    "admin",
    "aadmin",
    "secretary",
    "officer",
    "analyst",
    "viewer",
];

/// Runs each listed test body on both engines.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Fixture::start(hamafza_store::Engine::Sqlite).await).await }) * }
        mod postgres { $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Fixture::start(hamafza_store::Engine::Postgres).await).await }) * }
    };
}

/// Places, agencies and one user per role, with jurisdictions that overlap and differ.
pub struct Fixture {
    pub base: String,
    pub store: Store,
    pub http: reqwest::Client,
    pub ids: std::collections::HashMap<&'static str, String>,
    /// The server's day: 19 Mehr 1404 (2025-10-11) until a test moves it.
    pub clock: hamafza_web::Clock,
}

/// A fixture place with a small square boundary and 1,000 residents.
pub fn place(code: &str, name: &str, level: PlaceLevel, parent: Option<&NewPlace>) -> NewPlace {
    NewPlace {
        population: Some(1000),
        area_km2: Some(1.0),
        geometry: Some(r#"{"type":"MultiPolygon","coordinates":[[[[51,35],[51.1,35],[51.1,35.1],[51,35.1],[51,35]]]]}"#.into()),
        ..hamafza_store::testing::place(code, name, level, parent)
    }
}

impl Fixture {
    pub async fn start(engine: Engine) -> Fixture {
        Self::start_with(engine, |state| state).await
    }

    /// [`Fixture::start`], with the server's state changed by `configure` (e.g.
    /// biometrics on).
    pub async fn start_with(
        engine: Engine,
        configure: impl FnOnce(hamafza_web::AppState) -> hamafza_web::AppState,
    ) -> Fixture {
        let store = hamafza_store::testing::fresh(engine).await.expect("store");
        let p1 = place("P1", "تهران", PlaceLevel::Province, None);
        let p2 = place("P2", "کرمان", PlaceLevel::Province, None);
        let c1 = place("C1", "شهرستان یک", PlaceLevel::County, Some(&p1));
        let city = place("CITY", "شهر نمونه", PlaceLevel::City, Some(&c1));
        let d1 = place("D1", "منطقهٔ ۱", PlaceLevel::District, Some(&city));
        let d2 = place("D2", "منطقهٔ ۲", PlaceLevel::District, Some(&city));
        let n1 = place("N1", "کوی ارغوان", PlaceLevel::Neighbourhood, Some(&d1));
        let n2 = place("N2", "کوی نسترن", PlaceLevel::Neighbourhood, Some(&d2));
        let places = vec![p1, p2, c1, city, d1, d2, n1, n2];
        store
            .insert_places(&Who::system(), &places, &|_| {})
            .await
            .expect("places");
        let mut ids = std::collections::HashMap::new();
        for (key, p) in ["P1", "P2", "C1", "CITY", "D1", "D2", "N1", "N2"]
            .into_iter()
            .zip(&places)
        {
            ids.insert(key, p.id.to_string());
        }
        let a = store
            .create_agency(
                &Who::system(),
                &NewAgency {
                    code: "agency-a".into(),
                    name_fa: "بهزیستی".into(),
                    kind: AgencyKind::Welfare,
                    place_id: None,
                },
            )
            .await
            .expect("a");
        let b = store
            .create_agency(
                &Who::system(),
                &NewAgency {
                    code: "agency-b".into(),
                    name_fa: "فراجا".into(),
                    kind: AgencyKind::Police,
                    place_id: None,
                },
            )
            .await
            .expect("b");
        ids.insert("A", a.id.to_string());
        ids.insert("B", b.id.to_string());
        let hash = hamafza_web::hash_password(PASSWORD).expect("hash");
        let users: [(&'static str, AgencyId, Role, &[&str]); 6] = [
            ("admin", a.id, Role::SystemAdmin, &[]),
            ("aadmin", a.id, Role::AgencyAdmin, &["P1"]),
            ("secretary", a.id, Role::CouncilSecretary, &["D1"]),
            ("officer", b.id, Role::AgencyOfficer, &["D1"]),
            ("analyst", a.id, Role::Analyst, &["CITY"]),
            ("viewer", b.id, Role::Viewer, &["P2"]),
        ];
        for (username, agency, role, places) in users {
            let u = store
                .create_user(
                    &Who::system(),
                    &NewUser {
                        username: username.into(),
                        display_name: format!("کاربر {username}"),
                        agency_id: agency,
                        roles: vec![role],
                        jurisdiction: places
                            .iter()
                            .map(|p| ids[p].parse().expect("place id"))
                            .collect(),
                        password_hash: hash.clone(),
                    },
                )
                .await
                .expect("user");
            ids.insert(username, u.id.to_string());
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let clock = hamafza_web::Clock::fixed(time::macros::date!(2025 - 10 - 11));
        let app = hamafza_web::router(configure(
            hamafza_web::AppState::new(store.clone()).with_clock(clock.clone()),
        ));
        tokio::spawn(async move {
            let _ = axum_serve(listener, app).await;
        });
        let http = reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .expect("client");
        Fixture {
            base: format!("http://{addr}"),
            store,
            http,
            ids,
            clock,
        }
    }

    /// Starts another app server on the same database, through a connection pool and
    /// in-memory state of its own (as a second machine has them); returns its base URL.
    pub async fn second_server(&self, trusted_proxies: Vec<std::net::IpAddr>) -> String {
        self.second_server_with(trusted_proxies, None).await
    }

    /// [`Fixture::second_server`], signing checkpoints (and witnessing) with `key`.
    pub async fn second_server_with(
        &self,
        trusted_proxies: Vec<std::net::IpAddr>,
        key: Option<std::sync::Arc<ed25519_dalek::SigningKey>>,
    ) -> String {
        let store = self.store.reopen().await.expect("second pool");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut state = hamafza_web::AppState::new(store)
            .with_clock(self.clock.clone())
            .with_trusted_proxies(trusted_proxies);
        if let Some(key) = key {
            state = state.with_checkpoint_key(key);
        }
        let app = hamafza_web::router(state);
        tokio::spawn(async move {
            let _ = axum_serve(listener, app).await;
        });
        format!("http://{addr}")
    }

    /// A fixture id as its own type.
    pub fn id<T: std::str::FromStr>(&self, key: &str) -> T
    where
        T::Err: std::fmt::Debug,
    {
        self.ids[key].parse().expect("fixture id")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Signs in through the login form; returns the session cookie and its CSRF token.
    pub async fn login(&self, username: &str) -> Session {
        let (cookie, csrf) = self.login_form().await;
        let res = self
            .http
            .post(self.url("/login"))
            .header("cookie", cookie)
            .form(&[
                ("username", username),
                ("password", PASSWORD),
                ("csrf", &csrf),
            ])
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "login of {username}");
        let set = res
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .expect("cookie")
            .to_string();
        let cookie = set.split(';').next().expect("pair").to_string();
        let me: Value = self
            .http
            .get(self.url("/api/v1/me"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("me")
            .json()
            .await
            .expect("json");
        Session {
            cookie,
            csrf: me["csrf_token"].as_str().expect("csrf").to_string(),
        }
    }

    /// Opens the login page: its CSRF cookie and the token in the form.
    pub async fn login_form(&self) -> (String, String) {
        self.login_form_at(&self.base).await
    }

    /// [`Fixture::login_form`] of the server at `base` (another server on the store).
    pub async fn login_form_at(&self, base: &str) -> (String, String) {
        let res = self
            .http
            .get(format!("{base}/login"))
            .send()
            .await
            .expect("login page");
        let cookie = res
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .expect("csrf cookie")
            .split(';')
            .next()
            .expect("pair")
            .to_string();
        let html = res.text().await.expect("html");
        let csrf = html
            .split(r#"name="csrf" value=""#)
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("csrf field")
            .to_string();
        (cookie, csrf)
    }

    pub async fn get(&self, s: &Session, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .header("cookie", &s.cookie)
            .send()
            .await
            .expect("get")
    }

    pub async fn post_json(&self, s: &Session, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .header("cookie", &s.cookie)
            .header("x-csrf-token", &s.csrf)
            .json(&body)
            .send()
            .await
            .expect("post")
    }

    pub async fn put_json(&self, s: &Session, path: &str, body: Value) -> reqwest::Response {
        self.http
            .put(self.url(path))
            .header("cookie", &s.cookie)
            .header("x-csrf-token", &s.csrf)
            .json(&body)
            .send()
            .await
            .expect("put")
    }

    pub async fn post_form(
        &self,
        s: &Session,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .header("cookie", &s.cookie)
            .form(form)
            .send()
            .await
            .expect("post")
    }
}

async fn axum_serve(listener: tokio::net::TcpListener, app: axum::Router) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}

/// The status a policy decision must produce over HTTP: allowed is 200, a record the
/// caller may not know of is 404, a refusal of something the caller can see is 403.
pub fn status_for(d: hamafza_core::access::Decision) -> StatusCode {
    use hamafza_core::access::{Decision, DenyReason};
    match d {
        Decision::Allow => StatusCode::OK,
        Decision::Deny(DenyReason::Hidden | DenyReason::Jurisdiction) => StatusCode::NOT_FOUND,
        Decision::Deny(DenyReason::Role | DenyReason::Agency) => StatusCode::FORBIDDEN,
    }
}

impl Fixture {
    /// The fixture's users of these names, signed in, each with the actor the policy
    /// decides for.
    pub async fn signed_in_as(
        &self,
        names: &[&str],
    ) -> Vec<(Session, hamafza_core::access::Actor)> {
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            let actor = self
                .store
                .user_for_login(name)
                .await
                .expect("user")
                .expect("exists")
                .0
                .actor();
            out.push((self.login(name).await, actor));
        }
        out
    }
}

pub struct Session {
    pub cookie: String,
    pub csrf: String,
}
