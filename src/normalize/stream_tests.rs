//! The stream held to the tree walk: on generated payload text (keys in any order, repeated,
//! escaped; typenames first, last or absent; ids of every kind; truncated text), with and
//! without documents, under several policies, whatever the stream answers is what the tree
//! walk makes of the parsed text, and the public entry points give the tree walk's result
//! (patch or error) for text as for the parsed payload.

use std::rc::Rc;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value as Json, json};

use super::payload::{Text, parse};
use super::plan::{Compiler, Plan};
use super::{NormalizeError, normalize, normalize_at, normalize_query, stream};
use crate::document::Document;
use crate::key::Key;
use crate::patch::Patch;
use crate::policy::{KeyFields, Policies};

/// splitmix64: the payload is drawn from one seed, so a failing case is one number.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'s>(&mut self, from: &[&'s str]) -> &'s str {
        from[self.below(from.len())]
    }

    /// One of `usual`, or now and then one of `rare`.
    fn mostly<'s>(&mut self, usual: &[&'s str], rare: &[&'s str]) -> &'s str {
        if self.chance(2) {
            self.pick(rare)
        } else {
            self.pick(usual)
        }
    }
}

/// The fields a document may select on an object: a name and, for an object, its fields.
type Spec = &'static [(&'static str, Option<Spec2>)];
type Spec2 = &'static [(&'static str, Option<&'static [(&'static str, Option<()>)]>)];

const OWNER: Spec2 = &[("id", None), ("name", None)];
const META: Spec2 = &[("rank", None), ("tags", None)];
const ME: Spec2 = &[("uid", None), ("kind", None), ("name", None), ("id", None)];
const ITEM: Spec = &[
    ("id", None),
    ("title", None),
    ("done", None),
    ("name", None),
    ("owner", Some(OWNER)),
    ("meta", Some(META)),
];

