//! A normalized entity store with an exact optimistic layer stack.
//!
//! UI code makes a user's change visible at once, sends the request, and must then keep the
//! change or take it back exactly, while other answers, refetches and pushes arrive in any
//! order. `optimist` keeps confirmed server truth in a persistent **base** map of entities keyed
//! `Type:id`, and each in-flight change as a **layer** of per-field ops on top of it. Readers
//! see the **view**: base with every live layer applied, kept materialised (an overlay of the
//! keys layers touch) so that a read costs one lookup however many layers are pending.
//!
//! # Model
//!
//! ```text
//! view[k] = apply(base[k], ops of the live layers on k, oldest layer first)   for every key k
//! ```
//!
//! Layers are of two kinds ([`LayerKind`]):
//!
//! * An **intent** is a user's mutation: [`Store::push`] puts its guess on top. Success settles
//!   it: [`Store::promote`] keeps its own ops, [`Store::confirm`] replaces them with the server's
//!   answer, [`Store::confirm_keeping_relative`] lays the answer over its list inserts and
//!   increments. Failure ([`Store::fail`]) removes it wherever it is: the store ends exactly as if
//!   it had never been pushed, and the layers above re-apply their ops on what is left (a `+1`
//!   over a failed `+1000` still adds one).
//! * An **observation** is a query: [`Store::reserve`] takes a slot for its answer, settled by
//!   `confirm` or [`Store::cancel`]led ([`Store::guard`] cancels it when its handle is dropped).
//!   **An observation never lands above an intent that was in flight when it was requested**:
//!   it is placed directly below the lowest pending intent, so a refetch sent during a save can
//!   neither hide nor undo the save, and one sent after the save settled overrides it.
//! * A confirmed layer folds into base once every layer below it has settled: intents land in
//!   the order they were made, observations in the order they were sent.
//! * Where a type has a version field ([`Policies::version_field`]), a server write older than
//!   what lies below it is left out for that entity, whatever the arrival order.
//! * Optimistic creates use a [`Store::temporary_key`], renamed in place by [`Store::remap`]
//!   when the server answers (the old key stays an alias).
//! * [`Store::write`] writes under every layer (server pushes); untouched fields show through.
//!
//! Ops ([`Op`]) are per key and per field: write fields, remove a field, delete, increment, list
//! insert and remove, and named updaters. They are data ([`Patch`] groups them by key), and each
//! is total: its effect on an absent entity or a wrongly typed field is defined, never an error.
//!
//! # Payloads in, trees out
//!
//! [`normalize_query`] turns a server response into a [`Patch`] by following a GraphQL
//! [`Document`] (aliases, arguments, variables, fragments; parsed once by apollo-parser), and
//! [`normalize`] does the same for plain JSON without a document. Keys follow [`Policies`]
//! (Apollo's `keyFields` and `possibleTypes`). Both take a parsed `serde_json::Value` or the
//! response's text ([`Payload`]): text is normalized as it is read, with no JSON tree built,
//! and always as its parsed form would be. The one patch feeds all three ways a payload
//! lands: [`Store::write`], [`Store::push`] and [`Store::confirm`]. [`Store::read_query`] reads a
//! document back as JSON, [`Store::read_query_as`] straight into the caller's serde types, and a
//! kept [`Query`] answers again in O(1) while nothing it read has changed. [`Store::extract`]
//! and [`Store::restore`] speak Apollo's `cache.extract()` format.
//!
//! # Watching
//!
//! Every mutating call returns [`Changes`]: the keys and fields of the view that changed, the
//! server writes left out as older, and what happened to layers. Watchers
//! ([`Store::watch_entity`], [`Store::watch_fields`], [`Store::watch_query`],
//! [`Store::watch_query_as`], [`Store::watch_query_tree`], [`Store::watch_layers`]) are told
//! after a call exactly when their result changed, once per call or per [`Store::batch`]. For
//! a reader on another thread, [`Store::watch_query_snapshot`] hands on with each result a
//! [`Snapshot`] of the state it was read from: one whole state, as of one revision, however
//! far the store has moved on since.
//!
//! ```
//! use optimist::{Patch, Store};
//! use std::sync::{Arc, Mutex};
//!
//! let mut store = Store::new();
//! store.write(Patch::new().set("Todo:1", "done", false).set("Todo:2", "done", false))?;
//! let renders = Arc::new(Mutex::new(0));
//! let row = renders.clone();
//! store.watch_fields("Todo:1", ["done"], move |_| *row.lock().unwrap() += 1)?;
//! let (tick, _) = store.push("tick", Patch::new().set("Todo:1", "done", true))?; // told
//! store.push("other row", Patch::new().set("Todo:2", "done", true))?; // not told
//! store.fail(tick)?; // told again: the tick is taken back
//! assert_eq!(*renders.lock().unwrap(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Queries
//!
//! [`Client`] is the query lifecycle over the store (Apollo's query manager over its cache,
//! TanStack Query's client over its query cache): a record per [`QueryKey`] with its status,
//! error and freshness; [`FetchPolicy`], dedupe of fetches in flight, `stale_time`,
//! `gc_time`, retries, refetch on focus, reconnect, interval and invalidation, infinite
//! queries. Sans-IO like the mutation queue: [`Client::next_fetch`] hands out what to fetch,
//! each with a slot reserved below the pending mutations, and [`Client::resolve`] writes the
//! answer; time is an argument ([`Instant`]), never read from a clock.
//!
//! # Features
//!
//! * `graphql` (default): GraphQL documents. [`Document`], [`normalize_query`] and
//!   [`normalize_fragment`], [`Store::read_query`] and its siblings, [`Query`], the query
//!   watchers ([`Store::watch_query`] and its siblings), and [`Store::invalidate_query`] and tags.
//!   Without it the crate has no parser dependency: a REST app normalizes with [`normalize`],
//!   [`normalize_at`] and [`normalize_entity`], reads entities and [`Store::read_tree`], and
//!   watches with [`Store::watch_entity`] and [`Store::watch_fields`].
//! * `driver`: `Driver`, the async loop that fetches the [`Client`]'s due queries and sends the
//!   mutation queue (mutations and refetches to `.await`), on any executor (`Driver::run_with`
//!   and the executor's sleep; in a browser too).
//! * `tokio`: `driver`, with `Driver::run` on tokio's timer, and watch channels
//!   (`Store::watch_entity_channel`, `Store::watch_query_channel`).
//! * `futures`: watchers as `futures::Stream`s (`Store::watch_entity_stream`,
//!   `Store::watch_query_stream`).
//!
//! # Trade-offs
//!
//! * A layer stores ops, not copies of entities, so a server write to a field the layer does not
//!   touch is visible at once (Apollo's "stale shadow" cannot happen), at the price of
//!   re-applying a key's ops when something below that key changes: failing a layer costs
//!   O(keys it touches × layers on each key), never O(all layers).
//! * The view is base plus an overlay holding the merged entity of each key a live layer
//!   touches. Base's map keeps that merged entity in the key's own slot too, so a read of the
//!   view or of base is one lookup at any depth of the stack; writes update base in place (it
//!   shares nodes with no other map but the caller's snapshots), and the overlay is empty
//!   whenever no layer is live. The price: a layered key's slot holds a boxed pair (confirmed,
//!   merged), 40 bytes more than a plain slot.
//! * Entities are small sorted field arrays: a field read scans a handful of names (their
//!   lengths first), a write copies the fields.
//!
//! # Example
//!
//! ```
//! use optimist::{Patch, Store};
//!
//! let mut store = Store::new();
//! store.write(Patch::new().set("Todo:1", "title", "Buy milk").set("Todo:1", "done", false))?;
//!
//! // The user ticks the box: visible at once.
//! let (tick, _) = store.push("tick", Patch::new().set("Todo:1", "done", true))?;
//! assert_eq!(store.get_field("Todo:1", "done").and_then(|v| v.as_bool()), Some(true));
//!
//! // The request fails: the tick is taken back exactly.
//! store.fail(tick)?;
//! assert_eq!(store.get_field("Todo:1", "done").and_then(|v| v.as_bool()), Some(false));
//!
//! // Again; a refetch goes out while the save is in flight and reads the old row.
//! let (tick, _) = store.push("tick", Patch::new().set("Todo:1", "done", true))?;
//! let refetch = store.reserve("refetch");
//! store.confirm(refetch, Patch::new().set("Todo:1", "done", false))?;
//! assert_eq!(store.get_field("Todo:1", "done").and_then(|v| v.as_bool()), Some(true), "no flicker");
//!
//! // The save succeeds: the change becomes confirmed truth.
//! store.promote(tick)?;
//! assert_eq!(store.get_confirmed("Todo:1").and_then(|e| e.get("done")).and_then(|v| v.as_bool()), Some(true));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
// The docs link GraphQL items (`Document`, `read_query`, ...) from everywhere; built without the
// `graphql` feature those links have no target and render as plain text.
#![cfg_attr(not(feature = "graphql"), allow(rustdoc::broken_intra_doc_links))]

