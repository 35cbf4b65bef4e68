//! Possible types from the schema (issue 24): read from an introspection result or from SDL,
//! they match fragments on interfaces and unions as the hand-written declarations did; a
//! result of the wrong shape or text that does not parse is a typed error, never a panic.
#![cfg(feature = "graphql")]

use optimist::{Document, Patch, Policies, SchemaError, Store};
use proptest::prelude::*;
use serde_json::{Value as Json, json};

/// The schema of the issue's project board, in SDL.
const SDL: &str = r#"
"Something with an id."
interface Node { id: ID! }
interface Entity implements Node { id: ID! createdAt: String }
type Project implements Node & Entity { id: ID! createdAt: String name: String }
type Task implements Node & Entity @key(fields: "id") { id: ID! createdAt: String title: String }
type User { email: String! }
union SearchResult = Project | Task
extend union SearchResult = User
type Comment { id: ID! }
extend type Comment implements Node
schema { query: Query }
type Query { search(text: String!): [SearchResult!]! node(id: ID!): Node }
"#;

/// The same schema as the introspection query answers it (Apollo's generation script's query,
/// with the kinds and types it also returns).
fn introspection() -> Json {
    let possible =
        |names: &[&str]| Json::Array(names.iter().map(|name| json!({"name": name})).collect());
    json!({"data": {"__schema": {"types": [
        {"kind": "INTERFACE", "name": "Node", "possibleTypes": possible(&["Project", "Task", "Comment"])},
        {"kind": "INTERFACE", "name": "Entity", "possibleTypes": possible(&["Project", "Task"])},
        {"kind": "UNION", "name": "SearchResult", "possibleTypes": possible(&["Project", "Task", "User"])},
        {"kind": "OBJECT", "name": "Project", "possibleTypes": null},
        {"kind": "OBJECT", "name": "Task", "possibleTypes": null},
        {"kind": "OBJECT", "name": "User"},
        {"kind": "SCALAR", "name": "String", "possibleTypes": null},
    ]}}})
}

const TYPES: [&str; 8] = [
    "Node",
    "Entity",
    "Project",
    "Task",
    "User",
    "Comment",
    "SearchResult",
    "Query",
];

/// Every (condition, typename) pair that matches under `policies`.
fn matches(policies: &Policies) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    for condition in TYPES {
        for typename in TYPES {
            if condition != typename && policies.type_matches(condition, typename) {
                out.push((condition, typename));
            }
        }
    }
    out
}

#[test]
fn sdl_and_introspection_declare_the_same_possible_types_as_by_hand() {
    let by_hand = Policies::new()
        .possible_types("Node", ["Project", "Task", "Comment"])
        .possible_types("Entity", ["Project", "Task"])
        .possible_types("SearchResult", ["Project", "Task", "User"]);
    let from_sdl = Policies::new().possible_types_from_sdl(SDL).unwrap();
    let from_result = Policies::new()
        .possible_types_from_introspection(&introspection())
        .unwrap();
    let from_data = Policies::new()
        .possible_types_from_introspection(&introspection()["data"])
        .unwrap();
    let expected = matches(&by_hand);
    assert_eq!(expected.len(), 8, "{expected:?}");
    // SDL also says Entity is a Node (an interface implementing one).
    let mut sdl = matches(&from_sdl);
    sdl.retain(|pair| *pair != ("Node", "Entity"));
    assert_eq!(sdl, expected);
    assert!(from_sdl.type_matches("Node", "Entity"));
    assert_eq!(matches(&from_result), expected);
    assert_eq!(matches(&from_data), expected);
}

#[test]
fn fragments_on_a_union_read_through_the_declared_types() {
    let policies = Policies::new().possible_types_from_sdl(SDL).unwrap();
    let mut store = Store::with_policies(policies);
    store
        .write(
            Patch::new()
                .set("Task:1", "__typename", "Task")
                .set("Task:1", "title", "Ship")
                .set("ROOT_QUERY", "hit", optimist::Key::new("Task:1").unwrap()),
        )
        .unwrap();
    let doc = Document::parse(
        "{ hit { ... on SearchResult { ... on Node { ... on Task { title } } } } }",
    )
    .unwrap();
    assert_eq!(
        store.read_query(&doc, &Json::Null).unwrap(),
        json!({"hit": {"__typename": "Task", "title": "Ship"}})
    );
}

