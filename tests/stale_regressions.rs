//! `Store::stale` against `Store::is_watch_stale`: a watched query whose read fails on a
//! missing field still reads what comes after it.

use optimist::{Document, Key, Patch, Store};
use serde_json::json;

// BUG (found by the model test, fixed): `stale()` looks for stale queries only among the watchers
// that depend on a marked key, and a watcher depends on what its last read reached before it
// failed. A query whose read stops at a missing root field (`a`) never reaches the entities
// of the next one (`l { n }`), so a mark on them leaves it out of `stale()` while
// `is_watch_stale` (and `Query::is_stale`), which read on past a missing field, say it is
// stale. Minimal case: `WatchQuery("{ a l { n } }")` over `ROOT_QUERY.l = [Item:1]`,
// `Item:1.n = 1`, then `Invalidate("Item:1")`. In src/stale/query.rs, `stale()` takes its
// candidates from `watchers.watching(key)`.
#[test]
fn a_query_whose_read_fails_on_a_missing_field_is_listed_stale() {
    let mut store = Store::new();
    store
        .write(
            Patch::new()
                .set("ROOT_QUERY", "l", vec![Key::new("Item:1").unwrap()])
                .set("Item:1", "n", 1),
        )
        .unwrap();
    let doc = Document::parse("{ a l { n } }").unwrap();
    let id = store.watch_query(doc, json!({}), |_| {});
    assert!(
        store.watched(id).is_some_and(|read| read.is_err()),
        "`a` is missing"
    );

    assert_eq!(store.invalidate("Item:1"), Ok(1));
    assert!(store.is_watch_stale(id), "it reads the marked `Item:1.n`");
    assert_eq!(store.stale(), [id], "so it is stale");
}
