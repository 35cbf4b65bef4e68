//! The document and tree reads of a [`Store`], through its merged view; [`Store::confirmed`]
//! gives the same reads over base. Thin wrappers over [`Reader`], kept apart so the engine's
//! file holds the engine.

#[cfg(feature = "graphql")]
use serde::de::DeserializeOwned;

#[cfg(feature = "graphql")]
use super::PartialRead;
use super::{ReadError, Reader, Side};
#[cfg(feature = "graphql")]
use crate::document::Document;
#[cfg(doc)]
use crate::policy::Policies;
use crate::store::Store;

/// ## Reading through GraphQL documents
///
/// Reads of documents and trees through the merged view, straight into the caller's types or
/// as JSON. [`Store::confirmed`] gives the same reads over base.
impl Store {
    #[cfg(feature = "graphql")]
    /// Reads the operation of `doc` from its root entity (`ROOT_QUERY` for a query) through the
    /// merged view, following the document exactly: response keys are aliases, arguments and
    /// variables pick the stored field, `@skip`/`@include` and fragment type conditions apply
    /// (fragments match the object's stored `__typename`, through
    /// [`Policies::possible_types`]).
    ///
    /// Every object in the result carries its stored `__typename` (never required), except the
    /// operation's root unless it is selected, as in Apollo. A reference to an entity that is not
    /// in the view reads as `null`, and is dropped from lists. A selected field that is not
    /// stored is [`ReadError::MissingField`], naming its path.
    ///
    /// Cost: O(document) to compile it for the variables (borrowed, never copied), then one
    /// step per node of the result, each counted against [`Policies::node_limit`] before it is
    /// built ([`ReadError::TooLarge`] past it) and nested at most [`Policies::depth_limit`]
    /// deep ([`ReadError::TooDeep`]). The result is a tree, so an entity reached along two
    /// paths is built twice; the budget bounds what a small document over a shared subgraph
    /// can cost. The same holds for every read below.
    ///
    /// ```
    /// use optimist::{Document, Entity, Key, Patch, Store};
    /// use serde_json::json;
    ///
    /// let mut store = Store::new();
    /// store.write(
    ///     Patch::new()
    ///         .write("Todo:1", Entity::new().with("__typename", "Todo").with("id", "1").with("title", "Buy milk"))
    ///         .set("ROOT_QUERY", r#"todos({"first":10})"#, vec![Key::new("Todo:1")?, Key::new("Todo:gone")?]),
    /// )?;
    /// let doc = Document::parse("query($n: Int) { list: todos(first: $n) { id title } }")?;
    /// assert_eq!(
    ///     store.read_query(&doc, &json!({"n": 10}))?,
    ///     json!({"list": [{"__typename": "Todo", "id": "1", "title": "Buy milk"}]}),
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_query(
        &self,
        doc: &Document,
        variables: &serde_json::Value,
    ) -> Result<serde_json::Value, ReadError> {
        Reader::from(self).read_query(doc, variables)
    }

