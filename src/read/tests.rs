//! Unit tests of the read engine's pieces: plans, field collection, sources.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::json;

use super::de::{Ctx, Path};
use super::plan::Collected;
use super::plan::{Item, Plan};
use super::*;
use crate::document::Document;
use crate::key::{Key, ROOT_MUTATION, ROOT_QUERY};
use crate::patch::Patch;
use crate::policy::TYPENAME;

fn compile(text: &str, variables: serde_json::Value) -> (Document, Vec<(bool, Vec<String>)>) {
    let doc = Document::parse(text).unwrap();
    let sets = {
        let operation = doc.operation().unwrap();
        let variables = doc.variables(&variables).unwrap();
        let mut plan = Plan::default();
        plan.compile(&operation.selection, &variables, true)
            .unwrap();
        plan.sets
            .iter()
            .map(|set| {
                let names = set
                    .items
                    .iter()
                    .map(|item| match item {
                        Item::Field(field) => {
                            format!("{}={}", field.response_key, field.store_name.as_str())
                        }
                        Item::Fragment { condition, .. } => {
                            format!("...{}", condition.unwrap_or("_"))
                        }
                    })
                    .collect();
                (set.flat, names)
            })
            .collect()
    };
    (doc, sets)
}

#[test]
fn plans_resolve_names_and_conditions_once() {
    let (_, sets) = compile(
        "query($n: Int, $on: Boolean!) { list: todos(first: $n) { id } a @include(if: $on) b @skip(if: $on) }",
        json!({"n": 3, "on": false}),
    );
    // Children first, the root last; the root leaves out the cache's `__typename`.
    assert_eq!(
        sets,
        [
            (true, vec!["id=id".into(), "__typename=__typename".into()]),
            (
                true,
                vec![r#"list=todos({"first":3})"#.into(), "b=b".into()]
            ),
        ]
    );
}

#[test]
fn fragments_and_repeated_keys_make_a_set_non_flat() {
    let (_, sets) = compile(
        "{ a { x ... on T { y } } b { x x } c { x y: x } }",
        json!({}),
    );
    let flat: Vec<bool> = sets.iter().map(|(flat, _)| *flat).collect();
    // `... on T { y }`, then a's set, b's set, c's set, the root.
    assert_eq!(flat, [true, false, false, true, true]);
}

#[test]
fn shared_fragments_compile_once() {
    // Each fragment spreads the next twice: 2^40 paths, 41 sets.
    let mut text = String::from("{ root { ...F0 } }");
    for i in 0..40 {
        text.push_str(&format!(
            " fragment F{i} on T {{ f{i}: id ...F{next} ...F{next} }}",
            next = i + 1
        ));
    }
    text.push_str(" fragment F40 on T { last: id }");
    let (doc, sets) = compile(&text, json!({}));
    assert_eq!(sets.len(), 41 + 2);

    // Reading through it collects each set once per object.
    let mut store = Store::new();
    store
        .write(
            Patch::new()
                .set("T:1", "__typename", "T")
                .set("T:1", "id", "1")
                .set("ROOT_QUERY", "root", Key::new("T:1").unwrap()),
        )
        .unwrap();
    let read = store.read_query(&doc, &serde_json::Value::Null).unwrap();
    assert_eq!(read["root"]["f39"], json!("1"));
    assert_eq!(read["root"]["last"], json!("1"));
    assert_eq!(read["root"].as_object().unwrap().len(), 41 + 1);
}

#[test]
fn collected_fields_are_shared_per_selection_and_type() {
    let doc = Document::parse("{ a { ... on A { x } ... on B { y } } }").unwrap();
    let variables = doc.variables(&serde_json::Value::Null).unwrap();
    let mut plan = Plan::default();
    let root = plan
        .compile(&doc.operation().unwrap().selection, &variables, true)
        .unwrap();
    let Item::Field(field) = &plan.sets[root].items[0] else {
        panic!("a field");
    };
    let child = [field.child.unwrap()];
    let map = Map::default();
    let policies = Policies::new();
    let collected = RefCell::new(Collected::default());
    let ctx = Ctx {
        source: &map,
        policies: &policies,
        plan: &plan,
        limit: 8,
        missing: None,
        collected: &collected,
        budget: &std::cell::Cell::new(usize::MAX),
        arena: &typed_arena::Arena::new(),
    };
    let first = ctx.groups(&child, Some("A"));
    assert!(Rc::ptr_eq(&first, &ctx.groups(&child, Some("A"))));
    assert!(!Rc::ptr_eq(&first, &ctx.groups(&child, Some("B"))));
    // `x` and `__typename` for A, `y` and `__typename` for B, only `__typename` without a type.
    assert_eq!(first.len(), 2);
    assert_eq!(ctx.groups(&child, None).len(), 1);
}

#[test]
fn roots_have_typenames_even_unstored() {
    let empty = Entity::new();
    assert_eq!(typename_of(&empty, Some(ROOT_QUERY)), Some("Query"));
    assert_eq!(typename_of(&empty, Some(ROOT_MUTATION)), Some("Mutation"));
    assert_eq!(typename_of(&empty, Some("Todo:1")), None);
    let stored = Entity::new().with(TYPENAME, "Todo");
    assert_eq!(typename_of(&stored, None), Some("Todo"));
}

#[test]
fn sources_find_entities_in_maps_and_snapshots() {
    let mut store = Store::new();
    store.write(Patch::new().set("A:1", "x", 1)).unwrap();
    store
        .push("guess", Patch::new().set("A:2", "x", 2))
        .unwrap();
    let snapshot = store.snapshot();
    assert!(store.view().entity("A:2").is_some());
    assert!(store.base_map().entity("A:2").is_none());
    assert!(Source::entity(&snapshot, "A:2").is_some());
    assert!(Side::SnapshotConfirmed(&snapshot).entity("A:2").is_none());
    assert!(Side::SnapshotConfirmed(&snapshot).entity("A:1").is_some());
}

#[test]
fn type_errors_are_placed_at_the_deepest_path() {
    use serde::de::Error as _;
    let root = Path::Root;
    let a = Path::Key(&root, "a");
    let placed = ReadError::custom("bad").at(&a);
    assert_eq!(
        placed,
        ReadError::Deserialize {
            path: "a".into(),
            message: "bad".into()
        }
    );
    // Outer levels leave it where it is.
    assert_eq!(placed.clone().at(&root), placed);
    let missing = ReadError::MissingField { path: "x".into() };
    assert_eq!(missing.clone().at(&a), missing);
}

/// A list whose window of 20 slides over 400 items, below one item that stays (the list reads
/// more keys than the root memoises, so the root is read again each time): the shared read's
/// memo holds about what the query reads now, not all it read; the owner read only through the
/// item that stays (reused whole by every read) keeps its entry, so rebuilding that item finds
/// its owner shared; every read equals a fresh one.
#[test]
fn the_shared_memo_is_swept_to_what_the_query_reads() {
    use crate::value::Value;
    let item = |i: usize| format!("Item:{i}");
    let user = |j: usize| format!("User:{j}");
    let reference = |key: &str| Value::Ref(Key::new(key).unwrap());
    let window = |from: usize| {
        Value::List(
            std::iter::once(reference("Item:stays"))
                .chain((from..from + 19).map(|i| reference(&item(i))))
                .collect(),
        )
    };
    let mut store = crate::Store::new();
    let mut patch = Patch::new()
        .set(ROOT_QUERY, "items", window(0))
        .set("Item:stays", "title", "stays")
        .set("Item:stays", "owner", reference("User:2"));
    for j in 0..3 {
        // A field the query does not select: its read is an object of its own.
        patch = patch.set(user(j), "name", format!("user {j}")).set(
            user(j),
            "email",
            format!("{j}@example.com"),
        );
    }
    for i in 0..400 {
        // The sliding items are owned by users 0 and 1 only.
        patch = patch.set(item(i), "title", format!("item {i}")).set(
            item(i),
            "owner",
            reference(&user(i % 2)),
        );
    }
    store.write(patch).unwrap();
    let doc = Document::parse("{ items { title owner { name } } }").unwrap();
    let mut query = Query::new(doc.clone(), json!({}));
    let owner = |tree: &Value| -> crate::entity::Entity {
        let Value::Object(root) = tree else {
            panic!("the root is an object")
        };
        let items = root.get("items").and_then(Value::as_list).unwrap();
        match &items[0] {
            Value::Object(row) => match row.get("owner") {
                Some(Value::Object(owner)) => owner.clone(),
                _ => panic!("the owner is an object"),
            },
            _ => panic!("the row is an object"),
        }
    };
    let first = owner(&query.read_shared(&store).unwrap());
    let mut most = 0;
    for from in 1..=380 {
        store
            .write(Patch::new().set(ROOT_QUERY, "items", window(from)))
            .unwrap();
        let read = query.read_shared(&store).unwrap();
        assert_eq!(read.to_json(), store.read_query(&doc, &json!({})).unwrap());
        assert!(
            owner(&read).ptr_eq(&first),
            "the item that stays is reused whole"
        );
        most = most.max(query.memo_len());
    }
    // 23 entries read at a time (20 items, 3 owners); without the sweep it would hold 403.
    assert!(most <= 64 + 23, "the memo held {most} entries");
    store
        .write(Patch::new().set("Item:stays", "title", "renamed"))
        .unwrap();
    let after = owner(&query.read_shared(&store).unwrap());
    assert!(
        first.ptr_eq(&after),
        "the owner's subtree was kept and shared"
    );
}
