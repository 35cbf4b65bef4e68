//! The todo screen, written with optimist-dioxus: what a Dioxus app over `todo_client` writes.
//!
//! * `Header`: whether anything is being saved (`use_is_mutating`), and where the list's
//!   query stands (`use_query`: loading, refreshing, its error).
//! * `NewTodo`: the add form (`use_mutation` over `todo_client::mutations::create`), with the
//!   create's status, and its failure until dismissed.
//! * `TodoList`: the rows in the list's order (`use_entity` of `ROOT_QUERY`: it re-renders
//!   when rows come, go or move, not when one changes), and the delete's status and failure.
//! * `Row`: one todo (`use_entity`), its tick and rename (`use_mutation` each) with their
//!   statuses and failures until dismissed, its delete button.
//!
//! Each component counts its renders ([`Renders`]), and hands its mutation handles to
//! [`Actions`]: what its buttons' `onclick` call, for the flows to call the same way (no
//! browser here to click).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use dioxus::prelude::*;
use optimist::{Key, LayerId, MutationStatus, Store, Value};
use optimist_dioxus::{
    MutateError, UseMutation, use_entity, use_is_mutating, use_mutation, use_query,
};
use todo_client::{list_options, list_query, mutations, status_text};

/// The components that rendered, in order (a root context).
#[derive(Clone, Default)]
pub struct Renders(Rc<RefCell<Vec<String>>>);

impl Renders {
    /// The renders since the last call.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

fn rendered(name: String) {
    consume_context::<Renders>().0.borrow_mut().push(name);
}

type Create = UseMutation<String, String>;
type Delete = UseMutation<Key>;
type Tick = UseMutation<(Key, bool)>;
type Rename = UseMutation<(Key, String)>;

/// The mounted components' mutation handles: what their buttons call (a root context).
#[derive(Clone, Default)]
pub struct Actions(Rc<RefCell<Handles>>);

#[derive(Default)]
struct Handles {
    create: Option<Create>,
    delete: Option<Delete>,
    rows: HashMap<String, (Tick, Rename)>,
}

/// A mutation the screen could not make.
pub type ActionError = String;

impl Actions {
    /// The add form's button.
    pub fn create(&self, title: &str) -> Result<LayerId, ActionError> {
        let create = self.0.borrow().create.ok_or("no add form")?;
        create.mutate(title.to_owned()).map_err(|e| e.to_string())
    }

    /// A row's checkbox.
    pub fn tick(&self, key: &Key, done: bool) -> Result<LayerId, ActionError> {
        let (tick, _) = self.row(key)?;
        tick.mutate((key.clone(), done)).map_err(|e| e.to_string())
    }

    /// A row's rename field.
    pub fn rename(&self, key: &Key, title: &str) -> Result<LayerId, ActionError> {
        let (_, rename) = self.row(key)?;
        rename
            .mutate((key.clone(), title.to_owned()))
            .map_err(|e| e.to_string())
    }

    /// A row's delete button.
    pub fn delete(&self, key: &Key) -> Result<LayerId, ActionError> {
        self.row(key)?;
        let delete = self.0.borrow().delete.ok_or("no list")?;
        delete.mutate(key.clone()).map_err(|e| e.to_string())
    }

    /// Every "dismiss" button shown (a handle with an error): how many were clicked.
    pub fn dismiss_all(&self) -> usize {
        fn click<I, E: Clone + Send + Sync + 'static>(mutation: UseMutation<I, E>) -> usize {
            usize::from(mutation.error.peek().is_some() && mutation.dismiss())
        }
        let handles = self.0.borrow();
        let mut dismissed = handles.create.map_or(0, click) + handles.delete.map_or(0, click);
        for (tick, rename) in handles.rows.values() {
            dismissed += click(*tick) + click(*rename);
        }
        dismissed
    }

    fn row(&self, key: &Key) -> Result<(Tick, Rename), ActionError> {
        self.0
            .borrow()
            .rows
            .get(key.as_str())
            .copied()
            .ok_or_else(|| format!("no row {key} on the screen"))
    }
}

/// The screen.
#[component]
pub fn App() -> Element {
    rendered("App".into());
    rsx! {
        Header {}
        NewTodo {}
        TodoList {}
    }
}

