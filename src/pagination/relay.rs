//! Relay-style connections (Apollo's `relayStylePagination`): the pages of a connection field
//! (`edges { cursor node }`, `pageInfo`) kept as one connection, spliced by cursor.
//!
//! The stored form is Apollo's: one connection object whose `edges` are every page's edges in
//! order and whose `pageInfo` covers them all; a read gives it with the edges whose node is
//! gone left out and the page cursors filled in from the edges.

use serde_json::{Map, Value as Json};

use crate::entity::Entity;
use crate::field::FieldName;
use crate::field_policy::{FieldPolicy, KeyArgs};
use crate::field_read::FieldRead;
use crate::value::{List, Value};

const EDGES: &str = "edges";
const PAGE_INFO: &str = "pageInfo";
const CURSOR: &str = "cursor";
const NODE: &str = "node";
const START: &str = "startCursor";
const END: &str = "endCursor";
const HAS_PREVIOUS: &str = "hasPreviousPage";
const HAS_NEXT: &str = "hasNextPage";

/// Relay-style cursor pagination (Apollo's `relayStylePagination(keyArgs)`), for a field that
/// returns a connection (`edges { cursor node }`, `pageInfo { hasNextPage hasPreviousPage
/// startCursor endCursor }`, and any extra fields such as `totalCount`). Every page is merged
/// into one connection, as Apollo's helper merges it:
///
/// - **`after: c`**: the page replaces every edge after the edge with cursor `c`; a cursor not
///   in the list appends the page at the end.
/// - **`before: c`**: the page replaces every edge before the edge with cursor `c`; a cursor
///   not in the list puts the page in front of the whole list.
/// - **Neither** (a first page, or a refetch of it): the page replaces the whole list (a
///   refetch of the first page starts the list again, apollo-client #6592).
/// - `pageInfo` keeps the stored values, except that `hasPreviousPage` and `startCursor` come
///   from a page that lands at the start of the list, and `hasNextPage` and `endCursor` from a
///   page that lands at its end; other `pageInfo` fields and the connection's extra fields are
///   the latest page's.
/// - A page's first and last edges take their cursors from its `pageInfo` when it has them
///   (so a query that does not select `cursor` still pages), and the page's `pageInfo` takes
///   missing cursors from its edges.
/// - A `null` page leaves the connection as it was; before any page, the connection starts
///   empty with `hasNextPage: true` (Apollo's empty connection).
///
/// A read leaves out the edges whose node is an entity no longer in the store (deleted or
/// evicted: no dangling edge, and the read stays complete), and fills `startCursor` and
/// `endCursor` from the first and last edges when the stored ones are empty.
///
/// `key_args` names the connections (Apollo's default: [`KeyArgs::None`], one connection
/// whatever the arguments; `KeyArgs::only(["status"])` keeps one per status). An edge that is
/// an entity of its own (a reference, not an embedded object) has no cursor a merge can see:
/// it is kept, and never matched by `after` or `before`.
///
/// ```
/// # #[cfg(feature = "graphql")] {
/// use optimist::{Document, KeyArgs, Policies, Store, normalize_query, relay_style_pagination};
/// use serde_json::json;
///
/// let policies = Policies::new().field_policy("Query", "feed", relay_style_pagination(KeyArgs::None));
/// let mut store = Store::with_policies(policies);
/// let doc = Document::parse(
///     "query($after: String) { feed(first: 2, after: $after) {
///        edges { cursor node { __typename id } } pageInfo { hasNextPage endCursor } } }",
/// )?;
/// let page = |ids: [u32; 2], more: bool| {
///     let edges: Vec<_> = ids
///         .iter()
///         .map(|id| json!({"cursor": format!("c{id}"), "node": {"__typename": "Post", "id": id}}))
///         .collect();
///     let end = format!("c{}", ids[1]);
///     json!({"feed": {"edges": edges, "pageInfo": {"hasNextPage": more, "endCursor": end}}})
/// };
/// store.write(normalize_query(store.policies(), &doc, &json!({}), &page([1, 2], true))?)?;
/// store.write(normalize_query(store.policies(), &doc, &json!({"after": "c2"}), &page([3, 4], false))?)?;
///
/// let read = store.read_query(&doc, &json!({}))?;
/// assert_eq!(read["feed"]["edges"].as_array().unwrap().len(), 4);
/// assert_eq!(read["feed"]["pageInfo"], json!({"hasNextPage": false, "endCursor": "c4"}));
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn relay_style_pagination(key_args: KeyArgs) -> FieldPolicy {
    FieldPolicy::new()
        .key_args(key_args)
        .merge(merge)
        .read(read)
}

