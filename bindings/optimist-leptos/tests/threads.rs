//! A client called from another thread (a `Driver` on tokio's worker threads) while the
//! components run on theirs.
//!
//! reactive_graph 0.2's memos are not safe against a source set from another thread while they
//! compute: the memo marks itself clean when it finishes, with the value it read before, and the
//! effect below it is not run again. Natively that is a row showing a stale value for good. The
//! first test pins that down with `provide_client` (the listener sets the signal on the other
//! thread); `provide_threaded_client` hands the update to the components' thread, and the
//! same interleaving renders the new value.

mod common;

use std::sync::{Arc, Mutex};

use common::{Renders, client, mount, run, settle};
use leptos::prelude::*;
use optimist::{Client, Instant, Mutation, MutationStatus, Outcome, Patch, Store, Value};
use optimist_leptos::{provide_client, provide_threaded_client, use_entity, use_mutation};

type Pause = Arc<Mutex<Option<Box<dyn FnOnce() + Send>>>>;

/// A row rendering `Todo:1.done` through a memo; while the memo computes for the first time
/// (after it read the entity), another thread ticks the todo through the client. Returns what
/// the row rendered, what the memo holds and what the store holds once everything ran.
fn tick_while_a_memo_computes(provide: fn(Arc<Mutex<Client>>)) -> (Vec<String>, bool, bool) {
    let mut seen = None;
    run(|| async {
        let client = client();
        client
            .lock()
            .unwrap()
            .store_mut()
            .write(Patch::new().set("Todo:1", "done", false))
            .unwrap();
        let root = Owner::new();
        root.set();
        provide(client.clone());
        let renders = Renders::default();
        let pause: Pause = {
            let io = client.clone();
            Arc::new(Mutex::new(Some(Box::new(move || {
                std::thread::spawn(move || {
                    io.lock()
                        .unwrap()
                        .store_mut()
                        .write(Patch::new().set("Todo:1", "done", true))
                        .unwrap();
                })
                .join()
                .unwrap();
            }))))
        };
        let (_row, done) = mount(|| {
            let todo = use_entity("Todo:1").unwrap();
            let done = Memo::new(move |_| {
                let done = todo.with(|todo| {
                    todo.as_ref()
                        .and_then(|todo| todo.get("done").and_then(Value::as_bool))
                        == Some(true)
                });
                // The first time: the other thread's write lands now, mid-computation.
                let write = pause.lock().unwrap().take();
                if let Some(write) = write {
                    write();
                }
                done
            });
            renders.component("row", move || done.get().to_string());
            done
        });
        settle().await;
        let stored =
            client.lock().unwrap().store().get_field("Todo:1", "done") == Some(&true.into());
        seen = Some((renders.of("row"), done.get_untracked(), stored));
        root.cleanup();
    });
    seen.expect("the test ran")
}

#[test]
fn with_provide_client_a_memo_keeps_a_value_set_from_another_thread_stale() {
    let (rendered, memo, stored) = tick_while_a_memo_computes(provide_client);
    assert!(stored, "the store has the tick");
    // If this fails, reactive_graph no longer loses the change: `provide_client` would then
    // be enough across threads, and the README's threading advice can say so.
    assert_eq!(
        (rendered, memo),
        (vec!["false".to_owned()], false),
        "reactive_graph 0.2: the memo marked itself clean over the other thread's change"
    );
}

#[test]
fn with_provide_threaded_client_the_change_is_set_on_the_components_thread() {
    let (rendered, memo, stored) = tick_while_a_memo_computes(provide_threaded_client);
    assert!(stored);
    assert_eq!(
        (rendered, memo),
        (vec!["false".into(), "true".into()], true)
    );
}

/// An update told on another thread waits for the components' thread; a call made there
/// meanwhile runs it first, then its own: the older status never lands on the newer one.
#[test]
fn updates_from_another_thread_land_in_the_order_of_the_calls() {
    run(|| async {
        let client = client();
        let root = Owner::new();
        root.set();
        provide_threaded_client(client.clone());
        let renders = Renders::default();
        let (_row, tick) = mount(|| {
            let tick = use_mutation(|_: &mut Store, done: bool| {
                Mutation::new("tick", Patch::new().set("Todo:1", "done", done))
            });
            renders.component("status", move || match tick.status.get() {
                None => "idle".into(),
                Some(MutationStatus::Queued) => "queued".into(),
                Some(MutationStatus::InFlight { .. }) => "in flight".into(),
                Some(MutationStatus::Committed) => "committed".into(),
                Some(other) => format!("{other:?}"),
            });
            tick
        });
        settle().await;
        let id = tick.mutate(true).unwrap();
        assert_eq!(tick.status.get_untracked(), Some(MutationStatus::Queued));
        settle().await;

        // The driver's thread sends it: handed over, not set yet (this thread has not
        // yielded).
        let io = client.clone();
        std::thread::spawn(move || {
            io.lock()
                .unwrap()
                .store_mut()
                .next_to_send(Instant::now())
                .unwrap();
        })
        .join()
        .unwrap();
        assert_eq!(tick.status.get_untracked(), Some(MutationStatus::Queued));

        // The answer reported on this thread: the send is shown first, then the commit.
        client
            .lock()
            .unwrap()
            .store_mut()
            .report(id, Outcome::promote(), Instant::now())
            .unwrap();
        assert_eq!(tick.status.get_untracked(), Some(MutationStatus::Committed));
        settle().await;
        assert_eq!(renders.of("status"), ["idle", "queued", "committed"]);
        root.cleanup();

        // Gone: what another thread tells now is dropped.
        let io = client.clone();
        std::thread::spawn(move || {
            io.lock()
                .unwrap()
                .store_mut()
                .write(Patch::new().set("Todo:1", "done", false))
                .unwrap();
        })
        .join()
        .unwrap();
        settle().await;
        assert_eq!(renders.of("status"), ["idle", "queued", "committed"]);
    });
}
