//! The demo atlas: events over the two Jalali years before the demo day in the synthetic
//! city — clustered around invented hot spots, some growing and some fading — and
//! indicators in several themes, counted from those events or supplied per
//! neighbourhood as an agency would.

use crate::rng::Rng;
use hamafza_core::indicator::{Denominator, Numerator, Publication, Worse};
use hamafza_core::jalali::{JalaliDate, Period};
use hamafza_core::place::PlaceLevel;
use hamafza_core::priority::Standardise;
use hamafza_store::{
    NewEvent, NewIndicator, NewPriorityIndex, Place, Reference, Store, ValueIn, WeightedIndicator,
    Who,
};
use time::{Duration, OffsetDateTime, Time};

/// How many events the demo city gets.
const EVENTS: usize = 60_000;

/// What kind of trouble gathers at a hot spot.
const PROFILES: [&[(&str, f64)]; 4] = [
    // A commercial centre.
    &[
        ("begging", 0.3),
        ("street_vending", 0.3),
        ("sidewalk_obstruction", 0.25),
        ("street_children", 0.15),
    ],
    // A deprived edge of the city.
    &[
        ("visible_addiction", 0.3),
        ("homelessness", 0.2),
        ("scrap_workshop", 0.2),
        ("dumping", 0.15),
        ("domestic_violence", 0.15),
    ],
    // A neighbourhood being built over.
    &[
        ("illegal_construction", 0.4),
        ("seal_breaking", 0.2),
        ("heavy_vehicle_parking", 0.3),
        ("dumping", 0.1),
    ],
    // A bit of everything.
    &[
        ("begging", 0.1),
        ("visible_addiction", 0.1),
        ("street_children", 0.1),
        ("homelessness", 0.1),
        ("domestic_violence", 0.1),
        ("illegal_construction", 0.1),
        ("sidewalk_obstruction", 0.1),
        ("street_vending", 0.1),
        ("dumping", 0.1),
        ("scrap_workshop", 0.1),
    ],
];

const BACKGROUND: &[(&str, f64)] = &[
    ("begging", 0.12),
    ("visible_addiction", 0.1),
    ("street_children", 0.08),
    ("homelessness", 0.05),
    ("sidewalk_obstruction", 0.14),
    ("illegal_construction", 0.1),
    ("seal_breaking", 0.05),
    ("heavy_vehicle_parking", 0.08),
    ("scrap_workshop", 0.05),
    ("domestic_violence", 0.06),
    ("street_vending", 0.1),
    ("dumping", 0.07),
];

struct Spot {
    lon: f64,
    lat: f64,
    spread: f64,
    profile: usize,
    /// From −0.8 (fading) to +0.8 (growing) over the two years.
    growth: f64,
    weight: f64,
}

/// A public event-count or supplied indicator; `names` is (Persian, English).
fn indicator(
    code: &str,
    (name_fa, name_en): (&str, &str),
    theme: &str,
    categories: &[&str],
    numerator_fa: &str,
    denominator: Denominator,
    rate_base: f64,
) -> NewIndicator {
    NewIndicator {
        code: code.into(),
        name_fa: name_fa.into(),
        name_en: name_en.into(),
        theme: theme.into(),
        unit_fa: "مورد".into(),
        worse: Worse::Higher,
        numerator: if categories.is_empty() {
            Numerator::Imported
        } else {
            Numerator::Events
        },
        categories: categories
            .iter()
            .map(std::string::ToString::to_string)
            .collect(),
        numerator_fa: numerator_fa.into(),
        numerator_is_count: true,
        denominator,
        rate_base,
        source_agency_id: None,
        publication: Publication::Public,
        note_fa: None,
    }
}

