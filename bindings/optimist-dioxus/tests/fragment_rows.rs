//! `use_fragment` over a list: after a change, the rows whose data did not change are the same
//! `Arc`s as the last change gave (a keyed list re-renders the changed row alone), and data
//! that does not fit the type is an error naming its path.

mod common;

use common::{Renders, Slot, hand, settle};
use dioxus::prelude::*;
use optimist::{Document, Key, Patch, ReadError, Shared, Value};
use optimist_dioxus::{SyncReadSignal, lock, use_fragment};

#[derive(Debug, serde::Deserialize)]
struct Board {
    cards: Vec<Shared<Card>>,
}

#[derive(Debug, serde::Deserialize)]
struct Card {
    votes: i64,
}

type Shown = SyncReadSignal<Option<Result<Board, ReadError>>>;

#[component]
fn App() -> Element {
    let doc = use_hook(|| Document::parse("fragment B on Board { cards { votes } }").unwrap());
    let board = use_fragment::<Board>(&doc, None, "Board:1", serde_json::Value::Null);
    hand(board);
    rsx! { "board" }
}

fn card(i: usize) -> String {
    format!("Card:{i}")
}

/// The cards' `Arc`s as shown now.
fn cards(board: &Shown) -> Vec<Shared<Card>> {
    match &*board.peek() {
        Some(Ok(board)) => board.cards.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unchanged_rows_are_the_same_arcs_and_an_error_names_its_path() {
    let client = common::client();
    let mut patch = Patch::new().set("Board:1", "__typename", "Board").set(
        "Board:1",
        "cards",
        Value::List(
            (0..5)
                .map(|i| Value::Ref(Key::new(&card(i)).unwrap()))
                .collect(),
        ),
    );
    for i in 0..5 {
        patch = patch.set(card(i).as_str(), "votes", 0);
    }
    lock(&client).store_mut().write(patch).unwrap();
    let slot: Slot<Shown> = Slot::new();
    let mut dom = VirtualDom::new(App)
        .with_root_context(client.clone())
        .with_root_context(Renders::default())
        .with_root_context(slot.clone());
    dom.rebuild_in_place();
    let vote = |i: usize, votes: Value| {
        lock(&client)
            .store_mut()
            .write(Patch::new().set(card(i).as_str(), "votes", votes))
            .unwrap();
    };
    vote(1, Value::from(1));
    settle(&mut dom);
    let first = dom.in_runtime(|| cards(&slot.get()));
    vote(3, Value::from(1));
    settle(&mut dom);
    let second = dom.in_runtime(|| cards(&slot.get()));
    assert_eq!(second[3].votes, 1);
    for i in [0, 1, 2, 4] {
        assert!(
            Shared::ptr_eq(&first[i], &second[i]),
            "card {i}: the same Arc"
        );
    }
    assert!(!Shared::ptr_eq(&first[3], &second[3]));
    vote(2, Value::from("many"));
    settle(&mut dom);
    dom.in_runtime(|| match &*slot.get().peek() {
        Some(Err(ReadError::Deserialize { path, .. })) => assert_eq!(path, "cards.2.votes"),
        other => panic!("{other:?}"),
    });
}
