//! The registry of vulnerable people (issue 12): registration with consent, reads
//! decided by the access policy and audited with their purpose, bad input refused
//! with nothing changed.

use hamafza_core::access::{Actor, DenyReason, Role};
use hamafza_core::agency::AgencyKind;
use hamafza_core::ids::PlaceId;
use hamafza_core::jalali::JalaliDate;
use hamafza_core::national_id::NationalIdError;
use hamafza_core::people::{BirthError, Consent, DataQuality, Nationality, Purpose, Sex};
use hamafza_core::place::PlaceLevel;
use hamafza_store::people::{
    BirthIn, CaseLoadQuery, Field, FirstContact, Guardian, NewEncounter, NewPerson, PeopleQuery,
    PersonReader, Registered,
};
use hamafza_store::testing::place;
use hamafza_store::{AuditVerification, NewAgency, NewUser, Refusal, Rule, Store, StoreError, Who};

on_both_engines!(
    registration_keeps_what_consent_allows_and_every_read_is_audited,
    a_common_name_is_searched_as_well_as_a_rare_one,
);

/// 11 Azar 1405.
pub(crate) fn today() -> JalaliDate {
    JalaliDate::new(1405, 9, 11).expect("day")
}

/// A valid national id (check digit computed as the registry checks it).
pub(crate) fn national_id(first_nine: &str) -> String {
    let d: Vec<u32> = first_nine.bytes().map(|b| u32::from(b - b'0')).collect();
    let s: u32 = (0..9).map(|i| d[i] * (10 - i as u32)).sum();
    let r = s % 11;
    format!("{first_nine}{}", if r < 2 { r } else { 11 - r })
}

pub(crate) fn person(given: &str, family: &str, birth: BirthIn) -> NewPerson {
    NewPerson {
        given_name: Field::full(given.into()),
        family_name: Field::full(family.into()),
        father_name: Field::missing(DataQuality::DoesNotKnow),
        sex: Field::full(Sex::Male),
        birth: Field::full(birth),
        nationality: Field::full(Nationality::Iranian),
        identifier: Field::missing(DataQuality::NotCollected),
        mobile: Field::missing(DataQuality::NotCollected),
        lives_place: None,
        categories: vec!["begging".into()],
        languages: vec!["فارسی".into()],
        guardian: None,
    }
}

pub(crate) fn contact(person: NewPerson, consent: Consent, at: PlaceId) -> FirstContact {
    FirstContact {
        person,
        consent,
        met_place: at,
        occurred_at: time::macros::datetime!(2026-11-30 09:00 UTC),
        note: Some("کنار ایستگاه مترو".into()),
    }
}

async fn count(store: &Store, table: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(store.pool_for_tests())
        .await
        .expect("count")
}

