//! The demo registry: a few hundred invented people met in districts 1 and 2 of the
//! synthetic city over the year before the demo day — registered through the same
//! path as an officer's form (consent, checked national ids, data-quality codes), with
//! some who did not consent (counted only), some who could not (a reminder to ask
//! again), foreign nationals with residence cards, and a few children.
//!
//! The names are put together from common given and family names; no real person is
//! described. National ids are made up with a valid check digit.

use std::collections::BTreeMap;

use crate::rng::Rng;
use hamafza_core::access::Actor;
use hamafza_core::ids::{PersonId, PlaceId};
use hamafza_core::indicator::{Denominator, Numerator, Publication, Worse};
use hamafza_core::jalali::JalaliDate;
use hamafza_core::people::{ClosureReason, Consent, DataQuality, Nationality, ReferralMove, Sex};
use hamafza_core::place::PlaceLevel;
use hamafza_store::people::{
    BirthIn, CaseWork, Field, FirstContact, Guardian, NewCase, NewEncounter, NewPerson, NewReferral,
};
use hamafza_store::{NewIndicator, Store, Who};
use time::{Duration, OffsetDateTime, Time};

/// How many first contacts the demo registers.
const CONTACTS: usize = 320;

pub(crate) const MEN: [&str; 16] = [
    "علی",
    "محمد",
    "حسین",
    "رضا",
    "مهدی",
    "حسن",
    "امیر",
    "سجاد",
    "جواد",
    "مجید",
    "ناصر",
    "کریم",
    "یوسف",
    "اکبر",
    "داوود",
    "نبی",
];
pub(crate) const WOMEN: [&str; 14] = [
    "زهرا",
    "فاطمه",
    "مریم",
    "زینب",
    "معصومه",
    "سمیه",
    "لیلا",
    "نرگس",
    "طاهره",
    "رقیه",
    "سکینه",
    "گل‌بانو",
    "شهلا",
    "پروین",
];
pub(crate) const FAMILIES: [&str; 18] = [
    "احمدی",
    "محمدی",
    "حسینی",
    "رضایی",
    "کریمی",
    "موسوی",
    "جعفری",
    "قاسمی",
    "صادقی",
    "رحیمی",
    "نوروزی",
    "اکبری",
    "یوسفی",
    "عباسی",
    "حیدری",
    "قربانی",
    "سلطانی",
    "نظری",
];
/// Categories with their weight among adults.
const CATEGORIES: [(&str, u64); 5] = [
    ("begging", 35),
    ("visible_addiction", 25),
    ("homeless", 20),
    ("scavenging", 12),
    ("street_vending", 8),
];

/// Nine random digits and the check digit that makes them a valid national id.
fn made_up_national_id(rng: &mut Rng) -> String {
    let d: Vec<u32> = (0..9).map(|_| rng.below(10) as u32).collect();
    let s: u32 = (0..9).map(|i| d[i] * (10 - i as u32)).sum();
    let r = s % 11;
    let check = if r < 2 { r } else { 11 - r };
    d.iter()
        .chain(std::iter::once(&check))
        .map(|x| char::from_digit(*x, 10).unwrap_or('0'))
        .collect()
}

