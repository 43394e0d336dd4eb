//! The registry of vulnerable people on the web: registration at first contact, search,
//! a person's page and timeline, and the access report — pages and `/api/v1/persons`.
//!
//! Every read goes through the store's `PersonReader`, which audits it with the
//! purpose; here the purpose is asked for (once per browser session and subject, or on
//! every API call) and the person's input is read from a form or JSON.

pub mod api;
pub mod cases;
pub mod edit;
pub mod encounters;
pub mod flow;
pub mod import;
pub mod input;
pub mod pages;
pub mod referrals;

use hamafza_core::jalali::JalaliDate;
use hamafza_core::people::Purpose;

use crate::AppState;
use crate::error::AppError;

/// Today in Tehran, by the server's clock.
pub fn today(state: &AppState) -> JalaliDate {
    JalaliDate::from_gregorian(state.clock.today())
}

/// The records a contact about to be registered may already have, read by `user` as
/// a duplicate check (the API's and the registration form's one way to ask).
pub async fn likely_matches(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    contact: &hamafza_store::people::FirstContact,
) -> Result<Vec<hamafza_store::linkage::LikelyMatch>, AppError> {
    let today = today(state);
    let purpose = Purpose {
        kind: hamafza_core::people::PurposeKind::DuplicateCheck,
        text: None,
    };
    let reader = hamafza_store::people::PersonReader {
        actor: &user.actor,
        purpose: &purpose,
        today,
    };
    let fields = input::linkage_fields(contact, today);
    Ok(state.store.likely_matches(&reader, &fields).await?)
}

/// A purpose from a code and optional words (shared with the other features that read
/// people).
pub use crate::extract::purpose;

/// A person who may not be read, but may be located: "held by …, call …".
pub fn held_elsewhere(stub: &hamafza_store::people::PersonStub) -> String {
    let officer = stub
        .registered_by
        .as_deref()
        .map(|o| format!(" (کارشناس ثبت‌کننده: {o})"))
        .unwrap_or_default();
    format!(
        "این فرد در «{}» ثبت شده و رضایت به اشتراک اطلاعاتش با دستگاه‌های دیگر نداده است؛ برای هماهنگی با آن دستگاه تماس بگیرید{officer}.",
        stub.agency.name_fa
    )
}

/// Whether the caller reads children's records: the child-protection role, or staff of
/// an agency designated for child protection.
pub async fn protects_children(
    state: &AppState,
    user: &crate::auth::CurrentUser,
) -> Result<bool, AppError> {
    let designated = state
        .store
        .agency_protects_children(user.actor.agency_id.into())
        .await?;
    Ok(hamafza_core::access::protects_children(
        &user.actor,
        designated,
    ))
}
