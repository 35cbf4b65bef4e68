//! The todo screen written with optimist-leptos: a header (saving indicator, the list's
//! fetch), a new-todo form, the list (keyed rows, as `<For>` keys them), one component per row
//! (its title and checkbox, its toggle and rename), and the errors shown until dismissed.
//!
//! In a browser these are `#[component]`s mounted into the DOM, and the `move ||` closures of
//! their `view!`s re-run when their signals change. Natively there is no DOM: each component
//! renders its `view!` to HTML from an effect (the same re-run rule), and the screen puts the
//! fragments together. The buttons a user would click are the handles the flows call
//! ([`Screen::add`], [`Screen::toggle`], ...), the same calls an `on:click` makes.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use leptos::prelude::*;
use optimist::{Key, MutationStatus, Store, Value};
use optimist_leptos::{
    UseMutation, provide_threaded_client, use_entity_fields, use_is_mutating, use_mutation,
    use_query,
};
use todo_client::{list_options, list_query, mutations, status_text};

type Infallible = std::convert::Infallible;

/// A row's buttons.
#[derive(Clone, Copy)]
struct RowActions {
    toggle: UseMutation<bool, Infallible>,
    rename: UseMutation<String, Infallible>,
}

/// What the components rendered: each one's latest HTML, and every render in order.
#[derive(Clone, Default)]
struct Rendered {
    html: Arc<Mutex<BTreeMap<String, String>>>,
    log: Arc<Mutex<Vec<String>>>,
    /// The list's rows, in order (the keys the list component rendered).
    order: Arc<Mutex<Vec<String>>>,
    rows: Arc<Mutex<HashMap<String, RowActions>>>,
}

impl Rendered {
    /// Renders the component `name` from an effect: now (at the next tick) and whenever a
    /// signal its view read changed.
    fn component<V: RenderHtml + 'static>(&self, name: String, view: impl Fn() -> V + 'static) {
        let rendered = self.clone();
        Effect::new(move |_| {
            let html = view().to_html();
            lock(&rendered.log).push(name.clone());
            lock(&rendered.html).insert(name.clone(), html);
        });
    }
}

/// The mounted screen.
pub struct Screen {
    root: Owner,
    rendered: Rendered,
    add: UseMutation<String, optimist::KeyError>,
    delete: UseMutation<Key, Infallible>,
}

impl Screen {
    /// Mounts the screen over the app's shared client, on this thread (a `LocalSet`'s): the
    /// client's driver runs on other threads, and what it tells the hooks is handed to this
    /// one ([`provide_threaded_client`]).
    pub fn mount(client: Arc<Mutex<optimist::Client>>) -> Screen {
        let root = Owner::new();
        let rendered = Rendered::default();
        let (add, delete) = root.with(|| {
            provide_threaded_client(client);
            header(&rendered);
            let add = new_todo(&rendered);
            let delete = use_mutation(|_: &mut Store, key: Key| mutations::delete(&key));
            list(&rendered);
            errors(&rendered, add, delete);
            (add, delete)
        });
        Screen {
            root,
            rendered,
            add,
            delete,
        }
    }

    /// The page as it is now.
    pub fn html(&self) -> String {
        let html = lock(&self.rendered.html);
        let part = |name: &str| html.get(name).cloned().unwrap_or_default();
        let rows: String = lock(&self.rendered.order)
            .iter()
            .map(|key| part(&format!("row {key}")) + "\n")
            .collect();
        format!(
            "{}\n{}\n<ul>\n{rows}</ul>\n{}",
            part("header"),
            part("new todo"),
            part("errors")
        )
    }

