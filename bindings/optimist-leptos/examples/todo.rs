//! The todo app's screen written with optimist-leptos, against the example todo server.
//!
//! Starts the todo server (axum over SQLite) on a loopback port with a database in a temporary
//! directory, opens the app's client (`todo_client`: the store, the `Driver` sending its
//! fetches and mutations over HTTP, the event stream, the outbox file), mounts the Leptos
//! screen over its shared client (`provide_client`), and goes through the flows a user does:
//! add, toggle, two quick renames, a delete the server refuses, a rename that conflicts. After
//! each step it prints the page's HTML (each component's `view!` rendered by Leptos's server
//! renderer) and which components re-rendered; every step is checked, and the example exits
//! non-zero if one fails. At the end the server's rows equal the client's confirmed view.
//!
//! Run with `cargo run -p optimist-leptos --example todo`.

#[path = "todo/flows.rs"]
mod flows;
#[path = "todo/screen.rs"]
mod screen;

use flows::{FlowError, World};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), FlowError> {
    // The server and the client's driver run on tokio's worker threads; the screen's effects
    // on this thread's LocalSet. The screen is mounted with `provide_threaded_client`: what
    // the driver tells the hooks on a worker thread is handed to this one and set here.
    any_spawner::Executor::init_tokio().map_err(|error| FlowError(error.to_string()))?;
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async {
            let mut world = World::start(true).await?;
            world.every_flow().await?;
            println!("== every flow passed; the server's rows equal the client's confirmed view");
            world.finish().await
        })
        .await
}
