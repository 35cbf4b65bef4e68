//! The todo app's flows, through the Dioxus screen: a real server with faults injected, the
//! user's client (`todo_client`, its driver and event stream on tokio), and the screen in a
//! `VirtualDom` rendered to HTML by dioxus-ssr after every step. Each step checks what the
//! screen shows and which components re-rendered; each flow ends by checking that the
//! server's rows equal the client's confirmed view, and that the screen shows exactly them.
//!
//! The example prints the timeline; the integration test (`tests/todo_app.rs`) runs each flow
//! on a server of its own, and all of them in sequence on one.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dioxus::core::NoOpMutations;
use dioxus::prelude::*;
use optimist::{Key, LayerId};
use serde_json::json;
use todo_client::{Client, Todo};
use todo_server::{Config, Running};

use crate::screen::{ActionError, Actions, App, Renders};

/// The server, the user's client ("alice") with the screen mounted on it, another client
/// ("bob") writing over plain HTTP, and the timeline.
pub struct World<T: Timeline> {
    /// The running server (`None` while it is down).
    pub server: Option<Running>,
    /// The user's client: its I/O (driver, event stream, outbox) runs on tokio.
    pub alice: Client,
    dom: VirtualDom,
    actions: Actions,
    renders: Renders,
    bob: reqwest::Client,
    port: u16,
    dir: PathBuf,
    /// The timeline.
    pub out: T,
}

static WORLDS: AtomicU64 = AtomicU64::new(0);

/// How long a flow waits for the client to settle or for a pushed change, at most.
const PATIENCE: Duration = Duration::from_secs(10);

/// The screen over `alice`'s shared client, built.
fn mount(alice: &Client, actions: &Actions, renders: &Renders) -> VirtualDom {
    let mut dom = VirtualDom::new(App)
        .with_root_context(alice.shared())
        .with_root_context(actions.clone())
        .with_root_context(renders.clone());
    dom.rebuild_in_place();
    dom
}

