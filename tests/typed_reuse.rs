//! Typed reads that reuse what did not change (`Query::read_as` with `Shared` parts, and the
//! typed watchers): every result equals the one deserialized from the JSON read, and every part
//! whose data nothing touched since the last read is the last read's allocation.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use optimist::{Document, Key, Patch, Query, ReadError, Shared, Store, Value};
use proptest::prelude::*;
use serde::Deserialize;
use serde_json::json;

const DOC: &str = "{ items { id title count done owner { id name } } }";

#[derive(Deserialize, Debug, PartialEq)]
struct Data {
    items: Vec<Shared<Item>>,
}

#[derive(Deserialize, Debug, PartialEq)]
struct Item {
    id: String,
    title: String,
    count: i64,
    done: bool,
    owner: Option<Shared<User>>,
}

#[derive(Deserialize, serde::Serialize, Debug, PartialEq)]
struct User {
    id: String,
    name: String,
}

fn item_key(i: usize) -> String {
    format!("Item:{i}")
}

fn user_key(j: usize) -> String {
    format!("User:{j}")
}

fn refs(keys: impl IntoIterator<Item = String>) -> Value {
    Value::List(
        keys.into_iter()
            .map(|k| Value::Ref(Key::new(&k).unwrap()))
            .collect(),
    )
}

/// A store of `n` items in a list, owned in turn by three users (every fourth has none).
fn seeded(n: usize) -> Store {
    let mut store = Store::new();
    let mut patch = Patch::new().set("ROOT_QUERY", "items", refs((0..n).map(item_key)));
    for j in 0..3 {
        patch = patch.set(user_key(j), "id", j.to_string()).set(
            user_key(j),
            "name",
            format!("user {j}"),
        );
    }
    for i in 0..n {
        let owner = if i % 4 == 3 {
            Value::Null
        } else {
            Value::Ref(Key::new(&user_key(i % 3)).unwrap())
        };
        patch = patch
            .set(item_key(i), "id", i.to_string())
            .set(item_key(i), "title", format!("item {i}"))
            .set(item_key(i), "count", i as i64)
            .set(item_key(i), "done", false)
            .set(item_key(i), "owner", owner);
    }
    store.write(patch).unwrap();
    store
}

/// `T` as the JSON read gives it, deserialized by `serde_json`: the independent reference.
fn reference<T: serde::de::DeserializeOwned>(store: &Store) -> T {
    let json = store
        .read_query(&Document::parse(DOC).unwrap(), &json!({}))
        .unwrap();
    serde_json::from_value(json).unwrap()
}

#[derive(Clone, Debug)]
enum Step {
    Title(usize, String),
    Count(usize, i64),
    Owner(usize, Option<usize>),
    RenameUser(usize, String),
    List(Vec<usize>),
    /// A layer that sets an item's title, failed at once: the item reads as before.
    Reverted(usize, String),
    /// A layer that renames a user, kept pending.
    Pending(usize, String),
    Read,
}

const ITEMS: usize = 8;

fn step() -> impl Strategy<Value = Step> {
    let i = 0..ITEMS;
    prop_oneof![
        (i.clone(), "[a-c]{1,2}").prop_map(|(i, s)| Step::Title(i, s)),
        (i.clone(), 0..3_i64).prop_map(|(i, c)| Step::Count(i, c)),
        (i.clone(), proptest::option::of(0..3_usize)).prop_map(|(i, j)| Step::Owner(i, j)),
        (0..3_usize, "[x-z]{1,2}").prop_map(|(j, s)| Step::RenameUser(j, s)),
        proptest::collection::vec(0..ITEMS, 0..10).prop_map(Step::List),
        (i.clone(), "[a-c]{1,2}").prop_map(|(i, s)| Step::Reverted(i, s)),
        (0..3_usize, "[x-z]{1,2}").prop_map(|(j, s)| Step::Pending(j, s)),
        Just(Step::Read),
        Just(Step::Read),
    ]
}