#[test]
fn results_of_the_wrong_shape_are_typed_errors() {
    let cases = [
        (json!(null), "no `__schema`"),
        (
            json!({"data": {"__schema": {}}}),
            "`__schema.types` is not a list",
        ),
        (
            json!({"__schema": {"types": [{"name": 3}]}}),
            "`__schema.types[0].name` is not a string",
        ),
        (
            json!({"__schema": {"types": [{"name": "U", "possibleTypes": {"name": "A"}}]}}),
            "`U.possibleTypes` is not a list",
        ),
        (
            json!({"__schema": {"types": [{"name": "U", "possibleTypes": [{"name": "A"}, {}]}]}}),
            "a name in `U.possibleTypes` is not a string",
        ),
    ];
    for (result, what) in cases {
        assert_eq!(
            Policies::new()
                .possible_types_from_introspection(&result)
                .unwrap_err(),
            SchemaError::NotIntrospection { what: what.into() },
            "{result}"
        );
    }
    let err = Policies::new()
        .possible_types_from_sdl("type A implements { }")
        .unwrap_err();
    assert!(matches!(err, SchemaError::Parse { .. }), "{err:?}");
    assert!(err.to_string().starts_with("the schema does not parse"));
}

/// Text that does not parse is refused with the parser's message (and never panics).
fn parses_or_says_why(text: &str) -> Result<(), TestCaseError> {
    match Policies::new().possible_types_from_sdl(text) {
        Ok(_) => Ok(()),
        Err(SchemaError::Parse { message }) => {
            prop_assert!(!message.is_empty());
            Ok(())
        }
        Err(other) => Err(TestCaseError::fail(format!("{other:?}"))),
    }
}

proptest! {
    #[test]
    fn any_text_gives_policies_or_a_parse_error(text in ".{0,200}") {
        parses_or_says_why(&text)?;
    }

    #[test]
    fn any_sdl_like_text_gives_policies_or_a_parse_error(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("type"), Just("interface"), Just("union"), Just("extend"), Just("implements"),
                Just("A"), Just("B"), Just("&"), Just("|"), Just("="), Just("{"), Just("}"),
                Just("x: Int"), Just("@d"), Just("\""),
            ],
            0..40,
        )
    ) {
        parses_or_says_why(&parts.join(" "))?;
    }
}

/// A board's schema: a connection, an interface, a union, a type keyed by `email`.
const BOARD: &str = r#"
interface Node { id: ID! }
type Query { project(id: ID!): Project node(id: ID!): Node search(text: String!): [SearchResult!]! }
type Mutation { createTask(title: String!): CreateTaskPayload! }
type CreateTaskPayload { edge: TaskEdge! }
type Project implements Node { id: ID! name: String! owner: User! tasks(first: Int): TaskConnection! }
type TaskConnection { edges: [TaskEdge!]! pageInfo: PageInfo! }
type TaskEdge { cursor: String! node: Task! }
type PageInfo { hasNextPage: Boolean! endCursor: String }
type Task implements Node { id: ID! title: String! assignee: User }
type User { email: String! name: String! }
union SearchResult = Task | Project | User
"#;

fn board_policies() -> Policies {
    Policies::new()
        .key_fields("User", optimist::KeyFields::fields(["email"]))
        .schema_from_sdl(BOARD)
        .unwrap()
}

