//! Type policies: how an object's identity is found, and which types a fragment's type
//! condition covers.
//!
//! The counterpart of Apollo's `typePolicies` (`keyFields`) and `possibleTypes`. It stands apart
//! because normalization, document reads and the store all consult it, and it is plain
//! configuration: no data, no store.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use crate::field::FieldName;
use crate::field_policy::FieldPolicies;

/// The field every object's typename is read from and stored under, as in Apollo.
///
/// ```
/// assert_eq!(optimist::TYPENAME, "__typename");
/// ```
pub const TYPENAME: &str = "__typename";

/// A user function that computes an object's key from its typename and fields: `Some(key text)`
/// (a whole key, `Type:id`), or `None` to keep the object embedded.
///
/// It runs while a payload is normalized into a patch, before anything is written: a panic in
/// it propagates and leaves the store as it was (and a [`Client::resolve`](crate::Client::resolve)
/// with its fetch still in flight).
///
/// ```
/// use std::sync::Arc;
/// let by_slug: Arc<optimist::KeyFn> =
///     Arc::new(|typename, fields| Some(format!("{typename}:{}", fields.get("slug")?.as_str()?)));
/// let fields = serde_json::json!({"slug": "intro"});
/// assert_eq!(by_slug("Post", fields.as_object().unwrap()).as_deref(), Some("Post:intro"));
/// ```
pub type KeyFn =
    dyn Fn(&str, &serde_json::Map<String, serde_json::Value>) -> Option<String> + Send + Sync;

/// How objects of one type are identified.
///
/// ```
/// use optimist::{KeyFields, Policies};
///
/// let policies = Policies::new()
///     .key_fields("Book", KeyFields::fields(["isbn"]))
///     .key_fields("Money", KeyFields::Embedded);
/// # let _ = policies;
/// ```
#[derive(Clone)]
pub enum KeyFields {
    /// The default: the `id` field, or `_id` when there is no `id`; the key is `Type:<id>` with
    /// a string id as is and a number printed as JSON.
    Default,
    /// These fields, in this order; the key is `Type:{"f1":v1,"f2":v2}` (JSON, in this order),
    /// as Apollo formats `keyFields`.
    Fields(Vec<String>),
    /// No identity: objects of this type stay embedded in their parent (Apollo's
    /// `keyFields: false`).
    Embedded,
    /// A user function (Apollo's `dataIdFromObject`).
    Custom(Arc<KeyFn>),
}

impl KeyFields {
    /// [`KeyFields::Fields`] from any list of names.
    ///
    /// ```
    /// let composite = optimist::KeyFields::fields(["make", "model"]);
    /// # let _ = composite;
    /// ```
    pub fn fields<S: Into<String>>(names: impl IntoIterator<Item = S>) -> KeyFields {
        KeyFields::Fields(names.into_iter().map(Into::into).collect())
    }

    /// [`KeyFields::Custom`] from a closure.
    ///
    /// ```
    /// let by_slug = optimist::KeyFields::custom(|typename, fields| {
    ///     Some(format!("{typename}:{}", fields.get("slug")?.as_str()?))
    /// });
    /// # let _ = by_slug;
    /// ```
    pub fn custom<F>(f: F) -> KeyFields
    where
        F: Fn(&str, &serde_json::Map<String, serde_json::Value>) -> Option<String>
            + Send
            + Sync
            + 'static,
    {
        KeyFields::Custom(Arc::new(f))
    }
}

impl fmt::Debug for KeyFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyFields::Default => f.write_str("Default"),
            KeyFields::Fields(fields) => f.debug_tuple("Fields").field(fields).finish(),
            KeyFields::Embedded => f.write_str("Embedded"),
            KeyFields::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// A user function that names the type of an object whose payload gives none: given the field
