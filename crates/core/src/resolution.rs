//! Council resolutions (مصوبات): the life of one decision from draft to a verified
//! result, who may move it, and when it is overdue, stalled or due for escalation.
//!
//! "Reported done" (by the responsible agency, with evidence) and "verified" (by the
//! council's secretariat) are different states everywhere: a resolution is only finished
//! when someone other than the doer has checked it.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use uuid::Uuid;

use crate::access::{Actor, Role};
use crate::digits;

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

/// The agencies a resolution involves: what access to it depends on.
#[derive(Debug, Clone, Copy)]
pub struct Parties<'a> {
    pub secretariat: Uuid,
    pub responsible: Uuid,
    pub collaborators: &'a [Uuid],
    pub council_members: &'a [Uuid],
}

/// The role an agency plays in one resolution.
pub fn party_of(agency: Uuid, p: &Parties<'_>) -> Party {
    if agency == p.secretariat {
        Party::Secretariat
    } else if agency == p.responsible {
        Party::Responsible
    } else if p.collaborators.contains(&agency) {
        Party::Collaborator
    } else {
        Party::Other
    }
}

/// The part an agency plays in one move. A council's secretariat can also be responsible
/// for a resolution (a district municipality runs the headquarters and clears sidewalks):
/// starting and reporting done are then its moves as the responsible agency, while the
/// secretariat's moves stay the secretariat's.
pub fn party_for(agency: Uuid, t: &Transition, p: &Parties<'_>) -> Party {
    match t {
        Transition::Start | Transition::ReportDone { .. } if agency == p.responsible => {
            Party::Responsible
        }
        _ => party_of(agency, p),
    }
}

/// The responsible and collaborating agencies post progress updates.
pub fn may_report(agency: Uuid, p: &Parties<'_>) -> bool {
    agency == p.responsible || p.collaborators.contains(&agency)
}

/// An agency's users see the resolutions their agency leads or collaborates on, and
/// everything of the councils their agency sits on; system administrators see all.
pub fn can_view(actor: &Actor, p: &Parties<'_>) -> bool {
    actor.has(Role::SystemAdmin)
        || party_of(actor.agency_id, p) != Party::Other
        || p.council_members.contains(&actor.agency_id)
}

/// Moving a resolution or reporting on it also needs a role that acts for the agency:
/// the secretariat's moves (assign, verify, send back, cancel, merge, close, reopen) are
/// its secretaries' and head's; the responsible and collaborating agencies' reports are
/// their officers' and head's. Viewers and analysts only read.
pub fn can_act(actor: &Actor, as_party: Party) -> bool {
    let any = |roles: &[Role]| actor.roles.iter().any(|r| roles.contains(r));
    match as_party {
        Party::Secretariat => any(&[Role::CouncilSecretary, Role::AgencyAdmin]),
        Party::Responsible | Party::Collaborator => any(&[Role::AgencyOfficer, Role::AgencyAdmin]),
        Party::Other => false,
    }
}

/// Recording a council's meetings, minutes and resolutions is its secretariat's work (its
/// secretaries and head); a system administrator may set councils up for anyone.
pub fn can_run_council(actor: &Actor, secretariat: Uuid) -> bool {
    actor.has(Role::SystemAdmin)
        || (actor.agency_id == secretariat
            && actor
                .roles
                .iter()
                .any(|r| matches!(r, Role::CouncilSecretary | Role::AgencyAdmin)))
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

/// Who is asking to move a resolution, relative to that resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The council's secretariat agency.
    Secretariat,
    /// The one lead agency responsible for it.
    Responsible,
    Collaborator,
    Other,
}

