//! `hamafza bench registry`: registers many invented people through the registry's own
//! path (every check, the audit entry, the atlas's live counts) in batches, reads one
//! of them a thousand times with a purpose, and times that person's access report.
//! Prints JSON with the size on disk, so runs on SQLite and PostgreSQL compare. The
//! HTTP figures (registration and search under wrk) are `scripts/bench-registry.sh`.

use std::time::Instant;

use hamafza_core::jalali::JalaliDate;
use hamafza_core::people::{Consent, DataQuality, Nationality, Purpose, Sex};
use hamafza_core::place::PlaceLevel;
use hamafza_store::Store;
use hamafza_store::people::{BirthIn, Field, FirstContact, NewPerson, PersonReader, Registered};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::Failure;
use crate::demo::people::{FAMILIES, MEN, WOMEN};
use crate::rng::Rng;

/// Endings that make family names of the roots, as Persian family names are made.
const ENDINGS: [&str; 8] = ["", "‌پور", "‌نژاد", "‌زاده", "‌فر", "‌نیا", "‌راد", "‌وند"];
const CATEGORIES: [&str; 5] = [
    "begging",
    "visible_addiction",
    "homeless",
    "scavenging",
    "street_vending",
];
/// People per transaction.
const BATCH: usize = 5_000;

pub struct Args {
    pub people: usize,
    pub reads: usize,
}

/// An invented adult met at `place`: names from the demo's lists, an age, no
/// identifiers (the bench measures the registry, not the check digit).
fn invented(rng: &mut Rng, place: hamafza_core::ids::PlaceId, at: OffsetDateTime) -> FirstContact {
    let female = rng.below(100) < 30;
    let given = if female {
        WOMEN[rng.below(WOMEN.len() as u64) as usize]
    } else {
        MEN[rng.below(MEN.len() as u64) as usize]
    };
    let family = format!(
        "{}{}",
        FAMILIES[rng.below(FAMILIES.len() as u64) as usize],
        ENDINGS[rng.below(ENDINGS.len() as u64) as usize]
    );
    FirstContact {
        person: NewPerson {
            given_name: Field::full(given.into()),
            family_name: Field::full(family),
            father_name: Field::full(MEN[rng.below(MEN.len() as u64) as usize].into()),
            sex: Field::full(if female { Sex::Female } else { Sex::Male }),
            birth: Field::full(BirthIn::About((22 + rng.below(50)).to_string())),
            nationality: Field::full(Nationality::Iranian),
            identifier: Field::missing(DataQuality::DoesNotKnow),
            mobile: Field::missing(DataQuality::NotCollected),
            lives_place: None,
            categories: vec![CATEGORIES[rng.below(CATEGORIES.len() as u64) as usize].into()],
            languages: Vec::new(),
            guardian: None,
        },
        consent: if rng.below(100) < 70 {
            Consent::Sharing
        } else {
            Consent::Service
        },
        met_place: place,
        occurred_at: at,
        note: None,
    }
}

/// Registers `args.people` more people as the demo's district-1 officer, then times a
/// person's access report after `args.reads` reads.
pub async fn registry(store: &Store, args: &Args, today: time::Date) -> Result<(), Failure> {
    let officer = store
        .user_for_login("d01.officer")
        .await?
        .ok_or_else(|| Failure("no demo officer: load the demo first".into()))?
        .0
        .actor();
    let district = store
        .place_by_code("SYN-HMF-D01")
        .await?
        .ok_or_else(|| Failure("no synthetic district: load the demo first".into()))?;
    let places = store
        .places_at_level_within(PlaceLevel::Neighbourhood, &district.path)
        .await?;
    let jalali_today = JalaliDate::from_gregorian(today);
    let start_of_year = OffsetDateTime::new_utc(today, time::Time::MIDNIGHT) - Duration::days(365);
    let mut rng = Rng(0x5eed_0000_1405);
    let bytes_before = store.size_on_disk().await?;
    let started = Instant::now();
    let mut done = 0;
    let mut first = None;
    while done < args.people {
        let n = BATCH.min(args.people - done);
        let rows: Vec<(usize, FirstContact)> = (0..n)
            .map(|k| {
                let place = places[rng.below(places.len() as u64) as usize].id;
                let at = start_of_year + Duration::minutes(rng.below(365 * 24 * 60) as i64);
                (done + k + 1, invented(&mut rng, place, at))
            })
            .collect();
        let kept = store
            .register_all(&officer, &rows, jalali_today)
            .await?
            .map_err(|problems| Failure(format!("{} rows refused", problems.len())))?;
        if first.is_none() {
            first = kept.registered.iter().find_map(|r| match r {
                Registered::Person { person_id, .. } => Some(*person_id),
                Registered::Encounter { .. } => None,
            });
        }
        done += n;
        if done % 100_000 < BATCH {
            eprintln!("{done} people in {:.0} s", started.elapsed().as_secs_f64());
        }
    }
    let load_s = started.elapsed().as_secs_f64();
    let subject = first.ok_or_else(|| Failure("nobody registered".into()))?;
    let purpose = Purpose::parse("case_work", None).map_err(|e| Failure(format!("{e:?}")))?;
    let reader = PersonReader {
        actor: &officer,
        purpose: &purpose,
        today: jalali_today,
    };
    let started = Instant::now();
    for _ in 0..args.reads {
        store.read_person(&reader, subject).await?;
    }
    let read_ms = started.elapsed().as_secs_f64() * 1e3 / args.reads.max(1) as f64;
    // The report as its reader gets it (itself a read): best and median of 21.
    let admin = store
        .user_for_login(crate::demo::ADMIN_USERNAME)
        .await?
        .ok_or_else(|| Failure("no admin".into()))?
        .0
        .actor();
    let supervision = Purpose::parse("supervision", None).map_err(|e| Failure(format!("{e:?}")))?;
    let admin_reader = PersonReader {
        actor: &admin,
        purpose: &supervision,
        today: jalali_today,
    };
    let mut times = Vec::new();
    let mut entries = 0;
    for _ in 0..21 {
        let t = Instant::now();
        entries = store
            .person_access_report(&admin_reader, subject)
            .await?
            .len();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let people: i64 = store.count_people().await?;
    let bytes = store.size_on_disk().await?;
    println!(
        "{}",
        json!({
            "engine": format!("{:?}", store.engine()),
            "registered_now": args.people,
            "people_on_record": people,
            "registration_s": (load_s * 10.0).round() / 10.0,
            "registrations_per_s": (args.people as f64 / load_s).round(),
            "read_person_ms_mean": (read_ms * 100.0).round() / 100.0,
            "access_report_entries": entries,
            "access_report_ms_median": (times[10] * 100.0).round() / 100.0,
            "access_report_ms_best": (times[0] * 100.0).round() / 100.0,
            "size_on_disk_bytes": bytes,
            // What the registered people added (their records, encounters, consents,
            // audit entries and counts), per person: the demo's own data left out.
            "bytes_per_registered_person": (bytes - bytes_before) / (args.people.max(1) as i64),
            "bytes_per_million_people": (bytes - bytes_before) as f64 / args.people.max(1) as f64 * 1e6,
        })
    );
    Ok(())
}
