//! Document text: parse it; a document that parses must be usable by every entry point.
#![no_main]

use libfuzzer_sys::fuzz_target;
use optimist::{Document, Key, Policies, Store, normalize_fragment, normalize_query};
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(doc) = Document::parse(text) else {
        return;
    };
    let _ = format!("{doc:?}");
    let store = Store::with_policies(Policies::new().max_nodes(100_000));
    let variables = json!({});
    let _ = store.read_query(&doc, &variables);
    let _ = store.read_query_partial(&doc, &variables);
    let _ = normalize_query(store.policies(), &doc, &variables, &json!({}));
    if let Ok(id) = Key::new("T:1") {
        let _ = normalize_fragment(store.policies(), &doc, None, &id, &variables, &json!({}));
        let _ = store.read_fragment(&doc, None, "T:1", &variables);
    }
    drop(doc);
});
