//! The world the flows run in: a board server (in-process, or one given by URL), the user's
//! client ("alice", a [`Board`]), the board on her screen with a fragment watch per row,
//! another client ("bob") writing over plain GraphQL, and the timeline the flows print.
//!
//! The binary prints the timeline; the integration test (`tests/flows.rs`) keeps it and
//! prints it when a flow fails.

use std::time::{Duration, Instant};

use board_client::{Board, BoardError, BoardView, Rows, model::TaskRow};
use board_server::{Config, Running, Seed};
use optimist::{Key, MutationStatus};
use serde_json::{Value as Json, json};

/// What a flow found wrong (not an `Error` itself, so that every error converts into it).
#[derive(Debug)]
pub struct FlowError(pub String);

impl std::fmt::Display for FlowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::error::Error> From<E> for FlowError {
    fn from(error: E) -> FlowError {
        FlowError(error.to_string())
    }
}

/// Fails the flow with `message` unless `condition` holds.
pub fn check(condition: bool, message: impl FnOnce() -> String) -> Result<(), FlowError> {
    if condition {
        Ok(())
    } else {
        Err(FlowError(message()))
    }
}

/// Where the timeline goes: printed by the binary, kept by the test.
pub trait Timeline {
    /// One entry (its first line is the event, the others details).
    fn line(&mut self, text: &str);
}

/// A timeline printed to stdout, each entry stamped with the time since the start.
pub struct Printed(pub Instant);

impl Timeline for Printed {
    fn line(&mut self, text: &str) {
        let at = self.0.elapsed().as_secs_f64();
        for (n, line) in text.lines().enumerate() {
            if n == 0 {
                println!("[{at:6.2}s] {line}");
            } else {
                println!("          {line}");
            }
        }
    }
}

/// A timeline kept in memory (printed by a failing test).
#[derive(Default)]
pub struct Kept(pub Vec<String>);

impl Timeline for Kept {
    fn line(&mut self, text: &str) {
        self.0.push(text.to_owned());
    }
}

/// The seed of an in-process server: two projects of eight tasks.
pub const SEED: Seed = Seed {
    projects: 2,
    tasks_per_project: 8,
};

/// How long a flow waits for a mutation to settle, at most.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// The server, alice's client and screen, bob, and the timeline.
pub struct World<T: Timeline> {
    /// The in-process server, if this world started one.
    pub server: Option<Running>,
    /// Alice's client.
    pub alice: Board,
    /// The board on alice's screen (project `p1`).
    pub view: BoardView,
    /// One fragment watch per row alice sees.
    pub rows: Rows,
    bob: reqwest::Client,
    url: String,
    /// The timeline.
    pub out: T,
}

impl<T: Timeline> World<T> {
    /// Starts a server on a fresh seeded database (`url: None`) or joins the one at `url`,
    /// opens alice's client and shows her the first page of project `p1`'s board.
    pub async fn start(url: Option<&str>, out: T) -> Result<World<T>, FlowError> {
        let (server, url) = match url {
            Some(url) => (None, url.trim_end_matches('/').to_owned()),
            None => {
                let config = Config {
                    seed: Some(SEED),
                    ..Config::default()
                };
                let server = board_server::start(config)
                    .await
                    .map_err(|error| FlowError(format!("server: {error}")))?;
                let url = server.url();
                (Some(server), url)
            }
        };
        let alice = Board::open(&url).await?;
        let view = alice.open_board("p1", None).await?;
        let rows = Rows::new(alice.docs().row.clone());
        let mut world = World {
            server,
            alice,
            view,
            rows,
            bob: reqwest::Client::new(),
            url,
            out,
        };
        world.mount_rows()?;
        world.show(
            "alice opens project p1's board (its schema read first, for the possible types)",
        )?;
        Ok(world)
    }

    /// Adds an entry to the timeline.
    pub fn say(&mut self, text: &str) {
        self.out.line(text);
    }

    /// Mounts a row watcher for each visible row, unmounts the others.
    pub fn mount_rows(&mut self) -> Result<(), FlowError> {
        let visible = self.alice.visible(&self.view)?;
        let mut client = self.alice.client();
        self.rows.sync(&mut client.store_mut(), &visible)?;
        Ok(())
    }

