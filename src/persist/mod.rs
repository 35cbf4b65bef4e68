//! Saving the whole store and loading it back: base, the live layers (ops, kinds, labels,
//! states, places), the mutation records (idempotency keys, scopes, statuses, attempts), stale
//! marks, temporary keys and aliases, so an offline outbox survives a restart.
//!
//! It stands apart from the store's mechanisms because it is a format: a load builds a whole
//! new store from checked parts and only then replaces the old one, so a bad saved store
//! changes nothing.
//!
//! What a restart cannot keep is normalised on load, and only that: a query in flight is not
//! saved (nobody waits for its answer after a restart; the confirmed layers above it fold into
//! base); a mutation in flight comes back retrying (its answer was lost with the process, and
//! the server dedupes the resend by its idempotency key); retry delays are forgotten (a
//! retrying mutation is ready at once). Updaters are saved by name and looked up again.

mod format;

pub use format::Saved;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::changes::{Changes, LayerEvent, record};
use crate::key::Key;
use crate::layer::{Layer, LayerId, LayerKind, LayerState, Slot, issue_layer_seqs_after};
use crate::mutation::records::Record;
use crate::mutation::{Failure, MutationStatus};
use crate::patch::{OpsByKey, Patch, PatchError};
use crate::store::Store;
use format::{Base, FORMAT, SavedLayer, SavedMutation, SavedStatus};

