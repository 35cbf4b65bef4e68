//! Dropping values without recursing once per level of nesting.
//!
//! The drop glue of a list of lists of lists recurses once per level, so a value built in code
//! ten thousand levels deep would exhaust the stack when its last owner lets go. [`Entity`] and
//! [`List`] implement `Drop` through [`release`]: the first [`RECURSE`] levels drop as usual;
//! below that, containers are handed to the outermost drop on this thread, which drops them one
//! by one. A container still shared elsewhere is not looked into at all (dropping it only
//! decrements a count), so the usual drop costs one count check.
//!
//! [`Entity`]: crate::Entity
//! [`List`]: super::List

use std::cell::{Cell, RefCell};

use super::Value;

/// Levels of nested containers dropped by plain recursion before the rest is deferred.
const RECURSE: usize = 32;

thread_local! {
    /// How many `release` calls are on this thread's stack.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// Containers deferred by the deepest levels, dropped by the outermost one.
    static DEFERRED: RefCell<Vec<Value>> = const { RefCell::new(Vec::new()) };
}

fn is_container(value: &Value) -> bool {
    matches!(value, Value::List(_) | Value::Object(_))
}

/// Drops the children of a container that is being dropped, bounded in stack depth.
pub(crate) fn release(children: impl Iterator<Item = Value>) {
    let Ok(depth) = DEPTH.try_with(Cell::get) else {
        // The thread is exiting and its locals are gone: plain drops.
        children.for_each(drop);
        return;
    };
    if depth >= RECURSE {
        let mut children = children.filter(is_container).peekable();
        if children.peek().is_some() {
            let _ = DEFERRED.try_with(|deferred| deferred.borrow_mut().extend(children));
        }
        return;
    }
    DEPTH.set(depth + 1);
    children.for_each(drop);
    if depth == 0 {
        // The outermost drop: what the deep levels deferred is dropped here, each starting a
        // fresh count of levels. The borrow ends before each drop.
        while let Some(value) = DEFERRED.with(|deferred| deferred.borrow_mut().pop()) {
            drop(value);
        }
    }
    DEPTH.set(depth);
}

/// Drops the vector of a list whose last owner lets go. The vector's own drop runs as usual,
/// so nodes it shares with other versions of the list are only released, never walked (a
/// list of 10,000 refs that shares all but one chunk costs one chunk); its items' drops come
/// back here one level deeper, and past [`RECURSE`] levels the vector is deferred to the
/// outermost drop instead.
pub(crate) fn drop_list(items: std::sync::Arc<imbl::Vector<Value>>) {
    let Ok(depth) = DEPTH.try_with(Cell::get) else {
        // The thread is exiting and its locals are gone: a plain drop.
        drop(items);
        return;
    };
    if depth >= RECURSE {
        let deferred = Value::List(super::List::from_shared(items));
        let _ = DEFERRED.try_with(|list| list.borrow_mut().push(deferred));
        return;
    }
    DEPTH.set(depth + 1);
    drop(items);
    if depth == 0 {
        while let Some(value) = DEFERRED.with(|deferred| deferred.borrow_mut().pop()) {
            drop(value);
        }
    }
    DEPTH.set(depth);
}
