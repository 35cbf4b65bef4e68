//! Garbage collection: what no root reaches leaves base; nothing a pending layer, a watcher or
//! a retain needs ever does.

mod common;

use common::{list, listed, title};
#[cfg(feature = "graphql")]
use optimist::Document;
use optimist::{Key, Patch, ReleaseError, Store, Value};
#[cfg(feature = "graphql")]
use serde_json::json;

fn todos() -> Store {
    let mut store = Store::new();
    store
        .write(list(&[
            (1, "Buy milk", false, 1),
            (2, "Walk dog", false, 1),
            (3, "Cook", true, 1),
        ]))
        .unwrap();
    store
}

fn base_keys(store: &Store) -> Vec<String> {
    let mut keys: Vec<String> = store.iter_confirmed().map(|(k, _)| k.to_string()).collect();
    keys.sort();
    keys
}

#[test]
fn a_todo_deleted_elsewhere_disappears_after_the_refetch_and_a_gc() {
    let mut store = todos();
    // Another client deleted Todo:2; the refetch no longer lists it.
    let refetch = store.reserve("GET /todos");
    store
        .confirm(
            refetch,
            list(&[(1, "Buy milk", false, 1), (3, "Cook", true, 1)]),
        )
        .unwrap();
    assert_eq!(listed(&store), ["Todo:1", "Todo:3"]);
    assert!(store.contains("Todo:2"), "unlisted, still cached");
    let removed = store.gc();
    assert_eq!(removed.keys(), [Key::new("Todo:2").unwrap()]);
    assert!(matches!(removed.views("Todo:2"), Some((Some(_), None))));
    assert_eq!(base_keys(&store), ["ROOT_QUERY", "Todo:1", "Todo:3"]);
    assert!(store.gc().is_empty(), "a second gc finds nothing");
}

#[test]
fn a_gc_during_an_optimistic_removal_keeps_what_the_rollback_shows() {
    let mut store = todos();
    // The user deletes Todo:2: removed from the list and deleted, optimistically.
    let (delete, _) = store
        .push(
            "DELETE /todos/2",
            Patch::new()
                .remove_item("ROOT_QUERY", "todos", Key::new("Todo:2").unwrap())
                .delete("Todo:2"),
        )
        .unwrap();
    assert_eq!(listed(&store), ["Todo:1", "Todo:3"]);
    let before_gc = store.clone();
    let removed = store.gc();
    assert!(
        removed.is_empty(),
        "the layer's keys and base's refs are roots: {removed:?}"
    );
    assert_eq!(store, before_gc);
    // The server refuses: everything comes back, in place.
    store.fail(delete).unwrap();
    assert_eq!(listed(&store), ["Todo:1", "Todo:2", "Todo:3"]);
    assert_eq!(title(&store, "Todo:2"), Some("Walk dog"));
    assert_eq!(store, todos());
}

#[test]
fn a_gc_after_the_removal_succeeds_collects_it() {
    let mut store = todos();
    let (delete, _) = store
        .push(
            "DELETE /todos/2",
            Patch::new().remove_item("ROOT_QUERY", "todos", Key::new("Todo:2").unwrap()),
        )
        .unwrap();
    assert!(store.gc().is_empty(), "base still lists it");
    store.promote(delete).unwrap();
    assert!(store.gc().contains("Todo:2"));
    assert_eq!(base_keys(&store), ["ROOT_QUERY", "Todo:1", "Todo:3"]);
}

#[test]
fn what_a_pending_layer_references_or_touches_is_kept() {
    let mut store = todos();
    store
        .write(
            Patch::new()
                .set("User:9", "name", "Ann")
                .set("Tag:5", "name", "home"),
        )
        .unwrap();
    // A pending create refers to User:9 (unreachable from any root otherwise) and a pending
    // edit touches Tag:5.
    let tmp = store.temporary_key("Todo").unwrap();
    let (create, _) = store
        .push(
            "POST /todos",
            Patch::new()
                .set(tmp.clone(), "owner", Key::new("User:9").unwrap())
                .insert(
                    "ROOT_QUERY",
                    "todos",
                    tmp.clone(),
                    optimist::ListPosition::End,
                ),
        )
        .unwrap();
    let (edit, _) = store
        .push("rename tag", Patch::new().set("Tag:5", "name", "house"))
        .unwrap();
    let removed = store.gc();
    assert!(removed.is_empty(), "{removed:?}");
    store.fail(create).unwrap();
    store.fail(edit).unwrap();
    let removed = store.gc();
    let mut keys: Vec<&str> = removed.keys().iter().map(Key::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["Tag:5", "User:9"]);
}

#[cfg(feature = "graphql")]
#[test]
fn what_watchers_and_retains_need_is_kept_until_released() {
    let mut store = todos();
    store
        .write(
            Patch::new()
                .set("User:1", "best", Key::new("User:2").unwrap())
                .set("User:2", "name", "Bo")
                .set("Draft:1", "text", "x"),
        )
        .unwrap();
    let watch = store.watch_query(
        Document::parse("{ me { best { name } } }").unwrap(),
        json!({}),
        |_| {},
    );
    store.retain("Draft:1").unwrap();
    store.retain("Draft:1").unwrap();
    let entity_watch = store.watch_entity("User:1", |_| {}).unwrap();
    assert!(
        store.gc().is_empty(),
        "User:1 and User:2 are watched, Draft:1 retained"
    );

    store.release("Draft:1").unwrap();
    assert!(store.gc().is_empty(), "retained twice, released once");
    store.release("Draft:1").unwrap();
    assert!(store.gc().contains("Draft:1"));

    store.unwatch(entity_watch);
    // The query watcher read ROOT_QUERY.me (absent): it depends on ROOT_QUERY only.
    assert!(store.watched(watch).unwrap().is_err());
    let removed = store.gc();
    let mut keys: Vec<&str> = removed.keys().iter().map(Key::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["User:1", "User:2"]);
}