/// Loads the indicators, the events and the supplied values; returns (indicators, events).
pub async fn load(store: &Store, today: time::Date) -> Result<(usize, usize), String> {
    let who = Who::system();
    let e = |e: hamafza_store::StoreError| e.to_string();
    let agency = |code: &'static str| async move {
        store
            .agency_by_code(code)
            .await
            .map_err(|e| e.to_string())?
            .map(|a| a.id)
            .ok_or(format!("no agency {code}"))
    };
    let police = agency("teh-police").await?;
    let welfare = agency("teh-welfare").await?;
    let education = agency("teh-education").await?;
    let municipality = agency("syn-d01-municipality").await?;

    let mut defs = vec![
        NewIndicator {
            source_agency_id: Some(police),
            ..indicator(
                "begging_rate",
                ("نرخ گزارش تکدی‌گری", "Begging reports"),
                "آسیب‌های اجتماعی",
                &["begging"],
                "گزارش‌های ثبت‌شدهٔ تکدی‌گری",
                Denominator::Population,
                10_000.0,
            )
        },
        NewIndicator {
            source_agency_id: Some(welfare),
            ..indicator(
                "street_children_rate",
                ("نرخ کودکان کار و خیابان", "Working and street children"),
                "آسیب‌های اجتماعی",
                &["street_children"],
                "گزارش‌های کودکان کار و خیابان",
                Denominator::Population,
                10_000.0,
            )
        },
        NewIndicator {
            source_agency_id: Some(police),
            ..indicator(
                "addiction_homeless_rate",
                (
                    "اعتیاد آشکار و کارتن‌خوابی",
                    "Visible addiction and homelessness",
                ),
                "سلامت و اعتیاد",
                &["visible_addiction", "homelessness"],
                "گزارش‌های اعتیاد آشکار و کارتن‌خوابی",
                Denominator::Population,
                10_000.0,
            )
        },
        NewIndicator {
            source_agency_id: Some(welfare),
            ..indicator(
                "domestic_violence_rate",
                ("نرخ خشونت خانگی گزارش‌شده", "Reported domestic violence"),
                "خانواده",
                &["domestic_violence"],
                "گزارش‌های خشونت خانگی",
                Denominator::Population,
                10_000.0,
            )
        },
        NewIndicator {
            source_agency_id: Some(municipality),
            ..indicator(
                "urban_violations_density",
                ("تراکم تخلفات شهری", "Urban violations per km²"),
                "نظم و کالبد شهری",
                &[
                    "sidewalk_obstruction",
                    "illegal_construction",
                    "seal_breaking",
                    "heavy_vehicle_parking",
                    "scrap_workshop",
                    "street_vending",
                    "dumping",
                ],
                "سد معبر، ساخت‌وساز غیرمجاز، فک پلمب، توقف خودروی سنگین، کارگاه ضایعاتی، دست‌فروشی و تخلیهٔ نخاله",
                Denominator::Area,
                1.0,
            )
        },
        NewIndicator {
            source_agency_id: Some(education),
            ..indicator(
                "school_dropout_rate",
                ("بازماندگی از تحصیل", "School dropouts"),
                "آموزش",
                &[],
                "دانش‌آموزان بازمانده از تحصیل (گزارش سالانهٔ آموزش و پرورش)",
                Denominator::Population,
                1000.0,
            )
        },
        NewIndicator {
            source_agency_id: Some(welfare),
            publication: Publication::Restricted,
            ..indicator(
                "welfare_households_rate",
                (
                    "خانوارهای تحت پوشش بهزیستی",
                    "Households supported by welfare",
                ),
                "رفاه و معیشت",
                &[],
                "خانوارهای تحت پوشش مستمری بهزیستی",
                Denominator::Population,
                1000.0,
            )
        },
    ];
    defs[0].note_fa = Some(
        "گزارش‌هایی که مأموران و ناظران محله ثبت کرده‌اند؛ تکرار گزارش از یک نقطه جدا شمرده می‌شود."
            .into(),
    );
    for d in &defs {
        store.save_indicator(&who, d).await.map_err(e)?;
    }

    // The synthetic city's neighbourhoods.
    let hoods: Vec<(Place, hamafza_geo::MultiPolygon<f64>)> = store
        .places_with_geometry_at(&[PlaceLevel::Neighbourhood])
        .await
        .map_err(e)?
        .into_iter()
        .filter(|(p, _)| p.synthetic)
        .filter_map(|(p, g)| Some((p, hamafza_geo::read_stored_geometry(&g)?)))
        .collect();
    if hoods.is_empty() {
        return Err("the synthetic city is missing".into());
    }
    let mut rng = Rng(0x1403_1404);
    let spots: Vec<Spot> = (0..24)
        .map(|k| {
            let (_, g) = &hoods[(rng.next() as usize) % hoods.len()];
            let c =
                hamafza_geo::containment::inside_point(g).map_or((51.4, 35.7), |p| (p.x(), p.y()));
            Spot {
                lon: c.0,
                lat: c.1,
                spread: 0.002 + rng.unit() * 0.004,
                profile: k % PROFILES.len(),
                growth: rng.unit() * 1.6 - 0.8,
                weight: 0.5 + rng.unit() * 2.0,
            }
        })
        .collect();
    let total_weight: f64 = spots.iter().map(|s| s.weight).sum();
    let total_population: f64 = hoods
        .iter()
        .map(|(p, _)| p.population.unwrap_or(0) as f64)
        .sum();

    // Two Jalali years: from the first day of the month 24 months back to yesterday.
    let jtoday = JalaliDate::from_gregorian(today);
    let (mut y, mut m) = (jtoday.year, jtoday.month);
    for _ in 0..24 {
        (y, m) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
    }
    let start = Period::Month(y, m).first_day().to_gregorian();
    let days = (today - start).whole_days().max(1) as f64;
    let start = OffsetDateTime::new_utc(start, Time::MIDNIGHT) - Duration::minutes(210);

    let sources = [police, welfare, municipality];
    let mut events = Vec::with_capacity(EVENTS);
    while events.len() < EVENTS {
        let t = rng.unit();
        let (lon, lat, category) = if rng.unit() < 0.55 {
            let mut x = rng.unit() * total_weight;
            let spot = spots
                .iter()
                .find(|s| {
                    x -= s.weight;
                    x < 0.0
                })
                .unwrap_or(&spots[0]);
            // Growing spots are busier later, fading ones earlier.
            if rng.unit() > (1.0 + spot.growth * (t - 0.5) * 2.0) / 1.8 {
                continue;
            }
            (
                spot.lon + rng.normal() * spot.spread * 1.2,
                spot.lat + rng.normal() * spot.spread,
                rng.pick_weighted(PROFILES[spot.profile]),
            )
        } else {
            // Background: where people live.
            let mut x = rng.unit() * total_population;
            let (_, g) = hoods
                .iter()
                .find(|(p, _)| {
                    x -= p.population.unwrap_or(0) as f64;
                    x < 0.0
                })
                .unwrap_or(&hoods[0]);
            let b = geo_bounds(g);
            (
                b.0 + rng.unit() * (b.2 - b.0),
                b.1 + rng.unit() * (b.3 - b.1),
                rng.pick_weighted(BACKGROUND),
            )
        };
        let minutes = (t * days * 1440.0) as i64;
        events.push(NewEvent {
            category: category.to_string(),
            occurred_at: start + Duration::minutes(minutes),
            lon: (lon * 1e6).round() / 1e6,
            lat: (lat * 1e6).round() / 1e6,
            agency_id: sources[events.len() % sources.len()],
            note: None,
        });
    }
    let locator = store.place_locator().await.map_err(e)?;
    for chunk in events.chunks(20_000) {
        store
            .record_events(&who, &locator, chunk)
            .await
            .map_err(e)?;
    }

    // Supplied yearly values for the two imported indicators: higher where the hot
    // spots of the deprived profile are.
    let years = [jtoday.year - 2, jtoday.year - 1];
    for (code, per_1000) in [
        ("school_dropout_rate", 6.0),
        ("welfare_households_rate", 35.0),
    ] {
        let mut values = Vec::new();
        for (place, g) in &hoods {
            let c =
                hamafza_geo::containment::inside_point(g).map_or((0.0, 0.0), |p| (p.x(), p.y()));
            let pressure: f64 = spots
                .iter()
                .filter(|s| s.profile == 1)
                .map(|s| (-((c.0 - s.lon).powi(2) + (c.1 - s.lat).powi(2)) / 0.0004).exp())
                .sum();
            let pop = place.population.unwrap_or(10_000) as f64;
            for (k, year) in years.iter().enumerate() {
                let rate =
                    per_1000 * (0.5 + pressure * 1.5 + rng.unit() * 0.5) * (1.0 - 0.05 * k as f64);
                values.push(ValueIn {
                    place_id: place.id,
                    period: Period::Year(*year),
                    value: (rate * pop / 1000.0).round(),
                });
            }
        }
        store
            .set_indicator_values(&who, code, &values, "import")
            .await
            .map_err(e)?;
    }
    // The saved priority index: equal weights over the public indicators, and a named
    // variant that weighs children twice.
    let items = |child_weight: f64| -> Vec<WeightedIndicator> {
        [
            "begging_rate",
            "street_children_rate",
            "addiction_homeless_rate",
            "domestic_violence_rate",
            "urban_violations_density",
            "school_dropout_rate",
        ]
        .iter()
        .map(|code| WeightedIndicator {
            indicator: code.to_string(),
            weight: if code.contains("children") || code.contains("dropout") {
                child_weight
            } else {
                1.0
            },
        })
        .collect()
    };
    for (code, name, child_weight) in [
        (
            "neighbourhood_priority",
            "اولویت محله‌ها برای مداخلهٔ اجتماعی",
            1.0,
        ),
        ("weighted_children", "اولویت با تأکید بر کودکان", 2.0),
    ] {
        store
            .save_priority_index(
                &who,
                &NewPriorityIndex {
                    code: code.into(),
                    name_fa: name.into(),
                    reference: Reference::Siblings,
                    standardise: Standardise::PercentileRank,
                    min_population: 5000,
                    shrink: true,
                    items: items(child_weight),
                    note_fa: None,
                },
            )
            .await
            .map_err(e)?;
    }
    Ok((defs.len(), events.len()))
}

/// [min lon, min lat, max lon, max lat].
fn geo_bounds(g: &hamafza_geo::MultiPolygon<f64>) -> (f64, f64, f64, f64) {
    let mut b = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in &g.0 {
        for c in &p.exterior().0 {
            b = (b.0.min(c.x), b.1.min(c.y), b.2.max(c.x), b.3.max(c.y));
        }
    }
    b
}
