//! Offset/limit pagination (Apollo's `offsetLimitPagination`).

use serde_json::{Map, Value as Json};

use crate::field_policy::{FieldPolicy, KeyArgs};
use crate::value::{List, Value};

/// The most holes an offset may open past the end of the stored list: a page further out is
/// placed right after it instead (Apollo keeps a sparse array; a list of that many `null`s
/// would be memory for nothing, or for ever).
pub const MAX_OFFSET_GAP: usize = 65_536;

/// Offset/limit pagination (Apollo's `offsetLimitPagination(keyArgs)`): the pages of a field
/// with `offset` and `limit` arguments kept in one list, each page written at its offset
/// (over what was there: a refetched page replaces its items; a page past the end leaves
/// `null` holes until the pages before it come). A field written with no arguments at all is
/// appended to the list. `key_args` names the lists (Apollo's default: [`KeyArgs::None`], one
/// list whatever the arguments). An `offset` that is not a whole number counts as 0; one
/// more than [`MAX_OFFSET_GAP`] past the end of the list lands at its end.
///
/// ```
/// # #[cfg(feature = "graphql")] {
/// use optimist::{Document, KeyArgs, Policies, Store, normalize_query, offset_limit_pagination};
/// use serde_json::json;
/// let policies = Policies::new().field_policy("Query", "feed", offset_limit_pagination(KeyArgs::None));
/// let mut store = Store::with_policies(policies);
/// let doc = Document::parse("query($offset: Int) { feed(offset: $offset, limit: 2) { id } }")?;
/// for (offset, ids) in [(0, [1, 2]), (2, [3, 4])] {
///     let page = json!({"feed": ids.map(|id| json!({"__typename": "Post", "id": id}))});
///     store.write(normalize_query(store.policies(), &doc, &json!({"offset": offset}), &page)?)?;
/// }
/// let read = store.read_query(&doc, &json!({"offset": 0}))?;
/// assert_eq!(read["feed"].as_array().unwrap().len(), 4);
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn offset_limit_pagination(key_args: KeyArgs) -> FieldPolicy {
    FieldPolicy::new()
        .key_args(key_args)
        .merge(offset_limit_merge)
}

fn offset_limit_merge(
    existing: Option<&Value>,
    incoming: &Value,
    args: &Map<String, Json>,
) -> Value {
    let mut merged: List = existing
        .and_then(Value::as_list)
        .cloned()
        .unwrap_or_default();
    let Some(incoming) = incoming.as_list() else {
        // Not a list (a `null` page): the stored list stays, as Apollo's `if (incoming)` keeps it.
        return Value::List(merged);
    };
    if args.is_empty() {
        merged.make_mut().extend(incoming.iter().cloned());
        return Value::List(merged);
    }
    let offset = args
        .get("offset")
        .and_then(Json::as_u64)
        .and_then(|offset| usize::try_from(offset).ok())
        .unwrap_or(0);
    let offset = offset.min(merged.len().saturating_add(MAX_OFFSET_GAP));
    let items = merged.make_mut();
    for (i, item) in incoming.iter().enumerate() {
        let at = offset + i;
        while items.len() < at {
            items.push_back(Value::Null);
        }
        if at < items.len() {
            items.set(at, item.clone());
        } else {
            items.push_back(item.clone());
        }
    }
    Value::List(merged)
}