#[test]
fn the_schema_types_payloads_that_name_no_types() {
    let policies = board_policies();
    assert_eq!(policies.field_type_of("TaskEdge", "node"), Some("Task"));
    assert_eq!(policies.field_type_of("Query", "project"), Some("Project"));
    assert_eq!(
        policies.field_type_of("Query", "node"),
        None,
        "an interface: the data says"
    );
    assert!(matches!(
        policies.key_fields_of("PageInfo"),
        optimist::KeyFields::Embedded
    ));
    assert!(
        matches!(
            policies.key_fields_of("User"),
            optimist::KeyFields::Fields(_)
        ),
        "declared first: kept"
    );
    assert!(policies.type_matches("SearchResult", "User"));
    // An optimistic response written without a single typename.
    let mut store = Store::with_policies(policies);
    let doc = Document::parse(
        "mutation { createTask(title: \"a\") { edge { cursor node { id title assignee { email name } } } } }",
    )
    .unwrap();
    let guess = json!({"createTask": {"edge": {"cursor": "c9", "node": {"id": "9", "title": "a",
        "assignee": {"email": "ada@x", "name": "Ada"}}}}});
    let patch = optimist::normalize_query(store.policies(), &doc, &json!({}), &guess).unwrap();
    store.push("create", patch).unwrap();
    assert_eq!(
        store.get_field("Task:9", "title"),
        Some(&optimist::Value::from("a"))
    );
    assert_eq!(
        store.get_field("Task:9", "__typename"),
        Some(&optimist::Value::from("Task"))
    );
    assert!(store.contains(r#"User:{"email":"ada@x"}"#));
}

#[test]
fn the_text_sent_asks_for_the_key_fields_the_schema_needs() {
    let policies = board_policies();
    let doc = Document::parse(
        "query { project(id: 1) { name owner { name } tasks(first: 2) { edges { node { title ...F } } pageInfo { hasNextPage } } }
           search(text: \"a\") { ... on Task { title } ... on User { name } }
           node(id: 1) { ... on Project { name } } }
         fragment F on Task { assignee { name } }",
    )
    .unwrap();
    let sent = doc.request_text_for(&policies);
    let expected = "query { project(id: 1) { id __typename name owner { email __typename name } tasks(first: 2) { __typename edges { __typename node { id __typename title ...F } } pageInfo { __typename hasNextPage } } }
           search(text: \"a\") { __typename ... on Task { id __typename title } ... on User { email __typename name } }
           node(id: 1) { id __typename ... on Project { id __typename name } } }
fragment F on Task { id __typename assignee { email __typename name } }";
    assert_eq!(sent, expected);
    // It parses, and sending it again adds nothing.
    let again = Document::parse(&sent).unwrap();
    assert_eq!(again.request_text_for(&policies), sent);
    // Without a schema: the request text as it is.
    assert_eq!(doc.request_text_for(&Policies::new()), doc.request_text());
}

#[test]
fn key_directives_declare_key_fields_unless_declared_already() {
    let sdl = r#"type Query { me: User book: Book part: Part }
        type User @key(fields: "email") { email: String! name: String }
        type Book @key(fields: "isbn edition") { isbn: String! edition: Int! }
        type Part @key(fields: "maker { id } serial") { serial: String! }"#;
    let policies = Policies::new().schema_from_sdl(sdl).unwrap();
    let fields = |policies: &Policies, typename: &str| match policies.key_fields_of(typename) {
        optimist::KeyFields::Fields(names) => names.clone(),
        _ => Vec::new(),
    };
    assert_eq!(fields(&policies, "User"), ["email"]);
    assert_eq!(fields(&policies, "Book"), ["isbn", "edition"]);
    assert!(
        matches!(
            policies.key_fields_of("Part"),
            optimist::KeyFields::Embedded
        ),
        "nested keys are not read"
    );
    let declared = Policies::new()
        .key_fields("User", optimist::KeyFields::fields(["name"]))
        .schema_from_sdl(sdl)
        .unwrap();
    assert_eq!(fields(&declared, "User"), ["name"]);
    // The text sent asks for them.
    let doc = Document::parse("{ me { name } book { edition } }").unwrap();
    assert_eq!(
        doc.request_text_for(&policies),
        "{ me { email __typename name } book { isbn __typename edition } }"
    );
}
