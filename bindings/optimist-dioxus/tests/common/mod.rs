//! What every test of the hooks needs: a client over a real store, a `VirtualDom` with it in
//! its root context, render counts per component, and slots to reach a component's handles
//! from the test.

#![allow(dead_code)] // each test file uses its own part

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use dioxus::core::NoOpMutations;
use dioxus::prelude::*;
use optimist::{Client, Policies, Store};
use optimist_dioxus::{SharedClient, shared};

/// A client whose store reads `todos` as a list of `Todo`s.
pub fn client() -> SharedClient {
    shared(Client::new(Store::with_policies(
        Policies::new().type_at("todos", "Todo"),
    )))
}

/// How many times each component rendered, by name (a root context).
#[derive(Clone, Default)]
pub struct Renders(Rc<RefCell<BTreeMap<String, usize>>>);

impl Renders {
    /// Counts one render of `name`.
    pub fn hit(&self, name: &str) {
        *self.0.borrow_mut().entry(name.to_owned()).or_default() += 1;
    }

    /// The counts so far, by name.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        self.0.borrow().clone()
    }

    /// The count of `name`.
    pub fn of(&self, name: &str) -> usize {
        self.0.borrow().get(name).copied().unwrap_or(0)
    }
}

/// Counts a render of the calling component under `name`.
pub fn rendered(name: &str) {
    consume_context::<Renders>().hit(name);
}

/// A value a component hands to the test (a hook's handle, a signal), by type.
#[derive(Clone)]
pub struct Slot<T: 'static>(Rc<RefCell<Option<T>>>);

impl<T: Clone + 'static> Slot<T> {
    /// An empty slot.
    pub fn new() -> Slot<T> {
        Slot(Rc::new(RefCell::new(None)))
    }

    /// Puts `value` in (the component, on each render).
    pub fn put(&self, value: T) {
        *self.0.borrow_mut() = Some(value);
    }

    /// What was put in last.
    pub fn get(&self) -> T {
        self.0.borrow().clone().expect("the component put it in")
    }
}

/// Hands `value` to the test through the root context's `Slot<T>`.
pub fn hand<T: Clone + 'static>(value: T) {
    consume_context::<Slot<T>>().put(value);
}

/// A `VirtualDom` of `app` with `client` and a render counter in its root context, built.
pub fn mount(app: fn() -> Element, client: &SharedClient, renders: &Renders) -> VirtualDom {
    let mut dom = VirtualDom::new(app)
        .with_root_context(client.clone())
        .with_root_context(renders.clone());
    dom.rebuild_in_place();
    dom
}

/// Runs what the last calls made due: the hooks' tasks, then the renders of every dirty
/// component, until nothing is left (bounded: a loop here would be a bug).
pub fn settle(dom: &mut VirtualDom) {
    for _ in 0..8 {
        dom.process_events();
        dom.render_immediate(&mut NoOpMutations);
    }
}

/// The HTML the dom renders now.
pub fn html(dom: &VirtualDom) -> String {
    dioxus_ssr::render(dom)
}

/// `[(name, count)]` as a map, for comparing with [`Renders::counts`].
pub fn counts(expected: &[(&str, usize)]) -> BTreeMap<String, usize> {
    expected
        .iter()
        .map(|(name, count)| ((*name).to_owned(), *count))
        .collect()
}
