//! Hamafza's persistence: one [`Store`] over SQLite (embedded, the default) and
//! PostgreSQL (production, several app servers).
//!
//! Each query is written once in SQL both engines read alike and runs through sqlx's
//! `Any` driver; the few places where dialects differ live in [`dialect`]. Every list is
//! filtered by the [`Scope`](hamafza_core::access::Scope) the access policy computed for
//! the caller, and every write appends to the audit chain inside the same transaction.

mod agencies;
pub mod atlas;
/// Saved priority indices (also at `atlas::priority`).
pub use atlas::priority;
/// The atlas's spreadsheets (also at `atlas::sheet`).
pub use atlas::sheet as atlas_sheet;
mod audit;
pub mod biometrics;
pub mod checkpoints;
mod dialect;
mod error;
pub mod import;
pub mod linkage;
mod migrate;
mod operations;
pub mod people;
mod places;
mod resolutions;
mod rows;
mod scope_sql;
mod sessions;
/// The resolutions' spreadsheets (also at `resolutions::sheet`).
pub use resolutions::sheet;
mod users;

pub use agencies::{Agency, NewAgency};
pub use atlas::priority::{NewPriorityIndex, PriorityIndex, Reference, WeightedIndicator};
pub use atlas::{
    EventCategory, Indicator, NewEvent, NewIndicator, PlaceLocator, RecordedEvent, ValueIn,
};
pub use audit::{AuditFilter, AuditVerification, Who};
pub use error::{Form, Refusal, Rule, StoreError, StoreResult};
pub use operations::{COUNTED_TABLES, DataVersions, LoginFailures, LoginRecord};
pub use places::{NewPlace, Place, PlaceFilter, PlaceSummary};
pub use resolutions::{
    AgendaItem, Attendance, Change, EscalationRun, EvidenceMeta, LatestUpdate, Meeting,
    MeetingDetail, Notification, OutboxMessage, Presence, ResolutionFilter, ResolutionRow, Update,
    trouble_began,
};
pub use resolutions::{Council, HistoryEntry, NewCouncil, NewEvidence, NewResolution, Resolution};
pub use sessions::{ApiToken, Session};
pub use users::{NewUser, User, valid_username};

use std::path::Path;
use std::str::FromStr;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

/// Which engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The handle every other crate uses to read and write Hamafza's data.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    engine: Engine,
    /// Serialises audit appends within this process; PostgreSQL additionally takes a
    /// table lock so that several app servers keep one chain (see `dialect`).
    audit_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// How many people the registry holds, roughly (for planning name searches).
    people_estimate: std::sync::Arc<people::Estimate>,
    /// The registry in memory for identity linkage (built on first use).
    linkage: std::sync::Arc<linkage::LinkageState>,
    /// Where it was opened (kept for [`Store::reopen`]; never logged: it may hold a
    /// password).
    url: std::sync::Arc<str>,
}