/// Registers the demo's first contacts through the officers of districts 1 and 2;
/// returns (people named, encounters counted without a name).
pub async fn load(
    store: &Store,
    today: time::Date,
    biometrics: Option<&hamafza_web::biometrics::Biometrics>,
) -> Result<(usize, usize), String> {
    let err = |e: hamafza_store::StoreError| e.to_string();
    let jalali_today = JalaliDate::from_gregorian(today);
    let mut officers = Vec::new();
    for (username, district) in [
        ("d01.officer", "SYN-HMF-D01"),
        ("d02.officer", "SYN-HMF-D02"),
    ] {
        let user = store
            .user_for_login(username)
            .await
            .map_err(err)?
            .ok_or(format!("no demo user {username}"))?
            .0;
        let district = store
            .place_by_code(district)
            .await
            .map_err(err)?
            .ok_or(format!("no place {district}"))?;
        let neighbourhoods = store
            .places_at_level_within(PlaceLevel::Neighbourhood, &district.path)
            .await
            .map_err(err)?;
        if neighbourhoods.is_empty() {
            return Err(format!("no neighbourhoods in {}", district.code));
        }
        officers.push((user.actor(), neighbourhoods));
    }
    // The welfare agency protects children (as a council secretary would designate).
    if let Some(welfare) = store.agency_by_code("teh-welfare").await.map_err(err)? {
        store
            .set_agency_protects_children(&Who::system(), welfare.id, true)
            .await
            .map_err(err)?;
    }

    let mut rng = Rng(0x5eed_1405_0001);
    let (mut named, mut counted) = (0, 0);
    let mut again = Vec::new();
    // The first record of each person met again (None where it was not kept).
    let mut originals: Vec<Option<PersonId>> = Vec::new();
    let mut registered = Vec::new();
    let year_start =
        OffsetDateTime::new_utc(today, Time::from_hms(6, 0, 0).unwrap_or(Time::MIDNIGHT))
            - Duration::days(365);
    for i in 0..CONTACTS {
        let (actor, places) = &officers[i % officers.len()];
        let place = rng.pick(places).id;
        let lives = (rng.percent() < 60).then(|| rng.pick(places).id);
        let child = rng.percent() < 8;
        let sex = if child || rng.percent() < 70 {
            Sex::Male
        } else {
            Sex::Female
        };
        let sex = if child && rng.percent() < 35 {
            Sex::Female
        } else {
            sex
        };
        let given = match sex {
            Sex::Male => *rng.pick(&MEN),
            Sex::Female => *rng.pick(&WOMEN),
        };
        let family = *rng.pick(&FAMILIES);
        let father = *rng.pick(&MEN);
        let afghan = rng.percent() < 22;
        let age = if child {
            8 + rng.below(9)
        } else {
            // Over 21: "about 20" may be 18, which the registry reads as a child.
            21 + rng.below(48)
        };
        let birth = match rng.percent() {
            0..45 => BirthIn::About(age.to_string()),
            45..80 => BirthIn::Year((jalali_today.year as u64 - age).to_string()),
            _ => BirthIn::Date(format!(
                "{}/{:02}/{:02}",
                jalali_today.year as u64 - age - 1,
                1 + rng.below(12),
                1 + rng.below(29)
            )),
        };
        let identifier = match (afghan, rng.percent()) {
            (true, 0..60) => Field::full(format!("AM-{}", 100_000 + rng.below(900_000))),
            (false, 0..55) => Field::full(made_up_national_id(&mut rng)),
            (_, 55..80) => Field::missing(DataQuality::DoesNotKnow),
            (_, 80..92) => Field::missing(DataQuality::Refused),
            _ => Field::missing(DataQuality::NotCollected),
        };
        let mobile = if !child && rng.percent() < 35 {
            Field::full(format!("0912{:07}", rng.below(10_000_000)))
        } else {
            Field::missing(if rng.percent() < 50 {
                DataQuality::DoesNotKnow
            } else {
                DataQuality::NotCollected
            })
        };
        let consent = if child {
            Consent::Guardian
        } else {
            match rng.percent() {
                0..55 => Consent::Sharing,
                55..80 => Consent::Service,
                80..93 => Consent::Refused,
                _ => Consent::Unable,
            }
        };
        let category = if child {
            "street_child"
        } else {
            let roll = rng.below(100);
            let mut acc = 0;
            CATEGORIES
                .iter()
                .find(|(_, w)| {
                    acc += w;
                    roll < acc
                })
                .map_or("begging", |(c, _)| c)
        };
        let person = NewPerson {
            given_name: Field::full(given.into()),
            family_name: if rng.percent() < 85 {
                Field::full(family.into())
            } else {
                Field::missing(DataQuality::Refused)
            },
            father_name: if rng.percent() < 60 {
                Field::full(father.into())
            } else {
                Field::missing(DataQuality::DoesNotKnow)
            },
            sex: Field::full(sex),
            birth: Field {
                value: Some(birth),
                quality: DataQuality::Full,
            },
            nationality: Field::full(if afghan {
                Nationality::Afghan
            } else {
                Nationality::Iranian
            }),
            identifier,
            mobile,
            lives_place: lives,
            categories: vec![category.to_string()],
            languages: if afghan {
                vec!["دری".into()]
            } else {
                vec!["فارسی".into()]
            },
            guardian: child.then(|| Guardian {
                name: format!("{} {family}", rng.pick(&WOMEN)),
                relation: Some("مادر".into()),
                mobile: (rng.percent() < 60).then(|| format!("0935{:07}", rng.below(10_000_000))),
            }),
        };
        let occurred_at = year_start
            + Duration::days(rng.below(365) as i64)
            + Duration::minutes(rng.below(10 * 60) as i64);
        // Adults of district 2 who consent to sharing are met again later by welfare:
        // most retyped, the last few under another name altogether (only their faces
        // tell).
        let met_again = i % officers.len() == 1
            && !child
            && consent == Consent::Sharing
            && again.len() < AGAIN + RENAMED;
        if met_again {
            let copy = if again.len() < AGAIN {
                retyped(&person, again.len())
            } else {
                renamed(&person, again.len())
            };
            again.push((copy, place, occurred_at + Duration::days(20)));
        }
        let contact = FirstContact {
            person,
            consent,
            met_place: place,
            occurred_at,
            note: None,
        };
        match store.register(actor, &contact, jalali_today).await {
            Ok(hamafza_store::people::Registered::Person { person_id, .. }) => {
                named += 1;
                if met_again {
                    originals.push(Some(person_id));
                }
                registered.push(Met {
                    person: person_id,
                    officer: i % officers.len(),
                    place,
                    category,
                    at: occurred_at,
                    child,
                    shares: matches!(consent, Consent::Sharing | Consent::Guardian),
                });
            }
            Ok(hamafza_store::people::Registered::Encounter { .. }) => counted += 1,
            // A made-up national id drawn twice: that person is already registered.
            Err(hamafza_store::StoreError::Conflict { .. }) if met_again => originals.push(None),
            Err(hamafza_store::StoreError::Conflict { .. }) => {}
            Err(e) => return Err(format!("demo person {i}: {e}")),
        }
    }
    // Welfare registers them again, typed as another officer would: the review queue's
    // work (`link` below).
    let welfare = store
        .user_for_login("welfare.officer")
        .await
        .map_err(err)?
        .ok_or("no demo user welfare.officer")?
        .0
        .actor();
    let mut copies = Vec::new();
    for (person, place, at) in again {
        let contact = FirstContact {
            person,
            consent: Consent::Sharing,
            met_place: place,
            occurred_at: at,
            note: None,
        };
        match store.register(&welfare, &contact, jalali_today).await {
            Ok(hamafza_store::people::Registered::Person { person_id, .. }) => {
                named += 1;
                copies.push(Some(person_id));
            }
            Ok(_) => {
                counted += 1;
                copies.push(None);
            }
            Err(e) => return Err(format!("demo person met again: {e}")),
        }
    }
    if let Some(biometrics) = biometrics {
        let district = &officers[1].0;
        faces(
            store,
            biometrics,
            district,
            &welfare,
            &originals,
            &copies,
            jalali_today,
        )
        .await?;
    }
    let officers: Vec<_> = officers.into_iter().map(|(actor, _)| actor).collect();
    work(store, &officers, &registered, &mut rng, today).await?;
    indicators(store).await?;
    Ok((named, counted))
}

