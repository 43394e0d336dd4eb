//! The indicator dictionary: one written definition per indicator, with every earlier
//! version kept, and manual entry of supplied values.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_core::indicator::{Denominator, Numerator, Publication, Worse, base_fa};
use hamafza_core::jalali::Period;
use hamafza_store::atlas_sheet::parse_number;
use hamafza_store::{Indicator, ValueIn, Who};
use maud::{Markup, html};

use super::layout::{self, Section, bdi, num};
use crate::AppState;
use crate::atlas;
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::forms::FormPairs;

fn denominator_fa(i: &Indicator) -> String {
    match i.denominator {
        Denominator::None => "ندارد".into(),
        Denominator::Population => format!("جمعیت ({})", base_fa(i.denominator, i.rate_base)),
        Denominator::Area => "مساحت (در هر کیلومتر مربع)".into(),
    }
}

fn definition(i: &Indicator, source: &str) -> Markup {
    html! {
        dl.facts {
            dt { "کد" } dd { (bdi(&i.code)) }
            dt { "نام انگلیسی" } dd { (bdi(&i.name_en)) }
            dt { "محور" } dd { (i.theme) }
            dt { "صورت" } dd { (i.numerator_fa) " — "
                @match i.numerator { Numerator::Events => { "شمار زندهٔ رویدادها (" (i.categories.join("، ")) ")" }, Numerator::Imported => "مقدار واردشده از دستگاه" } }
            dt { "مخرج" } dd { (denominator_fa(i)) }
            dt { "بدتر است اگر" } dd { @if i.worse == Worse::Higher { "بیشتر باشد" } @else { "کمتر باشد" } }
            dt { "منبع" } dd { @if source.is_empty() { "—" } @else { (source) } }
            dt { "انتشار" } dd { @if i.publication == Publication::Public { "عمومی" } @else { "محدود (تنها برای دارندگان دسترسی آماری)" } }
            @if let Some(n) = &i.note_fa { dt { "یادداشت" } dd { (n) } }
            dt { "نسخه" } dd { (num(i.version)) " — " (layout::instant(&i.created_at)) }
        }
    }
}

async fn source_name(state: &AppState, i: &Indicator) -> String {
    match &i.source_agency_id {
        Some(id) => state
            .store
            .agency(id)
            .await
            .map(|a| a.name_fa)
            .unwrap_or_default(),
        None => String::new(),
    }
}

