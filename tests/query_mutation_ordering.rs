//! Fetches against mutations: a fetch handed out while a mutation is pending answers into a
//! slot below it, so the view keeps the mutation's guess after the answer, and shows the
//! answer once the mutation fails (DESIGN.md: an observation never lands above an intent
//! that was in flight when it was requested).

mod common;

use common::client::{client, next, serve, title, todos, todos_json, todos_read};
use optimist::{FetchPolicy, Instant, LayerKind, Patch, QueryOptions};

/// An observer of `todos`, answered with `Todo:1` titled `Buy milk`.
fn answered() -> (optimist::Client, optimist::Observed, Instant) {
    let mut client = client();
    let t0 = Instant::now();
    let seen = client.observe(todos(), QueryOptions::new(), t0, |_| {});
    serve(&mut client, t0, &todos_json(&[(1, "Buy milk")]));
    (client, seen, t0)
}

fn shown(client: &optimist::Client, seen: &optimist::Observed) -> serde_json::Value {
    client
        .state(seen.observer)
        .unwrap()
        .data
        .as_deref()
        .cloned()
        .unwrap()
}

#[test]
fn a_fetch_sent_during_a_mutation_lands_below_it() {
    let (mut client, seen, t0) = answered();
    let (edit, _) = client
        .store_mut()
        .push("rename", Patch::new().set("Todo:1", "title", "guess"))
        .unwrap();
    assert_eq!(shown(&client, &seen), todos_read(&[(1, "guess")]));
    client.refetch(seen.query, t0).unwrap();
    let fetch = next(&mut client, t0);
    let slot = fetch.slot.unwrap();
    // The slot sits below the pending intent.
    let order: Vec<_> = client.store().layers().map(|layer| layer.id()).collect();
    assert_eq!(order, [slot, edit], "oldest first: the slot, then the edit");
    assert_eq!(
        client.store().layer(slot).unwrap().kind(),
        LayerKind::Observation
    );
    client
        .resolve(fetch.id, todos_json(&[(1, "server")]).as_str(), t0)
        .unwrap();
    assert_eq!(title(&client, "Todo:1").as_deref(), Some("guess"));
    assert_eq!(
        shown(&client, &seen),
        todos_read(&[(1, "guess")]),
        "the answer does not hide the pending guess"
    );
    client.store_mut().fail(edit).unwrap();
    assert_eq!(title(&client, "Todo:1").as_deref(), Some("server"));
    assert_eq!(
        shown(&client, &seen),
        todos_read(&[(1, "server")]),
        "the mutation failed: the answer shows"
    );
    assert_eq!(client.store().layers().count(), 0);
}

#[test]
fn the_mutation_confirmed_after_the_answer_wins() {
    let (mut client, seen, t0) = answered();
    let (edit, _) = client
        .store_mut()
        .push("rename", Patch::new().set("Todo:1", "title", "guess"))
        .unwrap();
    client.refetch(seen.query, t0).unwrap();
    let fetch = next(&mut client, t0);
    client
        .resolve(fetch.id, todos_json(&[(1, "before the save")]).as_str(), t0)
        .unwrap();
    client
        .store_mut()
        .confirm(edit, Patch::new().set("Todo:1", "title", "saved"))
        .unwrap();
    assert_eq!(shown(&client, &seen), todos_read(&[(1, "saved")]));
    assert_eq!(client.store().layers().count(), 0);
}

#[test]
fn the_answer_arriving_after_the_mutation_failed_shows_too() {
    let (mut client, seen, t0) = answered();
    let (edit, _) = client
        .store_mut()
        .push("rename", Patch::new().set("Todo:1", "title", "guess"))
        .unwrap();
    client.refetch(seen.query, t0).unwrap();
    let fetch = next(&mut client, t0);
    client.store_mut().fail(edit).unwrap();
    assert_eq!(shown(&client, &seen), todos_read(&[(1, "Buy milk")]));
    client
        .resolve(fetch.id, todos_json(&[(1, "server")]).as_str(), t0)
        .unwrap();
    assert_eq!(shown(&client, &seen), todos_read(&[(1, "server")]));
}

#[test]
fn a_fetch_sent_after_the_mutation_settled_overrides_it() {
    let (mut client, seen, t0) = answered();
    let (edit, _) = client
        .store_mut()
        .push("rename", Patch::new().set("Todo:1", "title", "guess"))
        .unwrap();
    client.store_mut().promote(edit).unwrap();
    client.refetch(seen.query, t0).unwrap();
    let fetch = next(&mut client, t0);
    client
        .resolve(fetch.id, todos_json(&[(1, "someone else")]).as_str(), t0)
        .unwrap();
    assert_eq!(shown(&client, &seen), todos_read(&[(1, "someone else")]));
}

#[test]
fn a_first_fetch_under_a_pending_create_keeps_the_created_row() {
    let mut client = client();
    let t0 = Instant::now();
    let (create, _) = client
        .store_mut()
        .push(
            "create",
            Patch::new()
                .set("Todo:9", "__typename", "Todo")
                .set("Todo:9", "id", 9)
                .set("Todo:9", "title", "new")
                .insert(
                    "ROOT_QUERY",
                    "todos",
                    optimist::Value::Ref(optimist::Key::new("Todo:9").unwrap()),
                    optimist::ListPosition::End,
                ),
        )
        .unwrap();
    let seen = client.observe(
        todos(),
        QueryOptions::new().fetch_policy(FetchPolicy::CacheAndNetwork),
        t0,
        |_| {},
    );
    let fetch = next(&mut client, t0);
    client
        .resolve(fetch.id, todos_json(&[(1, "Buy milk")]).as_str(), t0)
        .unwrap();
    assert_eq!(
        shown(&client, &seen),
        todos_read(&[(1, "Buy milk"), (9, "new")]),
        "the insert rebases on the answer"
    );
    client.store_mut().fail(create).unwrap();
    assert_eq!(shown(&client, &seen), todos_read(&[(1, "Buy milk")]));
}
