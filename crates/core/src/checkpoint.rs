//! Signed checkpoints of the audit chain, as Certificate Transparency and Rekor keep
//! them: the server signs "the chain had `seq` entries ending in `hash`" with a key kept
//! outside the database, appends it to a file and hands it to witnesses. Someone who can
//! write to the database but does not hold the key can then neither delete the last
//! entries (a checkpoint names a longer chain) nor edit one and rechain everything after
//! it (a checkpoint names another hash at that entry).

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::audit::hex;

/// "The audit chain had `seq` entries, the last with `hash`", signed by `key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    /// The hash of entry `seq` (hex).
    pub hash: String,
    /// RFC 3339 UTC, when it was signed.
    pub at: String,
    /// The signer's public key (hex, 32 bytes).
    pub key: String,
    /// Ed25519 over [`Checkpoint::message`] (hex, 64 bytes).
    pub signature: String,
}

/// A witness's countersignature: it saw this checkpoint, and nothing it saw from the
/// same key contradicts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cosignature {
    pub checkpoint: Checkpoint,
    pub witness_key: String,
    pub witnessed_at: String,
    pub witness_signature: String,
}

/// Why a checkpoint or countersignature is not to be believed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("the key is not an Ed25519 public key")]
    BadKey,
    #[error("the signature is malformed")]
    BadSignature,
    #[error("the signature does not match")]
    Forged,
}

fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

fn verifying_key(hex_key: &str) -> Result<VerifyingKey, CheckpointError> {
    let bytes = unhex::<32>(hex_key).ok_or(CheckpointError::BadKey)?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| CheckpointError::BadKey)
}

fn check(key: &str, message: &[u8], signature: &str) -> Result<(), CheckpointError> {
    let key = verifying_key(key)?;
    let sig = unhex::<64>(signature).ok_or(CheckpointError::BadSignature)?;
    key.verify(message, &Signature::from_bytes(&sig))
        .map_err(|_| CheckpointError::Forged)
}

/// A signing key from its 32-byte seed (as kept in the key file, hex).
pub fn signing_key(seed_hex: &str) -> Option<SigningKey> {
    unhex::<32>(seed_hex.trim()).map(|s| SigningKey::from_bytes(&s))
}

/// The public half of a key, as checkpoints name it.
pub fn public_key(key: &SigningKey) -> String {
    hex(key.verifying_key().as_bytes())
}

impl Checkpoint {
    /// The exact bytes signed: a fixed label, then each field on a line of its own.
    pub fn message(seq: i64, hash: &str, at: &str) -> Vec<u8> {
        format!("hamafza-audit-checkpoint/1\n{seq}\n{hash}\n{at}\n").into_bytes()
    }

    pub fn sign(key: &SigningKey, seq: i64, hash: &str, at: &str) -> Checkpoint {
        let signature = key.sign(&Self::message(seq, hash, at));
        Checkpoint {
            seq,
            hash: hash.to_string(),
            at: at.to_string(),
            key: public_key(key),
            signature: hex(&signature.to_bytes()),
        }
    }

    /// Whether the signature is the named key's over these fields.
    pub fn verify(&self) -> Result<(), CheckpointError> {
        check(
            &self.key,
            &Self::message(self.seq, &self.hash, &self.at),
            &self.signature,
        )
    }
}

impl Cosignature {
    fn message(c: &Checkpoint, witnessed_at: &str) -> Vec<u8> {
        let mut m = b"hamafza-witness/1\n".to_vec();
        m.extend(Checkpoint::message(c.seq, &c.hash, &c.at));
        m.extend(format!("{}\n{}\n{witnessed_at}\n", c.key, c.signature).into_bytes());
        m
    }

    pub fn sign(witness: &SigningKey, checkpoint: Checkpoint, witnessed_at: &str) -> Self {
        let signature = witness.sign(&Self::message(&checkpoint, witnessed_at));
        Cosignature {
            witness_key: public_key(witness),
            witnessed_at: witnessed_at.to_string(),
            witness_signature: hex(&signature.to_bytes()),
            checkpoint,
        }
    }

    /// Both signatures: the origin's over the checkpoint, the witness's over both.
    pub fn verify(&self) -> Result<(), CheckpointError> {
        self.checkpoint.verify()?;
        check(
            &self.witness_key,
            &Self::message(&self.checkpoint, &self.witnessed_at),
            &self.witness_signature,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_verify_and_any_change_is_caught() {
        let key = signing_key(&"11".repeat(32)).expect("seed");
        let c = Checkpoint::sign(&key, 42, &"ab".repeat(32), "2026-12-02T08:00:00.000Z");
        assert_eq!(c.verify(), Ok(()));
        for forged in [
            Checkpoint {
                seq: 41,
                ..c.clone()
            },
            Checkpoint {
                hash: "cd".repeat(32),
                ..c.clone()
            },
            Checkpoint {
                key: public_key(&signing_key(&"22".repeat(32)).expect("seed")),
                ..c.clone()
            },
        ] {
            assert_eq!(forged.verify(), Err(CheckpointError::Forged));
        }
        assert_eq!(
            Checkpoint {
                signature: "zz".into(),
                ..c.clone()
            }
            .verify(),
            Err(CheckpointError::BadSignature)
        );
        let witness = signing_key(&"33".repeat(32)).expect("seed");
        let co = Cosignature::sign(&witness, c.clone(), "2026-12-02T08:00:01.000Z");
        assert_eq!(co.verify(), Ok(()));
        let moved = Cosignature {
            witnessed_at: "2026-12-03T08:00:01.000Z".into(),
            ..co
        };
        assert_eq!(moved.verify(), Err(CheckpointError::Forged));
    }
}
