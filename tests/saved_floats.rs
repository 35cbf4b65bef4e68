//! Every float comes back from a save exactly (issue 27, item 3): `load_json` reads a number
//! as the nearest `f64` to its text, which is the one `save_json` wrote.

use optimist::{Entity, ListPosition, Patch, Store, Value};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

/// A store holding `x` in base, in a layer's write and list insert, and in a mutation's request.
fn holding(x: f64) -> Store {
    let mut store = Store::new();
    store
        .write(
            Patch::new().set("A:1", "x", x).set(
                "A:1",
                "nested",
                Value::List(
                    [Value::from(x), Entity::new().with("x", x).into()]
                        .into_iter()
                        .collect(),
                ),
            ),
        )
        .unwrap();
    store
        .push(
            "layer",
            Patch::new()
                .set("A:2", "x", x)
                .insert("A:2", "list", x, ListPosition::End),
        )
        .unwrap();
    store
        .mutate(optimist::Mutation::new("request", Patch::new().set("A:3", "x", 1)).request(x))
        .unwrap();
    store
}

/// Saves `store`, loads the text into a new store, and says whether the two are equal.
fn round_trips(store: &Store) -> bool {
    let text = store.save_json().unwrap();
    let mut loaded = Store::new();
    loaded.load_json(&text).unwrap();
    loaded == *store
}

#[test]
fn a_float_that_moved_by_one_ulp_comes_back_exactly() {
    // serde_json's fast float parser read this as -3.9634391757857807e177, one ulp off.
    let x = -3.963439175785781e177;
    let store = holding(x);
    let mut loaded = Store::new();
    loaded.load_json(&store.save_json().unwrap()).unwrap();
    let back = loaded
        .get_field("A:1", "x")
        .and_then(Value::as_f64)
        .unwrap();
    assert_eq!(back.to_bits(), x.to_bits(), "{back:e} != {x:e}");
    assert_eq!(loaded, store);
}

fn config() -> Config {
    Config {
        cases: 2000,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/saved_floats.txt",
        ))),
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_finite_float_round_trips_through_a_save(bits in any::<u64>()) {
        let x = f64::from_bits(bits);
        prop_assume!(x.is_finite());
        prop_assert!(round_trips(&holding(x)), "{x:e} ({bits:#018x})");
    }
}
