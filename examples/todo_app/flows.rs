//! The flows a todo app goes through against a real server, each with the faults that make it
//! interesting, each checking what the user sees at every step and, at its end, that the
//! client's confirmed view equals the database row by row.
//!
//! The main example runs them one after the other on one server and prints the timeline; the
//! integration test (`tests/end_to_end.rs`) runs each on a server of its own.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use optimist::{FailureKind, Key, MutationStatus};
use serde_json::json;
use todo_server::{Config, Fault, Gate, Running};

use crate::ui::Ui;
use todo_client::{Client, RowState, Shown, Todo};

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
fn check(condition: bool, message: impl FnOnce() -> String) -> Result<(), FlowError> {
    if condition {
        Ok(())
    } else {
        Err(FlowError(message()))
    }
}

/// Where the timeline goes: printed by the example, kept by the test.
pub trait Timeline {
    /// One line.
    fn line(&mut self, text: &str);
}

/// A timeline printed to stdout, each line stamped with the time since the start.
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

/// A server, its database, the user's client ("alice"), another client ("bob") writing over
/// plain HTTP, and the UI reader on alice's store.
pub struct World<T: Timeline> {
    /// The running server (`None` while it is down).
    pub server: Option<Running>,
    /// The user's client.
    pub alice: Client,
    ui: Ui,
    bob: reqwest::Client,
    port: u16,
    dir: PathBuf,
    /// The timeline.
    pub out: T,
}

static WORLDS: AtomicU64 = AtomicU64::new(0);

/// How long a flow waits for the client to settle or for a pushed change, at most.
const PATIENCE: Duration = Duration::from_secs(10);

