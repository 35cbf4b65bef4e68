//! Field policies (Apollo's `typePolicies.Type.fields.field`): per `(type, field)`, which of
//! the field's arguments name where its value is stored (`keyArgs`), and how a written value
//! merges with the one already there (`merge`).
//!
//! A field's storage name holds its arguments (`tasks({"after":"c3","first":3})`), so every
//! page of a paginated field is a field of its own. With `key_args` the storage name keeps only
//! the arguments that tell one list from another (`tasks({"filter":"open"})`), so the pages of
//! one list land in one field. The writers (both normalizers) and the readers (every document
//! read, watcher and invalidation) ask the same function, with the typename of the object the
//! field is on, so they agree on where a field lives.
//!
//! `key_args` is a pure function of the field's arguments: it decides names only, so a saved
//! store (whose fields carry the names it gave) loads without it.
//!
//! A merge runs on every write of the field that a document normalizes onto an entity or a
//! root (a server answer, a query's confirmed slot, an optimistic response pushed as a layer),
//! as Apollo's `merge` runs on every write. It is recorded as an op, not as its result: the
//! normalizer writes the field as an [`Op::Update`](crate::Op::Update) of the updater the store
//! registers for the policy (named [`merge_updater_name`]), with the incoming value and the
//! field's arguments. So a merge in a layer is replayed over whatever lies below it as any
//! updater is (a base refetched under a pending page merges again), and failing the layer
//! takes it back exactly. Like any updater it must be a pure function, registered wherever the
//! ops are applied: a store created with these policies has it, and a saved store holding a
//! pending merge loads only into one that has (another is refused, with nothing changed). A
//! field of an embedded object (one without identity) has no entity to merge on: it is
//! written as it comes.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value as Json};

use crate::entity::Entity;
use crate::field::FieldName;
use crate::field_read::{FieldRead, ReadFn};
use crate::op::Op;
use crate::policy::Policies;
use crate::value::Value;

/// A function from a field's arguments to the arguments its storage name keeps.
pub type KeyArgsFn = dyn Fn(&Map<String, Json>) -> Json + Send + Sync;

/// A merge (Apollo's `merge(existing, incoming, { args })`): the value stored (`None` if the
/// field is absent), the value written, and the field's arguments as the write gave them; it
/// returns the value to store.
pub type MergeFn = dyn Fn(Option<&Value>, &Value, &Map<String, Json>) -> Value + Send + Sync;

/// The name of the updater a store registers for the merge of `typename.field`: the
/// normalizer's [`Op::Update`](crate::Op::Update) ops name it. Names starting with `merge:`
/// are the store's.
///
/// ```
/// assert_eq!(optimist::merge_updater_name("Project", "tasks"), "merge:Project.tasks");
/// ```
pub fn merge_updater_name(typename: &str, field: &str) -> String {
    format!("merge:{typename}.{field}")
}

/// Which of a field's arguments its storage name keeps (Apollo's `keyArgs`).
///
/// ```
/// use optimist::KeyArgs;
/// let only = KeyArgs::only(["filter.status", "sort"]);
/// # let _ = only;
/// ```
#[derive(Clone, Default)]
pub enum KeyArgs {
    /// Every argument (the default, and the name without a policy).
    #[default]
    All,
    /// None: every value of the field, whatever its arguments, is stored under its bare name
    /// (Apollo's `keyArgs: false`).
    None,
    /// These arguments, each a name or a dotted path into an input object
    /// (`"filter.status"`); arguments not given are left out.
    Only(Vec<String>),
    /// What this function returns from the arguments (an object, or `null` for none).
    Custom(Arc<KeyArgsFn>),
}

impl KeyArgs {
    /// [`KeyArgs::Only`] these names or dotted paths.
    ///
    /// ```
    /// assert!(matches!(optimist::KeyArgs::only(["a"]), optimist::KeyArgs::Only(_)));
    /// ```
    pub fn only<S: Into<String>>(paths: impl IntoIterator<Item = S>) -> KeyArgs {
        KeyArgs::Only(paths.into_iter().map(Into::into).collect())
    }