    /// Prints what alice sees and which rows re-rendered since the last entry; returns the
    /// keys of the rows that re-rendered, in order.
    pub fn show(&mut self, step: &str) -> Result<Vec<Key>, FlowError> {
        let tasks = self.alice.board(&self.view)?;
        let mut text = format!(
            "{step}\n  alice sees {} tasks (the server counted {} at the last page){}:",
            tasks.edges.len(),
            tasks.total_count,
            if tasks.page_info.has_next_page {
                ", more to load"
            } else {
                ""
            }
        );
        for edge in &tasks.edges {
            text.push_str(&format!("\n    {}", self.describe(&edge.node)));
        }
        let failed: Vec<String> = self
            .alice
            .client()
            .store()
            .failed_mutations()
            .map(|m| format!("{}: {}", m.label(), status_text(m.status())))
            .collect();
        for failure in failed {
            text.push_str(&format!("\n  error shown: {failure}"));
        }
        let renders: Vec<Key> = self
            .rows
            .take_renders()
            .into_iter()
            .map(|(key, _)| key)
            .collect();
        let names: Vec<&str> = renders.iter().map(Key::as_str).collect();
        text.push_str(&format!(
            "\n  rows re-rendered: {}",
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        ));
        self.say(&text);
        Ok(renders)
    }

    fn describe(&self, task: &TaskRow) -> String {
        let key = format!("Task:{}", task.id);
        let saving = self
            .alice
            .client()
            .store()
            .mutations_touching(&key, None)
            .map(|m| m.label().to_owned())
            .collect::<Vec<_>>();
        format!(
            "{:<12} {:<30} {:<11} v{} {:<20} {}",
            key,
            format!("{:?}", task.title),
            task.status,
            task.version,
            task.assignee
                .as_ref()
                .map_or("-", |user| user.email.as_str()),
            if saving.is_empty() {
                "confirmed".to_owned()
            } else {
                format!("saving: {}", saving.join(", "))
            }
        )
    }

    /// What alice sees now: the tasks' ids, in order.
    pub fn ids(&self) -> Result<Vec<String>, FlowError> {
        Ok(self
            .alice
            .board(&self.view)?
            .ids()
            .into_iter()
            .map(str::to_owned)
            .collect())
    }

    /// Bob posts an operation (plain GraphQL, no cache); its `data`.
    pub async fn bob(&self, query: &str, variables: Json) -> Result<Json, FlowError> {
        let body: Json = self
            .bob
            .post(format!("{}/graphql", self.url))
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await?
            .json()
            .await?;
        check(body.get("errors").is_none(), || {
            format!("bob's request failed: {body}")
        })?;
        Ok(body["data"].clone())
    }

    /// The server's tasks of `p1`, in order: (id, title, version), read by bob.
    pub async fn server_tasks(&self) -> Result<Vec<(String, String, i64)>, FlowError> {
        let data = self
            .bob(
                "{ project(id: \"p1\") { tasks(first: 1000) { edges { node { id title version } } } } }",
                json!({}),
            )
            .await?;
        let edges = data["project"]["tasks"]["edges"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        Ok(edges
            .iter()
            .map(|edge| {
                let node = &edge["node"];
                (
                    node["id"].as_str().unwrap_or_default().to_owned(),
                    node["title"].as_str().unwrap_or_default().to_owned(),
                    node["version"].as_i64().unwrap_or_default(),
                )
            })
            .collect())
    }

    /// Waits for a mutation to settle (at most [`PATIENCE`]).
    pub async fn settled(
        &self,
        handle: optimist::MutationHandle,
    ) -> Result<MutationStatus, FlowError> {
        match tokio::time::timeout(PATIENCE, handle).await {
            Ok(status) => Ok(status.map_err(|_| BoardError::Stopped)?),
            Err(_) => Err(FlowError("a mutation did not settle in time".into())),
        }
    }

    /// Dismisses every failure shown (the user closed the errors).
    pub fn dismiss_failures(&mut self) {
        let mut client = self.alice.client();
        let mut store = client.store_mut();
        let failed: Vec<_> = store.failed_mutations().map(|m| m.id()).collect();
        for id in failed {
            store.dismiss(id);
        }
    }

    /// Checks the store's invariants and that nothing is pending.
    pub fn check_quiet(&self) -> Result<(), FlowError> {
        let client = self.alice.client();
        check(!client.store().is_mutating(), || "nothing pending".into())?;
        client.store().check_invariants().map_err(FlowError)?;
        client.check_invariants().map_err(FlowError)
    }

    /// Stops the client and the server.
    pub async fn finish(mut self) {
        self.rows.clear(&mut self.alice.client().store_mut());
        drop(self.alice);
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
    }
}

/// A mutation's status in a few words.
pub fn status_text(status: &MutationStatus) -> String {
    match status {
        MutationStatus::Failed(failure) => {
            format!("failed ({:?}): {}", failure.kind, failure.message)
        }
        other => format!("{other:?}").to_lowercase(),
    }
}
