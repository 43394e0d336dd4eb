//! Files out of and into the resolution follow-up, shared by pages and API: the XLSX
//! export of any list, the all-or-nothing XLSX/CSV import into a council, and the
//! periodic PDF report.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use hamafza_core::access::{Action, Target, decide, scope};
use hamafza_core::jalali::Period;
use hamafza_report::Subject;
use hamafza_store::Who;
use hamafza_store::sheet::{self, RowProblem};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::resolutions::{self as f, ListParams, url_encode};

/// A file download with a Persian-safe name.
pub fn download(bytes: Vec<u8>, media_type: &'static str, file_name: &str) -> Response {
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        file_name.replace(
            |c: char| !c.is_ascii_alphanumeric() && c != '.' && c != '-',
            "_"
        ),
        url_encode(file_name)
    );
    (
        [
            (header::CONTENT_TYPE, media_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The list these parameters select, as an XLSX workbook.
pub async fn export_xlsx(
    state: &AppState,
    user: &CurrentUser,
    params: &ListParams,
) -> Result<Response, AppError> {
    let filter = params.filter(state, user).await?;
    let rows = state
        .store
        .list_resolutions(
            &scope(&user.actor, Action::ExportResolutions),
            &filter,
            state.clock.today(),
        )
        .await?;
    let sheet_rows = sheet::export_rows(&state.store, &rows).await?;
    let bytes =
        tokio::task::spawn_blocking(move || hamafza_report::spreadsheet::write_xlsx(&sheet_rows))
            .await
            .map_err(AppError::from_join)?
            .map_err(|e| {
                tracing::error!(error = %e, "XLSX export failed");
                AppError::Internal
            })?;
    Ok(download(bytes, XLSX, "resolutions.xlsx"))
}

/// An import refused for its rows: 422 with every bad row (row, column, reason) in
/// `errors`, and the same list in Persian in the detail for the page.
fn bad_rows(rows: Vec<RowProblem>) -> AppError {
    let lines: Vec<String> = rows.iter().map(crate::words::row_problem).collect();
    AppError::validation(
        format!(
            "هیچ ردیفی وارد نشد؛ ردیف‌های نادرست را درست کنید و دوباره بفرستید. {}",
            lines.join(" · ")
        ),
        crate::words::rows_json(&rows),
    )
}

/// Imports resolutions from an XLSX or CSV file into a council the user runs: every row
/// checked first, nothing written unless all are good.
pub async fn import(
    state: &AppState,
    user: &CurrentUser,
    council_key: &str,
    bytes: Vec<u8>,
) -> Result<usize, AppError> {
    let council = f::council_to_run(state, user, council_key).await?;
    let rows = tokio::task::spawn_blocking(move || hamafza_report::spreadsheet::read(&bytes))
        .await
        .map_err(AppError::from_join)?
        .map_err(AppError::BadRequest)?;
    let planned = sheet::plan_import(&state.store, &council, &rows)
        .await?
        .map_err(bad_rows)?;
    Ok(state
        .store
        .import_resolutions(
            &Who::of(&user.actor),
            &council,
            &planned,
            state.clock.today(),
        )
        .await?)
}

/// The periodic report of a council or an agency as PDF.
pub async fn report_pdf(
    state: &AppState,
    user: &CurrentUser,
    subject: ReportOf<'_>,
    period: Option<&str>,
) -> Result<Response, AppError> {
    let period = Period::parse(period.unwrap_or_default())
        .map_err(|e| AppError::invalid("period", e.to_string()))?;
    let (subject, code) = match subject {
        ReportOf::Council(key) => {
            let c = f::council_for(state, user, key).await?;
            let code = c.code.clone();
            (Subject::Council(c), code)
        }
        ReportOf::Agency(key) => {
            let id = f::agency_id(state, "agency", key).await?;
            let agency = state.store.agency(id).await?;
            // An agency's report is for its own people (and system administrators).
            let target = Target::Agency {
                id: agency.id.uuid(),
            };
            decide(&user.actor, Action::ViewAgencyReport, target)
                .check()
                .map_err(AppError::from)?;
            let code = agency.code.clone();
            (Subject::Agency(agency), code)
        }
    };
    // Never wider than the list the same user sees: a party to one resolution of a
    // council it does not sit on gets a report of that resolution alone.
    let scope = scope(&user.actor, Action::ExportResolutions);
    let report =
        hamafza_report::gather(&state.store, &scope, subject, period, state.clock.today()).await?;
    let name = report.file_name(&code);
    let bytes = tokio::task::spawn_blocking(move || report.pdf())
        .await
        .map_err(AppError::from_join)?
        .map_err(|e| {
            tracing::error!(error = %e, "PDF report failed");
            AppError::Internal
        })?;
    Ok(download(bytes, "application/pdf", &name))
}

/// `?period=1404Q2` for a report (page or API).
#[derive(serde::Deserialize)]
pub struct PeriodQuery {
    pub period: Option<String>,
}

/// Whose report, by code or id.
pub enum ReportOf<'a> {
    Council(&'a str),
    Agency(&'a str),
}
