//! `gc_time`: a query nobody has observed for that long is released (its record dropped,
//! the root fields only it read evicted), and [`Client::gc`] then collects from the store
//! what nothing else reaches.

use std::collections::HashSet;

use super::Client;
use super::fetch::QueryId;
use super::record::Read;
use crate::Instant;
use crate::changes::Changes;
use crate::field::FieldName;
use crate::key::ROOT_QUERY;

impl Client {
    /// Releases the queries whose `gc_time` ran out by `now`, then collects the store
    /// ([`Store::gc`](crate::Store::gc)): what only released queries read goes. Returns what
    /// the collection changed. O(records) plus the store's collection.
    ///
    /// A released query's record is dropped (a later observer starts afresh, with a new
    /// [`QueryId`](crate::QueryId)), and the `ROOT_QUERY` fields it read are evicted unless
    /// another live query reads them. While a live layer (pending, or confirmed and not yet
    /// folded into base) touches `ROOT_QUERY`, or a store watcher reads it, no query is
    /// released (a rollback or the watcher may need those fields): they are at a later call.
    ///
    /// ```
    /// use optimist::{Client, QueryKey, QueryOptions, Store, Instant};
    /// use std::time::Duration;
    /// let mut client = Client::new(Store::with_policies(optimist::Policies::new().type_at("todos", "Todo")));
    /// let now = Instant::now();
    /// let options = QueryOptions::new().gc_time(Duration::from_secs(60));
    /// let seen = client.observe(QueryKey::rest("GET /todos", "todos"), options, now, |_| {});
    /// let fetch = client.next_fetch(now).unwrap();
    /// client.resolve(fetch.id, r#"[{"id": 1}]"#, now)?;
    /// client.unobserve(seen.observer, now);
    /// client.gc(now + Duration::from_secs(59));
    /// assert!(client.store().contains("Todo:1"), "within its gc_time");
    /// let removed = client.gc(now + Duration::from_secs(60));
    /// assert!(removed.contains("Todo:1") && client.query_count() == 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn gc(&mut self, now: Instant) -> Changes {
        let now = self.at(now);
        self.release_expired(now);
        let changes = self.store.gc();
        self.sync();
        changes
    }

    /// Drops the records whose `gc_time` ran out, evicting the root fields only they read.
    pub(super) fn release_expired(&mut self, now: Instant) {
        let expired: Vec<QueryId> = self
            .records
            .iter()
            .filter(|(_, record)| {
                record.observers.is_empty()
                    && record.fetch.is_none()
                    && record
                        .unobserved_since
                        .and_then(|since| since.checked_add(record.gc_time))
                        .is_some_and(|until| now >= until)
            })
            .map(|(id, _)| *id)
            .collect();
        if expired.is_empty() {
            return;
        }
        // A rollback of a pending layer on the root, or a watcher of it, may need its fields.
        let root_in_use = self.store.layers_touching(ROOT_QUERY).next().is_some()
            || !self.store.watchers.watching(ROOT_QUERY).is_empty();
        if root_in_use {
            return;
        }
        let mut kept: HashSet<FieldName> = HashSet::new();
        for (id, record) in &self.records {
            if !expired.contains(id) {
                kept.extend(self.root_fields(&record.read));
            }
        }
        let mut evict: HashSet<FieldName> = HashSet::new();
        for id in &expired {
            let record = self.records.remove(id).expect("listed above");
            self.by_key.remove(&record.identity);
            evict.extend(self.root_fields(&record.read));
        }
        for field in evict.difference(&kept) {
            let _ = self.store.evict_field(ROOT_QUERY, field.as_str());
        }
    }

    /// The `ROOT_QUERY` fields a read looks up (in the view as it is now).
    fn root_fields(&self, read: &Read) -> Vec<FieldName> {
        match read {
            Read::Own => Vec::new(),
            Read::Field(tree) => vec![tree.field().clone()],
            Read::Pages(pages) => pages.fields().cloned().collect(),
            #[cfg(feature = "graphql")]
            Read::Document(query) => crate::read::fields_read(
                &self.store.view(),
                self.store.policies(),
                query.document(),
                query.variables(),
            )
            .map(|read| {
                read.into_iter()
                    .filter(|(key, _)| &**key == ROOT_QUERY)
                    .map(|(_, field)| FieldName::from(&*field))
                    .collect()
            })
            .unwrap_or_default(),
        }
    }
}
