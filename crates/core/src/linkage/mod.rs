//! Identity linkage (issue 13): finding the same person registered by different
//! agencies. This module holds the comparisons, pure and without I/O, so the store,
//! the server and the benchmark share them. The first piece: the keys names are
//! compared by.

pub mod names;
