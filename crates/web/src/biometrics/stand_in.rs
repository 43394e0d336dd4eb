//! The built-in matcher as an ABIS would be: it keeps its own gallery of the
//! references it was asked to insert (loaded once from the store's sealed templates
//! when the server starts) and answers the contract's messages with
//! [`StandInMatcher`] — **a stand-in for the demo and the tests, not a biometric
//! algorithm**.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hamafza_core::biometrics::abis::{Candidate, CandidateList, Operation, Request, Response};
use hamafza_core::biometrics::stand_in::StandInMatcher;
use hamafza_core::biometrics::{VECTOR_FORMAT, VectorTemplate};
use hamafza_store::biometrics::TemplateKey;
use hamafza_store::{Store, StoreResult};
use serde_json::Value;

#[derive(Default)]
pub struct StandInAbis {
    loaded: bool,
    gallery: HashMap<String, VectorTemplate>,
    matcher: StandInMatcher,
}

/// MOSIP's failure reasons the stand-in gives.
const UNABLE: i64 = 4;
const MISSING_REFERENCE: i64 = 5;
const UNREADABLE: i64 = 7;

impl StandInAbis {
    /// Fills the gallery from the templates on record, once.
    pub async fn load(&mut self, store: &Store, key: &TemplateKey) -> StoreResult<()> {
        if self.loaded {
            return Ok(());
        }
        for (reference, t) in store.stand_in_gallery(key).await? {
            if let Some(v) = vector(&t.format, &t.data) {
                self.gallery.insert(reference, v);
            }
        }
        self.loaded = true;
        Ok(())
    }

    /// The response to one request, at once.
    pub fn answer(&mut self, request: &Request) -> Response {
        let now = hamafza_store::instant_text(time::OffsetDateTime::now_utc());
        let Some(op) = request.operation() else {
            return Response::failure(Operation::Ping, &request.request_id, &now, UNABLE);
        };
        let id = request.request_id.as_str();
        let reference = request.reference_id.clone();
        match (op, reference) {
            (Operation::Ping, _) => Response::success(op, id, &now),
            (Operation::Insert, Some(r)) => {
                let template = request
                    .biometrics
                    .as_ref()
                    .and_then(|b| vector(&b.format, &b.data));
                match template {
                    Some(t) => {
                        self.gallery.insert(r, t);
                        Response::success(op, id, &now)
                    }
                    None => Response::failure(op, id, &now, UNREADABLE),
                }
            }
            (Operation::Identify, Some(r)) => {
                let Some(probe) = self.gallery.get(&r) else {
                    return Response::failure(op, id, &now, MISSING_REFERENCE);
                };
                let found = self.matcher.identify(
                    &r,
                    probe,
                    self.gallery.iter().map(|(k, v)| (k.as_str(), v)),
                );
                let candidates = found
                    .into_iter()
                    .map(|(reference_id, confidence)| {
                        let mut analytics = serde_json::Map::new();
                        analytics.insert("confidence".into(), Value::from(confidence.to_string()));
                        Candidate {
                            reference_id,
                            analytics,
                        }
                    })
                    .collect::<Vec<_>>();
                Response {
                    candidate_list: Some(CandidateList {
                        count: Value::from(candidates.len().to_string()),
                        candidates: Some(candidates),
                    }),
                    ..Response::success(op, id, &now)
                }
            }
            // Deleting a reference never inserted (its insert failed) leaves nothing
            // to delete: done.
            (Operation::Delete, Some(r)) => {
                self.gallery.remove(&r);
                Response::success(op, id, &now)
            }
            (_, None) => Response::failure(op, id, &now, MISSING_REFERENCE),
        }
    }
}

/// A template the stand-in can compare, if it is one.
fn vector(format: &str, data: &str) -> Option<VectorTemplate> {
    if format != VECTOR_FORMAT {
        return None;
    }
    let bytes = BASE64.decode(data).ok()?;
    VectorTemplate::from_bytes(&bytes).ok()
}
