//! The `hamafza` binary as an operator uses it: demo, import, users, tokens, audit verify.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn hamafza(data: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hamafza"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("HAMAFZA_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hamafza");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("output")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "hamafza-cli-{name}-{}",
        uuid::Uuid::now_v7().simple()
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn demo_import_users_tokens_and_audit() {
    let data = temp_dir("flow");
    let out = hamafza(&data, &["demo"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("31 provinces, 478 counties"));
    // The demo loads only into an empty database.
    assert!(!hamafza(&data, &["demo"], None).status.success());

    // A file with every kind of problem is refused whole, each problem listed.
    let bad = data.join("bad.geojson");
    std::fs::write(
        &bad,
        r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"code":"X-1","name_fa":"درست","parent_code":"SYN-HMF-D01-S1"},"geometry":{"type":"Polygon","coordinates":[[[51,35],[51.01,35],[51.01,35.01],[51,35]]]}},
        {"type":"Feature","properties":{"code":"X-2","parent_code":"SYN-HMF-D01-S1"},"geometry":{"type":"Polygon","coordinates":[[[51,35],[51.01,35],[51.01,35.01],[51,35]]]}},
        {"type":"Feature","properties":{"code":"X-3","name_fa":"بی‌والد","parent_code":"NOWHERE"},"geometry":{"type":"Polygon","coordinates":[[[51,35],[51.01,35],[51.01,35.01],[51,35]]]}},
        {"type":"Feature","properties":{"code":"IR-23","name_fa":"تکراری","parent_code":"SYN-HMF-D01-S1"},"geometry":{"type":"Polygon","coordinates":[[[51,35],[51.01,35],[51.01,35.01],[51,35]]]}}
        ]}"#,
    )
    .expect("write");
    let out = hamafza(
        &data,
        &[
            "import",
            "places",
            bad.to_str().expect("path"),
            "--level",
            "neighbourhood",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(err.contains("3 of 4 features are bad"), "{err}");
    for n in ["feature 2", "feature 3", "feature 4"] {
        assert!(err.contains(n), "{n} missing: {err}");
    }
    // Malformed files: not JSON, not UTF-8, not a FeatureCollection.
    for (name, bytes) in [
        ("broken.geojson", b"{\"type\": \"Feature".to_vec()),
        ("latin1.geojson", vec![0xff, 0xfe, 0x00]),
        (
            "point.geojson",
            br#"{"type":"Point","coordinates":[1,2]}"#.to_vec(),
        ),
    ] {
        let path = data.join(name);
        std::fs::write(&path, bytes).expect("write");
        let out = hamafza(
            &data,
            &[
                "import",
                "places",
                path.to_str().expect("path"),
                "--level",
                "neighbourhood",
            ],
            None,
        );
        assert!(!out.status.success(), "{name} accepted");
        assert!(
            !text(&out.stderr).contains("panicked"),
            "{name}: {}",
            text(&out.stderr)
        );
    }

    // A good file without parent codes: the parent is found by containment (Kerman city
    // lies in Kerman county, IR-08-…).
    let good = data.join("good.geojson");
    let ring = "[[57.07,30.28],[57.08,30.28],[57.08,30.29],[57.07,30.29],[57.07,30.28]]";
    std::fs::write(&good, format!(r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"code":"X-OK","name_fa":"محلهٔ آزمون"}},"geometry":{{"type":"Polygon","coordinates":[{ring}]}}}}]}}"#)).expect("write");
    let out = hamafza(
        &data,
        &[
            "import",
            "places",
            good.to_str().expect("path"),
            "--level",
            "neighbourhood",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("imported 1 places"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let parent_code = rt.block_on(async {
        let store = hamafza_store::Store::open_data_dir(&data)
            .await
            .expect("open");
        let place = store
            .place_by_code("X-OK")
            .await
            .expect("q")
            .expect("imported");
        let parent = store
            .get_place(
                &hamafza_core::access::Scope::system_job("test"),
                place.parent_id.expect("a parent"),
            )
            .await
            .expect("parent");
        store.close().await;
        (parent.code, parent.name_fa)
    });
    assert!(
        parent_code.0.starts_with("IR-08-") && parent_code.1 == "کرمان",
        "{parent_code:?}"
    );

    // Users: password from stdin; bad role and unknown agency refused.
    let out = hamafza(
        &data,
        &[
            "user",
            "add",
            "--username",
            "op1",
            "--agency",
            "teh-welfare",
            "--role",
            "agency_officer",
            "--jurisdiction",
            "SYN-HMF-D03",
            "--password-stdin",
        ],
        Some("a-long-password\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = hamafza(
        &data,
        &[
            "user",
            "add",
            "--username",
            "op2",
            "--agency",
            "teh-welfare",
            "--role",
            "emperor",
            "--password-stdin",
        ],
        Some("a-long-password\n"),
    );
    assert!(!out.status.success() && text(&out.stderr).contains("unknown role"));
    let out = hamafza(
        &data,
        &[
            "user",
            "add",
            "--username",
            "op3",
            "--agency",
            "nope",
            "--role",
            "viewer",
            "--password-stdin",
        ],
        Some("a-long-password\n"),
    );
    assert!(!out.status.success() && text(&out.stderr).contains("no agency"));

    // Tokens.
    let out = hamafza(&data, &["token", "create", "--username", "op1"], None);
    assert!(out.status.success());
    let token = text(&out.stdout).trim().to_string();
    assert_eq!(token.len(), 64);

    // The audit chain is intact, then caught after tampering.
    let out = hamafza(&data, &["audit", "verify"], None);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert!(stdout.contains("audit chain intact"), "{stdout}");
    rt.block_on(async {
        let store = hamafza_store::Store::open_data_dir(&data)
            .await
            .expect("open");
        hamafza_store::testing::tamper_audit_entry(&store, 100)
            .await
            .expect("tamper");
        store.close().await;
    });
    let out = hamafza(&data, &["audit", "verify"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("BROKEN at entry 100"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_arguments_are_explained() {
    let data = temp_dir("args");
    let out = hamafza(
        &data,
        &[
            "import",
            "places",
            "/no/such/file.geojson",
            "--level",
            "neighbourhood",
        ],
        None,
    );
    assert!(!out.status.success() && text(&out.stderr).contains("/no/such/file.geojson"));
    let out = hamafza(
        &data,
        &["import", "places", "x.geojson", "--level", "galaxy"],
        None,
    );
    assert!(!out.status.success() && text(&out.stderr).contains("unknown level"));
    let out = Command::new(env!("CARGO_BIN_EXE_hamafza"))
        .args(["--database-url", "mysql://x", "migrate"])
        .output()
        .expect("run");
    assert!(!out.status.success() && text(&out.stderr).contains("sqlite:"));
}

#[test]
fn report_import_and_escalate_resolutions() {
    let data = temp_dir("resolutions");
    let today = "1405/09/01";
    let out = hamafza(&data, &["demo"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("4 councils"));

    // The PDF report of the district headquarters for the current year.
    let pdf = data.join("report.pdf");
    let out = hamafza(
        &data,
        &[
            "report",
            "resolutions",
            "--council",
            "syn-d01-hq",
            "--period",
            "1405",
            "-o",
            pdf.to_str().expect("path"),
            "--today",
            today,
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(std::fs::read(&pdf).expect("pdf").starts_with(b"%PDF"));
    let unknown = hamafza(
        &data,
        &[
            "report",
            "resolutions",
            "--council",
            "nope",
            "--period",
            "1405",
            "-o",
            "x.pdf",
        ],
        None,
    );
    assert!(!unknown.status.success());
    assert!(text(&unknown.stderr).contains("no council `nope`"));

    // Import: a bad file is refused whole with its rows named; a good one goes in.
    let bad = data.join("bad.csv");
    std::fs::write(
        &bad,
        "شماره,متن مصوبه,کد دستگاه مسئول\n1404/901,درست,teh-welfare\n1404/902,بد,nobody\n",
    )
    .expect("write");
    let out = hamafza(
        &data,
        &[
            "import",
            "resolutions",
            bad.to_str().expect("path"),
            "--council",
            "syn-d01-n01-council",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("row 3"), "{}", text(&out.stderr));
    let good = data.join("good.csv");
    std::fs::write(
        &good,
        "شماره,متن مصوبه,کد دستگاه مسئول,وضعیت\n1404/901,درست,teh-welfare,ابلاغ‌شده\n",
    )
    .expect("write");
    let out = hamafza(
        &data,
        &[
            "import",
            "resolutions",
            good.to_str().expect("path"),
            "--council",
            "syn-d01-n01-council",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("imported 1"));

    // Escalation sends what is due once; the same day again sends nothing.
    let first = text(&hamafza(&data, &["escalate", "--today", today], None).stdout);
    assert!(!first.contains("reminders: 0,"), "{first}");
    let again = text(&hamafza(&data, &["escalate", "--today", today], None).stdout);
    assert_eq!(
        again.trim(),
        "reminders: 0, notices to heads: 0, onto agendas: 0, referral notices: 0"
    );
    let _ = std::fs::remove_dir_all(&data);
}

/// Issue 11 point 8: a backup taken while writes go on restores into an empty place with
/// nothing lost — every write committed before the backup began is there, the copy is
/// one consistent moment (each agency has its audit entry and no entry lacks its agency),
/// and the audit chain verifies.
async fn backup_under_writes(
    source: Vec<String>,
    target: Vec<String>,
    store: hamafza_store::Store,
) {
    use hamafza_store::{AuditFilter, NewAgency, Who};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    let run = |args: Vec<String>| {
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_hamafza"))
                .args(&args)
                .env_remove("HAMAFZA_DATABASE_URL")
                .output()
                .expect("run hamafza")
        })
    };
    let (stop, written) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicUsize::new(0)),
    );
    let writer = {
        let (store, stop, written) = (store.clone(), stop.clone(), written.clone());
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let new = NewAgency {
                    code: format!("w-{i}"),
                    name_fa: format!("دستگاه {i}"),
                    kind: hamafza_core::agency::AgencyKind::Other,
                    place_id: None,
                };
                store
                    .create_agency(&Who::system(), &new)
                    .await
                    .expect("write");
                written.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        })
    };
    while written.load(Ordering::Relaxed) < 20 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let before = written.load(Ordering::Relaxed);
    let file = temp_dir("backup").join("hamafza.backup");
    let out = run([
        source.clone(),
        vec!["backup".into(), "-o".into(), file.display().to_string()],
    ]
    .concat())
    .await
    .expect("join");
    assert!(out.status.success(), "backup: {}", text(&out.stderr));
    // The writes go on a little after the backup, then stop.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    stop.store(true, Ordering::Relaxed);
    writer.await.expect("writer");
    let after = written.load(Ordering::Relaxed);

    let out = run([
        target.clone(),
        vec!["restore".into(), file.display().to_string()],
    ]
    .concat())
    .await
    .expect("join");
    assert!(out.status.success(), "restore: {}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("audit chain intact"),
        "{}",
        text(&out.stdout)
    );
    let again = run([
        target.clone(),
        vec!["restore".into(), file.display().to_string()],
    ]
    .concat())
    .await
    .expect("join");
    assert!(!again.status.success(), "a restore never goes over data");

    let restored = match target.as_slice() {
        [flag, dir] if flag == "--data-dir" => hamafza_store::Store::open_data_dir(Path::new(dir))
            .await
            .expect("open"),
        [_, url] => hamafza_store::Store::open(url).await.expect("open"),
        _ => unreachable!(),
    };
    let agencies = restored
        .list_agencies(&hamafza_core::access::Scope::reference_lists())
        .await
        .expect("agencies")
        .len();
    let (_, created) = restored
        .list_audit(
            &hamafza_core::access::Scope::system_job("test"),
            &AuditFilter {
                action: Some("agency.create".into()),
                limit: 1,
                ..AuditFilter::default()
            },
        )
        .await
        .expect("audit");
    assert_eq!(
        agencies as i64, created,
        "one moment: each row with its audit entry"
    );
    assert!(
        (before..=after).contains(&agencies),
        "nothing committed before the backup is lost: {before} ≤ {agencies} ≤ {after}"
    );
    assert!(matches!(
        restored.verify_audit().await.expect("verify"),
        hamafza_store::AuditVerification::Intact { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_sqlite_under_writes() {
    let (source, target) = (temp_dir("source"), temp_dir("target").join("data"));
    let store = hamafza_store::Store::open_data_dir(&source)
        .await
        .expect("store");
    store.migrate().await.expect("migrate");
    backup_under_writes(
        vec!["--data-dir".into(), source.display().to_string()],
        vec!["--data-dir".into(), target.display().to_string()],
        store,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_postgres_under_writes() {
    let source = hamafza_store::testing::new_postgres_database()
        .await
        .expect("db");
    let target = hamafza_store::testing::new_postgres_database()
        .await
        .expect("db");
    let store = hamafza_store::Store::open(&source).await.expect("store");
    store.migrate().await.expect("migrate");
    backup_under_writes(
        vec!["--database-url".into(), source],
        vec!["--database-url".into(), target],
        store,
    )
    .await;
}

/// Issue 11 point 5 from the command line: `audit verify` alone passes a chain whose
/// tail was deleted (head fixed); with `--checkpoints` it fails, naming the entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_with_checkpoints_catches_a_deleted_tail() {
    let data = temp_dir("checkpoints");
    let store = hamafza_store::Store::open_data_dir(&data)
        .await
        .expect("store");
    store.migrate().await.expect("migrate");
    for i in 0..4 {
        store
            .create_agency(
                &hamafza_store::Who::system(),
                &hamafza_store::NewAgency {
                    code: format!("c-{i}"),
                    name_fa: format!("دستگاه {i}"),
                    kind: hamafza_core::agency::AgencyKind::Other,
                    place_id: None,
                },
            )
            .await
            .expect("agency");
    }
    let key =
        hamafza_web::checkpoints::load_or_create_key(&data.join("checkpoint.key")).expect("key");
    let (seq, hash) = store.audit_head().await.expect("head");
    let checkpoint =
        hamafza_core::checkpoint::Checkpoint::sign(&key, seq, &hash, "2026-12-02T08:00:00.000Z");
    let file = data.join("checkpoints.jsonl");
    std::fs::write(&file, format!("{}\n", serde_json::json!(checkpoint))).expect("write");
    let verify = |with: bool| {
        let (data, file) = (data.clone(), file.display().to_string());
        tokio::task::spawn_blocking(move || {
            let mut args = vec!["audit", "verify"];
            if with {
                args.extend(["--checkpoints", &file]);
            }
            hamafza(&data, &args, None)
        })
    };
    let out = verify(true).await.expect("join");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("consistent with all 1 checkpoints"));

    hamafza_store::testing::truncate_audit(&store, 2)
        .await
        .expect("attack");
    let out = verify(false).await.expect("join");
    assert!(
        out.status.success(),
        "the chain alone cannot tell: {}",
        text(&out.stderr)
    );
    let out = verify(true).await.expect("join");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("entries were deleted"),
        "{}",
        text(&out.stderr)
    );
}

/// `hamafza person access-report` and `subject-report` (issue 12): the reads of a demo
/// person, each with who and why, as JSON and as a PDF; the reports are reads too.
#[test]
fn person_reports_list_every_read_with_its_purpose() {
    let data = temp_dir("person");
    let out = hamafza(&data, &["demo"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    // The district 2 officer finds and opens a person they registered.
    let id = rt.block_on(async {
        use hamafza_store::people::{PeopleQuery, PersonReader};
        let store = hamafza_store::Store::open_data_dir(&data)
            .await
            .expect("open");
        let officer = store
            .user_for_login("d02.officer")
            .await
            .expect("q")
            .expect("demo officer")
            .0
            .actor();
        let purpose = hamafza_core::people::Purpose::parse("case_work", None).expect("purpose");
        let reader = PersonReader {
            actor: &officer,
            purpose: &purpose,
            today: hamafza_core::jalali::JalaliDate::today_in_tehran(
                time::OffsetDateTime::now_utc(),
            ),
        };
        let (people, _) = store
            .find_people(
                &reader,
                &PeopleQuery {
                    limit: 50,
                    ..Default::default()
                },
            )
            .await
            .expect("list");
        let id = people
            .iter()
            .find(|p| p.name.is_some())
            .expect("a named person")
            .id;
        store.read_person(&reader, id).await.expect("read");
        store.close().await;
        id.to_string()
    });
    let json = data.join("reads.json");
    let out = hamafza(
        &data,
        &[
            "person",
            "access-report",
            "--id",
            &id,
            "-o",
            json.to_str().expect("path"),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json")).expect("parse");
    let reads = v["reads"].as_array().expect("reads");
    let officer_read = reads
        .iter()
        .find(|r| r["action"] == "person.read")
        .expect("the officer's read");
    assert_eq!(officer_read["user"], "کارشناس اجتماعی شهرداری منطقهٔ ۲");
    assert_eq!(officer_read["purpose"]["kind"], "case_work");
    assert!(
        reads
            .iter()
            .any(|r| r["action"] == "person.access_report" && r["user"].is_null()),
        "the report itself is a read, by the command line: {v}"
    );
    let pdf = data.join("reads.pdf");
    let out = hamafza(
        &data,
        &[
            "person",
            "access-report",
            "--id",
            &id,
            "-o",
            pdf.to_str().expect("path"),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bytes = std::fs::read(&pdf).expect("pdf");
    assert!(bytes.starts_with(b"%PDF") && bytes.len() > 2_000);
    let subject = data.join("subject.json");
    let out = hamafza(
        &data,
        &[
            "person",
            "subject-report",
            "--id",
            &id,
            "-o",
            subject.to_str().expect("path"),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&subject).expect("json")).expect("parse");
    assert!(v["person"]["given_name"]["value"].is_string(), "{v}");
    assert!(
        v["person"]["encounters"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    );
    let out = hamafza(
        &data,
        &["person", "access-report", "--id", "nobody", "-o", "x.pdf"],
        None,
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not a person's id"),
        "{}",
        text(&out.stderr)
    );
    // A hold, then the retention job: with a 1-year window nothing of this year's demo
    // is due; the hold is kept either way.
    let out = hamafza(
        &data,
        &["person", "hold", "--id", &id, "--reason", "دستور دادگاه"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = hamafza(&data, &["person", "retention", "--years", "1"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    // A research export: no names or ids, stable keyed pseudonyms, no cell under k.
    let export = |name: &str| {
        let file = data.join(name);
        let out = hamafza(
            &data,
            &[
                "person",
                "research-export",
                "-o",
                file.to_str().expect("path"),
                "--k",
                "5",
            ],
            None,
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        std::fs::read_to_string(file).expect("csv")
    };
    let first = export("research-1.csv");
    assert_eq!(
        export("research-2.csv"),
        first,
        "the same key, the same pseudonyms"
    );
    let mut lines = first.lines();
    assert_eq!(
        lines.next(),
        Some("pseudonym,birth_band,sex,district,categories,registered_month,consent")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(
        rows.len() > 50,
        "most of the demo is exported: {}",
        rows.len()
    );
    let mut cells = std::collections::HashMap::new();
    for r in &rows {
        assert_eq!(r.len(), 7);
        assert!(r[0].len() == 32 && r[0].chars().all(|c| c.is_ascii_hexdigit()));
        assert!(
            r[1].is_empty() || (r[1].len() == 9 && r[1].contains('-')),
            "{r:?}"
        );
        *cells.entry((r[1], r[2], r[3])).or_insert(0) += 1;
    }
    assert!(cells.values().all(|n| *n >= 5), "no cell under k");
    assert!(!first.contains(&id), "no record ids");
    assert!(
        !first
            .chars()
            .any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
        "no Persian text at all: no names"
    );
    // Every demo contact is from the last year and registered today: none is due.
    assert_eq!(
        said.trim(),
        "retention: 0 people unnamed, 0 kept on legal hold"
    );
    let _ = std::fs::remove_dir_all(&data);
}
