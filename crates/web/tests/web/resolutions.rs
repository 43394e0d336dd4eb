//! Councils and resolutions over real HTTP, on SQLite and PostgreSQL: who sees and moves
//! what (the access matrix for resolutions), evidence upload and download, escalation
//! over simulated time reaching the inbox, and bad input refused with the field at fault.
//!
//! Long because each test is a whole scenario over HTTP (a council's life, step by step).

use crate::common;

use common::{Fixture, Session};
use hamafza_core::access::Role;
use hamafza_core::agency::AgencyKind;
use hamafza_store::{NewAgency, NewUser, Who};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use sha2::Digest;

on_both_engines!(
    resolution_access_matrix,
    escalation_over_simulated_time_reaches_the_inbox,
    bad_resolution_input_is_refused_with_its_field,
    documents_export_import_and_report,
);

/// A third agency outside everything, with an officer; a council run by agency A (the
/// secretary's) with only A on it; R1 led by B (the officer's), R2 led by A.
pub(crate) struct World {
    pub(crate) council: String,
    pub(crate) r1: String,
    pub(crate) r2: String,
}

pub(crate) async fn world(f: &Fixture) -> World {
    let c = f
        .store
        .create_agency(
            &Who::system(),
            &NewAgency {
                code: "agency-c".into(),
                name_fa: "آموزش و پرورش".into(),
                kind: AgencyKind::Education,
                place_id: None,
            },
        )
        .await
        .expect("c");
    f.store
        .create_user(
            &Who::system(),
            &NewUser {
                username: "c.officer".into(),
                display_name: "کارشناس ج".into(),
                agency_id: c.id,
                roles: vec![Role::AgencyOfficer],
                jurisdiction: vec![f.id("D1")],
                password_hash: hamafza_web::hash_password(common::PASSWORD).expect("hash"),
            },
        )
        .await
        .expect("user");
    let admin = f.login("admin").await;
    let res = f
        .post_json(
            &admin,
            "/api/v1/councils",
            json!({"code": "hq", "name_fa": "قرارگاه اجتماعی منطقهٔ ۱", "kind": "social_headquarters",
                   "place": "D1", "secretariat_agency": "agency-a", "focus_limit": 2, "stall_days": 30}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let council: Value = res.json().await.expect("json");
    let secretary = f.login("secretary").await;
    let mut ids = Vec::new();
    for (lead, body) in [
        ("agency-b", "ساماندهی متکدیان"),
        ("agency-a", "حمایت از کودکان کار"),
    ] {
        let res = f
            .post_json(
                &secretary,
                "/api/v1/resolutions",
                json!({"council": "hq", "body": body, "responsible_agency": lead,
                       "places": ["N1"], "deadline": "۱۴۰۴/۰۸/۰۱", "topic": "آزمون"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{body}");
        let r: Value = res.json().await.expect("json");
        ids.push(r["id"].as_str().expect("id").to_string());
    }
    World {
        council: council["id"].as_str().expect("id").to_string(),
        r1: ids[0].clone(),
        r2: ids[1].clone(),
    }
}

async fn numbers_seen(f: &Fixture, s: &Session) -> Vec<String> {
    let list: Value = f
        .get(s, "/api/v1/resolutions")
        .await
        .json()
        .await
        .expect("json");
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["number"].as_str().unwrap_or("").to_string())
        .collect()
}

async fn move_it(f: &Fixture, s: &Session, id: &str, action: &str) -> StatusCode {
    f.post_json(
        s,
        &format!("/api/v1/resolutions/{id}/transition"),
        json!({"action": action, "reason": "آزمون"}),
    )
    .await
    .status()
}

pub(crate) async fn post_update(
    f: &Fixture,
    s: &Session,
    id: &str,
    file: Option<(&str, &[u8])>,
) -> reqwest::Response {
    let mut form = Form::new()
        .text("percent", "۶۰")
        .text("body", "گشت مشترک انجام شد");
    if let Some((name, bytes)) = file {
        form = form.part(
            "evidence",
            Part::bytes(bytes.to_vec())
                .file_name(name.to_string())
                .mime_str("image/png")
                .expect("mime"),
        );
    }
    f.http
        .post(f.url(&format!("/api/v1/resolutions/{id}/updates")))
        .header("cookie", &s.cookie)
        .header("x-csrf-token", &s.csrf)
        .multipart(form)
        .send()
        .await
        .expect("post")
}

async fn resolution_access_matrix(f: Fixture) {
    let w = world(&f).await;
    let who = |name: &'static str| f.login(name);
    let (admin, aadmin, secretary, officer, analyst, viewer, stranger) = (
        who("admin").await,
        who("aadmin").await,
        who("secretary").await,
        who("officer").await,
        who("analyst").await,
        who("viewer").await,
        who("c.officer").await,
    );
    // Who sees which: A sits on the council and sees both; B leads R1 only; C nothing.
    let both = vec!["1404/1".to_string(), "1404/2".to_string()];
    for s in [&admin, &aadmin, &secretary, &analyst] {
        assert_eq!(numbers_seen(&f, s).await, both);
    }
    for s in [&officer, &viewer] {
        assert_eq!(numbers_seen(&f, s).await, vec!["1404/1".to_string()]);
    }
    assert!(numbers_seen(&f, &stranger).await.is_empty());
    assert_eq!(
        f.get(&officer, &format!("/api/v1/resolutions/{}", w.r2))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        f.get(&stranger, &format!("/api/v1/resolutions/{}", w.r1))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        f.get(&stranger, &format!("/resolutions/{}", w.r1))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        f.get(&stranger, "/api/v1/councils/hq").await.status(),
        StatusCode::NOT_FOUND
    );
    let councils: Value = f
        .get(&officer, "/api/v1/councils")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        councils["items"][0]["code"], "hq",
        "B sees the council it has work in"
    );

    // Only the secretariat's secretary or head assigns; readers never move anything.
    for s in [&officer, &viewer, &analyst, &stranger] {
        assert!(matches!(
            move_it(&f, s, &w.r1, "assign").await,
            StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
        ));
    }
    assert_eq!(
        move_it(&f, &secretary, &w.r1, "assign").await,
        StatusCode::OK
    );

    // Only the responsible or collaborating agency's officers report; nobody else's.
    assert_eq!(
        post_update(&f, &secretary, &w.r1, None).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post_update(&f, &viewer, &w.r1, None).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post_update(&f, &stranger, &w.r1, None).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        move_it(&f, &officer, &w.r1, "report_done").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no evidence yet"
    );
    let photo = b"\x89PNG\r\n\x1a\n not really a picture";
    let res = post_update(&f, &officer, &w.r1, Some(("عکس گشت.png", photo))).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let update: Value = res.json().await.expect("json");
    let evidence = &update["evidence"][0];
    let sha = hex(&sha2::Sha256::digest(photo));
    assert_eq!(evidence["sha256"], sha);
    assert_eq!(evidence["size"], photo.len());
    let path = format!("/api/v1/evidence/{}", evidence["id"].as_str().expect("id"));
    let res = f.get(&secretary, &path).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the council's members may download it"
    );
    assert_eq!(res.headers()["x-content-sha256"], sha.as_str());
    assert_eq!(res.bytes().await.expect("bytes").as_ref(), photo);
    assert_eq!(
        f.get(&stranger, &path).await.status(),
        StatusCode::NOT_FOUND
    );

    // Reported done is not verified; only the secretariat verifies.
    assert_eq!(
        move_it(&f, &officer, &w.r1, "report_done").await,
        StatusCode::OK
    );
    assert_eq!(
        move_it(&f, &officer, &w.r1, "verify").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        move_it(&f, &analyst, &w.r1, "verify").await,
        StatusCode::FORBIDDEN
    );
    let list: Value = f
        .get(&secretary, "/api/v1/resolutions?state=reported_done")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["summary"]["by_state"]["reported_done"], 1);
    assert_eq!(list["summary"]["by_state"]["verified"], 0);
    assert_eq!(
        move_it(&f, &secretary, &w.r1, "verify").await,
        StatusCode::OK
    );
    let one: Value = f
        .get(&officer, &format!("/api/v1/resolutions/{}", w.r1))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(one["state"], "verified");
    assert_eq!(
        one["history"].as_array().map(Vec::len),
        Some(5),
        "draft, assigned, in progress, reported, verified"
    );

    // Recording resolutions and meetings is the secretariat's.
    let new = json!({"council": "hq", "body": "متن", "responsible_agency": "agency-b"});
    for s in [&officer, &analyst, &viewer] {
        assert!(matches!(
            f.post_json(s, "/api/v1/resolutions", new.clone())
                .await
                .status(),
            StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
        ));
    }
    let meeting = f
        .post_json(
            &secretary,
            "/api/v1/councils/hq/meetings",
            json!({"held_on": "1404/07/19", "venue": "فرمانداری", "agenda": ["گزارش دبیر"]}),
        )
        .await;
    assert_eq!(meeting.status(), StatusCode::CREATED);
    assert_eq!(
        f.post_json(
            &officer,
            "/api/v1/councils/hq/meetings",
            json!({"held_on": "1404/07/19"})
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    // Minutes and attendance: the secretariat's, members only.
    let m: Value = meeting.json().await.expect("json");
    let minutes = format!(
        "/api/v1/meetings/{}/minutes",
        m["meeting"]["id"].as_str().expect("id")
    );
    let res = f.post_json(&secretary, &minutes, json!({"minutes": "مصوب شد", "attendance": [{"agency": "agency-a", "presence": "present"}]})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = f
        .post_json(
            &secretary,
            &minutes,
            json!({"attendance": [{"agency": "agency-c", "presence": "present"}]}),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "C is not a member"
    );
    assert_eq!(
        f.post_json(&officer, &minutes, json!({"minutes": "x"}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    // The dashboard page and the scorecard count reported-done and verified apart.
    let page = f
        .get(&secretary, "/councils/hq")
        .await
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("قرارگاه اجتماعی منطقهٔ ۱") && page.contains("<svg"),
        "dashboard with chart"
    );
    let card: Value = f
        .get(&admin, "/api/v1/scorecard")
        .await
        .json()
        .await
        .expect("json");
    let b = card["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["agency_code"] == "agency-b")
        .expect("B");
    assert_eq!(b["summary"]["by_state"]["verified"], 1);
    assert!(matches!(
        f.store.verify_audit().await.expect("audit"),
        hamafza_store::AuditVerification::Intact { .. }
    ));
    let _ = w.council;
}

async fn escalation_over_simulated_time_reaches_the_inbox(f: Fixture) {
    let w = world(&f).await;
    let secretary = f.login("secretary").await;
    let officer = f.login("officer").await;
    assert_eq!(
        move_it(&f, &secretary, &w.r1, "assign").await,
        StatusCode::OK
    );
    let inbox: Value = f
        .get(&officer, "/api/v1/inbox")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(inbox["unread"], 1, "told of the assignment");
    // The deadline is 1 Aban 1404 (2025-10-23); the server's day is 19 Mehr. Nothing is
    // overdue until the clock moves.
    assert_eq!(overdue_count(&f, &secretary).await, 0);
    f.clock.advance(30);
    assert_eq!(
        overdue_count(&f, &secretary).await,
        1,
        "R1 is past its deadline; R2 is still a draft, nobody's to do yet"
    );
    assert_eq!(
        overdue_count(&f, &officer).await,
        1,
        "the officer's agency leads one"
    );
    // The home page says what needs the officer today: one to report on, late, and
    // the most overdue resolution named with its days, linking to the filtered list.
    let home = f.get(&officer, "/").await.text().await.expect("home");
    assert!(
        home.contains("مصوبه که دستگاه شما باید گزارش دهد (۱ معوق)"),
        "the officer's work on the home page"
    );
    assert!(
        home.contains("href=\"/resolutions?overdue=true\""),
        "a link to the overdue list"
    );
    assert!(
        home.contains("۱۸ روز از مهلت گذشته"),
        "worst first, with the days past its deadline: {home}"
    );
    assert!(
        !home.contains("به‌زودی"),
        "nothing that exists is 'coming soon'"
    );
    let run = f
        .store
        .run_escalations(
            &hamafza_core::resolutions::EscalationPolicy::default(),
            f.clock.today(),
        )
        .await
        .expect("escalate");
    assert_eq!(
        run.reminders, 1,
        "R2 is still a draft: nobody was told to act on it"
    );
    assert_eq!(
        (run.head_notices, run.agenda),
        (1, 1),
        "17 days late: every step at once (head notice after 7, agenda after 14)"
    );
    let inbox: Value = f
        .get(&officer, "/api/v1/inbox")
        .await
        .json()
        .await
        .expect("json");
    let kinds: Vec<&str> = inbox["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|n| n["kind"].as_str())
        .collect();
    assert_eq!(kinds, vec!["reminder", "assigned"], "newest first");
    let page = f.get(&officer, "/inbox").await.text().await.expect("html");
    assert!(
        page.contains("یادآوری") && page.contains("۱۴۰۴/۱"),
        "the inbox page shows it"
    );
    let res = f.post_json(&officer, "/api/v1/inbox/read", json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let inbox: Value = f
        .get(&officer, "/api/v1/inbox")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(inbox["unread"], 0);
}

async fn bad_resolution_input_is_refused_with_its_field(f: Fixture) {
    let w = world(&f).await;
    let secretary = f.login("secretary").await;
    let officer = f.login("officer").await;
    let field_of = |v: &Value| v["errors"][0]["field"].as_str().unwrap_or("").to_string();
    for (body, field) in [
        (
            json!({"council": "hq", "body": "x", "responsible_agency": "agency-b", "deadline": "1404/13/01"}),
            "deadline",
        ),
        (
            json!({"council": "hq", "body": "x", "responsible_agency": "no-such"}),
            "responsible_agency",
        ),
        (
            json!({"council": "hq", "body": "x", "responsible_agency": "agency-b", "places": ["NOPE"]}),
            "places",
        ),
        // Rules the store checks name their field too.
        (
            json!({"council": "hq", "body": "x", "responsible_agency": "agency-b", "priority": 9}),
            "priority",
        ),
        (
            json!({"council": "hq", "body": "   ", "responsible_agency": "agency-b"}),
            "body",
        ),
    ] {
        let res = f.post_json(&secretary, "/api/v1/resolutions", body).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        assert_eq!(field_of(&res.json().await.expect("json")), field);
    }
    let res = f
        .post_json(&secretary, "/api/v1/resolutions", json!({"council": "hq", "body": "x", "responsible_agency": "agency-b", "agenda_item": 1}))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_of(&res.json().await.expect("json")),
        "agenda_item",
        "an agenda item needs its meeting"
    );
    let res = f.get(&secretary, "/api/v1/resolutions?period=1404Q7").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The focus limit (2) refuses a third resolution in focus, and says why.
    for i in 0..3 {
        let res = f
            .post_json(&secretary, "/api/v1/resolutions", json!({"council": "hq", "body": format!("کانون {i}"), "responsible_agency": "agency-b", "in_focus": true}))
            .await;
        if i < 2 {
            assert_eq!(res.status(), StatusCode::CREATED);
        } else {
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
            let p: Value = res.json().await.expect("json");
            assert!(p["detail"].as_str().unwrap_or("").contains("کانون"), "{p}");
        }
    }
    // The same refusal on the form: the council page again with the reason, under the
    // status the API gave (one fault, one status on both faces).
    let res = f
        .post_form(
            &secretary,
            "/resolutions/new",
            &[
                ("csrf", &secretary.csrf),
                ("council", "hq"),
                ("body", "سومی"),
                ("responsible_agency", "agency-b"),
                ("in_focus", "true"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("کانون"));
    // Updates: not multipart, or a percentage that is not a number.
    let res = f
        .post_json(
            &officer,
            &format!("/api/v1/resolutions/{}/updates", w.r1),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let list: Value = f
        .get(&officer, "/api/v1/resolutions")
        .await
        .json()
        .await
        .expect("json");
    let r1 = list["items"][0]["id"].as_str().expect("id").to_string();
    let res = f
        .http
        .post(f.url(&format!("/api/v1/resolutions/{r1}/updates")))
        .header("cookie", &officer.cookie)
        .header("x-csrf-token", &officer.csrf)
        .multipart(Form::new().text("percent", "بسیار").text("body", "x"))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&res.json().await.expect("json")), "percent");
    // A form post without the CSRF token changes nothing.
    let res = f
        .post_form(
            &secretary,
            &format!("/resolutions/{r1}/move"),
            &[("action", "assign")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let one: Value = f
        .get(&officer, &format!("/api/v1/resolutions/{r1}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(one["state"], "draft");

    // The page: priority in words; cancelling is set apart and must be confirmed.
    let page = f
        .get(&secretary, &format!("/resolutions/{r1}"))
        .await
        .text()
        .await
        .expect("page");
    assert!(page.contains("<dd>میانه"), "priority in words");
    assert!(
        page.contains("class=\"danger-zone\""),
        "destructive moves apart"
    );
    let unconfirmed = f
        .post_form(
            &secretary,
            &format!("/resolutions/{r1}/move"),
            &[
                ("csrf", secretary.csrf.as_str()),
                ("action", "cancel"),
                ("reason", "تکراری"),
            ],
        )
        .await;
    assert_eq!(unconfirmed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unconfirmed
            .text()
            .await
            .expect("page")
            .contains("«مطمئنم» را تیک بزنید")
    );
    assert_eq!(
        state_of(&f, &officer, &r1).await,
        "draft",
        "nothing changed"
    );
    let confirmed = f
        .post_form(
            &secretary,
            &format!("/resolutions/{r1}/move"),
            &[
                ("csrf", secretary.csrf.as_str()),
                ("action", "cancel"),
                ("reason", "تکراری"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    let back = confirmed.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(back.ends_with("?saved=cancel"), "{back}");
    let page = f.get(&secretary, &back).await.text().await.expect("page");
    assert!(
        page.contains("انجام شد: «لغو»."),
        "the save says what happened"
    );
    assert_eq!(state_of(&f, &officer, &r1).await, "cancelled");
}

async fn state_of(f: &Fixture, s: &Session, id: &str) -> String {
    let one: Value = f
        .get(s, &format!("/api/v1/resolutions/{id}"))
        .await
        .json()
        .await
        .expect("json");
    one["state"].as_str().unwrap_or_default().to_string()
}

async fn overdue_count(f: &Fixture, s: &Session) -> usize {
    let list: Value = f
        .get(s, "/api/v1/resolutions?overdue=true")
        .await
        .json()
        .await
        .expect("json");
    list["items"].as_array().map_or(0, Vec::len)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn documents_export_import_and_report(f: Fixture) {
    let w = world(&f).await;
    let secretary = f.login("secretary").await;
    let officer = f.login("officer").await;
    let stranger = f.login("c.officer").await;
    assert_eq!(
        move_it(&f, &secretary, &w.r1, "assign").await,
        StatusCode::OK
    );
    // The export is an XLSX workbook of what the caller may see.
    let res = f
        .get(&secretary, "/api/v1/resolutions/export?council=hq")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .contains("spreadsheetml")
    );
    let xlsx = res.bytes().await.expect("bytes").to_vec();
    assert!(xlsx.starts_with(b"PK"));
    // Imported into a second, empty council of the same secretariat: the same two.
    let admin = f.login("admin").await;
    let res = f
        .post_json(&admin, "/api/v1/councils", json!({"code": "hq2", "name_fa": "قرارگاه دوم", "kind": "other", "place": "D1", "secretariat_agency": "agency-a"}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let import = |s: &Session, path: &str, body: Vec<u8>| {
        f.http
            .post(f.url(path))
            .header("cookie", &s.cookie)
            .header("x-csrf-token", &s.csrf)
            .body(body)
            .send()
    };
    let res = import(&officer, "/api/v1/councils/hq2/import", xlsx.clone())
        .await
        .expect("post");
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "B is not on hq2: it does not even see it"
    );
    let analyst = f.login("analyst").await;
    let res = import(&analyst, "/api/v1/councils/hq2/import", xlsx.clone())
        .await
        .expect("post");
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "the secretariat's analyst reads only"
    );
    let res = import(&secretary, "/api/v1/councils/hq2/import", xlsx.clone())
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::CREATED);
    let copy: Value = f
        .get(&secretary, "/api/v1/resolutions?council=hq2")
        .await
        .json()
        .await
        .expect("json");
    let states: Vec<&str> = copy["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["state"].as_str())
        .collect();
    assert_eq!(states, vec!["assigned", "draft"]);
    // A bad CSV: every bad row named, nothing written.
    let bad =
        "شماره,متن مصوبه,کد دستگاه مسئول\n1404/9,درست,agency-b\n1404/10,,agency-b\nنه,x,nobody\n";
    let res = import(
        &secretary,
        "/api/v1/councils/hq2/import",
        bad.as_bytes().to_vec(),
    )
    .await
    .expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.expect("json");
    let rows: Vec<u64> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["row"].as_u64())
        .collect();
    assert_eq!(
        rows,
        vec![3, 4, 4],
        "row 3: no text; row 4: bad number and unknown agency"
    );
    let after: Value = f
        .get(&secretary, "/api/v1/resolutions?council=hq2")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        after["items"].as_array().map(Vec::len),
        Some(2),
        "nothing written"
    );
    let res = import(
        &secretary,
        "/api/v1/councils/hq2/import",
        b"\x00\x01 not a table".to_vec(),
    )
    .await
    .expect("post");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // The PDF report: for those who see the council; a bad period says so.
    let res = f
        .get(&secretary, "/api/v1/councils/hq/report?period=1404Q3")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(res.bytes().await.expect("pdf").starts_with(b"%PDF"));
    assert_eq!(
        f.get(&secretary, "/api/v1/councils/hq/report?period=1404Q9")
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        f.get(&stranger, "/api/v1/councils/hq/report?period=1404")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        f.get(&officer, "/api/v1/agencies/agency-b/report?period=1404")
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        f.get(&officer, "/api/v1/agencies/agency-a/report?period=1404")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let page = f
        .get(&secretary, "/councils/hq/report.pdf?period=1404")
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    // Settings: the secretariat changes the focus limit; others cannot.
    let res = f
        .post_json(
            &secretary,
            "/api/v1/councils/hq/settings",
            json!({"focus_limit": 3, "stall_days": 10}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        f.post_json(
            &officer,
            "/api/v1/councils/hq/settings",
            json!({"focus_limit": 3, "stall_days": 10})
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        f.post_json(
            &secretary,
            "/api/v1/councils/hq/settings",
            json!({"focus_limit": 0, "stall_days": 10})
        )
        .await
        .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}
