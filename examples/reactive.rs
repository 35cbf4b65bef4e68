//! Driving a reactive UI from watchers: each row of a todo list is a component with a signal
//! fed by a query watcher, the list is one more, and a status bar follows layer events.
//! Only the components whose data changed re-render.
//!
//! The signal graph here is a minimal one of the same shape as Leptos' `reactive_graph`
//! (`ArcRwSignal` + `Effect`) or Dioxus signals: a signal holds a value, setting it runs the
//! effects subscribed to it. It is written out (about 40 lines) instead of depending on a UI
//! framework, so the example builds in seconds and shows exactly what the store gives a
//! framework: in Leptos, the watcher's callback would call `signal.set(result)` on an
//! `ArcRwSignal`, or `trigger.notify()` on an `ArcTrigger` and let the component re-read.
//!
//! Run it with `cargo run --example reactive`.

use std::sync::{Arc, Mutex};

use optimist::{Document, Key, Patch, Store, Value};
use serde_json::json;

/// An effect: runs with the signal's value whenever it is set.
type Effect<T> = Box<dyn Fn(&T) + Send>;

/// A value with effects that run whenever it is set.
struct Signal<T> {
    value: Mutex<T>,
    effects: Mutex<Vec<Effect<T>>>,
}

impl<T> Signal<T> {
    fn new(value: T) -> Arc<Signal<T>> {
        Arc::new(Signal {
            value: Mutex::new(value),
            effects: Mutex::new(Vec::new()),
        })
    }

    fn set(&self, value: T) {
        let mut slot = self.value.lock().unwrap();
        *slot = value;
        for effect in self.effects.lock().unwrap().iter() {
            effect(&slot);
        }
    }

    /// Subscribes an effect and runs it once on the current value (a component's first render).
    fn effect(&self, effect: impl Fn(&T) + Send + 'static) {
        effect(&self.value.lock().unwrap());
        self.effects.lock().unwrap().push(Box::new(effect));
    }
}

/// Renders are counted per component, so the example can show who re-rendered.
type Renders = Arc<Mutex<Vec<String>>>;

fn render(renders: &Renders, component: &str, text: String) {
    println!("   render {component:<8} {text}");
    renders.lock().unwrap().push(component.to_owned());
}

/// Which components re-rendered since the last call.
fn rendered(renders: &Renders) -> Vec<String> {
    let rendered = std::mem::take(&mut *renders.lock().unwrap());
    println!("   re-rendered: {rendered:?}");
    rendered
}

/// A row's view of a todo.
fn row_view(entity: Option<&optimist::Entity>) -> serde_json::Value {
    let field = |name| entity.and_then(|e| e.get(name)).map(Value::to_json);
    json!({"title": field("title"), "done": field("done")})
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut store = Store::new();
    let todo = |id: u32| Key::new(&format!("Todo:{id}"));
    let mut seed = Patch::new().set(
        "ROOT_QUERY",
        "todos",
        vec![
            Value::Ref(todo(1)?),
            Value::Ref(todo(2)?),
            Value::Ref(todo(3)?),
        ],
    );
    for (id, title) in [(1, "Buy milk"), (2, "Call mum"), (3, "File taxes")] {
        seed = seed
            .set(todo(id)?, "__typename", "Todo")
            .set(todo(id)?, "id", id.to_string())
            .set(todo(id)?, "title", title)
            .set(todo(id)?, "done", false);
    }
    store.write(seed)?;
    let renders: Renders = Arc::default();

    println!("== first render");
    // The list component shows the ids in order; a row shows one todo.
    let list = Signal::new(store.read_query(&Document::parse("{ todos { id } }")?, &json!({}))?);
    let log = renders.clone();
    list.effect(move |ids| render(&log, "list", ids.to_string()));
    let sink = list.clone();
    store.watch_query(Document::parse("{ todos { id } }")?, json!({}), move |r| {
        sink.set(r.as_ref().map(|r| (**r).clone()).unwrap_or_default());
    });
    for id in 1..=3 {
        let key = todo(id)?;
        let row = Signal::new(row_view(store.get(key.as_str())));
        let log = renders.clone();
        let name = format!("row {id}");
        row.effect(move |todo| render(&log, &name, todo.to_string()));
        let sink = row.clone();
        store.watch_entity(key, move |entity| sink.set(row_view(entity)))?;
    }
    let status = Signal::new(String::from("idle"));
    let log = renders.clone();
    status.effect(move |text| render(&log, "status", text.clone()));
    let sink = status.clone();
    store.watch_layers(move |events| {
        let text: Vec<String> = events.iter().map(|(id, e)| format!("{id} {e:?}")).collect();
        sink.set(text.join(", "));
    });
    rendered(&renders);

    println!("== row 2 ticked (optimistic)");
    let (tick, _) = store.push("tick 2", Patch::new().set(todo(2)?, "done", true))?;
    assert_eq!(rendered(&renders), ["status", "row 2"]);

    println!("== the save failed: taken back");
    store.fail(tick)?;
    assert_eq!(rendered(&renders), ["status", "row 2"]);

    println!("== row 3 renamed; a refetch sent meanwhile answers with the old title");
    let (rename, _) = store.push(
        "rename 3",
        Patch::new().set(todo(3)?, "title", "File taxes by Friday"),
    )?;
    let refetch = store.reserve("refetch");
    store.confirm(refetch, Patch::new().set(todo(3)?, "title", "File taxes"))?;
    assert_eq!(
        rendered(&renders),
        // The status line follows the push, the reservation and its settling; row 3 is
        // rendered once, with the new title.
        ["status", "row 3", "status", "status"],
        "the stale title never shows"
    );

    println!("== the rename succeeded: only the status bar re-renders");
    store.promote(rename)?;
    assert_eq!(rendered(&renders), ["status"]);
    assert_eq!(store.layers().count(), 0);
    Ok(())
}
