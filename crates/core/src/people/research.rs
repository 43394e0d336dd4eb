//! Research exports of the registry: no names, no ids. Each person appears under a
//! keyed pseudonym (HMAC-SHA256 with a secret kept in the data directory, so the same
//! person has the same pseudonym in every export, and nobody without the secret can
//! link it back), with the birth year in 5-year bands and the place at district level;
//! a combination of band, sex and district shared by fewer than k people is left out
//! (the atlas's small-number rule).

use std::collections::HashMap;

use sha2::{Digest, Sha256};

/// HMAC-SHA256 of `message` under `key` (RFC 2104), as lower-case hex of its first 16
/// bytes: short enough to read, far too long to guess.
pub fn pseudonym(key: &[u8], message: &str) -> String {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| k.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message.as_bytes())
        .finalize();
    let outer = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    crate::audit::hex(&outer[..16])
}

/// The 5-year band of a Jalali year: `1365` → `1365-1369`.
pub fn year_band(year: i32) -> String {
    let start = year - year.rem_euclid(5);
    format!("{start}-{}", start + 4)
}

/// The indices of the rows to keep: those whose quasi-identifier key is shared by at
/// least `k` rows.
pub fn k_anonymous<K: std::hash::Hash + Eq>(keys: &[K], k: usize) -> Vec<usize> {
    let mut counts: HashMap<&K, usize> = HashMap::new();
    for key in keys {
        *counts.entry(key).or_default() += 1;
    }
    (0..keys.len()).filter(|i| counts[&keys[*i]] >= k).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            pseudonym(b"Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c7"
        );
        assert_ne!(pseudonym(b"one", "p"), pseudonym(b"two", "p"), "keyed");
    }

    #[test]
    fn bands_and_small_cells() {
        assert_eq!(year_band(1365), "1365-1369");
        assert_eq!(year_band(1369), "1365-1369");
        assert_eq!(year_band(1370), "1370-1374");
        let keys = ["a", "a", "a", "b", "c", "c"];
        assert_eq!(k_anonymous(&keys, 2), vec![0, 1, 2, 4, 5]);
        assert_eq!(k_anonymous(&keys, 3), vec![0, 1, 2]);
    }
}
