//! A todo client on optimist, over plain REST: what an app writes around the store.
//!
//! Everything the crate does is left to it: the list is a query record
//! ([`optimist::Client::observe`]) fetched, refetched, polled and retried by
//! [`optimist::Driver`], each answer landing in a slot below the pending mutations; the guesses
//! are layers, the outbox is the store's mutation queue run by the same driver, a create or a
//! delete that went through invalidates the list (refetched by the driver), retries keep
//! their idempotency key, a create's temporary key is remapped to the server's id, a 412 is a
//! conflict that writes the server's row, a server push is a base write ordered by the row's
//! version, and the outbox survives a restart because the whole store is saved. What is left
//! here is the I/O: the HTTP requests (built from a mutation's request data), reading the
//! answers, the event stream, and the outbox file.
//!
//! * `rows.rs`: the rows, the list query and what the user sees;
//! * `mutations.rs`: the mutations, as data (what a UI binding's `use_mutation` builds);
//! * `requests.rs`: a mutation's HTTP request decoded from its data, a fetch's path (pure);
//! * `http.rs`: the requests and the event stream;
//! * `client.rs`: [`Client`], which opens the outbox and runs the driver, the stream and the
//!   saver.
//!
//! Shared by the terminal examples (`examples/todo_app`, `examples/todo_tui`), the end-to-end
//! test and the framework bindings' apps. Without its default feature `io` (reqwest, tokio, the
//! driver) it is the pure part only, `rows.rs` and `mutations.rs`: what a core that does no
//! I/O (`examples/todo-crux`) shares with it.

#[cfg(feature = "io")]
mod client;
#[cfg(feature = "io")]
mod http;
pub mod mutations;
pub mod requests;
mod rows;

#[cfg(feature = "io")]
pub use client::{Client, ClientError};

pub use rows::{
    LIST, RowState, Shown, TYPE, Todo, compare_table, confirmed, list_options, list_query,
    policies, retry_policy, shown, status_text,
};
