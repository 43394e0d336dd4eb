//! Iranian mobile numbers: accept 09…, +98…, 0098…, 98… in any digit script; store E.164.

use thiserror::Error;

use crate::digits;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MobileError {
    #[error("شمارهٔ همراه باید به شکل ۰۹۱۲۳۴۵۶۷۸۹ باشد")]
    Malformed,
}

/// Normalises a mobile number to E.164 (`+989123456789`). Unknown operator prefixes are
/// accepted: new ones appear every few years.
pub fn normalise(input: &str) -> Result<String, MobileError> {
    let ascii: String = digits::to_ascii(input)
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '\u{200E}' | '\u{200F}'))
        .collect();
    let national = if let Some(rest) = ascii.strip_prefix("+98") {
        rest
    } else if let Some(rest) = ascii.strip_prefix("0098") {
        rest
    } else if let Some(rest) = ascii.strip_prefix("98").filter(|r| r.len() == 10) {
        rest
    } else if let Some(rest) = ascii.strip_prefix('0') {
        rest
    } else {
        &ascii
    };
    if national.len() == 10
        && national.starts_with('9')
        && national.bytes().all(|b| b.is_ascii_digit())
    {
        Ok(format!("+98{national}"))
    } else {
        Err(MobileError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_common_form_normalises_to_e164() {
        for s in [
            "09123456789",
            "+989123456789",
            "00989123456789",
            "989123456789",
            "۰۹۱۲۳۴۵۶۷۸۹",
            "0912 345 6789",
            "9123456789",
        ] {
            assert_eq!(normalise(s).as_deref(), Ok("+989123456789"), "{s}");
        }
    }

    #[test]
    fn rejects_landlines_and_junk() {
        for s in ["02112345678", "0912345678", "abc", "", "+4915112345678"] {
            assert!(normalise(s).is_err(), "{s}");
        }
    }
}
