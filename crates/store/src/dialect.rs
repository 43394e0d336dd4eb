//! The few statements that differ between SQLite and PostgreSQL, kept in one place.

use sqlx::{Any, Transaction};

use crate::{Engine, StoreResult};

/// Takes the lock that makes audit appends from several app servers form one chain.
/// SQLite has a single writer already (and this process's mutex orders its own tasks).
pub(crate) async fn lock_audit_chain(
    engine: Engine,
    tx: &mut Transaction<'_, Any>,
) -> StoreResult<()> {
    if engine == Engine::Postgres {
        sqlx::query("LOCK TABLE audit_head IN EXCLUSIVE MODE")
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Splits a migration file into statements. Our migrations contain no semicolons inside
/// literals or bodies, which the test of every migration on both engines guards.
pub(crate) fn statements(sql: &str) -> impl Iterator<Item = String> + '_ {
    sql.split(';')
        .map(|s| {
            s.lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .filter(|s| !s.trim().is_empty())
}
