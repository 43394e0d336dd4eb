//! Biometrics on the web (issue 13 point 6): the capture device's API (enrol a
//! template, list, delete), the matcher — an external ABIS over HTTP
//! ([`http_abis`]) or the built-in stand-in ([`stand_in`]) — and the worker that carries
//! the job table's requests to it and its responses back to the store.
//!
//! Nothing here keeps a template longer than a request: the store seals them, and the
//! matcher receives them inside insert requests only.

pub mod api;
pub mod http_abis;
pub mod pages;
pub mod stand_in;

use std::time::Duration;

use hamafza_core::biometrics::abis::{Request, Response};
use hamafza_store::biometrics::TemplateKey;
use hamafza_store::{Store, StoreResult};

/// The matcher the server speaks to.
enum Matcher {
    /// The built-in stand-in (cosine over vector templates): demo and tests only.
    StandIn(tokio::sync::Mutex<stand_in::StandInAbis>),
    /// An external ABIS behind MOSIP's contract, over HTTP.
    Http(http_abis::HttpAbis),
}

/// The server's biometric side: the key templates are sealed with, and the matcher.
pub struct Biometrics {
    pub key: TemplateKey,
    matcher: Matcher,
    /// Wakes the worker when a job was queued (it also looks every few seconds).
    wake: tokio::sync::Notify,
}

/// What one pass of the worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub answered: usize,
    pub retried: usize,
}

impl Biometrics {
    /// With the built-in stand-in matcher.
    pub fn stand_in(key: TemplateKey) -> Biometrics {
        Biometrics {
            key,
            matcher: Matcher::StandIn(Default::default()),
            wake: Default::default(),
        }
    }

    /// With an external ABIS at `url` (its `requests` and `responses/{id}` under it),
    /// sending `token` as a bearer token when given.
    pub fn external(
        key: TemplateKey,
        url: &str,
        token: Option<String>,
    ) -> Result<Biometrics, String> {
        Ok(Biometrics {
            key,
            matcher: Matcher::Http(http_abis::HttpAbis::new(url, token)?),
            wake: Default::default(),
        })
    }

    /// Which matcher, in Persian, and its address when external.
    pub fn describe(&self) -> (&'static str, Option<String>) {
        match &self.matcher {
            Matcher::StandIn(_) => (
                "جایگزین داخلی برای نمایش و آزمون (شباهت کسینوسی بردار؛ الگوریتم زیست‌سنجی واقعی نیست)",
                None,
            ),
            Matcher::Http(h) => (
                "سامانهٔ تطبیق بیرونی (ABIS) با قرارداد MOSIP",
                Some(h.base().to_string()),
            ),
        }
    }

    /// Tells the worker there is work.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    async fn submit(&self, store: &Store, request: &Request) -> Result<Option<Response>, String> {
        match &self.matcher {
            Matcher::StandIn(s) => {
                let mut s = s.lock().await;
                s.load(store, &self.key).await.map_err(|e| e.to_string())?;
                Ok(Some(s.answer(request)))
            }
            Matcher::Http(h) => h.submit(request).await,
        }
    }

    async fn poll(&self, request_id: &str) -> Result<Option<Response>, String> {
        match &self.matcher {
            // The stand-in answers as it is asked: nothing is ever awaited.
            Matcher::StandIn(_) => Ok(None),
            Matcher::Http(h) => h.poll(request_id).await,
        }
    }

    /// One pass: sends every due request (an identify after its insert is done, so
    /// passes repeat while they make progress) and collects the responses awaited.
    pub async fn process(&self, store: &Store) -> StoreResult<Pass> {
        let mut pass = Pass::default();
        for _round in 0..10 {
            let before = pass;
            for (id, request) in store.abis_due_requests(&self.key, 50).await? {
                match self.submit(store, &request).await {
                    Ok(answer) => {
                        store.abis_sent(id).await?;
                        pass.sent += 1;
                        if let Some(response) = answer {
                            store.abis_apply(&response).await?;
                            pass.answered += 1;
                        }
                    }
                    Err(e) => {
                        // The matcher's address and status only: a request holds a
                        // template, never logged.
                        tracing::warn!(operation = %request.id, "matcher unreachable: {e}");
                        store.abis_retry(id, &e).await?;
                        pass.retried += 1;
                    }
                }
            }
            for id in store.abis_awaiting(100).await? {
                match self.poll(&id.to_string()).await {
                    Ok(Some(response)) => {
                        store.abis_apply(&response).await?;
                        pass.answered += 1;
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!("matcher response unreadable: {e}"),
                }
            }
            if pass == before {
                break;
            }
        }
        Ok(pass)
    }
}

/// Runs the worker until `stop` turns true: a pass when woken, and every two seconds
/// (responses an external ABIS makes arrive without a wake).
pub fn spawn_worker(
    store: Store,
    biometrics: std::sync::Arc<Biometrics>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(2));
        loop {
            tokio::select! {
                biased;
                _ = stop.wait_for(|s| *s) => break,
                _ = biometrics.wake.notified() => {}
                _ = every.tick() => {}
            }
            if let Err(e) = biometrics.process(&store).await {
                tracing::warn!("biometric worker: {e}");
            }
        }
    })
}
