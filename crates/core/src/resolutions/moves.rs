//! Moving a resolution: the state machine ([`apply`]), the moves people name
//! ([`MoveKind`]), and the one decision that combines them with the access policy
//! ([`decide_move`]). The store calls `decide_move` once, inside the write
//! transaction, with everything it needs read in that transaction; pages ask
//! [`available_moves`] which buttons to show. Nothing else decides a move.
//!
//! About 380 lines of code; the rest is its tests, which walk the full table of states
//! and moves.

use thiserror::Error;
use uuid::Uuid;

use super::State;
use crate::access::{Action, Actor, Parties, Party, Target, acts_for, decide, party_of};

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
    #[error("کسی که انجام را اعلام کرده نمی‌تواند خودش آن را تأیید کند")]
    SelfVerification,
}

impl TransitionError {
    /// The field of a move request at fault.
    pub fn field(&self) -> &'static str {
        match self {
            TransitionError::NotAllowed { .. }
            | TransitionError::WrongParty(_)
            | TransitionError::SelfVerification => "action",
            TransitionError::EvidenceRequired => "evidence",
            TransitionError::ReasonRequired => "reason",
            TransitionError::MergeIntoSelf => "into",
        }
    }
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

/// The moves people name (buttons, forms, the API's `action`), in the order the page
/// offers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveKind {
    Assign,
    Start,
    ReportDone,
    Verify,
    SendBack,
    Close,
    Cancel,
    Reopen,
    Merge,
}

impl MoveKind {
    pub const ALL: [MoveKind; 9] = [
        MoveKind::Assign,
        MoveKind::Start,
        MoveKind::ReportDone,
        MoveKind::Verify,
        MoveKind::SendBack,
        MoveKind::Close,
        MoveKind::Cancel,
        MoveKind::Reopen,
        MoveKind::Merge,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MoveKind::Assign => "assign",
            MoveKind::Start => "start",
            MoveKind::ReportDone => "report_done",
            MoveKind::Verify => "verify",
            MoveKind::SendBack => "send_back",
            MoveKind::Close => "close",
            MoveKind::Cancel => "cancel",
            MoveKind::Reopen => "reopen",
            MoveKind::Merge => "merge",
        }
    }

    /// The move named by `code`; an unknown name is `None`, never another move.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }

    pub fn name_fa(self) -> &'static str {
        match self {
            MoveKind::Assign => "ابلاغ به دستگاه مسئول",
            MoveKind::Start => "شروع اقدام",
            MoveKind::ReportDone => "اعلام انجام",
            MoveKind::Verify => "تأیید انجام",
            MoveKind::SendBack => "بازگرداندن",
            MoveKind::Close => "بستن بدون نتیجه",
            MoveKind::Cancel => "لغو",
            MoveKind::Reopen => "بازگشایی",
            MoveKind::Merge => "ادغام در مصوبهٔ دیگر",
        }
    }

    /// The move needs a written reason.
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            MoveKind::SendBack | MoveKind::Close | MoveKind::Cancel | MoveKind::Reopen
        )
    }

    /// Whose move it is.
    pub fn party(self) -> Party {
        match self {
            MoveKind::Start | MoveKind::ReportDone => Party::Responsible,
            _ => Party::Secretariat,
        }
    }

    /// The transition, with its reason or merge target. Evidence is counted by
    /// [`decide_move`] from what is on file.
    pub fn with(self, reason: &str, into: &str) -> Transition {
        let reason = reason.to_string();
        match self {
            MoveKind::Assign => Transition::Assign,
            MoveKind::Start => Transition::Start,
            MoveKind::ReportDone => Transition::ReportDone { evidence_files: 0 },
            MoveKind::Verify => Transition::Verify,
            MoveKind::SendBack => Transition::SendBack { reason },
            MoveKind::Close => Transition::CloseWithoutResult { reason },
            MoveKind::Cancel => Transition::Cancel { reason },
            MoveKind::Reopen => Transition::Reopen { reason },
            MoveKind::Merge => Transition::MergeInto {
                other: into.to_string(),
            },
        }
    }
}

