//! Invalidation: stale marks on entities, fields, root fields and what queries read; tags on
//! watched queries; marks last until fresh data is written for them.

mod common;

use common::{list, row, versioned_store};
use optimist::{Document, FieldName, Key, Outcome, Patch, Query, ROOT_QUERY, Store};
use serde_json::json;

fn store() -> Store {
    let mut store = versioned_store();
    store
        .write(list(&[
            (1, "Buy milk", false, 1),
            (2, "Walk dog", false, 1),
        ]))
        .unwrap();
    store
        .write(
            Patch::new()
                .set(ROOT_QUERY, "me", Key::new("User:1").unwrap())
                .set("User:1", "name", "Ann")
                .set("User:1", "email", "ann@example.com"),
        )
        .unwrap();
    store
}

fn doc(text: &str) -> Document {
    Document::parse(text).unwrap()
}

#[test]
fn invalidate_by_tag_marks_exactly_the_tagged_queries_stale() {
    let mut store = store();
    let todos = store.watch_query(doc("{ todos { title done } }"), json!({}), |_| {});
    let me = store.watch_query(doc("{ me { name } }"), json!({}), |_| {});
    let titles = store.watch_query(doc("{ todos { title } }"), json!({}), |_| {});
    assert!(store.tag_watch(todos, "todos"));
    assert!(store.tag_watch(me, "user"));
    assert!(store.stale().is_empty());

    // ROOT_QUERY.todos, and each todo's title and done.
    assert_eq!(store.invalidate_tag("todos"), 5);
    assert!(store.is_watch_stale(todos));
    assert!(!store.is_watch_stale(me), "reads nothing todos read");
    // A query that reads the same data is stale with it (marks are on data), newest first.
    assert_eq!(store.stale(), [titles, todos]);
    assert!(
        !store.is_field_stale("Todo:1", "version"),
        "not read by the tagged query"
    );
    assert_eq!(store.invalidate_tag("nobody"), 0);

    // The refetch writes fresh data: nothing is stale any more.
    let refetch = store.reserve("GET /todos");
    store
        .confirm(
            refetch,
            list(&[(1, "Buy milk", false, 1), (2, "Walk dog", false, 1)]),
        )
        .unwrap();
    assert!(store.stale().is_empty());
    assert_eq!(store.stale_count(), 0);
}

#[test]
fn a_tag_of_several_queries_marks_what_each_read() {
    let mut store = store();
    let me = store.watch_query(doc("{ me { email } }"), json!({}), |_| {});
    let todos = store.watch_query(doc("{ todos { done } }"), json!({}), |_| {});
    store.tag_watch(me, "home");
    store.tag_watch(todos, "home");
    // ROOT_QUERY.me and .todos, User:1.email, and each todo's done: the reads interleave keys.
    assert_eq!(store.invalidate_tag("home"), 5);
    assert!(store.is_field_stale(ROOT_QUERY, "me") && store.is_field_stale(ROOT_QUERY, "todos"));
    assert!(store.is_field_stale("User:1", "email") && !store.is_field_stale("User:1", "name"));
    assert_eq!(store.stale(), [todos, me]);
}

#[test]
fn a_tag_goes_with_its_watcher() {
    let mut store = store();
    let me = store.watch_query(doc("{ me { name } }"), json!({}), |_| {});
    store.tag_watch(me, "user");
    store.unwatch(me);
    assert_eq!(store.invalidate_tag("user"), 0);
    assert!(!store.tag_watch(me, "user"), "no such watcher");
}

