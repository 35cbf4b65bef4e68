//! A query observed by two components fetches once; both render its answer, once each.

mod common;

use common::{Renders, client, mount, run, settle};
use leptos::prelude::*;
use optimist::{Instant, QueryKey, QueryOptions};
use optimist_leptos::{provide_client, use_query};

#[test]
fn two_components_observing_one_query_share_one_fetch() {
    run(|| async {
        let client = client();
        let renders = Renders::default();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        let key = QueryKey::rest("GET /todos", "todos");
        let mut mounted = Vec::new();
        for name in ["header", "list"] {
            let key = key.clone();
            let (owner, ()) = mount(|| {
                let todos = use_query(key, QueryOptions::new());
                renders.component(name, move || {
                    if todos.is_loading.get() {
                        return "loading".into();
                    }
                    let count = todos.data.with(|data| {
                        data.as_deref()
                            .and_then(|data| data.as_array())
                            .map_or(0, Vec::len)
                    });
                    format!("{count} todos")
                });
            });
            mounted.push(owner);
        }
        settle().await;

        let now = Instant::now();
        let query = client.lock().unwrap().query_of(&key).unwrap();
        assert_eq!(client.lock().unwrap().query_count(), 1, "one record");
        assert_eq!(client.lock().unwrap().observer_count(query), 2);
        let fetch = client.lock().unwrap().next_fetch(now).expect("one fetch");
        assert!(
            client.lock().unwrap().next_fetch(now).is_none(),
            "and only one"
        );
        client
            .lock()
            .unwrap()
            .resolve(
                fetch.id,
                r#"[{"id": 1, "title": "a"}, {"id": 2, "title": "b"}]"#,
                now,
            )
            .unwrap();
        settle().await;
        assert_eq!(renders.of("header"), ["loading", "2 todos"]);
        assert_eq!(renders.of("list"), ["loading", "2 todos"]);
        assert!(
            client.lock().unwrap().next_fetch(now).is_none(),
            "nothing more to fetch"
        );
        drop(mounted);
        root.cleanup();
    });
}

#[test]
fn a_component_mounted_later_joins_the_fetch_in_flight() {
    run(|| async {
        let client = client();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        let key = QueryKey::rest("GET /todos", "todos");
        let (_first, first) = mount(|| use_query(key.clone(), QueryOptions::new()));
        let now = Instant::now();
        let fetch = client.lock().unwrap().next_fetch(now).unwrap();
        // Mounted while the fetch is out: it joins it, nothing more is fetched.
        let (_second, second) = mount(|| use_query(key.clone(), QueryOptions::new()));
        assert!(second.is_loading.get_untracked());
        assert!(client.lock().unwrap().next_fetch(Instant::now()).is_none());
        client.lock().unwrap().resolve(fetch.id, "[]", now).unwrap();
        for todos in [first, second] {
            assert_eq!(
                todos.data.get_untracked().as_deref(),
                Some(&serde_json::json!([]))
            );
            assert!(!todos.is_fetching.get_untracked());
        }
        root.cleanup();
    });
}
