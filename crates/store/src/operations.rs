//! What several app servers on one database share: leases for periodic jobs (so a job
//! runs once across servers) and versions of the data the servers keep in memory (so a
//! change made through one server reaches the others' copies).

use time::OffsetDateTime;

use crate::{Store, StoreResult, instant_text};

impl Store {
    /// Takes (or renews) the lease on `job` for `holder` until `now + length`, if no
    /// other holder has it now. True when `holder` may run the job.
    pub async fn take_job_lease(
        &self,
        job: &str,
        holder: &str,
        now: OffsetDateTime,
        length: time::Duration,
    ) -> StoreResult<bool> {
        let (now_s, until) = (instant_text(now), instant_text(now + length));
        // One statement each way, so two servers racing cannot both win: the insert
        // fails for the second, the update matches for one of them only.
        let inserted = sqlx::query(
            "INSERT INTO job_leases (job, holder, until) VALUES ($1, $2, $3) ON CONFLICT (job) DO NOTHING",
        )
        .bind(job)
        .bind(holder)
        .bind(&until)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(true);
        }
        let taken = sqlx::query(
            "UPDATE job_leases SET holder = $1, until = $2 WHERE job = $3 AND (holder = $1 OR until < $4)",
        )
        .bind(holder)
        .bind(&until)
        .bind(job)
        .bind(&now_s)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(taken == 1)
    }

    /// Who holds the lease on `job` at `now`, if anyone (for operators and tests).
    pub async fn job_lease_holder(
        &self,
        job: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT holder FROM job_leases WHERE job = $1 AND until >= $2")
                .bind(job)
                .bind(instant_text(now))
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The version of a kind of shared data (`places`, `event_categories`, `accounts`,
    /// `atlas`).
    pub async fn data_version(&self, name: &str) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar::<_, i64>("SELECT version FROM data_versions WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?
                .unwrap_or(0),
        )
    }
}

/// Every kind of shared data's version, read at once: what a server checks its
/// in-memory caches against, once per request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DataVersions {
    pub places: i64,
    pub event_categories: i64,
    pub accounts: i64,
    pub atlas: i64,
}

impl Store {
    /// All of `data_versions` in one read.
    pub async fn data_versions(&self) -> StoreResult<DataVersions> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT name, version FROM data_versions")
            .fetch_all(&self.pool)
            .await?;
        let mut v = DataVersions::default();
        for (name, version) in rows {
            match name.as_str() {
                "places" => v.places = version,
                "event_categories" => v.event_categories = version,
                "accounts" => v.accounts = version,
                "atlas" => v.atlas = version,
                _ => {}
            }
        }
        Ok(v)
    }
}

/// Marks a kind of shared data changed, inside the write that changes it.
pub(crate) async fn bump_data_version(tx: &mut sqlx::AnyConnection, name: &str) -> StoreResult<()> {
    sqlx::query("UPDATE data_versions SET version = version + 1 WHERE name = $1")
        .bind(name)
        .execute(tx)
        .await?;
    Ok(())
}

/// Recent failed sign-ins of one kind: how many, the first and the last.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginFailures {
    pub count: usize,
    pub first: Option<OffsetDateTime>,
    pub last: Option<OffsetDateTime>,
}

/// What the sign-in throttle decides on, as every server sees it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginRecord {
    /// This username from this address.
    pub pair: LoginFailures,
    /// Any username from this address.
    pub address: LoginFailures,
    /// This username from anywhere.
    pub user: LoginFailures,
    /// The username has signed in from this address before.
    pub known_address: bool,
}

