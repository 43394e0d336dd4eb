//! `hamafza audit verify --checkpoints`: the audit chain against the signed checkpoints
//! the server wrote (see `hamafza_core::checkpoint`).

use std::process::ExitCode;

use hamafza_store::Store;

use crate::Failure;

/// The chain against every checkpoint in `file`, signed with the key in `key_file`
/// (when that file is here; else any key the file names, said so).
pub async fn verify(
    store: &Store,
    file: &std::path::Path,
    key_file: &std::path::Path,
) -> Result<ExitCode, Failure> {
    use hamafza_store::checkpoints::CheckpointFinding;
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure(format!("cannot read {}: {e}", file.display())))?;
    let checkpoints = hamafza_web::checkpoints::read_checkpoints(&text)
        .map_err(|e| Failure(format!("{}: {e}", file.display())))?;
    let expected = match std::fs::read_to_string(key_file) {
        Ok(seed) => Some(
            hamafza_core::checkpoint::signing_key(&seed)
                .map(|k| hamafza_core::checkpoint::public_key(&k))
                .ok_or_else(|| {
                    Failure(format!("{} is not a checkpoint key", key_file.display()))
                })?,
        ),
        Err(_) => {
            println!(
                "no key at {}: checking signatures against the keys the file names",
                key_file.display()
            );
            None
        }
    };
    let findings = store
        .check_checkpoints(&checkpoints, expected.as_deref())
        .await?;
    if findings.is_empty() {
        println!(
            "consistent with all {} checkpoints (the latest at entry {})",
            checkpoints.len(),
            checkpoints.iter().map(|c| c.seq).max().unwrap_or(0)
        );
        return Ok(ExitCode::SUCCESS);
    }
    for f in &findings {
        match f {
            CheckpointFinding::Forged { seq } => {
                eprintln!("checkpoint at entry {seq}: the signature is forged");
            }
            CheckpointFinding::OtherKey { seq } => {
                eprintln!("checkpoint at entry {seq}: signed by another key");
            }
            CheckpointFinding::Truncated { seq, now } => eprintln!(
                "checkpoint at entry {seq}: the chain now ends at {now}: entries were deleted"
            ),
            CheckpointFinding::Rewritten { seq } => eprintln!(
                "checkpoint at entry {seq}: the entry's hash differs: the chain was rewritten"
            ),
        }
    }
    eprintln!(
        "audit chain INCONSISTENT with {} of {} checkpoints",
        findings.len(),
        checkpoints.len()
    );
    Ok(ExitCode::from(2))
}
