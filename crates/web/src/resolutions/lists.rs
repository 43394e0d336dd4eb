//! Lists of resolutions as pages and the API ask for them (filters, pages, the
//! scorecard), and reading days, agencies and places as people type them.

use crate::AppState;
use crate::auth::CurrentUser;
use hamafza_core::access::{Action, Scope, scope};
use hamafza_core::ids::{AgencyId, PlaceId};
use hamafza_core::jalali::{JalaliDate, Period};
use hamafza_core::resolutions::State;
use hamafza_store::ResolutionFilter;
use serde::Deserialize;

use super::{Result, council_for, invalid, resolution_scope};

/// A day as typed: Jalali (`۱۴۰۴/۰۸/۲۹`, `1404-8-29`) or ISO Gregorian (`2025-11-20`).
pub fn parse_day(field: &'static str, input: &str) -> Result<time::Date> {
    let ascii = hamafza_core::digits::to_ascii(input.trim());
    let year: Option<i32> = ascii.split(['-', '/']).next().and_then(|y| y.parse().ok());
    if year.is_some_and(|y| y >= 1700) {
        return time::Date::parse(
            &ascii,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map_err(|_| invalid(field, format!("تاریخ «{}» نادرست است", input.trim())));
    }
    JalaliDate::parse(input)
        .map(JalaliDate::to_gregorian)
        .map_err(|e| invalid(field, e.to_string()))
}

/// An optional day: empty means none.
pub fn parse_optional_day(field: &'static str, input: Option<&str>) -> Result<Option<time::Date>> {
    match input.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => parse_day(field, s).map(Some),
        None => Ok(None),
    }
}

pub use hamafza_core::jalali::iso_day as iso;

/// A stored ISO day as Jalali `۱۴۰۴/۰۸/۲۹`; empty for none.
pub fn jalali(iso_day: Option<&str>) -> String {
    iso_day
        .and_then(|s| {
            time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
        })
        .map(|d| JalaliDate::from_gregorian(d).format_numeric())
        .unwrap_or_default()
}

/// List parameters, as the list page and `GET /api/v1/resolutions` take them.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    /// A council's code or id.
    pub council: Option<String>,
    /// An agency's code or id: responsible or collaborating.
    pub agency: Option<String>,
    pub state: Option<String>,
    /// A place's code or id: resolutions about it or anywhere under it.
    pub place: Option<String>,
    /// A Jalali period the resolution was decided in: `1404`, `1404Q2`, `1404-07`.
    pub period: Option<String>,
    pub overdue: Option<String>,
    pub stalled: Option<String>,
    /// Which page of the list (from 1), for the list page and the API.
    pub page: Option<usize>,
}

/// Lines per page of a resolution list (page and API).
pub const PAGE_SIZE: usize = 200;

impl ListParams {
    /// The slice of `rows` on the requested page, and the number of pages.
    pub fn page_of<'a, T>(&self, rows: &'a [T]) -> (&'a [T], usize, usize) {
        let pages = rows.len().div_ceil(PAGE_SIZE).max(1);
        let page = self.page.unwrap_or(1).clamp(1, pages);
        let from = (page - 1) * PAGE_SIZE;
        (
            &rows[from.min(rows.len())..(from + PAGE_SIZE).min(rows.len())],
            page,
            pages,
        )
    }
}

pub(crate) fn flag(v: &Option<String>) -> bool {
    matches!(v.as_deref(), Some("true" | "1" | "on" | "yes"))
}