/// ## Saving and loading
///
/// The whole store (base, pending layers, the mutation records: the outbox) as bytes or
/// JSON, loaded back exactly; a truncated or hostile save is refused with the store unchanged.
impl Store {
    /// The store as a [`Saved`] value, to serialise with serde. O(L + K + M) for L live layers
    /// touching K keys and M mutation records: base is a persistent map, shared, not copied.
    /// Queries in flight (pending observations) are left out; see [`load`](Store::load).
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// store.push("tick", Patch::new().set("Todo:1", "done", true))?;
    /// let json = serde_json::to_value(store.save())?;
    /// assert_eq!(json["layers"][0]["label"], "tick");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn save(&self) -> Saved {
        let layers = self
            .stack
            .slots()
            .filter_map(|slot| self.stack.get(slot))
            .filter(|layer| {
                !(layer.kind == LayerKind::Observation && layer.state == LayerState::Pending)
            })
            .map(|layer| {
                let mut ops: Vec<(Key, Vec<crate::Op>)> = layer
                    .ops
                    .iter()
                    .map(|(key, ops)| (key.clone(), ops.to_vec()))
                    .collect();
                // Sorted, so equal stores save equal text.
                ops.sort_unstable_by(|a, b| a.0.cmp(&b.0));
                SavedLayer {
                    seq: layer.seq,
                    place: layer.place,
                    anchor: layer.anchor,
                    label: layer.label.clone(),
                    kind: layer.kind,
                    state: layer.state,
                    ops,
                    answered: Some(layer.epoch),
                }
            })
            .collect();
        let mutations = self.mutations.iter().map(saved_mutation).collect();
        Saved {
            format: FORMAT,
            base: Base(self.base.clone()),
            layers,
            mutations,
            stale: self
                .stale
                .by_key()
                .map(|(key, fields)| (key.clone(), fields.cloned().collect()))
                .collect(),
            stale_stamps: self.stale.stamps().collect(),
            retained: self
                .retained
                .iter()
                .map(|(key, times)| (key.clone(), times))
                .collect(),
            temporaries: self.temporaries(),
            aliases: self
                .alias_order
                .iter()
                .filter_map(|from| Some((from.clone(), self.aliases.get(from)?.clone())))
                .collect(),
        }
    }

    /// [`save`](Store::save) as JSON text. O(size of the store).
    ///
    /// Refused with a [`SaveError`], the store unchanged, when a value built in code nests
    /// deeper than [`DEFAULT_MAX_DEPTH`](crate::DEFAULT_MAX_DEPTH) levels (what JSON
    /// payloads can never write): such text could not be loaded again, so none is given.
    ///
    /// ```
    /// use optimist::{Patch, Store, Value};
    ///
    /// let text = Store::new().save_json()?;
    /// assert!(text.starts_with(r#"{"format":1,"#));
    ///
    /// let mut deep = Value::Null;
    /// for _ in 0..300 {
    ///     deep = Value::List(std::iter::once(deep).collect());
    /// }
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("Todo:1", "nested", deep))?;
    /// let err = store.save_json().unwrap_err();
    /// assert!(err.to_string().contains("deeper than 256"), "{err}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn save_json(&self) -> Result<String, SaveError> {
        serde_json::to_string(&self.save()).map_err(|error| SaveError(error.to_string()))
    }

    /// Replaces the store's contents (base, layers, mutation records, stale marks, temporary
    /// keys, aliases) with a saved store's, and returns what that changed in the view. The
    /// store's policies, updaters, retry policy and watchers stay. Normalised on the way in,
    /// as a restart requires: a mutation saved in flight comes back
    /// [`Retrying`](MutationStatus::Retrying) (same idempotency key, ready at once); retry
    /// delays start again; confirmed layers that only a query in flight held up fold into
    /// base. Loaded layers keep their request numbers, so the loaded store `==` the saved one
    /// after those steps, and the ids the app kept of its mutations
    /// are the loaded store's ones only through their records ([`mutations`](Store::mutations),
    /// by idempotency key). The returned [`Changes`] and layer watchers list each old layer
    /// [`Unloaded`](LayerEvent::Unloaded) and each loaded one [`Loaded`](LayerEvent::Loaded);
    /// mutation watchers are told the old records gone and the loaded ones' statuses.
    ///
    /// Refused, changing nothing: another format version, an op naming an updater not
    /// registered here, a version field of the wrong type, layers or records that contradict
    /// each other (two at one place, an anchor its place contradicts, an intent out of its
    /// place). Normalised, as meaning nothing: a retained count of 0 (dropped), a key retained
    /// twice (its counts summed), the layers' order in the saved list (their places order
    /// them). Kept as saved: a stale mark on a key no entity has (the store makes those).
    ///
    /// Cost: O(N + L + M) to build and to diff the view against the old one.
    ///
    /// ```
    /// use optimist::{LoadError, MutationStatus, Patch, Store};
    /// let mut store = Store::new();
    /// let (id, _) = store.push("rename", Patch::new().set("Todo:1", "title", "b"))?;
    /// store.next_to_send(optimist::Instant::now()); // in flight when the app quits
    /// let saved = store.save_json()?;
    ///
    /// let mut after_restart = Store::new();
    /// after_restart.load_json(&saved)?;
    /// let m = after_restart.mutations().next().unwrap();
    /// assert!(matches!(m.status(), MutationStatus::Retrying { attempts: 1, .. }));
    /// assert_eq!(m.idempotency_key(), store.mutation(id).unwrap().idempotency_key());
    /// assert_eq!(after_restart.get_field("Todo:1", "title").and_then(|v| v.as_str()), Some("b"));
    ///
    /// assert!(matches!(after_restart.load_json(&saved[..saved.len() - 2]), Err(LoadError::Json(_))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load(&mut self, saved: Saved) -> Result<Changes, LoadError> {
        self.exact(|this| {
            let mut fresh = this.build(saved)?;
            let mut changed = Vec::new();
            for (key, old) in this.iter() {
                record(&mut changed, key, Some(old), fresh.get(key));
            }
            for (key, new) in fresh.iter() {
                if !this.contains(key) {
                    record(&mut changed, key, None, Some(new));
                }
            }
            let gone: Vec<LayerId> = this.mutations().map(|m| m.id()).collect();
            // Layer watchers learn that the old layers went and the loaded ones came.
            let unloaded = this
                .layers()
                .map(|layer| (layer.id(), LayerEvent::Unloaded));
            let mut events: Vec<_> = unloaded.collect();
            events.extend(fresh.layers().map(|layer| (layer.id(), LayerEvent::Loaded)));
            fresh.events = events;
            fresh.watchers = std::mem::take(&mut this.watchers);
            *this = fresh;
            let changes = this.finish(changed, Vec::new());
            // Mutation watchers learn that the old records went and the loaded ones came.
            let mut told: Vec<_> = gone.into_iter().map(|id| (id, None)).collect();
            told.extend(this.mutations().map(|m| (m.id(), Some(m.status().clone()))));
            if !told.is_empty() {
                this.tell_mutations(told);
            }
            Ok(changes)
        })
    }

    /// [`load`](Store::load) from JSON text; a text that does not parse (a truncated file) is
    /// [`LoadError::Json`], one of another format version [`LoadError::Format`].
    ///
    /// Whatever [`save_json`](Store::save_json) writes, this reads: values nested up to
    /// [`DEFAULT_MAX_DEPTH`](crate::DEFAULT_MAX_DEPTH) levels, with serde_json's own nesting
    /// limit (128, below ours) off and ours bounding the recursion instead; deeper is
    /// [`LoadError::Json`].
    ///
    /// ```
    /// let mut store = optimist::Store::new();
    /// let err = store.load_json(r#"{"format": 99}"#).unwrap_err();
    /// assert_eq!(err, optimist::LoadError::Format { found: 99, supported: 1 });
    /// ```
    pub fn load_json(&mut self, text: &str) -> Result<Changes, LoadError> {
        self.exact(|this| match saved_from_json(text) {
            Ok(saved) => this.load(saved),
            Err(error) => {
                #[derive(serde::Deserialize)]
                struct Header {
                    format: u32,
                }
                match serde_json::from_str::<Header>(text) {
                    Ok(header) if header.format != FORMAT => Err(LoadError::Format {
                        found: header.format,
                        supported: FORMAT,
                    }),
                    _ => Err(LoadError::Json(error.to_string())),
                }
            }
        })
    }

    /// A new store with this one's policies, updaters and retry policy, holding `saved`.
    fn build(&self, saved: Saved) -> Result<Store, LoadError> {
        if saved.format != FORMAT {
            return Err(LoadError::Format {
                found: saved.format,
                supported: FORMAT,
            });
        }
        let mut fresh = Store::with_policies(self.policies().clone());
        fresh.updaters = self.updaters.clone();
        fresh.set_retry_policy(self.retry_policy());
        fresh.base = saved.base.0;
        // A store's marking count grows by one per marking call: half the range is more than
        // any store reaches, and what is left keeps the count that goes on from a loaded stamp
        // from overflowing.
        let stamps = saved.stale_stamps.iter().flatten().copied();
        if stamps
            .chain(saved.layers.iter().filter_map(|layer| layer.answered))
            .any(|stamp| stamp > MAX_STAMP)
        {
            return Err(LoadError::Invalid(format!(
                "a stale mark's stamp or a layer's answer count is above {MAX_STAMP}"
            )));
        }
        let mut slots: HashMap<u64, Slot> = HashMap::new();
        let mut last_seq = 0;
        for layer in saved.layers {
            last_seq = last_seq.max(layer.seq);
            if layer.kind == LayerKind::Observation && layer.state == LayerState::Pending {
                continue; // a query in flight: nobody waits for it after a restart
            }
            let ops: OpsByKey = layer
                .ops
                .into_iter()
                .map(|(key, ops)| (key, ops.into_iter().collect()))
                .collect();
            let patch = Patch::from_ops(ops);
            let checked = patch
                .validate(&fresh.updaters)
                .and_then(|()| patch.validate_versions(fresh.policies()));
            if let Err(error) = checked {
                return Err(LoadError::Layer {
                    label: layer.label.to_string(),
                    error,
                });
            }
            if layer.kind == LayerKind::Intent && layer.place != (layer.seq, u64::MAX) {
                return Err(LoadError::Invalid(format!(
                    "intent {} is not at its own place",
                    layer.seq
                )));
            }
            if !anchored(layer.kind, layer.seq, layer.place, layer.anchor) {
                return Err(LoadError::Invalid(format!(
                    "layer {} has anchor {}, which its place {:?} contradicts",
                    layer.seq, layer.anchor, layer.place
                )));
            }
            let seq = layer.seq;
            // A layer saved without its count (by an earlier version) is taken as made after
            // every mark: its answer clears them, as those versions did.
            let epoch = layer.answered.unwrap_or(u64::MAX);
            if let Some(made) = layer.answered {
                fresh.stale.restore_epoch(made);
            }
            let slot = fresh
                .stack
                .restore(Layer {
                    label: layer.label,
                    kind: layer.kind,
                    state: layer.state,
                    seq,
                    place: layer.place,
                    anchor: layer.anchor,
                    ops: patch.into_ops(),
                    epoch,
                })
                .map_err(LoadError::Invalid)?;
            slots.insert(seq, slot);
        }
        let id_of = |seq: u64| LayerId {
            store: fresh.tag(),
            seq,
            slot: slots.get(&seq).copied().unwrap_or_default(),
        };
        let mut records = Vec::with_capacity(saved.mutations.len());
        for m in saved.mutations {
            last_seq = last_seq.max(m.seq);
            records.push(loaded_record(m, &id_of));
        }
        for record in records {
            if fresh.mutations.get(record.id).is_some() {
                return Err(LoadError::Invalid(format!(
                    "two mutation records for request {}",
                    record.id.seq
                )));
            }
            fresh.mutations.restore(record);
        }
        // A mark on a key neither base nor any layer has is kept: the store makes such marks
        // (an entity only a layer held was invalidated, then the layer settled without it).
        if saved.stale_stamps.is_empty() {
            for (key, fields) in saved.stale {
                fresh.stale.mark(&key, fields);
            }
        } else {
            if saved.stale_stamps.len() != saved.stale.len()
                || saved
                    .stale
                    .iter()
                    .zip(&saved.stale_stamps)
                    .any(|((_, fields), stamps)| fields.len() != stamps.len())
            {
                return Err(LoadError::Invalid(
                    "the stale marks' stamps do not match the marks".into(),
                ));
            }
            for ((key, fields), stamps) in saved.stale.into_iter().zip(saved.stale_stamps) {
                for (field, stamp) in fields.into_iter().zip(stamps) {
                    fresh.stale.restore(&key, field, stamp);
                }
            }
        }
        for (key, times) in saved.retained {
            fresh.retained.add(key, times);
        }
        fresh.load_temporaries(saved.temporaries, saved.aliases)?;
        let keys: Vec<Key> = fresh.stack.touched_keys().cloned().collect();
        for key in &keys {
            fresh.recompute(key);
        }
        fresh.base_replaced();
        fresh.squash();
        fresh.events.clear();
        fresh.check_layers().map_err(LoadError::Invalid)?;
        issue_layer_seqs_after(last_seq);
        Ok(fresh)
    }
}

