//! A key that changes with props: the observer moves to the new key (`Client::switch`), the
//! old query loses it (its fetch is cancelled when it was the last), the new key is fetched,
//! and with `keep_previous_data` the old data stays shown until the new key's comes. An
//! entity or a fragment whose key changes is watched under the new key, the old watcher gone.

mod common;

use common::{Renders, Slot, counts, hand, html, rendered, settle};
use dioxus::prelude::*;
use optimist::{Document, Instant, Patch, QueryKey, QueryOptions};
use optimist_dioxus::{lock, use_entity, use_fragment, use_query};

fn page(n: u32) -> QueryKey {
    QueryKey::rest(
        &format!("GET /items?page={n}"),
        format!("items{n}").as_str(),
    )
}

#[component]
fn App() -> Element {
    rendered("App");
    let page = use_signal(|| 1);
    hand(page);
    rsx! { Page { n: page() } }
}

#[component]
fn Page(n: u32) -> Element {
    rendered("Page");
    let items = use_query(page(n), QueryOptions::new().keep_previous_data());
    hand(items.query());
    let shown = items
        .data
        .read()
        .as_ref()
        .map_or("none".into(), ToString::to_string);
    let placeholder = items.state.read().is_placeholder;
    rsx! { p { "page {n}: {shown}, placeholder: {placeholder}" } }
}

#[test]
fn a_new_key_moves_the_observer_and_keeps_the_old_data_until_the_new_comes() {
    let client = common::client();
    let renders = Renders::default();
    let (page_slot, query_slot) = (Slot::<Signal<u32>>::new(), Slot::<optimist::QueryId>::new());
    let mut dom = VirtualDom::new(App)
        .with_root_context(client.clone())
        .with_root_context(renders.clone())
        .with_root_context(page_slot.clone())
        .with_root_context(query_slot.clone());
    dom.rebuild_in_place();
    let now = Instant::now();
    let first = lock(&client).next_fetch(Instant::now()).expect("page 1");
    assert_eq!(first.key, page(1));
    lock(&client).resolve(first.id, "[1, 2]", now).unwrap();
    settle(&mut dom);
    assert_eq!(html(&dom), "<p>page 1: [1,2], placeholder: false</p>");
    assert_eq!(renders.counts(), counts(&[("App", 1), ("Page", 2)]));

    dom.in_runtime(|| page_slot.get().set(2));
    settle(&mut dom);
    assert_eq!(
        html(&dom),
        "<p>page 2: [1,2], placeholder: true</p>",
        "page 1's data shown while page 2 loads"
    );
    let second = lock(&client).next_fetch(Instant::now()).expect("page 2");
    assert_eq!(second.key, page(2));
    assert_eq!(
        query_slot.get(),
        second.query,
        "the handle follows the new query"
    );
    assert_eq!(lock(&client).observer_count(first.query), 0);
    assert_eq!(lock(&client).observer_count(second.query), 1);
    assert_eq!(renders.counts(), counts(&[("App", 2), ("Page", 3)]));

    lock(&client).resolve(second.id, "[3]", now).unwrap();
    settle(&mut dom);
    assert_eq!(html(&dom), "<p>page 2: [3], placeholder: false</p>");
    assert_eq!(renders.counts(), counts(&[("App", 2), ("Page", 4)]));

    // Back to page 1: cached, fresh, shown at once, no fetch.
    dom.in_runtime(|| page_slot.get().set(1));
    settle(&mut dom);
    assert_eq!(html(&dom), "<p>page 1: [1,2], placeholder: false</p>");
    assert!(lock(&client).next_fetch(Instant::now()).is_none());
    assert_eq!(renders.counts(), counts(&[("App", 3), ("Page", 5)]));
}

#[test]
fn leaving_a_key_whose_fetch_is_in_flight_cancels_it() {
    let client = common::client();
    let renders = Renders::default();
    let (page_slot, query_slot) = (Slot::<Signal<u32>>::new(), Slot::<optimist::QueryId>::new());
    let mut dom = VirtualDom::new(App)
        .with_root_context(client.clone())
        .with_root_context(renders.clone())
        .with_root_context(page_slot.clone())
        .with_root_context(query_slot.clone());
    dom.rebuild_in_place();
    let now = Instant::now();
    let first = lock(&client).next_fetch(Instant::now()).expect("page 1");
    dom.in_runtime(|| page_slot.get().set(2));
    settle(&mut dom);
    assert!(
        lock(&client).resolve(first.id, "[1]", now).is_err(),
        "page 1's fetch was cancelled when its only observer moved"
    );
    assert_eq!(html(&dom), "<p>page 2: none, placeholder: false</p>");
}

#[component]
fn Pick() -> Element {
    rendered("Pick");
    let id = use_signal(|| 1);
    hand(id);
    rsx! { Shown { id: id() } }
}

#[derive(Clone, serde::Deserialize)]
struct Title {
    title: String,
}

#[component]
fn Shown(id: u32) -> Element {
    rendered("Shown");
    let entity = use_entity(format!("Todo:{id}"));
    let doc = use_hook(|| Document::parse("fragment T on Todo { title }").expect("parses"));
    let fragment = use_fragment::<Title>(&doc, None, format!("Todo:{id}"), serde_json::Value::Null);
    let from_entity = entity
        .read()
        .as_ref()
        .and_then(|todo| todo.get("title")?.as_str().map(str::to_owned))
        .unwrap_or_default();
    let from_fragment = match &*fragment.read() {
        Some(Ok(todo)) => todo.title.clone(),
        _ => "none".into(),
    };
    rsx! { p { "{from_entity} {from_fragment}" } }
}

#[test]
fn an_entity_and_a_fragment_follow_their_key() {
    let client = common::client();
    lock(&client)
        .store_mut()
        .write(
            Patch::new()
                .set("Todo:1", "__typename", "Todo")
                .set("Todo:1", "title", "milk")
                .set("Todo:2", "__typename", "Todo")
                .set("Todo:2", "title", "eggs"),
        )
        .unwrap();
    let renders = Renders::default();
    let id = Slot::<Signal<u32>>::new();
    let mut dom = VirtualDom::new(Pick)
        .with_root_context(client.clone())
        .with_root_context(renders.clone())
        .with_root_context(id.clone());
    dom.rebuild_in_place();
    assert_eq!(html(&dom), "<p>milk milk</p>");
    let watchers = lock(&client).store().watcher_count();

    dom.in_runtime(|| id.get().set(2));
    settle(&mut dom);
    assert_eq!(html(&dom), "<p>eggs eggs</p>");
    assert_eq!(
        lock(&client).store().watcher_count(),
        watchers,
        "moved, not added"
    );
    assert_eq!(renders.counts(), counts(&[("Pick", 2), ("Shown", 2)]));

    // The old key tells nothing any more; the new one does.
    lock(&client)
        .store_mut()
        .write(Patch::new().set("Todo:1", "title", "oat milk"))
        .unwrap();
    settle(&mut dom);
    assert_eq!(renders.counts(), counts(&[("Pick", 2), ("Shown", 2)]));
    lock(&client)
        .store_mut()
        .write(Patch::new().set("Todo:2", "title", "brown eggs"))
        .unwrap();
    settle(&mut dom);
    assert_eq!(html(&dom), "<p>brown eggs brown eggs</p>");
    assert_eq!(renders.counts(), counts(&[("Pick", 2), ("Shown", 3)]));
}
