//! The I/O: the HTTP requests of fetches and mutations, their answers, the event stream.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use optimist::{
    Fetch, FetchBody, FetchError, Key, ListPosition, Outcome, Outgoing, Patch, Policies, Store,
};
use serde_json::Value as Json;

use crate::client::{ClientError, lock};
use crate::requests::{Write, fetch_path};
use crate::rows::{LIST, TYPE};

/// What every request needs.
#[derive(Clone)]
pub(crate) struct Http {
    pub(crate) client: reqwest::Client,
    pub(crate) base: Arc<str>,
    pub(crate) client_id: Arc<str>,
}

/// Sends one mutation's request and says how it ended.
pub(crate) async fn send(
    http: &Http,
    client: &Mutex<optimist::Client>,
    out: &Outgoing,
    request: Write,
) -> Outcome {
    let method = match request.method() {
        "POST" => reqwest::Method::POST,
        "PATCH" => reqwest::Method::PATCH,
        _ => reqwest::Method::DELETE,
    };
    let body = request.body().unwrap_or(Json::Null);
    let answer = http
        .write(
            method,
            request.path(),
            &out.idempotency_key,
            request.if_match(),
            body,
        )
        .await;
    let (status, body) = match answer {
        Ok(answer) => answer,
        Err(error) => return transport_outcome(&error),
    };
    let mut client = lock(client);
    let mut store = client.store_mut();
    match (status, &request) {
        (200 | 201, Write::Create { tmp, .. }) => {
            let (real, patch) = match entity_patch(store.policies(), &body) {
                Ok(found) => found,
                Err(error) => return Outcome::Ambiguous(error.to_string().into()),
            };
            if store.is_temporary(tmp.as_str()) {
                // Refs to the temporary key, in base and in every layer, become the server's.
                if let Err(error) = store.remap(tmp, &real) {
                    return Outcome::Ambiguous(error.to_string().into());
                }
            }
            refetch_list(&mut store);
            // The row replaces the guess's fields; the guess's list insert stays.
            Outcome::confirm_keeping_relative(patch)
        }
        (200, Write::Update { .. }) => match row_patch(store.policies(), &body) {
            Ok(patch) => Outcome::confirm(patch),
            Err(error) => Outcome::Ambiguous(error.to_string().into()),
        },
        (200 | 204 | 404, Write::Delete { .. }) => {
            refetch_list(&mut store);
            Outcome::promote()
        }
        (409 | 412, _) => {
            let current = match row_patch(store.policies(), &body["current"]) {
                Ok(current) => current,
                Err(_) => Patch::new(),
            };
            Outcome::Conflict {
                message: format!("{status}: {}", error_text(&body)).into(),
                current,
            }
        }
        // A proxy's or an overloaded server's answer, or a locked row: it may go through later.
        (423 | 429 | 502 | 503 | 504, _) => {
            Outcome::Ambiguous(format!("{status}: {}", error_text(&body)).into())
        }
        _ => Outcome::Rejected(format!("{status}: {}", error_text(&body)).into()),
    }
}

/// The list's rows changed on the server (a create or a delete went through): its field is
/// marked stale, and the client refetches the list it observes (TanStack Query's
/// `invalidateQueries` in `onSettled`). The refetch lands below any mutation still pending.
fn refetch_list(store: &mut Store) {
    let _ = store.invalidate_field(Key::root_query(), LIST);
}

/// A request that got no answer: offline if it never connected, else ambiguous.
fn transport_outcome(error: &reqwest::Error) -> Outcome {
    if error.is_connect() {
        Outcome::NotSent(format!("offline: {error}").into())
    } else {
        Outcome::Ambiguous(format!("no answer: {error}").into())
    }
}

