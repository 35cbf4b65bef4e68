//! Two quick renames of one todo: the second wins, whatever order the answers arrive in.

mod common;

use common::{confirmed, row, title, versioned_store};
use optimist::{Patch, Store, Value};

fn two_renames(store: &mut Store) -> (optimist::LayerId, optimist::LayerId) {
    store.write(row(1, "Buy milk", false, 1)).unwrap();
    let (first, _) = store
        .push(
            "rename 1",
            Patch::new().set("Todo:1", "title", "Buy oat milk"),
        )
        .unwrap();
    let (second, _) = store
        .push(
            "rename 2",
            Patch::new().set("Todo:1", "title", "Buy soy milk"),
        )
        .unwrap();
    assert_eq!(title(store, "Todo:1"), Some("Buy soy milk"));
    (first, second)
}

#[test]
fn answers_in_request_order() {
    let mut store = versioned_store();
    let (first, second) = two_renames(&mut store);
    store
        .confirm(first, row(1, "Buy oat milk", false, 2))
        .unwrap();
    assert_eq!(title(&store, "Todo:1"), Some("Buy soy milk"), "no flicker");
    store
        .confirm(second, row(1, "Buy soy milk", false, 3))
        .unwrap();
    assert_eq!(title(&store, "Todo:1"), Some("Buy soy milk"));
    assert_eq!(
        confirmed(&store, "Todo:1", "version"),
        Some(&Value::from(3))
    );
}

#[test]
fn answers_out_of_order() {
    let mut store = versioned_store();
    let (first, second) = two_renames(&mut store);
    store
        .confirm(second, row(1, "Buy soy milk", false, 3))
        .unwrap();
    assert_eq!(title(&store, "Todo:1"), Some("Buy soy milk"));
    store
        .confirm(first, row(1, "Buy oat milk", false, 2))
        .unwrap();
    assert_eq!(title(&store, "Todo:1"), Some("Buy soy milk"));
    assert_eq!(
        confirmed(&store, "Todo:1", "title"),
        Some(&Value::from("Buy soy milk"))
    );
    assert_eq!(
        confirmed(&store, "Todo:1", "version"),
        Some(&Value::from(3))
    );
    assert_eq!(store.layers().count(), 0);
}

#[test]
fn answers_out_of_order_without_versions() {
    let mut store = Store::new();
    let (first, second) = two_renames(&mut store);
    store.promote(second).unwrap();
    store.promote(first).unwrap();
    assert_eq!(
        confirmed(&store, "Todo:1", "title"),
        Some(&Value::from("Buy soy milk"))
    );
}

#[test]
fn the_first_fails_and_the_second_still_wins() {
    let mut store = versioned_store();
    let (first, second) = two_renames(&mut store);
    store.fail(first).unwrap();
    assert_eq!(title(&store, "Todo:1"), Some("Buy soy milk"));
    store
        .confirm(second, row(1, "Buy soy milk", false, 2))
        .unwrap();
    assert_eq!(
        confirmed(&store, "Todo:1", "title"),
        Some(&Value::from("Buy soy milk"))
    );
}