/// A requested move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// Draft → assigned: the responsible agency is told.
    Assign,
    /// Assigned → in progress: the responsible agency starts (a first update does this too).
    Start,
    /// The responsible agency says it is done; evidence is required.
    ReportDone {
        evidence_files: usize,
    },
    /// The secretariat confirms the reported result.
    Verify,
    /// The secretariat refuses the reported result and says why.
    SendBack {
        reason: String,
    },
    Cancel {
        reason: String,
    },
    /// Folded into another resolution (by its id).
    MergeInto {
        other: String,
    },
    CloseWithoutResult {
        reason: String,
    },
    /// A closed resolution (not a merged one) comes back to work.
    Reopen {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    #[error("از وضعیت «{from}» نمی‌توان به «{to}» رفت")]
    NotAllowed {
        from: &'static str,
        to: &'static str,
    },
    #[error("این کار فقط از {0} برمی‌آید")]
    WrongParty(&'static str),
    #[error("اعلام انجام بدون پیوست شاهد پذیرفته نیست")]
    EvidenceRequired,
    #[error("دلیل را بنویسید")]
    ReasonRequired,
    #[error("مصوبه را نمی‌توان در خودش ادغام کرد")]
    MergeIntoSelf,
}

fn need_reason(reason: &str) -> Result<(), TransitionError> {
    if reason.trim().is_empty() {
        Err(TransitionError::ReasonRequired)
    } else {
        Ok(())
    }
}

/// Applies a move, or says why it is refused. `id` is the resolution's own id (to refuse
/// merging it into itself).
pub fn apply(id: &str, from: State, t: &Transition, by: Party) -> Result<State, TransitionError> {
    use State::*;
    let secretariat = || {
        if by == Party::Secretariat {
            Ok(())
        } else {
            Err(TransitionError::WrongParty("دبیرخانهٔ شورا"))
        }
    };
    let responsible = || {
        if by == Party::Responsible {
            Ok(())
        } else {
            Err(TransitionError::WrongParty("دستگاه مسئول"))
        }
    };
    let refuse = |to: State| {
        Err(TransitionError::NotAllowed {
            from: from.name_fa(),
            to: to.name_fa(),
        })
    };
    match t {
        Transition::Assign => {
            secretariat()?;
            if from == Draft {
                Ok(Assigned)
            } else {
                refuse(Assigned)
            }
        }
        Transition::Start => {
            responsible()?;
            if from == Assigned {
                Ok(InProgress)
            } else {
                refuse(InProgress)
            }
        }
        Transition::ReportDone { evidence_files } => {
            responsible()?;
            if !matches!(from, Assigned | InProgress) {
                return refuse(ReportedDone);
            }
            if *evidence_files == 0 {
                return Err(TransitionError::EvidenceRequired);
            }
            Ok(ReportedDone)
        }
        Transition::Verify => {
            secretariat()?;
            if from == ReportedDone {
                Ok(Verified)
            } else {
                refuse(Verified)
            }
        }
        Transition::SendBack { reason } => {
            secretariat()?;
            need_reason(reason)?;
            if from == ReportedDone {
                Ok(InProgress)
            } else {
                refuse(InProgress)
            }
        }
        Transition::Cancel { reason } => {
            secretariat()?;
            need_reason(reason)?;
            if from.is_closed() {
                refuse(Cancelled)
            } else {
                Ok(Cancelled)
            }
        }
        Transition::MergeInto { other } => {
            secretariat()?;
            if other == id {
                return Err(TransitionError::MergeIntoSelf);
            }
            if from.is_closed() {
                refuse(Merged)
            } else {
                Ok(Merged)
            }
        }
        Transition::CloseWithoutResult { reason } => {
            secretariat()?;
            need_reason(reason)?;
            if from.is_open() {
                Ok(ClosedWithoutResult)
            } else {
                refuse(ClosedWithoutResult)
            }
        }
        Transition::Reopen { reason } => {
            secretariat()?;
            need_reason(reason)?;
            if matches!(from, Verified | Cancelled | ClosedWithoutResult) {
                Ok(InProgress)
            } else {
                refuse(InProgress)
            }
        }
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

/// The three escalation steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Escalation {
    /// A reminder to the responsible agency's officers.
    Reminder,
    /// A notice to the agency's head.
    HeadNotice,
    /// Onto the next meeting's agenda.
    Agenda,
}

impl Escalation {
    pub const ALL: [Escalation; 3] = [
        Escalation::Reminder,
        Escalation::HeadNotice,
        Escalation::Agenda,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Escalation::Reminder => "reminder",
            Escalation::HeadNotice => "head_notice",
            Escalation::Agenda => "agenda",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.code() == code)
    }
}

/// When each step follows the moment a resolution became overdue or stalled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EscalationPolicy {
    pub head_notice_after_days: i64,
    pub agenda_after_days: i64,
}

impl Default for EscalationPolicy {
    fn default() -> Self {
        EscalationPolicy {
            head_notice_after_days: 7,
            agenda_after_days: 14,
        }
    }
}

