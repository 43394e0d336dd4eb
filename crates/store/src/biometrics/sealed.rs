//! Templates sealed at rest: XChaCha20-Poly1305 with a 256-bit key kept outside the
//! database (a file beside it, `DATA_DIR/biometric.key` by default, or wherever the
//! operator says), so a copy of the database alone holds no template. Each template is
//! bound to its reference id (the associated data): a sealed value moved onto another
//! row does not open.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

use crate::{StoreError, StoreResult};

/// The key that seals templates. Its bytes are never printed.
#[derive(Clone)]
pub struct TemplateKey {
    key: [u8; 32],
    id: String,
}

impl std::fmt::Debug for TemplateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TemplateKey({})", self.id)
    }
}

impl TemplateKey {
    pub fn from_bytes(key: [u8; 32]) -> TemplateKey {
        let digest = Sha256::digest(key);
        let id = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        TemplateKey { key, id }
    }

    /// A new random key.
    pub fn generate() -> TemplateKey {
        TemplateKey::from_bytes(rand::random())
    }

    /// Reads the key file (32 bytes as 64 hex digits), creating it (readable by its
    /// owner only) if it is not there.
    pub fn load_or_create(path: &Path) -> StoreResult<TemplateKey> {
        let io = |e: std::io::Error| StoreError::Io(format!("{}: {e}", path.display()));
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let hex = text.trim();
                let bytes: Option<Vec<u8>> = (0..hex.len())
                    .step_by(2)
                    .map(|i| {
                        hex.get(i..i + 2)
                            .and_then(|h| u8::from_str_radix(h, 16).ok())
                    })
                    .collect();
                let key: [u8; 32] = bytes.and_then(|b| b.try_into().ok()).ok_or_else(|| {
                    StoreError::Io(format!(
                        "{}: not a biometric key (64 hex digits expected)",
                        path.display()
                    ))
                })?;
                Ok(TemplateKey::from_bytes(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = TemplateKey::generate();
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                let hex: String = key.key.iter().map(|b| format!("{b:02x}")).collect();
                write_private(path, &hex).map_err(io)?;
                Ok(key)
            }
            Err(e) => Err(io(e)),
        }
    }

    /// Which key this is: the first 16 hex digits of its SHA-256.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.key).into())
    }

    /// (nonce, sealed), both base64.
    pub(crate) fn seal(&self, reference: &str, template: &[u8]) -> StoreResult<(String, String)> {
        let nonce: [u8; 24] = rand::random();
        let sealed = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: template,
                    aad: reference.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Corrupt("template could not be sealed".into()))?;
        Ok((BASE64.encode(nonce), BASE64.encode(sealed)))
    }

    /// The template sealed under `reference`; an error if it was sealed with another
    /// key, for another reference, or changed.
    pub(crate) fn open(&self, reference: &str, nonce: &str, sealed: &str) -> StoreResult<Vec<u8>> {
        let bad = || {
            StoreError::Corrupt(format!(
                "template {reference} does not open with key {}",
                self.id
            ))
        };
        let nonce = BASE64.decode(nonce).map_err(|_| bad())?;
        if nonce.len() != 24 {
            return Err(bad());
        }
        let sealed = BASE64.decode(sealed).map_err(|_| bad())?;
        self.cipher()
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &sealed,
                    aad: reference.as_bytes(),
                },
            )
            .map_err(|_| bad())
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_template_opens_only_with_its_key_and_reference() {
        let key = TemplateKey::generate();
        let (nonce, sealed) = key.seal("ref-1", b"template bytes").unwrap();
        assert!(!sealed.contains("template"));
        assert_eq!(
            key.open("ref-1", &nonce, &sealed).unwrap(),
            b"template bytes"
        );
        assert!(
            key.open("ref-2", &nonce, &sealed).is_err(),
            "moved to another row"
        );
        assert!(
            TemplateKey::generate()
                .open("ref-1", &nonce, &sealed)
                .is_err()
        );
        assert!(format!("{key:?}").starts_with("TemplateKey("));
    }

    #[test]
    fn the_key_file_is_made_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("biometric.key");
        let a = TemplateKey::load_or_create(&path).unwrap();
        let b = TemplateKey::load_or_create(&path).unwrap();
        assert_eq!(a.id(), b.id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "readable by its owner only");
        }
        std::fs::write(&path, "not a key").unwrap();
        assert!(TemplateKey::load_or_create(&path).is_err());
    }
}
