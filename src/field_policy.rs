//! Field policies (Apollo's `typePolicies.Type.fields.field`): per `(type, field)`, which of
//! the field's arguments name where its value is stored (`keyArgs`).
//!
//! A field's storage name holds its arguments (`tasks({"after":"c3","first":3})`), so every
//! page of a paginated field is a field of its own. With `key_args` the storage name keeps only
//! the arguments that tell one list from another (`tasks({"filter":"open"})`), so the pages of
//! one list land in one field. The writers (both normalizers) and the readers (every document
//! read, watcher and invalidation) ask the same function, with the typename of the object the
//! field is on, so they agree on where a field lives.
//!
//! A policy is a pure function of the field's arguments: it decides names only, so a saved
//! store (whose fields carry the names it gave) loads without it.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value as Json};

use crate::field::FieldName;
use crate::policy::Policies;

/// A function from a field's arguments to the arguments its storage name keeps.
pub type KeyArgsFn = dyn Fn(&Map<String, Json>) -> Json + Send + Sync;

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
#[derive(Clone, Debug, Default)]
pub struct FieldPolicy {
    key_args: KeyArgs,
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

    /// Whether some type has a policy for a field of this (bare) name.
    pub(crate) fn names(&self, field: &str) -> bool {
        self.names.contains(field)
    }

    fn get(&self, typename: &str, field: &str) -> Option<&FieldPolicy> {
        self.by_type.get(typename)?.get(field)
    }
}

/// ## Field policies
impl Policies {
    /// Sets the policy of the field `field` of `typename` (a root field's type is `Query`,
    /// `Mutation` or `Subscription`). Replaces an earlier one for the same field.
    ///
    /// ```
    /// use optimist::{Document, FieldName, FieldPolicy, KeyArgs, Policies, Store, normalize_query};
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
        let policies = self.field_policies();
        if !policies.any() {
            return None;
        }
        let bare = crate::field::bare_name(field);
        if !policies.names(bare) {
            return None;
        }
        let policy = policies.get(typename?, bare)?;
        if let KeyArgs::All = policy.key_args {
            return None;
        }
        let args = match field.get(bare.len()..) {
            Some("") => Map::new(),
            Some(rest) => {
                let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
                match serde_json::from_str::<Json>(inner).ok()? {
                    Json::Object(args) => args,
                    _ => return None,
                }
            }
            None => return None,
        };
        let kept = policy.key_args.keep(&args);
        let name = FieldName::with_args(bare, &kept);
        (name.as_str() != field).then_some(name)
    }
}
