//! Failing every one of L layers on one key, bottom first or top first, each layer a `set`, an
//! `increment`, a list `insert` at the end, or a unique insert of an item of its own (an offline
//! create's new row; the list below holds 50 other items) (issue 27, item 7): how the time grows
//! with L. Prints one line per case and L.
//!
//! ```sh
//! cargo run --release --example fail_layers            # L = 500, 1000, 2000, 4000, 8000
//! cargo run --release --example fail_layers -- 16000   # other values of L
//! ```

use std::time::{Duration, Instant};

use optimist::{LayerId, ListPosition, Patch, Store};

/// What each layer does to `A:1`.
#[derive(Clone, Copy)]
enum Edit {
    Set,
    Increment,
    Insert,
    InsertUnique,
}

/// A store with `layers` pending layers on `A:1` (and the key in base).
fn stacked(layers: usize, edit: Edit) -> (Store, Vec<LayerId>) {
    let mut store = Store::new();
    let below: Vec<String> = (0..50).map(|i| format!("row {i}")).collect();
    store
        .write(
            Patch::new()
                .set("A:1", "n", 0)
                .set("A:1", "other", "kept")
                .set("A:1", "rows", below),
        )
        .expect("a valid patch");
    let ids = (0..layers)
        .map(|i| {
            let patch = match edit {
                Edit::Set => Patch::new().set("A:1", "n", i),
                Edit::Increment => Patch::new().increment("A:1", "n", 1),
                Edit::Insert => Patch::new().insert("A:1", "list", i, ListPosition::End),
                Edit::InsertUnique => {
                    Patch::new().insert_unique("A:1", "rows", format!("new {i}"), ListPosition::End)
                }
            };
            store.push("edit", patch).expect("a valid patch").0
        })
        .collect();
    (store, ids)
}

/// The time to fail every layer, in the order given; the store must end as it began.
fn fail_all(layers: usize, edit: Edit, top_first: bool) -> Duration {
    let (mut store, mut ids) = stacked(layers, edit);
    if top_first {
        ids.reverse();
    }
    let start = Instant::now();
    for id in ids {
        store.fail(id).expect("a pending layer");
    }
    let took = start.elapsed();
    assert_eq!(store.layers().count(), 0);
    assert_eq!(store.get("A:1"), store.get_confirmed("A:1"));
    took
}

fn main() {
    let series: Vec<usize> = match std::env::args().skip(1).map(|a| a.parse()).collect() {
        Ok(given) if !Vec::is_empty(&given) => given,
        _ => vec![500, 1000, 2000, 4000, 8000],
    };
    println!(
        "{:<26} {:>7} {:>12} {:>12}",
        "case", "L", "total", "per fail"
    );
    for (edit, op) in [
        (Edit::Set, "set"),
        (Edit::Increment, "increment"),
        (Edit::Insert, "insert"),
        (Edit::InsertUnique, "insert unique"),
    ] {
        for (top_first, order) in [(false, "bottom first"), (true, "top first")] {
            for &layers in &series {
                // The least of three runs (one for the largest, which take seconds when slow).
                let runs = if layers > 4000 { 1 } else { 3 };
                let took = (0..runs)
                    .map(|_| fail_all(layers, edit, top_first))
                    .min()
                    .expect("at least one run");
                println!(
                    "{:<26} {:>7} {:>9.1} ms {:>9.2} us",
                    format!("{op}, {order}"),
                    layers,
                    took.as_secs_f64() * 1e3,
                    took.as_secs_f64() * 1e6 / layers as f64
                );
            }
        }
    }
}
