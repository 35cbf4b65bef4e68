//! Reads: a document's selection walked over the store, into JSON or straight into the caller's
//! types, plus a schemaless denormalised tree.
//!
//! There is one engine, a serde `Deserializer` over the store (`de.rs`): a JSON read is
//! `serde_json::Value::deserialize` of it, a typed read is `T::deserialize` of it, so the two can
//! never disagree and a typed read builds no intermediate value. Before a walk, the document is
//! compiled for the read's variables into a small plan (`Plan`): `@skip`/`@include` evaluated,
//! store field names (with arguments) built once, shared fragments compiled once. The walk then
//! costs a binary search per field and one hash lookup per reference.
//!
//! Entities come from a [`Source`]: the merged view or base of a [`Store`], or either side of a
//! [`Snapshot`]. It stands apart from the store so that reads never see layers, only the maps.

mod de;
mod error;
mod fields;
mod plan;
mod query;
mod shared;
mod store;
#[cfg(test)]
mod tests;
mod tree;

use std::cell::RefCell;
use std::fmt;

use serde::de::DeserializeOwned;

use crate::document::{Document, OperationKind};
use crate::entity::Entity;
use crate::key::{ROOT_MUTATION, ROOT_QUERY, ROOT_SUBSCRIPTION};
use crate::policy::{Policies, TYPENAME};
use crate::store::Store;
use crate::view::{Map, Snapshot, View};

use de::{Ctx, Cursor, Node, Path};
pub use error::{PartialRead, ReadError};
pub(crate) use fields::{FieldsRead, fields_read};
use plan::{Item, Plan, PlanField};
pub use query::Query;
use tree::Tree;

/// Where a read finds entities.
pub(crate) trait Source {
    /// The entity stored under `key`, if any.
    fn entity(&self, key: &str) -> Option<&Entity>;

    /// Told of each field a document read into JSON or serde types (the engine of `de.rs`)
    /// looks up on the entity `key`, present or not, for a source that records what a read
    /// depends on field by field (`fields.rs`). Nothing by default.
    fn field(&self, _key: &str, _field: &str) {}
}

impl Source for Map {
    fn entity(&self, key: &str) -> Option<&Entity> {
        self.get(key)
    }
}

impl Source for View<'_> {
    fn entity(&self, key: &str) -> Option<&Entity> {
        self.get(key)
    }
}

/// A snapshot reads as its merged view.
impl Source for Snapshot {
    fn entity(&self, key: &str) -> Option<&Entity> {
        self.get(key)
    }
}

/// The side a [`Reader`] reads from.
#[derive(Clone, Copy)]
enum Side<'a> {
    /// A store's merged view.
    View(View<'a>),
    /// A store's base.
    Map(&'a Map),
    /// A snapshot's merged view.
    Snapshot(&'a Snapshot),
    /// A snapshot's base.
    SnapshotConfirmed(&'a Snapshot),
}

impl Source for Side<'_> {
    fn entity(&self, key: &str) -> Option<&Entity> {
        match self {
            Side::View(view) => view.get(key),
            Side::Map(map) => map.entity(key),
            Side::Snapshot(snapshot) => snapshot.entity(key),
            Side::SnapshotConfirmed(snapshot) => snapshot.get_confirmed(key),
        }
    }
}

/// Document reads over one side of a store: its merged view, its confirmed base, or either side
/// of a [`Snapshot`].
///
/// [`Store::read_query`] and its siblings read the merged view; [`Store::confirmed`] gives a
/// `Reader` with the same methods over base (what the server has confirmed, ignoring every
/// pending layer). A `Reader` is two references: `Copy`, and as cheap to make as to drop.
///
/// ```
/// use optimist::{Document, Patch, Store};
/// use serde_json::{Value, json};
///
/// let mut store = Store::new();
/// store.write(Patch::new().set("ROOT_QUERY", "count", 1))?;
/// store.push("bump", Patch::new().increment("ROOT_QUERY", "count", 1))?;
///
/// let doc = Document::parse("{ count }")?;
/// assert_eq!(store.read_query(&doc, &Value::Null)?, json!({"count": 2}));
/// assert_eq!(store.confirmed().read_query(&doc, &Value::Null)?, json!({"count": 1}));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy)]
pub struct Reader<'a> {
    side: Side<'a>,
    policies: &'a Policies,
}

impl<'a> From<&'a Store> for Reader<'a> {
    /// A reader over the store's merged view (what [`Store::read_query`] reads).
    fn from(store: &'a Store) -> Reader<'a> {
        Reader {
            side: Side::View(store.view()),
            policies: store.policies(),
        }
    }
}

impl fmt::Debug for Reader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.side {
            Side::View(_) => "Reader(store)",
            Side::Map(_) => "Reader(store, confirmed)",
            Side::Snapshot(_) => "Reader(snapshot)",
            Side::SnapshotConfirmed(_) => "Reader(snapshot, confirmed)",
        })
    }
}