    /// The components rendered since the last call, in order.
    pub fn take_renders(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.rendered.log))
    }

    /// The rows shown, in order (their keys).
    pub fn keys(&self) -> Vec<String> {
        lock(&self.rendered.order).clone()
    }

    /// Types `title` into the new-todo field and presses enter.
    pub fn add(&self, title: &str) -> Result<(), String> {
        self.add
            .mutate(title.to_owned())
            .map(|_| ())
            .map_err(|error| error.to_string())
    }

    /// Clicks a row's checkbox.
    pub fn toggle(&self, key: &str, done: bool) -> Result<(), String> {
        let row = self.row(key)?;
        row.toggle
            .mutate(done)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Edits a row's title.
    pub fn rename(&self, key: &str, title: &str) -> Result<(), String> {
        let row = self.row(key)?;
        row.rename
            .mutate(title.to_owned())
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Clicks a row's delete button.
    pub fn delete(&self, key: &str) -> Result<(), String> {
        let key = Key::new(key).map_err(|e| e.to_string())?;
        self.delete
            .mutate(key)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Closes the errors shown (the dismiss buttons): the create's, the delete's, the rows'.
    /// Returns how many were closed.
    pub fn dismiss(&self) -> usize {
        fn close<I, E: Clone + Send + Sync>(handle: UseMutation<I, E>) -> usize {
            usize::from(handle.error.get_untracked().is_some() && handle.dismiss())
        }
        let mut closed = close(self.add) + close(self.delete);
        let rows: Vec<RowActions> = lock(&self.rendered.rows).values().copied().collect();
        for row in rows {
            closed += close(row.toggle) + close(row.rename);
        }
        closed
    }

    fn row(&self, key: &str) -> Result<RowActions, String> {
        lock(&self.rendered.rows)
            .get(key)
            .copied()
            .ok_or_else(|| format!("no row {key} on the screen"))
    }

    /// Unmounts the screen: every observer and watcher goes.
    pub fn unmount(self) {
        self.root.cleanup();
    }
}

/// The header: whether anything is saving, whether the list is being fetched.
fn header(rendered: &Rendered) {
    let saving = use_is_mutating();
    let todos = use_query(list_query(), list_options());
    rendered.component("header".into(), move || {
        let status = match (saving.get(), todos.is_fetching.get()) {
            (true, _) => "saving…",
            (false, true) => "syncing…",
            (false, false) => "all saved",
        };
        view! { <header><h1>"todos"</h1><span class="status">{status}</span></header> }
    });
}

/// The new-todo form: its mutation makes the create (a temporary key, the guess at the end of
/// the list); its status shows next to the field.
fn new_todo(rendered: &Rendered) -> UseMutation<String, optimist::KeyError> {
    let add = use_mutation(|store: &mut Store, title: String| {
        mutations::create(store, &title).map(|(_, mutation)| mutation)
    });
    rendered.component("new todo".into(), move || {
        let status = add.status.get().filter(MutationStatus::is_pending);
        view! {
            <form><input placeholder="What needs doing?"/>
            {status.map(|status| view! { <span class="status">{status_text(&status)}</span> })}
            </form>
        }
    });
    add
}

/// The list: the `todos` refs of `ROOT_QUERY` (a pending create's temporary key included), a
/// row mounted per key and unmounted when its key leaves, as `<For key=..>` does.
fn list(rendered: &Rendered) {
    let root = use_entity_fields("ROOT_QUERY", ["todos"]).expect("ROOT_QUERY is a key");
    let keys = Memo::new(move |_| {
        root.with(|root| {
            root.as_ref()
                .and_then(|root| root.get("todos"))
                .and_then(Value::as_list)
                .map(|list| {
                    list.iter()
                        .filter_map(Value::as_ref_key)
                        .map(Key::to_string)
                        .collect()
                })
                .unwrap_or_else(Vec::<String>::new)
        })
    });
    let rendered = rendered.clone();
    let list_owner = Owner::current().expect("mounted under the screen");
    let mounted: Arc<Mutex<HashMap<String, Owner>>> = Arc::default();
    Effect::new(move |_| {
        let keys = keys.get();
        let mut rows = lock(&mounted);
        rows.retain(|key, owner| {
            let keep = keys.contains(key);
            if !keep {
                owner.cleanup();
            }
            keep
        });
        for key in &keys {
            if !rows.contains_key(key) {
                let owner = list_owner.child();
                owner.with(|| row(&rendered, key.clone()));
                rows.insert(key.clone(), owner);
            }
        }
        lock(&rendered.log).push(format!("list ({} rows)", keys.len()));
        *lock(&rendered.order) = keys;
    });
}

/// One row: its title and checkbox (only those fields watched), its toggle and rename, and
/// the status of the latest of them while it is pending or failed.
fn row(rendered: &Rendered, key: String) {
    let todo = use_entity_fields(key.as_str(), ["title", "done"]).expect("a listed key");
    let entity = Key::new(&key).expect("a listed key");
    let toggle = {
        let key = entity.clone();
        use_mutation(move |_: &mut Store, done: bool| mutations::set_done(&key, done))
    };
    let rename = {
        let key = entity.clone();
        use_mutation(move |_: &mut Store, title: String| mutations::rename(&key, &title))
    };
    lock(&rendered.rows).insert(key.clone(), RowActions { toggle, rename });
    {
        let rows = rendered.rows.clone();
        let key = key.clone();
        on_cleanup(move || {
            lock(&rows).remove(&key);
        });
    }
    let name = format!("row {key}");
    rendered.component(name, move || {
        let (title, done) = todo.with(|todo| {
            let todo = todo.as_ref();
            let field = |name| todo.and_then(|t| t.get(name));
            (
                field("title").and_then(Value::as_str).unwrap_or_default().to_owned(),
                field("done").and_then(Value::as_bool).unwrap_or_default(),
            )
        });
        let status = [rename.status.get(), toggle.status.get()]
            .into_iter()
            .flatten()
            .find(|status| status.is_pending() || matches!(status, MutationStatus::Failed(_)));
        let key = key.clone();
        view! {
            <li data-key=key class:done=done>
                <input type="checkbox" checked=done/>" "{title}
                {status.map(|status| view! { " "<span class="status">{status_text(&status)}</span> })}
            </li>
        }
    });
}

/// The errors of the create and the delete, shown until dismissed (a row shows its own).
fn errors(
    rendered: &Rendered,
    add: UseMutation<String, optimist::KeyError>,
    delete: UseMutation<Key, Infallible>,
) {
    rendered.component("errors".into(), move || {
        let shown: Vec<String> = [
            add.error.get().map(|error| error.to_string()),
            delete.error.get().map(|error| error.to_string()),
        ]
        .into_iter()
        .flatten()
        .collect();
        view! {
            <div class="errors">
                {shown.into_iter().map(|error| view! { <p class="error">{error}" "<button>"dismiss"</button></p> }).collect_view()}
            </div>
        }
    });
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
