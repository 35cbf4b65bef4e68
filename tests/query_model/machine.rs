//! The reference half of the state machine: which steps apply in a state, how likely each
//! is, and what each does to the [`Model`].

use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;
use proptest_state_machine::ReferenceStateMachine;

use crate::reference::{Expect, Model, not_modelled};
use crate::steps::{KEYS, Kind, Opts, Policy, Step};
use crate::store::Layer;

pub(crate) struct QueryMachine;

pub(crate) fn opts() -> impl Strategy<Value = Opts> {
    (
        select(vec![
            Policy::CacheFirst,
            Policy::CacheAndNetwork,
            Policy::NoCache,
            Policy::CacheOnly,
        ]),
        select(vec![None, Some(0), Some(2), Some(5)]),
        1..=3u32,
        select(vec![2u64, 5]),
    )
        .prop_map(|(policy, stale, attempts, gc)| Opts {
            policy,
            stale,
            attempts,
            gc,
        })
}

pub(crate) fn kind() -> impl Strategy<Value = Kind> {
    select(vec![Kind::Offline, Kind::Transient, Kind::Permanent])
}

impl ReferenceStateMachine for QueryMachine {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        Just(Model::default()).boxed()
    }

    fn transitions(m: &Model) -> BoxedStrategy<Step> {
        let mut arms: Vec<(u32, BoxedStrategy<Step>)> = vec![
            (
                5,
                (0..KEYS, opts())
                    .prop_map(|(key, o)| Step::Observe(key, o))
                    .boxed(),
            ),
            (4, (0..4u64).prop_map(Step::Advance).boxed()),
            (6, Just(Step::NextFetch).boxed()),
            (1, Just(Step::Offline).boxed()),
            (2, Just(Step::Online).boxed()),
            (2, Just(Step::Focus).boxed()),
            (1, (0..KEYS).prop_map(Step::Invalidate).boxed()),
            (
                2,
                (0..KEYS, 0..4u8)
                    .prop_map(|(key, g)| Step::Push(key, g))
                    .boxed(),
            ),
            (3, Just(Step::Gc).boxed()),
        ];
        let held: Vec<usize> = (0..KEYS).filter(|key| m.view_field(*key)).collect();
        if !held.is_empty() {
            // A field the store holds: the invalidation marks something.
            arms.push((4, select(held).prop_map(Step::Invalidate).boxed()));
        }
        let observers: Vec<usize> = m.observers.keys().copied().collect();
        if !observers.is_empty() {
            arms.push((4, select(observers).prop_map(Step::Unobserve).boxed()));
        }
        let in_flight: Vec<usize> = m.records.values().filter_map(|rec| rec.fetch).collect();
        if !in_flight.is_empty() {
            arms.push((
                10,
                (select(in_flight.clone()), 0..5u8)
                    .prop_map(|(f, n)| Step::Resolve(f, n))
                    .boxed(),
            ));
            arms.push((
                4,
                (select(in_flight), kind())
                    .prop_map(|(f, k)| Step::Reject(f, k))
                    .boxed(),
            ));
        }
        if !m.fetches.is_empty() {
            // Any fetch ever handed out: most are no longer awaited.
            arms.push((
                1,
                (0..m.fetches.len(), 0..5u8)
                    .prop_map(|(f, n)| Step::Resolve(f, n))
                    .boxed(),
            ));
        }
        if m.records_made > 0 {
            arms.push((2, (0..m.records_made).prop_map(Step::Refetch).boxed()));
        }
        let pending = m.pending_intents();
        if !pending.is_empty() {
            arms.push((2, select(pending.clone()).prop_map(Step::Fail).boxed()));
            arms.push((2, select(pending).prop_map(Step::Promote).boxed()));
        }
        Union::new_weighted(arms).boxed()
    }

    fn preconditions(m: &Model, step: &Step) -> bool {
        let valid = match step {
            Step::Unobserve(o) => m.observers.contains_key(o),
            Step::Resolve(f, _) | Step::Reject(f, _) => *f < m.fetches.len(),
            Step::Refetch(serial) => *serial < m.records_made,
            Step::Fail(serial) | Step::Promote(serial) => m.intent_pending(*serial).is_some(),
            _ => true,
        };
        valid && not_modelled(m, step).is_none()
    }

    fn apply(mut m: Model, step: &Step) -> Model {
        m.expect = Expect::Nothing;
        // Every call but those through `store_mut` gives the client the time.
        if !matches!(
            step,
            Step::Advance(_)
                | Step::Invalidate(_)
                | Step::Push(..)
                | Step::Fail(_)
                | Step::Promote(_)
        ) {
            m.seen = m.now;
        }
        match *step {
            Step::Observe(key, o) => m.observe(key, o),
            Step::Unobserve(o) => m.unobserve(o),
            Step::Advance(s) => m.now += s,
            Step::NextFetch => m.next_fetch(),
            Step::Resolve(f, n) => m.resolve(f, n),
            Step::Reject(f, kind) => m.reject(f, kind),
            Step::Offline => m.online = false,
            Step::Online => m.online(),
            Step::Focus => m.refetch_stale(),
            Step::Invalidate(key) => m.invalidate(key),
            Step::Refetch(serial) => m.refetch(serial),
            Step::Push(key, guess) => {
                let serial = m.intents_made;
                m.intents_made += 1;
                m.stack.push(Layer::Intent {
                    serial,
                    key,
                    guess,
                    confirmed: false,
                });
            }
            Step::Fail(serial) => {
                let at = m.intent_pending(serial).expect("precondition");
                m.stack.remove(at);
                m.fold();
            }
            Step::Promote(serial) => {
                let at = m.intent_pending(serial).expect("precondition");
                if let Layer::Intent { confirmed, .. } = &mut m.stack[at] {
                    *confirmed = true;
                }
                m.fold();
            }
            Step::Gc => m.gc(),
        }
        m.reread();
        m
    }
}
