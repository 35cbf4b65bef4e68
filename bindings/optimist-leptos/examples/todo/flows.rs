//! The app's flows against a real todo server: what a user does on the Leptos screen (add,
//! toggle, rename twice, a delete the server refuses, a rename that conflicts with another
//! client's), the page's HTML after each step, which components re-rendered, and at the end of
//! each flow the checks of the core's end-to-end test: nothing pending, the client's confirmed
//! rows equal the database's row by row, and the screen shows exactly those rows.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use todo_client::{Client, Todo};
use todo_server::{Config, Fault, Running};

use crate::screen::Screen;

/// What a flow found wrong.
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

fn check(condition: bool, message: impl FnOnce() -> String) -> Result<(), FlowError> {
    if condition {
        Ok(())
    } else {
        Err(FlowError(message()))
    }
}

/// How long a flow waits for the client to settle, at most.
const PATIENCE: Duration = Duration::from_secs(10);

static WORLDS: AtomicU64 = AtomicU64::new(0);

/// A server on a fresh database, alice's client and her Leptos screen, and bob (another
/// client, over plain HTTP).
pub struct World {
    server: Option<Running>,
    alice: Client,
    screen: Option<Screen>,
    bob: reqwest::Client,
    dir: PathBuf,
    /// Printed as it goes (the example), or kept (the test prints it on failure).
    pub print: bool,
    /// Every step's text.
    pub timeline: Vec<String>,
}

