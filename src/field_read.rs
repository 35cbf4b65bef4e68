//! Field reads (Apollo's `read` in a field policy): a function that gives a field's value to
//! every document read, in place of what is stored.
//!
//! A read function is called with the value stored under the field's storage name (`None` if
//! there is none) and a [`FieldRead`]: the field's arguments, the object it is on, and lookups
//! of other entities. It returns the value the document reads, which is then read under the
//! field's selection as a stored one would be (references followed, lists walked), or `None`
//! for a missing field (the read is incomplete, so a `cache-first` query goes to the network).
//!
//! Two uses:
//! - **Derived fields**: a value computed from stored ones (`fullName` from `first` and
//!   `last`, a connection's edges without those whose node is gone).
//! - **Cache redirects**: a root field answered from an entity already cached
//!   (`task(id: 7)` read as `Task:7`, through [`FieldRead::to_reference`]), so the query needs
//!   no request. A reference returned for an entity that is not in the store reads as a
//!   missing field (as Apollo's dangling reference does), so the query still goes out.
//!
//! A read function must be a pure function of its arguments and of what it looks up through
//! the [`FieldRead`]: every entity and field it looks up is a dependency of the read, so
//! watchers and kept queries read again when one changes, and nothing else. It runs on every
//! document read (`read_query`, `read_query_as`, `read_fragment`, watchers); it is not run by
//! schemaless reads ([`Store::read_tree`](crate::Store::read_tree)), writes or saves: stored
//! data stays what the server and the layers wrote.

use std::cell::RefCell;

use serde_json::{Map, Value as Json};

use crate::entity::{Entity, typename_of};
use crate::field_policy::{FieldAt, args_of};
use crate::key::Key;
use crate::policy::Policies;
use crate::value::Value;

/// A read function (see the module documentation): the stored value, if any, and the read's
/// context; the value to read, or `None` for a missing field.
pub type ReadFn = dyn Fn(Option<&Value>, &FieldRead<'_>) -> Option<Value> + Send + Sync;

/// Where a read function finds other entities: the read's own source, so that every lookup is
/// recorded as the read's others are.
pub(crate) trait Lookup {
    /// The entity under `key`, if any.
    fn entity(&self, key: &str) -> Option<&Entity>;
    /// Told of a field looked up on the entity `key`.
    fn field(&self, key: &str, field: &str);
}

/// What a read function knows of the field it reads: its arguments, the object it is on, and
/// the store's entities (Apollo's `FieldFunctionOptions`).
///
/// ```
/// # #[cfg(feature = "graphql")] {
/// use optimist::{Document, FieldPolicy, Patch, Policies, Store, Value};
/// use serde_json::json;
///
/// // `fullName`, derived from two stored fields of the same object.
/// let full_name = FieldPolicy::new().read(|_existing, read| {
///     let first = read.field("first")?.as_str()?.to_owned();
///     let last = read.field("last")?.as_str()?.to_owned();
///     Some(Value::from(format!("{first} {last}")))
/// });
/// let mut store = Store::with_policies(Policies::new().field_policy("User", "fullName", full_name));
/// store.write(
///     Patch::new()
///         .set("User:1", "__typename", "User")
///         .set("User:1", "first", "Ada")
///         .set("User:1", "last", "Lovelace"),
/// )?;
/// let read = store.read_fragment(
///     &Document::parse("fragment F on User { fullName }")?,
///     Some("F"),
///     "User:1",
///     &json!({}),
/// )?;
/// assert_eq!(read["fullName"], "Ada Lovelace");
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FieldRead<'r> {
    pub(crate) policies: &'r Policies,
    pub(crate) lookup: &'r dyn Lookup,
    pub(crate) entity: &'r Entity,
    pub(crate) key: Option<&'r str>,
    pub(crate) typename: Option<&'r str>,
    pub(crate) field: &'r str,
    pub(crate) args: Map<String, Json>,
    /// The keys of the entities looked up, for a reader that records them itself.
    pub(crate) looked_up: RefCell<Vec<Key>>,
    /// How many read functions this one is called from (through [`FieldRead::field`]).
    pub(crate) nesting: usize,
}

/// How deep read functions may read fields that have read functions of their own
/// ([`FieldRead::field`]): a read function that reads itself ends here, as missing.
pub const MAX_READ_NESTING: usize = 16;

impl std::fmt::Debug for FieldRead<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldRead")
            .field("key", &self.key)
            .field("typename", &self.typename)
            .field("field", &self.field)
            .field("args", &self.args)
            .finish_non_exhaustive()
    }
}

