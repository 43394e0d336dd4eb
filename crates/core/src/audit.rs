//! The audit chain: each entry's hash covers its content and the previous entry's hash,
//! so changing, removing or reordering any entry breaks every hash after it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash the first entry chains to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    /// RFC 3339 UTC instant.
    pub at: String,
    pub actor_user_id: Option<String>,
    pub actor_agency_id: Option<String>,
    pub action: String,
    pub record_type: String,
    pub record_id: String,
    /// JSON with the before/after summary; personal values appear only as digests.
    pub summary: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The SHA-256 (hex) of an entry's content chained to `prev_hash`. Each field is length-
/// prefixed so that moving text from one field to the next changes the hash.
pub fn entry_hash(prev_hash: &str, e: &AuditEntry) -> String {
    let mut h = Sha256::new();
    let fields: [&str; 9] = [
        prev_hash,
        &e.seq.to_string(),
        &e.at,
        e.actor_user_id.as_deref().unwrap_or(""),
        e.actor_agency_id.as_deref().unwrap_or(""),
        &e.action,
        &e.record_type,
        &e.record_id,
        &e.summary,
    ];
    for f in fields {
        h.update((f.len() as u64).to_be_bytes());
        h.update(f.as_bytes());
    }
    hex(&h.finalize())
}

/// A digest standing in for a personal value in an audit summary: equal values can be
/// matched by someone who already knows the value, nobody can read it back.
pub fn personal_digest(value: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"hamafza-audit-personal:");
    h.update(value.as_bytes());
    hex(&h.finalize())[..16].to_string()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first entry found wrong while verifying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub seq: i64,
    pub reason: &'static str,
}

/// Walks the chain in order; returns the number of entries or the first bad one.
pub struct ChainVerifier {
    expected_seq: i64,
    prev_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            expected_seq: 1,
            prev_hash: GENESIS.to_string(),
        }
    }
}

impl ChainVerifier {
    pub fn push(&mut self, e: &AuditEntry) -> Result<(), ChainBreak> {
        let fail = |reason| Err(ChainBreak { seq: e.seq, reason });
        if e.seq != self.expected_seq {
            return fail("شمارهٔ ردیف پیوسته نیست: ردیفی حذف یا جابه‌جا شده است");
        }
        if e.prev_hash != self.prev_hash {
            return fail("به ردیف پیشین زنجیر نشده است");
        }
        if entry_hash(&e.prev_hash, e) != e.hash {
            return fail("محتوای ردیف پس از ثبت تغییر کرده است");
        }
        self.expected_seq += 1;
        self.prev_hash = e.hash.clone();
        Ok(())
    }

    pub fn count(&self) -> i64 {
        self.expected_seq - 1
    }

    pub fn last_hash(&self) -> &str {
        &self.prev_hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEntry {
                    seq,
                    at: format!("2025-10-11T10:00:{seq:02}Z"),
                    actor_user_id: Some("u".into()),
                    actor_agency_id: None,
                    action: "place.create".into(),
                    record_type: "place".into(),
                    record_id: format!("p{seq}"),
                    summary: "{}".into(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = entry_hash(&prev, &e);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn verify(entries: &[AuditEntry]) -> Result<i64, ChainBreak> {
        let mut v = ChainVerifier::default();
        for e in entries {
            v.push(e)?;
        }
        Ok(v.count())
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
    }

    #[test]
    fn change_removal_and_reorder_are_caught() {
        let mut changed = chain(5);
        changed[2].record_id = "other".into();
        assert_eq!(verify(&changed).map_err(|b| b.seq), Err(3));

        let mut removed = chain(5);
        removed.remove(1);
        assert_eq!(verify(&removed).map_err(|b| b.seq), Err(3));

        let mut swapped = chain(5);
        swapped.swap(1, 2);
        assert!(verify(&swapped).is_err());

        // Rewriting an entry and its hash still breaks the next link.
        let mut rehashed = chain(5);
        rehashed[1].summary = "{\"x\":1}".into();
        rehashed[1].hash = entry_hash(&rehashed[1].prev_hash.clone(), &rehashed[1]);
        assert_eq!(verify(&rehashed).map_err(|b| b.seq), Err(3));
    }

    #[test]
    fn personal_digest_hides_value() {
        let d = personal_digest("0084575948");
        assert_eq!(d.len(), 16);
        assert!(!d.contains("0084575948"));
        assert_eq!(d, personal_digest("0084575948"));
    }
}
