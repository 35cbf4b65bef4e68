//! Mutation calls on the store: making a mutation (an intent with a record), choosing what to
//! send, taking the app's report of how a send ended, and the queries a status display needs.
//!
//! The records live in `crate::mutation::records`; every layer change goes through the same
//! calls the rest of the store uses (`push_layer`, `remove_layer`, the settle calls), so the
//! view rule and the layer events stay in one place.

use crate::Instant;
use std::collections::HashSet;
use std::time::Duration;

use super::Store;
use crate::changes::{Changed, Changes, LayerEvent, record};
use crate::field::FieldName;
use crate::key::Key;
use crate::layer::{LayerId, LayerKind, LayerState};
use crate::mutation::records::Record;
use crate::mutation::{
    Answer, Failure, FailureKind, Mutation, MutationError, MutationInfo, MutationStatus, Outcome,
    Outgoing, RetryPolicy, Scope, new_idempotency_key,
};
use crate::op::Op;
use crate::patch::PatchError;

/// ## Mutations and the outbox
///
/// A [`Mutation`](crate::Mutation) is a guess plus the request that makes it true: the store
/// queues it, hands it out when its turn comes ([`next_to_send`](Store::next_to_send)), settles
/// it by the [`Outcome`](crate::Outcome) the app [`report`](Store::report)s, retries it by its
/// policy, and saves it with the store, so an app's outbox survives a restart.
impl Store {
    /// Makes a mutation: pushes its guess as an intent (as [`push`](Store::push) does) and
    /// keeps a record of it (see [`Mutation`]), with status
    /// [`Queued`](MutationStatus::Queued). With [`Mutation::coalesce`], the mutation queued
    /// just before it in its scope is merged into it when it is not sent yet, also coalescing,
    /// and writes exactly the same fields: that one's layer is removed, its record becomes
    /// [`Coalesced`](MutationStatus::Coalesced), and the changes report the net effect.
    ///
    /// Cost: as `push`, plus O(log M) for M records kept; coalescing adds the removal of the
    /// earlier layer (as [`fail`](Store::fail)).
    ///
    /// ```
    /// use optimist::{Mutation, MutationStatus, Patch, Scope, Store};
    /// let mut store = Store::new();
    /// let scope = Scope::item("Slider:1")?;
    /// let volume = |v: i64| Mutation::new("volume", Patch::new().set("Slider:1", "value", v))
    ///     .scope(scope.clone()).coalesce();
    /// let (first, _) = store.mutate(volume(10))?;
    /// let (second, _) = store.mutate(volume(11))?;
    /// assert_eq!(store.mutation(first).unwrap().status(), &MutationStatus::Coalesced { into: second });
    /// assert_eq!(store.layers().count(), 1, "one layer, one request to send");
    /// assert_eq!(store.get_field("Slider:1", "value").and_then(|v| v.as_i64()), Some(11));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mutate(&mut self, mutation: Mutation) -> Result<(LayerId, Changes), PatchError> {
        self.exact(|this| {
            let result = this.mutate_now(mutation);
            this.report_drained();
            result
        })
    }

    fn mutate_now(&mut self, mutation: Mutation) -> Result<(LayerId, Changes), PatchError> {
        let Mutation {
            label,
            patch,
            request,
            scope,
            idempotency_key,
            coalesce,
            retry,
        } = mutation;
        let (id, mut changed) = self.push_layer(label.clone(), patch)?;
        self.mutations.insert(Record {
            id,
            label,
            request,
            idempotency_key: idempotency_key.unwrap_or_else(new_idempotency_key),
            scope,
            attempts: 0,
            unsent: 0,
            status: MutationStatus::Queued,
            retry: retry.unwrap_or(self.retry_policy),
            coalesce,
            retry_at: None,
        });
        if coalesce
            && let Some(earlier) = self.coalescable(id)
            && let Ok(more) = self.remove_layer(earlier, LayerEvent::Coalesced)
        {
            self.mutations
                .settle(earlier, MutationStatus::Coalesced { into: id });
            self.merge_changed(&mut changed, more);
        }
        Ok((id, self.finish(changed, Vec::new())))
    }

    /// The pending mutation `id` can merge: the latest pending one before it in its scope, if
    /// both coalesce, that one was never sent, and both write exactly the same fields.
    fn coalescable(&self, id: LayerId) -> Option<LayerId> {
        let record = self.mutations.get(id)?;
        let earlier = self
            .mutations
            .last_pending_in(record.scope.as_ref()?, id.seq)?;
        if !(earlier.coalesce && earlier.status == MutationStatus::Queued && earlier.attempts == 0)
        {
            return None;
        }
        let written = |id: LayerId| -> Option<HashSet<(&Key, &FieldName)>> {
            let layer = self.stack.get(id.slot).filter(|l| l.seq == id.seq)?;
            let mut fields = HashSet::new();
            for (key, ops) in &layer.ops {
                for op in ops {
                    match op {
                        Op::Write(entity) => fields.extend(entity.iter().map(|(f, _)| (key, f))),
                        Op::RemoveField(field) => {
                            fields.insert((key, field));
                        }
                        _ => return None,
                    }
                }
            }
            Some(fields)
        };
        let mine = written(id)?;
        (!mine.is_empty() && written(earlier.id)? == mine).then_some(earlier.id)
    }

    /// Adds to `changed` (keys with their view before a call) the keys of `more` (changed later
    /// in the same call), so each key is reported once, from its first view to its view now.
    fn merge_changed(&self, changed: &mut Vec<Changed>, more: Vec<Changed>) {
        for (key, before, _) in more {
            let first = match changed.iter().position(|(k, _, _)| *k == key) {
                Some(at) => changed.remove(at).1,
                None => before,
            };
            record(changed, &key, first.as_ref(), self.get(&key));
        }
    }

    /// The next mutation to send, marked [`InFlight`](MutationStatus::InFlight) with its
    /// attempt counted, or `None` if none is ready. A pending mutation is ready when it is the
    /// oldest pending one of its scope (or has none), is not in flight, and is queued, or
    /// retrying with its delay passed at `now`. Oldest first, so calling it until `None` gives
    /// every mutation that can go now, at most one per scope.
    ///
    /// Cost: O(P) for P pending mutations.
    ///
    /// ```
    /// use optimist::{Mutation, Patch, Scope, Store};
    /// use optimist::Instant;
    /// let mut store = Store::new();
    /// let rename = |t: &str| Mutation::new("rename", Patch::new().set("Todo:1", "title", t))
    ///     .scope(Scope::item("Todo:1").unwrap());
    /// let (first, _) = store.mutate(rename("a"))?;
    /// let (second, _) = store.mutate(rename("b"))?;
    /// let now = Instant::now();
    /// assert_eq!(store.next_to_send(now).map(|m| m.id), Some(first));
    /// assert_eq!(store.next_to_send(now), None, "the second waits for the first");
    /// store.report(first, optimist::Outcome::promote(), now)?;
    /// assert_eq!(store.next_to_send(now).map(|m| m.id), Some(second));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_to_send(&mut self, now: Instant) -> Option<Outgoing> {
        // Only the cancels of dropped guards run the app's updaters here (the rest marks one
        // record): the copy `exact` keeps is paid for them alone, not on every poll.
        if self.abandoned.is_queued() {
            self.exact(Store::drain_abandoned);
        }
        let id = self.ready(now).next().map(|record| record.id);
        let sent = id.and_then(|id| {
            let record = self.mutations.get_mut(id)?;
            record.attempts = record.attempts.saturating_add(1);
            record.status = MutationStatus::InFlight {
                attempt: record.attempts,
            };
            record.retry_at = None;
            Some(Outgoing {
                id,
                label: record.label.clone(),
                request: record.request.clone(),
                idempotency_key: record.idempotency_key.clone(),
                scope: record.scope.clone(),
                attempt: record.attempts,
            })
        });
        if let Some(out) = &sent {
            self.events.push((out.id, LayerEvent::Sent));
        }
        self.report_drained();
        sent
    }

    /// The mutations [`next_to_send`](Store::next_to_send) would hand out at `now`, oldest
    /// first, without marking them. O(P) for P pending mutations.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// store.push("a", Patch::new().set("A:1", "x", 1))?;
    /// store.push("b", Patch::new().set("B:1", "x", 1))?;
    /// assert_eq!(store.ready_to_send(optimist::Instant::now()).count(), 2, "no scope: both go");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ready_to_send(&self, now: Instant) -> impl Iterator<Item = MutationInfo<'_>> {
        self.ready(now).map(|record| MutationInfo {
            record,
            store: self,
        })
    }

    /// The oldest pending record of each scope, and every pending record with no scope.
    fn heads(&self) -> impl Iterator<Item = &Record> {
        let mut seen: HashSet<&Scope> = HashSet::new();
        self.mutations
            .iter()
            .filter(|record| record.status.is_pending())
            .filter(move |record| record.scope.as_ref().is_none_or(|scope| seen.insert(scope)))
    }

    fn ready(&self, now: Instant) -> impl Iterator<Item = &Record> {
        self.heads().filter(move |record| match record.status {
            MutationStatus::Queued => true,
            MutationStatus::Retrying { .. } => record.retry_at.is_none_or(|at| at <= now),
            _ => false,
        })
    }

    /// When the earliest retrying mutation that waits only for its delay becomes ready: a
    /// driver sleeps until then (or until a new mutation is made). O(P).
    ///
    /// ```
    /// use optimist::{Outcome, Patch, Store};
    /// use optimist::Instant;
    /// let mut store = Store::new();
    /// let (id, _) = store.push("save", Patch::new().set("A:1", "x", 1))?;
    /// let now = Instant::now();
    /// store.next_to_send(now);
    /// store.report(id, Outcome::Ambiguous("timeout".into()), now)?;
    /// assert_eq!(store.next_retry_at(), store.mutation(id).unwrap().retry_at());
    /// assert_eq!(store.next_to_send(now), None, "not before its delay");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_retry_at(&self) -> Option<Instant> {
        self.heads()
            .filter(|record| matches!(record.status, MutationStatus::Retrying { .. }))
            .filter_map(|record| record.retry_at)
            .min()
    }

    /// Reports how a send of mutation `id` ended (see [`Outcome`]) at `now`:
    ///
    /// * [`Committed`](Outcome::Committed): the layer is promoted or confirmed with the answer;
    ///   status [`Committed`](MutationStatus::Committed).
    /// * [`Rejected`](Outcome::Rejected): the layer fails (the guess is reverted); status
    ///   [`Failed`](MutationStatus::Failed), kept until [`dismiss`](Store::dismiss)ed.
    /// * [`Ambiguous`](Outcome::Ambiguous): the guess stays; status
    ///   [`Retrying`](MutationStatus::Retrying), ready again after the retry policy's delay,
    ///   with the same idempotency key; when the policy's attempts are spent, it fails as
    ///   [`GaveUp`](FailureKind::GaveUp).
    /// * [`NotSent`](Outcome::NotSent): as ambiguous, without counting the attempt.
    /// * [`Conflict`](Outcome::Conflict): the layer fails, the server's current data is
    ///   written into base, and the other entities the mutation touched are marked stale.
    ///
    /// Any pending mutation can be reported, sent through [`next_to_send`](Store::next_to_send)
    /// or not. A refused report (an unknown or settled mutation, a bad answer) changes nothing.
    /// Cost: as the settle call it makes.
    ///
    /// ```
    /// use optimist::{FailureKind, MutationStatus, Outcome, Patch, Store};
    /// use optimist::Instant;
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("Todo:1", "title", "a"))?;
    /// let (id, _) = store.push("rename", Patch::new().set("Todo:1", "title", "b"))?;
    /// let now = Instant::now();
    /// store.next_to_send(now);
    /// store.report(id, Outcome::Rejected("422: title taken".into()), now)?;
    /// assert_eq!(store.get_field("Todo:1", "title").and_then(|v| v.as_str()), Some("a"));
    /// let MutationStatus::Failed(failure) = store.mutation(id).unwrap().status() else { panic!() };
    /// assert_eq!((failure.kind, &*failure.message), (FailureKind::Rejected, "422: title taken"));
    /// assert!(store.report(id, Outcome::promote(), now).is_err(), "settled once");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn report(
        &mut self,
        id: LayerId,
        outcome: Outcome,
        now: Instant,
    ) -> Result<Changes, MutationError> {
        self.exact(|this| {
            let result = this.report_now(id, outcome, now);
            this.report_drained();
            result
        })
    }

    fn report_now(
        &mut self,
        id: LayerId,
        outcome: Outcome,
        now: Instant,
    ) -> Result<Changes, MutationError> {
        self.drain_abandoned();
        match self.mutations.get(id) {
            None => return Err(MutationError::NotAMutation(id)),
            Some(record) if !record.status.is_pending() => {
                return Err(MutationError::AlreadySettled(id));
            }
            Some(_) => {}
        }
        let failed = |kind, message| MutationStatus::Failed(Failure { kind, message });
        match outcome {
            Outcome::Committed(answer) => {
                let settled = match answer {
                    Answer::Promote => return Ok(self.promote_now(id)?),
                    Answer::Confirm(patch) => self.settle_with_now(id, patch, false),
                    Answer::ConfirmKeepingRelative(patch) => self.settle_with_now(id, patch, true),
                };
                settled.map_err(|err| match err {
                    crate::ConfirmError::Layer(err) => MutationError::Layer(err),
                    crate::ConfirmError::Patch(err) => MutationError::Patch(err),
                })
            }
            Outcome::Rejected(message) => {
                // The failure is restated with its message before the watchers are told.
                let changed = self.remove_layer(id, LayerEvent::Failed)?;
                self.mutations
                    .restate(id, failed(FailureKind::Rejected, message));
                Ok(self.finish(changed, Vec::new()))
            }
            Outcome::Ambiguous(reason) => self.retry_later(id, reason, true, now),
            Outcome::NotSent(reason) => self.retry_later(id, reason, false, now),
            Outcome::Conflict { message, current } => {
                let ops = self.admit(current)?;
                let touched: Vec<Key> = self
                    .stack
                    .get(id.slot)
                    .map(|layer| layer.ops.keys().cloned().collect())
                    .unwrap_or_default();
                let mut changed = self.remove_layer(id, LayerEvent::Failed)?;
                let (more, ignored) = self.write_ops(&ops);
                self.merge_changed(&mut changed, more);
                // Confirmed layers this one held up fold in now, before the marks: their
                // answers came before the conflict, so they do not clear it.
                self.squash();
                for key in touched {
                    if !ops.contains_key(&key) {
                        let _ = self.invalidate(key);
                    }
                }
                self.mutations
                    .restate(id, failed(FailureKind::Conflict, message));
                Ok(self.finish(changed, ignored))
            }
        }
    }

    /// Keeps an ambiguous (or unsent) mutation's guess and schedules its next send, or fails
    /// it when its retry policy allows no more attempts.
    fn retry_later(
        &mut self,
        id: LayerId,
        reason: std::sync::Arc<str>,
        counted: bool,
        now: Instant,
    ) -> Result<Changes, MutationError> {
        let Some(record) = self.mutations.get_mut(id) else {
            return Err(MutationError::NotAMutation(id));
        };
        let was_sent = matches!(record.status, MutationStatus::InFlight { .. });
        if !counted && was_sent {
            record.attempts = record.attempts.saturating_sub(1);
            record.unsent = record.unsent.saturating_add(1);
        }
        if counted && !record.retry.allows(record.attempts) {
            // Restated with its reason before the watchers are told (as a rejection).
            self.drain_abandoned();
            let changed = self.remove_layer(id, LayerEvent::Failed)?;
            self.mutations.restate(
                id,
                MutationStatus::Failed(Failure {
                    kind: FailureKind::GaveUp,
                    message: reason,
                }),
            );
            return Ok(self.finish(changed, Vec::new()));
        }
        let waits = record.attempts.saturating_add(record.unsent).max(1);
        record.retry_at = Some(not_before(
            now,
            record.retry.delay(&record.idempotency_key, waits),
        ));
        record.status = MutationStatus::Retrying {
            attempts: record.attempts,
            reason,
        };
        self.events.push((id, LayerEvent::Retrying));
        Ok(self.finish(Vec::new(), Vec::new()))
    }

    /// Puts a mutation in flight whose send was abandoned (the task that sent it was
    /// cancelled, the app is shutting down) back to [`Retrying`](MutationStatus::Retrying),
    /// ready at once, its attempt counted and its guess kept: the request may have reached the
    /// server, which dedupes the resend by its idempotency key. What a load does to mutations
    /// saved in flight. Refused for a mutation that is not in flight.
    ///
    /// ```
    /// use optimist::{MutationStatus, Patch, Store};
    /// use optimist::Instant;
    /// let mut store = Store::new();
    /// let (id, _) = store.push("save", Patch::new().set("A:1", "x", 1))?;
    /// assert!(store.interrupt(id).is_err(), "not in flight");
    /// store.next_to_send(Instant::now());
    /// store.interrupt(id)?;
    /// assert!(matches!(store.mutation(id).unwrap().status(), MutationStatus::Retrying { attempts: 1, .. }));
    /// assert_eq!(store.next_to_send(Instant::now()).map(|m| m.attempt), Some(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn interrupt(&mut self, id: LayerId) -> Result<(), MutationError> {
        let record = self
            .mutations
            .get_mut(id)
            .ok_or(MutationError::NotAMutation(id))?;
        let MutationStatus::InFlight { attempt } = record.status else {
            return Err(MutationError::NotInFlight(id));
        };
        record.status = MutationStatus::Retrying {
            attempts: attempt,
            reason: std::sync::Arc::from(crate::persist::INTERRUPTED),
        };
        record.retry_at = None;
        self.events.push((id, LayerEvent::Retrying));
        self.report_drained();
        Ok(())
    }

    /// The record of mutation `id`, if the store keeps one: every pending intent has one, and
    /// settled ones stay (failures until [`dismiss`](Store::dismiss)ed) up to
    /// [`MAX_SETTLED_MUTATIONS`](crate::MAX_SETTLED_MUTATIONS). O(log M).
    ///
    /// ```
    /// use optimist::{MutationStatus, Patch, Store};
    /// let mut store = Store::new();
    /// let (id, _) = store.push("save", Patch::new().set("A:1", "x", 1))?;
    /// store.promote(id)?;
    /// assert_eq!(store.mutation(id).unwrap().status(), &MutationStatus::Committed);
    /// let query = store.reserve("query");
    /// assert!(store.mutation(query).is_none(), "queries have no record");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mutation(&self, id: LayerId) -> Option<MutationInfo<'_>> {
        self.mutations.get(id).map(|record| MutationInfo {
            record,
            store: self,
        })
    }

    /// Every mutation record kept, in request order.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// store.push("a", Patch::new().set("A:1", "x", 1))?;
    /// store.push("b", Patch::new().set("A:1", "x", 2))?;
    /// assert_eq!(store.mutations().map(|m| m.label()).collect::<Vec<_>>(), ["a", "b"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mutations(&self) -> impl DoubleEndedIterator<Item = MutationInfo<'_>> {
        self.mutations.iter().map(|record| MutationInfo {
            record,
            store: self,
        })
    }

    /// Whether any mutation is pending (queued, in flight or retrying). O(1).
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let (id, _) = store.push("save", Patch::new().set("A:1", "x", 1))?;
    /// assert!(store.is_mutating());
    /// store.promote(id)?;
    /// assert!(!store.is_mutating());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_mutating(&self) -> bool {
        self.mutations.pending_count() > 0
    }

    /// The pending mutations whose guess touches `key` (and, with `field`, that field: an
    /// updater or a delete of the entity counts for every field), in request order. O(layers
    /// on the key).
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// store.push("tick", Patch::new().set("Todo:1", "done", true))?;
    /// store.push("rename", Patch::new().set("Todo:1", "title", "b"))?;
    /// assert_eq!(store.mutations_touching("Todo:1", None).count(), 2);
    /// let saving_title: Vec<_> = store.mutations_touching("Todo:1", Some("title")).map(|m| m.label()).collect();
    /// assert_eq!(saving_title, ["rename"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mutations_touching<'a>(
        &'a self,
        key: &'a str,
        field: Option<&'a str>,
    ) -> impl Iterator<Item = MutationInfo<'a>> + 'a {
        self.stack
            .layers_on(key)
            .filter(move |(_, layer, ops)| {
                layer.kind == LayerKind::Intent
                    && layer.state == LayerState::Pending
                    && field.is_none_or(|field| ops.iter().any(|op| touches_field(op, field)))
            })
            .filter_map(move |(slot, _, _)| self.mutation(self.id_of(slot)))
            .filter(|info| info.status().is_pending())
    }

    /// The failed mutations not yet dismissed, in request order: what a UI shows as errors.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let (id, _) = store.push("save", Patch::new().set("A:1", "x", 1))?;
    /// store.fail(id)?;
    /// assert_eq!(store.failed_mutations().count(), 1);
    /// assert!(store.dismiss(id));
    /// assert_eq!(store.failed_mutations().count(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn failed_mutations(&self) -> impl DoubleEndedIterator<Item = MutationInfo<'_>> {
        self.mutations()
            .filter(|info| matches!(info.status(), MutationStatus::Failed(_)))
    }

    /// Forgets a settled mutation's record (a failure the user has seen), and tells the layer
    /// and mutation watchers ([`LayerEvent::Dismissed`]). Returns false, and does nothing, for
    /// a pending or unknown mutation. O(S) for S settled records kept.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let (id, _) = store.push("save", Patch::new().set("A:1", "x", 1))?;
    /// assert!(!store.dismiss(id), "pending");
    /// store.promote(id)?;
    /// assert!(store.dismiss(id));
    /// assert!(store.mutation(id).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dismiss(&mut self, id: LayerId) -> bool {
        let dismissed = self.mutations.dismiss(id);
        if dismissed {
            // Every handle showing it is told: layer watchers of a `Dismissed` event, mutation
            // watchers of its record gone.
            self.events.push((id, LayerEvent::Dismissed));
            self.notify_unreported(Changes::default());
        }
        dismissed
    }

    /// The retry policy of mutations made without one of their own.
    ///
    /// ```
    /// assert_eq!(optimist::Store::new().retry_policy(), optimist::RetryPolicy::default());
    /// ```
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry_policy
    }

    /// Sets the retry policy of mutations made from now on without one of their own.
    ///
    /// ```
    /// let mut store = optimist::Store::new();
    /// store.set_retry_policy(optimist::RetryPolicy::forever());
    /// assert_eq!(store.retry_policy().max_attempts, None);
    /// ```
    pub fn set_retry_policy(&mut self, policy: RetryPolicy) {
        self.retry_policy = policy;
    }

    /// Whether every field the live layer `id` sets is set again by a later pending intent
    /// (see [`MutationInfo::is_superseded`]).
    pub(crate) fn superseded(&self, id: LayerId) -> bool {
        let Some(layer) = self.stack.get(id.slot).filter(|l| l.seq == id.seq) else {
            return false;
        };
        !layer.ops.is_empty()
            && layer.ops.iter().all(|(key, ops)| {
                let later: Vec<&Op> = self
                    .stack
                    .layers_on(key)
                    .filter(|(_, other, _)| {
                        other.place > layer.place
                            && other.kind == LayerKind::Intent
                            && other.state == LayerState::Pending
                    })
                    .flat_map(|(_, _, ops)| ops)
                    .collect();
                let deleted = later.iter().any(|op| matches!(op, Op::Delete));
                let covered = |field: &str| {
                    deleted
                        || later.iter().any(|op| match op {
                            Op::Write(entity) => entity.get(field).is_some(),
                            Op::RemoveField(removed) => removed.as_str() == field,
                            _ => false,
                        })
                };
                ops.iter().all(|op| match op {
                    Op::Write(entity) => entity.iter().all(|(field, _)| covered(field)),
                    Op::RemoveField(field)
                    | Op::Increment { field, .. }
                    | Op::ListInsert { field, .. }
                    | Op::ListRemove { field, .. } => covered(field),
                    Op::Delete | Op::Update { .. } => deleted,
                })
            })
    }
}

/// Whether `op` may change `field` of its entity.
fn touches_field(op: &Op, field: &str) -> bool {
    match op {
        Op::Write(entity) => entity.get(field).is_some(),
        Op::RemoveField(name)
        | Op::Increment { field: name, .. }
        | Op::ListInsert { field: name, .. }
        | Op::ListRemove { field: name, .. } => name.as_str() == field,
        Op::Delete | Op::Update { .. } => true,
    }
}

/// `now + delay`; when the clock cannot express that instant, the furthest of `now + delay / 2`,
/// `now + delay / 4`, ... that leaves as much room again after it. A wait too long to express
/// is a wait into the far future (beyond a century on any clock), never no wait at all; the
/// room left keeps a timer that rounds the instant up (tokio rounds a deadline up to its next
/// millisecond) from overflowing in turn.
fn not_before(now: Instant, delay: Duration) -> Instant {
    now.checked_add(delay).unwrap_or_else(|| {
        let mut wait = delay / 2;
        while now.checked_add(wait * 2).is_none() {
            wait /= 2;
        }
        now + wait
    })
}
