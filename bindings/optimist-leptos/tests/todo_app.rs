//! The app's flows (`examples/todo.rs`: the Leptos screen over the todo app's client) against
//! the todo server in-process, each on a server and database of its own, with the checks of
//! the core's end-to-end test: what the screen shows at each step, which components
//! re-rendered, and at the end of each flow nothing pending, the client's confirmed rows equal
//! to the database's row by row (versions included), and the screen showing exactly them.

#[path = "../examples/todo/flows.rs"]
mod flows;
#[path = "../examples/todo/screen.rs"]
mod screen;

use std::sync::Once;

use flows::World;

/// Runs one flow on a fresh world: the server and the client's driver on a multi-thread
/// runtime's two workers, the screen's effects on the test's thread (a LocalSet), the screen
/// mounted with `provide_threaded_client`, so what the driver tells the hooks on a worker is
/// set on the test's thread. On failure the timeline (every step's page) is in the panic
/// message.
async fn flow<F>(run: F)
where
    F: AsyncFnOnce(&mut World) -> Result<(), flows::FlowError>,
{
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        any_spawner::Executor::init_tokio().expect("the executor is set once");
    });
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async {
            let mut world = World::start(false).await.expect("the server starts");
            let result = run(&mut world).await;
            let timeline = world.timeline.join("\n");
            if let Err(error) = result {
                panic!("{error}\n--- timeline ---\n{timeline}");
            }
            world.finish().await.expect("the world shuts down");
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create() {
    flow(async |world| world.create().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn toggle() {
    flow(async |world| world.toggle().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_renames() {
    flow(async |world| world.two_renames().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_delete() {
    flow(async |world| world.failed_delete().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_conflict() {
    flow(async |world| world.version_conflict().await).await;
}

/// All the flows one after the other on one server, as the example runs them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flow_in_sequence() {
    flow(async |world| world.every_flow().await).await;
}
