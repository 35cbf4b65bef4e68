//! A key given as a closure is tracked: when the signals it reads change, the component's
//! observer moves to the new key (`Client::switch`), leaving the old query (its fetch cancelled
//! when it was the last observer), and with `keep_previous_data` the old data stays shown
//! until the new key has some.

mod common;

use common::{Renders, client, mount, run, settle};
use leptos::prelude::*;
use optimist::{Instant, QueryKey, QueryOptions};
use optimist_leptos::{provide_client, use_query};

fn page(n: u32) -> QueryKey {
    QueryKey::rest(
        &format!("GET /todos?page={n}"),
        format!("todos{n}").as_str(),
    )
}

#[test]
fn a_new_key_moves_the_observer_and_keeps_the_previous_data_while_it_loads() {
    run(|| async {
        let client = client();
        let renders = Renders::default();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        let number = RwSignal::new(1);
        let (_component, todos) = mount(|| {
            let todos = use_query(
                move || page(number.get()),
                QueryOptions::new().keep_previous_data(),
            );
            renders.component("page", move || {
                let state = todos.state.get();
                format!(
                    "{}{}",
                    state.data.map_or("loading".into(), |data| data.to_string()),
                    if state.is_placeholder {
                        " (previous)"
                    } else {
                        ""
                    }
                )
            });
            todos
        });
        settle().await;
        let now = Instant::now();
        let first = client.lock().unwrap().next_fetch(now).unwrap();
        assert_eq!(
            first.query,
            client.lock().unwrap().query_of(&page(1)).unwrap()
        );
        client
            .lock()
            .unwrap()
            .resolve(first.id, "[1, 2]", now)
            .unwrap();
        settle().await;

        number.set(2);
        settle().await;
        let on_two = client.lock().unwrap().query_of(&page(2)).unwrap();
        let on_one = client.lock().unwrap().query_of(&page(1)).unwrap();
        assert_eq!(todos.query(), Some(on_two));
        assert_eq!(client.lock().unwrap().observer_count(on_one), 0);
        assert_eq!(client.lock().unwrap().observer_count(on_two), 1);
        let now = Instant::now();
        let second = client.lock().unwrap().next_fetch(now).unwrap();
        assert_eq!(second.query, on_two);
        client
            .lock()
            .unwrap()
            .resolve(second.id, "[3]", now)
            .unwrap();
        settle().await;
        assert_eq!(
            renders.of("page"),
            ["loading", "[1,2]", "[1,2] (previous)", "[3]"]
        );
        root.cleanup();
    });
}

#[test]
fn leaving_a_key_whose_fetch_is_in_flight_cancels_it() {
    run(|| async {
        let client = client();
        let root = Owner::new();
        root.set();
        provide_client(client.clone());
        let number = RwSignal::new(1);
        let (_component, _todos) =
            mount(|| use_query(move || page(number.get()), QueryOptions::new()));
        settle().await;
        let now = Instant::now();
        let first = client.lock().unwrap().next_fetch(now).unwrap();
        number.set(2);
        settle().await;
        assert!(
            client
                .lock()
                .unwrap()
                .resolve(first.id, "[1]", now)
                .is_err(),
            "page 1's fetch was cancelled with its last observer"
        );
        let now = Instant::now();
        let second = client.lock().unwrap().next_fetch(now).unwrap();
        assert_eq!(
            Some(second.query),
            client.lock().unwrap().query_of(&page(2))
        );
        // The same key again is no move.
        number.set(2);
        settle().await;
        assert!(client.lock().unwrap().next_fetch(Instant::now()).is_none());
        root.cleanup();
    });
}