/// A string that JavaScript would call truthy: present and not empty.
fn truthy(value: Option<&Value>) -> Option<&str> {
    value
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
}

/// The cursor of an embedded edge (a referenced one has none a merge can see).
fn cursor_of(edge: &Value) -> Option<&str> {
    match edge {
        Value::Object(edge) => truthy(edge.get(CURSOR)),
        _ => None,
    }
}

/// `edge` with its cursor set to `cursor` (an embedded edge; a referenced one as it is).
fn with_cursor(edge: &Value, cursor: &str) -> Value {
    match edge {
        Value::Object(object) => Value::Object(object.clone().with(CURSOR, cursor)),
        other => other.clone(),
    }
}

/// The fields of a connection other than its edges and page info.
fn extras(connection: &Entity) -> impl Iterator<Item = (&FieldName, &Value)> {
    connection
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), EDGES | PAGE_INFO))
}

/// Apollo's empty connection: no edges, and a page info that expects a next page.
fn empty_connection() -> Entity {
    let page_info = Entity::new()
        .with(HAS_PREVIOUS, false)
        .with(HAS_NEXT, true)
        .with(START, "")
        .with(END, "");
    Entity::new()
        .with(EDGES, Value::List(List::default()))
        .with(PAGE_INFO, Value::Object(page_info))
}

