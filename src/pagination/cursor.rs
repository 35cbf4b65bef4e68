//! Cursor lists: a plain list (not a connection) paged by the id of an item, `after` it or
//! `before` it, merged as [`relay_style_pagination`](super::relay_style_pagination) merges
//! edges.

use serde_json::{Map, Value as Json};

use crate::field_policy::{FieldPolicy, KeyArgs};
use crate::value::{List, Value};

/// Cursor pagination of a plain list (`items(first: 20, after: "17")`, the cursor being the id
/// of an item): every page merged into one list, as [`relay_style_pagination`] merges a
/// connection's edges, item ids standing for cursors:
///
/// - **`after: c`**: the page replaces every item after the item with id `c`; an id not in the
///   list appends the page at the end.
/// - **`before: c`**: the page replaces every item before the item with id `c`; an id not in
///   the list puts the page in front.
/// - **Neither** (a first page, or a refetch of it): the page replaces the list.
/// - A `null` page leaves the list as it was.
///
/// An item's id is its key's (`Task:17`: `17`) for an entity, its `id` field for an embedded
/// object. `key_args` names the lists (Apollo's default for its helpers: [`KeyArgs::None`]).
///
/// [`relay_style_pagination`]: crate::relay_style_pagination
///
/// ```
/// # #[cfg(feature = "graphql")] {
/// use optimist::{Document, KeyArgs, Policies, Store, cursor_pagination, normalize_query};
/// use serde_json::json;
///
/// let policies = Policies::new().field_policy("Query", "feed", cursor_pagination(KeyArgs::None));
/// let mut store = Store::with_policies(policies);
/// let doc = Document::parse("query($after: ID) { feed(first: 2, after: $after) { id } }")?;
/// let page = |ids: [u32; 2]| json!({"feed": ids.map(|id| json!({"__typename": "Post", "id": id}))});
/// store.write(normalize_query(store.policies(), &doc, &json!({}), &page([1, 2]))?)?;
/// store.write(normalize_query(store.policies(), &doc, &json!({"after": "2"}), &page([3, 4]))?)?;
/// // A refetch of the page after 1: what followed 1 is replaced.
/// store.write(normalize_query(store.policies(), &doc, &json!({"after": "1"}), &page([5, 6]))?)?;
/// let read = store.read_query(&doc, &json!({}))?;
/// let ids: Vec<_> = read["feed"].as_array().unwrap().iter().map(|post| post["id"].clone()).collect();
/// assert_eq!(ids, [1, 5, 6]);
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn cursor_pagination(key_args: KeyArgs) -> FieldPolicy {
    FieldPolicy::new().key_args(key_args).merge(merge)
}

/// An item's id, as text.
fn id_of(item: &Value) -> Option<String> {
    match item {
        Value::Ref(key) => key.id().map(str::to_owned),
        Value::Object(object) => match object.get("id")? {
            Value::String(id) => Some(id.to_string()),
            Value::Number(id) => Some(id.to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn merge(existing: Option<&Value>, incoming: &Value, args: &Map<String, Json>) -> Value {
    let stored: List = existing
        .and_then(Value::as_list)
        .cloned()
        .unwrap_or_default();
    let Some(page) = incoming.as_list() else {
        return Value::List(stored);
    };
    let cursor = |name: &str| match args.get(name) {
        Some(Json::String(id)) if !id.is_empty() => Some(id.clone()),
        Some(Json::Number(id)) => Some(id.to_string()),
        _ => None,
    };
    // The first item with the id, as the connection helper finds the first edge.
    let position = |id: &str| {
        stored
            .iter()
            .position(|item| id_of(item).as_deref() == Some(id))
    };
    let mut merged = imbl::Vector::clone(&stored);
    if let Some(after) = cursor("after") {
        if let Some(at) = position(&after) {
            merged.truncate(at + 1);
        }
        merged.extend(page.iter().cloned());
    } else if let Some(before) = cursor("before") {
        let suffix = match position(&before) {
            Some(at) => merged.split_off(at),
            None => merged,
        };
        merged = page.iter().cloned().collect();
        merged.append(suffix);
    } else {
        merged = page.iter().cloned().collect();
    }
    Value::List(List::from(merged))
}
