//! Indicator values by place as CSV, XLSX or GeoJSON, with small counts hidden for the
//! caller — and always hidden in a public export, whoever asks for it.

use axum::response::Response;
use hamafza_core::indicator::{Publication, Shown};
use hamafza_core::jalali::{JalaliDate, Period};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::atlas::{self, MapRequest};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::resolutions::documents::download;

#[derive(Deserialize)]
pub struct ExportQuery {
    place: String,
    indicator: String,
    period: Option<String>,
    /// csv (default), xlsx or geojson
    format: Option<String>,
    /// `true`/`1` for an export for publication (small counts hidden for everyone,
    /// public indicators only); `false`/`0` or absent for the caller's own view.
    public: Option<String>,
}

const HEADERS: [&str; 9] = [
    "place_code",
    "place_name",
    "indicator",
    "version",
    "period",
    "status",
    "value",
    "numerator",
    "denominator",
];

pub async fn export(
    state: &AppState,
    user: &CurrentUser,
    q: &ExportQuery,
) -> Result<Response, AppError> {
    let actor = &user.actor;
    let public = yes_or_no("public", q.public.as_deref())?;
    let place = atlas::visible_place(&state.store, actor, &q.place)
        .await?
        .ok_or(AppError::NotFound)?;
    let indicator = state
        .store
        .indicator(&q.indicator)
        .await?
        .filter(|i| atlas::may_see(actor, i))
        .filter(|i| !public || i.publication == Publication::Public)
        .ok_or(AppError::NotFound)?;
    let period = match q.period.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => Period::parse(p).map_err(|e| AppError::BadRequest(e.to_string()))?,
        None => super::view::default_period(JalaliDate::from_gregorian(state.clock.today())),
    };
    // A public export hides small counts whoever asks for it; the places in it are the
    // caller's to see, so it is the same for every role that may see them.
    let threshold = if public {
        Some(state.small_count)
    } else {
        atlas::threshold_for(actor, state.small_count)
    };
    let data = atlas::map_data(
        state,
        user.versions.atlas,
        actor,
        &MapRequest {
            place: &place,
            indicator: &indicator,
            period,
            method: hamafza_core::classify::Method::Quantile,
            classes: 5,
            threshold,
        },
    )
    .await?;
    let row_of = |p: &hamafza_store::Place, shown: &Shown| -> Vec<String> {
        let (status, value, numerator, denominator) = match shown {
            Shown::Value {
                value,
                numerator,
                denominator,
            } => (
                "value",
                value.to_string(),
                numerator.to_string(),
                denominator.map(|d| d.to_string()).unwrap_or_default(),
            ),
            Shown::Suppressed => ("suppressed", String::new(), String::new(), String::new()),
            Shown::NoData => ("no_data", String::new(), String::new(), String::new()),
        };
        vec![
            p.code.clone(),
            p.name_fa.clone(),
            indicator.code.clone(),
            indicator.version.to_string(),
            period.code(),
            status.to_string(),
            value,
            numerator,
            denominator,
        ]
    };
    let file = format!("{}-{}-{}", indicator.code, place.code, period.code());
    match q.format.as_deref().unwrap_or("csv") {
        "csv" => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let mut write = |r: &[String]| w.write_record(r).map_err(|_| AppError::Internal);
            write(&HEADERS.map(String::from))?;
            for r in &data.rows {
                write(&row_of(&r.place.place, &r.shown))?;
            }
            let bytes = w.into_inner().map_err(|_| AppError::Internal)?;
            // A byte-order mark so spreadsheet programs read the Persian names as UTF-8.
            let mut out = b"\xEF\xBB\xBF".to_vec();
            out.extend(bytes);
            Ok(download(
                out,
                "text/csv; charset=utf-8",
                &format!("{file}.csv"),
            ))
        }
        "xlsx" => {
            let rows: Vec<Vec<String>> = data
                .rows
                .iter()
                .map(|r| row_of(&r.place.place, &r.shown))
                .collect();
            let bytes = tokio::task::spawn_blocking(move || {
                hamafza_report::spreadsheet::write_table_xlsx("شاخص", &HEADERS, &rows)
            })
            .await
            .map_err(|_| AppError::Internal)?
            .map_err(|_| AppError::Internal)?;
            Ok(download(
                bytes,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &format!("{file}.xlsx"),
            ))
        }
        "geojson" => {
            let features: Vec<Value> = data
                .rows
                .iter()
                .map(|r| {
                    let geometry: Value = r
                        .place
                        .geometry
                        .as_deref()
                        .and_then(|g| serde_json::from_str(g).ok())
                        .unwrap_or(Value::Null);
                    let props: serde_json::Map<String, Value> = HEADERS
                        .iter()
                        .zip(row_of(&r.place.place, &r.shown))
                        .map(|(k, v)| ((*k).to_string(), Value::String(v)))
                        .collect();
                    json!({ "type": "Feature", "geometry": geometry, "properties": props })
                })
                .collect();
            let body = json!({ "type": "FeatureCollection", "features": features });
            Ok(download(
                body.to_string().into_bytes(),
                "application/geo+json",
                &format!("{file}.geojson"),
            ))
        }
        other => Err(AppError::BadRequest(format!(
            "قالب «{}» شناخته نیست؛ csv، xlsx یا geojson.",
            other.chars().take(20).collect::<String>()
        ))),
    }
}

/// A yes/no parameter: `true`/`1` or `false`/`0` (absent or empty is no); anything
/// else is refused with the field named, rather than read as yes.
pub fn yes_or_no(field: &str, given: Option<&str>) -> Result<bool, AppError> {
    match given.map(str::trim).unwrap_or("") {
        "true" | "1" => Ok(true),
        "false" | "0" | "" => Ok(false),
        _ => Err(AppError::invalid(
            field,
            format!("«{field}» باید true یا false (۱ یا ۰) باشد"),
        )),
    }
}
