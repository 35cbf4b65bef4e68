//! Saving and loading the store: an outbox survives a restart, and bad saved stores are refused.

use std::time::Instant;

use optimist::{
    ListPosition, LoadError, Mutation, MutationStatus, Outcome, Patch, Policies, Saved, Scope,
    Store, Value,
};

fn busy_store() -> Store {
    let mut store = Store::with_policies(Policies::new().version_field("Todo", "version"));
    store
        .register_updater("archive", |e, _| {
            e.map(|e| e.clone().with("archived", true))
        })
        .unwrap();
    store
        .write(
            Patch::new()
                .set(
                    "ROOT_QUERY",
                    "todos",
                    vec![optimist::Key::new("Todo:1").unwrap()],
                )
                .set("Todo:1", "title", "a")
                .set("Todo:1", "version", 1),
        )
        .unwrap();
    let refetch = store.reserve("refetch"); // in flight: not saved
    let (tick, _) = store
        .push("tick", Patch::new().set("Todo:1", "done", true))
        .unwrap();
    store.promote(tick).unwrap(); // confirmed, waiting above the refetch
    let tmp = store.temporary_key("Todo").unwrap();
    store
        .mutate(
            Mutation::new(
                "create",
                Patch::new().set(&tmp, "title", "new").insert_unique(
                    "ROOT_QUERY",
                    "todos",
                    tmp.clone(),
                    ListPosition::End,
                ),
            )
            .request(serde_json::json!({"title": "new"}))
            .scope(Scope::item(&tmp).unwrap()),
        )
        .unwrap();
    store
        .push(
            "archive",
            Patch::new().update("Todo:1", "archive", Value::Null),
        )
        .unwrap();
    let (failed, _) = store
        .push("rename", Patch::new().set("Todo:1", "title", "x"))
        .unwrap();
    store.fail(failed).unwrap();
    assert_eq!(store.invalidate_field("ROOT_QUERY", "todos").unwrap(), 1);
    let _ = refetch;
    store
}

fn fresh_like(store: &Store) -> Store {
    let mut fresh = Store::with_policies(store.policies().clone());
    fresh
        .register_updater("archive", |e, _| {
            e.map(|e| e.clone().with("archived", true))
        })
        .unwrap();
    fresh
}

#[test]
fn a_saved_store_loads_back_equal_once_the_restart_is_accounted_for() {
    let mut store = busy_store();
    let text = store.save_json().unwrap();
    let mut loaded = fresh_like(&store);
    loaded.load_json(&text).unwrap();
    loaded.check_invariants().unwrap();
    // What a restart loses: the refetch in flight.
    let refetch = store.layers().next().unwrap().id();
    store.cancel(refetch).unwrap();
    assert_eq!(loaded, store);
    assert_eq!(
        loaded.save(),
        store.save(),
        "records, settled ones included"
    );
    let statuses: Vec<_> = loaded
        .mutations()
        .map(|m| (m.label().to_owned(), m.status().clone()))
        .collect();
    assert!(matches!(statuses.last(), Some((l, MutationStatus::Failed(_))) if l == "rename"));
    assert!(loaded.is_field_stale("ROOT_QUERY", "todos"));
    assert_eq!(loaded.stale_count(), 1);
    // A key minted after the load never collides with a loaded one.
    let tmp = loaded.temporary_key("Todo").unwrap();
    assert!(loaded.get(&tmp).is_none());
    // Other serde formats work too: the saved value itself round-trips.
    let saved: Saved = serde_json::from_value(serde_json::to_value(store.save()).unwrap()).unwrap();
    assert_eq!(saved, store.save());
}

