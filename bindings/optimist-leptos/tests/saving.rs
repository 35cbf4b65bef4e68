//! The saving indicator (`use_is_mutating`) flips exactly twice through a run of mutations:
//! on at the first push, off at the last one's settling. Sends, retries, a commit while
//! another is pending, a dismiss and a plain write do not re-render it.

mod common;

use common::{Renders, client, mount, run, settle};
use leptos::prelude::*;
use optimist::{Instant, Mutation, Outcome, Patch, Store};
use optimist_leptos::{provide_client, use_is_mutating, use_mutation};

#[test]
fn is_mutating_flips_at_the_first_push_and_the_last_settle() {
    run(|| async {
        let client = client();
        let renders = Renders::default();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        let (_header, saving) = mount(|| {
            let saving = use_is_mutating();
            renders.component("saving", move || {
                if saving.get() { "saving…" } else { "saved" }.into()
            });
            saving
        });
        let (_row, tick) = mount(|| {
            use_mutation(|_: &mut Store, done: bool| {
                Mutation::new("tick", Patch::new().set("Todo:1", "done", done))
            })
        });
        settle().await;
        let rendered = || renders.of("saving");
        assert_eq!(rendered(), ["saved"]);

        // The first push: on.
        let first = tick.mutate(true).unwrap();
        assert!(saving.get_untracked());
        settle().await;
        assert_eq!(rendered(), ["saved", "saving…"]);

        // A second one, the first sent and committed, the second sent, retried, resent: on
        // all along.
        let (second, _) = client
            .lock()
            .unwrap()
            .store_mut()
            .push("rename", Patch::new().set("Todo:2", "title", "b"))
            .unwrap();
        settle().await;
        let now = Instant::now();
        let store = || client.lock().unwrap();
        assert_eq!(
            store().store_mut().next_to_send(now).map(|m| m.id),
            Some(first)
        );
        settle().await;
        store()
            .store_mut()
            .report(first, Outcome::promote(), now)
            .unwrap();
        settle().await;
        assert!(saving.get_untracked(), "the second is still pending");
        assert_eq!(
            store().store_mut().next_to_send(now).map(|m| m.id),
            Some(second)
        );
        settle().await;
        store()
            .store_mut()
            .report(second, Outcome::Ambiguous("timeout".into()), now)
            .unwrap();
        settle().await;
        let later = now + std::time::Duration::from_secs(60);
        assert_eq!(
            store().store_mut().next_to_send(later).map(|m| m.id),
            Some(second)
        );
        settle().await;
        assert_eq!(rendered(), ["saved", "saving…"], "no render while on");

        // The last one settles (refused): off.
        store()
            .store_mut()
            .report(second, Outcome::Rejected("422".into()), later)
            .unwrap();
        assert!(!saving.get_untracked());
        settle().await;
        assert_eq!(rendered(), ["saved", "saving…", "saved"]);

        // Its dismiss and a plain write: still off, no render.
        assert!(store().store_mut().dismiss(second));
        store()
            .store_mut()
            .write(Patch::new().set("Todo:3", "title", "c"))
            .unwrap();
        settle().await;
        assert_eq!(rendered(), ["saved", "saving…", "saved"]);
        assert_eq!(renders.counts().get("saving"), Some(&3));
        root.cleanup();
    });
}
