//! Suspense: a query's resource is pending until its data arrives, then holds it and follows
//! it; a query that gives up without data resolves to its error.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{client, mount, run, settle};
use leptos::prelude::*;
use optimist::{Instant, Patch, QueryKey, QueryOptions};
use optimist_leptos::{provide_client, use_query};
use serde_json::json;

#[test]
fn the_resource_resolves_when_the_data_arrives() {
    run(|| async {
        let client = client();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        let key = QueryKey::rest("GET /me", "me");
        let (_component, resource) = mount(|| use_query(key, QueryOptions::new()).resource());
        let arrived = Arc::new(AtomicBool::new(false));
        let waited = {
            let arrived = arrived.clone();
            tokio::task::spawn_local(async move {
                let data = resource.await;
                arrived.store(true, Ordering::SeqCst);
                data
            })
        };
        settle().await;
        assert!(!arrived.load(Ordering::SeqCst), "suspended: no data yet");
        assert_eq!(resource.get_untracked(), None);

        let now = Instant::now();
        let fetch = client.lock().unwrap().next_fetch(now).unwrap();
        client
            .lock()
            .unwrap()
            .resolve(fetch.id, r#""ada""#, now)
            .unwrap();
        let data = waited.await.unwrap().unwrap();
        assert_eq!(*data, json!("ada"));

        // It follows the data from then on.
        client
            .lock()
            .unwrap()
            .store_mut()
            .push("rename", Patch::new().set("ROOT_QUERY", "me", "grace"))
            .unwrap();
        settle().await;
        assert_eq!(
            resource
                .get_untracked()
                .map(|data| data.unwrap())
                .as_deref(),
            Some(&json!("grace"))
        );
        root.cleanup();
    });
}

#[test]
fn the_resource_resolves_to_the_error_of_a_query_that_failed_for_good() {
    run(|| async {
        let client = client();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        let options = QueryOptions::new();
        let (_component, resource) =
            mount(|| use_query(QueryKey::rest("GET /me", "me"), options).resource());
        let waited = tokio::task::spawn_local(async move { resource.await });
        settle().await;
        let now = Instant::now();
        let fetch = client.lock().unwrap().next_fetch(now).unwrap();
        client
            .lock()
            .unwrap()
            .reject(fetch.id, optimist::FetchError::permanent("500: down"), now)
            .unwrap();
        let error = waited.await.unwrap().unwrap_err();
        assert_eq!(error, optimist::FetchError::permanent("500: down"));
        root.cleanup();
    });
}
