//! Leptos bindings for [`optimist`]: a normalized entity store with an exact
//! optimistic layer stack, and its sans-IO query lifecycle ([`optimist::Client`]).
//!
//! Provide the app's client once at the root ([`provide_client`]); then, in any component:
//!
//! * [`use_query`] / [`use_query_as`]: a query record observed for as long as the component
//!   lives, its data, loading, fetching and error as signals, a resource for `<Suspense>`;
//! * [`use_entity`] / [`use_entity_fields`]: one entity of the merged view; [`use_fragment`]:
//!   a GraphQL fragment on one entity, typed;
//! * [`use_mutation`]: a function to fire, the status, error and idempotency key of the latest
//!   mutation it made (or of the one that was coalesced into); [`use_is_mutating`]: whether
//!   anything is pending.
//!
//! Every signal is set only when what it shows changed, with the value the store's listener or
//! watcher was handed inside the call that changed it. Every observer and watcher is removed
//! when its component goes; a query's last observer leaving cancels its fetch in flight.
//!
//! The binding does no I/O: the app's `optimist::Driver` sends the fetches and mutations (on
//! native, `Driver::run` on tokio; in a browser, `Driver::run_with` with the browser's timer,
//! spawned with `leptos::task::spawn_local`), or the app's own loop over
//! [`optimist::Client::next_fetch`] and [`optimist::Store::next_to_send`]. When that I/O calls
//! the client from other threads than the components' (a multi-thread tokio runtime), provide
//! it with [`provide_threaded_client`]: what those threads tell the hooks is set on the
//! components' thread (reactive_graph 0.2's memos can keep a stale value when a source is set
//! from another thread while they compute).
//!
//! ```
//! use leptos::prelude::*;
//! use optimist::{Client, Instant, Mutation, Patch, Policies, QueryKey, QueryOptions, Store};
//! use optimist_leptos::{provide_client, use_mutation, use_query};
//! use std::sync::{Arc, Mutex};
//!
//! let client = Arc::new(Mutex::new(Client::new(Store::with_policies(
//!     Policies::new().type_at("todos", "Todo"),
//! ))));
//! Owner::new().with(|| {
//!     provide_client(client.clone());
//!     let todos = use_query(QueryKey::rest("GET /todos", "todos"), QueryOptions::new());
//!     let tick = use_mutation(|_: &mut Store, id: i64| {
//!         Mutation::new("tick", Patch::new().set(format!("Todo:{id}").as_str(), "done", true))
//!     });
//!     assert!(todos.is_loading.get_untracked());
//!
//!     // The app's I/O: send the fetch, report the answer.
//!     let fetch = client.lock().unwrap().next_fetch(Instant::now()).unwrap();
//!     let answer = r#"[{"id": 1, "title": "Buy milk", "done": false}]"#;
//!     client.lock().unwrap().resolve(fetch.id, answer, Instant::now()).unwrap();
//!     let done = move || todos.data.get_untracked().map(|data| data[0]["done"].clone());
//!     assert_eq!(done(), Some(serde_json::json!(false)));
//!
//!     tick.mutate(1).unwrap(); // the guess shows at once
//!     assert_eq!(done(), Some(serde_json::json!(true)));
//! });
//! ```

#![forbid(unsafe_code)]

mod context;
mod entity;
#[cfg(feature = "graphql")]
mod fragment;
mod home;
mod key;
mod mutating;
mod mutation;
mod query;
mod suspense;

pub use context::{
    SharedClient, provide_client, provide_threaded_client, try_use_client, use_client,
};
pub use entity::{use_entity, use_entity_fields};
#[cfg(feature = "graphql")]
pub use fragment::use_fragment;
pub use key::KeySource;
pub use mutating::use_is_mutating;
pub use mutation::{IntoMutation, MutateError, UseMutation, use_mutation};
pub use query::{UseQuery, UseQueryAs, use_query, use_query_as};

// The README's example compiles (its code blocks run as doctests).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
