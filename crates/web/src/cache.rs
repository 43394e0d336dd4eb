//! Answers kept in memory until the data they rest on moves. Each cache is tied to one
//! of the store's `data_versions` (moved inside the write that changes the data, by any
//! server on the same database): an entry stands while the version it was made at is
//! the current one, and the first caller to see a newer version starts the cache over.
//! One indexed read of the version replaces the queries and the work behind an answer.
//!
//! Keys must name everything the answer depends on besides the data: the caller's
//! scope (`{scope:?}`), what is hidden from them, and the request's parameters.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;

/// The JSON answer kept under `key` at `version`, or `make`'s, kept for next time.
/// Refusals and errors are never kept.
pub async fn kept_json<Fut>(
    cache: &VersionedCache<Bytes>,
    version: i64,
    key: String,
    make: impl FnOnce() -> Fut,
) -> Result<axum::response::Response, crate::error::AppError>
where
    Fut: Future<Output = Result<serde_json::Value, crate::error::AppError>>,
{
    use axum::response::IntoResponse;
    let bytes = cache
        .get_or_make(version, key, || async {
            Ok::<_, crate::error::AppError>(Bytes::from(make().await?.to_string()))
        })
        .await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        bytes,
    )
        .into_response())
}

/// Past this many entries a cache starts over: enough for the places, indicators and
/// periods people look at between two writes, bounded whatever they ask.
const ENTRIES: usize = 2_000;

pub struct VersionedCache<V> {
    slot: Mutex<(i64, HashMap<String, V>)>,
    /// Held while an answer is made: when 200 callers miss at once (after a write, or
    /// at start), one makes it and the others wait for it instead of making it too.
    making: tokio::sync::Mutex<()>,
}

impl<V> Default for VersionedCache<V> {
    fn default() -> Self {
        VersionedCache {
            slot: Mutex::new((0, HashMap::new())),
            making: tokio::sync::Mutex::new(()),
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

    /// The answer kept for `key` at `version`, or the one `make` makes, kept — made once
    /// however many callers ask for it at the same time. Errors are not kept.
    pub async fn get_or_make<E, Fut>(
        &self,
        version: i64,
        key: String,
        make: impl FnOnce() -> Fut,
    ) -> Result<V, E>
    where
        Fut: Future<Output = Result<V, E>>,
    {
        if let Some(v) = self.get(version, &key) {
            return Ok(v);
        }
        let _making = self.making.lock().await;
        if let Some(v) = self.get(version, &key) {
            return Ok(v);
        }
        let v = make().await?;
        self.put(version, key, v.clone());
        Ok(v)
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
