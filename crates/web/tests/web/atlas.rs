//! The atlas over real HTTP, on SQLite and PostgreSQL: events in (placed, live in the
//! indicator at once, refused outside the caller's jurisdiction), small counts hidden
//! from callers without restricted access, supplied values imported all or nothing, and
//! the atlas page.
//!
//! Long because each test is a whole scenario over HTTP (define, record, read, export).

use crate::common;

use common::{Fixture, PASSWORD};
use hamafza_core::access::Role;
use hamafza_store::{NewUser, Who};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_engines!(
    events_show_live_and_small_counts_are_hidden,
    values_import_is_all_or_nothing,
    exports_hide_small_counts_and_the_profile_prints,
    weight_sets_and_categories_over_the_api,
    the_dictionary_form_defines_and_versions,
    the_weight_set_form_saves_versions,
);

/// The fixture's places all share one square; events at its centre land in N1 (under D1).
const INSIDE: (f64, f64) = (51.05, 35.05);

async fn define(f: &Fixture, body: Value) {
    let admin = f.login("admin").await;
    let r = f.post_json(&admin, "/api/v1/indicators", body).await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap_or_default()
    );
}

/// The indicator most tests use: begging reports per 1,000 residents, counted live.
async fn define_begging(f: &Fixture) {
    define(
        f,
        json!({
            "code": "begging", "name_fa": "تکدی‌گری", "theme": "آسیب‌ها", "worse": "higher",
            "numerator": "events", "categories": ["begging"], "numerator_fa": "گزارش‌های تکدی‌گری",
            "denominator": "population", "rate_base": 1000
        }),
    )
    .await;
}

fn events(n: usize, category: &str, at: &str) -> Value {
    let list: Vec<Value> = (0..n)
        .map(|_| json!({ "category": category, "occurred_at": at, "lon": INSIDE.0, "lat": INSIDE.1 }))
        .collect();
    json!({ "events": list })
}

