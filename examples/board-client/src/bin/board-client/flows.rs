//! The flows: each shows one thing the app gets from optimist over GraphQL, prints what the
//! user sees, and checks it as it goes (the same checks as `tests/flows.rs`).

use board_client::PAGE;
use optimist::{FailureKind, Key, MutationStatus};
use serde_json::json;

use crate::world::{FlowError, Timeline, World, check};

/// How many tasks the pagination flow loads: three pages.
const LOADED: usize = 3 * PAGE as usize;

impl<T: Timeline> World<T> {
    /// Every flow, one after the other on one server.
    pub async fn every_flow(&mut self) -> Result<(), FlowError> {
        self.typenames_added().await?;
        self.pagination().await?;
        self.refetch_first_page().await?;
        self.redirect().await?;
        self.search().await?;
        self.row_watches().await?;
        self.version_conflict().await?;
        self.optimistic_create().await?;
        self.lost_create().await?;
        self.refused_delete().await
    }

    /// The documents name no `__typename`; what was sent asked for it, and the cache is
    /// normalized by it (each task is an entity, each user keyed by e-mail).
    pub async fn typenames_added(&mut self) -> Result<(), FlowError> {
        self.say("== flow: plain documents, typenames added on the way");
        let text = self
            .view
            .key
            .body()
            .map(|body| body["query"].to_string())
            .unwrap_or_default();
        check(
            !board_client::documents::BOARD.contains("__typename"),
            || "the document names none".into(),
        )?;
        check(text.contains("__typename"), || {
            format!("the request text asks for typenames: {text}")
        })?;
        let first = self.ids()?.first().cloned().unwrap_or_default();
        let client = self.alice.client();
        let store = client.store();
        check(store.contains(&format!("Task:{first}")), || {
            format!("Task:{first} is an entity")
        })?;
        let users: Vec<String> = store
            .iter()
            .map(|(key, _)| key.to_string())
            .filter(|key| key.starts_with("User:"))
            .collect();
        let ada = store
            .policies()
            .identify("User", &json!({"email": "ada@example.com"}))?;
        check(users.contains(&ada.to_string()), || {
            format!("users are entities keyed by e-mail ({ada}): {users:?}")
        })?;
        drop(client);
        self.say(&format!(
            "sent with __typename; users cached as {}",
            users.join(", ")
        ));
        Ok(())
    }

    /// Pages fetched with `first` / `after`, read back as one connection.
    pub async fn pagination(&mut self) -> Result<(), FlowError> {
        self.say("== flow: Relay pagination, pages merged into one connection");
        check(self.ids()?.len() == PAGE as usize, || {
            format!("one page first: {:?}", self.ids())
        })?;
        let before = self.alice.http().sent_count();
        while self.ids()?.len() < LOADED && self.alice.load_more(&self.view).await? {}
        self.mount_rows()?;
        self.show("alice scrolls: two more pages (first/after), read as one list")?;
        let sent = &self.alice.http().sent()[before..];
        check(sent.iter().all(|name| name == "Board"), || {
            format!("only Board requests: {sent:?}")
        })?;
        let server: Vec<String> = self
            .server_tasks()
            .await?
            .into_iter()
            .map(|t| t.0)
            .take(LOADED)
            .collect();
        let ids = self.ids()?;
        check(ids == server, || {
            format!("the loaded pages are the server's first tasks in order: {ids:?} != {server:?}")
        })?;
        Ok(())
    }

    /// A refetch of the first page replaces the list (Apollo's semantics); the app loads
    /// pages again until it shows as many rows as before.
    pub async fn refetch_first_page(&mut self) -> Result<(), FlowError> {
        self.say("== flow: a refetch of the first page");
        let before = self.ids()?;
        self.alice.refetch(&self.view).await?;
        let after_refetch = self.ids()?;
        self.show("the board is refetched: the first page replaces the list")?;
        check(after_refetch == before[..PAGE as usize], || {
            format!("the first page alone: {after_refetch:?}")
        })?;
        let sent = self.alice.http().sent_count();
        self.alice.load_until(&self.view, before.len()).await?;
        let pages = self.alice.http().sent_count() - sent;
        self.mount_rows()?;
        self.show(&format!("the app loads the pages again ({pages} requests)"))?;
        let again = self.ids()?;
        check(again == before, || {
            format!("the same rows again: {again:?} != {before:?}")
        })
    }

