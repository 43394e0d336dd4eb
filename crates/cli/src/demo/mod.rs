//! The demo data: Iran's real provinces and counties (OpenStreetMap, ODbL), a synthetic
//! city in Tehran province, the kinds of agencies named in the source documents, and
//! users of every role. Everything ships inside the binary.

mod atlas;
mod councils;
pub(crate) mod people;

pub(crate) use councils::agency_head;
mod synthetic_city;

use hamafza_core::access::Role;
use hamafza_core::agency::AgencyKind;
use hamafza_core::place::PlaceLevel;
use hamafza_geo::containment::inside_point;
use hamafza_store::import::plan_places;
use hamafza_store::{NewAgency, NewUser, Store, StoreError, Who};

const PROVINCES: &[u8] = include_bytes!("../../demo/provinces.geojson");
const COUNTIES: &[u8] = include_bytes!("../../demo/counties.geojson");

pub const ADMIN_USERNAME: &str = "admin";
/// Shared by every demo account. Demo only: printed on start, never for real data.
pub const DEMO_PASSWORD: &str = "hamafza-demo";

/// (code, Persian name, kind, place code of its area)
const AGENCIES: &[(&str, &str, AgencyKind, &str)] = &[
    (
        "teh-governorate",
        "استانداری تهران",
        AgencyKind::Governorate,
        "IR-23",
    ),
    (
        "syn-municipality",
        "شهرداری شهر نمونه",
        AgencyKind::Municipality,
        "SYN-HMF",
    ),
    (
        "syn-d01-municipality",
        "شهرداری منطقهٔ ۱ شهر نمونه",
        AgencyKind::DistrictMunicipality,
        "SYN-HMF-D01",
    ),
    (
        "syn-d02-municipality",
        "شهرداری منطقهٔ ۲ شهر نمونه",
        AgencyKind::DistrictMunicipality,
        "SYN-HMF-D02",
    ),
    (
        "teh-prosecutor",
        "دادستانی تهران — معاونت پیشگیری از وقوع جرم",
        AgencyKind::ProsecutorCrimePrevention,
        "IR-23",
    ),
    (
        "teh-police",
        "فرماندهی انتظامی استان تهران (فراجا)",
        AgencyKind::Police,
        "IR-23",
    ),
    (
        "teh-welfare",
        "ادارهٔ کل بهزیستی استان تهران",
        AgencyKind::Welfare,
        "IR-23",
    ),
    (
        "teh-education",
        "ادارهٔ کل آموزش و پرورش استان تهران",
        AgencyKind::Education,
        "IR-23",
    ),
    (
        "teh-health",
        "معاونت بهداشت دانشگاه علوم پزشکی تهران",
        AgencyKind::Health,
        "IR-23",
    ),
    (
        "teh-foreign-nationals",
        "ادارهٔ کل امور اتباع و مهاجرین خارجی استان تهران",
        AgencyKind::ForeignNationals,
        "IR-23",
    ),
    (
        "teh-relief",
        "کمیتهٔ امداد امام خمینی (ره) استان تهران",
        AgencyKind::ReliefCommittee,
        "IR-23",
    ),
    (
        "ker-welfare",
        "ادارهٔ کل بهزیستی استان کرمان",
        AgencyKind::Welfare,
        "IR-08",
    ),
];

/// A demo account: (username, display name, agency code, roles, jurisdiction place codes).
type DemoUser = (
    &'static str,
    &'static str,
    &'static str,
    &'static [Role],
    &'static [&'static str],
);

const USERS: &[DemoUser] = &[
    (
        ADMIN_USERNAME,
        "مدیر سامانه",
        "teh-governorate",
        &[Role::SystemAdmin],
        &[],
    ),
    (
        "welfare.admin",
        "مدیر بهزیستی تهران",
        "teh-welfare",
        &[Role::AgencyAdmin],
        &["IR-23"],
    ),
    (
        "d01.secretary",
        "دبیر قرارگاه اجتماعی منطقهٔ ۱",
        "syn-d01-municipality",
        &[Role::CouncilSecretary],
        &["SYN-HMF-D01"],
    ),
    (
        "welfare.officer",
        "کارشناس بهزیستی منطقهٔ ۲",
        "teh-welfare",
        &[Role::AgencyOfficer],
        &["SYN-HMF-D02"],
    ),
    (
        "d01.officer",
        "کارشناس اجتماعی شهرداری منطقهٔ ۱",
        "syn-d01-municipality",
        &[Role::AgencyOfficer],
        &["SYN-HMF-D01"],
    ),
    (
        "d02.officer",
        "کارشناس اجتماعی شهرداری منطقهٔ ۲",
        "syn-d02-municipality",
        &[Role::AgencyOfficer],
        &["SYN-HMF-D02"],
    ),
    (
        "registry.supervisor",
        "ناظر ثبت افراد بهزیستی (پیوند سوابق)",
        "teh-welfare",
        &[Role::AgencyOfficer, Role::RegistrySupervisor],
        &["SYN-HMF"],
    ),
    (
        "child.protection",
        "کارشناس حمایت از کودک بهزیستی",
        "teh-welfare",
        &[Role::ChildProtection],
        &["SYN-HMF"],
    ),
    (
        "analyst",
        "پژوهشگر (آمار تجمیعی)",
        "teh-governorate",
        &[Role::Analyst],
        &["SYN-HMF"],
    ),
    (
        "kerman.viewer",
        "بیننده بهزیستی کرمان",
        "ker-welfare",
        &[Role::Viewer],
        &["IR-08"],
    ),
];