/// People welfare registers again (planted duplicates for identity linkage).
const AGAIN: usize = 14;
/// And people welfare registers again under another name (found by their faces only).
const RENAMED: usize = 2;
/// People met again whose faces both agencies capture: the first few retyped ones
/// (found by names and faces) and the renamed ones.
const FACES_OF_RETYPED: usize = 4;

/// A person who gave another name the second time: another given and family name,
/// no id; the father's name, sex and birth as before.
fn renamed(p: &NewPerson, k: usize) -> NewPerson {
    let mut out = retyped(p, k);
    let given: &[&str] = if p.sex.value == Some(Sex::Female) {
        &WOMEN
    } else {
        &MEN
    };
    out.given_name = Field {
        value: Some(given[(k * 5 + 3) % given.len()].to_string()),
        quality: DataQuality::Full,
    };
    out.family_name = Field {
        value: Some(FAMILIES[(k * 7 + 2) % FAMILIES.len()].to_string()),
        quality: DataQuality::Full,
    };
    out
}

/// A face template as the demo's capture devices would send it (the stand-in's vector
/// format): one random direction per person, the second capture a little off it.
fn face(person: usize, capture: u64) -> Vec<u8> {
    let mut shape = Rng(0xface_0000 + person as u64);
    let mut noise = Rng(0x0015_e000 + person as u64 * 16 + capture);
    let v: Vec<f32> = (0..hamafza_core::biometrics::VECTOR_DIMENSION)
        .map(|_| (shape.normal() + 0.15 * capture as f64 * noise.normal()) as f32)
        .collect();
    hamafza_core::biometrics::VectorTemplate::to_bytes(&v)
}