/// Applies `step`, adding the keys it may change to `touched`.
fn apply(store: &mut Store, step: &Step, touched: &mut HashSet<String>) {
    match step {
        Step::Title(i, title) => {
            store
                .write(Patch::new().set(item_key(*i), "title", title.as_str()))
                .unwrap();
            touched.insert(item_key(*i));
        }
        Step::Count(i, count) => {
            store
                .write(Patch::new().set(item_key(*i), "count", *count))
                .unwrap();
            touched.insert(item_key(*i));
        }
        Step::Owner(i, owner) => {
            let owner = owner.map_or(Value::Null, |j| Value::Ref(Key::new(&user_key(j)).unwrap()));
            store
                .write(Patch::new().set(item_key(*i), "owner", owner))
                .unwrap();
            touched.insert(item_key(*i));
        }
        Step::RenameUser(j, name) => {
            store
                .write(Patch::new().set(user_key(*j), "name", name.as_str()))
                .unwrap();
            touched.insert(user_key(*j));
        }
        Step::List(items) => {
            store
                .write(Patch::new().set(
                    "ROOT_QUERY",
                    "items",
                    refs(items.iter().map(|i| item_key(*i))),
                ))
                .unwrap();
            touched.insert("ROOT_QUERY".to_owned());
        }
        Step::Reverted(i, title) => {
            let (id, _) = store
                .push(
                    "edit",
                    Patch::new().set(item_key(*i), "title", title.as_str()),
                )
                .unwrap();
            store.fail(id).unwrap();
            touched.insert(item_key(*i));
        }
        Step::Pending(j, name) => {
            store
                .push(
                    "rename",
                    Patch::new().set(user_key(*j), "name", name.as_str()),
                )
                .unwrap();
            touched.insert(user_key(*j));
        }
        Step::Read => {}
    }
}

/// The parts of `data` by what they were read from: items by id (with their owner's id),
/// users by id.
type Parts = (
    HashMap<String, (Shared<Item>, Option<String>)>,
    HashMap<String, Shared<User>>,
);

fn parts(data: &Data) -> Parts {
    let mut items = HashMap::new();
    let mut users = HashMap::new();
    for item in &data.items {
        let owner = item.owner.as_ref().map(|user| {
            users.insert(user.id.clone(), user.clone());
            user.id.clone()
        });
        items.insert(item.id.clone(), (item.clone(), owner));
    }
    (items, users)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn typed_reads_equal_the_json_read_and_reuse_every_untouched_part(
        steps in proptest::collection::vec(step(), 1..30),
    ) {
        let mut store = seeded(ITEMS);
        let mut query = Query::new(Document::parse(DOC).unwrap(), json!({}));
        let mut last: Option<Parts> = None;
        let mut touched = HashSet::new();
        for step in steps.iter().chain([&Step::Read]) {
            apply(&mut store, step, &mut touched);
            if !matches!(step, Step::Read) {
                continue;
            }
            let got: Data = query.read_as(&store).unwrap();
            prop_assert_eq!(&got, &reference::<Data>(&store));
            if let Some((items, users)) = &last {
                for item in &got.items {
                    let key = item_key(item.id.parse().unwrap());
                    let owner = item.owner.as_ref().map(|user| user.id.clone());
                    let unchanged = !touched.contains(&key)
                        && owner.iter().all(|j| !touched.contains(&user_key(j.parse().unwrap())));
                    if let Some((before, _)) = items.get(&item.id).filter(|_| unchanged) {
                        prop_assert!(Shared::ptr_eq(before, item), "item {} was read again", item.id);
                    }
                    if let Some(user) = &item.owner
                        && !touched.contains(&user_key(user.id.parse().unwrap()))
                        && let Some(before) = users.get(&user.id)
                    {
                        prop_assert!(Shared::ptr_eq(before, user), "user {} was read again", user.id);
                    }
                }
            }
            last = Some(parts(&got));
            touched.clear();
        }
    }
}

#[test]
fn a_re_read_after_one_change_rebuilds_that_row_alone() {
    let mut store = seeded(100);
    let mut query = Query::new(Document::parse(DOC).unwrap(), json!({}));
    let before: Data = query.read_as(&store).unwrap();
    store
        .write(Patch::new().set(item_key(40), "count", 1000))
        .unwrap();
    let after: Data = query.read_as(&store).unwrap();
    let rebuilt: Vec<usize> = (0..100)
        .filter(|&i| !Shared::ptr_eq(&before.items[i], &after.items[i]))
        .collect();
    assert_eq!(rebuilt, [40]);
    assert_eq!(after.items[40].count, 1000);
    // Nothing changed: every part is the last read's.
    let again: Data = query.read_as(&store).unwrap();
    assert!((0..100).all(|i| Shared::ptr_eq(&after.items[i], &again.items[i])));
}

