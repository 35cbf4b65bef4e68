//! Field read functions (issue 24): derived fields and cache redirects read as Apollo Client's
//! `read` policies read (`tests/fixtures/apollo/read/field_read.json`, recorded from Apollo 4.3.8
//! under Node by `field_read.mjs`), through every reader: JSON, typed, partial and watchers.
#![cfg(feature = "graphql")]

mod common;

use std::sync::{Arc, Mutex};

use optimist::{Document, FieldPolicy, Key, Patch, Policies, Store, Value, normalize_query};
use serde::Deserialize;
use serde_json::{Value as Json, json};

use common::apollo::{check_read, fixture};

/// Apollo's policy, described in the fixture as data, as ours.
fn policy(spec: &Json) -> FieldPolicy {
    let text = |name: &str| spec[name].as_str().unwrap().to_owned();
    match spec["kind"].as_str().unwrap() {
        "to_reference" => {
            let (to, arg) = (text("to"), text("arg"));
            FieldPolicy::new()
                .read(move |_, read| read.to_reference(&to, &json!({"id": read.args().get(&arg)?})))
        }
        "upper_of" => {
            let from = text("from");
            FieldPolicy::new()
                .read(move |_, read| Some(Value::from(read.field(&from)?.as_str()?.to_uppercase())))
        }
        "trim_existing" => {
            FieldPolicy::new().read(|existing, _| Some(Value::from(existing?.as_str()?.trim())))
        }
        "length_of" => {
            let from = text("from");
            FieldPolicy::new()
                .read(move |_, read| Some(Value::from(read.field(&from)?.as_list()?.len() as u64)))
        }
        "slice_of" => {
            let (from, arg) = (text("from"), text("arg"));
            let default = spec["default"].as_u64().unwrap() as usize;
            FieldPolicy::new().read(move |_, read| {
                let limit = read
                    .args()
                    .get(&arg)
                    .and_then(Json::as_u64)
                    .map_or(default, |limit| limit as usize);
                let items = read.field(&from)?;
                Some(Value::List(
                    items.as_list()?.iter().take(limit).cloned().collect(),
                ))
            })
        }
        other => panic!("no policy of kind {other}"),
    }
}

#[test]
fn read_policies_read_what_apollos_read() {
    let fixture = fixture("read/field_read.json");
    let queries = &fixture["queries"];
    let cases = fixture["cases"].as_object().unwrap();
    assert_eq!(cases.len(), 5);
    let mut reads = 0;
    for (name, case) in cases {
        let mut policies = Policies::new();
        for spec in case["policies"].as_array().unwrap() {
            policies = policies.field_policy(
                spec["typename"].as_str().unwrap(),
                spec["field"].as_str().unwrap(),
                policy(spec),
            );
        }
        let mut store = Store::with_policies(policies);
        for step in case["steps"].as_array().unwrap() {
            match step["kind"].as_str().unwrap() {
                "write" => {
                    let text = queries[step["query"].as_str().unwrap()].as_str().unwrap();
                    let doc = Document::parse(text).unwrap();
                    let patch =
                        normalize_query(store.policies(), &doc, &json!({}), &step["data"]).unwrap();
                    store.write(patch).unwrap();
                }
                "read" => {
                    check_read(&store, queries, step, name);
                    reads += 1;
                }
                other => panic!("no step of kind {other}"),
            }
        }
        for read in case["reads"].as_array().unwrap() {
            check_read(&store, queries, read, name);
            reads += 1;
        }
    }
    assert_eq!(reads, 13);
}

fn redirecting_store() -> Store {
    let redirect = FieldPolicy::new()
        .read(|_, read| read.to_reference("Task", &json!({"id": read.args().get("id")?})));
    let upper = FieldPolicy::new()
        .read(|_, read| Some(Value::from(read.field("title")?.as_str()?.to_uppercase())));
    let owner = FieldPolicy::new().read(|_, read| read.read_field(&read.field("owner")?, "name"));
    let policies = Policies::new()
        .field_policy("Query", "task", redirect)
        .field_policy("Task", "shout", upper)
        .field_policy("Task", "ownerName", owner);
    let mut store = Store::with_policies(policies);
    let mut patch = Patch::new().set("ROOT_QUERY", "other", 0);
    for id in 1..=3 {
        let key = format!("Task:{id}");
        patch = patch
            .set(key.as_str(), "__typename", "Task")
            .set(key.as_str(), "id", id.to_string())
            .set(key.as_str(), "title", format!("task {id}"))
            .set(key.as_str(), "owner", Key::new("User:1").unwrap());
    }
    store
        .write(
            patch
                .set("User:1", "__typename", "User")
                .set("User:1", "name", "Ada"),
        )
        .unwrap();
    store
}

