//! What an answer means: a query's HTTP answer as the client's [`FetchBody`] or
//! [`FetchError`], and a mutation's as the store's [`Outcome`], by the codes this server puts
//! in `extensions.code`. Pure: the answer comes in, a decision goes out.
//!
//! | answer | query | mutation |
//! |---|---|---|
//! | no answer (connection refused) | transient, retried | not sent: kept, sent again |
//! | no answer (reset, timed out, body broken off) | transient, retried | ambiguous: sent again under its idempotency key |
//! | HTTP 5xx, 429 | transient | ambiguous |
//! | `VERSION_CONFLICT` | — | conflict: the guess reverted, the server's version written |
//! | `INJECTED_FAULT`, `INTERNAL_SERVER_ERROR` (nothing ran) | — | ambiguous |
//! | any other error (`FORBIDDEN`, `NOT_FOUND`, ...) | by the query's `ErrorPolicy` | rejected: the guess reverted |
//! | data | written by `resolve_response` | confirmed by the answer, normalized through its document |

use optimist::{
    Document, FetchBody, FetchError, GraphqlError, Outcome, Patch, Policies, normalize_query,
};
use serde_json::Value as Json;

use crate::http::Answer;

/// A query's answer for [`Driver::run`](optimist::Driver::run): a GraphQL response is handed
/// whole to the client ([`FetchBody::Response`], taken apart by `Client::resolve_response`).
pub fn fetch_result(answer: Result<Answer, reqwest::Error>) -> Result<FetchBody, FetchError> {
    let answer = answer.map_err(|error| FetchError::transient(format!("no answer: {error}")))?;
    match answer.status {
        200..=299 => Ok(FetchBody::Response(answer.body)),
        429 | 500..=599 => Err(FetchError::transient(format!(
            "{}: {}",
            answer.status, answer.body
        ))),
        status => Err(FetchError::permanent(format!("{status}: {}", answer.body))),
    }
}

/// A mutation's answer as the store's [`Outcome`]: data confirms the mutation with the
/// answer normalized through its `doc` and `variables` (list directives included); errors
/// decide by their code (see the module's table).
pub fn mutation_outcome(
    policies: &Policies,
    doc: &Document,
    variables: &Json,
    answer: Result<Answer, reqwest::Error>,
) -> Outcome {
    let answer = match answer {
        Ok(answer) => answer,
        Err(error) if error.is_connect() => {
            return Outcome::NotSent(format!("offline: {error}").into());
        }
        Err(error) => return Outcome::Ambiguous(format!("no answer: {error}").into()),
    };
    let body: Json = match serde_json::from_str(&answer.body) {
        Ok(body) => body,
        Err(_) if answer.status >= 500 || answer.status == 429 => {
            return Outcome::Ambiguous(format!("{}: {}", answer.status, answer.body).into());
        }
        Err(error) => return Outcome::Rejected(format!("not a GraphQL answer: {error}").into()),
    };
    let errors: Vec<GraphqlError> = body
        .get("errors")
        .cloned()
        .and_then(|errors| serde_json::from_value(errors).ok())
        .unwrap_or_default();
    if let Some(error) = errors.first() {
        return refusal(policies, variables, error);
    }
    if answer.status >= 500 || answer.status == 429 {
        return Outcome::Ambiguous(format!("{}: {}", answer.status, answer.body).into());
    }
    match normalize_query(policies, doc, variables, &body["data"]) {
        Ok(patch) => Outcome::confirm(patch),
        Err(error) => Outcome::Rejected(format!("unexpected answer: {error}").into()),
    }
}

/// The `extensions.code` of a GraphQL error.
pub fn code(error: &GraphqlError) -> &str {
    error
        .extensions
        .as_ref()
        .and_then(|extensions| extensions["code"].as_str())
        .unwrap_or("")
}

/// What a mutation's first error means.
fn refusal(policies: &Policies, variables: &Json, error: &GraphqlError) -> Outcome {
    let message: std::sync::Arc<str> = match code(error) {
        "" => error.message.as_str().into(),
        code => format!("{code}: {}", error.message).into(),
    };
    match code(error) {
        "VERSION_CONFLICT" => {
            // The server names the version it has: written into base, so the row shows it
            // until the refetch brings the rest (and the next update names it).
            let current = error
                .extensions
                .as_ref()
                .and_then(|extensions| extensions["currentVersion"].as_i64())
                .zip(variables["input"].get("id"))
                .and_then(|(version, id)| {
                    let key = policies
                        .identify("Task", &serde_json::json!({"id": id}))
                        .ok()?;
                    Some(Patch::new().set(key, "version", version))
                })
                .unwrap_or_default();
            Outcome::Conflict { message, current }
        }
        // Nothing ran: safe to send again.
        "INJECTED_FAULT" | "INTERNAL_SERVER_ERROR" => Outcome::Ambiguous(message),
        _ => Outcome::Rejected(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::Documents;
    use serde_json::json;

    fn answer(status: u16, body: Json) -> Result<Answer, reqwest::Error> {
        Ok(Answer {
            status,
            body: body.to_string(),
        })
    }

    fn policies() -> Policies {
        crate::policies::policies(&board_server::sdl()).expect("the SDL parses")
    }

    #[test]
    fn a_version_conflict_writes_the_servers_version() {
        let docs = Documents::parse().unwrap();
        let vars = json!({"input": {"id": "t2", "title": "x", "expectedVersion": 1}});
        let body = json!({"data": null, "errors": [{"message": "stale", "path": ["updateTask"],
            "extensions": {"code": "VERSION_CONFLICT", "currentVersion": 3}}]});
        let outcome = mutation_outcome(&policies(), &docs.update, &vars, answer(200, body));
        let Outcome::Conflict { message, current } = outcome else {
            panic!("a conflict: {outcome:?}");
        };
        assert!(message.starts_with("VERSION_CONFLICT"));
        assert_eq!(current, Patch::new().set("Task:t2", "version", 3));
    }

    #[test]
    fn a_forbidden_delete_is_rejected_and_an_injected_failure_is_retried() {
        let docs = Documents::parse().unwrap();
        let vars = json!({"id": "t1"});
        let error = |code: &str| json!({"data": null, "errors": [{"message": "no", "extensions": {"code": code}}]});
        let refused = mutation_outcome(
            &policies(),
            &docs.delete,
            &vars,
            answer(200, error("FORBIDDEN")),
        );
        assert!(
            matches!(refused, Outcome::Rejected(ref m) if m.starts_with("FORBIDDEN")),
            "{refused:?}"
        );
        let injected = mutation_outcome(
            &policies(),
            &docs.delete,
            &vars,
            answer(500, error("INJECTED_FAULT")),
        );
        assert!(matches!(injected, Outcome::Ambiguous(_)), "{injected:?}");
    }

    #[test]
    fn a_query_answer_goes_to_the_client_whole() {
        let ok = fetch_result(answer(200, json!({"data": {"task": null}})));
        assert!(matches!(ok, Ok(FetchBody::Response(_))));
        let busy = fetch_result(answer(503, json!("busy"))).unwrap_err();
        assert!(busy.kind.is_retried());
    }
}
