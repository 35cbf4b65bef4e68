//! Fault injection, as the todo server has it: a fault queued from outside for the next
//! request of a given operation, or asked for by a request's `X-Fault` header. It stands
//! apart from the schema: a fault strikes the HTTP exchange, before or after the executor.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use axum::http::HeaderMap;

/// An injected fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Wait this long before running the request.
    Latency(Duration),
    /// Answer HTTP 500 with a top-level error (code `INJECTED_FAULT`), run nothing.
    Fail,
    /// Answer HTTP 200 with `data: null` and a top-level error (code `INJECTED_FAULT`), run
    /// nothing: a GraphQL-level failure rather than a transport one.
    Errors,
    /// Run the request (a mutation commits), then lose the answer: the status line goes out,
    /// the body breaks off, so the client gets a transport error and no usable answer.
    Lose,
}

/// Which requests a queued fault is for.
const ANY_OPERATION: &str = "*";

/// The server-side fault schedule: the next request for an operation gets the fault queued
/// for that operation, first queued first.
#[derive(Default)]
pub struct Faults {
    /// (operation name or `*`, fault), oldest first.
    queue: Mutex<VecDeque<(String, Fault)>>,
    log: Mutex<Vec<String>>,
}

impl Faults {
    /// Queues `fault` for the next request whose operation is named `operation` (the
    /// request's `operationName`, or the name of its document's only operation), or for
    /// the next request of any operation, anonymous ones included, with `"*"`.
    pub fn next(&self, operation: &str, fault: Fault) {
        lock(&self.queue).push_back((operation.to_owned(), fault));
    }

    /// Drops every queued fault.
    pub fn clear(&self) {
        lock(&self.queue).clear();
    }

    /// What was injected so far, as `operation: fault` lines (`(anonymous)` for an unnamed
    /// operation).
    pub fn log(&self) -> Vec<String> {
        lock(&self.log).clone()
    }

    /// The fault for a request: its header's, else the first queued one that matches.
    pub(crate) fn take(&self, operation: Option<&str>, header: Option<Fault>) -> Option<Fault> {
        let fault = header.or_else(|| {
            let mut queue = lock(&self.queue);
            let at = queue.iter().position(|(target, _)| {
                target == ANY_OPERATION || Some(target.as_str()) == operation
            })?;
            queue.remove(at).map(|(_, fault)| fault)
        })?;
        let name = operation.unwrap_or("(anonymous)");
        lock(&self.log).push(format!("{name}: {fault:?}"));
        Some(fault)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The fault a request's `X-Fault` header asks for (`latency=250ms`, `fail`, `errors`,
/// `lose`); a malformed one is ignored.
pub(crate) fn header_fault(headers: &HeaderMap) -> Option<Fault> {
    let text = headers.get("x-fault")?.to_str().ok()?.trim();
    match text {
        "fail" => Some(Fault::Fail),
        "errors" => Some(Fault::Errors),
        "lose" => Some(Fault::Lose),
        _ => {
            let ms = text.strip_prefix("latency=")?.strip_suffix("ms")?;
            Some(Fault::Latency(Duration::from_millis(ms.parse().ok()?)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queued_fault_goes_to_the_first_matching_request_once() {
        let faults = Faults::default();
        faults.next("Save", Fault::Fail);
        faults.next("*", Fault::Lose);
        assert_eq!(faults.take(Some("Load"), None), Some(Fault::Lose));
        assert_eq!(faults.take(Some("Load"), None), None);
        assert_eq!(faults.take(Some("Save"), None), Some(Fault::Fail));
        assert_eq!(faults.take(Some("Save"), None), None);
        assert_eq!(faults.log(), ["Load: Lose", "Save: Fail"]);
    }

    #[test]
    fn the_header_goes_first_and_a_malformed_one_is_ignored() {
        let faults = Faults::default();
        faults.next("*", Fault::Fail);
        let header = |text: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert("x-fault", text.parse().unwrap());
            header_fault(&headers)
        };
        assert_eq!(
            header("latency=20ms"),
            Some(Fault::Latency(Duration::from_millis(20)))
        );
        assert_eq!(header("errors"), Some(Fault::Errors));
        assert_eq!(header("latency=soon"), None);
        assert_eq!(faults.take(None, header("lose")), Some(Fault::Lose));
        assert_eq!(faults.take(None, None), Some(Fault::Fail), "still queued");
    }
}
