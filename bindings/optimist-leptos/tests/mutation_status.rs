//! A mutation's status moves through its states as the app's I/O reports them
//! (`next_to_send`, `report`), and the component showing it renders once per state.

mod common;

use common::{Renders, client, mount, run, settle};
use leptos::prelude::*;
use optimist::{
    FailureKind, Instant, Mutation, MutationStatus, Outcome, Patch, RetryPolicy, Scope, Store,
};
use optimist_leptos::{MutateError, UseMutation, provide_client, use_mutation};

type Tick = UseMutation<bool, std::convert::Infallible>;

/// A component with a tick mutation, rendering its status.
fn ticker(renders: &Renders) -> (Owner, Tick) {
    mount(|| {
        let tick = use_mutation(|_: &mut Store, done: bool| {
            Mutation::new("tick", Patch::new().set("Todo:1", "done", done))
                .scope(Scope::item("Todo:1").unwrap())
        });
        renders.component("status", move || match tick.status.get() {
            None => "idle".into(),
            Some(status) => optimist_text(&status),
        });
        tick
    })
}

fn optimist_text(status: &MutationStatus) -> String {
    match status {
        MutationStatus::Queued => "queued".into(),
        MutationStatus::InFlight { attempt } => format!("in flight #{attempt}"),
        MutationStatus::Retrying { attempts, .. } => format!("retrying ({attempts} sent)"),
        MutationStatus::Committed => "committed".into(),
        MutationStatus::Failed(failure) => format!("failed: {failure}"),
        MutationStatus::Coalesced { .. } => "coalesced".into(),
        MutationStatus::Abandoned => "abandoned".into(),
    }
}

#[test]
fn queued_in_flight_committed() {
    run(|| async {
        let client = client();
        let renders = Renders::default();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        let (_component, tick) = ticker(&renders);
        settle().await;

        let id = tick.mutate(true).unwrap();
        assert_eq!(tick.id.get_untracked(), Some(id));
        settle().await;
        let now = Instant::now();
        let sent = client
            .lock()
            .unwrap()
            .store_mut()
            .next_to_send(now)
            .unwrap();
        assert_eq!(sent.id, id);
        assert_eq!(
            tick.idempotency_key.get_untracked().as_deref(),
            Some(&*sent.idempotency_key)
        );
        settle().await;
        client
            .lock()
            .unwrap()
            .store_mut()
            .report(id, Outcome::promote(), now)
            .unwrap();
        settle().await;
        assert_eq!(
            renders.of("status"),
            ["idle", "queued", "in flight #1", "committed"]
        );
        assert_eq!(tick.error.get_untracked(), None);
        root.cleanup();
    });
}

#[test]
fn queued_in_flight_retrying_failed() {
    run(|| async {
        let client = client();
        let renders = Renders::default();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        let (_component, tick) = ticker(&renders);
        settle().await;

        let id = tick.mutate(true).unwrap();
        settle().await;
        let now = Instant::now();
        let client_now = || client.lock().unwrap();
        client_now().store_mut().next_to_send(now).unwrap();
        settle().await;
        client_now()
            .store_mut()
            .report(id, Outcome::Ambiguous("timeout".into()), now)
            .unwrap();
        settle().await;
        // Sent again once its delay passed, then refused by the server.
        let later = now + std::time::Duration::from_secs(60);
        assert_eq!(
            client_now().store_mut().next_to_send(later).map(|m| m.id),
            Some(id)
        );
        settle().await;
        client_now()
            .store_mut()
            .report(id, Outcome::Rejected("422: no".into()), later)
            .unwrap();
        settle().await;
        assert_eq!(
            renders.of("status"),
            [
                "idle",
                "queued",
                "in flight #1",
                "retrying (1 sent)",
                "in flight #2",
                "failed: rejected: 422: no"
            ]
        );
        let Some(MutateError::Failed(failure)) = tick.error.get_untracked() else {
            panic!("the failure is the handle's error");
        };
        assert_eq!(failure.kind, FailureKind::Rejected);
        assert_eq!(
            client_now().store().get_field("Todo:1", "done"),
            None,
            "the guess is reverted"
        );
        root.cleanup();
    });
}

#[test]
fn a_coalesced_mutation_hands_over_to_the_one_it_merged_into() {
    run(|| async {
        let client = client();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        let (_component, volume) = mount(|| {
            use_mutation(|_: &mut Store, value: i64| {
                Mutation::new("volume", Patch::new().set("Slider:1", "value", value))
                    .scope(Scope::item("Slider:1").unwrap())
                    .coalesce()
            })
        });
        let first = volume.mutate(10).unwrap();
        let second = volume.mutate(11).unwrap();
        assert_eq!(
            client
                .lock()
                .unwrap()
                .store()
                .mutation(first)
                .unwrap()
                .status(),
            &MutationStatus::Coalesced { into: second }
        );
        assert_eq!(volume.id.get_untracked(), Some(second));
        assert_eq!(volume.status.get_untracked(), Some(MutationStatus::Queued));
        root.cleanup();
    });
}

