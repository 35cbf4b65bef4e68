//! Hostile documents: what cynic-parser 0.11 panicked on parses, and a document that parses can
//! be used by every entry point without overflowing the stack (issue 8, items 1 and 2).

mod common;

use common::hostile::on_small_stack;
use optimist::{DEFAULT_MAX_DEPTH, Document, DocumentError, Store, Value, normalize_query};
use serde_json::json;

#[test]
fn literals_that_panicked_the_old_parser_parse() {
    for text in [
        "{ a(x: 9223372036854775808) }",
        "query($v: Int = 9223372036854775808) { a(x: $v) }",
        "query($v: [[[[[[[[[[[[[[[[Int]]]]]]]]]]]]]]]]) { a(x: $v) }",
        "{ a(x: \"\"\"😀\"\"\") }",
        "{ a(x: \"😀\") }",
        "{ a(x: \"\\u{1F600}\\uD83D\\uDE00\") }",
    ] {
        if let Err(error) = Document::parse(text) {
            panic!("{text}: {error}");
        }
    }
    // Refused or accepted, never a panic.
    for text in [
        "{ a(x: \"\"\"\u{1}\u{7f}\"\"\") }",
        "{ a(x: \"\u{1}\") }",
        "{ a(x: 1e400) }",
        "{ a(x: \"\\uD83D\") }",
        "{ a(x: \"\\u{110000}\") }",
        "query($v: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[Int!]!]!]]]]]]]]]]]]]]]]]]]]]]]]]]]]]) { a }",
        "type Query { a: Int }",
    ] {
        let _ = Document::parse(text);
    }
    assert!(matches!(
        Document::parse("{ a(x: 1e400) }"),
        Err(DocumentError::Parse { .. })
    ));
}

#[test]
fn big_integers_and_astral_characters_are_stored_as_json_gives_them() {
    let doc = Document::parse(r#"{ a(x: 9223372036854775808, s: "😀", b: """😀""") }"#).unwrap();
    let mut store = Store::new();
    let patch = normalize_query(store.policies(), &doc, &json!({}), &json!({"a": 1})).unwrap();
    store.write(patch).unwrap();
    let name = r#"a({"b":"😀","s":"😀","x":9223372036854775808})"#;
    assert_eq!(store.get_field("ROOT_QUERY", name), Some(&Value::from(1)));

    // A literal and a variable with the same digits name the same field.
    let doc = Document::parse("query($v: Int = 9223372036854775808) { a(x: $v) }").unwrap();
    let by_default = normalize_query(store.policies(), &doc, &json!({}), &json!({"a": 2})).unwrap();
    let given: serde_json::Value = serde_json::from_str(r#"{"v": 9223372036854775808}"#).unwrap();
    let by_variable = normalize_query(store.policies(), &doc, &given, &json!({"a": 2})).unwrap();
    assert_eq!(by_default, by_variable);
}

/// `{ ...F0 }` with `fragments` fragments defined last-first, each nesting `per` fields and
/// spreading the next; the innermost selects `x`.
fn reverse_chain(fragments: usize, per: usize) -> String {
    let mut text = String::from("{ ...F0 }\n");
    for i in (0..fragments).rev() {
        let inner = if i + 1 < fragments {
            format!("...F{}", i + 1)
        } else {
            "x".to_owned()
        };
        let open = "a { ".repeat(per);
        let close = "} ".repeat(per);
        text.push_str(&format!(
            "fragment F{i} on Query {{ {open}{inner} {close}}}\n"
        ));
    }
    text
}

/// The data `reverse_chain(fragments, per)` selects.
fn chain_data(levels: usize) -> serde_json::Value {
    let mut data = json!({"__typename": "Query", "x": 1});
    for _ in 0..levels {
        data = json!({"__typename": "Query", "a": data});
    }
    data
}

#[test]
fn memoised_fragments_count_their_depth_wherever_they_are_spread() {
    // 12 fragments of 250 levels: 3,000 levels, which parsed before and then overflowed.
    let text = reverse_chain(12, 250);
    assert_eq!(
        Document::parse(&text).unwrap_err(),
        DocumentError::TooDeep {
            limit: DEFAULT_MAX_DEPTH
        }
    );
    // In document order too.
    let forward = text
        .replace("{ ...F0 }", "{ ...F11 }")
        .replace("...F", "...G");
    assert!(Document::parse(&forward).is_err());
}

#[test]
fn the_deepest_document_accepted_is_usable_on_a_small_stack() {
    on_small_stack(|| {
        // Four fragments of 60 levels each: 240 levels, under the limit.
        let doc = Document::parse(&reverse_chain(4, 60)).unwrap();
        let data = chain_data(240);
        let mut store = Store::new();
        let patch = normalize_query(store.policies(), &doc, &json!({}), &data).unwrap();
        store.write(patch).unwrap();
        let read = store.read_query(&doc, &json!({})).unwrap();
        let mut at = &read;
        for _ in 0..240 {
            at = &at["a"];
        }
        assert_eq!(at["x"], json!(1));
        let _ = store.read_query_partial(&doc, &json!({})).unwrap();
        let _ = store.extract(false);
        drop(doc);
        common::hostile::dismantle(read);
        common::hostile::dismantle(data);
    });
}

#[test]
fn nesting_past_the_limit_is_refused_in_every_form() {
    let deep = DEFAULT_MAX_DEPTH + 10;
    let selections = format!("{}x{}", "{ a ".repeat(deep), " }".repeat(deep));
    let list = format!("{{ a(x: {}1{}) }}", "[".repeat(deep), "]".repeat(deep));
    let object = format!("{{ a(x: {}1{}) }}", "{v: ".repeat(deep), "}".repeat(deep));
    let default = format!(
        "query($v: Int = {}1{}) {{ a }}",
        "[".repeat(deep),
        "]".repeat(deep)
    );
    let inline = format!("{{ {}x{} }}", "... on Q { ".repeat(deep), " }".repeat(deep));
    let huge = format!("{{ a(x: {}) }}", "[".repeat(100_000));
    for text in [selections, list, object, default, inline, huge] {
        let result = on_small_stack(move || Document::parse(&text).map(drop));
        assert!(result.is_err());
    }
}