const SCALARS: &[&str] = &[
    "null",
    "true",
    "false",
    "0",
    "7",
    "-3",
    "2.0",
    "0.5",
    "1e3",
    "-0",
    "18446744073709551615",
    r#""a""#,
    r#""""#,
    r#""x\ny""#,
    r#""\u00e9t\u00e9""#,
    r#""a long string, longer than inline""#,
];
const IDS: &[&str] = &[
    r#""1""#,
    "1",
    "2",
    "2.0",
    "1.5",
    r#""u1""#,
    "null",
    "-3",
    r#""A:B""#,
    r#""e\u0301""#,
];
/// Ids that make the payload an error, drawn rarely.
const BAD_IDS: &[&str] = &[r#""""#, "true", "{}", "[]"];
const TYPENAMES: &[&str] = &[r#""Todo""#, r#""User""#, r#""Meta""#, r#""Node""#];
/// Typenames the tree walk refuses or the stream hands over, drawn rarely.
const ODD_TYPENAMES: &[&str] = &["5", r#""T\u006fdo""#, r#""A:B""#];
const NAMES: &[&str] = &[
    "a",
    "b",
    "title",
    "owner",
    "meta",
    "items",
    "rank",
    "name",
    r#"esc\"aped"#,
    "kind",
];

fn scalar(g: &mut Gen) -> String {
    g.pick(SCALARS).to_owned()
}

/// An object: the spec's fields (each almost always there), a typename and an id at random
/// places, sometimes extra fields or a repeated key.
fn object(g: &mut Gen, spec: &[(&str, Option<Spec2>)], depth: usize) -> String {
    let mut fields: Vec<(String, String)> = Vec::new();
    for (name, child) in spec {
        if g.chance(98) {
            let value = match child {
                Some(child) => nested(g, child, depth + 1),
                None if matches!(*name, "id" | "uid") => g.mostly(IDS, BAD_IDS).to_owned(),
                None if *name == "kind" => g.mostly(TYPENAMES, ODD_TYPENAMES).to_owned(),
                None => leaf(g, depth + 1),
            };
            fields.push((name.to_string(), value));
        }
    }
    if g.chance(85) {
        fields.push((
            "__typename".into(),
            g.mostly(TYPENAMES, ODD_TYPENAMES).to_owned(),
        ));
    }
    if g.chance(60) && !spec.iter().any(|(name, _)| *name == "id") {
        fields.push(("id".into(), g.mostly(IDS, BAD_IDS).to_owned()));
    }
    if g.chance(10) {
        fields.push(("_id".into(), g.mostly(IDS, BAD_IDS).to_owned()));
    }
    for _ in 0..g.below(3) {
        let name = g.pick(NAMES).to_owned();
        if fields.iter().all(|(known, _)| *known != name) {
            fields.push((name, leaf(g, depth + 1)));
        }
    }
    if g.chance(5) && !fields.is_empty() {
        let again = fields[g.below(fields.len())].0.clone();
        fields.push((again, leaf(g, depth + 1)));
    }
    // The server's order: any.
    for i in (1..fields.len()).rev() {
        fields.swap(i, g.below(i + 1));
    }
    let body: Vec<String> = fields
        .iter()
        .map(|(name, value)| format!("\"{name}\":{value}"))
        .collect();
    format!("{{{}}}", body.join(","))
}

fn nested(g: &mut Gen, spec: Spec2, depth: usize) -> String {
    let spec: Vec<(&str, Option<Spec2>)> = spec.iter().map(|(name, _)| (*name, None)).collect();
    match g.below(20) {
        0 | 1 => "null".into(),
        2 => scalar(g),
        3..=11 => object(g, &spec, depth),
        _ => {
            let items: Vec<String> = (0..g.below(4))
                .map(|_| {
                    if g.chance(10) {
                        "null".into()
                    } else {
                        object(g, &spec, depth + 1)
                    }
                })
                .collect();
            format!("[{}]", items.join(","))
        }
    }
}

/// A field without a selection set: mostly a scalar, sometimes an object (a custom scalar, or
/// schemaless data) or a list.
fn leaf(g: &mut Gen, depth: usize) -> String {
    if depth > 5 {
        return scalar(g);
    }
    match g.below(10) {
        0 => object(g, &[("a", None)], depth),
        1 => {
            let items: Vec<String> = (0..g.below(3)).map(|_| leaf(g, depth + 1)).collect();
            format!("[{}]", items.join(","))
        }
        _ => scalar(g),
    }
}

fn payload(g: &mut Gen) -> String {
    let items = {
        let list: Vec<String> = (0..g.below(5)).map(|_| object(g, ITEM, 3)).collect();
        format!("[{}]", list.join(","))
    };
    let mut fields = vec![("items", items)];
    if g.chance(70) {
        let me = object(
            g,
            &ME.iter().map(|(n, _)| (*n, None)).collect::<Vec<_>>(),
            2,
        );
        fields.push(("me", me));
    }
    if g.chance(8) {
        fields.push(("__typename", g.mostly(TYPENAMES, ODD_TYPENAMES).to_owned()));
    }
    if g.chance(20) {
        fields.push(("a", leaf(g, 2)));
    }
    for i in (1..fields.len()).rev() {
        fields.swap(i, g.below(i + 1));
    }
    let body: Vec<String> = fields
        .iter()
        .map(|(name, value)| format!("\"{name}\":{value}"))
        .collect();
    let mut text = format!("{{{}}}", body.join(","));
    match g.below(40) {
        0 => text.truncate(g.below(text.len())),
        1 => text.push_str(" x"),
        2 => text = format!(" \n{text}\t"),
        _ => {}
    }
    text
}

fn policies(variant: usize) -> Policies {
    match variant {
        0 => Policies::new(),
        1 => Policies::new()
            .type_at("items", "Todo")
            .type_at("me", "User")
            .field_type("Todo", "owner", "User")
            .field_type("User", "owner", "User"),
        2 => Policies::new()
            .key_fields("Meta", KeyFields::Embedded)
            .possible_types("Node", ["Todo", "User"]),
        3 => Policies::new().key_fields("User", KeyFields::fields(["name"])),
        _ => Policies::new().key_fields(
            "User",
            KeyFields::custom(|typename, fields| {
                Some(format!("{typename}:{}", fields.get("name")?.as_str()?))
            }),
        ),
    }
}

const DOCS: &[&str] = &[
    "{ items { id title done owner { id name } meta { rank tags } } me { uid: id kind: __typename name } }",
    "{ items { id ... on Todo { title owner { id name } } ... on User { name } ... on Node { done } } me { name } }",
    "query Q($n: Int = 2) { items(first: $n) { ...F ...F id } } fragment F on Todo { title meta { rank } owner { ...G } } fragment G on User { id name }",
    "{ items { title: name name: title owner { id } } a }",
];

fn roots() -> [Key; 3] {
    [
        Key::root_query(),
        Key::new("Todo:1").unwrap(),
        Key::new("Meta:m").unwrap(),
    ]
}

/// What the tree walk makes of the text.
fn tree<T>(
    text: &str,
    walk: impl FnOnce(&Json) -> Result<T, NormalizeError>,
) -> Result<T, NormalizeError> {
    walk(&parse(Text::Str(text))?)
}

/// How often the stream answered a payload the tree walk writes, and how often it handed one
/// over.
#[derive(Default)]
struct Tally {
    answered: usize,
    handed_over: usize,
}

impl Tally {
    fn count(&mut self, answer: &Option<Patch>, expected: &Result<Patch, NormalizeError>) {
        match (answer, expected) {
            (Some(_), _) => self.answered += 1,
            (None, Ok(_)) => self.handed_over += 1,
            (None, Err(_)) => {}
        }
    }
}

fn check(
    seed: u64,
    variant: usize,
    doc: Option<usize>,
    root: usize,
    tally: &mut Tally,
) -> Result<(), TestCaseError> {
    let mut g = Gen(seed);
    let text = payload(&mut g);
    let policies = policies(variant);
    let root = &roots()[root];
    match doc {
        None => {
            let expected = tree(&text, |json| normalize(&policies, root, json));
            let answer = stream::root(&policies, root, Text::Str(&text), None);
            tally.count(&answer, &expected);
            if let Some(patch) = answer {
                prop_assert_eq!(Ok(patch), expected.clone(), "{}", text);
            }
            prop_assert_eq!(
                normalize(&policies, root, text.as_str()),
                expected,
                "{}",
                text
            );

            // The same text as one field of the root (a REST body), from its first value.
            let expected = tree(&text, |json| normalize_at(&policies, root, "items", json));
            let answer = stream::root_field(&policies, root, "items", Text::Bytes(text.as_bytes()));
            tally.count(&answer, &expected);
            if let Some(patch) = answer {
                prop_assert_eq!(Ok(patch), expected.clone(), "{}", text);
            }
            prop_assert_eq!(
                normalize_at(&policies, root, "items", text.as_bytes()),
                expected,
                "{}",
                text
            );
        }
        Some(doc) => {
            let document = Document::parse(DOCS[doc]).unwrap();
            let variables = json!({});
            let expected = tree(&text, |json| {
                normalize_query(&policies, &document, &variables, json)
            });
            let operation = document.operation().unwrap();
            let plan: Rc<Plan<'_>> = Compiler::new(document.variables(&variables).unwrap())
                .compile(&operation.selection)
                .unwrap();
            let key = operation.kind.root_key();
            let answer = stream::root(&policies, &key, Text::Str(&text), Some(&plan));
            tally.count(&answer, &expected);
            if let Some(patch) = answer {
                prop_assert_eq!(Ok(patch), expected.clone(), "{}", text);
            }
            prop_assert_eq!(
                normalize_query(&policies, &document, &variables, &text),
                expected,
                "{}",
                text
            );
        }
    }
    Ok(())
}

#[test]
fn the_stream_writes_what_the_tree_walk_writes() {
    let tally = std::cell::RefCell::new(Tally::default());
    let mut runner = TestRunner::new(Config {
        cases: 2000,
        failure_persistence: None,
        ..Config::default()
    });
    let cases = (
        any::<u64>(),
        0..5usize,
        prop::option::of(0..DOCS.len()),
        0..3usize,
    );
    let result = runner.run(&cases, |(seed, variant, doc, root)| {
        check(seed, variant, doc, root, &mut tally.borrow_mut())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
    // The property holds the stream to the tree only where it answers: it must answer often.
    let tally = tally.into_inner();
    let total = tally.answered + tally.handed_over;
    assert!(
        tally.answered * 4 > total && total > 500,
        "the stream answered {} of {total} payloads the tree walk writes",
        tally.answered
    );
    assert!(tally.handed_over > 0);
}

#[test]
fn the_stream_answers_the_payloads_it_is_for() {
    let policies = Policies::new();
    let root = Key::root_query();
    let items = r#"{"items":[{"id":"1","title":"a","done":false,"count":3,"owner":{"id":"u1","name":"Ann","__typename":"User"},"__typename":"Item"}]}"#;
    let answer = stream::root(&policies, &root, Text::Str(items), None);
    assert_eq!(
        answer,
        Some(
            normalize(
                &policies,
                &root,
                &serde_json::from_str::<Json>(items).unwrap()
            )
            .unwrap()
        )
    );

    // A document without type conditions: `__typename` last, as Apollo's requests put it.
    let document = Document::parse("{ items { id title owner { id name } } }").unwrap();
    let operation = document.operation().unwrap();
    let plan = Compiler::new(document.variables(&Json::Null).unwrap())
        .compile(&operation.selection)
        .unwrap();
    assert!(stream::root(&policies, &root, Text::Str(items), Some(&plan)).is_some());

    // A type condition, with the typename first.
    let first = r#"{"items":[{"__typename":"Item","id":"1","title":"a"}]}"#;
    let document = Document::parse("{ items { id ... on Item { title } } }").unwrap();
    let operation = document.operation().unwrap();
    let plan = Compiler::new(document.variables(&Json::Null).unwrap())
        .compile(&operation.selection)
        .unwrap();
    assert!(stream::root(&policies, &root, Text::Str(first), Some(&plan)).is_some());
    // ... and last: the fields came before the typename that decides them, and wait for it.
    let last = r#"{"items":[{"id":"1","title":"a","__typename":"Item"}]}"#;
    let answer = stream::root(&policies, &root, Text::Str(last), Some(&plan));
    let json: Json = serde_json::from_str(last).unwrap();
    assert_eq!(
        answer,
        Some(normalize_query(&policies, &document, &Json::Null, &json).unwrap())
    );
    let mut store = crate::Store::new();
    store.write(answer.unwrap()).unwrap();
    assert_eq!(
        store.get_field("Item:1", "title"),
        Some(&crate::Value::from("a"))
    );

    // REST: typed by path and by field, no typename in the data.
    let rest = Policies::new()
        .type_at("todos", "Todo")
        .field_type("Todo", "owner", "User");
    let body = r#"[{"id":1,"title":"a","owner":{"id":2,"name":"Ann"}}]"#;
    let answer = stream::root_field(&rest, &root, "todos", Text::Str(body)).unwrap();
    let json: Json = serde_json::from_str(body).unwrap();
    assert_eq!(answer, normalize_at(&rest, &root, "todos", &json).unwrap());
}

#[test]
fn text_in_error_is_the_tree_walks_error() {
    let policies = Policies::new();
    let root = Key::root_query();
    let cut = normalize(&policies, &root, r#"{"items": [{"id": 1"#).unwrap_err();
    assert!(
        matches!(cut, NormalizeError::Syntax { line: 1, .. }),
        "{cut}"
    );
    assert_eq!(cut.path(), "");
    assert!(
        cut.to_string()
            .starts_with("the payload is not valid JSON: EOF while parsing"),
        "{cut}"
    );

    let trailing = normalize(&policies, &root, "{} {}").unwrap_err();
    assert!(matches!(trailing, NormalizeError::Syntax { .. }));
    assert_eq!(
        normalize(&policies, &root, "[1]").unwrap_err(),
        NormalizeError::NotAnObject { found: "an array" }
    );

    let bad_id = r#"{"items": [{"__typename": "Todo", "id": true}]}"#;
    let from_text = normalize(&policies, &root, bad_id).unwrap_err();
    assert_eq!(from_text.path(), "items.0");
    assert_eq!(
        Err(from_text),
        normalize(
            &policies,
            &root,
            &serde_json::from_str::<Json>(bad_id).unwrap()
        )
    );

    // Deeper than serde_json parses: an error, never a stack overflow.
    let deep = format!("{}{}", "{\"a\":".repeat(5000), "}".repeat(5000));
    assert!(matches!(
        normalize(&policies, &root, deep.as_str()),
        Err(NormalizeError::Syntax { .. })
    ));
    // Deeper than the policies allow, within what serde_json parses.
    let shallow = Policies::new().max_depth(8);
    let nested = format!("{}1{}", "{\"a\":".repeat(20), "}".repeat(20));
    assert!(matches!(
        normalize(&shallow, &root, nested.as_str()),
        Err(NormalizeError::TooDeep { limit: 8, .. })
    ));
}
