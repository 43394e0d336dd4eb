//! Identity linkage (issue 13): finding the same person registered by different
//! agencies. This module holds the comparisons, pure and without I/O, so the store,
//! the server and the benchmark share them. So far: the keys names are compared by
//! (`names`) and the agreement levels of national ids and birth years (`compare`).

pub mod compare;
pub mod names;
