//! End to end: the todo server (axum over SQLite) and the example client (reqwest + optimist)
//! in one process on loopback, each flow on a server and database of its own with a fixed
//! fault schedule. Every flow checks what the user sees at each step and ends by checking that
//! the client's confirmed view equals the database row by row, versions included, and that
//! what the user sees is exactly those rows.

#[path = "../examples/todo_app/flows.rs"]
#[allow(dead_code)]
mod flows;
#[path = "../examples/todo_app/ui.rs"]
#[allow(dead_code)]
mod ui;

use flows::{Kept, World};

/// Runs one flow on a fresh world; on failure, the flow's timeline is in the panic message.
macro_rules! flow {
    ($name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let mut world = World::start(Kept::default())
                .await
                .expect("the server starts");
            let result = world.$name().await;
            let timeline = world.out.0.join("\n");
            world.finish().await.expect("the world shuts down");
            if let Err(error) = result {
                panic!("{error}\n--- timeline ---\n{timeline}");
            }
        }
    };
}

flow!(create);
flow!(toggle);
flow!(two_renames);
flow!(failed_delete);
flow!(refetch_during_save);
flow!(pushed_by_other_client);
flow!(version_conflict);
flow!(lost_answer);
flow!(offline);

/// All the flows one after the other on one server, as the main example runs them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flow_in_sequence() {
    let mut world = World::start(Kept::default())
        .await
        .expect("the server starts");
    let result = world.every_flow().await;
    let timeline = world.out.0.join("\n");
    world.finish().await.expect("the world shuts down");
    if let Err(error) = result {
        panic!("{error}\n--- timeline ---\n{timeline}");
    }
}
