//! HUD HMIS's data-quality codes, beside every identifying field: a field left empty
//! says *why* it is empty, so "the person does not know" is never counted as "the
//! officer did not ask".

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataQuality {
    /// Given in full (HMIS 1).
    Full,
    /// Given in part: a family name without the given name, a birth year without the
    /// day (HMIS 2).
    Partial,
    /// The person does not know (HMIS 8).
    DoesNotKnow,
    /// The person would not say (HMIS 9).
    Refused,
    /// Not asked or not written down (HMIS 99).
    NotCollected,
}

impl DataQuality {
    pub const ALL: [DataQuality; 5] = [
        DataQuality::Full,
        DataQuality::Partial,
        DataQuality::DoesNotKnow,
        DataQuality::Refused,
        DataQuality::NotCollected,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DataQuality::Full => "full",
            DataQuality::Partial => "partial",
            DataQuality::DoesNotKnow => "does_not_know",
            DataQuality::Refused => "refused",
            DataQuality::NotCollected => "not_collected",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|q| q.code() == code)
    }

    pub fn name_fa(self) -> &'static str {
        match self {
            DataQuality::Full => "کامل",
            DataQuality::Partial => "ناقص",
            DataQuality::DoesNotKnow => "خودش نمی‌داند",
            DataQuality::Refused => "نخواست بگوید",
            DataQuality::NotCollected => "پرسیده نشد",
        }
    }

    /// Whether a value belongs beside this code: a value for full or partial, none for
    /// the three kinds of "unknown".
    pub fn has_value(self) -> bool {
        matches!(self, DataQuality::Full | DataQuality::Partial)
    }

    /// The code a field gets when the form does not say: full when a value was typed,
    /// not collected otherwise.
    pub fn implied(has_value: bool) -> Self {
        if has_value {
            DataQuality::Full
        } else {
            DataQuality::NotCollected
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknowns_carry_no_value() {
        for q in DataQuality::ALL {
            assert_eq!(DataQuality::from_code(q.code()), Some(q));
        }
        assert!(!DataQuality::DoesNotKnow.has_value());
        assert!(DataQuality::Partial.has_value());
        assert_eq!(DataQuality::implied(false), DataQuality::NotCollected);
        assert_eq!(DataQuality::from_code("unknown"), None);
    }
}
