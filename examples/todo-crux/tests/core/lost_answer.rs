//! A lost answer: the guess stays, a timer at the retry time, then the same request again
//! under the same idempotency key.

use std::time::Duration;

use crux_http::HttpError;
use crux_http::protocol::HttpResult;
use crux_time::TimeRequest;
use serde_json::json;
use todo_crux::{Event, RowState};

use crate::harness::{Harness, body, header, ok, row};

#[test]
fn a_lost_answer_becomes_a_timer_then_a_resend_with_the_same_key() {
    let mut harness = Harness::loaded(json!([row(1, "Walk", false, 1)]));
    let mut step = harness.send(Event::Toggle {
        key: "Todo:1".into(),
    });
    let mut patch = step.take("PATCH");
    let key = header(&patch.operation, "Idempotency-Key")
        .unwrap()
        .to_owned();
    assert_eq!(body(&patch.operation), json!({"done": true}));

    let mut lost = harness.answer(
        &mut patch,
        HttpResult::Err(HttpError::Io("connection reset".into())),
    );
    assert!(lost.http.is_empty(), "not sent again at once");
    assert_eq!(lost.renders, 1, "the row shows it is retrying");
    let view = harness.view();
    assert!(view.rows[0].done, "the guess stays");
    let RowState::Pending(statuses) = &view.rows[0].state else {
        panic!("{:?}", view.rows[0]);
    };
    assert!(
        statuses[0].starts_with("retrying after 1 sent"),
        "{statuses:?}"
    );

    let mut timer = lost.take_timer();
    let TimeRequest::NotifyAfter { duration, .. } = timer.operation else {
        panic!("{:?}", timer.operation);
    };
    assert!(Duration::from(duration) <= todo_crux::retry_policy().max_delay);

    let mut fired = harness.fire(&mut timer);
    assert_eq!(fired.renders, 1, "retrying, now in flight again");
    let mut again = fired.take("PATCH");
    assert_eq!(
        header(&again.operation, "Idempotency-Key"),
        Some(key.as_str())
    );
    assert_eq!(body(&again.operation), body(&patch.operation));
    assert_eq!(header(&again.operation, "If-Match"), Some("1"));

    let answered = harness.answer(&mut again, ok(200, row(1, "Walk", true, 2)));
    assert_eq!(answered.renders, 1);
    assert!(answered.http.is_empty() && answered.timers.is_empty());
    let view = harness.view();
    assert_eq!(view.rows[0].state, RowState::Confirmed);
    assert!(view.rows[0].done);
    assert_eq!(view.confirmed[0].version, 2);
}
