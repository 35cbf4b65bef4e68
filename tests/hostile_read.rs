//! Hostile reads: snapshots `restore` accepts must not overflow `read_tree`, and results that
//! double at every level stop at the node budget (issue 8, item 3 and the read cost cases).

mod common;

use common::hostile::{deep_json_list, dismantle, on_small_stack};
use optimist::{DEFAULT_MAX_DEPTH, Document, Key, Patch, Policies, ReadError, Store};
use serde_json::json;

#[test]
fn read_tree_bounds_embedded_objects_and_lists_too() {
    on_small_stack(|| {
        // A chain of references, each entity holding a list nested as deep as restore allows.
        let mut snapshot = serde_json::Map::new();
        for i in 0..200 {
            snapshot.insert(
                format!("N:{i}"),
                json!({"next": {"__ref": format!("N:{}", i + 1)}, "deep": deep_json_list(DEFAULT_MAX_DEPTH - 2)}),
            );
        }
        let snapshot = serde_json::Value::Object(snapshot);
        let mut store = Store::new();
        store.restore(&snapshot).unwrap();
        let error = store.read_tree("N:0").unwrap_err();
        assert!(matches!(error, ReadError::TooDeep { .. }), "{error}");
        // One entity alone reads.
        let mut one = Store::new();
        one.restore(&json!({"A:1": {"deep": deep_json_list(DEFAULT_MAX_DEPTH - 2)}}))
            .unwrap();
        dismantle(one.read_tree("A:1").unwrap().unwrap());
        dismantle(snapshot);
    });
}

/// `N:0 .. N:n`, each with `l` and `r` both referring to the next.
fn diamond(n: usize, policies: Policies) -> Store {
    let mut store = Store::with_policies(policies);
    let mut patch = Patch::new().set("ROOT_QUERY", "top", Key::new("N:0").unwrap());
    for i in 0..n {
        let next = Key::new(&format!("N:{}", i + 1)).unwrap();
        let key = format!("N:{i}");
        patch = patch
            .set(key.as_str(), "__typename", "N")
            .set(key.as_str(), "l", next.clone())
            .set(key.as_str(), "r", next);
    }
    patch = patch.set(format!("N:{n}").as_str(), "__typename", "N").set(
        format!("N:{n}").as_str(),
        "end",
        1,
    );
    store.write(patch).unwrap();
    store
}

#[test]
fn read_tree_over_a_diamond_graph_stops_at_the_node_budget() {
    let store = diamond(40, Policies::new().max_nodes(50_000));
    assert_eq!(
        store.read_tree("N:0").unwrap_err(),
        ReadError::TooLarge { limit: 50_000 }
    );
    let small = diamond(4, Policies::new().max_nodes(100));
    assert!(small.read_tree("N:0").unwrap().is_some());
}

#[test]
fn a_document_whose_result_doubles_per_level_stops_at_the_node_budget() {
    let k = 40;
    let mut text = String::from("query { top { ...F0 } }\n");
    for i in 0..k {
        text.push_str(&format!(
            "fragment F{i} on N {{ l {{ ...F{n} }} b: l {{ ...F{n} }} }}\n",
            n = i + 1
        ));
    }
    text.push_str(&format!("fragment F{k} on N {{ end }}\n"));
    let doc = Document::parse(&text).unwrap();
    let store = diamond(k, Policies::new().max_nodes(100_000));
    let too_large = ReadError::TooLarge { limit: 100_000 };
    assert_eq!(store.read_query(&doc, &json!({})).unwrap_err(), too_large);
    assert_eq!(
        store
            .read_query_as::<serde_json::Value>(&doc, &json!({}))
            .unwrap_err(),
        too_large
    );
    assert_eq!(
        store.read_query_partial(&doc, &json!({})).unwrap_err(),
        too_large
    );
    let mut query = optimist::Query::new(doc.clone(), json!({}));
    assert_eq!(query.read(&store).unwrap_err(), too_large);
    // Missing fields count too: a partial read cannot list 2^k of them.
    let missing = text.replace("{ end }", "{ gone }");
    let doc = Document::parse(&missing).unwrap();
    assert_eq!(
        store.read_query_partial(&doc, &json!({})).unwrap_err(),
        too_large
    );
}

#[test]
fn unused_variables_are_not_copied_and_deep_ones_are_refused() {
    on_small_stack(|| {
        let mut store = Store::new();
        store.write(Patch::new().set("ROOT_QUERY", "a", 1)).unwrap();
        let deep = deep_json_list(100_000);
        let variables = json!({"unused": null});
        let mut variables = variables;
        variables["unused"] = deep;
        let doc = Document::parse("query($v: [Int]) { a }").unwrap();
        assert_eq!(store.read_query(&doc, &variables).unwrap(), json!({"a": 1}));
        let used = Document::parse("query($unused: [Int]) { a(x: $unused) }").unwrap();
        let error = store.read_query(&used, &variables).unwrap_err();
        assert!(matches!(error, ReadError::Document(_)), "{error}");
        let error =
            optimist::normalize_query(store.policies(), &used, &variables, &json!({"a": 1}))
                .unwrap_err();
        assert!(error.to_string().contains("deeper"), "{error}");
        dismantle(variables);
    });
}
