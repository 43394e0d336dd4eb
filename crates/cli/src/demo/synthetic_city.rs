//! The demo's synthetic city: 22 districts (منطقه), 44 sub-districts (ناحیه) and 352
//! neighbourhoods (محله) with invented names and boundaries, placed inside Tehran
//! county. Every place is flagged `synthetic`, so no one takes it for a real map.
//!
//! Layout: a 20 × 20 lattice of neighbourhood cells whose inner corners are nudged by a
//! fixed pseudo-random amount (so shapes look organic yet still tile exactly), grouped
//! into 4 × 4 blocks for districts (a 5 × 5 grid of blocks minus three corners = 22)
//! and 2 × 4 halves for sub-districts.

use hamafza_core::ids::PlaceId;
use std::collections::{HashMap, HashSet};

use hamafza_core::digits::to_persian;
use hamafza_core::place::{PlaceLevel, child_path};
use hamafza_geo::{MultiPolygon, area_km2, geometry_to_geojson};
use hamafza_store::{NewPlace, Place};

const CELLS: i32 = 20;
const BLOCK: i32 = 4;
/// Cell size in degrees (≈ 1.1 km × 1.1 km at Tehran's latitude).
const CELL_LON: f64 = 0.0122;
const CELL_LAT: f64 = 0.0100;
/// Blocks left out to give the city an irregular outline.
const MISSING_BLOCKS: [(i32, i32); 3] = [(0, 0), (4, 4), (4, 0)];

const PREFIXES: [&str; 8] = [
    "کوی",
    "شهرک",
    "محلهٔ",
    "باغ",
    "دشت",
    "تپهٔ",
    "بوستان",
    "چهارراه",
];
const WORDS: [&str; 44] = [
    "ارغوان",
    "نسترن",
    "سپیدار",
    "آفتاب",
    "مهتاب",
    "ستاره",
    "کهکشان",
    "سروناز",
    "یاسمن",
    "نیلوفر",
    "شقایق",
    "بنفشه",
    "اقاقیا",
    "چنار",
    "صنوبر",
    "افرا",
    "زیتون",
    "انار",
    "ترنج",
    "بهاره",
    "سحر",
    "شبنم",
    "رنگین‌کمان",
    "آبشار",
    "چشمه",
    "دریاچه",
    "کوهسار",
    "پرستو",
    "کبوتر",
    "سیمرغ",
    "قاصدک",
    "گلبرگ",
    "نارنج",
    "به‌لیمو",
    "سوسن",
    "میخک",
    "لاله",
    "مریم",
    "نرگس",
    "سنبل",
    "شب‌بو",
    "اطلسی",
    "آلاله",
    "ریحان",
];

/// A deterministic pseudo-random number in [-1, 1] for a lattice point.
fn jitter(i: i32, j: i32, salt: u32) -> f64 {
    let mut h = (i as u32).wrapping_mul(73_856_093)
        ^ (j as u32).wrapping_mul(19_349_663)
        ^ salt.wrapping_mul(83_492_791);
    h ^= h >> 13;
    h = h.wrapping_mul(0x5bd1_e995);
    h ^= h >> 15;
    (h % 20_001) as f64 / 10_000.0 - 1.0
}

/// Lon/lat of lattice vertex (i, j), with inner vertices nudged by up to 30 % of a cell.
fn vertex(origin: (f64, f64), i: i32, j: i32) -> (f64, f64) {
    let inner = i > 0 && i < CELLS && j > 0 && j < CELLS;
    let (dx, dy) = if inner {
        (0.3 * jitter(i, j, 1), 0.3 * jitter(i, j, 2))
    } else {
        (0.0, 0.0)
    };
    (
        origin.0 + (f64::from(i) + dx) * CELL_LON,
        origin.1 + (f64::from(j) + dy) * CELL_LAT,
    )
}

