//! A cached `Query` always answers what a fresh read would, and reuses its last result exactly
//! when nothing it read has changed.

use std::sync::Arc;

use optimist::{Document, Key, LayerId, Patch, Query, Store, Value};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::json;

const TEXT: &str = "{ items { id title owner { name } } }";

fn seeded() -> Store {
    store_of(3, 2)
}

/// `items` items owned by `User:0` (users 0 and 1 exist), the first `listed` in
/// `ROOT_QUERY.items`.
fn store_of(items: usize, listed: usize) -> Store {
    let mut store = Store::new();
    let refs: Vec<Key> = (0..listed)
        .map(|i| Key::new(&format!("Item:{i}")).unwrap())
        .collect();
    let mut patch = Patch::new().set("ROOT_QUERY", "items", Value::from(refs));
    for i in 0..items {
        patch = patch
            .set(format!("Item:{i}"), "id", i.to_string())
            .set(format!("Item:{i}"), "title", format!("item {i}"))
            .set(format!("Item:{i}"), "owner", Key::new("User:0").unwrap());
    }
    store
        .write(
            patch
                .set("User:0", "name", "ann")
                .set("User:1", "name", "bob"),
        )
        .unwrap();
    store
}

#[derive(Debug, Clone)]
enum Step {
    Write(u8, u8),
    Push(u8, u8),
    Fail(usize),
    Promote(usize),
    RemoveItem(u8),
}

fn key(n: u8) -> String {
    match n % 5 {
        0..=2 => format!("Item:{}", n % 5),
        3 => "User:0".into(),
        _ => "User:1".into(),
    }
}

fn patch(target: u8, value: u8) -> Patch {
    let key = key(target);
    let field = if key.starts_with("User") {
        "name"
    } else {
        "title"
    };
    if value.is_multiple_of(7) {
        Patch::new().delete(key)
    } else {
        Patch::new().set(key, field, format!("v{value}"))
    }
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (any::<u8>(), any::<u8>()).prop_map(|(k, v)| Step::Write(k, v)),
        (any::<u8>(), any::<u8>()).prop_map(|(k, v)| Step::Push(k, v)),
        any::<usize>().prop_map(Step::Fail),
        any::<usize>().prop_map(Step::Promote),
        any::<u8>().prop_map(Step::RemoveItem),
    ]
}

