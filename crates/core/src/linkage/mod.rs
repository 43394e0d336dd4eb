//! Identity linkage (issue 13): finding the same person registered by different
//! agencies. Pure and without I/O, so the store, the server and the benchmark share it.
//!
//! - [`names`]: the keys names are compared by (compact, sound, parts) and edit distance;
//! - [`record`]: a person as linkage sees them, prepared once into interned keys;
//! - [`compare`]: agreement levels of two records on every field;
//! - [`blocking`]: which pairs are compared at all;
//! - [`model`]: Fellegi–Sunter weights learnt by EM, with term-frequency adjustment;
//! - [`cluster`]: pairs into people, without chaining strangers;
//! - [`dedupe`]: a whole set at once; [`index`]: one new record against the registry.

pub mod blocking;
pub mod cluster;
pub mod compare;
pub mod dedupe;
pub mod index;
pub mod model;
pub mod names;
pub mod record;

pub use index::{Index, Match};
pub use model::Model;
pub use record::PersonFields;
