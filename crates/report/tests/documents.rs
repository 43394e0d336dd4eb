//! The documents against a real store on both engines: the XLSX export imported into an
//! empty council reproduces the same resolutions; a bad file writes nothing and names
//! every bad row; the PDF report's text (read back with poppler's `pdftotext`) holds the
//! council's name, the period and the resolution numbers in Persian.

use hamafza_core::access::Actor;
use hamafza_core::agency::AgencyKind;
use hamafza_core::jalali::Period;
use hamafza_core::place::PlaceLevel;
use hamafza_core::resolutions::{CouncilKind, Transition};
use hamafza_store::sheet::{self, Column};
use hamafza_store::{
    Council, Engine, NewAgency, NewCouncil, NewEvidence, NewResolution, ResolutionFilter, Store,
    Who,
};
use time::macros::date;

use hamafza_store::testing::every;

/// An agency's head, who makes both the secretariat's and the responsible agency's moves.
fn head_of(agency: uuid::Uuid) -> Actor {
    hamafza_store::testing::head_of(agency, uuid::Uuid::nil())
}

macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $(#[tokio::test] async fn $name() { super::$name(super::Engine::Sqlite).await }) * }
        mod postgres { $(#[tokio::test] async fn $name() { super::$name(super::Engine::Postgres).await }) * }
    };
}

on_both_engines!(
    export_then_import_reproduces_the_resolutions,
    a_bad_file_writes_nothing_and_names_every_bad_row,
    the_pdf_report_says_who_when_and_which,
);

const TODAY: time::Date = date!(2025 - 11 - 20);

/// Two agencies, two councils (the second empty), five resolutions in several states.
async fn setup(engine: Engine) -> (Store, Council, Council) {
    let store = hamafza_store::testing::fresh(engine).await.expect("store");
    let city = hamafza_store::testing::place("SYN", "شهر نمونه", PlaceLevel::City, None);
    let n1 = hamafza_store::testing::place(
        "SYN-N1",
        "کوی ارغوان",
        PlaceLevel::Neighbourhood,
        Some(&city),
    );
    store
        .insert_places(&Who::system(), &[city.clone(), n1], &|_| {})
        .await
        .expect("places");
    let mut ids = Vec::new();
    for (code, kind) in [
        ("sec", AgencyKind::DistrictMunicipality),
        ("welfare", AgencyKind::Welfare),
        ("police", AgencyKind::Police),
    ] {
        let a = store
            .create_agency(
                &Who::system(),
                &NewAgency {
                    code: code.into(),
                    name_fa: format!("دستگاه {code}"),
                    kind,
                    place_id: None,
                },
            )
            .await
            .expect("agency");
        ids.push(a.id);
    }
    let council = |code: &str, name: &str| NewCouncil {
        code: code.into(),
        name_fa: name.into(),
        kind: CouncilKind::SocialHeadquarters,
        place_id: city.id,
        secretariat_agency_id: ids[0],
        focus_limit: 5,
        stall_days: 30,
        members: vec![(ids[1], None), (ids[2], None)],
    };
    let full = store
        .create_council(
            &Who::system(),
            &council("hq", "قرارگاه اجتماعی منطقه دوازده"),
        )
        .await
        .expect("hq");
    let empty = store
        .create_council(&Who::system(), &council("hq-copy", "قرارگاه تازه"))
        .await
        .expect("copy");
    let sec = ids[0].uuid();
    let welfare = ids[1].uuid();
    let officer = store
        .create_user(
            &Who::system(),
            &hamafza_store::NewUser {
                username: "welfare.officer".into(),
                display_name: String::new(),
                agency_id: ids[1],
                roles: vec![hamafza_core::access::Role::AgencyOfficer],
                jurisdiction: vec![],
                password_hash: "h".into(),
            },
        )
        .await
        .expect("officer");
    let texts = [
        "ساماندهی متکدیان، با «گشت مشترک»\nو ارجاع",
        "پلمب کارگاه‌های ضایعات",
        "کلاس فرزندپروری",
        "روشنایی کوچه‌ها",
        "پایگاه سلامت سیار",
    ];
    for (i, body) in texts.iter().enumerate() {
        let decided = date!(2025 - 07 - 01) + time::Duration::days(i as i64 * 10);
        let r = store
            .create_resolution(
                &Who::system(),
                &NewResolution {
                    council_id: full.id,
                    year: 1404,
                    body: (*body).into(),
                    meeting_id: None,
                    agenda_item_id: None,
                    responsible_agency_id: ids[1],
                    collaborators: if i % 2 == 0 {
                        vec![(ids[2], None, None)]
                    } else {
                        vec![]
                    },
                    places: vec![],
                    deadline: Some(format!("2025-{:02}-15", 8 + i)),
                    priority: 1 + (i as i64 % 3),
                    in_focus: i < 2,
                    topic: "آزمون".into(),
                    expected_result: (i == 1).then(|| "۲۰ کارگاه پلمب شود".to_string()),
                    decided_on: Some(decided),
                },
                decided,
            )
            .await
            .expect("resolution");
        let mv = |t: Transition, agency, day| {
            let store = store.clone();
            let id = r.id;
            async move {
                store
                    .move_resolution(&Who::system(), &head_of(agency), id, &t, day)
                    .await
                    .expect("move")
            }
        };
        if i >= 1 {
            mv(Transition::Assign, sec, decided + time::Duration::days(1)).await;
        }
        if i >= 2 {
            store
                .add_resolution_update(
                    &Who::system(),
                    &Actor {
                        user_id: officer.id.uuid(),
                        ..head_of(welfare)
                    },
                    r.id,
                    100,
                    "انجام شد",
                    &[NewEvidence {
                        file_name: "a.txt".into(),
                        media_type: "text/plain".into(),
                        content: b"x".to_vec(),
                    }],
                    decided + time::Duration::days(5),
                )
                .await
                .expect("update");
            mv(
                Transition::ReportDone { evidence_files: 1 },
                welfare,
                decided + time::Duration::days(6),
            )
            .await;
        }
        if i >= 3 {
            mv(Transition::Verify, sec, decided + time::Duration::days(8)).await;
        }
        if i == 4 {
            mv(
                Transition::Reopen {
                    reason: "دوباره خراب شد".into(),
                },
                sec,
                decided + time::Duration::days(20),
            )
            .await;
        }
    }
    (store, full, empty)
}

/// What must survive a round trip, per resolution.
fn essence(store_rows: &[hamafza_store::ResolutionRow]) -> Vec<String> {
    store_rows
        .iter()
        .map(|row| {
            let r = &row.resolution;
            let mut collaborators = r.collaborators.clone();
            collaborators.sort();
            format!(
                "{:?}",
                (
                    r.number.to_string(),
                    r.body.clone(),
                    r.responsible_agency_id,
                    collaborators,
                    r.deadline.clone(),
                    r.decided_on.clone(),
                    r.priority,
                    r.in_focus,
                    r.topic.clone(),
                    r.expected_result.clone(),
                    r.state,
                    r.state_reason.clone(),
                )
            )
        })
        .collect()
}

async fn export_then_import_reproduces_the_resolutions(engine: Engine) {
    let (store, full, empty) = setup(engine).await;
    let of = |c: &Council| ResolutionFilter {
        council_id: Some(c.id),
        ..ResolutionFilter::default()
    };
    let original = store
        .list_resolutions(&every(), &of(&full), TODAY)
        .await
        .expect("list");
    assert_eq!(original.len(), 5);
    let rows = sheet::export_rows(&store, &original).await.expect("rows");
    let xlsx = hamafza_report::spreadsheet::write_xlsx(&rows).expect("xlsx");
    let read = hamafza_report::spreadsheet::read(&xlsx).expect("read");
    let planned = sheet::plan_import(&store, &empty, &read)
        .await
        .expect("plan")
        .expect("all rows good");
    assert_eq!(
        store
            .import_resolutions(&Who::system(), &empty, &planned, TODAY)
            .await
            .expect("import"),
        5
    );
    let copy = store
        .list_resolutions(&every(), &of(&empty), TODAY)
        .await
        .expect("list");
    assert_eq!(essence(&copy), essence(&original));
    // Importing the same file again is refused row by row: the numbers are taken.
    let again = sheet::plan_import(&store, &empty, &read)
        .await
        .expect("plan")
        .expect_err("duplicates");
    assert_eq!(again.len(), 5);
    assert!(
        again
            .iter()
            .all(|p| p.column == Some(Column::Number.header()))
    );
}

async fn a_bad_file_writes_nothing_and_names_every_bad_row(engine: Engine) {
    let (store, _, empty) = setup(engine).await;
    let csv = "شماره,متن مصوبه,کد دستگاه مسئول,کد دستگاه‌های همکار,مهلت,وضعیت,اولویت\n\
               1404/1,درست است,welfare,police,1404/09/30,در دست اجرا,1\n\
               1404/2,,welfare,,1404/09/30,,2\n\
               1404/3,مسئول ناشناخته,nobody,,,,\n\
               1404/1,شماره تکراری,welfare,,,,\n\
               ۱۴۰۴/۵,تاریخ ناممکن,welfare,,1404/12/31,,\n\
               1404/6,وضعیت ناشناخته,welfare,welfare,,کاملاً تمام,9\n";
    let rows = hamafza_report::spreadsheet::read(csv.as_bytes()).expect("read");
    let problems = sheet::plan_import(&store, &empty, &rows)
        .await
        .expect("plan")
        .expect_err("bad rows");
    let at = |row: usize| {
        problems
            .iter()
            .filter(|p| p.row == row)
            .map(|p| p.column.unwrap_or(""))
            .collect::<Vec<_>>()
    };
    assert!(at(2).is_empty(), "row 2 is fine: {problems:?}");
    assert_eq!(at(3), vec![Column::Body.header()]);
    assert_eq!(at(4), vec![Column::ResponsibleCode.header()]);
    assert_eq!(at(5), vec![Column::Number.header()]);
    assert_eq!(
        at(6),
        vec![Column::Deadline.header()],
        "1404 has no 31 Esfand"
    );
    let mut six = at(7);
    six.sort_unstable();
    let mut expected = vec![
        Column::CollaboratorCodes.header(),
        Column::State.header(),
        Column::Priority.header(),
    ];
    expected.sort_unstable();
    assert_eq!(six, expected);
    let of = ResolutionFilter {
        council_id: Some(empty.id),
        ..ResolutionFilter::default()
    };
    assert!(
        store
            .list_resolutions(&every(), &of, TODAY)
            .await
            .expect("list")
            .is_empty(),
        "nothing written"
    );
}

async fn the_pdf_report_says_who_when_and_which(engine: Engine) {
    let (store, full, _) = setup(engine).await;
    let period = Period::parse("1404Q2").expect("period");
    let report = hamafza_report::gather(
        &store,
        &every(),
        hamafza_report::Subject::Council(full),
        period,
        TODAY,
    )
    .await
    .expect("gather");
    let pdf = report.pdf().expect("pdf");
    assert!(pdf.starts_with(b"%PDF"));
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, &pdf).expect("write");
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian's poppler-utils) must be installed");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "قرارگاه اجتماعی منطقه دوازده",
        "تابستان",
        "۱۴۰۴",
        "۱۴۰۴/۱",
        "۱۴۰۴/۳",
        "۱۴۰۴/۵",
        "مصوبات معوق",
        "مصوبات راکد",
    ] {
        assert!(
            text.contains(needle),
            "«{needle}» is not in the PDF text:\n{text}"
        );
    }
    assert!(!text.contains("1404/"), "numbers are in Persian digits");
}
