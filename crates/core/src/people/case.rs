//! Cases: an agency's work with one person — a case worker, a needs assessment (its
//! questions are data, seeded by the store's migration), a plan, services received,
//! notes — closed with a reason and reopened when needed.

use serde::{Deserialize, Serialize};

/// Why a case was closed. "Lost contact" is Built for Zero's "inactive": no contact
/// after several attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosureReason {
    ReturnedToFamily,
    PlacedInCentre,
    Housed,
    MovedAway,
    Died,
    LostContact,
    NoLongerNeeded,
}

impl ClosureReason {
    pub const ALL: [ClosureReason; 7] = [
        ClosureReason::ReturnedToFamily,
        ClosureReason::PlacedInCentre,
        ClosureReason::Housed,
        ClosureReason::MovedAway,
        ClosureReason::Died,
        ClosureReason::LostContact,
        ClosureReason::NoLongerNeeded,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ClosureReason::ReturnedToFamily => "returned_to_family",
            ClosureReason::PlacedInCentre => "placed_in_centre",
            ClosureReason::Housed => "housed",
            ClosureReason::MovedAway => "moved_away",
            ClosureReason::Died => "died",
            ClosureReason::LostContact => "lost_contact",
            ClosureReason::NoLongerNeeded => "no_longer_needed",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn name_fa(self) -> &'static str {
        match self {
            ClosureReason::ReturnedToFamily => "بازگشت به خانواده",
            ClosureReason::PlacedInCentre => "پذیرش در مرکز",
            ClosureReason::Housed => "اسکان",
            ClosureReason::MovedAway => "رفتن از محل",
            ClosureReason::Died => "درگذشت",
            ClosureReason::LostContact => "قطع تماس پس از چند بار تلاش",
            ClosureReason::NoLongerNeeded => "بی‌نیاز از خدمت",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closure_reasons_round_trip() {
        for r in ClosureReason::ALL {
            assert_eq!(ClosureReason::from_code(r.code()), Some(r));
        }
        assert_eq!(ClosureReason::from_code("vanished"), None);
    }
}
