//! Offline: the outbox waits with the guesses shown, a retry's timer is cleared, and what
//! waited goes when the device is back online.

use crux_http::HttpError;
use crux_http::protocol::HttpResult;
use serde_json::json;
use todo_crux::{Event, RowState};

use crate::harness::{Harness, header, ok, row};

#[test]
fn offline_the_outbox_waits_and_the_guess_shows() {
    let mut harness = Harness::loaded(json!([row(1, "Walk", false, 1)]));
    let offline = harness.send(Event::Offline);
    assert_eq!(offline.renders, 1, "the view says offline");
    assert!(!harness.view().online);

    let toggle = harness.send(Event::Toggle {
        key: "Todo:1".into(),
    });
    assert_eq!(toggle.renders, 1);
    assert!(toggle.http.is_empty() && toggle.timers.is_empty());
    let view = harness.view();
    assert!(view.rows[0].done);
    assert_eq!(view.rows[0].state, RowState::Pending(vec!["queued".into()]));

    let mut online = harness.send(Event::Online);
    assert_eq!(online.renders, 1);
    let mut patch = online.take("PATCH");
    harness.answer(&mut patch, ok(200, row(1, "Walk", true, 2)));
    assert_eq!(harness.view().rows[0].state, RowState::Confirmed);
}

#[test]
fn going_offline_clears_a_retrys_timer_and_online_asks_for_it_again() {
    let mut harness = Harness::loaded(json!([row(1, "Walk", false, 1)]));
    let mut toggle = harness.send(Event::Toggle {
        key: "Todo:1".into(),
    });
    let mut patch = toggle.take("PATCH");
    let key = header(&patch.operation, "Idempotency-Key")
        .unwrap()
        .to_owned();
    let lost = harness.answer(&mut patch, HttpResult::Err(HttpError::Timeout));
    assert_eq!(lost.timers.len(), 1);

    let offline = harness.send(Event::Offline);
    assert_eq!(offline.cleared, 1, "no retry is timed while offline");
    assert!(offline.timers.is_empty());

    let mut online = harness.send(Event::Online);
    let mut timer = online.take_timer();
    let mut fired = harness.fire(&mut timer);
    let again = fired.take("PATCH");
    assert_eq!(
        header(&again.operation, "Idempotency-Key"),
        Some(key.as_str())
    );
}