#[test]
fn invalidate_query_marks_what_it_read_and_nothing_else() {
    let mut store = store();
    let query = doc("{ me { name } }");
    assert_eq!(store.invalidate_query(&query, &json!({})).unwrap(), 2);
    let marks: Vec<(String, String)> = store
        .stale_fields()
        .map(|(k, f)| (k.to_string(), f.to_string()))
        .collect();
    assert_eq!(
        marks,
        [
            ("ROOT_QUERY".into(), "me".into()),
            ("User:1".into(), "name".into())
        ]
    );
    let kept = Query::new(query.clone(), json!({}));
    assert!(kept.is_stale(&store));
    assert!(
        Query::new(doc("{ me { email } }"), json!({})).is_stale(&store),
        "it reads the stale ROOT_QUERY.me"
    );
    assert!(!Query::new(doc("{ todos { title } }"), json!({})).is_stale(&store));
    // A fresh write of only the name leaves ROOT_QUERY.me stale.
    store
        .write(Patch::new().set("User:1", "name", "Ann B"))
        .unwrap();
    assert!(kept.is_stale(&store));
    store
        .write(Patch::new().set(ROOT_QUERY, "me", Key::new("User:1").unwrap()))
        .unwrap();
    assert!(!kept.is_stale(&store));
    // A document that does not read, or asks for what is not there, marks nothing.
    assert_eq!(
        store
            .invalidate_query(&doc("{ nothing }"), &json!({}))
            .unwrap(),
        0
    );
}

#[test]
fn root_fields_with_and_without_arguments() {
    let mut store = Store::new();
    let done = FieldName::with_args("todos", &json!({"done": true}));
    let open = FieldName::with_args("todos", &json!({"done": false}));
    store
        .write(
            Patch::new()
                .set(ROOT_QUERY, done.clone(), 1)
                .set(ROOT_QUERY, open.clone(), 2)
                .set(ROOT_QUERY, "todosCount", 3),
        )
        .unwrap();
    assert_eq!(
        store.invalidate_field(ROOT_QUERY, open.as_str()).unwrap(),
        1
    );
    assert!(!store.is_field_stale(ROOT_QUERY, done.as_str()));
    assert_eq!(store.invalidate_field(ROOT_QUERY, "todos").unwrap(), 1);
    assert!(store.is_field_stale(ROOT_QUERY, done.as_str()));
    assert!(
        !store.is_field_stale(ROOT_QUERY, "todosCount"),
        "a name is not a prefix"
    );
    let watched = store.watch_query(
        doc("query Q($d: Boolean) { todos(done: $d) }"),
        json!({"d": true}),
        |_| {},
    );
    assert_eq!(store.stale(), [watched]);
}

#[test]
fn relative_ops_do_not_freshen_a_field_writes_and_deletes_do() {
    let mut store = Store::new();
    store
        .write(
            Patch::new()
                .set("Post:1", "likes", 1)
                .set("Post:1", "tags", Vec::<i64>::new()),
        )
        .unwrap();
    store.invalidate("Post:1").unwrap();
    store
        .write(Patch::new().increment("Post:1", "likes", 1))
        .unwrap();
    store
        .write(Patch::new().insert("Post:1", "tags", 7, optimist::ListPosition::End))
        .unwrap();
    assert!(store.is_field_stale("Post:1", "likes") && store.is_field_stale("Post:1", "tags"));
    // A pending guess is not fresh data either; its promote is.
    let (save, _) = store
        .push("like", Patch::new().set("Post:1", "likes", 5))
        .unwrap();
    assert!(store.is_field_stale("Post:1", "likes"));
    store.promote(save).unwrap();
    assert!(!store.is_field_stale("Post:1", "likes"));
    store.write(Patch::new().delete("Post:1")).unwrap();
    assert!(!store.is_stale("Post:1"));
}

#[test]
fn an_older_version_is_not_fresh_data() {
    let mut store = versioned_store();
    store.write(row(1, "a", false, 3)).unwrap();
    store.invalidate("Todo:1").unwrap();
    let changes = store.write(row(1, "old", false, 2)).unwrap();
    assert_eq!(changes.ignored(), [Key::new("Todo:1").unwrap()]);
    assert!(
        store.is_field_stale("Todo:1", "title"),
        "left out, so still stale"
    );
    store.write(row(1, "new", false, 4)).unwrap();
    assert!(!store.is_stale("Todo:1"));
}

