//! The todo app's Crux core run by a native shell against the todo server, started in-process
//! on a temporary database: `cargo run -p todo-crux`.
//!
//! Each step sends the core an event (the user's intent or the device's news), the shell
//! executes the HTTP and timer effects that follow until nothing is in flight, and the screen
//! (the view as last rendered) is printed with what was sent. At the end the server's rows
//! must equal the core's confirmed view; the exit code says whether they do.
#![forbid(unsafe_code)]

use std::error::Error;
use std::process::ExitCode;

use todo_crux::shell::Shell;
use todo_crux::{Event, ViewModel};
use todo_server::{Config, Fault};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("todo-crux: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn Error>> {
    let server = todo_server::start(Config::default()).await?;
    println!("todo server on {} (a temporary database)\n", server.url());
    let mut shell = Shell::new()?;

    step(
        &mut shell,
        "start: the list is fetched",
        Event::Start { api: server.url() },
    )
    .await?;
    step(&mut shell, "add \"Buy milk\"", add("Buy milk")).await?;
    step(&mut shell, "add \"Walk the dog\"", add("Walk the dog")).await?;
    let milk = key_of(&shell.view(), "Buy milk")?;
    let dog = key_of(&shell.view(), "Walk the dog")?;
    step(
        &mut shell,
        "tick \"Buy milk\"",
        Event::Toggle { key: milk.clone() },
    )
    .await?;
    let rename = Event::Rename {
        key: milk.clone(),
        title: "Buy oat milk".into(),
    };
    step(&mut shell, "rename it to \"Buy oat milk\"", rename).await?;
    step(
        &mut shell,
        "delete \"Walk the dog\"",
        Event::Delete { key: dog },
    )
    .await?;

    server.faults().next("DELETE", "/todos/", Fault::Fail);
    let refused = Event::Delete { key: milk.clone() };
    step(
        &mut shell,
        "delete \"Buy oat milk\": the server refuses (500)",
        refused,
    )
    .await?;
    let failure = shell
        .view()
        .failures
        .first()
        .map(|failure| failure.id.clone())
        .ok_or("the refused delete shows no failure")?;
    step(
        &mut shell,
        "dismiss the failure",
        Event::Dismiss { failure },
    )
    .await?;

    step(&mut shell, "the device goes offline", Event::Offline).await?;
    let untick = Event::Toggle { key: milk.clone() };
    step(
        &mut shell,
        "untick \"Buy oat milk\" offline: it waits",
        untick,
    )
    .await?;
    step(&mut shell, "back online: the outbox goes", Event::Online).await?;

    server.faults().next("PATCH", "/todos/", Fault::Lose);
    let rename = Event::Rename {
        key: milk,
        title: "Buy oat milk and bread".into(),
    };
    let title = "rename, and the answer is lost: retried with the same key";
    step(&mut shell, title, rename).await?;

    let rows = server.rows()?;
    let view = shell.view();
    println!("server rows: {rows:?}");
    println!("confirmed:   {:?}", view.confirmed);
    let same_rows = rows.len() == view.confirmed.len()
        && rows.iter().zip(&view.confirmed).all(|(server, core)| {
            (server.id, &server.title, server.done, server.version)
                == (core.id, &core.title, core.done, core.version)
        });
    let shown = view.rows.iter().map(|row| (row.title.as_str(), row.done));
    let saved = rows.iter().map(|row| (row.title.as_str(), row.done));
    if !same_rows || !shown.eq(saved) || !view.pending.is_empty() {
        return Err("the server's rows and the core's confirmed view differ".into());
    }
    println!("the server's rows equal the core's confirmed view");
    server.stop().await;
    Ok(())
}

/// One step: the event, what the shell did for it, the renders and the screen.
async fn step(shell: &mut Shell, title: &str, event: Event) -> Result<(), Box<dyn Error>> {
    println!("== {title}");
    shell.send(event).await?;
    for line in shell.take_log() {
        println!("{line}");
    }
    let renders = shell.take_renders();
    println!(
        "  ({renders} render{})",
        if renders == 1 { "" } else { "s" }
    );
    print!("{}", shell.screen());
    println!();
    Ok(())
}

fn add(title: &str) -> Event {
    Event::Add {
        title: title.into(),
    }
}

fn key_of(view: &ViewModel, title: &str) -> Result<String, Box<dyn Error>> {
    view.rows
        .iter()
        .find(|row| row.title == title)
        .map(|row| row.key.clone())
        .ok_or_else(|| format!("no row {title:?}").into())
}