/// The highest stamp a saved store may hold (see `build`).
const MAX_STAMP: u64 = u64::MAX / 2;

/// Reads a saved store's text. serde_json's own nesting limit (128 levels) is below what a
/// save writes (values up to [`DEFAULT_MAX_DEPTH`](crate::DEFAULT_MAX_DEPTH) levels, under the
/// few levels of the format around them), so it is off, and the depth is bounded by ours
/// instead: every value and entity is read through a seed that refuses to go deeper than
/// the limit, the rest of the format nests a fixed number of levels, and fields it does not
/// know are skipped by serde_json without recursion.
fn saved_from_json(text: &str) -> Result<Saved, serde_json::Error> {
    use serde::Deserialize;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    deserializer.disable_recursion_limit();
    let saved = Saved::deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(saved)
}

fn saved_mutation(record: &Record) -> SavedMutation {
    let status = match &record.status {
        MutationStatus::Queued => SavedStatus::Queued,
        MutationStatus::InFlight { attempt } => SavedStatus::InFlight { attempt: *attempt },
        MutationStatus::Retrying { attempts, reason } => SavedStatus::Retrying {
            attempts: *attempts,
            reason: reason.clone(),
        },
        MutationStatus::Committed => SavedStatus::Committed,
        MutationStatus::Failed(failure) => SavedStatus::Failed {
            kind: failure.kind,
            message: failure.message.clone(),
        },
        MutationStatus::Coalesced { into } => SavedStatus::Coalesced { into: into.seq },
        MutationStatus::Abandoned => SavedStatus::Abandoned,
    };
    SavedMutation {
        seq: record.id.seq,
        label: record.label.clone(),
        request: record.request.clone(),
        idempotency_key: record.idempotency_key.clone(),
        scope: record.scope.clone(),
        attempts: record.attempts,
        status,
        retry: record.retry,
        coalesce: record.coalesce,
    }
}