impl<T: Timeline> World<T> {
    /// Starts a server on a fresh database in a fresh directory, opens alice's client on it
    /// with an empty outbox, and mounts the screen.
    pub async fn start(out: T) -> Result<World<T>, FlowError> {
        let dir = std::env::temp_dir().join(format!(
            "optimist-dioxus-todo-{}-{}",
            std::process::id(),
            WORLDS.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let server = todo_server::start(Config {
            db_path: Some(dir.join("todos.sqlite3")),
            port: 0,
        })
        .await
        .map_err(|error| FlowError(format!("server: {error}")))?;
        let port = server.addr().port();
        let alice = Client::open(&server.url(), "alice", &dir.join("outbox.json")).await?;
        let (actions, renders) = (Actions::default(), Renders::default());
        let dom = mount(&alice, &actions, &renders);
        let mut world = World {
            server: Some(server),
            alice,
            dom,
            actions,
            renders,
            bob: reqwest::Client::new(),
            port,
            dir,
            out,
        };
        world
            .until("the list is loaded", |w| {
                w.html().contains("list: up to date")
            })
            .await?;
        world.show("server up, client opened, screen mounted: empty list");
        Ok(world)
    }

    fn server(&self) -> Result<&Running, FlowError> {
        self.server
            .as_ref()
            .ok_or_else(|| FlowError("the server is down".into()))
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn say(&mut self, text: &str) {
        self.out.line(text);
    }

    /// Runs the screen's pending work: the hooks' tasks, then the renders of every component
    /// a store call marked dirty.
    fn pump(&mut self) {
        for _ in 0..8 {
            self.dom.process_events();
            self.dom.render_immediate(&mut NoOpMutations);
        }
    }

    /// The screen's HTML now (after a pump).
    pub fn html(&mut self) -> String {
        self.pump();
        dioxus_ssr::render(&self.dom)
    }

    /// Prints the screen's HTML and which components re-rendered since the last step; returns
    /// those.
    fn show(&mut self, step: &str) -> Vec<String> {
        let html = self.html();
        let renders = self.renders.take();
        let readable = html
            .replace("<header>", "\n  <header>")
            .replace("<form", "\n  <form")
            .replace("<p class=\"count\">", "\n  <p class=\"count\">")
            .replace("<li ", "\n    <li ")
            .replace("</ul>", "\n  </ul>");
        self.say(&format!(
            "{step}\n  html:{readable}\n  re-rendered: {}",
            if renders.is_empty() {
                "nothing".to_owned()
            } else {
                renders.join(", ")
            }
        ));
        renders
    }

    /// A click on the screen: calls what the button's `onclick` calls.
    fn click(
        &mut self,
        what: impl FnOnce(&Actions) -> Result<LayerId, ActionError>,
    ) -> Result<LayerId, FlowError> {
        let actions = self.actions.clone();
        self.dom.in_runtime(|| what(&actions)).map_err(FlowError)
    }

    /// The "dismiss" buttons shown, each clicked.
    fn dismiss_all(&mut self) -> usize {
        let actions = self.actions.clone();
        self.dom.in_runtime(|| actions.dismiss_all())
    }

    /// Waits until `done` holds, pumping the screen meanwhile.
    async fn until(
        &mut self,
        what: &str,
        done: impl Fn(&mut Self) -> bool,
    ) -> Result<(), FlowError> {
        let deadline = Instant::now() + PATIENCE;
        while !done(self) {
            check(Instant::now() < deadline, || {
                format!("timed out waiting until {what}")
            })?;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(())
    }

    /// Waits until nothing is pending and the list is not being fetched, and the screen shows
    /// it.
    async fn settle(&mut self) -> Result<(), FlowError> {
        self.until("every mutation settled and the list is quiet", |w| {
            let quiet = {
                let client = w.alice.client();
                !client.store().is_mutating()
            } && !w.alice.list_state().is_fetching();
            quiet && w.html().contains("all saved")
        })
        .await?;
        // Let the last answer's watchers and the event stream catch up.
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.pump();
        Ok(())
    }

    /// Creates rows as bob, and waits until alice's screen shows them (pushed by the server).
    async fn seed(&mut self, titles: &[&str]) -> Result<Vec<Key>, FlowError> {
        let mut keys = Vec::new();
        for title in titles {
            let row: Todo = self
                .bob
                .post(self.url("/todos"))
                .header("X-Client-Id", "bob")
                .json(&json!({"title": title}))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            keys.push(Key::entity("Todo", &row.id.to_string())?);
        }
        let wanted = keys.clone();
        self.until("bob's rows reach alice's screen", |w| {
            let shown = rows_in(&w.html());
            wanted
                .iter()
                .all(|key| shown.iter().any(|row| row.key == key.as_str()))
        })
        .await?;
        self.settle().await?;
        self.renders.take();
        Ok(keys)
    }

    /// Bob changes a row over plain HTTP.
    async fn bob_patch(&self, key: &Key, body: serde_json::Value) -> Result<Todo, FlowError> {
        let id = key.id().unwrap_or_default();
        Ok(self
            .bob
            .patch(self.url(&format!("/todos/{id}")))
            .header("X-Client-Id", "bob")
            .json(&body)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    /// The row `key` as the screen shows it (a remapped temporary key: under its new key).
    fn row(&mut self, key: &Key) -> Result<ShownRow, FlowError> {
        let key = self
            .alice
            .client()
            .store()
            .resolve(key.as_str())
            .cloned()
            .unwrap_or_else(|| key.clone());
        rows_in(&self.html())
            .into_iter()
            .find(|row| row.key == key.as_str())
            .ok_or_else(|| FlowError(format!("{key} is not on the screen")))
    }

    /// The database's rows now.
    pub fn rows(&self) -> Result<Vec<Todo>, FlowError> {
        let rows = self
            .server()?
            .rows()
            .map_err(|error| FlowError(error.to_string()))?;
        Ok(rows
            .into_iter()
            .map(|row| Todo {
                id: row.id,
                title: row.title,
                done: row.done,
                version: row.version,
            })
            .collect())
    }

    /// The end of every flow: nothing pending, the client's confirmed rows equal the
    /// database's row by row (versions included), and the screen shows exactly them.
    pub async fn check_matches_database(&mut self) -> Result<(), FlowError> {
        self.settle().await?;
        let (db, confirmed) = (self.rows()?, self.alice.confirmed());
        check(db == confirmed, || {
            format!("database {db:?}\n  != client's confirmed view {confirmed:?}")
        })?;
        let html = self.html();
        let shown = rows_in(&html);
        let expected: Vec<ShownRow> = db
            .iter()
            .map(|row| ShownRow {
                key: format!("Todo:{}", row.id),
                title: row.title.clone(),
                done: row.done,
            })
            .collect();
        check(shown == expected, || {
            format!("the screen shows {shown:?}\n  but the database has {expected:?}")
        })?;
        let count = format!("<p class=\"count\">{} todos</p>", db.len());
        check(html.contains(&count) && html.contains("all saved"), || {
            format!("the screen's count and badge: {html}")
        })?;
        check(!html.contains("class=\"error\""), || {
            format!("no failure left shown: {html}")
        })?;
        self.alice
            .client()
            .store()
            .check_invariants()
            .map_err(FlowError)?;
        Ok(())
    }

    /// Prints the database next to the client's confirmed view.
    pub fn print_final(&mut self) -> Result<(), FlowError> {
        let (db, confirmed) = (self.rows()?, self.alice.confirmed());
        let text = todo_client::compare_table(&db, &confirmed);
        self.say(&text);
        Ok(())
    }

    /// Unmounts the screen, shuts the client down, stops the server, removes the directory.
    pub async fn finish(mut self) -> Result<(), FlowError> {
        self.dom = VirtualDom::new(|| rsx! {});
        self.alice.shut_down().await?;
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        Ok(())
    }

    /// Every flow, one after the other on this world's server, then the final check.
    pub async fn every_flow(&mut self) -> Result<(), FlowError> {
        self.create().await?;
        self.toggle().await?;
        self.two_renames().await?;
        self.failed_delete().await?;
        self.refetch_during_save().await?;
        self.pushed_by_other_client().await?;
        self.version_conflict().await?;
        self.lost_answer().await?;
        self.offline().await?;
        self.check_matches_database().await
    }
}

// The flows themselves: a child module, so they reach the world's private parts.
#[path = "steps.rs"]
mod steps;

// What a flow reports and how.
#[path = "timeline.rs"]
mod timeline;
use timeline::check;
#[allow(unused_imports)] // the example uses `Printed`, the test `Kept`
pub use timeline::{FlowError, Kept, Printed, Timeline};

// The screen's HTML read back as rows.
#[path = "shown.rs"]
mod shown;
pub use shown::{ShownRow, rows_in};
