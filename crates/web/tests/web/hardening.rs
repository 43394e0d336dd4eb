//! Hardening against bad input that once reached the database: very long search texts
//! are refused with 422 and the field named, on both faces, before any SQL runs.

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::Fixture;

on_both_engines!(
    very_long_search_texts_are_refused_with_their_field,
    oversized_bodies_are_413_and_bad_multipart_text_is_422,
    no_store_and_secure_cookies,
);

async fn very_long_search_texts_are_refused_with_their_field(f: Fixture) {
    let admin = f.login("admin").await;
    // Far over the 200-character limit (the 500s began at 50,000 characters; every
    // length over the limit is refused the same way, before any SQL runs).
    let long = "a".repeat(5_000);
    for (path, field) in [
        (format!("/api/v1/places?name={long}"), "name"),
        (format!("/api/v1/audit?action={long}"), "action"),
        (format!("/api/v1/audit?record_type={long}"), "record_type"),
    ] {
        let res = f.get(&admin, &path).await;
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {body}");
        let problem: Value = serde_json::from_str(&body).expect("problem");
        assert_eq!(problem["errors"][0]["field"], field);
    }
    for path in [format!("/audit?action={long}"), format!("/places?q={long}")] {
        let res = f.get(&admin, &path).await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            &path[..12]
        );
    }
    // Up to the limit, a search is a search.
    let res = f
        .get(&admin, &format!("/api/v1/places?name={}", "ک".repeat(200)))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// Bodies over the limit are one answer, 413, in the route's face, whatever their kind,
/// and multipart text that is not UTF-8 is refused as JSON and CSV are (422), never
/// rewritten.
async fn oversized_bodies_are_413_and_bad_multipart_text_is_422(f: Fixture) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let admin = f.login("admin").await;
    // JSON, a spreadsheet body and a form, each declaring its size: the answer comes
    // before the body is sent (so the test sends only the head).
    for (path, content_type, face) in [
        (
            "/api/v1/events",
            "application/json",
            "application/problem+json",
        ),
        (
            "/api/v1/events/import",
            "text/csv",
            "application/problem+json",
        ),
        (
            "/inbox/read",
            "application/x-www-form-urlencoded",
            "text/html",
        ),
    ] {
        let addr = f.base.trim_start_matches("http://").to_string();
        let mut s = tokio::net::TcpStream::connect(&addr)
            .await
            .expect("connect");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: t\r\nCookie: {}\r\nX-CSRF-Token: {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            admin.cookie,
            admin.csrf,
            9 * 1024 * 1024
        );
        s.write_all(head.as_bytes()).await.expect("head");
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            s.read_to_end(&mut answer),
        )
        .await;
        let answer = String::from_utf8_lossy(&answer).to_lowercase();
        assert!(
            answer.starts_with("http/1.1 413"),
            "{path}: {}",
            &answer[..answer.len().min(200)]
        );
        assert!(answer.contains(&format!("content-type: {face}")), "{path}");
    }

    // Multipart text in another encoding (a UTF-16 byte-order mark, a stray byte).
    for bad in [&b"\xff\xfeg\x00"[..], &b"\xc3("[..]] {
        let form = reqwest::multipart::Form::new()
            .text("percent", "10")
            .part("body", reqwest::multipart::Part::bytes(bad.to_vec()));
        let res = f
            .http
            .post(f.url(&format!(
                "/api/v1/resolutions/{}/updates",
                uuid::Uuid::now_v7()
            )))
            .header("cookie", &admin.cookie)
            .header("x-csrf-token", &admin.csrf)
            .multipart(form)
            .send()
            .await
            .expect("multipart");
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let p: Value = res.json().await.expect("problem");
        assert_eq!(p["errors"][0]["field"], "body");
    }
}

/// Nothing behind sign-in is cached; cookies are `Secure` when the server is told so.
async fn no_store_and_secure_cookies(f: Fixture) {
    let admin = f.login("admin").await;
    for path in ["/", "/councils", "/api/v1/me", "/api/v1/places"] {
        let res = f.get(&admin, path).await;
        assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
    }
    // A server told to use secure cookies sets them so.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = hamafza_web::AppState::new(f.store.clone()).with_secure_cookies(true);
    tokio::spawn(hamafza_web::serve_with(
        listener,
        state,
        hamafza_web::Limits::default(),
        std::future::pending(),
    ));
    let res = f
        .http
        .get(format!("http://{addr}/login"))
        .send()
        .await
        .expect("login page");
    let cookie = res.headers()["set-cookie"].to_str().expect("cookie");
    assert!(cookie.contains("; Secure"), "{cookie}");
    let res = f
        .http
        .get(f.url("/login"))
        .send()
        .await
        .expect("login page");
    let cookie = res.headers()["set-cookie"].to_str().expect("cookie");
    assert!(!cookie.contains("Secure"), "{cookie}");
}
