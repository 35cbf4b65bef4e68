//! `invalidate_query` of a root entity that a pending layer deletes: the read over the view
//! still looks up the root's fields, and base still holds them.

use optimist::{Document, Patch, ROOT_QUERY, Store};
use serde_json::json;

// BUG (found by the model test, fixed): `invalidate_query` marks a looked-up field only when the
// view holds its entity, so a root deleted in a pending layer gets no mark though base holds
// the field (and `invalidate(ROOT_QUERY)`, over base and view, marks it). Minimal case:
// `Write(ROOT_QUERY.b = null)`, `Push(delete(ROOT_QUERY))`, `InvalidateQuery("{ b }")`.
// In src/stale/query.rs, `mark_read` skips a key whose entity the view lacks before it
// looks in base.
#[test]
fn a_query_over_a_root_deleted_in_a_layer_marks_what_base_holds() {
    let mut store = Store::new();
    store
        .write(Patch::new().set(ROOT_QUERY, "b", json!(null)))
        .unwrap();
    store
        .push("remove the root", Patch::new().delete(ROOT_QUERY))
        .unwrap();
    assert!(store.get(ROOT_QUERY).is_none() && store.get_confirmed(ROOT_QUERY).is_some());

    let doc = Document::parse("{ b }").unwrap();
    let mut by_entity = store.clone();
    assert_eq!(by_entity.invalidate(ROOT_QUERY), Ok(1), "base holds `b`");
    assert_eq!(store.invalidate_query(&doc, &json!({})), Ok(1));
    assert!(store.is_field_stale(ROOT_QUERY, "b"));
    assert!(store == by_entity, "the same mark as invalidating the root");
}