#[cfg(feature = "graphql")]
#[test]
fn a_watched_query_keeps_what_it_reads_and_reads_the_same_after_a_gc() {
    let mut store = todos();
    store
        .write(Patch::new().set("ROOT_QUERY", "todos", vec![Key::new("Todo:1").unwrap()]))
        .unwrap();
    let doc = Document::parse("{ todos { title } }").unwrap();
    let id = store.watch_query(doc.clone(), json!({}), |_| {});
    let removed = store.gc();
    assert_eq!(removed.len(), 2, "Todo:2 and Todo:3: {removed:?}");
    assert_eq!(
        **store.watched(id).unwrap().as_ref().unwrap(),
        store.read_query(&doc, &json!({})).unwrap()
    );
    assert_eq!(
        store.read_query(&doc, &json!({})).unwrap(),
        json!({"todos": [{"title": "Buy milk"}]})
    );
}

#[test]
fn refs_inside_lists_and_embedded_objects_are_followed_through_base_and_view() {
    let mut store = Store::new();
    let embedded = optimist::Entity::new().with("author", Key::new("User:1").unwrap());
    store
        .write(
            Patch::new()
                .set("ROOT_QUERY", "feed", Value::Object(embedded))
                .set("User:1", "friends", vec![Key::new("User:2").unwrap()])
                .set("User:2", "name", "Bo")
                .set("User:3", "name", "Cy"),
        )
        .unwrap();
    // A pending edit points User:2 at User:3: the view reaches it, base does not.
    store
        .push(
            "befriend",
            Patch::new().set("User:2", "friend", Key::new("User:3").unwrap()),
        )
        .unwrap();
    assert!(store.gc().is_empty());
}

#[test]
fn a_retain_follows_a_remap_and_bad_keys_are_refused_without_change() {
    let mut store = Store::new();
    let tmp = store.temporary_key("Todo").unwrap();
    store.retain(tmp.clone()).unwrap();
    let (create, _) = store
        .push("create", Patch::new().set(tmp.clone(), "title", "new"))
        .unwrap();
    store.remap(&tmp, Key::new("Todo:7").unwrap()).unwrap();
    store.promote(create).unwrap();
    assert_eq!(
        store
            .retained()
            .map(|(k, n)| (k.as_str(), n))
            .collect::<Vec<_>>(),
        [("Todo:7", 1)]
    );
    assert!(store.gc().is_empty());

    let before = store.clone();
    assert!(store.retain("").is_err());
    assert!(store.retain(":1").is_err());
    assert!(matches!(store.release(""), Err(ReleaseError::Key(_))));
    assert!(matches!(
        store.release("Todo:8"),
        Err(ReleaseError::NotRetained(_))
    ));
    assert!(store.evict("").is_err());
    assert!(store.evict_field("", "title").is_err());
    assert!(store.invalidate("").is_err());
    assert_eq!(store, before);
}

/// A store of `listed` todos on `ROOT_QUERY.todos` and `loose` ones nothing refers to, with a
/// pending layer and a clone that shares every node (as a saved copy or a reader would).
fn listed_and_loose(listed: usize, loose: usize) -> (Store, Store) {
    let mut store = Store::new();
    let mut patch = Patch::new();
    let mut refs = Vec::new();
    for i in 0..listed + loose {
        let key = Key::entity("Todo", &i.to_string()).unwrap();
        patch = patch.set(&key, "title", format!("todo {i}"));
        if i < listed {
            refs.push(Value::Ref(key));
        }
    }
    store.write(patch.set("ROOT_QUERY", "todos", refs)).unwrap();
    store
        .push("rename", Patch::new().set("Todo:0", "title", "renamed"))
        .unwrap();
    let shared = store.clone();
    (store, shared)
}

#[test]
fn a_gc_removes_exactly_the_unreached_whether_few_or_most_of_base_go() {
    // 2 of 41 go (one by one), then 30 of 41 (the map built again from what stays).
    for (listed, loose) in [(38, 2), (10, 30)] {
        let (mut store, shared) = listed_and_loose(listed, loose);
        let removed = store.gc();
        let mut gone: Vec<String> = removed.keys().iter().map(Key::to_string).collect();
        gone.sort();
        let mut want: Vec<String> = (listed..listed + loose)
            .map(|i| format!("Todo:{i}"))
            .collect();
        want.sort();
        assert_eq!(gone, want);
        let mut kept: Vec<String> = (0..listed).map(|i| format!("Todo:{i}")).collect();
        kept.push("ROOT_QUERY".into());
        kept.sort();
        assert_eq!(base_keys(&store), kept);
        assert_eq!(store.len(), listed + 1);
        assert_eq!(
            title(&store, "Todo:0"),
            Some("renamed"),
            "the layer's view stays"
        );
        assert_eq!(
            store
                .get_confirmed("Todo:0")
                .and_then(|e| e.get("title"))
                .and_then(Value::as_str),
            Some("todo 0")
        );
        // The clone shared the nodes the gc rebuilt or copied: it still has everything.
        assert_eq!(shared.iter_confirmed().count(), listed + loose + 1);
        store.check_invariants().unwrap();
    }
}
