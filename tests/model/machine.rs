//! The reference half of the state machine: which transitions apply in a state, how likely
//! each is, and what each does to the [`Model`].

use std::collections::BTreeSet;

use optimist::{FailureKind, LayerState, RetryPolicy};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;
use proptest_state_machine::ReferenceStateMachine;

use crate::model::{Model, RefLayer, RemapOutcome, Temp, Watch};
use crate::outbox::{ROutcome, RStatus, mutation_arms};
use crate::reference::{FRESH, KOp, MOp, TEMPS, all_keys, refs_of};
use crate::strategies::{
    Panicking, Transition, bad, document, field, how, hygiene_arms, label, ops_naming, some_fields,
};

pub(crate) struct ModelTest;

/// Whether an op is relative (kept by `confirm_keeping_relative`).
fn is_relative(op: &KOp) -> bool {
    matches!(
        op.op,
        MOp::Increment(..) | MOp::Insert(..) | MOp::RemoveItem(..) | MOp::Update(..)
    )
}

impl Model {
    /// Whether `ops` name only minted temporary keys (as keys and in refs), and no two
    /// remapped keys of the same target (whose relative order a patch does not keep).
    fn admits(&self, ops: &[KOp]) -> bool {
        let minted = |key: &str| !TEMPS.contains(&key) || self.temps.contains_key(key);
        let mut targets = BTreeSet::new();
        let mut aliases = BTreeSet::new();
        for op in ops {
            if !minted(op.key) || !refs_of(&op.op).iter().all(|key| minted(key)) {
                return false;
            }
            if let Some(Temp::Alias(to)) = self.temps.get(op.key)
                && aliases.insert(op.key)
                && !targets.insert(*to)
            {
                return false;
            }
        }
        true
    }

    /// The view keys the layer `name` is skipped on, as older than what lies below it.
    fn skipped(&self, name: u32) -> Vec<&'static str> {
        all_keys()
            .filter(|key| self.fold(key).1.contains(&name))
            .collect()
    }

    /// Reserves layer `name`: an observation never lands above an intent still in flight, so
    /// it goes just below the oldest pending intent, or on top when there is none.
    pub(crate) fn reserve(&mut self, name: u32) {
        self.handles.push(name);
        let pending = |layer: &RefLayer| layer.intent && layer.state == LayerState::Pending;
        let at = self
            .layers
            .iter()
            .position(pending)
            .unwrap_or(self.layers.len());
        let waits = self
            .layers
            .iter()
            .filter(|layer| pending(layer))
            .map(|layer| layer.name)
            .collect();
        self.waiting.insert(name, waits);
        self.layers.insert(
            at,
            RefLayer {
                name,
                label: label(name),
                intent: false,
                state: LayerState::Pending,
                ops: Vec::new(),
                made_at: self.hygiene.clock,
            },
        );
    }

    pub(crate) fn confirm(&mut self, name: u32, ops: Vec<KOp>) {
        let layer = self.live_mut(name);
        layer.ops = ops;
        layer.state = LayerState::Confirmed;
        self.ignored = self.skipped(name);
    }
}

impl ReferenceStateMachine for ModelTest {
    type State = Model;
    type Transition = Transition;