#[test]
fn a_conflict_marks_the_entity_stale_and_the_watchers_that_read_it() {
    let mut store = store();
    let list_watch = store.watch_query(doc("{ todos { title } }"), json!({}), |_| {});
    let me = store.watch_query(doc("{ me { name } }"), json!({}), |_| {});
    let (rename, _) = store
        .push(
            "PATCH /todos/1",
            Patch::new().set("Todo:1", "title", "Buy oat milk").set(
                ROOT_QUERY,
                "lastEdited",
                Key::new("Todo:1").unwrap(),
            ),
        )
        .unwrap();
    store.next_to_send(std::time::Instant::now()).unwrap();
    store
        .report(
            rename,
            Outcome::Conflict {
                message: "412".into(),
                current: row(1, "Buy soy milk", false, 2),
            },
            std::time::Instant::now(),
        )
        .unwrap();
    assert!(!store.is_stale("Todo:1"), "the answer carried its row");
    assert!(
        store.is_stale(ROOT_QUERY),
        "the rest of what it touched needs a refetch"
    );
    assert_eq!(
        store.stale(),
        [me, list_watch],
        "both read ROOT_QUERY's fields"
    );
}

#[test]
fn marks_survive_a_save_and_follow_a_remap() {
    let mut store = Store::new();
    let tmp = store.temporary_key("Todo").unwrap();
    let (create, _) = store
        .push("create", Patch::new().set(tmp.clone(), "title", "new"))
        .unwrap();
    store.invalidate(tmp.clone()).unwrap();
    store.remap(&tmp, Key::new("Todo:9").unwrap()).unwrap();
    assert!(store.is_field_stale("Todo:9", "title"));
    assert!(
        store.is_stale(tmp.as_str()),
        "the old name resolves to the new one"
    );
    let text = store.save_json().unwrap();
    let mut loaded = Store::new();
    loaded.load_json(&text).unwrap();
    assert!(loaded.is_field_stale("Todo:9", "title"));
    store.promote(create).unwrap();
    assert!(
        store.is_field_stale("Todo:9", "title"),
        "its write was sent before the mark: it does not answer it"
    );
    store
        .write(Patch::new().set("Todo:9", "title", "new"))
        .unwrap();
    assert!(
        !store.is_stale("Todo:9"),
        "a write made after the mark is fresh"
    );
}

#[test]
fn invalidating_changes_no_data_and_tells_no_watcher() {
    let mut store = store();
    let told = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = told.clone();
    store.watch_query(doc("{ todos { title } }"), json!({}), move |_| {
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    });
    let revision = store.revision();
    store.invalidate("Todo:1").unwrap();
    store.invalidate_field(ROOT_QUERY, "todos").unwrap();
    assert_eq!(store.revision(), revision);
    assert_eq!(told.load(std::sync::atomic::Ordering::Relaxed), 0);
    store.clear_stale();
    assert_eq!(store.stale_count(), 0);
}

// BUG (issue 24): `invalidate_query` marked the `__typename` its read adds to each entity
// (a field the document did not ask for), so an answer to the same document, which holds no
// typename unless asked for one, left the query stale for ever. Fixed: only what the document
// selects is marked; a `__typename` it selects itself is marked as any field.
#[test]
fn invalidating_a_query_leaves_the_typename_the_cache_adds_alone() {
    let mut store = Store::new();
    let answer = || {
        Patch::new()
            .set(ROOT_QUERY, "todo", Key::new("Todo:1").unwrap())
            .set("Todo:1", "title", "Buy milk")
    };
    store
        .write(answer().set("Todo:1", "__typename", "Todo"))
        .unwrap();
    let query = doc("{ todo { title } }");
    assert_eq!(store.invalidate_query(&query, &json!({})).unwrap(), 2);
    assert!(!store.is_field_stale("Todo:1", "__typename"));
    let kept = Query::new(query, json!({}));
    assert!(kept.is_stale(&store));
    store.write(answer()).unwrap();
    assert!(!kept.is_stale(&store), "the answer is fresh");

    let asks = doc("{ todo { __typename title } }");
    assert_eq!(store.invalidate_query(&asks, &json!({})).unwrap(), 3);
    assert!(store.is_field_stale("Todo:1", "__typename"));
}
