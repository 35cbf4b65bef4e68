//! The async driver (feature `tokio`) on a paused clock: scopes, retries, wake-ups, and
//! cancel safety.
#![cfg(feature = "tokio")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use optimist::{
    Client, Driver, Fetch, FetchBody, FetchError, Instant, Mutation, MutationStatus, Outcome,
    Patch, QueryKey, QueryOptions, QueryStatus, Scope, Store, Value,
};

fn shared() -> Arc<Mutex<Client>> {
    Arc::new(Mutex::new(Client::new(Store::new())))
}

/// The fetch function of a driver with no queries: never called.
async fn no_fetch(fetch: Fetch) -> Result<FetchBody, FetchError> {
    panic!("no query was observed, yet {fetch:?} was handed out")
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
            s.store_mut().mutate(rename(key, title)).unwrap();
        }
    }
    let log = Arc::new(Mutex::new(Vec::new()));
    let driver = Driver::new(store.clone());
    let seen = log.clone();
    let run = driver.run(no_fetch, move |out| {
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
    let c = store.lock().unwrap();
    let s = c.store();
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
            .run(no_fetch, move |_| {
                *count.lock().unwrap() += 1;
                async { Outcome::promote() }
            })
            .await
    });
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(*sent.lock().unwrap(), 0);
    store
        .lock()
        .unwrap()
        .store_mut()
        .mutate(rename("Todo:1", "a"))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(*sent.lock().unwrap(), 1);
    assert!(!store.lock().unwrap().store().is_mutating());
    task.abort();
}

