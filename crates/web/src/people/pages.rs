//! The registry's pages: the street registration form (phone first), search, a
//! person's page with their timeline and consent history, and the access report. A
//! page that shows names asks once per session and subject why the caller looks.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_core::access::{Action, Decision, DenyReason, Target, decide, scope};
use hamafza_core::ids::PersonId;
use hamafza_core::people::{Consent, DataQuality, Nationality, Purpose, PurposeKind, Sex};
use hamafza_core::place::PlaceLevel;
use hamafza_store::PlaceFilter;
use hamafza_store::people::{Field, PeopleQuery, Person, PersonReader, Registered};
use maud::{Markup, html};
use serde::Deserialize;

use super::input::PersonIn;
use crate::AppState;
use crate::auth::{Credential, CurrentUser};
use crate::error::AppError;
use crate::extract::{CsrfForm, FormPairs, PageQuery, PathId};
use crate::layout::{self, Section, num};

/// The session's key for the purposes it gave (pages are for browser sessions only).
fn session_key(user: &CurrentUser) -> Option<&str> {
    match &user.credential {
        Credential::Session { token_hash, .. } => Some(token_hash),
        Credential::Bearer => None,
    }
}

/// The purpose this session gave for `subject`, if any.
pub(super) async fn purpose_given(
    state: &AppState,
    user: &CurrentUser,
    subject: &str,
) -> Result<Option<Purpose>, AppError> {
    match session_key(user) {
        Some(key) => Ok(state.store.session_purpose(key, subject).await?),
        None => Ok(None),
    }
}

/// The page that asks why, before names are shown; it comes back to `back`.
pub(super) fn ask_purpose(user: &CurrentUser, subject: &str, back: &str, what: &str) -> Markup {
    let body = html! {
        h1 { "چرا این اطلاعات را می‌بینید؟" }
        p { "پیش از دیدن " (what) " هدف خود را بگویید. این هدف همراه هر بار دیدن در دفتر رویدادها ثبت می‌شود و در گزارش دسترسی فرد دیده می‌شود؛ در این نشست یک بار پرسیده می‌شود." }
        form.stack method="post" action="/people/purpose" {
            input type="hidden" name="csrf" value=(user.csrf());
            input type="hidden" name="subject" value=(subject);
            input type="hidden" name="back" value=(back);
            fieldset.categories {
                legend { "هدف" }
                @for k in PurposeKind::ALL {
                    label.check { input type="radio" name="purpose" value=(k.code()) required; (k.name_fa()) }
                }
            }
            label { "توضیح (برای «دیگر» لازم است)" input type="text" name="purpose_text" maxlength="300"; }
            button.primary type="submit" { "ادامه" }
        }
    };
    layout::page("هدف از دیدن", user, Section::People, body)
}

#[derive(Deserialize)]
pub struct PurposeForm {
    subject: String,
    back: String,
    purpose: Option<String>,
    purpose_text: Option<String>,
}

/// Keeps the session's purpose for a subject and goes back to the page that asked.
pub async fn purpose_submit(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm<PurposeForm>,
) -> Result<Response, AppError> {
    // Only back into the registry's pages (people, cases): never an open redirect.
    let into_registry = ["/people", "/cases"]
        .iter()
        .any(|page| form.back.starts_with(page));
    if !into_registry || form.back.contains("//") || form.back.contains('\\') {
        return Err(AppError::bad_request("نشانی بازگشت نامعتبر است."));
    }
    let purpose = super::purpose(form.purpose.as_deref(), form.purpose_text.as_deref())?;
    let key = session_key(&user).ok_or(AppError::Unauthenticated { expired: false })?;
    state
        .store
        .set_session_purpose(key, &form.subject, &purpose)
        .await?;
    Ok(Redirect::to(&form.back).into_response())
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    category: Option<String>,
    /// `1`: the child-protection view (children's records only).
    children: Option<String>,
    saved: Option<String>,
}

