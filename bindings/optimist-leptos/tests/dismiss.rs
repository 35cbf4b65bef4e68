//! A failure stays shown until dismissed: later calls (other mutations settling, a refetch)
//! leave it, `dismiss()` removes it and re-renders its component once.

mod common;

use common::{Renders, client, mount, run, settle};
use leptos::prelude::*;
use optimist::{Instant, Mutation, Outcome, Patch, QueryKey, QueryOptions, Store};
use optimist_leptos::{provide_client, use_mutation, use_query};

#[test]
fn a_failure_stays_until_dismissed() {
    run(|| async {
        let client = client();
        let renders = Renders::default();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        let (_list, todos) =
            mount(|| use_query(QueryKey::rest("GET /todos", "todos"), QueryOptions::new()));
        let (_component, delete) = mount(|| {
            let delete = use_mutation(|_: &mut Store, id: i64| {
                Mutation::new("delete", Patch::new().delete(format!("Todo:{id}").as_str()))
            });
            renders.component("error", move || match delete.error.get() {
                None => "".into(),
                Some(error) => format!("<p class=error>{error}</p>"),
            });
            delete
        });
        let now = Instant::now();
        let fetch = client.lock().unwrap().next_fetch(now).unwrap();
        client
            .lock()
            .unwrap()
            .resolve(fetch.id, r#"[{"id": 1, "title": "a"}]"#, now)
            .unwrap();
        settle().await;

        let id = delete.mutate(1).unwrap();
        assert_eq!(
            todos.data.get_untracked().as_deref(),
            Some(&serde_json::json!([]))
        );
        client
            .lock()
            .unwrap()
            .store_mut()
            .next_to_send(now)
            .unwrap();
        client
            .lock()
            .unwrap()
            .store_mut()
            .report(id, Outcome::Rejected("403: not yours".into()), now)
            .unwrap();
        settle().await;
        assert_eq!(
            renders.of("error"),
            ["", "<p class=error>rejected: 403: not yours</p>"]
        );
        assert_eq!(
            todos
                .data
                .get_untracked()
                .as_deref()
                .map(|d| d[0]["id"].clone()),
            Some(1.into())
        );

        // Other calls: another mutation committed, the list refetched. Still shown.
        let (other, _) = client
            .lock()
            .unwrap()
            .store_mut()
            .push("rename", Patch::new().set("Todo:1", "title", "b"))
            .unwrap();
        client.lock().unwrap().store_mut().promote(other).unwrap();
        todos.refetch();
        let now = Instant::now();
        let fetch = client.lock().unwrap().next_fetch(now).unwrap();
        client
            .lock()
            .unwrap()
            .resolve(fetch.id, r#"[{"id": 1, "title": "b"}]"#, now)
            .unwrap();
        settle().await;
        assert_eq!(renders.of("error").len(), 2, "not re-rendered: still shown");
        assert!(delete.error.get_untracked().is_some());
        assert!(client.lock().unwrap().store().mutation(id).is_some());

        assert!(delete.dismiss());
        settle().await;
        assert_eq!(
            renders.of("error"),
            ["", "<p class=error>rejected: 403: not yours</p>", ""]
        );
        assert!(
            client.lock().unwrap().store().mutation(id).is_none(),
            "forgotten"
        );
        assert!(!delete.dismiss(), "once");
        root.cleanup();
    });
}

/// A failure dismissed through the store (the app's list of failures, another handle), not
/// the handle: the handle learns it inside that call, and its error component renders once.
#[test]
fn a_dismiss_through_the_store_clears_the_handles_error() {
    run(|| async {
        let client = client();
        let renders = Renders::default();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        let (_component, delete) = mount(|| {
            let delete = use_mutation(|_: &mut Store, id: i64| {
                Mutation::new("delete", Patch::new().delete(format!("Todo:{id}").as_str()))
            });
            renders.component("error", move || match delete.error.get() {
                None => "".into(),
                Some(error) => format!("<p class=error>{error}</p>"),
            });
            delete
        });
        settle().await;
        let id = delete.mutate(1).unwrap();
        let now = Instant::now();
        client
            .lock()
            .unwrap()
            .store_mut()
            .next_to_send(now)
            .unwrap();
        client
            .lock()
            .unwrap()
            .store_mut()
            .report(id, Outcome::Rejected("403: not yours".into()), now)
            .unwrap();
        settle().await;
        assert!(delete.error.get_untracked().is_some());

        let failed: Vec<_> = client
            .lock()
            .unwrap()
            .store()
            .failed_mutations()
            .map(|m| m.id())
            .collect();
        assert_eq!(failed, [id]);
        assert!(client.lock().unwrap().store_mut().dismiss(id));
        assert_eq!(
            (delete.status.get_untracked(), delete.error.get_untracked()),
            (None, None),
            "cleared inside the dismiss"
        );
        settle().await;
        assert_eq!(
            renders.of("error"),
            ["", "<p class=error>rejected: 403: not yours</p>", ""]
        );
        assert!(!delete.dismiss(), "nothing left to dismiss");
        root.cleanup();
    });
}
