//! Reads: the input is a document's text, a newline, then a JSON object whose `variables` (if
//! any) are the read's variables and whose other entries are an Apollo extract to restore.
#![no_main]

use libfuzzer_sys::fuzz_target;
use optimist::{Document, Policies, Query, Reader, Store};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some((doc_text, json)) = text.split_once('\n') else {
        return;
    };
    let Ok(serde_json::Value::Object(mut snapshot)) = serde_json::from_str(json) else {
        return;
    };
    let variables = snapshot
        .remove("variables")
        .unwrap_or(serde_json::Value::Null);
    let Ok(doc) = Document::parse(doc_text) else {
        return;
    };
    let policies = Policies::new()
        .max_nodes(100_000)
        .possible_types("Node", ["T", "U"]);
    let mut store = Store::with_policies(policies.clone());
    if store.restore(&serde_json::Value::Object(snapshot)).is_err() {
        return;
    }
    let _ = store.read_query(&doc, &variables);
    let _ = store.read_query_as::<serde_json::Value>(&doc, &variables);
    let _ = store.read_query_partial(&doc, &variables);
    let _ = store.read_fragment(&doc, None, "T:1", &variables);
    let _ = store.confirmed().read_query(&doc, &variables);
    let snapshot = store.snapshot();
    let _ = Reader::snapshot(&snapshot, &policies).read_query(&doc, &variables);
    let mut query = Query::new(doc, variables);
    let first = query.read(&store);
    if let (Ok(first), Ok(again)) = (&first, query.read(&store)) {
        assert!(
            std::sync::Arc::ptr_eq(first, &again),
            "an unchanged store read again"
        );
    }
    let _ = store.read_tree("ROOT_QUERY");
});
