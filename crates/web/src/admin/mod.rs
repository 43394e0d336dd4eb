//! Administration: agencies, users and their roles and places, API tokens, and the
//! audit log.

pub mod api;
pub mod audit_pages;
pub mod audit_words;
pub mod pages;
