//! Patches: ops grouped by the key they target.
//!
//! A [`Patch`] is the one currency of writes: a direct write into base, the ops of an optimistic
//! layer, and the server's answer that confirms a layer are all patches. It stands apart from
//! the store because it is plain data, built and inspected without one.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde_json::Number;
use smallvec::SmallVec;

use crate::entity::Entity;
use crate::field::FieldName;
use crate::key::{IntoKey, Key, KeyError};
use crate::normalize::Diagnostic;
use crate::op::{ListPosition, Op, Updaters};
use crate::policy::Policies;
use crate::value::Value;
use crate::version::Version;

/// The ops of one key, in the order they apply. Most keys get one op.
pub(crate) type KeyOps = SmallVec<[Op; 1]>;

/// The hasher of every map keyed by [`Key`]: keys are short strings and foldhash hashes them
/// several times faster than SipHash, while its per-process seed keeps it DoS-resistant enough
/// for a client-side cache.
pub(crate) type Hasher = foldhash::fast::RandomState;

/// Ops by key.
pub(crate) type OpsByKey = HashMap<Key, KeyOps, Hasher>;

/// Ops by key: what a write, a layer or a confirmation does, as data.
///
/// Build one with the chained methods; each takes anything that names a key (a [`Key`] or
/// text). A bad key does not panic: the patch remembers the first one and the store reports it
/// when the patch is used, changing nothing. Consecutive field writes to one key coalesce into
/// one [`Op::Write`].
///
/// ```
/// use optimist::{ListPosition, Patch, Store};
///
/// let patch = Patch::new()
///     .set("Todo:1", "title", "Buy milk")
///     .set("Todo:1", "done", false)
///     .insert("ROOT_QUERY", "todos", optimist::Key::new("Todo:1")?, ListPosition::End);
/// assert_eq!(patch.len(), 2);
/// assert_eq!(patch.ops("Todo:1").len(), 1, "two field writes, one op");
///
/// let mut store = Store::new();
/// store.write(patch)?;
/// assert_eq!(store.get_field("Todo:1", "title").and_then(|v| v.as_str()), Some("Buy milk"));
///
/// let bad = Patch::new().set("", "title", "x");
/// assert!(store.write(bad).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct Patch {
    ops: OpsByKey,
    /// The first bad key given to a builder method, reported when the patch is used.
    error: Option<KeyError>,
    /// What normalizing the payload noticed but wrote anyway (see [`Diagnostic`]).
    diagnostics: Vec<Diagnostic>,
}

impl Patch {
    /// An empty patch.
    ///
    /// ```
    /// assert!(optimist::Patch::new().is_empty());
    /// ```
    pub fn new() -> Patch {
        Patch::default()
    }

    /// Appends `op` to the ops of `key`.
    ///
    /// ```
    /// use optimist::{Op, Patch};
    /// let patch = Patch::new().op("Todo:1", Op::Delete);
    /// assert_eq!(patch.ops("Todo:1"), [Op::Delete]);
    /// ```
    pub fn op(mut self, key: impl IntoKey, op: Op) -> Patch {
        match key.into_key() {
            Ok(key) => self.push(key, op),
            Err(error) => {
                self.error.get_or_insert(error);
            }
        }
        self
    }

    /// Sets one field (an [`Op::Write`] of one field, merged into the key's last op when that
    /// is a write too).
    ///
    /// ```
    /// let patch = optimist::Patch::new().set("Todo:1", "done", true);
    /// assert_eq!(patch.len(), 1);
    /// ```
    pub fn set(
        self,
        key: impl IntoKey,
        field: impl Into<FieldName>,
        value: impl Into<Value>,
    ) -> Patch {
        self.write(key, Entity::new().with(field, value))
    }

    /// Writes several fields ([`Op::Write`]), keeping the entity's others; creates the entity if
    /// it is absent.
    ///
    /// ```
    /// use optimist::{Entity, Patch};
    /// let patch = Patch::new().write("Todo:1", Entity::new().with("title", "a").with("done", false));
    /// assert_eq!(patch.ops("Todo:1").len(), 1);
    /// ```
    pub fn write(self, key: impl IntoKey, fields: Entity) -> Patch {
        self.op(key, Op::Write(fields))
    }

