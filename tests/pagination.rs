//! The pagination helpers against Apollo Client's own (issue 24): each scenario's pages, written
//! through the helper as the field's policy, leave exactly the storage fields Apollo's helper
//! leaves (`tests/fixtures/apollo/pagination.mjs` recorded them under Node); and the list reads
//! back as one, merges in layers and fails exactly as any merge.
#![cfg(feature = "graphql")]

mod common;

use optimist::{
    Document, KeyArgs, LayerId, Policies, Store, Value, normalize_query, offset_limit_pagination,
    relay_style_pagination,
};
use serde_json::{Value as Json, json};

use common::apollo::{check_read, fixture, key_args, storage_name};

#[test]
fn offset_limit_pagination_stores_what_apollos_stores() {
    let fixture = fixture("pagination/offset_limit.json");
    assert_eq!(fixture["helper"], "offsetLimitPagination");
    let doc = Document::parse(fixture["query"].as_str().unwrap()).unwrap();
    let cases = fixture["cases"].as_object().unwrap();
    assert_eq!(cases.len(), 8);
    for (name, case) in cases {
        let policy = offset_limit_pagination(key_args(&case["keyArgs"]));
        let mut store =
            Store::with_policies(Policies::new().field_policy("Query", "items", policy));
        for page in case["pages"].as_array().unwrap() {
            let (variables, ids) = (&page[0], page[1].as_array().unwrap());
            let items: Vec<Json> = ids
                .iter()
                .map(|id| json!({"__typename": "Item", "id": id.to_string()}))
                .collect();
            let data = json!({ "items": items });
            let patch = normalize_query(store.policies(), &doc, variables, &data).unwrap();
            store.write(patch).unwrap();
        }
        let root = store.get("ROOT_QUERY").unwrap();
        let mut stored: Vec<(String, Json)> = root
            .iter()
            .filter(|(field, _)| field.name() == "items")
            .map(|(field, value)| (field.as_str().to_owned(), value.to_json()))
            .collect();
        stored.sort_by(|a, b| a.0.cmp(&b.0));
        let mut expected: Vec<(String, Json)> = case["stored"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(field, ids)| {
                let refs = ids.as_array().unwrap().iter().map(|id| match id {
                    Json::String(key) => json!({ "__ref": key }),
                    _ => Json::Null,
                });
                (
                    storage_name(field).as_str().to_owned(),
                    Json::Array(refs.collect()),
                )
            })
            .collect();
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(stored, expected, "{name}");
    }
}

