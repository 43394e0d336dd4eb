//! The role × jurisdiction × endpoint matrix: every user of the fixture (one per role,
//! in two agencies and different places, plus an agency with nothing to do with the
//! council) asks every route that reads a place, a council, a meeting, a resolution, an
//! evidence file, a report or an export, on both engines. Each answer is checked
//! against `hamafza_core::access::decide` on the same facts — allowed is 200, a record
//! the caller may not know of is 404, a refusal of something the caller can see is 403
//! — and every list, export and report holds exactly the resolutions `decide` lets the
//! caller see.
//!
//! The world: council `hq` is run by agency A (its only member). R1 is led by agency B,
//! which does not sit on the council; R2 is led by A. So B's users are the agency "with
//! one resolution in a council it does not sit on" whose users once read the council's
//! every resolution through its PDF, and its minutes (December 2026).

use std::collections::BTreeSet;

use hamafza_core::access::{Action, Actor, CouncilFacts, Decision, Parties, Target, decide};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{Fixture, Session, status_for};
use crate::resolutions::{post_update, world};

on_both_engines!(
    every_role_and_endpoint_agrees_with_the_policy,
    ids_that_are_not_ids_are_not_found,
);

fn uuid(s: &str) -> Uuid {
    Uuid::parse_str(s).expect("uuid")
}