fn merge(existing: Option<&Value>, incoming: &Value, args: &Map<String, Json>) -> Value {
    let existing = match existing {
        Some(Value::Object(existing)) => existing.clone(),
        _ => empty_connection(),
    };
    let Value::Object(incoming) = incoming else {
        // A null page: the connection stays.
        return Value::Object(existing);
    };
    let mut incoming_edges: Vec<Value> = incoming
        .get(EDGES)
        .and_then(Value::as_list)
        .map(|edges| edges.iter().cloned().collect())
        .unwrap_or_default();
    let mut incoming_info = match incoming.get(PAGE_INFO) {
        Some(Value::Object(info)) => Some(info.clone()),
        _ => None,
    };
    if let Some(info) = &mut incoming_info {
        // The page's cursors name its first and last edges, and the other way round.
        let (start, end) = (
            truthy(info.get(START)).map(str::to_owned),
            truthy(info.get(END)).map(str::to_owned),
        );
        let last = incoming_edges.len().checked_sub(1);
        if let (Some(first), Some(start)) = (incoming_edges.first_mut(), &start) {
            *first = with_cursor(first, start);
        }
        if let (Some(last), Some(end)) = (last, &end) {
            incoming_edges[last] = with_cursor(&incoming_edges[last], end);
        }
        if start.is_none()
            && let Some(cursor) = incoming_edges.first().and_then(cursor_of)
        {
            *info = info.clone().with(START, cursor);
        }
        if end.is_none()
            && let Some(cursor) = incoming_edges.last().and_then(cursor_of)
        {
            *info = info.clone().with(END, cursor);
        }
    }

    // The stored edges are a persistent vector: the splits and the join below cost the page
    // and the log of the list, not a copy of the list. The cursor is the first edge that has
    // it, as Apollo's `findIndex` finds it (a scan of short strings).
    let stored: List = existing
        .get(EDGES)
        .and_then(Value::as_list)
        .cloned()
        .unwrap_or_default();
    let position = |cursor: &str| {
        stored
            .iter()
            .position(|edge| cursor_of(edge) == Some(cursor))
    };
    let nonempty = |name: &str| {
        args.get(name)
            .and_then(Json::as_str)
            .filter(|c| !c.is_empty())
    };
    let (mut prefix, suffix): (imbl::Vector<Value>, imbl::Vector<Value>) =
        if let Some(after) = nonempty("after") {
            let mut prefix = imbl::Vector::clone(&stored);
            if let Some(at) = position(after) {
                prefix.truncate(at + 1);
            }
            (prefix, imbl::Vector::new())
        } else if let Some(before) = nonempty("before") {
            let mut suffix = imbl::Vector::clone(&stored);
            if let Some(at) = position(before) {
                suffix = suffix.split_off(at);
            }
            (imbl::Vector::new(), suffix)
        } else if incoming.contains(EDGES) {
            (imbl::Vector::new(), imbl::Vector::new())
        } else {
            (imbl::Vector::clone(&stored), imbl::Vector::new())
        };
    let (at_start, at_end) = (prefix.is_empty(), suffix.is_empty());
    prefix.extend(incoming_edges);
    prefix.append(suffix);
    let edges = List::from(prefix);

    // Page info: the stored values over the page's, then what the page's place allows.
    let stored_info = match existing.get(PAGE_INFO) {
        Some(Value::Object(info)) => Some(info),
        _ => None,
    };
    let mut info = incoming_info.clone().unwrap_or_default();
    for (name, value) in stored_info.into_iter().flat_map(Entity::iter) {
        info = info.with(name.clone(), value.clone());
    }
    if let Some(page) = &incoming_info {
        for (name, value) in page.iter() {
            let set = match name.as_str() {
                HAS_PREVIOUS | START => at_start,
                HAS_NEXT | END => at_end,
                _ => true,
            };
            if set {
                info = info.with(name.clone(), value.clone());
            }
        }
    }

    let mut connection = Entity::new();
    for (name, value) in extras(&existing).chain(extras(incoming)) {
        connection = connection.with(name.clone(), value.clone());
    }
    Value::Object(
        connection
            .with(EDGES, Value::List(edges))
            .with(PAGE_INFO, Value::Object(info)),
    )
}

fn read(existing: Option<&Value>, call: &FieldRead<'_>) -> Option<Value> {
    let Value::Object(existing) = existing? else {
        return existing.cloned();
    };
    let mut edges = List::default();
    let (mut first, mut last): (Option<String>, Option<String>) = (None, None);
    for edge in existing
        .get(EDGES)
        .and_then(Value::as_list)
        .into_iter()
        .flatten()
    {
        // An edge whose node cannot be read (an entity no longer stored) is left out.
        if !call
            .read_field(edge, NODE)
            .is_some_and(|node| call.can_read(&node))
        {
            continue;
        }
        edges.make_mut().push_back(edge.clone());
        if let Some(cursor) = call.read_field(edge, CURSOR)
            && let Some(cursor) = truthy(Some(&cursor))
        {
            if first.is_none() {
                first = Some(cursor.to_owned());
            }
            last = Some(cursor.to_owned());
        }
    }
    if edges.len() > 1 && first == last {
        first = None;
    }
    let stored_info = match existing.get(PAGE_INFO) {
        Some(Value::Object(info)) => Some(info),
        _ => None,
    };
    let mut info = stored_info.cloned().unwrap_or_default();
    let start = truthy(stored_info.and_then(|info| info.get(START)))
        .map(str::to_owned)
        .or(first)
        .unwrap_or_default();
    let end = truthy(stored_info.and_then(|info| info.get(END)))
        .map(str::to_owned)
        .or(last)
        .unwrap_or_default();
    info = info.with(START, start).with(END, end);
    let mut connection = Entity::new();
    for (name, value) in extras(existing) {
        connection = connection.with(name.clone(), value.clone());
    }
    Some(Value::Object(
        connection
            .with(EDGES, Value::List(edges))
            .with(PAGE_INFO, Value::Object(info)),
    ))
}
