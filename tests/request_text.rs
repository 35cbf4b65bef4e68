//! Documents that work as written (issue 24): the text a document sends adds `__typename` to
//! its selection sets, as Apollo Client does, so a document written without it normalizes its
//! objects into entities; and a text holding several operations (graphql_client's `QUERY`)
//! is used through the one named.
#![cfg(feature = "graphql")]

use optimist::{Document, DocumentError, Key, Patch, QueryKey, Store, Value, normalize_query};
use serde_json::{Value as Json, json};

/// A server: a store holding its data, answering a request text with the fields that text
/// selects (a read of the text through the store), as a GraphQL server answers. The store's
/// reads give every entity's `__typename`; a server gives it only where it is asked for, which
/// for the texts here is everywhere or nowhere.
fn server() -> Store {
    let mut server = Store::new();
    server
        .write(
            Patch::new()
                .set("Todo:1", "__typename", "Todo")
                .set("Todo:1", "id", "1")
                .set("Todo:1", "title", "Buy milk")
                .set("Todo:1", "owner", Key::new("User:7").unwrap())
                .set("User:7", "__typename", "User")
                .set("User:7", "id", "7")
                .set("User:7", "name", "Ada")
                .set(
                    "ROOT_QUERY",
                    "todos",
                    Value::from(vec![Key::new("Todo:1").unwrap()]),
                ),
        )
        .unwrap();
    server
}

fn answer(server: &Store, text: &str) -> Json {
    let doc = Document::parse(text).unwrap();
    let mut data = server.read_query(&doc, &Json::Null).unwrap();
    if !text.contains("__typename") {
        strip_typenames(&mut data);
    }
    data
}

fn strip_typenames(json: &mut Json) {
    match json {
        Json::Object(object) => {
            object.remove("__typename");
            object.values_mut().for_each(strip_typenames);
        }
        Json::Array(items) => items.iter_mut().for_each(strip_typenames),
        _ => {}
    }
}

#[test]
fn a_document_written_without_typenames_normalizes_its_objects_through_its_request_text() {
    let written = "query Todos { todos { id title owner { id name } } }";
    let doc = Document::parse(written).unwrap();
    assert_eq!(
        doc.request_text(),
        "query Todos { todos { __typename id title owner { __typename id name } } }"
    );
    let server = server();

    // Sent as written, the answer has no typenames: nothing becomes an entity, and every
    // object with an id is reported (as Apollo warns), not silently embedded.
    let mut as_written = Store::new();
    let data = answer(&server, written);
    let patch = normalize_query(as_written.policies(), &doc, &Json::Null, &data).unwrap();
    let reported: Vec<String> = patch
        .diagnostics()
        .iter()
        .map(|diagnostic| match diagnostic {
            optimist::Diagnostic::MissingTypename { path } => path.clone(),
            other => panic!("{other}"),
        })
        .collect();
    assert_eq!(reported, ["todos.0", "todos.0.owner"]);
    // The text path reports the same.
    let text = data.to_string();
    let from_text =
        normalize_query(as_written.policies(), &doc, &Json::Null, text.as_str()).unwrap();
    assert_eq!(from_text.diagnostics(), patch.diagnostics());
    as_written.write(patch).unwrap();
    assert!(as_written.get("Todo:1").is_none());

    // Sent as its request text, the objects are entities, read back with their typenames (as
    // Apollo's reads give them).
    let mut store = Store::new();
    let data = answer(&server, doc.request_text());
    store
        .write(normalize_query(store.policies(), &doc, &Json::Null, &data).unwrap())
        .unwrap();
    assert_eq!(
        store.get_field("Todo:1", "title"),
        Some(&Value::from("Buy milk"))
    );
    assert_eq!(store.get_field("User:7", "name"), Some(&Value::from("Ada")));
    assert_eq!(
        store.read_query(&doc, &Json::Null).unwrap(),
        json!({"todos": [{"__typename": "Todo", "id": "1", "title": "Buy milk",
                          "owner": {"__typename": "User", "id": "7", "name": "Ada"}}]})
    );
}

