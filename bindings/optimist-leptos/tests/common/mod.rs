//! What the binding's tests share: a client over a real store, a component tree mounted in
//! Leptos owners, renders counted per component (each component renders through an
//! effect, as a `view!`'s reactive parts do in a browser), and the executor the effects run on.

#![allow(dead_code)] // each test file uses its part

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Once};

use leptos::prelude::*;
use optimist::{Client, Policies, Store};

/// A client over a store whose `todos` objects are `Todo`s.
pub fn client() -> Arc<Mutex<Client>> {
    Arc::new(Mutex::new(Client::new(Store::with_policies(
        Policies::new().type_at("todos", "Todo"),
    ))))
}

/// Runs `test` on a tokio LocalSet with Leptos's executor set to tokio (once per process).
pub fn run<F: Future<Output = ()>>(test: impl FnOnce() -> F) {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        any_spawner::Executor::init_tokio().expect("the executor is set once");
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, test());
}

/// Lets every effect woken so far run (and the effects they wake in turn).
pub async fn settle() {
    for _ in 0..16 {
        any_spawner::Executor::tick().await;
    }
}

/// What each component rendered, in order, by component name.
#[derive(Clone, Default)]
pub struct Renders(Arc<Mutex<BTreeMap<String, Vec<String>>>>);

impl Renders {
    /// Renders `component` through an effect owned by the current component: `view` runs at
    /// the next tick and again whenever a signal it read changed; every run is logged under
    /// `name`.
    pub fn component(&self, name: &str, view: impl Fn() -> String + 'static) {
        let log = self.0.clone();
        let name = name.to_owned();
        Effect::new(move |_| {
            let html = view();
            log.lock()
                .unwrap()
                .entry(name.clone())
                .or_default()
                .push(html);
        });
    }

    /// How many times each component rendered.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(name, seen)| (name.clone(), seen.len()))
            .collect()
    }

    /// What `name` rendered, in order.
    pub fn of(&self, name: &str) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .get(name)
            .cloned()
            .unwrap_or_default()
    }
}

/// Mounts a component: `body` runs in an owner of its own under the current one (its hooks'
/// cleanups run when it is unmounted).
pub fn mount<T>(body: impl FnOnce() -> T) -> (Owner, T) {
    let owner = Owner::current().map_or_else(Owner::new, |parent| parent.child());
    let made = owner.with(body);
    (owner, made)
}

/// Unmounts a component mounted by [`mount`]: its cleanups run, its signals are disposed.
pub fn unmount(owner: Owner) {
    owner.cleanup();
}
