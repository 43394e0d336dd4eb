//! The web crate's integration tests, in one binary (one link, one process start): a
//! real server on a free port over SQLite and over PostgreSQL, driven over HTTP.

#[macro_use]
mod common;

mod atlas;
mod biometrics;
mod flood;
mod hardening;
mod http;
mod linkage;
mod matrix;
mod people;
mod resolutions;
mod servers;
mod source_rules;
