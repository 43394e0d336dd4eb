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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persian_grouping_and_digits() {
        assert_eq!(format_int(1_234_567), "۱٬۲۳۴٬۵۶۷");
        assert_eq!(format_int(0), "۰");
        assert_eq!(format_decimal(1234.567, 1), "۱٬۲۳۴٫۶");
    }
}