#[test]
fn typenames_go_into_every_selection_set_but_the_root_and_those_with_a_meta_field() {
    let cases = [
        // Root sets of every kind are left alone.
        ("{ a }", "{ a }"),
        (
            "mutation M { add { id } }",
            "mutation M { add { __typename id } }",
        ),
        (
            "subscription S { added { id } }",
            "subscription S { added { __typename id } }",
        ),
        // Already there, under its name or an alias, or another meta field: not added twice.
        ("{ a { __typename id } }", "{ a { __typename id } }"),
        (
            "{ a { kind: __typename id } }",
            "{ a { kind: __typename id } }",
        ),
        (
            "{ __type(name: \"T\") { name fields { name } } }",
            "{ __type(name: \"T\") { __typename name fields { __typename name } } }",
        ),
        // Inline fragments, nested lists of objects, and the author's layout and comments.
        (
            "query Q($id: ID!) {\n  node(id: $id) { # the node\n    ... on Todo @include(if: true) { title }\n  }\n}",
            "query Q($id: ID!) {\n  node(id: $id) { __typename # the node\n    ... on Todo @include(if: true) { __typename title }\n  }\n}",
        ),
    ];
    for (written, sent) in cases {
        let doc = Document::parse(written).unwrap();
        assert_eq!(doc.request_text(), sent, "{written}");
        // What is sent parses, to the same operation.
        let again = Document::parse(doc.request_text()).unwrap();
        assert_eq!(again.operation_name(), doc.operation_name());
        assert_eq!(again.request_text(), sent, "adding is idempotent");
    }
}

/// graphql_client's generated `QUERY` for a file of two operations and three fragments.
const FILE: &str = "\
query Board($id: ID!) { project(id: $id) { id ...ProjectParts } }
mutation AddTask($title: String!) { addTask(title: $title) { ...TaskParts } }
fragment ProjectParts on Project { name tasks { ...TaskParts } }
fragment TaskParts on Task { id title }
fragment Unused on User { email }";

#[test]
fn a_file_of_operations_is_used_through_the_one_named_with_only_the_fragments_it_uses() {
    let err = Document::parse(FILE).unwrap_err();
    assert_eq!(err, DocumentError::MultipleOperations { count: 2 });
    assert!(
        err.to_string().contains("Document::parse_operation"),
        "{err}"
    );

    let board = Document::parse_operation(FILE, "Board").unwrap();
    assert_eq!(board.operation_name(), Some("Board"));
    // The fragments it spreads, through another fragment too, in document order; not the
    // mutation, nor a fragment no one here uses (a server refuses an unused fragment).
    assert_eq!(
        board.request_text(),
        "query Board($id: ID!) { project(id: $id) { __typename id ...ProjectParts } }\n\
         fragment ProjectParts on Project { __typename name tasks { __typename ...TaskParts } }\n\
         fragment TaskParts on Task { __typename id title }"
    );
    let add = Document::parse_operation(FILE, "AddTask").unwrap();
    assert_eq!(
        add.request_body(json!({"title": "Ship"})),
        json!({
            "query": "mutation AddTask($title: String!) { addTask(title: $title) { __typename ...TaskParts } }\n\
                      fragment TaskParts on Task { __typename id title }",
            "variables": {"title": "Ship"},
            "operationName": "AddTask",
        })
    );
    assert_eq!(
        Document::parse_operation(FILE, "Nope").unwrap_err(),
        DocumentError::UnknownOperation {
            name: "Nope".into()
        }
    );

    // As a query key: the operation chosen is part of its identity, and its body is what is sent.
    let key = QueryKey::graphql_operation(FILE, "Board", json!({"id": "p1"})).unwrap();
    assert_eq!(
        key.body().unwrap()["query"].as_str(),
        Some(board.request_text())
    );
    assert_eq!(key.body().unwrap()["operationName"], "Board");
    let other = QueryKey::graphql_operation(FILE, "AddTask", json!({"id": "p1"})).unwrap();
    assert_ne!(key, other);
}

#[test]
fn a_document_of_fragments_sends_every_fragment() {
    let doc = Document::parse("fragment A on T { b { c } } fragment D on T { e }").unwrap();
    assert_eq!(
        doc.request_text(),
        "fragment A on T { __typename b { __typename c } }\nfragment D on T { __typename e }"
    );
}
