//! Correcting a person's record: `PUT /api/v1/persons/{id}` and the edit page on the
//! person's page, for the agencies that hold the record (the store decides).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_core::access::{Action, Decision};
use hamafza_core::ids::PersonId;
use hamafza_core::people::{BirthSaid, DataQuality};
use hamafza_store::people::{Field, Person};
use maud::{Markup, html};
use serde_json::{Value, json};

use super::input::PersonIn;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::{ApiJson, ApiUser, CsrfForm, FormPairs, PathId};
use crate::layout::{self, Section};

/// Replaces the person's fields with the body's (as registration takes them, without
/// consent, place met and time); answers with the names of the fields that changed.
pub async fn edit_api(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(id): PathId<PersonId>,
    ApiJson(body): ApiJson<PersonIn>,
) -> Result<Json<Value>, AppError> {
    let person = body.person()?;
    let changed = state
        .store
        .edit_person(&user.actor, id, &person, super::today(&state))
        .await?;
    Ok(Json(json!({ "person": id, "changed": changed })))
}

/// The record as the form's fields, so the officer corrects what is there.
fn as_form(p: &Person) -> FormPairs {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut put = |k: &str, v: String| pairs.push((k.to_string(), v));
    let text = |put: &mut dyn FnMut(&str, String), name: &str, f: &Field<String>| {
        put(name, f.value.clone().unwrap_or_default());
        if f.quality != DataQuality::Full && f.value.is_none() {
            put(&format!("{name}_quality"), f.quality.code().to_string());
        }
    };
    text(&mut put, "given_name", &p.given_name);
    text(&mut put, "family_name", &p.family_name);
    text(&mut put, "father_name", &p.father_name);
    if let Some(s) = p.sex.value {
        put("sex", s.code().to_string());
    }
    match p.birth.value {
        Some(BirthSaid::Date { date }) => {
            put("birth_kind", "date".into());
            put("birth", date.format_numeric());
        }
        Some(BirthSaid::Year { year }) => {
            put("birth_kind", "year".into());
            put("birth", year.to_string());
        }
        Some(BirthSaid::About { years, .. }) => {
            put("birth_kind", "about".into());
            put("birth", years.to_string());
        }
        None => put("birth_quality", p.birth.quality.code().to_string()),
    }
    if let Some(n) = p.nationality.value {
        put("nationality", n.code().to_string());
    }
    match p.national_id.clone().or(p.foreign_document.clone()) {
        Some(id) => put("national_id", id),
        None => put(
            "identifier_quality",
            p.identifier_quality.code().to_string(),
        ),
    }
    text(&mut put, "mobile", &p.mobile);
    if let Some(l) = &p.lives_place {
        put("lives_place", l.id.to_string());
    }
    put("languages", p.languages.join("، "));
    for c in &p.categories {
        put("categories", c.clone());
    }
    if let Some(g) = &p.guardian {
        put("guardian_name", g.name.clone());
        put("guardian_relation", g.relation.clone().unwrap_or_default());
        put("guardian_mobile", g.mobile.clone().unwrap_or_default());
    }
    FormPairs(pairs)
}

async fn edit_form(
    state: &AppState,
    user: &CurrentUser,
    id: PersonId,
    form: &FormPairs,
    error: Option<&str>,
) -> Result<Markup, AppError> {
    let places = super::pages::registry_places(state, user).await?;
    let categories = state.store.person_categories().await?;
    Ok(layout::page(
        "اصلاح پرونده",
        user,
        Section::People,
        html! {
            h1 { "اصلاح پروندهٔ فرد" }
            p { a href={ "/people/" (id) } { "بازگشت به فرد" } }
            p.hint { "آنچه فرد می‌گوید یا مدرکش نشان می‌دهد. هر اصلاح با نام بخش‌های تغییرکرده (نه خود مقدارها) در دفتر رویدادها ثبت می‌شود." }
            @if let Some(e) = error { p.flash.error role="alert" { (e) } }
            form.stack.register method="post" action={ "/people/" (id) "/edit" } {
                input type="hidden" name="csrf" value=(user.csrf());
                (super::pages::person_fields(form, &places, &categories, false))
                button.primary type="submit" { "ذخیرهٔ اصلاح" }
            }
        },
    ))
}

pub async fn edit_page(
    State(state): State<AppState>,
    user: CurrentUser,
    PathId(id): PathId<PersonId>,
) -> Result<Response, AppError> {
    let access = state
        .store
        .person_access(&user.actor, id, super::today(&state))
        .await?;
    if let Decision::Deny(r) = access.decide(&user.actor, Action::EditPerson) {
        return Err(r.into());
    }
    let subject = id.to_string();
    let Some(purpose) = super::pages::purpose_given(&state, &user, &subject).await? else {
        return Ok(super::pages::ask_purpose(
            &user,
            &subject,
            &format!("/people/{id}/edit"),
            "پروندهٔ این فرد",
        )
        .into_response());
    };
    let person = super::api::read(&state, &user, id, &purpose).await?;
    Ok(edit_form(&state, &user, id, &as_form(&person), None)
        .await?
        .into_response())
}

pub async fn edit_submit(
    State(state): State<AppState>,
    PathId(id): PathId<PersonId>,
    CsrfForm { user, form }: CsrfForm<FormPairs>,
) -> Response {
    let attempt = async {
        let person = PersonIn::from_pairs(&form).person()?;
        let changed = state
            .store
            .edit_person(&user.actor, id, &person, super::today(&state))
            .await?;
        Ok::<_, AppError>(if changed.is_empty() {
            format!("/people/{id}?saved=unchanged")
        } else {
            format!("/people/{id}?saved=edited")
        })
    };
    match attempt.await {
        Ok(to) => Redirect::to(&to).into_response(),
        Err(e) => {
            crate::pages::refused_form(e, |message| async move {
                edit_form(&state, &user, id, &form, Some(&message)).await
            })
            .await
        }
    }
}