impl Store {
    /// Failed sign-ins since `since` for the throttle. Usernames are compared in lower
    /// case, as they are stored.
    pub async fn login_record(
        &self,
        username: &str,
        address: &str,
        since: OffsetDateTime,
    ) -> StoreResult<LoginRecord> {
        let (name, since) = (username.to_lowercase(), instant_text(since));
        let failures = |condition: &'static str, binds: Vec<String>| async move {
            let sql = format!(
                "SELECT COUNT(*) AS n, MIN(at) AS first, MAX(at) AS last FROM login_failures WHERE {condition}"
            );
            let row = crate::query_with(sql, &binds).fetch_one(&self.pool).await?;
            let when = |col: &str| -> StoreResult<Option<OffsetDateTime>> {
                let text: Option<String> = sqlx::Row::try_get(&row, col)?;
                Ok(text.and_then(|t| {
                    OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339).ok()
                }))
            };
            StoreResult::Ok(LoginFailures {
                count: usize::try_from(sqlx::Row::try_get::<i64, _>(&row, "n")?).unwrap_or(0),
                first: when("first")?,
                last: when("last")?,
            })
        };
        let pair = failures(
            "username = $1 AND address = $2 AND at >= $3",
            vec![name.clone(), address.to_string(), since.clone()],
        )
        .await?;
        let by_address = failures(
            "address = $1 AND at >= $2",
            vec![address.to_string(), since.clone()],
        )
        .await?;
        let user = failures("username = $1 AND at >= $2", vec![name.clone(), since]).await?;
        let known: Option<String> = sqlx::query_scalar(
            "SELECT address FROM login_known_addresses WHERE username = $1 AND address = $2",
        )
        .bind(&name)
        .bind(address)
        .fetch_optional(&self.pool)
        .await?;
        Ok(LoginRecord {
            pair,
            address: by_address,
            user,
            known_address: known.is_some(),
        })
    }

    /// One failed sign-in; failures older than `forget_before` are dropped on the way.
    pub async fn record_login_failure(
        &self,
        username: &str,
        address: &str,
        at: OffsetDateTime,
        forget_before: OffsetDateTime,
    ) -> StoreResult<()> {
        sqlx::query("DELETE FROM login_failures WHERE at < $1")
            .bind(instant_text(forget_before))
            .execute(&self.pool)
            .await?;
        sqlx::query("INSERT INTO login_failures (username, address, at) VALUES ($1, $2, $3)")
            .bind(username.to_lowercase())
            .bind(address)
            .bind(instant_text(at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A successful sign-in: this username and address start afresh, and the address is
    /// one the username is known to sign in from.
    pub async fn record_login_success(
        &self,
        username: &str,
        address: &str,
        at: OffsetDateTime,
    ) -> StoreResult<()> {
        let name = username.to_lowercase();
        sqlx::query("DELETE FROM login_failures WHERE username = $1 AND address = $2")
            .bind(&name)
            .bind(address)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO login_known_addresses (username, address, at) VALUES ($1, $2, $3)
             ON CONFLICT (username, address) DO UPDATE SET at = excluded.at",
        )
        .bind(&name)
        .bind(address)
        .bind(instant_text(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// The tables whose rows a backup is checked by, in the order they are listed to people.
pub const COUNTED_TABLES: &[&str] = &[
    "places",
    "agencies",
    "users",
    "councils",
    "meetings",
    "resolutions",
    "resolution_updates",
    "evidence_files",
    "indicators",
    "events",
    "audit_log",
];

impl Store {
    /// Rows in each of [`COUNTED_TABLES`]: what a restore is checked against.
    pub async fn row_counts(&self) -> StoreResult<Vec<(&'static str, i64)>> {
        let mut out = Vec::with_capacity(COUNTED_TABLES.len());
        for table in COUNTED_TABLES {
            let n: i64 =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                    .fetch_one(&self.pool)
                    .await?;
            out.push((*table, n));
        }
        Ok(out)
    }

    /// A consistent copy of a SQLite database in one file, taken while the server runs
    /// (`VACUUM INTO` reads one snapshot; writers carry on). `out` must not exist.
    pub async fn backup_sqlite_into(&self, out: &std::path::Path) -> StoreResult<()> {
        if self.engine != crate::Engine::Sqlite {
            return Err(crate::StoreError::Io(
                "a PostgreSQL database is backed up with pg_dump".into(),
            ));
        }
        sqlx::query("VACUUM INTO $1")
            .bind(out.display().to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether the database has Hamafza's tables at all (a restore goes into one that
    /// has none).
    pub async fn has_schema(&self) -> StoreResult<bool> {
        let probe = sqlx::query("SELECT 1 FROM hamafza_migrations LIMIT 1")
            .fetch_optional(&self.pool)
            .await;
        Ok(probe.is_ok())
    }
}
