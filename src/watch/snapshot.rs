//! Watchers for other threads: a query watcher told with the result and a [`Snapshot`] of the
//! store it was read from, so a reader thread (a renderer, an exporter) can read on against
//! exactly that state while the store, on its own thread, keeps writing.
//!
//! The store stays single-owner and synchronous: the callback runs on the writer's thread, at
//! the end of the call, and hands both on (a channel, a slot behind a lock). A snapshot is
//! immutable and O(1) to take, and one is taken per notification, shared by every such watcher
//! told in it; a notification that tells no such watcher takes none.

use std::sync::Arc;

use super::{QueryResult, Tell, WatchId};
use crate::document::Document;
use crate::store::Store;
use crate::view::Snapshot;

/// ## Watching with a snapshot
///
/// A query watcher told with a snapshot of the store as the call left it, to read more
/// from without the lock.
impl Store {
    /// Watches a query as [`watch_query`](Store::watch_query) does, and hands `callback` the
    /// new result together with a [`Snapshot`] of the store as the call (or
    /// [`batch`](Store::batch)) that changed it left it: the state the result was read from.
    ///
    /// What a reader thread that receives them sees:
    ///
    /// * **One whole state.** The snapshot is the store at one revision
    ///   ([`Snapshot::revision`]): every read of it ([`Snapshot::get`],
    ///   [`Reader::snapshot`](crate::Reader::snapshot) and its document reads) agrees with the
    ///   result and with every other read of it, whatever the store does meanwhile. It is never
    ///   part of a call (half a patch, a layer failed on some keys and not yet on others): calls
    ///   run on the writer's thread and the snapshot is taken once the call is over.
    /// * **Possibly an old one.** By the time the reader looks, the store may have moved on;
    ///   compare [`Snapshot::revision`] with [`Store::revision`], or just wait for the next one.
    /// * **In order.** The callback runs at the end of each call, on the writer's thread, so a
    ///   watcher is handed its results in the order of the calls, with increasing revisions;
    ///   states in which its result did not change are not handed on. After the last call, the
    ///   last snapshot handed on has the store's view, unless a later call changed only what
    ///   the query does not read.
    ///
    /// Like the result of [`watch_query`](Store::watch_query), the first is read at
    /// registration and not sent: take it with [`watched`](Store::watched) and
    /// [`snapshot`](Store::snapshot).
    ///
    /// # Panics
    ///
    /// A panic in `callback` propagates out of the store call that told it, once that call's
    /// change is applied in full: the store stays consistent and every watcher registered. The
    /// watchers the panic kept from being told are told at the next change to what they watch.
    ///
    /// ```
    /// use optimist::{Document, Patch, Reader, Store};
    /// use serde_json::json;
    /// use std::sync::mpsc;
    ///
    /// let mut store = Store::new();
    /// store.write(Patch::new()
    ///     .set("ROOT_QUERY", "todo", optimist::Key::new("Todo:1")?)
    ///     .set("Todo:1", "title", "Buy milk")
    ///     .set("Todo:1", "note", "semi-skimmed"))?;
    /// let (tx, rx) = mpsc::channel();
    /// let doc = Document::parse("{ todo { title } }")?;
    /// store.watch_query_snapshot(doc, json!({}), move |result, snapshot| {
    ///     let _ = tx.send((result.clone(), snapshot.clone())); // the reader may have gone
    /// });
    ///
    /// let policies = store.policies().clone();
    /// let reader = std::thread::spawn(move || {
    ///     // The list shows the title; its details read the note of that same state.
    ///     let (result, snapshot) = rx.recv().expect("one change");
    ///     let details = Document::parse("{ todo { title note } }").unwrap();
    ///     let read = Reader::snapshot(&snapshot, &policies).read_query(&details, &json!({})).unwrap();
    ///     (result.unwrap()["todo"]["title"].clone(), read)
    /// });
    /// store.write(Patch::new().set("Todo:1", "title", "Buy oat milk").set("Todo:1", "note", "barista"))?;
    /// store.write(Patch::new().set("Todo:1", "note", "any"))?; // the reader's snapshot keeps "barista"
    /// let (title, read) = reader.join().unwrap();
    /// assert_eq!(title, "Buy oat milk");
    /// assert_eq!(read, json!({"todo": {"title": "Buy oat milk", "note": "barista"}}));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn watch_query_snapshot(
        &mut self,
        doc: Document,
        variables: serde_json::Value,
        callback: impl Fn(&QueryResult, &Snapshot) + Send + Sync + 'static,
    ) -> WatchId {
        self.add_query(
            crate::read::Query::new(doc, variables),
            Tell::Snapshot(Arc::new(callback)),
        )
    }
}
