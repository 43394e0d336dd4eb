//! Answers kept in memory until the data they rest on moves. Each cache is tied to one
//! of the store's `data_versions` (moved inside the write that changes the data, by any
//! server on the same database): an entry stands while the version it was made at is
//! the current one, and the first caller to see a newer version starts the cache over.
//! One indexed read of the version replaces the queries and the work behind an answer.
//!
//! Keys must name everything the answer depends on besides the data: the caller's
//! scope (`{scope:?}`), what is hidden from them, and the request's parameters.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use hamafza_store::PlaceSummary;

use crate::atlas::MapData;
use crate::atlas::priority::Ranking;

/// The server's caches, each named with the version it follows.
#[derive(Default)]
pub struct Caches {
    /// `GET /api/v1/places` answers, by scope and filter (`places`).
    pub place_lists: VersionedCache<Bytes>,
    /// The places browser's map and tree, by scope (`places`).
    pub place_browser: VersionedCache<Arc<str>>,
    /// A place's children with an indicator's values, classified (`atlas`).
    pub maps: VersionedCache<Arc<MapData>>,
    /// The atlas page's map drawn (`atlas`).
    pub map_drawings: VersionedCache<Arc<str>>,
    /// A priority index run over a place's children (`atlas`).
    pub rankings: VersionedCache<Arc<(Ranking, Vec<PlaceSummary>)>>,
}

/// Past this many entries a cache starts over: enough for the places, indicators and
/// periods people look at between two writes, bounded whatever they ask.
const ENTRIES: usize = 2_000;

pub struct VersionedCache<V> {
    slot: Mutex<(i64, HashMap<String, V>)>,
}

impl<V> Default for VersionedCache<V> {
    fn default() -> Self {
        VersionedCache {
            slot: Mutex::new((0, HashMap::new())),
        }
    }
}

impl<V: Clone> VersionedCache<V> {
    /// The answer kept for `key`, if it was made at `version`.
    pub fn get(&self, version: i64, key: &str) -> Option<V> {
        let slot = self
            .slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (slot.0 == version).then(|| slot.1.get(key).cloned())?
    }

    /// Keeps an answer made at `version` (an answer made at an older version than the
    /// one already kept is not kept).
    pub fn put(&self, version: i64, key: String, answer: V) {
        let mut slot = self
            .slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if version < slot.0 {
            return;
        }
        if slot.0 != version || slot.1.len() >= ENTRIES {
            slot.1.clear();
            slot.0 = version;
        }
        slot.1.insert(key, answer);
    }
}

#[cfg(test)]
mod tests {
    use super::VersionedCache;

    #[test]
    fn an_answer_stands_until_its_version_moves() {
        let cache = VersionedCache::default();
        cache.put(3, "a".into(), 1);
        assert_eq!(cache.get(3, "a"), Some(1));
        assert_eq!(cache.get(3, "b"), None);
        assert_eq!(
            cache.get(4, "a"),
            None,
            "a newer version hides older answers"
        );
        cache.put(2, "late".into(), 9);
        assert_eq!(
            cache.get(3, "late"),
            None,
            "an answer made at an older version is dropped"
        );
        cache.put(4, "a".into(), 2);
        assert_eq!(cache.get(4, "a"), Some(2));
        assert_eq!(cache.get(3, "a"), None);
    }
}