#[tokio::test(start_paused = true)]
async fn dropping_a_run_puts_its_sends_back_to_retrying_with_the_same_key() {
    let store = shared();
    let (id, _) = store
        .lock()
        .unwrap()
        .store_mut()
        .mutate(rename("Todo:1", "a"))
        .unwrap();
    let key = store
        .lock()
        .unwrap()
        .store()
        .mutation(id)
        .unwrap()
        .idempotency_key()
        .to_owned();
    let driver = Driver::new(store.clone());
    let hung = driver.run(no_fetch, |_| std::future::pending::<Outcome>());
    assert!(
        tokio::time::timeout(Duration::from_secs(30), hung)
            .await
            .is_err()
    );
    {
        let c = store.lock().unwrap();
        let s = c.store();
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
    let run = driver.run(no_fetch, move |out| {
        seen.lock()
            .unwrap()
            .push((out.idempotency_key.to_string(), out.attempt));
        async { Outcome::promote() }
    });
    let _ = tokio::time::timeout(Duration::from_secs(1), run).await;
    assert_eq!(*keys.lock().unwrap(), [(key, 2)]);
    assert_eq!(
        store.lock().unwrap().store().mutation(id).unwrap().status(),
        &MutationStatus::Committed
    );
}

fn observe_me(client: &Arc<Mutex<Client>>) -> optimist::Observed {
    client.lock().unwrap().observe(
        QueryKey::rest("GET /me", "me"),
        QueryOptions::new(),
        Instant::now(),
        |_| {},
    )
}

#[tokio::test(start_paused = true)]
async fn the_driver_fetches_observed_queries_once_and_shows_the_answer() {
    let client = shared();
    let driver = Driver::new(client.clone());
    let first = observe_me(&client);
    let second = observe_me(&client);
    let fetched = Arc::new(Mutex::new(Vec::new()));
    let log = fetched.clone();
    let run = driver.run(
        move |fetch| {
            log.lock()
                .unwrap()
                .push(fetch.key.app_key().map(str::to_owned));
            async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                Ok(FetchBody::from(String::from(r#"{"name": "ada"}"#)))
            }
        },
        |_| async { Outcome::promote() },
    );
    let _ = tokio::time::timeout(Duration::from_secs(5), run).await;
    assert_eq!(
        *fetched.lock().unwrap(),
        [Some("GET /me".to_owned())],
        "one fetch for two observers"
    );
    let c = client.lock().unwrap();
    for observer in [first.observer, second.observer] {
        let state = c.state(observer).unwrap();
        assert_eq!(state.status, QueryStatus::Success);
        assert_eq!(
            state.data.as_deref(),
            Some(&serde_json::json!({"name": "ada"}))
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_fetch_is_retried_after_its_delay_by_the_driver() {
    let client = shared();
    let driver = Driver::new(client.clone());
    let seen = observe_me(&client);
    let times = Arc::new(Mutex::new(Vec::new()));
    let log = times.clone();
    let start = tokio::time::Instant::now();
    let run = driver.run(
        move |fetch| {
            log.lock().unwrap().push((fetch.attempt, start.elapsed()));
            async move {
                if fetch.attempt == 1 {
                    Err(FetchError::transient("502"))
                } else {
                    Ok(FetchBody::from(serde_json::json!("ada")))
                }
            }
        },
        |_| async { Outcome::promote() },
    );
    let _ = tokio::time::timeout(Duration::from_secs(10), run).await;
    let times = times.lock().unwrap().clone();
    assert_eq!(times.len(), 2, "{times:?}");
    assert!(
        times[1].1 >= Duration::from_millis(500) && times[1].1 <= Duration::from_secs(1),
        "the retry waited its jittered first delay: {times:?}"
    );
    let c = client.lock().unwrap();
    assert_eq!(c.state(seen.observer).unwrap().status, QueryStatus::Success);
}

#[tokio::test(start_paused = true)]
async fn an_awaited_mutation_resolves_to_its_outcome() {
    let client = shared();
    let driver = Driver::new(client.clone());
    let run = driver.run(no_fetch, |sent| async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if sent.request.as_str() == Some("refused") {
            Outcome::Rejected("409".into())
        } else {
            Outcome::promote()
        }
    });
    let outcomes = async {
        let kept = driver.mutate(rename("Todo:1", "kept")).unwrap();
        let refused = driver.mutate(rename("Todo:2", "refused")).unwrap();
        (kept.await, refused.await)
    };
    let (kept, refused) = tokio::select! {
        () = run => unreachable!("the driver runs for ever"),
        outcomes = outcomes => outcomes,
    };
    assert_eq!(kept, Ok(MutationStatus::Committed));
    assert!(
        matches!(&refused, Ok(MutationStatus::Failed(failure)) if &*failure.message == "409"),
        "{refused:?}"
    );
    let c = client.lock().unwrap();
    assert_eq!(
        c.store().get_field("Todo:2", "title"),
        None,
        "the refused guess is gone"
    );
}

#[tokio::test(start_paused = true)]
async fn a_mutation_is_awaited_across_a_restart() {
    // The app quits with a mutation in flight; its store is saved (the outbox).
    let saved = {
        let client = shared();
        let driver = Driver::new(client.clone());
        let handle = driver.mutate(rename("Todo:1", "offline edit")).unwrap();
        let hung = driver.run(no_fetch, |_| std::future::pending::<Outcome>());
        let _ = tokio::time::timeout(Duration::from_secs(1), hung).await;
        drop(driver);
        assert_eq!(handle.await, Err(optimist::DriverStopped));
        client.lock().unwrap().store().save_json().unwrap()
    };
    // The app starts again: it loads the outbox, finds the mutation and awaits it.
    let mut store = Store::new();
    store.load_json(&saved).unwrap();
    let client = Arc::new(Mutex::new(Client::new(store)));
    let driver = Driver::new(client.clone());
    let id = client
        .lock()
        .unwrap()
        .store()
        .mutations()
        .find(|m| m.label() == "rename")
        .map(|m| m.id())
        .unwrap();
    let attempts = Arc::new(Mutex::new(Vec::new()));
    let log = attempts.clone();
    let run = driver.run(no_fetch, move |sent| {
        log.lock().unwrap().push(sent.attempt);
        async { Outcome::promote() }
    });
    let status = tokio::select! {
        () = run => unreachable!("the driver runs for ever"),
        status = driver.settled(id) => status,
    };
    assert_eq!(status, Ok(MutationStatus::Committed));
    assert_eq!(
        *attempts.lock().unwrap(),
        [2],
        "sent again, as its second attempt"
    );
    assert_eq!(
        client
            .lock()
            .unwrap()
            .store()
            .get_confirmed("Todo:1")
            .and_then(|e| e.get("title"))
            .and_then(Value::as_str),
        Some("offline edit")
    );
}

#[tokio::test(start_paused = true)]
async fn an_awaited_refetch_resolves_when_its_answer_landed() {
    let client = shared();
    let driver = Driver::new(client.clone());
    let seen = observe_me(&client);
    let answers = Arc::new(Mutex::new(0));
    let count = answers.clone();
    let run = driver.run(
        move |_| {
            let n = {
                let mut count = count.lock().unwrap();
                *count += 1;
                *count
            };
            async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                Ok(FetchBody::from(serde_json::json!(n)))
            }
        },
        |_| async { Outcome::promote() },
    );
    let refetched = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        driver.refetch(seen.query).unwrap().await
    };
    let state = tokio::select! {
        () = run => unreachable!("the driver runs for ever"),
        state = refetched => state.unwrap(),
    };
    assert_eq!(
        state.data.as_deref(),
        Some(&serde_json::json!(2)),
        "the refetch's answer"
    );
    assert_eq!(state.fetch_status, optimist::FetchStatus::Idle);
}

#[tokio::test(start_paused = true)]
async fn dropping_a_run_puts_its_fetches_back_to_be_fetched_again() {
    let client = shared();
    let driver = Driver::new(client.clone());
    let seen = observe_me(&client);
    let hung = driver.run(|_| std::future::pending(), |_| async { Outcome::promote() });
    let _ = tokio::time::timeout(Duration::from_secs(1), hung).await;
    assert_eq!(
        client.lock().unwrap().store().layers().count(),
        0,
        "its slot was cancelled"
    );
    let attempts = Arc::new(Mutex::new(Vec::new()));
    let log = attempts.clone();
    let run = driver.run(
        move |fetch| {
            log.lock().unwrap().push(fetch.attempt);
            async { Ok(FetchBody::from(serde_json::json!("ada"))) }
        },
        |_| async { Outcome::promote() },
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), run).await;
    assert_eq!(
        *attempts.lock().unwrap(),
        [1],
        "an interrupted fetch is not a failed attempt"
    );
    assert_eq!(
        client.lock().unwrap().state(seen.observer).unwrap().status,
        QueryStatus::Success
    );
}

#[tokio::test(start_paused = true)]
async fn a_query_observed_while_the_driver_sleeps_wakes_it() {
    let client = shared();
    let driver = Arc::new(Driver::new(client.clone()));
    let fetched = Arc::new(Mutex::new(0));
    let count = fetched.clone();
    let running = driver.clone();
    let task = tokio::spawn(async move {
        running
            .run(
                move |_| {
                    *count.lock().unwrap() += 1;
                    async { Ok(FetchBody::from(serde_json::json!("ada"))) }
                },
                |_| async { Outcome::promote() },
            )
            .await
    });
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(*fetched.lock().unwrap(), 0, "nothing to fetch: it sleeps");
    let seen = observe_me(&client);
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(*fetched.lock().unwrap(), 1, "the observer woke it");
    assert_eq!(
        client.lock().unwrap().state(seen.observer).unwrap().status,
        QueryStatus::Success
    );
    task.abort();
}

/// A browser's request futures are not `Send`: `run_with` polls them itself, on whatever
/// executor awaits it (here a tokio `LocalSet`, as `spawn_local` would in a browser), with the
/// executor's sleep.
#[tokio::test(start_paused = true)]
async fn run_with_drives_futures_that_are_not_send_on_a_local_executor() {
    use std::rc::Rc;
    let client = shared();
    let driver = Driver::new(client.clone());
    let seen = observe_me(&client);
    client
        .lock()
        .unwrap()
        .store_mut()
        .mutate(rename("Todo:1", "a"))
        .unwrap();
    let sent = Rc::new(std::cell::Cell::new(0));
    let counted = sent.clone();
    let run = driver.run_with(
        tokio::time::sleep,
        |_fetch| {
            let not_send = Rc::new("ada");
            async move {
                tokio::time::sleep(Duration::from_millis(10)).await;
                Ok(FetchBody::from(serde_json::json!(*not_send)))
            }
        },
        move |_out| {
            let counted = counted.clone();
            async move {
                counted.set(counted.get() + 1);
                Outcome::promote()
            }
        },
    );
    let local = tokio::task::LocalSet::new();
    let _ = local
        .run_until(tokio::time::timeout(Duration::from_secs(5), run))
        .await;
    assert_eq!(sent.get(), 1);
    let c = client.lock().unwrap();
    assert_eq!(
        c.state(seen.observer).unwrap().data.as_deref(),
        Some(&serde_json::json!("ada"))
    );
    assert!(!c.store().is_mutating());
}

/// A request that panics is an attempt with no answer: retried by its policy, not lost, and
/// the driver goes on.
#[tokio::test(start_paused = true)]
async fn a_request_that_panics_is_retried() {
    let client = shared();
    let driver = Driver::new(client.clone());
    let seen = observe_me(&client);
    let attempts = Arc::new(Mutex::new(Vec::new()));
    let log = attempts.clone();
    let run = driver.run(
        move |fetch| {
            log.lock().unwrap().push(fetch.attempt);
            async move {
                if fetch.attempt == 1 {
                    panic!("the app's request panicked");
                }
                Ok(FetchBody::from(String::from(r#""ada""#)))
            }
        },
        |_| async { Outcome::promote() },
    );
    let _ = tokio::time::timeout(Duration::from_secs(60), run).await;
    assert_eq!(*attempts.lock().unwrap(), [1, 2]);
    let c = client.lock().unwrap();
    let state = c.state(seen.observer).unwrap();
    assert_eq!(state.status, QueryStatus::Success);
    assert_eq!(state.data.as_deref(), Some(&serde_json::json!("ada")));
}

#[cfg(feature = "graphql")]
#[tokio::test(start_paused = true)]
async fn a_whole_graphql_response_is_taken_apart_by_the_client() {
    let client = shared();
    let driver = Driver::new(client.clone());
    let key = optimist::QueryKey::graphql("{ me { id name } }", serde_json::Value::Null).unwrap();
    let options = QueryOptions::new().error_policy(optimist::ErrorPolicy::All);
    let seen = client
        .lock()
        .unwrap()
        .observe(key, options, optimist::Instant::now(), |_| {});
    let run = driver.run(
        |_fetch| async {
            Ok(FetchBody::Response(String::from(
                r#"{"data": {"me": {"__typename": "User", "id": "1", "name": "Ada"}},
                    "errors": [{"message": "slow resolver"}]}"#,
            )))
        },
        |_| async { Outcome::promote() },
    );
    let _ = tokio::time::timeout(Duration::from_secs(5), run).await;
    let c = client.lock().unwrap();
    let state = c.state(seen.observer).unwrap();
    assert_eq!(state.status, QueryStatus::Success);
    assert_eq!(state.errors.as_ref().unwrap()[0].message, "slow resolver");
    assert_eq!(
        c.store().get_field("User:1", "name"),
        Some(&optimist::Value::from("Ada"))
    );
}
