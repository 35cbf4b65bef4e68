//! Summaries of op lists: the ops of many layers on one key compiled into one, so that a key
//! under thousands of layers folds without applying them all.
//!
//! A [`Summary`] stands for a run of ops on one entity and gives, for any entity below it,
//! exactly what applying the run gives ([`Op`]'s rules, to the bit), or says it cannot, and the
//! run is applied op by op instead. Two adjacent summaries compose into one ([`Summary::then`]),
//! which is what lets a tree of them (`fold_tree.rs`) fold a key in a few steps and take one
//! layer out by composing again along one path.
//!
//! Only ops whose effect can be stated per field compile: writes, field removals, deletes,
//! integer increments, and list inserts at the start or the end. Inserts at an index or next to
//! an item, list removals, updaters and float increments make a run opaque (`None`): their effect
//! depends on the whole value below them. Integer increments merge into one sum with the least
//! and greatest partial sums, so the merge is used only where every partial sum stays an
//! integer, as applying them one by one would keep it (past 64 bits they turn into floats, whose
//! sums depend on their order). Inserts at the ends merge into the items put before and after
//! the list below, two persistent vectors joined in O(log n). A `unique` insert depends on
//! whether its item is in the list already: a summary holding one applies only when its caller
//! vouches that none of those items is there ([`Below::Unseen`]), as the fold tree can for a
//! key's layers (`fold_tree.rs`). It knows nothing of layers or of the store.

use imbl::Vector;
use serde_json::Number;

use crate::entity::{Entity, set_field};
use crate::field::FieldName;
use crate::op::{ListPosition, Op};
use crate::value::Value;

/// The most field effects a summary keeps: past this it is opaque, so a run that writes many
/// distinct fields costs no more to fold than applying it.
const MAX_EFFECTS: usize = 32;

/// What a run of ops does to one entity (see the module documentation).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Summary {
    /// The run deletes the entity: the result is what follows the last delete, whatever lay
    /// below.
    Const(Option<Entity>),
    /// The run does not delete it.
    Effects {
        /// Whether the run writes (so the entity exists after it, with `post` applied to the
        /// fields below, or to none if it was absent).
        writes: bool,
        /// What the ops before the first write do to the fields below, if the entity exists.
        pre: Effects,
        /// What the first write and the ops after it do (empty without a write).
        post: Effects,
    },
}

/// Field effects, sorted by field name, at most one per field.
pub(crate) type Effects = Vec<(FieldName, Effect)>;

/// What a run does to one field of an entity that exists.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Effect {
    /// Removes it.
    Remove,
    /// Sets it.
    Set(Value),
    /// Increments it by integers (see [`Sum`]).
    Add(Sum),
    /// Inserts items at the ends of the list it holds (see [`Inserts`]).
    Insert(Inserts),
}

/// A run of list inserts at the start and at the end of one field: the items it puts before the
/// list below and after it, in the order they end up in.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Inserts {
    front: Vector<Value>,
    back: Vector<Value>,
    /// Whether some insert is `unique`: its item is left out if the list already holds it (from
    /// below, or from an insert before it). The summary says nothing of which, so it applies
    /// only under [`Below::Unseen`].
    unique: bool,
}

/// What the caller of [`Summary::apply`] knows of the lists below the run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Below {
    /// Nothing: a run with a `unique` insert cannot be said.
    Unknown,
    /// The item of each `unique` insert in the run is neither in the list below nor put there
    /// by an op of the run before it, so each is inserted (the fold tree's promise,
    /// `fold_tree.rs`).
    Unseen,
}

impl Inserts {
    /// This run, then `next`.
    fn then(&self, next: &Inserts) -> Inserts {
        let mut front = next.front.clone();
        front.append(self.front.clone());
        let mut back = self.back.clone();
        back.append(next.back.clone());
        Inserts {
            front,
            back,
            unique: self.unique || next.unique,
        }
    }

    /// The run on the list `list` (`None`: absent or null, which counts as empty); `None` if
    /// that cannot be said.
    fn on(&self, list: Option<&Vector<Value>>, below: Below) -> Option<Value> {
        if self.unique && below == Below::Unknown {
            return None;
        }
        let mut items = self.front.clone();
        if let Some(list) = list {
            items.append(list.clone());
        }
        items.append(self.back.clone());
        Some(Value::List(items.into()))
    }
}

/// A run of integer increments: their sum, and the least and greatest partial sums (each
/// increment's running total), which say whether every step stays an integer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Sum {
    total: i128,
    least: i128,
    most: i128,
}

impl Sum {
    /// This run, then `next`; `None` if the totals leave i128 (they cannot, from 64-bit steps,
    /// before 2^63 increments).
    fn then(self, next: Sum) -> Option<Sum> {
        Some(Sum {
            total: self.total.checked_add(next.total)?,
            least: self.least.min(self.total.checked_add(next.least)?),
            most: self.most.max(self.total.checked_add(next.most)?),
        })
    }

