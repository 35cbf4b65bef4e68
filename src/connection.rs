//! Connections as Relay's mutation directives edit them: a connection is named by the entity
//! that holds it and the field it is stored under ([`Policies::connection_id`]), and an edge
//! insert or removal is an op: an [`Op::Update`](crate::Op::Update) of one of the two updaters
//! every store has ([`CONNECTION_INSERT`], [`CONNECTION_REMOVE`]). As any op, it is replayed over
//! whatever lies below its layer and taken back exactly when the layer fails.
//!
//! A connection is the stored value of the field: an object whose `edges` list holds edges
//! (objects with a `node`), as [`relay_style_pagination`](crate::relay_style_pagination) keeps
//! it. An insert adds nothing when an edge with the same node is there already (a refetch that
//! brought the created row first, a retried mutation), and nothing when the connection is not
//! stored (Relay's rule: there is no list to show it in yet). A removal drops every edge whose
//! node is the entity named.

use std::sync::Arc;

use crate::entity::Entity;
use crate::field::FieldName;
use crate::op::{Op, UpdaterFn};
use crate::policy::Policies;
use crate::value::{List, Value};

/// What a directive asks of the field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "graphql"), allow(dead_code))] // documents build them
pub(crate) enum EditKind {
    /// The value is an edge (or a list of edges): added at the end of each connection.
    AppendEdge,
    /// The same, at the start.
    PrependEdge,
    /// The value is a node (or nodes): an edge of `edgeTypeName` around it is added at the end.
    AppendNode,
    /// The same, at the start.
    PrependNode,
    /// The value is an id (or ids): the edges whose node has it are removed from each connection.
    DeleteEdge,
    /// The value is an id (or ids): the entity is deleted.
    DeleteRecord,
}

/// The updater that inserts an edge into a connection.
pub const CONNECTION_INSERT: &str = "connection:insert";
/// The updater that removes the edges of a node from a connection.
pub const CONNECTION_REMOVE: &str = "connection:remove";

const EDGES: &str = "edges";
const NODE: &str = "node";

/// ## Connections
impl Policies {
    /// The id of the connection stored in the field `field` (with the arguments `args`) of the
    /// entity `key`: what `@appendEdge(connections: [...])` and its siblings name. The field
    /// is named as these policies store it (its field policy's key arguments), so the id is the
    /// same whatever page the arguments ask for.
    ///
    /// ```
    /// use optimist::{KeyArgs, Policies, relay_style_pagination};
    /// use serde_json::json;
    /// let policies = Policies::new()
    ///     .field_policy("Project", "tasks", relay_style_pagination(KeyArgs::only(["status"])));
    /// assert_eq!(
    ///     policies.connection_id("Project:1", "tasks", &json!({"first": 10, "status": "open"})),
    ///     r#"Project:1.tasks({"status":"open"})"#,
    /// );
    /// assert_eq!(policies.connection_id("ROOT_QUERY", "feed", &json!({})), "ROOT_QUERY.feed");
    /// ```
    pub fn connection_id(&self, key: &str, field: &str, args: &serde_json::Value) -> String {
        let typename = match key.split_once(':') {
            Some((typename, _)) => Some(typename),
            None => crate::key::root_typename(key),
        };
        let full = match args {
            serde_json::Value::Object(map) if !map.is_empty() => FieldName::with_args(field, args),
            _ => FieldName::new(field),
        };
        format!("{key}.{}", self.storage_name(typename, &full))
    }
}

/// The entity and storage field a connection id names; `None` if it names none (no `.` after
/// a valid key and before a field name).
#[cfg(feature = "graphql")]
pub(crate) fn parse_connection_id(id: &str) -> Option<(crate::key::Key, FieldName)> {
    id.match_indices('.').find_map(|(at, _)| {
        let (key, field) = (&id[..at], &id[at + 1..]);
        let bare = crate::field::bare_name(field);
        let mut chars = bare.chars();
        let named = chars
            .next()
            .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
            && chars.all(|c| c == '_' || c.is_ascii_alphanumeric());
        let args = &field[bare.len()..];
        let well_formed = args.is_empty() || (args.starts_with('(') && args.ends_with(')'));
        if !(named && well_formed) {
            return None;
        }
        Some((crate::key::Key::new(key).ok()?, FieldName::new(field)))
    })
}