/// The text of a PDF, through Debian's poppler-utils (installed by the test command).
fn pdf_text(bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("hamafza-matrix-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("report.pdf");
    std::fs::write(&path, bytes).expect("write");
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian's poppler-utils) must be installed");
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The numbers («۱۴۰۴/۱») of the resolutions an XLSX export holds.
fn xlsx_numbers(bytes: &[u8]) -> BTreeSet<String> {
    hamafza_report::spreadsheet::read_table(bytes)
        .expect("xlsx")
        .iter()
        .map(|(_, row)| hamafza_core::digits::to_ascii(&row["شماره"]))
        .collect()
}

struct Asker {
    name: &'static str,
    session: Session,
    actor: Actor,
}

async fn every_role_and_endpoint_agrees_with_the_policy(f: Fixture) {
    let w = world(&f).await;
    let secretary = f.login("secretary").await;
    let aadmin = f.login("aadmin").await;
    let officer = f.login("officer").await;
    // Both resolutions under way, each with one evidence file, and one meeting.
    for r in [&w.r1, &w.r2] {
        let res = f
            .post_json(
                &secretary,
                &format!("/api/v1/resolutions/{r}/transition"),
                json!({"action": "assign"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let mut evidence = Vec::new();
    for (s, r) in [(&officer, &w.r1), (&aadmin, &w.r2)] {
        let res = post_update(&f, s, r, Some(("photo.png", b"\x89PNG evidence"))).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let u: Value = res.json().await.expect("json");
        evidence.push(u["evidence"][0]["id"].as_str().expect("id").to_string());
    }
    let res = f
        .post_json(
            &secretary,
            "/api/v1/councils/hq/meetings",
            json!({"held_on": "۱۴۰۴/۰۷/۱۵", "venue": "تالار"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let meeting = res.json::<Value>().await.expect("json")["meeting"]["id"]
        .as_str()
        .expect("meeting id")
        .to_string();
    // Two indicators for the atlas rows: one public, one restricted.
    let admin = f.login("admin").await;
    for (code, publication) in [("begging", "public"), ("addiction", "restricted")] {
        let res = f
            .post_json(
                &admin,
                "/api/v1/indicators",
                json!({
                    "code": code, "name_fa": code, "theme": "آسیب‌ها", "worse": "higher",
                    "numerator": "events", "categories": ["begging"], "numerator_fa": "گزارش‌ها",
                    "denominator": "population", "rate_base": 1000, "publication": publication
                }),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }

    // What the policy needs to know, read from the store as the server would.
    let council = f
        .store
        .council(w.council.parse().expect("council id"))
        .await
        .expect("council");
    let members: Vec<Uuid> = council.members.iter().map(|m| m.uuid()).collect();
    let (a, b) = (uuid(&f.ids["A"]), uuid(&f.ids["B"]));
    let parties_of = |lead: Uuid| Parties {
        secretariat: a,
        responsible: lead,
        collaborators: &[],
        council_members: &members,
    };
    let (p1, p2) = (parties_of(b), parties_of(a));
    let place_path = |key: &str| {
        let id = f.id(key);
        let store = f.store.clone();
        async move { store.place_by_id(id).await.expect("place").path }
    };
    let places = [
        ("D1", place_path("D1").await),
        ("D2", place_path("D2").await),
        ("P2", place_path("P2").await),
    ];

    let mut askers = Vec::new();
    for name in [
        "admin",
        "aadmin",
        "secretary",
        "officer",
        "analyst",
        "viewer",
        "c.officer",
    ] {
        let user = f
            .store
            .user_for_login(name)
            .await
            .expect("user")
            .expect("exists")
            .0;
        askers.push(Asker {
            name,
            session: f.login(name).await,
            actor: user.actor(),
        });
    }

    let mut checked = 0;
    for asker in &askers {
        let actor = &asker.actor;
        let takes_part = actor.agency_id == a || actor.agency_id == b;
        let hq = CouncilFacts {
            secretariat: a,
            members: &members,
            actor_agency_takes_part: takes_part,
        };
        let d = |action, target| decide(actor, action, target);
        let council_view = d(Action::ViewCouncil, Target::Council(&hq));
        let council_records = d(Action::ViewCouncilRecords, Target::Council(&hq));
        let mut rows: Vec<(String, Decision)> = vec![
            ("/api/v1/councils/hq".into(), council_view),
            ("/councils/hq".into(), council_view),
            (
                "/api/v1/councils/hq/report?period=1404".into(),
                council_view,
            ),
            ("/councils/hq/report.pdf?period=1404".into(), council_view),
            ("/api/v1/councils/hq/meetings".into(), council_records),
            (format!("/api/v1/meetings/{meeting}"), council_records),
            (format!("/meetings/{meeting}"), council_records),
            (
                "/api/v1/agencies/agency-a/report?period=1404".into(),
                d(Action::ViewAgencyReport, Target::Agency { id: a }),
            ),
            (
                "/api/v1/agencies/agency-b/report?period=1404".into(),
                d(Action::ViewAgencyReport, Target::Agency { id: b }),
            ),
            (
                "/api/v1/users".into(),
                d(Action::ViewUsers, Target::Collection),
            ),
            ("/users".into(), d(Action::ViewUsers, Target::Collection)),
            (
                "/api/v1/audit".into(),
                d(Action::ViewAudit, Target::Collection),
            ),
            ("/audit".into(), d(Action::ViewAudit, Target::Collection)),
        ];
        for ((r, parties), e) in [(&w.r1, &p1), (&w.r2, &p2)].into_iter().zip(&evidence) {
            let see = d(Action::ViewResolution, Target::Resolution(parties));
            rows.push((format!("/api/v1/resolutions/{r}"), see));
            rows.push((format!("/resolutions/{r}"), see));
            rows.push((format!("/api/v1/resolutions/{r}/updates"), see));
            let evidence = d(Action::ViewEvidence, Target::Resolution(parties));
            rows.push((format!("/api/v1/evidence/{e}"), evidence));
            rows.push((format!("/evidence/{e}"), evidence));
        }
        for (key, path) in &places {
            let see_place = d(Action::ViewPlace, Target::Place { path });
            rows.push((format!("/api/v1/places/{}", f.ids[key]), see_place));
            // The atlas's values and downloads (CSV, GeoJSON) need the place and the
            // indicator both: a refusal of either is "not found".
            for (indicator, restricted) in [("begging", false), ("addiction", true)] {
                let see_indicator = d(Action::ViewIndicator, Target::Indicator { restricted });
                let both = if see_place.is_allowed() {
                    see_indicator
                } else {
                    see_place
                };
                let q = format!("place={}&indicator={indicator}&period=1404-07", f.ids[key]);
                rows.push((format!("/api/v1/atlas?{q}"), both));
                rows.push((format!("/api/v1/atlas/export?{q}&format=csv"), both));
                rows.push((format!("/api/v1/atlas/export?{q}&format=geojson"), both));
                rows.push((format!("/atlas/export?{q}&format=csv"), both));
            }
        }
        for (path, decision) in &rows {
            let got = f.get(&asker.session, path).await.status();
            assert_eq!(
                got,
                status_for(*decision),
                "{} GET {path}: the policy says {decision:?}",
                asker.name
            );
            checked += 1;
        }

        // Witnessing another server's checkpoints: a forged one is looked at (422) only
        // by whom the policy lets witness at all.
        let witness = d(Action::WitnessCheckpoints, Target::Collection);
        let forged = serde_json::json!({"seq": 1, "hash": "00", "at": "2026-12-02T08:00:00Z",
            "key": "11".repeat(32), "signature": "22".repeat(64)});
        let got = f
            .post_json(&asker.session, "/api/v1/witness/checkpoints", forged)
            .await
            .status();
        let expected = if witness.is_allowed() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            status_for(witness)
        };
        assert_eq!(got, expected, "{} POST witness: {witness:?}", asker.name);
        checked += 1;

        // Every list, export and report holds exactly what `decide` lets the caller see.
        let expected: BTreeSet<String> = [("1404/1", &p1), ("1404/2", &p2)]
            .into_iter()
            .filter(|(_, p)| d(Action::ViewResolution, Target::Resolution(p)).is_allowed())
            .map(|(n, _)| n.to_string())
            .collect();
        let list: Value = f
            .get(&asker.session, "/api/v1/resolutions?council=hq")
            .await
            .json()
            .await
            .expect("json");
        let listed: BTreeSet<String> = match list["items"].as_array() {
            Some(items) => items
                .iter()
                .map(|r| r["number"].as_str().expect("number").to_string())
                .collect(),
            None => BTreeSet::new(), // the council itself is hidden: 404
        };
        assert_eq!(listed, expected, "{}: the list", asker.name);
        for path in [
            "/api/v1/resolutions/export?council=hq",
            "/resolutions.xlsx?council=hq",
        ] {
            let res = f.get(&asker.session, path).await;
            if council_view.is_allowed() {
                assert_eq!(res.status(), StatusCode::OK, "{} {path}", asker.name);
                let bytes = res.bytes().await.expect("xlsx");
                assert_eq!(xlsx_numbers(&bytes), expected, "{} {path}", asker.name);
            } else {
                assert_eq!(res.status(), StatusCode::NOT_FOUND, "{} {path}", asker.name);
            }
        }
        if council_view.is_allowed() {
            let one: Value = f
                .get(&asker.session, "/api/v1/councils/hq")
                .await
                .json()
                .await
                .expect("json");
            assert_eq!(
                one["summary"]["total"].as_u64(),
                Some(expected.len() as u64),
                "{}: the council's dashboard figures",
                asker.name
            );
            for path in [
                "/api/v1/councils/hq/report?period=1404",
                "/councils/hq/report.pdf?period=1404",
            ] {
                let pdf = f
                    .get(&asker.session, path)
                    .await
                    .bytes()
                    .await
                    .expect("pdf");
                let text = pdf_text(&pdf);
                for n in ["1404/1", "1404/2"] {
                    let persian = hamafza_core::digits::to_persian(n);
                    assert_eq!(
                        text.contains(&persian),
                        expected.contains(n),
                        "{} {path}: {n} in the PDF:\n{text}",
                        asker.name
                    );
                }
            }
            let page = f
                .get(&asker.session, "/councils/hq")
                .await
                .text()
                .await
                .expect("html");
            assert_eq!(
                page.contains(&format!("/meetings/{meeting}")),
                council_records.is_allowed(),
                "{}: meetings on the council page",
                asker.name
            );
        }
    }
    // 7 users × (13 council, report, user and audit rows + 10 resolution and evidence
    // rows + 3 places × (1 place + 2 indicators × 4 atlas rows) + 1 witness row).
    assert_eq!(checked, 7 * (13 + 10 + 3 * 9 + 1));

    // The case that leaked: B's viewer, a party to R1 only.
    let viewer = &askers.iter().find(|a| a.name == "viewer").expect("viewer");
    assert_eq!(
        f.get(&viewer.session, &format!("/api/v1/meetings/{meeting}"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

/// An id is parsed where it enters: one that is not an id of its kind is "not found" on
/// both faces, never the nil UUID and never a 400 or 500.
async fn ids_that_are_not_ids_are_not_found(f: Fixture) {
    let admin = f.login("admin").await;
    for bad in ["not-an-id", "00000000", "%27%20OR%201%3D1", "1"] {
        for path in [
            format!("/api/v1/resolutions/{bad}"),
            format!("/api/v1/resolutions/{bad}/updates"),
            format!("/api/v1/meetings/{bad}"),
            format!("/api/v1/evidence/{bad}"),
            format!("/api/v1/users/{bad}"),
            format!("/resolutions/{bad}"),
            format!("/meetings/{bad}"),
            format!("/evidence/{bad}"),
        ] {
            let res = f.get(&admin, &path).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
            let api = path.starts_with("/api/");
            let content_type = res.headers()["content-type"]
                .to_str()
                .expect("ct")
                .to_string();
            assert_eq!(
                content_type.starts_with("application/problem+json"),
                api,
                "{path}: {content_type}"
            );
        }
    }
    // The nil UUID is an id, of nothing.
    let nil = Uuid::nil();
    assert_eq!(
        f.get(&admin, &format!("/api/v1/resolutions/{nil}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}
