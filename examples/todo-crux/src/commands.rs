//! The Crux commands the core issues: an HTTP request for a fetch or a mutation's send (with
//! crux_http, its answer read into an [`Answer`] and sent back as an event), and a timer (with
//! crux_time) for the next time anything is due.

use crux_core::Command;
use crux_http::command::Http;
use crux_time::{Time, TimerHandle};
use optimist::{FetchId, Instant, Outgoing};

use crate::answers::Answer;
use crate::effect::Effect;
use crate::event::Event;
use crate::requests::Write;

type Cmd = Command<Effect, Event>;

/// `GET {api}{path}` for the list's fetch `fetch`.
pub(crate) fn fetch(api: &str, path: &str, fetch: FetchId) -> Cmd {
    Http::get(format!("{api}{path}"))
        .build()
        .map(Answer::from)
        .then_send(move |answer| Event::Fetched { fetch, answer })
}

/// The write `write` of the mutation `out`, with its idempotency key (the same on every
/// attempt: the server dedupes a resend) and the confirmed version as `If-Match`. `Err` with
/// why, when the request cannot be made (an idempotency key that is no header value).
pub(crate) fn send(api: &str, out: &Outgoing, write: Write) -> Result<Cmd, String> {
    let url = format!("{api}{}", write.path());
    let request = match write {
        Write::Create { .. } => Http::post(url),
        Write::Update { .. } => Http::patch(url),
        Write::Delete { .. } => Http::delete(url),
    };
    // crux_http panics on a header value HTTP does not allow; a key given by the app could be one.
    if crux_http::http::HeaderValue::from_str(&out.idempotency_key).is_err() {
        return Err(format!(
            "the idempotency key {:?} is not a header value",
            out.idempotency_key
        ));
    }
    let mut request = request.header("Idempotency-Key", &*out.idempotency_key);
    if let Some(version) = write.if_match() {
        request = request.header("If-Match", version.to_string());
    }
    if let Some(body) = write.body() {
        request = request
            .body_json(&body)
            .map_err(|error| format!("the body did not encode: {error}"))?;
    }
    let mutation = out.id;
    Ok(request
        .build()
        .map(Answer::from)
        .then_send(move |answer| Event::Sent {
            mutation,
            write,
            answer,
        }))
}

/// A timer running out at `deadline` (`now` is the core's time), and its handle.
pub(crate) fn timer(deadline: Instant, now: Instant) -> (Cmd, TimerHandle) {
    let (builder, handle) = Time::notify_after(deadline.saturating_duration_since(now));
    let command = builder.then_send(move |outcome| Event::TimerFired { deadline, outcome });
    (command, handle)
}
