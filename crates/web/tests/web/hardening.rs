//! Hardening against bad input that once reached the database: very long search texts
//! are refused with 422 and the field named, on both faces, before any SQL runs.

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::Fixture;

on_both_engines!(very_long_search_texts_are_refused_with_their_field);

async fn very_long_search_texts_are_refused_with_their_field(f: Fixture) {
    let admin = f.login("admin").await;
    // As long as a URL may be (the 500s began at 50,000 characters).
    let long = "a".repeat(50_000);
    for (path, field) in [
        (format!("/api/v1/places?name={long}"), "name"),
        (format!("/api/v1/audit?action={long}"), "action"),
        (format!("/api/v1/audit?record_type={long}"), "record_type"),
    ] {
        let res = f.get(&admin, &path).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        let problem: Value = res.json().await.expect("problem");
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
