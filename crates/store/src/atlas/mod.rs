//! The atlas's data: events placed at write time with live monthly counts
//! ([`events`]), the versioned indicator dictionary and supplied values
//! ([`indicators`]), their spreadsheets ([`sheet`]) and saved priority indices
//! ([`priority`]).

use hamafza_core::jalali::{JalaliDate, Period, TEHRAN};
use time::OffsetDateTime;

pub mod events;
pub mod indicators;
pub mod priority;
pub mod sheet;

pub use events::{EventCategory, NewEvent, PlaceLocator, RecordedEvent};
pub use indicators::{Indicator, NewIndicator, ValueIn};

/// The Jalali month (`1403-07`) of an instant, in Tehran.
pub fn jalali_month(at: OffsetDateTime) -> String {
    let day = JalaliDate::from_gregorian(at.to_offset(TEHRAN).date());
    Period::Month(day.year, day.month).code()
}

/// The first and last month codes of a period.
pub fn month_range(period: Period) -> (String, String) {
    let (a, b) = (period.first_day(), period.last_day());
    (
        Period::Month(a.year, a.month).code(),
        Period::Month(b.year, b.month).code(),
    )
}

/// Binds `$start..` placeholders for a list.
pub(crate) fn placeholders(
    binds: &mut Vec<String>,
    values: impl IntoIterator<Item = String>,
) -> String {
    let mut parts = Vec::new();
    for v in values {
        binds.push(v);
        parts.push(format!("${}", binds.len()));
    }
    if parts.is_empty() {
        "NULL".into()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn months_are_tehran_months() {
        // 1403-07-01 began at 2024-09-22 00:00 in Tehran = 2024-09-21 20:30 UTC.
        assert_eq!(jalali_month(datetime!(2024-09-21 20:29 UTC)), "1403-06");
        assert_eq!(jalali_month(datetime!(2024-09-21 20:30 UTC)), "1403-07");
        assert_eq!(
            month_range(Period::Quarter(1403, 3)),
            ("1403-07".into(), "1403-09".into())
        );
        assert_eq!(
            month_range(Period::Year(1403)),
            ("1403-01".into(), "1403-12".into())
        );
    }
}