#[test]
fn a_restart_with_three_queued_mutations_resumes_them_in_order() {
    let mut store = Store::new();
    let scope = Scope::item("Todo:1").unwrap();
    let mut keys = Vec::new();
    for title in ["a", "b", "c"] {
        let (id, _) = store
            .mutate(
                Mutation::new("rename", Patch::new().set("Todo:1", "title", title))
                    .request(title)
                    .scope(scope.clone()),
            )
            .unwrap();
        keys.push(store.mutation(id).unwrap().idempotency_key().to_owned());
    }
    store.next_to_send(Instant::now()).unwrap(); // the first was in flight
    let text = store.save_json().unwrap();
    drop(store);

    let mut store = Store::new();
    store.load_json(&text).unwrap();
    let now = Instant::now();
    let mut sent = Vec::new();
    while let Some(out) = store.next_to_send(now) {
        sent.push((
            out.request.as_str().unwrap().to_owned(),
            out.idempotency_key.to_string(),
            out.attempt,
        ));
        store.report(out.id, Outcome::promote(), now).unwrap();
    }
    assert_eq!(
        sent,
        [
            ("a".to_owned(), keys[0].clone(), 2),
            ("b".to_owned(), keys[1].clone(), 1),
            ("c".to_owned(), keys[2].clone(), 1)
        ]
    );
    assert_eq!(
        store
            .get_confirmed("Todo:1")
            .and_then(|e| e.get("title"))
            .and_then(Value::as_str),
        Some("c")
    );
}

#[test]
fn bad_saved_stores_are_refused_and_change_nothing() {
    let store = busy_store();
    let text = store.save_json().unwrap();
    let mut target = fresh_like(&store);
    target.write(Patch::new().set("Other:1", "x", 1)).unwrap();
    let before = target.clone();

    for cut in [0, 1, text.len() / 3, text.len() / 2, text.len() - 1] {
        let err = target.load_json(&text[..cut]).unwrap_err();
        assert!(matches!(err, LoadError::Json(_)), "{cut}: {err}");
    }
    let other_version = text.replacen(r#"{"format":1,"#, r#"{"format":2,"#, 1);
    assert_eq!(
        target.load_json(&other_version).unwrap_err(),
        LoadError::Format {
            found: 2,
            supported: 1
        }
    );
    let err = Store::new().load_json(&text).unwrap_err();
    assert!(
        matches!(err, LoadError::Layer { ref label, .. } if label == "archive"),
        "{err}"
    );

    let saved: Saved = serde_json::from_str(&text).unwrap();
    let json = serde_json::to_value(&saved).unwrap();
    // Two records for one request.
    let mut twice = json.clone();
    let first = twice["mutations"][0].clone();
    twice["mutations"].as_array_mut().unwrap().push(first);
    let err = target
        .load(serde_json::from_value(twice).unwrap())
        .unwrap_err();
    assert!(matches!(err, LoadError::Invalid(_)), "{err}");
    // A pending intent with no record.
    let mut orphan = json.clone();
    orphan["mutations"] = serde_json::json!([]);
    let err = target
        .load(serde_json::from_value(orphan).unwrap())
        .unwrap_err();
    assert!(matches!(err, LoadError::Invalid(_)), "{err}");
    // An alias of a key that is not temporary.
    let mut alias = json.clone();
    alias["aliases"] = serde_json::json!([["Todo:1", "Todo:2"]]);
    let err = target
        .load(serde_json::from_value(alias).unwrap())
        .unwrap_err();
    assert!(matches!(err, LoadError::Invalid(_)), "{err}");
    // Bad keys and values fail in parsing.
    let bad_key = text.replacen("\"Todo:1\":{", "\"\":{", 1);
    assert_ne!(bad_key, text);
    assert!(matches!(
        target.load_json(&bad_key),
        Err(LoadError::Json(_))
    ));

    assert_eq!(target, before);
}

#[test]
fn loading_reports_the_view_changes_to_watchers() {
    let store = busy_store();
    let text = store.save_json().unwrap();
    let mut target = fresh_like(&store);
    let told = std::sync::Arc::new(std::sync::Mutex::new(0));
    let seen = told.clone();
    target
        .watch_entity("Todo:1", move |_| *seen.lock().unwrap() += 1)
        .unwrap();
    let changes = target.load_json(&text).unwrap();
    assert!(changes.contains("Todo:1"));
    assert_eq!(*told.lock().unwrap(), 1);
    let again = target.load_json(&text).unwrap();
    assert!(again.is_empty(), "the same store again: nothing changed");
}
