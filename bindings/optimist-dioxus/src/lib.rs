//! Dioxus hooks for [`optimist`]: queries, entities, fragments and optimistic mutations as
//! signals, for web, desktop and mobile apps alike.
//!
//! The app shares one `optimist::Client` (the store, its query records and its mutation
//! queue) as `Arc<Mutex<Client>>` between its I/O loop and the UI, and provides it once at the
//! root ([`use_client_provider`]). Components then call:
//!
//! * [`use_query`] / [`use_query_as`]: a query's data, loading, fetching and error states as
//!   signals; one fetch per key however many components observe it; the observer moves when
//!   the key changes with the props, and leaves when the component does (the last one leaving
//!   cancels the fetch); [`UseQuery::suspend`] for a `SuspenseBoundary`.
//! * [`use_entity`] and `use_fragment` (feature `graphql`, on by default): one entity, or a
//!   typed GraphQL fragment on one, as a signal written only when it changed (a pending guess,
//!   its failure, a server write).
//! * [`use_mutation`]: a function to fire, and the mutation's status, error and idempotency
//!   key as signals, following its record (into the mutation it was merged into, if
//!   coalesced) until it is dismissed, here or anywhere; [`use_is_mutating`]: whether anything
//!   is still being saved. Both follow the store's mutation watcher.
//!
//! # Model
//!
//! The store calls the hooks' callbacks inside the call that changed what they watch, under
//! the app's lock, maybe on the I/O thread, and hands each what it shows (an entity, a
//! fragment's data, a query's state, a mutation's status): a callback only writes a
//! thread-safe signal ([`SyncReadSignal`]), and only when the value changed, so Dioxus
//! re-renders exactly the components that read it, a mutation's status in the same render as
//! the data its call changed.
//!
//! The hooks do no I/O: the app's loop sends what [`optimist::Client::next_fetch`] and
//! [`optimist::Store::next_to_send`] hand out and reports the answers (on native, the core's
//! `Driver`, feature `tokio`; in a browser, a `spawn`ed loop with a timer: see the README).
//! Never render, and never run the `VirtualDom`'s tasks, while holding the client's lock.
//!
//! ```
//! use dioxus::prelude::*;
//! use optimist::{Client, Instant, Key, Mutation, Patch, Policies, QueryKey, QueryOptions, Store};
//! use optimist_dioxus::{lock, shared, use_entity, use_query};
//!
//! fn App() -> Element {
//!     let todos = use_query(QueryKey::rest("GET /todos", "todos"), QueryOptions::new());
//!     let count = todos.data.read().as_ref().and_then(|d| d.as_array().map(Vec::len));
//!     rsx! {
//!         p { "{count.unwrap_or(0)} todos" }
//!         Row { id: 1 }
//!     }
//! }
//!
//! #[component]
//! fn Row(id: u32) -> Element {
//!     let todo = use_entity(Key::entity("Todo", &id.to_string())?);
//!     let done = todo.read().as_ref().and_then(|t| t.get("done")?.as_bool()) == Some(true);
//!     rsx! { p { if done { "done" } else { "to do" } } }
//! }
//!
//! let client = shared(Client::new(Store::with_policies(Policies::new().type_at("todos", "Todo"))));
//! let mut dom = VirtualDom::new(App).with_root_context(client.clone());
//! dom.rebuild_in_place();
//!
//! // The app's I/O loop: one fetch for the list, its answer reported.
//! let fetch = lock(&client).next_fetch(Instant::now()).unwrap();
//! lock(&client).resolve(fetch.id, r#"[{"id": 1, "done": false}]"#, Instant::now())?;
//! dom.render_immediate(&mut dioxus::core::NoOpMutations);
//! assert_eq!(dioxus_ssr::render(&dom), "<p>1 todos</p><p>to do</p>");
//!
//! // A tick shows at once (a pending layer), and goes if the server refuses it.
//! let (tick, _) = lock(&client).store_mut().mutate(Mutation::new("tick", Patch::new().set("Todo:1", "done", true)))?;
//! dom.render_immediate(&mut dioxus::core::NoOpMutations);
//! assert_eq!(dioxus_ssr::render(&dom), "<p>1 todos</p><p>done</p>");
//! lock(&client).store_mut().fail(tick)?;
//! dom.render_immediate(&mut dioxus::core::NoOpMutations);
//! assert_eq!(dioxus_ssr::render(&dom), "<p>1 todos</p><p>to do</p>");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod bell;
mod context;
mod entity;
#[cfg(feature = "graphql")]
mod fragment;
mod mutating;
mod mutation;
mod query;
mod signals;
mod suspense;
mod watch;

pub use context::{
    SharedClient, lock, provide_client, shared, try_use_client, use_client, use_client_provider,
};
pub use entity::use_entity;
#[cfg(feature = "graphql")]
pub use fragment::use_fragment;
pub use mutating::use_is_mutating;
pub use mutation::{IntoMutation, MutateError, UseMutation, use_mutation};
pub use query::{UseQuery, UseQueryAs, use_query, use_query_as};
pub use signals::SyncReadSignal;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