impl<T: Timeline> World<T> {
    /// Starts a server on a fresh database in a fresh directory, and opens alice's client on
    /// it with an empty outbox.
    pub async fn start(out: T) -> Result<World<T>, FlowError> {
        let dir = std::env::temp_dir().join(format!(
            "optimist-todo-{}-{}",
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
        alice.refetch().await?; // the app loads its list first
        let ui = Ui::mount(&mut alice.client().store_mut());
        let mut world = World {
            server: Some(server),
            alice,
            ui,
            bob: reqwest::Client::new(),
            port,
            dir,
            out,
        };
        world.say("server up, client opened: empty list");
        world.ui.take_renders();
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

    /// Prints what the user sees now, the mutations' statuses and what re-rendered; returns
    /// what re-rendered.
    fn show(&mut self, step: &str) -> Vec<String> {
        self.ui.sync(&mut self.alice.client().store_mut());
        let rows = self.alice.shown();
        let mut text = format!("{step}\n  user sees:");
        if rows.is_empty() {
            text.push_str(" (empty list)");
        }
        for row in &rows {
            let state = match &row.state {
                RowState::Confirmed => "confirmed".to_owned(),
                RowState::Pending(statuses) => format!("saving: {}", statuses.join(", ")),
            };
            text.push_str(&format!(
                "\n    [{}] {:<28} {:<10} {state}",
                if row.done { "x" } else { " " },
                format!("{:?}", row.title),
                row.key
            ));
        }
        let failed: Vec<String> = self
            .alice
            .client()
            .store()
            .failed_mutations()
            .map(|m| format!("{}: {}", m.label(), todo_client::status_text(m.status())))
            .collect();
        for failure in failed {
            text.push_str(&format!("\n  error shown: {failure}"));
        }
        let renders = self.ui.take_renders();
        text.push_str(&format!(
            "\n  re-rendered: {}",
            if renders.is_empty() {
                "nothing".to_owned()
            } else {
                renders.join("; ")
            }
        ));
        self.say(&text);
        renders
    }

    /// Creates rows as bob (another client), and waits until alice's list shows them (the
    /// server pushes bob's changes to alice).
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
        self.until("bob's rows reach alice", |shown| {
            wanted
                .iter()
                .all(|key| shown.iter().any(|row| row.key == key.as_str()))
        })
        .await?;
        self.ui.sync(&mut self.alice.client().store_mut());
        self.ui.take_renders();
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

    /// Waits until the server has taken the fault queued for a request (it is holding or has
    /// answered it), so what another client does next happens after that request arrived.
    /// `before` is the length of the server's fault log before that request was made.
    async fn until_held(&self, before: usize, what: &str) -> Result<(), FlowError> {
        let deadline = Instant::now() + PATIENCE;
        let taken = |world: &Self| world.server().map(|server| server.faults().log().len());
        while taken(self)? <= before {
            check(Instant::now() < deadline, || {
                format!("timed out waiting for {what} to reach the server")
            })?;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(())
    }

    /// Waits until what alice sees satisfies `done`.
    async fn until_list_idle(&self) -> Result<(), FlowError> {
        let deadline = Instant::now() + PATIENCE;
        while self.alice.list_state().is_fetching() {
            check(Instant::now() < deadline, || {
                "the list's fetch to end".into()
            })?;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(())
    }

    async fn until(&self, what: &str, done: impl Fn(&[Shown]) -> bool) -> Result<(), FlowError> {
        let deadline = Instant::now() + PATIENCE;
        while !done(&self.alice.shown()) {
            check(Instant::now() < deadline, || {
                format!("timed out waiting until {what}")
            })?;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(())
    }

    async fn settle(&mut self) -> Result<(), FlowError> {
        let settled = self.alice.settled(PATIENCE).await;
        check(settled, || {
            format!("mutations still pending: {:?}", self.alice.statuses())
        })?;
        // Let the last answer's watchers and the event stream catch up.
        tokio::time::sleep(Duration::from_millis(20)).await;
        Ok(())
    }

    fn row(&self, key: &Key) -> Result<Shown, FlowError> {
        let key = self
            .alice
            .client()
            .store()
            .resolve(key.as_str())
            .cloned()
            .unwrap_or_else(|| key.clone());
        self.alice
            .shown()
            .into_iter()
            .find(|row| row.key == key.as_str())
            .ok_or_else(|| FlowError(format!("{key} is not shown")))
    }

    /// Checks that the newest failure shown is of `kind`, then dismisses every failure (the
    /// user closed the error).
    fn check_failure_shown(&mut self, kind: FailureKind) -> Result<(), FlowError> {
        let failure = self
            .alice
            .client()
            .store()
            .failed_mutations()
            .last()
            .map(|m| m.status().clone());
        check(
            matches!(&failure, Some(MutationStatus::Failed(f)) if f.kind == kind),
            || format!("a {kind:?} failure is shown: {failure:?}"),
        )?;
        self.dismiss_failures();
        Ok(())
    }

    /// Dismisses every failure shown (the user closed the errors).
    fn dismiss_failures(&mut self) {
        let mut client = self.alice.client();
        let mut store = client.store_mut();
        let failed: Vec<_> = store.failed_mutations().map(|m| m.id()).collect();
        for id in failed {
            store.dismiss(id);
        }
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
    /// database's row by row (versions included), and what the user sees is exactly them.
    pub async fn check_matches_database(&mut self) -> Result<(), FlowError> {
        self.settle().await?;
        let (db, confirmed) = (self.rows()?, self.alice.confirmed());
        check(db == confirmed, || {
            format!("database {db:?}\n  != client's confirmed view {confirmed:?}")
        })?;
        let shown: Vec<(String, String, bool)> = self
            .alice
            .shown()
            .into_iter()
            .map(|row| (row.key, row.title, row.done))
            .collect();
        let expected: Vec<(String, String, bool)> = db
            .iter()
            .map(|row| (format!("Todo:{}", row.id), row.title.clone(), row.done))
            .collect();
        check(shown == expected, || {
            format!("the user sees {shown:?}\n  but the database has {expected:?}")
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

    /// Stops the server and removes the world's directory.
    pub async fn finish(mut self) -> Result<(), FlowError> {
        self.alice.shut_down().await?;
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        Ok(())
    }

    // ---- the flows -------------------------------------------------------------------------

    /// Every flow below, one after the other on this world's server, as the main job runs
    /// them; then the final check against the database.
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

    /// An optimistic create shows at once under a temporary key; the server's id replaces it
    /// in place when the answer comes.
    pub async fn create(&mut self) -> Result<(), FlowError> {
        self.say("== flow: optimistic create under a temporary key");
        self.server()?
            .faults()
            .next("POST", "/todos", Fault::Latency(Duration::from_millis(300)));
        // The list is quiet (the event stream's first refetch is done): what refetches it
        // from here on is the create (the next poll is 30 s away).
        self.until_list_idle().await?;
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.until_list_idle().await?;
        let listed_at = self.alice.list_state().updated_at;
        let tmp = self.alice.create("Buy milk")?;
        self.show(&format!(
            "alice adds \"Buy milk\" (the server will take 300 ms): shown at once under {tmp}"
        ));
        let row = self.row(&tmp)?;
        check(
            row.key == tmp.as_str() && matches!(row.state, RowState::Pending(_)),
            || format!("the new row should show pending under {tmp}: {row:?}"),
        )?;
        self.settle().await?;
        let real = self.alice.client().store().resolve(tmp.as_str()).cloned();
        self.show(&format!(
            "the server answered: {tmp} is now {}",
            real.as_ref().map_or("?", Key::as_str)
        ));
        let real = real.ok_or_else(|| FlowError(format!("{tmp} was not remapped")))?;
        let row = self.row(&real)?;
        check(
            row.state == RowState::Confirmed && row.title == "Buy milk",
            || format!("{row:?}"),
        )?;
        check(self.rows()?.len() == 1, || "one row on the server".into())?;
        // The create went through: the list was invalidated and the driver refetched it.
        let deadline = Instant::now() + PATIENCE;
        while self.alice.list_state().updated_at == listed_at
            || self.alice.list_state().is_fetching()
        {
            check(Instant::now() < deadline, || {
                "the list is refetched after the create".into()
            })?;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.say("the list was refetched after the create");
        self.check_matches_database().await
    }

    /// A tick re-renders one row, not the list, and the server's answer re-renders nothing.
    pub async fn toggle(&mut self) -> Result<(), FlowError> {
        self.say("== flow: toggle");
        let keys = self.seed(&["Water the plants", "Read a book"]).await?;
        self.alice.set_done(&keys[0], true)?;
        let renders = self.show("alice ticks \"Water the plants\"");
        check(
            renders.len() == 1 && renders[0].starts_with(&format!("row {} [x]", keys[0])),
            || format!("only the ticked row should re-render: {renders:?}"),
        )?;
        self.settle().await?;
        let renders = self.show("the server confirmed the tick");
        check(renders.is_empty(), || {
            format!("the answer changed nothing shown: {renders:?}")
        })?;
        check(self.row(&keys[0])?.done, || "ticked".into())?;
        self.check_matches_database().await
    }

    /// Two quick renames of one row: sent one after the other, the second with the version the
    /// first left; the second wins.
    pub async fn two_renames(&mut self) -> Result<(), FlowError> {
        self.say("== flow: two quick renames");
        let keys = self.seed(&["Call mum"]).await?;
        self.server()?.faults().next(
            "PATCH",
            "/todos/",
            Fault::Latency(Duration::from_millis(200)),
        );
        self.alice.rename(&keys[0], "Call mum at 6")?;
        self.alice.rename(&keys[0], "Call mum at 7")?;
        self.show("alice renames it twice, quickly (the first save takes 200 ms)");
        let statuses = self.alice.statuses();
        check(statuses.iter().any(|s| s.ends_with("queued")), || {
            format!("the second waits its turn: {statuses:?}")
        })?;
        check(self.row(&keys[0])?.title == "Call mum at 7", || {
            "the last rename shows".into()
        })?;
        self.settle().await?;
        self.show("both saved, in order");
        let db = self.rows()?;
        let id = keys[0].id().unwrap_or_default();
        let row = db.iter().find(|row| row.id.to_string() == id);
        check(
            row.is_some_and(|row| row.title == "Call mum at 7" && row.version == 3),
            || format!("two updates applied in order, no conflict: {db:?}"),
        )?;
        self.check_matches_database().await
    }

    /// A delete the server refuses: the row comes back where it was.
    pub async fn failed_delete(&mut self) -> Result<(), FlowError> {
        self.say("== flow: a delete that fails");
        let keys = self
            .seed(&["Pay rent", "Book flights", "Renew passport"])
            .await?;
        let before: Vec<String> = self.alice.shown().into_iter().map(|row| row.key).collect();
        self.server()?
            .faults()
            .next("DELETE", "/todos/", Fault::Fail);
        self.alice.delete(&keys[1])?;
        let renders = self.show("alice deletes \"Book flights\" (the server will refuse)");
        // Read off the row's own watcher: the answer may already have brought it back.
        let gone = format!("row {} (gone)", keys[1]);
        check(renders.contains(&gone), || {
            format!("gone at once: {renders:?}")
        })?;
        self.settle().await?;
        self.show("the server refused: it is back in place");
        let after: Vec<String> = self.alice.shown().into_iter().map(|row| row.key).collect();
        check(after == before, || {
            format!("back in place: {before:?} -> {after:?}")
        })?;
        self.check_failure_shown(FailureKind::Rejected)?;
        self.check_matches_database().await
    }

    /// A refetch sent while a save is in flight answers first, with the old row: it lands
    /// below the save, so the user never sees the old title again.
    pub async fn refetch_during_save(&mut self) -> Result<(), FlowError> {
        self.say("== flow: a refetch while a save is in flight");
        let keys = self.seed(&["Walk dog"]).await?;
        self.server()?.faults().next(
            "PATCH",
            "/todos/",
            Fault::Latency(Duration::from_millis(400)),
        );
        self.alice.rename(&keys[0], "Walk the dog")?;
        self.show("alice renames \"Walk dog\" (the save takes 400 ms)");
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.alice.refetch().await?;
        let renders = self.show("a refetch answers first, with the old title");
        check(renders.is_empty(), || {
            format!("no flicker: nothing re-rendered, got {renders:?}")
        })?;
        check(self.row(&keys[0])?.title == "Walk the dog", || {
            "the pending rename still shows".into()
        })?;
        self.settle().await?;
        self.show("the save answered");
        self.check_matches_database().await
    }

    /// Changes made by another client reach alice through the server's event stream.
    pub async fn pushed_by_other_client(&mut self) -> Result<(), FlowError> {
        self.say("== flow: changes pushed by another client");
        let keys = self.seed(&["Buy stamps"]).await?;
        self.bob_patch(&keys[0], json!({"done": true})).await?;
        self.until("bob's tick reaches alice", |shown| {
            shown
                .iter()
                .any(|row| row.key == keys[0].as_str() && row.done)
        })
        .await?;
        let renders = self.show("bob ticked \"Buy stamps\"; the server pushed it to alice");
        check(renders.len() == 1, || {
            format!("only that row re-rendered: {renders:?}")
        })?;
        self.check_matches_database().await
    }

    /// Alice renames a row while bob's rename commits first: the server answers 412 with the
    /// current row; alice's guess is taken back and the server's row shows.
    pub async fn version_conflict(&mut self) -> Result<(), FlowError> {
        self.say("== flow: a version conflict");
        let keys = self.seed(&["Fix the bike"]).await?;
        let before = self.server()?.faults().log().len();
        let gate = Gate::new();
        self.server()?
            .faults()
            .next("PATCH", "/todos/", Fault::Hold(gate.clone()));
        self.alice.rename(&keys[0], "Fix the bike (alice)")?;
        self.show("alice renames it (If-Match: 1; the server holds it until bob is done)");
        self.until_held(before, "alice's rename").await?;
        self.bob_patch(&keys[0], json!({"title": "Fix the bike (bob)"}))
            .await?;
        self.say("bob renames it meanwhile: version 2 on the server");
        gate.open();
        self.settle().await?;
        self.show("alice's save was refused (412): the server's row shows");
        let row = self.row(&keys[0])?;
        check(row.title == "Fix the bike (bob)", || {
            format!("the server's title shows: {row:?}")
        })?;
        self.check_failure_shown(FailureKind::Conflict)?;
        self.check_matches_database().await
    }

    /// A create whose answer is lost: retried under the same idempotency key, one row.
    pub async fn lost_answer(&mut self) -> Result<(), FlowError> {
        self.say("== flow: a lost answer, retried");
        let before = self.rows()?.len();
        self.server()?.faults().next("POST", "/todos", Fault::Lose);
        let tmp = self.alice.create("Send invoice")?;
        self.show("alice adds \"Send invoice\" (the server will commit it and lose the answer)");
        self.settle().await?;
        let attempts = self
            .alice
            .client()
            .store()
            .mutations()
            .last()
            .map(|m| m.attempts());
        self.show(&format!(
            "retried under the same idempotency key: {} sends",
            attempts.unwrap_or(0)
        ));
        check(attempts == Some(2), || format!("two sends: {attempts:?}"))?;
        let db = self.rows()?;
        check(db.len() == before + 1, || {
            format!("one row, not two: {db:?}")
        })?;
        check(
            self.alice.client().store().resolve(tmp.as_str()).is_some(),
            || "remapped".into(),
        )?;
        self.check_matches_database().await
    }

    /// Edits made while the server is down survive a restart of the client and are sent when
    /// the server is back.
    pub async fn offline(&mut self) -> Result<(), FlowError> {
        self.say("== flow: offline edits survive a restart");
        let keys = self.seed(&["Clean the gutters"]).await?;
        let server = self
            .server
            .take()
            .ok_or_else(|| FlowError("the server is down".into()))?;
        let db_path = server.db_path().to_owned();
        server.stop().await;
        self.say("the server goes down");
        self.alice.set_done(&keys[0], true)?;
        let tmp = self.alice.create("Order a new ladder")?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.show("alice ticks a row and adds one, offline");
        let statuses = self.alice.statuses();
        check(statuses.iter().any(|s| s.contains("offline")), || {
            format!("they wait, offline: {statuses:?}")
        })?;
        // The app quits (the outbox is saved) and starts again: a new client opens the outbox.
        self.alice.shut_down().await?;
        self.alice = Client::open(&self.url(""), "alice", &self.dir.join("outbox.json")).await?;
        self.ui = Ui::mount(&mut self.alice.client().store_mut());
        self.ui.take_renders();
        self.show("alice's app restarted: the outbox was loaded, still offline");
        check(self.row(&keys[0])?.done && self.row(&tmp).is_ok(), || {
            "the edits still show".into()
        })?;
        let server = todo_server::start(Config {
            db_path: Some(db_path),
            port: self.port,
        })
        .await
        .map_err(|error| FlowError(format!("server: {error}")))?;
        self.server = Some(server);
        self.say("the server is back");
        self.settle().await?;
        self.show("the outbox was sent");
        let db = self.rows()?;
        check(
            db.iter().any(|row| row.title == "Order a new ladder") && db.iter().any(|row| row.done),
            || format!("both edits reached the database: {db:?}"),
        )?;
        self.check_matches_database().await
    }
}