    fn init_state() -> BoxedStrategy<Model> {
        Just(Model::default()).boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Transition> {
        use Transition::*;
        let next = u32::try_from(state.handles.len()).expect("few layers");
        let temps: Vec<&'static str> = state.temps.keys().copied().collect();
        let ops = |size| ops_naming(&temps, size);
        let mut arms: Vec<(u32, BoxedStrategy<Transition>)> = vec![
            (12, ops(1..5).prop_map(Write).boxed()),
            (25, ops(1..6).prop_map(move |ops| Push(next, ops)).boxed()),
            (4, Just(Reserve(next)).boxed()),
            (
                4,
                ops(1..4)
                    .prop_map(move |ops| WriteObserved(next, ops))
                    .boxed(),
            ),
            (3, Just(ReserveGuarded(next)).boxed()),
            (
                4,
                (select(all_keys().collect::<Vec<_>>()), field())
                    .prop_map(|(k, f)| Read(k, f))
                    .boxed(),
            ),
            (1, how().prop_map(Foreign).boxed()),
            (1, Just(CollectAbandoned).boxed()),
            (
                2,
                (ops(0..3), bad())
                    .prop_map(|(ops, bad)| RejectWrite(ops, bad))
                    .boxed(),
            ),
            (
                2,
                (ops(0..3), bad())
                    .prop_map(|(ops, bad)| RejectPush(ops, bad))
                    .boxed(),
            ),
            (
                1,
                ops(0..3)
                    .prop_map(|ops| UpdaterPanics(Panicking::Write(ops)))
                    .boxed(),
            ),
            (
                1,
                ops(0..3)
                    .prop_map(|ops| UpdaterPanics(Panicking::Push(ops)))
                    .boxed(),
            ),
            (1, ops(1..3).prop_map(WatcherPanics).boxed()),
        ];
        let watch = u32::try_from(state.watched.len()).expect("few watchers");
        let keys: Vec<&'static str> = all_keys()
            .filter(|key| !TEMPS.contains(key) || state.temps.contains_key(key))
            .collect();
        arms.push((
            2,
            select(keys.clone())
                .prop_map(move |key| WatchEntity(watch, key))
                .boxed(),
        ));
        arms.push((
            2,
            (select(keys), some_fields())
                .prop_map(move |(key, fields)| WatchFields(watch, key, fields))
                .boxed(),
        ));
        arms.push((
            4,
            document()
                .prop_map(move |doc| WatchQuery(watch, doc))
                .boxed(),
        ));
        if !state.watching.is_empty() {
            let live: Vec<u32> = state.watching.iter().copied().collect();
            arms.push((2, select(live).prop_map(Unwatch).boxed()));
        }
        arms.push((5, batch(state, &temps)));
        if let Some(name) = TEMPS.iter().find(|t| !state.temps.contains_key(*t)) {
            arms.push((3, Just(Mint(name)).boxed()));
        }
        if !temps.is_empty() {
            let onto: Vec<&'static str> = ["Item:1", "Item:2", FRESH, "Note:1"]
                .into_iter()
                .chain(temps.iter().copied())
                .collect();
            let from = prop_oneof![9 => select(temps.clone()), 1 => Just("Item:1")];
            let to = prop_oneof![9 => select(onto), 1 => select(vec!["ROOT_QUERY", "Item:"])];
            arms.push((6, (from, to).prop_map(|(f, t)| Remap(f, t)).boxed()));
        }
        let pending: Vec<u32> = state
            .layers
            .iter()
            .map(|layer| layer.name)
            .filter(|name| state.is_settleable(*name))
            .collect();
        if !pending.is_empty() {
            let pick = || select(pending.clone());
            arms.push((7, pick().prop_map(Promote).boxed()));
            arms.push((
                7,
                (pick(), ops(0..5))
                    .prop_map(|(name, ops)| Confirm(name, ops))
                    .boxed(),
            ));
            arms.push((
                5,
                (pick(), ops(0..4))
                    .prop_map(|(name, ops)| ConfirmKeepingRelative(name, ops))
                    .boxed(),
            ));
            arms.push((10, pick().prop_map(Fail).boxed()));
            arms.push((3, pick().prop_map(Cancel).boxed()));
            arms.push((
                2,
                (pick(), ops(0..3), bad())
                    .prop_map(|(name, ops, bad)| RejectConfirm(name, ops, bad))
                    .boxed(),
            ));
            arms.push((
                1,
                (pick(), ops(0..3))
                    .prop_map(|(name, ops)| UpdaterPanics(Panicking::Confirm(name, ops)))
                    .boxed(),
            ));
        }
        let unguarded: Vec<u32> = state
            .handles
            .iter()
            .copied()
            .filter(|name| !state.guarded.contains(name))
            .collect();
        if !unguarded.is_empty() {
            arms.push((3, select(unguarded).prop_map(Guard).boxed()));
        }
        if !state.guarded.is_empty() {
            let guarded: Vec<u32> = state.guarded.iter().copied().collect();
            arms.push((5, select(guarded.clone()).prop_map(DropGuard).boxed()));
            arms.push((1, select(guarded).prop_map(Disarm).boxed()));
        }
        let settled: Vec<u32> = state
            .handles
            .iter()
            .copied()
            .filter(|name| !state.is_settleable(*name))
            .collect();
        if !settled.is_empty() {
            arms.push((
                4,
                (select(settled), how())
                    .prop_map(|(name, how)| SettleAgain(name, how))
                    .boxed(),
            ));
        }
        mutation_arms(state, &temps, &mut arms);
        hygiene_arms(state, &mut arms);
        Union::new_weighted(arms).boxed()
    }

    fn preconditions(state: &Model, transition: &Transition) -> bool {
        use Transition::*;
        if !state.admits(transition.ops()) {
            return false;
        }
        let minted = |key: &str| !TEMPS.contains(&key) || state.temps.contains_key(key);
        match transition {
            WatchEntity(name, key) | WatchFields(name, key, _) => {
                !state.watched.contains(name) && minted(key)
            }
            WatchQuery(name, _) => !state.watched.contains(name),
            Unwatch(name) => state.watching.contains(name),
            Batch(calls) => {
                // Each call applies where the calls before it left the reference.
                let mut state = state.clone();
                for call in calls {
                    let batchable = matches!(
                        call,
                        Write(_)
                            | Push(..)
                            | Promote(_)
                            | Confirm(..)
                            | ConfirmKeepingRelative(..)
                            | Fail(_)
                            | Cancel(_)
                    );
                    if !batchable || !Self::preconditions(&state, call) {
                        return false;
                    }
                    state = Self::apply(state, call);
                }
                true
            }
            Push(name, _) | Reserve(name) | ReserveGuarded(name) | WriteObserved(name, _) => {
                !state.handles.contains(name)
            }
            Promote(name)
            | Confirm(name, _)
            | ConfirmKeepingRelative(name, _)
            | Fail(name)
            | Cancel(name)
            | RejectConfirm(name, _, _)
            | UpdaterPanics(Panicking::Confirm(name, _)) => state.is_settleable(*name),
            SettleAgain(name, _) => {
                state.handles.contains(name)
                    && !state.is_settleable(*name)
                    && !state.outbox.lost.contains(name)
            }
            Guard(name) => {
                state.handles.contains(name)
                    && !state.guarded.contains(name)
                    && !state.outbox.lost.contains(name)
            }
            Mutate(name, ..) => !state.handles.contains(name),
            Report(name, outcome) => {
                let rec = state.outbox.rec(*name);
                let sent = rec.is_some_and(|rec| {
                    matches!(rec.status, RStatus::InFlight(_)) && rec.key.is_some()
                });
                state.outbox.is_pending(*name)
                    && state.is_settleable(*name)
                    && (sent || !matches!(outcome, ROutcome::Ambiguous | ROutcome::NotSent))
            }
            Dismiss(name) => state.outbox.rec(*name).is_some(),
            SaveLoad => {
                state.guarded.is_empty() && state.abandoned.is_empty() && state.watching.is_empty()
            }
            NextToSend | Advance(_) => true,
            DropGuard(name) | Disarm(name) => state.guarded.contains(name),
            Mint(name) => TEMPS.contains(name) && !state.temps.contains_key(name),
            Remap(from, to) => minted(from) && minted(to),
            Read(key, _)
            | Invalidate(key)
            | InvalidateField(key, _)
            | Retain(key)
            | Release(key)
            | Evict(key)
            | EvictField(key, _) => minted(key),
            TagWatch(name, _) => state.watches.contains_key(name),
            InvalidateQuery(_) | InvalidateTag(_) | Gc => true,
            Write(_) | Foreign(_) | RejectWrite(..) | RejectPush(..) | CollectAbandoned => true,
            UpdaterPanics(Panicking::Write(_) | Panicking::Push(_)) | WatcherPanics(_) => true,
        }
    }

    fn apply(mut state: Model, transition: &Transition) -> Model {
        use Transition::*;
        if let Batch(calls) = transition {
            for call in calls {
                state = Self::apply(state, call);
            }
            // Each call is checked against the store's view; the batch reports nothing of its
            // own (the watchers' checks cover what it tells).
            state.changed = None;
            state.ignored = Vec::new();
            state.remapped = None;
            return state;
        }
        state.changed = None;
        state.ignored = Vec::new();
        state.drained = false;
        state.remapped = None;
        state.outbox.sent = None;
        state.outbox.dismissed = None;
        state.outbox.marked = Vec::new();
        state.hygiene.answer = None;
        let mut before = state.view();
        if transition.is_mutating() {
            // The cancels are a call of their own, made first: what they unblock folds into
            // base before this call acts (a direct write lands on top of it).
            state.drain();
            state.squash();
            let drained = state.view();
            if drained != before && state.carry.is_none() {
                // The view as the last report left it: the next report says what changed
                // since, as one net change.
                state.carry = Some(before);
            }
            before = drained;
        }
        let reports = match transition {
            Write(ops) => {
                let ops = state.admit(ops);
                state.ignored = state.write_base(&ops);
                true
            }
            // Applied in full; what it reports is lost with the panic (cleared below).
            WatcherPanics(ops) => {
                let ops = state.admit(ops);
                state.ignored = state.write_base(&ops);
                true
            }
            Push(name, ops) => {
                let ops = state.admit(ops);
                state.handles.push(*name);
                state.layers.push(RefLayer {
                    name: *name,
                    label: label(*name),
                    intent: true,
                    state: LayerState::Pending,
                    ops,
                    made_at: state.hygiene.clock,
                });
                state.record(*name, None, None, false, RetryPolicy::default());
                true
            }
            Mutate(..) | NextToSend | Report(..) | Dismiss(_) | Advance(_) => {
                crate::outbox::apply(&mut state, transition)
            }
            SaveLoad => {
                // No watcher is registered at a load: the loaded store knows none.
                state.watches.clear();
                crate::outbox::apply(&mut state, transition)
            }
            Invalidate(_) | InvalidateField(..) | InvalidateQuery(_) | TagWatch(..)
            | InvalidateTag(_) | Retain(_) | Release(_) | Gc | Evict(_) | EvictField(..) => {
                crate::hygiene::apply(&mut state, transition)
            }
            WriteObserved(name, ops) => {
                // A push is an observation made now: with one in flight, it lands where a
                // reservation would, confirmed at once; with none, it is a direct write.
                let ops = state.admit(ops);
                let in_flight = state
                    .layers
                    .iter()
                    .any(|layer| !layer.intent && layer.state == LayerState::Pending);
                if in_flight {
                    state.reserve(*name);
                    state.confirm(*name, ops);
                } else {
                    state.ignored = state.write_base(&ops);
                }
                true
            }
            Reserve(name) | ReserveGuarded(name) => {
                state.reserve(*name);
                if matches!(transition, ReserveGuarded(_)) {
                    state.guarded.insert(*name);
                }
                false
            }
            Promote(name) => {
                let ops = state.live_mut(*name).ops.clone();
                state.confirm(*name, ops);
                state.outbox.settle(*name, RStatus::Committed);
                true
            }
            Confirm(name, ops) => {
                let ops = state.admit(ops);
                state.confirm(*name, ops);
                state.outbox.settle(*name, RStatus::Committed);
                true
            }
            ConfirmKeepingRelative(name, ops) => {
                let answer = state.admit(ops);
                let kept = state
                    .live_mut(*name)
                    .ops
                    .iter()
                    .filter(|op| is_relative(op));
                let ops = kept.cloned().chain(answer).collect();
                state.confirm(*name, ops);
                state.outbox.settle(*name, RStatus::Committed);
                true
            }
            Fail(name) => {
                state.remove(*name);
                let failed = RStatus::Failed(FailureKind::Rejected, String::new());
                state.outbox.settle(*name, failed);
                true
            }
            Cancel(name) => {
                state.remove(*name);
                state.outbox.settle(*name, RStatus::Abandoned);
                true
            }
            Remap(from, to) => {
                // Onto a key that was remapped itself: onto the key it became.
                let to = match state.temps.get(to) {
                    Some(Temp::Alias(target)) => *target,
                    _ => *to,
                };
                let outcome = state.remap_outcome(from, to);
                state.remapped = Some(outcome);
                if outcome == RemapOutcome::Done {
                    state.ignored = state.remap(from, to);
                }
                outcome == RemapOutcome::Done
            }
            Mint(name) => {
                state.temps.insert(name, Temp::Live);
                false
            }
            Guard(name) => {
                state.guarded.insert(*name);
                false
            }
            DropGuard(name) => {
                state.guarded.remove(name);
                if state.is_settleable(*name) {
                    state.abandoned.push(*name);
                }
                false
            }
            Disarm(name) => {
                state.guarded.remove(name);
                false
            }
            CollectAbandoned => true,
            WatchEntity(name, key) | WatchFields(name, key, _) => {
                state.watching.insert(*name);
                state.watched.insert(*name);
                state.watches.insert(*name, Watch::Entity(key));
                false
            }
            WatchQuery(name, doc) => {
                state.watching.insert(*name);
                state.watched.insert(*name);
                state.watches.insert(*name, Watch::Query(doc.clone()));
                false
            }
            Unwatch(name) => {
                state.watching.remove(name);
                state.hygiene.untag(*name);
                false
            }
            Batch(_) => unreachable!("applied call by call above"),
            SettleAgain(..) | Foreign(_) | RejectWrite(..) | RejectPush(..) | RejectConfirm(..)
            | UpdaterPanics(_) | Read(..) => false,
        };
        if transition.is_mutating() {
            state.squash();
        }
        let own = diff(&before, &state.view());
        state.ignored.sort_unstable();
        if reports {
            let since = state.carry.take().unwrap_or(before);
            let mut changed = diff(&since, &state.view());
            changed.sort_unstable();
            state.changed = Some(changed);
            if matches!(transition, WatcherPanics(_)) {
                state.changed = None;
                state.ignored = Vec::new();
            }
        } else {
            assert!(own.is_empty(), "{transition:?} changed the view");
        }
        state
    }
}

/// Two or three mutating calls for one batch: writes, pushes (named from the next free name on)
/// and settles of distinct pending layers.
fn batch(state: &Model, temps: &[&'static str]) -> BoxedStrategy<Transition> {
    use Transition::*;
    let next = u32::try_from(state.handles.len()).expect("few layers");
    let ops = |size| ops_naming(temps, size);
    let pending: Vec<u32> = state
        .layers
        .iter()
        .map(|layer| layer.name)
        .filter(|name| state.is_settleable(*name))
        .collect();
    let mut arms: Vec<(u32, BoxedStrategy<Transition>)> = vec![
        (3, ops(1..4).prop_map(Write).boxed()),
        (4, ops(1..4).prop_map(|ops| Push(u32::MAX, ops)).boxed()),
    ];
    if !pending.is_empty() {
        let pick = || select(pending.clone());
        arms.push((2, pick().prop_map(Promote).boxed()));
        arms.push((3, pick().prop_map(Fail).boxed()));
        arms.push((
            2,
            (pick(), ops(0..3))
                .prop_map(|(name, ops)| Confirm(name, ops))
                .boxed(),
        ));
    }
    proptest::collection::vec(Union::new_weighted(arms), 2..=3)
        .prop_map(move |calls| {
            let mut pushed = next;
            let mut settled = BTreeSet::new();
            let calls = calls
                .into_iter()
                .map(|call| match call {
                    Push(_, ops) => {
                        pushed += 1;
                        Push(pushed - 1, ops)
                    }
                    // A layer settled twice in one batch: the second is a plain write.
                    Promote(name) | Fail(name) | Confirm(name, _) if !settled.insert(name) => {
                        Write(Vec::new())
                    }
                    call => call,
                })
                .collect();
            Batch(calls)
        })
        .boxed()
}

/// The keys whose entity differs between two views.
fn diff(
    before: &crate::reference::Entities,
    after: &crate::reference::Entities,
) -> Vec<&'static str> {
    all_keys()
        .filter(|key| before.get(key) != after.get(key))
        .collect()
}