/// The reason a mutation saved in flight is retrying after a load.
pub(crate) const INTERRUPTED: &str = "interrupted while in flight";

fn loaded_record(m: SavedMutation, id_of: &impl Fn(u64) -> LayerId) -> Record {
    let status = match m.status {
        SavedStatus::Queued => MutationStatus::Queued,
        SavedStatus::InFlight { .. } => MutationStatus::Retrying {
            attempts: m.attempts,
            reason: Arc::from(INTERRUPTED),
        },
        SavedStatus::Retrying { attempts, reason } => MutationStatus::Retrying { attempts, reason },
        SavedStatus::Committed => MutationStatus::Committed,
        SavedStatus::Failed { kind, message } => MutationStatus::Failed(Failure { kind, message }),
        SavedStatus::Coalesced { into } => MutationStatus::Coalesced { into: id_of(into) },
        SavedStatus::Abandoned => MutationStatus::Abandoned,
    };
    Record {
        id: id_of(m.seq),
        label: m.label,
        request: m.request,
        idempotency_key: m.idempotency_key,
        scope: m.scope,
        attempts: m.attempts,
        unsent: 0,
        status,
        retry: m.retry,
        coalesce: m.coalesce,
        retry_at: None,
    }
}

/// Why [`Store::load`] refused a saved store. A refused load changes nothing.
///
/// ```
/// use optimist::{LoadError, Patch, Store};
/// let mut store = Store::new();
/// store.register_updater("archive", |e, _| e.cloned())?;
/// store.push("archive", Patch::new().update("Todo:1", "archive", optimist::Value::Null))?;
/// let saved = store.save_json()?;
/// let err = Store::new().load_json(&saved).unwrap_err();
/// assert!(matches!(err, LoadError::Layer { .. }), "{err}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Debug)]
#[non_exhaustive]
pub enum LoadError {
    /// The text is not a saved store (not JSON, truncated, a field of the wrong type); the
    /// parser's message, with its line and column.
    Json(String),
    /// The saved store is of a format version this crate does not read.
    Format {
        /// The version written in it.
        found: u32,
        /// The version this crate reads.
        supported: u32,
    },
    /// A layer's ops were refused: an updater not registered in this store, a version field
    /// of the wrong type.
    Layer {
        /// The layer's label.
        label: String,
        /// Why its ops were refused.
        error: PatchError,
    },
    /// Parts of the saved store contradict each other (two layers at one place, a pending
    /// mutation with no layer, an alias of a key that is not temporary).
    Invalid(String),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Json(error) => write!(f, "not a saved store: {error}"),
            LoadError::Format { found, supported } => write!(
                f,
                "saved store of format {found}; this version reads format {supported}"
            ),
            LoadError::Layer { label, error } => {
                write!(f, "saved layer `{label}` was refused: {error}")
            }
            LoadError::Invalid(why) => write!(f, "inconsistent saved store: {why}"),
        }
    }
}