    #[cfg(feature = "graphql")]
    /// Reads the operation of `doc` straight into the caller's type: the store and the selection
    /// are walked as a serde `Deserializer` (objects are maps keyed by response keys, lists are
    /// sequences, `null` and dangling references are `None`), with no intermediate
    /// `serde_json::Value`. The result is what `serde_json::from_value` of
    /// [`read_query`](Store::read_query) would give.
    ///
    /// ```
    /// use optimist::{Document, Entity, Key, Patch, Store};
    ///
    /// #[derive(serde::Deserialize, Debug, PartialEq)]
    /// struct Data { viewer: Option<User> }
    /// #[derive(serde::Deserialize, Debug, PartialEq)]
    /// struct User { handle: String }
    ///
    /// let mut store = Store::new();
    /// store.write(
    ///     Patch::new()
    ///         .write("User:1", Entity::new().with("__typename", "User").with("name", "ada"))
    ///         .set("ROOT_QUERY", "viewer", Key::new("User:1")?),
    /// )?;
    /// let doc = Document::parse("{ viewer { handle: name } }")?;
    /// let data: Data = store.read_query_as(&doc, &serde_json::Value::Null)?;
    /// assert_eq!(data, Data { viewer: Some(User { handle: "ada".into() }) });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_query_as<T: DeserializeOwned>(
        &self,
        doc: &Document,
        variables: &serde_json::Value,
    ) -> Result<T, ReadError> {
        Reader::from(self).read_query_as(doc, variables)
    }

    #[cfg(feature = "graphql")]
    /// Reads a fragment of `doc` (the one named `fragment`, or the only one) from the entity
    /// `id`, through the merged view. The fragment applies if its type condition matches the
    /// entity's `__typename`; otherwise the result holds the typename alone, as in Apollo. An
    /// entity with no `__typename` is missing it ([`ReadError::MissingField`]): the condition
    /// cannot be matched.
    ///
    /// ```
    /// use optimist::{Document, Entity, Patch, Store};
    /// use serde_json::json;
    ///
    /// let mut store = Store::new();
    /// store.write(Patch::new().write("Todo:1", Entity::new().with("__typename", "Todo").with("done", false)))?;
    /// let doc = Document::parse("fragment Title on Todo { title } fragment Done on Todo { done }")?;
    /// let done = store.read_fragment(&doc, Some("Done"), "Todo:1", &json!(null))?;
    /// assert_eq!(done, json!({"__typename": "Todo", "done": false}));
    /// assert!(store.read_fragment(&doc, Some("Title"), "Todo:1", &json!(null)).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_fragment(
        &self,
        doc: &Document,
        fragment: Option<&str>,
        id: &str,
        variables: &serde_json::Value,
    ) -> Result<serde_json::Value, ReadError> {
        Reader::from(self).read_fragment(doc, fragment, id, variables)
    }

    #[cfg(feature = "graphql")]
    /// Reads a fragment of `doc` from the entity `id` straight into the caller's type (see
    /// [`read_query_as`](Store::read_query_as) and [`read_fragment`](Store::read_fragment)).
    ///
    /// ```
    /// use optimist::{Document, Entity, Patch, Store};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Todo { done: bool }
    ///
    /// let mut store = Store::new();
    /// store.write(Patch::new().write("Todo:1", Entity::new().with("__typename", "Todo").with("done", true)))?;
    /// let doc = Document::parse("fragment Done on Todo { done }")?;
    /// let todo: Todo = store.read_fragment_as(&doc, None, "Todo:1", &serde_json::Value::Null)?;
    /// assert!(todo.done);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_fragment_as<T: DeserializeOwned>(
        &self,
        doc: &Document,
        fragment: Option<&str>,
        id: &str,
        variables: &serde_json::Value,
    ) -> Result<T, ReadError> {
        Reader::from(self).read_fragment_as(doc, fragment, id, variables)
    }

    #[cfg(feature = "graphql")]
    /// Reads what the merged view holds of the operation of `doc`, and lists the paths of the
    /// selected fields it lacks (the fields are left out of the data). Missing data is never an
    /// error here; a bad document, a scalar where fields are selected, or too deep a read still
    /// is.
    ///
    /// ```
    /// use optimist::{Document, Entity, Key, Patch, Store};
    /// use serde_json::json;
    ///
    /// let mut store = Store::new();
    /// store.write(
    ///     Patch::new()
    ///         .write("Todo:1", Entity::new().with("__typename", "Todo").with("title", "a"))
    ///         .set("ROOT_QUERY", "todos", vec![Key::new("Todo:1")?]),
    /// )?;
    /// let doc = Document::parse("{ todos { title done } viewer { name } }")?;
    /// let partial = store.read_query_partial(&doc, &json!(null))?;
    /// assert_eq!(partial.data, json!({"todos": [{"__typename": "Todo", "title": "a"}]}));
    /// assert_eq!(partial.missing, ["todos.0.done", "viewer"]);
    /// assert!(!partial.is_complete());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_query_partial(
        &self,
        doc: &Document,
        variables: &serde_json::Value,
    ) -> Result<PartialRead, ReadError> {
        Reader::from(self).read_query_partial(doc, variables)
    }

    /// The entity `key` of the merged view with every reference followed (denormalised), without
    /// a document: every stored field, keyed by its store field name. A reference back to an
    /// entity already on the current path, or one deeper than [`Policies::depth_limit`] levels
    /// (fields, list items and references all count), stays `{"__ref": key}`, so cycles are
    /// safe; a reference to an absent entity is `null`, and is dropped from lists. `Ok(None)` if
    /// the entity is absent.
    ///
    /// An entity reached along two paths is written out twice (JSON cannot share a subtree), so
    /// a diamond-shaped graph of n entities reads as 2^n nodes: the read stops with
    /// [`ReadError::TooLarge`] once it would build more than [`Policies::node_limit`] nodes, and
    /// with [`ReadError::TooDeep`] at an embedded object or list nested past the depth limit.
    /// O(nodes built), at most O(node limit).
    ///
    /// ```
    /// use optimist::{Key, Patch, Store};
    /// use serde_json::json;
    ///
    /// let mut store = Store::new();
    /// store.write(
    ///     Patch::new()
    ///         .set("User:1", "best", Key::new("User:2")?)
    ///         .set("User:2", "best", Key::new("User:1")?),
    /// )?;
    /// assert_eq!(
    ///     store.read_tree("User:1")?,
    ///     Some(json!({"best": {"best": {"__ref": "User:1"}}})),
    /// );
    /// assert_eq!(store.read_tree("User:3")?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_tree(&self, key: &str) -> Result<Option<serde_json::Value>, ReadError> {
        Reader::from(self).read_tree(key)
    }

    /// The same reads over base: confirmed server truth, ignoring every pending layer.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// use serde_json::json;
    ///
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("ROOT_QUERY", "done", false))?;
    /// store.push("tick", Patch::new().set("ROOT_QUERY", "done", true))?;
    /// assert_eq!(store.read_tree("ROOT_QUERY")?, Some(json!({"done": true})));
    /// assert_eq!(store.confirmed().read_tree("ROOT_QUERY")?, Some(json!({"done": false})));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn confirmed(&self) -> Reader<'_> {
        Reader {
            side: Side::Map(self.base_map()),
            policies: self.policies(),
        }
    }
}
