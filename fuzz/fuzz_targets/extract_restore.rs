//! Apollo extract JSON: restore it; what restores must extract and restore again to the same
//! store, and what is refused must leave the store as it was.
#![no_main]

use libfuzzer_sys::fuzz_target;
use optimist::{Patch, Policies, Store};

fuzz_target!(|data: &[u8]| {
    let Ok(snapshot) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let mut store = Store::with_policies(Policies::new().max_nodes(100_000));
    store
        .write(Patch::new().set("Seed:1", "kept", 1))
        .expect("a plain write");
    let before = store.clone();
    match store.restore(&snapshot) {
        Err(_) => assert!(store == before, "a refused restore changed the store"),
        Ok(_) => {
            let saved = store.extract(false);
            let mut again = Store::with_policies(Policies::new().max_nodes(100_000));
            again.restore(&saved).expect("an extract restores");
            assert_eq!(
                again.extract(false),
                saved,
                "extract, restore, extract differ"
            );
            for (key, _) in store.iter().take(16) {
                let _ = store.read_tree(key.as_str());
            }
            let _ = serde_json::to_string(&saved);
        }
    }
});
