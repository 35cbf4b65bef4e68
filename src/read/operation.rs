//! Document reads: an operation or a fragment of a [`Document`] walked over a [`Source`], into
//! JSON or straight into the caller's types (the one engine of `de.rs`), or shared (`shared.rs`).

use std::cell::RefCell;

use serde::de::DeserializeOwned;

use super::de::{Ctx, Cursor, Node, Path};
use super::plan::{Item, Plan, PlanField};
use super::{PartialRead, ReadError, Reader, Source, shared};
use crate::document::{Document, OperationKind};
use crate::entity::Entity;
use crate::key::{ROOT_MUTATION, ROOT_QUERY, ROOT_SUBSCRIPTION};
use crate::policy::Policies;
#[cfg(doc)]
use crate::store::Store;

/// How a read starts.
pub(super) enum Start<'d> {
    /// The document's operation, from its root entity.
    Query,
    /// A fragment of the document (named, or the only one), from the entity `id`.
    Fragment(Option<&'d str>, &'d str),
}

impl Reader<'_> {
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
    /// #[derive(serde::Deserialize, Debug)]
    /// struct Done { done: bool }
    ///
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("Todo:1", "__typename", "Todo").set("Todo:1", "done", true))?;
    /// let doc = Document::parse("fragment F on Todo { done }")?;
    /// let read: Done = store.confirmed().read_fragment_as(&doc, None, "Todo:1", &serde_json::Value::Null)?;
    /// assert!(read.done);
    ///
    /// // Without a stored `__typename`, the type condition cannot be matched: it is missing.
    /// store.write(Patch::new().set("Todo:2", "done", true))?;
    /// assert_eq!(
    ///     store.confirmed().read_fragment_as::<Done>(&doc, None, "Todo:2", &serde_json::Value::Null).unwrap_err(),
    ///     optimist::ReadError::MissingField { path: "__typename".into() }
    /// );
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
pub(super) fn run_on<S: Source, T: DeserializeOwned>(
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
pub(super) fn run_shared<S: Source>(
    source: &S,
    policies: &Policies,
    doc: &Document,
    start: Start<'_>,
    variables: &serde_json::Value,
    memo: &mut shared::Memo,
    keys: usize,
) -> (Result<crate::value::Value, ReadError>, shared::Deps) {
    let mut deps = shared::Deps::default();
    let result = with_ctx(
        source,
        policies,
        doc,
        start,
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
    // A partial read of an absent root is a read of an empty one: every field is missing. So
    // is any read of an absent root entity when a read function may answer its fields (a
    // cache redirect needs no root).
    let empty = Entity::new();
    let answers = || root_typename(root).is_some() && policies.field_policies().reads();
    let entity = match (source.entity(root), missing) {
        (Some(entity), _) => entity,
        (None, Some(_)) => &empty,
        (None, None) if answers() => &empty,
        (None, None) => return Err(ReadError::MissingRoot { key: root.into() }),
    };
    let collected = RefCell::default();
    let budget = std::cell::Cell::new(policies.node_limit());
    let arena = typed_arena::Arena::new();
    let ctx = Ctx {
        source,
        policies,
        plan: &plan,
        limit: policies.depth_limit(),
        missing,
        collected: &collected,
        budget: &budget,
        arena: &arena,
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

pub(super) use crate::entity::typename_of;
pub(super) use crate::key::root_typename;