/// Runs one step on `store` (`layers`: its pending layers); `None` if the step has nothing to
/// act on.
fn run(store: &mut Store, layers: &mut Vec<LayerId>, step: Step) -> Option<optimist::Changes> {
    Some(match step {
        Step::Write(k, v) => store.write(patch(k, v)).unwrap(),
        Step::Push(k, v) => {
            let (id, changes) = store.push("p", patch(k, v)).unwrap();
            layers.push(id);
            changes
        }
        Step::Fail(i) if !layers.is_empty() => store.fail(layers.remove(i % layers.len())).unwrap(),
        Step::Promote(i) if !layers.is_empty() => {
            store.promote(layers.remove(i % layers.len())).unwrap()
        }
        Step::RemoveItem(i) => {
            let item = Key::new(&format!("Item:{}", i % 3)).unwrap();
            store
                .write(Patch::new().remove_item("ROOT_QUERY", "items", item))
                .unwrap()
        }
        Step::Fail(_) | Step::Promote(_) => return None,
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/query.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_cached_read_always_equals_a_fresh_one(steps in prop::collection::vec(step(), 1..25)) {
        let doc = Document::parse(TEXT).unwrap();
        let mut store = seeded();
        let mut query = Query::new(doc.clone(), json!(null));
        let mut layers: Vec<LayerId> = Vec::new();
        let mut last = query.read(&store).ok();
        for step in steps {
            let Some(changes) = run(&mut store, &mut layers, step) else {
                continue;
            };
            let stale = query.is_outdated(&store);
            let cached = query.read(&store);
            let fresh = store.read_query(&doc, &json!(null));
            match (&cached, &fresh) {
                (Ok(cached), Ok(fresh)) => prop_assert_eq!(&**cached, fresh),
                (Err(a), Err(b)) => prop_assert_eq!(a, b),
                _ => prop_assert!(false, "cached {:?} vs fresh {:?}", cached, fresh),
            }
            if let (Some(before), Ok(now)) = (&last, &cached) {
                // Reused exactly when it was not stale.
                prop_assert_eq!(Arc::ptr_eq(before, now), !stale, "changes {:?}", changes);
            }
            last = cached.ok();
        }
    }
}

#[test]
fn nothing_changed_means_the_same_result() {
    let store = seeded();
    let mut query = Query::new(Document::parse(TEXT).unwrap(), json!(null));
    let first = query.read(&store).unwrap();
    let second = query.read(&store).unwrap();
    assert!(Arc::ptr_eq(&first, &second));
    assert!(!query.is_outdated(&store));
}

#[test]
fn a_change_to_an_entity_it_read_through_a_ref_is_seen() {
    let mut store = seeded();
    let mut query = Query::new(Document::parse(TEXT).unwrap(), json!(null));
    let first = query.read(&store).unwrap();
    store
        .push("rename", Patch::new().set("User:0", "name", "anne"))
        .unwrap();
    assert!(query.is_outdated(&store));
    let second = query.read(&store).unwrap();
    assert!(!Arc::ptr_eq(&first, &second));
    assert_eq!(second["items"][0]["owner"]["name"], json!("anne"));
}

#[test]
fn an_entity_appearing_behind_a_dangling_ref_is_seen() {
    let mut store = seeded();
    store
        .write(Patch::new().insert(
            "ROOT_QUERY",
            "items",
            Key::new("Item:9").unwrap(),
            optimist::ListPosition::End,
        ))
        .unwrap();
    let mut query = Query::new(Document::parse(TEXT).unwrap(), json!(null));
    assert_eq!(
        query.read(&store).unwrap()["items"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "dangling ref dropped"
    );
    store
        .write(
            Patch::new()
                .set("Item:9", "id", "9")
                .set("Item:9", "title", "late")
                .set("Item:9", "owner", Key::new("User:1").unwrap()),
        )
        .unwrap();
    assert_eq!(
        query.read(&store).unwrap()["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn past_the_stores_memory_of_changes_every_entity_read_is_compared() {
    let mut store = seeded();
    let mut query = Query::new(Document::parse(TEXT).unwrap(), json!(null));
    let first = query.read(&store).unwrap();
    let start = store.revision();
    for i in 0..100 {
        store
            .write(Patch::new().set("Unrelated:1", "n", i))
            .unwrap();
    }
    assert!(
        store.changed_since(start).is_none(),
        "older than the store remembers"
    );
    assert!(!query.is_outdated(&store));
    assert!(Arc::ptr_eq(&first, &query.read(&store).unwrap()));

    let start = store.revision();
    store
        .write(Patch::new().set("Item:1", "title", "renamed"))
        .unwrap();
    for i in 0..100 {
        store
            .write(Patch::new().set("Unrelated:1", "n", 1000 + i))
            .unwrap();
    }
    assert!(store.changed_since(start).is_none());
    assert!(query.is_outdated(&store));
    assert_eq!(
        query.read(&store).unwrap()["items"][1]["title"],
        json!("renamed")
    );
}

#[test]
fn the_stores_memory_of_changes_is_bounded_in_keys_too() {
    let mut store = Store::new();
    let start = store.revision();
    store.write(Patch::new().set("A:1", "x", 1)).unwrap();
    let mut big = Patch::new();
    for i in 0..70_000 {
        big = big.set(format!("Big:{i}"), "x", 1);
    }
    store.write(big).unwrap();
    assert!(
        store.changed_since(start).is_none(),
        "the small change was forgotten to bound memory"
    );
    let last = store.revision();
    store.write(Patch::new().set("A:1", "x", 2)).unwrap();
    assert_eq!(store.changed_since(last).unwrap().count(), 1);
}

/// The item entities listed in `ROOT_QUERY.items` that exist, in order (what the result lists).
fn listed(store: &Store) -> Vec<String> {
    store
        .get_field("ROOT_QUERY", "items")
        .and_then(Value::as_list)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_ref_key)
                .filter(|key| store.get(key.as_str()).is_some())
                .map(|key| key.to_string())
                .collect()
        })
        .unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/query.txt"))),
        ..ProptestConfig::default()
    })]

    /// A shared read gives the fresh read's JSON, and every listed item whose entity and owner
    /// did not change is the previous result's allocation.
    #[test]
    fn a_shared_read_equals_a_fresh_one_and_shares_what_did_not_change(steps in prop::collection::vec(step(), 1..25)) {
        let doc = Document::parse(TEXT).unwrap();
        let mut store = seeded();
        let mut query = Query::new(doc.clone(), json!(null));
        let mut layers: Vec<LayerId> = Vec::new();
        let mut last = query.read_shared(&store).ok().map(|tree| (tree, listed(&store)));
        for step in steps {
            let Some(changes) = run(&mut store, &mut layers, step) else {
                continue;
            };
            let shared = query.read_shared(&store);
            let fresh = store.read_query(&doc, &json!(null));
            match (&shared, &fresh) {
                (Ok(tree), Ok(fresh)) => prop_assert_eq!(&tree.to_json(), fresh),
                (Err(a), Err(b)) => prop_assert_eq!(a, b),
                _ => prop_assert!(false, "shared {:?} vs fresh {:?}", shared, fresh),
            }
            let now = shared.ok().map(|tree| (tree, listed(&store)));
            if let (Some((before, before_keys)), Some((after, after_keys))) = (&last, &now) {
                let items = |tree: &Value| -> Vec<Value> {
                    let Value::Object(root) = tree else { return Vec::new() };
                    root.get("items").and_then(Value::as_list).map(|l| l.iter().cloned().collect()).unwrap_or_default()
                };
                let (old, new) = (items(before), items(after));
                for (i, key) in after_keys.iter().enumerate() {
                    let Some(j) = before_keys.iter().position(|k| k == key) else { continue };
                    let owner = store.get_field(key, "owner").and_then(Value::as_ref_key).map(|k| k.to_string());
                    let untouched = !changes.contains(key) && owner.as_deref().is_none_or(|o| !changes.contains(o));
                    let shared = matches!((&old[j], &new[i]), (Value::Object(a), Value::Object(b)) if a.ptr_eq(b));
                    if untouched {
                        prop_assert!(shared, "{} did not change but was rebuilt ({:?})", key, changes);
                    }
                }
            }
            last = now;
        }
    }
}