/// How a read starts.
enum Start<'d> {
    /// The document's operation, from its root entity.
    Query,
    /// A fragment of the document (named, or the only one), from the entity `id`.
    Fragment(Option<&'d str>, &'d str),
}

impl<'a> Reader<'a> {
    /// A reader over a snapshot's merged view. A snapshot does not carry the store's policies,
    /// so pass them (they decide which fragments apply to which types, and the depth limit).
    ///
    /// ```
    /// use optimist::{Document, Patch, Reader, Store};
    ///
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("ROOT_QUERY", "a", 1))?;
    /// let snapshot = store.snapshot();
    /// let policies = store.policies().clone();
    /// let read = std::thread::spawn(move || {
    ///     let doc = Document::parse("{ a }").unwrap();
    ///     Reader::snapshot(&snapshot, &policies).read_query(&doc, &serde_json::Value::Null).unwrap()
    /// });
    /// assert_eq!(read.join().unwrap(), serde_json::json!({"a": 1}));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn snapshot(snapshot: &'a Snapshot, policies: &'a Policies) -> Reader<'a> {
        Reader {
            side: Side::Snapshot(snapshot),
            policies,
        }
    }

    /// A reader over a snapshot's base (confirmed data only).
    ///
    /// ```
    /// use optimist::{Document, Patch, Reader, Store};
    ///
    /// let mut store = Store::new();
    /// store.push("guess", Patch::new().set("ROOT_QUERY", "a", 1))?;
    /// let snapshot = store.snapshot();
    /// let doc = Document::parse("{ a }")?;
    /// let confirmed = Reader::snapshot_confirmed(&snapshot, store.policies());
    /// assert!(confirmed.read_query(&doc, &serde_json::Value::Null).is_err(), "nothing confirmed yet");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn snapshot_confirmed(snapshot: &'a Snapshot, policies: &'a Policies) -> Reader<'a> {
        Reader {
            side: Side::SnapshotConfirmed(snapshot),
            policies,
        }
    }

    /// Reads the operation of `doc` from its root entity (`ROOT_QUERY` for a query); see
    /// [`Store::read_query`]. O(document + nodes produced), at most O(document + node limit).
    ///
    /// ```
    /// use optimist::{Document, Patch, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("ROOT_QUERY", "a", 1))?;
    /// let doc = Document::parse("{ b: a }")?;
    /// assert_eq!(store.confirmed().read_query(&doc, &serde_json::Value::Null)?, serde_json::json!({"b": 1}));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_query(
        &self,
        doc: &Document,
        variables: &serde_json::Value,
    ) -> Result<serde_json::Value, ReadError> {
        self.run(doc, Start::Query, variables, None)
    }

    /// Reads the operation of `doc` straight into `T`; see [`Store::read_query_as`].
    ///
    /// ```
    /// use optimist::{Document, Patch, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("ROOT_QUERY", "a", 1))?;
    /// let doc = Document::parse("{ a }")?;
    /// let map: std::collections::BTreeMap<String, u8> = store.confirmed().read_query_as(&doc, &serde_json::Value::Null)?;
    /// assert_eq!(map["a"], 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_query_as<T: DeserializeOwned>(
        &self,
        doc: &Document,
        variables: &serde_json::Value,
    ) -> Result<T, ReadError> {
        self.run(doc, Start::Query, variables, None)
    }

    /// Reads a fragment of `doc` from the entity `id`; see [`Store::read_fragment`].
    ///
    /// ```
    /// use optimist::{Document, Entity, Patch, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().write("Todo:1", Entity::new().with("__typename", "Todo").with("done", true)))?;
    /// let doc = Document::parse("fragment F on Todo { done }")?;
    /// let read = store.confirmed().read_fragment(&doc, None, "Todo:1", &serde_json::Value::Null)?;
    /// assert_eq!(read, serde_json::json!({"__typename": "Todo", "done": true}));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_fragment(
        &self,
        doc: &Document,
        fragment: Option<&str>,
        id: &str,
        variables: &serde_json::Value,
    ) -> Result<serde_json::Value, ReadError> {
        self.run(doc, Start::Fragment(fragment, id), variables, None)
    }

    /// Reads a fragment of `doc` from the entity `id` straight into `T`; see
    /// [`Store::read_fragment_as`].
    ///
    /// ```
    /// use optimist::{Document, Patch, Store};
    /// #[derive(serde::Deserialize)]
    /// struct Done { done: bool }
    ///
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("Todo:1", "__typename", "Todo").set("Todo:1", "done", true))?;
    /// let doc = Document::parse("fragment F on Todo { done }")?;
    /// let read: Done = store.confirmed().read_fragment_as(&doc, None, "Todo:1", &serde_json::Value::Null)?;
    /// assert!(read.done);
    ///
    /// // Without a stored `__typename`, a fragment with a type condition does not apply.
    /// store.write(Patch::new().set("Todo:2", "done", true))?;
    /// assert!(store.confirmed().read_fragment_as::<Done>(&doc, None, "Todo:2", &serde_json::Value::Null).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_fragment_as<T: DeserializeOwned>(
        &self,
        doc: &Document,
        fragment: Option<&str>,
        id: &str,
        variables: &serde_json::Value,
    ) -> Result<T, ReadError> {
        self.run(doc, Start::Fragment(fragment, id), variables, None)
    }

    /// Reads what is there and lists what is missing; see [`Store::read_query_partial`].
    ///
    /// ```
    /// use optimist::{Document, Patch, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("ROOT_QUERY", "a", 1))?;
    /// let doc = Document::parse("{ a b }")?;
    /// let partial = store.confirmed().read_query_partial(&doc, &serde_json::Value::Null)?;
    /// assert_eq!(partial.missing, ["b"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_query_partial(
        &self,
        doc: &Document,
        variables: &serde_json::Value,
    ) -> Result<PartialRead, ReadError> {
        let missing = RefCell::new(Vec::new());
        let data = self.run(doc, Start::Query, variables, Some(&missing))?;
        Ok(PartialRead {
            data,
            missing: missing.into_inner(),
        })
    }

    /// The entity `key` with every reference followed; see [`Store::read_tree`].
    ///
    /// ```
    /// use optimist::{Key, Patch, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("A:1", "next", Key::new("A:2")?).set("A:2", "n", 2))?;
    /// assert_eq!(store.confirmed().read_tree("A:1")?, Some(serde_json::json!({"next": {"n": 2}})));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_tree(&self, key: &str) -> Result<Option<serde_json::Value>, ReadError> {
        let Some(entity) = self.side.entity(key) else {
            return Ok(None);
        };
        let mut tree = Tree {
            source: &self.side,
            on_path: Vec::new(),
            path: Vec::new(),
            limit: self.policies.depth_limit(),
            budget: self.policies.node_limit(),
            max_nodes: self.policies.node_limit(),
        };
        tree.entity(key, entity).map(Some)
    }

    /// The one engine behind every document read: compile `doc` for the variables, then
    /// deserialize a `T` from a cursor at the start entity.
    fn run<T: DeserializeOwned>(
        &self,
        doc: &Document,
        start: Start<'_>,
        variables: &serde_json::Value,
        missing: Option<&RefCell<Vec<String>>>,
    ) -> Result<T, ReadError> {
        run_on(&self.side, self.policies, doc, start, variables, missing)
    }
}

