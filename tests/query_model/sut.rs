//! The system under test: a `Client` driven by the same steps, its answers and state compared
//! with the reference's after every step.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use optimist::{
    Client, FetchError, FetchId, FetchPolicy, Instant, LayerId, ObserverId, Patch, Policies,
    QueryError, QueryId, QueryKey, QueryOptions, QueryStatus, RetryPolicy, Store,
};
use proptest_state_machine::StateMachineTest;
use serde_json::json;

use crate::machine::QueryMachine;
use crate::reference::{Expect, Model};
use crate::steps::{KEYS, Kind, Opts, Policy, Step};
use crate::store::V;

pub(crate) struct Sut {
    pub(crate) client: Client,
    pub(crate) t0: Instant,
    /// By the reference's serials.
    pub(crate) records: BTreeMap<usize, QueryId>,
    pub(crate) observers: BTreeMap<usize, ObserverId>,
    pub(crate) fetches: Vec<FetchId>,
    pub(crate) intents: Vec<LayerId>,
}

pub(crate) fn key(i: usize) -> QueryKey {
    QueryKey::rest(&format!("GET /k{i}"), format!("f{i}").as_str())
}

pub(crate) fn options(o: Opts) -> QueryOptions {
    let policy = match o.policy {
        Policy::CacheFirst => FetchPolicy::CacheFirst,
        Policy::CacheAndNetwork => FetchPolicy::CacheAndNetwork,
        Policy::NoCache => FetchPolicy::NoCache,
        Policy::CacheOnly => FetchPolicy::CacheOnly,
    };
    let options = QueryOptions::new()
        .fetch_policy(policy)
        .gc_time(Duration::from_secs(o.gc))
        .retry(RetryPolicy {
            max_attempts: Some(o.attempts),
            initial_delay: Duration::from_secs(1),
            factor: 1,
            max_delay: Duration::from_secs(1),
        });
    match o.stale {
        Some(s) => options.stale_time(Duration::from_secs(s)),
        None => options,
    }
}

impl Sut {
    pub(crate) fn at(&self, m: &Model) -> Instant {
        self.t0 + Duration::from_secs(m.now)
    }

    pub(crate) fn record(&self, serial: usize) -> QueryId {
        self.records[&serial]
    }
}

impl StateMachineTest for QueryMachine {
    type SystemUnderTest = Sut;
    type Reference = QueryMachine;

    fn init_test(_: &Model) -> Sut {
        let policies = (0..KEYS).fold(Policies::new(), |p, i| p.type_at(&format!("f{i}"), "Item"));
        Sut {
            client: Client::new(Store::with_policies(policies)),
            t0: Instant::now(),
            records: BTreeMap::new(),
            observers: BTreeMap::new(),
            fetches: Vec::new(),
            intents: Vec::new(),
        }
    }

    fn apply(mut sut: Sut, m: &Model, step: Step) -> Sut {
        let now = sut.at(m);
        match step {
            Step::Observe(i, o) => {
                let seen = sut.client.observe(key(i), options(o), now, |_| {});
                let Expect::Observed {
                    record,
                    observer,
                    fetch_due,
                } = m.expect
                else {
                    panic!("the reference observed")
                };
                let id = *sut.records.entry(record).or_insert(seen.query);
                assert_eq!(seen.query, id, "observer {observer} joins record {record}");
                sut.observers.insert(observer, seen.observer);
                assert_eq!(seen.fetch_due, fetch_due, "fetch_due");
                assert_eq!(Some(&seen.state), sut.client.state(seen.observer));
            }
            Step::Unobserve(o) => {
                let id = sut.observers[&o];
                assert!(sut.client.unobserve(id, now));
                assert!(!sut.client.unobserve(id, now), "gone");
            }
            Step::Advance(_) => {}
            Step::NextFetch => {
                let fetch = sut.client.next_fetch(now);
                let Expect::Fetch(expected) = m.expect else {
                    panic!("the reference fetched")
                };
                match (fetch, expected) {
                    (None, None) => {}
                    (Some(fetch), Some((record, serial, attempt, slot))) => {
                        assert!(m.online, "nothing is handed out while offline");
                        assert_eq!(fetch.query, sut.record(record), "which query");
                        assert_eq!(fetch.attempt, attempt, "attempt");
                        assert_eq!(fetch.slot.is_some(), slot, "slot");
                        // A no-cache query's key does not compare equal to the key observed
                        // (see query_no_cache::its_fetch_carries_the_key_observed).
                        let want = key(m.records[&record].key);
                        assert_eq!(
                            (fetch.key.app_key(), fetch.key.field()),
                            (want.app_key(), want.field())
                        );
                        if sut.client.observer_count(fetch.query) == 0 {
                            assert!(
                                m.records[&record].asked,
                                "a fetch for a query nobody observes, unasked"
                            );
                        }
                        assert_eq!(sut.fetches.len(), serial);
                        sut.fetches.push(fetch.id);
                    }
                    (got, want) => panic!("next_fetch: got {got:?}, the reference {want:?}"),
                }
            }
            Step::Resolve(f, n) => {
                let id = sut.fetches[f];
                let answer = json!({"id": m.fetches[f].1, "v": n});
                let before =
                    (!matches!(m.expect, Expect::Taken(true))).then(|| sut.client.store().clone());
                let result = sut.client.resolve(id, &answer, now);
                taken(&m.expect, result.map(|_| ()), id);
                if let Some(before) = before {
                    assert!(
                        *sut.client.store() == before,
                        "a refused answer changes nothing"
                    );
                }
            }
            Step::Reject(f, kind) => {
                let id = sut.fetches[f];
                let error = match kind {
                    Kind::Offline => FetchError::offline("offline"),
                    Kind::Transient => FetchError::transient("502"),
                    Kind::Permanent => FetchError::permanent("404"),
                };
                let result = sut.client.reject(id, error, now);
                taken(&m.expect, result.map(|_| ()), id);
            }
            Step::Offline => sut.client.offline(now),
            Step::Online => sut.client.online(now),
            Step::Focus => sut.client.focus(now),
            Step::Invalidate(i) => {
                sut.client
                    .store_mut()
                    .invalidate_field("ROOT_QUERY", &format!("f{i}"))
                    .unwrap();
            }
            Step::Refetch(serial) => {
                let Expect::Taken(taken) = m.expect else {
                    panic!("the reference refetched")
                };
                let id = sut.records[&serial];
                let result = sut.client.refetch(id, now);
                if taken {
                    result.unwrap();
                } else {
                    assert_eq!(result, Err(QueryError::UnknownQuery(id)));
                }
            }
            Step::Push(i, g) => {
                let (id, _) = sut
                    .client
                    .store_mut()
                    .push(
                        "edit",
                        Patch::new().set(format!("Item:{i}").as_str(), "v", format!("g{g}")),
                    )
                    .unwrap();
                sut.intents.push(id);
            }
            Step::Fail(serial) => {
                sut.client.store_mut().fail(sut.intents[serial]).unwrap();
            }
            Step::Promote(serial) => {
                sut.client.store_mut().promote(sut.intents[serial]).unwrap();
            }
            Step::Gc => {
                sut.client.gc(now);
            }
        }
        sut
    }

