//! Helpers for the hostile-input tests: small stacks, deep values built without recursion.

#![allow(dead_code)] // reason: each test file uses some of the helpers

use optimist::Value;

/// Runs `f` on a thread with a 2 MiB stack (a test thread's default, made explicit), so a
/// recursion without bound fails the test instead of passing on a large main stack.
pub fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .expect("a thread")
        .join()
        .expect("no panic and no stack overflow")
}

/// `[[[...[1]...]]]` as JSON, `depth` lists deep.
pub fn deep_json_list(depth: usize) -> serde_json::Value {
    let mut json = serde_json::json!(1);
    for _ in 0..depth {
        json = serde_json::Value::Array(vec![json]);
    }
    json
}

/// Takes a deep JSON value apart one level at a time: serde_json's own drop recurses.
pub fn dismantle(json: serde_json::Value) {
    let mut stack = vec![json];
    while let Some(json) = stack.pop() {
        match json {
            serde_json::Value::Array(items) => stack.extend(items),
            serde_json::Value::Object(map) => stack.extend(map.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

/// A `Value` of `depth` nested lists and objects, built in code.
pub fn deep_value(depth: usize) -> Value {
    let mut value = Value::from(1);
    for level in 0..depth {
        value = if level % 2 == 0 {
            Value::List(std::iter::once(value).collect())
        } else {
            Value::Object(optimist::Entity::new().with("inner", value))
        };
    }
    value
}
