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
