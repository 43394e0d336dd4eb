//! Numbers as Persian readers expect them: «۱٬۲۳۴٬۵۶۷», via ICU4X's CLDR data for `fa`.

use std::sync::OnceLock;

use icu_decimal::input::Decimal;
use icu_decimal::{DecimalFormatter, options::DecimalFormatterOptions};
use icu_locale_core::locale;

use crate::digits;

fn formatter() -> Option<&'static DecimalFormatter> {
    static F: OnceLock<Option<DecimalFormatter>> = OnceLock::new();
    F.get_or_init(|| {
        DecimalFormatter::try_new(locale!("fa").into(), DecimalFormatterOptions::default()).ok()
    })
    .as_ref()
}

/// An integer with Persian digits and the Persian thousands separator.
pub fn format_int(n: i64) -> String {
    match formatter() {
        Some(f) => f.format(&Decimal::from(n)).to_string(),
        None => digits::to_persian(&n.to_string()),
    }
}

/// A value with a fixed number of decimals, e.g. an area in km².
pub fn format_decimal(x: f64, decimals: usize) -> String {
    let fixed = format!("{x:.decimals$}");
    match (formatter(), Decimal::try_from_str(&fixed)) {
        (Some(f), Ok(d)) => f.format(&d).to_string(),
        _ => digits::to_persian(&fixed),
    }
}

/// A number typed in any digit script, with `٫` or `.` as the decimal point and `٬` or
/// `,` grouping.
pub fn parse_number(text: &str) -> Option<f64> {
    let ascii: String = crate::digits::to_ascii(text.trim())
        .chars()
        .filter(|c| !matches!(c, ',' | '٬' | ' '))
        .map(|c| if c == '٫' { '.' } else { c })
        .collect();
    let v: f64 = ascii.parse().ok()?;
    v.is_finite().then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_typed_in_any_script() {
        assert_eq!(parse_number("۱۲٫۵"), Some(12.5));
        assert_eq!(parse_number("1,234"), Some(1234.0));
        assert_eq!(parse_number("٬۱۰۰"), Some(100.0));
        assert_eq!(parse_number("x"), None);
        assert_eq!(parse_number("inf"), None);
    }

    #[test]
    fn persian_grouping_and_digits() {
        assert_eq!(format_int(1_234_567), "۱٬۲۳۴٬۵۶۷");
        assert_eq!(format_int(0), "۰");
        assert_eq!(format_decimal(1234.567, 1), "۱٬۲۳۴٫۶");
    }
}
