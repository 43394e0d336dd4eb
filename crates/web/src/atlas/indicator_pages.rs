//! The indicator dictionary: one written definition per indicator, with every earlier
//! version kept, and manual entry of supplied values.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_core::access::{Action, scope};
use hamafza_core::indicator::{Denominator, Numerator, Publication, Worse, base_fa};
use hamafza_core::jalali::Period;
use hamafza_core::numbers::parse_number;
use hamafza_store::{Indicator, ValueIn, Who};
use maud::{Markup, html};

use crate::AppState;
use crate::atlas;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::CsrfForm;
use crate::extract::{FormPairs, PageQuery};
use crate::layout::{self, Section, bdi, num};

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
            dt { (crate::layout::term("صورت (آنچه شمرده می‌شود)", "آنچه در هر مکان شمرده یا گزارش می‌شود، مثلاً شمار متکدیان دیده‌شده")) } dd { (i.numerator_fa) " — "
                (numerator_source_fa(i.numerator)) @if i.numerator.is_live() { " (" (i.categories.join("، ")) ")" } }
            dt { (crate::layout::term("مخرج (نسبت به)", "آن‌چه شمار بر آن تقسیم می‌شود تا مکان‌های بزرگ و کوچک هم‌سنجیدنی شوند: جمعیت یا مساحت")) } dd { (denominator_fa(i)) }
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
            .agency(*id)
            .await
            .map(|a| a.name_fa)
            .unwrap_or_default(),
        None => String::new(),
    }
}

