//! The todo app's screen on optimist-dioxus, against a real server and database.
//!
//! Starts the todo server (`examples/todo-server`: axum over SQLite) on a loopback port with a
//! database in a temporary directory, opens the todo client on optimist (`todo_client`: reqwest,
//! the core's `Driver`, the server's event stream and an outbox file, on tokio), mounts the
//! Dioxus screen (`todo/screen.rs`) in a `VirtualDom` over the client's shared
//! `Arc<Mutex<optimist::Client>>`, and runs it through the flows of `todo/steps.rs` with faults
//! injected on the server: latency, a locked then refused delete, a version conflict, a lost
//! answer, the server going down and the app restarting. After each step it prints the screen
//! as HTML (dioxus-ssr) and which components re-rendered; at the end, the server's rows next
//! to the client's confirmed view. Every step is checked as it goes (the same checks as
//! `tests/todo_app.rs`); the example exits non-zero if one fails.
//!
//! Run with `cargo run -p optimist-dioxus --example todo`.

#[path = "todo/flows.rs"]
#[allow(dead_code)] // `Kept` is the test's timeline
mod flows;
#[path = "todo/screen.rs"]
mod screen;

use std::time::Instant;

use flows::{FlowError, Printed, World};

#[tokio::main]
async fn main() -> Result<(), FlowError> {
    let mut world = World::start(Printed(Instant::now())).await?;
    world.every_flow().await?;
    world.print_final()?;
    world.finish().await
}