/// [`Reader::run`] over any source (the query cache reads through a recording one).
fn run_on<S: Source, T: DeserializeOwned>(
    source: &S,
    policies: &Policies,
    doc: &Document,
    start: Start<'_>,
    variables: &serde_json::Value,
    missing: Option<&RefCell<Vec<String>>>,
) -> Result<T, ReadError> {
    with_ctx(
        source,
        policies,
        doc,
        start,
        variables,
        missing,
        |ctx, root, entity, top| {
            let cursor = Cursor {
                ctx,
                node: Node::Object(entity, Some(root)),
                sel: std::slice::from_ref(&top),
                path: &Path::Root,
                depth: 0,
            };
            T::deserialize(cursor).map_err(|error| error.at(&Path::Root))
        },
    )
}

/// A shared read of the operation of `doc` (see `shared.rs`), reusing and filling `memo`;
/// returns the result and every key it read, also when it failed (so a watcher knows what
/// to wait for).
pub(crate) fn run_shared<S: Source>(
    source: &S,
    policies: &Policies,
    doc: &Document,
    variables: &serde_json::Value,
    memo: &mut shared::Memo,
    keys: usize,
) -> (
    Result<crate::value::Value, ReadError>,
    std::collections::HashSet<crate::key::Key, crate::patch::Hasher>,
) {
    let mut deps = std::collections::HashSet::default();
    let result = with_ctx(
        source,
        policies,
        doc,
        Start::Query,
        variables,
        None,
        |ctx, root, entity, top| {
            let key = crate::key::Key::new(root)
                .map_err(|_| ReadError::MissingRoot { key: root.into() })?;
            let mut walk = shared::Walk::new(ctx, memo, keys);
            let read = ctx
                .node()
                .and_then(|()| walk.referenced(&key, entity, std::slice::from_ref(&top), 0));
            deps = walk.into_deps();
            read
        },
    );
    if let Err(ReadError::MissingRoot { key }) = &result
        && let Ok(key) = crate::key::Key::new(key)
    {
        deps.insert(key);
    }
    (result, deps)
}

