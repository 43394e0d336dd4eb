//! The contract Hamafza speaks with a matcher: MOSIP's ABIS API (version 1.1 messages:
//! insert, identify 1:N, delete, ping; asynchronous — a request is acknowledged, its
//! response arrives later under the same `requestId`).
//!
//! Two departures, both written into the README's contract section:
//! - MOSIP's ABIS fetches the biometrics from a `referenceURL`; Hamafza sends the
//!   template inside the insert request (`biometrics`), so no endpoint ever serves
//!   templates back out.
//! - MOSIP leaves scores to the integrator's agreement; Hamafza reads
//!   `analytics.confidence` (0–100) of each candidate as its score.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The contract's version Hamafza writes.
pub const VERSION: &str = "1.1";

/// The operations of the contract Hamafza uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Insert,
    Identify,
    Delete,
    Ping,
}

impl Operation {
    pub const ALL: [Operation; 4] = [
        Operation::Insert,
        Operation::Identify,
        Operation::Delete,
        Operation::Ping,
    ];

    /// The message id: `mosip.abis.insert`, …
    pub fn message_id(self) -> &'static str {
        match self {
            Operation::Insert => "mosip.abis.insert",
            Operation::Identify => "mosip.abis.identify",
            Operation::Delete => "mosip.abis.delete",
            Operation::Ping => "mosip.abis.ping",
        }
    }

    /// The code stored in the job table.
    pub fn code(self) -> &'static str {
        match self {
            Operation::Insert => "insert",
            Operation::Identify => "identify",
            Operation::Delete => "delete",
            Operation::Ping => "ping",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }

    pub fn from_message_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.message_id() == id)
    }

    pub fn name_fa(self) -> &'static str {
        match self {
            Operation::Insert => "افزودن الگو",
            Operation::Identify => "جست‌وجوی یک به چند",
            Operation::Delete => "حذف الگو",
            Operation::Ping => "آزمون در دسترس بودن",
        }
    }
}

/// The template inside an insert request (Hamafza's departure from `referenceURL`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InlineBiometrics {
    /// FID, FIR or IIR.
    #[serde(rename = "biometricType")]
    pub biometric_type: String,
    /// The device's template format, e.g. [`super::VECTOR_FORMAT`].
    pub format: String,
    /// The template, base64 (standard alphabet, padded).
    pub data: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flags {
    #[serde(rename = "maxResults", skip_serializing_if = "Option::is_none")]
    pub max_results: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GalleryEntry {
    #[serde(rename = "referenceId")]
    pub reference_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gallery {
    #[serde(rename = "referenceIds")]
    pub reference_ids: Vec<GalleryEntry>,
}

/// A request, as sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: String,
    pub ver: String,
    #[serde(rename = "requestId")]
    pub request_id: String,
    pub requesttime: String,
    #[serde(rename = "referenceId", skip_serializing_if = "Option::is_none")]
    pub reference_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub biometrics: Option<InlineBiometrics>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flags: Option<Flags>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gallery: Option<Gallery>,
}

impl Request {
    pub fn new(op: Operation, request_id: &str, requesttime: &str) -> Request {
        Request {
            id: op.message_id().into(),
            ver: VERSION.into(),
            request_id: request_id.into(),
            requesttime: requesttime.into(),
            reference_id: None,
            biometrics: None,
            flags: None,
            gallery: None,
        }
    }

    pub fn operation(&self) -> Option<Operation> {
        Operation::from_message_id(&self.id)
    }
}

/// A candidate of an identify response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    #[serde(rename = "referenceId")]
    pub reference_id: String,
    #[serde(default)]
    pub analytics: serde_json::Map<String, Value>,
}

