//! What came back for a request, and what it means: a fetch's answer as the list's JSON or a
//! [`FetchError`], a write's answer as an [`Outcome`] for the store (with the remap and the
//! list refetch a create or a delete calls for). Pure: the update applies what is read here.

use optimist::{FetchError, Key, Outcome, Patch, Policies};
use serde_json::Value as Json;

use crate::requests::Write;
use crate::rows::TYPE;

/// What the shell brought back for an HTTP request.
///
/// ```
/// use todo_crux::answers::Answer;
/// let answer: Answer = crux_http::testing::rejection::<Vec<u8>>(412, "{}").into();
/// assert_eq!(answer, Answer::Status { code: 412, body: b"{}".to_vec() });
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The server answered, with this status and body.
    Status {
        /// The HTTP status.
        code: u16,
        /// The body, as sent.
        body: Vec<u8>,
    },
    /// No usable answer: the connection failed, broke off or timed out. The request may have
    /// reached the server.
    Lost(String),
    /// The request could not be made at all (a malformed URL, a body that did not encode).
    Unsendable(String),
}

impl From<crux_http::Result<crux_http::Response<Vec<u8>>>> for Answer {
    fn from(result: crux_http::Result<crux_http::Response<Vec<u8>>>) -> Answer {
        match result {
            Ok(mut response) => Answer::Status {
                code: response.status().as_u16(),
                body: response.take_body().unwrap_or_default(),
            },
            Err(error) => match error.code() {
                // crux_http turns a 4xx or 5xx into an error; it is an answer all the same.
                Some(code) => Answer::Status {
                    code,
                    body: error.body().map(<[u8]>::to_vec).unwrap_or_default(),
                },
                None => match error {
                    crux_http::HttpError::Io(_) | crux_http::HttpError::Timeout => {
                        Answer::Lost(error.to_string())
                    }
                    other => Answer::Unsendable(other.to_string()),
                },
            },
        }
    }
}

/// A fetch's answer: the list's JSON text, or how the fetch failed. A lost answer is offline
/// (waits for the network, not counted) when the shell said the device is offline, else a
/// failure to retry.
///
/// ```
/// use todo_crux::answers::{Answer, fetched};
/// let ok = Answer::Status { code: 200, body: b"[]".to_vec() };
/// assert_eq!(fetched(&ok, true).unwrap(), b"[]");
/// let down = Answer::Status { code: 503, body: Vec::new() };
/// assert!(fetched(&down, true).unwrap_err().kind.is_retried());
/// ```
pub fn fetched(answer: &Answer, online: bool) -> Result<&[u8], FetchError> {
    match answer {
        Answer::Status { code: 200, body } if body.trim_ascii_start().starts_with(b"[") => Ok(body),
        Answer::Status { code: 200, .. } => Err(FetchError::permanent("the list is not an array")),
        Answer::Status { code, body } if *code == 429 || *code >= 500 => Err(
            FetchError::transient(format!("{code}: {}", error_text(body))),
        ),
        Answer::Status { code, body } => Err(FetchError::permanent(format!(
            "{code}: {}",
            error_text(body)
        ))),
        Answer::Lost(why) if online => Err(FetchError::transient(format!("no answer: {why}"))),
        Answer::Lost(why) => Err(FetchError::offline(format!("offline: {why}"))),
        Answer::Unsendable(why) => Err(FetchError::permanent(why.clone())),
    }
}

/// How a write's answer settles its mutation, read without touching the store.
#[derive(Debug)]
pub struct Settled {
    /// What to report to the store.
    pub outcome: Outcome,
    /// A create's temporary key and the server's key for it: remap before reporting.
    pub remap: Option<(Key, Key)>,
    /// The list's rows changed on the server (a create or a delete went through): invalidate
    /// the list field, so the client refetches the list it observes.
    pub list_changed: bool,
}

