//! A watcher fed with snapshots is read on other threads while the store keeps writing: every
//! state a reader sees is whole (an invariant every call keeps is never seen broken), states
//! arrive in order, and the last one is the store's final view.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;

use optimist::{Document, LayerId, Patch, Policies, Reader, Snapshot, Store};
use serde_json::{Value as Json, json};

/// The two balances always add up to this, in every state of the view.
const TOTAL: i64 = 100;

fn balance(snapshot: &Snapshot, key: &str) -> i64 {
    snapshot
        .get(key)
        .and_then(|account| account.get("balance"))
        .and_then(|value| value.as_i64())
        .unwrap_or_else(|| panic!("{key} has a balance in every state"))
}

/// `a` and `b` read from a query result.
fn balances(result: &Json) -> (i64, i64) {
    let of = |name: &str| {
        result[name]["balance"]
            .as_i64()
            .unwrap_or_else(|| panic!("{name} in {result}"))
    };
    (of("a"), of("b"))
}

/// A small seeded generator (xorshift), so a failure replays.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Moves money between the accounts in every way the store changes its view: optimistic
/// transfers (increments, which keep the sum over any subset of layers), their failure and
/// success, guards dropped, server writes of both balances, a refetch answered under pending
/// transfers, batches. Every call keeps `a + b == TOTAL` in the view.
fn write_steps(store: &mut Store, steps: usize) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut pending: Vec<LayerId> = Vec::new();
    for _ in 0..steps {
        let amount = rng.below(20) as i64 - 10;
        let transfer = Patch::new()
            .increment("Account:a", "balance", -amount)
            .increment("Account:b", "balance", amount);
        let both = |a: i64| {
            Patch::new()
                .set("Account:a", "balance", a)
                .set("Account:b", "balance", TOTAL - a)
        };
        match rng.below(7) {
            0 | 1 => pending.push(store.push("transfer", transfer).unwrap().0),
            2 if !pending.is_empty() => {
                let id = pending.swap_remove(rng.below(pending.len() as u64) as usize);
                store.fail(id).unwrap();
            }
            3 if !pending.is_empty() => {
                let id = pending.swap_remove(rng.below(pending.len() as u64) as usize);
                store.promote(id).unwrap();
            }
            4 if !pending.is_empty() => {
                let id = pending.swap_remove(rng.below(pending.len() as u64) as usize);
                drop(store.guard(id)); // cancelled by the next call
            }
            5 => {
                let refetch = store.reserve("refetch");
                store
                    .confirm(refetch, both(rng.below(TOTAL as u64) as i64))
                    .unwrap();
            }
            _ => {
                let a = rng.below(TOTAL as u64) as i64;
                let (id, _) = store.batch(|store| {
                    store.write(both(a)).unwrap();
                    store.push("transfer", transfer).unwrap()
                });
                pending.push(id);
            }
        }
    }
    for id in pending {
        store.fail(id).unwrap();
    }
}