    /// [`KeyArgs::Custom`] with this function.
    ///
    /// ```
    /// let key = optimist::KeyArgs::custom(|args| args.get("lang").cloned().unwrap_or_default());
    /// # let _ = key;
    /// ```
    pub fn custom(f: impl Fn(&Map<String, Json>) -> Json + Send + Sync + 'static) -> KeyArgs {
        KeyArgs::Custom(Arc::new(f))
    }

    /// The arguments kept out of `args`.
    fn keep(&self, args: &Map<String, Json>) -> Json {
        match self {
            KeyArgs::All => Json::Object(args.clone()),
            KeyArgs::None => Json::Null,
            KeyArgs::Only(paths) => {
                let mut kept = Map::new();
                for path in paths {
                    let steps: Vec<&str> = path.split('.').collect();
                    copy_path(args, &mut kept, &steps);
                }
                Json::Object(kept)
            }
            KeyArgs::Custom(f) => f(args),
        }
    }
}

/// Copies the value at `path` (if any) from `from` into `into`, building the objects on the way.
fn copy_path(from: &Map<String, Json>, into: &mut Map<String, Json>, path: &[&str]) {
    let Some((step, rest)) = path.split_first() else {
        return;
    };
    let Some(value) = from.get(*step) else { return };
    if rest.is_empty() {
        into.insert((*step).to_owned(), value.clone());
        return;
    }
    let Json::Object(inner) = value else { return };
    let slot = into
        .entry((*step).to_owned())
        .or_insert_with(|| Json::Object(Map::new()));
    if let Json::Object(slot) = slot {
        copy_path(inner, slot, rest);
        if slot.is_empty() {
            into.remove(*step);
        }
    }
}

impl fmt::Debug for KeyArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyArgs::All => f.write_str("All"),
            KeyArgs::None => f.write_str("None"),
            KeyArgs::Only(paths) => f.debug_tuple("Only").field(paths).finish(),
            KeyArgs::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// The policy of one field of one type (see the module documentation).
///
/// ```
/// use optimist::{FieldPolicy, KeyArgs};
/// let policy = FieldPolicy::new().key_args(KeyArgs::only(["filter"]));
/// # let _ = policy;
/// ```
#[derive(Clone, Default)]
pub struct FieldPolicy {
    key_args: KeyArgs,
    merge: Option<Arc<MergeFn>>,
    read: Option<Arc<ReadFn>>,
}

impl fmt::Debug for FieldPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldPolicy")
            .field("key_args", &self.key_args)
            .field("merge", &self.merge.as_ref().map(|_| ".."))
            .field("read", &self.read.as_ref().map(|_| ".."))
            .finish()
    }
}

impl FieldPolicy {
    /// No policy: every argument names the field.
    ///
    /// ```
    /// let _ = optimist::FieldPolicy::new();
    /// ```
    pub fn new() -> FieldPolicy {
        FieldPolicy::default()
    }

    /// Which arguments name where the field is stored.
    ///
    /// ```
    /// let _ = optimist::FieldPolicy::new().key_args(optimist::KeyArgs::None);
    /// ```
    pub fn key_args(mut self, key_args: KeyArgs) -> FieldPolicy {
        self.key_args = key_args;
        self
    }

    /// How a written value merges with the stored one (see the module documentation).
    ///
    /// ```
    /// use optimist::{FieldPolicy, List, Value};
    /// // Pages appended to the list already there.
    /// let append = FieldPolicy::new().merge(|existing, incoming, _args| {
    ///     let mut list: List = existing.and_then(Value::as_list).cloned().unwrap_or_default();
    ///     list.make_mut().extend(incoming.as_list().into_iter().flatten().cloned());
    ///     Value::List(list)
    /// });
    /// # let _ = append;
    /// ```
    pub fn merge(
        mut self,
        merge: impl Fn(Option<&Value>, &Value, &Map<String, Json>) -> Value + Send + Sync + 'static,
    ) -> FieldPolicy {
        self.merge = Some(Arc::new(merge));
        self
    }

