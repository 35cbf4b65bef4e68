//! The system under test's side of the mutation transitions, and the check of every kept
//! mutation record, `is_mutating`, `is_superseded` and `ready_to_send` against the reference.

use std::time::Instant;

use optimist::{Changes, LayerId, Mutation, MutationStatus, Outcome, RetryPolicy, Scope};

use crate::model::Model;
use crate::outbox::{ROutcome, RScope, RStatus};
use crate::strategies::{Transition, label};
use crate::sut::{Sut, new_store};
use crate::watchers::Watching;

/// Runs a mutation transition on the store; the changes it reports.
pub(crate) fn apply(sut: &mut Sut, model: &Model, transition: &Transition) -> Option<Changes> {
    use Transition::*;
    match transition {
        Mutate(name, ops, scope, coalesce, max) => {
            let mut mutation = Mutation::new(&label(*name), sut.patch(ops))
                .idempotency_key(&format!("k{name}"))
                .retry(RetryPolicy {
                    max_attempts: Some(*max),
                    ..RetryPolicy::default()
                });
            if let Some(scope) = scope {
                mutation = mutation.scope(sut.scope(*scope));
            }
            if *coalesce {
                mutation = mutation.coalesce();
            }
            let (id, changes) = sut.store.mutate(mutation).expect("a valid patch");
            sut.ids.push(id);
            Some(changes)
        }
        NextToSend => {
            let now = sut.now(model);
            let out = sut.store.next_to_send(now);
            let want = model.outbox.sent.map(|name| sut.id(model, name));
            assert_eq!(out.as_ref().map(|out| out.id), want, "next_to_send");
            if let (Some(out), Some(name)) = (&out, model.outbox.sent) {
                let rec = model.outbox.rec(name).expect("a record");
                assert_eq!(out.attempt, rec.attempts, "the attempt sent");
                assert_eq!(&*out.label, rec.label);
                assert_eq!(out.scope, rec.scope.map(|s| sut.scope(s)));
                if let Some(key) = &rec.key {
                    assert_eq!(&*out.idempotency_key, key);
                }
            }
            None
        }
        Report(name, outcome) => {
            let id = sut.id(model, *name);
            let why = || "why".into();
            let outcome = match outcome {
                ROutcome::Promote => Outcome::promote(),
                ROutcome::Confirm(ops) => Outcome::confirm(sut.patch(ops)),
                ROutcome::Rejected => Outcome::Rejected(why()),
                ROutcome::Ambiguous => Outcome::Ambiguous(why()),
                ROutcome::NotSent => Outcome::NotSent(why()),
                ROutcome::Conflict(ops) => Outcome::Conflict {
                    message: why(),
                    current: sut.patch(ops),
                },
            };
            let now = sut.now(model);
            let changes = sut.store.report(id, outcome, now).expect("pending");
            for key in &model.outbox.marked {
                assert!(sut.store.is_stale(&sut.key(key)), "{key} marked stale");
            }
            Some(changes)
        }
        Dismiss(name) => {
            let id = sut.id(model, *name);
            assert_eq!(
                Some(sut.store.dismiss(id)),
                model.outbox.dismissed,
                "dismiss"
            );
            None
        }
        Advance(_) => None,
        SaveLoad => {
            let text = sut.store.save_json().expect("a store saves");
            let mut loaded = new_store();
            loaded.load_json(&text).expect("a saved store loads");
            // Ids change: a mutation is found again by its idempotency key, a live layer
            // by its place in the stack.
            for rec in &model.outbox.recs {
                let at = model.handle(rec.name);
                let key = sut
                    .store
                    .mutation(sut.ids[at])
                    .expect("kept")
                    .idempotency_key()
                    .to_owned();
                let found = loaded.mutations().find(|m| m.idempotency_key() == key);
                sut.ids[at] = found.expect("loaded with its key").id();
            }
            // A record coalesced into a layer that left with no record (dismissed) names it
            // by an id of the loaded store that nothing else gives: learn it from the record.
            for rec in &model.outbox.recs {
                if let RStatus::Coalesced(into) = rec.status
                    && model.outbox.lost.contains(&into)
                    && let Some(MutationStatus::Coalesced { into: id }) = loaded
                        .mutation(sut.ids[model.handle(rec.name)])
                        .map(|m| m.status().clone())
                {
                    let at = model.handle(into);
                    sut.ids[at] = id;
                }
            }
            let live: Vec<LayerId> = loaded.layers().map(|layer| layer.id()).collect();
            assert_eq!(live.len(), model.layers.len(), "layers after a load");
            for (layer, id) in model.layers.iter().zip(live) {
                let at = model.handle(layer.name);
                sut.ids[at] = id;
            }
            sut.watching = Watching::restarted(&mut loaded);
            sut.store = loaded;
            None
        }
        _ => unreachable!("{transition:?} is no mutation transition"),
    }
}

