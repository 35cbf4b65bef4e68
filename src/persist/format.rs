//! The saved store's shape: what [`Store::save`](crate::Store::save) writes and
//! [`Store::load`](crate::Store::load) reads, with serde. Plain data; the checks that make a
//! loaded store sound are in `mod.rs`.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::field::FieldName;
use crate::key::Key;
use crate::layer::{LayerKind, LayerState};
use crate::mutation::{FailureKind, RetryPolicy, Scope};
use crate::op::Op;
use crate::value::Value;
use crate::view::Map;

/// The format version this crate writes and reads.
pub(crate) const FORMAT: u32 = 1;

/// A saved store: base, the live layers that survive a restart, the mutation records, stale
/// marks, live temporary keys and aliases. Serialise it with any serde format; load it with
/// [`Store::load`](crate::Store::load). Made by [`Store::save`](crate::Store::save) in
/// O(L + K + M) (base is shared, not copied).
///
/// Values nest up to [`DEFAULT_MAX_DEPTH`](crate::DEFAULT_MAX_DEPTH) levels, deeper than
/// serde_json reads by default (128): read JSON text with
/// [`Store::load_json`](crate::Store::load_json), which lifts that limit and keeps ours.
///
/// ```
/// use optimist::{Patch, Saved, Store};
/// let mut store = Store::new();
/// store.write(Patch::new().set("Todo:1", "title", "a"))?;
/// let text = serde_json::to_string(&store.save())?;
/// let saved: Saved = serde_json::from_str(&text)?;
/// let mut loaded = Store::new();
/// loaded.load(saved)?;
/// assert_eq!(loaded, store);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Saved {
    pub(crate) format: u32,
    pub(crate) base: Base,
    pub(crate) layers: Vec<SavedLayer>,
    pub(crate) mutations: Vec<SavedMutation>,
    #[serde(default)]
    pub(crate) stale: Vec<(Key, Vec<FieldName>)>,
    /// Each stale mark's stamp (the count of marking calls when it was set), in the order of
    /// `stale`: a confirmed layer folding after the load clears only the marks set before its
    /// answer. Empty in saves made before stamps were kept (their layers clear every mark on
    /// what they write).
    #[serde(default)]
    pub(crate) stale_stamps: Vec<Vec<u64>>,
    /// Each retained key with its count.
    #[serde(default)]
    pub(crate) retained: Vec<(Key, usize)>,
    #[serde(default)]
    pub(crate) temporaries: Vec<(Key, Vec<Key>)>,
    /// Oldest first.
    #[serde(default)]
    pub(crate) aliases: Vec<(Key, Key)>,
}

/// Base, as a map from key to entity.
#[derive(Clone, PartialEq, Debug, Default)]
pub(crate) struct Base(pub(crate) Map);

impl Serialize for Base {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter())
    }
}

impl<'de> Deserialize<'de> for Base {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Base, D::Error> {
        struct Entries;
        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = Base;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map from entity keys to entities")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Base, A::Error> {
                // One name cache for every entity: a store of one shape shares its names.
                let names = crate::value::Names::default();
                // A format's length hint is the input's word: bounded, so a forged one cannot
                // ask for memory the entries never fill.
                let mut entities = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1 << 16));
                while let Some(key) = map.next_key::<Key>()? {
                    let entity = map.next_value_seed(crate::value::EntitySeed {
                        names: &names,
                        limit: crate::policy::DEFAULT_MAX_DEPTH - 1,
                    })?;
                    entities.push((key, entity));
                }
                Ok(Base(Map::from_base(entities)))
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

/// One live layer, with its request number and place.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub(crate) struct SavedLayer {
    pub(crate) seq: u64,
    pub(crate) place: (u64, u64),
    pub(crate) anchor: u64,
    pub(crate) label: Arc<str>,
    pub(crate) kind: LayerKind,
    pub(crate) state: LayerState,
    pub(crate) ops: Vec<(Key, Vec<Op>)>,
    /// The count of marking calls when the layer was made (see `Saved::stale_stamps`): its
    /// answer is fresh of the marks set by then. Absent in stores saved by earlier versions,
    /// which kept it for confirmed layers only (when their answer came).
    #[serde(default)]
    pub(crate) answered: Option<u64>,
}

/// One mutation record; its layer is the saved layer with the same request number.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub(crate) struct SavedMutation {
    pub(crate) seq: u64,
    pub(crate) label: Arc<str>,
    pub(crate) request: Value,
    pub(crate) idempotency_key: Arc<str>,
    pub(crate) scope: Option<Scope>,
    pub(crate) attempts: u32,
    pub(crate) status: SavedStatus,
    pub(crate) retry: RetryPolicy,
    pub(crate) coalesce: bool,
}

/// A [`MutationStatus`](crate::MutationStatus) with ids as request numbers.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SavedStatus {
    Queued,
    InFlight {
        attempt: u32,
    },
    Retrying {
        attempts: u32,
        reason: Arc<str>,
    },
    Committed,
    Failed {
        kind: FailureKind,
        message: Arc<str>,
    },
    Coalesced {
        into: u64,
    },
    Abandoned,
}