pub async fn search_page(
    State(state): State<AppState>,
    user: CurrentUser,
    PageQuery(query): PageQuery<SearchQuery>,
) -> Result<Response, AppError> {
    if let Decision::Deny(r) = decide(&user.actor, Action::LocatePerson, Target::Collection) {
        return Err(r.into());
    }
    let q = query.q.clone().unwrap_or_default();
    let category = query.category.clone().unwrap_or_default();
    let protects = super::protects_children(&state, &user).await?;
    let children_only = query.children.as_deref() == Some("1");
    if children_only && !protects {
        return Err(AppError::from(DenyReason::Role));
    }
    let Some(purpose) = purpose_given(&state, &user, "people").await? else {
        let back = format!(
            "/people?q={}&category={}{}",
            urlencoding(&q),
            urlencoding(&category),
            if children_only { "&children=1" } else { "" }
        );
        return Ok(ask_purpose(&user, "people", &back, "فهرست افراد").into_response());
    };
    let reader = PersonReader {
        actor: &user.actor,
        purpose: &purpose,
        today: super::today(&state),
    };
    let (cards, total) = state
        .store
        .find_people(
            &reader,
            &PeopleQuery {
                q: Some(q.clone()).filter(|s| !s.trim().is_empty()),
                category: Some(category.clone()).filter(|s| !s.is_empty()),
                children_only,
                limit: 100,
                offset: 0,
            },
        )
        .await?;
    let categories = state.store.person_categories().await?;
    let name_of = |code: &str| {
        categories
            .iter()
            .find(|c| c.code == code)
            .map_or(code.to_string(), |c| c.name_fa.clone())
    };
    let may_register = decide(&user.actor, Action::RegisterPeople, Target::Collection).is_allowed();
    let followups = if children_only {
        Vec::new()
    } else {
        state.store.consent_followups(&user.actor).await?
    };
    let body = html! {
        @if children_only {
            h1 { "کودکان — نمای حمایت از کودک" }
            p.hint { "پرونده‌های افراد زیر ۱۸ سال (از تاریخ یا سن گفته‌شده، یا ثبت‌شده به‌عنوان کودک کار و خیابان). دیگران نام این کودکان را در هیچ فهرستی نمی‌بینند." }
        } @else {
            h1 { "افراد" }
        }
        @if let Some(saved) = &query.saved {
            p.flash.ok role="status" { (saved_message(saved)) }
        }
        p {
            @if may_register { a.button.primary href="/people/new" { "ثبت فرد یا دیدار تازه" } " " }
            a href="/cases" { "پرونده‌های دستگاه شما" } " · "
            a href="/referrals" { "ارجاع‌های دستگاه شما" } " · "
            a href="/people/flow" { "ورود و خروج ماهانه" }
            @if protects && !children_only { " · " a href="/people?children=1" { "کودکان" } }
            @if children_only { " · " a href="/people" { "همهٔ افراد" } }
            @if user.actor.has(hamafza_core::access::Role::RegistrySupervisor) { " · " a href="/people/matches" { "سوابق تکراری" } }
        }
        @if !followups.is_empty() {
            h2 { "دوباره بپرسید" }
            p.hint { "این افراد توان تصمیم دربارهٔ رضایت نداشتند و نامی از آنان نگه داشته نشد. در دیدار بعدی دوباره بپرسید و با رضایتشان ثبت کنید، سپس اینجا بزنید «پرسیده شد»." }
            div.table-wrap { table {
                thead { tr { th { "دیدار" } th { "محل" } th { "دسته" } th { "تا" } th { "" } } }
                tbody {
                    @for f in &followups {
                        tr {
                            td { (layout::instant(&f.met_at)) }
                            td { (f.place.clone().unwrap_or_default()) }
                            td { (name_of(&f.category)) }
                            td { (layout::instant(&f.due)) }
                            td { form method="post" action={ "/people/followups/" (f.id) "/done" } {
                                input type="hidden" name="csrf" value=(user.csrf());
                                button type="submit" { "پرسیده شد" }
                            } }
                        }
                    }
                }
            } }
        }
        form.inline role="search" method="get" action="/people" {
            @if children_only { input type="hidden" name="children" value="1"; }
            label { "نام، کد ملی یا شمارهٔ همراه" input type="search" name="q" value=(q) maxlength="200"; }
            label { "دسته" select name="category" {
                option value="" { "همه" }
                @for c in &categories { option value=(c.code) selected[c.code == category] { (c.name_fa) } }
            } }
            button.primary type="submit" { "جست‌وجو" }
        }
        p.hint { "هدف شما در این نشست: " (purpose.text_fa()) ". هر نامی که این فهرست نشان می‌دهد با این هدف ثبت می‌شود." }
        p {
            @if total > hamafza_store::people::COUNT_BOUND { "بیش از " (num(hamafza_store::people::COUNT_BOUND)) " نفر" } @else { (num(total)) " نفر" }
            @if total > cards.len() as i64 { " (" (num(cards.len() as i64)) " نفرِ تازه‌تر نشان داده شده؛ برای یافتن کسی نام یا کد ملی را دقیق‌تر بنویسید)" }
        }
        div.table-wrap { table {
            thead { tr { th { "نام" } th { "نام پدر" } th { "تولد" } th { "دسته" } th { "دستگاه ثبت‌کننده" } } }
            tbody {
                @for c in &cards {
                    tr {
                        td {
                            @match &c.name {
                                Some(n) => { a href={ "/people/" (c.id) } { (n) } }
                                None => {
                                    a href={ "/people/" (c.id) } {
                                        @if c.child { "کودک — نام پنهان" } @else { "نام پنهان (بدون رضایت اشتراک)" }
                                    }
                                }
                            }
                        }
                        td { (c.father_name.clone().unwrap_or_default()) }
                        td { (c.birth.clone().unwrap_or_default()) }
                        td { (c.categories.iter().map(|k| name_of(k)).collect::<Vec<_>>().join("، ")) }
                        td { (c.agency.name_fa) }
                    }
                }
            }
        } }
    };
    Ok(layout::page("افراد", &user, Section::People, body).into_response())
}

