//! One store test suite, run against SQLite and a real PostgreSQL server.
//!
//! One test binary (one link on a 2-core CI) in several files, one per feature; each
//! test is a scenario read top to bottom.

use hamafza_core::access::{Action, Actor, Role, Scope, scope};
use hamafza_core::agency::AgencyKind;
use hamafza_core::ids::{AgencyId, ResolutionId};
use hamafza_core::place::PlaceLevel;
use hamafza_store::import::plan_places;
use hamafza_store::{
    AuditFilter, AuditVerification, NewAgency, NewPlace, NewUser, PlaceFilter, Store, Who,
};
use sqlx::AssertSqlSafe;

use hamafza_store::testing::every;
use hamafza_store::{Rule, StoreError};

/// An agency's head acting in a test.
fn head_of(agency: uuid::Uuid) -> Actor {
    hamafza_store::testing::head_of(agency, uuid::Uuid::nil())
}

/// Runs each listed test body on both engines.
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() { super::$name(hamafza_store::testing::fresh_sqlite().await.expect("sqlite store")).await }) *
        }
        mod postgres {
            $(#[tokio::test] async fn $name() { super::$name(hamafza_store::testing::fresh_postgres().await.expect("postgres store")).await }) *
        }
    };
}

mod linkage;
mod people;

on_both_engines!(
    migrations_are_idempotent,
    places_nest_and_lists_respect_jurisdiction,
    persian_name_search_ignores_letter_forms_and_zwnj,
    import_is_all_or_nothing_with_every_problem_listed,
    import_finds_parent_by_containment,
    users_agencies_and_actor,
    audit_chain_catches_change_removal_reorder_and_truncation,
    sessions_and_tokens,
    injection_strings_are_stored_verbatim,
    lists_come_in_persian_order_from_the_database,
    resolution_follows_its_state_machine_with_history_and_audit,
    escalation_follows_simulated_time_and_lists_filter,
    events_are_placed_and_counted_live,
    a_job_lease_has_one_holder_and_place_changes_bump_a_version,
    checkpoints_catch_a_deleted_tail_and_a_rebuilt_chain,
);

/// Issue 11 point 5: the two attacks on the audit chain that `verify_audit` alone lets
/// pass (a deleted tail with its head fixed; an edit with every later hash recomputed)
/// are caught by a checkpoint signed before them.
async fn checkpoints_catch_a_deleted_tail_and_a_rebuilt_chain(store: Store) {
    use hamafza_core::checkpoint::{Checkpoint, public_key, signing_key};
    use hamafza_store::checkpoints::CheckpointFinding;
    use hamafza_store::testing::{rewrite_audit, truncate_audit};

    let key = signing_key(&"5a".repeat(32)).expect("key");
    let intruder = signing_key(&"6b".repeat(32)).expect("key");
    for i in 0..6 {
        store
            .create_agency(
                &Who::system(),
                &NewAgency {
                    code: format!("a-{i}"),
                    name_fa: format!("دستگاه {i}"),
                    kind: AgencyKind::Other,
                    place_id: None,
                },
            )
            .await
            .expect("agency");
    }
    let intact = || async {
        matches!(
            store.verify_audit().await.expect("verify"),
            AuditVerification::Intact { .. }
        )
    };
    let checkpoint = || async {
        let (seq, hash) = store.audit_head().await.expect("head");
        Checkpoint::sign(&key, seq, &hash, "2026-12-02T08:00:00.000Z")
    };
    let first = checkpoint().await;
    assert_eq!(first.seq, 6);
    let mine = public_key(&key);
    assert!(
        store
            .check_checkpoints(std::slice::from_ref(&first), Some(&mine))
            .await
            .expect("check")
            .is_empty()
    );

    // Attack 1: entry 3 edited, every hash after it recomputed.
    rewrite_audit(&store, 3).await.expect("rewrite");
    assert!(intact().await, "the rebuilt chain holds together by itself");
    assert_eq!(
        store
            .check_checkpoints(std::slice::from_ref(&first), Some(&mine))
            .await
            .expect("check"),
        vec![CheckpointFinding::Rewritten { seq: 6 }]
    );

    // Attack 2: the last two entries deleted and the head fixed.
    let second = checkpoint().await;
    truncate_audit(&store, 4).await.expect("truncate");
    assert!(
        intact().await,
        "the shortened chain holds together by itself"
    );
    assert_eq!(
        store
            .check_checkpoints(std::slice::from_ref(&second), Some(&mine))
            .await
            .expect("check"),
        vec![CheckpointFinding::Truncated { seq: 6, now: 4 }]
    );

    // Nor can the intruder sign new checkpoints to match: another key is not ours,
    // and a checkpoint edited to the new hash no longer verifies.
    let (seq, hash) = store.audit_head().await.expect("head");
    let theirs = Checkpoint::sign(&intruder, seq, &hash, "2026-12-02T09:00:00.000Z");
    let edited = Checkpoint {
        seq,
        hash,
        ..second.clone()
    };
    assert_eq!(
        store
            .check_checkpoints(&[theirs, edited], Some(&mine))
            .await
            .expect("check"),
        vec![
            CheckpointFinding::OtherKey { seq: 4 },
            CheckpointFinding::Forged { seq: 4 }
        ]
    );

    // A witness keeps one hash per length and key: a rewritten history conflicts.
    assert_eq!(store.witness(&first).await.expect("witness"), Ok(()));
    assert_eq!(
        store.witness(&first).await.expect("witness"),
        Ok(()),
        "idempotent"
    );
    let rewritten = Checkpoint::sign(&key, 6, &"ee".repeat(32), "2026-12-02T10:00:00.000Z");
    assert!(store.witness(&rewritten).await.expect("witness").is_err());
}

/// Several app servers on one database (issue 11 point 10): a periodic job's lease is
/// held by one server at a time and passes on when it lapses; a change of places moves
/// the version every server checks its in-memory index against.
async fn a_job_lease_has_one_holder_and_place_changes_bump_a_version(store: Store) {
    use time::macros::datetime;
    let now = datetime!(2026-12-02 08:00 UTC);
    let hour = time::Duration::minutes(55);
    let take = |holder: &'static str, at| {
        let store = store.clone();
        async move {
            store
                .take_job_lease("escalation", holder, at, hour)
                .await
                .expect("lease")
        }
    };
    assert!(take("server-a", now).await, "the first takes it");
    assert!(!take("server-b", now).await, "a second server may not");
    assert!(
        take("server-a", now + time::Duration::minutes(60)).await,
        "the holder renews it"
    );
    assert!(
        !take("server-b", now + time::Duration::minutes(100)).await,
        "still held after the renewal"
    );
    assert!(
        take("server-b", now + time::Duration::minutes(120)).await,
        "a lapsed lease passes to another server"
    );
    assert!(!take("server-a", now + time::Duration::minutes(121)).await);
    assert!(
        store
            .take_job_lease("another-job", "server-a", now, hour)
            .await
            .expect("lease"),
        "each job has its own lease"
    );

    let before = store.data_version("places").await.expect("version");
    store
        .insert_places(&Who::system(), &small_tree(), &|_| {})
        .await
        .expect("places");
    assert_eq!(
        store.data_version("places").await.expect("version"),
        before + 1
    );
    let categories = store.data_version("event_categories").await.expect("v");
    store
        .save_event_category(&Who::system(), "test_category", "دستهٔ آزمون", "")
        .await
        .expect("category");
    assert_eq!(
        store.data_version("event_categories").await.expect("v"),
        categories + 1
    );
}