    /// The run applied to the integer `x`, as the ops give it one by one (each step an integer
    /// while it fits in i64 or u64); `None` if some step would not fit (it would turn into a
    /// float there).
    fn on(self, x: i128) -> Option<Number> {
        let fits = |n: i128| n >= i128::from(i64::MIN) && n <= i128::from(u64::MAX);
        let (least, most, end) = (
            x.checked_add(self.least)?,
            x.checked_add(self.most)?,
            x.checked_add(self.total)?,
        );
        if !(fits(least) && fits(most)) {
            return None;
        }
        // As the ops' own sum: an i64 where it fits, else a u64.
        i64::try_from(end)
            .map(Number::from)
            .or_else(|_| u64::try_from(end).map(Number::from))
            .ok()
    }
}

/// A number as an integer, if it is one.
fn integer(n: &Number) -> Option<i128> {
    n.as_i64().map(i128::from).or(n.as_u64().map(i128::from))
}

/// What `effect` then `next` do to one field; `None` if that cannot be said without the value
/// below (increments on a float).
fn compose(effect: &Effect, next: &Effect) -> Option<Effect> {
    Some(match (effect, next) {
        // A removal or a set does not look at what lies below it.
        (_, Effect::Remove | Effect::Set(_)) => next.clone(),
        (Effect::Add(first), Effect::Add(sum)) => Effect::Add(first.then(*sum)?),
        // An absent or null field counts as 0.
        (Effect::Remove | Effect::Set(Value::Null), Effect::Add(sum)) => {
            Effect::Set(Value::Number(sum.on(0)?))
        }
        (Effect::Set(Value::Number(n)), Effect::Add(sum)) => {
            Effect::Set(Value::Number(sum.on(integer(n)?)?))
        }
        (Effect::Insert(first), Effect::Insert(inserts)) => Effect::Insert(first.then(inserts)),
        // An absent or null field counts as an empty list.
        (Effect::Remove | Effect::Set(Value::Null), Effect::Insert(inserts)) => {
            Effect::Set(inserts.on(None, Below::Unknown)?)
        }
        (Effect::Set(Value::List(list)), Effect::Insert(inserts)) => {
            Effect::Set(inserts.on(Some(list), Below::Unknown)?)
        }
        // Increments leave any value but a number as it is, and inserts any but a list.
        (Effect::Set(other), Effect::Add(_) | Effect::Insert(_)) => Effect::Set(other.clone()),
        // Whether an increment meets a list, or an insert a number, depends on what is below.
        (Effect::Insert(_), Effect::Add(_)) | (Effect::Add(_), Effect::Insert(_)) => return None,
    })
}

/// `first` then `next`, merged by field; `None` if a field's effects do not compose or there
/// are too many.
fn merge(first: &Effects, next: &Effects) -> Option<Effects> {
    let mut out = Vec::with_capacity(first.len() + next.len());
    let (mut a, mut b) = (first.iter().peekable(), next.iter().peekable());
    loop {
        let item = match (a.peek(), b.peek()) {
            (Some((x, _)), Some((y, _))) if x < y => a.next().cloned(),
            (Some((x, _)), Some((y, _))) if x > y => b.next().cloned(),
            (Some(_), Some(_)) => {
                let ((name, effect), (_, after)) = (a.next()?, b.next()?);
                Some((name.clone(), compose(effect, after)?))
            }
            (Some(_), None) => a.next().cloned(),
            (None, Some(_)) => b.next().cloned(),
            (None, None) => break,
        };
        out.extend(item);
    }
    (out.len() <= MAX_EFFECTS).then_some(out)
}

/// Applies `effects` to the fields of an entity that exists; `None` if one cannot be applied
/// without the ops (an increment of a float, a unique insert into a list that is not empty).
fn apply_effects(
    fields: &mut Vec<(FieldName, Value)>,
    effects: &Effects,
    below: Below,
) -> Option<()> {
    for (name, effect) in effects {
        let at = fields.binary_search_by(|(n, _)| n.cmp(name));
        match effect {
            Effect::Remove => {
                if let Ok(at) = at {
                    fields.remove(at);
                }
            }
            Effect::Set(value) => set_field(fields, name.clone(), value.clone()),
            Effect::Add(sum) => {
                let below = match at {
                    Err(_) => Some(0),
                    Ok(at) => match &fields[at].1 {
                        Value::Null => Some(0),
                        Value::Number(n) => Some(integer(n)?),
                        _ => None,
                    },
                };
                if let Some(x) = below {
                    set_field(fields, name.clone(), Value::Number(sum.on(x)?));
                }
            }
            Effect::Insert(inserts) => {
                let list = match at {
                    Err(_) => None,
                    Ok(at) => match &fields[at].1 {
                        Value::Null => None,
                        Value::List(list) => Some(&**list),
                        // Inserts leave any other value as it is.
                        _ => continue,
                    },
                };
                let value = inserts.on(list, below)?;
                set_field(fields, name.clone(), value);
            }
        }
    }
    Some(())
}

