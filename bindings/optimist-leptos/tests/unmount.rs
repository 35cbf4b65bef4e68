//! Unmounting removes what a component registered: its query observer (the last one out
//! cancels the fetch in flight, whose answer is then refused), its store watchers.

mod common;

use common::{client, mount, run, settle, unmount};
use leptos::prelude::*;
use optimist::{Instant, Mutation, Patch, QueryKey, QueryOptions, Store};
use optimist_leptos::{provide_client, use_entity, use_is_mutating, use_mutation, use_query};

#[test]
fn the_last_component_out_cancels_the_fetch_in_flight() {
    run(|| async {
        let client = client();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        let key = QueryKey::rest("GET /todos", "todos");
        let (first, _) = mount(|| use_query(key.clone(), QueryOptions::new()));
        let (second, _) = mount(|| use_query(key.clone(), QueryOptions::new()));
        settle().await;
        let now = Instant::now();
        let query = client.lock().unwrap().query_of(&key).unwrap();
        let fetch = client.lock().unwrap().next_fetch(now).unwrap();
        assert_eq!(client.lock().unwrap().observer_count(query), 2);

        unmount(first);
        assert_eq!(client.lock().unwrap().observer_count(query), 1);
        assert_eq!(
            client.lock().unwrap().in_flight().count(),
            1,
            "one observer left: still fetched"
        );

        unmount(second);
        assert_eq!(client.lock().unwrap().observer_count(query), 0);
        assert_eq!(client.lock().unwrap().in_flight().count(), 0, "cancelled");
        assert!(
            client.lock().unwrap().resolve(fetch.id, "[]", now).is_err(),
            "the cancelled fetch's answer is refused"
        );
        assert!(
            client
                .lock()
                .unwrap()
                .store()
                .get_field("ROOT_QUERY", "todos")
                .is_none()
        );
        client.lock().unwrap().check_invariants().unwrap();
        root.cleanup();
    });
}

#[test]
fn unmounting_removes_the_store_watchers() {
    run(|| async {
        let client = client();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        let before = client.lock().unwrap().store().watcher_count();
        let (component, (todo, saving)) = mount(|| {
            let todo = use_entity("Todo:1").unwrap();
            let saving = use_is_mutating();
            let _tick = use_mutation(|_: &mut Store, done: bool| {
                Mutation::new("tick", Patch::new().set("Todo:1", "done", done))
            });
            (todo, saving)
        });
        assert_eq!(client.lock().unwrap().store().watcher_count(), before + 3);
        unmount(component);
        assert_eq!(client.lock().unwrap().store().watcher_count(), before);
        assert!(
            todo.try_get_untracked().is_none(),
            "its signals are disposed"
        );
        assert!(saving.try_get_untracked().is_none());
        // The store goes on without it.
        client
            .lock()
            .unwrap()
            .store_mut()
            .push("tick", Patch::new().set("Todo:1", "done", true))
            .unwrap();
        root.cleanup();
    });
}

#[test]
fn a_query_component_unmounted_before_its_first_fetch_went_out_leaves_nothing_due() {
    run(|| async {
        let client = client();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        let (component, todos) =
            mount(|| use_query(QueryKey::rest("GET /todos", "todos"), QueryOptions::new()));
        assert!(todos.is_loading.get_untracked());
        unmount(component);
        assert!(client.lock().unwrap().next_fetch(Instant::now()).is_none());
        assert!(
            todos.observer().is_none(),
            "the handle is gone with its component"
        );
        todos.refetch(); // a stale handle does nothing
        assert!(client.lock().unwrap().next_fetch(Instant::now()).is_none());
        root.cleanup();
    });
}
