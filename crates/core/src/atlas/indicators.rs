//! The indicator dictionary's rules: what a definition says, how a value is computed
//! from its numerator and denominator, and when a small count must be hidden.

use serde::Serialize;

pub use crate::access::sees_restricted;

/// Which direction is worse for the people concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Worse {
    Higher,
    Lower,
}

/// Where the numerator comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Numerator {
    /// A live count of events of the indicator's categories.
    Events,
    /// A value an agency supplies per place and period (by hand or by file).
    Imported,
    /// A live count of the registry's contacts (named or not) of the indicator's
    /// person categories: every encounter counts where it happened.
    Encounters,
    /// A live count of people met for the first time (a new named record).
    NewPeople,
    /// A live count of contacts with people already on record (returning).
    ReturningPeople,
}

impl Numerator {
    /// Whether the numerator is counted live (events or the registry's contacts) from
    /// the kept counts, rather than supplied.
    pub fn is_live(self) -> bool {
        !matches!(self, Numerator::Imported)
    }

    /// Whether its categories are the registry's person categories (not event ones).
    pub fn counts_people(self) -> bool {
        matches!(
            self,
            Numerator::Encounters | Numerator::NewPeople | Numerator::ReturningPeople
        )
    }

    /// The key a category is counted under in the live counts: event categories as
    /// they are, the registry's under a prefix no event category code can carry (codes
    /// are snake_case, so never contain `:`).
    pub fn count_key(self, category: &str) -> String {
        match self {
            Numerator::Events | Numerator::Imported => category.to_string(),
            Numerator::Encounters => format!("encounter:{category}"),
            Numerator::NewPeople => format!("new_person:{category}"),
            Numerator::ReturningPeople => format!("returning_person:{category}"),
        }
    }
}

/// What the numerator is divided by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Denominator {
    None,
    Population,
    /// Area in km².
    Area,
}

/// Who may see an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Publication {
    Public,
    Restricted,
}

macro_rules! codes {
    ($t:ty { $($v:ident = $c:literal),* $(,)? }) => {
        impl $t {
            pub fn code(self) -> &'static str {
                match self { $(Self::$v => $c),* }
            }
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($c => Some(Self::$v),)* _ => None }
            }
        }
    };
}
codes!(Worse { Higher = "higher", Lower = "lower" });
codes!(Numerator {
    Events = "events",
    Imported = "imported",
    Encounters = "encounters",
    NewPeople = "new_people",
    ReturningPeople = "returning_people",
});
codes!(Denominator { None = "none", Population = "population", Area = "area" });
codes!(Publication { Public = "public", Restricted = "restricted" });

/// The smallest count shown to people without access to restricted statistics.
pub const DEFAULT_SMALL_COUNT: i64 = 10;

/// The rate: numerator ÷ denominator × base; `None` without a usable denominator.
pub fn rate(
    numerator: f64,
    denominator: Denominator,
    people_or_km2: Option<f64>,
    base: f64,
) -> Option<f64> {
    match denominator {
        Denominator::None => Some(numerator * base),
        _ => match people_or_km2 {
            Some(d) if d > 0.0 => Some(numerator / d * base),
            _ => None,
        },
    }
}

/// The rate's base in words: «در ۱۰ هزار نفر», «درصد», «در کیلومتر مربع».
pub fn base_fa(denominator: Denominator, base: f64) -> String {
    match denominator {
        Denominator::None => String::new(),
        Denominator::Area => "در هر کیلومتر مربع".into(),
        Denominator::Population if base == 100.0 => "درصد جمعیت".into(),
        Denominator::Population => format!("در هر {} نفر", crate::numbers::format_int(base as i64)),
    }
}

/// A count that must not be shown to someone without restricted access: 1 to k − 1.
/// Zero is shown, as CDC WONDER and most statistical offices do: it discloses no one.
pub fn is_small(count: f64, k: i64) -> bool {
    count > 0.0 && count < k as f64
}

/// One place's value as a caller may see it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Shown {
    Value {
        value: f64,
        numerator: f64,
        denominator: Option<f64>,
    },
    /// A count below the threshold (or a rate computed from one).
    Suppressed,
    NoData,
}

impl Shown {
    /// Applies the small-count rule to a computed value.
    pub fn of(
        numerator: Option<f64>,
        value: Option<f64>,
        denominator: Option<f64>,
        is_count: bool,
        k: Option<i64>,
    ) -> Shown {
        match (numerator, value) {
            (Some(n), Some(v)) => {
                if is_count && k.is_some_and(|k| is_small(n, k)) {
                    Shown::Suppressed
                } else {
                    Shown::Value {
                        value: v,
                        numerator: n,
                        denominator,
                    }
                }
            }
            _ => Shown::NoData,
        }
    }

    pub fn value(&self) -> Option<f64> {
        match self {
            Shown::Value { value, .. } => Some(*value),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Actor, Role};
    use uuid::Uuid;

    #[test]
    fn rates_and_bases() {
        assert_eq!(
            rate(25.0, Denominator::Population, Some(50_000.0), 10_000.0),
            Some(5.0)
        );
        assert_eq!(rate(3.0, Denominator::Area, Some(1.5), 1.0), Some(2.0));
        assert_eq!(rate(3.0, Denominator::Population, None, 1000.0), None);
        assert_eq!(rate(3.0, Denominator::Population, Some(0.0), 1000.0), None);
        assert_eq!(rate(7.0, Denominator::None, None, 1.0), Some(7.0));
        assert_eq!(
            base_fa(Denominator::Population, 10_000.0),
            "در هر ۱۰٬۰۰۰ نفر"
        );
    }

    #[test]
    fn small_counts_are_suppressed_for_those_without_restricted_access() {
        let k = Some(DEFAULT_SMALL_COUNT);
        assert_eq!(
            Shown::of(Some(9.0), Some(1.8), Some(50_000.0), true, k),
            Shown::Suppressed
        );
        assert_eq!(
            Shown::of(Some(10.0), Some(2.0), Some(50_000.0), true, k),
            Shown::Value {
                value: 2.0,
                numerator: 10.0,
                denominator: Some(50_000.0)
            }
        );
        assert!(matches!(
            Shown::of(Some(0.0), Some(0.0), None, true, k),
            Shown::Value { .. }
        ));
        // Restricted access: no threshold.
        assert!(matches!(
            Shown::of(Some(3.0), Some(0.6), None, true, None),
            Shown::Value { .. }
        ));
        // Values that are not counts (a percentage an agency reports) are never suppressed.
        assert!(matches!(
            Shown::of(Some(3.0), Some(3.0), None, false, k),
            Shown::Value { .. }
        ));
        assert_eq!(Shown::of(None, None, None, true, k), Shown::NoData);

        let actor = |roles: &[Role]| Actor {
            user_id: Uuid::from_u128(1),
            agency_id: Uuid::from_u128(2),
            roles: roles.to_vec(),
            jurisdiction: vec![],
        };
        assert!(sees_restricted(&actor(&[Role::Analyst])));
        assert!(!sees_restricted(&actor(&[Role::Viewer])));
        assert!(!sees_restricted(&actor(&[Role::AgencyOfficer])));
    }
}