/// The op that inserts `edge` at the start (`front`) or end of the connection stored in
/// `field` of the entity it is applied to.
pub(crate) fn insert_op(field: &FieldName, edge: Value, front: bool) -> Op {
    let args = Entity::new()
        .with("edge", edge)
        .with("field", field.as_str())
        .with("front", front);
    Op::Update {
        name: Arc::from(CONNECTION_INSERT),
        args: Value::Object(args),
    }
}

/// The op that removes from the connection stored in `field` the edges whose node is `node`
/// (a key, or an id that ends one: `7` matches `Task:7`).
pub(crate) fn remove_op(field: &FieldName, node: &str) -> Op {
    let args = Entity::new()
        .with("field", field.as_str())
        .with("node", node);
    Op::Update {
        name: Arc::from(CONNECTION_REMOVE),
        args: Value::Object(args),
    }
}

/// The two updaters, which every store registers.
pub(crate) fn updaters() -> [(&'static str, Arc<UpdaterFn>); 2] {
    [
        (CONNECTION_INSERT, Arc::new(insert) as Arc<UpdaterFn>),
        (CONNECTION_REMOVE, Arc::new(remove) as Arc<UpdaterFn>),
    ]
}

/// The connection and its edges in `entity`'s field named by `args`, if it holds one.
fn connection<'e>(entity: &'e Entity, args: &Entity) -> Option<(FieldName, &'e Entity, List)> {
    let field = args.get("field")?.as_str()?;
    let name = entity.name_of(field)?.clone();
    let Value::Object(connection) = entity.get(field)? else {
        return None;
    };
    let edges = match connection.get(EDGES) {
        Some(Value::List(edges)) => edges.clone(),
        None | Some(Value::Null) => List::default(),
        Some(_) => return None,
    };
    Some((name, connection, edges))
}

fn node_of(edge: &Value) -> Option<&Value> {
    match edge {
        Value::Object(edge) => edge.get(NODE),
        _ => None,
    }
}

fn insert(entity: Option<&Entity>, args: &Value) -> Option<Entity> {
    let entity = entity?;
    let Value::Object(args) = args else {
        return Some(entity.clone());
    };
    let (Some((name, connection, mut edges)), Some(edge)) =
        (connection(entity, args), args.get("edge"))
    else {
        return Some(entity.clone());
    };
    let node = node_of(edge);
    if node.is_some() && edges.iter().any(|known| node_of(known) == node) {
        return Some(entity.clone());
    }
    if args.get("front").and_then(Value::as_bool) == Some(true) {
        edges.make_mut().push_front(edge.clone());
    } else {
        edges.make_mut().push_back(edge.clone());
    }
    let connection = connection.clone().with(EDGES, Value::List(edges));
    Some(entity.clone().with(name, Value::Object(connection)))
}

/// Whether `node` (a stored node) is the one `target` names: its key, or the id of its key.
fn names(node: Option<&Value>, target: &str) -> bool {
    match node {
        Some(Value::Ref(key)) => key.as_str() == target || key.id() == Some(target),
        _ => false,
    }
}

fn remove(entity: Option<&Entity>, args: &Value) -> Option<Entity> {
    let entity = entity?;
    let Value::Object(args) = args else {
        return Some(entity.clone());
    };
    let (Some((name, connection, edges)), Some(target)) = (
        connection(entity, args),
        args.get("node").and_then(Value::as_str),
    ) else {
        return Some(entity.clone());
    };
    if !edges.iter().any(|edge| names(node_of(edge), target)) {
        return Some(entity.clone());
    }
    let kept: List = edges
        .iter()
        .filter(|edge| !names(node_of(edge), target))
        .cloned()
        .collect();
    let connection = connection.clone().with(EDGES, Value::List(kept));
    Some(entity.clone().with(name, Value::Object(connection)))
}
