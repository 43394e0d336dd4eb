//! `hamafza backup` and `hamafza restore`: a consistent copy of the whole database —
//! evidence files included, as they live in it — taken while the server runs, and put
//! back into an empty data directory or an empty PostgreSQL database, then checked.
//!
//! SQLite is copied with `VACUUM INTO` (one snapshot, writers carry on); PostgreSQL with
//! `pg_dump --format=custom` (one snapshot too) and put back with `pg_restore`. A backup
//! file says which it is by its first bytes. The signing key of the audit checkpoints is
//! not in the database and not in the backup: keep it apart, as its purpose asks.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use hamafza_store::{AuditVerification, Store};

use crate::{DbArgs, Failure};

/// The kinds of backup file, told apart by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sqlite,
    PgDump,
}

fn kind_of(file: &Path) -> Result<Kind, Failure> {
    use std::io::Read;
    let mut head = [0u8; 16];
    let mut f = std::fs::File::open(file)
        .map_err(|e| Failure(format!("cannot read {}: {e}", file.display())))?;
    let n = f.read(&mut head).unwrap_or(0);
    if head[..n].starts_with(b"SQLite format 3\0") {
        Ok(Kind::Sqlite)
    } else if head[..n].starts_with(b"PGDMP") {
        Ok(Kind::PgDump)
    } else {
        Err(Failure(format!(
            "{} is not a Hamafza backup (neither a SQLite file nor a pg_dump archive)",
            file.display()
        )))
    }
}

fn postgres_url(db: &DbArgs) -> Option<&str> {
    db.database_url
        .as_deref()
        .filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"))
}

/// The SQLite file a data directory (or a `sqlite://` URL) names.
fn sqlite_file(db: &DbArgs) -> PathBuf {
    match db
        .database_url
        .as_deref()
        .and_then(|u| u.strip_prefix("sqlite://"))
    {
        Some(rest) => PathBuf::from(rest.split('?').next().unwrap_or(rest)),
        None => db.data_dir.join("hamafza.db"),
    }
}

fn run_tool(program: &str, args: &[&str]) -> Result<(), Failure> {
    let out = Process::new(program).args(args).output().map_err(|e| {
        Failure(format!(
            "cannot run {program} ({e}); install Debian's postgresql-client"
        ))
    })?;
    if out.status.success() {
        Ok(())
    } else {
        // The tool's own words, which name the fault (never the URL: it may hold a
        // password, and the tool does not print it).
        Err(Failure(format!(
            "{program} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Writes a backup of the database to `out` (which must not exist yet).
pub async fn backup(db: &DbArgs, out: &Path) -> Result<(), Failure> {
    if out.exists() {
        return Err(Failure(format!(
            "{} exists already; a backup never overwrites a file",
            out.display()
        )));
    }
    let store = crate::open(db).await?;
    if let Some(url) = postgres_url(db) {
        let file = out.display().to_string();
        run_tool(
            "pg_dump",
            &["--format=custom", "--no-owner", "--file", &file, url],
        )?;
    } else {
        store.backup_sqlite_into(out).await?;
    }
    let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    kind_of(out)?;
    // The copy is left as one untouched file; `hamafza restore` checks and counts it.
    println!("backup written to {} ({size} bytes)", out.display());
    Ok(())
}

/// Puts a backup into an empty data directory or empty PostgreSQL database and checks
/// it: the audit chain verified, and the rows of the main tables counted.
pub async fn restore(db: &DbArgs, file: &Path) -> Result<(), Failure> {
    match (kind_of(file)?, postgres_url(db)) {
        (Kind::Sqlite, None) => {
            let target = sqlite_file(db);
            if target.exists() {
                return Err(Failure(format!(
                    "{} exists: restore goes into an empty data directory",
                    target.display()
                )));
            }
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| Failure(format!("{}: {e}", dir.display())))?;
            }
            std::fs::copy(file, &target)
                .map_err(|e| Failure(format!("cannot write {}: {e}", target.display())))?;
        }
        (Kind::PgDump, Some(url)) => {
            let store = Store::open(url).await?;
            if store.has_schema().await? {
                return Err(Failure(
                    "the database has Hamafza's tables already: restore goes into an empty database"
                        .into(),
                ));
            }
            let path = file.display().to_string();
            run_tool(
                "pg_restore",
                &["--no-owner", "--exit-on-error", "--dbname", url, &path],
            )?;
        }
        (Kind::Sqlite, Some(_)) => {
            return Err(Failure(
                "this is a SQLite backup: restore it with --data-dir".into(),
            ));
        }
        (Kind::PgDump, None) => {
            return Err(Failure(
                "this is a PostgreSQL backup: restore it with --database-url postgres://…".into(),
            ));
        }
    }
    let store = crate::open(db).await?;
    match store.verify_audit().await? {
        AuditVerification::Intact { entries } => {
            println!("restored; audit chain intact: {entries} entries");
        }
        AuditVerification::Broken(b) => {
            return Err(Failure(format!(
                "restored, but the audit chain is BROKEN at entry {}: {}",
                b.seq, b.reason
            )));
        }
    }
    print_counts(&store).await
}

async fn print_counts(store: &Store) -> Result<(), Failure> {
    let counts = store.row_counts().await?;
    let line: Vec<String> = counts.iter().map(|(t, n)| format!("{t} {n}")).collect();
    println!("rows: {}", line.join(", "));
    Ok(())
}
