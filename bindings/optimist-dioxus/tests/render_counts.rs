//! A component tree over a real store renders, and a layer pushed then failed re-renders
//! exactly the components that show what it changed: the row of the entity it touched and the
//! "saving" badge, not the other row, not their parent; a fragment selecting `done` is not
//! re-rendered by a rename, only by a tick; the badge re-renders when the first mutation is
//! made and when the last one settles, not at the steps in between.

mod common;

use common::{Renders, Slot, counts, hand, html, mount, rendered, settle};
use dioxus::prelude::*;
use std::time::Duration;

use optimist::{Document, Instant, Key, Mutation, Outcome, Patch, ReadError};
use optimist_dioxus::{SyncReadSignal, lock, use_entity, use_fragment, use_is_mutating};

#[component]
fn App() -> Element {
    rendered("App");
    rsx! {
        ul {
            Row { id: 1 }
            Row { id: 2 }
        }
        Badge {}
    }
}

#[component]
fn Row(id: u32) -> Element {
    rendered(&format!("Row {id}"));
    let todo = use_entity(Key::entity("Todo", &id.to_string())?);
    let title = todo
        .read()
        .as_ref()
        .and_then(|todo| todo.get("title")?.as_str().map(str::to_owned))
        .unwrap_or_default();
    rsx! { li { "{title}" } }
}

#[component]
fn Checks() -> Element {
    rendered("Checks");
    rsx! {
        Check { id: 1 }
        Check { id: 2 }
    }
}

#[derive(Clone, serde::Deserialize)]
struct Done {
    done: bool,
}

#[component]
fn Check(id: u32) -> Element {
    rendered(&format!("Check {id}"));
    let doc = use_hook(|| Document::parse("fragment Done on Todo { done }").expect("parses"));
    let done = use_fragment::<Done>(&doc, None, format!("Todo:{id}"), serde_json::Value::Null);
    let shown = match &*done.read() {
        Some(Ok(Done { done: true })) => "[x]".to_owned(),
        Some(Ok(Done { done: false })) => "[ ]".to_owned(),
        Some(Err(ReadError::MissingField { path })) => format!("missing {path}"),
        other => format!("{:?}", other.as_ref().map(|r| r.as_ref().err())),
    };
    rsx! { span { "{shown}" } }
}

fn seed(client: &optimist_dioxus::SharedClient) {
    lock(client)
        .store_mut()
        .write(
            Patch::new()
                .set("Todo:1", "__typename", "Todo")
                .set("Todo:1", "title", "milk")
                .set("Todo:1", "done", false)
                .set("Todo:2", "__typename", "Todo")
                .set("Todo:2", "title", "eggs")
                .set("Todo:2", "done", true),
        )
        .unwrap();
}

#[test]
fn a_fragment_re_renders_for_the_fields_it_selects_only() {
    let client = common::client();
    seed(&client);
    let renders = Renders::default();
    let mut dom = mount(Checks, &client, &renders);
    assert_eq!(html(&dom), "<span>[ ]</span><span>[x]</span>");

    let (rename, _) = lock(&client)
        .store_mut()
        .push("rename", Patch::new().set("Todo:1", "title", "oat milk"))
        .unwrap();
    settle(&mut dom);
    let first = counts(&[("Checks", 1), ("Check 1", 1), ("Check 2", 1)]);
    assert_eq!(renders.counts(), first, "a field it does not select");

    let (tick, _) = lock(&client)
        .store_mut()
        .push("tick", Patch::new().set("Todo:1", "done", true))
        .unwrap();
    settle(&mut dom);
    assert_eq!(html(&dom), "<span>[x]</span><span>[x]</span>");
    let ticked = counts(&[("Checks", 1), ("Check 1", 2), ("Check 2", 1)]);
    assert_eq!(renders.counts(), ticked);

    let mut client = lock(&client);
    let mut store = client.store_mut();
    store.fail(tick).unwrap();
    store.fail(rename).unwrap();
    store
        .write(Patch::new().remove_field("Todo:2", "done"))
        .unwrap();
    drop(store);
    drop(client);
    settle(&mut dom);
    assert_eq!(html(&dom), "<span>[ ]</span><span>missing done</span>");
    let failed = counts(&[("Checks", 1), ("Check 1", 3), ("Check 2", 2)]);
    assert_eq!(renders.counts(), failed);
}

#[component]
fn Badge() -> Element {
    rendered("Badge");
    let saving = use_is_mutating();
    rsx! { p { if saving() { "saving" } else { "saved" } } }
}

#[test]
fn a_push_and_its_failure_re_render_the_row_and_the_badge_only() {
    let client = common::client();
    lock(&client)
        .store_mut()
        .write(
            Patch::new()
                .set("Todo:1", "title", "milk")
                .set("Todo:2", "title", "eggs"),
        )
        .unwrap();
    let renders = Renders::default();
    let mut dom = mount(App, &client, &renders);
    assert_eq!(
        html(&dom),
        "<ul><li>milk</li><li>eggs</li></ul><p>saved</p>"
    );
    let first = counts(&[("App", 1), ("Row 1", 1), ("Row 2", 1), ("Badge", 1)]);
    assert_eq!(renders.counts(), first);

    let (rename, _) = lock(&client)
        .store_mut()
        .push("rename", Patch::new().set("Todo:1", "title", "oat milk"))
        .unwrap();
    settle(&mut dom);
    assert_eq!(
        html(&dom),
        "<ul><li>oat milk</li><li>eggs</li></ul><p>saving</p>"
    );
    let pushed = counts(&[("App", 1), ("Row 1", 2), ("Row 2", 1), ("Badge", 2)]);
    assert_eq!(renders.counts(), pushed);

    lock(&client).store_mut().fail(rename).unwrap();
    settle(&mut dom);
    assert_eq!(
        html(&dom),
        "<ul><li>milk</li><li>eggs</li></ul><p>saved</p>"
    );
    let failed = counts(&[("App", 1), ("Row 1", 3), ("Row 2", 1), ("Badge", 3)]);
    assert_eq!(renders.counts(), failed);
}

