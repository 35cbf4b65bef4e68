//! JSON payloads, normalized without a document and with one: the input is a document's text,
//! a newline, then the payload. A payload that normalizes is written and read back; one that
//! fails to write leaves the store as it was. The payload's text normalizes (through the
//! stream) exactly as the payload parsed does, errors included.
#![no_main]

use libfuzzer_sys::fuzz_target;
use optimist::{Document, Key, Policies, Store, normalize, normalize_query};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (doc_text, payload_text) = text.split_once('\n').unwrap_or(("", text));
    let policies = Policies::new()
        .max_nodes(100_000)
        .possible_types("Node", ["T", "U"]);
    let Ok(payload) = serde_json::from_str::<serde_json::Value>(payload_text) else {
        let root = Key::root_query();
        assert!(
            normalize(&policies, &root, payload_text).is_err(),
            "text that is not JSON normalized"
        );
        return;
    };
    let mut store = Store::with_policies(policies);
    let from_tree = normalize(store.policies(), &Key::root_query(), &payload);
    let from_text = normalize(store.policies(), &Key::root_query(), payload_text);
    assert!(
        from_tree == from_text,
        "the text normalized unlike the parsed payload"
    );
    if let Ok(patch) = from_tree {
        let before = store.clone();
        if store.write(patch).is_err() {
            assert!(store == before, "a failed write changed the store");
        }
        let _ = store.read_tree("ROOT_QUERY");
    }
    let Ok(doc) = Document::parse(doc_text) else {
        return;
    };
    let variables = serde_json::json!({});
    let from_tree = normalize_query(store.policies(), &doc, &variables, &payload);
    let from_text = normalize_query(store.policies(), &doc, &variables, payload_text.as_bytes());
    assert!(
        from_tree == from_text,
        "the text normalized unlike the parsed payload"
    );
    if let Ok(patch) = from_tree {
        let before = store.clone();
        match store.write(patch) {
            Ok(_) => {
                let _ = store.read_query(&doc, &variables);
            }
            Err(_) => assert!(store == before, "a failed write changed the store"),
        }
    }
});
