//! The HTTP adapter to an external ABIS speaking MOSIP's contract. MOSIP carries the
//! messages on a queue; over HTTP the same two directions are two resources:
//! - `POST {base}/requests` with the request message: `202 Accepted` when queued (the
//!   response comes later), or `200` with the response message at once;
//! - `GET {base}/responses/{requestId}`: `200` with the response message once it is
//!   made, `404` (or `202`) while it is not.
//!
//! With a token, every call carries `Authorization: Bearer {token}`.

use std::time::Duration;

use hamafza_core::biometrics::abis::{Request, Response};
use reqwest::StatusCode;

pub struct HttpAbis {
    base: String,
    token: Option<String>,
    client: reqwest::Client,
}

impl HttpAbis {
    pub fn new(url: &str, token: Option<String>) -> Result<HttpAbis, String> {
        let base = url.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(format!(
                "--abis-url must begin with http:// or https://: {base}"
            ));
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(HttpAbis {
            base,
            token,
            client,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn authorised(&self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    /// Sends a request: `None` when queued, the response when answered at once.
    pub async fn submit(&self, request: &Request) -> Result<Option<Response>, String> {
        let res = self
            .authorised(self.client.post(format!("{}/requests", self.base)))
            .json(request)
            .send()
            .await
            .map_err(|e| format!("{}: {}", self.base, e.without_url()))?;
        match res.status() {
            StatusCode::ACCEPTED => Ok(None),
            StatusCode::OK => res.json::<Response>().await.map(Some).map_err(|e| {
                format!(
                    "{}: the response is not a MOSIP ABIS response: {}",
                    self.base,
                    e.without_url()
                )
            }),
            s => Err(format!("{}: answered {s}", self.base)),
        }
    }

    /// The response to `request_id`, if made.
    pub async fn poll(&self, request_id: &str) -> Result<Option<Response>, String> {
        let res = self
            .authorised(
                self.client
                    .get(format!("{}/responses/{request_id}", self.base)),
            )
            .send()
            .await
            .map_err(|e| format!("{}: {}", self.base, e.without_url()))?;
        match res.status() {
            StatusCode::NOT_FOUND | StatusCode::ACCEPTED => Ok(None),
            StatusCode::OK => res
                .json::<Response>()
                .await
                .map(Some)
                .map_err(|e| format!("{}: {}", self.base, e.without_url())),
            s => Err(format!("{}: answered {s}", self.base)),
        }
    }
}