#[test]
fn a_reader_thread_sees_whole_states_in_order_and_ends_with_the_stores() {
    let mut store = Store::new();
    store
        .write(
            Patch::new()
                .set("ROOT_QUERY", "a", optimist::Key::new("Account:a").unwrap())
                .set("ROOT_QUERY", "b", optimist::Key::new("Account:b").unwrap())
                .set("Account:a", "balance", TOTAL / 2)
                .set("Account:b", "balance", TOTAL / 2),
        )
        .unwrap();
    let doc = "{ a { balance } b { balance } }";

    // Reader 1 takes every notification from a channel and reads on in its snapshot.
    let (tx, rx) = mpsc::channel::<(optimist::QueryResult, Snapshot)>();
    // Reader 2 polls the latest snapshot as fast as it can while the writer writes.
    let latest = Arc::new(Mutex::new(store.snapshot()));
    let slot = latest.clone();
    let id = store.watch_query_snapshot(Document::parse(doc).unwrap(), json!({}), {
        move |result, snapshot| {
            *slot.lock().unwrap() = snapshot.clone();
            tx.send((result.clone(), snapshot.clone())).unwrap();
        }
    });

    let policies: Policies = store.policies().clone();
    let first_revision = store.revision();
    let reader = thread::spawn(move || {
        let doc = Document::parse(doc).unwrap();
        let mut last: Option<Snapshot> = None;
        let mut told = 0;
        while let Ok((result, snapshot)) = rx.recv() {
            told += 1;
            let result = result.expect("both accounts are always there");
            let (a, b) = balances(&result);
            assert_eq!(a + b, TOTAL, "a torn result: {result}");
            assert_eq!(
                (
                    balance(&snapshot, "Account:a"),
                    balance(&snapshot, "Account:b")
                ),
                (a, b),
                "the snapshot is the state the result was read from"
            );
            let read = Reader::snapshot(&snapshot, &policies)
                .read_query(&doc, &json!({}))
                .unwrap();
            assert_eq!(read, *result, "a read of the snapshot gives the result");
            let before = last.as_ref().map_or(first_revision, Snapshot::revision);
            assert!(snapshot.revision() > before, "in the order of the calls");
            last = Some(snapshot);
        }
        (told, last)
    });
    let done = Arc::new(AtomicBool::new(false));
    let stop = done.clone();
    let poller = thread::spawn(move || {
        let mut polls = 0u64;
        let mut revision = 0;
        while !stop.load(Ordering::Acquire) {
            let snapshot = latest.lock().unwrap().clone();
            // Read outside the lock: the writer goes on meanwhile.
            let sum = balance(&snapshot, "Account:a") + balance(&snapshot, "Account:b");
            assert_eq!(
                sum,
                TOTAL,
                "a torn state at revision {}",
                snapshot.revision()
            );
            assert!(snapshot.revision() >= revision, "never an older state");
            revision = snapshot.revision();
            polls += 1;
        }
        polls
    });

    write_steps(&mut store, 3_000);
    // A last change the query reads, so the last state handed on is the final one.
    let a = balance(&store.snapshot(), "Account:a");
    let a = if a == 0 { 1 } else { a - 1 };
    store
        .write(
            Patch::new()
                .set("Account:a", "balance", a)
                .set("Account:b", "balance", TOTAL - a),
        )
        .unwrap();
    assert!(store.unwatch(id), "drops the sender: the reader ends");
    done.store(true, Ordering::Release);

    let (told, last) = reader.join().expect("reader 1 saw only whole states");
    let polls = poller.join().expect("reader 2 saw only whole states");
    assert!(told > 100, "told {told} times");
    assert!(polls > 0);
    let last = last.expect("told at least once");
    assert_eq!(last.revision(), store.revision());
    assert_eq!(last.len(), store.len());
    for (key, entity) in store.iter() {
        assert_eq!(last.get(key), Some(entity), "{key}: the final state");
    }
    assert_eq!(store.layers().count(), 0);
    assert_eq!(balance(&last, "Account:a"), a);
}

#[test]
fn a_batch_hands_on_one_snapshot_of_its_end() {
    let mut store = Store::new();
    store.write(Patch::new().set("ROOT_QUERY", "n", 0)).unwrap();
    let told = Arc::new(Mutex::new(Vec::new()));
    let log = told.clone();
    store.watch_query_snapshot(
        Document::parse("{ n }").unwrap(),
        json!({}),
        move |result, snapshot| {
            let n = result.as_ref().unwrap()["n"].clone();
            let seen = snapshot.get("ROOT_QUERY").and_then(|e| e.get("n").cloned());
            log.lock().unwrap().push((n, seen, snapshot.revision()));
        },
    );
    store.batch(|store| {
        for n in 1..=3 {
            store.write(Patch::new().set("ROOT_QUERY", "n", n)).unwrap();
        }
    });
    let told = told.lock().unwrap();
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].0, json!(3));
    assert_eq!(told[0].1, Some(3.into()));
    assert_eq!(told[0].2, store.revision());
}
