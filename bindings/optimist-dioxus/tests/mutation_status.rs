//! A mutation's status, through the handle's signals: Queued when made, InFlight when the app
//! takes it (`next_to_send`), Committed or Failed as the app reports its outcome (`report`); a
//! failure stays shown, over later renders, until dismissed (through the handle or the
//! store); a mutation merged into a later one is followed into it; a refused input is an error
//! and nothing is made. Each status shows in the render that shows the data its call changed.

mod common;

use std::sync::Arc;

use common::{Renders, Slot, counts, hand, html, rendered, settle};
use dioxus::prelude::*;
use optimist::{
    FailureKind, Instant, Key, LayerId, Mutation, MutationStatus, Outcome, Patch, Scope, Store,
};
use optimist_dioxus::{MutateError, UseMutation, lock, use_entity, use_mutation};

type Rename = UseMutation<String, String>;

fn rename(store: &mut Store, title: String) -> Result<Mutation, String> {
    if title.is_empty() {
        return Err("a title is needed".into());
    }
    let _ = store; // a builder may read the store or make temporary keys with it
    Ok(Mutation::new(
        "rename",
        Patch::new().set("Todo:1", "title", title.as_str()),
    )
    .scope(Scope::item("Todo:1").expect("a key")))
}

#[component]
fn App() -> Element {
    rendered("App");
    rsx! {
        Editor {}
        Title {}
    }
}

/// Shows the mutation's state; hands its handle to the test.
#[component]
fn Editor() -> Element {
    rendered("Editor");
    let save: Rename = use_mutation(rename);
    hand(save);
    let status = save
        .status
        .read()
        .as_ref()
        .map_or("idle".into(), |s| format!("{s:?}"));
    let error = save
        .error
        .read()
        .as_ref()
        .map_or("none".into(), ToString::to_string);
    rsx! { p { "{status} / {error}" } }
}

/// Shows the entity the mutation writes.
#[component]
fn Title() -> Element {
    rendered("Title");
    let todo = use_entity(Key::new("Todo:1")?);
    let title = todo
        .read()
        .as_ref()
        .and_then(|todo| todo.get("title")?.as_str().map(str::to_owned))
        .unwrap_or_default();
    rsx! { h1 { "{title}" } }
}

fn mount() -> (
    optimist_dioxus::SharedClient,
    VirtualDom,
    Renders,
    Slot<Rename>,
) {
    let client = common::client();
    lock(&client)
        .store_mut()
        .write(Patch::new().set("Todo:1", "title", "milk"))
        .unwrap();
    let renders = Renders::default();
    let slot = Slot::new();
    let mut dom = VirtualDom::new(App)
        .with_root_context(client.clone())
        .with_root_context(renders.clone())
        .with_root_context(slot.clone());
    dom.rebuild_in_place();
    (client, dom, renders, slot)
}

fn mutate(
    dom: &VirtualDom,
    slot: &Slot<Rename>,
    title: &str,
) -> Result<LayerId, MutateError<String>> {
    dom.in_runtime(|| slot.get().mutate(title.to_owned()))
}

#[test]
fn queued_in_flight_committed() {
    let (client, mut dom, renders, slot) = mount();
    assert_eq!(html(&dom), "<p>idle / none</p><h1>milk</h1>");

    let id = mutate(&dom, &slot, "oat milk").unwrap();
    settle(&mut dom);
    assert_eq!(html(&dom), "<p>Queued / none</p><h1>oat milk</h1>");
    let key = lock(&client)
        .store()
        .mutation(id)
        .unwrap()
        .idempotency_key()
        .to_owned();
    assert_eq!(
        dom.in_runtime(|| slot.get().idempotency_key.read().clone()),
        Some(Arc::from(key.as_str()))
    );
    assert_eq!(
        renders.counts(),
        counts(&[("App", 1), ("Editor", 2), ("Title", 2)])
    );

    let now = Instant::now();
    let sent = lock(&client).store_mut().next_to_send(now).expect("ready");
    assert_eq!((sent.id, &*sent.idempotency_key), (id, key.as_str()));
    settle(&mut dom);
    assert_eq!(
        html(&dom),
        "<p>InFlight { attempt: 1 } / none</p><h1>oat milk</h1>"
    );
    assert_eq!(
        renders.counts(),
        counts(&[("App", 1), ("Editor", 3), ("Title", 2)])
    );

    lock(&client)
        .store_mut()
        .report(id, Outcome::promote(), now)
        .unwrap();
    settle(&mut dom);
    assert_eq!(html(&dom), "<p>Committed / none</p><h1>oat milk</h1>");
    assert_eq!(
        renders.counts(),
        counts(&[("App", 1), ("Editor", 4), ("Title", 2)]),
        "the title did not change: it did not re-render"
    );
}

