//! Model test of the query lifecycle: one `Client` over a `Store`, driven by random steps and
//! compared after every step with a naive reference written from the documentation.
//!
//! The reference (`Model`) keeps, per query record: its observers, status, data, failures and
//! attempts, the fetch in flight, when a fetch is due, whether it waits for the network, and
//! its `gc_time`; and a naive store under them: a base of four keys (`ROOT_QUERY.f<i>` present
//! or not, the value `v` of `Item:<i>`), a `Vec` of layers in stack order (query slots and
//! mutations), folded from scratch for every read, and the stale marks. Four REST keys
//! (`GET /k<i>` written at `f<i>`, answers `{"id": i, "v": n}` typed `Item`) are observed with
//! options drawn from a small set: cache-first, cache-and-network, no-cache or cache-only;
//! no stale time, 0, 2 or 5 s; 1 to 3 attempts a second apart; a `gc_time` of 2 or 5 s.
//!
//! Steps: observe, unobserve, advance the clock by 0 to 3 s, `next_fetch`, resolve or reject
//! (offline, transient, permanent) a fetch (in flight, or one no longer awaited: refused),
//! offline, online, focus, `invalidate_field` of a key's root field through `store_mut`,
//! `refetch` (of live and of collected queries), push a mutation on an item, fail or promote
//! it, and `gc`. Checked after every step: each live observer's status, fetch status, failure
//! count, error and data (the value shown); a gone observer has no state; each live query's
//! status and observer count; a collected query's id is unknown for ever; the fetches in flight
//! (at most one per query, and the same as the reference's); what `next_fetch` and `observe`
//! answer; nothing handed out while offline, nor for a query nobody observes unless asked for
//! by an explicit refetch; the store's root fields and layer count; `Client::check_invariants`.
//!
//! Retries wait `1 s x` a jitter in `[1/2, 1)`: on a clock that moves by whole seconds a retry
//! scheduled at `t` is due from `t + 1 s` on, and comes before anything due at `t + 1 s` or
//! later. The reference keeps dues in half seconds to order them so; two retries scheduled in
//! the same second are ordered by their jitter, which it does not model (such a step is not
//! drawn). Ties between queries due at the same instant go to the older query.
//!
//! Steps whose outcome the reference does not model are not drawn (see `not_modelled` in
//! `reference.rs`); the arms that once kept out the client's known bugs are gone with the
//! bugs.
//!
//! Files (in `tests/query_model/`): the steps in `steps.rs`, the naive store in `store.rs`,
//! the records and rules in `reference.rs`, the reference half of the state machine in
//! `machine.rs`, the system under test in `sut.rs`.

#[path = "query_model/machine.rs"]
mod machine;
#[path = "query_model/reference.rs"]
mod reference;
#[path = "query_model/steps.rs"]
mod steps;
#[path = "query_model/store.rs"]
mod store;
#[path = "query_model/sut.rs"]
mod sut;

use proptest::test_runner::{Config, FileFailurePersistence, contextualize_config};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

use machine::QueryMachine;
use reference::Model;
use steps::{Kind, Opts, Policy, Step};

fn config() -> Config {
    // `contextualize_config` applies PROPTEST_CASES and the other PROPTEST_* variables on top.
    contextualize_config(Config {
        cases: 1024,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/proptest-regressions/query_model.txt"
        )))),
        ..Config::default()
    })
}

prop_state_machine! {
    #![proptest_config(config())]

    #[test]
    fn client_matches_the_reference(sequential 1..=80 => QueryMachine);
}

/// Runs steps as the state machine test does, checking every one. Paste a failing case's
/// steps here to replay it.
fn replay(steps: Vec<Step>) {
    let mut m = Model::default();
    for step in &steps {
        assert!(
            QueryMachine::preconditions(&m, step),
            "{step:?} does not apply here"
        );
        m = <QueryMachine as ReferenceStateMachine>::apply(m, step);
    }
    QueryMachine::test_sequential(Config::default(), Model::default(), steps, None);
}

const CF: Opts = Opts {
    policy: Policy::CacheFirst,
    stale: None,
    attempts: 2,
    gc: 2,
};

#[test]
fn a_retry_after_a_refetch_keeps_the_data_then_gives_up() {
    use Step::*;
    replay(vec![
        Observe(0, CF),
        NextFetch,
        Resolve(0, 1),
        Refetch(0),
        NextFetch,
        Reject(1, Kind::Transient),
        NextFetch,
        Advance(1),
        NextFetch,
        Reject(2, Kind::Transient),
        Resolve(0, 2),
    ]);
}

#[test]
fn a_pending_mutation_outlives_a_refetch_and_gc_waits_for_an_unfolded_answer() {
    use Step::*;
    let stale = Opts {
        stale: Some(0),
        ..CF
    };
    replay(vec![
        Observe(0, CF),
        Observe(1, stale),
        NextFetch,
        NextFetch,
        Push(1, 3),
        Resolve(1, 4),
        Unobserve(1),
        Advance(3),
        Gc,
        Resolve(0, 0),
        Gc,
        Observe(1, CF),
        Fail(0),
    ]);
}

/// A fetch sent while nobody observed the query (an explicit refetch), then an invalidation:
/// an observer that comes later does not join that fetch, whose answer may predate the change,
/// but supersedes it. Before, it joined, and the next invalidation of any other field
/// superseded the fetch then (found by CI: the steps kept in `query_model.txt`).
#[test]
fn an_observer_supersedes_a_fetch_sent_before_an_invalidation() {
    use Step::*;
    let cache_only = Opts {
        policy: Policy::CacheOnly,
        ..CF
    };
    replay(vec![
        Observe(3, cache_only),
        Unobserve(0),
        Refetch(0),
        NextFetch,
        Resolve(0, 0),
        Refetch(0),
        NextFetch,
        Invalidate(3),
        Observe(3, CF),
        NextFetch,
        Resolve(1, 0),
        Resolve(2, 1),
    ]);
}

/// An answer to a fetch sent before an invalidation (nobody observed the query then, so the
/// fetch was not superseded) does not clear the mark: the next observer finds the query stale
/// and a fetch due. The reference cleared the mark on every answer (found by the property
/// test, kept in `query_model.txt`).
#[test]
fn an_answer_older_than_a_mark_leaves_the_query_stale() {
    use Step::*;
    replay(vec![
        Observe(3, CF),
        NextFetch,
        Resolve(0, 0),
        Unobserve(0),
        Refetch(0),
        NextFetch,
        Invalidate(3),
        Resolve(1, 0),
        Observe(3, CF),
        NextFetch,
        Resolve(2, 1),
    ]);
}