#[test]
fn typed_reads_see_what_json_reads_see() {
    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Task {
        title: String,
        shout: String,
        owner_name: String,
    }
    #[derive(Deserialize, Debug, PartialEq)]
    struct Data {
        task: Task,
    }
    let store = redirecting_store();
    let doc =
        Document::parse("query($id: ID!) { task(id: $id) { title shout ownerName } }").unwrap();
    let typed: Data = store.read_query_as(&doc, &json!({"id": "2"})).unwrap();
    assert_eq!(
        typed,
        Data {
            task: Task {
                title: "task 2".into(),
                shout: "TASK 2".into(),
                owner_name: "Ada".into()
            }
        }
    );
    let read = store.read_query(&doc, &json!({"id": "2"})).unwrap();
    assert_eq!(
        read,
        json!({"task": {"__typename": "Task", "title": "task 2", "shout": "TASK 2", "ownerName": "Ada"}})
    );
    // Not cached: missing, so a cache-first query asks the server.
    let error = store.read_query(&doc, &json!({"id": "9"})).unwrap_err();
    assert!(
        matches!(error, optimist::ReadError::MissingField { ref path } if path == "task"),
        "{error}"
    );
}

#[test]
fn watchers_read_again_when_what_a_read_function_looked_up_changes() {
    let mut store = redirecting_store();
    let doc = Document::parse("query($id: ID!) { task(id: $id) { shout ownerName } }").unwrap();
    let seen: Arc<Mutex<Vec<Json>>> = Arc::default();
    let log = seen.clone();
    store.watch_query(doc, json!({"id": "2"}), move |result| {
        log.lock()
            .unwrap()
            .push(result.as_deref().cloned().unwrap_or(Json::Null));
    });
    let count = || seen.lock().unwrap().len();
    let first = count();
    // The owner is looked up through a reference only a read function follows.
    store
        .write(Patch::new().set("User:1", "name", "Grace"))
        .unwrap();
    assert_eq!(count(), first + 1);
    assert_eq!(
        seen.lock().unwrap().last().unwrap(),
        &json!({"task": {"__typename": "Task", "shout": "TASK 2", "ownerName": "Grace"}})
    );
    // The title a derived field reads.
    store
        .write(Patch::new().set("Task:2", "title", "renamed"))
        .unwrap();
    assert_eq!(
        seen.lock().unwrap().last().unwrap(),
        &json!({"task": {"__typename": "Task", "shout": "RENAMED", "ownerName": "Grace"}})
    );
    // Another task: nothing to tell.
    let before = count();
    store
        .write(Patch::new().set("Task:3", "title", "other"))
        .unwrap();
    assert_eq!(count(), before);
    // The redirect's target arrives: a watcher of an uncached task is told.
    store
        .write(Patch::new().set("Task:2", "__typename", "Task"))
        .unwrap();
    let missing = Document::parse("query($id: ID!) { task(id: $id) { shout } }").unwrap();
    let told: Arc<Mutex<Vec<Json>>> = Arc::default();
    let log = told.clone();
    store.watch_query(missing, json!({"id": "5"}), move |result| {
        log.lock()
            .unwrap()
            .push(result.as_deref().cloned().unwrap_or(Json::Null));
    });
    assert!(told.lock().unwrap().is_empty(), "told only of changes");
    store
        .write(
            Patch::new()
                .set("Task:5", "__typename", "Task")
                .set("Task:5", "title", "five"),
        )
        .unwrap();
    assert_eq!(
        told.lock().unwrap().last().unwrap(),
        &json!({"task": {"__typename": "Task", "shout": "FIVE"}})
    );
}

#[test]
fn a_read_function_that_reads_itself_ends_missing() {
    let looping = FieldPolicy::new().read(|_, read| read.field("loop"));
    let mut store = Store::with_policies(Policies::new().field_policy("Query", "loop", looping));
    store
        .write(Patch::new().set("ROOT_QUERY", "other", 1))
        .unwrap();
    let doc = Document::parse("{ loop }").unwrap();
    assert!(store.read_query(&doc, &json!({})).is_err());
    let partial = store.read_query_partial(&doc, &json!({})).unwrap();
    assert_eq!(partial.missing, ["loop"]);
}

#[test]
fn shared_reads_read_again_what_a_read_function_looked_up() {
    let mut store = redirecting_store();
    let doc = Document::parse(r#"{ task(id: "2") { shout ownerName } }"#).unwrap();
    let mut query = optimist::Query::new(doc, json!({}));
    let name = |value: &Value| value.to_json()["task"]["ownerName"].clone();
    assert_eq!(name(&query.read_shared(&store).unwrap()), "Ada");
    // The owner is an entity only the read function looks up: the memoised task is read again.
    store
        .write(Patch::new().set("User:1", "name", "Grace"))
        .unwrap();
    assert_eq!(name(&query.read_shared(&store).unwrap()), "Grace");
    store
        .write(Patch::new().set("Task:2", "title", "new"))
        .unwrap();
    assert_eq!(
        query.read_shared(&store).unwrap().to_json()["task"]["shout"],
        "NEW"
    );
}
