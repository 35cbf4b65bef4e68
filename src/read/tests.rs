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
