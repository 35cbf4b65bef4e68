//! The GraphQL example app: a project board on optimist against the board server, end to end.
//!
//! `cargo run -p board-client` starts the board server in-process (async-graphql over SQLite,
//! a fresh seeded database), opens a client on it, and runs the flows of `flows.rs`: plain
//! documents, Relay pagination, a refetch of the first page, a cache redirect, a union
//! search, fragment watches per row, a version conflict, an optimistic create appended by
//! `@appendEdge`, a lost answer retried under its idempotency key, and a refused delete put
//! back by its failed layer. It prints what the user sees after each step and which rows
//! re-rendered; each step is checked as it goes (exit code 1 if one fails).
//!
//! `cargo run -p board-client -- --url http://127.0.0.1:4000` runs the same flows against a
//! board server started apart (`cargo run -p board-server -- --port 4000`, fresh database);
//! faults are asked for with the server's `X-Fault` header either way.

mod flows;
#[allow(dead_code, reason = "`Kept` is the test's timeline")]
mod world;

use std::time::Instant;

use world::{FlowError, Printed, World};

#[tokio::main]
async fn main() -> Result<(), FlowError> {
    let mut args = std::env::args().skip(1);
    let mut url = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--url" => {
                url = Some(
                    args.next()
                        .ok_or_else(|| FlowError("--url needs a URL".into()))?,
                )
            }
            other => {
                return Err(FlowError(format!(
                    "unknown argument {other:?} (use --url URL)"
                )));
            }
        }
    }
    let mut world = World::start(url.as_deref(), Printed(Instant::now())).await?;
    let result = world.every_flow().await;
    if result.is_ok() {
        let sent = world.alice.http().sent();
        world.say(&format!(
            "{} requests sent in all: {}",
            sent.len(),
            sent.join(", ")
        ));
    }
    world.finish().await;
    result
}
