//! Follow-up figures for a set of resolutions: counts by state, the on-time rate, the
//! median days from assignment to verification, and what is overdue or stalled.
//!
//! One function computes them for dashboards, the per-agency scorecard and the PDF report,
//! so the three can never disagree.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::resolutions::{State, is_overdue, is_stalled};

/// What the figures need to know of one resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub state: State,
    pub deadline: Option<time::Date>,
    pub assigned_on: Option<time::Date>,
    pub verified_on: Option<time::Date>,
    pub last_activity_on: time::Date,
    /// The council's stall threshold in days.
    pub stall_days: i64,
}

impl Facts {
    pub fn is_overdue(&self, today: time::Date) -> bool {
        is_overdue(self.state, self.deadline, today)
    }

    pub fn is_stalled(&self, today: time::Date) -> bool {
        is_stalled(self.state, self.last_activity_on, today, self.stall_days)
    }

    /// Verified, with a deadline, and verified on or before it.
    fn verified_on_time(&self) -> Option<bool> {
        match (self.state, self.deadline, self.verified_on) {
            (State::Verified, Some(deadline), Some(verified)) => Some(verified <= deadline),
            _ => None,
        }
    }
}

/// The headline figures of a set of resolutions on a given day.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub total: usize,
    /// Every state, including the ones with no resolution (count 0), in `State::ALL` order.
    pub by_state: Vec<(State, usize)>,
    pub overdue: usize,
    pub stalled: usize,
    /// Verified resolutions with a deadline.
    pub verified_with_deadline: usize,
    /// Of those, verified on or before the deadline.
    pub verified_on_time: usize,
    /// `verified_on_time / verified_with_deadline`, when there is any.
    pub on_time_rate: Option<f64>,
    /// Median whole days from assignment to verification, over verified resolutions.
    pub median_days_to_verify: Option<f64>,
}

impl Summary {
    pub fn of<'a>(facts: impl IntoIterator<Item = &'a Facts>, today: time::Date) -> Summary {
        let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
        let mut s = Summary::default();
        let mut days = Vec::new();
        for f in facts {
            s.total += 1;
            let index = State::ALL.iter().position(|st| *st == f.state).unwrap_or(0);
            *counts.entry(index).or_default() += 1;
            s.overdue += usize::from(f.is_overdue(today));
            s.stalled += usize::from(f.is_stalled(today));
            if let Some(on_time) = f.verified_on_time() {
                s.verified_with_deadline += 1;
                s.verified_on_time += usize::from(on_time);
            }
            if let (State::Verified, Some(a), Some(v)) = (f.state, f.assigned_on, f.verified_on) {
                days.push((v - a).whole_days());
            }
        }
        s.by_state = State::ALL
            .iter()
            .enumerate()
            .map(|(i, st)| (*st, counts.get(&i).copied().unwrap_or(0)))
            .collect();
        s.on_time_rate = (s.verified_with_deadline > 0)
            .then(|| s.verified_on_time as f64 / s.verified_with_deadline as f64);
        s.median_days_to_verify = median(&mut days);
        s
    }

    pub fn count(&self, state: State) -> usize {
        self.by_state
            .iter()
            .find(|(st, _)| *st == state)
            .map_or(0, |(_, n)| *n)
    }
}

/// The median of whole-day spans; the mean of the middle two for an even count.
pub fn median(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid] as f64
    } else {
        (values[mid - 1] + values[mid]) as f64 / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn facts(state: State) -> Facts {
        Facts {
            state,
            deadline: None,
            assigned_on: None,
            verified_on: None,
            last_activity_on: date!(2025 - 10 - 01),
            stall_days: 30,
        }
    }

    #[test]
    fn reported_done_and_verified_are_counted_apart() {
        let today = date!(2025 - 10 - 05);
        let all = [
            facts(State::ReportedDone),
            facts(State::Verified),
            facts(State::Verified),
        ];
        let s = Summary::of(&all, today);
        assert_eq!(s.total, 3);
        assert_eq!(s.count(State::ReportedDone), 1);
        assert_eq!(s.count(State::Verified), 2);
        assert_eq!(s.by_state.len(), State::ALL.len());
    }

    #[test]
    fn on_time_rate_and_median_are_computed_from_dates() {
        let today = date!(2025 - 12 - 01);
        let verified = |assigned, verified, deadline| Facts {
            state: State::Verified,
            deadline: Some(deadline),
            assigned_on: Some(assigned),
            verified_on: Some(verified),
            ..facts(State::Verified)
        };
        let all = [
            // 10 days, on time
            verified(
                date!(2025 - 09 - 01),
                date!(2025 - 09 - 11),
                date!(2025 - 09 - 30),
            ),
            // 40 days, late
            verified(
                date!(2025 - 09 - 01),
                date!(2025 - 10 - 11),
                date!(2025 - 09 - 30),
            ),
            // 20 days, on the deadline day itself: on time
            verified(
                date!(2025 - 09 - 10),
                date!(2025 - 09 - 30),
                date!(2025 - 09 - 30),
            ),
            // overdue and stalled: in progress, deadline passed, no activity for 61 days
            Facts {
                state: State::InProgress,
                deadline: Some(date!(2025 - 11 - 01)),
                ..facts(State::InProgress)
            },
        ];
        let s = Summary::of(&all, today);
        assert_eq!(s.verified_with_deadline, 3);
        assert_eq!(s.verified_on_time, 2);
        assert!((s.on_time_rate.unwrap() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(s.median_days_to_verify, Some(20.0));
        assert_eq!(s.overdue, 1);
        assert_eq!(s.stalled, 1);
    }

    #[test]
    fn empty_sets_have_no_rates() {
        let s = Summary::of(&[], date!(2025 - 01 - 01));
        assert_eq!(s.total, 0);
        assert_eq!(s.on_time_rate, None);
        assert_eq!(s.median_days_to_verify, None);
        assert_eq!(median(&mut [3, 1]), Some(2.0));
    }
}
