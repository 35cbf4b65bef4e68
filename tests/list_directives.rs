//! Relay's declarative mutation directives (issue 24): `@appendEdge`, `@prependEdge`,
//! `@appendNode`, `@prependNode`, `@deleteEdge` and `@deleteRecord` on a mutation's fields edit
//! the connections they name and delete the entities they name, with no updater code; the
//! edits are ops, so an optimistic answer's edits fail exactly; the text sent leaves them out.
#![cfg(feature = "graphql")]

mod common;

use optimist::{
    Document, DocumentError, KeyArgs, NormalizeError, Policies, Store, normalize_query,
    relay_style_pagination,
};
use serde_json::{Value as Json, json};

const TASKS: &str =
    "query($after: String) { project(id: \"1\") { id tasks(first: 2, after: $after) {
    edges { cursor node { id title } } pageInfo { hasNextPage endCursor } } } }";

fn store() -> Store {
    let policies =
        Policies::new().field_policy("Project", "tasks", relay_style_pagination(KeyArgs::None));
    Store::with_policies(policies)
}

fn task(id: u32) -> Json {
    json!({"__typename": "Task", "id": id.to_string(), "title": format!("Task {id}")})
}

fn edge(id: u32) -> Json {
    json!({"__typename": "TaskEdge", "cursor": format!("c{id}"), "node": task(id)})
}

/// Writes the page of tasks `ids` after `after` as the server's answer.
fn page(store: &mut Store, after: Option<&str>, ids: &[u32]) {
    let doc = Document::parse(TASKS).unwrap();
    let edges: Vec<Json> = ids.iter().map(|id| edge(*id)).collect();
    let data = json!({"project": {"__typename": "Project", "id": "1", "tasks": {
        "__typename": "TaskConnection", "edges": edges,
        "pageInfo": {"__typename": "PageInfo", "hasNextPage": true, "endCursor": format!("c{}", ids.last().unwrap())}}}});
    let patch = normalize_query(store.policies(), &doc, &json!({ "after": after }), &data).unwrap();
    store.write(patch).unwrap();
}

