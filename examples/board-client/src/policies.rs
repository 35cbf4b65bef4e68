//! What the cache is told about this server, and nothing more than an Apollo user tells
//! `InMemoryCache`: the possible types and the field types come from the server's own SDL (no
//! list written by hand, and an optimistic answer needs no `__typename`), `User` is keyed by
//! `email` (it has no `id`), a task's `version` orders the server's
//! writes, a project's `tasks` are one Relay connection per `status`, and `Query.task(id)`
//! is read from the cached `Task:<id>` (a cache redirect).

use optimist::{FieldPolicy, KeyArgs, KeyFields, Policies, SchemaError, relay_style_pagination};
use serde_json::json;

/// The policies for a server whose schema is `sdl` (`GET /schema.graphql`).
pub fn policies(sdl: &str) -> Result<Policies, SchemaError> {
    Ok(Policies::new()
        // Declared before the schema is read: the schema marks id-less types it has no key
        // fields for as embedded.
        .key_fields("User", KeyFields::fields(["email"]))
        .schema_from_sdl(sdl)?
        .version_field("Task", "version")
        .field_policy(
            "Project",
            "tasks",
            relay_style_pagination(KeyArgs::only(["status"])),
        )
        .field_policy("Query", "task", task_redirect()))
}

/// `task(id: "t2")` reads `Task:t2` when it is cached (Apollo's `toReference` in a `read`);
/// when it is not, the read is missing and the query goes to the server.
fn task_redirect() -> FieldPolicy {
    FieldPolicy::new().read(|existing, read| {
        existing.cloned().or_else(|| {
            let id = read.args().get("id")?;
            read.to_reference("Task", &json!({ "id": id }))
        })
    })
}

/// The arguments a project's `tasks` connection is stored by (its `key_args`), for
/// [`Policies::connection_id`](optimist::Policies): the status filter, or none.
pub fn connection_args(status: Option<&str>) -> serde_json::Value {
    json!({ "status": status })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_sdl_gives_the_possible_types() {
        let policies = policies(&board_server::sdl()).expect("the SDL parses");
        assert!(policies.type_matches("Node", "Task"));
        assert!(policies.type_matches("SearchResult", "User"));
        assert!(!policies.type_matches("Node", "User"));
    }
}
