//! Cached document reads: a [`Query`] keeps its last result and what it was read from, so
//! reading it again is free while nothing it depends on has changed.
//!
//! Apollo keeps such results in its cache's result cache; here the caller owns them (one
//! `Query` per watched document), so the store stays free of interior mutability and `Sync`.

use std::fmt;
use std::sync::Arc;

use super::kept::{Last, Recording};
use super::{ReadError, Start, run_on};
use crate::document::Document;
use crate::key::{IntoKey, Key, KeyError};
use crate::store::Store;

/// A document read through a store's merged view, kept: [`Query::read`] returns the previous
/// result (the same `Arc`) when it is still right, and reads again only when not.
///
/// * If the store's [`revision`](Store::revision) is the one of the last read, nothing changed
///   at all: O(1).
/// * Otherwise, if no key changed since (the store remembers its recent revisions' changed
///   keys, see [`Store::changed_since`]) is one the last read looked up, the changes were elsewhere: O(keys changed). Further
///   back, every entity the last read looked up is compared with the store's, by pointer:
///   O(entities read). Either way, nothing is rebuilt.
/// * Otherwise the document is read again.
///
/// ```
/// use optimist::{Document, Patch, Query, Store};
/// use std::sync::Arc;
///
/// let mut store = Store::new();
/// store.write(Patch::new().set("ROOT_QUERY", "a", 1).set("Other:1", "x", 1))?;
/// let mut query = Query::new(Document::parse("{ a }")?, serde_json::Value::Null);
///
/// let first = query.read(&store)?;
/// assert!(Arc::ptr_eq(&first, &query.read(&store)?), "nothing changed: the same result");
///
/// store.write(Patch::new().set("Other:1", "x", 2))?;
/// assert!(Arc::ptr_eq(&first, &query.read(&store)?), "an unrelated change: still the same");
///
/// store.push("bump", Patch::new().increment("ROOT_QUERY", "a", 1))?;
/// assert_eq!(*query.read(&store)?, serde_json::json!({"a": 2}));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Query {
    doc: Document,
    variables: serde_json::Value,
    origin: Origin,
    last: Option<Last>,
    /// The keys the last read looked up when it failed (a watcher reads again when one of
    /// them changes).
    failed: Vec<Box<str>>,
    /// The state of [`Query::read_shared`] and [`Query::read_as`].
    shared: SharedState,
}

/// Where a kept read starts: the document's operation, or one of its fragments on an entity.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Origin {
    Operation,
    Fragment { name: Option<Box<str>>, key: Key },
}

impl Origin {
    fn start(&self) -> Start<'_> {
        match self {
            Origin::Operation => Start::Query,
            Origin::Fragment { name, key } => Start::Fragment(name.as_deref(), key.as_str()),
        }
    }
}

/// What [`Query::read_shared`] and [`Query::read_as`] keep between reads.
#[derive(Default)]
struct SharedState {
    /// The store revision the memo is up to date with (0: none yet).
    revision: u64,
    result: Option<crate::value::Value>,
    memo: super::shared::Memo,
    /// The keys the last shared read looked up.
    deps: super::shared::Deps,
    /// The [`Shared`](crate::Shared) parts typed reads gave.
    typed: super::reuse::Typed,
}

impl Query {
    /// How many entity subtrees the shared read keeps (tests of the memo's sweep).
    #[cfg(test)]
    pub(super) fn memo_len(&self) -> usize {
        self.shared.memo.len()
    }

    /// A query of `doc`'s operation with these variables (an object, or `null` for none). It
    /// reads nothing until [`read`](Query::read).
    ///
    /// ```
    /// let query = optimist::Query::new(optimist::Document::parse("{ a }")?, serde_json::json!({}));
    /// # let _ = query;
    /// # Ok::<(), optimist::DocumentError>(())
    /// ```
    pub fn new(doc: Document, variables: serde_json::Value) -> Query {
        Query {
            doc,
            variables,
            origin: Origin::Operation,
            last: None,
            failed: Vec::new(),
            shared: SharedState::default(),
        }
    }