#[test]
fn two_types_over_one_query_keep_their_own_parts() {
    #[derive(Deserialize, Debug, PartialEq)]
    struct Titles {
        items: Vec<Shared<Title>>,
    }
    #[derive(Deserialize, Debug, PartialEq)]
    struct Title {
        title: String,
    }
    let mut store = seeded(6);
    let mut query = Query::new(Document::parse(DOC).unwrap(), json!({}));
    let full: Data = query.read_as(&store).unwrap();
    let titles: Titles = query.read_as(&store).unwrap();
    assert_eq!(titles, reference::<Titles>(&store));
    store
        .write(Patch::new().set(item_key(2), "title", "new"))
        .unwrap();
    let full_again: Data = query.read_as(&store).unwrap();
    let titles_again: Titles = query.read_as(&store).unwrap();
    assert_eq!(full_again, reference::<Data>(&store));
    assert_eq!(titles_again, reference::<Titles>(&store));
    assert!(Shared::ptr_eq(&full.items[0], &full_again.items[0]));
    assert!(Shared::ptr_eq(&titles.items[0], &titles_again.items[0]));
    assert!(!Shared::ptr_eq(&titles.items[2], &titles_again.items[2]));
}

#[test]
fn a_type_that_rejects_the_data_says_where() {
    #[derive(Deserialize, Debug)]
    struct Wrong {
        #[expect(dead_code, reason = "the read fails before it is used")]
        items: Vec<Shared<WrongItem>>,
    }
    #[derive(Deserialize, Debug)]
    struct WrongItem {
        #[expect(dead_code, reason = "the read fails before it is used")]
        count: String,
    }
    let store = seeded(3);
    let mut query = Query::new(Document::parse(DOC).unwrap(), json!({}));
    let error = query.read_as::<Wrong>(&store).unwrap_err();
    let ReadError::Deserialize { path, message } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(path, "items.0.count");
    assert!(message.contains("expected a string"), "{message}");
    // The store's reader says the same.
    let doc = Document::parse(DOC).unwrap();
    assert_eq!(
        store.read_query_as::<Wrong>(&doc, &json!({})).unwrap_err(),
        error
    );
    // And a good type still reads.
    assert_eq!(
        query.read_as::<Data>(&store).unwrap(),
        reference::<Data>(&store)
    );
}

#[test]
fn parts_of_rows_that_left_the_list_are_let_go() {
    let mut store = seeded(200);
    let mut query = Query::new(Document::parse(DOC).unwrap(), json!({}));
    let before: Data = query.read_as(&store).unwrap();
    let gone = Shared::as_arc(&before.items[10]).clone();
    drop(before);
    store
        .write(Patch::new().set("ROOT_QUERY", "items", refs([item_key(0)])))
        .unwrap();
    let after: Data = query.read_as(&store).unwrap();
    assert_eq!(after.items.len(), 1);
    assert_eq!(
        Arc::strong_count(&gone),
        1,
        "the memo no longer holds a row the result lost"
    );
}

#[test]
fn a_panicking_type_leaves_the_memo_whole() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static PANIC: AtomicBool = AtomicBool::new(false);
    #[derive(Debug)]
    struct Picky(String);
    impl<'de> Deserialize<'de> for Picky {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Picky, D::Error> {
            let text = String::deserialize(d)?;
            assert!(!PANIC.load(Ordering::SeqCst), "a panicking type");
            Ok(Picky(text))
        }
    }
    #[derive(Deserialize, Debug)]
    struct Rows {
        items: Vec<Shared<Row>>,
    }
    #[derive(Deserialize, Debug)]
    struct Row {
        title: Picky,
    }
    let mut store = seeded(5);
    let mut query = Query::new(Document::parse(DOC).unwrap(), json!({}));
    let first: Rows = query.read_as(&store).unwrap();
    store
        .write(Patch::new().set(item_key(3), "title", "x"))
        .unwrap();
    PANIC.store(true, Ordering::SeqCst);
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = query.read_as::<Rows>(&store);
    }));
    PANIC.store(false, Ordering::SeqCst);
    assert!(panicked.is_err());
    let second: Rows = query.read_as(&store).unwrap();
    assert_eq!(second.items[3].title.0, "x");
    assert!(
        Shared::ptr_eq(&first.items[0], &second.items[0]),
        "the memo came back from the panic"
    );
}

#[test]
fn from_any_other_deserializer_a_part_is_its_value() {
    let store = seeded(3);
    let doc = Document::parse(DOC).unwrap();
    let direct: Data = store.read_query_as(&doc, &json!({})).unwrap();
    assert_eq!(direct, reference::<Data>(&store));
    let text = r#"{"id": "1", "name": "ada"}"#;
    let user: Shared<User> = serde_json::from_str(text).unwrap();
    assert_eq!(user.name, "ada");
    assert_eq!(
        serde_json::to_value(&user).unwrap(),
        json!({"id": "1", "name": "ada"})
    );
}

