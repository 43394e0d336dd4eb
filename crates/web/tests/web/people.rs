//! The registry over HTTP, on SQLite and PostgreSQL (issue 12): registration through
//! the API and the street form, every role asking for every kind of person record
//! (shared, not shared, a child) answered as `hamafza_core::access::decide` says, the
//! purpose asked before names are shown, bad input refused with the field named and
//! nothing changed, and the access report listing each read.

use hamafza_core::access::{Action, Decision, DenyReason, Role, Target, decide};
use hamafza_core::ids::PersonId;
use hamafza_core::jalali::JalaliDate;
use hamafza_store::{NewUser, Who};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Fixture, PASSWORD, Session};

on_both_engines!(
    every_role_reads_people_as_the_policy_says,
    registration_refuses_bad_input_and_asks_why_before_names,
    consent_categories_and_designation_over_the_api,
    a_case_is_opened_worked_and_read_as_its_person,
    a_referral_is_answered_by_the_receiving_agency,
    an_agency_list_imports_all_or_nothing_with_duplicates_set_aside,
    the_monthly_flow_counts_people_in_and_out,
    a_record_is_corrected_by_an_agency_that_holds_it,
    someone_who_could_not_consent_is_asked_again,
    a_case_closes_for_lost_contact_after_three_fruitless_searches,
);

/// A valid national id from nine digits (the registry checks the tenth).
fn national_id(first_nine: &str) -> String {
    let d: Vec<u32> = first_nine.bytes().map(|b| u32::from(b - b'0')).collect();
    let s: u32 = (0..9).map(|i| d[i] * (10 - i as u32)).sum();
    let r = s % 11;
    format!("{first_nine}{}", if r < 2 { r } else { 11 - r })
}

/// Adds a user with a role the fixture lacks and signs them in.
async fn extra_user(f: &Fixture, username: &str, agency: &str, role: Role, place: &str) -> Session {
    f.store
        .create_user(
            &Who::system(),
            &NewUser {
                username: username.into(),
                display_name: format!("کاربر {username}"),
                agency_id: f.ids[agency].parse().expect("agency"),
                roles: vec![role],
                jurisdiction: vec![f.ids[place].parse().expect("place")],
                password_hash: hamafza_web::hash_password(PASSWORD).expect("hash"),
            },
        )
        .await
        .expect("user");
    f.login(username).await
}

async fn register(f: &Fixture, s: &Session, body: Value) -> reqwest::Response {
    f.post_json(s, "/api/v1/persons", body).await
}

fn person_body(f: &Fixture, given: &str, consent: &str) -> Value {
    json!({
        "given_name": given, "family_name": "رضایی", "father_name_quality": "does_not_know",
        "sex": "male", "birth_about": "35", "nationality": "iranian",
        "categories": ["begging"], "consent": consent, "met_place": f.ids["N1"],
        "occurred_at": "۱۴۰۴/۰۷/۱۸ ۱۰:۰۰"
    })
}

