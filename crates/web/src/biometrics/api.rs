//! The capture device's API and the administrator's view of the matcher:
//! `POST|GET /api/v1/persons/{id}/biometrics`, `POST /api/v1/biometrics/{reference}/delete`,
//! `GET /api/v1/abis`, `GET /api/v1/abis/jobs/{id}`, `POST /api/v1/abis/ping`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hamafza_core::biometrics::{Modality, VECTOR_FORMAT};
use hamafza_core::ids::{AbisJobId, BiometricRef, PersonId};
use hamafza_core::jalali::JalaliDate;
use hamafza_store::biometrics::NewTemplate;
use hamafza_store::people::PersonReader;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::Biometrics;
use crate::AppState;
use crate::error::AppError;
use crate::extract::{ApiJson, ApiQuery, ApiUser, PathId};

fn today(state: &AppState) -> JalaliDate {
    JalaliDate::from_gregorian(state.clock.today())
}

/// The server's biometric side, or a clear refusal where none is set up.
pub(crate) fn configured(state: &AppState) -> Result<&Arc<Biometrics>, AppError> {
    state.biometrics.as_ref().ok_or_else(|| {
        AppError::Conflict(
            "زیست‌سنجی روی این سرور راه‌اندازی نشده است (serve --biometric-key و --abis-url)".into(),
        )
    })
}

#[derive(Deserialize)]
pub struct TemplateIn {
    modality: Option<String>,
    /// The device's template format; [`VECTOR_FORMAT`] when left out.
    format: Option<String>,
    /// The template, base64.
    template: Option<String>,
    /// The template's SHA-256 as the device computed it (hex): a template changed on
    /// the way is refused.
    sha256: Option<String>,
}

/// A template a capture device sends: 202, with the reference and the jobs that
/// carry it to the matcher.
pub async fn enrol(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(person): PathId<PersonId>,
    ApiJson(body): ApiJson<TemplateIn>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let biometrics = configured(&state)?;
    let modality = body
        .modality
        .as_deref()
        .and_then(Modality::from_code)
        .ok_or_else(|| {
            AppError::invalid("modality", "نوع زیست‌سنجی را بگویید: face، finger یا iris")
        })?;
    let format = body
        .format
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .unwrap_or(VECTOR_FORMAT);
    let bytes = body
        .template
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            AppError::invalid("template", "الگوی زیست‌سنجی (template، base64) نیامده است")
        })
        .and_then(|t| {
            BASE64.decode(t).map_err(|_| {
                AppError::invalid(
                    "template",
                    "الگو base64 درست نیست (الفبای استاندارد، با = در پایان)",
                )
            })
        })?;
    if let Some(sent) = body
        .sha256
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let digest: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if !sent.eq_ignore_ascii_case(&digest) {
            return Err(AppError::invalid(
                "sha256",
                "چکیدهٔ SHA-256 که دستگاه فرستاد با الگوی رسیده نمی‌خواند؛ الگو در راه تغییر کرده است — دوباره بفرستید",
            ));
        }
    }
    let enrolled = state
        .store
        .enrol_biometric(
            &user.actor,
            person,
            NewTemplate {
                modality,
                format,
                bytes: &bytes,
            },
            &biometrics.key,
            today(&state),
        )
        .await?;
    biometrics.wake();
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "reference_id": enrolled.reference_id,
            "state": "pending",
            "insert_job": enrolled.insert_job,
            "identify_job": enrolled.identify_job,
        })),
    ))
}

#[derive(Deserialize)]
pub struct PurposeIn {
    purpose: Option<String>,
    purpose_text: Option<String>,
}

/// A person's enrolments (never a template), read with a purpose.
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(person): PathId<PersonId>,
    ApiQuery(q): ApiQuery<PurposeIn>,
) -> Result<Json<Value>, AppError> {
    let purpose = crate::extract::purpose(q.purpose.as_deref(), q.purpose_text.as_deref())?;
    let reader = PersonReader {
        actor: &user.actor,
        purpose: &purpose,
        today: today(&state),
    };
    let enrolments = state.store.biometric_enrolments(&reader, person).await?;
    Ok(Json(json!({ "enrolments": enrolments })))
}

#[derive(Deserialize)]
pub struct ReasonIn {
    reason: Option<String>,
}

pub async fn delete(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(reference): PathId<BiometricRef>,
    ApiJson(body): ApiJson<ReasonIn>,
) -> Result<Json<Value>, AppError> {
    let job = state
        .store
        .delete_biometric(
            &user.actor,
            reference,
            body.reason.as_deref().unwrap_or(""),
            today(&state),
        )
        .await?;
    if let Some(b) = &state.biometrics {
        b.wake();
    }
    Ok(Json(
        json!({ "reference_id": reference, "deleted": true, "delete_job": job }),
    ))
}

/// The matcher: which one, jobs by state, templates held, the latest failures.
pub async fn status(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, AppError> {
    let status = state.store.abis_status(&user.actor).await?;
    let (matcher, url) = configured(&state)?.describe();
    Ok(Json(
        json!({ "matcher": matcher, "url": url, "status": status }),
    ))
}

pub async fn job(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    PathId(id): PathId<AbisJobId>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(json!(state.store.abis_job(&user.actor, id).await?)))
}

/// Pings the matcher through the job table and waits up to five seconds for its answer.
pub async fn ping(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Value>, AppError> {
    let biometrics = configured(&state)?;
    let started = Instant::now();
    let id = state.store.queue_abis_ping(&user.actor).await?;
    biometrics.wake();
    loop {
        let job = state.store.abis_job(&user.actor, id).await?;
        if job.state == "done"
            || job.state == "failed"
            || started.elapsed() > Duration::from_secs(5)
        {
            return Ok(Json(json!({
                "alive": job.state == "done",
                "state": job.state,
                "milliseconds": started.elapsed().as_millis() as u64,
                "job": job,
            })));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
