//! A `Client` over the todo store, a clock the test drives, and listeners that log what they
//! are told: the scenario tests of the query lifecycle (`tests/query_*.rs`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use optimist::{Client, Fetch, Instant, Key, Patch, Policies, QueryKey, QueryState, Store, Value};
use serde_json::{Value as Json, json};

/// A client over a store whose REST answers under `todos`, `todo` and `items` are `Todo`s.
pub fn client() -> Client {
    Client::new(Store::with_policies(
        Policies::new()
            .type_at("todos", "Todo")
            .type_at("todo", "Todo")
            .type_at("items", "Todo"),
    ))
}

/// `GET /todos`, written as `ROOT_QUERY.todos`.
pub fn todos() -> QueryKey {
    QueryKey::rest("GET /todos", "todos")
}

/// `GET /todos/1`, written as `ROOT_QUERY.todo`.
pub fn todo() -> QueryKey {
    QueryKey::rest("GET /todos/1", "todo")
}

/// `n` seconds after `t0`.
pub fn at(t0: Instant, n: u64) -> Instant {
    t0 + Duration::from_secs(n)
}

/// What each listener was told, in order.
#[derive(Clone, Default)]
pub struct Told(pub Arc<Mutex<Vec<QueryState>>>);

impl Told {
    /// A listener that logs into this.
    pub fn listener(&self) -> impl Fn(&QueryState) + Send + Sync + 'static {
        let log = self.0.clone();
        move |state: &QueryState| log.lock().unwrap().push(state.clone())
    }

    /// Everything told so far.
    pub fn all(&self) -> Vec<QueryState> {
        self.0.lock().unwrap().clone()
    }

    /// How many times it was told.
    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// How many times it was told a state whose data is `data`.
    pub fn told_data(&self, data: &Json) -> usize {
        self.all()
            .iter()
            .filter(|state| state.data.as_deref() == Some(data))
            .count()
    }
}

/// The todos as `GET /todos` answers them.
pub fn todos_json(rows: &[(u32, &str)]) -> String {
    Json::Array(
        rows.iter()
            .map(|(id, title)| json!({"id": id, "title": title}))
            .collect(),
    )
    .to_string()
}

/// The todos as a query over `ROOT_QUERY.todos` reads them back.
pub fn todos_read(rows: &[(u32, &str)]) -> Json {
    Json::Array(
        rows.iter()
            .map(|(id, title)| json!({"__typename": "Todo", "id": id, "title": title}))
            .collect(),
    )
}

/// One todo titled `title` in the store, as an earlier answer left it:
/// `ROOT_QUERY.todos -> [Todo:1]`.
pub fn cached(client: &mut Client, title: &str) {
    client
        .store_mut()
        .write(
            Patch::new()
                .set("Todo:1", "__typename", "Todo")
                .set("Todo:1", "id", 1)
                .set("Todo:1", "title", title)
                .set(
                    "ROOT_QUERY",
                    "todos",
                    vec![Value::Ref(Key::new("Todo:1").unwrap())],
                ),
        )
        .unwrap();
}

/// Hands out the next fetch due at `now`, which must be one.
pub fn next(client: &mut Client, now: Instant) -> Fetch {
    client
        .next_fetch(now)
        .unwrap_or_else(|| panic!("a fetch is due at {now:?}"))
}

/// Hands out the next fetch and answers it with `answer`.
pub fn serve(client: &mut Client, now: Instant, answer: &str) -> Fetch {
    let fetch = next(client, now);
    client.resolve(fetch.id, answer, now).unwrap();
    fetch
}

/// The data an observer shows, as plain JSON.
pub fn data(client: &Client, observer: optimist::ObserverId) -> Option<Json> {
    client
        .state(observer)
        .expect("a live observer")
        .data
        .as_deref()
        .cloned()
}

/// A title of a todo as the store's view has it.
pub fn title(client: &Client, key: &str) -> Option<String> {
    client
        .store()
        .get_field(key, "title")
        .and_then(optimist::Value::as_str)
        .map(str::to_owned)
}
