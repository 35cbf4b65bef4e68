//! Bridges from watchers to async code: a `tokio::sync::watch` receiver (feature `tokio`) or a
//! `futures::Stream` (feature `futures`) per watcher, for UI runtimes and tasks that await
//! changes instead of taking callbacks.
//!
//! Each bridge is a watcher whose callback sends into a channel; the store stays synchronous
//! and sans-IO. Dropping the receiver does not unregister the watcher (the store cannot see
//! it); [`Store::unwatch`] does.

#[cfg(any(feature = "tokio", feature = "futures"))]
use crate::entity::Entity;
#[cfg(feature = "graphql")]
#[cfg(any(feature = "tokio", feature = "futures"))]
use crate::{Document, QueryResult};
#[cfg(any(feature = "tokio", feature = "futures"))]
use crate::{Store, watch::WatchId};

/// ## Async bridges: tokio watch channels for queries (features `tokio` and `graphql`)
#[cfg(all(feature = "tokio", feature = "graphql"))]
impl Store {
    /// Watches a query into a `tokio::sync::watch` channel: the receiver holds the latest
    /// result (the current one at once), and `changed().await` wakes when a call changed it.
    ///
    /// Available with the `tokio` feature.
    ///
    /// ```
    /// use optimist::{Document, Patch, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("ROOT_QUERY", "count", 1))?;
    /// let (_id, mut rx) = store.watch_query_channel(Document::parse("{ count }")?, serde_json::json!({}));
    /// assert_eq!(**rx.borrow_and_update().as_ref().unwrap(), serde_json::json!({"count": 1}));
    /// store.push("bump", Patch::new().increment("ROOT_QUERY", "count", 1))?;
    /// assert!(rx.has_changed()?);
    /// assert_eq!(**rx.borrow_and_update().as_ref().unwrap(), serde_json::json!({"count": 2}));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn watch_query_channel(
        &mut self,
        doc: Document,
        variables: serde_json::Value,
    ) -> (WatchId, tokio::sync::watch::Receiver<QueryResult>) {
        // The first result is read at registration; the channel starts with a placeholder
        // replaced just below, before the receiver is handed out.
        let (tx, rx) =
            tokio::sync::watch::channel(Err(crate::ReadError::MissingRoot { key: String::new() }));
        let sender = tx.clone();
        let id = self.watch_query(doc, variables, move |result| {
            drop(sender.send_replace(result.clone()));
        });
        if let Some(first) = self.watched(id) {
            drop(tx.send_replace(first.clone()));
        }
        let mut rx = rx;
        rx.mark_unchanged();
        (id, rx)
    }
}

/// ## Async bridges: tokio watch channels for entities (feature `tokio`)
#[cfg(feature = "tokio")]
impl Store {
    /// Watches the entity `key` of the merged view into a `tokio::sync::watch` channel: the
    /// receiver holds the entity as it is now (`None`: absent) at once, and `changed().await`
    /// wakes when a call changed it. A remapped temporary key is watched as the key it became.
    ///
    /// Available with the `tokio` feature.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let (_id, mut rx) = store.watch_entity_channel("Todo:1")?;
    /// assert!(rx.borrow_and_update().is_none(), "nothing stored yet");
    /// store.push("save", Patch::new().set("Todo:1", "done", true))?;
    /// assert!(rx.has_changed()?);
    /// let done = rx.borrow_and_update().as_ref().and_then(|todo| todo.get("done")?.as_bool());
    /// assert_eq!(done, Some(true));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn watch_entity_channel(
        &mut self,
        key: impl crate::IntoKey,
    ) -> Result<(WatchId, tokio::sync::watch::Receiver<Option<Entity>>), crate::KeyError> {
        // `get` reads a remapped key as the key it became, as `watch_entity` watches it.
        let key = key.into_key()?;
        let (tx, mut rx) = tokio::sync::watch::channel(self.get(&key).cloned());
        let id = self.watch_entity(key, move |entity| {
            drop(tx.send_replace(entity.cloned()));
        })?;
        rx.mark_unchanged();
        Ok((id, rx))
    }
}

/// ## Async bridges: streams (feature `futures`)
///
/// Each watcher as a `futures::Stream`, for any executor.
#[cfg(feature = "futures")]
impl Store {
    /// Watches a query as a `futures::Stream` of its results: one item per call that changed
    /// it (the current result is not sent; read it with [`watched`](Store::watched)).
    ///
    /// Available with the `futures` feature.
    ///
    /// ```
    /// use optimist::{Document, Patch, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("ROOT_QUERY", "count", 1))?;
    /// let (_id, mut stream) = store.watch_query_stream(Document::parse("{ count }")?, serde_json::json!({}));
    /// store.push("bump", Patch::new().increment("ROOT_QUERY", "count", 1))?;
    /// let next = stream.try_next()?.expect("one change");
    /// assert_eq!(*next.unwrap(), serde_json::json!({"count": 2}));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "graphql")]
    pub fn watch_query_stream(
        &mut self,
        doc: Document,
        variables: serde_json::Value,
    ) -> (
        WatchId,
        futures_channel::mpsc::UnboundedReceiver<QueryResult>,
    ) {
        let (tx, rx) = futures_channel::mpsc::unbounded();
        let id = self.watch_query(doc, variables, move |result| {
            // A dropped receiver refuses the send: nobody listens any more.
            let _ = tx.unbounded_send(result.clone());
        });
        (id, rx)
    }

    /// Watches an entity as a `futures::Stream`: one item (the entity, or `None` when gone)
    /// per call that changed it.
    ///
    /// Available with the `futures` feature.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let (_id, mut stream) = store.watch_entity_stream("Todo:1")?;
    /// store.write(Patch::new().set("Todo:1", "done", true))?;
    /// let todo = stream.try_next()?.expect("one change").expect("present");
    /// assert_eq!(todo.get("done").and_then(|v| v.as_bool()), Some(true));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn watch_entity_stream(
        &mut self,
        key: impl crate::IntoKey,
    ) -> Result<
        (
            WatchId,
            futures_channel::mpsc::UnboundedReceiver<Option<Entity>>,
        ),
        crate::KeyError,
    > {
        let (tx, rx) = futures_channel::mpsc::unbounded();
        let id = self.watch_entity(key, move |entity| {
            let _ = tx.unbounded_send(entity.cloned());
        })?;
        Ok((id, rx))
    }
}