impl EscalationPolicy {
    /// The highest step due `days_late` days after the trouble began.
    pub fn due(&self, days_late: i64) -> Option<Escalation> {
        if days_late < 0 {
            None
        } else if days_late >= self.agenda_after_days {
            Some(Escalation::Agenda)
        } else if days_late >= self.head_notice_after_days {
            Some(Escalation::HeadNotice)
        } else {
            Some(Escalation::Reminder)
        }
    }

    /// The steps to take now, given the highest one already taken: every step between,
    /// so none is skipped when the clock jumps (e.g. a server that was down for weeks).
    pub fn steps_to_send(&self, days_late: i64, already: Option<Escalation>) -> Vec<Escalation> {
        let Some(due) = self.due(days_late) else {
            return Vec::new();
        };
        Escalation::ALL
            .into_iter()
            .filter(|s| *s <= due && already.is_none_or(|a| *s > a))
            .collect()
    }
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
    fn roles_decide_who_acts_for_a_party() {
        let agency = Uuid::now_v7();
        let actor = |roles: Vec<Role>| Actor {
            user_id: Uuid::now_v7(),
            agency_id: agency,
            roles,
            jurisdiction: vec![],
        };
        let officer = actor(vec![Role::AgencyOfficer]);
        let secretary = actor(vec![Role::CouncilSecretary]);
        let head = actor(vec![Role::AgencyAdmin]);
        let viewer = actor(vec![Role::Viewer, Role::Analyst]);
        assert!(can_act(&officer, Party::Responsible) && !can_act(&officer, Party::Secretariat));
        assert!(
            can_act(&secretary, Party::Secretariat) && !can_act(&secretary, Party::Responsible)
        );
        assert!(can_act(&head, Party::Secretariat) && can_act(&head, Party::Collaborator));
        for p in [
            Party::Secretariat,
            Party::Responsible,
            Party::Collaborator,
            Party::Other,
        ] {
            assert!(!can_act(&viewer, p));
        }
        assert!(can_run_council(&secretary, agency));
        assert!(
            !can_run_council(&secretary, Uuid::now_v7()),
            "another agency's council"
        );
        assert!(!can_run_council(&officer, agency));
        assert!(can_run_council(
            &actor(vec![Role::SystemAdmin]),
            Uuid::now_v7()
        ));
    }

    fn all_transitions() -> Vec<Transition> {
        let r = || "دلیل".to_string();
        vec![
            Transition::Assign,
            Transition::Start,
            Transition::ReportDone { evidence_files: 1 },
            Transition::Verify,
            Transition::SendBack { reason: r() },
            Transition::Cancel { reason: r() },
            Transition::MergeInto {
                other: "other".into(),
            },
            Transition::CloseWithoutResult { reason: r() },
            Transition::Reopen { reason: r() },
        ]
    }

    /// The full table: for each state and each move by the right party, the state it
    /// leads to, or refused (None).
    #[test]
    fn every_allowed_and_refused_transition() {
        use State::*;
        let expected = |from: State, t: &Transition| -> Option<State> {
            match (from, t) {
                (Draft, Transition::Assign) => Some(Assigned),
                (Assigned, Transition::Start) => Some(InProgress),
                (Assigned | InProgress, Transition::ReportDone { .. }) => Some(ReportedDone),
                (ReportedDone, Transition::Verify) => Some(Verified),
                (ReportedDone, Transition::SendBack { .. }) => Some(InProgress),
                (Draft | Assigned | InProgress | ReportedDone, Transition::Cancel { .. }) => {
                    Some(Cancelled)
                }
                (Draft | Assigned | InProgress | ReportedDone, Transition::MergeInto { .. }) => {
                    Some(Merged)
                }
                (Assigned | InProgress | ReportedDone, Transition::CloseWithoutResult { .. }) => {
                    Some(ClosedWithoutResult)
                }
                (Verified | Cancelled | ClosedWithoutResult, Transition::Reopen { .. }) => {
                    Some(InProgress)
                }
                _ => None,
            }
        };
        let mut allowed = 0;
        for from in State::ALL {
            for t in all_transitions() {
                let party = match t {
                    Transition::Start | Transition::ReportDone { .. } => Party::Responsible,
                    _ => Party::Secretariat,
                };
                let got = apply("self", from, &t, party).ok();
                assert_eq!(got, expected(from, &t), "{from:?} + {t:?}");
                allowed += usize::from(got.is_some());
                // Nobody else may make the move at all.
                for other in [Party::Collaborator, Party::Other] {
                    assert!(
                        matches!(
                            apply("self", from, &t, other),
                            Err(TransitionError::WrongParty(_))
                        ),
                        "{other:?}: {from:?} + {t:?}"
                    );
                }
            }
        }
        assert_eq!(allowed, 20);
    }

