//! The main job: a todo app against a real server and database, end to end.
//!
//! Starts the todo server (axum over SQLite, `examples/todo-server`) on a loopback port with a
//! database in a temporary directory, opens a client on optimist (`examples/todo-client`: reqwest, tokio,
//! the store's mutation driver, the server's event stream, an outbox file), and runs it through
//! the flows of `flows.rs` with faults injected on the server: latency, a refused delete, a
//! version conflict, a lost answer, the server going down. It prints what the user sees after
//! each step, the mutations' statuses, which components re-rendered, and at the end the
//! server's rows next to the client's confirmed view. Every step is checked as it goes (the
//! same checks as `tests/end_to_end.rs`); the example exits non-zero if one fails.
//!
//! Run with `cargo run --example todo_app --features tokio`.

#[allow(dead_code)] // `Kept` is the test's timeline
mod flows;
mod ui;

use std::time::Instant;

use flows::{FlowError, Printed, World};

#[tokio::main]
async fn main() -> Result<(), FlowError> {
    let mut world = World::start(Printed(Instant::now())).await?;
    world.every_flow().await?;
    world.print_final()?;
    world.finish().await
}