#[test]
fn a_status_changed_by_another_handle_of_the_same_scope_is_not_this_ones() {
    run(|| async {
        let client = client();
        let renders = Renders::default();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        let (_component, tick) = ticker(&renders);
        settle().await;
        tick.mutate(true).unwrap();
        settle().await;
        // Another mutation goes out and settles: this handle's status does not move.
        let (other, _) = client
            .lock()
            .unwrap()
            .store_mut()
            .push("rename", Patch::new().set("Todo:2", "title", "b"))
            .unwrap();
        client.lock().unwrap().store_mut().promote(other).unwrap();
        settle().await;
        assert_eq!(renders.of("status"), ["idle", "queued"]);
        root.cleanup();
    });
}

/// Retries spent: the failure shown carries the last attempt's reason (the store tells it with
/// the status, inside the report).
#[test]
fn retries_spent_fail_with_the_last_reason() {
    run(|| async {
        let client = client();
        let renders = Renders::default();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        let (_component, tick) = mount(|| {
            let tick = use_mutation(|_: &mut Store, done: bool| {
                Mutation::new("tick", Patch::new().set("Todo:1", "done", done)).retry(RetryPolicy {
                    max_attempts: Some(1),
                    ..RetryPolicy::default()
                })
            });
            renders.component("status", move || match tick.status.get() {
                None => "idle".into(),
                Some(status) => optimist_text(&status),
            });
            tick
        });
        settle().await;
        let id = tick.mutate(true).unwrap();
        let now = Instant::now();
        client
            .lock()
            .unwrap()
            .store_mut()
            .next_to_send(now)
            .unwrap();
        settle().await;
        client
            .lock()
            .unwrap()
            .store_mut()
            .report(id, Outcome::Ambiguous("timeout".into()), now)
            .unwrap();
        settle().await;
        assert_eq!(
            renders.of("status"),
            ["idle", "in flight #1", "failed: gave up: timeout"],
            "queued and in flight between two settles: one render"
        );
        assert_eq!(
            tick.error.get_untracked().map(|error| error.to_string()),
            Some("gave up: timeout".into())
        );
        root.cleanup();
    });
}

/// A handle whose mutation another handle's (or the app's) coalesced follows the mutation it
/// went into: its status, its failure, and the dismiss of that one from the other handle.
#[test]
fn a_handle_follows_the_mutation_its_own_was_coalesced_into() {
    run(|| async {
        let client = client();
        let renders = Renders::default();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        let volume = |value: i64| {
            Mutation::new("volume", Patch::new().set("Slider:1", "value", value))
                .scope(Scope::item("Slider:1").unwrap())
                .coalesce()
        };
        // Two controls of one slider, each its own handle.
        let (_knob, knob) = mount(|| {
            let knob = use_mutation(move |_: &mut Store, value: i64| volume(value));
            renders.component("knob", move || match knob.status.get() {
                None => "idle".into(),
                Some(status) => optimist_text(&status),
            });
            renders.component("knob error", move || {
                knob.error
                    .get()
                    .map(|error| error.to_string())
                    .unwrap_or_default()
            });
            knob
        });
        let (_keys, keys) = mount(|| use_mutation(move |_: &mut Store, value: i64| volume(value)));
        settle().await;

        let first = knob.mutate(10).unwrap();
        settle().await;
        let second = keys.mutate(11).unwrap();
        settle().await;
        let status = |id| {
            client
                .lock()
                .unwrap()
                .store()
                .mutation(id)
                .map(|m| m.status().clone())
        };
        assert_eq!(
            status(first),
            Some(MutationStatus::Coalesced { into: second })
        );
        assert_eq!(knob.id.get_untracked(), Some(second));
        assert_eq!(knob.status.get_untracked(), Some(MutationStatus::Queued));
        assert_eq!(
            knob.idempotency_key.get_untracked(),
            None,
            "another handle made it: its key is not told"
        );
        assert!(keys.idempotency_key.get_untracked().is_some());

        // The app coalesces the keyboard's into one of its own: both handles follow it.
        let (third, _) = client
            .lock()
            .unwrap()
            .store_mut()
            .mutate(volume(12))
            .unwrap();
        assert_eq!(
            status(second),
            Some(MutationStatus::Coalesced { into: third })
        );
        assert_eq!(
            (knob.id.get_untracked(), keys.id.get_untracked()),
            (Some(third), Some(third))
        );
        settle().await;
        assert_eq!(renders.of("knob"), ["idle", "queued"], "queued all along");

        let now = Instant::now();
        let sent = client.lock().unwrap().store_mut().next_to_send(now);
        assert_eq!(sent.map(|m| m.id), Some(third), "one request for the three");
        settle().await;
        client
            .lock()
            .unwrap()
            .store_mut()
            .report(third, Outcome::Rejected("409: locked".into()), now)
            .unwrap();
        settle().await;
        assert_eq!(
            keys.error.get_untracked().map(|error| error.to_string()),
            Some("rejected: 409: locked".into())
        );

        // The keyboard's handle dismisses it: the knob's failure goes too.
        assert!(keys.dismiss());
        assert!(!knob.dismiss(), "already gone");
        settle().await;
        assert_eq!(
            renders.of("knob"),
            [
                "idle",
                "queued",
                "in flight #1",
                "failed: rejected: 409: locked",
                "idle"
            ]
        );
        assert_eq!(renders.of("knob error"), ["", "rejected: 409: locked", ""]);
        root.cleanup();
    });
}