#[test]
fn a_change_to_another_root_field_keeps_the_result() {
    let mut store = Store::new();
    store
        .write(
            Patch::new()
                .set("ROOT_QUERY", "a", 1)
                .set("ROOT_QUERY", "b", 1),
        )
        .unwrap();
    let mut query = Query::new(Document::parse("{ a }").unwrap(), serde_json::Value::Null);
    let first = query.read(&store).unwrap();
    // Another query's answer lands in ROOT_QUERY: this one read nothing of it.
    store.write(Patch::new().set("ROOT_QUERY", "b", 2)).unwrap();
    assert!(!query.is_outdated(&store));
    assert!(Arc::ptr_eq(&first, &query.read(&store).unwrap()));
    store.write(Patch::new().set("ROOT_QUERY", "a", 2)).unwrap();
    assert!(query.is_outdated(&store));
    assert_eq!(*query.read(&store).unwrap(), serde_json::json!({"a": 2}));
}

/// A re-read that reuses a memoised item keeps the keys that item read (its owner) without
/// copying them into a set of its own: a change to the owner alone is still seen. Forty items:
/// more keys than the root's subtree memoises, so only the items are.
#[test]
fn a_change_seen_only_through_a_reused_subtree_is_read() {
    let mut store = store_of(40, 40);
    let doc = Document::parse(TEXT).unwrap();
    let mut query = Query::new(doc.clone(), json!(null));
    query.read_shared(&store).unwrap();
    // Item:0 is read again; the other 39, owned by User:0, are reused.
    store
        .write(Patch::new().set("Item:0", "owner", Key::new("User:1").unwrap()))
        .unwrap();
    query.read_shared(&store).unwrap();
    store
        .write(Patch::new().set("User:0", "name", "ann 2"))
        .unwrap();
    let tree = query.read_shared(&store).unwrap();
    assert_eq!(
        tree.to_json(),
        store.read_query(&doc, &json!(null)).unwrap()
    );
    assert_eq!(tree.to_json()["items"][1]["owner"]["name"], json!("ann 2"));
}