/// names from the top of the payload down to the object (list indices left out) and the
/// object's fields, `Some(typename)` or `None` to leave it untyped. See [`Policies::type_with`].
///
/// The name is `'static` (a literal, or one picked from a fixed table), so typing an object
/// allocates nothing.
///
/// Like a [`KeyFn`], it runs before anything is written: a panic in it leaves the store as it
/// was.
///
/// ```
/// use std::sync::Arc;
/// let by_kind: Arc<optimist::TypeFn> = Arc::new(|_path, object| {
///     match object.get("kind")?.as_str()? {
///         "post" => Some("Post"),
///         _ => None,
///     }
/// });
/// let object = serde_json::json!({"kind": "post", "id": 1});
/// assert_eq!(by_kind(&["feed"], object.as_object().unwrap()), Some("Post"));
/// ```
pub type TypeFn = dyn Fn(&[&str], &serde_json::Map<String, serde_json::Value>) -> Option<&'static str>
    + Send
    + Sync;

/// Types by path: a node per field name, the type of the objects found there.
#[derive(Clone, Debug, Default)]
pub(crate) struct PathTypes {
    typename: Option<String>,
    children: HashMap<String, PathTypes>,
}

impl PathTypes {
    /// The node of field `name` below this one.
    pub(crate) fn child(&self, name: &str) -> Option<&PathTypes> {
        if self.children.is_empty() {
            return None;
        }
        self.children.get(name)
    }

    /// The type of the objects at this node's path, if one is declared.
    pub(crate) fn typename(&self) -> Option<&str> {
        self.typename.as_deref()
    }
}

/// The type function, with a `Debug` that does not try to print a closure.
#[derive(Clone)]
struct TypeFnSlot(Option<Arc<TypeFn>>);

impl fmt::Debug for TypeFnSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "Some(..)" } else { "None" })
    }
}

/// Per-type policies: key fields, possible types, and the limits that keep hostile input from
/// exhausting the stack.
///
/// ```
/// use optimist::{KeyFields, Policies};
///
/// let policies = Policies::new()
///     .key_fields("Car", KeyFields::fields(["make", "model"]))
///     .possible_types("Node", ["Todo", "User"])
///     .max_depth(64);
/// assert!(policies.type_matches("Node", "Todo"));
/// assert!(!policies.type_matches("Node", "Car"));
/// assert_eq!(policies.depth_limit(), 64);
/// ```
#[derive(Clone, Debug)]
pub struct Policies {
    key_fields: HashMap<String, KeyFields>,
    /// Types by path from a root entity ([`Policies::type_at`]), one node per field name.
    paths: PathTypes,
    /// Parent type to field name to the field's type ([`Policies::field_type`]).
    field_types: HashMap<String, HashMap<String, String>>,
    /// The last resort for an object without a type ([`Policies::type_with`]).
    type_fn: TypeFnSlot,
    /// Supertype (interface or union) to its direct subtypes.
    possible_types: HashMap<String, HashSet<String>>,
    /// Typename to the field that holds its entities' version.
    version_fields: HashMap<String, FieldName>,
    /// Per `(type, field)`: see `field_policy.rs`.
    field_policies: FieldPolicies,
    /// The schema's object and interface types: each field's named type (`schema_from_sdl`).
    schema_fields: HashMap<String, HashMap<String, String>>,
    max_depth: usize,
    max_nodes: usize,
}

/// The one nesting limit of the crate: far beyond any real response, far below what exhausts a
/// 2 MiB stack (a test thread's, a debug build's).
///
/// Everything that recurses is bounded by it, so nothing one entry point accepts can overflow
/// another: parsing a document (selection sets through every fragment spread, argument values,
/// variable defaults), a variable's value used as an argument, normalizing a payload, restoring
/// a snapshot, every read ([`Policies::depth_limit`], which can lower it but never raise it),
/// serialising a value with serde. What never recurses has no limit: dropping a value, and
/// [`Value::to_json`](crate::Value::to_json) (so [`Store::extract`](crate::Store::extract)).
///
/// ```
/// assert_eq!(optimist::Policies::new().depth_limit(), optimist::DEFAULT_MAX_DEPTH);
/// ```
pub const DEFAULT_MAX_DEPTH: usize = 256;

