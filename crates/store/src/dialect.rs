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

/// Splits a migration file into statements: whole-line `--` comments are dropped first
/// (they may contain semicolons), then the rest is split on `;`. Our migrations put no
/// semicolon inside a literal, which running every migration on both engines guards.
pub(crate) fn statements(sql: &str) -> Vec<String> {
    let code: String = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    code.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn comments_with_semicolons_do_not_split_statements() {
        let sql = "-- a comment; with a semicolon\nCREATE TABLE a (x TEXT);\n\n-- another\nCREATE TABLE b (y TEXT);\n";
        assert_eq!(
            super::statements(sql),
            vec!["CREATE TABLE a (x TEXT)", "CREATE TABLE b (y TEXT)"]
        );
    }
}
