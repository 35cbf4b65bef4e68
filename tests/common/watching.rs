//! Watchers that log what they are told, over the todo list of `common`.

use std::sync::{Arc, Mutex};

use optimist::{Document, Patch, QueryResult, Store, WatchId};
use serde_json::{Value as Json, json};

use super::{list, versioned_store};

/// A log of what each watcher was told, by name.
#[derive(Clone, Default)]
pub struct Told(pub Arc<Mutex<Vec<(String, Json)>>>);

impl Told {
    pub fn query(&self, store: &mut Store, name: &str, doc: &str) -> WatchId {
        let log = self.clone();
        let name = name.to_owned();
        store.watch_query(
            Document::parse(doc).unwrap(),
            json!({}),
            move |result: &QueryResult| {
                let json = result.as_ref().map(|r| (**r).clone()).unwrap_or(Json::Null);
                log.0.lock().unwrap().push((name.clone(), json));
            },
        )
    }

    pub fn take(&self) -> Vec<(String, Json)> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    pub fn names(&self) -> Vec<String> {
        self.take().into_iter().map(|(name, _)| name).collect()
    }
}

/// Three todos; a watcher on the list of ids and one per row.
pub fn watched_list() -> (Store, Told) {
    let mut store = versioned_store();
    store
        .write(list(&[
            (1, "Buy milk", false, 1),
            (2, "Call mum", false, 1),
            (3, "File taxes", false, 1),
        ]))
        .unwrap();
    let told = Told::default();
    told.query(&mut store, "list", "{ todos { id } }");
    for id in 1..=3 {
        let doc = format!(r#"query {{ todo(id: "{id}") {{ title done }} }}"#);
        store
            .write(Patch::new().set(
                "ROOT_QUERY",
                optimist::FieldName::with_args("todo", &json!({"id": id.to_string()})),
                optimist::Key::new(&format!("Todo:{id}")).unwrap(),
            ))
            .unwrap();
        told.query(&mut store, &format!("row {id}"), &doc);
    }
    told.take();
    (store, told)
}