impl Transition {
    pub fn kind(&self) -> MoveKind {
        match self {
            Transition::Assign => MoveKind::Assign,
            Transition::Start => MoveKind::Start,
            Transition::ReportDone { .. } => MoveKind::ReportDone,
            Transition::Verify => MoveKind::Verify,
            Transition::SendBack { .. } => MoveKind::SendBack,
            Transition::Cancel { .. } => MoveKind::Cancel,
            Transition::MergeInto { .. } => MoveKind::Merge,
            Transition::CloseWithoutResult { .. } => MoveKind::Close,
            Transition::Reopen { .. } => MoveKind::Reopen,
        }
    }
}

/// Everything a move depends on, read once by the store inside the write transaction.
#[derive(Debug, Clone, Copy)]
pub struct MoveFacts<'a> {
    pub id: &'a str,
    pub state: State,
    pub parties: Parties<'a>,
    /// Evidence files on record for the resolution.
    pub evidence_files: usize,
    /// The user who last reported it done, if anyone did.
    pub reported_by: Option<Uuid>,
}

/// Why a move was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveRefusal {
    /// The actor may not see the resolution: answered as "not found".
    Hidden,
    /// The actor's agency has the right part, but the actor's role does not act for it.
    Role,
    /// Not this party's move, or not from this state, or missing a reason or evidence.
    Rule(TransitionError),
}

/// The part the actor's agency plays in this move. A council's secretariat can also be
/// responsible for a resolution (a district municipality runs the headquarters and
/// clears sidewalks): starting and reporting done are then its moves as the
/// responsible agency, while the secretariat's moves stay the secretariat's.
fn acting_party(agency: Uuid, kind: MoveKind, p: &Parties<'_>) -> Party {
    if kind.party() == Party::Responsible && agency == p.responsible {
        Party::Responsible
    } else {
        party_of(agency, p)
    }
}

/// The one decision on a move: may this actor make it, and what state follows.
pub fn decide_move(
    actor: &Actor,
    facts: &MoveFacts<'_>,
    t: &Transition,
) -> Result<State, MoveRefusal> {
    if !decide(
        actor,
        Action::ViewResolution,
        Target::Resolution(&facts.parties),
    )
    .is_allowed()
    {
        return Err(MoveRefusal::Hidden);
    }
    let kind = t.kind();
    let party = acting_party(actor.agency_id, kind, &facts.parties);
    // The state machine words a refusal to the wrong party ("only the secretariat …").
    if party != kind.party() {
        return apply(facts.id, facts.state, t, party).map_err(MoveRefusal::Rule);
    }
    if !acts_for(actor, party) {
        return Err(MoveRefusal::Role);
    }
    let t = match t {
        Transition::ReportDone { .. } => &Transition::ReportDone {
            evidence_files: facts.evidence_files,
        },
        t => t,
    };
    let to = apply(facts.id, facts.state, t, party).map_err(MoveRefusal::Rule)?;
    if *t == Transition::Verify && facts.reported_by == Some(actor.user_id) {
        // Whoever reported it done does not verify it, even when the secretariat is
        // also the responsible agency.
        return Err(MoveRefusal::Rule(TransitionError::SelfVerification));
    }
    Ok(to)
}