impl<'r> FieldRead<'r> {
    /// The field's arguments, as the document gives them with its variables (an empty map for
    /// a field without any).
    ///
    /// ```
    /// # #[cfg(feature = "graphql")] {
    /// use optimist::{Document, FieldPolicy, Patch, Policies, Store, Value};
    /// let echo = FieldPolicy::new().read(|_, read| read.args().get("n").map(|n| Value::from_json(n.clone())));
    /// let mut store = Store::with_policies(Policies::new().field_policy("Query", "echo", echo));
    /// store.write(Patch::new().set("ROOT_QUERY", "other", 1))?;
    /// let read = store.read_query(&Document::parse("{ echo(n: 7) }")?, &serde_json::json!({}))?;
    /// assert_eq!(read["echo"], 7);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn args(&self) -> &Map<String, Json> {
        &self.args
    }

    /// The field's name, without arguments.
    ///
    /// ```
    /// # #[cfg(feature = "graphql")] {
    /// use optimist::{Document, FieldPolicy, Patch, Policies, Store, Value};
    /// let name = FieldPolicy::new().read(|_, read| Some(Value::from(read.field_name())));
    /// let mut store = Store::with_policies(Policies::new().field_policy("Query", "me", name));
    /// store.write(Patch::new().set("ROOT_QUERY", "other", 1))?;
    /// let read = store.read_query(&Document::parse("{ me(x: 1) }")?, &serde_json::json!({}))?;
    /// assert_eq!(read["me"], "me");
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn field_name(&self) -> &str {
        self.field
    }

    /// The key of the entity the field is on; `None` for an embedded object.
    ///
    /// ```
    /// # #[cfg(feature = "graphql")] {
    /// use optimist::{Document, FieldPolicy, Patch, Policies, Store, Value};
    /// let own = FieldPolicy::new().read(|_, read| read.key().map(Value::from));
    /// let mut store = Store::with_policies(Policies::new().field_policy("Query", "me", own));
    /// store.write(Patch::new().set("ROOT_QUERY", "other", 1))?;
    /// let read = store.read_query(&Document::parse("{ me }")?, &serde_json::json!({}))?;
    /// assert_eq!(read["me"], "ROOT_QUERY");
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn key(&self) -> Option<&str> {
        self.key
    }

    /// The typename of the object the field is on (its `__typename`, or a root's), if known.
    ///
    /// ```
    /// # #[cfg(feature = "graphql")] {
    /// use optimist::{Document, FieldPolicy, Patch, Policies, Store, Value};
    /// let own = FieldPolicy::new().read(|_, read| read.typename().map(Value::from));
    /// let mut store = Store::with_policies(Policies::new().field_policy("Query", "me", own));
    /// store.write(Patch::new().set("ROOT_QUERY", "other", 1))?;
    /// let read = store.read_query(&Document::parse("{ me }")?, &serde_json::json!({}))?;
    /// assert_eq!(read["me"], "Query");
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn typename(&self) -> Option<&str> {
        self.typename
    }

    /// A field of the object the field is on, by its storage name (Apollo's
    /// `readField(name)`): `"title"`, or a name with arguments as
    /// [`FieldName::with_args`](crate::FieldName::with_args) spells it. As a document reads it:
    /// through that field's own read function, if it has one (up to [`MAX_READ_NESTING`] reads
    /// deep; deeper is `None`). A reference stays a reference (see
    /// [`read_field`](FieldRead::read_field) to follow it).
    ///
    /// ```
    /// # #[cfg(feature = "graphql")] {
    /// use optimist::{FieldPolicy, Patch, Policies, Store, Value, Document};
    /// let upper = FieldPolicy::new()
    ///     .read(|_, read| Some(Value::from(read.field("title")?.as_str()?.to_uppercase())));
    /// let mut store = Store::with_policies(Policies::new().field_policy("Task", "shout", upper));
    /// store.write(Patch::new().set("Task:1", "__typename", "Task").set("Task:1", "title", "hi"))?;
    /// let doc = Document::parse("fragment F on Task { shout }")?;
    /// assert_eq!(store.read_fragment(&doc, Some("F"), "Task:1", &serde_json::json!({}))?["shout"], "HI");
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn field(&self, name: &str) -> Option<Value> {
        self.read_on(self.entity, self.key, self.typename, name)
    }

    /// The field `name` (a storage name) of `of`, as [`field`](FieldRead::field) reads one: of
    /// the entity a reference names (looked up, and a dependency of the read), or of an
    /// embedded object. `None` if `of` is neither, the entity is absent or the field is not
    /// there (Apollo's `readField(name, of)`).
    ///
    /// ```
    /// # #[cfg(feature = "graphql")] {
    /// use optimist::{Document, FieldPolicy, Key, Patch, Policies, Store, Value};
    /// // The owner's name, through the reference stored in `owner`.
    /// let owner_name = FieldPolicy::new().read(|_, read| read.read_field(&read.field("owner")?, "name"));
    /// let mut store = Store::with_policies(Policies::new().field_policy("Task", "ownerName", owner_name));
    /// store.write(
    ///     Patch::new()
    ///         .set("Task:1", "__typename", "Task")
    ///         .set("Task:1", "owner", Key::new("User:1")?)
    ///         .set("User:1", "name", "Ada"),
    /// )?;
    /// let doc = Document::parse("fragment F on Task { ownerName }")?;
    /// assert_eq!(store.read_fragment(&doc, Some("F"), "Task:1", &serde_json::json!({}))?["ownerName"], "Ada");
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_field(&self, of: &Value, name: &str) -> Option<Value> {
        match of {
            Value::Ref(key) => {
                let entity = self.entity_of(key)?;
                let typename = typename_of(entity, Some(key));
                self.read_on(entity, Some(key), typename, name)
            }
            Value::Object(object) => self.read_on(object, None, typename_of(object, None), name),
            _ => None,
        }
    }

    /// The field `name` of `entity` (the entity `key`, if it is one) as a document reads it.
    fn read_on(
        &self,
        entity: &Entity,
        key: Option<&str>,
        typename: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        if let Some(key) = key {
            self.lookup.field(key, name);
        }
        let at = self.policies.field_at(typename, name);
        let stored = match &at {
            Some(FieldAt {
                stored: Some(stored),
                ..
            }) => stored.as_str(),
            _ => name,
        };
        let existing = entity.get(stored);
        let Some(read) = at.as_ref().and_then(|at| at.read) else {
            return existing.cloned();
        };
        if self.nesting >= MAX_READ_NESTING {
            return None;
        }
        let inner = FieldRead {
            policies: self.policies,
            lookup: self.lookup,
            entity,
            key,
            typename,
            field: crate::field::bare_name(name),
            args: args_of(name).unwrap_or_default(),
            looked_up: RefCell::default(),
            nesting: self.nesting + 1,
        };
        let value = read(existing, &inner);
        self.looked_up
            .borrow_mut()
            .extend(inner.looked_up.into_inner());
        value
    }

    /// Whether `of` can be read: a reference whose entity is in the store (looked up, and a
    /// dependency of the read), or any other value (Apollo's `canRead`).
    ///
    /// ```
    /// # #[cfg(feature = "graphql")] {
    /// use optimist::{Document, FieldPolicy, Key, Patch, Policies, Store, Value};
    /// // The items whose entity is still there.
    /// let present = FieldPolicy::new().read(|existing, read| {
    ///     let items = existing?.as_list()?;
    ///     Some(Value::List(items.iter().filter(|item| read.can_read(item)).cloned().collect()))
    /// });
    /// let mut store = Store::with_policies(Policies::new().field_policy("Query", "items", present));
    /// store.write(Patch::new().set("ROOT_QUERY", "items", vec![Key::new("A:1")?, Key::new("A:2")?]).set("A:1", "n", 1))?;
    /// let read = store.read_query(&Document::parse("{ items }")?, &serde_json::json!({}))?;
    /// assert_eq!(read["items"], serde_json::json!([{"__ref": "A:1"}]));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn can_read(&self, of: &Value) -> bool {
        match of {
            Value::Ref(key) => self.entity_of(key).is_some(),
            _ => true,
        }
    }

    /// A reference to the entity an object of type `typename` with these fields would be
    /// stored under, by the store's key fields (Apollo's `toReference`); `None` when the fields
    /// do not identify one. The entity need not be in the store: a read through a reference to
    /// an absent entity is a missing field.
    ///
    /// ```
    /// # #[cfg(feature = "graphql")] {
    /// use optimist::{Document, FieldPolicy, Patch, Policies, Store};
    /// use serde_json::json;
    /// // `task(id:)` answered from the cached `Task:<id>`, with no request.
    /// let redirect = FieldPolicy::new()
    ///     .read(|_, read| read.to_reference("Task", &json!({"id": read.args().get("id")?})));
    /// let mut store = Store::with_policies(Policies::new().field_policy("Query", "task", redirect));
    /// store.write(Patch::new().set("Task:7", "__typename", "Task").set("Task:7", "title", "ship"))?;
    /// let doc = Document::parse("query($id: ID!) { task(id: $id) { title } }")?;
    /// assert_eq!(store.read_query(&doc, &json!({"id": "7"}))?["task"]["title"], "ship");
    /// assert!(store.read_query(&doc, &json!({"id": "8"})).is_err(), "not cached: missing");
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_reference(&self, typename: &str, fields: &Json) -> Option<Value> {
        self.policies
            .identify(typename, fields)
            .ok()
            .map(Value::Ref)
    }

    /// The entity `key` names, looked up through the read's source and noted.
    fn entity_of(&self, key: &Key) -> Option<&'r Entity> {
        self.looked_up.borrow_mut().push(key.clone());
        self.lookup.entity(key)
    }
}
