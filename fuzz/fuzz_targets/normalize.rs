//! JSON payloads, normalized without a document and with one: the input is a document's text,
//! a newline, then the payload. A payload that normalizes is written and read back; one that
//! fails to write leaves the store as it was.
#![no_main]

use libfuzzer_sys::fuzz_target;
use optimist::{Document, Key, Policies, Store, normalize, normalize_query};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (doc_text, payload) = text.split_once('\n').unwrap_or(("", text));
    let Ok(payload) = serde_json::from_str::<serde_json::Value>(payload) else {
        return;
    };
    let policies = Policies::new()
        .max_nodes(100_000)
        .possible_types("Node", ["T", "U"]);
    let mut store = Store::with_policies(policies);
    if let Ok(patch) = normalize(store.policies(), &Key::root_query(), &payload) {
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
    if let Ok(patch) = normalize_query(store.policies(), &doc, &variables, &payload) {
        let before = store.clone();
        match store.write(patch) {
            Ok(_) => {
                let _ = store.read_query(&doc, &variables);
            }
            Err(_) => assert!(store == before, "a failed write changed the store"),
        }
    }
});
