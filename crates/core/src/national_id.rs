//! Iranian national id (کد ملی): 10 digits with a mod-11 check digit.

use thiserror::Error;

use crate::digits;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NationalIdError {
    #[error("کد ملی باید ۱۰ رقم باشد")]
    WrongLength,
    #[error("کد ملی فقط می‌تواند رقم داشته باشد")]
    NotDigits,
    #[error("کد ملی با ده رقم یکسان معتبر نیست")]
    AllSame,
    #[error("رقم کنترل کد ملی درست نیست")]
    BadCheckDigit,
}

/// Validates a national id typed in any digit script, padding 8–9 digit input with
/// leading zeros. Returns the 10 ASCII digits.
pub fn parse(input: &str) -> Result<String, NationalIdError> {
    let ascii: String = digits::to_ascii(input.trim())
        .chars()
        .filter(|c| *c != '-' && *c != ' ')
        .collect();
    if !ascii.chars().all(|c| c.is_ascii_digit()) {
        return Err(NationalIdError::NotDigits);
    }
    let id = match ascii.len() {
        10 => ascii,
        8 | 9 => format!("{ascii:0>10}"),
        _ => return Err(NationalIdError::WrongLength),
    };
    let d: Vec<u32> = id.bytes().map(|b| u32::from(b - b'0')).collect();
    if d.iter().all(|&x| x == d[0]) {
        return Err(NationalIdError::AllSame);
    }
    let s: u32 = (0..9).map(|i| d[i] * (10 - i as u32)).sum();
    let r = s % 11;
    let expected = if r < 2 { r } else { 11 - r };
    if d[9] != expected {
        return Err(NationalIdError::BadCheckDigit);
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_ids_in_any_script() {
        assert_eq!(parse("0084575948").as_deref(), Ok("0084575948"));
        assert_eq!(parse("۰۰۸۴۵۷۵۹۴۸").as_deref(), Ok("0084575948"));
        assert_eq!(parse("84575948").as_deref(), Ok("0084575948"));
        assert_eq!(parse("1111111111"), Err(NationalIdError::AllSame));
    }

    #[test]
    fn rejects_bad_check_digit_and_shapes() {
        assert_eq!(parse("0084575949"), Err(NationalIdError::BadCheckDigit));
        assert_eq!(parse("123"), Err(NationalIdError::WrongLength));
        assert_eq!(parse("00845759a8"), Err(NationalIdError::NotDigits));
    }

    #[test]
    fn exactly_one_check_digit_is_valid_for_every_prefix_sampled() {
        // Property: for any 9-digit body there is exactly one valid check digit
        // (unless all ten digits would be equal).
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let body = format!("{:09}", seed % 1_000_000_000);
            let valid = (0..10)
                .filter(|c| parse(&format!("{body}{c}")).is_ok())
                .count();
            let same = body.chars().all(|c| c == body.as_bytes()[0] as char);
            assert!(valid == 1 || (same && valid == 0), "{body}: {valid}");
        }
    }
}