/// The outline of a set of cells as one ring of lattice vertices, counter-clockwise.
/// Works for any set of cells that forms one piece without holes or pinch points.
fn outline(cells: &HashSet<(i32, i32)>) -> Vec<(i32, i32)> {
    // Each cell's edges, counter-clockwise; an edge shared by two cells cancels out.
    let mut next: HashMap<(i32, i32), (i32, i32)> = HashMap::new();
    for &(i, j) in cells {
        let corners = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)];
        let neighbours = [(i, j - 1), (i + 1, j), (i, j + 1), (i - 1, j)];
        for k in 0..4 {
            if !cells.contains(&neighbours[k]) {
                next.insert(corners[k], corners[(k + 1) % 4]);
            }
        }
    }
    let Some(&start) = next.keys().min() else {
        return Vec::new();
    };
    let mut ring = vec![start];
    let mut at = start;
    while let Some(&n) = next.get(&at) {
        if n == start || ring.len() > next.len() {
            break;
        }
        ring.push(n);
        at = n;
    }
    ring.push(start);
    ring
}

fn polygon(origin: (f64, f64), cells: &HashSet<(i32, i32)>) -> MultiPolygon<f64> {
    let ring: Vec<(f64, f64)> = outline(cells)
        .into_iter()
        .map(|(i, j)| vertex(origin, i, j))
        .collect();
    MultiPolygon(vec![geo_polygon(ring)])
}

fn geo_polygon(ring: Vec<(f64, f64)>) -> hamafza_geo::Polygon<f64> {
    hamafza_geo::Polygon::new(ring.into(), vec![])
}

fn rect_cells(i0: i32, j0: i32, w: i32, h: i32) -> HashSet<(i32, i32)> {
    (i0..i0 + w)
        .flat_map(|i| (j0..j0 + h).map(move |j| (i, j)))
        .collect()
}

fn population(i: i32, j: i32) -> i64 {
    // 6,000–45,000 residents, denser towards the centre.
    let centre = ((f64::from(i) - 10.0).powi(2) + (f64::from(j) - 10.0).powi(2)).sqrt() / 14.0;
    let base = 45_000.0 - 30_000.0 * centre.min(1.0);
    (base * (0.8 + 0.2 * jitter(i, j, 3).abs())).round() as i64
}

fn new_place(
    code: String,
    name: String,
    level: PlaceLevel,
    parent: (PlaceId, &str),
    geometry: &MultiPolygon<f64>,
    population: i64,
) -> NewPlace {
    let id = PlaceId::new();
    NewPlace {
        path: child_path(Some(parent.1), &id.to_string()),
        id,
        code,
        level,
        parent_id: Some(parent.0),
        name_fa: name,
        name_en: None,
        population: Some(population),
        area_km2: Some(area_km2(geometry)),
        geometry: Some(geometry_to_geojson(geometry, 6).to_string()),
        osm_id: None,
        wikidata: None,
        synthetic: true,
    }
}

