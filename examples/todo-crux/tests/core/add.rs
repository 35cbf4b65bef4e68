//! An add: the guess at once, one render, one POST with an idempotency key; the answer remaps
//! the temporary key to the server's id.

use serde_json::json;
use todo_crux::{Event, RowState, Todo};

use crate::harness::{API, Harness, body, header, ok, row};

#[test]
fn an_add_renders_once_and_posts_once_with_an_idempotency_key() {
    let mut harness = Harness::loaded(json!([row(1, "Walk", false, 1)]));
    let mut step = harness.send(Event::Add {
        title: "Buy milk".into(),
    });
    assert_eq!(step.renders, 1);
    assert_eq!(step.http.len(), 1, "{:?}", step.summary());
    assert!(step.timers.is_empty());
    let mut post = step.take("POST");
    assert_eq!(post.operation.url, format!("{API}/todos"));
    assert_eq!(body(&post.operation), json!({"title": "Buy milk"}));
    let key = header(&post.operation, "Idempotency-Key")
        .expect("an Idempotency-Key header")
        .to_owned();
    let made = harness.model.store().mutations().last().unwrap();
    assert_eq!(made.idempotency_key(), key, "the mutation's own key");
    assert_eq!(header(&post.operation, "If-Match"), None);

    let view = harness.view();
    assert_eq!(view.rows.len(), 2, "the guess shows at once");
    let guess = &view.rows[1];
    assert_eq!((guess.title.as_str(), guess.done), ("Buy milk", false));
    assert_eq!(
        guess.state,
        RowState::Pending(vec!["in flight (attempt 1)".into()])
    );
    assert_ne!(guess.key, "Todo:2", "a temporary key until answered");

    let answered = harness.answer(&mut post, ok(201, row(2, "Buy milk", false, 1)));
    assert_eq!(answered.renders, 1);
    let view = harness.view();
    assert_eq!(view.rows[1].key, "Todo:2", "remapped to the server's id");
    assert_eq!(view.rows[1].state, RowState::Confirmed);
    assert!(view.pending.is_empty() && view.failures.is_empty());
    assert_eq!(
        view.confirmed,
        [
            Todo {
                id: 1,
                title: "Walk".into(),
                done: false,
                version: 1
            },
            Todo {
                id: 2,
                title: "Buy milk".into(),
                done: false,
                version: 1
            },
        ]
    );
}

#[test]
fn two_adds_go_at_once_each_with_its_own_key() {
    let mut harness = Harness::loaded(json!([]));
    let first = harness.send(Event::Add { title: "a".into() });
    let second = harness.send(Event::Add { title: "b".into() });
    let keys: Vec<&str> = [&first, &second]
        .iter()
        .map(|step| header(step.with_method("POST")[0], "Idempotency-Key").unwrap())
        .collect();
    assert_ne!(keys[0], keys[1]);
    assert_eq!((first.renders, second.renders), (1, 1));
}

#[test]
fn an_edit_of_a_row_still_being_created_goes_after_it_to_the_servers_id() {
    let mut harness = Harness::loaded(json!([]));
    let mut add = harness.send(Event::Add {
        title: "Buy milk".into(),
    });
    let tmp = harness.view().rows[0].key.clone();
    let toggle = harness.send(Event::Toggle { key: tmp.clone() });
    assert_eq!(toggle.renders, 1, "the guess shows at once");
    assert!(
        toggle.http.is_empty(),
        "it waits for the create, in its scope"
    );
    assert!(harness.view().rows[0].done);

    let mut post = add.take("POST");
    let mut created = harness.answer(&mut post, ok(201, row(5, "Buy milk", false, 1)));
    let patch = created.take("PATCH");
    assert_eq!(
        patch.operation.url,
        format!("{API}/todos/5"),
        "the server's id"
    );
    assert_eq!(header(&patch.operation, "If-Match"), Some("1"));
    assert_eq!(body(&patch.operation), json!({"done": true}));
    assert_eq!(harness.view().rows[0].key, "Todo:5");
    assert!(harness.view().rows[0].done, "the guess survives the remap");
}
