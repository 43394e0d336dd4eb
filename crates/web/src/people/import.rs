//! `POST /api/v1/persons/import`: an agency's existing list (XLSX or CSV with Persian
//! headers) registered all or nothing — every bad row named with its row, column and
//! reason — except rows whose national id is on record already, set aside for the
//! duplicate review and listed.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hamafza_core::access::{Action, Decision, Target, decide};
use hamafza_store::people::Registered;
use serde_json::{Value, json};

use super::input::PersonIn;
use crate::AppState;
use crate::error::AppError;
use crate::extract::ApiUser;

/// (header, the field it fills), as the file's first row names them.
const COLUMNS: [(&str, &str); 17] = [
    ("نام", "given_name"),
    ("نام خانوادگی", "family_name"),
    ("نام پدر", "father_name"),
    ("جنس", "sex"),
    ("تولد", "birth"),
    ("ملیت", "nationality"),
    ("کد ملی", "national_id"),
    ("همراه", "mobile"),
    ("دسته", "categories"),
    ("محل دیدار", "met_place"),
    ("محل زندگی", "lives_place"),
    ("رضایت", "consent"),
    ("تاریخ دیدار", "occurred_at"),
    ("یادداشت", "note"),
    ("نام سرپرست", "guardian_name"),
    ("نسبت سرپرست", "guardian_relation"),
    ("همراه سرپرست", "guardian_mobile"),
];
const REQUIRED: [&str; 3] = ["دسته", "محل دیدار", "رضایت"];

/// A coded value as a person types it in a sheet: the code, or its Persian name.
fn code_of(value: &str, pairs: &[(&str, &[&str])]) -> String {
    let v = value.trim();
    pairs
        .iter()
        .find(|(code, names)| *code == v || names.contains(&v))
        .map_or_else(|| v.to_string(), |(code, _)| (*code).to_string())
}

/// A row the store refused: its row, the column (as the file names it) and why.
fn row_problem(row: usize, e: &hamafza_store::StoreError) -> Value {
    let field = match e {
        hamafza_store::StoreError::Invalid { field, .. } => Some(*field),
        _ => None,
    };
    // The national id column holds foreign documents too.
    let column = field
        .map(|f| {
            if f == "foreign_document" {
                "national_id"
            } else {
                f
            }
        })
        .and_then(|f| COLUMNS.iter().find(|(_, name)| *name == f).map(|(h, _)| *h));
    json!({ "row": row, "column": column, "field": field, "reason": crate::words::store_error(e) })
}

/// A place named by its code in a sheet: its id, or the column at fault.
async fn place_in(
    state: &AppState,
    code: Option<String>,
    header: &str,
) -> Result<Option<String>, AppError> {
    match code {
        None => Ok(None),
        Some(code) => match state.store.place_by_code(&code).await? {
            Some(p) => Ok(Some(p.id.to_string())),
            None => Err(AppError::invalid(
                header,
                format!("«{header}»: مکان «{code}» پیدا نشد"),
            )),
        },
    }
}

