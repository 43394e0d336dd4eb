//! Hamafza's documents: periodic Persian PDF reports typeset with Typst in-process, and
//! resolution lists as spreadsheets (XLSX out; XLSX or CSV in).

pub mod people;
pub mod profile;
pub mod resolutions;
pub mod spreadsheet;
pub mod typeset;

pub use resolutions::{ResolutionReport, Subject, gather};
