//! Which day it is. Deadlines, "overdue", "stalled" and escalation all depend on it, so
//! it is injectable: tests and demonstrations can set the day or move it forward.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use hamafza_core::jalali::JalaliDate;

/// Today in Tehran, optionally shifted by a number of days.
#[derive(Clone, Default)]
pub struct Clock {
    shift_days: Arc<AtomicI64>,
    fixed: Option<time::Date>,
}

impl Clock {
    /// The real day in Tehran.
    pub fn system() -> Self {
        Clock::default()
    }

    /// Always `day` (until moved with [`Clock::advance`]).
    pub fn fixed(day: time::Date) -> Self {
        Clock {
            fixed: Some(day),
            ..Clock::default()
        }
    }

    /// Moves the clock `days` forward (for simulations and tests).
    pub fn advance(&self, days: i64) {
        self.shift_days.fetch_add(days, Ordering::Relaxed);
    }

    pub fn today(&self) -> time::Date {
        let base = self.fixed.unwrap_or_else(|| {
            JalaliDate::today_in_tehran(time::OffsetDateTime::now_utc()).to_gregorian()
        });
        base.saturating_add(time::Duration::days(
            self.shift_days.load(Ordering::Relaxed),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_fixed_clock_moves_only_when_told() {
        let c = Clock::fixed(date!(2025 - 10 - 11));
        assert_eq!(c.today(), date!(2025 - 10 - 11));
        c.clone().advance(30);
        assert_eq!(c.today(), date!(2025 - 11 - 10), "clones share the shift");
    }
}
