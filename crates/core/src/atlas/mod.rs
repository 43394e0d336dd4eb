//! The atlas's rules: the indicator dictionary and small-number suppression
//! ([`indicators`]), choropleth classes ([`classify`]) and the priority index
//! ([`priority`]). No I/O: the store counts, these decide what the counts mean.

pub mod classify;
pub mod indicators;
pub mod priority;