#[test]
fn an_equal_write_and_another_entity_re_render_nothing() {
    let client = common::client();
    lock(&client)
        .store_mut()
        .write(
            Patch::new()
                .set("Todo:1", "title", "milk")
                .set("Todo:2", "title", "eggs"),
        )
        .unwrap();
    let renders = Renders::default();
    let mut dom = mount(App, &client, &renders);

    let mut client = lock(&client);
    let mut store = client.store_mut();
    store
        .write(Patch::new().set("Todo:1", "title", "milk"))
        .unwrap();
    store
        .write(Patch::new().set("Todo:3", "title", "bread"))
        .unwrap();
    drop(store);
    drop(client);
    settle(&mut dom);
    let untouched = counts(&[("App", 1), ("Row 1", 1), ("Row 2", 1), ("Badge", 1)]);
    assert_eq!(renders.counts(), untouched);
}

#[test]
fn a_second_pending_layer_re_renders_its_row_and_leaves_the_badge_alone() {
    let client = common::client();
    seed(&client);
    let renders = Renders::default();
    let mut dom = mount(App, &client, &renders);
    let (first, _) = lock(&client)
        .store_mut()
        .push("rename", Patch::new().set("Todo:1", "title", "oat milk"))
        .unwrap();
    settle(&mut dom);
    let (second, _) = lock(&client)
        .store_mut()
        .push("rename", Patch::new().set("Todo:2", "title", "brown eggs"))
        .unwrap();
    settle(&mut dom);
    assert_eq!(
        html(&dom),
        "<ul><li>oat milk</li><li>brown eggs</li></ul><p>saving</p>"
    );
    let both = counts(&[("App", 1), ("Row 1", 2), ("Row 2", 2), ("Badge", 2)]);
    assert_eq!(
        renders.counts(),
        both,
        "still saving: the badge did not re-render"
    );

    lock(&client).store_mut().promote(first).unwrap();
    settle(&mut dom);
    let one_left = counts(&[("App", 1), ("Row 1", 2), ("Row 2", 2), ("Badge", 2)]);
    assert_eq!(
        renders.counts(),
        one_left,
        "promoted: nothing shown changed"
    );
    lock(&client).store_mut().promote(second).unwrap();
    settle(&mut dom);
    assert_eq!(
        html(&dom),
        "<ul><li>oat milk</li><li>brown eggs</li></ul><p>saved</p>"
    );
    let saved = counts(&[("App", 1), ("Row 1", 2), ("Row 2", 2), ("Badge", 3)]);
    assert_eq!(renders.counts(), saved);
}

/// A "saving" indicator alone, handing its signal to the test.
#[component]
fn Indicator() -> Element {
    rendered("Indicator");
    let saving = use_is_mutating();
    hand(saving);
    rsx! { p { if saving() { "saving" } else { "saved" } } }
}

#[test]
fn the_badge_flips_at_the_first_mutation_made_and_the_last_settled_only() {
    let client = common::client();
    let renders = Renders::default();
    let slot: Slot<SyncReadSignal<bool>> = Slot::new();
    let mut dom = VirtualDom::new(Indicator)
        .with_root_context(client.clone())
        .with_root_context(renders.clone())
        .with_root_context(slot.clone());
    dom.rebuild_in_place();
    let saving = slot.get();
    // The signal as the store call left it (before any task or render runs), what shows
    // after a render, and the renders so far.
    let step = |dom: &mut VirtualDom| {
        let written = dom.in_runtime(|| *saving.peek());
        dom.render_immediate(&mut dioxus::core::NoOpMutations);
        (written, html(dom), renders.of("Indicator"))
    };
    let saved = |renders| (false, "<p>saved</p>".to_owned(), renders);
    let pending = |renders| (true, "<p>saving</p>".to_owned(), renders);
    let made = |title: &str, key: &str| {
        let mutation = Mutation::new("rename", Patch::new().set(key, "title", title));
        lock(&client).store_mut().mutate(mutation).unwrap().0
    };
    let now = Instant::now();
    assert_eq!(step(&mut dom), saved(1));

    let first = made("oat milk", "Todo:1");
    assert_eq!(step(&mut dom), pending(2), "the first one made");
    let second = made("brown eggs", "Todo:2");
    assert_eq!(step(&mut dom), pending(2));
    let sent = lock(&client).store_mut().next_to_send(now).unwrap();
    assert_eq!(sent.id, first);
    assert_eq!(step(&mut dom), pending(2), "sent");
    lock(&client)
        .store_mut()
        .report(first, Outcome::Ambiguous("timeout".into()), now)
        .unwrap();
    assert_eq!(step(&mut dom), pending(2), "retrying");
    let later = now + Duration::from_secs(600);
    {
        let mut client = lock(&client);
        let mut store = client.store_mut();
        let resent = store.next_to_send(later).unwrap();
        let other = store.next_to_send(later).unwrap();
        assert_eq!((resent.id, other.id), (first, second));
        store.report(first, Outcome::promote(), later).unwrap();
    }
    assert_eq!(step(&mut dom), pending(2), "one of two settled");

    lock(&client)
        .store_mut()
        .report(second, Outcome::Rejected("no".into()), later)
        .unwrap();
    assert_eq!(step(&mut dom), saved(3), "the last one settled");
    assert!(lock(&client).store_mut().dismiss(second));
    assert_eq!(
        step(&mut dom),
        saved(3),
        "a dismiss changes nothing pending"
    );
}