pub(crate) fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ListParams {
    /// The store filter these parameters mean for this user (always limited to what the
    /// user may see).
    pub async fn filter(&self, state: &AppState, user: &CurrentUser) -> Result<ResolutionFilter> {
        let mut f = ResolutionFilter {
            overdue_only: flag(&self.overdue),
            stalled_only: flag(&self.stalled),
            ..ResolutionFilter::default()
        };
        if let Some(c) = given(&self.council) {
            f.council_id = Some(council_for(state, user, c).await?.id);
        }
        if let Some(a) = given(&self.agency) {
            let agencies = state
                .store
                .list_agencies(&scope(&user.actor, Action::ViewAgencies))
                .await?;
            let agency = agencies
                .iter()
                .find(|x| x.code == a || x.id.to_string() == a)
                .ok_or_else(|| invalid("agency", "دستگاه پیدا نشد"))?;
            f.agency_id = Some(agency.id);
        }
        if let Some(s) = given(&self.state) {
            f.state =
                Some(State::from_code(s).ok_or_else(|| invalid("state", "وضعیت نامعتبر است"))?);
        }
        if let Some(p) = given(&self.place) {
            let missing = || invalid("place", "مکان پیدا نشد");
            let place = match state.store.place_by_code(p).await? {
                Some(place) => place,
                None => state
                    .store
                    .place_by_id(p.parse().map_err(|_| missing())?)
                    .await
                    .map_err(|_| missing())?,
            };
            f.place_id = Some(place.id);
        }
        if let Some(p) = given(&self.period) {
            let period = Period::parse(p).map_err(|e| invalid("period", e.to_string()))?;
            f.decided_between = Some(period.gregorian_range());
        }
        Ok(f)
    }

    /// The same parameters as a query string, for links (export, next page).
    pub fn query_string(&self) -> String {
        let pairs = [
            ("council", &self.council),
            ("agency", &self.agency),
            ("state", &self.state),
            ("place", &self.place),
            ("period", &self.period),
            ("overdue", &self.overdue),
            ("stalled", &self.stalled),
        ];
        pairs
            .iter()
            .filter_map(|(k, v)| given(v).map(|v| format!("{k}={}", url_encode(v))))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Percent-encodes a query value (everything but unreserved ASCII).
pub fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An agency's id from its code or id.
pub async fn agency_id(state: &AppState, field: &'static str, key: &str) -> Result<AgencyId> {
    let key = key.trim();
    state
        .store
        .list_agencies(&Scope::reference_lists())
        .await?
        .into_iter()
        .find(|a| a.code == key || a.id.to_string() == key)
        .map(|a| a.id)
        .ok_or_else(|| invalid(field, format!("دستگاه «{key}» پیدا نشد")))
}

/// A place's id from its code or id.
pub async fn place_id(state: &AppState, key: &str) -> Result<PlaceId> {
    let key = key.trim();
    if let Some(p) = state.store.place_by_code(key).await? {
        return Ok(p.id);
    }
    let missing = || invalid("places", format!("مکان «{key}» پیدا نشد"));
    let id: PlaceId = key.parse().map_err(|_| missing())?;
    state
        .store
        .place_by_id(id)
        .await
        .map(|p| p.id)
        .map_err(|_| missing())
}

/// The scorecard: each responsible agency's figures across the councils the user sees,
/// agencies with the most overdue first.
pub async fn scorecard(
    state: &AppState,
    user: &CurrentUser,
    today: time::Date,
) -> Result<Vec<(hamafza_store::Agency, hamafza_core::scorecard::Summary)>> {
    let rows = state
        .store
        .list_resolutions(&resolution_scope(user), &ResolutionFilter::default(), today)
        .await?;
    let mut by_agency: std::collections::HashMap<AgencyId, Vec<hamafza_core::scorecard::Facts>> =
        std::collections::HashMap::new();
    for row in &rows {
        by_agency
            .entry(row.resolution.responsible_agency_id)
            .or_default()
            .push(row.facts());
    }
    let mut cards: Vec<_> = state
        .store
        .list_agencies(&scope(&user.actor, Action::ViewAgencies))
        .await?
        .into_iter()
        .filter_map(|a| {
            let facts = by_agency.get(&a.id)?;
            let s = hamafza_core::scorecard::Summary::of(facts, today);
            Some((a, s))
        })
        .collect();
    cards.sort_by(|a, b| {
        b.1.overdue
            .cmp(&a.1.overdue)
            .then(b.1.total.cmp(&a.1.total))
    });
    Ok(cards)
}