async fn import_embedded(store: &Store, bytes: &[u8], level: PlaceLevel) -> Result<usize, String> {
    let features = hamafza_geo::read_features(bytes).map_err(|e| e.to_string())?;
    let places = plan_places(store, &features, level, None)
        .await
        .map_err(|e| e.to_string())?
        .map_err(|problems| format!("embedded {} data is invalid: {problems:?}", level.code()))?;
    store
        .insert_places(&Who::system(), &places, &|_| {})
        .await
        .map_err(|e| e.to_string())?;
    Ok(places.len())
}

/// Loads everything, with resolutions played out over the months before `today`;
/// returns a one-line summary.
pub async fn load(
    store: &Store,
    today: time::Date,
    biometrics: Option<&hamafza_web::biometrics::Biometrics>,
) -> Result<String, String> {
    let provinces = import_embedded(store, PROVINCES, PlaceLevel::Province).await?;
    let counties = import_embedded(store, COUNTIES, PlaceLevel::County).await?;

    // The synthetic city sits in Tehran county, centred on a point inside it.
    let tehran = store
        .places_with_geometry_at(&[PlaceLevel::County])
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|(p, _)| p.code.starts_with("IR-23-") && p.name_fa == "تهران")
        .ok_or("Tehran county is missing from the demo boundaries")?;
    let centre = hamafza_geo::read_stored_geometry(&tehran.1)
        .as_ref()
        .and_then(inside_point)
        .map_or((51.39, 35.69), |p| (p.x(), p.y()));
    let origin = (centre.0 - 0.12, centre.1 - 0.10);
    let city = synthetic_city::build(&tehran.0, origin);
    let synthetic = city.len();
    store
        .insert_places(&Who::system(), &city, &|_| {})
        .await
        .map_err(|e| e.to_string())?;

    for (code, name, kind, place) in AGENCIES {
        let place_id = store
            .place_by_code(place)
            .await
            .map_err(|e| e.to_string())?
            .map(|p| p.id);
        store
            .create_agency(
                &Who::system(),
                &NewAgency {
                    code: (*code).into(),
                    name_fa: (*name).into(),
                    kind: *kind,
                    place_id,
                },
            )
            .await
            .map_err(|e| e.to_string())?;
    }
    let hash = hamafza_web::hash_password(DEMO_PASSWORD)?;
    for (username, display, agency, roles, places) in USERS {
        let agency = store
            .agency_by_code(agency)
            .await
            .map_err(|e| e.to_string())?
            .ok_or(StoreError::NotFound.to_string())?;
        let mut jurisdiction = Vec::new();
        for code in *places {
            jurisdiction.push(
                store
                    .place_by_code(code)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or(format!("no place {code}"))?
                    .id,
            );
        }
        store
            .create_user(
                &Who::system(),
                &NewUser {
                    username: (*username).into(),
                    display_name: (*display).into(),
                    agency_id: agency.id,
                    roles: roles.to_vec(),
                    jurisdiction,
                    password_hash: hash.clone(),
                },
            )
            .await
            .map_err(|e| e.to_string())?;
    }
    let (councils, meetings, resolutions) = councils::load(store, today).await?;
    let (indicators, events) = atlas::load(store, today).await?;
    let (people, encounters) = people::load(store, today, biometrics).await?;
    let queued = people::link(store).await?;
    // The faces both agencies captured go to the matcher after the names were linked,
    // so the queue shows the pairs both found.
    if let Some(biometrics) = biometrics {
        biometrics
            .process(store)
            .await
            .map_err(|e| format!("demo matcher: {e}"))?;
    }
    Ok(format!(
        "{provinces} provinces, {counties} counties, {synthetic} places of the synthetic city, {} agencies, {} users, {councils} councils, {meetings} meetings, {resolutions} resolutions, {indicators} indicators, {events} events, {people} people registered and {encounters} encounters counted without a name, {queued} likely duplicates queued for review",
        AGENCIES.len(),
        USERS.len()
    ))
}