/// Both agencies capture the faces of some of the people met twice (the matcher is
/// run after the name linkage, so the queue shows which pairs both found).
async fn faces(
    store: &Store,
    biometrics: &hamafza_web::biometrics::Biometrics,
    district: &Actor,
    welfare: &Actor,
    originals: &[Option<PersonId>],
    copies: &[Option<PersonId>],
    today: JalaliDate,
) -> Result<(), String> {
    let chosen = (0..FACES_OF_RETYPED).chain(AGAIN..AGAIN + RENAMED);
    for k in chosen {
        let (Some(Some(first)), Some(Some(second))) = (originals.get(k), copies.get(k)) else {
            continue;
        };
        for (actor, person, capture) in [(district, *first, 0), (welfare, *second, 1)] {
            let bytes = face(k, capture);
            let template = hamafza_store::biometrics::NewTemplate {
                modality: hamafza_core::biometrics::Modality::Face,
                format: hamafza_core::biometrics::VECTOR_FORMAT,
                bytes: &bytes,
            };
            store
                .enrol_biometric(actor, person, template, &biometrics.key, today)
                .await
                .map_err(|e| format!("demo face: {e}"))?;
        }
    }
    Ok(())
}

/// A person as another officer would type them the second time: Arabic letters, a
/// joiner, a letter that sounds the same, the names swapped, a year off — and no
/// national id (the registry refuses one already on record).
fn retyped(p: &NewPerson, k: usize) -> NewPerson {
    let mut out = p.clone();
    let map = |f: &Field<String>, g: &dyn Fn(&str) -> String| Field {
        value: f.value.as_deref().map(g),
        quality: f.quality,
    };
    let arabic = |s: &str| s.replace('ی', "ي").replace('ک', "ك");
    let sound = |s: &str| {
        let mut done = false;
        s.chars()
            .map(|c| {
                let swap = match c {
                    'ح' => Some('ه'),
                    'س' => Some('ص'),
                    'ز' => Some('ذ'),
                    'ت' => Some('ط'),
                    'ق' => Some('غ'),
                    _ => None,
                };
                match swap {
                    Some(d) if !done => {
                        done = true;
                        d
                    }
                    _ => c,
                }
            })
            .collect()
    };
    match k % 4 {
        0 => out.given_name = map(&p.given_name, &arabic),
        1 => out.family_name = map(&p.family_name, &sound),
        2 => {
            out.given_name = p.family_name.clone();
            out.family_name = p.given_name.clone();
        }
        _ => out.family_name = map(&p.family_name, &arabic),
    }
    if k % 3 == 1
        && let Some(BirthIn::Year(y)) = &p.birth.value
        && let Ok(y) = y.parse::<i32>()
    {
        out.birth.value = Some(BirthIn::Year((y + 1).to_string()));
    }
    out.identifier = Field::missing(DataQuality::DoesNotKnow);
    out.mobile = Field::missing(DataQuality::NotCollected);
    out
}