impl Sut {
    pub(crate) fn now(&self, model: &Model) -> Instant {
        self.start + model.outbox.now
    }

    pub(crate) fn scope(&self, scope: RScope) -> Scope {
        match scope {
            RScope::Item(key) => Scope::Item(self.key(key)),
            RScope::Named(name) => Scope::named(name),
        }
    }

    /// The test's name for a layer id the store issued.
    pub(crate) fn layer_name(&self, model: &Model, id: LayerId) -> u32 {
        let at = self
            .ids
            .iter()
            .position(|i| *i == id)
            .expect("an id we hold");
        model.handles[at]
    }

    pub(crate) fn status(&self, model: &Model, status: &MutationStatus) -> RStatus {
        match status {
            MutationStatus::Queued => RStatus::Queued,
            MutationStatus::InFlight { attempt } => RStatus::InFlight(*attempt),
            MutationStatus::Retrying { attempts, reason } => {
                RStatus::Retrying(*attempts, reason.to_string())
            }
            MutationStatus::Committed => RStatus::Committed,
            MutationStatus::Failed(failure) => {
                RStatus::Failed(failure.kind, failure.message.to_string())
            }
            MutationStatus::Coalesced { into } => RStatus::Coalesced(self.layer_name(model, *into)),
            MutationStatus::Abandoned => RStatus::Abandoned,
        }
    }

    /// Every kept record, `is_mutating`, `is_superseded` and `ready_to_send` against the
    /// reference's outbox.
    pub(crate) fn check_records(&self, model: &Model) {
        let store = &self.store;
        type Shown = (u32, String, Option<Scope>, u32, RStatus, Option<Instant>);
        let records: Vec<Shown> = store
            .mutations()
            .map(|m| {
                (
                    self.layer_name(model, m.id()),
                    m.label().to_owned(),
                    m.scope().cloned(),
                    m.attempts(),
                    self.status(model, m.status()),
                    m.retry_at(),
                )
            })
            .collect();
        let want: Vec<Shown> = model
            .outbox
            .recs
            .iter()
            .map(|rec| {
                (
                    rec.name,
                    rec.label.clone(),
                    rec.scope.map(|s| self.scope(s)),
                    rec.attempts,
                    rec.status.clone(),
                    rec.retry_at.map(|at| self.start + at),
                )
            })
            .collect();
        assert_eq!(records, want, "records: store (left), reference (right)");
        for rec in &model.outbox.recs {
            let info = store.mutation(self.id(model, rec.name)).expect("a record");
            if let Some(key) = &rec.key {
                assert_eq!(
                    info.idempotency_key(),
                    key,
                    "idempotency key of {}",
                    rec.name
                );
            }
            assert_eq!(
                info.is_superseded(),
                model.superseded(rec.name),
                "is_superseded({}): store (left), reference (right)",
                rec.name
            );
        }
        assert_eq!(
            store.is_mutating(),
            model.outbox.is_mutating(),
            "is_mutating"
        );
        let ready: Vec<u32> = store
            .ready_to_send(self.now(model))
            .map(|m| self.layer_name(model, m.id()))
            .collect();
        assert_eq!(ready, model.outbox.ready(), "ready_to_send");
    }
}
