//! Place lists as last answered, by the caller's scope and filter: places change only
//! by imports, which move `data_versions.places`, so an answer stands until the version
//! moves (through this server or another on the same database). One read of the
//! version replaces a count and a page of rows.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;

/// Enough for the filters people use; past it the cache starts over.
const ENTRIES: usize = 2_000;

#[derive(Default)]
pub struct PlaceListCache(Mutex<(i64, HashMap<String, Bytes>)>);

impl PlaceListCache {
    pub fn get(&self, version: i64, key: &str) -> Option<Bytes> {
        let state = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (state.0 == version).then(|| state.1.get(key).cloned())?
    }

    pub fn put(&self, version: i64, key: String, answer: Bytes) {
        let mut state = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.0 != version || state.1.len() >= ENTRIES {
            state.1.clear();
            state.0 = version;
        }
        state.1.insert(key, answer);
    }
}
