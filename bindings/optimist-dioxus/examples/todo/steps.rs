//! The flows, each a user's story on the screen with the faults that make it interesting.

use std::time::{Duration, Instant};

use optimist::{FailureKind, Key, MutationStatus};
use serde_json::json;
use todo_client::Client;
use todo_server::{Config, Fault};

use super::{FlowError, PATIENCE, Timeline, World, check, mount, rows_in};

impl<T: Timeline> World<T> {
    /// The failure the store keeps for the newest failed mutation, and the screen shows it;
    /// still shown after more renders; gone, from the screen and the store, once dismissed.
    fn check_failure_shown(&mut self, kind: FailureKind, what: &str) -> Result<(), FlowError> {
        let failure = self
            .alice
            .client()
            .store()
            .failed_mutations()
            .last()
            .map(|m| m.status().clone());
        check(
            matches!(&failure, Some(MutationStatus::Failed(f)) if f.kind == kind),
            || format!("a {kind:?} failure is kept: {failure:?}"),
        )?;
        let shown = format!("{what} failed: {}", kind_text(kind));
        check(self.html().contains(&shown), || {
            format!("{shown:?} is shown: {}", self.html())
        })?;
        self.dom.mark_dirty(dioxus::prelude::ScopeId::APP);
        check(self.html().contains(&shown), || {
            "still shown after a render".into()
        })?;
        let dismissed = self.dismiss_all();
        self.show(&format!("alice dismisses the failure ({dismissed} shown)"));
        check(dismissed == 1 && !self.html().contains("failed:"), || {
            format!("one failure dismissed, none left: {dismissed}")
        })?;
        check(
            self.alice.client().store().failed_mutations().count() == 0,
            || "the store forgot it".into(),
        )
    }

    /// An optimistic create shows at once under a temporary key; the server's id replaces it
    /// in place when the answer comes.
    pub async fn create(&mut self) -> Result<(), FlowError> {
        self.say("== flow: optimistic create under a temporary key");
        self.server()?
            .faults()
            .next("POST", "/todos", Fault::Latency(Duration::from_millis(300)));
        let made = self.click(|screen| screen.create("Buy milk"))?;
        let renders = self.show("alice adds \"Buy milk\" (the server will take 300 ms)");
        let shown = rows_in(&self.html());
        let new = shown.iter().find(|row| row.title == "Buy milk");
        check(new.is_some_and(|row| row.key.contains("tmp~")), || {
            format!("shown at once under a temporary key: {shown:?}")
        })?;
        check(renders.iter().any(|r| r == "TodoList"), || {
            format!("the list re-rendered for the new row: {renders:?}")
        })?;
        check(self.html().contains("add: "), || {
            "the create's status is shown".into()
        })?;
        let tmp = Key::new(new.map_or("", |row| row.key.as_str()))?;
        self.settle().await?;
        let real = self.alice.client().store().resolve(tmp.as_str()).cloned();
        self.show(&format!(
            "the server answered: {tmp} is now {}",
            real.as_ref().map_or("?", Key::as_str)
        ));
        let real = real.ok_or_else(|| FlowError(format!("{tmp} was not remapped")))?;
        check(self.row(&real)?.title == "Buy milk", || {
            "under its new key".into()
        })?;
        let status = self
            .alice
            .client()
            .store()
            .mutation(made)
            .map(|m| m.status().clone());
        check(status == Some(MutationStatus::Committed), || {
            format!("{status:?}")
        })?;
        check(self.rows()?.len() == 1, || "one row on the server".into())?;
        self.check_matches_database().await
    }

