//! A GraphQL response as it comes back over HTTP, `{data, errors, extensions}`, taken apart by
//! the client instead of by the app: the data is written (read as text, as any answer is, with
//! no JSON tree built), and the errors go where the query's [`ErrorPolicy`] says, as Apollo
//! Client's `errorPolicy` does.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value as Json;
use serde_json::value::RawValue;

use super::Client;
use super::fetch::{FetchError, FetchId, QueryError};
use crate::Instant;
use crate::changes::Changes;
use crate::normalize::{Payload, Source, Text, source};

/// What a query does with the `errors` of a GraphQL response (Apollo Client's
/// `errorPolicy`); set per observer in [`QueryOptions`](crate::QueryOptions), the last
/// observer's applying to its query.
///
/// | policy | a response with errors | its data |
/// |---|---|---|
/// | `None` (default) | a failure ([`FetchErrorKind::Permanent`](crate::FetchErrorKind::Permanent), not retried), the errors kept in [`QueryState::errors`](crate::QueryState::errors) | not written |
/// | `Ignore` | an answer; the errors dropped | written |
/// | `All` | an answer, the errors kept in [`QueryState::errors`](crate::QueryState::errors) | written |
///
/// A response with errors and no data is a failure under every policy.
///
/// ```
/// assert_eq!(optimist::ErrorPolicy::default(), optimist::ErrorPolicy::None);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum ErrorPolicy {
    /// Errors make the fetch fail; partial data is not written.
    #[default]
    None,
    /// Errors are dropped; the data is written.
    Ignore,
    /// The data is written and the errors kept with it.
    All,
}

/// One error of a GraphQL response (the spec's "errors" entry): its message, and the rest as
/// the server sent it.
///
/// ```
/// let error: optimist::GraphqlError = serde_json::from_value(serde_json::json!({
///     "message": "no such task", "path": ["task"], "extensions": {"code": "NOT_FOUND"}
/// }))?;
/// assert_eq!(error.message, "no such task");
/// assert_eq!(error.extensions.unwrap()["code"], "NOT_FOUND");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Debug, Deserialize, serde::Serialize)]
pub struct GraphqlError {
    /// The message.
    pub message: String,
    /// Where in the data it happened (field names and list indexes), if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<Json>>,
    /// Where in the document (`[{line, column}]`), if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locations: Option<Json>,
    /// The server's own details (a `code`, ...), if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Json>,
}

/// A response read from text: the data left as text, to be normalized as it is read.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
    #[serde(default)]
    errors: Option<Vec<GraphqlError>>,
}

/// The data of a response, in the form it came.
enum Data<'a> {
    Text(&'a str),
    Tree(&'a Json),
}

/// A failure's message: the errors' messages, joined.
fn summary(errors: &[GraphqlError]) -> String {
    let messages: Vec<&str> = errors.iter().map(|error| error.message.as_str()).collect();
    format!("the server answered with errors: {}", messages.join("; "))
}

/// ## GraphQL responses
impl Client {
    /// The answer to the fetch `id` as a whole GraphQL response over HTTP, `{"data",
    /// "errors", "extensions"}`: its data is written as [`resolve`](Client::resolve) writes an
    /// answer, and its errors are handled by the query's [`ErrorPolicy`]. A response that is
    /// not a JSON object, or has neither data nor errors, makes the query an error
    /// ([`FetchErrorKind::Malformed`](crate::FetchErrorKind::Malformed), not retried). Text is
    /// read as it comes: the data is normalized from the text with no JSON tree built.
    /// Refused as [`resolve`](Client::resolve) is.
    ///
    /// ```
    /// # #[cfg(feature = "graphql")] {
    /// use optimist::{Client, ErrorPolicy, QueryKey, QueryOptions, QueryStatus, Store, Instant};
    /// let mut client = Client::new(Store::new());
    /// let now = Instant::now();
    /// let key = QueryKey::graphql("{ me { id name } }", serde_json::Value::Null)?;
    /// let seen = client.observe(key, QueryOptions::new().error_policy(ErrorPolicy::All), now, |_| {});
    /// let fetch = client.next_fetch(now).unwrap();
    /// let body = r#"{"data": {"me": {"__typename": "User", "id": "1", "name": null}},
    ///               "errors": [{"message": "name is private", "path": ["me", "name"]}]}"#;
    /// client.resolve_response(fetch.id, body, now)?;
    /// let state = client.state(seen.observer).unwrap();
    /// assert_eq!(state.status, QueryStatus::Success);
    /// assert_eq!(state.errors.as_ref().unwrap()[0].message, "name is private");
    /// assert!(client.store().get("User:1").is_some());
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resolve_response<'a>(
        &mut self,
        id: FetchId,
        response: impl Payload<'a>,
        now: Instant,
    ) -> Result<Changes, QueryError> {
        let tree;
        let (data, errors) = match source(response) {
            Source::Tree(json) => {
                let Some(object) = json.as_object() else {
                    return self.reject(id, FetchError::malformed("not a GraphQL response"), now);
                };
                let errors = match object.get("errors") {
                    None | Some(Json::Null) => None,
                    Some(errors) => match Vec::<GraphqlError>::deserialize(errors) {
                        Ok(errors) => Some(errors),
                        Err(error) => return self.reject(id, envelope_error(error), now),
                    },
                };
                tree = object.get("data").filter(|data| !data.is_null());
                (tree.map(Data::Tree), errors)
            }
            Source::Text(text) => {
                let parsed = match text {
                    Text::Str(text) => serde_json::from_str::<Envelope<'_>>(text),
                    Text::Bytes(bytes) => serde_json::from_slice::<Envelope<'_>>(bytes),
                };
                match parsed {
                    Ok(envelope) => {
                        let data = envelope.data.map(RawValue::get).filter(|d| *d != "null");
                        (data.map(Data::Text), envelope.errors)
                    }
                    Err(error) => return self.reject(id, envelope_error(error), now),
                }
            }
        };
        let policy = self.error_policy_of(id);
        let errors: Option<Arc<[GraphqlError]>> =
            errors.filter(|errors| !errors.is_empty()).map(Arc::from);
        match (data, errors) {
            (None, None) => self.reject(id, FetchError::malformed("a response with no data"), now),
            (None, Some(errors)) => {
                let failure = FetchError::permanent(summary(&errors));
                self.reject_with(id, failure, Some(errors), now)
            }
            (Some(_), Some(errors)) if policy == ErrorPolicy::None => {
                let failure = FetchError::permanent(summary(&errors));
                self.reject_with(id, failure, Some(errors), now)
            }
            (Some(data), errors) => {
                let errors = errors.filter(|_| policy == ErrorPolicy::All);
                match data {
                    Data::Text(text) => self.resolve_with(id, text, errors, now),
                    Data::Tree(json) => self.resolve_with(id, json, errors, now),
                }
            }
        }
    }
}

fn envelope_error(error: serde_json::Error) -> FetchError {
    FetchError::malformed(format!("not a GraphQL response: {error}"))
}
