//! `hamafza person …`: a privacy officer's reports on one person of the registry — who
//! read the record, when and why (`access-report`, a Persian PDF or JSON), and
//! everything held on them (`subject-report`, JSON). Both are reads, audited with the
//! purpose given here as the command line's.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use hamafza_core::ids::PersonId;
use hamafza_core::jalali::JalaliDate;
use hamafza_core::people::Purpose;
use hamafza_store::Store;
use hamafza_store::people::{PersonReader, command_line_operator};

use crate::Failure;

#[derive(Subcommand)]
pub(crate) enum PersonCommand {
    /// Who read a person's record, when and why: a Persian PDF, or JSON when the output
    /// file ends in .json.
    AccessReport {
        #[arg(long)]
        id: String,
        #[arg(short = 'o', long)]
        output: PathBuf,
        /// Why you look (service, case_work, referral, duplicate_check, supervision,
        /// legal_request, other); audited with the read.
        #[arg(long, default_value = "supervision")]
        purpose: String,
        /// Words for the purpose (required for `other`).
        #[arg(long)]
        purpose_text: Option<String>,
    },
    /// The retention job: people with no open case and no encounter in the last
    /// `--years` years lose their names, identifiers and notes (counts stay); records
    /// on legal hold are kept. Audited; prints what it did.
    Retention {
        #[arg(long, default_value_t = 5)]
        years: i64,
    },
    /// A research export (CSV): no names or ids — a keyed pseudonym (HMAC-SHA256 with
    /// DATA_DIR/research.key, created on first use), birth year in 5-year bands, the
    /// district met in, categories, month registered, consent; combinations of band, sex
    /// and district shared by fewer than `--k` people are left out.
    ResearchExport {
        #[arg(short = 'o', long)]
        output: PathBuf,
        #[arg(long, default_value_t = 10)]
        k: usize,
    },
    /// Put a person's record on legal hold (kept by the retention job), or release it.
    Hold {
        #[arg(long)]
        id: String,
        #[arg(long)]
        release: bool,
        /// Why (a court order, an inquiry): kept in the audit log.
        #[arg(long)]
        reason: String,
    },
    /// Everything held on a person — the record with each field's data-quality code,
    /// consents, encounters, and every read — as JSON.
    SubjectReport {
        #[arg(long)]
        id: String,
        #[arg(short = 'o', long)]
        output: PathBuf,
        #[arg(long, default_value = "legal_request")]
        purpose: String,
        #[arg(long)]
        purpose_text: Option<String>,
    },
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    std::fs::write(path, bytes)
        .map_err(|e| Failure(format!("{} could not be written: {e}", path.display())))
}

fn person_id(id: &str) -> Result<PersonId, Failure> {
    id.parse()
        .map_err(|_| Failure(format!("«{id}» is not a person's id")))
}

/// The research pseudonyms' key: DATA_DIR/research.key, created (owner-only) on first
/// use. Keep it: a new key gives everyone new pseudonyms.
fn research_key(data_dir: &Path) -> Result<String, Failure> {
    let path = data_dir.join("research.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(text.trim().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            use std::io::Write;
            let key = hamafza_web::new_secret();
            std::fs::create_dir_all(data_dir)?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            writeln!(options.open(&path)?, "{key}")?;
            Ok(key)
        }
        Err(e) => Err(Failure(format!("{}: {e}", path.display()))),
    }
}