// The modules that add methods to `Store` come first, in the order of its docs page (rustdoc
// lists impl blocks as it meets them): the core calls and the rest of `store`, then reading,
// watching, invalidation, eviction and collection, saving, the async bridges.
mod store;

mod read;
mod watch;

mod stale;

mod evict;
mod gc;

mod persist;

mod extract;

mod bridge;

mod changes;
mod client;
mod connection;
#[cfg(feature = "graphql")]
mod document;
#[cfg(feature = "driver")]
mod driver;
mod entity;
mod field;
mod field_policy;
mod field_read;
mod fold_tree;
mod guard;
mod key;
mod layer;
mod mutation;
mod normalize;
mod op;
mod pagination;
mod patch;
mod policy;
mod rewrite;
#[cfg(feature = "graphql")]
mod schema;
mod shape;
mod summary;
mod trie;
mod value;
mod version;
mod view;

pub use changes::{Change, Changes, LayerEvent};
pub use client::{
    Client, ErrorPolicy, Fetch, FetchError, FetchErrorKind, FetchId, FetchPolicy, FetchStatus,
    GraphqlError, Observed, ObserverId, Pages, QueryError, QueryId, QueryKey, QueryOptions,
    QueryState, QueryStatus, StoreMut,
};
pub use connection::{CONNECTION_INSERT, CONNECTION_REMOVE};
#[cfg(feature = "graphql")]
pub use document::{Document, DocumentError, OperationKind};
#[cfg(feature = "driver")]
pub use driver::{Driver, DriverStopped, FetchBody, MutationHandle, QueryHandle};
pub use entity::Entity;
pub use extract::RestoreError;
pub use field::FieldName;
pub use field_policy::{FieldPolicy, KeyArgs, KeyArgsFn, MergeFn, merge_updater_name};
pub use field_read::{FieldRead, MAX_READ_NESTING, ReadFn};
pub use gc::ReleaseError;
pub use guard::LayerGuard;
pub use key::{IntoKey, Key, KeyError, ROOT_MUTATION, ROOT_QUERY, ROOT_SUBSCRIPTION};
pub use layer::{LayerError, LayerId, LayerInfo, LayerKind, LayerState};
pub use mutation::records::MAX_SETTLED_MUTATIONS;
pub use mutation::{
    Answer, Failure, FailureKind, Mutation, MutationError, MutationInfo, MutationStatus, Outcome,
    Outgoing, RetryPolicy, Scope,
};
pub use normalize::{
    Diagnostic, NormalizeError, Payload, normalize, normalize_at, normalize_entity,
};
#[cfg(feature = "graphql")]
pub use normalize::{normalize_fragment, normalize_query};
pub use op::{DuplicateUpdater, ListPosition, Op, UpdaterFn, Updaters, apply};
pub use pagination::{
    MAX_OFFSET_GAP, cursor_pagination, offset_limit_pagination, relay_style_pagination,
};
pub use patch::{Patch, PatchError};
pub use persist::{LoadError, SaveError, Saved};
pub use policy::{
    DEFAULT_MAX_DEPTH, DEFAULT_MAX_NODES, KeyFields, KeyFn, Policies, TYPENAME, TypeFn,
};
#[cfg(feature = "graphql")]
pub use read::{PartialRead, Query, Shared};
pub use read::{ReadError, Reader};
#[cfg(feature = "graphql")]
pub use schema::SchemaError;
pub use store::{ConfirmError, MAX_ALIASES, RemapError, Store};
pub use value::{List, Str, Value};
pub use version::{BadVersion, Version};
pub use view::Snapshot;
pub use watch::{MutationsChanged, WatchId};
#[cfg(feature = "graphql")]
pub use watch::{QueryResult, TreeResult};
/// The time every call that schedules takes as `now` (retries, freshness, polling):
/// [`std::time::Instant`] itself on native targets, and a `performance.now()` clock in a browser
/// build, where `std::time::Instant::now()` panics (re-exported from `web-time`).
pub use web_time::Instant;

/// The README's examples, compiled and run as doc tests (with the default features: they use
/// GraphQL documents).
#[cfg(all(doctest, feature = "graphql"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
