//! Invalidating what queries read, tags on watched queries, and which queries are stale.

use crate::document::Document;
use crate::field::FieldName;
use crate::key::Key;
use crate::read::{FieldsRead, Query, ReadError, fields_read};
use crate::store::Store;
use crate::watch::WatchId;

/// ## Invalidating queries and tags
///
/// Mark what a GraphQL query read, or every watcher tagged with a name, as stale.
impl Store {
    /// Marks every field a read of `doc` with `variables` looks up in the view (each root
    /// field, each field of each entity it reaches) as stale: everything the query read, and
    /// nothing else. Fields it asks for that the store does not hold are not marked (nothing
    /// is cached to refetch). Returns how many fields were newly marked. O(size of the read).
    ///
    /// ```
    /// use optimist::{Document, Key, Patch, Store};
    /// use serde_json::json;
    ///
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("ROOT_QUERY", "todo", Key::new("Todo:1")?).set("Todo:1", "title", "a").set("Todo:1", "notes", "b"))?;
    /// let doc = Document::parse("{ todo { title } }")?;
    /// assert_eq!(store.invalidate_query(&doc, &json!({}))?, 2);
    /// assert!(store.is_field_stale("ROOT_QUERY", "todo") && store.is_field_stale("Todo:1", "title"));
    /// assert!(!store.is_field_stale("Todo:1", "notes"), "not read by the query");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn invalidate_query(
        &mut self,
        doc: &Document,
        variables: &serde_json::Value,
    ) -> Result<usize, ReadError> {
        let read = fields_read(&self.view(), self.policies(), doc, variables)?;
        Ok(self.mark_read(read))
    }

    /// Tags a watched query (from [`watch_query`](Store::watch_query) or its siblings), so
    /// [`invalidate_tag`](Store::invalidate_tag) can invalidate it with the others of its tag
    /// (TanStack Query's query keys, RTK Query's tags). A watcher may have several tags; a tag
    /// lasts as long as its watcher. `false`, and nothing tagged, if `id` is not a query
    /// watcher. O(watchers of the tag).
    ///
    /// ```
    /// use optimist::{Document, Store};
    /// let mut store = Store::new();
    /// let id = store.watch_query(Document::parse("{ todos { id } }")?, serde_json::json!({}), |_| {});
    /// assert!(store.tag_watch(id, "todos"));
    /// let layers = store.watch_layers(|_| {});
    /// assert!(!store.tag_watch(layers, "todos"), "not a query watcher");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tag_watch(&mut self, id: WatchId, tag: &str) -> bool {
        self.watchers.tag(id, tag)
    }

    /// Invalidates everything the watched queries tagged `tag` read (as
    /// [`invalidate_query`](Store::invalidate_query) does for each): a targeted invalidation,
    /// after a mutation that changes what those queries show. A tag no watcher carries marks
    /// nothing. Returns how many fields were newly marked. O(size of the tagged reads).
    ///
    /// ```
    /// use optimist::{Document, Patch, Store};
    /// use serde_json::json;
    ///
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("ROOT_QUERY", "todos", 1).set("ROOT_QUERY", "me", 2))?;
    /// let todos = store.watch_query(Document::parse("{ todos }")?, json!({}), |_| {});
    /// let me = store.watch_query(Document::parse("{ me }")?, json!({}), |_| {});
    /// store.tag_watch(todos, "todos");
    /// assert_eq!(store.invalidate_tag("todos"), 1);
    /// assert_eq!(store.stale(), [todos]);
    /// assert!(!store.is_watch_stale(me));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn invalidate_tag(&mut self, tag: &str) -> usize {
        let mut read = Vec::new();
        for id in self.watchers.tagged(tag) {
            if let Some(query) = self.watchers.query(*id)
                && let Ok(fields) = self.query_fields(query)
            {
                read.extend(fields);
            }
        }
        self.mark_read(read)
    }

    /// The watched queries that read a field marked stale, most recently watched first: what
    /// to refetch, the newest screen first. Each is stale until fresh data is written for
    /// every marked field it reads. Empty at once when nothing is marked; otherwise O(W) to
    /// find the watchers whose last read failed, plus the reads of those and of the watchers
    /// that read a marked entity.
    ///
    /// ```
    /// use optimist::{Document, Patch, Store};
    /// use serde_json::json;
    ///
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("ROOT_QUERY", "a", 1).set("ROOT_QUERY", "b", 1))?;
    /// let a = store.watch_query(Document::parse("{ a }")?, json!({}), |_| {});
    /// let ab = store.watch_query(Document::parse("{ a b }")?, json!({}), |_| {});
    /// store.invalidate_field("ROOT_QUERY", "a")?;
    /// assert_eq!(store.stale(), [ab, a], "the most recently watched first");
    /// store.write(Patch::new().set("ROOT_QUERY", "a", 2))?; // the refetch
    /// assert!(store.stale().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stale(&self) -> Vec<WatchId> {
        if self.stale.is_empty() {
            return Vec::new();
        }
        // The watchers whose last read reached a marked key, and those whose last read failed:
        // it stopped early, so what it depends on is not all that a read past the missing
        // field (as `is_watch_stale` does) looks up.
        let mut candidates: Vec<WatchId> = self
            .stale
            .keys()
            .flat_map(|key| self.watchers.watching(key).iter().copied())
            .chain(self.watchers.failed_queries())
            .collect();
        candidates.sort_unstable_by(|a, b| b.cmp(a));
        candidates.dedup();
        candidates.retain(|id| self.is_watch_stale(*id));
        candidates
    }

    /// Whether the watched query `id` reads a field marked stale; `false` for an id that is
    /// not a query watcher. O(size of its read), O(1) when nothing is marked.
    ///
    /// ```
    /// use optimist::{Document, Patch, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("ROOT_QUERY", "a", 1))?;
    /// let id = store.watch_query(Document::parse("{ a }")?, serde_json::json!({}), |_| {});
    /// assert!(!store.is_watch_stale(id));
    /// store.invalidate("ROOT_QUERY")?;
    /// assert!(store.is_watch_stale(id));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_watch_stale(&self, id: WatchId) -> bool {
        !self.stale.is_empty()
            && self
                .watchers
                .query(id)
                .is_some_and(|query| query.is_stale(self))
    }

    /// The fields a kept query reads in the view now.
    fn query_fields(&self, query: &Query) -> Result<FieldsRead, ReadError> {
        fields_read(
            &self.view(),
            self.policies(),
            query.document(),
            query.variables(),
        )
    }

    /// Marks fields a read looked up that the store holds; returns how many were new.
    fn mark_read(&mut self, mut read: FieldsRead) -> usize {
        // Several reads' pairs (a tag's queries) come concatenated: group them by key.
        read.sort_unstable();
        read.dedup();
        let mut added = 0;
        let mut at = 0;
        while at < read.len() {
            let key_text = &read[at].0;
            let end = at + read[at..].partition_point(|(k, _)| k == key_text);
            let Ok(key) = Key::new(key_text) else {
                at = end;
                continue;
            };
            // Held in the view or in base (a root a pending layer deletes still has base's).
            let (view, confirmed) = (self.get(key_text), self.get_confirmed(key_text));
            let held: Vec<FieldName> = read[at..end]
                .iter()
                .filter_map(|(_, field)| {
                    view.and_then(|e| e.name_of(field))
                        .or_else(|| confirmed.and_then(|c| c.name_of(field)))
                        .cloned()
                })
                .collect();
            added += self.stale.mark(&key, held);
            at = end;
        }
        added
    }
}

