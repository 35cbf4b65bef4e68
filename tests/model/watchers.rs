//! The watchers the state machine registers on the store, and the check run after every step:
//! each live watcher's last result (the one it was last told, or read at registration) is a
//! fresh read of the store, and it was told in the step, once, if and only if that fresh read
//! differs from the one after the step before.
//!
//! A layer watcher, registered when the test starts, is checked too: it is told at most once
//! per step, every layer that appeared in a step was told pushed or reserved by its end (even
//! by a call that returns no `Changes`), every layer that left was told its end (failed,
//! cancelled or squashed), and no layer's start or end is told twice.
//!
//! The store's reads are compared with the reference elsewhere (`check_invariants`), so a
//! watcher is compared with the store: what it watches is read again with `Store::get` or
//! `Store::read_query`, errors compared by equality.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use optimist::{
    Document, Entity, FieldName, Key, LayerEvent, LayerId, QueryResult, ReadError, Store, WatchId,
};
use serde_json::json;

/// What a watcher was told, or what a fresh read gives: for an entity watcher the entity
/// (only the watched fields of it, for a fields watcher), for a query watcher its result.
#[derive(Clone, PartialEq, Debug)]
pub(crate) enum Seen {
    Entity(Option<Entity>),
    Query(Result<serde_json::Value, ReadError>),
}

enum What {
    /// `None`: every field.
    Entity(Key, Option<Vec<FieldName>>),
    Query(Document),
}

struct Live {
    id: WatchId,
    what: What,
    /// The last result told, or the one read at registration.
    last: Seen,
    /// A fresh read after the step before.
    prev: Seen,
}

/// Each notification of the layer watcher.
type LayerLog = Arc<Mutex<Vec<Vec<(LayerId, LayerEvent)>>>>;

/// The live watchers by name, and the log every callback writes to; the layer watcher's log,
/// each layer's events told so far, and the layers live after the step before.
#[derive(Default)]
pub(crate) struct Watching {
    live: BTreeMap<u32, Live>,
    log: Arc<Mutex<Vec<(u32, Seen)>>>,
    layer_log: LayerLog,
    history: HashMap<LayerId, Vec<LayerEvent>>,
    layers_before: HashSet<LayerId>,
    /// Each query text, parsed once.
    docs: HashMap<String, Document>,
    /// The id of every watcher registered here, live or not, by name.
    ids: BTreeMap<u32, WatchId>,
}

/// The watched fields of `entity` (all of them for `None`).
fn project(entity: Option<&Entity>, fields: Option<&[FieldName]>) -> Option<Entity> {
    let entity = entity?;
    let Some(fields) = fields else {
        return Some(entity.clone());
    };
    Some(fields.iter().fold(
        Entity::new(),
        |out, field| match entity.get(field.as_str()) {
            Some(value) => out.with(field.clone(), value.clone()),
            None => out,
        },
    ))
}

fn query_seen(result: &QueryResult) -> Seen {
    Seen::Query(result.clone().map(|json| (*json).clone()))
}

fn fresh(store: &Store, what: &What) -> Seen {
    match what {
        What::Entity(key, fields) => Seen::Entity(project(store.get(key), fields.as_deref())),
        What::Query(doc) => Seen::Query(store.read_query(doc, &json!({}))),
    }
}

impl Watching {
    /// Watching with the layer watcher registered on `store` (which has no layer yet).
    pub(crate) fn new(store: &mut Store) -> Watching {
        let watching = Watching::default();
        let log = watching.layer_log.clone();
        store.watch_layers(move |events| {
            log.lock().expect("not poisoned").push(events.to_vec());
        });
        watching
    }

    /// Watching a store that replaces the watched one (a restart: a store loaded from the
    /// old one's save): the layer watcher again, its layers known as they are now. The
    /// model's save/load step runs only when no other watcher is registered.
    pub(crate) fn restarted(store: &mut Store) -> Watching {
        let mut watching = Watching::new(store);
        watching.layers_before = store.layers().map(|layer| layer.id()).collect();
        // Their start was told to the old store's watcher.
        for id in &watching.layers_before {
            watching.history.insert(*id, vec![LayerEvent::Pushed]);
        }
        watching
    }

    /// The layer watcher's check (see the module's documentation).
    fn check_layers(&mut self, store: &Store, step: &dyn std::fmt::Debug) {
        let told = std::mem::take(&mut *self.layer_log.lock().expect("not poisoned"));
        assert!(
            told.len() <= 1,
            "the layer watcher was told {} times by {step:?}: {told:?}",
            told.len()
        );
        let is_start = |e: &LayerEvent| matches!(e, LayerEvent::Pushed | LayerEvent::Reserved);
        let is_end = |e: &LayerEvent| {
            matches!(
                e,
                LayerEvent::Failed
                    | LayerEvent::Cancelled
                    | LayerEvent::Squashed
                    | LayerEvent::Coalesced
            )
        };
        for (id, event) in told.into_iter().flatten() {
            let history = self.history.entry(id).or_default();
            if event == LayerEvent::Dismissed {
                // A mutation's record, gone once it is told.
                assert!(
                    store.mutation(id).is_none(),
                    "{id:?}: dismissed, yet its record is there, by {step:?}"
                );
                history.push(event);
                continue;
            }
            assert_eq!(
                history.is_empty(),
                is_start(&event),
                "{id:?}: {event:?} told after {history:?}, by {step:?}"
            );
            assert!(
                !history.iter().any(is_end),
                "{id:?}: {event:?} told after its end {history:?}, by {step:?}"
            );
            history.push(event);
        }
        let now: HashSet<LayerId> = store.layers().map(|layer| layer.id()).collect();
        for id in now.difference(&self.layers_before) {
            assert!(
                self.history.get(id).is_some_and(|h| !h.is_empty()),
                "{id:?} appeared in {step:?} and the layer watcher was not told"
            );
        }
        for id in self.layers_before.difference(&now) {
            assert!(
                self.history
                    .get(id)
                    .is_some_and(|h| h.last().is_some_and(is_end)),
                "{id:?} left in {step:?} and the layer watcher was not told: {:?}",
                self.history.get(id)
            );
        }
        self.layers_before = now;
    }