/// Builds the city and everything under it, parented to `county`, south-west corner at `origin`.
pub fn build(county: &Place, origin: (f64, f64)) -> Vec<NewPlace> {
    let blocks: Vec<(i32, i32)> = (0..5)
        .flat_map(|bj| (0..5).map(move |bi| (bi, bj)))
        .filter(|b| !MISSING_BLOCKS.contains(b))
        .collect();
    let all_cells: HashSet<(i32, i32)> = blocks
        .iter()
        .flat_map(|&(bi, bj)| rect_cells(bi * BLOCK, bj * BLOCK, BLOCK, BLOCK))
        .collect();
    let city_pop: i64 = all_cells.iter().map(|&(i, j)| population(i, j)).sum();
    let city_geom = polygon(origin, &all_cells);
    let city = new_place(
        "SYN-HMF".into(),
        "شهر نمونهٔ هم‌افزا (ساختگی)".into(),
        PlaceLevel::City,
        (county.id, &county.path),
        &city_geom,
        city_pop,
    );
    let mut out = vec![];
    let mut neighbourhood_no = 0usize;
    let mut districts = Vec::new();
    for (d, &(bi, bj)) in blocks.iter().enumerate() {
        let d_no = d + 1;
        let d_cells = rect_cells(bi * BLOCK, bj * BLOCK, BLOCK, BLOCK);
        let d_pop = d_cells.iter().map(|&(i, j)| population(i, j)).sum();
        let district = new_place(
            format!("SYN-HMF-D{d_no:02}"),
            format!("منطقهٔ {}", to_persian(&d_no.to_string())),
            PlaceLevel::District,
            (city.id, &city.path),
            &polygon(origin, &d_cells),
            d_pop,
        );
        let mut subs = Vec::new();
        for s in 0..2 {
            let s_cells = rect_cells(bi * BLOCK + s * 2, bj * BLOCK, 2, BLOCK);
            let s_pop = s_cells.iter().map(|&(i, j)| population(i, j)).sum();
            let sub = new_place(
                format!("SYN-HMF-D{d_no:02}-S{}", s + 1),
                format!(
                    "ناحیهٔ {} منطقهٔ {}",
                    to_persian(&(s + 1).to_string()),
                    to_persian(&d_no.to_string())
                ),
                PlaceLevel::SubDistrict,
                (district.id, &district.path),
                &polygon(origin, &s_cells),
                s_pop,
            );
            let mut cells: Vec<(i32, i32)> = s_cells.into_iter().collect();
            cells.sort_by_key(|&(i, j)| (j, i));
            let mut hoods = Vec::new();
            for (n, (i, j)) in cells.into_iter().enumerate() {
                let name = format!(
                    "{} {}",
                    PREFIXES[neighbourhood_no % PREFIXES.len()],
                    WORDS[neighbourhood_no / PREFIXES.len() % WORDS.len()]
                );
                neighbourhood_no += 1;
                hoods.push(new_place(
                    format!("SYN-HMF-D{d_no:02}-S{}-N{:02}", s + 1, n + 1),
                    name,
                    PlaceLevel::Neighbourhood,
                    (sub.id, &sub.path),
                    &polygon(origin, &HashSet::from([(i, j)])),
                    population(i, j),
                ));
            }
            subs.push((sub, hoods));
        }
        districts.push((district, subs));
    }
    out.push(city);
    for (district, subs) in districts {
        out.push(district);
        for (sub, hoods) in subs {
            out.push(sub);
            out.extend(hoods);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn county() -> Place {
        Place {
            id: hamafza_core::ids::PlaceId::new(),
            code: "IR-23-X".into(),
            level: PlaceLevel::County,
            parent_id: None,
            path: "/p/c/".into(),
            name_fa: "تهران".into(),
            name_en: None,
            population: None,
            area_km2: None,
            osm_id: None,
            wikidata: None,
            synthetic: false,
        }
    }

    #[test]
    fn counts_and_names() {
        let places = build(&county(), (51.2, 35.6));
        let count = |l| places.iter().filter(|p| p.level == l).count();
        assert_eq!(count(PlaceLevel::City), 1);
        assert_eq!(count(PlaceLevel::District), 22);
        assert_eq!(count(PlaceLevel::SubDistrict), 44);
        assert_eq!(count(PlaceLevel::Neighbourhood), 352);
        let names: HashSet<&str> = places
            .iter()
            .filter(|p| p.level == PlaceLevel::Neighbourhood)
            .map(|p| p.name_fa.as_str())
            .collect();
        assert_eq!(names.len(), 352, "neighbourhood names are unique");
        assert!(places.iter().all(|p| p.synthetic));
    }

    #[test]
    fn every_boundary_passes_the_import_checks() {
        for p in build(&county(), (51.2, 35.6)) {
            let g: serde_json::Value =
                serde_json::from_str(p.geometry.as_deref().unwrap_or("null")).unwrap_or_default();
            assert!(
                hamafza_geo::parse_geometry(&g).is_ok(),
                "{} invalid",
                p.code
            );
        }
    }

    #[test]
    fn parts_add_up() {
        let places = build(&county(), (51.2, 35.6));
        let city = &places[0];
        let districts: f64 = places
            .iter()
            .filter(|p| p.level == PlaceLevel::District)
            .filter_map(|p| p.area_km2)
            .sum();
        let hoods: i64 = places
            .iter()
            .filter(|p| p.level == PlaceLevel::Neighbourhood)
            .filter_map(|p| p.population)
            .sum();
        assert!(
            (city.area_km2.unwrap_or(0.0) - districts).abs() < 0.01 * districts,
            "districts tile the city"
        );
        assert_eq!(city.population, Some(hoods));
    }
}