/// The moves open to this actor on this resolution now (the buttons a page shows):
/// each is asked of [`decide_move`] with a stand-in reason and merge target, and with
/// at least one evidence file, since the update form attaches evidence with the move.
pub fn available_moves(actor: &Actor, facts: &MoveFacts<'_>) -> Vec<MoveKind> {
    let facts = MoveFacts {
        evidence_files: facts.evidence_files.max(1),
        reported_by: None,
        ..*facts
    };
    MoveKind::ALL
        .into_iter()
        .filter(|k| decide_move(actor, &facts, &k.with("-", "-")).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;

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

    fn facts<'a>(state: State, parties: Parties<'a>) -> MoveFacts<'a> {
        MoveFacts {
            id: "r",
            state,
            parties,
            evidence_files: 0,
            reported_by: None,
        }
    }

    fn actor(agency: u128, roles: &[Role]) -> Actor {
        Actor {
            user_id: Uuid::from_u128(100 + agency),
            agency_id: Uuid::from_u128(agency),
            roles: roles.to_vec(),
            jurisdiction: vec![],
        }
    }

    #[test]
    fn decide_move_checks_visibility_party_role_state_and_evidence() {
        let members = [Uuid::from_u128(4)];
        let p = Parties {
            secretariat: Uuid::from_u128(1),
            responsible: Uuid::from_u128(2),
            collaborators: &[],
            council_members: &members,
        };
        let f = facts(State::InProgress, p);
        let officer = actor(2, &[Role::AgencyOfficer]);
        assert_eq!(
            decide_move(&actor(9, &[Role::AgencyAdmin]), &f, &Transition::Verify),
            Err(MoveRefusal::Hidden),
            "a stranger is told it does not exist"
        );
        assert!(matches!(
            decide_move(&actor(4, &[Role::AgencyAdmin]), &f, &Transition::Start),
            Err(MoveRefusal::Rule(TransitionError::WrongParty(_)))
        ));
        assert_eq!(
            decide_move(
                &actor(2, &[Role::Viewer]),
                &f,
                &MoveKind::ReportDone.with("", "")
            ),
            Err(MoveRefusal::Role)
        );
        assert_eq!(
            decide_move(&officer, &f, &MoveKind::ReportDone.with("", "")),
            Err(MoveRefusal::Rule(TransitionError::EvidenceRequired)),
            "the evidence on file counts, not what the request claims"
        );
        let with_evidence = MoveFacts {
            evidence_files: 2,
            ..f
        };
        assert_eq!(
            decide_move(
                &officer,
                &with_evidence,
                &Transition::ReportDone { evidence_files: 0 }
            ),
            Ok(State::ReportedDone)
        );
        let reported = MoveFacts {
            state: State::ReportedDone,
            ..with_evidence
        };
        let secretary = actor(1, &[Role::CouncilSecretary]);
        assert_eq!(
            decide_move(&secretary, &reported, &Transition::Verify),
            Ok(State::Verified)
        );
        let by_self = MoveFacts {
            reported_by: Some(secretary.user_id),
            ..reported
        };
        assert_eq!(
            decide_move(&secretary, &by_self, &Transition::Verify),
            Err(MoveRefusal::Rule(TransitionError::SelfVerification))
        );
    }

    #[test]
    fn a_secretariat_that_is_responsible_makes_both_parts_moves() {
        let p = Parties {
            secretariat: Uuid::from_u128(1),
            responsible: Uuid::from_u128(1),
            collaborators: &[],
            council_members: &[],
        };
        let head = actor(1, &[Role::AgencyAdmin]);
        let f = facts(State::Assigned, p);
        assert_eq!(
            decide_move(&head, &f, &Transition::Start),
            Ok(State::InProgress)
        );
        assert_eq!(
            decide_move(&head, &f, &MoveKind::Cancel.with("دلیل", "")),
            Ok(State::Cancelled)
        );
        let moves = available_moves(&head, &f);
        assert!(moves.contains(&MoveKind::Start) && moves.contains(&MoveKind::ReportDone));
        assert!(!moves.contains(&MoveKind::Verify), "nothing reported yet");
        let officer = actor(1, &[Role::AgencyOfficer]);
        assert_eq!(
            available_moves(&officer, &f),
            vec![MoveKind::Start, MoveKind::ReportDone],
            "an officer makes the responsible agency's moves only"
        );
    }

    #[test]
    fn move_names_round_trip_and_unknown_names_are_refused() {
        for k in MoveKind::ALL {
            assert_eq!(MoveKind::from_code(k.code()), Some(k));
            assert_eq!(k.with("x", "y").kind(), k);
        }
        assert_eq!(MoveKind::from_code("merge_all"), None);
        assert_eq!(MoveKind::from_code(""), None);
    }
}
