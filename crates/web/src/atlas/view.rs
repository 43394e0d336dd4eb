//! What the atlas's pages share: the default period and place, and values as a person
//! reads them (Persian digits, suppressed counts said in words).

use hamafza_core::access::{Action, scope};
use hamafza_core::indicator::Shown;
use hamafza_core::jalali::{JalaliDate, Period};
use hamafza_core::numbers::format_decimal;
use hamafza_store::Place;

use crate::AppState;
use crate::atlas;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::layout::num;

/// The last complete Jalali season before `today`.
pub fn default_period(today: JalaliDate) -> Period {
    let q = (today.month - 1) / 3 + 1;
    if q == 1 {
        Period::Quarter(today.year - 1, 4)
    } else {
        Period::Quarter(today.year, q - 1)
    }
}

/// A value in Persian digits with as many decimals as its size needs.
pub fn value_fa(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return num(v as i64);
    }
    let decimals = if v.abs() >= 100.0 {
        0
    } else if v.abs() >= 10.0 {
        1
    } else {
        2
    };
    format_decimal(v, decimals)
}

/// The user's own area: the first place of their jurisdiction, else the first place
/// they can see at the top.
pub async fn default_place(
    state: &AppState,
    user: &CurrentUser,
) -> Result<Option<Place>, AppError> {
    if let Some(id) = user
        .actor
        .jurisdiction
        .first()
        .and_then(|path| path.trim_matches('/').rsplit('/').next())
        && let Some(p) = atlas::visible_place(&state.store, &user.actor, id).await?
    {
        return Ok(Some(p));
    }
    let top = state
        .store
        .children(&scope(&user.actor, Action::ViewPlace), None)
        .await?;
    Ok(top.into_iter().next().map(|p| p.place))
}

/// A value as the caller may see it, in words.
pub fn shown_text(shown: &Shown) -> String {
    match shown {
        Shown::Value { value, .. } => value_fa(*value),
        Shown::Suppressed => "پنهان (شمار کم)".into(),
        Shown::NoData => "بی‌داده".into(),
    }
}
