//! Saved stores: load a text; what loads must check its invariants and save and load again to
//! an equal store, and what is refused must leave the store as it was.
#![no_main]

use libfuzzer_sys::fuzz_target;
use optimist::{Patch, Policies, Store};

fn store() -> Store {
    let mut store = Store::with_policies(Policies::new().version_field("Todo", "version"));
    store
        .register_updater("archive", |entity, _| entity.cloned())
        .expect("a new name");
    store
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut target = store();
    target
        .write(Patch::new().set("Seed:1", "kept", 1))
        .expect("a plain write");
    target
        .push("pending", Patch::new().set("Seed:1", "kept", 2))
        .expect("a plain push");
    let before = target.clone();
    match target.load_json(text) {
        Err(_) => assert!(target == before, "a refused load changed the store"),
        Ok(_) => {
            target.check_invariants().expect("a loaded store is sound");
            let saved = target.save_json().expect("a loaded store saves");
            let mut again = store();
            again.load_json(&saved).expect("a saved store loads");
            assert!(again == target, "save, load differ");
        }
    }
});
