//! A later contact with a person on record: `POST /api/v1/persons/{id}/encounters` and
//! the form on the person's page. The store checks who may and where.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_core::ids::PersonId;
use hamafza_store::people::NewEncounter;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::extract::{ApiJson, ApiUser, CsrfForm, FormPairs, PathId};

/// A contact as JSON or the form gives it.
#[derive(Deserialize, Default)]
pub struct EncounterIn {
    category: Option<String>,
    /// The place's id.
    place: Option<String>,
    /// Jalali «۱۴۰۵/۰۹/۱۱ ۱۰:۳۰» or RFC 3339; now when absent.
    occurred_at: Option<String>,
    note: Option<String>,
}

impl EncounterIn {
    fn read(self, now: time::OffsetDateTime) -> Result<NewEncounter, AppError> {
        let given = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let category = given(self.category)
            .ok_or_else(|| AppError::invalid("category", "دستهٔ این دیدار را برگزینید"))?;
        let place = given(self.place)
            .ok_or_else(|| AppError::invalid("place", "محل دیدار را برگزینید"))?
            .parse()
            .map_err(|_| AppError::invalid("place", "مکان را از فهرست برگزینید"))?;
        let occurred_at = match given(self.occurred_at) {
            None => now,
            Some(t) => hamafza_core::jalali::parse_instant(&t).ok_or_else(|| {
                AppError::invalid(
                    "occurred_at",
                    "زمان را به شکل ۱۴۰۵/۰۹/۱۱ ۱۰:۳۰ یا RFC 3339 بنویسید",
                )
            })?,
        };
        Ok(NewEncounter {
            category,
            place,
            occurred_at,
            note: given(self.note),
        })
    }
}

async fn record(
    state: &AppState,
    user: &CurrentUser,
    person: PersonId,
    input: EncounterIn,
) -> Result<hamafza_core::ids::EncounterId, AppError> {
    let now = time::OffsetDateTime::now_utc();
    let new = input.read(now)?;
    Ok(state
        .store
        .record_encounter(&user.actor, person, &new, super::today(state), now)
        .await?)
}

pub async fn record_api(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(person): PathId<PersonId>,
    ApiJson(body): ApiJson<EncounterIn>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let id = record(&state, &user, person, body).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "encounter": id, "person": person })),
    ))
}

pub async fn record_submit(
    State(state): State<AppState>,
    PathId(person): PathId<PersonId>,
    CsrfForm { user, form }: CsrfForm<FormPairs>,
) -> Result<Response, AppError> {
    let get = |k: &str| form.get(k).map(str::to_string);
    let input = EncounterIn {
        category: get("category"),
        place: get("place"),
        occurred_at: get("occurred_at"),
        note: get("note"),
    };
    record(&state, &user, person, input).await?;
    Ok(Redirect::to(&format!("/people/{person}?saved=encounter")).into_response())
}

/// The form on a person's page: met again, where, under which category.
pub fn record_form(
    user: &CurrentUser,
    person: PersonId,
    places: &[hamafza_store::Place],
    categories: &[hamafza_store::people::PersonCategory],
) -> Markup {
    html! {
        h2 { "ثبت دیدار تازه" }
        form.stack method="post" action={ "/people/" (person) "/encounters" } {
            input type="hidden" name="csrf" value=(user.csrf());
            label { "دسته" select name="category" required {
                @for c in categories { option value=(c.code) { (c.name_fa) } }
            } }
            label { "محل دیدار" select name="place" required {
                option value="" { "برگزینید" }
                @for p in places { option value=(p.id) { (p.name_fa) } }
            } }
            label { "زمان (خالی: همین حالا)" input type="text" name="occurred_at" placeholder="۱۴۰۵/۰۹/۱۱ ۱۰:۳۰"; }
            label { "یادداشت" input type="text" name="note" maxlength="2000"; }
            button.primary type="submit" { "ثبت دیدار" }
        }
    }
}
