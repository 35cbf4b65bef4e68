//! Evict: in base directly, and inside a layer, where a failure brings everything back
//! exactly (Apollo #10289: `evict` inside an optimistic update deletes nothing).

mod common;

use common::{list, listed, title};
use optimist::{Document, Key, Patch, ROOT_QUERY, Store};
use serde_json::json;

fn todos() -> Store {
    let mut store = Store::new();
    store
        .write(list(&[
            (1, "Buy milk", false, 1),
            (2, "Walk dog", false, 1),
        ]))
        .unwrap();
    store
        .write(Patch::new().set("ROOT_QUERY", "pinned", Key::new("Todo:2").unwrap()))
        .unwrap();
    store
}

fn read(store: &Store) -> serde_json::Value {
    let doc = Document::parse("{ todos { title } pinned { title } }").unwrap();
    store.read_query_partial(&doc, &json!({})).unwrap().data
}

#[test]
fn an_evicted_entity_reads_as_dangling_refs() {
    let mut store = todos();
    let changes = store.evict("Todo:2").unwrap();
    assert_eq!(changes.keys(), [Key::new("Todo:2").unwrap()]);
    assert!(store.get_confirmed("Todo:2").is_none());
    assert_eq!(
        read(&store),
        json!({"todos": [{"title": "Buy milk"}], "pinned": null}),
        "dropped from the list, null for the single ref"
    );
    assert!(
        store.evict("Todo:2").unwrap().is_empty(),
        "nothing left to evict"
    );
}

#[test]
fn an_eviction_in_a_layer_hides_the_data_and_its_failure_brings_it_back_exactly() {
    let mut store = todos();
    let original = store.clone();
    let seen = read(&store);
    let (evict, changes) = store
        .push("evict Todo:2", Patch::new().delete("Todo:2"))
        .unwrap();
    assert!(changes.contains("Todo:2"));
    assert_eq!(
        read(&store),
        json!({"todos": [{"title": "Buy milk"}], "pinned": null})
    );
    assert_eq!(title(&store, "Todo:2"), None);
    assert!(store.get_confirmed("Todo:2").is_some(), "base keeps it");
    // A gc meanwhile keeps it too: the layer touches it.
    assert!(store.gc().is_empty());
    store.fail(evict).unwrap();
    assert_eq!(read(&store), seen);
    assert_eq!(store, original);
}

#[test]
fn a_field_eviction_in_a_layer_and_its_promote() {
    let mut store = todos();
    let (evict, _) = store
        .push("evict list", Patch::new().remove_field(ROOT_QUERY, "todos"))
        .unwrap();
    assert!(listed(&store).is_empty());
    store.promote(evict).unwrap();
    assert!(
        store
            .get_confirmed(ROOT_QUERY)
            .unwrap()
            .get("todos")
            .is_none()
    );
    // Only the list reached Todo:1; the pinned ref keeps Todo:2.
    assert_eq!(store.gc().keys(), [Key::new("Todo:1").unwrap()]);
}

#[test]
fn an_eviction_from_base_under_a_pending_layer_rebases_it() {
    let mut store = todos();
    let (rename, _) = store
        .push("rename", Patch::new().set("Todo:2", "title", "Walk cat"))
        .unwrap();
    let changes = store.evict("Todo:2").unwrap();
    assert!(
        changes.contains("Todo:2"),
        "its other fields are gone from the view"
    );
    let todo = store.get("Todo:2").unwrap();
    assert_eq!(todo.len(), 1, "only the guess is left: {todo:?}");
    assert_eq!(title(&store, "Todo:2"), Some("Walk cat"));
    store.fail(rename).unwrap();
    assert!(store.get("Todo:2").is_none());
}

#[test]
fn evict_field_removes_every_argument_variant_or_one() {
    let mut store = Store::new();
    let page = |n: i64| optimist::FieldName::with_args("todos", &json!({"page": n}));
    store
        .write(
            Patch::new()
                .set(ROOT_QUERY, page(1), 1)
                .set(ROOT_QUERY, page(2), 2)
                .set(ROOT_QUERY, "todosCount", 2),
        )
        .unwrap();
    store.invalidate(ROOT_QUERY).unwrap();
    let changes = store.evict_field(ROOT_QUERY, page(2).as_str()).unwrap();
    assert!(changes.field_changed(ROOT_QUERY, page(2).as_str()));
    assert!(
        !store.is_field_stale(ROOT_QUERY, page(2).as_str()),
        "its mark went with it"
    );
    assert!(store.is_field_stale(ROOT_QUERY, page(1).as_str()));
    store.evict_field(ROOT_QUERY, "todos").unwrap();
    let root = store.get(ROOT_QUERY).unwrap();
    assert_eq!(
        root.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["todosCount"]
    );
    assert!(store.evict_field(ROOT_QUERY, "todos").unwrap().is_empty());
    assert!(store.evict_field("Todo:404", "title").unwrap().is_empty());
}

#[test]
fn an_eviction_tells_watchers() {
    let mut store = todos();
    let told = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = told.clone();
    store
        .watch_entity("Todo:2", move |entity| {
            log.lock().unwrap().push(entity.is_some())
        })
        .unwrap();
    store.evict("Todo:2").unwrap();
    assert_eq!(*told.lock().unwrap(), [false]);
}
