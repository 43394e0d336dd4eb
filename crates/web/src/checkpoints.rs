//! Signed checkpoints of the audit chain (`hamafza_core::checkpoint`), as a server makes
//! and keeps them: a job that signs the chain's head each minute it has grown, appends
//! the checkpoint to a file outside the database and hands it to witnesses; and the
//! endpoint by which this server witnesses another's.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use ed25519_dalek::SigningKey;
use hamafza_core::access::{Action, Target, decide};
use hamafza_core::checkpoint::{Checkpoint, Cosignature, signing_key};
use hamafza_store::Store;
use serde_json::json;

use crate::AppState;
use crate::error::AppError;
use crate::extract::{ApiJson, ApiUser, allowed};

/// Reads the signing key (a hex seed), creating it — readable by its owner only — when
/// the file does not exist yet.
pub fn load_or_create_key(path: &Path) -> std::io::Result<SigningKey> {
    match std::fs::read_to_string(path) {
        Ok(text) => signing_key(&text).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{} is not a checkpoint key", path.display()),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            rand::RngCore::fill_bytes(&mut rand::rng(), &mut seed);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut f = options.open(path)?;
            writeln!(f, "{}", hamafza_core::audit::hex(&seed))?;
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(e) => Err(e),
    }
}

/// A witness: where to send checkpoints and the bearer token it accepts.
#[derive(Clone)]
pub struct Witness {
    pub url: String,
    pub token: String,
}

/// What the checkpoint job needs.
pub struct CheckpointJob {
    pub store: Store,
    pub key: Arc<SigningKey>,
    /// One JSON object per line: checkpoints, and witnesses' countersignatures.
    pub file: PathBuf,
    pub witnesses: Vec<Witness>,
    pub every: std::time::Duration,
}

impl CheckpointJob {
    /// Signs the head now if it moved since `last`; returns the length signed.
    async fn once(&self, last: i64, http: &reqwest::Client) -> i64 {
        let (seq, hash) = match self.store.audit_head().await {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!("checkpoint: cannot read the audit head: {e}");
                return last;
            }
        };
        if seq == last {
            return last;
        }
        let at = hamafza_store::instant_text(time::OffsetDateTime::now_utc());
        let checkpoint = Checkpoint::sign(&self.key, seq, &hash, &at);
        if let Err(e) = append(&self.file, &json!(checkpoint)) {
            tracing::error!("checkpoint: cannot append to {}: {e}", self.file.display());
            return last;
        }
        for w in &self.witnesses {
            match witness_once(http, w, &checkpoint).await {
                Ok(co) => {
                    if let Err(e) = append(&self.file, &json!({ "cosignature": co })) {
                        tracing::error!("checkpoint: cannot append: {e}");
                    }
                }
                // The witness's address only: its token stays out of the log.
                Err(e) => tracing::warn!(witness = %w.url, "checkpoint not witnessed: {e}"),
            }
        }
        seq
    }
}

async fn witness_once(
    http: &reqwest::Client,
    w: &Witness,
    c: &Checkpoint,
) -> Result<Cosignature, String> {
    let res = http
        .post(&w.url)
        .bearer_auth(&w.token)
        .json(c)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !res.status().is_success() {
        return Err(format!("answered {}", res.status()));
    }
    let co: Cosignature = res.json().await.map_err(|e| e.to_string())?;
    // Believe a countersignature only of this very checkpoint, and only if it verifies.
    if co.checkpoint != *c || co.verify().is_err() {
        return Err("the countersignature does not verify".into());
    }
    Ok(co)
}

fn append(file: &Path, line: &serde_json::Value) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)?;
    writeln!(f, "{line}")?;
    f.sync_data()
}

/// Runs the checkpoint job until `stop` turns true, and signs once more on the way out
/// so the last writes are covered.
pub fn spawn_checkpoint_job(
    job: CheckpointJob,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        let mut last = -1;
        let mut tick = tokio::time::interval(job.every);
        loop {
            tokio::select! {
                biased;
                _ = stop.wait_for(|s| *s) => break,
                _ = tick.tick() => {}
            }
            last = job.once(last, &http).await;
        }
        job.once(last, &http).await;
    })
}

/// Every line of a checkpoints file that is a checkpoint or a countersignature, the
/// latter with its witness signature checked; lines that are neither are errors.
pub fn read_checkpoints(text: &str) -> Result<Vec<Checkpoint>, String> {
    let mut out = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        if let Some(co) = v.get("cosignature") {
            let co: Cosignature =
                serde_json::from_value(co.clone()).map_err(|e| format!("line {}: {e}", i + 1))?;
            co.verify()
                .map_err(|e| format!("line {}: countersignature: {e}", i + 1))?;
            out.push(co.checkpoint);
        } else {
            out.push(serde_json::from_value(v).map_err(|e| format!("line {}: {e}", i + 1))?);
        }
    }
    Ok(out)
}

/// `POST /api/v1/witness/checkpoints`: keeps another server's checkpoint and
/// countersigns it — unless its signature is wrong (422) or it contradicts one already
/// witnessed from the same key (409: that server's history was rewritten).
pub async fn witness(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(checkpoint): ApiJson<Checkpoint>,
) -> Result<Json<Cosignature>, AppError> {
    allowed(decide(
        &user.actor,
        Action::WitnessCheckpoints,
        Target::Collection,
    ))?;
    checkpoint.verify().map_err(|_| {
        AppError::validation(
            "امضای نقطهٔ وارسی درست نیست",
            json!([{ "field": "signature" }]),
        )
    })?;
    let key = state
        .checkpoint_key
        .clone()
        .ok_or_else(|| AppError::Conflict("این کارساز کلید امضای نقطه‌های وارسی ندارد".into()))?;
    if let Err(c) = state.store.witness(&checkpoint).await? {
        tracing::warn!(
            seq = c.seq,
            "witness: a checkpoint contradicts one witnessed before"
        );
        return Err(AppError::Conflict(format!(
            "نقطهٔ وارسی با آنچه پیش‌تر برای ردیف {} دیده شده ناسازگار است: تاریخچهٔ آن کارساز بازنویسی شده است",
            c.seq
        )));
    }
    let at = hamafza_store::instant_text(time::OffsetDateTime::now_utc());
    Ok(Json(Cosignature::sign(&key, checkpoint, &at)))
}
