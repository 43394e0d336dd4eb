//! Several app servers on one database (issue 11 point 10), and how a server stops:
//! sign-in throttling counts every server's failures; a place import through one server
//! reaches the others' in-memory index; the escalation job runs under a lease and
//! finishes its run before it stops; `X-Forwarded-For` counts only from a trusted proxy;
//! the maps and figures a server keeps in memory move with a write through another.

use std::net::IpAddr;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Fixture, PASSWORD};

on_both_engines!(
    two_servers_share_throttling_and_places,
    the_escalation_job_finishes_its_run_and_stops,
    forwarded_addresses_count_only_from_a_trusted_proxy,
    checkpoints_are_signed_written_and_witnessed,
    a_revoked_token_or_ended_account_is_refused_by_every_server,
    atlas_answers_follow_writes_through_any_server,
);

/// One sign-in attempt at `base`, optionally through a proxy that names the client.
async fn attempt(
    f: &Fixture,
    base: &str,
    username: &str,
    password: &str,
    xff: Option<&str>,
) -> StatusCode {
    let (cookie, csrf) = f.login_form_at(base).await;
    let mut req = f
        .http
        .post(format!("{base}/login"))
        .header("cookie", cookie)
        .form(&[
            ("username", username),
            ("password", password),
            ("csrf", &csrf),
        ]);
    if let Some(x) = xff {
        req = req.header("x-forwarded-for", x);
    }
    req.send().await.expect("post").status()
}

