//! The board app's flows against the board server (async-graphql over SQLite) in one process
//! on loopback: each flow on a server and database of its own, then all of them in sequence
//! on one, as the binary runs them. Every flow checks what the user sees at each step, the
//! requests sent, the rows re-rendered and the server's rows.

#[path = "../src/bin/board-client/flows.rs"]
mod flows;
#[path = "../src/bin/board-client/world.rs"]
#[allow(dead_code, reason = "`Printed` is the binary's timeline")]
mod world;

use world::{Kept, World};

/// Runs one flow on a fresh world; on failure, the flow's timeline is in the panic message.
macro_rules! flow {
    ($name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let mut world = World::start(None, Kept::default())
                .await
                .expect("the server starts and the board loads");
            let result = world.$name().await;
            let timeline = world.out.0.join("\n");
            world.finish().await;
            if let Err(error) = result {
                panic!("{error}\n--- timeline ---\n{timeline}");
            }
        }
    };
}

flow!(typenames_added);
flow!(pagination);
flow!(refetch_first_page);
flow!(redirect);
flow!(search);
flow!(row_watches);
flow!(version_conflict);
flow!(optimistic_create);
flow!(lost_create);
flow!(refused_delete);

/// Every flow one after the other on one server, as the binary runs them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flow_in_sequence() {
    let mut world = World::start(None, Kept::default())
        .await
        .expect("the server starts and the board loads");
    let result = world.every_flow().await;
    let timeline = world.out.0.join("\n");
    world.finish().await;
    if let Err(error) = result {
        panic!("{error}\n--- timeline ---\n{timeline}");
    }
}