impl Http {
    /// A query's fetch: `GET` its app key's path; the body goes to the store as text (it is
    /// normalized as it is read, with no JSON tree). A refused connection is retried as any
    /// failure (this app has no other signal that the network is back).
    pub(crate) async fn fetch(&self, fetch: &Fetch) -> Result<FetchBody, FetchError> {
        let path = fetch_path(fetch)?;
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .map_err(|error| FetchError::transient(format!("no answer: {error}")))?;
        let status = response.status().as_u16();
        let body = response
            .text()
            .await
            .map_err(|error| FetchError::transient(format!("no answer: {error}")))?;
        match status {
            200 if body.trim_start().starts_with('[') => Ok(FetchBody::Text(body)),
            200 => Err(FetchError::permanent(format!("{path} is not an array"))),
            500..=599 | 429 => Err(FetchError::transient(format!("{status}: {body}"))),
            _ => Err(FetchError::permanent(format!("{status}: {body}"))),
        }
    }

    async fn write(
        &self,
        method: reqwest::Method,
        path: String,
        idempotency_key: &str,
        version: Option<i64>,
        body: Json,
    ) -> Result<(u16, Json), reqwest::Error> {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("Idempotency-Key", idempotency_key)
            .header("X-Client-Id", &*self.client_id);
        if let Some(version) = version {
            request = request.header("If-Match", version.to_string());
        }
        if !body.is_null() {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        Ok((status, serde_json::from_slice(&bytes).unwrap_or(Json::Null)))
    }

    /// Follows the server's change stream until it ends: each other client's change is
    /// written as an observation made now (above a refetch in flight, which may have read the
    /// list before the change; under every pending save; an older version than what lies below
    /// is left out). A refetch runs once the stream is open, for what was missed before.
    pub(crate) async fn events(
        &self,
        client: &Mutex<optimist::Client>,
        list: optimist::QueryId,
    ) -> Result<(), ClientError> {
        use futures_util::StreamExt;
        let url = format!("{}/events?client={}", self.base, self.client_id);
        let response = self
            .client
            .get(url)
            .timeout(Duration::from_secs(24 * 3600))
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(ClientError::Status(
                response.status().as_u16(),
                String::new(),
            ));
        }
        let mut stream = response.bytes_stream();
        let mut buffer = String::new();
        let mut caught_up = false;
        while let Some(chunk) = stream.next().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk?));
            while let Some(end) = buffer.find("\n\n") {
                let event: String = buffer.drain(..end + 2).collect();
                let (mut kind, mut data) = (String::new(), String::new());
                for line in event.lines() {
                    if let Some(value) = line.strip_prefix("event:") {
                        kind = value.trim().to_owned();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push_str(value.trim_start());
                    }
                }
                if !caught_up {
                    caught_up = true;
                    let _ = lock(client).refetch(list, optimist::Instant::now());
                }
                let Ok(data) = serde_json::from_str::<Json>(&data) else {
                    continue;
                };
                let mut client = lock(client);
                let mut store = client.store_mut();
                let patch = match kind.as_str() {
                    "upsert" => entity_patch(store.policies(), &data)
                        .ok()
                        .map(|(key, patch)| {
                            patch.insert_unique("ROOT_QUERY", LIST, key, ListPosition::End)
                        }),
                    "delete" => data["id"]
                        .as_i64()
                        .and_then(|id| Key::entity(TYPE, &id.to_string()).ok())
                        .map(|key| {
                            Patch::new()
                                .remove_item("ROOT_QUERY", LIST, &key)
                                .delete(&key)
                        }),
                    _ => None,
                };
                if let Some(patch) = patch {
                    let _ = store.write_observed("pushed by the server", patch);
                }
            }
        }
        Ok(())
    }
}

/// One row (a write's answer) as its entity's key and a patch of it.
fn entity_patch(policies: &Policies, row: &Json) -> Result<(Key, Patch), ClientError> {
    optimist::normalize_entity(policies, TYPE, row)
        .map_err(|error| ClientError::Answer(error.to_string()))
}

/// One row (a write's answer) as a patch of its entity.
fn row_patch(policies: &Policies, row: &Json) -> Result<Patch, ClientError> {
    entity_patch(policies, row).map(|(_key, patch)| patch)
}

fn error_text(body: &Json) -> String {
    body["error"]
        .as_str()
        .map_or_else(|| body.to_string(), str::to_owned)
}
