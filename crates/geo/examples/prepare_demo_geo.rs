//! Builds the demo's province and county boundaries from the OpenStreetMap extracts in
//! `../shared/data/geo/`, simplified to a size that suits a binary and a browser.
//!
//! Run from the repository root:
//! `cargo run -p hamafza-geo --example prepare_demo_geo -- ../shared/data/geo crates/cli/demo`
//!
//! Output properties follow Hamafza's import format: `code`, `name_fa`, `name_en`,
//! `parent_code`, `population`, `osm_id`, `wikidata`.

use std::path::Path;

use geo::{MultiPolygon, SimplifyVwPreserve};
use hamafza_geo::{geometry_to_geojson, parse_geometry, read_features};
use serde_json::{Value, json};

/// Visvalingam–Whyatt area threshold in square degrees; topology-preserving, so the
/// simplified rings stay valid.
const PROVINCE_EPSILON: f64 = 4e-5;
const COUNTY_EPSILON: f64 = 4e-5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (src, dst) = match args.as_slice() {
        [_, s, d] => (Path::new(s), Path::new(d)),
        _ => return Err("usage: prepare_demo_geo SRC_DIR DST_DIR".into()),
    };
    std::fs::create_dir_all(dst)?;
    let provinces = convert(
        &src.join("iran_provinces_osm.geojson"),
        PROVINCE_EPSILON,
        |tags, _| {
            Some(json!({
                "code": tags.get("ISO3166-2")?,
                "name_fa": tags.get("name:fa").or(tags.get("name"))?,
                "name_en": tags.get("name:en"),
                "population": tags.get("population").and_then(|p| p.as_str()?.replace(',', "").parse::<i64>().ok()),
                "wikidata": tags.get("wikidata"),
            }))
        },
    )?;
    let counties = convert(
        &src.join("iran_counties_osm.geojson"),
        COUNTY_EPSILON,
        |tags, props| {
            let province = props.get("province_iso")?.as_str()?;
            let osm_id = props.get("id")?;
            let name = tags.get("name")?.as_str()?;
            Some(json!({
                "code": format!("{province}-{osm_id}"),
                "name_fa": name.strip_prefix("شهرستان ").unwrap_or(name),
                "name_en": tags.get("name:en").and_then(|n| n.as_str()).map(|n| n.trim_end_matches(" County")),
                "parent_code": province,
                "wikidata": tags.get("wikidata"),
            }))
        },
    )?;
    for (name, features) in [
        ("provinces.geojson", provinces),
        ("counties.geojson", counties),
    ] {
        let doc = json!({"type": "FeatureCollection", "features": features});
        let path = dst.join(name);
        std::fs::write(&path, serde_json::to_string(&doc)?)?;
        println!(
            "{}: {} bytes",
            path.display(),
            std::fs::metadata(&path)?.len()
        );
    }
    Ok(())
}

fn convert(
    path: &Path,
    epsilon: f64,
    props_of: impl Fn(&serde_json::Map<String, Value>, &serde_json::Map<String, Value>) -> Option<Value>,
) -> Result<Vec<Value>, Box<dyn std::error::Error>> {
    let features = read_features(&std::fs::read(path)?)?;
    let mut out = Vec::new();
    for f in features {
        let tags = f
            .properties
            .get("tags")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let Some(mut props) = props_of(&tags, &f.properties) else {
            eprintln!(
                "skipped feature {} of {}: missing code or name",
                f.number,
                path.display()
            );
            continue;
        };
        if let Some(id) = f.properties.get("id") {
            props["osm_id"] = json!(format!("relation/{id}"));
        }
        let geometry: MultiPolygon<f64> = match &f.geometry {
            Ok(g) => g.simplify_vw_preserve(epsilon),
            Err(e) => {
                eprintln!(
                    "feature {} of {} has a bad boundary: {e}",
                    f.number,
                    path.display()
                );
                continue;
            }
        };
        let gj = geometry_to_geojson(&geometry, 4);
        // The demo must load through the same checks as any import.
        if let Err(e) = parse_geometry(&gj) {
            return Err(format!(
                "simplified feature {} of {} is invalid: {e}",
                f.number,
                path.display()
            )
            .into());
        }
        out.push(json!({"type": "Feature", "properties": props, "geometry": gj}));
    }
    Ok(out)
}
