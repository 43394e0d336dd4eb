//! Kinds of agencies (دستگاه‌ها) that take part in managing social issues.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyKind {
    Municipality,
    DistrictMunicipality,
    ProsecutorCrimePrevention,
    Police,
    Welfare,
    Education,
    Health,
    ForeignNationals,
    ReliefCommittee,
    Governorate,
    Other,
}

impl AgencyKind {
    pub const ALL: [AgencyKind; 11] = [
        AgencyKind::Municipality,
        AgencyKind::DistrictMunicipality,
        AgencyKind::ProsecutorCrimePrevention,
        AgencyKind::Police,
        AgencyKind::Welfare,
        AgencyKind::Education,
        AgencyKind::Health,
        AgencyKind::ForeignNationals,
        AgencyKind::ReliefCommittee,
        AgencyKind::Governorate,
        AgencyKind::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AgencyKind::Municipality => "municipality",
            AgencyKind::DistrictMunicipality => "district_municipality",
            AgencyKind::ProsecutorCrimePrevention => "prosecutor_crime_prevention",
            AgencyKind::Police => "police",
            AgencyKind::Welfare => "welfare",
            AgencyKind::Education => "education",
            AgencyKind::Health => "health",
            AgencyKind::ForeignNationals => "foreign_nationals",
            AgencyKind::ReliefCommittee => "relief_committee",
            AgencyKind::Governorate => "governorate",
            AgencyKind::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn name_fa(self) -> &'static str {
        match self {
            AgencyKind::Municipality => "شهرداری",
            AgencyKind::DistrictMunicipality => "شهرداری منطقه",
            AgencyKind::ProsecutorCrimePrevention => "دادستانی (معاونت پیشگیری از وقوع جرم)",
            AgencyKind::Police => "فرماندهی انتظامی (فراجا)",
            AgencyKind::Welfare => "بهزیستی",
            AgencyKind::Education => "آموزش و پرورش",
            AgencyKind::Health => "بهداشت و درمان",
            AgencyKind::ForeignNationals => "ادارهٔ امور اتباع و مهاجرین خارجی",
            AgencyKind::ReliefCommittee => "کمیتهٔ امداد",
            AgencyKind::Governorate => "فرمانداری / استانداری",
            AgencyKind::Other => "سایر",
        }
    }
}

/// Agency and user codes: 2–64 characters of ASCII letters, digits, `.`, `_` and `-`,
/// so they work in URLs, CLI arguments and spreadsheets unchanged.
pub fn valid_code(code: &str) -> bool {
    (2..=64).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}