#[test]
fn a_failure_stays_shown_until_dismissed() {
    let (client, mut dom, renders, slot) = mount();
    let id = mutate(&dom, &slot, "oat milk").unwrap();
    let now = Instant::now();
    lock(&client).store_mut().next_to_send(now).unwrap();
    assert!(
        !dom.in_runtime(|| slot.get().dismiss()),
        "pending: not dismissed"
    );
    lock(&client)
        .store_mut()
        .report(id, Outcome::Rejected("422: title taken".into()), now)
        .unwrap();
    settle(&mut dom);
    let failed = "<p>Failed(Failure { kind: Rejected, message: \"422: title taken\" }) / rejected: 422: title taken</p><h1>milk</h1>";
    assert_eq!(html(&dom).replace("&#34;", "\""), failed);
    // Made, sent and failed between two renders: one render each shows where it ended.
    assert_eq!(
        renders.counts(),
        counts(&[("App", 1), ("Editor", 2), ("Title", 2)])
    );
    let error = dom.in_runtime(|| slot.get().error.read().clone());
    assert!(
        matches!(&error, Some(MutateError::Failed(f)) if f.kind == FailureKind::Rejected),
        "{error:?}"
    );

    // Other changes come and go; the failure stays.
    lock(&client)
        .store_mut()
        .write(Patch::new().set("Todo:1", "title", "soy milk"))
        .unwrap();
    dom.mark_dirty(ScopeId::APP);
    settle(&mut dom);
    assert!(html(&dom).contains("title taken"));
    assert!(lock(&client).store().mutation(id).is_some());

    assert!(dom.in_runtime(|| slot.get().dismiss()));
    settle(&mut dom);
    assert_eq!(html(&dom), "<p>idle / none</p><h1>soy milk</h1>");
    assert!(
        lock(&client).store().mutation(id).is_none(),
        "the record is gone"
    );
    assert!(!dom.in_runtime(|| slot.get().dismiss()), "once");
}

/// Renders what is dirty (and runs the tasks it woke, first: Dioxus polls a component's tasks
/// before it re-renders it).
fn render_only(dom: &mut VirtualDom) {
    dom.render_immediate(&mut dioxus::core::NoOpMutations);
}

#[test]
fn each_status_shows_in_the_render_that_shows_its_data() {
    let (client, mut dom, renders, slot) = mount();
    // Written inside the store call: before any task of the component or render runs.
    let written = |dom: &VirtualDom| dom.in_runtime(|| slot.get().status.peek().clone());
    let id = mutate(&dom, &slot, "oat milk").unwrap();
    assert_eq!(written(&dom), Some(MutationStatus::Queued));
    render_only(&mut dom);
    assert_eq!(html(&dom), "<p>Queued / none</p><h1>oat milk</h1>");
    let now = Instant::now();
    lock(&client).store_mut().next_to_send(now).unwrap();
    assert_eq!(written(&dom), Some(MutationStatus::InFlight { attempt: 1 }));
    render_only(&mut dom);
    assert_eq!(
        html(&dom),
        "<p>InFlight { attempt: 1 } / none</p><h1>oat milk</h1>"
    );
    lock(&client)
        .store_mut()
        .report(id, Outcome::Rejected("422: title taken".into()), now)
        .unwrap();
    assert!(
        matches!(written(&dom), Some(MutationStatus::Failed(_))),
        "{:?}",
        written(&dom)
    );
    render_only(&mut dom);
    // The status and the reverted title in one render.
    assert!(html(&dom).starts_with("<p>Failed("), "{}", html(&dom));
    assert!(html(&dom).ends_with("<h1>milk</h1>"), "{}", html(&dom));
    assert!(html(&dom).contains("title taken"), "{}", html(&dom));
    assert_eq!(
        renders.counts(),
        counts(&[("App", 1), ("Editor", 4), ("Title", 3)])
    );
}

