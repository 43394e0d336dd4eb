//! `/people/flow`: the by-name list's monthly inflow and outflow for a district, as
//! Built for Zero counts it — counts only, with the atlas's small-number rule.

use axum::extract::State;
use hamafza_core::access::{Action, scope};
use hamafza_core::jalali::Period;
use hamafza_core::place::PlaceLevel;
use hamafza_store::PlaceFilter;
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::PageQuery;
use crate::layout::{self, Section, num};

#[derive(Deserialize, Default)]
pub struct FlowPageQuery {
    place: Option<String>,
}

pub async fn flow_page(
    State(state): State<AppState>,
    user: CurrentUser,
    PageQuery(q): PageQuery<FlowPageQuery>,
) -> Result<Markup, AppError> {
    let (districts, _) = state
        .store
        .list_places(
            &scope(&user.actor, Action::ViewPlace),
            &PlaceFilter {
                level: Some(PlaceLevel::District),
                limit: 1000,
                ..Default::default()
            },
        )
        .await?;
    // The district asked for, else the first the caller works in, else the first seen.
    let chosen = match q.place.as_deref().filter(|p| !p.is_empty()) {
        Some(id) => Some(
            crate::atlas::visible_place(&state.store, &user.actor, id)
                .await?
                .ok_or_else(AppError::not_found)?,
        ),
        None => districts
            .iter()
            .find(|d| user.actor.covers(&d.path))
            .or(districts.first())
            .cloned(),
    };
    let threshold = crate::atlas::threshold_for(&user.actor, state.small_count);
    let months = match &chosen {
        Some(p) => state.store.flow_by_month(&p.path).await?,
        None => Vec::new(),
    };
    let running = Period::Month(super::today(&state).year, super::today(&state).month).code();
    let cell = |n: i64| match threshold {
        Some(k) if n > 0 && n < k => {
            html! { span.hint title="شمار کمتر از آستانه پنهان است" { "کم" } }
        }
        _ => html! { (num(n)) },
    };
    Ok(layout::page(
        "ورود و خروج ماهانه",
        &user,
        Section::People,
        html! {
            h1 { "ورود و خروج ماهانه" @if let Some(p) = &chosen { " — " (p.name_fa) } }
            p.hint { "شمار افراد، نه نام‌ها: تازه شناسایی‌شده (نخستین دیدار)، بازگشته (دیده‌شده پس از بسته‌شدن پرونده برای قطع تماس)، منتقل‌شده (پرونده بسته با اسکان، مرکز یا بازگشت به خانواده) و غیرفعال (پرونده بسته برای قطع تماس). شمارهای کمتر از آستانه برای کسانی که دسترسی آماری ندارند پنهان است." }
            form.inline method="get" action="/people/flow" {
                label { "منطقه" select name="place" {
                    @for d in &districts {
                        option value=(d.id) selected[chosen.as_ref().is_some_and(|c| c.id == d.id)] { (d.name_fa) }
                    }
                } }
                button.primary type="submit" { "نشان بده" }
            }
            @if months.is_empty() { p.hint { "در این منطقه هنوز کسی ثبت نشده است." } } @else {
                div.table-wrap { table {
                    thead { tr { th { "ماه" } th { "تازه شناسایی‌شده" } th { "بازگشته" } th { "منتقل‌شده" } th { "غیرفعال" } } }
                    tbody {
                        @for m in &months {
                            tr {
                                td {
                                    (Period::parse(&m.month).map(Period::label).unwrap_or_else(|_| m.month.clone()))
                                    @if m.month == running { " " span.badge { "ماه جاری، ناتمام" } }
                                }
                                td { (cell(m.newly_identified)) }
                                td { (cell(m.returned)) }
                                td { (cell(m.moved_on)) }
                                td { (cell(m.inactive)) }
                            }
                        }
                    }
                } }
            }
        },
    ))
}
