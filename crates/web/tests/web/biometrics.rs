//! Biometrics over HTTP (issue 13 point 6), on SQLite and PostgreSQL: a capture
//! device's templates enrolled, sealed apart from identity, carried to the matcher by
//! the job table, and its candidates in the review queue beside the name matches —
//! through the built-in stand-in and through an external ABIS (a small fake of MOSIP's
//! contract this test starts); deletion by hand and with a withdrawal of consent; and
//! every role asking the biometric endpoints answered as the policy says.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hamafza_core::access::{Action, Actor, Role, Target, decide};
use hamafza_core::biometrics::{VECTOR_DIMENSION, VectorTemplate};
use hamafza_core::jalali::JalaliDate;
use hamafza_store::Engine;
use hamafza_store::biometrics::TemplateKey;
use hamafza_web::biometrics::Biometrics;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::common::{EVERY_ROLE, Fixture, Session, status_for};
use crate::linkage::user_with;

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stand_in() {
        super::through_the_stand_in(hamafza_store::Engine::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn external_abis() {
        super::through_an_external_abis(hamafza_store::Engine::Sqlite).await;
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stand_in() {
        super::through_the_stand_in(hamafza_store::Engine::Postgres).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn external_abis() {
        super::through_an_external_abis(hamafza_store::Engine::Postgres).await;
    }
}

/// A device's feature vector: deterministic from `seed`, and `noise` away from it (a
/// second capture of the same face).
fn vector(seed: u32, noise: f32) -> Vec<u8> {
    let v: Vec<f32> = (0..VECTOR_DIMENSION as u32)
        .map(|i| {
            let x = ((i * 7919 + seed * 104_729) % 1000) as f32 / 1000.0 - 0.5;
            x + noise * ((i as f32) * 1.3 + seed as f32).sin()
        })
        .collect();
    VectorTemplate::to_bytes(&v)
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The officer of agency B, a registry supervisor of agency A, and one man registered
/// twice by the officer under two names.
struct World {
    officer: Session,
    supervisor: Session,
    supervisor_actor: Actor,
    first: String,
    second: String,
}

async fn world(f: &Fixture) -> World {
    let officer = f.login("officer").await;
    let (supervisor, supervisor_actor) = user_with(
        f,
        "supervisor",
        "A",
        vec![Role::AgencyOfficer, Role::RegistrySupervisor],
        "CITY",
    )
    .await;
    let first = register(f, &officer, "کریم", "نادری").await;
    let second = register(f, &officer, "رحیم", "صفایی").await;
    World {
        officer,
        supervisor,
        supervisor_actor,
        first,
        second,
    }
}

fn person(f: &Fixture, given: &str, family: &str, consent: &str) -> Value {
    json!({
        "given_name": given, "family_name": family, "father_name": "حسین",
        "sex": "male", "birth_year": "1360", "nationality": "iranian",
        "categories": ["begging"], "consent": consent, "met_place": f.ids["N1"],
        "occurred_at": "۱۴۰۴/۰۷/۱۸ ۱۰:۰۰"
    })
}

async fn register(f: &Fixture, s: &Session, given: &str, family: &str) -> String {
    let res = f
        .post_json(s, "/api/v1/persons", person(f, given, family, "service"))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.expect("json");
    body["person_id"].as_str().expect("id").to_string()
}

async fn enrol(
    f: &Fixture,
    s: &Session,
    person: &str,
    modality: &str,
    template: &[u8],
) -> reqwest::Response {
    f.post_json(
        s,
        &format!("/api/v1/persons/{person}/biometrics"),
        json!({ "modality": modality, "template": BASE64.encode(template), "sha256": hex_sha256(template) }),
    )
    .await
}

async fn enrolled(f: &Fixture, s: &Session, person: &str, template: &[u8]) -> String {
    enrolled_as(f, s, person, "face", template).await
}

async fn enrolled_as(
    f: &Fixture,
    s: &Session,
    person: &str,
    modality: &str,
    template: &[u8],
) -> String {
    let res = enrol(f, s, person, modality, template).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["state"], "pending");
    let reference = body["reference_id"]
        .as_str()
        .expect("reference")
        .to_string();
    assert_ne!(
        reference, person,
        "the matcher never learns the person's id"
    );
    reference
}

async fn states(f: &Fixture, s: &Session, person: &str) -> Vec<String> {
    let res = f
        .get(
            s,
            &format!("/api/v1/persons/{person}/biometrics?purpose=service"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    body["enrolments"]
        .as_array()
        .expect("list")
        .iter()
        .map(|e| e["state"].as_str().expect("state").to_string())
        .collect()
}

/// The queue as a supervisor reads it: (sorted pair of persons, source).
async fn queue(f: &Fixture, supervisor: &Session) -> Vec<(Vec<String>, String)> {
    let body: Value = f
        .get(supervisor, "/api/v1/linkage/queue")
        .await
        .json()
        .await
        .expect("json");
    body["pairs"]
        .as_array()
        .expect("pairs")
        .iter()
        .map(|p| {
            let mut ids = vec![
                p["a"]["person_id"].as_str().expect("a").to_string(),
                p["b"]["person_id"].as_str().expect("b").to_string(),
            ];
            ids.sort();
            (ids, p["source"].as_str().expect("source").to_string())
        })
        .collect()
}

fn pair(a: &str, b: &str) -> Vec<String> {
    let mut v = vec![a.to_string(), b.to_string()];
    v.sort();
    v
}

async fn column_names(f: &Fixture, table: &str) -> Vec<String> {
    let sql = match f.store.engine() {
        Engine::Sqlite => format!("SELECT name FROM pragma_table_info('{table}')"),
        Engine::Postgres => format!(
            "SELECT CAST(column_name AS TEXT) AS name FROM information_schema.columns WHERE table_name = '{table}'"
        ),
    };
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(f.store.pool_for_tests())
        .await
        .expect("columns")
        .iter()
        .map(|r| r.try_get::<String, _>("name").expect("name"))
        .collect()
}

async fn count(f: &Fixture, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(f.store.pool_for_tests())
        .await
        .expect("count")
}

async fn through_the_stand_in(engine: Engine) {
    let key = TemplateKey::generate();
    let biometrics = Arc::new(Biometrics::stand_in(key.clone()));
    let b = biometrics.clone();
    let f = Fixture::start_with(engine, move |s| s.with_biometrics(b)).await;
    // One man registered twice under different names (he gave another name the
    // second time).
    let World {
        officer,
        supervisor,
        supervisor_actor,
        first,
        second,
    } = world(&f).await;
    let other = register(&f, &officer, "جواد", "مرادی").await;
    let face = vector(1, 0.0);
    let r1 = enrolled(&f, &officer, &first, &face).await;
    enrolled(&f, &officer, &second, &vector(1, 0.01)).await;
    let r3 = enrolled(&f, &officer, &other, &vector(2, 0.0)).await;
    assert_eq!(states(&f, &officer, &first).await, ["pending"]);
    // Reading someone's templates is audited as a read of the person; nobody's read
    // is recorded where there was nothing to read.
    let none = register(&f, &officer, "سعید", "کامرانی").await;
    assert!(states(&f, &officer, &none).await.is_empty());
    let reads = |who: &str| {
        format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'person.biometrics_read' AND record_id = '{who}'"
        )
    };
    assert_eq!(count(&f, &reads(&none)).await, 0);
    assert_eq!(count(&f, &reads(&first)).await, 1);

    // The worker carries insert then identify; the stand-in answers.
    let pass = biometrics.process(&f.store).await.expect("process");
    assert_eq!(pass.sent, 6, "{pass:?}");
    assert_eq!(states(&f, &officer, &first).await, ["enrolled"]);
    let found = queue(&f, &supervisor).await;
    assert_eq!(
        found,
        vec![(pair(&first, &second), "biometric".to_string())],
        "the same face under two names, nobody else"
    );
    // The pair's page says what found it; a decision is the supervisor's alone.
    let pairs: Value = f
        .get(&supervisor, "/api/v1/linkage/queue")
        .await
        .json()
        .await
        .expect("json");
    let pair_id = pairs["pairs"][0]["id"].as_str().expect("pair").to_string();
    let page = f
        .get(&supervisor, &format!("/people/matches/{pair_id}"))
        .await
        .text()
        .await
        .expect("page");
    assert!(page.contains("یافته با زیست‌سنجی"), "{page}");
    assert_eq!(
        count(&f, "SELECT COUNT(*) FROM person_links").await,
        0,
        "a biometric match is never linked without a decision"
    );

    // At rest: no person column beside the templates, nothing readable in them, and
    // nothing of the template in the audit log.
    let columns = column_names(&f, "biometric_templates").await;
    assert!(!columns.iter().any(|c| c.contains("person")), "{columns:?}");
    let encoded = BASE64.encode(&face);
    let sealed: Vec<String> = sqlx::query_scalar("SELECT sealed FROM biometric_templates")
        .fetch_all(f.store.pool_for_tests())
        .await
        .expect("sealed");
    assert_eq!(sealed.len(), 3);
    assert!(sealed.iter().all(|s| !s.contains(&encoded[..40])));
    let audited = count(
        &f,
        &format!(
            "SELECT COUNT(*) FROM audit_log WHERE summary LIKE '%{}%'",
            &encoded[..40]
        ),
    )
    .await;
    assert_eq!(audited, 0);
    assert!(
        count(
            &f,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'biometric.identify'"
        )
        .await
            >= 3
    );

    // Bad input: each refused naming its field, nothing kept.
    let before = count(&f, "SELECT COUNT(*) FROM biometric_enrolments").await;
    for (body, field) in [
        (
            json!({ "modality": "iris", "template": "not base64!" }),
            "template",
        ),
        (
            json!({ "modality": "iris", "template": BASE64.encode([1u8; 100]) }),
            "template",
        ),
        (
            json!({ "modality": "iris", "template": BASE64.encode(&face), "sha256": hex_sha256(b"other") }),
            "sha256",
        ),
        (
            json!({ "modality": "palm", "template": BASE64.encode(&face) }),
            "modality",
        ),
    ] {
        let res = f
            .post_json(
                &officer,
                &format!("/api/v1/persons/{first}/biometrics"),
                body,
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: Value = res.json().await.expect("problem");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let again = enrol(&f, &officer, &first, "face", &face).await;
    assert_eq!(
        again.status(),
        StatusCode::CONFLICT,
        "one live face per person"
    );
    assert_eq!(
        count(&f, "SELECT COUNT(*) FROM biometric_enrolments").await,
        before
    );

    // Every role on the biometric endpoints, as the policy says.
    let today = JalaliDate::from_gregorian(f.clock.today());
    let mut askers: Vec<(Session, Actor)> = vec![(supervisor, supervisor_actor)];
    askers.extend(f.signed_in_as(&EVERY_ROLE).await);
    let (a_officer, a_actor) =
        user_with(&f, "a.officer", "A", vec![Role::AgencyOfficer], "CITY").await;
    askers.push((a_officer, a_actor));
    let first_id = first.parse().expect("id");
    for (s, actor) in &askers {
        let access = f.store.person_access(actor, first_id, today).await;
        let expect = |action| match &access {
            Ok(a) => status_for(a.decide(actor, action)),
            Err(_) => StatusCode::NOT_FOUND,
        };
        let res = enrol(&f, s, &first, "iris", &vector(9, 0.0)).await;
        let want = expect(Action::EnrolBiometric);
        assert_eq!(
            res.status(),
            if want == StatusCode::OK {
                StatusCode::ACCEPTED
            } else {
                want
            },
            "enrol as {:?}",
            actor.roles
        );
        let read = f
            .get(
                s,
                &format!("/api/v1/persons/{first}/biometrics?purpose=supervision"),
            )
            .await;
        assert_eq!(
            read.status(),
            expect(Action::ViewPerson),
            "list as {:?}",
            actor.roles
        );
        let abis = f.get(s, "/api/v1/abis").await;
        assert_eq!(
            abis.status(),
            status_for(decide(actor, Action::ViewAbis, Target::Collection)),
            "abis as {:?}",
            actor.roles
        );
    }

    // A template sealed under this server's key does not open under another: the
    // database alone is not enough.
    let late = enrolled_as(&f, &officer, &other, "finger", &vector(3, 0.0)).await;
    let stranger = Biometrics::stand_in(TemplateKey::generate());
    stranger.process(&f.store).await.expect("process");
    let failed: String =
        sqlx::query_scalar("SELECT state FROM biometric_enrolments WHERE reference_id = $1")
            .bind(&late)
            .fetch_one(f.store.pool_for_tests())
            .await
            .expect("state");
    assert_eq!(failed, "failed");

    // Deleting: by the holding agency, with a reason; the template is gone at once
    // and the matcher is told; twice is refused.
    let res = f
        .post_json(
            &officer,
            &format!("/api/v1/biometrics/{r3}/delete"),
            json!({ "reason": "درخواست خود فرد" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let twice = f
        .post_json(
            &officer,
            &format!("/api/v1/biometrics/{r3}/delete"),
            json!({ "reason": "دوباره" }),
        )
        .await;
    assert_eq!(twice.status(), StatusCode::CONFLICT);
    let gone = count(
        &f,
        &format!("SELECT COUNT(*) FROM biometric_templates WHERE reference_id = '{r3}'"),
    )
    .await;
    assert_eq!(gone, 0);

    // A withdrawal of consent takes the template with the names.
    let res = f
        .post_json(
            &officer,
            &format!("/api/v1/persons/{first}/consent"),
            json!({ "consent": "refused" }),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let left = count(
        &f,
        &format!("SELECT COUNT(*) FROM biometric_templates WHERE reference_id = '{r1}'"),
    )
    .await;
    assert_eq!(left, 0);
    biometrics.process(&f.store).await.expect("process");
    let deletes = count(
        &f,
        &format!("SELECT COUNT(*) FROM abis_jobs WHERE operation = 'delete' AND state = 'done' AND reference_id IN ('{r1}', '{r3}')"),
    )
    .await;
    assert_eq!(deletes, 2);
}

/// A small ABIS speaking MOSIP's contract over HTTP: it queues each request (202) and
/// answers it only when asked for the response, as a queue-backed ABIS does.
#[derive(Default)]
struct FakeAbis {
    received: Vec<Value>,
    gallery: HashMap<String, Vec<f32>>,
    responses: HashMap<String, Value>,
    unauthorised: usize,
}

type Shared = Arc<Mutex<FakeAbis>>;

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

async fn fake_request(
    State(abis): State<Shared>,
    headers: HeaderMap,
    Json(req): Json<Value>,
) -> AxumStatus {
    let mut abis = abis.lock().expect("lock");
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer abis-secret") {
        abis.unauthorised += 1;
        return AxumStatus::UNAUTHORIZED;
    }
    let id = req["id"].as_str().unwrap_or_default().to_string();
    let request_id = req["requestId"].as_str().unwrap_or_default().to_string();
    let reference = req["referenceId"].as_str().unwrap_or_default().to_string();
    let mut response = json!({ "id": id, "requestId": request_id, "responsetime": "2025-10-11T00:00:00.000Z", "returnValue": 1 });
    match id.as_str() {
        "mosip.abis.insert" => {
            let bytes = BASE64
                .decode(req["biometrics"]["data"].as_str().unwrap_or_default())
                .unwrap_or_default();
            let v: Vec<f32> = bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            abis.gallery.insert(reference, v);
        }
        "mosip.abis.identify" => {
            let probe = abis.gallery.get(&reference).cloned().unwrap_or_default();
            let candidates: Vec<Value> = abis
                .gallery
                .iter()
                .filter(|(r, v)| **r != reference && cosine(&probe, v) > 0.95)
                .map(|(r, v)| json!({ "referenceId": r, "analytics": { "confidence": format!("{:.0}", cosine(&probe, v) * 100.0), "internalScore": "112" } }))
                .collect();
            response["candidateList"] =
                json!({ "count": candidates.len().to_string(), "candidates": candidates });
        }
        "mosip.abis.delete" => {
            abis.gallery.remove(&reference);
        }
        _ => {}
    }
    abis.received.push(req);
    abis.responses.insert(request_id, response);
    AxumStatus::ACCEPTED
}

async fn fake_response(
    State(abis): State<Shared>,
    Path(id): Path<String>,
) -> Result<Json<Value>, AxumStatus> {
    let abis = abis.lock().expect("lock");
    abis.responses
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or(AxumStatus::NOT_FOUND)
}

async fn start_fake_abis() -> (String, Shared) {
    let shared = Shared::default();
    let app = axum::Router::new()
        .route("/abis/requests", axum::routing::post(fake_request))
        .route("/abis/responses/{id}", axum::routing::get(fake_response))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/abis"), shared)
}

async fn through_an_external_abis(engine: Engine) {
    let (url, abis) = start_fake_abis().await;
    let key = TemplateKey::generate();
    let biometrics =
        Arc::new(Biometrics::external(key, &url, Some("abis-secret".into())).expect("abis"));
    let b = biometrics.clone();
    let f = Fixture::start_with(engine, move |s| s.with_biometrics(b)).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker =
        hamafza_web::biometrics::spawn_worker(f.store.clone(), biometrics.clone(), stopped);
    let World {
        officer,
        supervisor,
        first,
        second,
        ..
    } = world(&f).await;
    let face = vector(5, 0.0);
    let r1 = enrolled(&f, &officer, &first, &face).await;
    let r2 = enrolled(&f, &officer, &second, &vector(5, 0.01)).await;

    // The worker sends, the ABIS acknowledges, the worker collects its answers.
    let mut waited = 0;
    while queue(&f, &supervisor).await.is_empty() {
        assert!(waited < 200, "no biometric pair after 10 s");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }
    assert_eq!(
        queue(&f, &supervisor).await,
        vec![(pair(&first, &second), "biometric".to_string())]
    );
    assert_eq!(states(&f, &officer, &first).await, ["enrolled"]);
    {
        let abis = abis.lock().expect("lock");
        assert_eq!(abis.unauthorised, 0);
        let inserts: Vec<&Value> = abis
            .received
            .iter()
            .filter(|r| r["id"] == "mosip.abis.insert")
            .collect();
        assert_eq!(inserts.len(), 2);
        assert_eq!(inserts[0]["ver"], "1.1");
        assert_eq!(inserts[0]["referenceId"], r1.as_str());
        assert_eq!(inserts[0]["biometrics"]["biometricType"], "FID");
        assert_eq!(
            inserts[0]["biometrics"]["data"],
            BASE64.encode(&face).as_str()
        );
        let text = serde_json::to_string(&abis.received).expect("text");
        assert!(
            !text.contains(&first) && !text.contains("کریم"),
            "the ABIS never learns who"
        );
        assert!(
            abis.received
                .iter()
                .any(|r| r["id"] == "mosip.abis.identify" && r["referenceId"] == r2.as_str())
        );
    }

    // The administrator pings it through the job table.
    let admin = f.login("admin").await;
    let ping: Value = f
        .post_json(&admin, "/api/v1/abis/ping", json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(ping["alive"], true, "{ping}");

    // Deleting reaches the ABIS.
    let res = f
        .post_json(
            &officer,
            &format!("/api/v1/biometrics/{r2}/delete"),
            json!({ "reason": "درخواست خود فرد" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let mut waited = 0;
    while !abis
        .lock()
        .expect("lock")
        .received
        .iter()
        .any(|r| r["id"] == "mosip.abis.delete" && r["referenceId"] == r2.as_str())
    {
        assert!(waited < 200, "no delete at the ABIS after 10 s");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }
    let _ = stop.send(true);
    let _ = worker.await;

    // An ABIS that is not there: the job waits to be tried again, saying why.
    let down =
        Biometrics::external(TemplateKey::generate(), "http://127.0.0.1:9", None).expect("abis");
    let job = f.post_json(&admin, "/api/v1/abis/ping", json!({})).await;
    assert_eq!(job.status(), StatusCode::OK);
    let pass = down.process(&f.store).await.expect("process");
    assert!(pass.retried >= 1, "{pass:?}");
    let waiting = count(&f, "SELECT COUNT(*) FROM abis_jobs WHERE state = 'queued' AND attempts = 1 AND error IS NOT NULL").await;
    assert!(waiting >= 1);
}
