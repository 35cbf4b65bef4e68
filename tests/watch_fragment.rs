//! Fragment watches (`Store::watch_fragment`): told exactly when what the fragment reads
//! changes, through references, layers, an entity that appears later and a remapped key.

use std::sync::{Arc, Mutex};

use optimist::{Document, Key, Patch, Store};
use serde_json::{Value as Json, json};

type Log = Arc<Mutex<Vec<Option<Json>>>>;

/// Watches `fragment` of `doc` on `key`, logging each result told (`None`: a failed read).
fn watch(
    store: &mut Store,
    doc: &str,
    fragment: Option<&str>,
    key: &str,
) -> (optimist::WatchId, Log) {
    let log: Log = Arc::default();
    let told = log.clone();
    let id = store
        .watch_fragment(
            Document::parse(doc).unwrap(),
            fragment,
            key,
            json!({}),
            move |result| {
                told.lock()
                    .unwrap()
                    .push(result.as_ref().ok().map(|json| (**json).clone()));
            },
        )
        .unwrap();
    (id, log)
}

fn todo(id: u32, title: &str) -> Patch {
    let key = format!("Todo:{id}");
    Patch::new()
        .set(&key, "__typename", "Todo")
        .set(&key, "title", title)
}

fn told(log: &Log) -> Vec<Option<Json>> {
    log.lock().unwrap().clone()
}

#[test]
fn told_only_when_a_selected_field_changes() {
    let mut store = Store::new();
    store
        .write(todo(1, "a").set("Todo:1", "done", false))
        .unwrap();
    let (_, log) = watch(&mut store, "fragment T on Todo { title }", None, "Todo:1");
    store
        .write(Patch::new().set("Todo:1", "done", true))
        .unwrap();
    store.write(todo(2, "other")).unwrap();
    assert_eq!(told(&log), Vec::<Option<Json>>::new());
    let (rename, _) = store
        .push("rename", Patch::new().set("Todo:1", "title", "b"))
        .unwrap();
    store.fail(rename).unwrap();
    assert_eq!(
        told(&log),
        [
            Some(json!({"__typename": "Todo", "title": "b"})),
            Some(json!({"__typename": "Todo", "title": "a"}))
        ]
    );
}

#[test]
fn follows_references_as_they_change() {
    let mut store = Store::new();
    let ada = Key::new("User:1").unwrap();
    let bob = Key::new("User:2").unwrap();
    store
        .write(
            todo(1, "a")
                .set("Todo:1", "owner", ada.clone())
                .set("User:1", "name", "Ada")
                .set("User:2", "name", "Bob"),
        )
        .unwrap();
    let doc = "fragment T on Todo { title owner { name } }";
    let (_, log) = watch(&mut store, doc, None, "Todo:1");
    store
        .write(Patch::new().set("User:1", "name", "Ada L."))
        .unwrap();
    store
        .write(Patch::new().set("Todo:1", "owner", bob))
        .unwrap();
    // Ada is no longer read: her changes tell nothing; Bob's do.
    store
        .write(Patch::new().set("User:1", "name", "Ada"))
        .unwrap();
    store
        .write(Patch::new().set("User:2", "name", "Bobby"))
        .unwrap();
    assert_eq!(
        told(&log),
        [
            Some(json!({"__typename": "Todo", "title": "a", "owner": {"name": "Ada L."}})),
            Some(json!({"__typename": "Todo", "title": "a", "owner": {"name": "Bob"}})),
            Some(json!({"__typename": "Todo", "title": "a", "owner": {"name": "Bobby"}})),
        ]
    );
}

#[test]
fn an_entity_that_appears_later_is_told() {
    let mut store = Store::new();
    let (id, log) = watch(&mut store, "fragment T on Todo { title }", None, "Todo:7");
    assert!(store.watched(id).unwrap().is_err(), "nothing to read yet");
    store.write(todo(7, "late")).unwrap();
    assert_eq!(
        told(&log),
        [Some(json!({"__typename": "Todo", "title": "late"}))]
    );
    assert_eq!(
        **store.watched(id).unwrap().as_ref().unwrap(),
        json!({"__typename": "Todo", "title": "late"})
    );
}

#[test]
fn a_named_fragment_among_several() {
    let mut store = Store::new();
    store
        .write(todo(1, "a").set("Todo:1", "done", false))
        .unwrap();
    let doc = "fragment T on Todo { title } fragment D on Todo { done }";
    let (id, log) = watch(&mut store, doc, Some("D"), "Todo:1");
    assert_eq!(
        **store.watched(id).unwrap().as_ref().unwrap(),
        json!({"__typename": "Todo", "done": false})
    );
    store
        .write(Patch::new().set("Todo:1", "title", "b"))
        .unwrap();
    store
        .push("tick", Patch::new().set("Todo:1", "done", true))
        .unwrap();
    assert_eq!(
        told(&log),
        [Some(json!({"__typename": "Todo", "done": true}))]
    );
}

#[test]
fn a_remapped_temporary_key_is_followed() {
    let mut store = Store::new();
    let tmp = store.temporary_key("Todo").unwrap();
    let (create, _) = store
        .push(
            "create",
            Patch::new()
                .set(&tmp, "__typename", "Todo")
                .set(&tmp, "title", "new"),
        )
        .unwrap();
    let (id, log) = watch(
        &mut store,
        "fragment T on Todo { title }",
        None,
        tmp.as_str(),
    );
    store.remap(&tmp, "Todo:6").unwrap();
    store.confirm(create, todo(6, "new")).unwrap();
    store
        .write(Patch::new().set("Todo:6", "title", "renamed on the server"))
        .unwrap();
    // The remap and the confirm changed nothing the fragment shows; the server's rename did.
    assert_eq!(told(&log).len(), 1);
    let last = told(&log).last().cloned().flatten();
    assert_eq!(
        last,
        Some(json!({"__typename": "Todo", "title": "renamed on the server"}))
    );
    assert_eq!(
        **store.watched(id).unwrap().as_ref().unwrap(),
        json!({"__typename": "Todo", "title": "renamed on the server"})
    );
}

#[test]
fn a_malformed_key_registers_nothing() {
    let mut store = Store::new();
    let doc = Document::parse("fragment T on Todo { title }").unwrap();
    let refused = store.watch_fragment(doc, None, ":no-type", json!({}), |_| {});
    assert!(refused.is_err());
    assert_eq!(store.watcher_count(), 0);
}

#[test]
fn typed_results() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Title {
        title: String,
    }
    let mut store = Store::new();
    store.write(todo(1, "a")).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let doc = Document::parse("fragment T on Todo { title }").unwrap();
    store
        .watch_fragment_as(
            doc,
            None,
            "Todo:1",
            Json::Null,
            move |title: Result<Title, _>| {
                log.lock().unwrap().push(title.map(|t| t.title).ok());
            },
        )
        .unwrap();
    store
        .push("rename", Patch::new().set("Todo:1", "title", "b"))
        .unwrap();
    store
        .write(Patch::new().set("Todo:1", "__typename", "Note"))
        .unwrap();
    // Not a Todo any more: the type condition no longer applies, and the read fails.
    assert_eq!(*seen.lock().unwrap(), [Some("b".to_owned()), None]);
}