/// N1's entry in an atlas answer for D1.
async fn n1_value(f: &Fixture, s: &common::Session, period: &str) -> Value {
    let r = f
        .get(
            s,
            &format!(
                "/api/v1/atlas?place={}&indicator=begging&period={period}",
                f.ids["D1"]
            ),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.expect("json");
    body["places"]
        .as_array()
        .expect("places")
        .iter()
        .find(|p| p["code"] == "N1")
        .map(|p| p["value"].clone())
        .expect("N1")
}

async fn events_show_live_and_small_counts_are_hidden(f: Fixture) {
    define_begging(&f).await;
    let officer = f.login("officer").await;
    let analyst = f.login("analyst").await;

    // 12 events in Mehr 1404 (2025-10-01 is 9 Mehr).
    let r = f
        .post_json(
            &officer,
            "/api/v1/events",
            events(12, "begging", "2025-10-01T08:00:00Z"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["events"][0]["place_id"], f.ids["N1"].as_str());
    assert!(
        body["events"][0]["h3_cell"]
            .as_str()
            .is_some_and(|c| c.len() == 15)
    );
    let v = n1_value(&f, &analyst, "1404-07").await;
    assert_eq!(v["numerator"], 12.0);
    assert_eq!(v["value"], 12.0, "12 per 1,000 of 1,000 residents");

    // Live: one more, seen at once, with no job in between.
    let r = f
        .post_json(&officer, "/api/v1/events", json!({ "category": "begging", "occurred_at": "۱۴۰۴/۰۷/۱۵ ۱۰:۳۰", "lon": INSIDE.0, "lat": INSIDE.1 }))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(n1_value(&f, &analyst, "1404-07").await["numerator"], 13.0);

    // Three in Shahrivar: the analyst (restricted access) sees 3; the officer does not.
    f.post_json(
        &officer,
        "/api/v1/events",
        events(3, "begging", "2025-09-01T08:00:00Z"),
    )
    .await;
    assert_eq!(n1_value(&f, &analyst, "1404-06").await["numerator"], 3.0);
    let hidden = n1_value(&f, &officer, "1404-06").await;
    assert_eq!(
        hidden,
        json!({ "status": "suppressed" }),
        "3 < 10 is hidden"
    );
    assert_eq!(n1_value(&f, &officer, "1404-07").await["numerator"], 13.0);
    // The page says so too.
    let page = f
        .get(
            &officer,
            &format!(
                "/atlas?place={}&indicator=begging&period=1404-06",
                f.ids["D1"]
            ),
        )
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(
        html.contains("پنهان (شمار کم)"),
        "suppressed cell on the page"
    );
    assert!(
        !html.contains("map-shape choro c"),
        "no class colour for a hidden value"
    );

    // An event in no place is kept and flagged.
    let r = f
        .post_json(&officer, "/api/v1/events", json!({ "category": "begging", "occurred_at": "2025-10-01T08:00:00Z", "lon": 60.0, "lat": 30.0 }))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["events"][0]["place_id"], Value::Null);

    // Refusals: an unknown category writes nothing; a viewer may not record; an officer
    // whose jurisdiction is D2 may not record an event that lands in D1.
    let r = f
        .post_json(&officer, "/api/v1/events", json!({ "events": [
            { "category": "begging", "occurred_at": "2025-10-02T08:00:00Z", "lon": INSIDE.0, "lat": INSIDE.1 },
            { "category": "no-such", "occurred_at": "2025-10-02T08:00:00Z", "lon": INSIDE.0, "lat": INSIDE.1 }
        ] }))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(n1_value(&f, &analyst, "1404-07").await["numerator"], 13.0);
    let viewer = f.login("viewer").await;
    let r = f
        .post_json(
            &viewer,
            "/api/v1/events",
            events(1, "begging", "2025-10-01T08:00:00Z"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let hash = hamafza_web::hash_password(PASSWORD).expect("hash");
    f.store
        .create_user(
            &Who::system(),
            &NewUser {
                username: "officer2".into(),
                display_name: "کارشناس منطقهٔ ۲".into(),
                agency_id: f.id("B"),
                roles: vec![Role::AgencyOfficer],
                jurisdiction: vec![f.id("D2")],
                password_hash: hash,
            },
        )
        .await
        .expect("user");
    let other = f.login("officer2").await;
    let r = f
        .post_json(
            &other,
            "/api/v1/events",
            events(1, "begging", "2025-10-01T08:00:00Z"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Bulk CSV: a bad row refuses the file and names the row and column.
    let csv = "category,occurred_at,lon,lat\nbegging,2025-10-03T08:00:00Z,51.05,35.05\nbegging,دیروز,51.05,35.05\n";
    let r = f
        .http
        .post(f.url("/api/v1/events/import"))
        .header("cookie", &officer.cookie)
        .header("x-csrf-token", &officer.csrf)
        .body(csv)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["errors"][0]["row"], 3);
    assert_eq!(body["errors"][0]["column"], "زمان");
    assert_eq!(n1_value(&f, &analyst, "1404-07").await["numerator"], 13.0);
    let good = "دسته,زمان,طول,عرض\nتکدی‌گری,۱۴۰۴/۰۷/۲۰,51.05,35.05\n";
    let r = f
        .http
        .post(f.url("/api/v1/events/import"))
        .header("cookie", &officer.cookie)
        .header("x-csrf-token", &officer.csrf)
        .body(good)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(n1_value(&f, &analyst, "1404-07").await["numerator"], 14.0);
}

async fn values_import_is_all_or_nothing(f: Fixture) {
    define(
        &f,
        json!({
            "code": "dropout", "name_fa": "بازماندگی از تحصیل", "theme": "آموزش", "worse": "higher",
            "numerator": "imported", "numerator_fa": "بازماندگان از تحصیل",
            "denominator": "population", "rate_base": 1000, "publication": "restricted"
        }),
    )
    .await;
    let aadmin = f.login("aadmin").await;
    let post = |body: &'static str| {
        f.http
            .post(f.url("/api/v1/indicators/dropout/values"))
            .header("cookie", &aadmin.cookie)
            .header("x-csrf-token", &aadmin.csrf)
            .body(body)
            .send()
    };
    let bad = "کد مکان,دوره,مقدار\nN1,1403,12\nNOPE,1403,5\nN2,۱۴۰۳ نوروز,5\nN2,1403,چند\n";
    let r = post(bad).await.expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.expect("json");
    let rows: Vec<(i64, String)> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap_or(0),
                e["column"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (3, "کد مکان".into()),
            (4, "دوره".into()),
            (5, "مقدار".into())
        ]
    );
    let admin = f.login("admin").await;
    let atlas = format!(
        "/api/v1/atlas?place={}&indicator=dropout&period=1403",
        f.ids["D1"]
    );
    let body: Value = f.get(&admin, &atlas).await.json().await.expect("json");
    assert_eq!(
        body["places"][0]["value"]["status"], "no_data",
        "nothing was written"
    );

    let r = post("کد مکان,دوره,مقدار\nN1,۱۴۰۳,۱۲\n")
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = f.get(&admin, &atlas).await.json().await.expect("json");
    assert_eq!(body["places"][0]["value"]["numerator"], 12.0);

    // Restricted: an officer neither sees it in the dictionary nor in the atlas.
    let officer = f.login("officer").await;
    let list: Value = f
        .get(&officer, "/api/v1/indicators")
        .await
        .json()
        .await
        .expect("json");
    assert!(list["indicators"].as_array().expect("list").is_empty());
    assert_eq!(
        f.get(&officer, &atlas).await.status(),
        StatusCode::NOT_FOUND
    );
    // A viewer may not supply values.
    let viewer = f.login("viewer").await;
    let r = f
        .http
        .post(f.url("/api/v1/indicators/dropout/values"))
        .header("cookie", &viewer.cookie)
        .header("x-csrf-token", &viewer.csrf)
        .body("کد مکان,دوره,مقدار\nN1,1403,1\n")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A bad period on the page: the same page again, the default period shown and the
    // reason beside the box (with what was typed); a Persian period is read as typed.
    let page = f.get(&admin, "/atlas?period=next-year").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(
        html.contains("class=\"field-error\""),
        "the reason beside the box"
    );
    assert!(
        html.contains("دورهٔ «next-year» را نمی‌شناسم"),
        "says what was typed"
    );
    assert!(html.contains("value=\"next-year\""), "keeps what was typed");
    for (typed, shown) in [
        ("بهار ۱۴۰۴", "بهار ۱۴۰۴"),
        ("۱۴۰۴/۰۷", "مهر ۱۴۰۴"),
        ("1404Q3", "پاییز ۱۴۰۴"),
    ] {
        let html = f
            .get(&admin, &format!("/atlas?period={typed}"))
            .await
            .text()
            .await
            .expect("html");
        assert!(
            !html.contains("class=\"field-error\""),
            "{typed} is a period"
        );
        assert!(
            html.contains(&format!("value=\"{shown}\"")),
            "{typed} shown as {shown}"
        );
    }
}

async fn exports_hide_small_counts_and_the_profile_prints(f: Fixture) {
    define_begging(&f).await;
    let officer = f.login("officer").await;
    let analyst = f.login("analyst").await;
    f.post_json(
        &officer,
        "/api/v1/events",
        events(4, "begging", "2025-10-01T08:00:00Z"),
    )
    .await;
    let path = |format: &str, public: bool| {
        format!(
            "/atlas/export?place={}&indicator=begging&period=1404-07&format={format}{}",
            f.ids["D1"],
            if public { "&public=1" } else { "" }
        )
    };
    // The analyst sees the 4; the officer and any public export do not.
    let csv = f
        .get(&analyst, &path("csv", false))
        .await
        .text()
        .await
        .expect("csv");
    assert!(
        csv.contains("N1,کوی ارغوان,begging,1,1404-07,value,4,4,1000"),
        "{csv}"
    );
    let csv = f
        .get(&officer, &path("csv", false))
        .await
        .text()
        .await
        .expect("csv");
    assert!(
        csv.contains("N1,کوی ارغوان,begging,1,1404-07,suppressed,,,"),
        "{csv}"
    );
    let csv = f
        .get(&analyst, &path("csv", true))
        .await
        .text()
        .await
        .expect("csv");
    assert!(
        csv.contains(",suppressed,"),
        "public export hides small counts: {csv}"
    );
    // A public export is the same whoever may export it — an administrator's too (it
    // was once empty) — and `public` is a yes/no: `0` is the caller's own view, and
    // anything else is refused.
    let admin = f.login("admin").await;
    let by_admin = f
        .get(&admin, &path("csv", true))
        .await
        .text()
        .await
        .expect("csv");
    assert_eq!(by_admin, csv, "the same public export for every role");
    let own = f
        .get(
            &analyst,
            &format!(
                "/atlas/export?place={}&indicator=begging&period=1404-07&format=csv&public=0",
                f.ids["D1"]
            ),
        )
        .await
        .text()
        .await
        .expect("csv");
    assert!(own.contains(",value,4,"), "public=0 is not public: {own}");
    for bad in ["yes", "2", "maybe"] {
        let res = f
            .get(
                &analyst,
                &format!(
                    "/api/v1/atlas/export?place={}&indicator=begging&period=1404-07&public={bad}",
                    f.ids["D1"]
                ),
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "public={bad}"
        );
    }
    let geo: Value = f
        .get(&analyst, &path("geojson", false))
        .await
        .json()
        .await
        .expect("geojson");
    assert_eq!(geo["type"], "FeatureCollection");
    assert_eq!(geo["features"][0]["properties"]["numerator"], "4");
    assert_eq!(geo["features"][0]["geometry"]["type"], "MultiPolygon");
    let xlsx = f
        .get(&analyst, &path("xlsx", false))
        .await
        .bytes()
        .await
        .expect("xlsx");
    assert!(xlsx.starts_with(b"PK"));
    let api = f
        .get(
            &officer,
            &format!(
                "/api/v1/atlas/export?place={}&indicator=begging&period=1404-07&format=bad",
                f.ids["D1"]
            ),
        )
        .await;
    assert_eq!(api.status(), StatusCode::BAD_REQUEST);

    // The district profile: a saved index over the one indicator.
    f.store
        .save_priority_index(
            &Who::system(),
            &hamafza_store::NewPriorityIndex {
                code: "p".into(),
                name_fa: "اولویت".into(),
                reference: hamafza_store::Reference::Siblings,
                standardise: hamafza_core::priority::Standardise::PercentileRank,
                min_population: 0,
                shrink: false,
                items: vec![hamafza_store::WeightedIndicator {
                    indicator: "begging".into(),
                    weight: 1.0,
                }],
                note_fa: None,
            },
        )
        .await
        .expect("index");
    let r = f
        .get(
            &analyst,
            &format!("/atlas/profile.pdf?place={}&period=1404-07", f.ids["CITY"]),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(r.bytes().await.expect("pdf").starts_with(b"%PDF"));
    let page = f
        .get(
            &analyst,
            &format!("/atlas/priority?place={}&period=1404-07", f.ids["CITY"]),
        )
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(
        html.contains("روش محاسبه") && html.contains("منطقهٔ ۱"),
        "method and ranking"
    );
}

/// Weight sets are named and versioned; only definers may save them; a saved set ranks
/// the children of a place over the API; a new event category takes events at once.
async fn weight_sets_and_categories_over_the_api(f: Fixture) {
    define_begging(&f).await;
    let admin = f.login("admin").await;
    let officer = f.login("officer").await;
    let analyst = f.login("analyst").await;
    let set = |weight: f64| {
        json!({
            "code": "harms", "name_fa": "اولویت آسیب‌ها",
            "items": [{ "indicator": "begging", "weight": weight }]
        })
    };
    let r = f
        .post_json(&officer, "/api/v1/priority-indices", set(1.0))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    for weight in [1.0, 2.0] {
        let r = f
            .post_json(&admin, "/api/v1/priority-indices", set(weight))
            .await;
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "{}",
            r.text().await.unwrap_or_default()
        );
    }
    let bad = f
        .post_json(
            &admin,
            "/api/v1/priority-indices",
            json!({ "code": "x", "name_fa": "x", "reference": "planet", "items": [] }),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let listed: Value = f
        .get(&analyst, "/api/v1/priority-indices")
        .await
        .json()
        .await
        .expect("json");
    let harms: Vec<&Value> = listed["indices"]
        .as_array()
        .expect("indices")
        .iter()
        .filter(|i| i["code"] == "harms")
        .collect();
    assert!(
        harms
            .iter()
            .any(|i| i["version"] == 2 && i["items"][0]["weight"] == 2.0),
        "the second save is version 2: {listed}"
    );

    // Five events in N1 (under D1), none under D2: D1 ranks first of the two districts.
    f.post_json(
        &officer,
        "/api/v1/events",
        events(5, "begging", "2025-10-01T08:00:00Z"),
    )
    .await;
    let r = f
        .get(
            &analyst,
            &format!(
                "/api/v1/priority?index=harms&place={}&period=1404-07",
                f.ids["CITY"]
            ),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let ranked: Value = r.json().await.expect("json");
    assert_eq!(ranked["index"]["version"], 2);
    let places = ranked["places"].as_array().expect("places");
    assert_eq!(places.len(), 2, "{ranked}");
    let d1 = places.iter().find(|p| p["code"] == "D1").expect("D1");
    let d2 = places.iter().find(|p| p["code"] == "D2").expect("D2");
    assert_eq!(d1["rank"], 1, "{ranked}");
    assert_eq!(d2["rank"], 2, "{ranked}");
    // Two places: no deciles or classes (they would mean nothing), and it says so.
    assert_eq!(ranked["graded"], false, "{ranked}");
    assert!(d1["decile"].is_null() && d1["class"].is_null(), "{ranked}");

    // Every neighbourhood of the city in one ranking, a level down from its districts:
    // N1 (five events) first, N2 second; the reference set named.
    let r = f
        .get(
            &analyst,
            &format!(
                "/api/v1/priority?index=harms&place={}&period=1404-07&level=neighbourhood",
                f.ids["CITY"]
            ),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let deep: Value = r.json().await.expect("json");
    assert_eq!(deep["level"], "neighbourhood", "{deep}");
    let codes: Vec<(&str, i64)> = deep["places"]
        .as_array()
        .expect("places")
        .iter()
        .map(|p| {
            (
                p["code"].as_str().unwrap_or(""),
                p["rank"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(codes.len(), 2, "{deep}");
    assert!(
        codes.contains(&("N1", 1)) && codes.contains(&("N2", 2)),
        "{deep}"
    );
    assert!(
        deep["reference"].as_str().unwrap_or("").contains("محله"),
        "{deep}"
    );
    let page = f
        .get(
            &analyst,
            &format!(
                "/atlas/priority?index=harms&place={}&period=1404-07&level=neighbourhood",
                f.ids["CITY"]
            ),
        )
        .await
        .text()
        .await
        .expect("page");
    assert!(
        page.contains("کوی ارغوان") && page.contains("کوی نسترن"),
        "both neighbourhoods listed"
    );
    assert!(
        page.contains("دهک و رده برای کمتر از"),
        "says why there are no deciles"
    );
    let bad_level = f
        .get(
            &analyst,
            &format!(
                "/api/v1/priority?index=harms&place={}&period=1404-07&level=galaxy",
                f.ids["CITY"]
            ),
        )
        .await;
    assert_eq!(bad_level.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = f
        .get(
            &analyst,
            &format!(
                "/api/v1/priority?index=nope&place={}&period=1404-07",
                f.ids["CITY"]
            ),
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    // A new category: refused to the officer, then added and used at once.
    let category = json!({ "code": "graffiti", "name_fa": "دیوارنویسی" });
    let r = f
        .post_json(&officer, "/api/v1/event-categories", category.clone())
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = f
        .post_json(&admin, "/api/v1/event-categories", category)
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = f
        .post_json(
            &officer,
            "/api/v1/events",
            events(1, "graffiti", "2025-10-02T08:00:00Z"),
        )
        .await;
    assert!(
        r.status().is_success(),
        "{}",
        r.text().await.unwrap_or_default()
    );
}

/// The dictionary's form: a definer writes a new indicator and then its next version; a
/// bad definition comes back with its reason and what was typed; others are refused.
async fn the_dictionary_form_defines_and_versions(f: Fixture) {
    let analyst = f.login("analyst").await;
    let officer = f.login("officer").await;
    assert_eq!(
        f.get(&officer, "/atlas/define-indicator").await.status(),
        StatusCode::FORBIDDEN
    );
    let page = f.get(&analyst, "/atlas/define-indicator").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .expect("html")
            .contains("name=\"categories\"")
    );
    let form = |name: &str, categories: &[&'static str], existing: bool| {
        let mut pairs: Vec<(&str, String)> = vec![
            ("csrf", analyst.csrf.clone()),
            ("code", "street_children".into()),
            ("name_fa", name.into()),
            ("theme", "کودکان".into()),
            ("worse", "higher".into()),
            ("numerator", "events".into()),
            ("numerator_fa", "گزارش‌های کودکان کار".into()),
            ("numerator_is_count", "1".into()),
            ("denominator", "population".into()),
            ("rate_base", "10000".into()),
            ("source_agency", String::new()),
            ("publication", "restricted".into()),
            ("note_fa", String::new()),
        ];
        pairs.extend(categories.iter().map(|c| ("categories", c.to_string())));
        if existing {
            pairs.push(("existing", "1".into()));
        }
        pairs
    };
    let post = |pairs: Vec<(&'static str, String)>| {
        let f = &f;
        let analyst = &analyst;
        async move {
            let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            f.post_form(analyst, "/atlas/define-indicator", &refs).await
        }
    };
    // No category for an event-counted indicator: refused, the form keeps the name.
    let r = post(form("کودکان کار و خیابان", &[], false)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("html");
    assert!(
        html.contains("«دسته» لازم است") && html.contains("کودکان کار و خیابان"),
        "{html}"
    );
    assert!(
        f.store
            .indicator("street_children")
            .await
            .expect("read")
            .is_none()
    );

    let r = post(form("کودکان کار", &["street_children"], false)).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let r = post(form(
        "کودکان کار و خیابان",
        &["street_children", "begging"],
        true,
    ))
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let versions = f
        .store
        .indicator_versions("street_children")
        .await
        .expect("versions");
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].version, 2);
    assert_eq!(versions[0].name_fa, "کودکان کار و خیابان");
    assert_eq!(versions[0].categories, vec!["street_children", "begging"]);
    assert_eq!(versions[0].rate_base, 10000.0);
    assert_eq!(versions[1].name_fa, "کودکان کار");
    // The edit form opens on the latest version.
    let page = f
        .get(&analyst, "/atlas/define-indicator?code=street_children")
        .await
        .text()
        .await
        .expect("html");
    assert!(page.contains("نسخهٔ تازهٔ «کودکان کار و خیابان»"), "{page}");
}

/// The weight-set form: refused to non-definers; a bad weight comes back with its reason
/// and nothing saved; a good one is version 1, the edit is version 2 with the new weight.
async fn the_weight_set_form_saves_versions(f: Fixture) {
    define_begging(&f).await;
    let admin = f.login("admin").await;
    let officer = f.login("officer").await;
    assert_eq!(
        f.get(&officer, "/atlas/define-priority").await.status(),
        StatusCode::FORBIDDEN
    );
    let page = f.get(&admin, "/atlas/define-priority").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .expect("html")
            .contains("name=\"weight.begging\"")
    );
    let post = |weight: &'static str, existing: bool| {
        let (f, admin) = (&f, &admin);
        async move {
            let mut form = vec![
                ("csrf", admin.csrf.as_str()),
                ("code", "harms"),
                ("name_fa", "اولویت آسیب‌ها"),
                ("reference", "siblings"),
                ("standardise", "zscore"),
                ("min_population", "0"),
                ("weight.begging", weight),
            ];
            if existing {
                form.push(("existing", "1"));
            }
            f.post_form(admin, "/atlas/define-priority", &form).await
        }
    };
    let r = post("-1", false).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("«وزن» باید عددی بزرگ‌تر از صفر باشد")
    );
    assert!(
        f.store
            .priority_index("harms", None)
            .await
            .expect("read")
            .is_none()
    );
    assert_eq!(post("1", false).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(post("2.5", true).await.status(), StatusCode::SEE_OTHER);
    let saved = f
        .store
        .priority_index("harms", None)
        .await
        .expect("read")
        .expect("saved");
    assert_eq!(saved.version, 2);
    assert_eq!(saved.items[0].weight, 2.5);
    assert_eq!(
        saved.standardise,
        hamafza_core::priority::Standardise::ZScore
    );
    let page = f
        .get(&admin, "/atlas/define-priority?code=harms")
        .await
        .text()
        .await
        .expect("html");
    assert!(page.contains("value=\"2.5\""), "{page}");
}
