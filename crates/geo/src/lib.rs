//! Geometry for Hamafza: reading and checking GeoJSON boundaries, computing areas,
//! finding which place contains another, and drawing places as SVG.
//!
//! Spatial work happens here, in Rust, so neither SQLite nor PostgreSQL needs a spatial
//! extension.

pub mod containment;
pub mod features;
pub mod hexbin;
pub mod hotspot;
pub mod locate;
pub mod svg;

pub use features::{
    FeatureIn, GeoError, area_km2, geometry_to_geojson, parse_geometry, read_features,
    read_stored_geometry, simplify,
};
pub use geo::{MultiPolygon, Point, Polygon};