pub async fn dictionary_page(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Markup, PageError> {
    let list: Vec<Indicator> = state
        .store
        .indicators()
        .await?
        .into_iter()
        .filter(|i| atlas::may_see(&user.actor, i))
        .collect();
    let body = html! {
        h1 { "شناسنامهٔ شاخص‌ها" }
        p.hint { "هر شاخص یک تعریف نوشته‌شده دارد؛ هر تغییر تعریف نسخهٔ تازه‌ای است و نسخه‌های پیشین می‌مانند." }
        div.table-wrap {
            table {
                thead { tr { th { "محور" } th { "شاخص" } th { "صورت" } th { "مخرج" } th { "نسخه" } th { "انتشار" } } }
                tbody {
                    @for i in &list {
                        tr {
                            td { (i.theme) }
                            td { a href=(format!("/atlas/indicators/{}", i.code)) { (i.name_fa) } }
                            td { (i.numerator_fa) }
                            td { (denominator_fa(i)) }
                            td { (num(i.version)) }
                            td { @if i.publication == Publication::Public { "عمومی" } @else { "محدود" } }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page("شناسنامهٔ شاخص‌ها", &user, Section::Atlas, body))
}

pub async fn indicator_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> Result<Markup, PageError> {
    indicator_markup(&state, &user, &code, None).await
}

async fn indicator_markup(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
    message: Option<(bool, String)>,
) -> Result<Markup, PageError> {
    let versions = state.store.indicator_versions(code).await?;
    let Some(latest) = versions.first().filter(|i| atlas::may_see(&user.actor, i)) else {
        return Err(PageError::NotFound);
    };
    let source = source_name(state, latest).await;
    let can_supply = latest.numerator == Numerator::Imported && atlas::may_supply(&user.actor);
    let body = html! {
        h1 { (latest.name_fa) }
        p { a href="/atlas/indicators" { "همهٔ شاخص‌ها" } " · " a href=(format!("/atlas?indicator={}", latest.code)) { "روی نقشه" } }
        @if let Some((ok, text)) = &message {
            p class=(if *ok { "flash ok" } else { "flash error" }) role="status" { (text) }
        }
        (definition(latest, &source))
        @if can_supply {
            section aria-label="ورود مقدار" {
                h2 { "ورود مقدار" }
                form.inline method="post" action=(format!("/atlas/indicators/{}/values", latest.code)) {
                    input type="hidden" name="csrf" value=(user.csrf());
                    label { "کد مکان" input name="place_code" required dir="ltr" size="18"; }
                    label { "دوره" input name="period" required dir="ltr" size="8" placeholder="1404"; }
                    label { "مقدار" input name="value" required size="8"; }
                    button.primary type="submit" { "ثبت" }
                }
                p.hint { "برای ورود یک‌جا، پروندهٔ CSV یا XLSX با ستون‌های «کد مکان»، «دوره» و «مقدار» را به " bdi dir="ltr" { "POST /api/v1/indicators/" (latest.code) "/values" } " بفرستید؛ هر ردیف نادرست با شماره و ستونش گزارش می‌شود و هیچ‌چیز نوشته نمی‌شود." }
            }
        }
        @if versions.len() > 1 {
            h2 { "نسخه‌های پیشین" }
            @for v in versions.iter().skip(1) {
                details {
                    summary { "نسخهٔ " (num(v.version)) " — " (layout::instant(&v.created_at)) }
                    (definition(v, &source_name(state, v).await))
                }
            }
        }
    };
    Ok(layout::page(&latest.name_fa, user, Section::Atlas, body))
}

/// One value typed by hand (place code, period, value).
pub async fn value_submit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    form: FormPairs,
) -> Response {
    if let Err(e) = user.check_csrf(form.get("csrf")) {
        return e.into_response();
    }
    let result: Result<(), String> = async {
        if !atlas::may_supply(&user.actor) {
            return Err("ورود مقدار با نقش شما ممکن نیست.".to_string());
        }
        let place_code = form.get("place_code").unwrap_or("").trim();
        let place = state
            .store
            .place_by_code(place_code)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| {
                format!(
                    "مکانی با کد «{}» نیست.",
                    place_code.chars().take(40).collect::<String>()
                )
            })?;
        if !user.actor.covers(&place.path) {
            return Err(format!("«{}» در حوزهٔ شما نیست.", place.name_fa));
        }
        let period = Period::parse(form.get("period").unwrap_or(""))
            .map_err(|_| "دوره باید سال (۱۴۰۳)، فصل (1403Q2) یا ماه (1403-07) باشد.".to_string())?;
        let value = parse_number(form.get("value").unwrap_or(""))
            .ok_or_else(|| "مقدار باید عدد باشد.".to_string())?;
        let indicator = state
            .store
            .indicator(&code)
            .await
            .map_err(|e| e.to_string())?
            .filter(|i| i.numerator == Numerator::Imported)
            .ok_or_else(|| "این شاخص مقدار واردشدنی ندارد.".to_string())?;
        state
            .store
            .set_indicator_values(
                &Who::of(&user.actor),
                &indicator.code,
                &[ValueIn {
                    place_id: place.id,
                    period,
                    value,
                }],
                "manual",
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to(&format!("/atlas/indicators/{code}")).into_response(),
        Err(message) => {
            match indicator_markup(&state, &user, &code, Some((false, message))).await {
                Ok(page) => (axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
                Err(e) => e.into_response(),
            }
        }
    }
}