    /// What a document read of the field gives, in place of what is stored: a derived value
    /// or a cache redirect (see [`FieldRead`]).
    ///
    /// ```
    /// use optimist::{FieldPolicy, Value};
    /// // A stored title read trimmed.
    /// let trimmed = FieldPolicy::new()
    ///     .read(|existing, _read| Some(Value::from(existing?.as_str()?.trim())));
    /// # let _ = trimmed;
    /// ```
    pub fn read(
        mut self,
        read: impl Fn(Option<&Value>, &FieldRead<'_>) -> Option<Value> + Send + Sync + 'static,
    ) -> FieldPolicy {
        self.read = Some(Arc::new(read));
        self
    }
}

/// What a read of one field of one type goes through: where it is stored, when its policy
/// says other than the plan, and its read function.
pub(crate) struct FieldAt<'p> {
    pub(crate) stored: Option<FieldName>,
    pub(crate) read: Option<&'p ReadFn>,
}

/// The field policies of a [`Policies`]: by typename, then field name; and every field name
/// some type has a policy for, so that a field without one is known at a glance.
#[derive(Clone, Debug, Default)]
pub(crate) struct FieldPolicies {
    by_type: HashMap<String, HashMap<String, FieldPolicy>>,
    names: HashSet<String>,
}

impl FieldPolicies {
    pub(crate) fn insert(&mut self, typename: &str, field: &str, policy: FieldPolicy) {
        self.names.insert(field.to_owned());
        self.by_type
            .entry(typename.to_owned())
            .or_default()
            .insert(field.to_owned(), policy);
    }

    /// Whether any field has a policy.
    pub(crate) fn any(&self) -> bool {
        !self.names.is_empty()
    }

    /// Whether some field has a read function.
    #[cfg(feature = "graphql")]
    pub(crate) fn reads(&self) -> bool {
        self.by_type
            .values()
            .any(|fields| fields.values().any(|policy| policy.read.is_some()))
    }

    /// Whether some type has a policy for a field of this (bare) name.
    pub(crate) fn names(&self, field: &str) -> bool {
        self.names.contains(field)
    }

    fn get(&self, typename: &str, field: &str) -> Option<&FieldPolicy> {
        self.by_type.get(typename)?.get(field)
    }

    /// Whether the field `field` (a bare name) of `typename` merges.
    pub(crate) fn merges(&self, typename: Option<&str>, field: &str) -> bool {
        self.any()
            && typename
                .and_then(|typename| self.get(typename, field))
                .is_some_and(|policy| policy.merge.is_some())
    }

    /// The updaters of every merge: its name and the updater, which finds in its arguments
    /// the storage name, the incoming value and the field's arguments (see `merge_op`).
    pub(crate) fn merge_updaters(&self) -> Vec<(String, Arc<crate::op::UpdaterFn>)> {
        let mut out = Vec::new();
        for (typename, fields) in &self.by_type {
            for (field, policy) in fields {
                let Some(merge) = policy.merge.clone() else {
                    continue;
                };
                let updater = move |entity: Option<&Entity>, args: &Value| {
                    let Value::Object(args) = args else {
                        return entity.cloned();
                    };
                    let (Some(Value::String(name)), Some(incoming)) =
                        (args.get("field"), args.get("incoming"))
                    else {
                        return entity.cloned();
                    };
                    let call = match args.get("args").map(Value::to_json) {
                        Some(Json::Object(call)) => call,
                        _ => Map::new(),
                    };
                    let name = FieldName::new(name.as_str());
                    let existing = entity.and_then(|entity| entity.get(name.as_str()));
                    let merged = merge(existing, incoming, &call);
                    let entity = entity.cloned().unwrap_or_default();
                    Some(entity.with(name, merged))
                };
                out.push((merge_updater_name(typename, field), Arc::new(updater) as _));
            }
        }
        out
    }
}

/// The arguments a storage name holds (`tasks({"first":2})`: `{"first": 2}`; none for a bare
/// name); `None` if they cannot be read back.
pub(crate) fn args_of(field: &str) -> Option<Map<String, Json>> {
    let bare = crate::field::bare_name(field);
    match field.get(bare.len()..)? {
        "" => Some(Map::new()),
        rest => {
            let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
            match serde_json::from_str::<Json>(inner).ok()? {
                Json::Object(args) => Some(args),
                _ => None,
            }
        }
    }
}

