//! One fragment watch per visible row (Apollo's `useFragment`, Relay's fragment containers):
//! each row re-renders when what its `TaskRow` fragment reads changes, and only then, so an
//! update of one task re-renders that row and no other.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use optimist::{Document, Key, ReadError, Store, WatchId};

use crate::model::TaskRow;

/// One render: the row's key and what it showed (`None`: gone, or not readable).
pub type Render = (Key, Option<TaskRow>);

/// The mounted rows' watchers, and what each rendered since the last
/// [`take_renders`](Rows::take_renders).
pub struct Rows {
    doc: Document,
    watches: HashMap<Key, WatchId>,
    /// Every render, oldest first: the row's key and what it showed (`None`: gone).
    renders: Arc<Mutex<Vec<Render>>>,
}

impl Rows {
    /// No row mounted; rows watch `doc`'s `TaskRow` fragment.
    pub fn new(doc: Document) -> Rows {
        Rows {
            doc,
            watches: HashMap::new(),
            renders: Arc::default(),
        }
    }

    /// Mounts a row for each of `visible` that has none and unmounts the rows no longer
    /// visible (what a keyed list does after rendering).
    pub fn sync(&mut self, store: &mut Store, visible: &[Key]) -> Result<(), optimist::KeyError> {
        self.watches.retain(|key, watch| {
            let keep = visible.contains(key);
            if !keep {
                store.unwatch(*watch);
            }
            keep
        });
        for key in visible {
            if self.watches.contains_key(key) {
                continue;
            }
            let (renders, row) = (self.renders.clone(), key.clone());
            let watch = store.watch_fragment_as(
                self.doc.clone(),
                Some("TaskRow"),
                key,
                serde_json::Value::Null,
                move |read: Result<TaskRow, ReadError>| {
                    lock(&renders).push((row.clone(), read.ok()));
                },
            )?;
            self.watches.insert(key.clone(), watch);
        }
        Ok(())
    }

    /// The rows mounted.
    pub fn mounted(&self) -> usize {
        self.watches.len()
    }

    /// The renders since the last call, oldest first.
    pub fn take_renders(&self) -> Vec<Render> {
        std::mem::take(&mut *lock(&self.renders))
    }

    /// Unmounts every row.
    pub fn clear(&mut self, store: &mut Store) {
        for (_, watch) in self.watches.drain() {
            store.unwatch(watch);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
