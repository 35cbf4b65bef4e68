//! Suspense: a component waits for its query's first data under a `SuspenseBoundary`
//! (Dioxus 0.7's `RenderError::Suspended` on a task), as dioxus-query's `suspend` does.
//!
//! The task waits on a bell the query's listener rings when the query has data or has failed
//! for good; Dioxus re-renders the component when the task ends, and the boundary swaps its
//! fallback for it.

use dioxus_core::{RenderError, SuspendedFuture, spawn};
use dioxus_signals::{ReadableExt, WritableExt};
use optimist::FetchError;

use crate::context::lock;
use crate::query::{UseQuery, settled};

impl<X: Clone + Send + Sync + 'static> UseQuery<X> {
    /// Suspends the component until the query has data or has failed for good (dioxus-query's
    /// `suspend`): `Ok(Ok(data))`, `Ok(Err(error))` when it failed without data, or
    /// `Err(RenderError)` to return with `?` while loading, so the nearest
    /// `SuspenseBoundary` shows its fallback. Subscribes to [`data`](UseQuery::data) and
    /// [`error`](UseQuery::error).
    ///
    /// ```
    /// use dioxus::prelude::*;
    /// use optimist::{Client, Instant, QueryKey, QueryOptions, Store};
    /// use optimist_dioxus::{lock, shared, use_query};
    ///
    /// fn Me() -> Element {
    ///     let me = use_query(QueryKey::rest("GET /me", "me"), QueryOptions::new()).suspend()?;
    ///     match me {
    ///         Ok(name) => rsx! { "{name}" },
    ///         Err(error) => rsx! { "failed: {error}" },
    ///     }
    /// }
    ///
    /// fn App() -> Element {
    ///     rsx! { SuspenseBoundary { fallback: |_| rsx! { "loading" }, Me {} } }
    /// }
    ///
    /// let client = shared(Client::new(Store::new()));
    /// let mut dom = VirtualDom::new(App).with_root_context(client.clone());
    /// dom.rebuild_in_place();
    /// assert_eq!(dioxus_ssr::render(&dom), "loading");
    /// let fetch = lock(&client).next_fetch(Instant::now()).unwrap();
    /// lock(&client).resolve(fetch.id, "7", Instant::now())?;
    /// for _ in 0..3 {
    ///     dom.process_events(); // the suspense task ends
    ///     dom.render_immediate(&mut dioxus::core::NoOpMutations);
    /// }
    /// assert_eq!(dioxus_ssr::render(&dom), "7");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn suspend(&self) -> Result<Result<X, FetchError>, RenderError> {
        if let Some(data) = &*self.data.read() {
            return Ok(Ok(data.clone()));
        }
        if let Some(error) = &*self.error.read() {
            return Ok(Err(error.clone()));
        }
        let mut handle = self.handle;
        if let Some(task) = handle.peek().suspense {
            return Err(RenderError::Suspended(SuspendedFuture::new(task)));
        }
        let (client, observer, bell) = {
            let handle = handle.peek();
            (
                handle.client.clone(),
                handle.observer,
                handle.sink.settled.clone(),
            )
        };
        {
            // Under the lock no listener runs: when the query is not settled now, a ring heard
            // before is stale (a key shown before a switch) and the next one is for this wait;
            // when it is (an answer on another thread since the reads above), the bell rang for
            // it and the wait ends at once.
            if !lock(&client).state(observer).is_some_and(settled) {
                bell.reset();
            }
        }
        let task = spawn(async move {
            bell.rung().await;
            handle.write().suspense = None;
        });
        handle.write().suspense = Some(task);
        Err(RenderError::Suspended(SuspendedFuture::new(task)))
    }
}