#[test]
fn made_sent_and_rejected_between_two_renders_shows_where_it_ended() {
    let (client, mut dom, renders, slot) = mount();
    let now = Instant::now();
    let id = mutate(&dom, &slot, "oat milk").unwrap();
    lock(&client).store_mut().next_to_send(now).unwrap();
    lock(&client)
        .store_mut()
        .report(id, Outcome::Rejected("409: locked".into()), now)
        .unwrap();
    settle(&mut dom);
    assert_eq!(
        html(&dom).replace("&#34;", "\""),
        "<p>Failed(Failure { kind: Rejected, message: \"409: locked\" }) / rejected: 409: locked</p><h1>milk</h1>"
    );
    // One render each, showing where it ended (the title's watcher was told twice: the guess
    // and its revert).
    assert_eq!(
        renders.counts(),
        counts(&[("App", 1), ("Editor", 2), ("Title", 2)])
    );
    assert_eq!(
        dom.in_runtime(|| slot.get().error.read().clone()),
        Some(MutateError::Failed(optimist::Failure {
            kind: FailureKind::Rejected,
            message: "409: locked".into(),
        }))
    );
}

#[test]
fn a_dismiss_through_the_store_clears_the_handle() {
    let (client, mut dom, renders, slot) = mount();
    let id = mutate(&dom, &slot, "oat milk").unwrap();
    lock(&client).store_mut().fail(id).unwrap();
    settle(&mut dom);
    assert_eq!(
        html(&dom),
        "<p>Failed(Failure { kind: Rejected, message: &#34;&#34; }) / rejected</p><h1>milk</h1>"
    );
    let before = renders.of("Editor");

    // Another part of the app (a "clear all failures" button, the app's loop) dismisses it.
    assert!(lock(&client).store_mut().dismiss(id));
    render_only(&mut dom);
    assert_eq!(html(&dom), "<p>idle / none</p><h1>milk</h1>");
    assert_eq!(renders.of("Editor"), before + 1);
    assert_eq!(dom.in_runtime(|| slot.get().id()), None);
    assert_eq!(dom.in_runtime(|| slot.get().error.read().clone()), None);
    assert!(!dom.in_runtime(|| slot.get().dismiss()), "nothing left");
}

#[test]
fn retrying_then_given_up() {
    let (client, mut dom, _renders, slot) = mount();
    let id = mutate(&dom, &slot, "oat milk").unwrap();
    let now = Instant::now();
    lock(&client).store_mut().next_to_send(now).unwrap();
    lock(&client)
        .store_mut()
        .report(id, Outcome::Ambiguous("timeout".into()), now)
        .unwrap();
    settle(&mut dom);
    assert_eq!(
        html(&dom).replace("&#34;", "\""),
        "<p>Retrying { attempts: 1, reason: \"timeout\" } / none</p><h1>oat milk</h1>"
    );
    lock(&client).store_mut().fail(id).unwrap();
    settle(&mut dom);
    assert!(html(&dom).starts_with("<p>Failed("), "{}", html(&dom));
    assert!(html(&dom).ends_with("<h1>milk</h1>"));
}

#[test]
fn a_refused_input_is_an_error_and_makes_nothing() {
    let (client, mut dom, _renders, slot) = mount();
    let refused = mutate(&dom, &slot, "");
    assert_eq!(refused, Err(MutateError::Build("a title is needed".into())));
    settle(&mut dom);
    assert_eq!(html(&dom), "<p>idle / a title is needed</p><h1>milk</h1>");
    assert!(!lock(&client).store().is_mutating());
    // The next one goes through and clears it.
    mutate(&dom, &slot, "oat milk").unwrap();
    settle(&mut dom);
    assert_eq!(html(&dom), "<p>Queued / none</p><h1>oat milk</h1>");
}