/// Marks a reminder to ask again as done.
pub async fn followup_done(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    CsrfForm { user, form: _ }: CsrfForm<FormPairs>,
) -> Result<Response, AppError> {
    state.store.close_consent_followup(&user.actor, &id).await?;
    Ok(Redirect::to("/people?saved=asked").into_response())
}

fn saved_message(code: &str) -> &'static str {
    match code {
        "asked" => "ثبت شد که دوباره پرسیده شد. اگر رضایت داد، با «ثبت فرد» ثبتش کنید.",
        "encounter" => {
            "دیدار ثبت شد؛ چون رضایت نبود، نامی نگه داشته نشد و فقط برای شمارش به کار می‌رود."
        }
        "ask_again" => {
            "دیدار ثبت شد، بی‌نام. یادآوری برای پرسیدن دوبارهٔ رضایت تا یک هفتهٔ دیگر ساخته شد."
        }
        "child" => "ثبت شد. پروندهٔ کودک فقط برای کارشناسان حمایت از کودک دیدنی است.",
        _ => "ثبت شد.",
    }
}

/// Percent-encodes a query value.
fn urlencoding(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The places a registering officer picks from: districts and neighbourhoods in their
/// jurisdiction.
pub(super) async fn registry_places(
    state: &AppState,
    user: &CurrentUser,
) -> Result<Vec<hamafza_store::Place>, AppError> {
    let visible = scope(&user.actor, Action::ViewPlace);
    let mut out = Vec::new();
    for level in [PlaceLevel::District, PlaceLevel::Neighbourhood] {
        let (places, _) = state
            .store
            .list_places(
                &visible,
                &PlaceFilter {
                    level: Some(level),
                    limit: 1000,
                    ..Default::default()
                },
            )
            .await?;
        out.extend(places.into_iter().filter(|p| user.actor.covers(&p.path)));
    }
    Ok(out)
}

pub async fn register_page(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Markup, AppError> {
    register_form(&state, &user, None, &FormPairs(Vec::new()), &[]).await
}

/// A select of the data-quality codes for a field left empty, beside (not inside) the
/// field's label, so the field's name stays its label alone.
fn why_empty(name: &str, field: &str, form: &FormPairs) -> Markup {
    let chosen = form.get(name).unwrap_or("");
    html! {
        select.why-empty name=(name) aria-label=(format!("{field}: اگر خالی است، چرا؟")) {
            option value="" { "اگر خالی است، چرا؟" }
            @for q in DataQuality::ALL.iter().filter(|q| **q != DataQuality::Full) {
                option value=(q.code()) selected[q.code() == chosen] { (q.name_fa()) }
            }
        }
    }
}

/// A person's fields, as the registration and the edit forms take them (`form` holds
/// what was typed, or the record being corrected).
pub(super) fn person_fields(
    form: &FormPairs,
    places: &[hamafza_store::Place],
    categories: &[hamafza_store::people::PersonCategory],
    with_note: bool,
) -> Markup {
    let value = |k: &str| form.get(k).unwrap_or("").to_string();
    let chosen_categories = form.all("categories");
    html! {
    fieldset.categories {
        legend { "دسته" }
        @for c in categories {
            label.check { input type="checkbox" name="categories" value=(c.code) checked[chosen_categories.contains(&c.code)]; (c.name_fa) }
        }
    }
    fieldset.categories {
        legend { "جنس" }
        @for s in Sex::ALL {
            label.check { input type="radio" name="sex" value=(s.code()) checked[value("sex") == s.code()]; (s.name_fa()) }
        }
    }
    div.field { label { "نام" input type="text" name="given_name" value=(value("given_name")) maxlength="100" autocomplete="off"; } (why_empty("given_name_quality", "نام", form)) }
    div.field { label { "نام خانوادگی" input type="text" name="family_name" value=(value("family_name")) maxlength="100" autocomplete="off"; } (why_empty("family_name_quality", "نام خانوادگی", form)) }
    div.field {
        label { "تولد" input type="text" name="birth" value=(value("birth")) inputmode="numeric" placeholder="مثلاً ۳۰ یا ۱۳۷۴ یا ۱۳۷۴/۰۵/۱۲"; }
        select name="birth_kind" aria-label="گونهٔ تاریخ تولد" {
            option value="about" selected[value("birth_kind") == "about"] { "سن تقریبی (سال)" }
            option value="year" selected[value("birth_kind") == "year"] { "سال تولد" }
            option value="date" selected[value("birth_kind") == "date"] { "تاریخ کامل" }
        }
        (why_empty("birth_quality", "تولد", form))
    }
    label { "ملیت" select name="nationality" {
        option value="" { "—" }
        @for n in Nationality::ALL { option value=(n.code()) selected[value("nationality") == n.code()] { (n.name_fa()) } }
    } }
    div.field { label { "کد ملی، یا برای اتباع شمارهٔ کارت اقامت یا گذرنامه" input type="text" name="national_id" value=(value("national_id")) inputmode="numeric" dir="ltr" autocomplete="off"; } (why_empty("identifier_quality", "کد ملی، یا برای اتباع شمارهٔ کارت اقامت یا گذرنامه", form)) }
    div.field { label { "شمارهٔ همراه" input type="tel" name="mobile" value=(value("mobile")) dir="ltr" placeholder="۰۹۱۲۳۴۵۶۷۸۹"; } (why_empty("mobile_quality", "شمارهٔ همراه", form)) }
    details open[!value("guardian_name").is_empty()] {
        summary { "سرپرست (برای کودک، یا وقتی رضایت را سرپرست داده است)" }
        label { "نام سرپرست" input type="text" name="guardian_name" value=(value("guardian_name")) maxlength="100" autocomplete="off"; }
        label { "نسبت" input type="text" name="guardian_relation" value=(value("guardian_relation")) maxlength="40" placeholder="مادر، پدر، عمو…"; }
        label { "همراه سرپرست" input type="tel" name="guardian_mobile" value=(value("guardian_mobile")) dir="ltr" placeholder="۰۹۱۲۳۴۵۶۷۸۹"; }
    }
    details {
        summary { @if with_note { "بیشتر: نام پدر، محل زندگی، زبان، یادداشت" } @else { "بیشتر: نام پدر، محل زندگی، زبان" } }
        div.field { label { "نام پدر" input type="text" name="father_name" value=(value("father_name")) maxlength="100"; } (why_empty("father_name_quality", "نام پدر", form)) }
        label { "محل زندگی" select name="lives_place" {
            option value="" { "نامعلوم" }
            @for p in places { option value=(p.id) selected[value("lives_place") == p.id.to_string()] { (p.name_fa) } }
        } }
        label { "زبان‌ها (با ویرگول جدا کنید)" input type="text" name="languages" value=(value("languages")); }
        @if with_note { label { "یادداشت" textarea name="note" maxlength="2000" { (value("note")) } } }
    }
    }
}

async fn register_form(
    state: &AppState,
    user: &CurrentUser,
    error: Option<&str>,
    form: &FormPairs,
    matches: &[hamafza_store::linkage::LikelyMatch],
) -> Result<Markup, AppError> {
    if let Decision::Deny(r) = decide(&user.actor, Action::RegisterPeople, Target::Collection) {
        return Err(r.into());
    }
    let places = registry_places(state, user).await?;
    let categories = state.store.person_categories().await?;
    let value = |k: &str| form.get(k).unwrap_or("").to_string();
    let body = html! {
        h1 { "ثبت در نخستین دیدار" }
        p.hint { "فقط آنچه فرد می‌گوید. هیچ عکس یا داده‌ٔ زیستی گرفته نمی‌شود. بی‌رضایت، نامی نگه داشته نمی‌شود و دیدار فقط شمرده می‌شود." }
        @if let Some(e) = error { p.flash.error role="alert" { (e) } }
        form.stack.register method="post" action="/people/new" {
            input type="hidden" name="csrf" value=(user.csrf());
            fieldset.categories {
                legend { "رضایت فرد" }
                @for c in Consent::ALL {
                    label.check { input type="radio" name="consent" value=(c.code()) required checked[value("consent") == c.code()]; (c.name_fa()) }
                }
            }
            label { "محل دیدار" select name="met_place" required {
                option value="" { "برگزینید" }
                @for p in &places { option value=(p.id) selected[value("met_place") == p.id.to_string()] { (p.name_fa) } }
            } }
            (person_fields(form, &places, &categories, true))
            @if !matches.is_empty() { (crate::linkage::pages::matches_panel(matches)) }
            button.primary type="submit" { "ثبت" }
        }
    };
    Ok(layout::page("ثبت فرد", user, Section::People, body))
}

pub async fn register_submit(
    State(state): State<AppState>,
    CsrfForm { user, form }: CsrfForm<FormPairs>,
) -> Response {
    let attempt = async {
        let contact = PersonIn::from_pairs(&form).into_contact(time::OffsetDateTime::now_utc())?;
        let today = super::today(&state);
        // Before a named record is saved: does the person seem to be on record already?
        let named = contact
            .consent
            .allows(hamafza_core::people::ConsentUse::KeepNamed);
        let link = match form.get("link_to") {
            Some("new") | None => None,
            Some(choice) => {
                let (id, p) = choice.split_once('|').unwrap_or((choice, ""));
                let id: PersonId = id
                    .parse()
                    .map_err(|_| AppError::invalid("link_to", "سابقه را از فهرست برگزینید"))?;
                let reason = form.get("link_reason").unwrap_or("").trim();
                if reason.is_empty() {
                    return Err(AppError::invalid(
                        "link_reason",
                        "برای پیوند زدن، دلیل را بنویسید (مثلاً «همان نام پدر و سال تولد»)",
                    ));
                }
                Some((id, p.parse::<f64>().ok(), reason.to_string()))
            }
        };
        if named && form.get("matches_seen").is_none() {
            let found = super::likely_matches(&state, &user, &contact).await?;
            if !found.is_empty() {
                return Ok(Err(found));
            }
        }
        let kept = state.store.register(&user.actor, &contact, today).await?;
        Ok::<_, AppError>(Ok(match kept {
            Registered::Person { person_id, .. } => {
                if let Some((other, probability, reason)) = &link {
                    state
                        .store
                        .link_at_registration(
                            &user.actor,
                            person_id,
                            *other,
                            *probability,
                            reason,
                            today,
                        )
                        .await?;
                }
                // Registering is serving: the officer's purpose for this person is set.
                let service = Purpose {
                    kind: PurposeKind::Service,
                    text: None,
                };
                if let Some(key) = session_key(&user) {
                    state
                        .store
                        .set_session_purpose(key, &person_id.to_string(), &service)
                        .await?;
                }
                let access = state
                    .store
                    .person_access(&user.actor, person_id, today)
                    .await?;
                if access.decide(&user.actor, Action::ViewPerson).is_allowed() {
                    let saved = if link.is_some() { "linked" } else { "1" };
                    format!("/people/{person_id}?saved={saved}")
                } else {
                    "/people?saved=child".to_string()
                }
            }
            Registered::Encounter { ask_again, .. } => {
                format!(
                    "/people?saved={}",
                    if ask_again { "ask_again" } else { "encounter" }
                )
            }
        }))
    };
    match attempt.await {
        Ok(Ok(to)) => Redirect::to(&to).into_response(),
        Ok(Err(matches)) => {
            let message =
                "پیش از ثبت: این فرد شاید پیش‌تر ثبت شده باشد. سوابق همانند را ببینید و برگزینید.";
            match register_form(&state, &user, Some(message), &form, &matches).await {
                Ok(page) => page.into_response(),
                Err(e) => e.into_response(),
            }
        }
        Err(e) => {
            crate::pages::refused_form(e, |message| async move {
                register_form(&state, &user, Some(&message), &form, &[]).await
            })
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct PersonPageQuery {
    saved: Option<String>,
}

pub async fn person_page(
    State(state): State<AppState>,
    user: CurrentUser,
    PathId(id): PathId<PersonId>,
    PageQuery(q): PageQuery<PersonPageQuery>,
) -> Result<Response, AppError> {
    let today = super::today(&state);
    let access = state.store.person_access(&user.actor, id, today).await?;
    match access.decide(&user.actor, Action::ViewPerson) {
        Decision::Allow => {}
        Decision::Deny(DenyReason::Agency) => {
            let stub = state.store.locate_person(&user.actor, id, today).await?;
            let body = html! {
                h1 { "فرد ثبت‌شده در دستگاه دیگر" }
                p.flash.ok role="status" { (super::held_elsewhere(&stub)) }
                p { "تاریخ ثبت: " (layout::instant(&stub.registered_at)) }
            };
            return Ok(layout::page("فرد", &user, Section::People, body).into_response());
        }
        Decision::Deny(r) => return Err(r.into()),
    }
    let subject = id.to_string();
    let Some(purpose) = purpose_given(&state, &user, &subject).await? else {
        return Ok(
            ask_purpose(&user, &subject, &format!("/people/{id}"), "پروندهٔ این فرد")
                .into_response(),
        );
    };
    let person = super::api::read(&state, &user, id, &purpose).await?;
    let may_report = access
        .decide(&user.actor, Action::ViewPersonAccessReport)
        .is_allowed();
    let may_edit = access.decide(&user.actor, Action::EditPerson).is_allowed()
        && person
            .consent
            .allows(hamafza_core::people::ConsentUse::KeepNamed);
    let consent_form = access
        .decide(&user.actor, Action::EditPerson)
        .is_allowed()
        .then(|| consent_form(&user, &person));
    let met_again = if access
        .decide(&user.actor, Action::RecordEncounter)
        .is_allowed()
    {
        let places = registry_places(&state, &user).await?;
        let categories = state.store.person_categories().await?;
        Some(super::encounters::record_form(
            &user,
            id,
            &places,
            &categories,
        ))
    } else {
        None
    };
    let open_case = if access.decide(&user.actor, Action::OpenCase).is_allowed() {
        Some(super::cases::open_form(&state, &user, id).await?)
    } else {
        None
    };
    let refer = match access.decide(&user.actor, Action::Refer) {
        Decision::Allow => Some(
            super::referrals::refer_form(
                &state,
                &user,
                id,
                person
                    .consent
                    .allows(hamafza_core::people::ConsentUse::Share),
            )
            .await?,
        ),
        _ => None,
    };
    let group = state
        .store
        .linked_group(&user.actor, id, super::today(&state))
        .await?;
    let may_unlink = user
        .actor
        .has(hamafza_core::access::Role::RegistrySupervisor);
    let reader = PersonReader {
        actor: &user.actor,
        purpose: &purpose,
        today,
    };
    let biometrics = crate::biometrics::pages::person_section(
        &state,
        &reader,
        id,
        user.csrf(),
        access
            .decide(&user.actor, Action::DeleteBiometric)
            .is_allowed(),
    )
    .await?;
    let body = html! {
        (person_body(&person, q.saved.as_deref(), may_report, &purpose))
        (crate::linkage::pages::linked_section(&group, &id.to_string(), user.csrf(), may_unlink))
        (biometrics)
        @if may_edit { p { a.button href={ "/people/" (id) "/edit" } { "اصلاح پرونده" } } }
        @if let Some(form) = met_again { (form) }
        @if let Some(form) = open_case { (form) }
        @if let Some(form) = refer { (form) }
        @if let Some(form) = consent_form { (form) }
    };
    Ok(layout::page("فرد", &user, Section::People, body).into_response())
}

/// The form a holding agency records a change of consent with.
fn consent_form(user: &CurrentUser, p: &Person) -> Markup {
    html! {
        h2 { "تغییر رضایت" }
        p.hint { "اگر فرد رضایتش را پس بگیرد (نداد یا توان تصمیم نداشت)، نام‌ها، شناسه‌ها و شمارهٔ همراهش همان دم پاک می‌شود و فقط آنچه برای شمارش لازم است می‌ماند." }
        form.stack method="post" action={ "/people/" (p.id) "/consent" } {
            input type="hidden" name="csrf" value=(user.csrf());
            fieldset.categories {
                legend { "رضایت اکنون" }
                @for c in Consent::ALL {
                    label.check { input type="radio" name="consent" value=(c.code()) required checked[c == p.consent]; (c.name_fa()) }
                }
            }
            label { "یادداشت" input type="text" name="note" maxlength="2000"; }
            button.primary type="submit" { "ثبت رضایت" }
        }
    }
}

pub async fn consent_submit(
    State(state): State<AppState>,
    PathId(id): PathId<PersonId>,
    CsrfForm { user, form }: CsrfForm<FormPairs>,
) -> Result<Response, AppError> {
    let consent = form
        .get("consent")
        .and_then(Consent::from_code)
        .ok_or_else(|| AppError::invalid("consent", "رضایت را برگزینید"))?;
    state
        .store
        .record_consent(
            &user.actor,
            id,
            consent,
            form.get("note"),
            time::OffsetDateTime::now_utc(),
            super::today(&state),
        )
        .await?;
    Ok(Redirect::to(&format!("/people/{id}?saved=consent")).into_response())
}

fn field_text(f: &Field<String>) -> Markup {
    match &f.value {
        Some(v) if f.quality == DataQuality::Partial => html! { (v) " " span.hint { "(ناقص)" } },
        Some(v) => html! { (v) },
        None => html! { span.hint { (f.quality.name_fa()) } },
    }
}

/// Everything that happened with a person, newest first: (when, what).
fn timeline(p: &Person) -> Vec<(&str, Markup)> {
    let mut out: Vec<(&str, Markup)> = Vec::new();
    for e in &p.encounters {
        out.push((
            &e.occurred_at,
            html! { "دیدار — " (e.agency) " — " (e.place.clone().unwrap_or_default()) " — " (e.category)
                @if let Some(n) = &e.note { p { (n) } } },
        ));
    }
    for c in &p.cases {
        out.push((
            &c.opened_at,
            html! { "پرونده گشوده شد — " a href={ "/cases/" (c.id) } { (c.agency) } },
        ));
        if let (Some(at), Some(r)) = (&c.closed_at, c.closure_reason) {
            out.push((
                at,
                html! { "پرونده بسته شد — " (c.agency) " — " (r.name_fa()) },
            ));
        }
    }
    for r in &p.referrals {
        out.push((
            &r.created_at,
            html! { "ارجاع از " (r.from_agency) " به " (r.to_agency) " — " (r.category) " — اکنون: " (r.state.name_fa()) },
        ));
    }
    for s in &p.services {
        out.push((
            &s.at,
            html! { "خدمت — " (s.service) " — " (s.provider.as_deref().unwrap_or(&s.agency))
            @if let Some(o) = &s.outcome { " — نتیجه: " (o) } },
        ));
    }
    // Instants are stored as RFC 3339 in UTC, so their text sorts as time does.
    out.sort_by(|a, b| b.0.cmp(a.0));
    out
}

fn person_body(p: &Person, saved: Option<&str>, may_report: bool, purpose: &Purpose) -> Markup {
    html! {
        h1 { (p.display_name()) @if p.child { " " span.badge { "کودک" } } }
        @match saved {
            Some("consent") => { p.flash.ok role="status" { "رضایت ثبت شد: " (p.consent.name_fa()) "." } }
            Some("encounter") => { p.flash.ok role="status" { "دیدار تازه ثبت شد و در گاه‌شمار آمد." } }
            Some("edited") => { p.flash.ok role="status" { "اصلاح‌ها ذخیره شد." } }
            Some("unchanged") => { p.flash.ok role="status" { "چیزی تغییر نکرده بود؛ پرونده همان است." } }
            Some("linked") => { p.flash.ok role="status" { "ثبت شد و به سابقهٔ پیشین همین فرد پیوند خورد (هر دو سابقه همان‌گونه می‌مانند)." } }
            Some("unlinked") => { p.flash.ok role="status" { "پیوند برداشته شد؛ هر سابقه همان است که پیش از پیوند بود." } }
            Some("biometric_deleted") => { p.flash.ok role="status" { "الگوی زیست‌سنجی حذف شد؛ از سامانهٔ تطبیق هم خواسته شد آن را حذف کند." } }
            Some(_) => { p.flash.ok role="status" { "ثبت شد. هر بار دیدن این پرونده با هدفش ثبت می‌شود." } }
            None => {}
        }
        p.hint { "هدف شما: " (purpose.text_fa()) }
        dl.facts {
            dt { "نام" } dd { (field_text(&p.given_name)) }
            dt { "نام خانوادگی" } dd { (field_text(&p.family_name)) }
            dt { "نام پدر" } dd { (field_text(&p.father_name)) }
            dt { "جنس" } dd { @match p.sex.value { Some(s) => { (s.name_fa()) } None => { span.hint { (p.sex.quality.name_fa()) } } } }
            dt { "تولد" } dd { @match p.birth.value { Some(b) => { (b.text_fa()) } None => { span.hint { (p.birth.quality.name_fa()) } } } }
            dt { "ملیت" } dd { @match p.nationality.value { Some(n) => { (n.name_fa()) } None => { span.hint { (p.nationality.quality.name_fa()) } } } }
            @if let Some(id) = &p.national_id { dt { "کد ملی" } dd { bdi { (hamafza_core::digits::to_persian(id)) } } }
            @if let Some(doc) = &p.foreign_document { dt { "کارت اقامت یا گذرنامه" } dd { bdi dir="ltr" { (doc) } } }
            @if p.national_id.is_none() && p.foreign_document.is_none() { dt { "شناسه" } dd { span.hint { (p.identifier_quality.name_fa()) } } }
            dt { "همراه" } dd { @match &p.mobile.value { Some(m) => { bdi dir="ltr" { (m) } } None => { span.hint { (p.mobile.quality.name_fa()) } } } }
            dt { "محل دیدار" } dd { (p.met_place.as_ref().map(|x| x.name_fa.clone()).unwrap_or_default()) }
            dt { "محل زندگی" } dd { (p.lives_place.as_ref().map_or("نامعلوم".to_string(), |x| x.name_fa.clone())) }
            dt { "دسته" } dd { (p.categories.join("، ")) }
            @if !p.languages.is_empty() { dt { "زبان" } dd { (p.languages.join("، ")) } }
            dt { "رضایت" } dd { (p.consent.name_fa()) }
            @if let Some(g) = &p.guardian {
                dt { "سرپرست" } dd { (g.name) @if let Some(r) = &g.relation { " (" (r) ")" } @if let Some(m) = &g.mobile { " — " bdi dir="ltr" { (m) } } }
            }
            dt { "ثبت" } dd { (p.registered_by_agency.name_fa) @if let Some(o) = &p.registered_by { " — " (o) } " — " (layout::instant(&p.registered_at)) }
        }
        h2 { "گاه‌شمار" }
        p.hint { "همهٔ دیدارها، پرونده‌ها، ارجاع‌ها و خدمت‌ها در همهٔ دستگاه‌ها، تازه‌ترین بالا." }
        ol.timeline {
            @for (at, entry) in timeline(p) {
                li { (layout::instant(at)) " — " (entry) }
            }
        }
        h2 { "پرونده‌ها" }
        @if p.cases.is_empty() { p.hint { "هنوز پرونده‌ای گشوده نشده است." } }
        ul {
            @for c in &p.cases {
                li { a href={ "/cases/" (c.id) } { (c.agency) " — گشوده در " (layout::instant(&c.opened_at)) }
                    @match (&c.closed_at, c.closure_reason) { (Some(_), Some(r)) => { " — بسته: " (r.name_fa()) } _ => { " — باز" } } }
            }
        }
        h2 { "تاریخچهٔ رضایت" }
        ul {
            @for c in &p.consents { li { (layout::instant(&c.given_at)) " — " (c.consent.name_fa()) " — " (c.agency) } }
        }
        @if may_report { p { a href={ "/people/" (p.id) "/access-report" } { "گزارش دسترسی: چه کسی، کی و چرا این پرونده را دیده است" } } }
    }
}

/// The reads of a person's access report, for a caller the policy lets see it and who
/// said why (or the page that asks why, coming back to `/people/{id}/access-report` with
/// `suffix`).
async fn access_report_reads(
    state: &AppState,
    user: &CurrentUser,
    id: PersonId,
    suffix: &str,
) -> Result<Result<(Purpose, Vec<hamafza_store::people::ReadEntry>), Response>, AppError> {
    let today = super::today(state);
    let access = state.store.person_access(&user.actor, id, today).await?;
    if let Decision::Deny(r) = access.decide(&user.actor, Action::ViewPersonAccessReport) {
        return Err(r.into());
    }
    let subject = format!("report:{id}");
    let Some(purpose) = purpose_given(state, user, &subject).await? else {
        let back = format!("/people/{id}/access-report{suffix}");
        return Ok(Err(ask_purpose(
            user,
            &subject,
            &back,
            "گزارش دسترسی این فرد",
        )
        .into_response()));
    };
    let reader = PersonReader {
        actor: &user.actor,
        purpose: &purpose,
        today,
    };
    let reads = state.store.person_access_report(&reader, id).await?;
    Ok(Ok((purpose, reads)))
}

pub async fn access_report_page(
    State(state): State<AppState>,
    user: CurrentUser,
    PathId(id): PathId<PersonId>,
) -> Result<Response, AppError> {
    let (purpose, reads) = match access_report_reads(&state, &user, id, "").await? {
        Ok(found) => found,
        Err(asks) => return Ok(asks),
    };
    let body = html! {
        h1 { "گزارش دسترسی" }
        p {
            a href={ "/people/" (id) "/access-report.pdf" } { "همین گزارش به PDF" } " · "
            a href={ "/people/" (id) "/access-report/subject.json" } { "همهٔ آنچه از این فرد نگه داشته می‌شود (JSON)" }
        }
        p { "هر بار دیدن این پرونده، با کاربر، دستگاه، زمان و هدف. این گزارش از دفتر رویدادهای زنجیره‌ای خوانده می‌شود و خودش هم یک بار دیدن است." }
        p { (num(reads.len() as i64)) " بار" }
        p.hint { "هدف شما از دیدن این گزارش: " (purpose.text_fa()) }
        div.table-wrap { table {
            thead { tr { th { "زمان" } th { "کاربر" } th { "دستگاه" } th { "کار" } th { "هدف" } } }
            tbody {
                @for r in &reads {
                    tr {
                        td { (layout::instant(&r.at)) }
                        td { (r.user.clone().unwrap_or_default()) }
                        td { (r.agency.clone().unwrap_or_default()) }
                        td { (crate::words::read_action(&r.action)) }
                        td { (r.purpose.as_ref().map(Purpose::text_fa).unwrap_or_default()) }
                    }
                }
            }
        } }
    };
    Ok(layout::page("گزارش دسترسی", &user, Section::People, body).into_response())
}

/// The subject-access report: everything held on the person — the record with each
/// field's data-quality code, consents, the timeline, and every read — as JSON, for
/// whoever may see the access report (itself two reads, audited).
pub async fn subject_report(
    State(state): State<AppState>,
    user: CurrentUser,
    PathId(id): PathId<PersonId>,
) -> Result<Response, AppError> {
    let (purpose, _) = match access_report_reads(&state, &user, id, "/subject.json").await? {
        Ok(found) => found,
        Err(asks) => return Ok(asks),
    };
    let reader = PersonReader {
        actor: &user.actor,
        purpose: &purpose,
        today: super::today(&state),
    };
    let person = state.store.read_person(&reader, id).await?;
    let reads = state.store.person_access_report(&reader, id).await?;
    let body = serde_json::to_vec_pretty(&serde_json::json!({ "person": person, "reads": reads }))
        .map_err(|_| AppError::Internal)?;
    Ok(crate::resolutions::documents::download(
        body,
        "application/json",
        &format!("subject-report-{id}.json"),
    ))
}

/// The access report as a Persian PDF (the same reads; itself a read, audited).
pub async fn access_report_pdf(
    State(state): State<AppState>,
    user: CurrentUser,
    PathId(id): PathId<PersonId>,
) -> Result<Response, AppError> {
    let today = super::today(&state);
    let (purpose, reads) = match access_report_reads(&state, &user, id, ".pdf").await? {
        Ok(found) => found,
        Err(asks) => return Ok(asks),
    };
    let document = crate::words::access_report(
        &id.to_string(),
        &reads,
        &format!("برای {} — {}", user.user.display_name, purpose.text_fa()),
        &today.format_long(),
    );
    let bytes = tokio::task::spawn_blocking(move || document.pdf())
        .await
        .map_err(AppError::from_join)?
        .map_err(|e| {
            tracing::error!(error = %e, "access report PDF");
            AppError::Internal
        })?;
    Ok(crate::resolutions::documents::download(
        bytes,
        "application/pdf",
        &format!("access-report-{id}.pdf"),
    ))
}