impl Store {
    /// Opens (creating if needed) the SQLite database in `data_dir`.
    pub async fn open_data_dir(data_dir: &Path) -> StoreResult<Store> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::Io(format!("{}: {e}", data_dir.display())))?;
        let file = data_dir.join("hamafza.db");
        Self::open(&format!("sqlite://{}?mode=rwc", file.display())).await
    }

    /// Opens a database by URL: `sqlite://…` or `postgres://…`.
    pub async fn open(url: &str) -> StoreResult<Store> {
        sqlx::any::install_default_drivers();
        let engine = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Engine::Postgres
        } else if url.starts_with("sqlite:") {
            Engine::Sqlite
        } else {
            return Err(StoreError::invalid(
                "database_url",
                Rule::Malformed(Form::DatabaseUrl),
            ));
        };
        // Validate the URL up front so a typo gets a clear message, not a driver error.
        sqlx::any::AnyConnectOptions::from_str(url)
            .map_err(|_| StoreError::invalid("database_url", Rule::Malformed(Form::DatabaseUrl)))?;
        let options =
            AnyPoolOptions::new().max_connections(if engine == Engine::Sqlite { 4 } else { 10 });
        let options = if engine == Engine::Sqlite {
            options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;")
                        .await?;
                    Ok(())
                })
            })
        } else {
            options
        };
        let pool = options.connect(url).await?;
        Ok(Store {
            pool,
            engine,
            audit_lock: Default::default(),
            people_estimate: Default::default(),
            linkage: Default::default(),
            url: url.into(),
        })
    }

    /// The same database through a pool of its own, as a second app server has it.
    pub async fn reopen(&self) -> StoreResult<Store> {
        Self::open(&self.url).await
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Applies the migrations not yet applied. Returns how many ran.
    pub async fn migrate(&self) -> StoreResult<usize> {
        migrate::run(self).await
    }

    /// True when the database holds no places, agencies or users yet.
    pub async fn is_empty(&self) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM places) + (SELECT COUNT(*) FROM agencies) + (SELECT COUNT(*) FROM users)",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(n == 0)
    }

    /// Direct access for tests that must tamper with tables behind the API.
    #[doc(hidden)]
    pub fn pool_for_tests(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Now, as stored: RFC 3339 UTC with milliseconds.
pub(crate) fn now_text() -> String {
    instant_text(time::OffsetDateTime::now_utc())
}

pub fn instant_text(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Parses a stored instant.
pub fn parse_instant(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A query built at run time with its text parameters bound in order ($1, $2, …).
/// Only our own SQL fragments go into `sql`; every value travels as a bind.
pub(crate) fn query_with<'a>(
    sql: String,
    binds: &'a [String],
) -> sqlx::query::Query<'a, sqlx::Any, sqlx::any::AnyArguments> {
    binds.iter().fold(
        sqlx::query(sqlx::AssertSqlSafe(sql)),
        sqlx::query::Query::bind,
    )
}

/// The longest text a search or filter takes: far above any real name, far below the
/// size at which SQLite refuses a LIKE pattern as too complex.
pub const MAX_SEARCH_CHARS: usize = 200;

/// Refuses a search text longer than [`MAX_SEARCH_CHARS`], naming the field.
pub(crate) fn search_text_ok(field: &'static str, s: &str) -> StoreResult<()> {
    if s.chars().count() > MAX_SEARCH_CHARS {
        return Err(StoreError::invalid(
            field,
            Rule::TooLong {
                max: MAX_SEARCH_CHARS,
            },
        ));
    }
    Ok(())
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Fresh, empty, migrated stores for tests, on either engine.
#[doc(hidden)]
pub mod testing {
    use hamafza_core::access::{Actor, Role, Scope};

    use crate::{Store, StoreResult};

    /// The whole store, for tests about something other than who sees what.
    pub fn every() -> Scope {
        Scope::system_job("test")
    }

    /// An agency's head acting in a test (or the demo loader): makes both the
    /// secretariat's and the responsible agency's moves, as the policy lets a head.
    pub fn head_of(agency: uuid::Uuid, user_id: uuid::Uuid) -> Actor {
        Actor {
            user_id,
            agency_id: agency,
            roles: vec![Role::AgencyAdmin],
            jurisdiction: vec![],
        }
    }

    /// A place for a test fixture, under `parent`, with a fresh id and no boundary.
    pub fn place(
        code: &str,
        name: &str,
        level: hamafza_core::place::PlaceLevel,
        parent: Option<&crate::NewPlace>,
    ) -> crate::NewPlace {
        let id = hamafza_core::ids::PlaceId::new();
        crate::NewPlace {
            path: hamafza_core::place::child_path(parent.map(|p| p.path.as_str()), &id.to_string()),
            id,
            code: code.into(),
            level,
            parent_id: parent.map(|p| p.id),
            name_fa: name.into(),
            name_en: None,
            population: None,
            area_km2: None,
            geometry: None,
            osm_id: None,
            wikidata: None,
            synthetic: false,
        }
    }

    /// A fresh store on the given engine.
    pub async fn fresh(engine: crate::Engine) -> StoreResult<Store> {
        match engine {
            crate::Engine::Sqlite => fresh_sqlite().await,
            crate::Engine::Postgres => fresh_postgres().await,
        }
    }

    /// Makes a session look expired, as if its time had passed.
    pub async fn expire_session(store: &Store, token_hash: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000Z' WHERE token_hash = $1",
        )
        .bind(token_hash)
        .execute(&store.pool)
        .await?;
        // A server's cached copy of the session carries the real expiry, which time
        // would pass too; here the database is changed instead, so say so.
        let mut conn = store.pool.acquire().await?;
        crate::operations::bump_data_version(&mut conn, "accounts").await?;
        Ok(())
    }

    /// Changes one audit entry behind the store's back, as an intruder with database access would.
    pub async fn tamper_audit_entry(store: &Store, seq: i64) -> StoreResult<()> {
        sqlx::query("UPDATE audit_log SET record_id = 'tampered' WHERE seq = $1")
            .bind(seq)
            .execute(&store.pool)
            .await?;
        Ok(())
    }

    /// Deletes the last entries of the audit chain and fixes its head to match, as an
    /// intruder with write access to the database could: the chain still holds together.
    pub async fn truncate_audit(store: &Store, keep: i64) -> StoreResult<()> {
        sqlx::query("DELETE FROM audit_log WHERE seq > $1")
            .bind(keep)
            .execute(&store.pool)
            .await?;
        let hash: String = sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
            .bind(keep)
            .fetch_one(&store.pool)
            .await?;
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(keep)
            .bind(hash)
            .execute(&store.pool)
            .await?;
        Ok(())
    }

    /// Edits entry `seq` and recomputes every hash from it on, and the head, as an
    /// intruder who knows how the chain is made could: the chain still holds together.
    pub async fn rewrite_audit(store: &Store, seq: i64) -> StoreResult<()> {
        sqlx::query("UPDATE audit_log SET record_id = 'rewritten' WHERE seq = $1")
            .bind(seq)
            .execute(&store.pool)
            .await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM audit_log WHERE seq >= $1 ORDER BY seq",
            crate::audit::ENTRY_COLUMNS
        )))
        .bind(seq)
        .fetch_all(&store.pool)
        .await?;
        let mut prev: String = sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
            .bind(seq - 1)
            .fetch_optional(&store.pool)
            .await?
            .unwrap_or_else(|| hamafza_core::audit::GENESIS.to_string());
        for r in &rows {
            let mut e = crate::audit::entry_from_row(r)?;
            e.prev_hash = prev.clone();
            e.hash = hamafza_core::audit::entry_hash(&e.prev_hash, &e);
            sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3")
                .bind(&e.prev_hash)
                .bind(&e.hash)
                .bind(e.seq)
                .execute(&store.pool)
                .await?;
            prev = e.hash;
        }
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(prev)
            .execute(&store.pool)
            .await?;
        Ok(())
    }

    /// A new SQLite database in a fresh directory under the system temp dir.
    pub async fn fresh_sqlite() -> StoreResult<Store> {
        let dir =
            std::env::temp_dir().join(format!("hamafza-test-{}", uuid::Uuid::now_v7().simple()));
        let store = Store::open_data_dir(&dir).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// The URL of the test PostgreSQL server. Tests fail rather than skip without it:
    /// a suite that silently skips an engine is not a passing suite.
    pub fn postgres_url() -> String {
        std::env::var("HAMAFZA_TEST_PG_URL").unwrap_or_else(|_| {
            panic!("HAMAFZA_TEST_PG_URL is not set: run the README's test command (scripts/test.sh), which starts PostgreSQL")
        })
    }

    /// A new, empty database on the test PostgreSQL server, migrated.
    pub async fn fresh_postgres() -> StoreResult<Store> {
        let store = Store::open(&new_postgres_database().await?).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// A new database on the test PostgreSQL server with nothing in it (not even the
    /// schema), and its URL.
    pub async fn new_postgres_database() -> StoreResult<String> {
        let base = postgres_url();
        let name = format!("hamafza_test_{}", uuid::Uuid::now_v7().simple());
        sqlx::any::install_default_drivers();
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&base).await?;
        sqlx::Executor::execute(
            &mut conn,
            sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")),
        )
        .await?;
        sqlx::Connection::close(conn).await?;
        Ok(match base.rsplit_once('/') {
            Some((server, _db)) => format!("{server}/{name}"),
            None => base,
        })
    }
}

impl Store {
    /// Bytes the database takes on disk: SQLite's pages (the main file, after a
    /// checkpoint of the write-ahead log), PostgreSQL's database size. For benchmarks
    /// and the operator.
    pub async fn size_on_disk(&self) -> StoreResult<i64> {
        let sql = match self.engine {
            Engine::Sqlite => {
                // Fold the write-ahead log in first, so the file holds everything.
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(&self.pool)
                    .await?;
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
            }
            Engine::Postgres => "SELECT pg_database_size(current_database())",
        };
        Ok(sqlx::query_scalar(sql).fetch_one(&self.pool).await?)
    }
}
