//! Typed reads: `use_query_as::<T>` deserializes the query's data, `use_fragment::<T>` a
//! fragment on one entity; each component renders once per change of what it reads.

mod common;

use common::{Renders, client, mount, run, settle};
use leptos::prelude::*;
use optimist::{Document, Instant, Patch, QueryKey, QueryOptions, ReadError};
use optimist_leptos::{provide_client, use_fragment, use_query_as};
use serde::Deserialize;

#[derive(Clone, Debug, PartialEq, Deserialize)]
struct Todo {
    id: i64,
    title: String,
    done: bool,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
struct Title {
    title: String,
}

#[test]
fn use_query_as_gives_the_data_typed() {
    run(|| async {
        let client = client();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        let (_component, todos) = mount(|| {
            use_query_as::<Vec<Todo>>(QueryKey::rest("GET /todos", "todos"), QueryOptions::new())
        });
        assert_eq!(todos.data.get_untracked(), None);
        assert!(
            todos.is_loading.get_untracked(),
            "the JSON handle through Deref"
        );
        let now = Instant::now();
        let fetch = client.lock().unwrap().next_fetch(now).unwrap();
        client
            .lock()
            .unwrap()
            .resolve(fetch.id, r#"[{"id": 1, "title": "a", "done": false}]"#, now)
            .unwrap();
        assert_eq!(
            todos.data.get_untracked(),
            Some(Ok(vec![Todo {
                id: 1,
                title: "a".into(),
                done: false
            }]))
        );
        // Data that does not fit the type is an error, not a panic.
        let (_other, wrong) = mount(|| {
            use_query_as::<Vec<String>>(QueryKey::rest("GET /todos", "todos"), QueryOptions::new())
        });
        assert!(matches!(
            wrong.data.get_untracked(),
            Some(Err(ReadError::Deserialize { .. }))
        ));
        root.cleanup();
    });
}

#[test]
fn use_fragment_is_told_only_when_what_it_selects_changed() {
    run(|| async {
        let client = client();
        let renders = Renders::default();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        client
            .lock()
            .unwrap()
            .store_mut()
            .write(
                Patch::new()
                    .set("Todo:1", "__typename", "Todo")
                    .set("Todo:1", "title", "a")
                    .set("Todo:1", "done", false),
            )
            .unwrap();
        let (_component, title) = mount(|| {
            let doc = Document::parse("fragment TodoTitle on Todo { title }").unwrap();
            let title = use_fragment::<Title>(doc, None, "Todo:1", serde_json::json!({})).unwrap();
            renders.component("title", move || match title.get() {
                Some(Ok(Title { title })) => title,
                Some(Err(error)) => format!("error: {error}"),
                None => "none".into(),
            });
            title
        });
        settle().await;
        // Not selected: nobody told.
        client
            .lock()
            .unwrap()
            .store_mut()
            .write(Patch::new().set("Todo:1", "done", true))
            .unwrap();
        settle().await;
        let (rename, _) = client
            .lock()
            .unwrap()
            .store_mut()
            .push("rename", Patch::new().set("Todo:1", "title", "b"))
            .unwrap();
        settle().await;
        client.lock().unwrap().store_mut().fail(rename).unwrap();
        settle().await;
        assert_eq!(renders.of("title"), ["a", "b", "a"]);
        assert_eq!(title.get_untracked(), Some(Ok(Title { title: "a".into() })));
        root.cleanup();
    });
}

#[test]
fn a_fragment_on_a_malformed_key_is_refused() {
    run(|| async {
        let client = client();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        let before = client.lock().unwrap().store().watcher_count();
        let doc = Document::parse("fragment TodoTitle on Todo { title }").unwrap();
        let refused = use_fragment::<Title>(doc, None, "Todo:", serde_json::json!({}));
        assert!(refused.is_err());
        assert_eq!(
            client.lock().unwrap().store().watcher_count(),
            before,
            "nothing registered"
        );
        root.cleanup();
    });
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
struct Board {
    cards: Vec<optimist::Shared<Card>>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
struct Card {
    title: String,
    votes: i64,
}

/// A fragment over a list: after a change, the rows whose data did not change are the same
/// `Arc`s as the last change gave (a keyed list re-renders the changed row alone), and data
/// that does not fit the type is an error naming its path.
#[test]
fn use_fragment_shares_unchanged_rows_and_names_the_path_of_an_error() {
    run(|| async {
        let client = client();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        let card = |i: usize| format!("Card:{i}");
        let mut patch = Patch::new().set("Board:1", "__typename", "Board").set(
            "Board:1",
            "cards",
            optimist::Value::List(
                (0..5)
                    .map(|i| optimist::Value::Ref(optimist::Key::new(&card(i)).unwrap()))
                    .collect(),
            ),
        );
        for i in 0..5 {
            patch = patch
                .set(card(i).as_str(), "title", format!("card {i}"))
                .set(card(i).as_str(), "votes", 0);
        }
        client.lock().unwrap().store_mut().write(patch).unwrap();
        let (_component, board) = mount(|| {
            let doc = Document::parse("fragment B on Board { cards { title votes } }").unwrap();
            use_fragment::<Board>(doc, None, "Board:1", serde_json::json!({})).unwrap()
        });
        settle().await;
        let vote = |i: usize, votes: i64| {
            client
                .lock()
                .unwrap()
                .store_mut()
                .write(Patch::new().set(card(i).as_str(), "votes", votes))
                .unwrap();
        };
        vote(1, 1);
        settle().await;
        let first = board.get_untracked().unwrap().unwrap();
        vote(3, 1);
        settle().await;
        let second = board.get_untracked().unwrap().unwrap();
        assert_eq!(second.cards[3].votes, 1);
        for i in [0, 1, 2, 4] {
            assert!(
                optimist::Shared::ptr_eq(&first.cards[i], &second.cards[i]),
                "card {i} did not change: the same Arc"
            );
        }
        assert!(!optimist::Shared::ptr_eq(&first.cards[3], &second.cards[3]));
        // Votes that are not a number: an error with its path.
        client
            .lock()
            .unwrap()
            .store_mut()
            .write(Patch::new().set(card(2).as_str(), "votes", "many"))
            .unwrap();
        settle().await;
        match board.get_untracked() {
            Some(Err(ReadError::Deserialize { path, .. })) => assert_eq!(path, "cards.2.votes"),
            other => panic!("{other:?}"),
        }
        root.cleanup();
    });
}
