//! The list query: fetched once at start, refetched after a create or a delete went through
//! (not after an edit), a failed fetch retried when its timer fires.

use std::time::Duration;

use crux_time::TimeRequest;
use serde_json::json;
use todo_crux::Event;

use crate::harness::{API, Harness, ok, row};

#[test]
fn the_list_is_fetched_once_at_start() {
    let mut harness = Harness::new();
    let mut start = harness.send(Event::Start { api: API.into() });
    assert_eq!(start.http.len(), 1, "{:?}", start.summary());
    assert_eq!(start.with_method("GET")[0].url, format!("{API}/todos"));
    assert_eq!(start.renders, 1, "the spinner");
    assert!(harness.view().loading);
    // Another event before the answer fetches nothing more.
    let meanwhile = harness.send(Event::Add { title: "a".into() });
    assert!(meanwhile.with_method("GET").is_empty());

    let mut get = start.take("GET");
    let answered = harness.answer(&mut get, ok(200, json!([row(1, "Walk", false, 1)])));
    assert_eq!(answered.renders, 1);
    assert!(answered.with_method("GET").is_empty());
    let view = harness.view();
    assert!(!view.loading);
    assert_eq!(view.rows.len(), 2, "the answer lands under the pending add");
    assert_eq!(view.rows[0].title, "Walk");
}

#[test]
fn the_list_is_refetched_after_a_create_and_after_a_delete_not_after_an_edit() {
    let mut harness = Harness::loaded(json!([row(1, "Walk", false, 1)]));

    let mut toggle = harness.send(Event::Toggle {
        key: "Todo:1".into(),
    });
    let mut patch = toggle.take("PATCH");
    let edited = harness.answer(&mut patch, ok(200, row(1, "Walk", true, 2)));
    assert!(
        edited.with_method("GET").is_empty(),
        "{:?}",
        edited.summary()
    );

    let mut add = harness.send(Event::Add {
        title: "Shop".into(),
    });
    let mut post = add.take("POST");
    let mut created = harness.answer(&mut post, ok(201, row(2, "Shop", false, 1)));
    assert_eq!(
        created.with_method("GET").len(),
        1,
        "{:?}",
        created.summary()
    );
    let mut get = created.take("GET");
    let rows = json!([row(1, "Walk", true, 2), row(2, "Shop", false, 1)]);
    let refetched = harness.answer(&mut get, ok(200, rows));
    assert!(refetched.http.is_empty());

    let mut delete = harness.send(Event::Delete {
        key: "Todo:1".into(),
    });
    let mut request = delete.take("DELETE");
    let mut deleted = harness.answer(&mut request, ok(200, json!({"id": 1})));
    assert_eq!(
        deleted.with_method("GET").len(),
        1,
        "{:?}",
        deleted.summary()
    );
    let mut get = deleted.take("GET");
    harness.answer(&mut get, ok(200, json!([row(2, "Shop", false, 1)])));
    let keys: Vec<String> = harness.view().rows.into_iter().map(|r| r.key).collect();
    assert_eq!(keys, ["Todo:2"]);
}

#[test]
fn a_failed_fetch_is_retried_when_its_timer_fires() {
    let mut harness = Harness::new();
    let mut start = harness.send(Event::Start { api: API.into() });
    let mut get = start.take("GET");
    let mut failed = harness.answer(&mut get, ok(503, json!({"error": "busy"})));
    assert!(failed.http.is_empty(), "not at once");
    assert_eq!(failed.renders, 0, "still loading, as shown");
    assert!(harness.view().loading);
    let mut timer = failed.take_timer();
    let TimeRequest::NotifyAfter { duration, .. } = timer.operation else {
        panic!("{:?}", timer.operation);
    };
    assert!(Duration::from(duration) <= todo_crux::retry_policy().max_delay);

    let mut fired = harness.fire(&mut timer);
    let mut again = fired.take("GET");
    let answered = harness.answer(&mut again, ok(200, json!([])));
    assert_eq!(answered.renders, 1);
    assert!(!harness.view().loading);
}

#[test]
fn a_bad_api_url_is_shown_and_nothing_is_fetched() {
    let mut harness = Harness::new();
    let bad = harness.send(Event::Start {
        api: "todo.test".into(),
    });
    assert!(bad.http.is_empty());
    assert_eq!(bad.renders, 1);
    assert!(harness.view().problem.is_some());
    let good = harness.send(Event::Start { api: API.into() });
    assert_eq!(good.with_method("GET").len(), 1);
    assert!(harness.view().problem.is_none());
}
