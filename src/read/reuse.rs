//! Typed reads that reuse what did not change: [`Shared<T>`] parts of a typed result.
//!
//! A kept [`Query`](crate::Query) reads a tree whose unchanged subtrees are the last read's
//! allocations (`shared.rs`). A typed read of that tree ([`Query::read_as`](crate::Query::read_as))
//! remembers, for each subtree a `Shared<T>` part was read from, the `Arc<T>` it gave: the next
//! read gives the same `Arc` back for every subtree that is the same allocation, without
//! deserializing it again. A re-read after one item of a long list changed deserializes that
//! item alone; the rest is a lookup and a reference count each.
//!
//! The part and the reader meet through a thread-local slot, since serde hands a type nothing
//! but the deserializer: the tree's deserializer (`value_de.rs`) offers the subtree's address
//! right before it reads a `Shared` part, the part takes the offer and answers from the memo or
//! leaves what it built, and the deserializer files that under the subtree, which it keeps
//! alive so that the address cannot be reused while the entry lives. Any other deserializer
//! offers nothing, and a `Shared<T>` is then simply a `T` behind an `Arc`.

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::de::{DeserializeOwned, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ReadError;
use super::de::Path;
use super::value_de::TreeDe;
use crate::patch::Hasher;
use crate::value::Value;

/// The newtype name a `Shared` part asks for: how the tree's deserializer recognises one.
pub(super) const SHARED_NAME: &str = "$optimist::private::Shared";

/// A part of a typed result that a kept [`Query`](crate::Query) shares with its previous
/// result while the data under it is unchanged: an `Arc<T>` that
/// [`Query::read_as`](crate::Query::read_as) gives back as it was (the same allocation, not
/// deserialized again) when the entity, object or list it was read from did not change.
///
/// Put it where a type holds what one entity or list reads: `Vec<Shared<Todo>>` re-reads only
/// the todos that changed, and a UI comparing with [`Shared::ptr_eq`] re-renders only those.
/// From any other deserializer (`serde_json`, [`Store::read_query_as`](crate::Store::read_query_as))
/// it is a `T` behind a fresh `Arc`; it serializes as the `T`.
///
/// ```
/// use optimist::{Document, Key, Patch, Query, Shared, Store, Value};
///
/// #[derive(serde::Deserialize)]
/// struct Todos { todos: Vec<Shared<Todo>> }
/// #[derive(serde::Deserialize)]
/// struct Todo { title: String }
///
/// let mut store = Store::new();
/// let refs: Vec<Value> = (1..=3).map(|i| Value::Ref(Key::new(&format!("Todo:{i}")).unwrap())).collect();
/// let mut seed = Patch::new().set("ROOT_QUERY", "todos", refs);
/// for i in 1..=3 {
///     seed = seed.set(format!("Todo:{i}"), "title", format!("todo {i}"));
/// }
/// store.write(seed)?;
/// let mut query = Query::new(Document::parse("{ todos { title } }")?, serde_json::json!({}));
/// let before: Todos = query.read_as(&store)?;
/// store.push("rename", Patch::new().set("Todo:2", "title", "renamed"))?;
/// let after: Todos = query.read_as(&store)?;
///
/// assert!(Shared::ptr_eq(&before.todos[0], &after.todos[0]), "unchanged: the same Arc");
/// assert!(!Shared::ptr_eq(&before.todos[1], &after.todos[1]));
/// assert_eq!(after.todos[1].title, "renamed");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Shared<T>(Arc<T>);

impl<T> Shared<T> {
    /// A part holding `value`, in an allocation of its own.
    ///
    /// ```
    /// let part = optimist::Shared::new(3);
    /// assert_eq!(*part, 3);
    /// ```
    pub fn new(value: T) -> Shared<T> {
        Shared(Arc::new(value))
    }

    /// Whether two parts are the same allocation: a typed read gave back what an earlier one
    /// gave, because nothing under it changed.
    ///
    /// ```
    /// use optimist::Shared;
    /// let a = Shared::new("x");
    /// assert!(Shared::ptr_eq(&a, &a.clone()));
    /// assert!(!Shared::ptr_eq(&a, &Shared::new("x")));
    /// ```
    pub fn ptr_eq(this: &Shared<T>, other: &Shared<T>) -> bool {
        Arc::ptr_eq(&this.0, &other.0)
    }

    /// The `Arc` the part holds.
    ///
    /// ```
    /// let part = optimist::Shared::new(1);
    /// assert_eq!(std::sync::Arc::strong_count(optimist::Shared::as_arc(&part)), 1);
    /// ```
    pub fn as_arc(this: &Shared<T>) -> &Arc<T> {
        &this.0
    }

    /// The part as an `Arc`.
    ///
    /// ```
    /// let arc: std::sync::Arc<u8> = optimist::Shared::into_arc(optimist::Shared::new(1));
    /// assert_eq!(*arc, 1);
    /// ```
    pub fn into_arc(this: Shared<T>) -> Arc<T> {
        this.0
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> AsRef<T> for Shared<T> {
    fn as_ref(&self) -> &T {
        &self.0
    }
}

impl<T> Clone for Shared<T> {
    /// Another reference to the same allocation.
    fn clone(&self) -> Shared<T> {
        Shared(self.0.clone())
    }
}

impl<T> From<T> for Shared<T> {
    fn from(value: T) -> Shared<T> {
        Shared::new(value)
    }
}

impl<T> From<Arc<T>> for Shared<T> {
    fn from(arc: Arc<T>) -> Shared<T> {
        Shared(arc)
    }
}

impl<T: Default> Default for Shared<T> {
    fn default() -> Shared<T> {
        Shared::new(T::default())
    }
}

impl<T: fmt::Debug> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    /// Equal values; the same allocation is equal without looking inside.
    fn eq(&self, other: &Shared<T>) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
    }
}

impl<T: Eq> Eq for Shared<T> {}

impl<T: std::hash::Hash> std::hash::Hash for Shared<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl<T: Serialize> Serialize for Shared<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T> Deserialize<'de> for Shared<T>
where
    T: DeserializeOwned + Send + Sync + 'static,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Shared<T>, D::Error> {
        deserializer.deserialize_newtype_struct(SHARED_NAME, PartVisitor(std::marker::PhantomData))
    }
}

