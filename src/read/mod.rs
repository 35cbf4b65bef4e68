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
//! Without the `graphql` feature only the schemaless tree (`tree.rs`) is here.
//!
//! Entities come from a [`Source`]: the merged view or base of a [`Store`], or either side of a
//! [`Snapshot`]. It stands apart from the store so that reads never see layers, only the maps.

#[cfg(feature = "graphql")]
mod de;
mod error;
#[cfg(feature = "graphql")]
mod fields;
pub(crate) mod kept;
#[cfg(feature = "graphql")]
mod operation;
#[cfg(feature = "graphql")]
mod plan;
#[cfg(feature = "graphql")]
mod query;
#[cfg(feature = "graphql")]
mod reuse;
#[cfg(feature = "graphql")]
mod shared;
mod store;
#[cfg(all(test, feature = "graphql"))]
mod tests;
mod tree;
#[cfg(feature = "graphql")]
mod value_de;

use std::fmt;

use crate::entity::Entity;
use crate::policy::Policies;
use crate::store::Store;
use crate::view::{Map, Snapshot, View};

#[cfg(feature = "graphql")]
pub use error::PartialRead;
pub use error::ReadError;
#[cfg(feature = "graphql")]
pub(crate) use fields::{FieldsRead, fields_read};
#[cfg(feature = "graphql")]
use operation::{Start, root_typename, run_on, run_shared, typename_of};
#[cfg(feature = "graphql")]
pub(crate) use query::Origin;
#[cfg(feature = "graphql")]
pub use query::Query;
#[cfg(feature = "graphql")]
pub use reuse::Shared;
#[cfg(feature = "graphql")]
pub(crate) use reuse::Typed;
use tree::Tree;

/// Where a read finds entities.
pub(crate) trait Source {
    /// The entity stored under `key`, if any.
    fn entity(&self, key: &str) -> Option<&Entity>;

    /// Told of each field a document read into JSON or serde types (the engine of `de.rs`)
    /// looks up on the entity `key`, present or not, for a source that records what a read
    /// depends on field by field (`fields.rs`); `implicit` for a field the document did not
    /// ask for (the `__typename` the cache adds). Nothing by default.
    #[cfg(feature = "graphql")]
    fn field(&self, _key: &str, _field: &str, _implicit: bool) {}
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
/// use optimist::{Patch, Store};
/// use serde_json::json;
///
/// let mut store = Store::new();
/// store.write(Patch::new().set("ROOT_QUERY", "count", 1))?;
/// store.push("bump", Patch::new().increment("ROOT_QUERY", "count", 1))?;
///
/// assert_eq!(store.read_tree("ROOT_QUERY")?, Some(json!({"count": 2})));
/// assert_eq!(store.confirmed().read_tree("ROOT_QUERY")?, Some(json!({"count": 1})));
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

impl<'a> Reader<'a> {
    /// A reader over a snapshot's merged view. A snapshot does not carry the store's policies,
    /// so pass them (they decide which fragments apply to which types, and the depth limit).
    ///
    /// ```
    /// use optimist::{Patch, Reader, Store};
    ///
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("ROOT_QUERY", "a", 1))?;
    /// let snapshot = store.snapshot();
    /// let policies = store.policies().clone();
    /// let read = std::thread::spawn(move || {
    ///     Reader::snapshot(&snapshot, &policies).read_tree("ROOT_QUERY").unwrap()
    /// });
    /// assert_eq!(read.join().unwrap(), Some(serde_json::json!({"a": 1})));
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
    /// use optimist::{Patch, Reader, Store};
    ///
    /// let mut store = Store::new();
    /// store.push("guess", Patch::new().set("ROOT_QUERY", "a", 1))?;
    /// let snapshot = store.snapshot();
    /// let confirmed = Reader::snapshot_confirmed(&snapshot, store.policies());
    /// assert_eq!(confirmed.read_tree("ROOT_QUERY")?, None, "nothing confirmed yet");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn snapshot_confirmed(snapshot: &'a Snapshot, policies: &'a Policies) -> Reader<'a> {
        Reader {
            side: Side::SnapshotConfirmed(snapshot),
            policies,
        }
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
}