impl World {
    /// Starts the server and opens alice's client with an empty outbox, her screen mounted.
    pub async fn start(print: bool) -> Result<World, FlowError> {
        let dir = std::env::temp_dir().join(format!(
            "optimist-leptos-todo-{}-{}",
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
        let alice = Client::open(&server.url(), "alice", &dir.join("outbox.json")).await?;
        alice.refetch().await?;
        let screen = Screen::mount(alice.shared());
        let mut world = World {
            server: Some(server),
            alice,
            screen: Some(screen),
            bob: reqwest::Client::new(),
            dir,
            print,
            timeline: Vec::new(),
        };
        world.show("server up, client opened, screen mounted").await;
        Ok(world)
    }

    fn server(&self) -> Result<&Running, FlowError> {
        self.server
            .as_ref()
            .ok_or_else(|| FlowError("the server is down".into()))
    }

    fn screen(&self) -> &Screen {
        self.screen.as_ref().expect("mounted until finish")
    }

    fn say(&mut self, text: String) {
        if self.print {
            println!("{text}");
        }
        self.timeline.push(text);
    }

    /// Lets the screen's effects run, then records the page and what re-rendered; returns
    /// what re-rendered.
    async fn show(&mut self, step: &str) -> Vec<String> {
        ui_settle().await;
        let renders = self.screen().take_renders();
        let text = format!(
            "--- {step}\n{}\n  re-rendered: {}",
            self.screen().html(),
            if renders.is_empty() {
                "nothing".into()
            } else {
                renders.join("; ")
            }
        );
        self.say(text);
        renders
    }

    /// Waits until no mutation is pending and the screen caught up.
    async fn settle(&mut self) -> Result<(), FlowError> {
        let settled = self.alice.settled(PATIENCE).await;
        check(settled, || {
            format!("mutations still pending: {:?}", self.alice.statuses())
        })?;
        // The last answer's refetch, if any, and the event stream.
        let deadline = Instant::now() + PATIENCE;
        while self.alice.list_state().is_fetching() {
            check(Instant::now() < deadline, || {
                "the list's fetch to end".into()
            })?;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        ui_settle().await;
        Ok(())
    }

    fn html_of(&self, key: &str) -> Result<String, FlowError> {
        let html = self.screen().html();
        html.lines()
            .find(|line| line.contains(&format!("data-key=\"{key}\"")))
            .map(str::to_owned)
            .ok_or_else(|| FlowError(format!("{key} is not on the screen:\n{html}")))
    }

    /// Adds rows through the screen and waits until the server has them.
    async fn seed(&mut self, titles: &[&str]) -> Result<Vec<String>, FlowError> {
        for title in titles {
            self.screen().add(title).map_err(FlowError)?;
        }
        self.settle().await?;
        self.screen().take_renders();
        let keys = self.screen().keys();
        Ok(keys[keys.len() - titles.len()..].to_vec())
    }

    /// The database's rows now.
    fn rows(&self) -> Result<Vec<Todo>, FlowError> {
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
    /// database's (versions included), and the screen shows exactly those rows, in order.
    pub async fn check_matches_database(&mut self) -> Result<(), FlowError> {
        self.settle().await?;
        let (db, confirmed) = (self.rows()?, self.alice.confirmed());
        check(db == confirmed, || {
            format!("database {db:?}\n  != client's confirmed view {confirmed:?}")
        })?;
        let on_screen = self.screen().keys();
        let expected: Vec<String> = db.iter().map(|row| format!("Todo:{}", row.id)).collect();
        check(on_screen == expected, || {
            format!("the screen shows {on_screen:?} but the database has {expected:?}")
        })?;
        for row in &db {
            let html = self.html_of(&format!("Todo:{}", row.id))?;
            check(
                html.contains(&row.title) && html.contains("checked") == row.done,
                || format!("{html} shows {row:?}"),
            )?;
        }
        self.alice.client().check_invariants().map_err(FlowError)?;
        Ok(())
    }

    /// Unmounts the screen (its observers and watchers go), stops the client and the server.
    pub async fn finish(mut self) -> Result<(), FlowError> {
        let before = self.alice.client().store().watcher_count();
        if let Some(screen) = self.screen.take() {
            screen.unmount();
        }
        let after = self.alice.client().store().watcher_count();
        check(after < before, || {
            format!("unmounting removed the screen's watchers: {before} -> {after}")
        })?;
        self.alice.shut_down().await?;
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        Ok(())
    }

    /// Every flow, one after the other, then the final check.
    pub async fn every_flow(&mut self) -> Result<(), FlowError> {
        self.create().await?;
        self.toggle().await?;
        self.two_renames().await?;
        self.failed_delete().await?;
        self.version_conflict().await?;
        self.check_matches_database().await
    }

    /// An add shows at once under a temporary key with its status; the server's id replaces
    /// it when the answer comes.
    pub async fn create(&mut self) -> Result<(), FlowError> {
        self.say("== flow: add a todo".into());
        self.server()?
            .faults()
            .next("POST", "/todos", Fault::Latency(Duration::from_millis(300)));
        self.screen().add("Buy milk").map_err(FlowError)?;
        let renders = self
            .show("alice adds \"Buy milk\" (the server takes 300 ms)")
            .await;
        let keys = self.screen().keys();
        check(keys.len() == 1 && keys[0].contains("tmp"), || {
            format!("one row, under a temporary key: {keys:?}")
        })?;
        check(
            renders.contains(&"list (1 rows)".into())
                && renders.contains(&format!("row {}", keys[0])),
            || format!("the list and the new row rendered: {renders:?}"),
        )?;
        check(self.screen().html().contains("saving…"), || {
            "the header says saving".into()
        })?;
        self.settle().await?;
        self.show("the server answered: the row has its id").await;
        let keys = self.screen().keys();
        check(keys.len() == 1 && !keys[0].contains("tmp"), || {
            format!("the row under the server's id: {keys:?}")
        })?;
        self.check_matches_database().await
    }

    /// A tick re-renders its row and the header, not the list or the other rows.
    pub async fn toggle(&mut self) -> Result<(), FlowError> {
        self.say("== flow: toggle".into());
        let keys = self.seed(&["Water the plants", "Read a book"]).await?;
        self.screen().toggle(&keys[0], true).map_err(FlowError)?;
        let renders = self.show("alice ticks \"Water the plants\"").await;
        let row = format!("row {}", keys[0]);
        check(
            renders.iter().all(|r| *r == row || r == "header") && renders.contains(&row),
            || format!("only the ticked row and the header: {renders:?}"),
        )?;
        check(self.html_of(&keys[0])?.contains("checked"), || {
            "ticked".into()
        })?;
        self.settle().await?;
        let renders = self.show("the server confirmed the tick").await;
        check(!renders.iter().any(|r| r.starts_with("list")), || {
            format!("the list did not re-render: {renders:?}")
        })?;
        self.check_matches_database().await
    }

    /// Two quick renames: the second waits for the first, and wins.
    pub async fn two_renames(&mut self) -> Result<(), FlowError> {
        self.say("== flow: two quick renames".into());
        let keys = self.seed(&["Call mum"]).await?;
        self.server()?.faults().next(
            "PATCH",
            "/todos/",
            Fault::Latency(Duration::from_millis(200)),
        );
        self.screen()
            .rename(&keys[0], "Call mum at 6")
            .map_err(FlowError)?;
        self.screen()
            .rename(&keys[0], "Call mum at 7")
            .map_err(FlowError)?;
        self.show("alice renames it twice, quickly").await;
        let html = self.html_of(&keys[0])?;
        check(
            html.contains("Call mum at 7") && html.contains("queued"),
            || format!("the last title shows, waiting its turn: {html}"),
        )?;
        self.settle().await?;
        self.show("both saved, in order").await;
        let db = self.rows()?;
        let id = keys[0].trim_start_matches("Todo:");
        check(
            db.iter().any(|row| {
                row.id.to_string() == id && row.title == "Call mum at 7" && row.version == 3
            }),
            || format!("two updates applied in order: {db:?}"),
        )?;
        self.check_matches_database().await
    }

    /// A delete the server refuses: the row goes at once and comes back; the error stays
    /// shown (through another step) until dismissed.
    pub async fn failed_delete(&mut self) -> Result<(), FlowError> {
        self.say("== flow: a delete that fails".into());
        let keys = self.seed(&["Pay rent", "Book flights"]).await?;
        let before = self.screen().keys();
        // Locked once (retried a quarter of a second later), then refused: the driver, on
        // another thread, cannot bring the row back before the screen showed it gone.
        self.server()?
            .faults()
            .next("DELETE", "/todos/", Fault::Locked);
        self.server()?
            .faults()
            .next("DELETE", "/todos/", Fault::Fail);
        self.screen().delete(&keys[1]).map_err(FlowError)?;
        let renders = self
            .show("alice deletes \"Book flights\" (locked once, then refused)")
            .await;
        let gone = format!("list ({} rows)", before.len() - 1);
        check(renders.contains(&gone), || {
            format!("gone at once: {renders:?}")
        })?;
        self.settle().await?;
        self.show("refused: it is back, the error shown").await;
        check(self.screen().keys() == before, || "back in place".into())?;
        check(self.screen().html().contains("class=\"error\""), || {
            "the error is shown".into()
        })?;
        self.screen().toggle(&keys[0], true).map_err(FlowError)?;
        self.settle().await?;
        self.show("alice ticks another row: the error stays").await;
        check(self.screen().html().contains("class=\"error\""), || {
            "still shown".into()
        })?;
        check(self.screen().dismiss() == 1, || "one error closed".into())?;
        let renders = self.show("alice dismisses the error").await;
        check(
            !self.screen().html().contains("class=\"error\"") && renders == ["errors"],
            || format!("gone, and only the errors re-rendered: {renders:?}"),
        )?;
        self.check_matches_database().await
    }

    /// Alice renames a row while bob's rename commits first: a conflict; the server's row
    /// shows and the row shows the failure until dismissed.
    pub async fn version_conflict(&mut self) -> Result<(), FlowError> {
        self.say("== flow: a version conflict".into());
        let keys = self.seed(&["Fix the bike"]).await?;
        let before = self.server()?.faults().log().len();
        self.server()?.faults().next(
            "PATCH",
            "/todos/",
            Fault::Latency(Duration::from_millis(400)),
        );
        self.screen()
            .rename(&keys[0], "Fix the bike (alice)")
            .map_err(FlowError)?;
        self.show("alice renames it (the server holds it 400 ms)")
            .await;
        let deadline = Instant::now() + PATIENCE;
        while self.server()?.faults().log().len() <= before {
            check(Instant::now() < deadline, || {
                "alice's rename reaches the server".into()
            })?;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let url = format!(
            "{}/todos/{}",
            self.server()?.url(),
            keys[0].trim_start_matches("Todo:")
        );
        self.bob
            .patch(url)
            .header("X-Client-Id", "bob")
            .json(&json!({"title": "Fix the bike (bob)"}))
            .send()
            .await?
            .error_for_status()?;
        self.settle().await?;
        self.show("alice's save was refused (412): bob's title shows")
            .await;
        let html = self.html_of(&keys[0])?;
        check(
            html.contains("Fix the bike (bob)") && html.contains("failed: conflict"),
            || format!("the server's row and the failure: {html}"),
        )?;
        check(self.screen().dismiss() == 1, || "one failure closed".into())?;
        self.show("alice dismisses it").await;
        check(!self.html_of(&keys[0])?.contains("failed"), || {
            "closed".into()
        })?;
        self.check_matches_database().await
    }
}

/// Lets the driver's answers show: the binding's task that sets what a worker thread told the
/// hooks, and the effects that wakes, are this thread's LocalSet tasks, which run while the
/// flow yields. (`Executor::tick` may not yield at all on a multi-threaded runtime: its task
/// can finish on another worker before it is awaited.)
pub async fn ui_settle() {
    for _ in 0..32 {
        tokio::task::yield_now().await;
    }
}