#[test]
fn an_optimistic_page_merges_at_its_offset_and_fails_exactly() {
    let doc =
        Document::parse("query($offset: Int) { items(offset: $offset, limit: 2) { id } }").unwrap();
    let policies =
        Policies::new().field_policy("Query", "items", offset_limit_pagination(KeyArgs::None));
    let mut store = Store::with_policies(policies);
    let page = |ids: &[u32]| {
        let items: Vec<Json> = ids
            .iter()
            .map(|id| json!({"__typename": "Item", "id": id.to_string()}))
            .collect();
        json!({ "items": items })
    };
    let first = normalize_query(
        store.policies(),
        &doc,
        &json!({"offset": 0}),
        &page(&[1, 2]),
    );
    store.write(first.unwrap()).unwrap();
    let before = store.clone();
    let guess = normalize_query(store.policies(), &doc, &json!({"offset": 2}), &page(&[3]));
    let (layer, _) = store.push("next page", guess.unwrap()).unwrap();
    let ids = |store: &Store| -> Vec<Json> {
        let read = store.read_query(&doc, &json!({"offset": 0})).unwrap();
        read["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["id"].clone())
            .collect()
    };
    assert_eq!(ids(&store), [json!("1"), json!("2"), json!("3")]);
    store.fail(layer).unwrap();
    assert_eq!(store, before);
    // A page far past the end lands at the end rather than opening a huge gap.
    let far = optimist::MAX_OFFSET_GAP as u64 * 4;
    let far_page = normalize_query(store.policies(), &doc, &json!({"offset": far}), &page(&[9]));
    store.write(far_page.unwrap()).unwrap();
    let list = store
        .get_field("ROOT_QUERY", "items")
        .and_then(Value::as_list)
        .unwrap();
    assert_eq!(list.len(), 2 + optimist::MAX_OFFSET_GAP + 1);
}

/// The connection fields of `Project:1` as Apollo's extract names and holds them.
fn connections(store: &Store, optimistic: bool) -> Json {
    let entity = if optimistic {
        store.get("Project:1")
    } else {
        store.get_confirmed("Project:1")
    };
    let mut out = serde_json::Map::new();
    for (field, value) in entity.into_iter().flat_map(|entity| entity.iter()) {
        if field.name() == "tasks" {
            out.insert(field.as_str().to_owned(), value.to_json());
        }
    }
    Json::Object(out)
}

/// Apollo's stored connections (`tasks`, `tasks:{"status":"open"}`) under our names.
fn apollo_connections(stored: &Json) -> Json {
    let fields = stored.as_object().unwrap();
    Json::Object(
        fields
            .iter()
            .map(|(field, value)| (storage_name(field).as_str().to_owned(), value.clone()))
            .collect(),
    )
}

#[test]
fn relay_style_pagination_reads_and_stores_what_apollos_does() {
    let fixture = fixture("pagination/relay_style.json");
    assert_eq!(fixture["helper"], "relayStylePagination");
    let queries = &fixture["queries"];
    let cases = fixture["cases"].as_object().unwrap();
    assert_eq!(cases.len(), 20);
    let (mut reads, mut stores) = (0, 0);
    for (name, case) in cases {
        let policy = relay_style_pagination(key_args(&case["keyArgs"]));
        let mut store =
            Store::with_policies(Policies::new().field_policy("Project", "tasks", policy));
        let mut layers: Vec<(String, LayerId)> = Vec::new();
        let write = |store: &Store, step: &Json| {
            let text = queries[step["query"].as_str().unwrap()].as_str().unwrap();
            let doc = Document::parse(text).unwrap();
            normalize_query(store.policies(), &doc, &step["variables"], &step["data"])
                .unwrap_or_else(|error| panic!("{name}: {error}"))
        };
        for step in case["steps"].as_array().unwrap() {
            match step["kind"].as_str().unwrap() {
                "write" => {
                    let patch = write(&store, step);
                    store.write(patch).unwrap();
                }
                "evict" => {
                    store.evict(step["id"].as_str().unwrap()).unwrap();
                }
                "gc" => {
                    store.gc();
                }
                "optimistic" => {
                    let mut patch = optimist::Patch::new();
                    for inner in step["writes"].as_array().unwrap() {
                        patch = patch.extend(write(&store, inner));
                    }
                    let label = step["layer"].as_str().unwrap();
                    let (id, _) = store.push(label, patch).unwrap();
                    layers.push((label.to_owned(), id));
                }
                "removeOptimistic" => {
                    let label = step["layer"].as_str().unwrap();
                    let at = layers.iter().position(|(l, _)| l == label).unwrap();
                    store.fail(layers.remove(at).1).unwrap();
                }
                "read" => {
                    check_read(&store, queries, step, name);
                    reads += 1;
                }
                "stored" => {
                    let optimistic = step["optimistic"] != Json::Bool(false);
                    assert_eq!(
                        connections(&store, optimistic),
                        apollo_connections(&step["result"]),
                        "{name}: stored"
                    );
                    stores += 1;
                }
                other => panic!("no step of kind {other}"),
            }
        }
        assert_eq!(
            connections(&store, true),
            apollo_connections(&case["stored"]),
            "{name}: stored"
        );
        stores += 1;
        for read in case["reads"].as_array().unwrap() {
            check_read(&store, queries, read, name);
            reads += 1;
        }
    }
    assert!(
        reads >= 30 && stores >= 21,
        "{reads} reads, {stores} stored"
    );
    println!("relayStylePagination parity: {reads} reads and {stores} stored connections equal");
}

mod cursor_lists {
    //! A cursor list merges pages as a connection merges edges (item ids standing for
    //! cursors): the same pages through `cursor_pagination` and `relay_style_pagination` give
    //! the same items in the same order, whatever the order of the pages and their cursors.
    use super::*;
    use optimist::cursor_pagination;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Place {
        First,
        After(u8),
        Before(u8),
    }

    fn place() -> impl Strategy<Value = Place> {
        prop_oneof![
            Just(Place::First),
            (0u8..12).prop_map(Place::After),
            (0u8..12).prop_map(Place::Before),
        ]
    }

    fn variables(place: &Place) -> Json {
        match place {
            Place::First => json!({}),
            Place::After(id) => json!({"after": id.to_string()}),
            Place::Before(id) => json!({"before": id.to_string()}),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn cursor_lists_merge_as_connections_do(
            pages in proptest::collection::vec((place(), proptest::collection::vec(0u8..12, 0..4)), 1..12)
        ) {
            let list_doc = Document::parse(
                "query($after: ID, $before: ID) { items(after: $after, before: $before) { id } }",
            ).unwrap();
            let connection_doc = Document::parse(
                "query($after: String, $before: String) { items(after: $after, before: $before) { edges { cursor node { id } } } }",
            ).unwrap();
            let mut list = Store::with_policies(
                Policies::new().field_policy("Query", "items", cursor_pagination(KeyArgs::None)),
            );
            let mut connection = Store::with_policies(
                Policies::new().field_policy("Query", "items", relay_style_pagination(KeyArgs::None)),
            );
            for (place, ids) in &pages {
                let items: Vec<Json> = ids.iter().map(|id| json!({"__typename": "Item", "id": id.to_string()})).collect();
                let edges: Vec<Json> = ids
                    .iter()
                    .map(|id| json!({"cursor": id.to_string(), "node": {"__typename": "Item", "id": id.to_string()}}))
                    .collect();
                let vars = variables(place);
                list.write(normalize_query(list.policies(), &list_doc, &vars, &json!({"items": items})).unwrap()).unwrap();
                connection.write(normalize_query(connection.policies(), &connection_doc, &vars, &json!({"items": {"edges": edges}})).unwrap()).unwrap();
            }
            let listed: Vec<Json> = list.read_query(&list_doc, &json!({})).unwrap()["items"]
                .as_array().unwrap().iter().map(|item| item["id"].clone()).collect();
            let connected: Vec<Json> = connection.read_query(&connection_doc, &json!({})).unwrap()["items"]["edges"]
                .as_array().unwrap().iter().map(|edge| edge["node"]["id"].clone()).collect();
            prop_assert_eq!(listed, connected);
        }
    }
}

/// Apollo's `fetchMore` on the client: the next page is the same query with other variables,
/// fetched network-only with no observer of its own (`Client::prefetch`); the merge puts it in
/// the one connection, so the observed first-page query is told the longer list.
#[test]
fn fetch_more_is_a_network_only_prefetch_of_the_next_page() {
    use optimist::{Client, FetchPolicy, Instant, QueryKey, QueryOptions};
    use std::sync::{Arc, Mutex};

    let policies =
        Policies::new().field_policy("Query", "feed", relay_style_pagination(KeyArgs::None));
    let mut client = Client::new(Store::with_policies(policies));
    let key = QueryKey::graphql(
        "query Feed($after: String) { feed(first: 2, after: $after) { edges { cursor node { id } } pageInfo { endCursor } } }",
        json!({}),
    )
    .unwrap();
    let page = |ids: [u32; 2]| {
        let edges: Vec<Json> = ids
            .iter()
            .map(|id| json!({"cursor": format!("c{id}"), "node": {"__typename": "Post", "id": id}}))
            .collect();
        json!({"feed": {"edges": edges, "pageInfo": {"endCursor": format!("c{}", ids[1])}}})
    };
    let now = Instant::now();
    let shown: Arc<Mutex<Vec<usize>>> = Arc::default();
    let log = shown.clone();
    client.observe(key.clone(), QueryOptions::new(), now, move |state| {
        if let Some(data) = &state.data {
            log.lock()
                .unwrap()
                .push(data["feed"]["edges"].as_array().unwrap().len());
        }
    });
    let first = client.next_fetch(now).unwrap();
    client.resolve(first.id, &page([1, 2]), now).unwrap();
    assert_eq!(shown.lock().unwrap().last(), Some(&2));
    // The cache holds the connection complete: only a network-only fetch asks for more.
    let more = QueryOptions::new().fetch_policy(FetchPolicy::NetworkOnly);
    let next = client.prefetch(key.with_variables(json!({"after": "c2"})), more, now);
    let fetch = client.next_fetch(now).unwrap();
    assert_eq!(fetch.query, next);
    assert_eq!(fetch.key.variables(), Some(&json!({"after": "c2"})));
    client.resolve(fetch.id, &page([3, 4]), now).unwrap();
    assert_eq!(shown.lock().unwrap().last(), Some(&4));
}
