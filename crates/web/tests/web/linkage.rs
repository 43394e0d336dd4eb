//! Identity linkage over HTTP (issue 13), on SQLite and PostgreSQL: likely matches
//! before a registration is saved (the form asks; the API answers), a link made by the
//! registering officer and undone by a supervisor (once), a run, the queue, a pair side
//! by side and a decision that is refused twice — and every role asking the linkage
//! endpoints answered as `hamafza_core::access::decide` says.

use hamafza_core::access::{Action, Actor, Role, Target, decide};
use hamafza_store::{NewUser, Who};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{EVERY_ROLE, Fixture, PASSWORD, Session, status_for};

on_both_engines!(linkage_finds_links_queues_and_undoes,);

pub(crate) async fn user_with(
    f: &Fixture,
    name: &str,
    agency: &str,
    roles: Vec<Role>,
    place: &str,
) -> (Session, Actor) {
    let u = f
        .store
        .create_user(
            &Who::system(),
            &NewUser {
                username: name.into(),
                display_name: format!("کاربر {name}"),
                agency_id: f.ids[agency].parse().expect("agency"),
                roles,
                jurisdiction: vec![f.ids[place].parse().expect("place")],
                password_hash: hamafza_web::hash_password(PASSWORD).expect("hash"),
            },
        )
        .await
        .expect("user");
    (f.login(name).await, u.actor())
}

fn man(f: &Fixture, given: &str, family: &str, year: &str, consent: &str) -> Value {
    json!({
        "given_name": given, "family_name": family, "father_name": "حسین",
        "sex": "male", "birth_year": year, "nationality": "iranian",
        "categories": ["begging"], "consent": consent, "met_place": f.ids["N1"],
        "occurred_at": "۱۴۰۴/۰۷/۱۸ ۱۰:۰۰"
    })
}

async fn json_of(res: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(res.status(), status);
    res.json().await.expect("json")
}

async fn persons(f: &Fixture) -> i64 {
    f.store.count_people().await.expect("count")
}

async fn unlink(f: &Fixture, s: &Session, link: &str, reason: &str) -> reqwest::Response {
    f.post_json(
        s,
        &format!("/api/v1/links/{link}/unlink"),
        json!({ "reason": reason }),
    )
    .await
}

async fn decision(f: &Fixture, s: &Session, pair: &str, d: &str) -> reqwest::Response {
    f.post_json(
        s,
        &format!("/api/v1/linkage/pairs/{pair}/decision"),
        json!({ "decision": d, "reason": "نام پدر یکی است" }),
    )
    .await
}

