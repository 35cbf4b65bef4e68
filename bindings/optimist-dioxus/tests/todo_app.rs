//! The app's flows as integration tests: the Dioxus todo screen (`examples/todo/screen.rs`) over
//! the todo client, against the todo server in-process on loopback, each flow on a server and
//! database of its own with a fixed fault schedule. Every flow checks the screen's HTML and
//! which components re-rendered at each step, and ends by checking that the client's
//! confirmed view equals the database row by row (versions included) and that the screen
//! shows exactly those rows, with nothing pending and no failure left shown.

#[path = "../examples/todo/flows.rs"]
#[allow(dead_code)] // `Printed` is the example's timeline
mod flows;
#[path = "../examples/todo/screen.rs"]
mod screen;

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

/// All the flows one after the other on one server, as the example runs them.
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
