//! Identity linkage on the web (issue 13): the review queue and a pair side by side
//! for the registry's supervisors, the whole-registry run, the learnt weights, the
//! likely matches an officer sees before saving a registration, and a person's linked
//! records with the undo — pages and `/api/v1/linkage`, `/api/v1/links`.
//!
//! This module does not use the people module (which uses it): it reads what it needs
//! from the store.

pub mod api;
pub mod pages;

use hamafza_core::jalali::JalaliDate;
use hamafza_store::linkage::MatchDecision;

use crate::AppState;
use crate::error::AppError;

/// Today in Tehran, by the server's clock.
fn today(state: &AppState) -> JalaliDate {
    JalaliDate::from_gregorian(state.clock.today())
}

/// A decision from its code, or 422 naming `decision`.
fn decision_of(code: Option<&str>) -> Result<MatchDecision, AppError> {
    code.map(str::trim)
        .and_then(MatchDecision::from_code)
        .ok_or_else(|| {
            AppError::invalid("decision", "تصمیم را برگزینید: same، different یا unsure")
        })
}

/// A probability as Persian people read it: «۹۷٪».
pub fn percent(p: f64) -> String {
    let pct = (p * 100.0).floor().clamp(0.0, 100.0) as i64;
    format!("{}٪", hamafza_core::digits::to_persian(&pct.to_string()))
}

/// A decision in Persian.
pub fn decision_fa(state: &str) -> &'static str {
    match state {
        "open" => "در انتظار بررسی",
        "unsure" => "مطمئن نیستم (برای نگاه دوباره)",
        "same" => "یک نفرند (پیوند خورد)",
        "different" => "دو نفرند",
        "linked_automatically" => "پیوند خودکار",
        _ => "—",
    }
}

/// Where a link came from, in Persian.
pub fn source_fa(source: &str) -> &'static str {
    match source {
        "registration" => "هنگام ثبت",
        "review" => "بررسی ناظر",
        "automatic" => "پیوند خودکار",
        _ => "—",
    }
}

/// Which matcher found a pair, in Persian.
pub fn found_by_fa(source: &str) -> &'static str {
    match source {
        "names" => "نام‌ها",
        "biometric" => "زیست‌سنجی",
        "names_biometric" => "نام‌ها و زیست‌سنجی",
        _ => "—",
    }
}