pub async fn dictionary_page(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Markup, AppError> {
    let list: Vec<Indicator> = state
        .store
        .indicators(&hamafza_core::access::scope(
            &user.actor,
            hamafza_core::access::Action::ViewIndicator,
        ))
        .await?;
    let body = html! {
        h1 { "شناسنامهٔ شاخص‌ها" }
        p.hint { "هر شاخص یک تعریف نوشته‌شده دارد؛ هر تغییر تعریف نسخهٔ تازه‌ای است و نسخه‌های پیشین می‌مانند." }
        @if atlas::may_define(&user.actor) { p { a.button href="/atlas/define-indicator" { "تعریف شاخص تازه" } } }
        div.table-wrap {
            table {
                thead { tr { th { "محور" } th { "شاخص" } th { (crate::layout::term_short("صورت", "آنچه در هر مکان شمرده یا گزارش می‌شود، مثلاً شمار متکدیان دیده‌شده")) } th { (crate::layout::term_short("مخرج", "آن‌چه شمار بر آن تقسیم می‌شود تا مکان‌های بزرگ و کوچک هم‌سنجیدنی شوند: جمعیت یا مساحت")) } th { "نسخه" } th { "انتشار" } } }
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
) -> Result<Markup, AppError> {
    indicator_markup(&state, &user, &code, None).await
}

async fn indicator_markup(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
    message: Option<(bool, String)>,
) -> Result<Markup, AppError> {
    let versions = state.store.indicator_versions(code).await?;
    let Some(latest) = versions.first().filter(|i| atlas::may_see(&user.actor, i)) else {
        return Err(AppError::NotFound);
    };
    let source = source_name(state, latest).await;
    let can_supply = latest.numerator == Numerator::Imported && atlas::may_supply(&user.actor);
    let body = html! {
        h1 { (latest.name_fa) }
        p { a href="/atlas/indicators" { "همهٔ شاخص‌ها" } " · " a href=(format!("/atlas?indicator={}", latest.code)) { "روی نقشه" }
            @if atlas::may_define(&user.actor) { " · " a href=(format!("/atlas/define-indicator?code={}", latest.code)) { "ویرایش تعریف (نسخهٔ تازه)" } } }
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
    Path(code): Path<String>,
    CsrfForm { user, form }: CsrfForm<FormPairs>,
) -> Response {
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
        Err(message) => crate::pages::form_again(
            indicator_markup(&state, &user, &code, Some((false, message))).await,
        ),
    }
}

/// A definition as the form holds it: what the user typed, kept when the form comes back
/// with an error.
#[derive(Default)]
struct Draft {
    code: String,
    name_fa: String,
    name_en: String,
    theme: String,
    unit_fa: String,
    worse: String,
    numerator: String,
    categories: Vec<String>,
    numerator_fa: String,
    numerator_is_count: bool,
    denominator: String,
    rate_base: String,
    source_agency: String,
    publication: String,
    note_fa: String,
    /// The code is fixed when this is the next version of an existing indicator.
    existing: bool,
}

impl Draft {
    fn blank() -> Draft {
        Draft {
            worse: "higher".into(),
            numerator: "events".into(),
            numerator_is_count: true,
            denominator: "population".into(),
            rate_base: "1000".into(),
            publication: "public".into(),
            ..Draft::default()
        }
    }

    fn of(i: &Indicator, agency_code: String) -> Draft {
        Draft {
            code: i.code.clone(),
            name_fa: i.name_fa.clone(),
            name_en: i.name_en.clone(),
            theme: i.theme.clone(),
            unit_fa: i.unit_fa.clone(),
            worse: i.worse.code().into(),
            numerator: i.numerator.code().into(),
            categories: i.categories.clone(),
            numerator_fa: i.numerator_fa.clone(),
            numerator_is_count: i.numerator_is_count,
            denominator: i.denominator.code().into(),
            rate_base: format_base(i.rate_base),
            source_agency: agency_code,
            publication: i.publication.code().into(),
            note_fa: i.note_fa.clone().unwrap_or_default(),
            existing: true,
        }
    }

    fn from_form(form: &FormPairs) -> Draft {
        let text = |k: &str| form.get(k).unwrap_or("").trim().to_string();
        Draft {
            code: text("code"),
            name_fa: text("name_fa"),
            name_en: text("name_en"),
            theme: text("theme"),
            unit_fa: text("unit_fa"),
            worse: text("worse"),
            numerator: text("numerator"),
            // The registry's numerators count person categories, picked in their
            // own boxes (a person and an event category may share a code).
            categories: if Numerator::from_code(&text("numerator"))
                .is_some_and(Numerator::counts_people)
            {
                form.all("person_categories")
            } else {
                form.all("categories")
            },
            numerator_fa: text("numerator_fa"),
            numerator_is_count: form.get("numerator_is_count") == Some("1"),
            denominator: text("denominator"),
            rate_base: text("rate_base"),
            source_agency: text("source_agency"),
            publication: text("publication"),
            note_fa: text("note_fa"),
            existing: form.get("existing") == Some("1"),
        }
    }

    fn to_input(&self) -> Result<atlas::IndicatorIn, String> {
        let rate_base =
            parse_number(&self.rate_base).ok_or_else(|| "پایهٔ نرخ باید عدد باشد.".to_string())?;
        Ok(atlas::IndicatorIn {
            code: self.code.clone(),
            name_fa: self.name_fa.clone(),
            name_en: self.name_en.clone(),
            theme: self.theme.clone(),
            unit_fa: self.unit_fa.clone(),
            worse: self.worse.clone(),
            numerator: self.numerator.clone(),
            categories: self.categories.clone(),
            numerator_fa: self.numerator_fa.clone(),
            numerator_is_count: self.numerator_is_count,
            denominator: self.denominator.clone(),
            rate_base,
            source_agency: Some(self.source_agency.clone()),
            publication: self.publication.clone(),
            note_fa: Some(self.note_fa.clone()),
        })
    }
}

fn format_base(b: f64) -> String {
    if b.fract() == 0.0 && b.abs() < 1e15 {
        format!("{}", b as i64)
    } else {
        b.to_string()
    }
}

#[derive(serde::Deserialize)]
pub struct DefineQuery {
    code: Option<String>,
}

/// `GET /atlas/define-indicator[?code=…]`: the definition form, empty for a new
/// indicator or holding the latest version of `code` for its next version.
pub async fn define_page(
    State(state): State<AppState>,
    user: CurrentUser,
    PageQuery(q): PageQuery<DefineQuery>,
) -> Result<Markup, AppError> {
    if !atlas::may_define(&user.actor) {
        return Err(AppError::Forbidden(
            "تعریف شاخص تنها برای مدیر سامانه و تحلیل‌گر است.".into(),
        ));
    }
    let draft = match q.code.as_deref().filter(|c| !c.is_empty()) {
        None => Draft::blank(),
        Some(code) => {
            let latest = state
                .store
                .indicator(code)
                .await?
                .ok_or(AppError::NotFound)?;
            let agency_code = match &latest.source_agency_id {
                Some(id) => state
                    .store
                    .agency(*id)
                    .await
                    .map(|a| a.code)
                    .unwrap_or_default(),
                None => String::new(),
            };
            Draft::of(&latest, agency_code)
        }
    };
    define_markup(&state, &user, &draft, None).await
}

async fn define_markup(
    state: &AppState,
    user: &CurrentUser,
    d: &Draft,
    error: Option<&str>,
) -> Result<Markup, AppError> {
    let categories = state
        .store
        .event_categories(&scope(&user.actor, Action::ViewAtlas))
        .await?;
    let person_categories = state.store.person_categories().await?;
    let agencies = state
        .store
        .list_agencies(&scope(&user.actor, Action::ViewAgencies))
        .await?;
    let title = if d.existing {
        format!("نسخهٔ تازهٔ «{}»", d.name_fa)
    } else {
        "شاخص تازه".to_string()
    };
    let choice = |name: &str, current: &str, options: &[(&str, &str)]| {
        html! {
            select name=(name) {
                @for (code, label) in options {
                    option value=(code) selected[*code == current] { (label) }
                }
            }
        }
    };
    let mut bases: Vec<(String, String)> = [
        ("1", "خود مقدار (بی‌پایه)"),
        ("100", "درصد"),
        ("1000", "در هر هزار"),
        ("10000", "در هر ده هزار"),
        ("100000", "در هر صد هزار"),
    ]
    .iter()
    .map(|(c, l)| (c.to_string(), l.to_string()))
    .collect();
    if !bases.iter().any(|(c, _)| *c == d.rate_base) && !d.rate_base.is_empty() {
        bases.push((d.rate_base.clone(), d.rate_base.clone()));
    }
    let body = html! {
        h1 { (title) }
        p { a href="/atlas/indicators" { "همهٔ شاخص‌ها" } }
        p.hint { "تعریف نوشته‌شده همان است که همهٔ دستگاه‌ها می‌بینند. ذخیرهٔ دوباره با همان کد نسخهٔ تازه‌ای می‌سازد و نسخه‌های پیشین با تاریخشان می‌مانند." }
        @if let Some(e) = error { p.flash.error role="alert" { (e) } }
        form.stack method="post" action="/atlas/define-indicator" {
            input type="hidden" name="csrf" value=(user.csrf());
            (code_field(d.existing, &d.code, "حروف کوچک لاتین، رقم و خط زیر؛ مثلاً begging_rate"))
            label { "نام فارسی" input type="text" name="name_fa" required maxlength="200" value=(d.name_fa); }
            label { "نام انگلیسی" input type="text" name="name_en" dir="ltr" maxlength="200" value=(d.name_en); }
            label { "محور" span.hint { "شاخص‌های هم‌محور در شاخص اولویت با هم جمع می‌شوند" }
                input type="text" name="theme" required maxlength="100" value=(d.theme); }
            label { (crate::layout::term("یکا (واحد اندازه)", "واحدی که مقدار با آن خوانده می‌شود، مثلاً «نفر در هر ۱۰۰۰ نفر»")) input type="text" name="unit_fa" maxlength="100" value=(d.unit_fa); }
            label { "بدتر است اگر" (choice("worse", &d.worse, &[("higher", "بیشتر باشد"), ("lower", "کمتر باشد")])) }
            label { (crate::layout::term("صورت (آنچه شمرده می‌شود)", "آنچه در هر مکان شمرده یا گزارش می‌شود، مثلاً شمار متکدیان دیده‌شده")) (choice("numerator", &d.numerator, &NUMERATORS.map(|n| (n.code(), numerator_source_fa(n))))) }
            fieldset.categories {
                legend { "دسته‌های رویداد (برای صورتِ رویدادی)" }
                @for c in &categories {
                    label.check { input type="checkbox" name="categories" value=(c.code) checked[d.categories.contains(&c.code)]; (c.name_fa) }
                }
            }
            fieldset.categories {
                legend { "دسته‌های افراد (برای صورتِ دیدارها و افراد ثبت‌شده)" }
                @for c in &person_categories {
                    label.check { input type="checkbox" name="person_categories" value=(c.code) checked[d.categories.contains(&c.code)]; (c.name_fa) }
                }
            }
            label { "تعریف صورت" input type="text" name="numerator_fa" required maxlength="500" value=(d.numerator_fa); }
            label.check { input type="checkbox" name="numerator_is_count" value="1" checked[d.numerator_is_count]; "صورت یک شمارش است (شمار کوچک پنهان می‌شود)" }
            label { (crate::layout::term("مخرج (نسبت به)", "آن‌چه شمار بر آن تقسیم می‌شود تا مکان‌های بزرگ و کوچک هم‌سنجیدنی شوند: جمعیت یا مساحت")) (choice("denominator", &d.denominator, &[("population", "جمعیت"), ("area", "مساحت (کیلومتر مربع)"), ("none", "ندارد")])) }
            label { "پایهٔ نرخ"
                select name="rate_base" {
                    @for (code, label) in &bases { option value=(code) selected[*code == d.rate_base] { (label) } }
                }
            }
            label { "دستگاه منبع"
                select name="source_agency" {
                    option value="" { "—" }
                    @for a in &agencies { option value=(a.code) selected[a.code == d.source_agency] { (a.name_fa) } }
                }
            }
            label { "انتشار" (choice("publication", &d.publication, &[("public", "عمومی"), ("restricted", "محدود (تنها دارندگان دسترسی آماری)")])) }
            label { "یادداشت" textarea name="note_fa" rows="3" maxlength="2000" { (d.note_fa) } }
            button.primary type="submit" { @if d.existing { "ذخیرهٔ نسخهٔ تازه" } @else { "ذخیره" } }
        }
    };
    Ok(layout::page(&title, user, Section::Atlas, body))
}

/// `POST /atlas/define-indicator`: saves the definition (a new indicator or the next
/// version of one) and opens it; an error shows the form again with what was typed.
pub async fn define_submit(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm<FormPairs>,
) -> Response {
    if !atlas::may_define(&user.actor) {
        return AppError::Forbidden("تعریف شاخص تنها برای مدیر سامانه و تحلیل‌گر است.".into())
            .into_response();
    }
    let draft = Draft::from_form(&form);
    let saved: Result<Indicator, String> = async {
        let input = draft.to_input()?;
        let definition = atlas::indicator_definition(&state.store, input)
            .await
            .map_err(store_message)?
            .map_err(|(_, why)| why)?;
        state
            .store
            .save_indicator(&Who::of(&user.actor), &definition)
            .await
            .map_err(store_message)
    }
    .await;
    match saved {
        Ok(i) => Redirect::to(&format!("/atlas/indicators/{}", i.code)).into_response(),
        Err(why) => {
            crate::pages::form_again(define_markup(&state, &user, &draft, Some(&why)).await)
        }
    }
}

/// What the user is told when saving fails: the store's own reason for bad input, a
/// plain apology (and a log line without the input) for anything else.
pub(super) fn store_message(e: hamafza_store::StoreError) -> String {
    match e {
        e @ (hamafza_store::StoreError::Invalid { .. }
        | hamafza_store::StoreError::Conflict { .. }) => crate::words::store_error(&e),
        e => {
            tracing::error!(error = %e, "saving a definition");
            "ذخیره ممکن نشد (خطای داخلی)؛ دوباره بکوشید.".into()
        }
    }
}

/// The code of a versioned definition (an indicator, a priority index): typed for a new
/// one; fixed, and shown, for the next version of an existing one.
pub(crate) fn code_field(existing: bool, code: &str, hint: &str) -> Markup {
    html! {
        @if existing {
            input type="hidden" name="existing" value="1";
            input type="hidden" name="code" value=(code);
            p { "کد: " (bdi(code)) }
        } @else {
            label { "کد" span.hint { (hint) }
                input type="text" name="code" required dir="ltr" maxlength="64" value=(code); }
        }
    }
}

/// The numerators an administrator picks from, in the form's order.
const NUMERATORS: [Numerator; 5] = [
    Numerator::Events,
    Numerator::Imported,
    Numerator::Encounters,
    Numerator::NewPeople,
    Numerator::ReturningPeople,
];

/// Where a numerator comes from, in Persian.
fn numerator_source_fa(n: Numerator) -> &'static str {
    match n {
        Numerator::Events => "شمار زندهٔ رویدادها",
        Numerator::Imported => "مقدار واردشده از دستگاه",
        Numerator::Encounters => "شمار زندهٔ دیدارهای ثبت‌شده با افراد (با نام یا بی‌نام)",
        Numerator::NewPeople => "شمار زندهٔ افرادی که نخستین بار دیده شدند",
        Numerator::ReturningPeople => "شمار زندهٔ دیدارهای دوباره با افراد ثبت‌شده",
    }
}
