//! The demo registry: a few hundred invented people met in districts 1 and 2 of the
//! synthetic city over the year before the demo day — registered through the same
//! path as an officer's form (consent, checked national ids, data-quality codes), with
//! some who did not consent (counted only), some who could not (a reminder to ask
//! again), foreign nationals with residence cards, and a few children.
//!
//! The names are put together from common given and family names; no real person is
//! described. National ids are made up with a valid check digit.

use hamafza_core::jalali::JalaliDate;
use hamafza_core::people::{Consent, DataQuality, Nationality, Sex};
use hamafza_core::place::PlaceLevel;
use hamafza_store::people::{BirthIn, Field, FirstContact, NewPerson};
use hamafza_store::{Store, Who};
use time::{Duration, OffsetDateTime, Time};

/// How many first contacts the demo registers.
const CONTACTS: usize = 320;

const MEN: [&str; 16] = [
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
const WOMEN: [&str; 14] = [
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
const FAMILIES: [&str; 18] = [
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

/// A small deterministic generator (xorshift), so every demo is the same.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn percent(&mut self) -> u64 {
        self.below(100)
    }
}

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
pub async fn load(store: &Store, today: time::Date) -> Result<(usize, usize), String> {
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
            19 + rng.below(50)
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
        };
        let occurred_at = year_start
            + Duration::days(rng.below(365) as i64)
            + Duration::minutes(rng.below(10 * 60) as i64);
        let contact = FirstContact {
            person,
            consent,
            met_place: place,
            occurred_at,
            note: None,
        };
        match store.register(actor, &contact, jalali_today).await {
            Ok(hamafza_store::people::Registered::Person { .. }) => named += 1,
            Ok(hamafza_store::people::Registered::Encounter { .. }) => counted += 1,
            // A made-up national id drawn twice: that person is already registered.
            Err(hamafza_store::StoreError::Conflict { .. }) => {}
            Err(e) => return Err(format!("demo person {i}: {e}")),
        }
    }
    Ok((named, counted))
}