/// The ids of the tasks the connection reads, in order.
fn ids(store: &Store) -> Vec<String> {
    let doc = Document::parse(TASKS).unwrap();
    let read = store.read_query(&doc, &json!({})).unwrap();
    read["project"]["tasks"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

fn connections(store: &Store) -> Json {
    json!([store
        .policies()
        .connection_id("Project:1", "tasks", &json!({"first": 2}))])
}

const CREATE: &str = "mutation Create($title: String!, $connections: [ID!]!) {
    createTask(title: $title) { edge @appendEdge(connections: $connections) { cursor node { id title } } } }";

fn created(id: u32) -> Json {
    json!({"createTask": {"__typename": "CreateTaskPayload", "edge": edge(id)}})
}

#[test]
fn an_answer_appends_its_edge_once() {
    let mut store = store();
    page(&mut store, None, &[1, 2]);
    let doc = Document::parse(CREATE).unwrap();
    let variables = json!({"title": "Task 3", "connections": connections(&store)});
    for _ in 0..2 {
        // The second time is a retried mutation's answer: the node is there already.
        let patch = normalize_query(store.policies(), &doc, &variables, &created(3)).unwrap();
        store.write(patch).unwrap();
        assert_eq!(ids(&store), ["1", "2", "3"]);
    }
    // The text path carries out the same edit as the tree path.
    let mut text_store = self::store();
    page(&mut text_store, None, &[1, 2]);
    let text = created(3).to_string();
    let patch = normalize_query(text_store.policies(), &doc, &variables, text.as_str()).unwrap();
    text_store.write(patch).unwrap();
    assert_eq!(ids(&text_store), ["1", "2", "3"]);
}

#[test]
fn an_optimistic_edge_rides_refetches_and_fails_exactly() {
    let mut store = store();
    page(&mut store, None, &[1, 2]);
    let before = store.clone();
    let doc = Document::parse(CREATE).unwrap();
    let variables = json!({"title": "Task 9", "connections": connections(&store)});
    let guess = normalize_query(store.policies(), &doc, &variables, &created(9)).unwrap();
    let (layer, _) = store.push("create", guess).unwrap();
    assert_eq!(ids(&store), ["1", "2", "9"]);
    // The next page arrives under the layer: the edge stays at the end of the longer list.
    page(&mut store, Some("c2"), &[3, 4]);
    assert_eq!(ids(&store), ["1", "2", "3", "4", "9"]);
    store.fail(layer).unwrap();
    assert_eq!(ids(&store), ["1", "2", "3", "4"]);
    let mut expected = before;
    page(&mut expected, Some("c2"), &[3, 4]);
    assert_eq!(store, expected, "as if the guess had never been pushed");
}

#[test]
fn prepend_and_node_directives_build_edges() {
    let mut store = store();
    page(&mut store, None, &[1, 2]);
    let prepend = Document::parse(
        "mutation($connections: [ID!]!) { createTask { edge @prependEdge(connections: $connections) { cursor node { id title } } } }",
    )
    .unwrap();
    let variables = json!({"connections": connections(&store)});
    let patch = normalize_query(store.policies(), &prepend, &variables, &created(0)).unwrap();
    store.write(patch).unwrap();
    assert_eq!(ids(&store), ["0", "1", "2"]);
    let append_node = Document::parse(
        "mutation($connections: [ID!]!) { addTask { task @appendNode(connections: $connections, edgeTypeName: \"TaskEdge\") { id title } } }",
    )
    .unwrap();
    let data = json!({"addTask": {"__typename": "AddTaskPayload", "task": task(7)}});
    let patch = normalize_query(store.policies(), &append_node, &variables, &data).unwrap();
    store.write(patch).unwrap();
    assert_eq!(ids(&store), ["0", "1", "2", "7"]);
    let read = store
        .read_query(&Document::parse(TASKS).unwrap(), &json!({}))
        .unwrap();
    let last = &read["project"]["tasks"]["edges"][3];
    assert_eq!(last["cursor"], Json::Null, "a node's edge has no cursor");
    // The page info is the connection's, untouched by edits.
    assert_eq!(read["project"]["tasks"]["pageInfo"]["endCursor"], "c2");
}

#[test]
fn delete_edge_and_delete_record_remove_and_fail_back() {
    let mut store = store();
    page(&mut store, None, &[1, 2]);
    page(&mut store, Some("c2"), &[3, 4]);
    let remove = Document::parse(
        "mutation($id: ID!, $connections: [ID!]!) { removeTask(id: $id) { removedId @deleteEdge(connections: $connections) } }",
    )
    .unwrap();
    let variables = json!({"id": "2", "connections": connections(&store)});
    let data = json!({"removeTask": {"__typename": "RemoveTaskPayload", "removedId": "2"}});
    let patch = normalize_query(store.policies(), &remove, &variables, &data).unwrap();
    store.write(patch).unwrap();
    assert_eq!(ids(&store), ["1", "3", "4"]);
    assert!(
        store.get("Task:2").is_some(),
        "the edge goes, the entity stays"
    );

    let delete = Document::parse(
        "mutation($id: ID!) { deleteTask(id: $id) { deletedId @deleteRecord(typename: \"Task\") } }",
    )
    .unwrap();
    let before = store.clone();
    let data = json!({"deleteTask": {"__typename": "DeleteTaskPayload", "deletedId": "3"}});
    let guess = normalize_query(store.policies(), &delete, &json!({"id": "3"}), &data).unwrap();
    let (layer, _) = store.push("delete", guess).unwrap();
    assert!(store.get("Task:3").is_none());
    assert_eq!(
        ids(&store),
        ["1", "4"],
        "the connection's read leaves the deleted node out"
    );
    // Refused by the server: back in its place.
    store.fail(layer).unwrap();
    assert_eq!(ids(&store), ["1", "3", "4"]);
    assert_eq!(store, before);
    // An id that is a key needs no type.
    let by_key = Document::parse("mutation { deleteTask { deletedId @deleteRecord } }").unwrap();
    let data = json!({"deleteTask": {"__typename": "DeleteTaskPayload", "deletedId": "Task:4"}});
    let patch = normalize_query(store.policies(), &by_key, &json!({}), &data).unwrap();
    store.write(patch).unwrap();
    assert!(store.get("Task:4").is_none());
}

#[test]
fn bad_directives_and_values_are_typed_errors_that_change_nothing() {
    let missing = Document::parse("mutation { a { edge @appendEdge { id } } }").unwrap_err();
    assert!(
        matches!(missing, DocumentError::DirectiveArgument { .. }),
        "{missing}"
    );
    let node = Document::parse("mutation { a { task @appendNode(connections: []) { id } } }");
    assert!(matches!(node, Err(DocumentError::DirectiveArgument { .. })));

    let store = store();
    let doc = Document::parse(CREATE).unwrap();
    let bad_id = json!({"title": "x", "connections": ["not a connection"]});
    let error = normalize_query(store.policies(), &doc, &bad_id, &created(3)).unwrap_err();
    assert!(
        matches!(
            error,
            NormalizeError::Document(DocumentError::DirectiveArgument { .. })
        ),
        "{error}"
    );

    let no_type = Document::parse("mutation { deleteTask { deletedId @deleteRecord } }").unwrap();
    let data = json!({"deleteTask": {"__typename": "P", "deletedId": "3"}});
    let error = normalize_query(store.policies(), &no_type, &json!({}), &data).unwrap_err();
    assert!(
        matches!(error, NormalizeError::ListDirective { ref path, .. } if path == "deleteTask.deletedId"),
        "{error}"
    );
    let variables = json!({"title": "x", "connections": connections(&store)});
    let not_an_edge = json!({"createTask": {"__typename": "P", "edge": null}});
    assert!(
        normalize_query(store.policies(), &doc, &variables, &not_an_edge).is_ok(),
        "null: nothing to add"
    );
    let scalar = Document::parse(
        "mutation($c: [ID!]!) { createTask { edge @appendEdge(connections: $c) } }",
    )
    .unwrap();
    let data = json!({"createTask": {"__typename": "P", "edge": 5}});
    let error = normalize_query(
        store.policies(),
        &scalar,
        &json!({"c": connections(&store)}),
        &data,
    )
    .unwrap_err();
    assert!(
        matches!(error, NormalizeError::ListDirective { .. }),
        "{error}"
    );
}

#[test]
fn the_text_sent_leaves_the_directives_and_their_variables_out() {
    let doc = Document::parse(CREATE).unwrap();
    let sent = doc.request_text();
    assert!(
        !sent.contains("appendEdge") && !sent.contains("$connections"),
        "{sent}"
    );
    assert!(
        sent.contains("$title: String!") && sent.contains("edge {"),
        "{sent}"
    );
    // The text sent parses, and asks for the same fields.
    let again = Document::parse(sent).unwrap();
    assert_eq!(again.request_text(), sent);
    // A variable used elsewhere too stays.
    let shared = Document::parse(
        "mutation($c: [ID!]!) { a(ids: $c) { edge @appendEdge(connections: $c) { id } } }",
    )
    .unwrap();
    assert!(
        shared.request_text().starts_with("mutation($c: [ID!]!)"),
        "{}",
        shared.request_text()
    );
    // The only variable gone: so are the parentheses.
    let only =
        Document::parse("mutation($c: [ID!]!) { a { id @deleteEdge(connections: $c) } }").unwrap();
    assert!(
        only.request_text().starts_with("mutation { a"),
        "{}",
        only.request_text()
    );
}

mod exact {
    //! List edits in layers revert exactly, whatever the order of pages, answers below and
    //! failures: after every step the view is the fold from scratch (`check_invariants`), and
    //! once every layer failed the store is the one that only received the server's writes.
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Step {
        /// A page of the server's (written into base), after the cursor of this task if any.
        Page(Option<u8>, Vec<u8>),
        /// A mutation's answer (into base) or guess (a layer): a created task's edge, at the
        /// start or the end of the connection.
        Create { task: u8, front: bool, guess: bool },
        /// The same for a delete: the task's edge or its record.
        Delete { task: u8, record: bool, guess: bool },
        /// The pending layer at this index fails.
        Fail(usize),
    }

    fn step() -> impl Strategy<Value = Step> {
        let ids = || proptest::collection::vec(1u8..9, 0..3);
        prop_oneof![
            2 => (proptest::option::of(1u8..9), ids()).prop_map(|(after, ids)| Step::Page(after, ids)),
            3 => (1u8..9, any::<bool>(), any::<bool>())
                .prop_map(|(task, front, guess)| Step::Create { task, front, guess }),
            2 => (1u8..9, any::<bool>(), any::<bool>())
                .prop_map(|(task, record, guess)| Step::Delete { task, record, guess }),
            2 => any::<usize>().prop_map(Step::Fail),
        ]
    }

    fn patch(store: &Store, step: &Step) -> optimist::Patch {
        let connections = connections(store);
        let (text, variables, data) = match step {
            Step::Page(after, ids) => {
                let edges: Vec<Json> = ids.iter().map(|id| edge(u32::from(*id))).collect();
                let data = json!({"project": {"__typename": "Project", "id": "1", "tasks": {
                    "__typename": "TaskConnection", "edges": edges,
                    "pageInfo": {"__typename": "PageInfo", "hasNextPage": true, "endCursor": null}}}});
                let after = after.map(|id| format!("c{id}"));
                (TASKS.to_owned(), json!({ "after": after }), data)
            }
            Step::Create { task, front, .. } => {
                let directive = if *front { "prependEdge" } else { "appendEdge" };
                let text = format!(
                    "mutation($c: [ID!]!) {{ createTask {{ edge @{directive}(connections: $c) {{ cursor node {{ id title }} }} }} }}"
                );
                (text, json!({"c": connections}), created(u32::from(*task)))
            }
            Step::Delete { task, record, .. } => {
                let directive = if *record {
                    "@deleteRecord(typename: \"Task\")"
                } else {
                    "@deleteEdge(connections: $c)"
                };
                let text =
                    format!("mutation($c: [ID!]!) {{ deleteTask {{ deletedId {directive} }} }}");
                let data =
                    json!({"deleteTask": {"__typename": "P", "deletedId": task.to_string()}});
                (text, json!({"c": connections}), data)
            }
            Step::Fail(_) => unreachable!("no patch"),
        };
        let doc = Document::parse(&text).unwrap();
        normalize_query(store.policies(), &doc, &variables, &data).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn list_edits_in_layers_revert_exactly(steps in proptest::collection::vec(step(), 1..40)) {
            let mut store = super::store();
            let mut server_only = super::store();
            let mut pending = Vec::new();
            for step in steps {
                let guess = match &step {
                    Step::Fail(i) => {
                        if !pending.is_empty() {
                            let id = pending.remove(i % pending.len());
                            store.fail(id).unwrap();
                        }
                        continue;
                    }
                    Step::Page(..) => false,
                    Step::Create { guess, .. } | Step::Delete { guess, .. } => *guess,
                };
                if guess {
                    let (id, _) = store.push("guess", patch(&store, &step)).unwrap();
                    pending.push(id);
                } else {
                    store.write(patch(&store, &step)).unwrap();
                    server_only.write(patch(&server_only, &step)).unwrap();
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
