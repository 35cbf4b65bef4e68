//! Field policies, `key_args` (issue 24): the pages of a paginated field land in one storage
//! field named by the arguments that tell one list from another, on the type the policy is
//! for; every writer and reader (tree and streaming normalizers, JSON, typed and shared reads,
//! watchers, invalidation) agrees on that name.
#![cfg(feature = "graphql")]

mod common;

use std::sync::{Arc, Mutex};

use optimist::{
    Document, FieldName, FieldPolicy, Key, KeyArgs, Policies, Store, Value, normalize_query,
};
use serde_json::{Value as Json, json};

const PAGE: &str = "query Page($status: String, $after: String) {
    tasks(status: $status, first: 2, after: $after) { id title }
}";

fn page(ids: &[u32]) -> Json {
    let tasks: Vec<Json> = ids
        .iter()
        .map(
            |id| json!({"__typename": "Task", "id": id.to_string(), "title": format!("task {id}")}),
        )
        .collect();
    json!({ "tasks": tasks })
}

fn store(policies: Policies) -> Store {
    Store::with_policies(policies)
}

fn write(store: &mut Store, doc: &Document, variables: Json, data: &Json, as_text: bool) {
    let patch = if as_text {
        let text = data.to_string();
        normalize_query(store.policies(), doc, &variables, text.as_str()).unwrap()
    } else {
        normalize_query(store.policies(), doc, &variables, data).unwrap()
    };
    store.write(patch).unwrap();
}

/// Writes a page of `PAGE` with `variables`.
fn write_page(store: &mut Store, variables: Json, ids: &[u32], as_text: bool) {
    let doc = Document::parse(PAGE).unwrap();
    write(store, &doc, variables, &page(ids), as_text);
}

/// The storage names of `ROOT_QUERY`'s `tasks` fields.
fn root_fields(store: &Store) -> Vec<String> {
    let root = store.get("ROOT_QUERY").unwrap();
    let names = root.iter().map(|(name, _)| name.as_str().to_owned());
    names.filter(|name| name.starts_with("tasks")).collect()
}

