//! The registry of vulnerable people (ثبت و مددکاری): what a person record holds and
//! the rules about it that do not need a database — the data-quality code beside each
//! identifying field, a birth date as it was said, what each consent allows, and who
//! counts as a child.
//!
//! Who may read or change a record is decided in [`crate::access`], like everything
//! else; this module says what the record *is*.

mod birth;
mod case;
mod consent;
mod purpose;
mod quality;
mod record;
mod referral;
pub mod research;

pub use birth::{AgeBand, BirthError, BirthSaid, CHILD_UNDER};
pub use case::ClosureReason;
pub use consent::{Consent, ConsentUse};
pub use purpose::{PURPOSE_TEXT_MAX, Purpose, PurposeError, PurposeKind};
pub use quality::DataQuality;
pub use record::{DEFAULT_CATEGORIES, Nationality, Sex, is_child};
pub use referral::{ReferralMove, ReferralMoveError, ReferralSide, ReferralState};