    /// Removes one field ([`Op::RemoveField`]).
    ///
    /// ```
    /// let patch = optimist::Patch::new().remove_field("Todo:1", "done");
    /// assert_eq!(patch.len(), 1);
    /// ```
    pub fn remove_field(self, key: impl IntoKey, field: impl Into<FieldName>) -> Patch {
        self.op(key, Op::RemoveField(field.into()))
    }

    /// Deletes the entity ([`Op::Delete`]).
    ///
    /// ```
    /// let patch = optimist::Patch::new().delete("Todo:1");
    /// assert_eq!(patch.ops("Todo:1"), [optimist::Op::Delete]);
    /// ```
    pub fn delete(self, key: impl IntoKey) -> Patch {
        self.op(key, Op::Delete)
    }

    /// Adds to a number field ([`Op::Increment`]).
    ///
    /// ```
    /// let patch = optimist::Patch::new().increment("Post:1", "likes", 1);
    /// assert_eq!(patch.len(), 1);
    /// ```
    pub fn increment(
        self,
        key: impl IntoKey,
        field: impl Into<FieldName>,
        by: impl Into<Number>,
    ) -> Patch {
        self.op(
            key,
            Op::Increment {
                field: field.into(),
                by: by.into(),
            },
        )
    }

    /// Inserts an item into a list field ([`Op::ListInsert`]).
    ///
    /// ```
    /// use optimist::{Key, ListPosition, Patch};
    /// let patch = Patch::new().insert("ROOT_QUERY", "todos", Key::new("Todo:9")?, ListPosition::Start);
    /// assert_eq!(patch.len(), 1);
    /// # Ok::<(), optimist::KeyError>(())
    /// ```
    pub fn insert(
        self,
        key: impl IntoKey,
        field: impl Into<FieldName>,
        item: impl Into<Value>,
        at: ListPosition,
    ) -> Patch {
        self.list_insert(key, field.into(), item.into(), at, false)
    }

