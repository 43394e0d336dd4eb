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
use maud::{Markup, html};

/// The last complete Jalali season before `today`.
pub fn default_period(today: JalaliDate) -> Period {
    let q = (today.month - 1) / 3 + 1;
    if q == 1 {
        Period::Quarter(today.year - 1, 4)
    } else {
        Period::Quarter(today.year, q - 1)
    }
}

/// A period as a page's query gave it: read (any way people write one), or refused
/// with the reason, keeping what was typed to show it back.
pub struct PeriodAsked {
    pub period: Option<Period>,
    pub typed: Option<String>,
    pub error: Option<String>,
}

impl PeriodAsked {
    pub fn read(given: Option<&str>) -> PeriodAsked {
        match given.map(str::trim).filter(|s| !s.is_empty()) {
            None => PeriodAsked {
                period: None,
                typed: None,
                error: None,
            },
            Some(text) => match Period::parse(text) {
                Ok(p) => PeriodAsked {
                    period: Some(p),
                    typed: None,
                    error: None,
                },
                Err(e) => PeriodAsked {
                    period: None,
                    typed: Some(text.chars().take(40).collect()),
                    error: Some(e.to_string()),
                },
            },
        }
    }
}

/// A period box: typed in Persian («بهار ۱۴۰۵»، «۱۴۰۵/۰۶») or picked from the recent
/// periods by their Persian names; a refused input is shown back with the reason
/// beside the box.
pub fn period_field(
    name: &str,
    label: &str,
    shown: Option<Period>,
    asked: &PeriodAsked,
    today: JalaliDate,
) -> Markup {
    let value = asked
        .typed
        .clone()
        .or_else(|| shown.map(Period::label))
        .unwrap_or_default();
    let list = format!("{name}-periods");
    let hint = format!("{name}-hint");
    html! {
        label.period {
            (label)
            input name=(name) value=(value) list=(list) size="12" inputmode="text"
                aria-invalid=[asked.error.as_ref().map(|_| "true")]
                aria-describedby=(hint)
                placeholder="بهار ۱۴۰۵";
            datalist id=(list) {
                @for p in recent_periods(today) { option value=(p.label()) {} }
            }
            @if let Some(e) = &asked.error {
                span.field-error id=(hint) role="alert" { (e) }
            } @else {
                span.hint id=(hint) { "سال، فصل یا ماه: «۱۴۰۵»، «بهار ۱۴۰۵»، «مهر ۱۴۰۴»" }
            }
        }
    }
}

/// Periods offered in the period box: the last eight seasons, two years and six months.
pub fn recent_periods(today: JalaliDate) -> Vec<Period> {
    let mut out = Vec::new();
    let mut p = default_period(today);
    for _ in 0..8 {
        out.push(p);
        p = match p {
            Period::Quarter(y, 1) => Period::Quarter(y - 1, 4),
            Period::Quarter(y, q) => Period::Quarter(y, q - 1),
            other => other,
        };
    }
    out.push(Period::Year(today.year));
    out.push(Period::Year(today.year - 1));
    let (mut y, mut m) = (today.year, today.month);
    for _ in 0..6 {
        out.push(Period::Month(y, m));
        if m == 1 {
            y -= 1;
            m = 12;
        } else {
            m -= 1;
        }
    }
    out
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