/// A square boundary as stored (GeoJSON geometry text).
fn square_geometry(x0: f64, y0: f64, x1: f64, y1: f64) -> String {
    serde_json::json!({
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]
    })
    .to_string()
}

async fn events_are_placed_and_counted_live(store: Store) {
    use hamafza_core::indicator::{Denominator, Numerator, Publication, Worse};
    use hamafza_core::jalali::Period;
    use hamafza_store::testing::place;
    use hamafza_store::{NewEvent, NewIndicator, ValueIn};
    use time::macros::datetime;

    let who = Who::system();
    let mut city = place("T-CITY", "شهر آزمون", PlaceLevel::City, None);
    city.geometry = Some(square_geometry(51.0, 35.0, 51.2, 35.1));
    let mut west = place("T-W", "غرب", PlaceLevel::Neighbourhood, Some(&city));
    west.geometry = Some(square_geometry(51.0, 35.0, 51.1, 35.1));
    west.population = Some(20_000);
    let mut east = place("T-E", "شرق", PlaceLevel::Neighbourhood, Some(&city));
    east.geometry = Some(square_geometry(51.1, 35.0, 51.2, 35.1));
    east.population = Some(5_000);
    store
        .insert_places(&who, &[city.clone(), west.clone(), east.clone()], &|_| {})
        .await
        .expect("places");
    let agency = store
        .create_agency(
            &who,
            &NewAgency {
                code: "t-police".into(),
                name_fa: "انتظامی".into(),
                kind: AgencyKind::Police,
                place_id: None,
            },
        )
        .await
        .expect("agency");
    let locator = store.place_locator().await.expect("locator");
    assert_eq!(locator.place_count(), 3);

    // 1403-07 in Tehran: 2024-09-22 .. 2024-10-21.
    let event = |category: &str, lon: f64, lat: f64| NewEvent {
        category: category.into(),
        occurred_at: datetime!(2024-10-01 10:00 UTC),
        lon,
        lat,
        agency_id: agency.id,
        note: None,
    };
    let mut batch: Vec<NewEvent> = (0..12).map(|_| event("begging", 51.05, 35.05)).collect();
    batch.extend((0..3).map(|_| event("begging", 51.15, 35.05)));
    batch.push(event("begging", 52.0, 36.0)); // in no place
    batch.push(event("begging", 51.1, 35.05)); // on the shared border: within neither child, so the city
    batch.push(event("homelessness", 51.05, 35.05));
    let recorded = store
        .record_events(&who, &locator, &batch)
        .await
        .expect("events");
    assert_eq!(recorded[0].place_id, Some(west.id));
    assert_eq!(recorded[12].place_id, Some(east.id));
    assert_eq!(recorded[15].place_id, None);
    assert_eq!(recorded[16].place_id, Some(city.id));
    assert_eq!(recorded[0].month, "1403-07");
    assert!(
        recorded[0]
            .h3_cell
            .as_deref()
            .is_some_and(|c| c.starts_with("89"))
    );
    assert_eq!(store.unplaced_event_count().await.expect("count"), 1);

    let begging = store
        .save_indicator(
            &who,
            &NewIndicator {
                code: "begging_rate".into(),
                name_fa: "نرخ تکدی‌گری".into(),
                name_en: "Begging rate".into(),
                theme: "آسیب‌های اجتماعی".into(),
                unit_fa: "مورد".into(),
                worse: Worse::Higher,
                numerator: Numerator::Events,
                categories: vec!["begging".into()],
                numerator_fa: "گزارش‌های تکدی‌گری".into(),
                numerator_is_count: true,
                denominator: Denominator::Population,
                rate_base: 10_000.0,
                source_agency_id: Some(agency.id),
                publication: Publication::Public,
                note_fa: None,
            },
        )
        .await
        .expect("indicator");
    assert_eq!(begging.version, 1);
    let ids = vec![
        west.id.to_string(),
        east.id.to_string(),
        city.id.to_string(),
    ];
    let month = Period::Month(1403, 7);
    let n = store
        .numerators(&begging, &ids, month)
        .await
        .expect("numerators");
    assert_eq!(
        (
            n[&west.id.to_string()],
            n[&east.id.to_string()],
            n[&city.id.to_string()]
        ),
        (12.0, 3.0, 16.0)
    );
    let autumn = store
        .numerators(&begging, &ids, Period::Quarter(1403, 3))
        .await
        .expect("numerators");
    assert_eq!(autumn[&city.id.to_string()], 16.0);
    let other = store
        .numerators(&begging, &ids, Period::Month(1403, 8))
        .await
        .expect("numerators");
    assert_eq!(other[&west.id.to_string()], 0.0, "no event is a true zero");

    // Live: one more event shows at once, in the leaf and its ancestors.
    store
        .record_events(&who, &locator, &[event("begging", 51.15, 35.06)])
        .await
        .expect("one more");
    let n = store
        .numerators(&begging, &ids, month)
        .await
        .expect("numerators");
    assert_eq!(
        (n[&east.id.to_string()], n[&city.id.to_string()]),
        (4.0, 17.0)
    );

    // A bad event refuses the whole batch.
    let err = store
        .record_events(
            &who,
            &locator,
            &[
                event("begging", 51.05, 35.05),
                event("no_such", 51.05, 35.05),
            ],
        )
        .await
        .expect_err("unknown category");
    assert!(
        matches!(
            &err,
            StoreError::Invalid {
                field: "category",
                rule: Rule::Item { position: 2, rule }
            } if **rule == Rule::Unknown("no_such".into())
        ),
        "{err}"
    );
    let n = store
        .numerators(&begging, &ids, month)
        .await
        .expect("numerators");
    assert_eq!(
        n[&west.id.to_string()],
        12.0,
        "nothing of the refused batch was written"
    );

    // A new definition is a new version; the old one stays readable.
    let mut def = NewIndicator {
        code: "begging_rate".into(),
        name_fa: "نرخ تکدی‌گری".into(),
        name_en: "Begging rate".into(),
        theme: "آسیب‌های اجتماعی".into(),
        unit_fa: "مورد".into(),
        worse: Worse::Higher,
        numerator: Numerator::Events,
        categories: vec!["begging".into(), "street_children".into()],
        numerator_fa: "گزارش‌های تکدی‌گری و کودکان خیابانی".into(),
        numerator_is_count: true,
        denominator: Denominator::Population,
        rate_base: 10_000.0,
        source_agency_id: None,
        publication: Publication::Public,
        note_fa: None,
    };
    let v2 = store.save_indicator(&who, &def).await.expect("version 2");
    assert_eq!(v2.version, 2);
    assert_eq!(
        store
            .indicator_versions("begging_rate")
            .await
            .expect("versions")
            .len(),
        2
    );
    def.categories = vec!["no_such".into()];
    assert!(store.save_indicator(&who, &def).await.is_err());

    // Supplied values.
    let dropout = store
        .save_indicator(
            &who,
            &NewIndicator {
                code: "dropout".into(),
                name_fa: "بازماندگان از تحصیل".into(),
                name_en: "School dropouts".into(),
                theme: "آموزش".into(),
                unit_fa: "نفر".into(),
                worse: Worse::Higher,
                numerator: Numerator::Imported,
                categories: vec![],
                numerator_fa: "دانش‌آموزان بازمانده از تحصیل".into(),
                numerator_is_count: true,
                denominator: Denominator::Population,
                rate_base: 1000.0,
                source_agency_id: None,
                publication: Publication::Restricted,
                note_fa: None,
            },
        )
        .await
        .expect("imported indicator");
    store
        .set_indicator_values(
            &who,
            "dropout",
            &[ValueIn {
                place_id: west.id,
                period: Period::Year(1403),
                value: 40.0,
            }],
            "manual",
        )
        .await
        .expect("values");
    let n = store
        .numerators(&dropout, &ids, Period::Year(1403))
        .await
        .expect("numerators");
    assert_eq!(n.get(&west.id.to_string()), Some(&40.0));
    assert_eq!(
        n.get(&east.id.to_string()),
        None,
        "no supplied value is missing data"
    );
}

