//! Council resolutions (مصوبات): the life of one decision from draft to a verified
//! result ([`moves`]), when it is overdue, stalled or due for escalation
//! ([`escalation`]), and its people-facing number.
//!
//! "Reported done" (by the responsible agency, with evidence) and "verified" (by the
//! council's secretariat) are different states everywhere: a resolution is only finished
//! when someone other than the doer has checked it. Who may see a resolution is decided
//! in [`crate::access`], like everything else.

pub mod escalation;
pub mod moves;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::digits;

pub use crate::access::{Parties, Party, party_of};
pub use escalation::{Escalation, EscalationPolicy};
pub use moves::{
    MoveFacts, MoveKind, MoveRefusal, Transition, TransitionError, apply, available_moves,
    decide_move,
};

/// Kinds of council that pass resolutions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CouncilKind {
    /// A district's social headquarters (قرارگاه اجتماعی).
    SocialHeadquarters,
    /// A provincial or county social council.
    SocialCouncil,
    /// A neighbourhood (progress) council.
    NeighbourhoodCouncil,
    Other,
}

impl CouncilKind {
    pub const ALL: [CouncilKind; 4] = [
        CouncilKind::SocialHeadquarters,
        CouncilKind::SocialCouncil,
        CouncilKind::NeighbourhoodCouncil,
        CouncilKind::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CouncilKind::SocialHeadquarters => "social_headquarters",
            CouncilKind::SocialCouncil => "social_council",
            CouncilKind::NeighbourhoodCouncil => "neighbourhood_council",
            CouncilKind::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn name_fa(self) -> &'static str {
        match self {
            CouncilKind::SocialHeadquarters => "قرارگاه اجتماعی",
            CouncilKind::SocialCouncil => "شورای اجتماعی استان/شهرستان",
            CouncilKind::NeighbourhoodCouncil => "شورای محله",
            CouncilKind::Other => "سایر",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Draft,
    Assigned,
    InProgress,
    ReportedDone,
    Verified,
    Cancelled,
    Merged,
    ClosedWithoutResult,
}

impl State {
    pub const ALL: [State; 8] = [
        State::Draft,
        State::Assigned,
        State::InProgress,
        State::ReportedDone,
        State::Verified,
        State::Cancelled,
        State::Merged,
        State::ClosedWithoutResult,
    ];

    pub fn code(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Assigned => "assigned",
            State::InProgress => "in_progress",
            State::ReportedDone => "reported_done",
            State::Verified => "verified",
            State::Cancelled => "cancelled",
            State::Merged => "merged",
            State::ClosedWithoutResult => "closed_without_result",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn name_fa(self) -> &'static str {
        match self {
            State::Draft => "پیش‌نویس",
            State::Assigned => "ابلاغ‌شده",
            State::InProgress => "در دست اجرا",
            State::ReportedDone => "اعلام انجام (در انتظار تأیید)",
            State::Verified => "تأییدشده",
            State::Cancelled => "لغوشده",
            State::Merged => "ادغام‌شده",
            State::ClosedWithoutResult => "بسته‌شده بدون نتیجه",
        }
    }

    /// The agencies still owe work on it.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            State::Assigned | State::InProgress | State::ReportedDone
        )
    }

    /// No further work is expected (it may still be reopened, except when merged).
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            State::Verified | State::Cancelled | State::Merged | State::ClosedWithoutResult
        )
    }
}

/// Past its deadline and not verified (nor otherwise closed).
pub fn is_overdue(state: State, deadline: Option<time::Date>, today: time::Date) -> bool {
    state.is_open() && deadline.is_some_and(|d| today > d)
}

/// Still owed work, and nobody has posted an update for `stall_days` days. A resolution
/// waiting for verification is the secretariat's to move, not the agency's: not stalled.
pub fn is_stalled(
    state: State,
    last_activity: time::Date,
    today: time::Date,
    stall_days: i64,
) -> bool {
    matches!(state, State::Assigned | State::InProgress)
        && (today - last_activity).whole_days() >= stall_days
}

/// The people-facing number «۱۴۰۴/۳۷»: Jalali year and a sequence per council and year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Number {
    pub year: i32,
    pub seq: u32,
}

impl Number {
    /// Reads `1404/37` in any digit script.
    pub fn parse(s: &str) -> Option<Self> {
        let ascii = digits::to_ascii(s.trim());
        let (y, n) = ascii.split_once('/')?;
        if y.len() != 4 {
            return None;
        }
        let number = Number {
            year: y.parse().ok()?,
            seq: n.parse().ok()?,
        };
        (number.seq > 0).then_some(number)
    }

    pub fn to_persian(self) -> String {
        digits::to_persian(&self.to_string())
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.year, self.seq)
    }
}

/// Refuses one more resolution in focus when the council's limit is reached.
pub fn check_focus_limit(in_focus_now: usize, limit: usize) -> Result<(), String> {
    if in_focus_now < limit {
        Ok(())
    } else {
        Err(digits::to_persian(&format!(
            "این شورا حداکثر {limit} مصوبه را هم‌زمان در کانون توجه نگه می‌دارد و اکنون {in_focus_now} مصوبه در کانون است؛ نخست یکی را از کانون خارج کنید."
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn overdue_and_stalled() {
        let today = date!(2025 - 10 - 11);
        assert!(is_overdue(
            State::InProgress,
            Some(date!(2025 - 10 - 10)),
            today
        ));
        assert!(
            is_overdue(State::ReportedDone, Some(date!(2025 - 10 - 10)), today),
            "reported but not verified is still overdue"
        );
        assert!(
            !is_overdue(State::InProgress, Some(today), today),
            "due today is not late yet"
        );
        assert!(!is_overdue(
            State::Verified,
            Some(date!(2025 - 01 - 01)),
            today
        ));
        assert!(!is_overdue(
            State::Draft,
            Some(date!(2025 - 01 - 01)),
            today
        ));
        assert!(!is_overdue(State::InProgress, None, today));
        assert!(is_stalled(
            State::InProgress,
            date!(2025 - 09 - 11),
            today,
            30
        ));
        assert!(!is_stalled(
            State::InProgress,
            date!(2025 - 09 - 12),
            today,
            30
        ));
        assert!(!is_stalled(
            State::ReportedDone,
            date!(2025 - 01 - 01),
            today,
            30
        ));
    }

    #[test]
    fn numbers_and_focus_limit() {
        assert_eq!(
            Number::parse("۱۴۰۴/۳۷"),
            Some(Number {
                year: 1404,
                seq: 37
            })
        );
        assert_eq!(
            Number::parse("1404/37").map(Number::to_persian).as_deref(),
            Some("۱۴۰۴/۳۷")
        );
        for bad in ["", "1404", "1404/0", "04/3", "1404/x"] {
            assert_eq!(Number::parse(bad), None, "{bad}");
        }
        assert!(check_focus_limit(4, 5).is_ok());
        let msg = check_focus_limit(5, 5).expect_err("full");
        assert!(msg.contains("۵"));
    }

    #[test]
    fn council_kinds_round_trip() {
        for k in CouncilKind::ALL {
            assert_eq!(CouncilKind::from_code(k.code()), Some(k));
        }
    }
}