async fn research_export(
    store: &Store,
    data_dir: &Path,
    output: &Path,
    k: usize,
) -> Result<ExitCode, Failure> {
    use hamafza_core::people::research::{k_anonymous, pseudonym, year_band};
    if k < 2 {
        return Err(Failure("--k must be 2 or more".into()));
    }
    let key = research_key(data_dir)?;
    let rows = store
        .research_rows(&hamafza_core::access::Scope::system_job("research export"))
        .await
        .map_err(|e| Failure(hamafza_web::words::store_error(&e)))?;
    let band = |r: &hamafza_store::people::ResearchRow| {
        r.birth
            .map(|b| year_band(b.range().0.year))
            .unwrap_or_default()
    };
    let keys: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                band(r),
                r.sex.clone().unwrap_or_default(),
                r.district.clone().unwrap_or_default(),
            )
        })
        .collect();
    let kept = k_anonymous(&keys, k);
    let mut csv =
        String::from("pseudonym,birth_band,sex,district,categories,registered_month,consent\n");
    for i in &kept {
        let r = &rows[*i];
        let month = hamafza_store::parse_instant(&r.registered_at)
            .map(hamafza_store::atlas::jalali_month)
            .unwrap_or_default();
        csv.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            pseudonym(key.as_bytes(), &r.id.to_string()),
            keys[*i].0,
            keys[*i].1,
            keys[*i].2,
            r.categories.join(";"),
            month,
            r.consent
        ));
    }
    write(output, csv.as_bytes())?;
    println!(
        "research export: {} people, {} left out (cells under {k}), {}",
        kept.len(),
        rows.len() - kept.len(),
        output.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn run(
    store: &Store,
    data_dir: &Path,
    command: PersonCommand,
) -> Result<ExitCode, Failure> {
    let today = JalaliDate::today_in_tehran(time::OffsetDateTime::now_utc());
    let actor = command_line_operator();
    let failed = |e: hamafza_store::StoreError| Failure(hamafza_web::words::store_error(&e));
    let (id, output, purpose, purpose_text, subject) = match command {
        PersonCommand::Retention { years } => {
            if !(1..=100).contains(&years) {
                return Err(Failure("--years must be from 1 to 100".into()));
            }
            let before = today.to_gregorian() - time::Duration::days(365 * years);
            let run = store.run_retention(before).await.map_err(failed)?;
            println!(
                "retention: {} people unnamed, {} kept on legal hold",
                run.pseudonymised, run.on_hold
            );
            return Ok(ExitCode::SUCCESS);
        }
        PersonCommand::ResearchExport { output, k } => {
            return research_export(store, data_dir, &output, k).await;
        }
        PersonCommand::Hold {
            id,
            release,
            reason,
        } => {
            store
                .set_legal_hold(
                    &hamafza_store::Who::system(),
                    person_id(&id)?,
                    !release,
                    &reason,
                )
                .await
                .map_err(failed)?;
            println!("legal hold {}", if release { "released" } else { "set" });
            return Ok(ExitCode::SUCCESS);
        }
        PersonCommand::AccessReport {
            id,
            output,
            purpose,
            purpose_text,
        } => (id, output, purpose, purpose_text, false),
        PersonCommand::SubjectReport {
            id,
            output,
            purpose,
            purpose_text,
        } => (id, output, purpose, purpose_text, true),
    };
    let id = person_id(&id)?;
    let purpose = Purpose::parse(&purpose, purpose_text.as_deref())
        .map_err(|e| Failure(format!("purpose: {e:?} (other needs --purpose-text)")))?;
    let reader = PersonReader {
        actor: &actor,
        purpose: &purpose,
        today,
    };
    if subject {
        let person = store.read_person(&reader, id).await.map_err(failed)?;
        let reads = store
            .person_access_report(&reader, id)
            .await
            .map_err(failed)?;
        let json = serde_json::json!({ "person": person, "reads": reads });
        write(&output, serde_json::to_string_pretty(&json)?.as_bytes())?;
        println!("subject report: {}", output.display());
        return Ok(ExitCode::SUCCESS);
    }
    let reads = store
        .person_access_report(&reader, id)
        .await
        .map_err(failed)?;
    if output.extension().is_some_and(|e| e == "json") {
        let json = serde_json::json!({ "person": id, "reads": reads });
        write(&output, serde_json::to_string_pretty(&json)?.as_bytes())?;
    } else {
        let document = hamafza_web::words::access_report(
            &id.to_string(),
            &reads,
            &format!("از خط فرمان — {}", purpose.text_fa()),
            &today.format_long(),
        );
        let pdf = tokio::task::spawn_blocking(move || document.pdf())
            .await
            .map_err(|e| Failure(e.to_string()))?
            .map_err(Failure)?;
        write(&output, &pdf)?;
    }
    println!("access report: {} reads, {}", reads.len(), output.display());
    Ok(ExitCode::SUCCESS)
}
