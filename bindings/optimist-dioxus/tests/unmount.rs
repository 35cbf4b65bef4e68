//! Unmounting cancels: a component that leaves takes its observer, its watchers and its tasks
//! with it; the last observer of a query leaving cancels the fetch in flight, whose late
//! answer is refused and changes nothing.

mod common;

use common::{Renders, Slot, counts, hand, html, rendered, settle};
use dioxus::prelude::*;
use optimist::{
    Document, Instant, Key, Mutation, Patch, QueryError, QueryKey, QueryOptions, Store,
};
use optimist_dioxus::{lock, use_entity, use_fragment, use_is_mutating, use_mutation, use_query};

#[component]
fn App() -> Element {
    rendered("App");
    let shown = use_signal(|| 2);
    hand(shown);
    rsx! {
        for n in 0..shown() {
            Panel { key: "{n}", n }
        }
    }
}

/// Every hook the crate has, so that leaving removes every kind of registration.
#[component]
fn Panel(n: u32) -> Element {
    rendered(&format!("Panel {n}"));
    let me = use_query(QueryKey::rest("GET /me", "me"), QueryOptions::new());
    let todo = use_entity(Key::new("Todo:1")?);
    let doc = use_hook(|| Document::parse("fragment T on Todo { title }").expect("parses"));
    let title = use_fragment::<serde_json::Value>(&doc, None, "Todo:1", serde_json::Value::Null);
    let _ = title;
    let saving = use_is_mutating();
    let save =
        use_mutation(|_: &mut Store, ()| Mutation::new("save", Patch::new().set("A:1", "x", 1)));
    let _ = save;
    rsx! { p { "{(me.is_loading)()} {todo.read().is_some()} {saving()}" } }
}

fn mount(
    client: &optimist_dioxus::SharedClient,
    renders: &Renders,
) -> (VirtualDom, Slot<Signal<u32>>) {
    let slot = Slot::new();
    let mut dom = VirtualDom::new(App)
        .with_root_context(client.clone())
        .with_root_context(renders.clone())
        .with_root_context(slot.clone());
    dom.rebuild_in_place();
    (dom, slot)
}

#[test]
fn the_last_observer_leaving_cancels_the_fetch_and_every_watcher_goes() {
    let client = common::client();
    let watchers_before = lock(&client).store().watcher_count();
    let renders = Renders::default();
    let (mut dom, shown) = mount(&client, &renders);
    assert_eq!(html(&dom), "<p>true false false</p><p>true false false</p>");
    let now = Instant::now();
    let fetch = lock(&client).next_fetch(Instant::now()).expect("due");
    assert_eq!(lock(&client).observer_count(fetch.query), 2);
    // Per panel: the entity and fragment watchers, and a mutation watcher each for
    // use_is_mutating and use_mutation.
    assert_eq!(lock(&client).store().watcher_count(), watchers_before + 8);

    dom.in_runtime(|| shown.get().set(1));
    settle(&mut dom);
    assert_eq!(html(&dom), "<p>true false false</p>");
    assert_eq!(lock(&client).observer_count(fetch.query), 1, "one left");
    assert_eq!(lock(&client).store().watcher_count(), watchers_before + 4);
    assert_eq!(
        lock(&client).in_flight().collect::<Vec<_>>(),
        [(fetch.query, fetch.id)],
        "still observed: the fetch goes on"
    );

    dom.in_runtime(|| shown.get().set(0));
    settle(&mut dom);
    assert_eq!(html(&dom), "");
    assert_eq!(lock(&client).observer_count(fetch.query), 0);
    assert_eq!(lock(&client).store().watcher_count(), watchers_before);
    assert_eq!(lock(&client).in_flight().count(), 0, "cancelled");
    let late = lock(&client).resolve(fetch.id, r#""ada""#, now).map(|_| ());
    assert_eq!(
        late,
        Err(QueryError::UnknownFetch(fetch.id)),
        "the late answer is refused"
    );
    assert!(
        lock(&client)
            .store()
            .get_field("ROOT_QUERY", "me")
            .is_none()
    );
    assert_eq!(
        renders.counts(),
        counts(&[("App", 3), ("Panel 0", 1), ("Panel 1", 1)]),
        "only the parent re-rendered to drop its children"
    );
}

#[test]
fn dropping_the_whole_dom_unobserves_too() {
    let client = common::client();
    let renders = Renders::default();
    let (dom, _shown) = mount(&client, &renders);
    let fetch = lock(&client).next_fetch(Instant::now()).expect("due");
    drop(dom);
    assert_eq!(lock(&client).observer_count(fetch.query), 0);
    assert_eq!(lock(&client).in_flight().count(), 0);
    assert_eq!(lock(&client).store().watcher_count(), 0);
}