async fn registration_keeps_what_consent_allows_and_every_read_is_audited(store: Store) {
    let who = Who::system();
    let city = place("R-CITY", "شهر", PlaceLevel::City, None);
    let d1 = place("R-D1", "منطقهٔ ۱", PlaceLevel::District, Some(&city));
    let n1 = place("R-N1", "محلهٔ یک", PlaceLevel::Neighbourhood, Some(&d1));
    let d2 = place("R-D2", "منطقهٔ ۲", PlaceLevel::District, Some(&city));
    store
        .insert_places(
            &who,
            &[city.clone(), d1.clone(), n1.clone(), d2.clone()],
            &|_| {},
        )
        .await
        .expect("places");
    let agency = |code: &str, name: &str, kind| {
        let store = store.clone();
        let new = NewAgency {
            code: code.into(),
            name_fa: name.into(),
            kind,
            place_id: None,
        };
        async move {
            store
                .create_agency(&Who::system(), &new)
                .await
                .expect("agency")
        }
    };
    let city_hall = agency("r-muni", "شهرداری", AgencyKind::Municipality).await;
    let welfare = agency("r-welfare", "بهزیستی", AgencyKind::Welfare).await;
    let police = agency("r-police", "انتظامی", AgencyKind::Police).await;
    let user = |name: &str, agency: hamafza_core::ids::AgencyId, roles: Vec<Role>, at: PlaceId| {
        let store = store.clone();
        let new = NewUser {
            username: name.into(),
            display_name: format!("کاربر {name}"),
            agency_id: agency,
            roles,
            jurisdiction: vec![at],
            password_hash: "x".into(),
        };
        async move {
            store
                .create_user(&Who::system(), &new)
                .await
                .expect("user")
                .actor()
        }
    };
    let officer = user("r-officer", city_hall.id, vec![Role::AgencyOfficer], d1.id).await;
    let other = user("r-welfare", welfare.id, vec![Role::AgencyOfficer], d1.id).await;
    let elsewhere = user("r-far", welfare.id, vec![Role::AgencyOfficer], d2.id).await;
    let analyst = user("r-analyst", welfare.id, vec![Role::Analyst], d1.id).await;
    let protector = user("r-child", welfare.id, vec![Role::ChildProtection], d1.id).await;
    let admin = user("r-admin", city_hall.id, vec![Role::SystemAdmin], city.id).await;
    let purpose = Purpose::parse("case_work", None).expect("purpose");
    let reader = |actor: &'static Actor| PersonReader {
        actor,
        purpose: Box::leak(Box::new(purpose.clone())),
        today: today(),
    };
    let leak = |a: Actor| -> &'static Actor { Box::leak(Box::new(a)) };
    let (officer, other, elsewhere, analyst, protector, admin) = (
        leak(officer),
        leak(other),
        leak(elsewhere),
        leak(analyst),
        leak(protector),
        leak(admin),
    );

    // ── Registration ──
    // Consent to share; a national id typed in Persian digits, Arabic yeh in the name.
    let id_text = national_id("001234567");
    let persian_id: String = id_text
        .chars()
        .map(|c| char::from_u32('۰' as u32 + c.to_digit(10).expect("digit")).expect("digit"))
        .collect();
    let mut shared = person("علي", "رضایی", BirthIn::Date("۱۳۶۵/۰۴/۰۲".into()));
    shared.identifier = Field::full(persian_id);
    shared.mobile = Field::full("۰۹۱۲ ۳۴۵ ۶۷۸۹".into());
    let Registered::Person {
        person_id: shared_id,
        ..
    } = store
        .register(officer, &contact(shared, Consent::Sharing, n1.id), today())
        .await
        .expect("shared")
    else {
        panic!("a named record")
    };
    // Consent for service only.
    let Registered::Person {
        person_id: service_id,
        ..
    } = store
        .register(
            officer,
            &contact(
                person("حسن", "کاظمی", BirthIn::About("40".into())),
                Consent::Service,
                n1.id,
            ),
            today(),
        )
        .await
        .expect("service")
    else {
        panic!("a named record")
    };
    // A child: born in 1395.
    let mut child = person("سارا", "احمدی", BirthIn::Year("1395".into()));
    child.sex = Field::full(Sex::Female);
    child.categories = vec!["street_child".into()];
    // A guardian's consent names the guardian, or is refused.
    let persons_before_child = count(&store, "persons").await;
    assert!(matches!(
        store
            .register(
                officer,
                &contact(child.clone(), Consent::Guardian, n1.id),
                today()
            )
            .await,
        Err(StoreError::Invalid {
            field: "guardian_name",
            ..
        })
    ));
    assert_eq!(count(&store, "persons").await, persons_before_child);
    child.guardian = Some(Guardian {
        name: "مریم احمدی".into(),
        relation: Some("مادر".into()),
        mobile: Some("۰۹۳۵ ۱۱۱ ۲۲۳۳".into()),
    });
    let Registered::Person {
        person_id: child_id,
        ..
    } = store
        .register(officer, &contact(child, Consent::Guardian, n1.id), today())
        .await
        .expect("child")
    else {
        panic!("a named record")
    };
    // No consent: only an encounter, no name kept; unable: and a reminder.
    let persons_before = count(&store, "persons").await;
    let refused = store
        .register(
            officer,
            &contact(
                person("نام", "نگفت", BirthIn::About("30".into())),
                Consent::Refused,
                n1.id,
            ),
            today(),
        )
        .await
        .expect("refused");
    assert!(matches!(
        refused,
        Registered::Encounter {
            ask_again: false,
            ..
        }
    ));
    let unable = store
        .register(
            officer,
            &contact(
                person("نام", "نگفت", BirthIn::About("30".into())),
                Consent::Unable,
                n1.id,
            ),
            today(),
        )
        .await
        .expect("unable");
    assert!(matches!(
        unable,
        Registered::Encounter {
            ask_again: true,
            ..
        }
    ));
    assert_eq!(
        count(&store, "persons").await,
        persons_before,
        "no name kept"
    );
    assert_eq!(count(&store, "consent_followups").await, 1);
    let kept_names: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM encounters WHERE person_id IS NULL AND (note IS NOT NULL OR age_band <> '25-34' OR sex <> 'male')",
    )
    .fetch_one(store.pool_for_tests())
    .await
    .expect("q");
    assert_eq!(
        kept_names, 0,
        "the counting encounter keeps sex and age band, no note"
    );

    // ── Bad input: a clear rule, nothing changed ──
    let (persons, encounters, audit) = (
        count(&store, "persons").await,
        count(&store, "encounters").await,
        count(&store, "audit_log").await,
    );
    let bad = |change: &dyn Fn(&mut NewPerson)| {
        let mut p = person("رضا", "موسوی", BirthIn::About("25".into()));
        change(&mut p);
        contact(p, Consent::Sharing, n1.id)
    };
    let refusal = |c: FirstContact, actor: &'static Actor| {
        let store = store.clone();
        async move {
            store
                .register(actor, &c, today())
                .await
                .expect_err("refused")
        }
    };
    // The registered id with its last digit changed: a wrong check digit.
    let mut wrong = id_text.clone();
    let last = wrong.pop().and_then(|c| c.to_digit(10)).expect("digit");
    wrong.push(char::from_digit((last + 1) % 10, 10).expect("digit"));
    let e = refusal(bad(&|p| p.identifier = Field::full(wrong.clone())), officer).await;
    assert!(
        matches!(
            e,
            StoreError::Invalid {
                field: "national_id",
                rule: Rule::NationalId(NationalIdError::BadCheckDigit)
            }
        ),
        "{e:?}"
    );
    let e = refusal(
        bad(&|p| p.birth = Field::full(BirthIn::Date("1405/09/12".into()))),
        officer,
    )
    .await;
    assert!(
        matches!(
            e,
            StoreError::Invalid {
                field: "birth",
                rule: Rule::Birth(BirthError::Future)
            }
        ),
        "{e:?}"
    );
    let e = refusal(
        bad(&|p| p.birth = Field::full(BirthIn::Date("1404/12/30".into()))),
        officer,
    )
    .await;
    assert!(
        matches!(
            e,
            StoreError::Invalid {
                field: "birth",
                rule: Rule::Birth(BirthError::Date(_))
            }
        ),
        "{e:?}"
    );
    let e = refusal(
        bad(&|p| p.categories = vec!["begging".into(), "juggling".into()]),
        officer,
    )
    .await;
    assert!(
        matches!(&e, StoreError::Invalid { field: "categories", rule: Rule::Item { position: 2, rule } } if **rule == Rule::Unknown("juggling".into())),
        "{e:?}"
    );
    let e = refusal(
        bad(&|p| {
            p.mobile = Field {
                value: Some("09123456789".into()),
                quality: DataQuality::Refused,
            }
        }),
        officer,
    )
    .await;
    assert!(
        matches!(
            e,
            StoreError::Invalid {
                field: "mobile",
                rule: Rule::ValueWithUnknown(DataQuality::Refused)
            }
        ),
        "{e:?}"
    );
    for injected in ["<script>alert(1)</script>", "' OR 1=1 --"] {
        let e = refusal(
            bad(&|p| p.given_name = Field::full(injected.into())),
            officer,
        )
        .await;
        assert!(
            matches!(
                e,
                StoreError::Invalid {
                    field: "given_name",
                    rule: Rule::Malformed(_)
                }
            ),
            "{e:?}"
        );
    }
    let e = refusal(bad(&|p| p.mobile = Field::full("12345".into())), officer).await;
    assert!(
        matches!(
            e,
            StoreError::Invalid {
                field: "mobile",
                ..
            }
        ),
        "{e:?}"
    );
    let e = refusal(
        bad(&|p| p.identifier = Field::full(id_text.clone())),
        officer,
    )
    .await;
    assert!(
        matches!(
            e,
            StoreError::Conflict {
                field: "national_id",
                ..
            }
        ),
        "{e:?}"
    );
    let mut outside = bad(&|_| {});
    outside.met_place = d2.id;
    let e = refusal(outside, officer).await;
    assert!(
        matches!(
            e,
            StoreError::Forbidden(Refusal::Policy(DenyReason::Jurisdiction))
        ),
        "{e:?}"
    );
    assert_eq!(
        (
            count(&store, "persons").await,
            count(&store, "encounters").await,
            count(&store, "audit_log").await
        ),
        (persons, encounters, audit),
        "nothing changed"
    );

    // ── Reads ──
    let p = store
        .read_person(&reader(officer), shared_id)
        .await
        .expect("own");
    assert_eq!(p.display_name(), "علي رضایی");
    assert_eq!(
        p.national_id.as_deref(),
        Some(id_text.as_str()),
        "stored as ASCII"
    );
    assert_eq!(p.mobile.value.as_deref(), Some("+989123456789"));
    assert_eq!(p.father_name.quality, DataQuality::DoesNotKnow);
    assert_eq!(p.consents.len(), 1);
    assert_eq!(p.encounters.len(), 1);
    // Another agency in the area reads the shared record...
    store
        .read_person(&reader(other), shared_id)
        .await
        .expect("shared");
    // ...but only locates the service-only one, learning whom to call.
    assert!(matches!(
        store.read_person(&reader(other), service_id).await,
        Err(StoreError::Forbidden(Refusal::Policy(DenyReason::Agency)))
    ));
    let stub = store
        .locate_person(other, service_id, today())
        .await
        .expect("stub");
    assert_eq!(stub.agency.name_fa, "شهرداری");
    assert_eq!(stub.registered_by.as_deref(), Some("کاربر r-officer"));
    // Outside the jurisdiction: not found. An analyst: refused.
    assert!(matches!(
        store.read_person(&reader(elsewhere), shared_id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.locate_person(elsewhere, shared_id, today()).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.read_person(&reader(analyst), shared_id).await,
        Err(StoreError::Forbidden(Refusal::Policy(DenyReason::Role)))
    ));
    // A child: child protection only; to everyone else (the registering officer too,
    // and the system administrator) not found.
    assert!(matches!(
        store.read_person(&reader(officer), child_id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.read_person(&reader(admin), child_id).await,
        Err(StoreError::NotFound)
    ));
    let c = store
        .read_person(&reader(protector), child_id)
        .await
        .expect("protector");
    assert!(c.child);
    // An agency designated for child protection reads it too.
    store
        .set_agency_protects_children(&Who::system(), welfare.id, true)
        .await
        .expect("designate");
    store
        .read_person(&reader(other), child_id)
        .await
        .expect("designated");
    store
        .set_agency_protects_children(&Who::system(), welfare.id, false)
        .await
        .expect("undesignate");

    // ── Lists: Persian-aware, rows without a name where the reader may not read ──
    let query = |q: &str| PeopleQuery {
        q: Some(q.into()),
        limit: 50,
        ..Default::default()
    };
    let (found, total) = store
        .find_people(&reader(officer), &query("علی"))
        .await
        .expect("find");
    assert_eq!(total, 1, "«علی» finds «علي»");
    assert_eq!(found[0].name.as_deref(), Some("علي رضایی"));
    let (found, _) = store
        .find_people(&reader(officer), &query(&id_text))
        .await
        .expect("by id");
    assert_eq!(found.len(), 1);
    let (found, _) = store
        .find_people(&reader(officer), &query("09123456789"))
        .await
        .expect("by mobile");
    assert_eq!(found.len(), 1);
    let (all, total) = store
        .find_people(
            &reader(other),
            &PeopleQuery {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .expect("all");
    assert_eq!(total, 3);
    let by_id = |id| all.iter().find(|c| c.id == id).expect("row");
    assert!(by_id(shared_id).name.is_some());
    assert_eq!(by_id(service_id).name, None, "not shared: exists, no name");
    assert_eq!(by_id(child_id).name, None, "a child: no name");
    assert!(by_id(child_id).child);
    let (none, total) = store
        .find_people(
            &reader(elsewhere),
            &PeopleQuery {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .expect("elsewhere");
    assert!(none.is_empty() && total == 0);
    let e = store
        .find_people(&reader(officer), &query(&"ب".repeat(201)))
        .await;
    assert!(matches!(e, Err(StoreError::Invalid { field: "q", .. })));

    // ── The access report: who read, when, why ──
    let report = store
        .person_access_report(&reader(admin), shared_id)
        .await
        .expect("report");
    let readers: Vec<(&str, Option<&str>)> = report
        .iter()
        .map(|r| (r.action.as_str(), r.user.as_deref()))
        .collect();
    assert_eq!(
        readers,
        vec![
            ("person.read", Some("کاربر r-officer")),
            ("person.read", Some("کاربر r-welfare")),
            ("persons.list", Some("کاربر r-officer")),
            ("persons.list", Some("کاربر r-officer")),
            ("persons.list", Some("کاربر r-officer")),
            ("persons.list", Some("کاربر r-welfare")),
            ("person.access_report", Some("کاربر r-admin")),
        ]
    );
    assert!(report.iter().all(|r| r.purpose.as_ref() == Some(&purpose)));
    assert!(matches!(
        store
            .person_access_report(&reader(officer), shared_id)
            .await,
        Err(StoreError::Forbidden(_))
    ));
    // No name in the audit log; the chain is whole.
    let names: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE summary LIKE '%رضایی%' OR summary LIKE '%علي%'",
    )
    .fetch_one(store.pool_for_tests())
    .await
    .expect("q");
    assert_eq!(names, 0);
    assert!(matches!(
        store.verify_audit().await.expect("verify"),
        AuditVerification::Intact { .. }
    ));

    // ── Consent changes: dated, kept; by the holders only; a withdrawal unnames ──
    let at = time::macros::datetime!(2026-12-01 10:00 UTC);
    store
        .record_consent(
            officer,
            shared_id,
            Consent::Service,
            Some("فقط خدمت"),
            at,
            today(),
        )
        .await
        .expect("narrowed");
    assert!(
        matches!(
            store.read_person(&reader(other), shared_id).await,
            Err(StoreError::Forbidden(Refusal::Policy(DenyReason::Agency)))
        ),
        "no longer shared"
    );
    assert!(
        matches!(
            store
                .record_consent(other, service_id, Consent::Sharing, None, at, today())
                .await,
            Err(StoreError::Forbidden(Refusal::Policy(DenyReason::Agency)))
        ),
        "only the holders change consent"
    );
    store
        .record_consent(officer, shared_id, Consent::Refused, None, at, today())
        .await
        .expect("withdrawn");
    let gone = store
        .read_person(&reader(officer), shared_id)
        .await
        .expect("unnamed");
    assert_eq!(
        (
            gone.given_name.value.clone(),
            gone.national_id.clone(),
            gone.mobile.value.clone()
        ),
        (None, None, None)
    );
    assert_eq!(gone.given_name.quality, DataQuality::Refused);
    assert_eq!(gone.consents.len(), 3, "the history is kept");
    assert!(
        gone.encounters.iter().all(|e| e.note.is_none()),
        "notes dropped"
    );
    let (found, _) = store
        .find_people(&reader(officer), &query("علی"))
        .await
        .expect("find");
    assert!(found.is_empty(), "no longer found by name");
    let (found, _) = store
        .find_people(&reader(officer), &query(&id_text))
        .await
        .expect("find");
    assert!(found.is_empty(), "nor by national id");

    // ── Categories: an administrator adds one; registration takes it ──
    store
        .save_person_category(&Who::system(), "waste_picker_child", "کودک زباله‌گرد")
        .await
        .expect("category");
    let e = store
        .save_person_category(&Who::system(), "Bad Code", "x")
        .await;
    assert!(matches!(e, Err(StoreError::Invalid { field: "code", .. })));
    let mut p = person("یاسر", "نظری", BirthIn::About("30".into()));
    p.categories = vec!["waste_picker_child".into()];
    let Registered::Person {
        person_id: yaser, ..
    } = store
        .register(officer, &contact(p, Consent::Sharing, n1.id), today())
        .await
        .expect("new category")
    else {
        panic!("a named record")
    };

    // ── Cases: opened by agencies that may read the person, worked by their own ──
    // (the welfare agency holds records now, so its far officer reads them: a police
    // officer of district 2 is the stranger)
    let stranger = user("r-stranger", police.id, vec![Role::AgencyOfficer], d2.id).await;
    use hamafza_core::people::ClosureReason;
    use hamafza_store::people::{CaseWork, NewCase};
    let assessment = |pairs: &[(&str, &str)]| NewCase {
        assessment: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        plan: Some("پذیرش در گرمخانه".into()),
        ..Default::default()
    };
    let own_case = store
        .open_case(
            officer,
            yaser,
            &assessment(&[("shelter", "ندارد")]),
            today(),
        )
        .await
        .expect("own case");
    let welfare_case = store
        .open_case(other, yaser, &assessment(&[("health", "دارد")]), today())
        .await
        .expect("shared: another agency opens a case");
    assert!(matches!(
        store
            .open_case(&stranger, yaser, &NewCase::default(), today())
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .open_case(analyst, yaser, &NewCase::default(), today())
            .await,
        Err(StoreError::Forbidden(Refusal::Policy(DenyReason::Role)))
    ));
    assert!(matches!(
        store
            .open_case(
                officer,
                yaser,
                &assessment(&[("favourite_colour", "آبی")]),
                today()
            )
            .await,
        Err(StoreError::Invalid {
            field: "assessment",
            ..
        })
    ));
    let service = CaseWork::Service {
        service: "معرفی به گرمخانه".into(),
        provider: Some(city_hall.id),
        given_on: today(),
        outcome: Some("پذیرفته شد".into()),
    };
    assert!(
        matches!(
            store
                .work_case(officer, welfare_case, &service, today())
                .await,
            Err(StoreError::Forbidden(Refusal::Policy(DenyReason::Agency)))
        ),
        "another agency's case"
    );
    store
        .work_case(other, welfare_case, &service, today())
        .await
        .expect("service");
    store
        .work_case(
            other,
            welfare_case,
            &CaseWork::Note {
                body: "تماس تلفنی".into(),
            },
            today(),
        )
        .await
        .expect("note");
    store
        .work_case(
            other,
            welfare_case,
            &CaseWork::Close {
                reason: ClosureReason::LostContact,
                note: None,
            },
            today(),
        )
        .await
        .expect("close");
    assert!(
        matches!(
            store
                .work_case(other, welfare_case, &service, today())
                .await,
            Err(StoreError::Invalid {
                rule: Rule::NotExpected,
                ..
            })
        ),
        "no service on a closed case"
    );
    store
        .work_case(
            other,
            welfare_case,
            &CaseWork::Reopen {
                note: Some("دوباره دیده شد".into()),
            },
            today(),
        )
        .await
        .expect("reopen");
    let case = store
        .read_case(&reader(officer), welfare_case)
        .await
        .expect("read as the person");
    let kinds: Vec<&str> = case.entries.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["service", "note", "closed", "reopened"]);
    assert_eq!(case.entries[0].provider.as_deref(), Some("شهرداری"));
    assert_eq!(
        case.assessment,
        vec![("نیاز فوری درمانی دارد؟".to_string(), "دارد".to_string())]
    );
    assert!(case.closed_at.is_none(), "reopened");
    let stranger_ref: &'static Actor = Box::leak(Box::new(stranger.clone()));
    assert!(matches!(
        store.read_case(&reader(stranger_ref), own_case).await,
        Err(StoreError::NotFound)
    ));
    let p = store
        .read_person(&reader(other), yaser)
        .await
        .expect("person");
    assert_eq!(p.cases.len(), 2, "the timeline shows both agencies' cases");
    let report = store
        .person_access_report(&reader(admin), yaser)
        .await
        .expect("report");
    assert!(
        report.iter().any(|r| r.action == "case.read"),
        "a case read is a read of the person"
    );

    // ── Referrals: consent-gated, to an agency that takes the category, moved by the
    // side whose move it is ──
    use hamafza_core::people::{ReferralMove, ReferralMoveError, ReferralState};
    use hamafza_store::people::NewReferral;
    let Registered::Person {
        person_id: reza, ..
    } = store
        .register(
            officer,
            &contact(
                person("رضا", "سلطانی", BirthIn::About("33".into())),
                Consent::Sharing,
                n1.id,
            ),
            today(),
        )
        .await
        .expect("reza")
    else {
        panic!("named")
    };
    let referral = |to, category: &str| NewReferral {
        to,
        category: category.into(),
        note: Some("نیاز به گرمخانه".into()),
        transfer: false,
        answer_days: None,
        override_reason: None,
    };
    let r1 = store
        .refer(officer, reza, &referral(welfare.id, "begging"), today())
        .await
        .expect("refer");
    assert!(
        matches!(
            store
                .move_referral(officer, r1, ReferralMove::Accept, None)
                .await,
            Err(StoreError::Invalid {
                rule: Rule::Referral(ReferralMoveError::OtherSide),
                ..
            })
        ),
        "the receiving agency answers"
    );
    assert!(
        matches!(
            store
                .move_referral(other, r1, ReferralMove::Decline, None)
                .await,
            Err(StoreError::Invalid {
                rule: Rule::Referral(ReferralMoveError::NeedsWords),
                ..
            })
        ),
        "a decline needs its reason"
    );
    assert!(matches!(
        store
            .move_referral(&stranger, r1, ReferralMove::Accept, None)
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .move_referral(other, r1, ReferralMove::Accept, None)
            .await
            .expect("accept"),
        ReferralState::Accepted
    );
    assert!(matches!(
        store
            .move_referral(officer, r1, ReferralMove::Withdraw, None)
            .await,
        Err(StoreError::Invalid {
            rule: Rule::Referral(ReferralMoveError::NotFrom(ReferralState::Accepted)),
            ..
        })
    ));
    store
        .move_referral(
            other,
            r1,
            ReferralMove::GiveService,
            Some("پذیرش در گرمخانه"),
        )
        .await
        .expect("served");
    assert_eq!(
        store
            .move_referral(other, r1, ReferralMove::Close, Some("اسکان شد"))
            .await
            .expect("closed"),
        ReferralState::Closed
    );
    let listed = store
        .referrals_of_agency(other, today())
        .await
        .expect("inbox");
    assert!(
        listed
            .iter()
            .any(|r| r.id == r1 && r.incoming && r.state == ReferralState::Closed)
    );
    assert!(
        store
            .referrals_of_agency(officer, today())
            .await
            .expect("sent")
            .iter()
            .any(|r| r.id == r1 && !r.incoming)
    );
    assert!(
        store
            .referrals_of_agency(&stranger, today())
            .await
            .expect("none")
            .is_empty()
    );
    // Without consent to share: refused, unless with the override permission and a reason.
    let service_only = store
        .register(
            officer,
            &contact(
                person("کریم", "قاسمی", BirthIn::About("50".into())),
                Consent::Service,
                n1.id,
            ),
            today(),
        )
        .await
        .expect("service only");
    let Registered::Person {
        person_id: karim, ..
    } = service_only
    else {
        panic!("named")
    };
    assert!(matches!(
        store
            .refer(officer, karim, &referral(welfare.id, "begging"), today())
            .await,
        Err(StoreError::Forbidden(Refusal::NoConsentToShare))
    ));
    let overrider = user(
        "r-override",
        city_hall.id,
        vec![Role::AgencyOfficer, Role::ConsentOverride],
        d1.id,
    )
    .await;
    let overrider: &'static Actor = Box::leak(Box::new(overrider));
    assert!(matches!(
        store
            .refer(overrider, karim, &referral(welfare.id, "begging"), today())
            .await,
        Err(StoreError::Invalid {
            field: "override_reason",
            rule: Rule::Required
        })
    ));
    let mut with_reason = referral(welfare.id, "begging");
    with_reason.override_reason = Some("خطر جانی فوری".into());
    store
        .refer(overrider, karim, &with_reason, today())
        .await
        .expect("override");
    let overrides: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'referral.propose_without_consent'",
    )
    .fetch_one(store.pool_for_tests())
    .await
    .expect("q");
    assert_eq!(overrides, 1, "the override is audited apart");
    // An agency that does not take the category.
    store
        .set_agency_referral_categories(&Who::system(), welfare.id, &["homeless".to_string()])
        .await
        .expect("takes");
    assert!(matches!(
        store
            .refer(officer, reza, &referral(welfare.id, "begging"), today())
            .await,
        Err(StoreError::Invalid {
            field: "to",
            rule: Rule::DoesNotTake(_)
        })
    ));
    assert!(matches!(
        store.verify_audit().await.expect("verify"),
        AuditVerification::Intact { .. }
    ));

    // ── An unanswered referral escalates in the resolutions' three steps, once each ──
    let mut quick = referral(welfare.id, "homeless");
    quick.answer_days = Some(1);
    store
        .refer(officer, reza, &quick, today())
        .await
        .expect("quick");
    let policy = hamafza_core::resolutions::EscalationPolicy::default();
    let day = |n: i64| today().to_gregorian() + time::Duration::days(n);
    assert_eq!(
        store
            .run_referral_escalations(&policy, day(1))
            .await
            .expect("run"),
        0,
        "not late yet"
    );
    // Welfare's two field officers get the reminder; the same day again sends nothing.
    assert_eq!(
        store
            .run_referral_escalations(&policy, day(2))
            .await
            .expect("run"),
        2
    );
    assert_eq!(
        store
            .run_referral_escalations(&policy, day(2))
            .await
            .expect("run"),
        0
    );
    let inbox = store
        .inbox(hamafza_core::ids::UserId::from(other.user_id), 50)
        .await
        .expect("inbox");
    assert!(
        inbox
            .iter()
            .any(|n| n.kind == "referral_reminder" && n.body.contains("homeless")),
        "{inbox:?}"
    );
    assert!(
        inbox.iter().all(|n| !n.body.contains("رضا")),
        "no name in a notice"
    );
    // Four weeks on: for this referral the head's notice (welfare has no head here) and
    // word to the referring agency's two officers; the override referral (due in a
    // week) is late too and gets all three steps: 2 + 0 + 2. Six notices in all.
    assert_eq!(
        store
            .run_referral_escalations(&policy, day(30))
            .await
            .expect("run"),
        6
    );
    assert!(matches!(
        store.verify_audit().await.expect("verify"),
        AuditVerification::Intact { .. }
    ));

    met_again_counted_case_load_and_children(
        &store,
        (officer, other, elsewhere, analyst, protector),
        (service_id, child_id),
        (&n1, &d1, &d2),
        city_hall.id,
    )
    .await;

    // ── Retention: people with no open case and no recent encounter are unnamed, a
    // legal hold is kept; every run is audited ──
    store
        .set_legal_hold(&Who::system(), service_id, true, "دستور دادگاه")
        .await
        .expect("hold");
    let far_future = time::macros::date!(2030 - 01 - 01);
    let run = store.run_retention(far_future).await.expect("retention");
    // Due: the child, Reza, Karim and Karim Naderi (Ali was unnamed on withdrawal;
    // Yaser has open cases); Hasan is on hold.
    assert_eq!((run.pseudonymised, run.on_hold), (4, 1), "{run:?}");
    let again = store.run_retention(far_future).await.expect("again");
    assert_eq!((again.pseudonymised, again.on_hold), (0, 1));
    let child = store
        .read_person(&reader(protector), child_id)
        .await
        .expect("child");
    assert_eq!(child.given_name.value, None);
    assert!(child.child, "still counted as a child");
    let kept = store
        .read_person(&reader(officer), service_id)
        .await
        .expect("held");
    assert!(kept.given_name.value.is_some(), "on hold: kept");
    let runs: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'retention.run'")
            .fetch_one(store.pool_for_tests())
            .await
            .expect("q");
    assert_eq!(runs, 2);
    assert!(matches!(
        store.verify_audit().await.expect("verify"),
        AuditVerification::Intact { .. }
    ));
}

/// A later contact joins the timeline and the atlas's live counts (contacts, new and
/// returning people, for the place and its ancestors); a case load lists the agency's
/// cases only; the children's view lists children only.
async fn met_again_counted_case_load_and_children(
    store: &Store,
    (officer, other, elsewhere, analyst, protector): (&Actor, &Actor, &Actor, &Actor, &Actor),
    (service_id, child_id): (hamafza_core::ids::PersonId, hamafza_core::ids::PersonId),
    (n1, d1, d2): (
        &hamafza_store::NewPlace,
        &hamafza_store::NewPlace,
        &hamafza_store::NewPlace,
    ),
    city_hall: hamafza_core::ids::AgencyId,
) {
    use hamafza_core::indicator::{Denominator, Numerator, Publication, Worse};
    use hamafza_core::jalali::Period;
    let purpose = Purpose::parse("case_work", None).expect("purpose");
    let reader = |actor| PersonReader {
        actor,
        purpose: &purpose,
        today: today(),
    };
    let mut indicators = Vec::new();
    for (code, numerator) in [
        ("contacts", Numerator::Encounters),
        ("new_people", Numerator::NewPeople),
        ("returning", Numerator::ReturningPeople),
    ] {
        indicators.push(
            store
                .save_indicator(
                    &Who::system(),
                    &hamafza_store::NewIndicator {
                        code: code.into(),
                        name_fa: "دیدارها".into(),
                        name_en: "Contacts".into(),
                        theme: "آسیب‌های اجتماعی".into(),
                        unit_fa: "نفر".into(),
                        worse: Worse::Higher,
                        numerator,
                        categories: vec!["begging".into(), "street_child".into()],
                        numerator_fa: "دیدارها".into(),
                        numerator_is_count: true,
                        denominator: Denominator::None,
                        rate_base: 1.0,
                        source_agency_id: None,
                        publication: Publication::Restricted,
                        note_fa: None,
                    },
                )
                .await
                .expect("registry indicator"),
        );
    }
    // An event category is not a person category: refused for these numerators.
    let mut bad = hamafza_store::NewIndicator {
        code: "bad".into(),
        categories: vec!["seal_breaking".into()],
        ..indicator_like(Numerator::NewPeople)
    };
    assert!(matches!(
        store.save_indicator(&Who::system(), &bad).await,
        Err(StoreError::Invalid {
            field: "categories",
            ..
        })
    ));
    bad.categories.clear();
    assert!(store.save_indicator(&Who::system(), &bad).await.is_err());
    let places = vec![n1.id.to_string(), d1.id.to_string(), d2.id.to_string()];
    let month = Period::Month(1405, 9);
    let counts = || async {
        let mut out = Vec::new();
        for i in &indicators {
            let n = store
                .numerators(i, &places, month)
                .await
                .expect("numerators");
            out.push(places.iter().map(|p| n[p] as i64).collect::<Vec<_>>());
        }
        out
    };
    let before = counts().await;
    // The live count agrees with the encounters themselves.
    let d1_path: String = sqlx::query_scalar("SELECT path FROM places WHERE id = $1")
        .bind(d1.id)
        .fetch_one(store.pool_for_tests())
        .await
        .expect("path");
    let in_d1: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM encounters WHERE place_path LIKE $1 AND month = '1405-09' AND category IN ('begging', 'street_child')",
    )
    .bind(format!("{d1_path}%"))
    .fetch_one(store.pool_for_tests())
    .await
    .expect("count");
    assert_eq!(
        before[0][1], in_d1,
        "contacts in district 1 = its encounters"
    );

    let now = time::macros::datetime!(2026-12-02 10:00 UTC);
    let again = NewEncounter {
        category: "begging".into(),
        place: n1.id,
        occurred_at: time::macros::datetime!(2026-11-30 15:00 UTC),
        note: Some("دوباره کنار مترو".into()),
    };
    let encounters_before = count(store, "encounters").await;
    // Refused, nothing written: in the future, an unknown category, another agency's
    // record without consent to share, a record out of reach, an analyst.
    let future = NewEncounter {
        occurred_at: time::macros::datetime!(2026-12-03 10:00 UTC),
        ..again.clone()
    };
    assert!(matches!(
        store
            .record_encounter(officer, service_id, &future, today(), now)
            .await,
        Err(StoreError::Invalid {
            field: "occurred_at",
            ..
        })
    ));
    let juggling = NewEncounter {
        category: "juggling".into(),
        ..again.clone()
    };
    assert!(matches!(
        store
            .record_encounter(officer, service_id, &juggling, today(), now)
            .await,
        Err(StoreError::Invalid {
            field: "category",
            ..
        })
    ));
    assert!(matches!(
        store
            .record_encounter(other, service_id, &again, today(), now)
            .await,
        Err(StoreError::Forbidden(Refusal::Policy(DenyReason::Agency)))
    ));
    assert!(matches!(
        store
            .record_encounter(elsewhere, service_id, &again, today(), now)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .record_encounter(analyst, service_id, &again, today(), now)
            .await,
        Err(StoreError::Forbidden(_))
    ));
    assert!(matches!(
        store
            .record_encounter(officer, child_id, &again, today(), now)
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(count(store, "encounters").await, encounters_before);
    let before_read = store
        .read_person(&reader(officer), service_id)
        .await
        .expect("read")
        .encounters
        .len();
    store
        .record_encounter(officer, service_id, &again, today(), now)
        .await
        .expect("met again");
    let met = store
        .read_person(&reader(officer), service_id)
        .await
        .expect("read");
    assert_eq!(met.encounters.len(), before_read + 1);
    assert_eq!(met.encounters[0].note.as_deref(), Some("دوباره کنار مترو"));
    // Child protection meets the child again under another category: linked to it.
    let scavenging = NewEncounter {
        category: "scavenging".into(),
        ..again.clone()
    };
    store
        .record_encounter(protector, child_id, &scavenging, today(), now)
        .await
        .expect("child met again");
    let child = store
        .read_person(&reader(protector), child_id)
        .await
        .expect("child");
    assert!(child.categories.contains(&"scavenging".to_string()));
    assert_eq!(
        child
            .guardian
            .as_ref()
            .map(|g| (g.name.as_str(), g.mobile.as_deref())),
        Some(("مریم احمدی", Some("+989351112233")))
    );
    // A new person at N1 and one counted without a name.
    store
        .register(
            officer,
            &contact(
                person("کریم", "نادری", BirthIn::About("50".into())),
                Consent::Service,
                n1.id,
            ),
            today(),
        )
        .await
        .expect("new");
    store
        .register(
            officer,
            &contact(
                person("بی", "نام", BirthIn::About("50".into())),
                Consent::Refused,
                n1.id,
            ),
            today(),
        )
        .await
        .expect("unnamed");
    let after = counts().await;
    let delta: Vec<Vec<i64>> = after
        .iter()
        .zip(&before)
        .map(|(a, b)| a.iter().zip(b).map(|(x, y)| x - y).collect())
        .collect();
    // Rows: contacts, new, returning; columns: N1, D1, D2. The child's scavenging
    // contact is not among the indicators' categories.
    assert_eq!(
        delta,
        vec![vec![3, 3, 0], vec![1, 1, 0], vec![1, 1, 0]],
        "live counts moved as the contacts did"
    );

    // ── The case load: the reader's agency's open cases, named, one audited read ──
    let open_here: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE agency_id = $1 AND closed_at IS NULL")
            .bind(city_hall)
            .fetch_one(store.pool_for_tests())
            .await
            .expect("cases");
    let lists_before: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'cases.list'")
            .fetch_one(store.pool_for_tests())
            .await
            .expect("q");
    let (load, total) = store
        .case_load(
            &reader(officer),
            &CaseLoadQuery {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .expect("case load");
    assert_eq!(total, open_here);
    assert!(total > 0, "the scenario left open cases");
    assert!(load.iter().all(|r| r.closed_at.is_none()));
    assert!(load.iter().all(|r| r.name.is_some() || r.child));
    let lists_after: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'cases.list'")
            .fetch_one(store.pool_for_tests())
            .await
            .expect("q");
    assert_eq!(lists_after, lists_before + 1);
    assert!(matches!(
        store
            .case_load(&reader(analyst), &CaseLoadQuery::default())
            .await,
        Err(StoreError::Forbidden(_))
    ));

    // ── The children's view: children only, named for child protection only ──
    let children = PeopleQuery {
        children_only: true,
        limit: 100,
        ..Default::default()
    };
    let (rows, _) = store
        .find_people(&reader(protector), &children)
        .await
        .expect("children");
    assert!(rows.iter().any(|r| r.id == child_id && r.name.is_some()));
    assert!(rows.iter().all(|r| r.child), "only children");
    let (rows, _) = store
        .find_people(&reader(officer), &children)
        .await
        .expect("children as the officer");
    assert!(rows.iter().all(|r| r.child && r.name.is_none()));
}

/// An indicator definition to vary.
fn indicator_like(numerator: hamafza_core::indicator::Numerator) -> hamafza_store::NewIndicator {
    use hamafza_core::indicator::{Denominator, Publication, Worse};
    hamafza_store::NewIndicator {
        code: "like".into(),
        name_fa: "شاخص".into(),
        name_en: "Indicator".into(),
        theme: "آزمون".into(),
        unit_fa: "نفر".into(),
        worse: Worse::Higher,
        numerator,
        categories: vec!["begging".into()],
        numerator_fa: "شمار".into(),
        numerator_is_count: true,
        denominator: Denominator::None,
        rate_base: 1.0,
        source_agency_id: None,
        publication: Publication::Restricted,
        note_fa: None,
    }
}

/// Over 5,000 people named «علی» (more than the search gathers from the index): a
/// search for «علی» walks the newest records, «حسن علی» intersects both words, a
/// rarer word drives the search from its index entries — each finding who it should.
async fn a_common_name_is_searched_as_well_as_a_rare_one(store: Store) {
    let city = place("S-CITY", "شهر", PlaceLevel::City, None);
    let n1 = place("S-N1", "محله", PlaceLevel::Neighbourhood, Some(&city));
    store
        .insert_places(&Who::system(), &[city.clone(), n1.clone()], &|_| {})
        .await
        .expect("places");
    let agency = store
        .create_agency(
            &Who::system(),
            &NewAgency {
                code: "s-muni".into(),
                name_fa: "شهرداری".into(),
                kind: AgencyKind::Municipality,
                place_id: None,
            },
        )
        .await
        .expect("agency");
    let officer = store
        .create_user(
            &Who::system(),
            &NewUser {
                username: "s-officer".into(),
                display_name: "کارشناس".into(),
                agency_id: agency.id,
                roles: vec![Role::AgencyOfficer],
                jurisdiction: vec![city.id],
                password_hash: "x".into(),
            },
        )
        .await
        .expect("user")
        .actor();
    let families = ["احمدی", "محمدی", "حسینی", "رضایی"];
    let mut rows: Vec<(usize, FirstContact)> = (0..5_200)
        .map(|i| {
            let mut p = person("علی", families[i % 4], BirthIn::About("40".into()));
            // Every one the son of «حسن»: two words each above the threshold.
            p.father_name = Field::full("حسن".into());
            (i + 1, contact(p, Consent::Sharing, n1.id))
        })
        .collect();
    for (i, family) in ["کاظمی", "کاظمی‌نژاد", "یگانه"].iter().enumerate() {
        rows.push((
            9_000 + i,
            contact(
                person("علی", family, BirthIn::About("40".into())),
                Consent::Sharing,
                n1.id,
            ),
        ));
    }
    let kept = store
        .register_all(&officer, &rows, today())
        .await
        .expect("db")
        .expect("all sound");
    assert_eq!(kept.registered.len(), 5_203);
    let purpose = Purpose::parse("service", None).expect("purpose");
    let reader = PersonReader {
        actor: &officer,
        purpose: &purpose,
        today: today(),
    };
    let find = |q: &str| {
        let q = PeopleQuery {
            q: Some(q.into()),
            limit: 20,
            ..Default::default()
        };
        let store = store.clone();
        async move { store.find_people(&reader, &q).await.expect("search") }
    };
    // One common word: a page of the newest, the count bounded.
    let (cards, total) = find("علی").await;
    assert_eq!(cards.len(), 20);
    assert_eq!(total, hamafza_store::people::COUNT_BOUND + 1);
    let newest: Vec<_> = kept
        .registered
        .iter()
        .rev()
        .take(20)
        .map(|r| match r {
            Registered::Person { person_id, .. } => *person_id,
            Registered::Encounter { .. } => panic!("named"),
        })
        .collect();
    let got: Vec<_> = cards.iter().map(|c| c.id).collect();
    assert_eq!(got, newest, "newest first");
    // Two common words: the intersection («کاظمی» begins two family names).
    let (cards, total) = find("علی کاظمی").await;
    assert_eq!(total, 2);
    assert!(
        cards
            .iter()
            .all(|c| c.name.as_deref().is_some_and(|n| n.contains("کاظمی")))
    );
    // A rare word, in any order with a common one.
    let (cards, total) = find("یگانه علی").await;
    assert_eq!((cards.len(), total), (1, 1));
    // A common family name with a common given name: 1,300 «علی احمدی».
    let (_, total) = find("احمدی علی").await;
    assert_eq!(total, hamafza_store::people::COUNT_BOUND + 1);
    // Two words each above the threshold: intersected, counted to the bound.
    let (cards, total) = find("حسن علی").await;
    assert_eq!(
        (cards.len(), total),
        (20, hamafza_store::people::COUNT_BOUND + 1)
    );
    // Nobody.
    assert_eq!(find("علی زمانی").await.1, 0);
}