    /// A task's detail is read from its cached row: no request.
    pub async fn redirect(&mut self) -> Result<(), FlowError> {
        self.say("== flow: a cache redirect, Query.task(id) read from Task:<id>");
        let tasks = self.alice.board(&self.view)?;
        let row = tasks
            .edges
            .get(1)
            .map(|edge| edge.node.clone())
            .ok_or_else(|| FlowError("no second row".into()))?;
        let before = self.alice.http().sent_count();
        let detail = self.alice.open_task(&row.id).await?;
        let sent = self.alice.http().sent_count() - before;
        self.say(&format!(
            "alice opens {}: {detail:?}; requests sent: {sent}",
            row.id
        ));
        check(sent == 0, || {
            format!("no request: {:?}", &self.alice.http().sent()[before..])
        })?;
        check(detail.as_ref() == Some(&row), || {
            format!("the row's data: {detail:?} != {row:?}")
        })?;
        // A task no board shows is not cached: that one goes to the server.
        let other = self.server_other_project_task().await?;
        let detail = self.alice.open_task(&other).await?;
        let sent = &self.alice.http().sent()[before..];
        self.say(&format!(
            "alice opens {other} (not on her board): fetched, requests: {sent:?}"
        ));
        check(sent == ["Task"] && detail.is_some(), || {
            format!("one Task request: {sent:?} {detail:?}")
        })
    }

    /// Search: a union read through the possible types the server's SDL declares.
    pub async fn search(&mut self) -> Result<(), FlowError> {
        self.say("== flow: a union search, possible types from the schema");
        let found = self.alice.search("ada").await?;
        let user = found.search.iter().find(|hit| hit.typename == "User");
        check(
            user.is_some_and(|u| u.email.as_deref() == Some("ada@example.com")),
            || format!("Ada found: {:?}", found.search),
        )?;
        let found = self.alice.search("Task 1.2").await?;
        let task = found.search.iter().find(|hit| hit.typename == "Task");
        self.say(&format!("search \"Task 1.2\": {task:?}"));
        check(
            task.is_some_and(|t| {
                t.id.as_deref().is_some_and(|id| id.starts_with('t'))
                    && t.title.as_deref() == Some("Task 1.2")
            }),
            || format!("the task's id read through `... on Node`: {task:?}"),
        )
    }

    /// One fragment watch per visible row: an update re-renders that row only.
    pub async fn row_watches(&mut self) -> Result<(), FlowError> {
        self.say("== flow: fragment watches, one per row");
        self.rows.take_renders();
        let ids = self.ids()?;
        let key = Key::entity("Task", &ids[2])?;
        let row = self.alice.board(&self.view)?.edges[2].node.clone();
        let status = if row.status == "DONE" { "TODO" } else { "DONE" };
        let handle = self.alice.update_task(&key, None, Some(status))?;
        let renders = self.show(&format!("alice sets {key} to {status} (optimistic)"))?;
        check(renders == [key.clone()], || {
            format!("only {key} re-rendered: {renders:?}")
        })?;
        let status = self.settled(handle).await?;
        let renders = self.show("the server confirmed (version bumped)")?;
        check(status == MutationStatus::Committed, || {
            format!("committed: {status:?}")
        })?;
        check(renders.iter().all(|k| *k == key), || {
            format!("only {key} re-rendered: {renders:?}")
        })?;
        check(self.rows.mounted() == ids.len(), || {
            "one watch per visible row".into()
        })?;
        self.check_quiet()
    }

    /// A stale `expectedVersion`: the server refuses (VERSION_CONFLICT), the guess is taken
    /// back, and the task is fetched again.
    pub async fn version_conflict(&mut self) -> Result<(), FlowError> {
        self.say("== flow: a version conflict");
        let ids = self.ids()?;
        let id = ids[1].clone();
        let key = Key::entity("Task", &id)?;
        let server = self.server_tasks().await?;
        let version = server.iter().find(|t| t.0 == id).map_or(1, |t| t.2);
        self.bob(
            "mutation($id: ID!, $v: Int!) { updateTask(input: {id: $id, title: \"Renamed by bob\", expectedVersion: $v}) { id } }",
            json!({"id": id, "v": version}),
        )
        .await?;
        self.say(&format!(
            "bob renames {id} on the server (alice's cache still has version {version})"
        ));
        let handle = self
            .alice
            .update_task(&key, Some("Renamed by alice"), None)?;
        self.show(&format!("alice renames {id} (expectedVersion {version})"))?;
        let status = self.alice.saved(&key, handle).await?;
        let renders = self.show(
            "the server refused (VERSION_CONFLICT): the guess reverted, the task fetched again",
        )?;
        check(
            matches!(&status, MutationStatus::Failed(f) if f.kind == FailureKind::Conflict),
            || format!("a conflict: {status:?}"),
        )?;
        let row = self
            .alice
            .board(&self.view)?
            .edges
            .into_iter()
            .find(|e| e.node.id == id)
            .map(|e| e.node);
        check(
            row.as_ref()
                .is_some_and(|r| r.title == "Renamed by bob" && r.version == version + 1),
            || format!("bob's title and version show: {row:?}"),
        )?;
        check(renders.iter().all(|k| *k == key), || {
            format!("only {key} re-rendered: {renders:?}")
        })?;
        self.dismiss_failures();
        self.check_quiet()
    }