struct PartVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T> Visitor<'de> for PartVisitor<T>
where
    T: DeserializeOwned + Send + Sync + 'static,
{
    type Value = Shared<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a shared part")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, inner: D) -> Result<Shared<T>, D::Error> {
        let ty = TypeId::of::<T>();
        let offered = with_active(|active| {
            let at = active.offered.take()?;
            let hit = active.memo.hit(At { addr: at, ty });
            if hit.is_some()
                && let Some(parent) = active.frames.last_mut()
            {
                parent.push(At { addr: at, ty });
            }
            Some((at, hit))
        })
        .flatten();
        let Some((at, hit)) = offered else {
            return T::deserialize(inner).map(Shared::new);
        };
        if let Some(arc) = hit.and_then(|hit| hit.downcast::<T>().ok()) {
            return Ok(Shared(arc));
        }
        // The parts read inside this one are its children: kept as long as it is.
        with_active(|active| active.frames.push(Vec::new()));
        let read = T::deserialize(inner);
        let children = with_active(|active| active.frames.pop()).flatten();
        let arc = Arc::new(read?);
        with_active(|active| {
            let children = children.unwrap_or_default().into_boxed_slice();
            active.made = Some((At { addr: at, ty }, arc.clone(), children));
        });
        Ok(Shared(arc))
    }
}

thread_local! {
    /// The memo of the typed read under way on this thread, if any.
    static ACTIVE: RefCell<Option<Active>> = const { RefCell::new(None) };
}

/// Runs `f` on the typed read under way on this thread, if there is one.
fn with_active<R>(f: impl FnOnce(&mut Active) -> R) -> Option<R> {
    ACTIVE.with(|active| active.borrow_mut().as_mut().map(f))
}

/// A memo entry's key: the subtree's address and the part's type. It hashes the address
/// alone: two types read from one subtree are rare, and the address is what varies.
#[derive(Clone, Copy, PartialEq, Eq)]
struct At {
    addr: usize,
    ty: TypeId,
}

impl std::hash::Hash for At {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_usize(self.addr);
    }
}

/// A part, its type erased.
type Part = Arc<dyn Any + Send + Sync>;

/// A typed read under way.
struct Active {
    memo: Typed,
    /// The address of the subtree a `Shared` part is about to be read from.
    offered: Option<usize>,
    /// What a `Shared` part built on a miss, with the parts read inside it, for the
    /// deserializer to file.
    made: Option<(At, Part, Box<[At]>)>,
    /// For each part being built, outermost first, the parts read inside it so far.
    frames: Vec<Vec<At>>,
}

/// The address that identifies a subtree, if it has one (objects and lists are allocations;
/// scalars are not worth sharing).
fn address(node: &Value) -> Option<usize> {
    match node {
        Value::Object(entity) => Some(entity.addr()),
        Value::List(list) => Some(list.addr()),
        _ => None,
    }
}

/// Offers `node` to the `Shared` part about to be read from it; the returned guard files what
/// the part built under `node`, and withdraws an offer nobody took.
pub(super) fn offer(node: &Value) -> Option<Offer<'_>> {
    let at = address(node)?;
    with_active(|active| {
        active.offered = Some(at);
        Offer { node }
    })
}