/// Runs identity linkage once as the registry's supervisor, so the queue has work;
/// returns the pairs queued.
pub async fn link(store: &Store) -> Result<usize, String> {
    let supervisor = store
        .user_for_login("registry.supervisor")
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no demo user registry.supervisor")?
        .0
        .actor();
    let run = store
        .run_linkage(&supervisor)
        .await
        .map_err(|e| e.to_string())?;
    Ok(run.queued + run.linked.len())
}

/// A named person the demo registered, for the work that follows.
struct Met {
    person: PersonId,
    officer: usize,
    place: PlaceId,
    category: &'static str,
    at: OffsetDateTime,
    child: bool,
    shares: bool,
}

/// What agencies did after the first contacts: people met again, cases opened by the
/// registering agency (services given, some closed for each reason), children's cases
/// by child protection, and referrals to welfare left in every state.
async fn work(
    store: &Store,
    officers: &[Actor],
    registered: &[Met],
    rng: &mut Rng,
    today: time::Date,
) -> Result<(), String> {
    let jalali_today = JalaliDate::from_gregorian(today);
    let now = OffsetDateTime::new_utc(today, Time::from_hms(12, 0, 0).unwrap_or(Time::MIDNIGHT));
    let actor_of = |username: &'static str| async move {
        store
            .user_for_login(username)
            .await
            .map_err(|e| e.to_string())?
            .map(|(u, _)| u.actor())
            .ok_or(format!("no demo user {username}"))
    };
    let welfare = actor_of("welfare.officer").await?;
    let child_protection = actor_of("child.protection").await?;
    let welfare_agency = store
        .agency_by_code("teh-welfare")
        .await
        .map_err(|e| format!("demo step 1: {e}"))?
        .ok_or("no agency teh-welfare")?
        .id;
    let assessment = |rng: &mut Rng| -> BTreeMap<String, String> {
        [
            ("shelter", ["ندارد", "در پارک می‌خوابد", "دارد"]),
            ("health", ["نه", "زخم پا", "سرفهٔ طولانی"]),
            ("family_contact", ["نه", "گاهی", "بله"]),
        ]
        .iter()
        .map(|(q, answers)| (q.to_string(), rng.pick(answers).to_string()))
        .collect()
    };
    let (mut referred, mut closed) = (0usize, 0usize);
    for m in registered {
        let officer = &officers[m.officer];
        // Met again, one to three times since the first contact.
        if rng.percent() < 40 {
            let since = (now - m.at).whole_days().max(1) as u64;
            for _ in 0..=rng.below(3) {
                let at = m.at + Duration::days(rng.below(since) as i64) + Duration::hours(1);
                let again = NewEncounter {
                    category: m.category.to_string(),
                    place: m.place,
                    occurred_at: at.min(now),
                    note: None,
                };
                let by = if m.child { &child_protection } else { officer };
                store
                    .record_encounter(by, m.person, &again, jalali_today, now)
                    .await
                    .map_err(|e| format!("demo step 2: {e}"))?;
            }
        }
        // A case: children's by child protection, adults' by the registering agency.
        let case_by = if m.child { &child_protection } else { officer };
        if m.child || rng.percent() < 30 {
            let case = store
                .open_case(
                    case_by,
                    m.person,
                    &NewCase {
                        worker: None,
                        assessment: assessment(rng),
                        plan: Some("پیگیری هفتگی و معرفی به خدمات".into()),
                    },
                    jalali_today,
                )
                .await
                .map_err(|e| format!("demo step 3: {e}"))?;
            let service = rng.pick(&[
                ("غذای گرم", "داده شد"),
                ("معرفی به گرمخانه", "پذیرفته شد"),
                ("ویزیت پزشک", "دارو گرفت"),
                ("مشاوره", "ادامه دارد"),
            ]);
            store
                .work_case(
                    case_by,
                    case,
                    &CaseWork::Service {
                        service: service.0.into(),
                        provider: None,
                        given_on: jalali_today,
                        outcome: Some(service.1.into()),
                    },
                    jalali_today,
                )
                .await
                .map_err(|e| format!("demo step 4: {e}"))?;
            if !m.child && rng.percent() < 40 {
                let reason = ClosureReason::ALL[closed % ClosureReason::ALL.len()];
                closed += 1;
                store
                    .work_case(
                        case_by,
                        case,
                        &CaseWork::Close { reason, note: None },
                        jalali_today,
                    )
                    .await
                    .map_err(|e| format!("demo step 5: {e}"))?;
            }
        }
        // Referrals to welfare, one in each state in turn.
        if m.shares && !m.child && rng.percent() < 25 {
            let id = store
                .refer(
                    officer,
                    m.person,
                    &NewReferral {
                        to: welfare_agency,
                        category: m.category.to_string(),
                        note: Some("برای حمایت معیشتی و درمان".into()),
                        transfer: false,
                        answer_days: None,
                        override_reason: None,
                    },
                    jalali_today,
                )
                .await
                .map_err(|e| format!("demo step 6: {e}"))?;
            let moves: &[(&Actor, ReferralMove, Option<&str>)] = match referred % 6 {
                0 => &[],
                1 => &[(&welfare, ReferralMove::Accept, None)],
                2 => &[(&welfare, ReferralMove::Decline, Some("ظرفیت مرکز پر است"))],
                3 => &[
                    (&welfare, ReferralMove::Accept, None),
                    (&welfare, ReferralMove::GiveService, None),
                ],
                4 => &[
                    (&welfare, ReferralMove::Accept, None),
                    (&welfare, ReferralMove::GiveService, None),
                    (&welfare, ReferralMove::Close, Some("در مرکز پذیرش شد")),
                ],
                _ => &[(officer, ReferralMove::Withdraw, None)],
            };
            for (by, step, text) in moves {
                store
                    .move_referral(by, id, *step, *text)
                    .await
                    .map_err(|e| format!("demo step 7: {e}"))?;
            }
            referred += 1;
        }
    }
    Ok(())
}

