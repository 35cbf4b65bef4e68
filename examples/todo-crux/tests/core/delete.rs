//! A delete: gone at once; refused, back in place with the failure shown until dismissed;
//! gone through, its saved state rendered though the rows did not change.

use serde_json::json;
use todo_crux::{Event, RowState};

use crate::harness::{API, Harness, header, ok, row};

fn two_rows() -> serde_json::Value {
    json!([row(1, "Walk", false, 1), row(2, "Shop", false, 3)])
}

#[test]
fn a_failed_delete_restores_the_row_and_shows_the_failure_until_dismissed() {
    let mut harness = Harness::loaded(two_rows());
    let mut step = harness.send(Event::Delete {
        key: "Todo:2".into(),
    });
    assert_eq!(step.renders, 1);
    assert_eq!(harness.view().rows.len(), 1, "gone at once");
    let mut delete = step.take("DELETE");
    assert_eq!(delete.operation.url, format!("{API}/todos/2"));
    assert_eq!(header(&delete.operation, "If-Match"), Some("3"));
    assert!(header(&delete.operation, "Idempotency-Key").is_some());

    let refused = harness.answer(&mut delete, ok(500, json!({"error": "injected failure"})));
    assert_eq!(refused.renders, 1, "re-rendered with the row back");
    assert!(
        refused.http.is_empty(),
        "a refused delete refetches nothing"
    );
    let view = harness.view();
    let keys: Vec<&str> = view.rows.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["Todo:1", "Todo:2"], "back in place");
    assert_eq!(view.rows[1].state, RowState::Confirmed);
    assert_eq!(view.failures.len(), 1);
    assert_eq!(view.failures[0].label, "delete Todo:2");
    assert!(
        view.failures[0].reason.contains("injected failure"),
        "{:?}",
        view.failures[0]
    );

    // Still shown after other updates.
    let mut refetch = harness.send(Event::Refetch);
    let mut get = refetch.take("GET");
    harness.answer(&mut get, ok(200, two_rows()));
    assert_eq!(harness.view().failures, view.failures);

    let id = view.failures[0].id.clone();
    let dismissed = harness.send(Event::Dismiss {
        failure: id.clone(),
    });
    assert_eq!(dismissed.renders, 1);
    assert!(harness.view().failures.is_empty());
    let again = harness.send(Event::Dismiss { failure: id });
    assert_eq!(again.renders, 0, "nothing left to dismiss");
}

#[test]
fn a_delete_that_goes_through_renders_its_saved_state_though_no_row_changed() {
    let mut harness = Harness::loaded(two_rows());
    let mut step = harness.send(Event::Delete {
        key: "Todo:2".into(),
    });
    let rows_while_pending = harness.view().rows;
    assert_eq!(harness.view().pending.len(), 1);
    let mut delete = step.take("DELETE");
    let answered = harness.answer(&mut delete, ok(200, json!({"id": 2})));
    // The merged view is as the guess had it (the store's Changes list no key), but the
    // mutation's layer was confirmed: its status leaves the view.
    assert_eq!(harness.view().rows, rows_while_pending);
    assert!(harness.view().pending.is_empty());
    assert_eq!(answered.renders, 1);
}