async fn two_servers_share_throttling_and_places(f: Fixture) {
    let b = f.second_server(vec![]).await;
    // Five wrong passwords through the first server; the sixth try, through the
    // second, waits (before, each server counted only its own).
    for _ in 0..5 {
        assert_eq!(
            attempt(&f, &f.base, "officer", "wrong-password", None).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        attempt(&f, &b, "officer", PASSWORD, None).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the second server counts the first one's failures"
    );

    // The second server places events with its own copy of the places; an import
    // through the first server reaches it.
    let admin = f.login("admin").await;
    let event = || json!({"category": "begging", "occurred_at": "2025-10-01T10:00:00Z", "lon": 52.05, "lat": 35.05});
    let record = |base: String| {
        let (http, cookie, csrf, body) = (
            f.http.clone(),
            admin.cookie.clone(),
            admin.csrf.clone(),
            event(),
        );
        async move {
            let res = http
                .post(format!("{base}/api/v1/events"))
                .header("cookie", cookie)
                .header("x-csrf-token", csrf)
                .json(&body)
                .send()
                .await
                .expect("event");
            let status = res.status();
            let v: Value = res.json().await.expect("json");
            assert_eq!(status, StatusCode::CREATED, "{v}");
            v["events"][0]["place_id"].clone()
        }
    };
    f.store
        .save_event_category(&hamafza_store::Who::system(), "begging", "تکدی‌گری", "")
        .await
        .expect("category");
    assert_eq!(record(b.clone()).await, Value::Null, "nowhere yet");
    let provinces = |base: String| {
        let (http, cookie) = (f.http.clone(), admin.cookie.clone());
        async move {
            let v: Value = http
                .get(format!("{base}/api/v1/places?level=province"))
                .header("cookie", cookie)
                .send()
                .await
                .expect("list")
                .json()
                .await
                .expect("json");
            v["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|p| p["code"].as_str().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert!(!provinces(b.clone()).await.contains(&"P3".to_string()));
    let import = json!({"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "properties": {"code": "P3", "name_fa": "استان آزمون"},
        "geometry": {"type": "Polygon", "coordinates": [[[52.0, 35.0], [52.1, 35.0], [52.1, 35.1], [52.0, 35.1], [52.0, 35.0]]]}
    }]});
    let res = f
        .http
        .post(f.url("/api/v1/places/import?level=province"))
        .header("cookie", &admin.cookie)
        .header("x-csrf-token", &admin.csrf)
        .header("content-type", "application/geo+json")
        .body(import.to_string())
        .send()
        .await
        .expect("import");
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let p3 = f
        .store
        .place_by_code("P3")
        .await
        .expect("q")
        .expect("imported");
    assert_eq!(
        record(b.clone()).await,
        json!(p3.id.to_string()),
        "the second server's index knows the place imported through the first"
    );
    assert!(
        provinces(b.clone()).await.contains(&"P3".to_string()),
        "nor does the second server answer a place list from before the import"
    );
}

async fn the_escalation_job_finishes_its_run_and_stops(f: Fixture) {
    let held_by_someone = || {
        let store = f.store.clone();
        async move {
            store
                .job_lease_holder("escalation", time::OffsetDateTime::now_utc())
                .await
                .expect("lease")
                .is_some()
        }
    };
    let second = f.store.reopen().await.expect("pool");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let states = [
        hamafza_web::AppState::new(f.store.clone()).with_clock(f.clock.clone()),
        hamafza_web::AppState::new(second).with_clock(f.clock.clone()),
    ];
    let jobs: Vec<_> = states
        .iter()
        .map(|s| hamafza_web::spawn_escalation_job(s, stopped.clone()))
        .collect();
    // Both servers start the job; one of them takes the lease and runs it.
    let mut waited = 0;
    while !held_by_someone().await {
        waited += 1;
        assert!(waited < 100, "no server took the job's lease");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Asked to stop, each job ends once its run (if one is under way) has finished:
    // stopping is looked at between runs only.
    stop.send(true).expect("stop");
    for job in jobs {
        tokio::time::timeout(std::time::Duration::from_secs(30), job)
            .await
            .expect("the job ends after its run")
            .expect("no panic");
    }
}

async fn forwarded_addresses_count_only_from_a_trusted_proxy(f: Fixture) {
    let local: IpAddr = [127, 0, 0, 1].into();
    let proxied = f.second_server(vec![local]).await;
    // Behind the trusted proxy, each client is itself: five failures from one client
    // do not hold back the same username from another.
    for _ in 0..5 {
        attempt(&f, &proxied, "viewer", "wrong-password", Some("10.9.9.9")).await;
    }
    assert_eq!(
        attempt(&f, &proxied, "viewer", "wrong-password", Some("10.9.9.9")).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        attempt(&f, &proxied, "viewer", PASSWORD, Some("10.9.9.8")).await,
        StatusCode::SEE_OTHER,
        "another client behind the proxy signs in"
    );
    // Sent straight to a server that trusts no proxy, the header is the client's own
    // claim and is ignored: every try is the socket's address.
    for _ in 0..5 {
        attempt(&f, &f.base, "analyst", "wrong-password", Some("10.9.9.7")).await;
    }
    assert_eq!(
        attempt(&f, &f.base, "analyst", PASSWORD, Some("10.9.9.6")).await,
        StatusCode::TOO_MANY_REQUESTS,
        "a forged header does not buy a fresh address"
    );
}

/// Issue 11 point 5: the checkpoint job signs the chain's head, appends it to its file
/// and has a witness (another Hamafza) countersign it; the witness refuses a checkpoint
/// that contradicts one it saw, so a rewritten history cannot be witnessed again.
async fn checkpoints_are_signed_written_and_witnessed(f: Fixture) {
    use hamafza_core::checkpoint::{Checkpoint, signing_key};
    use hamafza_web::checkpoints::{
        CheckpointJob, Witness, read_checkpoints, spawn_checkpoint_job,
    };
    use std::sync::Arc;

    let witness_key = Arc::new(signing_key(&"77".repeat(32)).expect("key"));
    let witness = f.second_server_with(vec![], Some(witness_key)).await;
    let secret = hamafza_web::new_secret();
    f.store
        .create_api_token(
            &hamafza_store::Who::system(),
            f.id("admin"),
            &hamafza_web::secret_hash(&secret),
            "witness for the district server",
        )
        .await
        .expect("token");
    // The origin: another database with a chain of its own.
    let origin = hamafza_store::testing::fresh_sqlite()
        .await
        .expect("origin");
    for i in 0..3 {
        origin
            .create_agency(
                &hamafza_store::Who::system(),
                &hamafza_store::NewAgency {
                    code: format!("o-{i}"),
                    name_fa: format!("دستگاه {i}"),
                    kind: hamafza_core::agency::AgencyKind::Other,
                    place_id: None,
                },
            )
            .await
            .expect("agency");
    }
    let key = Arc::new(signing_key(&"88".repeat(32)).expect("key"));
    let file = std::env::temp_dir().join(format!(
        "checkpoints-{}.jsonl",
        uuid::Uuid::now_v7().simple()
    ));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let job = spawn_checkpoint_job(
        CheckpointJob {
            store: origin.clone(),
            key: key.clone(),
            file: file.clone(),
            witnesses: vec![Witness {
                url: format!("{witness}/api/v1/witness/checkpoints"),
                token: secret.clone(),
            }],
            every: std::time::Duration::from_secs(3600),
        },
        stopped,
    );
    // The first tick signs at once; stopping signs once more only if the chain grew.
    let mut waited = 0;
    while std::fs::read_to_string(&file).map_or(0, |t| t.lines().count()) < 2 {
        waited += 1;
        assert!(waited < 200, "no checkpoint was written and witnessed");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    stop.send(true).expect("stop");
    job.await.expect("job");
    let text = std::fs::read_to_string(&file).expect("file");
    assert!(text.contains("\"cosignature\""), "{text}");
    let checkpoints = read_checkpoints(&text).expect("every line verifies");
    assert!(checkpoints.iter().all(|c| c.seq == 3), "{checkpoints:?}");
    assert!(
        origin
            .check_checkpoints(
                &checkpoints,
                Some(&hamafza_core::checkpoint::public_key(&key))
            )
            .await
            .expect("check")
            .is_empty()
    );

    // The origin's chain is rebuilt; a checkpoint of the new history, honestly signed
    // with the origin's key, is refused by the witness that saw the old one.
    let rewritten = Checkpoint::sign(&key, 3, &"ee".repeat(32), "2026-12-02T09:00:00.000Z");
    let res = f
        .http
        .post(format!("{witness}/api/v1/witness/checkpoints"))
        .bearer_auth(&secret)
        .json(&rewritten)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::CONFLICT);
    // Without a token it is not a witness's business at all.
    let res = f
        .http
        .post(format!("{witness}/api/v1/witness/checkpoints"))
        .json(&rewritten)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

/// Each server keeps the callers it looked up (one read per request instead of four);
/// a token revoked or an account deactivated through one server is refused by the
/// others at the next request.
async fn a_revoked_token_or_ended_account_is_refused_by_every_server(f: Fixture) {
    let b = f.second_server(vec![]).await;
    let secret = hamafza_web::new_secret();
    let token = f
        .store
        .create_api_token(
            &hamafza_store::Who::system(),
            f.id("viewer"),
            &hamafza_web::secret_hash(&secret),
            "integration",
        )
        .await
        .expect("token");
    let me = |base: String| {
        let (http, secret) = (f.http.clone(), secret.clone());
        async move {
            http.get(format!("{base}/api/v1/me"))
                .bearer_auth(secret)
                .send()
                .await
                .expect("me")
                .status()
        }
    };
    assert_eq!(me(f.base.clone()).await, StatusCode::OK);
    assert_eq!(
        me(b.clone()).await,
        StatusCode::OK,
        "B has looked it up now"
    );
    f.store
        .revoke_api_token(&hamafza_store::Who::system(), f.id("viewer"), &token.id)
        .await
        .expect("revoke");
    assert_eq!(
        me(b.clone()).await,
        StatusCode::UNAUTHORIZED,
        "B knows at once"
    );
    assert_eq!(me(f.base.clone()).await, StatusCode::UNAUTHORIZED);

    // A session used on both servers ends on both when the account is deactivated.
    let officer = f.login("officer").await;
    let page = |base: String| {
        let (http, cookie) = (f.http.clone(), officer.cookie.clone());
        async move {
            http.get(format!("{base}/api/v1/me"))
                .header("cookie", cookie)
                .send()
                .await
                .expect("me")
                .status()
        }
    };
    assert_eq!(page(b.clone()).await, StatusCode::OK);
    f.store
        .set_user_active(&hamafza_store::Who::system(), f.id("officer"), false)
        .await
        .expect("deactivate");
    assert_eq!(page(b.clone()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(page(f.base.clone()).await, StatusCode::UNAUTHORIZED);
}

/// Each server keeps the atlas's maps and their drawings (issue 11 point 9); events
/// recorded through one server are in the other's next answer, the API's and the page's.
async fn atlas_answers_follow_writes_through_any_server(f: Fixture) {
    let b = f.second_server(vec![]).await;
    let admin = f.login("admin").await;
    let defined = f
        .post_json(
            &admin,
            "/api/v1/indicators",
            json!({
                "code": "begging", "name_fa": "تکدی‌گری", "theme": "آسیب‌ها", "worse": "higher",
                "numerator": "events", "categories": ["begging"], "numerator_fa": "گزارش‌ها",
                "denominator": "none"
            }),
        )
        .await;
    assert_eq!(defined.status(), StatusCode::CREATED);
    // Events at the fixture's centre land in N1, under D1.
    let record = |n: usize| {
        let list: Vec<Value> = (0..n)
            .map(|_| json!({"category": "begging", "occurred_at": "2025-10-01T08:00:00Z", "lon": 51.05, "lat": 35.05}))
            .collect();
        f.post_json(&admin, "/api/v1/events", json!({ "events": list }))
    };
    let n1_on_b = || {
        let (http, cookie, base, d1) = (
            f.http.clone(),
            admin.cookie.clone(),
            b.clone(),
            f.ids["D1"].clone(),
        );
        async move {
            let v: Value = http
                .get(format!(
                    "{base}/api/v1/atlas?place={d1}&indicator=begging&period=1404-07"
                ))
                .header("cookie", cookie)
                .send()
                .await
                .expect("atlas")
                .json()
                .await
                .expect("json");
            v["places"]
                .as_array()
                .expect("places")
                .iter()
                .find(|p| p["code"] == "N1")
                .map(|p| p["value"]["numerator"].clone())
                .expect("N1")
        }
    };
    let page_on_b = || {
        let (http, cookie, base, d1) = (
            f.http.clone(),
            admin.cookie.clone(),
            b.clone(),
            f.ids["D1"].clone(),
        );
        async move {
            http.get(format!(
                "{base}/atlas?place={d1}&indicator=begging&period=1404-07"
            ))
            .header("cookie", cookie)
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("text")
        }
    };
    assert_eq!(record(12).await.status(), StatusCode::CREATED);
    assert_eq!(n1_on_b().await, 12.0);
    // The map's hover names the place and its value.
    assert!(
        page_on_b().await.contains("کوی ارغوان: ۱۲"),
        "the page shows 12"
    );
    // Asked again with nothing written: the same answer (now from B's memory).
    assert_eq!(n1_on_b().await, 12.0);
    assert_eq!(record(3).await.status(), StatusCode::CREATED);
    assert_eq!(n1_on_b().await, 15.0, "B's kept map moved with A's write");
    let page = page_on_b().await;
    assert!(
        page.contains("کوی ارغوان: ۱۵") && !page.contains("کوی ارغوان: ۱۲"),
        "and so did its drawn map"
    );
}
