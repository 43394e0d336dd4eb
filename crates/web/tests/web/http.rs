//! The real HTTP server on a free port, against SQLite and a real PostgreSQL: the access
//! matrix (roles × jurisdictions × endpoints), sign-in, CSRF, sessions, rate limiting,
//! bad input of every kind, and the OpenAPI document against the routes.
//!
//! Long because each test is a whole scenario (sign in, act, look); they share the
//! fixture in `common.rs` and the one test binary of the web crate.

use crate::common;

use common::{Fixture, PASSWORD, Session};
use hamafza_core::access::Scope;
use hamafza_store::Who;
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_engines!(
    access_matrix,
    sign_in_sessions_and_csrf,
    login_rate_limit,
    bad_input_never_breaks_anything,
    api_tokens_work_and_can_be_revoked,
    openapi_matches_the_routes,
    pages_are_persian_and_scoped,
    places_import_over_the_api_is_all_or_nothing,
);

async fn places_import_over_the_api_is_all_or_nothing(f: Fixture) {
    let admin = f.login("admin").await;
    let viewer = f.login("viewer").await;
    let square = |x: f64| {
        format!(
            r#"{{"type":"Polygon","coordinates":[[[{x},35.0],[{},35.0],[{},35.01],[{x},35.01],[{x},35.0]]]}}"#,
            x + 0.01,
            x + 0.01
        )
    };
    let feature = |props: &str, geometry: String| {
        format!(r#"{{"type":"Feature","properties":{props},"geometry":{geometry}}}"#)
    };
    let bad = format!(
        r#"{{"type":"FeatureCollection","features":[{},{},{}]}}"#,
        feature(r#"{"code":"NX-1","name_fa":"درست"}"#, square(51.0)),
        feature(r#"{"code":"NX-2"}"#, square(51.02)),
        feature(r#"{"code":"NX-3","name_fa":"خودبرخورد"}"#, r#"{"type":"Polygon","coordinates":[[[51,35],[51.1,35.1],[51,35.1],[51.1,35],[51,35]]]}"#.to_string()),
    );
    let post = |s: &Session, body: String, query: &str| {
        f.http
            .post(f.url(&format!("/api/v1/places/import?{query}")))
            .header("cookie", &s.cookie)
            .header("x-csrf-token", &s.csrf)
            .header("content-type", "application/geo+json")
            .body(body)
            .send()
    };
    let res = post(&admin, bad, "level=neighbourhood&parent=D1")
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.expect("json");
    let errors = problem["errors"].as_array().expect("errors");
    assert_eq!(
        errors
            .iter()
            .map(|e| e["feature"].as_u64().unwrap_or(0))
            .collect::<Vec<_>>(),
        vec![2, 3]
    );
    assert_eq!(errors[0]["field"], "name_fa");
    assert!(
        errors[0]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("«نام فارسی» لازم است"),
        "{errors:?}"
    );
    assert!(
        f.store.place_by_code("NX-1").await.expect("q").is_none(),
        "nothing written"
    );
    let good = format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        feature(
            r#"{"code":"NX-1","name_fa":"کوی تازه","population":4200}"#,
            square(51.0)
        )
    );
    let res = post(&viewer, good.clone(), "level=neighbourhood&parent=D1")
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = post(&admin, "not json".into(), "level=neighbourhood")
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = post(&admin, good.clone(), "level=planet")
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = post(&admin, good, "level=neighbourhood&parent=D1")
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::CREATED);
    let created = f
        .store
        .place_by_code("NX-1")
        .await
        .expect("q")
        .expect("written");
    assert_eq!(created.parent_id, Some(f.id("D1")));
    assert_eq!(created.population, Some(4200));
}

async fn access_matrix(f: Fixture) {
    let roles = [
        "admin",
        "aadmin",
        "secretary",
        "officer",
        "analyst",
        "viewer",
    ];
    let mut sessions = Vec::new();
    for r in roles {
        sessions.push(f.login(r).await);
    }
    // (description, path, expected status per role in the order above)
    let ok = StatusCode::OK;
    let nf = StatusCode::NOT_FOUND;
    let fb = StatusCode::FORBIDDEN;
    let cr = StatusCode::CREATED;
    let get = |path: String| path;
    let ids = &f.ids;
    let cases: Vec<(&str, String, [StatusCode; 6])> = vec![
        (
            "GET province P1",
            get(format!("/api/v1/places/{}", ids["P1"])),
            [ok, ok, ok, ok, ok, nf],
        ),
        (
            "GET province P2",
            get(format!("/api/v1/places/{}", ids["P2"])),
            [ok, nf, nf, nf, nf, ok],
        ),
        (
            "GET neighbourhood N1 (district 1)",
            get(format!("/api/v1/places/{}", ids["N1"])),
            [ok, ok, ok, ok, ok, nf],
        ),
        (
            "GET neighbourhood N2 (district 2)",
            get(format!("/api/v1/places/{}", ids["N2"])),
            [ok, ok, nf, nf, ok, nf],
        ),
        ("GET agencies", get("/api/v1/agencies".into()), [ok; 6]),
        ("GET me", get("/api/v1/me".into()), [ok; 6]),
        (
            "GET users",
            get("/api/v1/users".into()),
            [ok, ok, fb, fb, fb, fb],
        ),
        (
            "GET user officer (agency B)",
            get(format!("/api/v1/users/{}", ids["officer"])),
            [ok, nf, nf, ok, nf, nf],
        ),
        (
            "GET audit",
            get("/api/v1/audit".into()),
            [ok, ok, fb, fb, fb, fb],
        ),
        (
            "page /users",
            get("/users".into()),
            [ok, ok, fb, fb, fb, fb],
        ),
        (
            "page /audit",
            get("/audit".into()),
            [ok, ok, fb, fb, fb, fb],
        ),
        ("page /agencies", get("/agencies".into()), [ok; 6]),
        (
            "page place N2",
            get(format!("/places/{}", ids["N2"])),
            [ok, ok, nf, nf, ok, nf],
        ),
    ];
    for (what, path, expected) in &cases {
        for (i, s) in sessions.iter().enumerate() {
            let status = f.get(s, path).await.status();
            assert_eq!(status, expected[i], "{what} as {}", roles[i]);
        }
    }
    // Writes: create a user in agency A with jurisdiction D1; create an agency.
    for (i, s) in sessions.iter().enumerate() {
        let body = json!({"username": format!("new-{i}"), "password": "another-pass-1", "agency_id": ids["A"], "roles": ["viewer"], "jurisdiction": [ids["D1"]]});
        let status = f.post_json(s, "/api/v1/users", body).await.status();
        assert_eq!(
            status,
            [cr, cr, fb, fb, fb, fb][i],
            "create user in A as {}",
            roles[i]
        );
        let body = json!({"username": format!("newb-{i}"), "password": "another-pass-1", "agency_id": ids["B"], "roles": ["viewer"], "jurisdiction": [ids["D1"]]});
        let status = f.post_json(s, "/api/v1/users", body).await.status();
        assert_eq!(
            status,
            [cr, fb, fb, fb, fb, fb][i],
            "create user in B as {}",
            roles[i]
        );
        let body = json!({"username": format!("newp-{i}"), "password": "another-pass-1", "agency_id": ids["A"], "roles": ["viewer"], "jurisdiction": [ids["P2"]]});
        let status = f.post_json(s, "/api/v1/users", body).await.status();
        assert_eq!(
            status,
            [cr, fb, fb, fb, fb, fb][i],
            "create user outside own places as {}",
            roles[i]
        );
        let body = json!({"code": format!("ag-{i}"), "name_fa": "دستگاه تازه", "kind": "health"});
        let status = f.post_json(s, "/api/v1/agencies", body).await.status();
        assert_eq!(
            status,
            [cr, fb, fb, fb, fb, fb][i],
            "create agency as {}",
            roles[i]
        );
    }
    // Lists never contain what the user may not see.
    let names = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|p| p["code"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let officer_places = names(
        f.get(&sessions[3], "/api/v1/places?limit=1000")
            .await
            .json()
            .await
            .expect("json"),
    );
    assert_eq!(officer_places, vec!["P1", "C1", "CITY", "D1", "N1"]);
    let viewer_places = names(
        f.get(&sessions[5], "/api/v1/places")
            .await
            .json()
            .await
            .expect("json"),
    );
    assert_eq!(viewer_places, vec!["P2"]);
    let aadmin_users: Value = f
        .get(&sessions[1], "/api/v1/users")
        .await
        .json()
        .await
        .expect("json");
    assert!(
        aadmin_users["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|u| u["agency_id"] == json!(ids["A"]))
    );
    let aadmin_audit: Value = f
        .get(&sessions[1], "/api/v1/audit?limit=500")
        .await
        .json()
        .await
        .expect("json");
    assert!(
        aadmin_audit["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|e| e["actor_agency_id"] == json!(ids["A"]))
    );
}

async fn sign_in_sessions_and_csrf(f: Fixture) {
    // Wrong password: a Persian refusal and no session.
    let (cookie, csrf) = f.login_form().await;
    let res = f
        .http
        .post(f.url("/login"))
        .header("cookie", &cookie)
        .form(&[
            ("username", "admin"),
            ("password", "nope-nope"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(
        res.headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap_or("").starts_with("hamafza_session="))
    );
    assert!(
        res.text()
            .await
            .expect("html")
            .contains("نام کاربری یا گذرواژه نادرست است")
    );
    // Missing and wrong login CSRF.
    let res = f
        .http
        .post(f.url("/login"))
        .form(&[("username", "admin"), ("password", PASSWORD), ("csrf", "x")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = f
        .http
        .post(f.url("/login"))
        .header("cookie", &cookie)
        .form(&[
            ("username", "admin"),
            ("password", PASSWORD),
            ("csrf", "wrong"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let s = f.login("admin").await;
    let set_cookie_ok = {
        let (c, t) = f.login_form().await;
        let res = f
            .http
            .post(f.url("/login"))
            .header("cookie", c)
            .form(&[("username", "admin"), ("password", PASSWORD), ("csrf", &t)])
            .send()
            .await
            .expect("post");
        res.headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert!(
        set_cookie_ok.contains("HttpOnly") && set_cookie_ok.contains("SameSite=Lax"),
        "{set_cookie_ok}"
    );

    // A form without or with a wrong CSRF token changes nothing.
    let before = f
        .store
        .list_agencies(&Scope::reference_lists())
        .await
        .expect("agencies")
        .len();
    for token in [None, Some("wrong")] {
        let mut form = vec![
            ("name_fa", "دستگاه"),
            ("code", "csrf-test"),
            ("kind", "health"),
        ];
        if let Some(t) = token {
            form.push(("csrf", t));
        }
        let res = f.post_form(&s, "/agencies", &form).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.text().await.expect("html").contains("CSRF"));
    }
    // API writes with a session need the header too.
    let res = f
        .http
        .post(f.url("/api/v1/agencies"))
        .header("cookie", &s.cookie)
        .json(&json!({"code":"csrf-api","name_fa":"x","kind":"health"}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert_eq!(
        f.store
            .list_agencies(&Scope::reference_lists())
            .await
            .expect("agencies")
            .len(),
        before,
        "nothing created"
    );
    // With the token it works.
    let res = f
        .post_form(
            &s,
            "/agencies",
            &[
                ("name_fa", "دستگاه تازه"),
                ("code", "csrf-ok"),
                ("kind", "health"),
                ("csrf", &s.csrf),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        f.store
            .list_agencies(&Scope::reference_lists())
            .await
            .expect("agencies")
            .len(),
        before + 1
    );

    // Expired session: back to the login page.
    let token_hash = hamafza_web::secret_hash(s.cookie.split_once('=').expect("pair").1);
    hamafza_store::testing::expire_session(&f.store, &token_hash)
        .await
        .expect("expire");
    let res = f.get(&s, "/places").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login?expired=1");
    assert_eq!(
        f.get(&s, "/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );

    // Logout ends the session.
    let s = f.login("admin").await;
    assert_eq!(
        f.post_form(&s, "/logout", &[]).await.status(),
        StatusCode::FORBIDDEN,
        "logout needs CSRF too"
    );
    assert_eq!(
        f.post_form(&s, "/logout", &[("csrf", &s.csrf)])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(f.get(&s, "/").await.status(), StatusCode::SEE_OTHER);
    // No session at all.
    let res = f.http.get(f.url("/places")).send().await.expect("get");
    assert_eq!(res.headers()["location"], "/login");
    // Every one of those writes is in an intact audit chain.
    assert!(matches!(
        f.store.verify_audit().await.expect("verify"),
        hamafza_store::AuditVerification::Intact { .. }
    ));
}

async fn login_rate_limit(f: Fixture) {
    for _ in 0..5 {
        let (c, t) = f.login_form().await;
        let res = f
            .http
            .post(f.url("/login"))
            .header("cookie", c)
            .form(&[
                ("username", "viewer"),
                ("password", "wrong-pass"),
                ("csrf", &t),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let (c, t) = f.login_form().await;
    let res = f
        .http
        .post(f.url("/login"))
        .header("cookie", c)
        .form(&[("username", "viewer"), ("password", PASSWORD), ("csrf", &t)])
        .send()
        .await
        .expect("post");
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits, from the address that guessed"
    );
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .expect("retry-after")
        .parse()
        .expect("seconds");
    assert!(
        (1..=30).contains(&retry),
        "the first wait is short: {retry}"
    );
    assert!(res.text().await.expect("html").contains("دقیقهٔ دیگر"));
    // Another user is not locked out by someone else's failures (below the per-address limit).
    f.login("officer").await;

    // Nobody can lock the owner out: failures for `officer` from many other addresses
    // slow those addresses and new ones, never the address the owner signs in from.
    let from = |last: u8| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .local_address(std::net::IpAddr::from([127, 0, 0, last]))
            .build()
            .expect("client")
    };
    let try_login = |client: reqwest::Client, password: &'static str| {
        let f = &f;
        async move {
            let page = client.get(f.url("/login")).send().await.expect("page");
            let cookie = page.headers()["set-cookie"]
                .to_str()
                .expect("cookie")
                .split(';')
                .next()
                .expect("pair")
                .to_string();
            let html = page.text().await.expect("html");
            let csrf = html
                .split(r#"name="csrf" value=""#)
                .nth(1)
                .and_then(|s| s.split('"').next())
                .expect("csrf")
                .to_string();
            client
                .post(f.url("/login"))
                .header("cookie", cookie)
                .form(&[
                    ("username", "officer"),
                    ("password", password),
                    ("csrf", &csrf),
                ])
                .send()
                .await
                .expect("post")
        }
    };
    // Each address gets 5 guesses before it waits: 10 addresses make 50 failures, the
    // per-username ceiling.
    for last in 10..20u8 {
        for _ in 0..5 {
            let res = try_login(from(last), "wrong-pass").await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        }
    }
    let owner = try_login(f.http.clone(), PASSWORD).await;
    assert_eq!(owner.status(), StatusCode::SEE_OTHER, "the owner signs in");
    let newcomer = try_login(from(30), PASSWORD).await;
    assert_eq!(
        newcomer.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a new address waits while the name is under attack"
    );
    assert!(newcomer.headers().contains_key("retry-after"));
    let (throttled, _) = f
        .store
        .list_audit(
            &hamafza_core::access::Scope::system_job("test"),
            &hamafza_store::AuditFilter {
                action: Some("session.login_failed".into()),
                limit: 1000,
                ..Default::default()
            },
        )
        .await
        .expect("audit");
    assert!(
        throttled.iter().any(|e| e.summary.contains("throttled")),
        "throttling is audited"
    );
}

async fn bad_input_never_breaks_anything(f: Fixture) {
    let admin = f.login("admin").await;
    let huge = "ب".repeat(512 * 1024); // 1 MB of UTF-8
    let nasty = [
        "' OR 1=1 --",
        "x'); DROP TABLE places; --",
        "<script>alert('x')</script>",
        "\"><img src=x onerror=alert(1)>",
        &huge,
    ];
    let agencies_before = f
        .store
        .list_agencies(&Scope::reference_lists())
        .await
        .expect("a")
        .len();
    let users_before = f
        .store
        .list_users(&hamafza_core::access::Scope::system_job("test"))
        .await
        .expect("u")
        .len();
    let mut users_created = 0;
    let mut agencies_created = 0;
    for (attempt, s) in nasty.into_iter().enumerate() {
        // Every text field of every form, one at a time, the others valid. Free text
        // (names, passwords) takes any string up to its limit and is stored verbatim;
        // codes and ids refuse anything but their own shape.
        let fits = s.chars().count() <= 200;
        let fresh = format!("bad-input-{attempt}");
        let agency_form = [
            ("name_fa", "دستگاه آزمون"),
            ("code", fresh.as_str()),
            ("kind", "health"),
        ];
        for field in 0..agency_form.len() {
            let mut form: Vec<(&str, &str)> = agency_form.to_vec();
            form[field].1 = s;
            let code = format!("{fresh}-{field}");
            if field != 1 {
                form[1].1 = &code;
            }
            form.push(("csrf", &admin.csrf));
            let res = f.post_form(&admin, "/agencies", &form).await;
            let status = res.status();
            assert!(
                !res.text().await.expect("html").contains("<script>alert"),
                "HTML is escaped"
            );
            if agency_form[field].0 == "name_fa" && fits {
                assert_eq!(status, StatusCode::SEE_OTHER, "agency name {s:?}");
                agencies_created += 1;
                let stored = f
                    .store
                    .agency_by_code(&code)
                    .await
                    .expect("q")
                    .expect("created");
                assert_eq!(stored.name_fa, s.trim(), "stored verbatim");
            } else {
                assert_eq!(
                    status,
                    StatusCode::BAD_REQUEST,
                    "agency form field {}",
                    agency_form[field].0
                );
            }
        }
        let user_form = [
            ("display_name", "نام"),
            ("username", fresh.as_str()),
            ("password", "a-good-password"),
            ("agency_id", f.ids["A"].as_str()),
            ("roles", "viewer"),
            ("jurisdiction", f.ids["D1"].as_str()),
        ];
        for field in 0..user_form.len() {
            let mut form: Vec<(&str, &str)> = user_form.to_vec();
            form[field].1 = s;
            let username = format!("{fresh}.{field}");
            if field != 1 {
                form[1].1 = &username;
            }
            form.push(("csrf", &admin.csrf));
            let res = f.post_form(&admin, "/users", &form).await;
            let status = res.status();
            assert!(
                !res.text().await.expect("html").contains("<script>alert"),
                "HTML is escaped"
            );
            let free_text_ok = match user_form[field].0 {
                "display_name" => fits,
                "password" => s.len() <= 1024,
                _ => false,
            };
            if free_text_ok {
                assert_eq!(
                    status,
                    StatusCode::SEE_OTHER,
                    "{} {s:?}",
                    user_form[field].0
                );
                users_created += 1;
            } else {
                assert!(
                    matches!(status, StatusCode::BAD_REQUEST | StatusCode::FORBIDDEN),
                    "user form field {}: {status}",
                    user_form[field].0
                );
            }
        }
        let res = f.post_json(&admin, "/api/v1/users", json!({"username": s, "display_name": s, "password": s, "agency_id": s, "roles": [s], "jurisdiction": [s]})).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let res = f
            .post_json(
                &admin,
                "/api/v1/agencies",
                json!({"code": s, "name_fa": s, "kind": "health"}),
            )
            .await;
        assert!(
            res.status().is_client_error(),
            "agency api: {}",
            res.status()
        );
        for path in [
            "/places?q=",
            "/api/v1/places?name=",
            "/api/v1/places?level=",
            "/audit?action=",
            "/api/v1/audit?record_type=",
        ] {
            let res = f
                .http
                .get(f.url(path))
                .query(&[("x", "")])
                .header("cookie", &admin.cookie)
                .send()
                .await
                .expect("get");
            assert!(!res.status().is_server_error());
            // URLs cannot carry 1 MB (clients and servers cap them near 64 KB): 8,000 characters stand in.
            let in_url: String = s.chars().take(8_000).collect();
            let url = format!("{}{}", f.url(path), urlencode(&in_url));
            let res = f
                .http
                .get(url)
                .header("cookie", &admin.cookie)
                .send()
                .await
                .expect("get");
            assert!(!res.status().is_server_error(), "{path}: {}", res.status());
            let is_html = res
                .headers()
                .get("content-type")
                .is_some_and(|c| c.to_str().unwrap_or("").starts_with("text/html"));
            let text = res.text().await.expect("body");
            assert!(
                !is_html || !text.contains("<script>alert"),
                "{path} escapes HTML"
            );
        }
        let (c, t) = f.login_form().await;
        let res = f
            .http
            .post(f.url("/login"))
            .header("cookie", c)
            .form(&[("username", s), ("password", s), ("csrf", &t)])
            .send()
            .await
            .expect("post");
        assert!(res.status().is_client_error(), "login: {}", res.status());
    }
    assert_eq!(
        f.store
            .list_agencies(&Scope::reference_lists())
            .await
            .expect("a")
            .len(),
        agencies_before + agencies_created,
        "no other agency created"
    );
    assert_eq!(
        f.store
            .list_users(&hamafza_core::access::Scope::system_job("test"))
            .await
            .expect("u")
            .len(),
        users_before + users_created,
        "no other user created"
    );
    // A good agency with an HTML-looking name is stored as text and shown escaped.
    let res = f
        .post_json(
            &admin,
            "/api/v1/agencies",
            json!({"code": "html-name", "name_fa": "<b>بهزیستی</b>", "kind": "welfare"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let page = f.get(&admin, "/agencies").await.text().await.expect("html");
    assert!(page.contains("&lt;b&gt;بهزیستی&lt;/b&gt;"));

    // Malformed bodies: invalid JSON, wrong types, wrong content type, non-UTF-8 bytes.
    for (ct, body) in [
        ("application/json", b"{not json".to_vec()),
        ("application/json", b"{\"username\": 5}".to_vec()),
        ("text/plain", b"hello".to_vec()),
        ("application/json", vec![0xff, 0xfe, 0x7b, 0x7d]),
    ] {
        let res = f
            .http
            .post(f.url("/api/v1/users"))
            .header("cookie", &admin.cookie)
            .header("x-csrf-token", &admin.csrf)
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let problem: Value = res.json().await.expect("problem json");
        assert_eq!(problem["status"], 400);
        assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    let res = f
        .http
        .post(f.url("/agencies"))
        .header("cookie", &admin.cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![
            b'n', b'a', b'm', b'e', b'_', b'f', b'a', b'=', 0xff, 0xfe,
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // Invalid UTF-8 in a query string is decoded lossily (U+FFFD) and simply matches nothing.
    let res = f
        .http
        .get(format!("{}/places?q=%FF%FE", f.base))
        .header("cookie", &admin.cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.expect("html").contains("پیدا نشد"));
    let res = f
        .http
        .get(format!("{}/api/v1/places?limit=abc", f.base))
        .header("cookie", &admin.cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // Unknown ids and paths.
    assert_eq!(
        f.get(&admin, "/api/v1/places/not-an-id").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        f.get(&admin, "/places/'%20OR%201=1").await.status(),
        StatusCode::NOT_FOUND
    );
    let res = f.get(&admin, "/api/v1/nothing-here").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    // A body over the limit is refused before any handler.
    let big = vec![b'a'; 5 * 1024 * 1024];
    let res = f
        .http
        .post(f.url("/api/v1/agencies"))
        .header("cookie", &admin.cookie)
        .header("x-csrf-token", &admin.csrf)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .expect("post");
    assert!(res.status().is_client_error());
    assert!(matches!(
        f.store.verify_audit().await.expect("verify"),
        hamafza_store::AuditVerification::Intact { .. }
    ));
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn api_tokens_work_and_can_be_revoked(f: Fixture) {
    let secret = hamafza_web::new_secret();
    let t = f
        .store
        .create_api_token(
            &Who::system(),
            f.id("viewer"),
            &hamafza_web::secret_hash(&secret),
            "test",
        )
        .await
        .expect("token");
    let me = |token: String| f.http.get(f.url("/api/v1/me")).bearer_auth(token).send();
    let res = me(secret.clone()).await.expect("me");
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.expect("json");
    assert_eq!(v["username"], "viewer");
    // Bearer writes need no CSRF; the policy still applies.
    let res = f
        .http
        .post(f.url("/api/v1/agencies"))
        .bearer_auth(&secret)
        .json(&json!({"code":"x1","name_fa":"x","kind":"health"}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = f
        .http
        .delete(f.url(&format!("/api/v1/me/tokens/{}", t.id)))
        .bearer_auth(&secret)
        .send()
        .await
        .expect("delete");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = me(secret.clone()).await.expect("me");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert_eq!(
        me("garbage".into()).await.expect("me").status(),
        StatusCode::UNAUTHORIZED
    );
    let res = f
        .http
        .get(f.url("/api/v1/me"))
        .header("authorization", "Basic abc")
        .send()
        .await
        .expect("me");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn openapi_matches_the_routes(f: Fixture) {
    let doc: Value = f
        .http
        .get(f.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("doc")
        .json()
        .await
        .expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    // Every route in the router source is documented, and nothing else is.
    let source = include_str!("../../src/api/mod.rs");
    let mut routed: Vec<String> = source
        .split(".route(")
        .skip(1)
        .filter_map(|s| s.trim_start().strip_prefix('"')?.split('"').next())
        .map(str::to_string)
        .collect();
    routed.sort();
    let mut documented: Vec<String> = paths.keys().cloned().collect();
    documented.sort();
    assert_eq!(routed, documented);
    // Every documented operation answers with one of its documented statuses.
    let admin = f.login("admin").await;
    let token_secret = hamafza_web::new_secret();
    let token = f
        .store
        .create_api_token(
            &Who::system(),
            f.id("admin"),
            &hamafza_web::secret_hash(&token_secret),
            "doc",
        )
        .await
        .expect("token");
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("item") {
            let concrete = path
                .replace("/places/{id}", &format!("/places/{}", f.ids["N1"]))
                .replace("/users/{id}", &format!("/users/{}", f.ids["viewer"]))
                .replace("/me/tokens/{id}", &format!("/me/tokens/{}", token.id));
            let url = f.url(&format!("/api/v1{concrete}"));
            let req = match method.as_str() {
                "get" => f.http.get(url),
                "post" => f.http.post(url).json(&json!({"active": true, "code": "doc-agency", "name_fa": "سند", "kind": "other", "username": "docuser", "password": "doc-password", "agency_id": f.ids["A"], "roles": ["viewer"]})),
                "put" => f.http.put(url).json(&json!({"given_name": "سند", "categories": ["begging"]})),
                "delete" => f.http.delete(url),
                m => panic!("undocumented method {m}"),
            };
            let res = req
                .header("cookie", &admin.cookie)
                .header("x-csrf-token", &admin.csrf)
                .send()
                .await
                .expect("request");
            let status = res.status().as_u16().to_string();
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.contains_key(&status),
                "{method} {path} answered {status}, documented: {:?}",
                responses.keys().collect::<Vec<_>>()
            );
        }
    }
}

async fn pages_are_persian_and_scoped(f: Fixture) {
    let analyst = f.login("analyst").await;
    let res = f.get(&analyst, "/").await;
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert!(
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap_or("")
            .contains("default-src 'self'")
    );
    let home = res.text().await.expect("html");
    assert!(home.contains(r#"<html lang="fa" dir="rtl">"#));
    assert!(home.contains("خوش آمدید"));
    assert!(
        !home.contains("href=\"/users\""),
        "an analyst has no users page"
    );
    // The analyst's jurisdiction is the city: four districts/neighbourhoods plus ancestors.
    let places = f.get(&analyst, "/places").await.text().await.expect("html");
    assert!(places.contains(&format!("/places/{}", f.ids["P1"])));
    assert!(
        !places.contains(&format!("/places/{}", f.ids["P2"])),
        "Kerman is outside the analyst's places"
    );
    let search = f
        .get(&analyst, &format!("/places?q={}", urlencode("كوي ارغوان")))
        .await
        .text()
        .await
        .expect("html");
    assert!(search.contains("کوی ارغوان"), "Arabic ي/ك find Persian ی/ک");
    let page = f
        .get(&analyst, &format!("/places/{}", f.ids["CITY"]))
        .await
        .text()
        .await
        .expect("html");
    assert!(page.contains("<svg") && page.contains("منطقهٔ ۱") && page.contains("data-name"));
    assert!(
        page.contains("۱٬۰۰۰"),
        "population with Persian digits and grouping"
    );
    let font = f
        .http
        .get(f.url("/assets/fonts/Vazirmatn-Regular.woff2"))
        .send()
        .await
        .expect("font");
    assert_eq!(font.headers()["content-type"], "font/woff2");
    assert!(font.bytes().await.expect("bytes").len() > 40_000);
    assert_eq!(
        f.http
            .get(f.url("/healthz"))
            .send()
            .await
            .expect("h")
            .text()
            .await
            .expect("t"),
        "ok"
    );
    let admin = f.login("admin").await;
    let audit = f
        .get(&admin, "/audit?action=user.")
        .await
        .text()
        .await
        .expect("html");
    assert!(audit.contains("ساخت کاربر") && !audit.contains("ورود ناموفق"));
    assert!(audit.contains("۱۴۰"), "Jalali year in Persian digits");
    // What was touched is named (the user created), the summary reads as a list with
    // Persian keys, not raw JSON.
    assert!(audit.contains("کاربر viewer"), "the user's name, not an id");
    assert!(
        audit.contains("<span class=\"key\">نام کاربری: </span>"),
        "Persian keys"
    );
    assert!(!audit.contains("{&quot;"), "no raw JSON");
}
