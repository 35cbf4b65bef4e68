//! The reference's state: a `BTreeMap` base, a `Vec` of layers in stack order, and the view
//! folded from scratch on every read, with the rules of the store written again naively:
//! versions (a confirmed layer older than what lies below it is skipped on that key),
//! temporary keys and remaps, forgetting failed creates, and guards cancelled at the next
//! mutating call.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use optimist::{Key, LayerState};

use crate::reference::rename_value;
use crate::reference::{Entities, Fields, KOp, MOp, TEMPS, all_keys, ref_apply, rename_op};
use crate::versions::stale;

/// A live layer of the reference.
#[derive(Clone, Debug)]
pub(crate) struct RefLayer {
    /// The transition-level name of the layer; its index in `Model::handles` is its index in
    /// the test's `ids`.
    pub(crate) name: u32,
    pub(crate) label: String,
    /// A mutation (pushed) rather than an observation (reserved).
    pub(crate) intent: bool,
    pub(crate) state: LayerState,
    pub(crate) ops: Vec<KOp>,
    /// The marking clock (`Hygiene::clock`) when it was made (reserved, pushed): folding it
    /// into base clears the marks set up to then, not those set while its request was out. A
    /// save keeps it.
    pub(crate) made_at: u64,
}

impl RefLayer {
    pub(crate) fn touches(&self, key: &str) -> bool {
        self.ops.iter().any(|op| op.key == key)
    }
}

/// What became of a minted temporary key.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Temp {
    Live,
    /// Remapped onto this key.
    Alias(&'static str),
    /// Every layer on it failed and base does not hold it: a plain key now.
    Forgotten,
}

/// What a registered watcher watches.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Watch {
    /// An entity (every field, or some: either way the key is what it depends on).
    Entity(&'static str),
    /// A query document over `ROOT_QUERY`.
    Query(String),
}

/// What a remap must answer, as the reference sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum RemapOutcome {
    Done,
    NotTemporary,
    InvalidKey,
    SameKey,
    NotAnEntity,
    OtherType,
    OntoTemporary,
}

/// The reference: confirmed base, live layers in stack order, every layer ever created, and
/// what the last transition must have reported.
#[derive(Clone, Default)]
pub(crate) struct Model {
    pub(crate) base: Entities,
    /// Live layers, bottom first.
    pub(crate) layers: Vec<RefLayer>,
    /// The name of every layer ever pushed or reserved, in creation order: handle `i` is the
    /// test's `ids[i]`.
    pub(crate) handles: Vec<u32>,
    /// Minted temporary keys by name.
    pub(crate) temps: BTreeMap<&'static str, Temp>,
    /// Layers with an armed guard in the system under test.
    pub(crate) guarded: BTreeSet<u32>,
    /// Layers whose guard was dropped while they were pending: cancelled by the next
    /// mutating call.
    pub(crate) abandoned: Vec<u32>,
    /// For each observation, the intents pending when it was reserved (invariant 6).
    pub(crate) waiting: BTreeMap<u32, BTreeSet<u32>>,
    /// The view before the first cancel of abandoned layers not yet reported: the next report
    /// gives the net change since (a key created by the cancel and deleted by the call is no
    /// change at all).
    pub(crate) carry: Option<crate::reference::Entities>,
    /// The view keys the last transition must report, sorted, if it reports any.
    pub(crate) changed: Option<Vec<&'static str>>,
    /// The keys the last transition must report as ignored, sorted.
    pub(crate) ignored: Vec<&'static str>,
    /// Whether the last transition cancelled abandoned layers.
    pub(crate) drained: bool,
    /// What the last transition's remap must answer.
    pub(crate) remapped: Option<RemapOutcome>,
    /// The watchers registered on the store and not unwatched, by name.
    pub(crate) watching: BTreeSet<u32>,
    /// Every watcher name ever used.
    pub(crate) watched: BTreeSet<u32>,
    /// The mutation records and the fake clock.
    pub(crate) outbox: crate::outbox::Outbox,
    /// What each watcher registered since the start (or the last load) watches, by name;
    /// `watching` says which are live.
    pub(crate) watches: BTreeMap<u32, Watch>,
    /// Stale marks, retains and tags.
    pub(crate) hygiene: crate::hygiene::Hygiene,
}