    /// An optimistic create appended to the connection by `@appendEdge`, then confirmed.
    pub async fn optimistic_create(&mut self) -> Result<(), FlowError> {
        self.say("== flow: an optimistic create, @appendEdge");
        let before = self.ids()?;
        self.alice.http().fault_next("CreateTask", "latency=200ms");
        let (tmp, handle) = self.alice.create_task(&self.view, "Write the docs")?;
        self.mount_rows()?;
        self.show(&format!(
            "alice adds \"Write the docs\" (the server takes 200 ms): shown at once as {tmp}"
        ))?;
        let shown = self.ids()?;
        check(
            shown.len() == before.len() + 1 && shown.last().map(String::as_str) == tmp.id(),
            || format!("appended under {tmp}: {shown:?}"),
        )?;
        let status = self.settled(handle).await?;
        self.mount_rows()?;
        self.show("the server answered: its edge replaces the guess")?;
        check(status == MutationStatus::Committed, || {
            format!("committed: {status:?}")
        })?;
        let after = self.ids()?;
        let server = self.server_tasks().await?;
        let created = server
            .iter()
            .find(|t| t.1 == "Write the docs")
            .map(|t| t.0.clone());
        check(
            after.len() == before.len() + 1 && after.last() == created.as_ref(),
            || format!("the server's task at the end: {after:?}, server {created:?}"),
        )?;
        self.check_quiet()
    }

    /// A create whose answer is lost: retried under its idempotency key, one row.
    pub async fn lost_create(&mut self) -> Result<(), FlowError> {
        self.say("== flow: a lost answer, retried under the same idempotency key");
        let before = self.ids()?;
        self.alice.http().fault_next("CreateTask", "lose");
        let (_tmp, handle) = self.alice.create_task(&self.view, "Send the invoice")?;
        let id = handle.id();
        let status = self.settled(handle).await?;
        self.mount_rows()?;
        let attempts = self
            .alice
            .client()
            .store()
            .mutation(id)
            .map(|m| m.attempts());
        self.show(&format!(
            "the first answer was lost; sent {} times",
            attempts.unwrap_or(0)
        ))?;
        check(
            status == MutationStatus::Committed && attempts == Some(2),
            || format!("committed on the second send: {status:?}, {attempts:?}"),
        )?;
        let server = self.server_tasks().await?;
        let rows = server.iter().filter(|t| t.1 == "Send the invoice").count();
        check(rows == 1, || format!("one row on the server, not {rows}"))?;
        let shown = self.ids()?;
        check(shown.len() == before.len() + 1, || {
            format!("one row shown: {shown:?}")
        })?;
        self.check_quiet()
    }

    /// A delete the server refuses: gone at once (`@deleteRecord`), back in its place.
    pub async fn refused_delete(&mut self) -> Result<(), FlowError> {
        self.say("== flow: a refused delete, @deleteRecord");
        let before = self.alice.board(&self.view)?;
        let locked = before
            .edges
            .iter()
            .find(|edge| edge.node.title.starts_with("locked"))
            .map(|edge| edge.node.id.clone())
            .ok_or_else(|| FlowError("no locked task shown".into()))?;
        let key = Key::entity("Task", &locked)?;
        self.alice.http().fault_next("DeleteTask", "latency=200ms");
        let handle = self.alice.delete_task(&key)?;
        let gone = self.ids()?;
        self.show(&format!(
            "alice deletes {key} (the server will refuse: its title starts with \"locked\")"
        ))?;
        check(
            !gone.contains(&locked) && gone.len() + 1 == before.edges.len(),
            || format!("gone from the connection's read at once: {gone:?}"),
        )?;
        let status = self.settled(handle).await?;
        self.show("the server refused (FORBIDDEN): it is back in its place")?;
        check(
            matches!(&status, MutationStatus::Failed(f) if f.kind == FailureKind::Rejected && f.message.starts_with("FORBIDDEN")),
            || format!("refused: {status:?}"),
        )?;
        let after = self.alice.board(&self.view)?;
        check(after == before, || {
            format!("exactly as before:\n{before:?}\n{after:?}")
        })?;
        self.dismiss_failures();
        self.check_quiet()
    }

    /// A task of project `p2` (on no board of alice's), read by bob.
    async fn server_other_project_task(&self) -> Result<String, FlowError> {
        let data = self
            .bob(
                "{ project(id: \"p2\") { tasks(first: 1) { edges { node { id } } } } }",
                json!({}),
            )
            .await?;
        data["project"]["tasks"]["edges"][0]["node"]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| FlowError(format!("project p2 has a task: {data}")))
    }
}