/// Compiles the plan for a read and runs `read` with its context, the root's key and entity,
/// and the top selection set.
fn with_ctx<S: Source, R>(
    source: &S,
    policies: &Policies,
    doc: &Document,
    start: Start<'_>,
    variables: &serde_json::Value,
    missing: Option<&RefCell<Vec<String>>>,
    read: impl for<'p> FnOnce(&'p Ctx<'p, S>, &'p str, &'p Entity, usize) -> Result<R, ReadError>,
) -> Result<R, ReadError> {
    let mut plan = Plan::default();
    let (root, top) = match start {
        Start::Query => {
            let operation = doc.operation()?;
            let variables = doc.variables(variables)?;
            let top = plan.compile(&operation.selection, &variables, true)?;
            (root_key(operation.kind), top)
        }
        Start::Fragment(name, id) => {
            let fragment = doc.fragment(name)?;
            let variables = doc.variables(variables)?;
            let set = plan.compile(&fragment.selection, &variables, false)?;
            // Reading a fragment is reading `{ ...F }` from the entity: F applies if its type
            // condition matches, and the entity's typename is read either way (as Apollo).
            let top = plan.push(vec![
                Item::Fragment {
                    condition: Some(&fragment.type_condition),
                    set,
                },
                Item::Field(PlanField::implicit_typename()),
            ]);
            (id, top)
        }
    };
    // A partial read of an absent root is a read of an empty one: every field is missing.
    let empty = Entity::new();
    let entity = match (source.entity(root), missing) {
        (Some(entity), _) => entity,
        (None, Some(_)) => &empty,
        (None, None) => return Err(ReadError::MissingRoot { key: root.into() }),
    };
    let collected = RefCell::default();
    let budget = std::cell::Cell::new(policies.node_limit());
    let ctx = Ctx {
        source,
        policies,
        plan: &plan,
        limit: policies.depth_limit(),
        missing,
        collected: &collected,
        budget: &budget,
    };
    read(&ctx, root, entity, top)
}

/// The key of an operation's root entity.
fn root_key(kind: OperationKind) -> &'static str {
    match kind {
        OperationKind::Query => ROOT_QUERY,
        OperationKind::Mutation => ROOT_MUTATION,
        OperationKind::Subscription => ROOT_SUBSCRIPTION,
    }
}

/// The typename of a root entity that does not store one (Apollo answers these too).
fn root_typename(key: &str) -> Option<&'static str> {
    match key {
        ROOT_QUERY => Some("Query"),
        ROOT_MUTATION => Some("Mutation"),
        ROOT_SUBSCRIPTION => Some("Subscription"),
        _ => None,
    }
}

/// The typename fragments are matched against: the stored `__typename`, or a root's.
fn typename_of<'a>(entity: &'a Entity, key: Option<&str>) -> Option<&'a str> {
    match entity.get(TYPENAME) {
        Some(value) => value.as_str(),
        None => root_typename(key?),
    }
}