/// Only the initial state is ever printed (it heads a failing case), and it is always empty.
impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.base.is_empty() && self.layers.is_empty() && self.handles.is_empty() {
            return write!(f, "Model::default()");
        }
        f.debug_struct("Model")
            .field("base", &self.base)
            .field("layers", &self.layers)
            .finish_non_exhaustive()
    }
}

impl Model {
    /// One key folded from scratch: base, then each live layer's ops on it in stack order,
    /// skipping a confirmed layer whose version is older than what is folded below it. Also
    /// gives the names of the layers skipped.
    pub(crate) fn fold(&self, key: &str) -> (Option<Fields>, Vec<u32>) {
        let mut entity = self.base.get(key).cloned();
        let mut skipped = Vec::new();
        for layer in &self.layers {
            let ops: Vec<&KOp> = layer.ops.iter().filter(|op| op.key == key).collect();
            if ops.is_empty() {
                continue;
            }
            if layer.state == LayerState::Confirmed && stale(key, &ops, entity.as_ref()) {
                skipped.push(layer.name);
                continue;
            }
            entity = ops
                .iter()
                .fold(entity, |entity, op| ref_apply(entity, &op.op));
        }
        (entity, skipped)
    }

    pub(crate) fn view(&self) -> Entities {
        all_keys()
            .filter_map(|key| Some((key, self.fold(key).0?)))
            .collect()
    }