    /// A tick re-renders its row and the "saving" badge: not the list, not the other row.
    pub async fn toggle(&mut self) -> Result<(), FlowError> {
        self.say("== flow: toggle");
        let keys = self.seed(&["Water the plants", "Read a book"]).await?;
        self.click(|screen| screen.tick(&keys[0], true))?;
        let renders = self.show("alice ticks \"Water the plants\"");
        let (row, other) = (format!("Row {}", keys[0]), format!("Row {}", keys[1]));
        check(
            renders.contains(&row)
                && !renders.contains(&other)
                && !renders.iter().any(|r| r == "TodoList"),
            || format!("only the ticked row (and the badge) re-render: {renders:?}"),
        )?;
        check(self.row(&keys[0])?.done, || "ticked at once".into())?;
        self.settle().await?;
        let renders = self.show("the server confirmed the tick");
        check(
            !renders.contains(&other) && !renders.iter().any(|r| r == "TodoList"),
            || format!("the answer re-rendered neither the list nor the other row: {renders:?}"),
        )?;
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
        self.click(|screen| screen.rename(&keys[0], "Call mum at 6"))?;
        self.click(|screen| screen.rename(&keys[0], "Call mum at 7"))?;
        self.show("alice renames it twice, quickly (the first save takes 200 ms)");
        check(self.html().contains("rename: queued"), || {
            format!("the second waits its turn: {}", self.html())
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

    /// A delete the server refuses: gone at once, retried once (the row is locked), refused;
    /// the row comes back where it was and the failure stays shown until dismissed.
    pub async fn failed_delete(&mut self) -> Result<(), FlowError> {
        self.say("== flow: a delete that fails");
        let keys = self
            .seed(&["Pay rent", "Book flights", "Renew passport"])
            .await?;
        let before = rows_in(&self.html());
        self.server()?
            .faults()
            .next("DELETE", "/todos/", Fault::Locked);
        self.server()?
            .faults()
            .next("DELETE", "/todos/", Fault::Fail);
        self.click(|screen| screen.delete(&keys[1]))?;
        let renders = self.show("alice deletes \"Book flights\" (locked once, then refused)");
        let gone = rows_in(&self.html());
        let mut expected = before.clone();
        expected.retain(|row| row.key != keys[1].as_str());
        check(gone == expected, || format!("gone at once: {gone:?}"))?;
        check(renders.iter().any(|r| r == "TodoList"), || {
            format!("{renders:?}")
        })?;
        self.settle().await?;
        self.show("the server refused: it is back in place, the failure shown");
        check(rows_in(&self.html()) == before, || {
            format!("back in place: {before:?} -> {:?}", rows_in(&self.html()))
        })?;
        self.check_failure_shown(FailureKind::Rejected, "delete")?;
        self.check_matches_database().await
    }

    /// A refetch sent while a save is in flight answers first, with the old row: it lands
    /// below the save, so the screen never shows the old title again.
    pub async fn refetch_during_save(&mut self) -> Result<(), FlowError> {
        self.say("== flow: a refetch while a save is in flight");
        let keys = self.seed(&["Walk dog"]).await?;
        self.server()?.faults().next(
            "PATCH",
            "/todos/",
            Fault::Latency(Duration::from_millis(400)),
        );
        self.click(|screen| screen.rename(&keys[0], "Walk the dog"))?;
        self.show("alice renames \"Walk dog\" (the save takes 400 ms)");
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.alice.refetch().await?;
        let renders = self.show("a refetch answers first, with the old title");
        check(!renders.iter().any(|r| r == "TodoList"), || {
            format!("the list did not re-render: {renders:?}")
        })?;
        check(self.row(&keys[0])?.title == "Walk the dog", || {
            "the pending rename still shows".into()
        })?;
        self.settle().await?;
        self.show("the save answered");
        self.check_matches_database().await
    }

    /// Changes made by another client reach the screen through the server's event stream:
    /// exactly that row re-renders.
    pub async fn pushed_by_other_client(&mut self) -> Result<(), FlowError> {
        self.say("== flow: changes pushed by another client");
        let keys = self.seed(&["Buy stamps"]).await?;
        self.bob_patch(&keys[0], json!({"done": true})).await?;
        let key = keys[0].clone();
        self.until("bob's tick reaches alice's screen", |w| {
            rows_in(&w.html())
                .iter()
                .any(|row| row.key == key.as_str() && row.done)
        })
        .await?;
        let renders = self.show("bob ticked \"Buy stamps\"; the server pushed it to alice");
        check(renders == [format!("Row {}", keys[0])], || {
            format!("only that row re-rendered: {renders:?}")
        })?;
        self.check_matches_database().await
    }

    /// Alice renames a row while bob's rename commits first: the server answers 412 with the
    /// current row; alice's guess is taken back, the server's row shows, and the conflict
    /// stays shown until dismissed.
    pub async fn version_conflict(&mut self) -> Result<(), FlowError> {
        self.say("== flow: a version conflict");
        let keys = self.seed(&["Fix the bike"]).await?;
        let before = self.server()?.faults().log().len();
        self.server()?.faults().next(
            "PATCH",
            "/todos/",
            Fault::Latency(Duration::from_millis(400)),
        );
        self.click(|screen| screen.rename(&keys[0], "Fix the bike (alice)"))?;
        self.show("alice renames it (If-Match: 1; the server holds it 400 ms)");
        let deadline = Instant::now() + PATIENCE;
        while self.server()?.faults().log().len() <= before {
            check(Instant::now() < deadline, || {
                "alice's rename reaches the server".into()
            })?;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.bob_patch(&keys[0], json!({"title": "Fix the bike (bob)"}))
            .await?;
        self.say("bob renames it meanwhile: version 2 on the server");
        self.settle().await?;
        self.show("alice's save was refused (412): the server's row shows, the conflict too");
        let row = self.row(&keys[0])?;
        check(row.title == "Fix the bike (bob)", || {
            format!("the server's title shows: {row:?}")
        })?;
        self.check_failure_shown(FailureKind::Conflict, "rename")?;
        self.check_matches_database().await
    }

    /// A create whose answer is lost: retried under the same idempotency key, one row.
    pub async fn lost_answer(&mut self) -> Result<(), FlowError> {
        self.say("== flow: a lost answer, retried");
        let before = self.rows()?.len();
        self.server()?.faults().next("POST", "/todos", Fault::Lose);
        let made = self.click(|screen| screen.create("Send invoice"))?;
        self.show("alice adds \"Send invoice\" (the server will commit it and lose the answer)");
        self.settle().await?;
        let attempts = self
            .alice
            .client()
            .store()
            .mutation(made)
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
        self.check_matches_database().await
    }

    /// Edits made while the server is down show as waiting, survive a restart of the app (a
    /// new client on the saved outbox, a new screen), and are sent when the server is back.
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
        self.click(|screen| screen.tick(&keys[0], true))?;
        self.click(|screen| screen.create("Order a new ladder"))?;
        self.until("the sends wait for the network", |w| {
            w.html().contains("offline")
        })
        .await?;
        self.show("alice ticks a row and adds one, offline");
        // The app quits (the outbox is saved) and starts again: a new client opens the outbox,
        // a new screen is mounted on it.
        self.alice.shut_down().await?;
        self.alice = Client::open(&self.url(""), "alice", &self.dir.join("outbox.json")).await?;
        self.dom = mount(&self.alice, &self.actions, &self.renders);
        self.show("alice's app restarted: the outbox was loaded, still offline");
        let shown = rows_in(&self.html());
        check(
            shown
                .iter()
                .any(|row| row.key == keys[0].as_str() && row.done)
                && shown.iter().any(|row| row.title == "Order a new ladder"),
            || format!("the edits still show: {shown:?}"),
        )?;
        check(self.html().contains("saving…"), || "still saving".into())?;
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

/// How a failure of `kind` reads on the screen.
fn kind_text(kind: FailureKind) -> &'static str {
    match kind {
        FailureKind::Rejected => "rejected",
        FailureKind::Conflict => "conflict",
        _ => "",
    }
}
