//! `hamafza`: the one binary. Each subcommand wires the library crates together.
//!
//! Longer than 600 lines on purpose: it is the clap definition of every subcommand
//! and a short arm per subcommand, read top to bottom as the command line's manual.

mod backup;
mod bench;
mod checkpoints;
mod demo;
mod events_csv;
mod linkage_bench;
mod people;
mod registry_bench;
mod rng;
mod spatial_bench;

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use hamafza_core::access::Role;
use hamafza_core::place::PlaceLevel;
use hamafza_store::{AuditVerification, NewUser, Store, Who};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Parser)]
#[command(
    name = "hamafza",
    version,
    about = "هم‌افزا — inter-agency information system for social issues in Iranian cities"
)]
struct Cli {
    #[command(flatten)]
    db: DbArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DbArgs {
    /// Directory of the embedded SQLite database (used when no --database-url is given).
    #[arg(long, global = true, default_value = "./data")]
    data_dir: PathBuf,
    /// `postgres://…` or `sqlite://…`; overrides --data-dir.
    #[arg(long, global = true, env = "HAMAFZA_DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Load the demo data first if the database is empty.
        #[arg(long)]
        demo: bool,
        /// Pretend today is this Jalali day (e.g. 1404/08/29): for demonstrations and
        /// tests of deadlines, overdue and escalation. Defaults to the real day in Tehran.
        #[arg(long)]
        today: Option<String>,
        /// Counts below this (and rates from them) are hidden from users without
        /// restricted access to statistics, and from every public export.
        #[arg(long, default_value_t = hamafza_core::indicator::DEFAULT_SMALL_COUNT)]
        small_count: i64,
        /// Years after which the daily retention run unnames a person with no open
        /// case and no encounter (records on legal hold are kept), 1 to 100.
        #[arg(long, default_value_t = hamafza_web::DEFAULT_RETENTION_YEARS, value_parser = clap::value_parser!(i64).range(1..=100))]
        retention_years: i64,
        /// Open connections one client address may hold (more are closed at once). Behind
        /// a reverse proxy every client has the proxy's address: raise it there.
        #[arg(long, default_value_t = hamafza_web::Limits::default().per_address)]
        max_connections_per_address: usize,
        /// Open connections in all.
        #[arg(long, default_value_t = hamafza_web::Limits::default().total)]
        max_connections: usize,
        /// Seconds a connection may send nothing while the server waits to read.
        #[arg(long, default_value_t = hamafza_web::Limits::default().idle.as_secs())]
        idle_timeout: u64,
        /// Mark cookies `Secure` (sent over HTTPS only). On by default when
        /// `--public-url` is an https:// address.
        #[arg(long)]
        secure_cookies: bool,
        /// The address people open (e.g. https://hamafza.example.ir behind a proxy).
        #[arg(long)]
        public_url: Option<String>,
        /// A reverse proxy's address (repeat for several): for connections from it, the
        /// client's address is taken from `X-Forwarded-For`, for sign-in throttling.
        /// From anyone else that header is ignored.
        #[arg(long = "trusted-proxy")]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// The Ed25519 key audit checkpoints are signed with (created if missing).
        /// Keep it apart from the database: default DATA_DIR/checkpoint.key.
        #[arg(long)]
        checkpoint_key: Option<PathBuf>,
        /// Where signed checkpoints are appended: default DATA_DIR/checkpoints.jsonl.
        #[arg(long)]
        checkpoints: Option<PathBuf>,
        /// Seconds between checkpoints (one is signed only when the chain has grown).
        #[arg(long, default_value_t = 60)]
        checkpoint_every: u64,
        /// The key biometric templates are sealed with at rest (created if missing).
        /// Keep it apart from the database: default DATA_DIR/biometric.key.
        #[arg(long)]
        biometric_key: Option<PathBuf>,
        /// An external ABIS speaking MOSIP's contract over HTTP (its `requests` and
        /// `responses/{id}` under this address). Without it, the built-in stand-in
        /// matcher serves: for demonstrations and tests, not a biometric algorithm.
        #[arg(long)]
        abis_url: Option<String>,
        /// The bearer token the ABIS expects (also read from HAMAFZA_ABIS_TOKEN).
        #[arg(long, env = "HAMAFZA_ABIS_TOKEN", hide_env_values = true)]
        abis_token: Option<String>,
        /// A witness's endpoint (another Hamafza's `/api/v1/witness/checkpoints`, plain
        /// HTTP); repeat for several, each with its `--witness-token`.
        #[arg(long = "witness")]
        witnesses: Vec<String>,
        /// The API token the witness gave (a system administrator's there), in the
        /// order of `--witness`.
        #[arg(long = "witness-token")]
        witness_tokens: Vec<String>,
    },
    /// Write a consistent copy of the whole database (evidence files included) while the
    /// server runs: SQLite's online backup, or pg_dump for PostgreSQL.
    Backup {
        /// The backup file to write (it must not exist).
        #[arg(short = 'o', long)]
        out: PathBuf,
    },
    /// Put a backup into an empty data directory (or empty PostgreSQL database), then
    /// verify its audit chain and count its rows.
    Restore {
        /// A file written by `hamafza backup`.
        file: PathBuf,
    },
    /// Send the escalation steps due today (reminders, notices to heads, agenda items).
    /// The server also does this every hour.
    Escalate {
        /// Jalali day to run for (defaults to today in Tehran).
        #[arg(long)]
        today: Option<String>,
    },
    /// Apply database migrations.
    Migrate,
    /// Load the demo data into an empty database.
    Demo,
    /// Import data from files.
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        action: TokenCommand,
    },
    /// Typeset a periodic report (PDF, Persian).
    Report {
        #[command(subcommand)]
        what: ReportCommand,
    },
    /// Measure how Hamafza copes with a large load (prints JSON).
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
    /// Check the audit log.
    Audit {
        #[command(subcommand)]
        action: AuditCommand,
    },
    /// Reports on one person of the registry, for a privacy officer.
    Person {
        #[command(subcommand)]
        action: people::PersonCommand,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Loads the demo if the database is empty, builds a council `bench-hq` with many
    /// resolutions and updates through the normal write path, and times the list, the
    /// dashboard figures, the XLSX export and the PDF report.
    Resolutions {
        #[arg(long, default_value_t = 2000)]
        resolutions: usize,
        #[arg(long, default_value_t = 20000)]
        updates: usize,
    },
    /// Loads the demo if the database is empty, registers `--people` more invented
    /// people through the registry's own path, reads one `--reads` times and times
    /// their access report; prints JSON with the size on disk.
    Registry {
        #[arg(long, default_value_t = 100_000)]
        people: usize,
        #[arg(long, default_value_t = 1000)]
        reads: usize,
    },
    /// Stores events from a CSV (the peers' format) through the normal write path into
    /// the demo database, then times the city's map query and one event's way into it.
    Atlas {
        #[arg(long)]
        events: PathBuf,
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Assigns events (CSV: event_id,lon,lat,category,ts) to polygons (GeoJSON with a
    /// `nid` property) and counts per polygon and category; no database involved.
    Sjoin {
        #[arg(long)]
        polygons: PathBuf,
        #[arg(long)]
        events: PathBuf,
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Write `nid,total,cat_1..cat_12` rows (nid 0: in no polygon).
        #[arg(long)]
        counts_out: Option<PathBuf>,
    },
    /// Finds the same person among the records of a CSV (the peers' person format):
    /// blocking, Fellegi–Sunter learnt by EM, clustering; prints JSON with each phase's
    /// time; no database involved.
    Linkage {
        #[arg(long)]
        persons: PathBuf,
        #[arg(long, default_value_t = 1)]
        threads: usize,
        #[arg(long, default_value_t = 0.9)]
        threshold: f64,
        /// Blocks with more records than this are skipped (and reported).
        #[arg(long, default_value_t = 2000)]
        block_cap: usize,
        /// Write `record_id_l,record_id_r,probability` (pairs scored at least 0.01).
        #[arg(long)]
        pairs_out: Option<PathBuf>,
        /// Write `record_id,cluster`.
        #[arg(long)]
        clusters_out: Option<PathBuf>,
    },
    /// Indexes the records of a CSV as the server does, less `--queries` held out, and
    /// times each held-out record's lookup (JSON with p50 and p99).
    MatchOne {
        #[arg(long)]
        persons: PathBuf,
        #[arg(long, default_value_t = 1000)]
        queries: usize,
        #[arg(long, default_value_t = 2000)]
        block_cap: usize,
        #[arg(long, default_value_t = 100_000)]
        train_on: usize,
    },
    /// Bins events on H3 and computes Getis-Ord Gi* over the cells whose centre lies in
    /// the polygons' union; no database involved.
    Hotspot {
        #[arg(long)]
        polygons: PathBuf,
        #[arg(long)]
        events: PathBuf,
        #[arg(long, default_value_t = 9)]
        res: u8,
        #[arg(long, default_value_t = 0)]
        permutations: usize,
        #[arg(long, default_value_t = 12345)]
        seed: u64,
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Write `cell,count,z,p_norm[,p_sim]` rows.
        #[arg(long)]
        cells_out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// The resolutions report of a council or an agency for a Jalali period.
    Resolutions {
        /// Council code.
        #[arg(long, conflicts_with = "agency", required_unless_present = "agency")]
        council: Option<String>,
        /// Agency code: its resolutions across every council.
        #[arg(long)]
        agency: Option<String>,
        /// `1404` (year), `1404Q2` (quarter) or `1404-07` (month).
        #[arg(long)]
        period: String,
        #[arg(short, long)]
        output: PathBuf,
        /// Jalali day the states are reported as of (defaults to today in Tehran).
        #[arg(long)]
        today: Option<String>,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import places from a GeoJSON FeatureCollection (properties: code, name_fa, name_en,
    /// parent_code, population, osm_id, wikidata). All or nothing.
    Places {
        file: PathBuf,
        /// province, county, city, district, sub_district or neighbourhood
        #[arg(long)]
        level: String,
        /// Parent place code for features without `parent_code`; otherwise parents are
        /// found by spatial containment.
        #[arg(long)]
        parent: Option<String>,
    },
    /// Import resolutions into a council from an XLSX or UTF-8 CSV file with the export's
    /// columns. All or nothing: every bad row is listed and nothing is written.
    Resolutions {
        file: PathBuf,
        /// Council code.
        #[arg(long)]
        council: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from standard input.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        agency: String,
        /// system_admin, agency_admin, council_secretary, agency_officer, analyst, viewer (repeatable)
        #[arg(long, required = true)]
        role: Vec<String>,
        /// Place codes of the jurisdiction (repeatable)
        #[arg(long)]
        jurisdiction: Vec<String>,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user and print it (shown once).
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "cli")]
        label: String,
    },
    /// Revoke a user's API token by its id.
    Revoke {
        #[arg(long)]
        username: String,
        #[arg(long)]
        id: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Re-compute the hash chain; exit 0 with the entry count if intact. With
    /// `--checkpoints`, also prove the chain consistent with every signed checkpoint in
    /// the file: a deleted tail or a rebuilt chain then fails.
    Verify {
        /// A checkpoints file the server wrote (or a witness's copy).
        #[arg(long)]
        checkpoints: Option<PathBuf>,
        /// The signing key whose checkpoints count (default: the data directory's).
        #[arg(long)]
        checkpoint_key: Option<PathBuf>,
    },
}

/// A failure the user should read, already in words.
#[derive(Debug)]
pub(crate) struct Failure(pub(crate) String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(Failure(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

async fn open(db: &DbArgs) -> Result<Store, Failure> {
    let store = match &db.database_url {
        Some(url) => Store::open(url).await?,
        None => Store::open_data_dir(&db.data_dir).await?,
    };
    store.migrate().await?;
    Ok(store)
}

async fn run(cli: Cli) -> Result<ExitCode, Failure> {
    // The spatial benchmarks read files only: no database is opened for them.
    if let Command::Bench { what } = &cli.command {
        match what {
            BenchCommand::Sjoin {
                polygons,
                events,
                threads,
                counts_out,
            } => {
                spatial_bench::sjoin(&spatial_bench::SjoinArgs {
                    polygons: polygons.clone(),
                    events: events.clone(),
                    threads: *threads,
                    counts_out: counts_out.clone(),
                })?;
                return Ok(ExitCode::SUCCESS);
            }
            BenchCommand::Hotspot {
                polygons,
                events,
                res,
                permutations,
                seed,
                threads,
                cells_out,
            } => {
                spatial_bench::hotspot(&spatial_bench::HotspotArgs {
                    polygons: polygons.clone(),
                    events: events.clone(),
                    resolution: *res,
                    permutations: *permutations,
                    seed: *seed,
                    threads: *threads,
                    cells_out: cells_out.clone(),
                })?;
                return Ok(ExitCode::SUCCESS);
            }
            BenchCommand::Linkage {
                persons,
                threads,
                threshold,
                block_cap,
                pairs_out,
                clusters_out,
            } => {
                linkage_bench::linkage(&linkage_bench::LinkageArgs {
                    persons: persons.clone(),
                    threads: *threads,
                    threshold: *threshold,
                    block_cap: *block_cap,
                    pairs_out: pairs_out.clone(),
                    clusters_out: clusters_out.clone(),
                })?;
                return Ok(ExitCode::SUCCESS);
            }
            BenchCommand::MatchOne {
                persons,
                queries,
                block_cap,
                train_on,
            } => {
                linkage_bench::match_one(&linkage_bench::MatchOneArgs {
                    persons: persons.clone(),
                    queries: *queries,
                    block_cap: *block_cap,
                    train_on: *train_on,
                })?;
                return Ok(ExitCode::SUCCESS);
            }
            BenchCommand::Resolutions { .. }
            | BenchCommand::Atlas { .. }
            | BenchCommand::Registry { .. } => {}
        }
    }
    // A restore must find its target empty: it opens the database itself.
    match &cli.command {
        Command::Backup { out } => {
            backup::backup(&cli.db, out).await?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Restore { file } => {
            backup::restore(&cli.db, file).await?;
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    let store = open(&cli.db).await?;
    match cli.command {
        // Answered above, before a database is opened.
        Command::Backup { .. } | Command::Restore { .. } => {}
        Command::Migrate => println!("migrations up to date"),
        // Answered above, before a database is opened.
        Command::Bench {
            what:
                BenchCommand::Sjoin { .. }
                | BenchCommand::Hotspot { .. }
                | BenchCommand::Linkage { .. }
                | BenchCommand::MatchOne { .. },
        } => {}
        Command::Bench {
            what: BenchCommand::Atlas { events, limit },
        } => {
            if store.is_empty().await? {
                load_demo(&store, hamafza_web::Clock::system().today(), None).await?;
            }
            bench::atlas(&store, &bench::AtlasArgs { events, limit }).await?;
        }
        Command::Demo => {
            if !store.is_empty().await? {
                return Err(Failure(
                    "the database is not empty; the demo loads only into an empty one".into(),
                ));
            }
            // The demo's faces go to the built-in stand-in matcher, sealed with the key
            // `serve` will read (DATA_DIR/biometric.key).
            let key = hamafza_store::biometrics::TemplateKey::load_or_create(
                &cli.db.data_dir.join("biometric.key"),
            )?;
            let biometrics = hamafza_web::biometrics::Biometrics::stand_in(key);
            load_demo(
                &store,
                hamafza_web::Clock::system().today(),
                Some(&biometrics),
            )
            .await?;
        }
        Command::Serve {
            listen,
            demo,
            today,
            small_count,
            retention_years,
            max_connections_per_address,
            max_connections,
            idle_timeout,
            secure_cookies,
            public_url,
            trusted_proxies,
            checkpoint_key,
            checkpoints,
            checkpoint_every,
            biometric_key,
            abis_url,
            abis_token,
            witnesses,
            witness_tokens,
        } => {
            if witnesses.len() != witness_tokens.len() {
                return Err(Failure(
                    "give one --witness-token for each --witness, in the same order".into(),
                ));
            }
            let key_file = checkpoint_key.unwrap_or_else(|| cli.db.data_dir.join("checkpoint.key"));
            let key = std::sync::Arc::new(
                hamafza_web::checkpoints::load_or_create_key(&key_file)
                    .map_err(|e| Failure(format!("checkpoint key {}: {e}", key_file.display())))?,
            );
            let biometric_key_file =
                biometric_key.unwrap_or_else(|| cli.db.data_dir.join("biometric.key"));
            let template_key =
                hamafza_store::biometrics::TemplateKey::load_or_create(&biometric_key_file)?;
            let biometrics = std::sync::Arc::new(match abis_url.as_deref() {
                Some(url) => {
                    hamafza_web::biometrics::Biometrics::external(template_key, url, abis_token)
                        .map_err(Failure)?
                }
                None => hamafza_web::biometrics::Biometrics::stand_in(template_key),
            });
            let started = Instant::now();
            let clock = match today.as_deref() {
                Some(day) => hamafza_web::Clock::fixed(jalali_day(day)?),
                None => hamafza_web::Clock::system(),
            };
            if demo {
                if store.is_empty().await? {
                    load_demo(&store, clock.today(), Some(&biometrics)).await?;
                } else {
                    println!("database already has data; demo not loaded again");
                }
                println!(
                    "demo sign-in: username `{}`, password `{}`",
                    demo::ADMIN_USERNAME,
                    demo::DEMO_PASSWORD
                );
            }
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|e| Failure(format!("cannot listen on {listen}: {e}")))?;
            println!(
                "Hamafza is listening on http://{listen} (ready in {:.1} s)",
                started.elapsed().as_secs_f64()
            );
            let state = hamafza_web::AppState::new(store)
                .with_clock(clock)
                .with_small_count(small_count)
                .with_retention_years(retention_years)
                .with_secure_cookies(
                    secure_cookies
                        || public_url
                            .as_deref()
                            .is_some_and(|u| u.starts_with("https://")),
                )
                .with_trusted_proxies(trusted_proxies)
                .with_checkpoint_key(key.clone())
                .with_biometrics(biometrics.clone());
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let job = hamafza_web::spawn_escalation_job(&state, stopped.clone());
            let biometric_worker = hamafza_web::biometrics::spawn_worker(
                state.store.clone(),
                biometrics,
                stopped.clone(),
            );
            let checkpoint_job = hamafza_web::checkpoints::spawn_checkpoint_job(
                hamafza_web::checkpoints::CheckpointJob {
                    store: state.store.clone(),
                    key,
                    file: checkpoints.unwrap_or_else(|| cli.db.data_dir.join("checkpoints.jsonl")),
                    witnesses: witnesses
                        .into_iter()
                        .zip(witness_tokens)
                        .map(|(url, token)| hamafza_web::checkpoints::Witness { url, token })
                        .collect(),
                    every: std::time::Duration::from_secs(checkpoint_every.max(1)),
                },
                stopped,
            );
            let limits = hamafza_web::Limits {
                idle: std::time::Duration::from_secs(idle_timeout.max(1)),
                per_address: max_connections_per_address.max(1),
                total: max_connections.max(1),
            };
            let shutdown = async move {
                hamafza_web::shutdown_signal().await;
                let _ = stop.send(true);
            };
            hamafza_web::serve_with(listener, state, limits, shutdown).await?;
            // Requests have finished; so does the job's run, if one is under way.
            let _ = job.await;
            let _ = biometric_worker.await;
            // And a last checkpoint covers the last writes.
            let _ = checkpoint_job.await;
            println!("stopped");
        }
        Command::Escalate { today } => {
            let day = match today.as_deref() {
                Some(day) => jalali_day(day)?,
                None => hamafza_web::Clock::system().today(),
            };
            let policy = hamafza_core::resolutions::EscalationPolicy::default();
            let run = store.run_escalations(&policy, day).await?;
            let referrals = store.run_referral_escalations(&policy, day).await?;
            println!(
                "reminders: {}, notices to heads: {}, onto agendas: {}, referral notices: {referrals}",
                run.reminders, run.head_notices, run.agenda
            );
        }
        Command::Import {
            what:
                ImportCommand::Places {
                    file,
                    level,
                    parent,
                },
        } => {
            return import_places(&store, &file, &level, parent.as_deref()).await;
        }
        Command::User {
            action:
                UserCommand::Add {
                    username,
                    agency,
                    role,
                    jurisdiction,
                    display_name,
                    password_stdin: _,
                },
        } => {
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = password.trim_end_matches(['\n', '\r']);
            let agency = store
                .agency_by_code(&agency)
                .await?
                .ok_or_else(|| Failure(format!("no agency with code `{agency}`")))?;
            let roles = role
                .iter()
                .map(|r| Role::from_code(r).ok_or_else(|| Failure(format!("unknown role `{r}`"))))
                .collect::<Result<Vec<_>, _>>()?;
            let mut places = Vec::new();
            for code in &jurisdiction {
                places.push(
                    store
                        .place_by_code(code)
                        .await?
                        .ok_or_else(|| Failure(format!("no place with code `{code}`")))?
                        .id,
                );
            }
            let hash = hamafza_web::hash_password(password).map_err(Failure)?;
            let user = store
                .create_user(
                    &Who::system(),
                    &NewUser {
                        username: username.clone(),
                        display_name: display_name.unwrap_or_default(),
                        agency_id: agency.id,
                        roles,
                        jurisdiction: places,
                        password_hash: hash,
                    },
                )
                .await?;
            println!("created user {} ({})", user.username, user.id);
        }
        Command::Token {
            action: TokenCommand::Create { username, label },
        } => {
            let (user, _) = store
                .user_for_login(&username)
                .await?
                .ok_or_else(|| Failure(format!("no user `{username}`")))?;
            let secret = hamafza_web::new_secret();
            let token = store
                .create_api_token(
                    &Who::system(),
                    user.id,
                    &hamafza_web::secret_hash(&secret),
                    &label,
                )
                .await?;
            eprintln!(
                "token id {} for {username}; use it as `Authorization: Bearer <token>`:",
                token.id
            );
            println!("{secret}");
        }
        Command::Token {
            action: TokenCommand::Revoke { username, id },
        } => {
            let (user, _) = store
                .user_for_login(&username)
                .await?
                .ok_or_else(|| Failure(format!("no user `{username}`")))?;
            store.revoke_api_token(&Who::system(), user.id, &id).await?;
            println!("revoked token {id}");
        }
        Command::Bench {
            what: BenchCommand::Registry { people, reads },
        } => {
            let today = hamafza_web::Clock::system().today();
            if store.is_empty().await? {
                load_demo(&store, today, None).await?;
            }
            registry_bench::registry(&store, &registry_bench::Args { people, reads }, today)
                .await?;
        }
        Command::Bench {
            what:
                BenchCommand::Resolutions {
                    resolutions,
                    updates,
                },
        } => {
            let today = hamafza_web::Clock::system().today();
            if store.is_empty().await? {
                load_demo(&store, today, None).await?;
            }
            bench::resolutions(
                &store,
                &bench::Args {
                    resolutions,
                    updates,
                    today,
                },
            )
            .await?;
        }
        Command::Report {
            what:
                ReportCommand::Resolutions {
                    council,
                    agency,
                    period,
                    output,
                    today,
                },
        } => {
            let started = Instant::now();
            let period = hamafza_core::jalali::Period::parse(&period)?;
            let subject = match (council, agency) {
                (Some(code), _) => hamafza_report::Subject::Council(
                    store
                        .council_by_code(&code)
                        .await?
                        .ok_or_else(|| Failure(format!("no council `{code}`")))?,
                ),
                (None, Some(code)) => hamafza_report::Subject::Agency(
                    store
                        .agency_by_code(&code)
                        .await?
                        .ok_or_else(|| Failure(format!("no agency `{code}`")))?,
                ),
                (None, None) => return Err(Failure("give --council or --agency".into())),
            };
            let day = match today.as_deref() {
                Some(day) => jalali_day(day)?,
                None => hamafza_web::Clock::system().today(),
            };
            // The operator at the command line reports on everything of the subject.
            let every = hamafza_core::access::Scope::system_job("report command");
            let report = hamafza_report::gather(&store, &every, subject, period, day).await?;
            let bytes = report.pdf()?;
            std::fs::write(&output, &bytes)
                .map_err(|e| Failure(format!("cannot write {}: {e}", output.display())))?;
            println!(
                "wrote {} ({} bytes) in {:.2} s",
                output.display(),
                bytes.len(),
                started.elapsed().as_secs_f64()
            );
        }
        Command::Import {
            what: ImportCommand::Resolutions { file, council },
        } => {
            let council = store
                .council_by_code(&council)
                .await?
                .ok_or_else(|| Failure(format!("no council `{council}`")))?;
            let bytes = std::fs::read(&file)
                .map_err(|e| Failure(format!("cannot read {}: {e}", file.display())))?;
            let rows = hamafza_report::spreadsheet::read(&bytes)?;
            match hamafza_store::sheet::plan_import(&store, &council, &rows).await? {
                Ok(planned) => {
                    let n = store
                        .import_resolutions(
                            &Who::system(),
                            &council,
                            &planned,
                            hamafza_web::Clock::system().today(),
                        )
                        .await?;
                    println!("imported {n} resolutions into {}", council.code);
                }
                Err(problems) => {
                    for p in &problems {
                        eprintln!(
                            "row {}{}: {}",
                            p.row,
                            p.column
                                .map(|c| format!(", column «{c}»"))
                                .unwrap_or_default(),
                            hamafza_web::words::explain("", &p.rule)
                        );
                    }
                    eprintln!("nothing imported: {} bad rows", problems.len());
                    return Ok(ExitCode::from(3));
                }
            }
        }
        Command::Audit {
            action:
                AuditCommand::Verify {
                    checkpoints,
                    checkpoint_key,
                },
        } => {
            match store.verify_audit().await? {
                AuditVerification::Intact { entries } => {
                    println!("audit chain intact: {entries} entries");
                }
                AuditVerification::Broken(b) => {
                    eprintln!("audit chain BROKEN at entry {}: {}", b.seq, b.reason);
                    return Ok(ExitCode::from(2));
                }
            }
            if let Some(file) = checkpoints {
                let key_file =
                    checkpoint_key.unwrap_or_else(|| cli.db.data_dir.join("checkpoint.key"));
                return checkpoints::verify(&store, &file, &key_file).await;
            }
        }
        Command::Person { action } => return people::run(&store, &cli.db.data_dir, action).await,
    }
    Ok(ExitCode::SUCCESS)
}

async fn load_demo(
    store: &Store,
    today: time::Date,
    biometrics: Option<&hamafza_web::biometrics::Biometrics>,
) -> Result<(), Failure> {
    let started = Instant::now();
    let summary = demo::load(store, today, biometrics).await?;
    println!(
        "demo data loaded in {:.1} s: {summary}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn progress(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}

async fn import_places(
    store: &Store,
    file: &PathBuf,
    level: &str,
    parent: Option<&str>,
) -> Result<ExitCode, Failure> {
    let level = PlaceLevel::from_code(level).ok_or_else(|| {
        Failure(format!(
            "unknown level `{level}`; one of: {}",
            PlaceLevel::ALL
                .map(hamafza_core::place::PlaceLevel::code)
                .join(", ")
        ))
    })?;
    let bytes = std::fs::read(file).map_err(|e| Failure(format!("{}: {e}", file.display())))?;
    let features = hamafza_geo::read_features(&bytes)?;
    let plan = hamafza_store::import::plan_places(store, &features, level, parent).await?;
    let places = match plan {
        Ok(p) => p,
        Err(problems) => {
            eprintln!(
                "nothing imported: {} of {} features are bad",
                problems.len(),
                features.len()
            );
            for p in &problems {
                eprintln!(
                    "  feature {} ({}): {}",
                    p.feature,
                    p.code.as_deref().unwrap_or("no code"),
                    hamafza_web::words::import_problem(p)
                );
            }
            return Ok(ExitCode::from(3));
        }
    };
    let bar = progress(places.len() as u64, "importing places");
    store
        .insert_places(&Who::system(), &places, &|n| bar.set_position(n as u64))
        .await?;
    bar.finish();
    println!("imported {} places at level {}", places.len(), level.code());
    Ok(ExitCode::SUCCESS)
}

/// A Jalali day from the command line, as a Gregorian date.
fn jalali_day(s: &str) -> Result<time::Date, Failure> {
    hamafza_core::jalali::JalaliDate::parse(s)
        .map(hamafza_core::jalali::JalaliDate::to_gregorian)
        .map_err(|e| Failure(e.to_string()))
}
