//! The user's changes as mutations: each an optimistic guess pushed as a layer at once, and
//! the request data saved with it (the operation's name and variables), from which the
//! request is built when its turn comes ([`request`]). Nothing here sends anything.
//!
//! * create: the optimistic answer of `CreateTask`, normalized through the document: its
//!   `@appendEdge` appends the guessed edge to the board's connection;
//! * delete: the optimistic answer of `DeleteTask`: its `@deleteRecord` deletes the task, and
//!   the connection's read drops the edge;
//! * update: the fields the user set, on the task's entity.
//!
//! Updates and deletes of one task are scoped by it: sent one after the other, each naming
//! the version the one before it left (read from the confirmed store at send time, as an
//! `If-Match` would be).

use optimist::{
    Document, Key, Mutation, Outcome, Outgoing, Patch, Scope, Store, Value, normalize_query,
};
use serde_json::{Value as Json, json};

use crate::documents::Documents;
use crate::error::BoardError;

/// A request built from a mutation's saved data: the document it sends, the variables, and
/// the body to post.
pub struct Request<'d> {
    /// The mutation's document (its answer is normalized through it).
    pub doc: &'d Document,
    /// The variables sent.
    pub variables: Json,
    /// `{query, variables, operationName}`, the query being the document's request text.
    pub body: Json,
}

/// Adds a task titled `title` at the end of the connection `connection` (an id from
/// [`Policies::connection_id`](optimist::Policies)): shown at once under a temporary id,
/// replaced by the server's task when the answer comes. Returns the temporary key.
pub fn create(
    store: &mut Store,
    docs: &Documents,
    project: &str,
    title: &str,
    connection: &str,
) -> Result<(Key, Mutation), BoardError> {
    let tmp = store.temporary_key("Task")?;
    let variables = json!({
        // The idempotency key is the mutation's own, set when it is sent.
        "input": {"projectId": project, "title": title, "idempotencyKey": ""},
        "connections": [connection],
    });
    // What the server will answer, guessed: no `__typename` (Apollo's `optimisticResponse`
    // needs one on every object), the schema types the edge and its node.
    let guess = json!({"createTask": {"edge": {
        "cursor": "",
        "node": {"id": tmp.id().unwrap_or_default(), "title": title,
                 "status": "TODO", "version": 1, "assignee": null},
    }}});
    let patch = normalize_query(store.policies(), &docs.create, &variables, &guess)?;
    let mutation = Mutation::new(&format!("create {title:?}"), patch)
        .request(json!({"operation": "CreateTask", "variables": variables}));
    Ok((tmp, mutation))
}

/// Sets a task's title and/or status (`None`: unchanged).
pub fn update(
    key: &Key,
    title: Option<&str>,
    status: Option<&str>,
) -> Result<Mutation, BoardError> {
    let id = key.id().unwrap_or_default();
    let mut patch = Patch::new();
    let mut input = json!({"id": id, "expectedVersion": 0});
    if let Some(title) = title {
        patch = patch.set(key, "title", title);
        input["title"] = json!(title);
    }
    if let Some(status) = status {
        patch = patch.set(key, "status", status);
        input["status"] = json!(status);
    }
    let label = match (title, status) {
        (Some(title), _) => format!("rename {key} to {title:?}"),
        (None, Some(status)) => format!("set {key} to {status}"),
        (None, None) => format!("touch {key}"),
    };
    Ok(Mutation::new(&label, patch)
        .request(json!({"operation": "UpdateTask", "variables": {"input": input}}))
        .scope(Scope::item(key)?))
}

/// Deletes a task: gone from every list at once, back in its place if the server refuses.
pub fn delete(store: &Store, docs: &Documents, key: &Key) -> Result<Mutation, BoardError> {
    let id = key.id().unwrap_or_default();
    let variables = json!({"id": id});
    let guess = json!({"deleteTask": {"deletedId": id}});
    let patch = normalize_query(store.policies(), &docs.delete, &variables, &guess)?;
    Ok(Mutation::new(&format!("delete {key}"), patch)
        .request(json!({"operation": "DeleteTask", "variables": variables}))
        .scope(Scope::item(key)?))
}

/// The request of a mutation whose turn has come, from its saved data and the store as it is
/// now: a create sends its idempotency key, an update the version the store has confirmed.
/// A mutation this app did not make is rejected.
pub fn request<'d>(
    store: &Store,
    docs: &'d Documents,
    out: &Outgoing,
) -> Result<Request<'d>, Outcome> {
    let data = out.request.to_json();
    let operation = data["operation"].as_str().unwrap_or_default();
    let doc = docs
        .mutation(operation)
        .ok_or_else(|| Outcome::Rejected(format!("not this app's mutation: {data}").into()))?;
    let mut variables = data["variables"].clone();
    match operation {
        "CreateTask" => {
            variables["input"]["idempotencyKey"] = json!(&*out.idempotency_key);
        }
        "UpdateTask" => {
            let id = variables["input"]["id"].clone();
            let version = store
                .policies()
                .identify("Task", &json!({ "id": id }))
                .ok()
                .and_then(|key| store.get_confirmed(key.as_str()))
                .and_then(|task| task.get("version"))
                .and_then(Value::as_i64)
                .ok_or_else(|| Outcome::Rejected(format!("no confirmed version of {id}").into()))?;
            variables["input"]["expectedVersion"] = json!(version);
        }
        _ => {}
    }
    let body = doc.request_body(variables.clone());
    Ok(Request {
        doc,
        variables,
        body,
    })
}