async fn resolution_follows_its_state_machine_with_history_and_audit(store: Store) {
    use hamafza_core::resolutions::{State, Transition, TransitionError};
    use hamafza_store::{NewEvidence, NewResolution};
    use time::macros::date;

    let Fixture {
        tree,
        ids,
        officer,
        council,
    } = resolution_fixture(&store).await;
    let [sec, lead, helper, member, stranger] = [0, 1, 2, 3, 4].map(|i| ids[i].uuid());
    assert_eq!(council.members.len(), 3, "secretariat, lead and member");
    let today = date!(2025 - 10 - 11);
    let new = |body: &str, deadline: &str, in_focus| NewResolution {
        council_id: council.id,
        year: 1404,
        body: body.into(),
        meeting_id: None,
        agenda_item_id: None,
        responsible_agency_id: ids[1],
        collaborators: vec![(ids[2], Some("گشت مشترک".into()), None)],
        places: vec![tree[6].id],
        deadline: Some(deadline.into()),
        priority: 1,
        in_focus,
        topic: "تکدی‌گری".into(),
        expected_result: None,
        decided_on: None,
    };
    let r1 = store
        .create_resolution(
            &Who::system(),
            &new("ساماندهی متکدیان", "2025-12-01", true),
            today,
        )
        .await
        .expect("r1");
    let r2 = store
        .create_resolution(
            &Who::system(),
            &new("جمع‌آوری ضایعات", "2025-10-01", true),
            today,
        )
        .await
        .expect("r2");
    assert_eq!(
        (r1.number.to_persian(), r2.number.to_persian()),
        ("۱۴۰۴/۱".to_string(), "۱۴۰۴/۲".to_string())
    );
    assert_eq!(r1.state, State::Draft);
    let refused = store
        .create_resolution(&Who::system(), &new("سومی", "2025-12-01", true), today)
        .await
        .expect_err("focus limit");
    assert!(
        matches!(
            refused,
            StoreError::Invalid {
                field: "in_focus",
                rule: Rule::FocusFull { limit: 2 }
            }
        ),
        "{refused}"
    );
    store
        .create_resolution(
            &Who::system(),
            &new("بیرون از کانون", "2025-12-01", false),
            today,
        )
        .await
        .expect("not in focus is fine");

    let who = Who::system();
    let mv = |agency, r: &ResolutionId, t: Transition| {
        let store = store.clone();
        let r = *r;
        let who = who.clone();
        async move {
            store
                .move_resolution(&who, &head_of(agency), r, &t, today)
                .await
        }
    };
    assert!(
        mv(lead, &r1.id, Transition::Assign).await.is_err(),
        "only the secretariat assigns"
    );
    assert_eq!(
        mv(sec, &r1.id, Transition::Assign)
            .await
            .expect("assign")
            .state,
        State::Assigned
    );
    assert_eq!(
        mv(sec, &r2.id, Transition::Assign)
            .await
            .expect("assign")
            .state,
        State::Assigned
    );
    let no_evidence = mv(lead, &r1.id, Transition::ReportDone { evidence_files: 5 })
        .await
        .expect_err("no evidence on file");
    assert!(
        matches!(
            no_evidence,
            StoreError::Invalid {
                field: "evidence",
                rule: Rule::Move(TransitionError::EvidenceRequired)
            }
        ),
        "{no_evidence}"
    );

    let update = |agency, files: Vec<NewEvidence>| {
        let store = store.clone();
        let officer = officer.id;
        let r1 = r1.id;
        async move {
            store
                .add_resolution_update(
                    &Who::system(),
                    &Actor {
                        user_id: officer.uuid(),
                        ..head_of(agency)
                    },
                    r1,
                    40,
                    "گزارش",
                    &files,
                    today,
                )
                .await
        }
    };
    assert!(update(stranger, vec![]).await.is_err());
    assert!(
        update(member, vec![]).await.is_err(),
        "council members read, they do not report"
    );
    update(helper, vec![]).await.expect("collaborator reports");
    assert_eq!(
        store.resolution(r1.id).await.expect("r1").state,
        State::InProgress,
        "first update starts it"
    );
    update(
        lead,
        vec![NewEvidence {
            file_name: "گزارش.pdf".into(),
            media_type: "application/pdf".into(),
            content: b"%PDF-1.4 evidence".to_vec(),
        }],
    )
    .await
    .expect("with evidence");
    assert_eq!(
        mv(lead, &r1.id, Transition::ReportDone { evidence_files: 0 })
            .await
            .expect("report")
            .state,
        State::ReportedDone
    );
    assert!(
        mv(lead, &r1.id, Transition::Verify).await.is_err(),
        "the doer cannot verify"
    );
    let back = mv(
        sec,
        &r1.id,
        Transition::SendBack {
            reason: "عکس‌ها کافی نیست".into(),
        },
    )
    .await
    .expect("send back");
    assert_eq!(
        (back.state, back.state_reason.as_deref()),
        (State::InProgress, Some("عکس‌ها کافی نیست"))
    );
    mv(lead, &r1.id, Transition::ReportDone { evidence_files: 0 })
        .await
        .expect("report again");
    let verified = mv(sec, &r1.id, Transition::Verify).await.expect("verify");
    assert_eq!(
        (verified.state, verified.verified_on.as_deref()),
        (State::Verified, Some("2025-10-11"))
    );
    let steps: Vec<String> = store
        .resolution_history(&every(), r1.id)
        .await
        .expect("history")
        .into_iter()
        .map(|h| h.to_state)
        .collect();
    assert_eq!(
        steps,
        vec![
            "draft",
            "assigned",
            "in_progress",
            "reported_done",
            "in_progress",
            "reported_done",
            "verified"
        ]
    );

    // The next meeting takes the overdue r2 onto its agenda by itself; the verified r1 not.
    let (_, number, agenda) = store
        .create_meeting(
            &Who::system(),
            council.id,
            today,
            "مسجد محله",
            &["گزارش دبیر".to_string()],
            today,
        )
        .await
        .expect("meeting");
    assert_eq!(number, 1);
    assert_eq!(agenda.len(), 2, "{agenda:?}");
    assert!(agenda[1].contains("۱۴۰۴/۲"), "{agenda:?}");

    // Child lists take the caller's scope like every other list: a party that does not
    // sit on the council reads its own resolution's updates and files but none of the
    // council's meetings; a stranger reads nothing; an analyst no evidence file.
    let as_head = |agency, action| scope(&head_of(agency), action);
    let analyst = Actor {
        roles: vec![Role::Analyst],
        ..head_of(member)
    };
    let meetings = store
        .council_meetings(&as_head(member, Action::ViewCouncilRecords), council.id)
        .await
        .expect("member's meetings");
    assert_eq!(meetings.len(), 1);
    let meeting_id = meetings[0].id;
    assert!(
        store
            .council_meetings(&as_head(helper, Action::ViewCouncilRecords), council.id)
            .await
            .expect("party's meetings")
            .is_empty()
    );
    assert!(matches!(
        store
            .meeting(&as_head(helper, Action::ViewCouncilRecords), meeting_id)
            .await,
        Err(StoreError::NotFound)
    ));
    let updates = store
        .resolution_updates(&as_head(helper, Action::ViewResolution), r1.id)
        .await
        .expect("party's updates");
    assert_eq!(updates.len(), 2);
    let evidence_id = updates
        .iter()
        .flat_map(|u| &u.evidence)
        .next()
        .expect("an evidence file")
        .id;
    assert!(
        store
            .evidence_file(&as_head(helper, Action::ViewEvidence), evidence_id)
            .await
            .is_ok()
    );
    assert_eq!(
        store
            .resolution_updates(&scope(&analyst, Action::ViewResolution), r1.id)
            .await
            .expect("analyst's updates")
            .len(),
        2
    );
    assert!(matches!(
        store
            .evidence_file(&scope(&analyst, Action::ViewEvidence), evidence_id)
            .await,
        Err(StoreError::NotFound)
    ));
    for wrong in [
        as_head(stranger, Action::ViewResolution),
        Scope::agency(lead),
    ] {
        assert!(
            store
                .resolution_updates(&wrong, r1.id)
                .await
                .expect("u")
                .is_empty()
        );
        assert!(
            store
                .resolution_history(&wrong, r1.id)
                .await
                .expect("h")
                .is_empty()
        );
        assert!(
            store
                .collaborations(&wrong, r1.id)
                .await
                .expect("c")
                .is_empty()
        );
    }
    assert!(matches!(
        store
            .evidence_file(&as_head(stranger, Action::ViewEvidence), evidence_id)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(
        store
            .council_members(&as_head(stranger, Action::ViewCouncils), council.id)
            .await
            .expect("stranger's members")
            .is_empty()
    );
    assert_eq!(
        store
            .council_members(&as_head(helper, Action::ViewCouncils), council.id)
            .await
            .expect("party's members")
            .len(),
        3
    );
    assert!(
        store
            .list_agencies(&Scope::agency(lead))
            .await
            .expect("agencies")
            .is_empty(),
        "a scope of another kind lets no reference list through"
    );
    // Merging into itself or another council's resolution is refused; into r1 works.
    assert!(
        mv(
            sec,
            &r2.id,
            Transition::MergeInto {
                other: r2.id.to_string()
            }
        )
        .await
        .is_err()
    );
    assert_eq!(
        mv(
            sec,
            &r2.id,
            Transition::MergeInto {
                other: r1.id.to_string()
            }
        )
        .await
        .expect("merge")
        .merged_into
        .as_deref(),
        Some(r1.id.to_string().as_str())
    );
    assert!(matches!(
        store.verify_audit().await.expect("verify"),
        AuditVerification::Intact { .. }
    ));
    let _ = member;
}

async fn escalation_follows_simulated_time_and_lists_filter(store: Store) {
    use hamafza_core::resolutions::{EscalationPolicy, State, Transition};
    use hamafza_store::{Attendance, NewResolution, Presence, ResolutionFilter};
    use time::macros::date;

    let Fixture {
        tree, ids, council, ..
    } = resolution_fixture(&store).await;
    let sec = ids[0].uuid();
    let start = date!(2025 - 10 - 01);
    let new = |body: &str, deadline: Option<&str>, collaborator: Option<usize>, place: usize| {
        NewResolution {
            council_id: council.id,
            year: 1404,
            body: body.into(),
            meeting_id: None,
            agenda_item_id: None,
            responsible_agency_id: ids[1],
            collaborators: collaborator
                .map(|c| (ids[c], None, None))
                .into_iter()
                .collect(),
            places: vec![tree[place].id],
            deadline: deadline.map(Into::into),
            priority: 2,
            in_focus: false,
            topic: String::new(),
            expected_result: None,
            decided_on: None,
        }
    };
    // `late` has a deadline; `quiet` has none but will stall (30 days without news).
    let late = store
        .create_resolution(
            &Who::system(),
            &new("با مهلت", Some("2025-10-10"), None, 6),
            start,
        )
        .await
        .expect("late");
    let quiet = store
        .create_resolution(&Who::system(), &new("بی‌مهلت", None, Some(2), 7), start)
        .await
        .expect("quiet");
    for r in [&late, &quiet] {
        store
            .move_resolution(
                &Who::system(),
                &head_of(sec),
                r.id,
                &Transition::Assign,
                start,
            )
            .await
            .expect("assign");
    }
    let policy = EscalationPolicy::default();
    let run = |day| {
        let store = store.clone();
        async move { store.run_escalations(&policy, day).await.expect("escalate") }
    };
    let steps = |r: &hamafza_store::EscalationRun| (r.reminders, r.head_notices, r.agenda);
    assert_eq!(steps(&run(start).await), (0, 0, 0), "nothing wrong yet");
    assert_eq!(
        steps(&run(date!(2025 - 10 - 11)).await),
        (1, 0, 0),
        "one day late: a reminder"
    );
    assert_eq!(
        steps(&run(date!(2025 - 10 - 11)).await),
        (0, 0, 0),
        "never twice"
    );
    assert_eq!(
        steps(&run(date!(2025 - 10 - 18)).await),
        (0, 1, 0),
        "a week late: the head"
    );
    // The clock jumps: `late` reaches the agenda step, `quiet` (stalled since 31 Oct,
    // 20 days) gets all three steps at once, in order.
    assert_eq!(steps(&run(date!(2025 - 11 - 20)).await), (1, 1, 2));

    let users = store.list_users(&every()).await.expect("users");
    let user = |name: &str| users.iter().find(|u| u.username == name).expect(name).id;
    let kinds = |user_id: hamafza_core::ids::UserId| {
        let store = store.clone();
        async move {
            let mut k: Vec<String> = store
                .inbox(user_id, 50)
                .await
                .expect("inbox")
                .into_iter()
                .map(|n| n.kind)
                .collect();
            k.sort();
            k
        }
    };
    assert_eq!(
        kinds(user("lead.officer")).await,
        vec!["assigned", "assigned", "reminder", "reminder"]
    );
    assert_eq!(
        kinds(user("lead.head")).await,
        vec!["head_notice", "head_notice"]
    );
    assert_eq!(kinds(user("sec.secretary")).await, vec!["agenda", "agenda"]);
    assert_eq!(
        store.unread_count(user("lead.officer")).await.expect("n"),
        4
    );
    assert_eq!(
        store
            .mark_inbox_read(user("lead.officer"))
            .await
            .expect("read"),
        4
    );
    assert_eq!(
        store.unread_count(user("lead.officer")).await.expect("n"),
        0
    );
    assert_eq!(
        store.pending_outbox(100).await.expect("outbox").len(),
        8,
        "every notice also waits for the gateway"
    );

    // Lists filter in the database (and by date for overdue and stalled).
    let today = date!(2025 - 11 - 20);
    let count_in = |scope: Scope, f: ResolutionFilter| {
        let store = store.clone();
        async move {
            store
                .list_resolutions(&scope, &f, today)
                .await
                .expect("list")
                .len()
        }
    };
    let count = |f: ResolutionFilter| count_in(every(), f);
    let seen_by = |agency: &AgencyId| {
        let viewer = Actor {
            roles: vec![Role::Viewer],
            ..head_of(agency.uuid())
        };
        scope(&viewer, Action::ViewResolutions)
    };
    let all = ResolutionFilter::default();
    assert_eq!(count(all.clone()).await, 2);
    assert_eq!(
        count(ResolutionFilter {
            overdue_only: true,
            ..all.clone()
        })
        .await,
        1
    );
    assert_eq!(
        count(ResolutionFilter {
            stalled_only: true,
            ..all.clone()
        })
        .await,
        2
    );
    assert_eq!(
        count(ResolutionFilter {
            agency_id: Some(ids[2]),
            ..all.clone()
        })
        .await,
        1
    );
    assert_eq!(
        count(ResolutionFilter {
            state: Some(State::Draft),
            ..all.clone()
        })
        .await,
        0
    );
    assert_eq!(
        count(ResolutionFilter {
            place_id: Some(tree[4].id),
            ..all.clone()
        })
        .await,
        1,
        "under district 12"
    );
    assert_eq!(
        count(ResolutionFilter {
            place_id: Some(tree[3].id),
            ..all.clone()
        })
        .await,
        2,
        "under the city"
    );
    assert_eq!(
        count_in(seen_by(&ids[4]), all.clone()).await,
        0,
        "a stranger sees none"
    );
    assert_eq!(
        count_in(seen_by(&ids[3]), all.clone()).await,
        2,
        "a member sees all"
    );
    assert_eq!(
        count(ResolutionFilter {
            decided_between: Some((date!(2025 - 10 - 02), today)),
            ..all.clone()
        })
        .await,
        0
    );
    assert_eq!(
        count(ResolutionFilter {
            decided_between: Some((start, start)),
            ..all.clone()
        })
        .await,
        2
    );

    // A meeting takes both onto its agenda; minutes and attendance are recorded for
    // members only, and "represented" needs a name.
    let (meeting, _, agenda) = store
        .create_meeting(&Who::system(), council.id, today, "فرمانداری", &[], today)
        .await
        .expect("meeting");
    assert_eq!(agenda.len(), 2, "{agenda:?}");
    let present = |agency: usize, presence, representative: Option<&str>| Attendance {
        agency_id: ids[agency],
        presence,
        representative: representative.map(Into::into),
    };
    assert!(
        store
            .record_minutes(
                &Who::system(),
                meeting,
                "x",
                &[present(4, Presence::Present, None)]
            )
            .await
            .is_err(),
        "not a member"
    );
    assert!(
        store
            .record_minutes(
                &Who::system(),
                meeting,
                "x",
                &[present(1, Presence::Represented, None)]
            )
            .await
            .is_err(),
        "who represented them?"
    );
    store
        .record_minutes(
            &Who::system(),
            meeting,
            "مقرر شد گزارش هفتگی ارسال شود.",
            &[
                present(0, Presence::Present, None),
                present(1, Presence::Represented, Some("معاون")),
                present(3, Presence::Absent, None),
            ],
        )
        .await
        .expect("minutes");
    let detail = store.meeting(&every(), meeting).await.expect("meeting");
    assert_eq!(detail.attendance.len(), 3);
    assert_eq!(detail.meeting.minutes, "مقرر شد گزارش هفتگی ارسال شود.");
    assert!(detail.agenda.iter().all(|a| a.automatic));
    assert!(matches!(
        store.verify_audit().await.expect("verify"),
        AuditVerification::Intact { .. }
    ));
}

struct Fixture {
    tree: Vec<NewPlace>,
    /// Agencies: secretariat, lead, helper (collaborator), member, stranger.
    ids: Vec<AgencyId>,
    /// An officer of the lead agency.
    officer: hamafza_store::User,
    council: hamafza_store::Council,
}

/// A district headquarters run by `sec`, with `lead` and `member` on it, `helper` ready to
/// collaborate and `stranger` outside; officers, a head and a secretary to notify.
async fn resolution_fixture(store: &Store) -> Fixture {
    use hamafza_core::resolutions::CouncilKind;
    use hamafza_store::NewCouncil;

    let tree = small_tree();
    store
        .insert_places(&Who::system(), &tree, &|_| {})
        .await
        .expect("places");
    let agency = |code: &str, kind| NewAgency {
        code: code.into(),
        name_fa: code.into(),
        kind,
        place_id: None,
    };
    let mut ids = Vec::new();
    for (code, kind) in [
        ("sec", AgencyKind::DistrictMunicipality),
        ("lead", AgencyKind::Welfare),
        ("helper", AgencyKind::Police),
        ("member", AgencyKind::Health),
        ("stranger", AgencyKind::Education),
    ] {
        ids.push(
            store
                .create_agency(&Who::system(), &agency(code, kind))
                .await
                .expect("agency")
                .id,
        );
    }
    let officer = store
        .create_user(
            &Who::system(),
            &NewUser {
                username: "lead.officer".into(),
                display_name: String::new(),
                agency_id: ids[1],
                roles: vec![Role::AgencyOfficer],
                jurisdiction: vec![],
                password_hash: "h".into(),
            },
        )
        .await
        .expect("user");
    let council = store
        .create_council(
            &Who::system(),
            &NewCouncil {
                code: "d12-hq".into(),
                name_fa: "قرارگاه اجتماعی منطقهٔ ۱۲".into(),
                kind: CouncilKind::SocialHeadquarters,
                place_id: tree[4].id,
                secretariat_agency_id: ids[0],
                focus_limit: 2,
                stall_days: 30,
                members: vec![(ids[1], Some("معاون".into())), (ids[3], None)],
            },
        )
        .await
        .expect("council");
    for (name, agency, role) in [
        ("lead.head", 1, Role::AgencyAdmin),
        ("sec.secretary", 0, Role::CouncilSecretary),
    ] {
        store
            .create_user(
                &Who::system(),
                &NewUser {
                    username: name.into(),
                    display_name: String::new(),
                    agency_id: ids[agency],
                    roles: vec![role],
                    jurisdiction: vec![],
                    password_hash: "h".into(),
                },
            )
            .await
            .expect("user");
    }
    Fixture {
        tree,
        ids,
        officer,
        council,
    }
}

async fn lists_come_in_persian_order_from_the_database(store: Store) {
    let names = [
        "گیلان",
        "کرمان",
        "پارس",
        "بوشهر",
        "چهارمحال",
        "جیرفت",
        "ژاله",
        "زنجان",
        "آبادان",
        "ایلام",
    ];
    let places: Vec<NewPlace> = names
        .iter()
        .enumerate()
        .map(|(i, n)| place(&format!("P{i}"), n, PlaceLevel::Province, None))
        .collect();
    store
        .insert_places(&Who::system(), &places, &|_| {})
        .await
        .expect("insert");
    let page = |offset| PlaceFilter {
        limit: 4,
        offset,
        ..Default::default()
    };
    let mut got = Vec::new();
    for offset in [0, 4, 8] {
        let (chunk, total) = store
            .list_places(&every(), &page(offset))
            .await
            .expect("list");
        assert_eq!(total, names.len());
        got.extend(chunk.into_iter().map(|p| p.name_fa));
    }
    assert_eq!(
        got,
        vec![
            "آبادان",
            "ایلام",
            "بوشهر",
            "پارس",
            "جیرفت",
            "چهارمحال",
            "زنجان",
            "ژاله",
            "کرمان",
            "گیلان"
        ]
    );
    let top = store.children(&every(), None).await.expect("children");
    assert_eq!(
        top.iter()
            .map(|c| c.place.name_fa.as_str())
            .collect::<Vec<_>>(),
        got
    );
}

fn square(x: f64, y: f64, s: f64) -> String {
    format!(
        r#"{{"type":"Polygon","coordinates":[[[{x},{y}],[{},{y}],[{},{}],[{x},{}],[{x},{y}]]]}}"#,
        x + s,
        x + s,
        y + s,
        y + s
    )
}

use hamafza_store::testing::place;

/// Tehran and Kerman provinces, a county, a city, a district with two neighbourhoods.
fn small_tree() -> Vec<NewPlace> {
    let teh = place("IR-23", "تهران", PlaceLevel::Province, None);
    let ker = place("IR-08", "کرمان", PlaceLevel::Province, None);
    let county = place("IR-23-1", "شهرستان نمونه", PlaceLevel::County, Some(&teh));
    let city = place("SYN", "شهر نمونه", PlaceLevel::City, Some(&county));
    let d12 = place("SYN-D12", "منطقه ۱۲", PlaceLevel::District, Some(&city));
    let d13 = place("SYN-D13", "منطقه ۱۳", PlaceLevel::District, Some(&city));
    let n1 = place(
        "SYN-N1",
        "بین\u{200C}الملل",
        PlaceLevel::Neighbourhood,
        Some(&d12),
    );
    let n2 = place("SYN-N2", "گلستان", PlaceLevel::Neighbourhood, Some(&d13));
    vec![teh, ker, county, city, d12, d13, n1, n2]
}

async fn migrations_are_idempotent(store: Store) {
    assert_eq!(
        store.migrate().await.expect("migrate"),
        0,
        "second run applies nothing"
    );
    assert!(store.is_empty().await.expect("empty"));
    if store.engine() == hamafza_store::Engine::Sqlite {
        let pool = store.pool_for_tests();
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(pool)
            .await
            .expect("pragma");
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(pool)
            .await
            .expect("pragma");
        assert_eq!((fk, mode.as_str()), (1, "wal"));
    }
}

async fn places_nest_and_lists_respect_jurisdiction(store: Store) {
    let tree = small_tree();
    store
        .insert_places(&Who::system(), &tree, &|_| {})
        .await
        .expect("insert");
    let d12 = &tree[4];
    let officer = hamafza_core::access::Actor {
        user_id: uuid::Uuid::now_v7(),
        agency_id: uuid::Uuid::now_v7(),
        roles: vec![Role::AgencyOfficer],
        jurisdiction: vec![d12.path.clone()],
    };
    let s = scope(&officer, Action::ViewPlace);
    let (visible, total) = store
        .list_places(&s, &PlaceFilter::default())
        .await
        .expect("list");
    let codes: Vec<&str> = visible.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(total, 5, "{codes:?}");
    for c in ["IR-23", "IR-23-1", "SYN", "SYN-D12", "SYN-N1"] {
        assert!(codes.contains(&c), "{c} missing from {codes:?}");
    }
    for c in ["IR-08", "SYN-D13", "SYN-N2"] {
        assert!(!codes.contains(&c), "{c} must be hidden");
    }
    assert!(
        store.get_place(&s, tree[7].id).await.is_err(),
        "neighbourhood of another district is hidden"
    );
    assert!(store.get_place(&s, tree[6].id).await.is_ok());
    let (children, _) = store
        .list_places(
            &every(),
            &PlaceFilter {
                parent_id: Some(tree[3].id),
                ..Default::default()
            },
        )
        .await
        .expect("children");
    assert_eq!(
        children.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(),
        vec!["SYN-D12", "SYN-D13"]
    );
    let ancestors = store
        .ancestors(&store.get_place(&every(), tree[6].id).await.expect("n1"))
        .await
        .expect("ancestors");
    assert_eq!(
        ancestors
            .iter()
            .map(|p| p.code.as_str())
            .collect::<Vec<_>>(),
        vec!["IR-23", "IR-23-1", "SYN", "SYN-D12"]
    );
    let counts = store.count_places_by_level(&s).await.expect("counts");
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<i64>(), 5);
    assert_eq!(
        store
            .count_places_by_level(&Scope::nothing())
            .await
            .expect("none")
            .len(),
        0
    );
}

async fn persian_name_search_ignores_letter_forms_and_zwnj(store: Store) {
    store
        .insert_places(&Who::system(), &small_tree(), &|_| {})
        .await
        .expect("insert");
    let find = |name: &str| PlaceFilter {
        name: Some(name.into()),
        ..Default::default()
    };
    let (r, _) = store
        .list_places(&every(), &find("كرمان"))
        .await
        .expect("search");
    assert_eq!(
        r.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(),
        vec!["IR-08"]
    );
    let (r, _) = store
        .list_places(&every(), &find("بینالملل"))
        .await
        .expect("search");
    assert_eq!(r.len(), 1);
    let (r, _) = store
        .list_places(&every(), &find("منطقه 12"))
        .await
        .expect("search");
    assert_eq!(
        r.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(),
        vec!["SYN-D12"]
    );
    let (r, _) = store
        .list_places(&every(), &find("%"))
        .await
        .expect("search");
    assert!(r.is_empty(), "LIKE wildcards are escaped");
}

fn fc(features: &[String]) -> Vec<u8> {
    format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",")
    )
    .into_bytes()
}

