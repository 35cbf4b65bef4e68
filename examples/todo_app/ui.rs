//! A UI-like reader: a list component and one component per row, each re-rendered by its own
//! watcher, so a step shows exactly which components a real UI would have re-rendered.
//!
//! The list watches the root's `todos` field (which rows, in which order); each row watches its
//! entity's `title` and `done`. A tick re-renders one row; a create re-renders the list (and
//! mounts a row); a refetch that brings nothing new re-renders nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use optimist::{Entity, Key, Store, Value, WatchId};

/// The mounted components and what they rendered since the last [`Ui::take_renders`].
pub struct Ui {
    renders: Arc<Mutex<Vec<String>>>,
    /// The list's watcher (lives as long as the store's watchers).
    _list: WatchId,
    rows: HashMap<Key, WatchId>,
}

impl Ui {
    /// Mounts the list and a row per listed entity.
    pub fn mount(store: &mut Store) -> Ui {
        let renders = Arc::new(Mutex::new(Vec::new()));
        let log = renders.clone();
        let list = store
            .watch_fields("ROOT_QUERY", ["todos"], move |root| {
                let rows = root
                    .and_then(|root| root.get("todos"))
                    .and_then(Value::as_list)
                    .map_or(0, |list| list.len());
                push(&log, format!("list ({rows} rows)"));
            })
            .expect("ROOT_QUERY is a key");
        let mut ui = Ui {
            renders,
            _list: list,
            rows: HashMap::new(),
        };
        ui.sync(store);
        ui
    }

    /// Mounts a row for every listed entity that has none and unmounts rows no longer listed
    /// (what a keyed list does after rendering). A remapped row keeps its watcher: the store
    /// moves it to the new key.
    pub fn sync(&mut self, store: &mut Store) {
        let listed: Vec<Key> = store
            .get_field("ROOT_QUERY", "todos")
            .and_then(Value::as_list)
            .map(|list| list.iter().filter_map(Value::as_ref_key).cloned().collect())
            .unwrap_or_default();
        let listed: Vec<Key> = listed
            .into_iter()
            .map(|key| store.resolve(key.as_str()).cloned().unwrap_or(key))
            .collect();
        // Keys of mounted rows whose temporary key was remapped read as the key they became.
        let mounted: Vec<Key> = self.rows.keys().cloned().collect();
        for key in mounted {
            if let Some(real) = store.resolve(key.as_str()).cloned()
                && let Some(watch) = self.rows.remove(&key)
            {
                self.rows.insert(real, watch);
            }
        }
        self.rows.retain(|key, watch| {
            let keep = listed.contains(key);
            if !keep {
                store.unwatch(*watch);
            }
            keep
        });
        for key in listed {
            if self.rows.contains_key(&key) {
                continue;
            }
            let log = self.renders.clone();
            let name = key.to_string();
            let watch = store
                .watch_fields(&key, ["title", "done"], move |row| {
                    push(&log, format!("row {name} {}", describe(row)));
                })
                .expect("a listed key is a key");
            self.rows.insert(key, watch);
        }
    }

    /// The components rendered since the last call, in order.
    pub fn take_renders(&self) -> Vec<String> {
        std::mem::take(&mut *self.renders.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

fn describe(row: Option<&Entity>) -> String {
    match row {
        None => "(gone)".into(),
        Some(row) => format!(
            "[{}] {:?}",
            if row.get("done").and_then(Value::as_bool) == Some(true) {
                "x"
            } else {
                " "
            },
            row.get("title").and_then(Value::as_str).unwrap_or_default()
        ),
    }
}

fn push(log: &Mutex<Vec<String>>, line: String) {
    log.lock().unwrap_or_else(|p| p.into_inner()).push(line);
}
