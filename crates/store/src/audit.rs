//! The append-only, hash-chained audit log.

use hamafza_core::access::{Actor, Scope};
use hamafza_core::audit::{AuditEntry, ChainBreak, ChainVerifier, GENESIS, entry_hash};
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};
use uuid::Uuid;

use crate::{Store, StoreResult, dialect, now_text};

/// Who did a write: a signed-in user, or the command line / system (no user).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Who {
    pub user_id: Option<Uuid>,
    pub agency_id: Option<Uuid>,
}

impl Who {
    /// The command line or the server itself.
    pub fn system() -> Self {
        Who::default()
    }

    pub fn of(actor: &Actor) -> Self {
        Who {
            user_id: Some(actor.user_id),
            agency_id: Some(actor.agency_id),
        }
    }
}

/// An audit entry waiting to be appended with others ([`WriteTx::audit_many`]).
pub(crate) struct PendingAudit {
    pub(crate) who: Who,
    pub(crate) action: &'static str,
    pub(crate) record_type: &'static str,
    pub(crate) record_id: String,
    pub(crate) summary: serde_json::Value,
}

/// A write transaction that owns the audit chain's lock until it commits.
pub(crate) struct WriteTx {
    _guard: tokio::sync::OwnedMutexGuard<()>,
    pub(crate) tx: Transaction<'static, Any>,
    engine: crate::Engine,
}

impl Store {
    pub(crate) async fn write_tx(&self) -> StoreResult<WriteTx> {
        let guard = self.audit_lock.clone().lock_owned().await;
        let mut tx = self.pool.begin().await?;
        dialect::lock_audit_chain(self.engine, &mut tx).await?;
        Ok(WriteTx {
            _guard: guard,
            tx,
            engine: self.engine,
        })
    }
}

