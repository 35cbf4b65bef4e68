//! A todo app's cache, end to end: GraphQL responses are normalized into the store, the list is
//! read back into plain Rust structs, and three mutations are in flight: one succeeds, one
//! fails and is taken back exactly, and one is answered out of order after a refetch that left
//! before it. The view is printed after every step.
//!
//! Run with `cargo run --example optimistic_todos`.

use optimist::{Document, Key, ListPosition, Patch, Store, normalize_query};
use serde::Deserialize;
use serde_json::{Value as Json, json};

const TODOS: &str = "query Todos { todos { id title done } }";
const TOGGLE: &str = "mutation Toggle($id: ID!) { toggleTodo(id: $id) { id done } }";
const ADD: &str = "mutation Add($title: String!) { addTodo(title: $title) { id title done } }";

#[derive(Debug, Deserialize)]
struct TodoList {
    todos: Vec<Todo>,
}

#[derive(Debug, Deserialize)]
struct Todo {
    id: String,
    title: String,
    done: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (todos, toggle, add) = (
        Document::parse(TODOS)?,
        Document::parse(TOGGLE)?,
        Document::parse(ADD)?,
    );
    let mut store = Store::new();
    let none = Json::Null;

    // The first query's answer, as the server sent it.
    let response = json!({"todos": [
        {"__typename": "Todo", "id": "1", "title": "Buy milk", "done": false},
        {"__typename": "Todo", "id": "2", "title": "Walk the dog", "done": false},
        {"__typename": "Todo", "id": "3", "title": "File taxes", "done": false},
    ]});
    store.write(normalize_query(store.policies(), &todos, &none, &response)?)?;
    show(&store, &todos, "initial query answer, normalized");

    // 1. Tick "Buy milk": the optimistic response is visible at once; the server agrees.
    let vars = json!({"id": "1"});
    let guess = json!({"toggleTodo": {"__typename": "Todo", "id": "1", "done": true}});
    let (tick, changes) = store.push(
        "toggle Todo:1",
        normalize_query(store.policies(), &toggle, &vars, &guess)?,
    )?;
    show(
        &store,
        &todos,
        &format!("toggle pushed (changed {:?})", changes.keys()),
    );
    let answer = json!({"toggleTodo": {"__typename": "Todo", "id": "1", "done": true}});
    store.confirm(
        tick,
        normalize_query(store.policies(), &toggle, &vars, &answer)?,
    )?;
    show(&store, &todos, "toggle confirmed by the server");

    // 2. Delete "Walk the dog": gone at once; the server refuses, and it comes back exactly,
    //    with the edit the server pushed meanwhile.
    let todo2 = Key::new("Todo:2")?;
    let (delete, _) = store.push(
        "delete Todo:2",
        Patch::new()
            .remove_item("ROOT_QUERY", "todos", &todo2)
            .delete(&todo2),
    )?;
    show(&store, &todos, "delete pushed");
    store.write(Patch::new().set(&todo2, "title", "Walk the dog (twice)"))?;
    show(
        &store,
        &todos,
        "a server push edits Todo:2 under the pending delete",
    );
    let changes = store.fail(delete)?;
    show(
        &store,
        &todos,
        &format!("delete failed, taken back (changed {:?})", changes.keys()),
    );

    // 3. A refetch leaves; then the user adds a todo under a temporary id. The add is answered
    //    first; the refetch's answer, computed before the add, arrives last and must not hide it.
    let refetch = store.reserve("refetch todos");
    let vars = json!({"title": "Call mum"});
    let temp = Key::new("Todo:tmp-1")?;
    let guess = json!({"addTodo": {"__typename": "Todo", "id": "tmp-1", "title": "Call mum", "done": false}});
    let optimistic = normalize_query(store.policies(), &add, &vars, &guess)?.insert(
        "ROOT_QUERY",
        "todos",
        &temp,
        ListPosition::End,
    );
    let (adding, _) = store.push("add todo", optimistic)?;
    show(&store, &todos, "add pushed while the refetch is in flight");

    let answer =
        json!({"addTodo": {"__typename": "Todo", "id": "4", "title": "Call mum", "done": false}});
    let confirmed = normalize_query(store.policies(), &add, &vars, &answer)?.insert(
        "ROOT_QUERY",
        "todos",
        Key::new("Todo:4")?,
        ListPosition::End,
    );
    store.confirm(adding, confirmed)?;
    show(
        &store,
        &todos,
        "add confirmed as Todo:4 (it waits in request order for the refetch)",
    );

    let stale = json!({"todos": [
        {"__typename": "Todo", "id": "1", "title": "Buy milk", "done": true},
        {"__typename": "Todo", "id": "2", "title": "Walk the dog (twice)", "done": false},
        {"__typename": "Todo", "id": "3", "title": "File taxes by Friday", "done": false},
    ]});
    store.confirm(
        refetch,
        normalize_query(store.policies(), &todos, &none, &stale)?,
    )?;
    show(
        &store,
        &todos,
        "the stale refetch lands under the add: Todo:4 stays, Todo:3's new title lands",
    );

    store.check_invariants()?;
    Ok(())
}

/// Reads the list through the merged view into plain structs and prints it, marking what no
/// answer has confirmed yet.
fn show(store: &Store, todos: &Document, step: &str) {
    println!("== {step}");
    let list: TodoList = match store.read_query_as(todos, &Json::Null) {
        Ok(list) => list,
        Err(error) => {
            println!("   (cannot read the list: {error})");
            return;
        }
    };
    for todo in &list.todos {
        let key = format!("Todo:{}", todo.id);
        let pending: Vec<String> = store
            .layers_touching(&key)
            .map(|id| id.to_string())
            .collect();
        let mark = if todo.done { "x" } else { " " };
        let pending = if pending.is_empty() {
            String::new()
        } else {
            format!("  (pending: {})", pending.join(", "))
        };
        println!("   [{mark}] {key:<11} {}{pending}", todo.title);
    }
    let layers: Vec<String> = store
        .layers()
        .map(|l| format!("{} {:?} {:?}", l.id(), l.label(), l.state()))
        .collect();
    println!(
        "   layers: {}",
        if layers.is_empty() {
            "none".to_owned()
        } else {
            layers.join(" | ")
        }
    );
}
