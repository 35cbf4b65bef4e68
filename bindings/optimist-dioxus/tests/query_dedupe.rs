//! A query observed by two components fetches once, both show its answer, and each component
//! re-renders for what it reads: the list for the data, the spinner for `is_fetching`.

mod common;

use common::{Renders, counts, html, mount, rendered, settle};
use dioxus::prelude::*;
use optimist::{FetchError, Instant, QueryKey, QueryOptions, QueryStatus};
use optimist_dioxus::{lock, use_query, use_query_as};

fn todos() -> QueryKey {
    QueryKey::rest("GET /todos", "todos")
}

#[component]
fn App() -> Element {
    rendered("App");
    rsx! {
        List {}
        Count {}
        Spinner {}
    }
}

/// Reads the data.
#[component]
fn List() -> Element {
    rendered("List");
    let todos = use_query(todos(), QueryOptions::new());
    let titles: Vec<String> = todos
        .data
        .read()
        .as_ref()
        .and_then(|data| data.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|todo| todo["title"].as_str().map(str::to_owned))
        .collect();
    rsx! { ul { for title in titles { li { "{title}" } } } }
}

#[derive(Clone, serde::Deserialize)]
struct Todo {
    title: String,
}

/// Reads the typed data.
#[component]
fn Count() -> Element {
    rendered("Count");
    let todos = use_query_as::<Vec<Todo>>(todos(), QueryOptions::new());
    let shown = match &*todos.data.read() {
        Some(Ok(todos)) => format!("{} todos, first {}", todos.len(), todos[0].title),
        Some(Err(error)) => format!("bad data: {error}"),
        None => "no data".into(),
    };
    rsx! { p { "{shown}" } }
}

/// Reads whether a fetch is under way, and the error.
#[component]
fn Spinner() -> Element {
    rendered("Spinner");
    let todos = use_query(todos(), QueryOptions::new());
    let fetching = (todos.is_fetching)();
    let error = todos
        .error
        .read()
        .as_ref()
        .map_or("none".into(), ToString::to_string);
    rsx! { p { "fetching: {fetching}, error: {error}" } }
}

#[test]
fn three_observers_one_fetch_and_each_re_renders_for_what_it_reads() {
    let client = common::client();
    let renders = Renders::default();
    let mut dom = mount(App, &client, &renders);
    let now = Instant::now();
    let fetch = lock(&client).next_fetch(Instant::now()).expect("due");
    assert!(
        lock(&client).next_fetch(Instant::now()).is_none(),
        "one fetch for three observers"
    );
    assert_eq!(lock(&client).observer_count(fetch.query), 3);
    assert_eq!(
        html(&dom),
        "<ul></ul><p>no data</p><p>fetching: true, error: none</p>"
    );

    lock(&client)
        .resolve(
            fetch.id,
            r#"[{"id": 1, "title": "milk"}, {"id": 2, "title": "eggs"}]"#,
            now,
        )
        .unwrap();
    settle(&mut dom);
    assert_eq!(
        html(&dom),
        "<ul><li>milk</li><li>eggs</li></ul><p>2 todos, first milk</p><p>fetching: false, error: none</p>"
    );
    let answered = counts(&[("App", 1), ("List", 2), ("Count", 2), ("Spinner", 2)]);
    assert_eq!(renders.counts(), answered);

    // A refetch: only the spinner shows it; its failure (not retried) too; the data stays.
    let query = fetch.query;
    lock(&client).refetch(query, now).unwrap();
    settle(&mut dom);
    let refetching = counts(&[("App", 1), ("List", 2), ("Count", 2), ("Spinner", 3)]);
    assert_eq!(renders.counts(), refetching);
    let again = lock(&client)
        .next_fetch(Instant::now())
        .expect("the refetch");
    lock(&client)
        .reject(again.id, FetchError::permanent("500: down"), now)
        .unwrap();
    settle(&mut dom);
    assert_eq!(
        lock(&client).query_state(query).unwrap().status,
        QueryStatus::Error
    );
    assert_eq!(
        html(&dom),
        "<ul><li>milk</li><li>eggs</li></ul><p>2 todos, first milk</p><p>fetching: false, error: 500: down</p>"
    );
    let failed = counts(&[("App", 1), ("List", 2), ("Count", 2), ("Spinner", 4)]);
    assert_eq!(renders.counts(), failed);
}

#[test]
fn data_the_type_refuses_is_a_deserialize_error() {
    let client = common::client();
    let renders = Renders::default();
    let mut dom = mount(Count, &client, &renders);
    let now = Instant::now();
    let fetch = lock(&client).next_fetch(Instant::now()).unwrap();
    lock(&client)
        .resolve(fetch.id, r#"[{"id": 1, "name": "milk"}]"#, now)
        .unwrap();
    settle(&mut dom);
    let shown = html(&dom);
    assert!(
        shown.starts_with("<p>bad data: ") && shown.contains("title"),
        "{shown}"
    );
    assert_eq!(renders.of("Count"), 2);
}
