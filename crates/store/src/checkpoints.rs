//! The audit chain against signed checkpoints (`hamafza_core::checkpoint`): what this
//! server's own checkpoints say it held, and what it witnesses for other servers.

use hamafza_core::audit::GENESIS;
use hamafza_core::checkpoint::Checkpoint;

use crate::{Store, StoreResult, now_text};

/// What a checkpoint shows against the chain in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointFinding {
    /// The signature is not the named key's: the checkpoint itself is forged.
    Forged { seq: i64 },
    /// Signed by a key other than the one expected.
    OtherKey { seq: i64 },
    /// The chain is shorter than a checkpoint once saw: its last entries were deleted.
    Truncated { seq: i64, now: i64 },
    /// Entry `seq` has another hash than the checkpoint saw: something at or before it
    /// was changed and the chain rebuilt.
    Rewritten { seq: i64 },
}

/// A checkpoint that contradicts one already witnessed from the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessConflict {
    pub seq: i64,
    pub witnessed_hash: String,
}

impl Store {
    /// The chain's length and last hash (`audit_head`).
    pub async fn audit_head(&self) -> StoreResult<(i64, String)> {
        let head: Option<(i64, String)> =
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
        Ok(head.unwrap_or((0, GENESIS.to_string())))
    }

    /// Checks each checkpoint's signature (and its key, when `expected_key` is given)
    /// and that the chain still has its entry with its hash. Run after `verify_audit`,
    /// which checks the chain holds together: together they catch a deleted tail and a
    /// rebuilt chain, which the chain alone cannot.
    pub async fn check_checkpoints(
        &self,
        checkpoints: &[Checkpoint],
        expected_key: Option<&str>,
    ) -> StoreResult<Vec<CheckpointFinding>> {
        let (length, _) = self.audit_head().await?;
        let mut findings = Vec::new();
        for c in checkpoints {
            if c.verify().is_err() {
                findings.push(CheckpointFinding::Forged { seq: c.seq });
                continue;
            }
            if expected_key.is_some_and(|k| k != c.key) {
                findings.push(CheckpointFinding::OtherKey { seq: c.seq });
                continue;
            }
            let stored: Option<String> =
                sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
                    .bind(c.seq)
                    .fetch_optional(&self.pool)
                    .await?;
            match stored {
                None if c.seq > length => findings.push(CheckpointFinding::Truncated {
                    seq: c.seq,
                    now: length,
                }),
                Some(h) if h == c.hash => {}
                _ => findings.push(CheckpointFinding::Rewritten { seq: c.seq }),
            }
        }
        Ok(findings)
    }

    /// Keeps a checkpoint of another server's chain (its signature checked by the
    /// caller). The same length with another hash is refused: that server's history was
    /// rewritten since, or it is lying to someone.
    pub async fn witness(&self, c: &Checkpoint) -> StoreResult<Result<(), WitnessConflict>> {
        let seen: Option<String> = sqlx::query_scalar(
            "SELECT hash FROM witnessed_checkpoints WHERE origin_key = $1 AND seq = $2",
        )
        .bind(&c.key)
        .bind(c.seq)
        .fetch_optional(&self.pool)
        .await?;
        match seen {
            Some(h) if h == c.hash => Ok(Ok(())),
            Some(h) => Ok(Err(WitnessConflict {
                seq: c.seq,
                witnessed_hash: h,
            })),
            None => {
                sqlx::query(
                    "INSERT INTO witnessed_checkpoints (origin_key, seq, hash, at, signature, received_at)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (origin_key, seq) DO NOTHING",
                )
                .bind(&c.key)
                .bind(c.seq)
                .bind(&c.hash)
                .bind(&c.at)
                .bind(&c.signature)
                .bind(now_text())
                .execute(&self.pool)
                .await?;
                Ok(Ok(()))
            }
        }
    }
}