/// Why [`Store::save_json`] gave no text: a value nests deeper than
/// [`DEFAULT_MAX_DEPTH`](crate::DEFAULT_MAX_DEPTH) levels, so the text could not be loaded
/// again. The serialiser's message.
///
/// ```
/// let err = optimist::SaveError::from_message("value nests deeper than 256 levels");
/// assert_eq!(err.to_string(), "store not saved: value nests deeper than 256 levels");
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SaveError(String);

impl SaveError {
    /// A save error with this message (for apps that wrap the store's save in their own).
    pub fn from_message(message: impl Into<String>) -> SaveError {
        SaveError(message.into())
    }

    /// The serialiser's message.
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SaveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "store not saved: {}", self.0)
    }
}

impl std::error::Error for SaveError {}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::Layer { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Whether a saved layer's anchor is the one its place implies: an intent's is its own
/// request number; an observation's is the lowest intent pending when it was reserved (the
/// first half of its place `(intent, seq)`), or `u64::MAX` if none was (place `(seq, 0)`).
fn anchored(kind: LayerKind, seq: u64, place: (u64, u64), anchor: u64) -> bool {
    match kind {
        LayerKind::Intent => anchor == seq,
        LayerKind::Observation => match place {
            (first, 0) if first == seq => anchor == u64::MAX,
            (intent, own) => own == seq && intent < seq && anchor == intent,
        },
    }
}
