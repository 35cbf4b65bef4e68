//! A version conflict: the guess reverted, the server's current row shown, the failure kept.

use serde_json::json;
use todo_crux::Event;

use crate::harness::{Harness, header, ok, row};

#[test]
fn a_rename_refused_as_a_conflict_shows_the_servers_row() {
    let mut harness = Harness::loaded(json!([row(1, "Walk", false, 1)]));
    let mut step = harness.send(Event::Rename {
        key: "Todo:1".into(),
        title: "Run".into(),
    });
    assert_eq!(harness.view().rows[0].title, "Run");
    let mut patch = step.take("PATCH");
    assert_eq!(header(&patch.operation, "If-Match"), Some("1"));
    let refused = harness.answer(
        &mut patch,
        ok(
            412,
            json!({"error": "version mismatch", "current": row(1, "Jog", true, 4)}),
        ),
    );
    assert_eq!(refused.renders, 1);
    let view = harness.view();
    assert_eq!(
        (view.rows[0].title.as_str(), view.rows[0].done),
        ("Jog", true)
    );
    assert_eq!(view.confirmed[0].version, 4);
    assert!(view.failures[0].reason.starts_with("conflict: 412"));
}
