//! The store's record of recent changes (`Store::changed_since`) after a call that changed more
//! keys than it keeps (65,536): that call's keys are not copied, no revision before it has a
//! known change set, and the record picks up again after it.

use optimist::{Patch, Store};

#[test]
fn a_write_of_more_keys_than_kept_is_not_recorded() {
    let mut store = Store::new();
    store.write(Patch::new().set("A:1", "x", 1)).unwrap();
    let before = store.revision();
    let mut big = Patch::new();
    for i in 0..70_000 {
        big = big.set(format!("Item:{i}"), "n", i);
    }
    let changes = store.write(big).unwrap();
    assert_eq!(changes.len(), 70_000);
    let after = store.revision();
    assert!(
        store.changed_since(before).is_none(),
        "its keys were not kept"
    );
    assert_eq!(store.changed_since(after).map(Iterator::count), Some(0));
    store.write(Patch::new().set("A:1", "x", 2)).unwrap();
    let since: Vec<&str> = store
        .changed_since(after)
        .expect("recorded again")
        .map(|key| key.as_str())
        .collect();
    assert_eq!(since, ["A:1"]);
}
