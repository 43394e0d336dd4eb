//! The coded fields of a person record.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
}

impl Sex {
    pub const ALL: [Sex; 2] = [Sex::Female, Sex::Male];

    pub fn code(self) -> &'static str {
        match self {
            Sex::Female => "female",
            Sex::Male => "male",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn name_fa(self) -> &'static str {
        match self {
            Sex::Female => "زن",
            Sex::Male => "مرد",
        }
    }
}

/// Iranians carry a national id; foreign nationals a residence card (کارت آمایش) or
/// a passport number instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nationality {
    Iranian,
    Afghan,
    Other,
}

impl Nationality {
    pub const ALL: [Nationality; 3] = [
        Nationality::Iranian,
        Nationality::Afghan,
        Nationality::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Nationality::Iranian => "iranian",
            Nationality::Afghan => "afghan",
            Nationality::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.code() == code)
    }

    pub fn name_fa(self) -> &'static str {
        match self {
            Nationality::Iranian => "ایرانی",
            Nationality::Afghan => "افغانستانی",
            Nationality::Other => "سایر",
        }
    }

    /// Whether the identifying number is the Iranian national id (else a residence
    /// card or passport number).
    pub fn has_national_id(self) -> bool {
        self == Nationality::Iranian
    }
}

/// The categories a new registry starts with (an administrator adds more):
/// (code, Persian name).
pub const DEFAULT_CATEGORIES: [(&str, &str); 6] = [
    ("begging", "تکدی‌گری"),
    ("visible_addiction", "اعتیاد آشکار"),
    ("street_child", "کودک کار و خیابان"),
    ("homeless", "بی‌خانمانی"),
    ("scavenging", "زباله‌گردی"),
    ("street_vending", "دستفروشی"),
];

/// Whether a record is a child's on `today`: the birth as said may make the person
/// under 18, or, with no birth said, they were registered as a working or street child.
pub fn is_child(
    birth: Option<crate::people::BirthSaid>,
    categories: &[String],
    today: crate::jalali::JalaliDate,
) -> bool {
    match birth {
        Some(b) => b.may_be_child_on(today),
        None => categories.iter().any(|c| c == "street_child"),
    }
}