#[test]
fn typed_watchers_hand_out_the_unchanged_parts_again() {
    let mut store = seeded(20);
    let seen: Arc<Mutex<Vec<Data>>> = Arc::default();
    let log = seen.clone();
    store.watch_query_as(
        Document::parse(DOC).unwrap(),
        json!({}),
        move |data: Result<Data, ReadError>| log.lock().unwrap().push(data.unwrap()),
    );
    store
        .write(Patch::new().set(item_key(5), "count", 99))
        .unwrap();
    store
        .push("rename", Patch::new().set(item_key(6), "title", "b"))
        .unwrap();
    store
        .write(Patch::new().set("Unrelated:1", "x", 1))
        .unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2, "told for the two changes it reads");
    assert_eq!(seen[1], reference::<Data>(&store));
    let rebuilt: Vec<usize> = (0..20)
        .filter(|&i| !Shared::ptr_eq(&seen[0].items[i], &seen[1].items[i]))
        .collect();
    assert_eq!(rebuilt, [6]);
}

/// Enums in every form serde derives read alike through `serde_json` (the reference), the
/// store's reader (`read_query_as`), the tree's (`Query::read_as`) and a typed watcher: unit
/// variants as strings (GraphQL enums) or `{"V": null}`, and serde's default form
/// `{"V": content}` for newtype, tuple and struct variants (a JSON scalar, REST data).
#[test]
fn enums_read_in_every_form_serde_writes() {
    #[derive(Deserialize, Debug, PartialEq)]
    enum Status {
        Active,
        Gone,
        Renamed(String),
        Moved(i64, i64),
        Suspended { until: String, by: Option<String> },
    }
    #[derive(Deserialize, Debug, PartialEq)]
    struct Row {
        id: String,
        status: Status,
    }
    #[derive(Deserialize, Debug, PartialEq)]
    struct Rows {
        rows: Vec<Shared<Row>>,
    }
    let statuses = [
        json!("Active"),
        json!({"Gone": null}),
        json!({"Renamed": "b"}),
        json!({"Moved": [1, 2]}),
        json!({"Suspended": {"until": "monday", "by": null}}),
    ];
    let mut store = Store::new();
    let mut patch = Patch::new().set(
        "ROOT_QUERY",
        "rows",
        refs((0..statuses.len()).map(|i| format!("Row:{i}"))),
    );
    for (i, status) in statuses.iter().enumerate() {
        let key = format!("Row:{i}");
        patch = patch.set(key.as_str(), "id", i.to_string()).set(
            key.as_str(),
            "status",
            Value::from_json(status.clone()),
        );
    }
    store.write(patch).unwrap();
    let doc = Document::parse("{ rows { id status } }").unwrap();
    let expected: Rows =
        serde_json::from_value(store.read_query(&doc, &json!({})).unwrap()).unwrap();
    assert_eq!(
        expected.rows[4].status,
        Status::Suspended {
            until: "monday".into(),
            by: None
        }
    );
    assert_eq!(
        store.read_query_as::<Rows>(&doc, &json!({})).unwrap(),
        expected
    );
    let mut query = Query::new(doc.clone(), json!({}));
    assert_eq!(query.read_as::<Rows>(&store).unwrap(), expected);
    let seen: Arc<Mutex<Vec<Result<Rows, ReadError>>>> = Arc::default();
    let sink = seen.clone();
    store.watch_query_as::<Rows>(doc, json!({}), move |rows| {
        sink.lock().unwrap().push(rows);
    });
    store
        .write(Patch::new().set(
            "Row:0",
            "status",
            Value::from_json(json!({"Moved": [3, 4]})),
        ))
        .unwrap();
    assert_eq!(
        seen.lock().unwrap().last().unwrap().as_ref().unwrap().rows[0].status,
        Status::Moved(3, 4)
    );
    // A variant's content of the wrong kind says where.
    store
        .write(Patch::new().set("Row:1", "status", Value::from_json(json!({"Moved": "x"}))))
        .unwrap();
    let error = query.read_as::<Rows>(&store).unwrap_err();
    let ReadError::Deserialize { path, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(path, "rows.1.status.Moved");
    let doc = Document::parse("{ rows { id status } }").unwrap();
    assert_eq!(
        store.read_query_as::<Rows>(&doc, &json!({})).unwrap_err(),
        error
    );
    assert_eq!(
        seen.lock().unwrap().last().unwrap().as_ref().unwrap_err(),
        &error
    );
}
