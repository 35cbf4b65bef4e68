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