impl Query {
    /// Whether a read of this query in `store` now looks up a field marked stale (see
    /// [`Store::invalidate`]): its data needs a refetch. O(1) when nothing is marked,
    /// otherwise O(size of the read). Not to be confused with
    /// [`is_outdated`](Query::is_outdated), whether the kept result must be read again.
    ///
    /// ```
    /// use optimist::{Document, Patch, Query, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("ROOT_QUERY", "a", 1).set("ROOT_QUERY", "b", 1))?;
    /// let query = Query::new(Document::parse("{ a }")?, serde_json::Value::Null);
    /// store.invalidate_field("ROOT_QUERY", "b")?;
    /// assert!(!query.is_stale(&store));
    /// store.invalidate_field("ROOT_QUERY", "a")?;
    /// assert!(query.is_stale(&store));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_stale(&self, store: &Store) -> bool {
        // Every mark's stamp is at least 1.
        self.is_marked_after(store, 0)
    }

    /// Whether a read of this query looks up a field marked by a call after the store's
    /// invalidation count was `after` (the client's freshness: marks its answer predates).
    pub(crate) fn is_marked_after(&self, store: &Store, after: u64) -> bool {
        if store.stale.is_empty() {
            return false;
        }
        store.query_fields(self).is_ok_and(|read| {
            read.iter()
                .any(|(key, field)| store.stale.marked_after(key, field, after))
        })
    }
}