/// The op a normalizer writes for a merged field: the merge's updater, called with the storage
/// name, the incoming value and the field's arguments (read back from `full`, its name with
/// every argument).
pub(crate) fn merge_op(
    typename: &str,
    stored: &FieldName,
    full: &FieldName,
    incoming: Value,
) -> Op {
    let bare = full.name();
    let args = match args_of(full.as_str()) {
        Some(args) if !args.is_empty() => Value::from_json(Json::Object(args)),
        _ => Value::Null,
    };
    let call = Entity::new()
        .with("args", args)
        .with("field", stored.as_str())
        .with("incoming", incoming);
    Op::Update {
        name: Arc::from(merge_updater_name(typename, bare)),
        args: Value::Object(call),
    }
}

/// ## Field policies
impl Policies {
    /// Sets the policy of the field `field` of `typename` (a root field's type is `Query`,
    /// `Mutation` or `Subscription`). Replaces an earlier one for the same field.
    ///
    /// ```
    /// # #[cfg(feature = "graphql")] {
    /// use optimist::{Document, FieldPolicy, KeyArgs, Policies, Store, normalize_query};
    /// use serde_json::json;
    ///
    /// let policies = Policies::new()
    ///     .field_policy("Query", "tasks", FieldPolicy::new().key_args(KeyArgs::only(["status"])));
    /// let mut store = Store::with_policies(policies);
    /// let doc = Document::parse("query($after: String) { tasks(status: OPEN, first: 2, after: $after) { id } }")?;
    /// let page = json!({"tasks": [{"__typename": "Task", "id": "1"}]});
    /// store.write(normalize_query(store.policies(), &doc, &json!({"after": "c2"}), &page)?)?;
    /// // Stored under the arguments that tell one list from another, whatever the page.
    /// assert!(store.get_field("ROOT_QUERY", r#"tasks({"status":"OPEN"})"#).is_some());
    /// assert_eq!(store.read_query(&doc, &json!({"after": "c9"}))?, json!({"tasks": [{"__typename": "Task", "id": "1"}]}));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn field_policy(mut self, typename: &str, field: &str, policy: FieldPolicy) -> Policies {
        self.field_policies_mut().insert(typename, field, policy);
        self
    }

    /// Where a field of an object of type `typename` is stored: `field` (a storage name with
    /// every argument, as [`FieldName::with_args`] gives it) with only the arguments its
    /// policy keeps. The field itself without a policy (or when its arguments cannot be read
    /// back).
    ///
    /// ```
    /// use optimist::{FieldName, FieldPolicy, KeyArgs, Policies};
    /// use serde_json::json;
    /// let policies = Policies::new().field_policy("Project", "tasks", FieldPolicy::new().key_args(KeyArgs::None));
    /// let page = FieldName::with_args("tasks", &json!({"first": 3, "after": "c3"}));
    /// assert_eq!(policies.storage_name(Some("Project"), &page).as_str(), "tasks");
    /// assert_eq!(policies.storage_name(Some("User"), &page), page, "no policy on User");
    /// ```
    pub fn storage_name(&self, typename: Option<&str>, field: &FieldName) -> FieldName {
        self.keyed_name(typename, field.as_str())
            .unwrap_or_else(|| field.clone())
    }

    /// The storage name `field` has under its policy, if its policy changes it. O(1) when no
    /// field of that name has a policy.
    pub(crate) fn keyed_name(&self, typename: Option<&str>, field: &str) -> Option<FieldName> {
        self.field_at(typename, field)?.stored
    }

    /// How a read of `field` (a storage name with every argument) on an object of type
    /// `typename` goes: `None` when its policy changes nothing, in O(1) when no field of that
    /// name has a policy.
    pub(crate) fn field_at(&self, typename: Option<&str>, field: &str) -> Option<FieldAt<'_>> {
        let policies = self.field_policies();
        if !policies.any() {
            return None;
        }
        let bare = crate::field::bare_name(field);
        if !policies.names(bare) {
            return None;
        }
        let policy = policies.get(typename?, bare)?;
        let stored = match &policy.key_args {
            KeyArgs::All => None,
            key_args => args_of(field).and_then(|args| {
                let name = FieldName::with_args(bare, &key_args.keep(&args));
                (name.as_str() != field).then_some(name)
            }),
        };
        let read = policy.read.as_deref();
        (stored.is_some() || read.is_some()).then_some(FieldAt { stored, read })
    }
}