/// An offer made (see [`offer`]).
pub(super) struct Offer<'v> {
    node: &'v Value,
}

impl Drop for Offer<'_> {
    fn drop(&mut self) {
        with_active(|active| {
            active.offered = None;
            if let Some((at, made, children)) = active.made.take() {
                active.memo.file(at, self.node.clone(), made, children);
                if let Some(parent) = active.frames.last_mut() {
                    parent.push(at);
                }
            }
        });
    }
}

/// What a kept query's typed reads gave, by subtree and type: the memo of [`Shared`] parts.
///
/// A read meets the parts in the order the last one did, but for what changed: each is looked
/// for first a few places on in the last read's list of parts (`trace`), in order, and only then
/// in the map. A re-read of a long list after one row changed costs, for each unchanged row, a
/// comparison with the next part in line and a reference count, no hashing.
#[derive(Default)]
pub(crate) struct Typed {
    entries: HashMap<At, Entry, Hasher>,
    /// The parts the last read met (handed out again or built), in order; taken as met.
    trace: Vec<(At, Option<Part>)>,
    /// Where the current read is in `trace`.
    cursor: usize,
    /// The parts the current read met, in order: the next read's `trace`.
    next: Vec<(At, Option<Part>)>,
}

/// How far on in the last read's parts a part is looked for: past rows replaced or removed.
const LOOKAHEAD: usize = 4;

struct Entry {
    /// The subtree, kept so its address names nothing else while the entry lives.
    #[expect(dead_code, reason = "held for its address, never read")]
    node: Value,
    value: Part,
    /// The parts read inside it: kept as long as it is.
    children: Box<[At]>,
}

impl Typed {
    /// `T` from `tree`, reusing the parts of earlier reads whose subtree is the same
    /// allocation. Once the memo holds twice the parts the last whole read met (and a few),
    /// what that read did not reach is dropped.
    pub(crate) fn read<T: DeserializeOwned>(&mut self, tree: &Value) -> Result<T, ReadError> {
        self.cursor = 0;
        self.next.clear();
        let installed = Installed::new(self);
        let read = T::deserialize(TreeDe {
            value: tree,
            path: &Path::Root,
        });
        drop(installed);
        if read.is_ok() {
            // The old list's allocation serves the next read.
            std::mem::swap(&mut self.trace, &mut self.next);
            self.next.clear();
            if self.entries.len() > 2 * self.trace.len() + 16 {
                self.sweep();
            }
        }
        read
    }

    /// The part filed for the subtree at `at`, if any: the next in line in the last read's
    /// parts, or found in the map.
    fn hit(&mut self, at: At) -> Option<Part> {
        let ahead = self.trace.get(self.cursor..).and_then(|rest| {
            rest.iter()
                .take(LOOKAHEAD)
                .position(|(then, part)| *then == at && part.is_some())
        });
        let part = match ahead {
            Some(skip) => {
                let part = self.trace[self.cursor + skip].1.take();
                self.cursor += skip + 1;
                part?
            }
            None => self.entries.get(&at)?.value.clone(),
        };
        self.next.push((at, Some(part.clone())));
        Some(part)
    }

    fn file(&mut self, at: At, node: Value, value: Part, children: Box<[At]>) {
        self.next.push((at, Some(value.clone())));
        let entry = Entry {
            node,
            value,
            children,
        };
        self.entries.insert(at, entry);
    }

    /// Keeps the parts the last read met and the parts inside them.
    fn sweep(&mut self) {
        let mut live: std::collections::HashSet<At, Hasher> = std::collections::HashSet::default();
        let mut inside: Vec<At> = self.trace.iter().map(|(at, _)| *at).collect();
        while let Some(at) = inside.pop() {
            if live.insert(at)
                && let Some(entry) = self.entries.get(&at)
            {
                inside.extend_from_slice(&entry.children);
            }
        }
        self.entries.retain(|at, _| live.contains(at));
    }
}

/// The memo, moved into the thread's slot for one read and back out after it (also on a
/// panic); a read inside a read (a type's `Deserialize` reading another query) puts the outer
/// one's back when it ends.
struct Installed<'m> {
    home: &'m mut Typed,
    outer: Option<Active>,
}

impl<'m> Installed<'m> {
    fn new(home: &'m mut Typed) -> Installed<'m> {
        let active = Active {
            memo: std::mem::take(home),
            offered: None,
            made: None,
            frames: Vec::new(),
        };
        let outer = ACTIVE.with(|slot| slot.replace(Some(active)));
        Installed { home, outer }
    }
}

impl Drop for Installed<'_> {
    fn drop(&mut self) {
        let outer = self.outer.take();
        if let Some(active) = ACTIVE.with(|slot| slot.replace(outer)) {
            *self.home = active.memo;
        }
    }
}
