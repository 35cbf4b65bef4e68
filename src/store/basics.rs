//! The core calls: make a store, write what the server said, push a guess, settle it, read.

use std::collections::VecDeque;

use super::recompute::next_revision;
use super::remap::Temporaries;
use super::{ConfirmError, Store};
use crate::changes::Changes;
use crate::entity::Entity;
use crate::guard::Abandoned;
use crate::layer::{LayerError, LayerId, Stack, next_store_tag};
use crate::mutation::records::Records;
use crate::mutation::{Mutation, RetryPolicy};
use crate::op::Updaters;
use crate::patch::{Patch, PatchError};
use crate::policy::Policies;
use crate::stale::Marks;
use crate::value::Value;
use crate::view::{Aliases, Map, Overlay};

/// ## The core calls
///
/// Everything else is built on these: [`write`](Store::write) what the server said into
/// base, [`push`](Store::push) a guess as a layer the view shows at once,
/// [`confirm`](Store::confirm) it with the server's answer or [`fail`](Store::fail) it (the
/// view ends exactly as if it had never been pushed), and [`get`](Store::get) the merged view.
impl Store {
    /// An empty store.
    ///
    /// ```
    /// assert!(optimist::Store::new().is_empty());
    /// ```
    pub fn new() -> Store {
        Store {
            tag: next_store_tag(),
            base: Map::default(),
            overlay: Overlay::default(),
            overlay_delta: 0,
            stack: Stack::default(),
            updaters: Updaters::with_builtins(),
            policies: Policies::new(),
            revision: next_revision(),
            recent: VecDeque::new(),
            recent_keys: 0,
            temps: Temporaries::default(),
            aliases: Aliases::default(),
            alias_order: VecDeque::new(),
            abandoned: Abandoned::default(),
            drained: Vec::new(),
            cancelled_abandoned: Vec::new(),
            in_exact: false,
            events: Vec::new(),
            watchers: crate::watch::Watchers::default(),
            mutations: Records::default(),
            retry_policy: RetryPolicy::default(),
            stale: Marks::default(),
            retained: crate::gc::Retained::default(),
        }
    }

    /// An empty store with these type policies (key fields, possible types, field policies,
    /// depth limit); each field policy's merge is registered as an updater
    /// ([`merge_updater_name`](crate::merge_updater_name)).
    ///
    /// ```
    /// use optimist::{KeyFields, Policies, Store};
    /// let store = Store::with_policies(Policies::new().key_fields("Book", KeyFields::fields(["isbn"])));
    /// assert!(matches!(store.policies().key_fields_of("Book"), KeyFields::Fields(_)));
    /// ```
    pub fn with_policies(policies: Policies) -> Store {
        let mut store = Store::new();
        // Each field policy's merge is applied as an updater (see `field_policy.rs`).
        for (name, updater) in policies.field_policies().merge_updaters() {
            store.updaters.register_shared(&name, updater);
        }
        store.policies = policies;
        store
    }

