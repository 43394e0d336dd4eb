//! Places: the browser of the hierarchy and its map (pages), and the places API.

pub mod api;
pub mod connect;
pub mod pages;
