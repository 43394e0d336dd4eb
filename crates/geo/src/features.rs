//! Reading boundaries from GeoJSON, checking them, and writing them back.

use geo::{
    BoundingRect, Coord, GeodesicArea, LineString, MultiPolygon, Polygon, Simplify, Validation,
};
use serde_json::{Map, Value};
use thiserror::Error;

/// Why a whole file could not be read. Per-feature problems are reported per feature.
#[derive(Debug, Error)]
pub enum GeoError {
    #[error("پرونده UTF-8 معتبر نیست (بایت {0})")]
    NotUtf8(usize),
    #[error("پرونده JSON معتبر نیست: سطر {line}، ستون {column}")]
    NotJson { line: usize, column: usize },
    #[error("پرونده باید یک FeatureCollection در قالب GeoJSON باشد")]
    NotFeatureCollection,
}

/// One feature of an import file: its properties and its boundary, or why the boundary
/// is unusable.
#[derive(Debug, Clone)]
pub struct FeatureIn {
    /// Position in the file, from 1, for error messages.
    pub number: usize,
    pub properties: Map<String, Value>,
    pub geometry: Result<MultiPolygon<f64>, String>,
}

impl FeatureIn {
    /// A string property, trimmed; empty strings count as missing.
    pub fn text(&self, key: &str) -> Option<String> {
        match self.properties.get(key)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

/// Reads a GeoJSON FeatureCollection. Each feature's geometry is parsed and checked
/// separately, so one bad feature does not hide the others.
pub fn read_features(bytes: &[u8]) -> Result<Vec<FeatureIn>, GeoError> {
    let text = std::str::from_utf8(bytes).map_err(|e| GeoError::NotUtf8(e.valid_up_to()))?;
    let doc: Value = serde_json::from_str(text).map_err(|e| GeoError::NotJson {
        line: e.line(),
        column: e.column(),
    })?;
    if doc.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(GeoError::NotFeatureCollection);
    }
    let features = doc
        .get("features")
        .and_then(Value::as_array)
        .ok_or(GeoError::NotFeatureCollection)?;
    Ok(features
        .iter()
        .enumerate()
        .map(|(i, f)| FeatureIn {
            number: i + 1,
            properties: f
                .get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            geometry: match f.get("geometry") {
                None | Some(Value::Null) => Err("مرز (geometry) ندارد".to_string()),
                Some(g) => parse_geometry(g),
            },
        })
        .collect())
}

/// Parses and checks a Polygon or MultiPolygon in WGS84 lon/lat.
pub fn parse_geometry(value: &Value) -> Result<MultiPolygon<f64>, String> {
    let geometry = serde_json::from_value::<geojson::Geometry>(value.clone())
        .map_err(|e| format!("GeoJSON نامعتبر: {e}"))?;
    let mp: MultiPolygon<f64> = match geometry.value {
        geojson::GeometryValue::Polygon { .. } => {
            let p: Polygon<f64> = geometry
                .value
                .try_into()
                .map_err(|e| format!("چندضلعی نامعتبر: {e}"))?;
            MultiPolygon(vec![p])
        }
        geojson::GeometryValue::MultiPolygon { .. } => geometry
            .value
            .try_into()
            .map_err(|e| format!("چندضلعی نامعتبر: {e}"))?,
        _ => return Err("مرز باید Polygon یا MultiPolygon باشد".to_string()),
    };
    check(&mp)?;
    Ok(mp)
}

/// Reads a boundary written by Hamafza itself (checked when it was imported), without
/// checking it again: for drawing, where speed matters.
pub fn read_stored_geometry(text: &str) -> Option<MultiPolygon<f64>> {
    let g: geojson::Geometry = serde_json::from_str(text).ok()?;
    match g.value {
        geojson::GeometryValue::Polygon { .. } => Polygon::<f64>::try_from(g.value)
            .ok()
            .map(|p| MultiPolygon(vec![p])),
        geojson::GeometryValue::MultiPolygon { .. } => MultiPolygon::<f64>::try_from(g.value).ok(),
        _ => None,
    }
}

fn check(mp: &MultiPolygon<f64>) -> Result<(), String> {
    if mp.0.is_empty() {
        return Err("مرز خالی است".into());
    }
    for poly in &mp.0 {
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            if ring.0.len() < 4 {
                return Err("هر حلقهٔ مرز دست‌کم چهار نقطه می‌خواهد".into());
            }
            if ring.0.first() != ring.0.last() {
                return Err("حلقهٔ مرز بسته نیست".into());
            }
            if let Some(c) = ring.0.iter().find(|c| !in_wgs84(c)) {
                return Err(format!(
                    "مختصات ({}, {}) بیرون از طول و عرض جغرافیایی معتبر است",
                    c.x, c.y
                ));
            }
        }
    }
    if let Err(e) = mp.check_validation() {
        return Err(format!("هندسهٔ نامعتبر: {e}"));
    }
    if area_km2(mp) <= 0.0 {
        return Err("مساحت مرز صفر است".into());
    }
    Ok(())
}