    /// Writes `ops` into base as a direct write does, key by key, clearing the stale marks
    /// they make fresh; returns the keys left out as older than base.
    pub(crate) fn write_base(&mut self, ops: &[KOp]) -> Vec<&'static str> {
        self.merge_base(ops, Some(u64::MAX))
    }

    /// `write_base`, clearing the stale marks set up to the clock `clear` (all: `u64::MAX`),
    /// or none (a remap's merge moves them instead).
    fn merge_base(&mut self, ops: &[KOp], clear: Option<u64>) -> Vec<&'static str> {
        let mut ignored = Vec::new();
        for key in all_keys() {
            let on_key: Vec<&KOp> = ops.iter().filter(|op| op.key == key).collect();
            if on_key.is_empty() {
                continue;
            }
            if stale(key, &on_key, self.base.get(key)) {
                ignored.push(key);
                continue;
            }
            if let Some(up_to) = clear {
                self.hygiene.clear_written(key, &on_key, up_to);
            }
            let folded = on_key.iter().fold(self.base.remove(key), |entity, op| {
                ref_apply(entity, &op.op)
            });
            if let Some(entity) = folded {
                self.base.insert(key, entity);
            }
        }
        ignored
    }

    /// While the oldest live layer is confirmed, fold it into base and drop it.
    pub(crate) fn squash(&mut self) {
        while self
            .layers
            .first()
            .is_some_and(|layer| layer.state == LayerState::Confirmed)
        {
            let layer = self.layers.remove(0);
            self.merge_base(&layer.ops, Some(layer.made_at));
        }
    }

    /// Removes a pending layer (fail, cancel), then forgets the temporary keys it touched that
    /// nothing holds any more.
    pub(crate) fn remove(&mut self, name: u32) {
        let at = self
            .layers
            .iter()
            .position(|layer| layer.name == name)
            .expect("preconditions keep names live");
        let layer = self.layers.remove(at);
        for op in &layer.ops {
            if self.temps.get(op.key) == Some(&Temp::Live)
                && !self.layers.iter().any(|l| l.touches(op.key))
                && !self.base.contains_key(op.key)
            {
                self.temps.insert(op.key, Temp::Forgotten);
            }
        }
    }

    /// Cancels the layers whose guard was dropped while they were pending.
    pub(crate) fn drain(&mut self) {
        for name in std::mem::take(&mut self.abandoned) {
            if self.is_pending(name) {
                self.remove(name);
                self.outbox.settle(name, crate::outbox::RStatus::Abandoned);
                self.drained = true;
            }
        }
    }

    /// `ops` as they enter the store: keys and refs naming a remapped temporary key name the
    /// key it became; per key, ops naming the key itself come first, then those naming its
    /// aliases, in the order of the patch.
    pub(crate) fn admit(&self, ops: &[KOp]) -> Vec<KOp> {
        let alias = |key: &str| match TEMPS.iter().find(|t| **t == key) {
            Some(t) => match self.temps.get(t) {
                Some(Temp::Alias(to)) => Some(*to),
                _ => None,
            },
            None => None,
        };
        let rename = |key: &str| alias(key).map(|to| Key::new(to).expect("a valid key"));
        let renamed = |op: &KOp| KOp {
            key: alias(op.key).unwrap_or(op.key),
            op: rename_op(&op.op, &rename),
        };
        let direct = ops.iter().filter(|op| alias(op.key).is_none());
        let aliased = ops.iter().filter(|op| alias(op.key).is_some());
        direct.chain(aliased).map(renamed).collect()
    }

    /// What `remap(from, to)` answers here.
    pub(crate) fn remap_outcome(&self, from: &str, to: &str) -> RemapOutcome {
        if self.temps.get(from) != Some(&Temp::Live) {
            return RemapOutcome::NotTemporary;
        }
        if Key::new(to).is_err() {
            RemapOutcome::InvalidKey
        } else if to == from {
            RemapOutcome::SameKey
        } else if !to.contains(':') {
            RemapOutcome::NotAnEntity
        } else if to.split(':').next() != from.split(':').next() {
            RemapOutcome::OtherType
        } else if self.temps.get(to) == Some(&Temp::Live) {
            RemapOutcome::OntoTemporary
        } else {
            RemapOutcome::Done
        }
    }

    /// Renames the live temporary key `from` to `to` everywhere, naively; returns the keys
    /// whose base merge was left out as older (a remap reports them as ignored).
    pub(crate) fn remap(&mut self, from: &'static str, to: &'static str) -> Vec<&'static str> {
        let rename = |key: &str| (key == from).then(|| Key::new(to).expect("a valid key"));
        let rename_fields = |entity: &Fields| -> Fields {
            entity
                .iter()
                .map(|(name, value)| (name.clone(), rename_value(value, &rename)))
                .collect()
        };
        self.hygiene.rename(from, to);
        // Refs in base, then the entity itself merged onto `to` as a direct write (which
        // moves marks rather than clearing them).
        for entity in self.base.values_mut() {
            *entity = rename_fields(entity);
        }
        let mut ignored = Vec::new();
        if let Some(entity) = self.base.remove(from) {
            let fields = entity
                .into_iter()
                .map(|(name, value)| (crate::reference::leak(&name), value))
                .collect();
            ignored = self.merge_base(
                &[KOp {
                    key: to,
                    op: MOp::Write(fields),
                }],
                None,
            );
        }
        // In every layer: refs renamed, ops on `from` moved after the layer's ops on `to`.
        for layer in &mut self.layers {
            let (moved, kept): (Vec<KOp>, Vec<KOp>) =
                layer.ops.drain(..).partition(|op| op.key == from);
            let renamed = |op: KOp, key| KOp {
                key,
                op: rename_op(&op.op, &rename),
            };
            layer.ops = kept
                .into_iter()
                .map(|op| {
                    let key = op.key;
                    renamed(op, key)
                })
                .chain(moved.into_iter().map(|op| renamed(op, to)))
                .collect();
        }
        self.temps.insert(from, Temp::Alias(to));
        ignored
    }

    pub(crate) fn live(&self, name: u32) -> Option<&RefLayer> {
        self.layers.iter().find(|layer| layer.name == name)
    }

    pub(crate) fn live_mut(&mut self, name: u32) -> &mut RefLayer {
        self.layers
            .iter_mut()
            .find(|layer| layer.name == name)
            .expect("preconditions keep names live")
    }

    pub(crate) fn is_pending(&self, name: u32) -> bool {
        self.live(name)
            .is_some_and(|layer| layer.state == LayerState::Pending)
    }

    /// Pending, and not about to be cancelled by the next mutating call.
    pub(crate) fn is_settleable(&self, name: u32) -> bool {
        self.is_pending(name) && !self.abandoned.contains(&name)
    }

    pub(crate) fn handle(&self, name: u32) -> usize {
        self.handles
            .iter()
            .position(|n| *n == name)
            .expect("preconditions keep names known")
    }
}