    /// Inserts an item into a list field unless an equal item is already there
    /// ([`Op::ListInsert`] with `unique`): the insert for a created item's ref, which a
    /// refetch may have listed already.
    ///
    /// ```
    /// use optimist::{Key, ListPosition, Patch, Store, Value};
    /// let mut store = Store::new();
    /// let todo = Key::new("Todo:6")?;
    /// store.write(Patch::new().set("ROOT_QUERY", "todos", vec![Value::Ref(todo.clone())]))?;
    /// store.push("create", Patch::new().insert_unique("ROOT_QUERY", "todos", todo, ListPosition::End))?;
    /// assert_eq!(store.get_field("ROOT_QUERY", "todos").and_then(|v| v.as_list()).map(|l| l.len()), Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn insert_unique(
        self,
        key: impl IntoKey,
        field: impl Into<FieldName>,
        item: impl Into<Value>,
        at: ListPosition,
    ) -> Patch {
        self.list_insert(key, field.into(), item.into(), at, true)
    }

    fn list_insert(
        self,
        key: impl IntoKey,
        field: FieldName,
        item: Value,
        at: ListPosition,
        unique: bool,
    ) -> Patch {
        self.op(
            key,
            Op::ListInsert {
                field,
                item,
                at,
                unique,
            },
        )
    }

    /// Removes every item equal to `item` from a list field ([`Op::ListRemove`]).
    ///
    /// ```
    /// use optimist::{Key, Patch};
    /// let patch = Patch::new().remove_item("ROOT_QUERY", "todos", Key::new("Todo:9")?);
    /// assert_eq!(patch.len(), 1);
    /// # Ok::<(), optimist::KeyError>(())
    /// ```
    pub fn remove_item(
        self,
        key: impl IntoKey,
        field: impl Into<FieldName>,
        item: impl Into<Value>,
    ) -> Patch {
        self.op(
            key,
            Op::ListRemove {
                field: field.into(),
                item: item.into(),
            },
        )
    }

    /// Runs a named updater on the entity ([`Op::Update`]); the store checks that the name is
    /// registered.
    ///
    /// ```
    /// let patch = optimist::Patch::new().update("Todo:1", "toggle", serde_json::Value::Null);
    /// assert_eq!(patch.len(), 1);
    /// ```
    pub fn update(self, key: impl IntoKey, name: &str, args: impl Into<Value>) -> Patch {
        self.op(
            key,
            Op::Update {
                name: Arc::from(name),
                args: args.into(),
            },
        )
    }

    /// Appends all of `other`'s ops after this patch's own.
    ///
    /// ```
    /// use optimist::Patch;
    /// let both = Patch::new().delete("A:1").extend(Patch::new().delete("B:1"));
    /// assert_eq!(both.len(), 2);
    /// ```
    pub fn extend(mut self, other: Patch) -> Patch {
        if let Some(error) = other.error {
            self.error.get_or_insert(error);
        }
        self.diagnostics.extend(other.diagnostics);
        for (key, ops) in other.ops {
            for op in ops {
                self.push(key.clone(), op);
            }
        }
        self
    }

    /// The number of keys the patch touches.
    ///
    /// ```
    /// assert_eq!(optimist::Patch::new().delete("A:1").delete("A:1").len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether the patch has no ops.
    ///
    /// ```
    /// assert!(optimist::Patch::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The keys the patch touches, in no particular order.
    ///
    /// ```
    /// let patch = optimist::Patch::new().delete("A:1");
    /// assert_eq!(patch.keys().map(|k| k.as_str()).collect::<Vec<_>>(), ["A:1"]);
    /// ```
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &Key> {
        self.ops.keys()
    }

    /// The ops on one key, in order (empty if none).
    ///
    /// ```
    /// assert!(optimist::Patch::new().ops("A:1").is_empty());
    /// ```
    pub fn ops(&self, key: &str) -> &[Op] {
        self.ops.get(key).map_or(&[], |ops| ops.as_slice())
    }

    /// Each key with its ops, in no particular order.
    ///
    /// ```
    /// let patch = optimist::Patch::new().delete("A:1");
    /// assert_eq!(patch.iter().count(), 1);
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&Key, &[Op])> {
        self.ops.iter().map(|(key, ops)| (key, ops.as_slice()))
    }

    /// Checks the patch: no bad key was given to a builder method, and every updater it names is
    /// registered.
    ///
    /// ```
    /// use optimist::{Patch, PatchError, Updaters};
    /// let patch = Patch::new().update("A:1", "nope", 1);
    /// assert!(matches!(patch.validate(&Updaters::new()), Err(PatchError::UnknownUpdater { .. })));
    /// ```
    pub fn validate(&self, updaters: &Updaters) -> Result<(), PatchError> {
        if let Some(error) = &self.error {
            return Err(PatchError::InvalidKey(error.clone()));
        }
        for (key, ops) in &self.ops {
            for op in ops {
                if let Op::Update { name, .. } = op
                    && !updaters.contains(name)
                {
                    return Err(PatchError::UnknownUpdater {
                        key: key.clone(),
                        name: name.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Checks every version field this patch sets (or inserts into) against `policies`.
    pub(crate) fn validate_versions(&self, policies: &Policies) -> Result<(), PatchError> {
        if !policies.has_versions() {
            return Ok(());
        }
        for (key, ops) in &self.ops {
            let Some(field) = policies.version_field_of_key(key) else {
                continue;
            };
            for op in ops {
                let bad = match op {
                    Op::Write(fields) => fields
                        .get(field)
                        .filter(|value| Version::parse(value).is_err())
                        .map(Value::to_json),
                    // A list is never a version: an insert would make one of an absent field.
                    Op::ListInsert {
                        field: target,
                        item,
                        ..
                    } if target == field => Some(serde_json::Value::Array(vec![item.to_json()])),
                    _ => None,
                };
                if let Some(value) = bad {
                    return Err(PatchError::BadVersion {
                        key: key.clone(),
                        field: field.clone(),
                        value,
                    });
                }
            }
        }
        Ok(())
    }

    pub(crate) fn into_ops(self) -> OpsByKey {
        self.ops
    }

    pub(crate) fn from_ops(ops: OpsByKey) -> Patch {
        Patch {
            ops,
            error: None,
            diagnostics: Vec::new(),
        }
    }

    /// The patch with these diagnostics.
    pub(crate) fn with_diagnostics(mut self, diagnostics: Vec<Diagnostic>) -> Patch {
        self.diagnostics = diagnostics;
        self
    }

    /// What normalizing the payload this patch came from noticed but wrote anyway, in payload
    /// order: an object with an id but no `__typename`, stored embedded
    /// ([`Diagnostic::MissingTypename`]), as Apollo Client warns of a missing field while
    /// writing. Empty for a patch built by hand.
    ///
    /// ```
    /// # #[cfg(feature = "graphql")] {
    /// use optimist::{Diagnostic, Document, Policies, normalize_query};
    /// use serde_json::json;
    /// let doc = Document::parse("{ me { id name } }")?;
    /// // The document sent as written: the server answered no typename.
    /// let patch = normalize_query(&Policies::new(), &doc, &json!({}), &json!({"me": {"id": 1, "name": "Ada"}}))?;
    /// assert_eq!(patch.diagnostics(), [Diagnostic::MissingTypename { path: "me".into() }]);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    fn push(&mut self, key: Key, op: Op) {
        let ops = self.ops.entry(key).or_default();
        if let (Op::Write(more), Some(Op::Write(fields))) = (&op, ops.last_mut()) {
            let mut merged = fields.to_vec();
            for (name, value) in more.iter() {
                crate::entity::set_field(&mut merged, name.clone(), value.clone());
            }
            *fields = Entity::from_sorted(merged);
        } else {
            ops.push(op);
        }
    }
}

impl fmt::Debug for Patch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut entries: Vec<_> = self.iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut map = f.debug_map();
        map.entries(entries);
        if let Some(error) = &self.error {
            map.entry(&"error", error);
        }
        map.finish()
    }
}

/// Why the store refused a patch. A refused patch changes nothing.
///
/// ```
/// use optimist::{Patch, PatchError, Store};
/// let mut store = Store::new();
/// let err = store.write(Patch::new().delete("Todo:")).unwrap_err();
/// assert_eq!(err.to_string(), "bad key in patch: entity key `Todo:` has an empty id");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PatchError {
    /// A key given to a builder method is not a valid key.
    InvalidKey(KeyError),
    /// A versioned type's version field (see
    /// [`Policies::version_field`](crate::Policies::version_field)) is set to something that is
    /// not a version, or is the target of a list insert (a list is never a version).
    BadVersion {
        /// The entity.
        key: Key,
        /// The version field.
        field: FieldName,
        /// The value it was set to (for a list insert, the list it would make), as JSON.
        value: serde_json::Value,
    },
    /// An [`Op::Update`] names an updater that is not registered.
    UnknownUpdater {
        /// The key the op targets.
        key: Key,
        /// The unregistered name.
        name: Arc<str>,
    },
}

impl fmt::Display for PatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatchError::InvalidKey(error) => write!(f, "bad key in patch: {error}"),
            PatchError::BadVersion { key, field, value } => write!(
                f,
                "version field `{field}` of `{key}` is set to {value}: {}",
                crate::version::BadVersion
            ),
            PatchError::UnknownUpdater { key, name } => {
                write!(
                    f,
                    "no updater named `{name}` is registered (used on `{key}`)"
                )
            }
        }
    }
}

impl std::error::Error for PatchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PatchError::InvalidKey(error) => Some(error),
            PatchError::UnknownUpdater { .. } | PatchError::BadVersion { .. } => None,
        }
    }
}

impl From<KeyError> for PatchError {
    fn from(error: KeyError) -> PatchError {
        PatchError::InvalidKey(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_writes_coalesce_but_other_ops_keep_their_order() {
        let patch = Patch::new()
            .set("A:1", "a", 1)
            .set("A:1", "b", 2)
            .increment("A:1", "a", 1)
            .set("A:1", "a", 5);
        let ops = patch.ops("A:1");
        assert_eq!(ops.len(), 3);
        assert_eq!(ops[0], Op::Write(Entity::new().with("a", 1).with("b", 2)));
        assert_eq!(ops[2], Op::Write(Entity::new().with("a", 5)));
    }

    #[test]
    fn the_first_bad_key_is_kept() {
        let patch = Patch::new()
            .set("", "a", 1)
            .set(":x", "a", 1)
            .set("A:1", "a", 1);
        assert_eq!(
            patch.validate(&Updaters::new()),
            Err(PatchError::InvalidKey(KeyError::Empty))
        );
        assert_eq!(patch.len(), 1);
    }
}