/// Reads a write's answer. A lost answer is ambiguous (sent again under the same idempotency
/// key, which the server dedupes) unless the shell said the device is offline, when it surely
/// never left (not counted). A 423, 429 or 502 to 504 may go through later; a 409 or 412 is a
/// conflict carrying the server's current row; any other error status is a refusal.
///
/// ```
/// use optimist::{Key, Outcome};
/// use todo_crux::answers::{Answer, settle};
/// use todo_crux::requests::Write;
/// let create = Write::Create { tmp: Key::new("Todo:~1")?, title: "a".into() };
/// let row = br#"{"id": 5, "title": "a", "done": false, "version": 1}"#.to_vec();
/// let settled = settle(&todo_crux::policies(), &create, &Answer::Status { code: 201, body: row }, true);
/// assert_eq!(settled.remap.unwrap().1.as_str(), "Todo:5");
/// assert!(settled.list_changed);
/// let lost = settle(&todo_crux::policies(), &create, &Answer::Lost("reset".into()), true);
/// assert!(matches!(lost.outcome, Outcome::Ambiguous(_)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn settle(policies: &Policies, write: &Write, answer: &Answer, online: bool) -> Settled {
    let plain = |outcome| Settled {
        outcome,
        remap: None,
        list_changed: false,
    };
    let (code, body) = match answer {
        Answer::Status { code, body } => (*code, body),
        Answer::Lost(why) if online => {
            return plain(Outcome::Ambiguous(format!("no answer: {why}").into()));
        }
        Answer::Lost(why) => return plain(Outcome::NotSent(format!("offline: {why}").into())),
        Answer::Unsendable(why) => return plain(Outcome::Rejected(why.as_str().into())),
    };
    let json: Json = serde_json::from_slice(body).unwrap_or(Json::Null);
    match (code, write) {
        (200 | 201, Write::Create { tmp, .. }) => {
            match optimist::normalize_entity(policies, TYPE, &json) {
                // The row replaces the guess's fields; the guess's list insert stays.
                Ok((real, patch)) => Settled {
                    outcome: Outcome::confirm_keeping_relative(patch),
                    remap: Some((tmp.clone(), real)),
                    list_changed: true,
                },
                Err(error) => plain(Outcome::Ambiguous(
                    format!("unreadable answer: {error}").into(),
                )),
            }
        }
        (200, Write::Update { .. }) => match optimist::normalize_entity(policies, TYPE, &json) {
            Ok((_, patch)) => plain(Outcome::confirm(patch)),
            Err(error) => plain(Outcome::Ambiguous(
                format!("unreadable answer: {error}").into(),
            )),
        },
        // Gone already (404) is what the delete wanted.
        (200 | 204 | 404, Write::Delete { .. }) => Settled {
            outcome: Outcome::promote(),
            remap: None,
            list_changed: true,
        },
        (409 | 412, _) => {
            let current = optimist::normalize_entity(policies, TYPE, &json["current"])
                .map(|(_, patch)| patch)
                .unwrap_or_else(|_| Patch::new());
            plain(Outcome::Conflict {
                message: format!("{code}: {}", error_text(body)).into(),
                current,
            })
        }
        (423 | 429 | 502 | 503 | 504, _) => plain(Outcome::Ambiguous(
            format!("{code}: {}", error_text(body)).into(),
        )),
        _ => plain(Outcome::Rejected(
            format!("{code}: {}", error_text(body)).into(),
        )),
    }
}

/// The server's `{"error": ...}`, or the body as it came.
fn error_text(body: &[u8]) -> String {
    match serde_json::from_slice::<Json>(body) {
        Ok(json) => json["error"]
            .as_str()
            .map_or_else(|| json.to_string(), str::to_owned),
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16, body: &str) -> Answer {
        Answer::Status {
            code,
            body: body.as_bytes().to_vec(),
        }
    }

    fn update() -> Write {
        Write::Update {
            id: 1,
            version: Some(1),
            body: serde_json::json!({"done": true}),
        }
    }

    #[test]
    fn a_refusal_says_why() {
        let settled = settle(
            &crate::policies(),
            &update(),
            &status(500, r#"{"error": "injected failure"}"#),
            true,
        );
        assert!(
            matches!(&settled.outcome, Outcome::Rejected(why) if &**why == "500: injected failure"),
            "{settled:?}"
        );
        assert!(!settled.list_changed);
    }

    #[test]
    fn a_conflict_carries_the_current_row() {
        let body = r#"{"error": "version mismatch", "current": {"id": 1, "title": "t", "done": false, "version": 4}}"#;
        let settled = settle(&crate::policies(), &update(), &status(412, body), true);
        let Outcome::Conflict { message, current } = settled.outcome else {
            panic!("{:?}", settled.outcome);
        };
        assert_eq!(&*message, "412: version mismatch");
        assert!(!current.is_empty());
    }

    #[test]
    fn a_lost_answer_is_ambiguous_online_and_unsent_offline() {
        let lost = Answer::Lost("reset".into());
        let online = settle(&crate::policies(), &update(), &lost, true);
        assert!(matches!(online.outcome, Outcome::Ambiguous(_)));
        let offline = settle(&crate::policies(), &update(), &lost, false);
        assert!(matches!(offline.outcome, Outcome::NotSent(_)));
        assert_eq!(
            fetched(&lost, false).unwrap_err().kind,
            optimist::FetchErrorKind::Offline
        );
    }

    #[test]
    fn a_locked_row_is_tried_again() {
        let settled = settle(
            &crate::policies(),
            &update(),
            &status(423, r#"{"error": "the row is locked"}"#),
            true,
        );
        assert!(matches!(settled.outcome, Outcome::Ambiguous(_)));
    }

    #[test]
    fn an_answer_that_is_not_a_list_is_an_error_not_retried() {
        let error = fetched(&status(200, "{}"), true).unwrap_err();
        assert!(!error.kind.is_retried());
        assert!(fetched(&status(404, "{}"), true).is_err());
    }
}
