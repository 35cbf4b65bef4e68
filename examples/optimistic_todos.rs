//! A todo list with three mutations in flight: one succeeds, one fails, and one is answered
//! out of order after a refetch that left before it. The view is printed after every step.
//!
//! Run with `cargo run --example optimistic_todos`.

use optimist::{Entity, Key, ListPosition, Patch, Store, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut store = Store::new();

    // The first query's answer: three todos, already normalized.
    let mut patch = Patch::new();
    let mut list = Vec::new();
    for (id, title) in [(1, "Buy milk"), (2, "Walk the dog"), (3, "File taxes")] {
        let key = Key::entity("Todo", &id.to_string())?;
        patch = patch.write(&key, Entity::new().with("title", title).with("done", false));
        list.push(Value::Ref(key));
    }
    store.write(patch.set("ROOT_QUERY", "todos", Value::from(list)))?;
    show(&store, "initial server data");

    // 1. Tick "Buy milk": visible at once; the server says yes.
    let (tick, changes) = store.push("tick Todo:1", Patch::new().set("Todo:1", "done", true))?;
    show(
        &store,
        &format!("tick Todo:1 pushed (changed {:?})", changes.keys()),
    );
    store.promote(tick)?;
    show(&store, "tick Todo:1 confirmed");

    // 2. Delete "Walk the dog": gone at once; the server says no, it comes back exactly.
    let todo2 = Key::new("Todo:2")?;
    let (delete, _) = store.push(
        "delete Todo:2",
        Patch::new()
            .remove_item("ROOT_QUERY", "todos", &todo2)
            .delete(&todo2),
    )?;
    show(&store, "delete Todo:2 pushed");
    let changes = store.fail(delete)?;
    show(
        &store,
        &format!(
            "delete Todo:2 failed, reverted (changed {:?})",
            changes.keys()
        ),
    );

    // 3. A refetch leaves, then the user adds a todo; the add is answered first, the refetch's
    //    stale answer (computed before the add) arrives last and must not hide it.
    let refetch = store.reserve("refetch todos");
    let temp = Key::new("Todo:tmp-1")?;
    let (add, _) = store.push(
        "add todo",
        Patch::new()
            .write(
                &temp,
                Entity::new().with("title", "Call mum").with("done", false),
            )
            .insert("ROOT_QUERY", "todos", &temp, ListPosition::End),
    )?;
    show(&store, "add todo pushed (refetch still in flight)");
    let real = Key::new("Todo:4")?;
    store.confirm(
        add,
        Patch::new()
            .write(
                &real,
                Entity::new().with("title", "Call mum").with("done", false),
            )
            .insert("ROOT_QUERY", "todos", &real, ListPosition::End),
    )?;
    show(
        &store,
        "add todo confirmed by the server as Todo:4 (waits for the refetch below it)",
    );
    store.confirm(
        refetch,
        Patch::new()
            .set("Todo:3", "title", "File taxes (by Friday)")
            .set(
                "ROOT_QUERY",
                "todos",
                Value::from(vec![
                    Key::new("Todo:1")?,
                    Key::new("Todo:2")?,
                    Key::new("Todo:3")?,
                ]),
            ),
    )?;
    show(
        &store,
        "stale refetch answered last: lands under the add, which stays",
    );

    store.check_invariants()?;
    Ok(())
}

/// Prints the todo list as the merged view shows it, marking what is not yet confirmed.
fn show(store: &Store, step: &str) {
    println!("== {step}");
    let todos = store
        .get_field("ROOT_QUERY", "todos")
        .and_then(Value::as_list);
    for key in todos.into_iter().flatten().filter_map(Value::as_ref_key) {
        let Some(todo) = store.get(key) else { continue };
        let title = todo.get("title").and_then(Value::as_str).unwrap_or("?");
        let done = todo.get("done").and_then(Value::as_bool).unwrap_or(false);
        let pending: Vec<String> = store
            .layers_touching(key)
            .map(|id| id.to_string())
            .collect();
        let mark = if done { "x" } else { " " };
        let pending = if pending.is_empty() {
            String::new()
        } else {
            format!("  (pending: {})", pending.join(", "))
        };
        println!("  [{mark}] {key:<11} {title}{pending}");
    }
    let layers: Vec<String> = store
        .layers()
        .map(|l| format!("{} {:?} {:?}", l.id(), l.label(), l.state()))
        .collect();
    println!(
        "  layers: {}",
        if layers.is_empty() {
            "none".to_owned()
        } else {
            layers.join(" | ")
        }
    );
}