#[component]
fn Header() -> Element {
    rendered("Header".into());
    let saving = use_is_mutating();
    let list = use_query(list_query(), list_options());
    let fetch = if (list.is_loading)() {
        "loading"
    } else if (list.is_fetching)() {
        "refreshing"
    } else {
        "up to date"
    };
    let error = list.error.read().as_ref().map(ToString::to_string);
    rsx! {
        header {
            p { class: "saving", if saving() { "saving…" } else { "all saved" } }
            p { class: "list", "list: {fetch}" }
            if let Some(error) = error {
                p { class: "error", "the list could not be loaded: {error}" }
            }
        }
    }
}

#[component]
fn NewTodo() -> Element {
    rendered("NewTodo".into());
    let create: Create = use_mutation(|store: &mut Store, title: String| {
        mutations::create(store, &title)
            .map(|(_tmp, mutation)| mutation)
            .map_err(|error| error.to_string())
    });
    consume_context::<Actions>().0.borrow_mut().create = Some(create);
    let mut title = use_signal(String::new);
    rsx! {
        form {
            onsubmit: move |_| {
                let _ = create.mutate(title.take());
            },
            input { value: "{title}", oninput: move |event| title.set(event.value()) }
            button { "Add" }
            {status("add", create)}
        }
    }
}

#[component]
fn TodoList() -> Element {
    rendered("TodoList".into());
    let root = use_entity(Key::root_query());
    let keys: Vec<String> = root
        .read()
        .as_ref()
        .and_then(|root| root.get("todos")?.as_list())
        .map(|list| {
            list.iter()
                .filter_map(Value::as_ref_key)
                .map(ToString::to_string)
                .collect()
        })
        .unwrap_or_default();
    let delete: Delete = use_mutation(|_: &mut Store, key: Key| mutations::delete(&key));
    consume_context::<Actions>().0.borrow_mut().delete = Some(delete);
    rsx! {
        p { class: "count", "{keys.len()} todos" }
        ul {
            for id in keys {
                Row { key: "{id}", id: id.clone(), delete }
            }
        }
        {status("delete", delete)}
    }
}

#[component]
fn Row(id: String, delete: Delete) -> Element {
    rendered(format!("Row {id}"));
    let todo = use_entity(id.as_str());
    let tick: Tick =
        use_mutation(|_: &mut Store, (key, done): (Key, bool)| mutations::set_done(&key, done));
    let rename: Rename =
        use_mutation(|_: &mut Store, (key, title): (Key, String)| mutations::rename(&key, &title));
    let actions = consume_context::<Actions>();
    actions
        .0
        .borrow_mut()
        .rows
        .insert(id.clone(), (tick, rename));
    let unmounted = id.clone();
    use_drop(move || {
        actions.0.borrow_mut().rows.remove(&unmounted);
    });
    let key = Key::new(&id)?;
    let (title, done) = todo.read().as_ref().map_or((String::new(), false), |todo| {
        let title = todo
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let done = todo.get("done").and_then(Value::as_bool) == Some(true);
        (title.to_owned(), done)
    });
    let (tick_key, delete_key) = (key.clone(), key.clone());
    rsx! {
        li { id: "{id}",
            input {
                r#type: "checkbox",
                checked: done,
                onclick: move |_| {
                    let _ = tick.mutate((tick_key.clone(), !done));
                },
            }
            span { class: "title", "{title}" }
            button {
                onclick: move |_| {
                    let _ = delete.mutate(delete_key.clone());
                },
                "Delete"
            }
            {status("tick", tick)}
            {status("rename", rename)}
        }
    }
}

/// A mutation handle's line: its status while it has one, and its failure with a dismiss
/// button until dismissed.
fn status<I: 'static, E: Clone + Send + Sync + std::fmt::Display + 'static>(
    name: &'static str,
    mutation: UseMutation<I, E>,
) -> Element {
    let status = mutation.status.read().clone();
    let error = mutation.error.read().clone();
    match (status, error) {
        (_, Some(error)) => {
            let kind = match error {
                MutateError::Failed(_) => "failed",
                MutateError::Build(_) | MutateError::Refused(_) => "refused",
            };
            rsx! {
                p { class: "error",
                    "{name} {kind}: {error} "
                    button {
                        onclick: move |_| {
                            mutation.dismiss();
                        },
                        "dismiss"
                    }
                }
            }
        }
        (Some(MutationStatus::Committed), None) | (None, None) => rsx! {},
        (Some(status), None) => rsx! {
            p { class: "status", "{name}: {status_text(&status)}" }
        },
    }
}
