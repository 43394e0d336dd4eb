//! Referrals between agencies, as a state machine: proposed → accepted or declined
//! (with a reason) → service given → closed with an outcome; or withdrawn by the
//! referring agency while it waits. Who makes each move is the receiving or the
//! referring agency, never anyone else.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferralState {
    Proposed,
    Accepted,
    Declined,
    ServiceGiven,
    Closed,
    Withdrawn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferralMove {
    Accept,
    Decline,
    GiveService,
    Close,
    Withdraw,
}

/// Which side of a referral an agency is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferralSide {
    Referring,
    Receiving,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferralMoveError {
    /// Not a move from this state.
    NotFrom(ReferralState),
    /// The other side's move.
    OtherSide,
    /// A decline needs its reason; a close, its outcome.
    NeedsWords,
}

impl ReferralState {
    pub const ALL: [ReferralState; 6] = [
        ReferralState::Proposed,
        ReferralState::Accepted,
        ReferralState::Declined,
        ReferralState::ServiceGiven,
        ReferralState::Closed,
        ReferralState::Withdrawn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ReferralState::Proposed => "proposed",
            ReferralState::Accepted => "accepted",
            ReferralState::Declined => "declined",
            ReferralState::ServiceGiven => "service_given",
            ReferralState::Closed => "closed",
            ReferralState::Withdrawn => "withdrawn",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn name_fa(self) -> &'static str {
        match self {
            ReferralState::Proposed => "در انتظار پاسخ",
            ReferralState::Accepted => "پذیرفته",
            ReferralState::Declined => "نپذیرفته",
            ReferralState::ServiceGiven => "خدمت داده شد",
            ReferralState::Closed => "بسته",
            ReferralState::Withdrawn => "پس گرفته",
        }
    }

    /// Still waiting for the receiving agency's answer (the deadline runs).
    pub fn awaits_answer(self) -> bool {
        self == ReferralState::Proposed
    }
}

impl ReferralMove {
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "accept" => Some(ReferralMove::Accept),
            "decline" => Some(ReferralMove::Decline),
            "give_service" => Some(ReferralMove::GiveService),
            "close" => Some(ReferralMove::Close),
            "withdraw" => Some(ReferralMove::Withdraw),
            _ => None,
        }
    }

    /// The state a move leads to from `from`, made by `side`, with `words` (a reason or
    /// an outcome) given or not.
    pub fn apply(
        self,
        from: ReferralState,
        side: ReferralSide,
        words: bool,
    ) -> Result<ReferralState, ReferralMoveError> {
        use ReferralMove::*;
        use ReferralState::*;
        let (allowed_from, by, to): (&[ReferralState], ReferralSide, ReferralState) = match self {
            Accept => (&[Proposed], ReferralSide::Receiving, Accepted),
            Decline => (&[Proposed], ReferralSide::Receiving, Declined),
            GiveService => (&[Accepted], ReferralSide::Receiving, ServiceGiven),
            Close => (&[Accepted, ServiceGiven], ReferralSide::Receiving, Closed),
            Withdraw => (&[Proposed], ReferralSide::Referring, Withdrawn),
        };
        if !allowed_from.contains(&from) {
            return Err(ReferralMoveError::NotFrom(from));
        }
        if side != by {
            return Err(ReferralMoveError::OtherSide);
        }
        if matches!(self, Decline | Close) && !words {
            return Err(ReferralMoveError::NeedsWords);
        }
        Ok(to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReferralMove::*;
    use ReferralSide::*;
    use ReferralState::*;

    #[test]
    fn a_referral_moves_only_as_its_sides_may() {
        assert_eq!(Accept.apply(Proposed, Receiving, false), Ok(Accepted));
        assert_eq!(
            Accept.apply(Proposed, Referring, false),
            Err(ReferralMoveError::OtherSide)
        );
        assert_eq!(
            Decline.apply(Proposed, Receiving, false),
            Err(ReferralMoveError::NeedsWords)
        );
        assert_eq!(Decline.apply(Proposed, Receiving, true), Ok(Declined));
        assert_eq!(
            GiveService.apply(Proposed, Receiving, false),
            Err(ReferralMoveError::NotFrom(Proposed))
        );
        assert_eq!(
            GiveService.apply(Accepted, Receiving, false),
            Ok(ServiceGiven)
        );
        assert_eq!(Close.apply(ServiceGiven, Receiving, true), Ok(Closed));
        assert_eq!(Withdraw.apply(Proposed, Referring, false), Ok(Withdrawn));
        assert_eq!(
            Withdraw.apply(Accepted, Referring, false),
            Err(ReferralMoveError::NotFrom(Accepted))
        );
        for s in ReferralState::ALL {
            assert_eq!(ReferralState::from_code(s.code()), Some(s));
        }
    }
}