async fn registered_id(res: reqwest::Response) -> PersonId {
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.expect("json");
    assert_eq!(v["kept"], "person", "{v}");
    v["person_id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("person id")
}

async fn every_role_reads_people_as_the_policy_says(f: Fixture) {
    // The officer of agency B (district 1) registers three people at N1.
    let officer = f.login("officer").await;
    let mut shared = person_body(&f, "علی", "sharing");
    shared["national_id"] = json!(national_id("001234567"));
    let shared = registered_id(register(&f, &officer, shared).await).await;
    let service =
        registered_id(register(&f, &officer, person_body(&f, "حسن", "service")).await).await;
    let mut child = person_body(&f, "سارا", "guardian");
    child["guardian_name"] = json!("مریم رضایی");
    child["guardian_relation"] = json!("مادر");
    child["birth_about"] = Value::Null;
    child["birth_year"] = json!("1395");
    child["sex"] = json!("female");
    let child = registered_id(register(&f, &officer, child).await).await;

    let protector = extra_user(&f, "protector", "A", Role::ChildProtection, "D1").await;
    let b_head = extra_user(&f, "b.head", "B", Role::AgencyAdmin, "D1").await;
    let a_officer = extra_user(&f, "a.officer", "A", Role::AgencyOfficer, "CITY").await;
    let far = extra_user(&f, "far.officer", "A", Role::AgencyOfficer, "D2").await;
    let mut askers: Vec<(&str, Session)> = vec![
        ("officer", officer),
        ("protector", protector),
        ("b.head", b_head),
        ("a.officer", a_officer),
        ("far.officer", far),
    ];
    for name in ["admin", "aadmin", "secretary", "analyst", "viewer"] {
        askers.push((name, f.login(name).await));
    }
    let today = JalaliDate::from_gregorian(f.clock.today());
    let d1_path = f
        .store
        .place_by_id(f.ids["D1"].parse().expect("D1"))
        .await
        .expect("D1")
        .path;
    let status_for = |d: Decision| match d {
        Decision::Allow => StatusCode::OK,
        Decision::Deny(DenyReason::Hidden | DenyReason::Jurisdiction) => StatusCode::NOT_FOUND,
        Decision::Deny(DenyReason::Role | DenyReason::Agency) => StatusCode::FORBIDDEN,
    };
    let mut checked = 0;
    for (name, session) in &askers {
        let actor = f
            .store
            .user_for_login(name)
            .await
            .expect("user")
            .expect("exists")
            .0
            .actor();
        for (kind, id) in [("shared", shared), ("service", service), ("child", child)] {
            let access = f
                .store
                .person_access(&actor, id, today)
                .await
                .expect("access");
            let view = access.decide(&actor, Action::ViewPerson);
            let locate = access.decide(&actor, Action::LocatePerson);
            let report = access.decide(&actor, Action::ViewPersonAccessReport);
            let rows = [
                (
                    format!("/api/v1/persons/{id}?purpose=case_work"),
                    status_for(view),
                ),
                (format!("/api/v1/persons/{id}/holder"), status_for(locate)),
                (
                    format!("/api/v1/persons/{id}/access-report?purpose=supervision"),
                    status_for(report),
                ),
                // The page shows another agency's record as "whom to call" (200).
                (
                    format!("/people/{id}"),
                    match view {
                        Decision::Deny(DenyReason::Agency) => StatusCode::OK,
                        d => status_for(d),
                    },
                ),
            ];
            // Met again at N1: as RecordEncounter says (201 when allowed).
            let met_again = f
                .post_json(
                    session,
                    &format!("/api/v1/persons/{id}/encounters"),
                    json!({ "category": "begging", "place": f.ids["N1"] }),
                )
                .await;
            let expected = match access.decide(&actor, Action::RecordEncounter) {
                Decision::Allow => StatusCode::CREATED,
                d => status_for(d),
            };
            assert_eq!(met_again.status(), expected, "{name} met {kind} again");
            checked += 1;
            for (path, expected) in rows {
                let res = f.get(session, &path).await;
                let got = res.status();
                let text = res.text().await.unwrap_or_default();
                assert_eq!(
                    got, expected,
                    "{name} GET {path} ({kind}): {view:?} — {text}"
                );
                if path.starts_with("/api/v1/persons/") && path.contains("case_work") {
                    if expected == StatusCode::OK {
                        assert!(
                            text.contains("رضایی") || text.contains("سارا"),
                            "{name}: the record"
                        );
                    } else {
                        assert!(
                            !text.contains("رضایی") && !text.contains("سارا"),
                            "{name}: no name in a refusal"
                        );
                    }
                    if view == Decision::Deny(DenyReason::Agency) {
                        assert!(text.contains("فراجا"), "{name}: whom to call — {text}");
                    }
                }
                checked += 1;
            }
        }
        // The list: a row per person the caller may locate, named only where they may
        // read.
        let res = f.get(session, "/api/v1/persons?purpose=service").await;
        let collection = decide(&actor, Action::LocatePerson, Target::Collection);
        assert_eq!(res.status(), status_for(collection), "{name} list");
        if collection.is_allowed() {
            let v: Value = res.json().await.expect("json");
            for (id, kind) in [(shared, "shared"), (service, "service"), (child, "child")] {
                let access = f.store.person_access(&actor, id, today).await.expect("a");
                let row = v["items"]
                    .as_array()
                    .expect("items")
                    .iter()
                    .find(|r| r["id"] == id.to_string());
                match (access.decide(&actor, Action::LocatePerson), row) {
                    (Decision::Allow, Some(row)) => assert_eq!(
                        row["name"].is_string(),
                        access.decide(&actor, Action::ViewPerson).is_allowed(),
                        "{name} list row {kind}: {row}"
                    ),
                    (Decision::Allow, None) => panic!("{name}: {kind} missing from the list"),
                    (_, Some(row)) => panic!("{name}: {kind} listed though hidden: {row}"),
                    (_, None) => {}
                }
            }
        }
        checked += 1;
        // The registry's other collections, as the policy says for this caller.
        let works = hamafza_core::access::works_with_people(&actor);
        let designated = f
            .store
            .agency_protects_children(actor.agency_id.into())
            .await
            .expect("designation");
        let protects = hamafza_core::access::protects_children(&actor, designated);
        let allowed = |yes: bool| {
            if yes {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            }
        };
        let collections = [
            (
                "/api/v1/cases?purpose=case_work".to_string(),
                allowed(works),
            ),
            ("/cases".to_string(), allowed(works)),
            ("/api/v1/referrals".to_string(), status_for(collection)),
            (
                "/api/v1/persons?children=true&purpose=service".to_string(),
                if collection.is_allowed() {
                    allowed(protects)
                } else {
                    status_for(collection)
                },
            ),
            (
                "/people?children=1".to_string(),
                if collection.is_allowed() {
                    allowed(protects)
                } else {
                    status_for(collection)
                },
            ),
            (
                format!("/api/v1/people-flow?place={}", f.ids["D1"]),
                // A place the caller may not see is not found.
                if decide(&actor, Action::ViewPlace, Target::Place { path: &d1_path }).is_allowed()
                {
                    StatusCode::OK
                } else {
                    StatusCode::NOT_FOUND
                },
            ),
        ];
        for (path, expected) in collections {
            let res = f.get(session, &path).await;
            let got = res.status();
            // A page that first asks why (the purpose) answers 200 too.
            assert_eq!(
                got,
                expected,
                "{name} GET {path}: {}",
                res.text().await.unwrap_or_default()
            );
            checked += 1;
        }
        let hold = f
            .post_json(
                session,
                &format!("/api/v1/persons/{service}/legal-hold"),
                json!({ "hold": true, "reason": "دستور دادگاه" }),
            )
            .await;
        assert_eq!(
            hold.status(),
            allowed(decide(&actor, Action::HoldPerson, Target::Collection).is_allowed()),
            "{name} legal hold"
        );
        checked += 1;
    }
    assert_eq!(checked, askers.len() * 23);

    // The access report names each read, with its purpose.
    let admin = &askers.iter().find(|(n, _)| *n == "admin").expect("admin").1;
    let report: Value = f
        .get(
            admin,
            &format!("/api/v1/persons/{shared}/access-report?purpose=legal_request"),
        )
        .await
        .json()
        .await
        .expect("json");
    let readers: Vec<&str> = report["reads"]
        .as_array()
        .expect("reads")
        .iter()
        .filter(|r| r["action"] == "person.read")
        .map(|r| r["user"].as_str().unwrap_or_default())
        .collect();
    for who in ["کاربر officer", "کاربر a.officer", "کاربر admin"] {
        assert!(readers.contains(&who), "{who} in {readers:?}");
    }
    assert!(
        !readers.contains(&"کاربر far.officer"),
        "a refused read is no read"
    );
}

async fn registration_refuses_bad_input_and_asks_why_before_names(f: Fixture) {
    let officer = f.login("officer").await;
    let admin = f.login("admin").await;
    // Every person on record, as the system administrator's list counts them.
    let count = || async {
        let v: Value = f
            .get(&admin, "/api/v1/persons?purpose=supervision")
            .await
            .json()
            .await
            .expect("json");
        v["total"].as_i64().expect("total")
    };
    let before = count().await;
    let field_of = |v: &Value| {
        v["errors"][0]["field"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "national_id",
            json!({"national_id": "0012345678"}),
            "national_id",
        ),
        (
            "future",
            json!({"birth_about": null, "birth_date": "۱۴۰۴/۰۸/۰۱"}),
            "birth",
        ),
        ("two births", json!({"birth_year": "1370"}), "birth"),
        (
            "category",
            json!({"categories": ["juggling"]}),
            "categories",
        ),
        (
            "html",
            json!({"given_name": "<script>alert(1)</script>"}),
            "given_name",
        ),
        (
            "sql",
            json!({"family_name": "x'); DROP TABLE persons; --"}),
            "family_name",
        ),
        (
            "quality",
            json!({"mobile": "09123456789", "mobile_quality": "refused"}),
            "mobile",
        ),
        ("consent", json!({"consent": "maybe"}), "consent"),
        ("place", json!({"met_place": f.ids["N2"]}), ""),
    ];
    for (label, change, field) in cases {
        let mut body = person_body(&f, "رضا", "sharing");
        for (k, v) in change.as_object().expect("object") {
            body[k] = v.clone();
        }
        let res = register(&f, &officer, body).await;
        let status = res.status();
        let v: Value = res.json().await.unwrap_or_default();
        if field.is_empty() {
            // A place outside the officer's jurisdiction: refused, with the reason.
            assert_eq!(status, StatusCode::FORBIDDEN, "{label}: {v}");
        } else {
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {v}");
            assert_eq!(field_of(&v), field, "{label}: {v}");
            assert!(
                v["detail"].as_str().is_some_and(|d| !d.is_empty()),
                "{label}: a Persian reason"
            );
        }
    }
    let res = f.get(&officer, "/api/v1/persons").await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "no purpose, no names"
    );
    let analyst = f.login("analyst").await;
    assert_eq!(
        register(&f, &analyst, person_body(&f, "رضا", "sharing"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(count().await, before, "nothing changed");

    // The street form: the page asks why before it shows names, once per session.
    let page = f.get(&officer, "/people").await.text().await.expect("page");
    assert!(page.contains("چرا این اطلاعات را می‌بینید؟"), "asks why");
    let res = f
        .post_form(
            &officer,
            "/people/purpose",
            &[
                ("csrf", &officer.csrf),
                ("subject", "people"),
                ("back", "/people"),
                ("purpose", "service"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let evil = f
        .post_form(
            &officer,
            "/people/purpose",
            &[
                ("csrf", &officer.csrf),
                ("subject", "people"),
                ("back", "https://evil.example/"),
                ("purpose", "service"),
            ],
        )
        .await;
    assert_eq!(evil.status(), StatusCode::BAD_REQUEST, "no open redirect");
    let res = f
        .post_form(
            &officer,
            "/people/new",
            &[
                ("csrf", &officer.csrf),
                ("consent", "sharing"),
                ("categories", "begging"),
                ("categories", "homeless"),
                ("met_place", &f.ids["N1"]),
                ("sex", "female"),
                ("given_name", "مریم"),
                ("family_name", "کریمی"),
                ("birth_kind", "about"),
                ("birth", "۴۲"),
                ("mobile", "۰۹۱۲۱۱۱۲۲۳۳"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(
        to.starts_with("/people/") && to.ends_with("?saved=1"),
        "{to}"
    );
    let page = f.get(&officer, &to).await.text().await.expect("page");
    assert!(
        page.contains("مریم کریمی") && page.contains("ثبت شد"),
        "the saved record says so"
    );
    assert!(page.contains("+989121112233"), "the mobile as stored");
    let list = f
        .get(&officer, "/people?q=كريمي")
        .await
        .text()
        .await
        .expect("list");
    assert!(list.contains("مریم کریمی"), "found with Arabic letters");
    // A form with a bad field comes back with the reason and what was typed.
    let res = f
        .post_form(
            &officer,
            "/people/new",
            &[
                ("csrf", &officer.csrf),
                ("consent", "sharing"),
                ("categories", "begging"),
                ("met_place", &f.ids["N1"]),
                ("given_name", "مهدی"),
                ("national_id", "۱۲۳"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.expect("page");
    assert!(
        page.contains("کد ملی") && page.contains("مهدی"),
        "reason and input kept"
    );
}

/// Consent changes by the holding agency (a withdrawal unnames the person), categories
/// by the administrator, child-protection designation by a council secretary.
async fn consent_categories_and_designation_over_the_api(f: Fixture) {
    let officer = f.login("officer").await;
    let secretary = f.login("secretary").await;
    let admin = f.login("admin").await;
    let aadmin = f.login("aadmin").await;
    let mut body = person_body(&f, "کاظم", "sharing");
    body["mobile"] = json!("09121234567");
    let id = registered_id(register(&f, &officer, body).await).await;

    // Another agency may not change the consent; the holder may.
    let a_officer = extra_user(&f, "a.officer", "A", Role::AgencyOfficer, "D1").await;
    let path = format!("/api/v1/persons/{id}/consent");
    assert_eq!(
        f.post_json(&a_officer, &path, json!({"consent": "service"}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        f.post_json(&officer, &path, json!({"consent": "perhaps"}))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        f.post_json(&officer, &path, json!({"consent": "refused"}))
            .await
            .status(),
        StatusCode::OK
    );
    let v: Value = f
        .get(&officer, &format!("/api/v1/persons/{id}?purpose=case_work"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        v["given_name"]["value"],
        Value::Null,
        "withdrawn: unnamed — {v}"
    );
    assert_eq!(v["mobile"]["value"], Value::Null);
    assert_eq!(v["consent"], "refused");

    // Categories: the administrator only.
    let category = json!({"code": "car_window_washer", "name_fa": "شیشه‌پاک‌کن سر چهارراه"});
    for s in [&officer, &aadmin, &secretary] {
        assert_eq!(
            f.post_json(s, "/api/v1/person-categories", category.clone())
                .await
                .status(),
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(
        f.post_json(&admin, "/api/v1/person-categories", category)
            .await
            .status(),
        StatusCode::CREATED
    );
    let mut body = person_body(&f, "ناصر", "sharing");
    body["categories"] = json!(["car_window_washer"]);
    let naser = registered_id(register(&f, &officer, body).await).await;

    // The person page's consent form says what it recorded.
    let res = f
        .post_form(
            &officer,
            &format!("/people/{naser}/consent"),
            &[
                ("csrf", &officer.csrf),
                ("consent", "service"),
                ("note", "فقط خدمت"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    say_why(&f, &officer, &naser.to_string(), "/people", "service").await;
    let page = f
        .get(&officer, &format!("/people/{naser}?saved=consent"))
        .await
        .text()
        .await
        .expect("page");
    assert!(
        page.contains("رضایت ثبت شد") && page.contains("ناصر"),
        "the page says what was saved"
    );

    // A child registered by the officer is hidden from them until a council secretary
    // designates their agency for child protection.
    let mut child = person_body(&f, "امید", "guardian");
    child["guardian_name"] = json!("زهرا رضایی");
    child["birth_about"] = json!("12");
    let child = registered_id(register(&f, &officer, child).await).await;
    let read = format!("/api/v1/persons/{child}?purpose=service");
    assert_eq!(f.get(&officer, &read).await.status(), StatusCode::NOT_FOUND);
    let designate = "/api/v1/agencies/agency-b/protects-children";
    assert_eq!(
        f.post_json(&officer, designate, json!({"protects_children": true}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        f.post_json(&secretary, designate, json!({"protects_children": true}))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(f.get(&officer, &read).await.status(), StatusCode::OK);
    assert_eq!(
        f.post_json(
            &secretary,
            "/api/v1/agencies/no-such/protects-children",
            json!({"protects_children": true})
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
}

/// Cases over the API and the pages: opened by an agency that may read the person,
/// worked by its own agency only, read as the person is (with a purpose), listed on the
/// person's page.
async fn a_case_is_opened_worked_and_read_as_its_person(f: Fixture) {
    let officer = f.login("officer").await;
    let id = registered_id(register(&f, &officer, person_body(&f, "جمشید", "sharing")).await).await;
    let a_officer = extra_user(&f, "a.officer", "A", Role::AgencyOfficer, "D1").await;
    let analyst = f.login("analyst").await;
    let res = f
        .post_json(
            &a_officer,
            &format!("/api/v1/persons/{id}/cases"),
            json!({"assessment": {"shelter": "ندارد"}, "plan": "گرمخانه"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let case = res.json::<Value>().await.expect("json")["case"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(
        f.post_json(&analyst, &format!("/api/v1/persons/{id}/cases"), json!({}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        f.post_json(
            &a_officer,
            &format!("/api/v1/persons/{id}/cases"),
            json!({"assessment": {"nope": "x"}})
        )
        .await
        .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let work = format!("/api/v1/cases/{case}/work");
    let service = json!({"kind": "service", "service": "معرفی به گرمخانه", "provider": "agency-b", "given_on": "۱۴۰۴/۰۷/۱۸", "outcome": "پذیرفته شد"});
    assert_eq!(
        f.post_json(&officer, &work, service.clone()).await.status(),
        StatusCode::FORBIDDEN,
        "another agency's case"
    );
    assert_eq!(
        f.post_json(&a_officer, &work, service).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        f.post_json(
            &a_officer,
            &work,
            json!({"kind": "close", "reason": "gone"})
        )
        .await
        .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        f.post_json(
            &a_officer,
            &work,
            json!({"kind": "close", "reason": "placed_in_centre"})
        )
        .await
        .status(),
        StatusCode::OK
    );
    let v: Value = f
        .get(&officer, &format!("/api/v1/cases/{case}?purpose=referral"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["closure_reason"], "placed_in_centre", "{v}");
    assert_eq!(v["entries"][0]["provider"], "فراجا");
    assert_eq!(
        f.get(&officer, &format!("/api/v1/cases/{case}"))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "no purpose"
    );
    // The case page asks why, then shows the case with its reopen form for its agency.
    say_why(
        &f,
        &a_officer,
        &format!("case:{case}"),
        "/people",
        "case_work",
    )
    .await;
    let page = f
        .get(&a_officer, &format!("/cases/{case}"))
        .await
        .text()
        .await
        .expect("page");
    assert!(
        page.contains("پذیرش در مرکز") && page.contains("گشودن دوباره"),
        "closed, with the reopen form"
    );
    let res = f
        .post_form(
            &a_officer,
            &format!("/cases/{case}/work"),
            &[
                ("csrf", &a_officer.csrf),
                ("kind", "reopen"),
                ("note", "دوباره دیده شد"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = f
        .get(&a_officer, &format!("/cases/{case}?saved=work"))
        .await
        .text()
        .await
        .expect("page");
    assert!(
        page.contains("ثبت شد") && page.contains("ثبت خدمت"),
        "reopened: the service form is back"
    );
}

/// A referral over the API and the inbox page: consent-gated, answered by the receiving
/// agency only, which then holds the record; without consent refused with the reason.
async fn a_referral_is_answered_by_the_receiving_agency(f: Fixture) {
    let officer = f.login("officer").await;
    let shared =
        registered_id(register(&f, &officer, person_body(&f, "بهروز", "sharing")).await).await;
    let private =
        registered_id(register(&f, &officer, person_body(&f, "پرویز", "service")).await).await;
    let a_officer = extra_user(&f, "a.officer", "A", Role::AgencyOfficer, "D2").await;
    let refer = |person: PersonId| format!("/api/v1/persons/{person}/referrals");
    let body = json!({"to": "agency-a", "category": "begging", "note": "نیاز به گرمخانه"});
    let res = f.post_json(&officer, &refer(private), body.clone()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no consent to share");
    assert!(res.text().await.unwrap_or_default().contains("رضایت"));
    assert_eq!(
        f.post_json(
            &officer,
            &refer(shared),
            json!({"to": "agency-b", "category": "begging"})
        )
        .await
        .status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "not to one's own agency"
    );
    let res = f.post_json(&officer, &refer(shared), body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.json::<Value>().await.expect("json")["referral"]
        .as_str()
        .expect("id")
        .to_string();
    // Agency A's officer of district 2 cannot read the person (outside the area) ...
    let read = format!("/api/v1/persons/{shared}?purpose=referral");
    assert_eq!(
        f.get(&a_officer, &read).await.status(),
        StatusCode::NOT_FOUND
    );
    // ... sees the referral in the inbox, and accepts it from the page.
    let inbox = f
        .get(&a_officer, "/referrals")
        .await
        .text()
        .await
        .expect("inbox");
    assert!(
        inbox.contains("در انتظار پاسخ") && inbox.contains("پذیرش"),
        "waiting, with its answer"
    );
    let moved = format!("/api/v1/referrals/{id}/move");
    assert_eq!(
        f.post_json(&officer, &moved, json!({"action": "accept"}))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "the referring agency cannot accept"
    );
    let res = f
        .post_form(
            &a_officer,
            &format!("/referrals/{id}/move"),
            &[("csrf", &a_officer.csrf), ("action", "accept")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        f.get(&a_officer, &read).await.status(),
        StatusCode::OK,
        "accepted: agency A holds the record"
    );
    assert_eq!(
        f.post_json(&a_officer, &moved, json!({"action": "close"}))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "closing needs its outcome"
    );
    let v: Value = f
        .post_json(
            &a_officer,
            &moved,
            json!({"action": "close", "words": "اسکان شد"}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["state"], "closed");
    let sent: Value = f
        .get(&officer, "/api/v1/referrals")
        .await
        .json()
        .await
        .expect("json");
    let row = sent["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["id"] == id.as_str())
        .expect("sent");
    assert_eq!(row["state"], "closed");
    assert_eq!(row["outcome"], "اسکان شد");
    assert_eq!(row["incoming"], false);
    // The viewer's agency (B) sees its own referrals; a stranger agency's move is 404.
    let analyst = f.login("analyst").await;
    assert_eq!(
        f.post_json(&analyst, &moved, json!({"action": "withdraw"}))
            .await
            .status(),
        StatusCode::FORBIDDEN,
        "an analyst makes no move"
    );
}

/// An agency's list (CSV with Persian headers): a bad row stops the whole file with the
/// row, column and reason; the good file registers everyone; sent again, every row with a
/// national id on record is set aside for the duplicate review.
async fn an_agency_list_imports_all_or_nothing_with_duplicates_set_aside(f: Fixture) {
    let officer = f.login("officer").await;
    let admin = f.login("admin").await;
    let total = || async {
        let v: Value = f
            .get(&admin, "/api/v1/persons?purpose=supervision")
            .await
            .json()
            .await
            .expect("json");
        v["total"].as_i64().expect("total")
    };
    let before = total().await;
    let send = |csv: String| {
        let (http, cookie, csrf, url) = (
            f.http.clone(),
            officer.cookie.clone(),
            officer.csrf.clone(),
            f.url("/api/v1/persons/import"),
        );
        async move {
            http.post(url)
                .header("cookie", cookie)
                .header("x-csrf-token", csrf)
                .header("content-type", "text/csv")
                .body(csv)
                .send()
                .await
                .expect("import")
        }
    };
    let header = "نام,نام خانوادگی,جنس,تولد,ملیت,کد ملی,دسته,محل دیدار,رضایت,تاریخ دیدار";
    let good = format!(
        "{header}\nسعید,کرمی,مرد,۴۰,ایرانی,{},تکدی‌گری,N1,اشتراک,۱۴۰۴/۰۷/۱۰\nمینا,رستمی,زن,1360,ایرانی,,begging,N1,service,۱۴۰۴/۰۷/۱۲\nنامعلوم,,,,,,homeless,N1,نداد,۱۴۰۴/۰۷/۱۲\n",
        national_id("003456789")
    );
    let bad = good
        .replace("N1,service", "NOWHERE,service")
        .replace(",۴۰,", ",۱۴۰۵/۰۱/۰۱,");
    let res = send(bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = res.json().await.expect("json");
    let rows: Vec<i64> = v["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["row"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(rows, vec![2, 3], "each bad row named: {v}");
    assert!(
        v["errors"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("آینده")),
        "{v}"
    );
    assert!(
        v["errors"][1]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("NOWHERE")),
        "{v}"
    );
    assert_eq!(total().await, before, "nothing imported");
    let res = send(good.clone()).await;
    let status = res.status();
    let v: Value = res.json().await.expect("json");
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["registered"].as_i64(), v["encounters_only"].as_i64()),
        (Some(2), Some(1)),
        "{v}"
    );
    assert_eq!(total().await, before + 2);
    // The same file again: the person with a national id is set aside, the others are
    // registered again (nothing to match them on until the linkage issue).
    let v: Value = send(good).await.json().await.expect("json");
    assert_eq!(v["duplicates"][0]["row"], 2, "{v}");
    assert_eq!(v["registered"], 1, "{v}");
    assert_eq!(
        send("نام\nعلی\n".into()).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "required columns"
    );
}

/// Built for Zero's inflow and outflow per month: newly identified people, cases closed
/// to housing and for lost contact; small counts hidden from an officer, shown to an
/// analyst.
async fn the_monthly_flow_counts_people_in_and_out(f: Fixture) {
    let officer = f.login("officer").await;
    let mut ids = Vec::new();
    for name in ["آرش", "بابک", "کامران"] {
        ids.push(
            registered_id(register(&f, &officer, person_body(&f, name, "sharing")).await).await,
        );
    }
    for (id, reason) in [(ids[0], "housed"), (ids[1], "lost_contact")] {
        let res = f
            .post_json(&officer, &format!("/api/v1/persons/{id}/cases"), json!({}))
            .await;
        let case = res.json::<Value>().await.expect("json")["case"]
            .as_str()
            .expect("case")
            .to_string();
        let done = f
            .post_json(
                &officer,
                &format!("/api/v1/cases/{case}/work"),
                json!({"kind": "close", "reason": reason}),
            )
            .await;
        assert_eq!(done.status(), StatusCode::OK);
    }
    let flow = |s: Session| {
        let path = format!("/api/v1/people-flow?place={}", f.ids["D1"]);
        let f = &f;
        async move { f.get(&s, &path).await.json::<Value>().await.expect("json") }
    };
    let analyst = flow(f.login("analyst").await).await;
    let months = analyst["months"]
        .as_array()
        .unwrap_or_else(|| panic!("{analyst}"));
    let sum = |key: &str| {
        months
            .iter()
            .map(|m| m[key].as_i64().unwrap_or(0))
            .sum::<i64>()
    };
    assert_eq!(sum("newly_identified"), 3, "{analyst}");
    assert_eq!(sum("moved_on"), 1);
    assert_eq!(sum("inactive"), 1);
    let officer_view = flow(officer).await;
    let cells: Vec<&Value> = officer_view["months"]
        .as_array()
        .expect("months")
        .iter()
        .flat_map(|m| ["newly_identified", "returned", "moved_on", "inactive"].map(|k| &m[k]))
        .collect();
    assert!(
        cells
            .iter()
            .all(|v| **v == json!(0) || **v == json!("suppressed")),
        "counts from 1 to 9 are hidden from an officer: {officer_view}"
    );
    assert!(cells.iter().any(|v| **v == json!("suppressed")));
}

async fn a_record_is_corrected_by_an_agency_that_holds_it(f: Fixture) {
    let officer = f.login("officer").await;
    let id = registered_id(register(&f, &officer, person_body(&f, "علی", "service")).await).await;
    let path = format!("/api/v1/persons/{id}");
    let read = |s: &'static Session| {
        let path = format!("{path}?purpose=case_work");
        let f = &f;
        async move {
            let v: Value = f.get(s, &path).await.json().await.expect("json");
            v
        }
    };
    let officer: &'static Session = Box::leak(Box::new(officer));
    let before = read(officer).await;
    // A corrected given name, a national id found, a guardian named.
    let mut body = person_body(&f, "علی‌رضا", "service");
    body["national_id"] = json!(national_id("004455667"));
    body["guardian_name"] = json!("زهرا رضایی");
    let res = f.put_json(officer, &path, body.clone()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.expect("json");
    let changed: Vec<&str> = v["changed"]
        .as_array()
        .expect("changed")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for field in ["given_name", "national_id", "guardian_name", "name_key"] {
        assert!(changed.contains(&field), "{field} in {changed:?}");
    }
    assert!(!changed.contains(&"family_name"), "{changed:?}");
    let after = read(officer).await;
    assert_eq!(after["given_name"]["value"], "علی‌رضا");
    assert_eq!(after["guardian"]["name"], "زهرا رضایی");
    // "About 35" said again keeps its range (the day it was first said).
    assert_eq!(after["birth"], before["birth"]);
    // The same again changes nothing.
    let v: Value = f
        .put_json(officer, &path, body.clone())
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["changed"], json!([]));
    // Found by the new name.
    let found: Value = f
        .get(
            officer,
            "/api/v1/persons?q=%D8%B9%D9%84%DB%8C%D8%B1%D8%B6%D8%A7&purpose=service",
        )
        .await
        .json()
        .await
        .expect("json");
    assert!(
        found["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|r| r["id"] == id.to_string()),
        "{found}"
    );
    // Refused, nothing changed: a bad national id (the field named), another agency
    // that does not hold the record, an analyst.
    let mut bad = body.clone();
    bad["national_id"] = json!("0012345678");
    let res = f.put_json(officer, &path, bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = res.json().await.expect("json");
    assert_eq!(v["errors"][0]["field"], "national_id", "{v}");
    let a_officer = extra_user(&f, "a.editor", "A", Role::AgencyOfficer, "CITY").await;
    let mut other = body.clone();
    other["given_name"] = json!("حمید");
    assert_eq!(
        f.put_json(&a_officer, &path, other.clone()).await.status(),
        StatusCode::FORBIDDEN
    );
    let analyst = f.login("analyst").await;
    assert_eq!(
        f.put_json(&analyst, &path, other).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(read(officer).await["given_name"]["value"], "علی‌رضا");
    // The audit names the fields, never their values.
    let (entries, _) = f
        .store
        .list_audit(
            &hamafza_core::access::Scope::system_job("test"),
            &hamafza_store::AuditFilter {
                action: Some("person.edit".into()),
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .expect("audit");
    let summary = &entries[0].summary;
    assert!(
        summary.contains("given_name") && !summary.contains("علی"),
        "{summary}"
    );
    // The page: the form shows the record and saves a change.
    let edit = format!("/people/{id}/edit");
    let page = f.get(officer, &edit).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text().await.expect("text").contains("چرا این اطلاعات"),
        "the purpose is asked first"
    );
    let subject = id.to_string();
    say_why(&f, officer, &subject, &edit, "case_work").await;
    let page = f.get(officer, &edit).await.text().await.expect("text");
    assert!(
        page.contains("علی‌رضا") && page.contains("ذخیرهٔ اصلاح"),
        "{page}"
    );
    let saved = f
        .post_form(
            officer,
            &edit,
            &[
                ("csrf", officer.csrf.as_str()),
                ("given_name", "علی‌رضا"),
                ("family_name", "رضایی‌پور"),
                ("father_name_quality", "does_not_know"),
                ("sex", "male"),
                ("birth_kind", "about"),
                ("birth", "35"),
                ("nationality", "iranian"),
                ("national_id", &national_id("004455667")),
                ("categories", "begging"),
                ("guardian_name", "زهرا رضایی"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let location = saved
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(location.ends_with("?saved=edited"), "{location}");
    assert_eq!(read(officer).await["family_name"]["value"], "رضایی‌پور");
    // The subject-access report: everything held, for the system administrator, after
    // saying why; the officer (no agency head) may not.
    let admin = f.login("admin").await;
    let subject_path = format!("/people/{id}/access-report/subject.json");
    let report_subject = format!("report:{id}");
    say_why(&f, &admin, &report_subject, &subject_path, "legal_request").await;
    let res = f.get(&admin, &subject_path).await;
    assert_eq!(res.status(), StatusCode::OK);
    let held: Value = res.json().await.expect("json");
    assert_eq!(held["person"]["family_name"]["value"], "رضایی‌پور");
    assert!(held["reads"].as_array().is_some_and(|r| !r.is_empty()));
    assert_eq!(
        f.get(officer, &subject_path).await.status(),
        StatusCode::FORBIDDEN
    );
}

async fn someone_who_could_not_consent_is_asked_again(f: Fixture) {
    let officer = f.login("officer").await;
    let res = register(&f, &officer, person_body(&f, "رضا", "unable")).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.expect("json");
    assert_eq!(
        (v["kept"].as_str(), v["ask_again"].as_bool()),
        (Some("encounter"), Some(true))
    );
    // The reminder is on the agency's people page (after the purpose), with no name.
    say_why(&f, &officer, "people", "/people", "service").await;
    let page = f.get(&officer, "/people").await.text().await.expect("page");
    assert!(
        page.contains("دوباره بپرسید") && !page.contains("رضا رضایی"),
        "reminder"
    );
    let id = page
        .split("/people/followups/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("a reminder")
        .to_string();
    // Another agency cannot close it; the officer can, once.
    let other = extra_user(&f, "a.asker", "A", Role::AgencyOfficer, "D1").await;
    let done = format!("/people/followups/{id}/done");
    let refused = f
        .post_form(&other, &done, &[("csrf", other.csrf.as_str())])
        .await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    let closed = f
        .post_form(&officer, &done, &[("csrf", officer.csrf.as_str())])
        .await;
    assert_eq!(closed.status(), StatusCode::SEE_OTHER);
    let again = f
        .post_form(&officer, &done, &[("csrf", officer.csrf.as_str())])
        .await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let page = f.get(&officer, "/people").await.text().await.expect("page");
    assert!(!page.contains("دوباره بپرسید"), "no reminder left");
}

async fn a_case_closes_for_lost_contact_after_three_fruitless_searches(f: Fixture) {
    let officer = f.login("officer").await;
    let id = registered_id(register(&f, &officer, person_body(&f, "کریم", "sharing")).await).await;
    let res = f
        .post_json(&officer, &format!("/api/v1/persons/{id}/cases"), json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let case = res.json::<Value>().await.expect("json")["case"]
        .as_str()
        .expect("case")
        .to_string();
    let work = format!("/api/v1/cases/{case}/work");
    let state = || {
        let f = &f;
        let path = format!("/api/v1/cases/{case}?purpose=case_work");
        let s = &officer;
        async move {
            let v: Value = f.get(s, &path).await.json().await.expect("json");
            v["closure_reason"].clone()
        }
    };
    // The flow as the store counts it (the page hides counts under the threshold).
    let d1_path = f
        .store
        .place_by_id(f.ids["D1"].parse().expect("D1"))
        .await
        .expect("D1")
        .path;
    let inactive = || {
        let f = &f;
        let path = d1_path.clone();
        async move {
            f.store
                .flow_by_month(&path)
                .await
                .expect("flow")
                .iter()
                .map(|m| m.inactive)
                .sum::<i64>()
        }
    };
    let inactive_before = inactive().await;
    let attempt = json!({ "kind": "attempt", "note": "زیر پل نبود" });
    for _ in 0..2 {
        let res = f.post_json(&officer, &work, attempt.clone()).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    // A service in between: the person was found, the count starts again.
    let res = f
        .post_json(
            &officer,
            &work,
            json!({ "kind": "service", "service": "غذای گرم" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    for _ in 0..2 {
        f.post_json(&officer, &work, attempt.clone()).await;
    }
    assert_eq!(
        state().await,
        Value::Null,
        "two since the service: still open"
    );
    f.post_json(&officer, &work, attempt.clone()).await;
    assert_eq!(state().await, "lost_contact", "the third closes it");
    // A closed case takes no more attempts.
    let res = f.post_json(&officer, &work, attempt).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Counted as gone inactive in the monthly flow.
    assert_eq!(inactive().await, inactive_before + 1);
}

/// Says why the session looks at `subject` (the purpose page's form), as a person does
/// before a page shows names.
async fn say_why(f: &Fixture, s: &Session, subject: &str, back: &str, purpose: &str) {
    let res = f
        .post_form(
            s,
            "/people/purpose",
            &[
                ("csrf", s.csrf.as_str()),
                ("subject", subject),
                ("back", back),
                ("purpose", purpose),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "purpose for {subject}");
}