/// Two sliders coalescing on one scope: the first's handle follows its mutation into the
/// second's, which carries its value, and shows that one's status from then on.
#[component]
fn Sliders() -> Element {
    rendered("Sliders");
    let volume = |store: &mut Store, value: i64| {
        let _ = store;
        Mutation::new("volume", Patch::new().set("Slider:1", "value", value))
            .scope(Scope::item("Slider:1").expect("a key"))
            .coalesce()
    };
    let first = use_mutation(volume);
    let second = use_mutation(volume);
    hand((first, second));
    let shown = |m: UseMutation<i64>| {
        m.status
            .read()
            .as_ref()
            .map_or("idle".into(), |s| format!("{s:?}"))
    };
    rsx! { p { "{shown(first)}" } p { "{shown(second)}" } }
}

#[test]
fn a_merged_mutation_is_followed_into_the_one_it_went_into() {
    let client = common::client();
    let renders = Renders::default();
    let slot: Slot<(UseMutation<i64>, UseMutation<i64>)> = Slot::new();
    let mut dom = VirtualDom::new(Sliders)
        .with_root_context(client.clone())
        .with_root_context(renders.clone())
        .with_root_context(slot.clone());
    dom.rebuild_in_place();
    let (first, second) = slot.get();
    let merged = dom.in_runtime(|| first.mutate(10)).unwrap();
    let into = dom.in_runtime(|| second.mutate(11)).unwrap();
    settle(&mut dom);
    assert_eq!(
        lock(&client).store().mutation(merged).unwrap().status(),
        &MutationStatus::Coalesced { into }
    );
    assert_eq!(html(&dom), "<p>Queued</p><p>Queued</p>");
    assert_eq!(dom.in_runtime(|| first.id()), Some(into), "followed");
    // The store's mutation watcher is not told keys: the first handle did not make `into`.
    assert_eq!(
        dom.in_runtime(|| first.idempotency_key.read().clone()),
        None
    );
    assert!(dom.in_runtime(|| second.idempotency_key.read().is_some()));
    assert_eq!(lock(&client).store().layers().count(), 1);

    let now = Instant::now();
    let sent = lock(&client).store_mut().next_to_send(now).expect("one");
    assert_eq!(sent.id, into);
    settle(&mut dom);
    assert_eq!(
        html(&dom),
        "<p>InFlight { attempt: 1 }</p><p>InFlight { attempt: 1 }</p>"
    );
    lock(&client)
        .store_mut()
        .report(into, Outcome::promote(), now)
        .unwrap();
    settle(&mut dom);
    assert_eq!(html(&dom), "<p>Committed</p><p>Committed</p>");
    // Mounted, both made (one render), sent, committed.
    assert_eq!(renders.of("Sliders"), 4);
}

/// One slider moved twice: its handle follows the second mutation, with its key.
#[test]
fn a_handle_merging_its_own_mutation_shows_the_new_one_and_its_key() {
    let client = common::client();
    let slot: Slot<(UseMutation<i64>, UseMutation<i64>)> = Slot::new();
    let mut dom = VirtualDom::new(Sliders)
        .with_root_context(client.clone())
        .with_root_context(Renders::default())
        .with_root_context(slot.clone());
    dom.rebuild_in_place();
    let (first, _) = slot.get();
    dom.in_runtime(|| first.mutate(10)).unwrap();
    let into = dom.in_runtime(|| first.mutate(11)).unwrap();
    settle(&mut dom);
    assert_eq!(html(&dom), "<p>Queued</p><p>idle</p>");
    assert_eq!(dom.in_runtime(|| first.id()), Some(into));
    let key = lock(&client)
        .store()
        .mutation(into)
        .map(|m| Arc::from(m.idempotency_key()));
    assert_eq!(dom.in_runtime(|| first.idempotency_key.read().clone()), key);
}
