//! The core with the native shell against the todo server, in-process: the flows of
//! `cargo run -p todo-crux`, each step checked (what was shown, what was sent, how many
//! renders), and at the end the server's rows equal the core's confirmed view.

use todo_crux::shell::Shell;
use todo_crux::{Event, RowState, ViewModel};
use todo_server::{Config, Fault, Running};

fn key_of(view: &ViewModel, title: &str) -> String {
    view.rows
        .iter()
        .find(|row| row.title == title)
        .unwrap_or_else(|| panic!("no row {title:?} in {view:?}"))
        .key
        .clone()
}

/// The requests the shell made, as `METHOD /path [key ...]` lines.
fn sent(log: &[String]) -> Vec<&str> {
    log.iter()
        .filter_map(|line| line.strip_prefix("  -> "))
        .collect()
}

/// `[key abcd1234` of a request line.
fn key_in(line: &str) -> &str {
    let at = line.find("[key ").expect("an idempotency key") + 5;
    &line[at..at + 8]
}

fn titles(server: &Running) -> Vec<(String, bool)> {
    let rows = server.rows().unwrap();
    rows.into_iter().map(|row| (row.title, row.done)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_flows_against_the_server_end_with_the_servers_rows() {
    let server = todo_server::start(Config::default()).await.unwrap();
    let mut shell = Shell::new().unwrap();

    // Start: one GET, a render for the spinner and one for the (empty) list.
    shell
        .send(Event::Start { api: server.url() })
        .await
        .unwrap();
    assert_eq!(sent(&shell.take_log()), ["GET /todos"]);
    assert_eq!(shell.take_renders(), 2);
    assert!(shell.screen().rows.is_empty() && !shell.screen().loading);

    // Add: the guess rendered, one POST with a key, its answer rendered, the list refetched
    // (the same rows: no render for it).
    shell
        .send(Event::Add {
            title: "Buy milk".into(),
        })
        .await
        .unwrap();
    let log = shell.take_log();
    let requests = sent(&log);
    assert_eq!(requests.len(), 2, "{log:?}");
    assert!(requests[0].starts_with("POST /todos [key "), "{log:?}");
    assert_eq!(requests[1], "GET /todos");
    assert_eq!(shell.take_renders(), 2);
    assert_eq!(titles(&server), [("Buy milk".to_owned(), false)]);
    let milk = key_of(shell.screen(), "Buy milk");
    assert_eq!(shell.screen().rows[0].state, RowState::Confirmed);

    shell
        .send(Event::Add {
            title: "Walk the dog".into(),
        })
        .await
        .unwrap();
    let dog = key_of(shell.screen(), "Walk the dog");
    shell.take_log();
    shell.take_renders();

    // Toggle and rename: a PATCH each, no refetch.
    shell
        .send(Event::Toggle { key: milk.clone() })
        .await
        .unwrap();
    shell
        .send(Event::Rename {
            key: milk.clone(),
            title: "Buy oat milk".into(),
        })
        .await
        .unwrap();
    let log = shell.take_log();
    let requests = sent(&log);
    assert_eq!(requests.len(), 2, "{log:?}");
    assert!(
        requests
            .iter()
            .all(|line| line.starts_with("PATCH /todos/"))
    );
    assert!(
        requests[1].contains("If-Match 2"),
        "the version the tick left: {log:?}"
    );
    assert_eq!(shell.take_renders(), 4, "guess and answer, twice");

    // Delete: gone, the list refetched.
    shell.send(Event::Delete { key: dog }).await.unwrap();
    let log = shell.take_log();
    assert!(sent(&log)[0].starts_with("DELETE /todos/"), "{log:?}");
    assert_eq!(sent(&log)[1], "GET /todos");
    assert_eq!(titles(&server), [("Buy oat milk".to_owned(), true)]);

    // A refused delete: the row back, the failure shown until dismissed.
    server.faults().next("DELETE", "/todos/", Fault::Fail);
    shell.take_renders();
    shell
        .send(Event::Delete { key: milk.clone() })
        .await
        .unwrap();
    assert_eq!(shell.take_renders(), 2, "gone, then back");
    let screen = shell.screen().clone();
    assert_eq!(screen.rows.len(), 1);
    assert_eq!(screen.failures.len(), 1);
    assert!(screen.failures[0].reason.contains("injected failure"));
    assert_eq!(titles(&server), [("Buy oat milk".to_owned(), true)]);
    shell
        .send(Event::Dismiss {
            failure: screen.failures[0].id.clone(),
        })
        .await
        .unwrap();
    assert!(shell.screen().failures.is_empty());

    // Offline: nothing sent, the guess shown as queued; online: sent.
    shell.take_log();
    shell.send(Event::Offline).await.unwrap();
    shell
        .send(Event::Toggle { key: milk.clone() })
        .await
        .unwrap();
    assert!(sent(&shell.take_log()).is_empty());
    assert_eq!(
        shell.screen().rows[0].state,
        RowState::Pending(vec!["queued".into()])
    );
    assert!(!shell.screen().rows[0].done);
    shell.send(Event::Online).await.unwrap();
    let log = shell.take_log();
    assert_eq!(sent(&log).len(), 1, "{log:?}");
    assert_eq!(titles(&server), [("Buy oat milk".to_owned(), false)]);

    // A lost answer: the server commits, the answer breaks off; the core asks for a timer and
    // sends the same request again with the same key, and the server replays its answer.
    let version = server.rows().unwrap()[0].version;
    server.faults().next("PATCH", "/todos/", Fault::Lose);
    shell
        .send(Event::Rename {
            key: milk.clone(),
            title: "Buy oat milk and bread".into(),
        })
        .await
        .unwrap();
    let log = shell.take_log();
    let requests = sent(&log);
    assert_eq!(requests.len(), 2, "{log:?}");
    assert_eq!(key_in(requests[0]), key_in(requests[1]), "{log:?}");
    assert!(log.iter().any(|line| line.starts_with("  <- no answer")));
    assert!(log.iter().any(|line| line.starts_with("  timer asked")));
    assert_eq!(
        server.faults().log().len(),
        2,
        "the failed delete and the lost answer"
    );
    let rows = server.rows().unwrap();
    assert_eq!(rows[0].title, "Buy oat milk and bread");
    assert_eq!(rows[0].version, version + 1, "applied once");

    // The end: the server's rows are the core's confirmed view, nothing pending.
    let view = shell.view();
    assert_eq!(rows, {
        let confirmed: Vec<todo_server::Todo> = view
            .confirmed
            .iter()
            .map(|row| todo_server::Todo {
                id: row.id,
                title: row.title.clone(),
                done: row.done,
                version: row.version,
            })
            .collect();
        confirmed
    });
    assert!(view.pending.is_empty() && view.failures.is_empty());
    assert_eq!(&view, shell.screen(), "the last render shows it");
    server.stop().await;
}
