use super::*;
use serde_json::json;

fn first_field(set: &SelectionSet) -> &Field {
    match &set.items[0] {
        Selection::Field(field) => field,
        Selection::Fragment { .. } => panic!("a field first"),
    }
}

#[test]
fn store_names_follow_arguments_and_variables() {
    let doc = Document::parse(
        r#"query($first: Int, $after: String) { todos(first: $first, after: $after, filter: {done: false, tag: "x"}, order: ASC) { id } }"#,
    )
    .unwrap();
    let operation = doc.operation().unwrap();
    let field = first_field(&operation.selection);
    let given = json!({"first": 10});
    let vars = doc.variables(&given).unwrap();
    assert_eq!(
        field.store_name(&vars).unwrap().as_str(),
        r#"todos({"filter":{"done":false,"tag":"x"},"first":10,"order":"ASC"})"#
    );
}

#[test]
fn arguments_from_unset_variables_are_left_out() {
    let doc = Document::parse("query($after: String) { todos(after: $after) { id } }").unwrap();
    let field = first_field(&doc.operation().unwrap().selection);
    let given = json!({});
    let vars = doc.variables(&given).unwrap();
    assert_eq!(field.store_name(&vars).unwrap().as_str(), "todos");
}

#[test]
fn defaults_apply_and_required_variables_are_checked() {
    let doc = Document::parse("query($n: Int = 5, $id: ID!) { a(n: $n, id: $id) }").unwrap();
    assert_eq!(
        doc.variables(&json!({})).unwrap_err(),
        DocumentError::MissingVariable { name: "id".into() }
    );
    let given = json!({"id": "1"});
    let vars = doc.variables(&given).unwrap();
    let field = first_field(&doc.operation().unwrap().selection);
    assert_eq!(
        field.store_name(&vars).unwrap().as_str(),
        r#"a({"id":"1","n":5})"#
    );
    assert_eq!(
        doc.variables(&json!([1])).unwrap_err(),
        DocumentError::VariablesNotAnObject
    );
}

#[test]
fn typename_is_added_to_every_selection_set_once() {
    let doc = Document::parse("{ a { b } c { __typename d } }").unwrap();
    let root = &doc.operation().unwrap().selection;
    let typenames = |set: &SelectionSet| {
        set.items
            .iter()
            .filter(|item| matches!(item, Selection::Field(f) if f.is_typename()))
            .count()
    };
    assert_eq!(typenames(root), 1);
    for item in &root.items {
        if let Selection::Field(Field {
            selection: Some(set),
            ..
        }) = item
        {
            assert_eq!(typenames(set), 1);
        }
    }
}

#[test]
fn skip_and_include_follow_variables() {
    let doc = Document::parse(
        "query($s: Boolean!) { a @skip(if: $s) b @include(if: $s) c @include(if: true) }",
    )
    .unwrap();
    let set = &doc.operation().unwrap().selection;
    let given = json!({"s": true});
    let vars = doc.variables(&given).unwrap();
    let included: Vec<&str> = set
        .items
        .iter()
        .filter_map(|item| match item {
            Selection::Field(field) if field.conditions.included(&vars) && !field.implicit => {
                Some(field.response_key.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(included, ["b", "c"]);
}

#[test]
fn bad_documents_are_typed_errors() {
    assert!(matches!(
        Document::parse("{"),
        Err(DocumentError::Parse { .. })
    ));
    assert!(matches!(
        Document::parse("{ a } { b }"),
        Err(DocumentError::MultipleOperations { count: 2 })
    ));
    assert!(matches!(
        Document::parse("{ a } fragment F on T { a } fragment F on T { b }"),
        Err(DocumentError::DuplicateFragment { .. })
    ));
    assert!(matches!(
        Document::parse("{ a @skip }"),
        Err(DocumentError::BadDirective { .. })
    ));
}

#[test]
fn nesting_ten_thousand_levels_is_an_error_not_a_crash() {
    let depth = 10_000;
    let text = format!("{}{}", "{ a ".repeat(depth), "}".repeat(depth));
    let outcome = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || Document::parse(&text).map(|_| ()))
        .unwrap()
        .join()
        .expect("no stack overflow");
    assert!(matches!(
        outcome,
        Err(DocumentError::TooDeep { .. }) | Err(DocumentError::Parse { .. })
    ));
}