    /// Registers watcher `name` on `key` (on `fields` of it, if some).
    pub(crate) fn entity(
        &mut self,
        store: &mut Store,
        name: u32,
        key: Key,
        fields: Option<Vec<FieldName>>,
    ) {
        let log = self.log.clone();
        let watched = fields.clone();
        let told = move |entity: Option<&Entity>| {
            let seen = Seen::Entity(project(entity, watched.as_deref()));
            log.lock().expect("not poisoned").push((name, seen));
        };
        let id = match &fields {
            Some(fields) => store.watch_fields(&key, fields.iter().cloned(), told),
            None => store.watch_entity(&key, told),
        }
        .expect("a valid key");
        let what = What::Entity(key, fields);
        self.add(store, name, id, what, None);
    }

    /// Registers watcher `name` on the query `doc`: a JSON watcher for an even name, a tree
    /// watcher (its tree compared as JSON) for an odd one. Watchers of one text share its
    /// parsed document, so tree watchers of it share their reads.
    pub(crate) fn query(&mut self, store: &mut Store, name: u32, doc: &str) {
        let doc = self
            .docs
            .entry(doc.to_owned())
            .or_insert_with(|| Document::parse(doc).expect("a valid document"))
            .clone();
        let log = self.log.clone();
        if name % 2 == 1 {
            let id = store.watch_query_tree(doc.clone(), json!({}), move |tree| {
                let seen = Seen::Query(tree.clone().map(|tree| tree.to_json()));
                log.lock().expect("not poisoned").push((name, seen));
            });
            self.add(store, name, id, What::Query(doc), None);
            return;
        }
        let id = store.watch_query(doc.clone(), json!({}), move |result| {
            log.lock()
                .expect("not poisoned")
                .push((name, query_seen(result)));
        });
        let registered = query_seen(store.watched(id).expect("a query watcher"));
        self.add(store, name, id, What::Query(doc), Some(registered));
    }

    fn add(&mut self, store: &Store, name: u32, id: WatchId, what: What, last: Option<Seen>) {
        let now = fresh(store, &what);
        let last = last.unwrap_or_else(|| now.clone());
        let live = Live {
            id,
            what,
            last,
            prev: now,
        };
        assert!(self.live.insert(name, live).is_none(), "a fresh name");
        assert!(self.ids.insert(name, id).is_none(), "a fresh name");
    }

    /// The id of watcher `name`, live or unwatched (registered on this store).
    pub(crate) fn id(&self, name: u32) -> WatchId {
        self.ids[&name]
    }

    /// The name of a live watcher's id.
    pub(crate) fn name_of(&self, id: WatchId) -> Option<u32> {
        self.live
            .iter()
            .find(|(_, live)| live.id == id)
            .map(|(name, _)| *name)
    }

    /// The live watchers: name, id, and the document of a query watcher.
    pub(crate) fn live(&self) -> impl Iterator<Item = (u32, WatchId, Option<&Document>)> {
        self.live.iter().map(|(name, live)| {
            let doc = match &live.what {
                What::Query(doc) => Some(doc),
                What::Entity(..) => None,
            };
            (*name, live.id, doc)
        })
    }

    pub(crate) fn unwatch(&mut self, store: &mut Store, name: u32) {
        let live = self.live.remove(&name).expect("a live watcher");
        assert!(store.unwatch(live.id), "registered");
        assert!(!store.unwatch(live.id), "removed already");
    }

    /// The check after every step (see the module's documentation).
    pub(crate) fn check(&mut self, store: &Store, step: &dyn std::fmt::Debug) {
        let told = std::mem::take(&mut *self.log.lock().expect("not poisoned"));
        for (name, _) in &told {
            assert!(
                self.live.contains_key(name),
                "watcher {name} was told after it was unwatched, by {step:?}"
            );
        }
        assert_eq!(
            store.watcher_count(),
            self.live.len() + 1,
            "registered watchers (and the layer watcher)"
        );
        self.check_layers(store, step);
        for (name, live) in &mut self.live {
            let mine: Vec<&Seen> = told
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, seen)| seen)
                .collect();
            let now = fresh(store, &live.what);
            assert!(
                mine.len() <= 1,
                "watcher {name} was told {} times by {step:?}: {mine:?}",
                mine.len()
            );
            assert_eq!(
                !mine.is_empty(),
                now != live.prev,
                "watcher {name}: told (left) iff its result changed (right), by {step:?}: \
                 before {:?}, after {now:?}, told {mine:?}",
                live.prev
            );
            if let Some(seen) = mine.first() {
                live.last = (*seen).clone();
            }
            assert_eq!(
                live.last, now,
                "watcher {name}: last told (left), a fresh read (right), after {step:?}"
            );
            if let What::Query(_) = live.what
                && name % 2 == 0
            {
                let watched = query_seen(store.watched(live.id).expect("a query watcher"));
                assert_eq!(watched, now, "store.watched for watcher {name}");
            }
            live.prev = now;
        }
    }
}