/// The default budget of nodes a read may produce: every object, list, scalar and missing-field
/// entry of a result counts one. A read past it stops with
/// [`ReadError::TooLarge`](crate::ReadError::TooLarge) before building the next node, so a
/// small document over a shared subgraph (whose result doubles at every level) costs at most
/// this many steps, not 2^depth.
///
/// ```
/// assert_eq!(optimist::Policies::new().node_limit(), optimist::DEFAULT_MAX_NODES);
/// ```
pub const DEFAULT_MAX_NODES: usize = 1 << 20;

impl Default for Policies {
    fn default() -> Policies {
        Policies {
            key_fields: HashMap::new(),
            paths: PathTypes::default(),
            field_types: HashMap::new(),
            type_fn: TypeFnSlot(None),
            possible_types: HashMap::new(),
            version_fields: HashMap::new(),
            field_policies: FieldPolicies::default(),
            schema_fields: HashMap::new(),
            max_depth: DEFAULT_MAX_DEPTH,
            max_nodes: DEFAULT_MAX_NODES,
        }
    }
}

impl Policies {
    /// Default policies: `id` / `_id` keys for every type, no possible types, depth limit
    /// [`DEFAULT_MAX_DEPTH`].
    ///
    /// ```
    /// assert_eq!(optimist::Policies::new().depth_limit(), optimist::DEFAULT_MAX_DEPTH);
    /// ```
    pub fn new() -> Policies {
        Policies::default()
    }

    /// Sets how objects of `typename` are identified.
    ///
    /// ```
    /// use optimist::{KeyFields, Policies};
    /// let policies = Policies::new().key_fields("Money", KeyFields::Embedded);
    /// assert!(matches!(policies.key_fields_of("Money"), KeyFields::Embedded));
    /// assert!(matches!(policies.key_fields_of("Todo"), KeyFields::Default));
    /// ```
    pub fn key_fields(mut self, typename: &str, key_fields: KeyFields) -> Policies {
        self.key_fields.insert(typename.to_owned(), key_fields);
        self
    }