impl Candidate {
    /// `analytics.confidence` (0–100, a number or a string of one) as a score in
    /// [0, 1]; `None` when it is missing or not a number.
    pub fn score(&self) -> Option<f64> {
        let c = self.analytics.get("confidence")?;
        let n = match c {
            Value::Number(n) => n.as_f64()?,
            Value::String(s) => s.trim().parse().ok()?,
            _ => return None,
        };
        n.is_finite().then(|| (n / 100.0).clamp(0.0, 1.0))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateList {
    /// A string in MOSIP's examples.
    pub count: Value,
    #[serde(default)]
    pub candidates: Option<Vec<Candidate>>,
}

/// A response, as received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub id: String,
    #[serde(rename = "requestId")]
    pub request_id: String,
    #[serde(default)]
    pub responsetime: Option<String>,
    /// 1 success, 2 failure (a number or a string of one in MOSIP's examples).
    #[serde(rename = "returnValue")]
    pub return_value: Value,
    #[serde(
        rename = "failureReason",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub failure_reason: Option<Value>,
    #[serde(
        rename = "candidateList",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub candidate_list: Option<CandidateList>,
}

/// MOSIP's failure reasons, in Persian for the administrator's page.
pub fn failure_fa(code: i64) -> &'static str {
    match code {
        1 => "خطای داخلی سامانهٔ تطبیق",
        2 => "لغو شد",
        3 => "خطای پیش‌بینی‌نشده",
        4 => "سامانهٔ تطبیق نتوانست درخواست را انجام دهد",
        5 => "شناسهٔ مرجع نیست",
        6 => "شناسهٔ مرجع تکراری است",
        7 => "الگو خوانده نشد",
        _ => "خطای ناشناخته",
    }
}

fn number(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl Response {
    pub fn success(op: Operation, request_id: &str, responsetime: &str) -> Response {
        Response {
            id: op.message_id().into(),
            request_id: request_id.into(),
            responsetime: Some(responsetime.into()),
            return_value: Value::from(1),
            failure_reason: None,
            candidate_list: None,
        }
    }

    pub fn failure(op: Operation, request_id: &str, responsetime: &str, reason: i64) -> Response {
        Response {
            return_value: Value::from(2),
            failure_reason: Some(Value::from(reason)),
            ..Response::success(op, request_id, responsetime)
        }
    }

    /// The operation the response answers (its message id).
    pub fn operation_id(&self) -> Option<Operation> {
        Operation::from_message_id(&self.id)
    }

    /// The return value said success.
    pub fn succeeded(&self) -> bool {
        number(&self.return_value) == Some(1)
    }

    /// The failure reason's code, when it failed.
    pub fn failure_code(&self) -> Option<i64> {
        if self.succeeded() {
            return None;
        }
        Some(self.failure_reason.as_ref().and_then(number).unwrap_or(1))
    }

    pub fn candidates(&self) -> &[Candidate] {
        self.candidate_list
            .as_ref()
            .and_then(|l| l.candidates.as_deref())
            .unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mosip_examples_read_as_written() {
        // The identify response of MOSIP's ABIS API document, count and confidence as
        // strings.
        let r: Response = serde_json::from_str(
            r#"{"id":"mosip.abis.identify","requestId":"01234567-89AB-CDEF-0123-456789ABCDEF",
                "responsetime":"2020-03-29T07:01:24.692Z","returnValue":1,
                "candidateList":{"count":"1","candidates":[{"referenceId":"7acce7b7d-b58a-4466-a006-c79297281456",
                "analytics":{"internalScore":"112","confidence":"90"},"modalities":[]}]}}"#,
        )
        .unwrap();
        assert!(r.succeeded());
        assert_eq!(r.candidates().len(), 1);
        assert_eq!(r.candidates()[0].score(), Some(0.9));
        let failed: Response = serde_json::from_str(
            r#"{"id":"mosip.abis.insert","requestId":"x","responsetime":"t","returnValue":"2","failureReason":"7"}"#,
        )
        .unwrap();
        assert!(!failed.succeeded());
        assert_eq!(failed.failure_code(), Some(7));
    }

    #[test]
    fn a_request_writes_only_what_it_has() {
        let mut r = Request::new(Operation::Ping, "r1", "2025-10-11T00:00:00.000Z");
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(
            text,
            r#"{"id":"mosip.abis.ping","ver":"1.1","requestId":"r1","requesttime":"2025-10-11T00:00:00.000Z"}"#
        );
        r.reference_id = Some("ref".into());
        assert_eq!(r.operation(), Some(Operation::Ping));
        assert!(
            serde_json::to_string(&r)
                .unwrap()
                .contains(r#""referenceId":"ref""#)
        );
    }
}