    /// A kept read of a fragment of `doc` (the one named `fragment`, or its only one) from the
    /// entity `key`, as [`Store::read_fragment`] gives it: what a fragment watch
    /// ([`Store::watch_fragment`]) and a component showing one entity read. It reads nothing
    /// until [`read`](Query::read).
    ///
    /// ```
    /// use optimist::{Document, Patch, Query, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("Todo:1", "__typename", "Todo").set("Todo:1", "title", "a"))?;
    /// let doc = Document::parse("fragment Title on Todo { title }")?;
    /// let mut title = Query::fragment(doc, None, "Todo:1", serde_json::Value::Null)?;
    /// assert_eq!(*title.read(&store)?, serde_json::json!({"__typename": "Todo", "title": "a"}));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fragment(
        doc: Document,
        fragment: Option<&str>,
        key: impl IntoKey,
        variables: serde_json::Value,
    ) -> Result<Query, KeyError> {
        let mut query = Query::new(doc, variables);
        query.origin = Origin::Fragment {
            name: fragment.map(Box::from),
            key: key.into_key()?,
        };
        Ok(query)
    }

    /// The result through `store`'s merged view, as [`Store::read_query`] would give it,
    /// reusing the last one when it is still right (see [`Query`]). A failed read keeps nothing.
    ///
    /// ```
    /// use optimist::{Document, Patch, Query, Store};
    /// let mut store = Store::new();
    /// let mut query = Query::new(Document::parse("{ a }")?, serde_json::Value::Null);
    /// assert!(query.read(&store).is_err(), "nothing to read yet");
    /// store.write(Patch::new().set("ROOT_QUERY", "a", 1))?;
    /// assert_eq!(*query.read(&store)?, serde_json::json!({"a": 1}));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read(&mut self, store: &Store) -> Result<Arc<serde_json::Value>, ReadError> {
        if let Some(last) = &mut self.last
            && last.holds(store)
        {
            last.revision = store.revision();
            return Ok(last.result.clone());
        }
        self.last = None;
        let recording = Recording::new(store.view());
        let read: Result<serde_json::Value, ReadError> = run_on(
            &recording,
            store.policies(),
            &self.doc,
            self.origin.start(),
            &self.variables,
            None,
        );
        let result = match read {
            Ok(result) => {
                self.failed.clear();
                Arc::new(result)
            }
            Err(error) => {
                self.failed = recording.deps.into_inner().into_keys().collect();
                return Err(error);
            }
        };
        self.last = Some(recording.into_last(store.revision(), result.clone()));
        Ok(result)
    }

    /// Whether the next [`read`](Query::read) would read the document again, rather than return
    /// the last result: what a watcher asks after each change to decide whether to re-render.
    ///
    /// ```
    /// use optimist::{Document, Patch, Query, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("ROOT_QUERY", "a", 1))?;
    /// let mut query = Query::new(Document::parse("{ a }")?, serde_json::Value::Null);
    /// query.read(&store)?;
    /// store.write(Patch::new().set("Unrelated:1", "x", 1))?;
    /// assert!(!query.is_outdated(&store));
    /// store.write(Patch::new().set("ROOT_QUERY", "a", 2))?;
    /// assert!(query.is_outdated(&store));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_outdated(&self, store: &Store) -> bool {
        !self.last.as_ref().is_some_and(|last| last.holds(store))
    }

    /// The result as a tree of [`Value`](crate::Value)s that shares every unchanged subtree
    /// with the previous result: an entity whose subtree read nothing that changed since is
    /// the same allocation (compare with [`Entity::ptr_eq`](crate::Entity::ptr_eq) /
    /// [`List::ptr_eq`](crate::List::ptr_eq)), so a UI diffing by pointer re-renders only what
    /// changed, and a re-read costs the entities that changed plus rebuilding the lists and
    /// objects that hold them, not the whole result. Its JSON
    /// ([`Value::to_json`](crate::Value::to_json)) is what [`read`](Query::read) gives.
    /// Objects are [`Value::Object`](crate::Value::Object)s keyed by response key.
    ///
    /// ```
    /// use optimist::{Document, Key, Patch, Query, Store, Value};
    ///
    /// let mut store = Store::new();
    /// let todos: Vec<Value> = (1..=3).map(|i| Value::Ref(Key::new(&format!("Todo:{i}")).unwrap())).collect();
    /// let mut seed = Patch::new().set("ROOT_QUERY", "todos", todos);
    /// for i in 1..=3 {
    ///     seed = seed.set(format!("Todo:{i}"), "title", format!("todo {i}"));
    /// }
    /// store.write(seed)?;
    /// let mut query = Query::new(Document::parse("{ todos { title } }")?, serde_json::json!({}));
    /// let before = query.read_shared(&store)?;
    /// store.push("rename", Patch::new().set("Todo:2", "title", "renamed"))?;
    /// let after = query.read_shared(&store)?;
    ///
    /// let items = |tree: &Value| -> Vec<Value> {
    ///     let Value::Object(root) = tree else { panic!() };
    ///     root.get("todos").and_then(Value::as_list).unwrap().iter().cloned().collect()
    /// };
    /// let (b, a) = (items(&before), items(&after));
    /// let same = |x: &Value, y: &Value| matches!((x, y), (Value::Object(x), Value::Object(y)) if x.ptr_eq(y));
    /// assert!(same(&b[0], &a[0]) && same(&b[2], &a[2]), "untouched items are shared");
    /// assert!(!same(&b[1], &a[1]), "the renamed one is new");
    /// assert_eq!(after.to_json(), *query.read(&store)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_shared(&mut self, store: &Store) -> Result<crate::value::Value, ReadError> {
        let state = &mut self.shared;
        if state.revision == store.revision()
            && let Some(result) = &state.result
        {
            return Ok(result.clone());
        }
        match store.changed_since(state.revision) {
            Some(changed) => {
                let mut read_one = false;
                for key in changed {
                    // Asked before the invalidation: it drops the entries that tell.
                    read_one = read_one || state.deps.contains(key.as_str(), &state.memo);
                    state.memo.invalidate(key);
                }
                // Nothing the last read looked up changed: the same result.
                if !read_one && let Some(result) = &state.result {
                    state.revision = store.revision();
                    return Ok(result.clone());
                }
            }
            None => state.memo.clear(),
        }
        state.revision = store.revision();
        state.result = None;
        let (result, deps) = super::run_shared(
            &store.view(),
            store.policies(),
            &self.doc,
            self.origin.start(),
            &self.variables,
            &mut state.memo,
            state.deps.direct_len(),
        );
        state.deps = deps;
        state.memo.sweep(&state.deps);
        let result = result?;
        state.result = Some(result.clone());
        Ok(result)
    }

    /// The result deserialized into the caller's type `T`, from the shared tree
    /// ([`read_shared`](Query::read_shared)) with no JSON built: what a Rust UI shows. Every
    /// [`Shared`](crate::Shared) part of `T` whose entity, object or list did not change since
    /// the last `read_as` is the `Arc` that read gave, not deserialized again, so a re-read
    /// after one item of a long list changed costs the shared re-read plus a lookup per
    /// unchanged item. Without `Shared` parts, `T` is built whole from the tree.
    /// [`ReadError::Deserialize`] (with the path) when the type rejects the data.
    ///
    /// ```
    /// use optimist::{Document, Patch, Query, Shared, Store};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Data { viewer: Shared<User>, count: i64 }
    /// #[derive(serde::Deserialize)]
    /// struct User { name: String }
    ///
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("User:1", "name", "ada").set("ROOT_QUERY", "viewer", optimist::Key::new("User:1")?).set("ROOT_QUERY", "count", 1))?;
    /// let mut query = Query::new(Document::parse("{ viewer { name } count }")?, serde_json::json!({}));
    /// let first: Data = query.read_as(&store)?;
    /// store.push("bump", Patch::new().increment("ROOT_QUERY", "count", 1))?;
    /// let second: Data = query.read_as(&store)?;
    /// assert_eq!(second.count, 2);
    /// assert!(Shared::ptr_eq(&first.viewer, &second.viewer), "the viewer did not change");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_as<T: serde::de::DeserializeOwned>(
        &mut self,
        store: &Store,
    ) -> Result<T, ReadError> {
        let tree = self.read_shared(store)?;
        self.shared.typed.read(&tree)
    }

    /// A fragment read from `from` reads from `to` from now on (a remapped temporary key),
    /// keeping nothing of its last read. Whether it was one.
    pub(crate) fn rekey(&mut self, from: &Key, to: &Key) -> bool {
        let Origin::Fragment { key, .. } = &mut self.origin else {
            return false;
        };
        if key != from {
            return false;
        }
        *key = to.clone();
        self.last = None;
        self.shared = SharedState::default();
        true
    }

    /// What identifies the read: the parsed document, the variables as text, and where it
    /// starts.
    pub(crate) fn identity(&self) -> (usize, String, Origin) {
        (
            self.doc.identity(),
            self.variables.to_string(),
            self.origin.clone(),
        )
    }

    /// The keys the last [`read_shared`](Query::read_shared) looked up.
    pub(crate) fn shared_dependencies(
        &mut self,
    ) -> &std::collections::HashSet<crate::key::Key, crate::patch::Hasher> {
        self.shared.deps.all()
    }

    /// The keys the last read looked up (whether it succeeded or not), sorted.
    pub(crate) fn dependencies(&self) -> Vec<crate::key::Key> {
        let mut keys: Vec<crate::key::Key> = match &self.last {
            Some(last) => last
                .deps
                .keys()
                .filter_map(|k| crate::key::Key::new(k).ok())
                .collect(),
            None => self
                .failed
                .iter()
                .filter_map(|k| crate::key::Key::new(k).ok())
                .collect(),
        };
        keys.sort_unstable();
        keys
    }

    /// The document.
    ///
    /// ```
    /// let query = optimist::Query::new(optimist::Document::parse("query Q { a }")?, serde_json::Value::Null);
    /// assert_eq!(query.document().operation_name(), Some("Q"));
    /// # Ok::<(), optimist::DocumentError>(())
    /// ```
    pub fn document(&self) -> &Document {
        &self.doc
    }

    /// The variables it reads with.
    ///
    /// ```
    /// use serde_json::json;
    /// let query = optimist::Query::new(optimist::Document::parse("{ a }")?, json!({"n": 1}));
    /// assert_eq!(query.variables(), &json!({"n": 1}));
    /// # Ok::<(), optimist::DocumentError>(())
    /// ```
    pub fn variables(&self) -> &serde_json::Value {
        &self.variables
    }
}

impl fmt::Debug for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Query")
            .field("doc", &self.doc)
            .field("variables", &self.variables)
            .field("origin", &self.origin)
            .field("cached", &self.last.is_some())
            .finish()
    }
}
