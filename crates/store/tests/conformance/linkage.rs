//! Identity linkage (issue 13): a whole-registry run queues likely pairs and links
//! near-certain ones; a supervisor decides; "different" is remembered; links are undone
//! exactly, and only once; others may not decide.

use hamafza_core::access::{DenyReason, Role};
use hamafza_core::agency::AgencyKind;
use hamafza_core::people::{Consent, DataQuality, Purpose, PurposeKind};
use hamafza_core::place::PlaceLevel;
use hamafza_store::linkage::MatchDecision;
use hamafza_store::people::{BirthIn, Field, NewCase, NewReferral, PersonReader, Registered};
use hamafza_store::testing::place;
use hamafza_store::{AuditVerification, NewAgency, NewUser, Refusal, Store, StoreError, Who};

use crate::people::{contact, national_id, person, today};

on_both_engines!(a_run_queues_and_links_and_a_link_comes_undone_exactly,);

async fn count(store: &Store, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(store.pool_for_tests())
        .await
        .expect("count")
}

async fn a_run_queues_and_links_and_a_link_comes_undone_exactly(store: Store) {
    let who = Who::system();
    let city = place("L-CITY", "شهر", PlaceLevel::City, None);
    let d1 = place("L-D1", "منطقهٔ ۱", PlaceLevel::District, Some(&city));
    let n1 = place("L-N1", "محلهٔ یک", PlaceLevel::Neighbourhood, Some(&d1));
    let far = place("L-D9", "منطقهٔ ۹", PlaceLevel::District, Some(&city));
    store
        .insert_places(
            &who,
            &[city.clone(), d1.clone(), n1.clone(), far.clone()],
            &|_| {},
        )
        .await
        .expect("places");
    let mut agencies = Vec::new();
    for (code, name, kind) in [
        ("l-muni", "شهرداری", AgencyKind::Municipality),
        ("l-welfare", "بهزیستی", AgencyKind::Welfare),
    ] {
        let new = NewAgency {
            code: code.into(),
            name_fa: name.into(),
            kind,
            place_id: None,
        };
        agencies.push(store.create_agency(&who, &new).await.expect("agency"));
    }
    let (muni, welfare) = (&agencies[0], &agencies[1]);
    let mut actors = Vec::new();
    for (name, agency, roles, at) in [
        ("l-officer", muni.id, vec![Role::AgencyOfficer], d1.id),
        ("l-welfare", welfare.id, vec![Role::AgencyOfficer], d1.id),
        (
            "l-super",
            muni.id,
            vec![Role::AgencyOfficer, Role::RegistrySupervisor],
            city.id,
        ),
        (
            "l-far-super",
            muni.id,
            vec![Role::AgencyOfficer, Role::RegistrySupervisor],
            far.id,
        ),
    ] {
        let new = NewUser {
            username: name.into(),
            display_name: name.into(),
            agency_id: agency,
            roles,
            jurisdiction: vec![at],
            password_hash: "x".into(),
        };
        actors.push(store.create_user(&who, &new).await.expect("user").actor());
    }
    let (officer, other, supervisor, far_supervisor) =
        (&actors[0], &actors[1], &actors[2], &actors[3]);

    // One man registered by the municipality, then by welfare with his names typed on
    // an Arabic keyboard, letters that sound alike swapped, a year apart and no
    // national id; a stranger. Later a third record agreeing on everything but the id
    // (linked without review).
    let register = |actor, given: &str, family: &str, year: &str, nid: Option<String>| {
        let mut p = person(given, family, BirthIn::Year(year.into()));
        p.father_name = Field::full("حسین".into());
        if let Some(id) = nid {
            p.identifier = Field::full(id);
        }
        let store = store.clone();
        let c = contact(p, Consent::Sharing, n1.id);
        async move {
            match store.register(actor, &c, today()).await.expect("register") {
                Registered::Person { person_id, .. } => person_id,
                Registered::Encounter { .. } => panic!("named"),
            }
        }
    };
    let id = national_id("001234567");
    let a = register(officer, "علی‌اکبر", "رضایی", "1360", Some(id.clone())).await;
    let b = register(other, "علي اكبر", "رزایی", "1361", None).await;
    let stranger = register(officer, "مریم", "کاظمی", "1360", None).await;

    // Search folds a space, a joiner and nothing alike (point 7): «علی اکبر» and
    // «علیاکبر» find «علی‌اکبر»; «محلهٔ یک» is found as «محلهٔیک».
    let search = Purpose {
        kind: PurposeKind::DuplicateCheck,
        text: None,
    };
    let searcher = PersonReader {
        actor: officer,
        purpose: &search,
        today: today(),
    };
    for q in ["علی اکبر رضایی", "علیاکبر", "علی‌اکبر", "اکبر رضایی"]
    {
        let query = hamafza_store::people::PeopleQuery {
            q: Some(q.into()),
            limit: 10,
            ..Default::default()
        };
        let (found, _) = store.find_people(&searcher, &query).await.expect("search");
        let want = if q == "اکبر رضایی" { 0 } else { 1 };
        assert_eq!(
            found.iter().filter(|c| c.id == a).count(),
            want,
            "«{q}»: {found:?}"
        );
    }
    let filter = hamafza_store::PlaceFilter {
        name: Some("محلهٔیک".into()),
        limit: 10,
        ..Default::default()
    };
    let (places, _) = store
        .list_places(&hamafza_store::testing::every(), &filter)
        .await
        .expect("places");
    assert!(places.iter().any(|p| p.id == n1.id), "{places:?}");

    // Shown to an officer registering him again, with why.
    let purpose = Purpose {
        kind: PurposeKind::DuplicateCheck,
        text: None,
    };
    let reader = PersonReader {
        actor: officer,
        purpose: &purpose,
        today: today(),
    };
    let again = hamafza_core::linkage::PersonFields {
        given_name: "علی اکبر".into(),
        family_name: "رضائی".into(),
        father_name: "حسین".into(),
        birth_year: Some(1361),
        ..Default::default()
    };
    let likely = store
        .likely_matches(&reader, &again)
        .await
        .expect("matches");
    assert!(likely.iter().any(|m| m.person_id == a), "{likely:?}");
    assert!(likely.iter().all(|m| m.person_id != stranger));
    let of_a = likely.iter().find(|m| m.person_id == a).expect("a");
    assert!(
        of_a.fields
            .iter()
            .any(|f| f.field == "birth_year" && f.level == "one_apart")
    );
    assert!(
        of_a.name.is_some(),
        "the officer's own agency's record is named"
    );

    // Only a supervisor runs linkage.
    assert!(matches!(
        store.run_linkage(officer).await,
        Err(StoreError::Forbidden(Refusal::Policy(DenyReason::Role)))
    ));
    let run = store.run_linkage(supervisor).await.expect("run");
    assert_eq!(run.records, 3);
    assert!(run.linked.is_empty(), "no pair is certain: {run:?}");
    let queue = store.match_queue(supervisor, today()).await.expect("queue");
    let pair = queue
        .iter()
        .find(|q| {
            [q.a.person_id, q.b.person_id].contains(&a)
                && [q.a.person_id, q.b.person_id].contains(&b)
        })
        .expect("a and b queued")
        .id;
    assert!(
        queue
            .iter()
            .all(|q| q.a.person_id != stranger && q.b.person_id != stranger)
    );
    // A supervisor of another district does not see it; an officer may not decide it.
    assert!(
        store
            .match_queue(far_supervisor, today())
            .await
            .expect("far")
            .is_empty()
    );
    assert!(matches!(
        store
            .decide_match(officer, pair, MatchDecision::Same, "همان است", today())
            .await,
        Err(StoreError::Forbidden(Refusal::Policy(DenyReason::Role)))
    ));
    assert!(matches!(
        store
            .decide_match(
                far_supervisor,
                pair,
                MatchDecision::Same,
                "همان است",
                today()
            )
            .await,
        Err(StoreError::NotFound)
    ));
    // A reason is required.
    assert!(matches!(
        store
            .decide_match(supervisor, pair, MatchDecision::Same, "  ", today())
            .await,
        Err(StoreError::Invalid {
            field: "reason",
            ..
        })
    ));
    // Side by side, audited as reads of both.
    let sv = Purpose {
        kind: PurposeKind::Supervision,
        text: None,
    };
    let sreader = PersonReader {
        actor: supervisor,
        purpose: &sv,
        today: today(),
    };
    let view = store.match_pair(&sreader, pair).await.expect("pair");
    let family = view
        .fields
        .iter()
        .find(|f| f.field == "family_name")
        .expect("family");
    assert_eq!(
        family.level_fa,
        hamafza_core::linkage::compare::Field::Family.levels()[1].1
    );

    // Cases and a referral on each record before the link.
    let case_a = store
        .open_case(officer, a, &NewCase::default(), today())
        .await
        .expect("case a");
    let referral = NewReferral {
        to: welfare.id,
        category: "begging".into(),
        note: None,
        transfer: false,
        answer_days: None,
        override_reason: None,
    };
    let ref_a = store
        .refer(officer, a, &referral, today())
        .await
        .expect("refer a");
    let before = snapshot(&store).await;

    store
        .decide_match(
            supervisor,
            pair,
            MatchDecision::Same,
            "نام پدر و سال تولد یکی است",
            today(),
        )
        .await
        .expect("same");
    assert!(matches!(
        store
            .decide_match(supervisor, pair, MatchDecision::Different, "نه", today())
            .await,
        Err(StoreError::Conflict {
            field: "pair_decided",
            ..
        })
    ));
    let group = store
        .linked_group(officer, a, today())
        .await
        .expect("group");
    assert_eq!(group.members.len(), 2);
    assert_eq!(group.links.len(), 1);
    // Work goes on under the link: a case on each record.
    let case_b = store
        .open_case(other, b, &NewCase::default(), today())
        .await
        .expect("case b");
    let case_a2 = store
        .open_case(officer, a, &NewCase::default(), today())
        .await
        .expect("case a2");

    // Unlink: only a supervisor, with a reason, once.
    let link = group.links[0].id;
    assert!(matches!(
        store.unlink(officer, link, "اشتباه", today()).await,
        Err(StoreError::Forbidden(Refusal::Policy(DenyReason::Role)))
    ));
    store
        .unlink(supervisor, link, "دو نفرند: پدرها یکی نیستند", today())
        .await
        .expect("unlink");
    assert!(matches!(
        store.unlink(supervisor, link, "دوباره", today()).await,
        Err(StoreError::Conflict {
            field: "link_undone",
            ..
        })
    ));
    let after = snapshot(&store).await;
    // Every record, case and referral is where it was; the two new cases stayed on
    // the record they were opened on.
    let new_cases: Vec<_> = after
        .cases
        .iter()
        .filter(|c| !before.cases.contains(c))
        .cloned()
        .collect();
    assert_eq!(before.persons, after.persons);
    assert_eq!(before.referrals, after.referrals);
    assert!(before.cases.iter().all(|c| after.cases.contains(c)));
    assert_eq!(new_cases.len(), 2);
    assert!(new_cases.contains(&(case_b.to_string(), b.to_string())));
    assert!(new_cases.contains(&(case_a2.to_string(), a.to_string())));
    assert!(after.cases.contains(&(case_a.to_string(), a.to_string())));
    assert!(
        after
            .referrals
            .iter()
            .any(|r| r.0 == ref_a.to_string() && r.1 == a.to_string())
    );
    assert_eq!(
        store
            .linked_group(officer, a, today())
            .await
            .expect("g")
            .members
            .len(),
        1
    );

    // Undone means "two people": a new run does not bring the pair back.
    let run = store.run_linkage(supervisor).await.expect("run again");
    assert_eq!(run.queued, 0, "{run:?}");
    assert!(
        store
            .match_queue(supervisor, today())
            .await
            .expect("queue")
            .iter()
            .all(|q| q.id != pair)
    );

    // A record agreeing on every name, the year and sex, with no id, is linked at once.
    let c = register(other, "علی اکبر", "رضایی", "1360", None).await;
    let run = store.run_linkage(supervisor).await.expect("run three");
    assert!(
        run.linked
            .iter()
            .any(|(x, y, _)| [*x, *y].contains(&a) && [*x, *y].contains(&c)),
        "{run:?}"
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM person_links WHERE unlinked_at IS NULL"
        )
        .await,
        1
    );
    let _ = DataQuality::Full;
    assert!(matches!(
        store.verify_audit().await.expect("verify"),
        AuditVerification::Intact { .. }
    ));
    let actions = count(
        &store,
        "SELECT COUNT(*) FROM audit_log WHERE action IN ('person.link', 'person.unlink', 'match.decide', 'linkage.run')",
    )
    .await;
    assert_eq!(
        actions,
        1 + 1 + 1 + 3 + 1,
        "decide, link (review), unlink, three runs, the automatic link"
    );
}

/// A person's id, names and national id as stored.
type PersonRow = (String, Option<String>, Option<String>, Option<String>);

#[derive(Debug, PartialEq)]
struct Snapshot {
    persons: Vec<PersonRow>,
    cases: Vec<(String, String)>,
    referrals: Vec<(String, String, String, String)>,
}

async fn snapshot(store: &Store) -> Snapshot {
    let pool = store.pool_for_tests();
    Snapshot {
        persons: sqlx::query_as(
            "SELECT id, given_name, family_name, national_id FROM persons ORDER BY id",
        )
        .fetch_all(pool)
        .await
        .expect("persons"),
        cases: sqlx::query_as("SELECT id, person_id FROM cases ORDER BY id")
            .fetch_all(pool)
            .await
            .expect("cases"),
        referrals: sqlx::query_as(
            "SELECT id, person_id, from_agency, to_agency FROM referrals ORDER BY id",
        )
        .fetch_all(pool)
        .await
        .expect("referrals"),
    }
}
