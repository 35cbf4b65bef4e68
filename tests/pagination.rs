//! The pagination helpers against Apollo Client's own (issue 24): each scenario's pages, written
//! through the helper as the field's policy, leave exactly the storage fields Apollo's helper
//! leaves (`tests/fixtures/apollo/pagination.mjs` recorded them under Node); and the list reads
//! back as one, merges in layers and fails exactly as any merge.
#![cfg(feature = "graphql")]

use optimist::{
    Document, FieldName, KeyArgs, Policies, Store, Value, normalize_query, offset_limit_pagination,
};
use serde_json::{Value as Json, json};

fn fixture() -> Json {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/apollo/pagination/offset_limit.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Apollo's storage field name (`items`, `items:{"filter":"a"}`) as ours.
fn ours(apollo: &str) -> FieldName {
    match apollo.split_once(':') {
        None => FieldName::new(apollo),
        Some((name, args)) => FieldName::with_args(name, &serde_json::from_str(args).unwrap()),
    }
}

/// Apollo's `keyArgs` (`false`, or a list of names) as ours.
fn key_args(apollo: &Json) -> KeyArgs {
    match apollo {
        Json::Array(names) => KeyArgs::only(names.iter().map(|name| name.as_str().unwrap())),
        _ => KeyArgs::None,
    }
}

#[test]
fn offset_limit_pagination_stores_what_apollos_stores() {
    let fixture = fixture();
    assert_eq!(fixture["helper"], "offsetLimitPagination");
    let doc = Document::parse(fixture["query"].as_str().unwrap()).unwrap();
    let cases = fixture["cases"].as_object().unwrap();
    assert_eq!(cases.len(), 8);
    for (name, case) in cases {
        let policy = offset_limit_pagination(key_args(&case["keyArgs"]));
        let mut store =
            Store::with_policies(Policies::new().field_policy("Query", "items", policy));
        for page in case["pages"].as_array().unwrap() {
            let (variables, ids) = (&page[0], page[1].as_array().unwrap());
            let items: Vec<Json> = ids
                .iter()
                .map(|id| json!({"__typename": "Item", "id": id.to_string()}))
                .collect();
            let data = json!({ "items": items });
            let patch = normalize_query(store.policies(), &doc, variables, &data).unwrap();
            store.write(patch).unwrap();
        }
        let root = store.get("ROOT_QUERY").unwrap();
        let mut stored: Vec<(String, Json)> = root
            .iter()
            .filter(|(field, _)| field.name() == "items")
            .map(|(field, value)| (field.as_str().to_owned(), value.to_json()))
            .collect();
        stored.sort_by(|a, b| a.0.cmp(&b.0));
        let mut expected: Vec<(String, Json)> = case["stored"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(field, ids)| {
                let refs = ids.as_array().unwrap().iter().map(|id| match id {
                    Json::String(key) => json!({ "__ref": key }),
                    _ => Json::Null,
                });
                (ours(field).as_str().to_owned(), Json::Array(refs.collect()))
            })
            .collect();
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(stored, expected, "{name}");
    }
}

#[test]
fn an_optimistic_page_merges_at_its_offset_and_fails_exactly() {
    let doc =
        Document::parse("query($offset: Int) { items(offset: $offset, limit: 2) { id } }").unwrap();
    let policies =
        Policies::new().field_policy("Query", "items", offset_limit_pagination(KeyArgs::None));
    let mut store = Store::with_policies(policies);
    let page = |ids: &[u32]| {
        let items: Vec<Json> = ids
            .iter()
            .map(|id| json!({"__typename": "Item", "id": id.to_string()}))
            .collect();
        json!({ "items": items })
    };
    let first = normalize_query(
        store.policies(),
        &doc,
        &json!({"offset": 0}),
        &page(&[1, 2]),
    );
    store.write(first.unwrap()).unwrap();
    let before = store.clone();
    let guess = normalize_query(store.policies(), &doc, &json!({"offset": 2}), &page(&[3]));
    let (layer, _) = store.push("next page", guess.unwrap()).unwrap();
    let ids = |store: &Store| -> Vec<Json> {
        let read = store.read_query(&doc, &json!({"offset": 0})).unwrap();
        read["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["id"].clone())
            .collect()
    };
    assert_eq!(ids(&store), [json!("1"), json!("2"), json!("3")]);
    store.fail(layer).unwrap();
    assert_eq!(store, before);
    // A page far past the end lands at the end rather than opening a huge gap.
    let far = optimist::MAX_OFFSET_GAP as u64 * 4;
    let far_page = normalize_query(store.policies(), &doc, &json!({"offset": far}), &page(&[9]));
    store.write(far_page.unwrap()).unwrap();
    let list = store
        .get_field("ROOT_QUERY", "items")
        .and_then(Value::as_list)
        .unwrap();
    assert_eq!(list.len(), 2 + optimist::MAX_OFFSET_GAP + 1);
}
