//! What [`use_query`](crate::use_query) takes as its key: a fixed [`QueryKey`], or a closure
//! Leptos tracks (leptos-fetch's "keyer"), so the query follows the signals it reads.

use optimist::QueryKey;

/// A query's key, fixed or reactive: a [`QueryKey`], or a closure returning one that reads
/// signals (the query moves to the new key when they change, [`optimist::Client::switch`]).
///
/// ```
/// use leptos::prelude::*;
/// use optimist::QueryKey;
/// use optimist_leptos::KeySource;
///
/// let fixed = QueryKey::rest("GET /todos", "todos");
/// assert_eq!(fixed.key(), QueryKey::rest("GET /todos", "todos"));
/// assert!(fixed.is_fixed());
///
/// let owner = Owner::new();
/// owner.with(|| {
///     let page = RwSignal::new(1);
///     let keyer = move || QueryKey::rest(&format!("GET /todos?page={}", page.get()), "todos");
///     assert!(!keyer.is_fixed());
///     assert_eq!(keyer.key().app_key(), Some("GET /todos?page=1"));
///     page.set(2);
///     assert_eq!(keyer.key().app_key(), Some("GET /todos?page=2"));
/// });
/// ```
pub trait KeySource: Send + Sync + 'static {
    /// The key now (reading, and so tracking, the signals it depends on).
    fn key(&self) -> QueryKey;

    /// Whether the key never changes: a fixed key needs no effect to follow it.
    fn is_fixed(&self) -> bool {
        false
    }
}

impl KeySource for QueryKey {
    fn key(&self) -> QueryKey {
        self.clone()
    }

    fn is_fixed(&self) -> bool {
        true
    }
}

impl<F> KeySource for F
where
    F: Fn() -> QueryKey + Send + Sync + 'static,
{
    fn key(&self) -> QueryKey {
        self()
    }
}
