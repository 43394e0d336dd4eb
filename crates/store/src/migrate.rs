//! Schema migrations, embedded in the binary and applied in order, once each.

use sqlx::AssertSqlSafe;

use crate::{Store, StoreResult, dialect, now_text};

/// (version, name, SQL) — append only; never edit an applied migration.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../migrations/0001_foundation.sql"),
    ),
    (
        2,
        "resolutions",
        include_str!("../migrations/0002_resolutions.sql"),
    ),
    (
        3,
        "followup",
        include_str!("../migrations/0003_followup.sql"),
    ),
    (4, "atlas", include_str!("../migrations/0004_atlas.sql")),
    (
        5,
        "priority",
        include_str!("../migrations/0005_priority.sql"),
    ),
    (
        6,
        "operations",
        include_str!("../migrations/0006_operations.sql"),
    ),
    (
        7,
        "atlas_version",
        include_str!("../migrations/0007_atlas_version.sql"),
    ),
    (
        8,
        "registry",
        include_str!("../migrations/0008_registry.sql"),
    ),
    (9, "cases", include_str!("../migrations/0009_cases.sql")),
    (
        10,
        "referrals",
        include_str!("../migrations/0010_referrals.sql"),
    ),
    (
        11,
        "referral_escalations",
        include_str!("../migrations/0011_referral_escalations.sql"),
    ),
    (
        12,
        "guardians",
        include_str!("../migrations/0012_guardians.sql"),
    ),
    (
        13,
        "name_tokens",
        include_str!("../migrations/0013_name_tokens.sql"),
    ),
    (
        14,
        "linkage",
        include_str!("../migrations/0014_linkage.sql"),
    ),
    (
        15,
        "biometrics",
        include_str!("../migrations/0015_biometrics.sql"),
    ),
];

pub(crate) async fn run(store: &Store) -> StoreResult<usize> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS hamafza_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .execute(&store.pool)
    .await?;
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM hamafza_migrations")
        .fetch_all(&store.pool)
        .await?;
    let mut ran = 0;
    for (version, name, sql) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        let mut tx = store.pool.begin().await?;
        for statement in dialect::statements(sql) {
            sqlx::query(AssertSqlSafe(statement))
                .execute(&mut *tx)
                .await?;
        }
        if *version == 13 {
            crate::people::fill_name_tokens(&mut tx).await?;
        }
        sqlx::query(
            "INSERT INTO hamafza_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(*version)
        .bind(*name)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(version, name, "migration applied");
        ran += 1;
    }
    Ok(ran)
}