pub async fn import(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), AppError> {
    if let Decision::Deny(r) = decide(&user.actor, Action::RegisterPeople, Target::Collection) {
        return Err(r.into());
    }
    let bytes = body.to_vec();
    let table =
        tokio::task::spawn_blocking(move || hamafza_report::spreadsheet::read_table(&bytes))
            .await
            .map_err(AppError::from_join)?
            .map_err(AppError::bad_request)?;
    let Some((_, first)) = table.first() else {
        return Err(AppError::invalid("file", "پرونده هیچ ردیفی ندارد"));
    };
    let missing: Vec<&str> = REQUIRED
        .into_iter()
        .filter(|h| !first.contains_key(*h))
        .collect();
    if !missing.is_empty() {
        return Err(AppError::validation(
            format!(
                "ستون‌های {} لازم‌اند",
                missing
                    .iter()
                    .map(|m| format!("«{m}»"))
                    .collect::<Vec<_>>()
                    .join("، ")
            ),
            json!(
                missing
                    .iter()
                    .map(|m| json!({ "column": m }))
                    .collect::<Vec<_>>()
            ),
        ));
    }
    let now = time::OffsetDateTime::now_utc();
    let mut contacts = Vec::new();
    let mut problems: Vec<Value> = Vec::new();
    for (row, cells) in &table {
        let cell = |header: &str| {
            cells
                .get(header)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let (met, lives) = match (
            place_in(&state, cell("محل دیدار"), "محل دیدار").await,
            place_in(&state, cell("محل زندگی"), "محل زندگی").await,
        ) {
            (Ok(m), Ok(l)) => (m, l),
            (Err(e), _) | (_, Err(e)) => {
                problems.push(json!({ "row": row, "reason": e.detail() }));
                continue;
            }
        };
        let birth = cell("تولد").map(|b| hamafza_core::digits::to_ascii(&b));
        let (birth_date, birth_year, birth_about) = match birth {
            Some(b) if b.contains('/') || b.contains('-') => (Some(b), None, None),
            Some(b) if b.len() == 4 => (None, Some(b), None),
            Some(b) => (None, None, Some(b)),
            None => (None, None, None),
        };
        let input = PersonIn {
            given_name: cell("نام"),
            family_name: cell("نام خانوادگی"),
            father_name: cell("نام پدر"),
            sex: cell("جنس").map(|v| code_of(&v, &[("female", &["زن"]), ("male", &["مرد"])])),
            birth_date,
            birth_year,
            birth_about,
            nationality: cell("ملیت").map(|v| {
                code_of(
                    &v,
                    &[
                        ("iranian", &["ایرانی"]),
                        ("afghan", &["افغانستانی", "افغان"]),
                        ("other", &["سایر"]),
                    ],
                )
            }),
            national_id: cell("کد ملی"),
            mobile: cell("همراه"),
            guardian_name: cell("نام سرپرست"),
            guardian_relation: cell("نسبت سرپرست"),
            guardian_mobile: cell("همراه سرپرست"),
            met_place: met,
            lives_place: lives,
            categories: cell("دسته")
                .map(|v| {
                    v.split(['،', ';', ','])
                        .map(|c| c.trim().to_string())
                        .filter(|c| !c.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            consent: cell("رضایت").map(|v| {
                code_of(
                    &v,
                    &[
                        ("service", &["خدمت"]),
                        ("sharing", &["اشتراک", "خدمت و اشتراک"]),
                        ("guardian", &["سرپرست"]),
                        ("refused", &["نداد", "رضایت نداد"]),
                        ("unable", &["ناتوان"]),
                    ],
                )
            }),
            occurred_at: cell("تاریخ دیدار"),
            note: cell("یادداشت"),
            ..Default::default()
        };
        match input.into_contact(now) {
            Ok(c) => contacts.push((*row, c)),
            Err(e) => problems.push(json!({ "row": row, "reason": e.detail() })),
        }
    }
    // Category names as a person writes them become their codes.
    let categories = state.store.person_categories().await?;
    for (_, c) in &mut contacts {
        for k in &mut c.person.categories {
            if let Some(found) = categories.iter().find(|x| x.name_fa == *k) {
                *k = found.code.clone();
            }
        }
    }
    // The store's checks too, on the rows that could be read, so one answer names every
    // bad row.
    let today = super::today(&state);
    for (row, e) in state.store.check_all(&user.actor, &contacts, today).await? {
        problems.push(row_problem(row, &e));
    }
    problems.sort_by_key(|p| p["row"].as_u64().unwrap_or(0));
    if problems.is_empty() {
        match state
            .store
            .register_all(&user.actor, &contacts, today)
            .await?
        {
            Ok(done) => {
                let named = done
                    .registered
                    .iter()
                    .filter(|r| matches!(r, Registered::Person { .. }))
                    .count();
                return Ok((
                    StatusCode::CREATED,
                    Json(json!({
                        "registered": named,
                        "encounters_only": done.registered.len() - named,
                        "duplicates": done.duplicates.iter().map(|(row, id)| json!({ "row": row, "national_id": id })).collect::<Vec<_>>(),
                    })),
                ));
            }
            Err(rows) => {
                for (row, e) in rows {
                    let (field, reason) = match &e {
                        hamafza_store::StoreError::Invalid { field, .. } => {
                            (Some(*field), crate::words::store_error(&e))
                        }
                        _ => (None, crate::words::store_error(&e)),
                    };
                    // The national id column holds foreign documents too.
                    let field_name = field.map(|f| {
                        if f == "foreign_document" {
                            "national_id"
                        } else {
                            f
                        }
                    });
                    let column = field_name
                        .and_then(|f| COLUMNS.iter().find(|(_, name)| *name == f).map(|(h, _)| *h));
                    problems.push(
                        json!({ "row": row, "column": column, "field": field, "reason": reason }),
                    );
                }
            }
        }
    }
    Err(AppError::validation(
        format!(
            "هیچ فردی ثبت نشد؛ {} ردیف نادرست را درست کنید و دوباره بفرستید",
            hamafza_core::digits::to_persian(&problems.len().to_string())
        ),
        json!(problems),
    ))
}
