//! Ids that cannot be confused: one type per kind of record, each a UUID (v7 when new)
//! that is parsed once, where it enters (a path, a form, a file), so a bad id is
//! refused there — "not found" or the field at fault — and never becomes the nil UUID
//! or matches some other kind of record.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A string that is not an id of the expected kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadId;

impl fmt::Display for BadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("شناسه نامعتبر است")
    }
}

impl std::error::Error for BadId {}

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new id (UUIDv7: ordered by creation time).
            pub fn new() -> Self {
                $name(Uuid::now_v7())
            }

            pub fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                $name(u)
            }
        }

        impl FromStr for $name {
            type Err = BadId;
            fn from_str(s: &str) -> Result<Self, BadId> {
                Uuid::parse_str(s.trim()).map($name).map_err(|_| BadId)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        // Stored as text (the UUID's hyphenated form) on both engines; a stored value
        // that is not an id is a damaged row, refused when read.
        #[cfg(feature = "sqlx")]
        impl sqlx::Type<sqlx::Any> for $name {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<sqlx::Any>>::type_info()
            }
        }

        #[cfg(feature = "sqlx")]
        impl sqlx::Encode<'_, sqlx::Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <String as sqlx::Encode<'_, sqlx::Any>>::encode(self.0.to_string(), buf)
            }
        }

        #[cfg(feature = "sqlx")]
        impl<'r> sqlx::Decode<'r, sqlx::Any> for $name {
            fn decode(
                value: <sqlx::Any as sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&str as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
                Ok(text.parse::<$name>()?)
            }
        }
    )*};
}

id_type!(
    /// A place of any level.
    PlaceId,
    /// An agency (دستگاه).
    AgencyId,
    /// A user account.
    UserId,
    /// A council, headquarters or neighbourhood council.
    CouncilId,
    /// A council's meeting.
    MeetingId,
    /// A resolution (مصوبه).
    ResolutionId,
    /// An evidence file attached to a progress update.
    EvidenceId,
    /// An item of a meeting's agenda.
    AgendaItemId,
    /// A person in the registry of vulnerable people.
    PersonId,
    /// One contact with a person, or a pseudonymous count of one (no consent).
    EncounterId,
    /// A case an agency opened for a person.
    CaseId,
    /// A referral of a person from one agency to another.
    ReferralId,
    /// A link between two records of one person (identity linkage).
    LinkId,
    /// A pair of records linkage found, for the review queue.
    MatchPairId,
    /// The opaque reference under which a biometric template is known to the matcher
    /// (MOSIP's `referenceId`): never a person's id.
    BiometricRef,
    /// A request to the matcher (MOSIP's `requestId`) and its job.
    AbisJobId,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_once_and_refuse_what_is_not_one() {
        let id = ResolutionId::new();
        assert_eq!(id.to_string().parse::<ResolutionId>(), Ok(id));
        for bad in [
            "",
            "1",
            "not-a-uuid",
            "00000000-0000-0000-0000",
            "' OR 1=1 --",
        ] {
            assert_eq!(bad.parse::<ResolutionId>(), Err(BadId), "{bad}");
        }
        let json = serde_json::to_string(&id).expect("json");
        assert_eq!(json, format!("\"{id}\""));
        assert!(serde_json::from_str::<PlaceId>("\"x\"").is_err());
    }
}
