//! Nothing shown changed, no render (and nothing sent): each case beside one that does change
//! something, so the count can be seen to move.

use serde_json::json;
use todo_crux::Event;

use crate::harness::{Harness, ok, row};

#[test]
fn a_refetch_that_brings_nothing_new_does_not_render() {
    let rows = json!([row(1, "Walk", false, 1)]);
    let mut harness = Harness::loaded(rows.clone());
    let mut refetch = harness.send(Event::Refetch);
    assert_eq!(refetch.renders, 0);
    let mut get = refetch.take("GET");
    let same = harness.answer(&mut get, ok(200, rows));
    assert_eq!(same.renders, 0);
    assert!(same.http.is_empty() && same.timers.is_empty());

    let mut refetch = harness.send(Event::Refetch);
    let mut get = refetch.take("GET");
    let renamed = harness.answer(&mut get, ok(200, json!([row(1, "Walk the dog", false, 2)])));
    assert_eq!(renamed.renders, 1, "something new: rendered");
}

#[test]
fn intents_that_change_nothing_do_not_render_or_send() {
    let mut harness = Harness::loaded(json!([row(1, "Walk", false, 1)]));
    let idle = [
        Event::Toggle {
            key: "Todo:404".into(),
        },
        Event::Toggle {
            key: "not a key".into(),
        },
        Event::Add { title: "  ".into() },
        Event::Rename {
            key: "Todo:1".into(),
            title: "Walk".into(),
        },
        Event::Delete {
            key: "Todo:404".into(),
        },
        Event::Dismiss {
            failure: "L1".into(),
        },
        Event::Online,
    ];
    for event in idle {
        let label = format!("{event:?}");
        let step = harness.send(event);
        assert_eq!(
            (step.renders, step.http.len(), step.timers.len()),
            (0, 0, 0),
            "{label}"
        );
    }
    let rename = harness.send(Event::Rename {
        key: "Todo:1".into(),
        title: "Run".into(),
    });
    assert_eq!((rename.renders, rename.http.len()), (1, 1));
}
