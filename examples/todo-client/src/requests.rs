//! The HTTP requests, as plain data: a query's fetch read from its key, a mutation's write
//! decoded from the request data it was made with. Pure (no I/O): `http.rs` sends them with
//! reqwest, the Crux core (`examples/todo-crux`) turns them into HTTP commands.

use optimist::{Fetch, FetchError, Key, Outcome, Outgoing, Store, Value};
use serde_json::Value as Json;

/// A mutation's HTTP request, decoded from its request data when its turn to go comes.
///
/// ```
/// use todo_client::requests::Write;
/// let write = Write::Update { id: 3, version: Some(2), body: serde_json::json!({"done": true}) };
/// assert_eq!((write.method(), write.path().as_str(), write.if_match()), ("PATCH", "/todos/3", Some(2)));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    /// `POST /todos`.
    Create {
        /// The temporary key the guess shows the row under, remapped to the server's id when
        /// the answer comes.
        tmp: Key,
        /// The title.
        title: String,
    },
    /// `PATCH /todos/{id}`.
    Update {
        /// The server's id.
        id: i64,
        /// The confirmed version, sent as `If-Match`.
        version: Option<i64>,
        /// The fields to set.
        body: Json,
    },
    /// `DELETE /todos/{id}`.
    Delete {
        /// The server's id.
        id: i64,
        /// The confirmed version, sent as `If-Match`.
        version: Option<i64>,
    },
}

impl Write {
    /// The HTTP method.
    pub fn method(&self) -> &'static str {
        match self {
            Write::Create { .. } => "POST",
            Write::Update { .. } => "PATCH",
            Write::Delete { .. } => "DELETE",
        }
    }

    /// The path under the API's base URL.
    pub fn path(&self) -> String {
        match self {
            Write::Create { .. } => "/todos".into(),
            Write::Update { id, .. } | Write::Delete { id, .. } => format!("/todos/{id}"),
        }
    }

    /// The version the write is made against (`If-Match`), for an edit of a known row.
    pub fn if_match(&self) -> Option<i64> {
        match self {
            Write::Create { .. } => None,
            Write::Update { version, .. } | Write::Delete { version, .. } => *version,
        }
    }

    /// The JSON body, if the request has one.
    pub fn body(&self) -> Option<Json> {
        match self {
            Write::Create { title, .. } => Some(serde_json::json!({ "title": title })),
            Write::Update { body, .. } => Some(body.clone()),
            Write::Delete { .. } => None,
        }
    }
}

/// Builds the request for `out`, or says at once how it ends (an edit of a row whose create
/// failed, request data this core does not understand). Built when the mutation's turn comes,
/// with the store as it is then: the version an edit sends is the one the edit before it left.
///
/// ```
/// use optimist::{Instant, Patch, Store};
/// use todo_client::requests::{Write, build};
/// let mut store = Store::with_policies(todo_client::policies());
/// store.write(Patch::new().set("Todo:1", "title", "a").set("Todo:1", "done", false).set("Todo:1", "version", 4))?;
/// store.mutate(todo_client::mutations::set_done(&optimist::Key::new("Todo:1")?, true))?;
/// let out = store.next_to_send(Instant::now()).unwrap();
/// let write = build(&store, &out).unwrap();
/// assert_eq!(write, Write::Update { id: 1, version: Some(4), body: serde_json::json!({"done": true}) });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn build(store: &Store, out: &Outgoing) -> Result<Write, Outcome> {
    let data = out.request.to_json();
    let refused = |why: &str| Outcome::Rejected(format!("{}: {why}", out.label).into());
    let key = data["todo"]["__ref"]
        .as_str()
        .and_then(|key| Key::new(key).ok())
        .ok_or_else(|| refused("no todo in the request"))?;
    let op = data["op"].as_str().unwrap_or_default();
    if op == "create" {
        let title = data["title"].as_str().ok_or_else(|| refused("no title"))?;
        return Ok(Write::Create {
            tmp: key,
            title: title.to_owned(),
        });
    }
    // An edit of a row whose create failed still names its temporary key.
    if store.is_temporary(key.as_str()) {
        return Err(refused("its create did not succeed"));
    }
    let id = key
        .id()
        .and_then(|id| id.parse::<i64>().ok())
        .ok_or_else(|| refused("not a server id"))?;
    let version = store
        .get_confirmed(key.as_str())
        .and_then(|row| row.get("version"))
        .and_then(Value::as_i64);
    match op {
        "update" => Ok(Write::Update {
            id,
            version,
            body: data["body"].clone(),
        }),
        "delete" => Ok(Write::Delete { id, version }),
        _ => Err(refused("unknown operation")),
    }
}