    fn check_invariants(sut: &Sut, m: &Model) {
        let client = &sut.client;
        client.check_invariants().unwrap();
        assert_eq!(client.is_online(), m.online);
        assert_eq!(client.query_count(), m.records.len(), "live queries");
        for (o, (serial, _)) in &m.observers {
            let rec = &m.records[serial];
            let state = client.state(sut.observers[o]).expect("a live observer");
            let what = format!("observer {o} of record {serial}");
            assert_eq!(state.status, rec.status, "{what}: status");
            assert_eq!(
                state.fetch_status,
                m.fetch_status(rec),
                "{what}: fetch status"
            );
            assert_eq!(state.failure_count, rec.failures, "{what}: failures");
            assert_eq!(
                state.error.is_some(),
                rec.status == QueryStatus::Error,
                "{what}: error"
            );
            let shown = state.data.as_deref().map(|data| data["v"].clone());
            assert_eq!(shown, rec.data.map(V::json), "{what}: data");
        }
        for (o, id) in &sut.observers {
            if !m.observers.contains_key(o) {
                assert_eq!(client.state(*id), None, "observer {o} left");
            }
        }
        let mut in_flight = BTreeSet::new();
        for (serial, rec) in &m.records {
            let id = sut.record(*serial);
            let state = client.query_state(id).expect("a live query");
            assert_eq!(state.status, rec.status, "record {serial}: status");
            assert_eq!(
                state.failure_count, rec.failures,
                "record {serial}: failures"
            );
            assert_eq!(client.observer_count(id), rec.observers.len());
            if let Some(fetch) = rec.fetch {
                in_flight.insert((id, sut.fetches[fetch]));
            }
        }
        for serial in &m.collected {
            let id = sut.record(*serial);
            assert_eq!(
                client.query_state(id),
                None,
                "record {serial} was collected"
            );
            assert_eq!(client.observer_count(id), 0);
        }
        let sut_in_flight: BTreeSet<(QueryId, FetchId)> = client.in_flight().collect();
        let queries: BTreeSet<QueryId> = sut_in_flight.iter().map(|(q, _)| *q).collect();
        assert_eq!(
            queries.len(),
            sut_in_flight.len(),
            "one fetch per query at most"
        );
        assert_eq!(sut_in_flight, in_flight, "fetches in flight");
        assert_eq!(client.store().layers().count(), m.stack.len(), "layers");
        for i in 0..KEYS {
            assert_eq!(
                client
                    .store()
                    .get_field("ROOT_QUERY", &format!("f{i}"))
                    .is_some(),
                m.view_field(i),
                "ROOT_QUERY.f{i}"
            );
        }
    }
}

pub(crate) fn taken(expect: &Expect, result: Result<(), QueryError>, id: FetchId) {
    match expect {
        Expect::Taken(true) => result.expect("an awaited fetch"),
        Expect::Taken(false) => assert_eq!(result, Err(QueryError::UnknownFetch(id))),
        other => panic!("the reference expected {other:?}"),
    }
}
