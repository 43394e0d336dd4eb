//! Conversion between ASCII, Persian (۰–۹) and Arabic-Indic (٠–٩) digits.
//!
//! People type any of the three; Hamafza stores ASCII and shows Persian.

const PERSIAN_ZERO: u32 = '۰' as u32;
const ARABIC_INDIC_ZERO: u32 = '٠' as u32;

/// The ASCII value of a digit in any of the three scripts, or `None`.
pub fn digit_value(c: char) -> Option<u32> {
    let cp = c as u32;
    match c {
        '0'..='9' => Some(cp - '0' as u32),
        '۰'..='۹' => Some(cp - PERSIAN_ZERO),
        '٠'..='٩' => Some(cp - ARABIC_INDIC_ZERO),
        _ => None,
    }
}

/// Replaces Persian and Arabic-Indic digits with ASCII ones; other characters stay.
/// The Arabic decimal and thousands separators become `.` and nothing.
pub fn to_ascii(s: &str) -> String {
    s.chars()
        .filter(|&c| c != '٬')
        .map(|c| match digit_value(c) {
            Some(v) => char::from_digit(v, 10).unwrap_or(c),
            None if c == '٫' => '.',
            None => c,
        })
        .collect()
}

/// Replaces ASCII and Arabic-Indic digits with Persian ones; other characters stay.
pub fn to_persian(s: &str) -> String {
    s.chars()
        .map(|c| match digit_value(c) {
            Some(v) => char::from_u32(PERSIAN_ZERO + v).unwrap_or(c),
            None => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_every_digit_both_ways() {
        assert_eq!(to_ascii("۰۱۲۳۴۵۶۷۸۹"), "0123456789");
        assert_eq!(to_ascii("٠١٢٣٤٥٦٧٨٩"), "0123456789");
        assert_eq!(to_persian("0123456789"), "۰۱۲۳۴۵۶۷۸۹");
        assert_eq!(to_persian("٠١٢٣٤٥٦٧٨٩"), "۰۱۲۳۴۵۶۷۸۹");
        assert_eq!(to_persian("منطقه 12"), "منطقه ۱۲");
        assert_eq!(to_ascii("۱٬۲۳۴٫۵"), "1234.5");
    }

    #[test]
    fn round_trip_keeps_non_digits() {
        for s in ["abc", "کرمان", "1404/07/19", "", "x9y"] {
            assert_eq!(to_ascii(&to_persian(s)), s);
        }
    }
}