async fn linkage_finds_links_queues_and_undoes(f: Fixture) {
    // Agency B's officer (district 1) registers a man; he consents to service only.
    let officer = f.login("officer").await;
    let first = json_of(
        f.post_json(
            &officer,
            "/api/v1/persons",
            man(&f, "علی‌اکبر", "رضایی", "1360", "service"),
        )
        .await,
        StatusCode::CREATED,
    )
    .await["person_id"]
        .as_str()
        .expect("id")
        .to_string();
    let (a_officer, _) = user_with(&f, "a.officer", "A", vec![Role::AgencyOfficer], "CITY").await;
    let (supervisor, supervisor_actor) = user_with(
        &f,
        "supervisor",
        "A",
        vec![Role::AgencyOfficer, Role::RegistrySupervisor],
        "CITY",
    )
    .await;

    // Agency A meets him again: typed on an Arabic keyboard, a letter that sounds the
    // same, a year apart. The API shows the match with why, without B's record's name.
    let again = man(&f, "علي اكبر", "رزایی", "1361", "sharing");
    let found = json_of(
        f.post_json(&a_officer, "/api/v1/persons/matches", again.clone())
            .await,
        StatusCode::OK,
    )
    .await;
    let m = found["matches"]
        .as_array()
        .expect("matches")
        .iter()
        .find(|m| m["person_id"] == first.as_str())
        .unwrap_or_else(|| panic!("the first record among {found}"))
        .clone();
    assert!(
        m["name"].is_null(),
        "another agency's record without consent to share is not named: {m}"
    );
    assert_eq!(m["may_link"], true);
    let family = m["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|x| x["field"] == "family_name")
        .expect("family");
    assert_eq!(family["level"], "sound");

    // The form asks before saving, and saves nothing until the officer chooses.
    let before = persons(&f).await;
    let form = |extra: &[(&'static str, &str)]| {
        let mut pairs: Vec<(&str, String)> = vec![
            ("csrf", a_officer.csrf.clone()),
            ("consent", "sharing".into()),
            ("categories", "begging".into()),
            ("met_place", f.ids["N1"].clone()),
            ("sex", "male".into()),
            ("given_name", "علي اكبر".into()),
            ("family_name", "رزایی".into()),
            ("father_name", "حسین".into()),
            ("birth_kind", "year".into()),
            ("birth", "۱۳۶۱".into()),
        ];
        pairs.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        pairs
    };
    let post = |pairs: Vec<(&'static str, String)>| {
        let a_officer = &a_officer;
        let f = &f;
        async move {
            let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            f.post_form(a_officer, "/people/new", &borrowed).await
        }
    };
    let res = post(form(&[])).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.expect("page");
    assert!(
        page.contains("شاید این فرد پیش‌تر ثبت شده باشد") && page.contains("هم‌آوا"),
        "{page}"
    );
    assert_eq!(persons(&f).await, before, "nothing saved before the choice");
    // Linking needs a reason.
    let choice = format!("{first}|0.9");
    let res = post(form(&[("matches_seen", "1"), ("link_to", &choice)])).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(persons(&f).await, before);
    let res = post(form(&[
        ("matches_seen", "1"),
        ("link_to", &choice),
        ("link_reason", "همان نام پدر و سال تولد نزدیک"),
    ]))
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(to.ends_with("?saved=linked"), "{to}");
    let second = to
        .trim_start_matches("/people/")
        .split('?')
        .next()
        .expect("id")
        .to_string();
    let group = json_of(
        f.get(&a_officer, &format!("/api/v1/persons/{second}/links"))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        group["members"].as_array().expect("members").len(),
        2,
        "{group}"
    );
    let link = group["links"][0]["id"].as_str().expect("link").to_string();

    // Undoing: not the officer; the supervisor, with a reason, once.
    assert_eq!(
        unlink(&f, &a_officer, &link, "اشتباه").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        unlink(&f, &supervisor, &link, "").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        unlink(&f, &supervisor, &link, "پدرها یکی نیستند")
            .await
            .status(),
        StatusCode::OK
    );
    let twice = json_of(
        unlink(&f, &supervisor, &link, "دوباره").await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        twice["detail"]
            .as_str()
            .expect("detail")
            .contains("پیش‌تر برداشته شده"),
        "{twice}"
    );

    // A third record, and a run: the unlinked pair is remembered as two people; the
    // new one is queued with the first (a year apart: not certain).
    json_of(
        f.post_json(
            &officer,
            "/api/v1/persons",
            man(&f, "علی اکبر", "رضایی", "1359", "sharing"),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let run = json_of(
        f.post_json(&supervisor, "/api/v1/linkage/runs", json!({}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(run["records"], 3, "{run}");
    let queue = json_of(
        f.get(&supervisor, "/api/v1/linkage/queue").await,
        StatusCode::OK,
    )
    .await;
    let pairs = queue["pairs"].as_array().expect("pairs");
    assert!(!pairs.is_empty(), "{queue}");
    let ids = |p: &Value| {
        [
            p["a"]["person_id"].as_str().unwrap_or("").to_string(),
            p["b"]["person_id"].as_str().unwrap_or("").to_string(),
        ]
    };
    assert!(
        pairs
            .iter()
            .all(|p| !(ids(p).contains(&first) && ids(p).contains(&second))),
        "an undone link does not come back: {queue}"
    );
    let pair = pairs[0]["id"].as_str().expect("pair").to_string();
    let view = json_of(
        f.get(&supervisor, &format!("/api/v1/linkage/pairs/{pair}"))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        view["fields"].as_array().expect("fields").len(),
        6,
        "{view}"
    );
    let page = f.get(&supervisor, &format!("/people/matches/{pair}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .expect("page")
            .contains("آیا این دو سابقه یک نفرند")
    );
    assert_eq!(
        decision(&f, &officer, &pair, "same").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        decision(&f, &supervisor, &pair, "maybe").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        decision(&f, &supervisor, &pair, "different").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        decision(&f, &supervisor, &pair, "same").await.status(),
        StatusCode::CONFLICT
    );
    let page = f.get(&supervisor, "/people/matches").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("page").contains("آخرین بررسی"));

    // Every role on the collection endpoints, as the policy says.
    let mut askers: Vec<(Session, Actor)> = vec![(supervisor, supervisor_actor)];
    askers.extend(f.signed_in_as(&EVERY_ROLE).await);
    for (s, actor) in &askers {
        let review = status_for(decide(actor, Action::ReviewMatches, Target::Collection));
        let run = status_for(decide(actor, Action::RunLinkage, Target::Collection));
        assert_eq!(
            f.get(s, "/api/v1/linkage/queue").await.status(),
            review,
            "{:?} queue",
            actor.roles
        );
        assert_eq!(
            f.get(s, "/people/matches").await.status(),
            review,
            "{:?} queue page",
            actor.roles
        );
        assert_eq!(
            f.get(s, "/api/v1/linkage/model").await.status(),
            run,
            "{:?} model",
            actor.roles
        );
        let ran = f
            .post_json(s, "/api/v1/linkage/runs", json!({}))
            .await
            .status();
        assert_eq!(
            ran,
            if run == StatusCode::OK {
                StatusCode::CREATED
            } else {
                run
            },
            "{:?} run",
            actor.roles
        );
    }
}