    /// Writes a patch directly into base, below every layer (a server push, a restore).
    /// Layers above rebase on it: their relative ops are re-applied on the new values, and
    /// fields no layer touches show through at once.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// store.push("check", Patch::new().set("Todo:1", "done", true))?;
    /// store.write(Patch::new().set("Todo:1", "title", "renamed on the server"))?;
    /// let todo = store.get("Todo:1").unwrap();
    /// assert_eq!(todo.get("done").and_then(|v| v.as_bool()), Some(true));
    /// assert_eq!(todo.get("title").and_then(|v| v.as_str()), Some("renamed on the server"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write(&mut self, patch: Patch) -> Result<Changes, PatchError> {
        self.exact(|this| {
            let result = this.write_now(patch);
            this.report_drained();
            result
        })
    }

    /// Pushes an intent (an optimistic mutation) on top of the stack and applies its guess to
    /// the view.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let (id, changes) = store.push("add todo", Patch::new().set("Todo:1", "title", "new"))?;
    /// assert!(changes.contains("Todo:1"));
    /// assert!(store.layer(id).is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn push(&mut self, label: &str, patch: Patch) -> Result<(LayerId, Changes), PatchError> {
        self.mutate(Mutation::new(label, patch))
    }

    /// Settles a layer as success with the server's answer: `patch` **replaces** the layer's
    /// ops (the server's values replace the guess), in the layer's place in the stack. Use it
    /// for a query's answer and for a mutation whose answer restates everything it changed;
    /// for an answer that returns only the entity, use
    /// [`confirm_keeping_relative`](Store::confirm_keeping_relative).
    ///
    /// Cost: for each of the k keys of the old and new ops, a binary search and shift in the
    /// key's layer index and a refold of the key from base, O(k x ops of the layers on the
    /// key); then the fold into base of the confirmed run at the bottom, linear in its ops.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let (id, _) = store.push("create", Patch::new().set("Todo:1", "title", "guess"))?;
    /// let changes = store.confirm(id, Patch::new().set("Todo:1", "title", "server"))?;
    /// assert!(changes.contains("Todo:1"));
    /// assert_eq!(store.get_confirmed("Todo:1").and_then(|e| e.get("title")).and_then(|v| v.as_str()), Some("server"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn confirm(&mut self, id: LayerId, patch: Patch) -> Result<Changes, ConfirmError> {
        self.exact(|this| this.settle_with(id, patch, false))
    }

    /// Settles a layer as failure: removes it wherever it is in the stack. Base, the other
    /// layers and the view end exactly as if it had never been pushed; layers above it rebase.
    ///
    /// Cost: for each of the k keys it touches, O(log M) to find it in the key's index by
    /// place plus a shift of the M layers on the key, and a refold of the key from base over
    /// the layers left on it. Under fewer than 32 layers that applies their ops; under more,
    /// the key's layers are kept as a tree of summaries, and writes, field removals, deletes
    /// and integer increments refold in O(log M) summary steps, exactly as applying them would
    /// (so failing each of L such layers on one key costs O(L log L), not O(L^2)). List inserts
    /// at the start or the end (a unique one included, when its item is new to the list) refold
    /// in O(log M) joins of persistent vectors (each O(log n) in the list's length, with
    /// imbl's constant: tens of microseconds on lists of thousands) plus one pass over the list
    /// below the layers. Inserts elsewhere in a list, list removals, updaters, float increments
    /// and versioned types are applied op by op: an updater is a function of the whole entity
    /// and a float sum depends on its order, so no summary of them is exact. Then the fold into
    /// base of the confirmed run the removal settles at the bottom, linear in its ops.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("A:1", "x", 1))?;
    /// let before = store.clone();
    /// let (id, _) = store.push("edit", Patch::new().set("A:1", "x", 2).delete("B:1"))?;
    /// store.fail(id)?;
    /// assert_eq!(store, before);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fail(&mut self, id: LayerId) -> Result<Changes, LayerError> {
        self.exact(|this| {
            let result = this.fail_now(id);
            this.report_drained();
            result
        })
    }

    /// The entity as readers see it: base with every live layer applied. A lookup in the
    /// overlay (small: only the keys layers touch) and, for keys no layer touches, in base;
    /// never a walk over the layers.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// store.push("create", Patch::new().set("Todo:1", "title", "a"))?;
    /// assert!(store.get("Todo:1").is_some());
    /// assert!(store.get_confirmed("Todo:1").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, key: &str) -> Option<&Entity> {
        self.view().get(key)
    }

    /// One field of the merged view.
    ///
    /// ```
    /// use optimist::{Patch, Store, Value};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("Todo:1", "done", false))?;
    /// assert_eq!(store.get_field("Todo:1", "done"), Some(&Value::from(false)));
    /// assert_eq!(store.get_field("Todo:1", "title"), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_field(&self, key: &str, field: &str) -> Option<&Value> {
        self.get(key)?.get(field)
    }

    /// The entity in base: confirmed server truth, ignoring every live layer.
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("Todo:1", "done", false))?;
    /// store.push("check", Patch::new().set("Todo:1", "done", true))?;
    /// assert_eq!(store.get_confirmed("Todo:1").and_then(|e| e.get("done")).and_then(|v| v.as_bool()), Some(false));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_confirmed(&self, key: &str) -> Option<&Entity> {
        self.view().get_confirmed(key)
    }
}
