//! A component tree over a real store renders, and a layer pushed then failed re-renders
//! exactly the components that show what it changed, each once per step.
//!
//! The tree: a list (the `todos` query, rendering its rows' ids through a memo), one row per
//! todo (its entity's `title` and `done`), and a "saving" indicator (`use_is_mutating`).

mod common;

use std::collections::BTreeMap;

use common::{Renders, client, mount, run, settle};
use leptos::prelude::*;
use optimist::{Instant, Patch, QueryKey, QueryOptions, Value};
use optimist_leptos::{provide_client, use_entity_fields, use_is_mutating, use_query};

fn todos() -> QueryKey {
    QueryKey::rest("GET /todos", "todos")
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// Mounts the list, one row per given key and the indicator; the components live as long as
/// the owners returned.
fn mount_tree(renders: &Renders, rows: &[&str]) -> Vec<Owner> {
    let mut mounted = Vec::new();
    let (list, ()) = mount(|| {
        let list = use_query(todos(), QueryOptions::new());
        // Which rows, not what they show: the list re-renders when rows come or go.
        let ids = Memo::new(move |_| {
            list.data.with(|data| {
                data.as_deref()
                    .and_then(|data| data.as_array())
                    .map(|rows| rows.iter().map(|row| row["id"].to_string()).collect())
                    .unwrap_or_else(Vec::<String>::new)
            })
        });
        renders.component("list", move || {
            if list.is_loading.get() {
                return "<ul>loading</ul>".into();
            }
            format!("<ul>{}</ul>", ids.get().join(","))
        });
    });
    mounted.push(list);
    for key in rows {
        let key = key.to_string();
        let (row, ()) = mount(|| {
            let todo = use_entity_fields(key.as_str(), ["title", "done"]).unwrap();
            renders.component(&format!("row {key}"), move || {
                todo.with(|todo| match todo {
                    None => "<li>(none)</li>".into(),
                    Some(todo) => format!(
                        "<li>[{}] {}</li>",
                        if todo.get("done").and_then(Value::as_bool) == Some(true) {
                            "x"
                        } else {
                            " "
                        },
                        todo.get("title")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                    ),
                })
            });
        });
        mounted.push(row);
    }
    let (saving, ()) = mount(|| {
        let saving = use_is_mutating();
        renders.component("saving", move || {
            if saving.get() { "saving…" } else { "saved" }.into()
        });
    });
    mounted.push(saving);
    mounted
}

#[test]
fn a_push_then_its_failure_rerender_exactly_the_affected_components() {
    run(|| async {
        let client = client();
        let renders = Renders::default();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        let _tree = mount_tree(&renders, &["Todo:1", "Todo:2"]);
        settle().await;
        assert_eq!(
            renders.counts(),
            counts(&[
                ("list", 1),
                ("row Todo:1", 1),
                ("row Todo:2", 1),
                ("saving", 1)
            ])
        );
        assert_eq!(renders.of("list"), ["<ul>loading</ul>"]);
        assert_eq!(renders.of("row Todo:1"), ["<li>(none)</li>"]);

        // The list's answer: the list shows the ids, each row its todo.
        let now = Instant::now();
        let fetch = client.lock().unwrap().next_fetch(now).unwrap();
        let answer = r#"[{"id": 1, "title": "Buy milk", "done": false},
                         {"id": 2, "title": "Walk dog", "done": false}]"#;
        client
            .lock()
            .unwrap()
            .resolve(fetch.id, answer, now)
            .unwrap();
        settle().await;
        assert_eq!(
            renders.counts(),
            counts(&[
                ("list", 2),
                ("row Todo:1", 2),
                ("row Todo:2", 2),
                ("saving", 1)
            ])
        );
        assert_eq!(renders.of("list")[1], "<ul>1,2</ul>");
        assert_eq!(renders.of("row Todo:1")[1], "<li>[ ] Buy milk</li>");

        // A guess on Todo:1: its row and the indicator, nothing else.
        let (tick, _) = client
            .lock()
            .unwrap()
            .store_mut()
            .push("tick", Patch::new().set("Todo:1", "done", true))
            .unwrap();
        settle().await;
        assert_eq!(
            renders.counts(),
            counts(&[
                ("list", 2),
                ("row Todo:1", 3),
                ("row Todo:2", 2),
                ("saving", 2)
            ])
        );
        assert_eq!(renders.of("row Todo:1")[2], "<li>[x] Buy milk</li>");
        assert_eq!(renders.of("saving"), ["saved", "saving…"]);

        // Its failure: the same two again, back to what they showed.
        client.lock().unwrap().store_mut().fail(tick).unwrap();
        settle().await;
        assert_eq!(
            renders.counts(),
            counts(&[
                ("list", 2),
                ("row Todo:1", 4),
                ("row Todo:2", 2),
                ("saving", 3)
            ])
        );
        let row: Vec<bool> = renders
            .of("row Todo:1")
            .iter()
            .skip(1)
            .map(|html| html.contains("[x]"))
            .collect();
        assert_eq!(row, [false, true, false]);
        assert_eq!(renders.of("saving"), ["saved", "saving…", "saved"]);

        // A write to a field no component shows re-renders nothing.
        client
            .lock()
            .unwrap()
            .store_mut()
            .write(Patch::new().set("Todo:2", "notes", "leash"))
            .unwrap();
        settle().await;
        assert_eq!(
            renders.counts(),
            counts(&[
                ("list", 2),
                ("row Todo:1", 4),
                ("row Todo:2", 2),
                ("saving", 3)
            ])
        );
        root.cleanup();
    });
}

#[test]
fn a_new_row_rerenders_the_list_and_only_it() {
    run(|| async {
        let client = client();
        let renders = Renders::default();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        let _tree = mount_tree(&renders, &["Todo:1"]);
        settle().await;
        let now = Instant::now();
        let fetch = client.lock().unwrap().next_fetch(now).unwrap();
        let answer = r#"[{"id": 1, "title": "Buy milk", "done": false}]"#;
        client
            .lock()
            .unwrap()
            .resolve(fetch.id, answer, now)
            .unwrap();
        settle().await;
        let before = renders.counts();
        assert_eq!(
            before,
            counts(&[("list", 2), ("row Todo:1", 2), ("saving", 1)])
        );

        // A create's guess appends a row to the list: the list and the indicator re-render.
        let create = Patch::new()
            .set("Todo:9", "id", 9)
            .set("Todo:9", "title", "New")
            .set("Todo:9", "done", false)
            .insert(
                "ROOT_QUERY",
                "todos",
                optimist::Key::new("Todo:9").unwrap(),
                optimist::ListPosition::End,
            );
        let (id, _) = client
            .lock()
            .unwrap()
            .store_mut()
            .push("create", create)
            .unwrap();
        settle().await;
        assert_eq!(
            renders.counts(),
            counts(&[("list", 3), ("row Todo:1", 2), ("saving", 2)])
        );
        assert_eq!(renders.of("list")[2], "<ul>1,9</ul>");

        // Confirmed as guessed: the indicator only (the view did not change).
        client.lock().unwrap().store_mut().promote(id).unwrap();
        settle().await;
        assert_eq!(
            renders.counts(),
            counts(&[("list", 3), ("row Todo:1", 2), ("saving", 3)])
        );
        root.cleanup();
    });
}
