//! Consent at first contact, and the one rule of what each consent allows. Every part
//! of Hamafza that keeps, shows or passes on a person asks [`Consent::allows`]; the
//! access policy builds on it for other agencies (`crate::access`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    /// For the service of the agency that registered the person, not for sharing.
    Service,
    /// For service and for sharing with the other agencies that serve them.
    Sharing,
    /// Given by a guardian (a child, or an adult who cannot decide), for service and
    /// sharing.
    Guardian,
    /// The person said no: nothing naming them is kept.
    Refused,
    /// The person could not decide (e.g. intoxicated): nothing naming them is kept,
    /// and the agency is reminded to ask again.
    Unable,
}

/// What can be done with a person's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentUse {
    /// Keep a record with their name and identifiers.
    KeepNamed,
    /// Serve them within the agency that holds the record.
    Serve,
    /// Let other agencies read the record (otherwise they see only that it exists and
    /// whom to call).
    Share,
    /// Refer them to another agency.
    Refer,
}

impl Consent {
    pub const ALL: [Consent; 5] = [
        Consent::Service,
        Consent::Sharing,
        Consent::Guardian,
        Consent::Refused,
        Consent::Unable,
    ];

    /// The rule: service consent keeps and serves; sharing and a guardian's consent
    /// also share and refer; a refusal or an inability allows nothing named — only a
    /// pseudonymous encounter (category, place, time, sex, age band) is counted.
    pub fn allows(self, what: ConsentUse) -> bool {
        match self {
            Consent::Sharing | Consent::Guardian => true,
            Consent::Service => matches!(what, ConsentUse::KeepNamed | ConsentUse::Serve),
            Consent::Refused | Consent::Unable => false,
        }
    }

    /// An agency must ask again later (a reminder is created).
    pub fn asks_again(self) -> bool {
        self == Consent::Unable
    }

    pub fn code(self) -> &'static str {
        match self {
            Consent::Service => "service",
            Consent::Sharing => "sharing",
            Consent::Guardian => "guardian",
            Consent::Refused => "refused",
            Consent::Unable => "unable",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    pub fn name_fa(self) -> &'static str {
        match self {
            Consent::Service => "رضایت برای خدمت (بدون اشتراک)",
            Consent::Sharing => "رضایت برای خدمت و اشتراک با دستگاه‌های دیگر",
            Consent::Guardian => "رضایت سرپرست",
            Consent::Refused => "رضایت نداد",
            Consent::Unable => "توان تصمیم نداشت (دوباره پرسیده شود)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_consent_allows_what_it_says() {
        use ConsentUse::*;
        let table = [
            (Consent::Service, [true, true, false, false]),
            (Consent::Sharing, [true, true, true, true]),
            (Consent::Guardian, [true, true, true, true]),
            (Consent::Refused, [false, false, false, false]),
            (Consent::Unable, [false, false, false, false]),
        ];
        for (consent, expected) in table {
            let got = [KeepNamed, Serve, Share, Refer].map(|u| consent.allows(u));
            assert_eq!(got, expected, "{consent:?}");
            assert_eq!(Consent::from_code(consent.code()), Some(consent));
        }
        assert!(Consent::Unable.asks_again() && !Consent::Refused.asks_again());
    }
}