/// The path a query's fetch gets: its REST key is `GET <path>`.
///
/// ```
/// use optimist::{Client, Instant, Store};
/// let mut client = Client::new(Store::new());
/// client.observe(todo_client::list_query(), todo_client::list_options(), Instant::now(), |_| {});
/// let fetch = client.next_fetch(Instant::now()).unwrap();
/// assert_eq!(todo_client::requests::fetch_path(&fetch)?, "/todos");
/// # Ok::<(), optimist::FetchError>(())
/// ```
pub fn fetch_path(fetch: &Fetch) -> Result<String, FetchError> {
    fetch
        .key
        .app_key()
        .and_then(|key| key.strip_prefix("GET "))
        .filter(|path| path.starts_with('/'))
        .map(str::to_owned)
        .ok_or_else(|| FetchError::permanent(format!("not a GET: {:?}", fetch.key)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use optimist::{Instant, Patch};

    fn store_with_row() -> Store {
        let mut store = Store::with_policies(crate::policies());
        store
            .write(
                Patch::new()
                    .set("Todo:7", "title", "a")
                    .set("Todo:7", "done", false)
                    .set("Todo:7", "version", 3),
            )
            .unwrap();
        store
    }

    #[test]
    fn a_create_posts_its_title() {
        let mut store = store_with_row();
        let (tmp, mutation) = crate::mutations::create(&mut store, "Buy milk").unwrap();
        store.mutate(mutation).unwrap();
        let out = store.next_to_send(Instant::now()).unwrap();
        let write = build(&store, &out).unwrap();
        assert_eq!(
            write,
            Write::Create {
                tmp,
                title: "Buy milk".into()
            }
        );
        assert_eq!((write.method(), write.path().as_str()), ("POST", "/todos"));
        assert_eq!(write.body(), Some(serde_json::json!({"title": "Buy milk"})));
        assert_eq!(write.if_match(), None);
    }

    #[test]
    fn a_delete_sends_the_confirmed_version_not_the_guess() {
        let mut store = store_with_row();
        let key = Key::new("Todo:7").unwrap();
        // A pending guess writes another version: the request still names base's.
        store
            .push("guess", Patch::new().set("Todo:7", "version", 9))
            .unwrap();
        store.mutate(crate::mutations::delete(&key)).unwrap();
        let now = Instant::now();
        // The unscoped guess goes first (no request data: refused), then the delete.
        let first = store.next_to_send(now).unwrap();
        assert!(build(&store, &first).is_err());
        let out = store.next_to_send(now).unwrap();
        let write = build(&store, &out).unwrap();
        assert_eq!(
            write,
            Write::Delete {
                id: 7,
                version: Some(3)
            }
        );
        assert_eq!(write.body(), None);
    }

    #[test]
    fn an_edit_of_a_row_never_created_is_refused() {
        let mut store = store_with_row();
        let (tmp, create) = crate::mutations::create(&mut store, "x").unwrap();
        store.mutate(create).unwrap();
        store.mutate(crate::mutations::rename(&tmp, "y")).unwrap();
        let now = Instant::now();
        let created = store.next_to_send(now).unwrap();
        store
            .report(created.id, Outcome::Rejected("422".into()), now)
            .unwrap();
        let rename = store.next_to_send(now).unwrap();
        let refused = build(&store, &rename).unwrap_err();
        assert!(
            matches!(&refused, Outcome::Rejected(why) if why.contains("create did not succeed")),
            "{refused:?}"
        );
    }
}
