//! When an overdue or stalled resolution escalates: a reminder to the responsible
//! agency's officers, a notice to its head, then onto the next meeting's agenda.

use serde::{Deserialize, Serialize};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