fn feature(props: &str, geometry: &str) -> String {
    format!(r#"{{"type":"Feature","properties":{props},"geometry":{geometry}}}"#)
}

async fn import_is_all_or_nothing_with_every_problem_listed(store: Store) {
    store
        .insert_places(&Who::system(), &small_tree()[..1], &|_| {})
        .await
        .expect("tehran");
    let bytes = fc(&[
        feature(
            r#"{"code":"C1","name_fa":"الف","parent_code":"IR-23"}"#,
            &square(51.0, 35.0, 0.1),
        ),
        feature(
            r#"{"code":"C2","parent_code":"IR-23"}"#,
            &square(51.2, 35.0, 0.1),
        ),
        feature(
            r#"{"code":"C1","name_fa":"تکراری","parent_code":"IR-23"}"#,
            &square(51.4, 35.0, 0.1),
        ),
        feature(
            r#"{"code":"C4","name_fa":"بی‌والد","parent_code":"NOPE"}"#,
            &square(51.6, 35.0, 0.1),
        ),
        feature(
            r#"{"code":"C5","name_fa":"بد","parent_code":"IR-23"}"#,
            r#"{"type":"Polygon","coordinates":[[[51,35],[52,36]]]}"#,
        ),
        feature(
            r#"{"code":"IR-23","name_fa":"تکراری در پایگاه","parent_code":"IR-23"}"#,
            &square(51.8, 35.0, 0.1),
        ),
    ]);
    let features = hamafza_geo::read_features(&bytes).expect("collection");
    let problems = plan_places(&store, &features, PlaceLevel::County, None)
        .await
        .expect("plan")
        .expect_err("must refuse");
    let numbers: Vec<usize> = problems.iter().map(|p| p.feature).collect();
    assert_eq!(numbers, vec![2, 3, 4, 5, 6], "{problems:#?}");
    assert_eq!(
        (problems[0].field, &problems[0].rule),
        ("name_fa", &Rule::Required)
    );
    let (all, _) = store
        .list_places(&every(), &PlaceFilter::default())
        .await
        .expect("list");
    assert_eq!(all.len(), 1, "nothing written");
}

async fn import_finds_parent_by_containment(store: Store) {
    let provinces = fc(&[
        feature(r#"{"code":"P1","name_fa":"غرب"}"#, &square(50.0, 35.0, 1.0)),
        feature(r#"{"code":"P2","name_fa":"شرق"}"#, &square(51.0, 35.0, 1.0)),
    ]);
    let f = hamafza_geo::read_features(&provinces).expect("fc");
    let plan = plan_places(&store, &f, PlaceLevel::Province, None)
        .await
        .expect("plan")
        .expect("valid");
    store
        .insert_places(&Who::system(), &plan, &|_| {})
        .await
        .expect("insert");
    let counties = fc(&[feature(
        r#"{"code":"K1","name_fa":"درون شرق","population":1200}"#,
        &square(51.3, 35.3, 0.2),
    )]);
    let f = hamafza_geo::read_features(&counties).expect("fc");
    let plan = plan_places(&store, &f, PlaceLevel::County, None)
        .await
        .expect("plan")
        .expect("valid");
    store
        .insert_places(&Who::system(), &plan, &|_| {})
        .await
        .expect("insert");
    let k1 = store.place_by_code("K1").await.expect("q").expect("k1");
    let p2 = store.place_by_code("P2").await.expect("q").expect("p2");
    assert_eq!(k1.parent_id, Some(p2.id));
    assert_eq!(k1.population, Some(1200));
    let area = k1.area_km2.expect("area computed");
    assert!((area - 405.0).abs() < 10.0, "{area}");
    assert!(store.place_geometry(k1.id).await.expect("geom").is_some());
}

async fn users_agencies_and_actor(store: Store) {
    let tree = small_tree();
    store
        .insert_places(&Who::system(), &tree, &|_| {})
        .await
        .expect("insert");
    let welfare = store
        .create_agency(
            &Who::system(),
            &NewAgency {
                code: "welfare-teh".into(),
                name_fa: "بهزیستی تهران".into(),
                kind: AgencyKind::Welfare,
                place_id: Some(tree[0].id),
            },
        )
        .await
        .expect("agency");
    let police = store
        .create_agency(
            &Who::system(),
            &NewAgency {
                code: "police".into(),
                name_fa: "فراجا".into(),
                kind: AgencyKind::Police,
                place_id: None,
            },
        )
        .await
        .expect("agency");
    assert!(
        store
            .create_agency(
                &Who::system(),
                &NewAgency {
                    code: "police".into(),
                    name_fa: "دوباره".into(),
                    kind: AgencyKind::Police,
                    place_id: None
                }
            )
            .await
            .is_err()
    );
    let new_user = |username: &str, agency: &AgencyId, role| NewUser {
        username: username.into(),
        display_name: "کارشناس".into(),
        agency_id: *agency,
        roles: vec![role],
        jurisdiction: vec![tree[4].id],
        password_hash: "x".into(),
    };
    let u = store
        .create_user(
            &Who::system(),
            &new_user("officer1", &welfare.id, Role::AgencyOfficer),
        )
        .await
        .expect("user");
    store
        .create_user(
            &Who::system(),
            &new_user("officer2", &police.id, Role::Viewer),
        )
        .await
        .expect("user");
    assert!(
        store
            .create_user(
                &Who::system(),
                &new_user("officer1", &police.id, Role::Viewer)
            )
            .await
            .is_err(),
        "duplicate"
    );
    assert!(
        store
            .create_user(
                &Who::system(),
                &new_user("Bad Name", &police.id, Role::Viewer)
            )
            .await
            .is_err()
    );
    assert!(
        store
            .create_user(
                &Who::system(),
                &new_user("ghost", &AgencyId::new(), Role::Viewer)
            )
            .await
            .is_err()
    );
    let actor = u.actor();
    assert_eq!(actor.jurisdiction, vec![tree[4].path.clone()]);
    assert_eq!(actor.roles, vec![Role::AgencyOfficer]);
    let agency_scope = Scope::agency(welfare.id.uuid());
    let users = store.list_users(&agency_scope).await.expect("list");
    assert_eq!(
        users
            .iter()
            .map(|u| u.username.as_str())
            .collect::<Vec<_>>(),
        vec!["officer1"]
    );
    assert_eq!(store.list_users(&every()).await.expect("all").len(), 2);
    assert!(
        store
            .list_users(&Scope::nothing())
            .await
            .expect("none")
            .is_empty()
    );
    let off = store
        .set_user_active(&Who::system(), u.id, false)
        .await
        .expect("deactivate");
    assert!(!off.active);
    let agencies = store
        .list_agencies(&Scope::reference_lists())
        .await
        .expect("agencies");
    assert_eq!(
        agencies
            .iter()
            .map(|a| a.name_fa.as_str())
            .collect::<Vec<_>>(),
        vec!["بهزیستی تهران", "فراجا"]
    );
    // the audit log holds no username in clear
    let (entries, _) = store
        .list_audit(
            &every(),
            &AuditFilter {
                action: Some("user.".into()),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .expect("audit");
    assert!(entries.len() >= 3);
    assert!(entries.iter().all(|e| !e.summary.contains("officer1")));
}

async fn audit_chain_catches_change_removal_reorder_and_truncation(store: Store) {
    // Each kind of tampering, as SQL run behind the store's back on a fresh chain of 8
    // entries, and the entry `verify` must name (None: any entry).
    let tamperings: [(&[&str], Option<i64>); 5] = [
        (
            &["UPDATE audit_log SET summary = '{}' WHERE seq = 3"],
            Some(3),
        ),
        (
            &[
                "UPDATE audit_log SET summary = (SELECT summary FROM audit_log WHERE seq = 4) WHERE seq = 3",
            ],
            None,
        ),
        (&["DELETE FROM audit_log WHERE seq = 5"], Some(6)),
        (
            &[
                "UPDATE audit_log SET seq = 100 WHERE seq = 2",
                "UPDATE audit_log SET seq = 2 WHERE seq = 3",
                "UPDATE audit_log SET seq = 3 WHERE seq = 100",
            ],
            Some(2),
        ),
        (&["DELETE FROM audit_log WHERE seq = 8"], Some(8)),
    ];
    let engine = store.engine();
    let mut store = store;
    for (i, (statements, first_bad)) in tamperings.into_iter().enumerate() {
        if i > 0 {
            store = hamafza_store::testing::fresh(engine).await.expect("store");
        }
        store
            .insert_places(&Who::system(), &small_tree(), &|_| {})
            .await
            .expect("insert");
        assert_eq!(
            store.verify_audit().await.expect("verify"),
            AuditVerification::Intact { entries: 8 }
        );
        for sql in statements {
            sqlx::query(AssertSqlSafe(*sql))
                .execute(store.pool_for_tests())
                .await
                .expect("tamper");
        }
        match store.verify_audit().await.expect("verify") {
            AuditVerification::Broken(b) => {
                if let Some(seq) = first_bad {
                    assert_eq!(b.seq, seq, "{statements:?}");
                }
            }
            AuditVerification::Intact { .. } => panic!("not caught: {statements:?}"),
        }
    }
}

async fn sessions_and_tokens(store: Store) {
    let tree = small_tree();
    store
        .insert_places(&Who::system(), &tree, &|_| {})
        .await
        .expect("insert");
    let a = store
        .create_agency(
            &Who::system(),
            &NewAgency {
                code: "gov".into(),
                name_fa: "فرمانداری".into(),
                kind: AgencyKind::Governorate,
                place_id: None,
            },
        )
        .await
        .expect("agency");
    let u = store
        .create_user(
            &Who::system(),
            &NewUser {
                username: "sec".into(),
                display_name: String::new(),
                agency_id: a.id,
                roles: vec![Role::CouncilSecretary],
                jurisdiction: vec![],
                password_hash: "h".into(),
            },
        )
        .await
        .expect("user");
    assert_eq!(
        u.display_name, "sec",
        "empty display name falls back to the username"
    );
    let who = Who::of(&u.actor());
    store
        .create_session(&who, "hash1", u.id, "csrf1", "2099-01-01T00:00:00.000Z")
        .await
        .expect("session");
    let s = store.session("hash1").await.expect("q").expect("found");
    assert_eq!(s.csrf_token, "csrf1");
    store.delete_session(&who, "hash1").await.expect("logout");
    assert!(store.session("hash1").await.expect("q").is_none());
    let t = store
        .create_api_token(&who, u.id, "thash", "integration")
        .await
        .expect("token");
    assert_eq!(store.api_token_user("thash").await.expect("q"), Some(u.id));
    store
        .revoke_api_token(&who, u.id, &t.id)
        .await
        .expect("revoke");
    assert!(store.api_token_user("thash").await.expect("q").is_none());
    assert!(
        store.revoke_api_token(&who, u.id, &t.id).await.is_err(),
        "already revoked"
    );
    assert_eq!(
        store.verify_audit().await.expect("verify"),
        AuditVerification::Intact {
            entries: 8 + 1 + 1 + 2 + 2
        }
    );
}

async fn injection_strings_are_stored_verbatim(store: Store) {
    let nasty = "x'); DROP TABLE places; -- <script>alert(1)</script>";
    let a = store
        .create_agency(
            &Who::system(),
            &NewAgency {
                code: "nasty".into(),
                name_fa: nasty.into(),
                kind: AgencyKind::Other,
                place_id: None,
            },
        )
        .await
        .expect("agency");
    assert_eq!(store.agency(a.id).await.expect("read").name_fa, nasty);
    let (r, _) = store
        .list_places(
            &every(),
            &PlaceFilter {
                name: Some("' OR 1=1 --".into()),
                ..Default::default()
            },
        )
        .await
        .expect("search");
    assert!(r.is_empty());
    assert!(
        store
            .list_agencies(&Scope::reference_lists())
            .await
            .expect("agencies")
            .len()
            == 1
    );
}