    #[test]
    fn reported_done_is_not_verified_and_needs_evidence() {
        assert_eq!(
            apply(
                "r",
                State::InProgress,
                &Transition::ReportDone { evidence_files: 0 },
                Party::Responsible
            ),
            Err(TransitionError::EvidenceRequired)
        );
        assert!(matches!(
            apply(
                "r",
                State::InProgress,
                &Transition::Verify,
                Party::Secretariat
            ),
            Err(TransitionError::NotAllowed { .. })
        ));
        assert!(matches!(
            apply(
                "r",
                State::ReportedDone,
                &Transition::Verify,
                Party::Responsible
            ),
            Err(TransitionError::WrongParty(_))
        ));
        assert_ne!(State::ReportedDone.name_fa(), State::Verified.name_fa());
    }

    #[test]
    fn reasons_are_required_and_no_merge_into_self() {
        let blank = "  ".to_string();
        assert_eq!(
            apply(
                "r",
                State::ReportedDone,
                &Transition::SendBack {
                    reason: blank.clone()
                },
                Party::Secretariat
            ),
            Err(TransitionError::ReasonRequired)
        );
        assert_eq!(
            apply(
                "r",
                State::Verified,
                &Transition::Reopen { reason: blank },
                Party::Secretariat
            ),
            Err(TransitionError::ReasonRequired)
        );
        assert_eq!(
            apply(
                "r",
                State::Assigned,
                &Transition::MergeInto { other: "r".into() },
                Party::Secretariat
            ),
            Err(TransitionError::MergeIntoSelf)
        );
    }

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
    fn escalation_never_skips_a_step() {
        let p = EscalationPolicy::default();
        assert_eq!(p.due(-1), None);
        assert_eq!(p.due(0), Some(Escalation::Reminder));
        assert_eq!(p.due(7), Some(Escalation::HeadNotice));
        assert_eq!(p.due(30), Some(Escalation::Agenda));
        assert_eq!(p.steps_to_send(0, None), vec![Escalation::Reminder]);
        assert_eq!(p.steps_to_send(3, Some(Escalation::Reminder)), vec![]);
        assert_eq!(
            p.steps_to_send(8, Some(Escalation::Reminder)),
            vec![Escalation::HeadNotice]
        );
        assert_eq!(
            p.steps_to_send(40, None),
            vec![
                Escalation::Reminder,
                Escalation::HeadNotice,
                Escalation::Agenda
            ]
        );
        assert_eq!(p.steps_to_send(40, Some(Escalation::Agenda)), vec![]);
    }

    #[test]
    fn parties_and_visibility() {
        let (sec, lead, helper, member, stranger) = (
            Uuid::from_u128(1),
            Uuid::from_u128(2),
            Uuid::from_u128(3),
            Uuid::from_u128(4),
            Uuid::from_u128(5),
        );
        let collaborators = [helper];
        let members = [sec, member];
        let p = Parties {
            secretariat: sec,
            responsible: lead,
            collaborators: &collaborators,
            council_members: &members,
        };
        assert_eq!(party_of(sec, &p), Party::Secretariat);
        assert_eq!(party_of(lead, &p), Party::Responsible);
        assert_eq!(party_of(helper, &p), Party::Collaborator);
        assert_eq!(party_of(member, &p), Party::Other);
        let actor = |agency, role| Actor {
            user_id: Uuid::from_u128(9),
            agency_id: agency,
            roles: vec![role],
            jurisdiction: vec![],
        };
        for a in [sec, lead, helper, member] {
            assert!(can_view(&actor(a, Role::Viewer), &p));
        }
        assert!(!can_view(&actor(stranger, Role::AgencyOfficer), &p));
        assert!(can_view(&actor(stranger, Role::SystemAdmin), &p));
        for k in CouncilKind::ALL {
            assert_eq!(CouncilKind::from_code(k.code()), Some(k));
        }
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
}