#[test]
fn pages_land_in_the_field_their_key_arguments_name() {
    for as_text in [false, true] {
        let policies = Policies::new().field_policy(
            "Query",
            "tasks",
            FieldPolicy::new().key_args(KeyArgs::only(["status"])),
        );
        let mut store = store(policies);
        let doc = Document::parse(PAGE).unwrap();
        write_page(&mut store, json!({"status": "open"}), &[1, 2], as_text);
        write_page(
            &mut store,
            json!({"status": "open", "after": "c2"}),
            &[3, 4],
            as_text,
        );
        write_page(&mut store, json!({"status": "done"}), &[9], as_text);
        // One field per status, whatever the page (no merge: the last page is what is there).
        assert_eq!(
            root_fields(&store),
            [r#"tasks({"status":"done"})"#, r#"tasks({"status":"open"})"#],
            "as text: {as_text}"
        );
        // A read with any page's arguments reads that field, as JSON, typed and shared.
        let open = store
            .read_query(&doc, &json!({"status": "open", "after": "zzz"}))
            .unwrap();
        assert_eq!(open["tasks"][0]["id"], "3");
        #[derive(serde::Deserialize)]
        struct Page {
            tasks: Vec<Task>,
        }
        #[derive(serde::Deserialize)]
        struct Task {
            id: String,
        }
        let typed: Page = store
            .read_query_as(&doc, &json!({"status": "done"}))
            .unwrap();
        assert_eq!(typed.tasks[0].id, "9");
        let mut shared = optimist::Query::new(doc.clone(), json!({"status": "done"}));
        assert_eq!(shared.read(&store).unwrap()["tasks"][0]["id"], "9");
    }
}

#[test]
fn a_policy_applies_to_its_type_only_and_nested_paths_and_functions_pick_arguments() {
    let doc = Document::parse(
        "query($after: String, $lang: String) {
            project { id tasks(first: 2, after: $after, filter: {status: \"open\", tag: \"x\"}) { id } }
            me { id tasks(first: 2, after: $after) { id } }
            greeting(lang: $lang, style: \"warm\")
        }",
    )
    .unwrap();
    let policies = Policies::new()
        .field_policy(
            "Project",
            "tasks",
            FieldPolicy::new().key_args(KeyArgs::only(["filter.status", "missing.path"])),
        )
        .field_policy(
            "Query",
            "greeting",
            FieldPolicy::new().key_args(KeyArgs::custom(
                |args| json!({ "lang": args.get("lang").cloned().unwrap_or(json!("en")) }),
            )),
        );
    let mut store = store(policies);
    let data = json!({
        "project": {"__typename": "Project", "id": "p", "tasks": [{"__typename": "Task", "id": "1"}]},
        "me": {"__typename": "User", "id": "u", "tasks": [{"__typename": "Task", "id": "1"}]},
        "greeting": "hello",
    });
    // `$lang` not given: the argument is left out, and the function names the default.
    write(&mut store, &doc, json!({"after": "c1"}), &data, false);
    let project = store.get("Project:p").unwrap();
    assert!(
        project
            .get(r#"tasks({"filter":{"status":"open"}})"#)
            .is_some(),
        "{project:?}"
    );
    let user = store.get("User:u").unwrap();
    assert!(
        user.get(r#"tasks({"after":"c1","first":2})"#).is_some(),
        "no policy on User: every argument names it: {user:?}"
    );
    assert!(
        store
            .get_field("ROOT_QUERY", r#"greeting({"lang":"en"})"#)
            .is_some()
    );
    assert_eq!(
        store
            .read_query(&doc, &json!({"after": "c1", "lang": "en"}))
            .unwrap()["greeting"],
        "hello"
    );
    // `storage_name` says where a field lives.
    let field = FieldName::with_args("tasks", &json!({"first": 2, "filter": {"status": "open"}}));
    assert_eq!(
        store
            .policies()
            .storage_name(Some("Project"), &field)
            .as_str(),
        r#"tasks({"filter":{"status":"open"}})"#
    );
}

#[test]
fn watchers_and_invalidation_follow_the_storage_name() {
    let policies =
        Policies::new().field_policy("Query", "tasks", FieldPolicy::new().key_args(KeyArgs::None));
    let mut store = store(policies);
    let doc = Document::parse(PAGE).unwrap();
    write(&mut store, &doc, json!({}), &page(&[1]), false);
    let told = Arc::new(Mutex::new(Vec::new()));
    let log = told.clone();
    store.watch_query(doc.clone(), json!({"after": "c1"}), move |result| {
        let ids: Vec<String> = result.as_ref().unwrap()["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|task| task["id"].as_str().unwrap().to_owned())
            .collect();
        log.lock().unwrap().push(ids);
    });
    // Another page, written under the same storage name: the watcher of page 2 sees it.
    write_page(&mut store, json!({"after": "c9"}), &[5, 6], false);
    assert_eq!(
        *told.lock().unwrap(),
        [vec!["5".to_owned(), "6".to_owned()]]
    );
    // Invalidating any page's read marks the one field (and the two tasks' id and title).
    assert_eq!(
        store
            .invalidate_query(&doc, &json!({"after": "x"}))
            .unwrap(),
        5
    );
    assert!(store.is_field_stale("ROOT_QUERY", "tasks"));
    assert_eq!(
        store.get_field("ROOT_QUERY", "tasks"),
        Some(&Value::from(vec![
            Key::new("Task:5").unwrap(),
            Key::new("Task:6").unwrap()
        ]))
    );
}

#[test]
fn text_read_as_it_comes_names_fields_as_the_tree_does_whatever_the_typename_order() {
    let doc = Document::parse(
        "query($after: String) { project { id tasks(first: 2, after: $after) { id } } }",
    )
    .unwrap();
    let policies = Policies::new().field_policy(
        "Project",
        "tasks",
        FieldPolicy::new().key_args(KeyArgs::None),
    );
    let variables = json!({"after": "c1"});
    // The project's typename before its fields, and after them (the streaming normalizer
    // cannot name `tasks` until it knows the type).
    let texts = [
        r#"{"project": {"__typename": "Project", "id": "p", "tasks": [{"__typename": "Task", "id": "1"}]}}"#,
        r#"{"project": {"id": "p", "tasks": [{"id": "1", "__typename": "Task"}], "__typename": "Project"}}"#,
    ];
    for text in texts {
        let tree: Json = serde_json::from_str(text).unwrap();
        let from_text = normalize_query(&policies, &doc, &variables, text).unwrap();
        let from_tree = normalize_query(&policies, &doc, &variables, &tree).unwrap();
        assert_eq!(from_text, from_tree, "{text}");
        let mut store = store(policies.clone());
        store.write(from_text).unwrap();
        assert!(store.get_field("Project:p", "tasks").is_some(), "{text}");
    }
}

/// Pages appended, in order, to the list already stored (the simplest merge), with no page
/// stored twice: a refetch of a page already there replaces nothing (Apollo's
/// `offsetLimitPagination` does it by offset; this test's pages are told apart by `after`).
fn appending() -> Policies {
    Policies::new().field_policy(
        "Query",
        "tasks",
        FieldPolicy::new()
            .key_args(KeyArgs::only(["status"]))
            .merge(|existing, incoming, args| {
                let mut list: optimist::List = existing
                    .and_then(Value::as_list)
                    .cloned()
                    .unwrap_or_default();
                if args.get("after").is_none() {
                    // The first page starts the list again.
                    list = optimist::List::new();
                }
                for item in incoming.as_list().into_iter().flatten() {
                    if !list.contains(item) {
                        list.make_mut().push_back(item.clone());
                    }
                }
                Value::List(list)
            }),
    )
}

fn ids(store: &Store, doc: &Document, variables: Json) -> Vec<String> {
    let read = store.read_query(doc, &variables).unwrap();
    read["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|task| task["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn merged_pages_read_back_as_one_list_and_the_first_page_starts_it_again() {
    for as_text in [false, true] {
        let mut store = store(appending());
        let doc = Document::parse(PAGE).unwrap();
        write_page(&mut store, json!({"status": "open"}), &[1, 2], as_text);
        write_page(
            &mut store,
            json!({"status": "open", "after": "c2"}),
            &[3, 4],
            as_text,
        );
        assert_eq!(
            ids(&store, &doc, json!({"status": "open"})),
            ["1", "2", "3", "4"]
        );
        // A refetch of the first page (its arguments given to the merge) starts again.
        write_page(&mut store, json!({"status": "open"}), &[1, 5], as_text);
        assert_eq!(ids(&store, &doc, json!({"status": "open"})), ["1", "5"]);
        // Another status is another list.
        write_page(&mut store, json!({"status": "done"}), &[9], as_text);
        assert_eq!(ids(&store, &doc, json!({"status": "open"})), ["1", "5"]);
        assert_eq!(ids(&store, &doc, json!({"status": "done"})), ["9"]);
    }
}

#[test]
fn a_page_merged_in_a_layer_rebases_on_a_refetch_below_and_fails_exactly() {
    let mut store = store(appending());
    let doc = Document::parse(PAGE).unwrap();
    write_page(&mut store, json!({"status": "open"}), &[1, 2], false);
    let before = store.clone();
    // An optimistic page (or a query's answer in a slot): merged over what lies below.
    let guess = normalize_query(
        store.policies(),
        &doc,
        &json!({"status": "open", "after": "c2"}),
        &page(&[3]),
    )
    .unwrap();
    let (layer, _) = store.push("more", guess).unwrap();
    assert_eq!(
        ids(&store, &doc, json!({"status": "open"})),
        ["1", "2", "3"]
    );
    // The first page refetched below the layer: the layer's merge runs again over it.
    write_page(&mut store, json!({"status": "open"}), &[7, 8], false);
    assert_eq!(
        ids(&store, &doc, json!({"status": "open"})),
        ["7", "8", "3"]
    );
    store.check_invariants().unwrap();
    // Failing the layer takes its merge back exactly.
    store.fail(layer).unwrap();
    assert_eq!(ids(&store, &doc, json!({"status": "open"})), ["7", "8"]);
    let mut again = before.clone();
    write(
        &mut again,
        &doc,
        json!({"status": "open"}),
        &page(&[7, 8]),
        false,
    );
    assert_eq!(store, again);
}

#[test]
fn a_saved_store_with_a_pending_merge_loads_where_the_policy_is() {
    let mut store = store(appending());
    let doc = Document::parse(PAGE).unwrap();
    write_page(&mut store, json!({"status": "open"}), &[1], false);
    let guess = normalize_query(
        store.policies(),
        &doc,
        &json!({"status": "open", "after": "c1"}),
        &page(&[2]),
    )
    .unwrap();
    store.push("more", guess).unwrap();
    let saved = store.save_json().unwrap();
    let mut with_policy = Store::with_policies(appending());
    with_policy.load_json(&saved).unwrap();
    assert_eq!(
        ids(&with_policy, &doc, json!({"status": "open"})),
        ["1", "2"]
    );
    // Without it the merge cannot be replayed: refused, nothing changed.
    let mut without = Store::new();
    assert!(without.load_json(&saved).is_err());
    assert_eq!(without, Store::new());
}

#[test]
fn a_merged_field_of_an_embedded_object_is_written_as_it_comes() {
    let policies = Policies::new().field_policy(
        "Stats",
        "counts",
        FieldPolicy::new().merge(|_, _, _| Value::from("merged")),
    );
    let mut store = store(policies);
    let doc = Document::parse("{ stats { counts } }").unwrap();
    let data = json!({"stats": {"__typename": "Stats", "counts": [1, 2]}});
    write(&mut store, &doc, Json::Null, &data, false);
    assert_eq!(
        store.read_query(&doc, &Json::Null).unwrap(),
        json!({"stats": {"__typename": "Stats", "counts": [1, 2]}})
    );
}

mod exact {
    //! Merges in layers revert exactly, whatever the order of pages, refetches below and
    //! failures: after every step the view is the fold from scratch (`check_invariants`), and
    //! once every layer failed the store is the one that only received the server's writes.
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Step {
        /// A page the server answered (written into base), at this offset.
        Write(u8, Vec<u8>),
        /// A page guessed or in flight (pushed as a layer).
        Push(u8, Vec<u8>),
        /// The layer at this index (of those pending) fails.
        Fail(usize),
    }

    fn step() -> impl Strategy<Value = Step> {
        let page = || (0u8..6, proptest::collection::vec(0u8..8, 0..3));
        prop_oneof![
            2 => page().prop_map(|(at, ids)| Step::Write(at, ids)),
            3 => page().prop_map(|(at, ids)| Step::Push(at, ids)),
            2 => any::<usize>().prop_map(Step::Fail),
        ]
    }

    fn patch(store: &Store, doc: &Document, at: u8, ids: &[u8]) -> optimist::Patch {
        let items: Vec<Json> = ids
            .iter()
            .map(|id| json!({"__typename": "Item", "id": id.to_string()}))
            .collect();
        let data = json!({ "items": items });
        normalize_query(store.policies(), doc, &json!({"offset": at}), &data).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn merged_pages_in_layers_revert_exactly(steps in proptest::collection::vec(step(), 1..40)) {
            let policies = || Policies::new()
                .field_policy("Query", "items", optimist::offset_limit_pagination(KeyArgs::None));
            let doc = Document::parse("query($offset: Int) { items(offset: $offset, limit: 2) { id } }").unwrap();
            let mut store = Store::with_policies(policies());
            let mut server_only = Store::with_policies(policies());
            let mut pending = Vec::new();
            for step in steps {
                match step {
                    Step::Write(at, ids) => {
                        store.write(patch(&store, &doc, at, &ids)).unwrap();
                        server_only.write(patch(&server_only, &doc, at, &ids)).unwrap();
                    }
                    Step::Push(at, ids) => {
                        let (id, _) = store.push("page", patch(&store, &doc, at, &ids)).unwrap();
                        pending.push(id);
                    }
                    Step::Fail(i) => {
                        if !pending.is_empty() {
                            let id = pending.remove(i % pending.len());
                            store.fail(id).unwrap();
                        }
                    }
                }
                if let Err(error) = store.check_invariants() {
                    prop_assert!(false, "{}", error);
                }
            }
            for id in pending {
                store.fail(id).unwrap();
            }
            // Every entity as the server alone left it (the failed mutations' records aside).
            prop_assert!(store.layers().next().is_none());
            prop_assert_eq!(common::entities(&store), common::entities(&server_only));
        }
    }
}