/// The registry's indicators in the atlas: people met for the first time and contacts
/// per 10,000 residents, by month, live (restricted: for holders of statistical access).
async fn indicators(store: &Store) -> Result<(), String> {
    let all: Vec<String> = store
        .person_categories()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|c| c.code)
        .collect();
    for (code, name_fa, name_en, numerator, numerator_fa) in [
        (
            "registry_new_people",
            "افراد تازه شناسایی‌شده",
            "People newly identified",
            Numerator::NewPeople,
            "شمار افرادی که نخستین بار دیده و ثبت شدند",
        ),
        (
            "registry_contacts",
            "دیدارهای ثبت‌شده با افراد آسیب‌دیده",
            "Recorded contacts with vulnerable people",
            Numerator::Encounters,
            "شمار دیدارها، با نام یا بی‌نام",
        ),
    ] {
        store
            .save_indicator(
                &Who::system(),
                &NewIndicator {
                    code: code.into(),
                    name_fa: name_fa.into(),
                    name_en: name_en.into(),
                    theme: "آسیب‌های اجتماعی".into(),
                    unit_fa: "نفر".into(),
                    worse: Worse::Higher,
                    numerator,
                    categories: all.clone(),
                    numerator_fa: numerator_fa.into(),
                    numerator_is_count: true,
                    denominator: Denominator::Population,
                    rate_base: 10_000.0,
                    source_agency_id: None,
                    publication: Publication::Restricted,
                    note_fa: Some("از ثبت افراد در هم‌افزا، زنده".into()),
                },
            )
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}
