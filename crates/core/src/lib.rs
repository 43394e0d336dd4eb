//! Hamafza's domain rules, with no I/O: Persian text and digits, Jalali dates and
//! reporting periods, Iranian identifiers, places, the access policy and the audit chain.
//!
//! Everything here is synchronous and deterministic so that it is quick to compile and
//! easy to test; the store, the web layer and the CLI all decide through these functions.

pub mod access;
pub mod agency;
pub mod atlas;
pub mod audit;
pub mod biometrics;
pub mod checkpoint;
pub mod digits;
pub mod ids;
pub mod jalali;
pub mod linkage;
pub mod mobile;
pub mod national_id;
pub mod numbers;
pub mod people;
pub mod place;
pub mod resolutions;
pub mod scorecard;
pub mod text;

// The atlas's modules by their earlier names, which the other crates use.
pub use atlas::{classify, indicators as indicator, priority};