fn in_wgs84(c: &Coord<f64>) -> bool {
    c.x.is_finite()
        && c.y.is_finite()
        && (-180.0..=180.0).contains(&c.x)
        && (-90.0..=90.0).contains(&c.y)
}

/// Area on the WGS84 ellipsoid, in km².
pub fn area_km2(mp: &MultiPolygon<f64>) -> f64 {
    mp.geodesic_area_unsigned() / 1_000_000.0
}

/// Douglas–Peucker simplification with `tolerance` in degrees, dropping parts that
/// collapse to nothing.
pub fn simplify(mp: &MultiPolygon<f64>, tolerance: f64) -> MultiPolygon<f64> {
    let simplified = mp.simplify(tolerance);
    let kept: Vec<Polygon<f64>> = simplified
        .0
        .into_iter()
        .filter(|p| p.exterior().0.len() >= 4)
        .map(|p| {
            let (ext, ints) = p.into_inner();
            Polygon::new(
                ext,
                ints.into_iter()
                    .filter(|r: &LineString<f64>| r.0.len() >= 4)
                    .collect(),
            )
        })
        .collect();
    if kept.is_empty() {
        // Too small to simplify: keep its bounding box rather than lose the place.
        match mp.bounding_rect() {
            Some(r) => MultiPolygon(vec![r.to_polygon()]),
            None => mp.clone(),
        }
    } else {
        MultiPolygon(kept)
    }
}

/// GeoJSON geometry object, coordinates rounded to `decimals` places.
pub fn geometry_to_geojson(mp: &MultiPolygon<f64>, decimals: i32) -> Value {
    let scale = 10f64.powi(decimals);
    let round = |v: f64| (v * scale).round() / scale;
    let ring = |r: &LineString<f64>| {
        Value::Array(
            r.0.iter()
                .map(|c| serde_json::json!([round(c.x), round(c.y)]))
                .collect(),
        )
    };
    let polys: Vec<Value> =
        mp.0.iter()
            .map(|p| {
                Value::Array(
                    std::iter::once(p.exterior())
                        .chain(p.interiors())
                        .map(ring)
                        .collect(),
                )
            })
            .collect();
    serde_json::json!({ "type": "MultiPolygon", "coordinates": polys })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64, s: f64) -> Value {
        serde_json::json!({"type":"Polygon","coordinates":[[[x,y],[x+s,y],[x+s,y+s],[x,y+s],[x,y]]]})
    }

    #[test]
    fn reads_good_and_reports_bad_features() {
        let doc = serde_json::json!({"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"code":"A"},"geometry":square(51.0,35.0,0.1)},
            {"type":"Feature","properties":{"code":"B"},"geometry":null},
            {"type":"Feature","properties":{"code":"C"},"geometry":{"type":"Polygon","coordinates":[[[51,35],[52,36],[51,36],[52,35],[51,35]]]}},
            {"type":"Feature","properties":{"code":"D"},"geometry":{"type":"Point","coordinates":[51,35]}},
            {"type":"Feature","properties":{"code":"E"},"geometry":square(500.0,35.0,0.1)},
        ]});
        let f = read_features(doc.to_string().as_bytes()).expect("collection");
        assert_eq!(f.len(), 5);
        assert!(f[0].geometry.is_ok());
        assert!(f[1].geometry.is_err());
        assert!(
            f[2].geometry.as_ref().is_err_and(|e| e.contains("نامعتبر")),
            "self-intersecting bow tie"
        );
        assert!(f[3].geometry.is_err());
        assert!(f[4].geometry.is_err());
        assert_eq!(f[0].text("code").as_deref(), Some("A"));
    }

    #[test]
    fn file_level_errors() {
        assert!(matches!(
            read_features(b"\xff\xfe"),
            Err(GeoError::NotUtf8(_))
        ));
        assert!(matches!(
            read_features(b"{\"type\":"),
            Err(GeoError::NotJson { .. })
        ));
        assert!(matches!(
            read_features(b"{\"type\":\"Feature\"}"),
            Err(GeoError::NotFeatureCollection)
        ));
    }

    #[test]
    fn area_of_a_known_square() {
        // 0.1° × 0.1° at 35°N ≈ 11.13 km × 9.12 km ≈ 101.5 km²
        let mp = parse_geometry(&square(51.0, 35.0, 0.1)).expect("valid");
        let a = area_km2(&mp);
        assert!((a - 101.5).abs() < 1.0, "{a}");
    }

    #[test]
    fn geojson_round_trip() {
        let mp = parse_geometry(&square(51.0, 35.0, 0.1)).expect("valid");
        let back = parse_geometry(&geometry_to_geojson(&mp, 6)).expect("valid");
        assert_eq!(mp, back);
    }
}
