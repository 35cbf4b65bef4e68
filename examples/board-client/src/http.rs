//! The HTTP layer: GraphQL over `POST /graphql`, the schema from `GET /schema.graphql`, and a
//! log of every request sent, so the app (and its tests) can tell what went to the server and
//! what was answered from the cache.
//!
//! It also carries the board server's `X-Fault` header on the next request of a named
//! operation (`lose`, `fail`, `latency=300ms`): the demo's way to show a lost answer or a
//! refusal against any board server, in-process or not.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value as Json;

/// What every request needs, shared by the driver's tasks.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    base: Arc<str>,
    /// Every request sent, oldest first: the operation's name, or `GET /schema.graphql`.
    sent: Arc<Mutex<Vec<String>>>,
    /// Faults to ask for: (operation, `X-Fault` value), first queued first.
    faults: Arc<Mutex<VecDeque<(String, String)>>>,
}

/// An answer: its HTTP status and its body as text.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body, as text.
    pub body: String,
}

impl Http {
    /// A client of the server at `base` (`http://127.0.0.1:PORT`).
    pub fn new(base: &str) -> Result<Http, reqwest::Error> {
        Ok(Http {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .connect_timeout(Duration::from_secs(1))
                .build()?,
            base: Arc::from(base.trim_end_matches('/')),
            sent: Arc::default(),
            faults: Arc::default(),
        })
    }

    /// The server's schema, as SDL.
    pub async fn schema(&self) -> Result<String, reqwest::Error> {
        lock(&self.sent).push("GET /schema.graphql".into());
        self.client
            .get(format!("{}/schema.graphql", self.base))
            .send()
            .await?
            .error_for_status()?
            .text()
            .await
    }

    /// Posts a GraphQL request body (`{query, variables, operationName}`) and returns the
    /// answer; an `Err` is a request that got no answer (refused, reset, timed out, or whose
    /// body broke off).
    pub async fn post(&self, body: &Json) -> Result<Answer, reqwest::Error> {
        let operation = body["operationName"]
            .as_str()
            .unwrap_or("(anonymous)")
            .to_owned();
        let fault = {
            let mut faults = lock(&self.faults);
            let at = faults.iter().position(|(name, _)| *name == operation);
            at.and_then(|at| faults.remove(at)).map(|(_, fault)| fault)
        };
        lock(&self.sent).push(operation);
        let mut request = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(body);
        if let Some(fault) = fault {
            request = request.header("X-Fault", fault);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let body = response.text().await?;
        Ok(Answer { status, body })
    }

    /// Asks the server for a fault (`X-Fault: fault`) on the next request of `operation`.
    pub fn fault_next(&self, operation: &str, fault: &str) {
        lock(&self.faults).push_back((operation.to_owned(), fault.to_owned()));
    }

    /// Every request sent so far, oldest first: each operation's name, or
    /// `GET /schema.graphql`.
    pub fn sent(&self) -> Vec<String> {
        lock(&self.sent).clone()
    }

    /// How many requests were sent so far.
    pub fn sent_count(&self) -> usize {
        lock(&self.sent).len()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
