//! The async driver (feature `tokio`) on a paused clock: scopes, retries, wake-ups, and
//! cancel safety.
#![cfg(feature = "tokio")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use optimist::{Driver, Mutation, MutationStatus, Outcome, Patch, Scope, Store, Value};

fn shared() -> Arc<Mutex<Store>> {
    Arc::new(Mutex::new(Store::new()))
}

fn rename(key: &str, title: &str) -> Mutation {
    Mutation::new("rename", Patch::new().set(key, "title", title))
        .request(title)
        .scope(Scope::item(key).unwrap())
}

#[tokio::test(start_paused = true)]
async fn the_driver_sends_by_scope_retries_and_commits_everything() {
    let store = shared();
    {
        let mut s = store.lock().unwrap();
        for (key, title) in [("Todo:1", "a"), ("Todo:1", "b"), ("Todo:2", "c")] {
            s.mutate(rename(key, title)).unwrap();
        }
    }
    let log = Arc::new(Mutex::new(Vec::new()));
    let driver = Driver::new(store.clone());
    let seen = log.clone();
    let run = driver.run(move |out| {
        let seen = seen.clone();
        async move {
            let title = out.request.as_str().unwrap().to_owned();
            seen.lock().unwrap().push((title.clone(), out.attempt));
            tokio::time::sleep(Duration::from_millis(100)).await;
            if title == "a" && out.attempt == 1 {
                Outcome::Ambiguous("timed out".into())
            } else {
                Outcome::promote()
            }
        }
    });
    let _ = tokio::time::timeout(Duration::from_secs(60), run).await;
    let log = log.lock().unwrap().clone();
    assert_eq!(
        log,
        [
            ("a".to_owned(), 1),
            ("c".to_owned(), 1),
            ("a".to_owned(), 2),
            ("b".to_owned(), 1)
        ],
        "Todo:2 goes beside Todo:1; b waits for a's retry"
    );
    let s = store.lock().unwrap();
    assert!(!s.is_mutating());
    assert!(
        s.mutations()
            .all(|m| m.status() == &MutationStatus::Committed)
    );
    assert_eq!(
        s.get_confirmed("Todo:1")
            .and_then(|e| e.get("title"))
            .and_then(Value::as_str),
        Some("b")
    );
}

#[tokio::test(start_paused = true)]
async fn a_mutation_made_while_the_driver_sleeps_wakes_it() {
    let store = shared();
    let driver = Arc::new(Driver::new(store.clone()));
    let sent = Arc::new(Mutex::new(0));
    let count = sent.clone();
    let running = driver.clone();
    let task = tokio::spawn(async move {
        running
            .run(move |_| {
                *count.lock().unwrap() += 1;
                async { Outcome::promote() }
            })
            .await
    });
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(*sent.lock().unwrap(), 0);
    store.lock().unwrap().mutate(rename("Todo:1", "a")).unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(*sent.lock().unwrap(), 1);
    assert!(!store.lock().unwrap().is_mutating());
    task.abort();
}

#[tokio::test(start_paused = true)]
async fn dropping_a_run_puts_its_sends_back_to_retrying_with_the_same_key() {
    let store = shared();
    let (id, _) = store.lock().unwrap().mutate(rename("Todo:1", "a")).unwrap();
    let key = store
        .lock()
        .unwrap()
        .mutation(id)
        .unwrap()
        .idempotency_key()
        .to_owned();
    let driver = Driver::new(store.clone());
    let hung = driver.run(|_| std::future::pending::<Outcome>());
    assert!(
        tokio::time::timeout(Duration::from_secs(30), hung)
            .await
            .is_err()
    );
    {
        let s = store.lock().unwrap();
        let m = s.mutation(id).unwrap();
        assert!(
            matches!(m.status(), MutationStatus::Retrying { attempts: 1, .. }),
            "{m:?}"
        );
        assert_eq!(
            s.get_field("Todo:1", "title").and_then(Value::as_str),
            Some("a"),
            "the guess stays"
        );
    }
    let keys = Arc::new(Mutex::new(Vec::new()));
    let seen = keys.clone();
    let run = driver.run(move |out| {
        seen.lock()
            .unwrap()
            .push((out.idempotency_key.to_string(), out.attempt));
        async { Outcome::promote() }
    });
    let _ = tokio::time::timeout(Duration::from_secs(1), run).await;
    assert_eq!(*keys.lock().unwrap(), [(key, 2)]);
    assert_eq!(
        store.lock().unwrap().mutation(id).unwrap().status(),
        &MutationStatus::Committed
    );
}