    /// Declares that the objects at `path` are of type `typename`, for payloads without
    /// `__typename` (plain REST JSON). The path is field names from the top of a payload written
    /// to a root entity (`ROOT_QUERY`, `ROOT_MUTATION`, `ROOT_SUBSCRIPTION`), joined by `.`;
    /// a list counts as the path of its field, so `"todos"` covers every element of
    /// `todos: [...]` and `"todos.owner"` the `owner` of each. A payload written to an entity
    /// key (`Todo:1`, [`normalize_entity`](crate::normalize_entity)) is typed by
    /// [`Policies::field_type`] instead. Declaring a path again replaces its type.
    ///
    /// Precedence, for each object: its own `__typename`, then `type_at`, then
    /// [`Policies::field_type`], then [`Policies::type_with`]. An object typed by a policy must
    /// have its key (else [`NormalizeError::MissingId`](crate::NormalizeError::MissingId)),
    /// unless its type is [`KeyFields::Embedded`]; it is stored with a `__typename`.
    ///
    /// ```
    /// use optimist::{Key, Policies, Store, Value, normalize};
    /// use serde_json::json;
    ///
    /// let mut store = Store::with_policies(Policies::new().type_at("todos", "Todo").type_at("todos.owner", "User"));
    /// let payload = json!({"todos": [{"id": 17, "title": "a", "owner": {"id": "u1"}}]});
    /// store.write(normalize(store.policies(), &Key::root_query(), &payload)?)?;
    /// assert_eq!(store.get_field("Todo:17", "owner"), Some(&Value::Ref(Key::new("User:u1")?)));
    /// assert_eq!(store.policies().path_type_of("todos.owner"), Some("User"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn type_at(mut self, path: &str, typename: &str) -> Policies {
        let mut node = &mut self.paths;
        for name in path.split('.') {
            node = node.children.entry(name.to_owned()).or_default();
        }
        node.typename = Some(typename.to_owned());
        self
    }

    /// The type [`Policies::type_at`] declares for `path`, if any.
    ///
    /// ```
    /// let policies = optimist::Policies::new().type_at("todos", "Todo");
    /// assert_eq!(policies.path_type_of("todos"), Some("Todo"));
    /// assert_eq!(policies.path_type_of("users"), None);
    /// ```
    pub fn path_type_of(&self, path: &str) -> Option<&str> {
        let mut node = &self.paths;
        for name in path.split('.') {
            node = node.child(name)?;
        }
        node.typename()
    }

    /// Declares that the `field` of an object of type `parent` holds objects (or lists of
    /// them) of type `typename`, wherever that object sits, so a deep REST payload is typed
    /// without spelling every path. The root entities' types are `Query`, `Mutation` and
    /// `Subscription` (unless the payload names its own), so `field_type("Query", "todos",
    /// "Todo")` types a root field. Declaring a field again replaces its type. Precedence: see
    /// [`Policies::type_at`].
    ///
    /// ```
    /// use optimist::{Key, Policies, Store, Value, normalize};
    /// use serde_json::json;
    ///
    /// let policies = Policies::new()
    ///     .type_at("todos", "Todo")
    ///     .field_type("Todo", "owner", "User")
    ///     .field_type("User", "team", "Team");
    /// let mut store = Store::with_policies(policies);
    /// let payload = json!({"todos": [{"id": 1, "owner": {"id": 7, "team": {"id": "t"}}}]});
    /// store.write(normalize(store.policies(), &Key::root_query(), &payload)?)?;
    /// assert_eq!(store.get_field("User:7", "team"), Some(&Value::Ref(Key::new("Team:t")?)));
    /// assert_eq!(store.policies().field_type_of("Todo", "owner"), Some("User"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn field_type(mut self, parent: &str, field: &str, typename: &str) -> Policies {
        self.field_types
            .entry(parent.to_owned())
            .or_default()
            .insert(field.to_owned(), typename.to_owned());
        self
    }

    /// The type [`Policies::field_type`] declares for `field` of `parent`, if any.
    ///
    /// ```
    /// let policies = optimist::Policies::new().field_type("Todo", "owner", "User");
    /// assert_eq!(policies.field_type_of("Todo", "owner"), Some("User"));
    /// assert_eq!(policies.field_type_of("User", "owner"), None);
    /// ```
    pub fn field_type_of(&self, parent: &str, field: &str) -> Option<&str> {
        if self.field_types.is_empty() {
            return None;
        }
        self.field_types.get(parent)?.get(field).map(String::as_str)
    }

    /// Whether any [`Policies::field_type`] is declared: only then can a field's type depend on
    /// its parent's typename.
    pub(crate) fn has_field_types(&self) -> bool {
        !self.field_types.is_empty()
    }

    /// Sets a function that types the objects no `__typename`, [`Policies::type_at`] or
    /// [`Policies::field_type`] types: it gets the field names from the top of the payload to
    /// the object (list indices left out; under an entity root as under a root entity) and
    /// the object, and returns `Some(typename)` or `None` (the object stays untyped, and so
    /// embedded in its parent, as every untyped object is). A second call replaces the
    /// function. See [`TypeFn`].
    ///
    /// ```
    /// use optimist::{Key, Policies, Store, Value, normalize};
    /// use serde_json::json;
    ///
    /// let policies = Policies::new().type_with(|path, object| match (path, object.get("kind")?.as_str()?) {
    ///     (["feed"], "post") => Some("Post"),
    ///     (["feed"], "photo") => Some("Photo"),
    ///     _ => None,
    /// });
    /// let mut store = Store::with_policies(policies);
    /// let payload = json!({"feed": [{"kind": "post", "id": 1}, {"kind": "photo", "id": 1}]});
    /// store.write(normalize(store.policies(), &Key::root_query(), &payload)?)?;
    /// assert!(store.get("Post:1").is_some() && store.get("Photo:1").is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn type_with<F>(mut self, f: F) -> Policies
    where
        F: Fn(&[&str], &serde_json::Map<String, serde_json::Value>) -> Option<&'static str>
            + Send
            + Sync
            + 'static,
    {
        self.type_fn = TypeFnSlot(Some(Arc::new(f)));
        self
    }

    /// The path types, from the top of a payload written to a root entity.
    pub(crate) fn path_types(&self) -> &PathTypes {
        &self.paths
    }

    /// The function [`Policies::type_with`] set, if any.
    pub(crate) fn type_fn(&self) -> Option<&TypeFn> {
        self.type_fn.0.as_deref()
    }

    /// Declares the subtypes of an interface or union (Apollo's `possibleTypes`), so fragments
    /// on the supertype match them. Subtypes may be supertypes themselves.
    ///
    /// ```
    /// let policies = optimist::Policies::new().possible_types("Node", ["Entity"]).possible_types("Entity", ["Todo"]);
    /// assert!(policies.type_matches("Node", "Todo"));
    /// ```
    pub fn possible_types<S: Into<String>>(
        mut self,
        supertype: &str,
        subtypes: impl IntoIterator<Item = S>,
    ) -> Policies {
        self.possible_types
            .entry(supertype.to_owned())
            .or_default()
            .extend(subtypes.into_iter().map(Into::into));
        self
    }

    /// Names the field that holds the version of `typename`'s entities: a number (a row
    /// version, a sequence) or an RFC 3339 timestamp (an `updatedAt`); see
    /// [`Version`](crate::Version). A server write (a direct [`write`](crate::Store::write), a
    /// confirmed layer, a layer folding into base) whose version is older than the version of
    /// the entity below it is left out for that entity and reported in
    /// [`Changes::ignored`](crate::Changes::ignored). Writes that do not set the field (an
    /// optimistic guess, a partial update) are not affected; pending layers never are. A patch
    /// that sets the field to anything but a number, an RFC 3339 string or `null` is refused
    /// with [`PatchError::BadVersion`](crate::PatchError::BadVersion).
    ///
    /// ```
    /// use optimist::{Patch, Policies, Store};
    /// let mut store = Store::with_policies(Policies::new().version_field("Todo", "version"));
    /// store.write(Patch::new().set("Todo:1", "title", "new").set("Todo:1", "version", 3))?;
    /// // A late answer carrying version 2 is older than what the store holds: left out.
    /// let changes = store.write(Patch::new().set("Todo:1", "title", "old").set("Todo:1", "version", 2))?;
    /// assert!(changes.is_empty());
    /// assert_eq!(changes.ignored()[0].as_str(), "Todo:1");
    /// assert_eq!(store.get_field("Todo:1", "title").and_then(|v| v.as_str()), Some("new"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn version_field(mut self, typename: &str, field: &str) -> Policies {
        self.version_fields
            .insert(typename.to_owned(), FieldName::new(field));
        self
    }

    /// The version field of `typename`, if one is named.
    ///
    /// ```
    /// let policies = optimist::Policies::new().version_field("Todo", "updatedAt");
    /// assert_eq!(policies.version_field_of("Todo").map(|f| f.as_str()), Some("updatedAt"));
    /// assert!(policies.version_field_of("User").is_none());
    /// ```
    pub fn version_field_of(&self, typename: &str) -> Option<&FieldName> {
        if self.version_fields.is_empty() {
            return None;
        }
        self.version_fields.get(typename)
    }

    /// Whether any type has a version field.
    pub(crate) fn has_versions(&self) -> bool {
        !self.version_fields.is_empty()
    }

    /// The version field of the entity `key` names, if its type has one.
    pub(crate) fn version_field_of_key(&self, key: &str) -> Option<&FieldName> {
        if self.version_fields.is_empty() {
            return None;
        }
        let typename = key.split_once(':')?.0;
        self.version_fields.get(typename)
    }

    /// Sets the nesting limit for payloads, documents and reads.
    /// Lowers the nesting limit for payloads, snapshots and reads; it cannot be raised past
    /// [`DEFAULT_MAX_DEPTH`], the limit the whole crate is built to stay within.
    ///
    /// ```
    /// use optimist::{DEFAULT_MAX_DEPTH, Policies};
    /// assert_eq!(Policies::new().max_depth(8).depth_limit(), 8);
    /// assert_eq!(Policies::new().max_depth(1_000_000).depth_limit(), DEFAULT_MAX_DEPTH);
    /// ```
    pub fn max_depth(mut self, depth: usize) -> Policies {
        self.max_depth = depth.min(DEFAULT_MAX_DEPTH);
        self
    }

    /// Sets the budget of nodes one read may produce (see [`DEFAULT_MAX_NODES`]).
    ///
    /// ```
    /// assert_eq!(optimist::Policies::new().max_nodes(10).node_limit(), 10);
    /// ```
    pub fn max_nodes(mut self, nodes: usize) -> Policies {
        self.max_nodes = nodes;
        self
    }

    /// The budget of nodes one read may produce.
    ///
    /// ```
    /// assert!(optimist::Policies::new().node_limit() > 1_000_000);
    /// ```
    pub fn node_limit(&self) -> usize {
        self.max_nodes
    }

    /// The nesting limit.
    ///
    /// ```
    /// assert!(optimist::Policies::new().depth_limit() > 100);
    /// ```
    pub fn depth_limit(&self) -> usize {
        self.max_depth
    }

    /// How objects of `typename` are identified.
    ///
    /// ```
    /// assert!(matches!(optimist::Policies::new().key_fields_of("X"), optimist::KeyFields::Default));
    /// ```
    pub fn key_fields_of(&self, typename: &str) -> &KeyFields {
        self.key_fields.get(typename).unwrap_or(&KeyFields::Default)
    }

    /// Whether a fragment with type condition `condition` applies to an object of type
    /// `typename`: the same type, or a (transitive) possible type of it.
    ///
    /// ```
    /// let policies = optimist::Policies::new().possible_types("SearchResult", ["Book"]);
    /// assert!(policies.type_matches("Book", "Book"));
    /// assert!(policies.type_matches("SearchResult", "Book"));
    /// assert!(!policies.type_matches("Book", "SearchResult"));
    /// ```
    pub fn type_matches(&self, condition: &str, typename: &str) -> bool {
        if condition == typename {
            return true;
        }
        // Breadth-first over the subtype graph; the set guards against declared cycles.
        let mut seen: HashSet<&str> = HashSet::new();
        let mut queue: Vec<&str> = vec![condition];
        while let Some(supertype) = queue.pop() {
            if !seen.insert(supertype) {
                continue;
            }
            if let Some(subtypes) = self.possible_types.get(supertype) {
                for subtype in subtypes {
                    if subtype == typename {
                        return true;
                    }
                    queue.push(subtype);
                }
            }
        }
        false
    }
}

impl Policies {
    pub(crate) fn field_policies(&self) -> &FieldPolicies {
        &self.field_policies
    }

    /// The schema's fields by type, if a schema was read (`Policies::schema_from_sdl`).
    #[cfg_attr(not(feature = "graphql"), allow(dead_code))]
    pub(crate) fn schema_fields(&self) -> &HashMap<String, HashMap<String, String>> {
        &self.schema_fields
    }

    #[cfg_attr(not(feature = "graphql"), allow(dead_code))]
    pub(crate) fn schema_fields_mut(&mut self) -> &mut HashMap<String, HashMap<String, String>> {
        &mut self.schema_fields
    }

    pub(crate) fn field_policies_mut(&mut self) -> &mut FieldPolicies {
        &mut self.field_policies
    }
}