impl WriteTx {
    /// Appends one entry chained to the current head.
    pub(crate) async fn audit(
        &mut self,
        who: &Who,
        action: &str,
        record_type: &str,
        record_id: &(impl std::fmt::Display + ?Sized),
        summary: serde_json::Value,
    ) -> StoreResult<()> {
        let _ = self.engine;
        let head: Option<(i64, String)> =
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_optional(&mut *self.tx)
                .await?;
        let (last_seq, prev_hash) = head.unwrap_or((0, GENESIS.to_string()));
        let mut entry = AuditEntry {
            seq: last_seq + 1,
            at: now_text(),
            actor_user_id: who.user_id.map(|u| u.to_string()),
            actor_agency_id: who.agency_id.map(|a| a.to_string()),
            action: action.to_string(),
            record_type: record_type.to_string(),
            record_id: record_id.to_string(),
            summary: summary.to_string(),
            prev_hash,
            hash: String::new(),
        };
        entry.hash = entry_hash(&entry.prev_hash, &entry);
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor_user_id, actor_agency_id, action, record_type, record_id, summary, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(entry.seq)
        .bind(&entry.at)
        .bind(&entry.actor_user_id)
        .bind(&entry.actor_agency_id)
        .bind(&entry.action)
        .bind(&entry.record_type)
        .bind(&entry.record_id)
        .bind(&entry.summary)
        .bind(&entry.prev_hash)
        .bind(&entry.hash)
        .execute(&mut *self.tx)
        .await?;
        let updated = sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(entry.seq)
            .bind(&entry.hash)
            .execute(&mut *self.tx)
            .await?;
        if updated.rows_affected() == 0 {
            sqlx::query("INSERT INTO audit_head (id, seq, hash) VALUES (1, $1, $2)")
                .bind(entry.seq)
                .bind(&entry.hash)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    /// Appends several entries chained in order, in a few statements (bulk writes: an
    /// agency's list). The chain is the same as appending them one by one.
    pub(crate) async fn audit_many(&mut self, entries: Vec<PendingAudit>) -> StoreResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let head: Option<(i64, String)> =
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_optional(&mut *self.tx)
                .await?;
        let (mut seq, mut prev_hash) = head.unwrap_or((0, GENESIS.to_string()));
        let had_head = seq > 0;
        let mut rows = crate::rows::Rows::new(
            "audit_log",
            &[
                "seq",
                "at",
                "actor_user_id",
                "actor_agency_id",
                "action",
                "record_type",
                "record_id",
                "summary",
                "prev_hash",
                "hash",
            ],
        );
        let at = now_text();
        for p in entries {
            seq += 1;
            let mut entry = AuditEntry {
                seq,
                at: at.clone(),
                actor_user_id: p.who.user_id.map(|u| u.to_string()),
                actor_agency_id: p.who.agency_id.map(|a| a.to_string()),
                action: p.action.to_string(),
                record_type: p.record_type.to_string(),
                record_id: p.record_id,
                summary: p.summary.to_string(),
                prev_hash: prev_hash.clone(),
                hash: String::new(),
            };
            entry.hash = entry_hash(&entry.prev_hash, &entry);
            prev_hash = entry.hash.clone();
            rows.push(vec![
                entry.seq.into(),
                entry.at.into(),
                entry.actor_user_id.into(),
                entry.actor_agency_id.into(),
                entry.action.into(),
                entry.record_type.into(),
                entry.record_id.into(),
                entry.summary.into(),
                entry.prev_hash.into(),
                entry.hash.into(),
            ]);
        }
        rows.insert(&mut self.tx).await?;
        let sql = if had_head {
            "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1"
        } else {
            "INSERT INTO audit_head (id, seq, hash) VALUES (1, $1, $2)"
        };
        sqlx::query(sql)
            .bind(seq)
            .bind(&prev_hash)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub(crate) async fn commit(self) -> StoreResult<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// Filters for the audit page and API.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Matches actions starting with this text, e.g. `user.` or `place.import`.
    pub action: Option<String>,
    pub record_type: Option<String>,
    pub actor_user_id: Option<Uuid>,
    pub limit: i64,
    pub offset: i64,
}

/// The outcome of `hamafza audit verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditVerification {
    Intact { entries: i64 },
    Broken(ChainBreak),
}

pub(crate) fn entry_from_row(r: &AnyRow) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        actor_user_id: r.try_get("actor_user_id")?,
        actor_agency_id: r.try_get("actor_agency_id")?,
        action: r.try_get("action")?,
        record_type: r.try_get("record_type")?,
        record_id: r.try_get("record_id")?,
        summary: r.try_get("summary")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

pub(crate) const ENTRY_COLUMNS: &str = "seq, at, actor_user_id, actor_agency_id, action, record_type, record_id, summary, prev_hash, hash";

impl Store {
    /// Audit entries the caller may see, newest first.
    pub async fn list_audit(
        &self,
        scope: &Scope,
        filter: &AuditFilter,
    ) -> StoreResult<(Vec<AuditEntry>, i64)> {
        let mut binds: Vec<String> = Vec::new();
        let mut conditions = vec![crate::scope_sql::owned_by_agency(
            scope,
            "actor_agency_id",
            &mut binds,
        )];
        for (field, text) in [
            ("action", &filter.action),
            ("record_type", &filter.record_type),
        ] {
            if let Some(text) = text {
                crate::search_text_ok(field, text)?;
            }
        }
        if let Some(action) = filter.action.as_deref().filter(|s| !s.is_empty()) {
            binds.push(format!("{}%", crate::like_escape(action)));
            conditions.push(format!("action LIKE ${} ESCAPE '\\'", binds.len()));
        }
        if let Some(rt) = filter.record_type.as_deref().filter(|s| !s.is_empty()) {
            binds.push(rt.to_string());
            conditions.push(format!("record_type = ${}", binds.len()));
        }
        if let Some(user) = filter.actor_user_id {
            binds.push(user.to_string());
            conditions.push(format!("actor_user_id = ${}", binds.len()));
        }
        let where_sql = conditions.join(" AND ");
        let count_sql = format!("SELECT COUNT(*) FROM audit_log WHERE {where_sql}");
        let mut count = sqlx::query_scalar::<_, i64>(AssertSqlSafe(count_sql));
        for b in &binds {
            count = count.bind(b);
        }
        let total = count.fetch_one(&self.pool).await?;
        let list_sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE {where_sql} ORDER BY seq DESC LIMIT {} OFFSET {}",
            filter.limit.clamp(1, 500),
            filter.offset.max(0)
        );
        let q = crate::query_with(list_sql, &binds);
        let rows = q.fetch_all(&self.pool).await?;
        let entries = rows
            .iter()
            .map(entry_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((entries, total))
    }

    /// Re-computes the whole chain and compares its end with the recorded head.
    pub async fn verify_audit(&self) -> StoreResult<AuditVerification> {
        let mut verifier = ChainVerifier::default();
        let batch = 5_000i64;
        let mut after = 0i64;
        loop {
            let rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT {batch}"
            )))
            .bind(after)
            .fetch_all(&self.pool)
            .await?;
            let entries = rows
                .iter()
                .map(entry_from_row)
                .collect::<StoreResult<Vec<_>>>()?;
            for e in &entries {
                if let Err(b) = verifier.push(e) {
                    return Ok(AuditVerification::Broken(b));
                }
            }
            match entries.last() {
                Some(last) if entries.len() as i64 == batch => after = last.seq,
                _ => break,
            }
        }
        let head: Option<(i64, String)> =
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
        let (head_seq, head_hash) = head.unwrap_or((0, GENESIS.to_string()));
        if head_seq != verifier.count() || head_hash != verifier.last_hash() {
            return Ok(AuditVerification::Broken(ChainBreak {
                seq: verifier.count() + 1,
                reason: "ردیف‌های پایانی دفتر حذف شده‌اند یا سرِ زنجیره دست‌کاری شده است",
            }));
        }
        Ok(AuditVerification::Intact {
            entries: verifier.count(),
        })
    }
}