impl Summary {
    /// The summary of no ops.
    pub(crate) fn identity() -> Summary {
        Summary::Effects {
            writes: false,
            pre: Vec::new(),
            post: Vec::new(),
        }
    }

    /// Whether this is the summary of no ops (or of ops that do nothing, as removed layers).
    pub(crate) fn is_identity(&self) -> bool {
        matches!(self, Summary::Effects { writes: false, pre, post } if pre.is_empty() && post.is_empty())
    }

    /// The summary of one op; `None` for the ops whose effect depends on the whole value below
    /// them (list edits, updaters, float increments).
    fn of_op(op: &Op) -> Option<Summary> {
        let effects = |name: &FieldName, effect| vec![(name.clone(), effect)];
        Some(match op {
            Op::Write(fields) => Summary::Effects {
                writes: true,
                pre: Vec::new(),
                post: fields
                    .iter()
                    .map(|(name, value)| (name.clone(), Effect::Set(value.clone())))
                    .collect(),
            },
            Op::RemoveField(name) => Summary::Effects {
                writes: false,
                pre: effects(name, Effect::Remove),
                post: Vec::new(),
            },
            Op::Delete => Summary::Const(None),
            Op::Increment { field, by } => {
                let by = integer(by)?;
                let sum = Sum {
                    total: by,
                    least: by,
                    most: by,
                };
                Summary::Effects {
                    writes: false,
                    pre: effects(field, Effect::Add(sum)),
                    post: Vec::new(),
                }
            }
            Op::ListInsert {
                field,
                item,
                at: at @ (ListPosition::Start | ListPosition::End),
                unique,
            } => {
                let one = Vector::unit(item.clone());
                let (front, back) = match at {
                    ListPosition::Start => (one, Vector::new()),
                    _ => (Vector::new(), one),
                };
                let inserts = Inserts {
                    front,
                    back,
                    unique: *unique,
                };
                Summary::Effects {
                    writes: false,
                    pre: effects(field, Effect::Insert(inserts)),
                    post: Vec::new(),
                }
            }
            Op::ListInsert { .. } | Op::ListRemove { .. } | Op::Update { .. } => return None,
        })
    }

    /// The summary of `ops` in order; `None` if one of them cannot be summarised, or they do
    /// more than a summary keeps.
    pub(crate) fn of(ops: &[Op]) -> Option<Summary> {
        ops.iter().try_fold(Summary::identity(), |summary, op| {
            summary.then(&Summary::of_op(op)?)
        })
    }

    /// This run, then `next`; `None` if that cannot be summarised.
    pub(crate) fn then(&self, next: &Summary) -> Option<Summary> {
        let (pre, post, next_pre, next_post, writes) = match (self, next) {
            (_, Summary::Const(entity)) => return Some(Summary::Const(entity.clone())),
            (Summary::Const(entity), next) => {
                return next
                    .apply(entity.as_ref(), Below::Unknown)
                    .map(Summary::Const);
            }
            (
                Summary::Effects { writes, pre, post },
                Summary::Effects {
                    writes: next_writes,
                    pre: next_pre,
                    post: next_post,
                },
            ) => (pre, post, next_pre, next_post, (*writes, *next_writes)),
        };
        let summary = match writes {
            // Nothing here writes: whether the entity exists is what it was below both.
            (false, next_writes) => Summary::Effects {
                writes: next_writes,
                pre: merge(pre, next_pre)?,
                post: next_post.clone(),
            },
            // The entity exists after this run, so the next one's ops all apply.
            (true, _) => Summary::Effects {
                writes: true,
                pre: pre.clone(),
                post: merge(&merge(post, next_pre)?, next_post)?,
            },
        };
        match &summary {
            Summary::Effects { pre, post, .. } if pre.len() + post.len() > MAX_EFFECTS => None,
            _ => Some(summary),
        }
    }

    /// The run applied to `entity` (`None`: absent), exactly as [`apply`](crate::apply) applies
    /// its ops; `None` if it cannot be said without them (an increment of a float, or one that
    /// leaves 64-bit integers on the way).
    pub(crate) fn apply(&self, entity: Option<&Entity>, below: Below) -> Option<Option<Entity>> {
        let (writes, pre, post) = match self {
            Summary::Const(entity) => return Some(entity.clone()),
            Summary::Effects { writes, pre, post } => (*writes, pre, post),
        };
        if pre.is_empty() && post.is_empty() && (entity.is_some() || !writes) {
            return Some(entity.cloned());
        }
        let mut fields = match entity {
            Some(entity) => {
                let mut fields = entity.to_vec();
                apply_effects(&mut fields, pre, below)?;
                fields
            }
            None if !writes => return Some(None),
            None => Vec::new(),
        };
        apply_effects(&mut fields, post, below)?;
        Some(Some(Entity::from_sorted(fields)))
    }
}

#[cfg(test)]
mod tests;
