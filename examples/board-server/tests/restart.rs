//! A database file outlives the server: a restart on it keeps the rows, and the seed only
//! fills a database with no project.

mod common;

use board_server::{Config, Seed, start};
use common::data;
use serde_json::json;

#[tokio::test]
async fn a_restart_on_the_same_database_keeps_the_rows_and_does_not_reseed() {
    let path =
        std::env::temp_dir().join(format!("board-server-test-{}.sqlite3", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let config = Config {
        db_path: Some(path.clone()),
        port: 0,
        seed: Some(Seed {
            projects: 1,
            tasks_per_project: 2,
        }),
    };
    let server = start(config.clone()).await.unwrap();
    let create = "mutation { createTask(input: {projectId: \"p1\", title: \"kept\", idempotencyKey: \"k\"}) { edge { node { id } } } }";
    data(&server, create, json!({})).await;
    server.stop().await;
    let again = start(config).await.unwrap();
    let titles: Vec<String> = again
        .tasks()
        .unwrap()
        .into_iter()
        .map(|t| t.title)
        .collect();
    assert_eq!(titles, ["locked: Project 1 charter", "Task 1.2", "kept"]);
    // The idempotency key survives too: the retry answers the same task.
    let retried = data(&again, create, json!({})).await;
    assert_eq!(retried["createTask"]["edge"]["node"]["id"], "t3");
    assert_eq!(again.tasks().unwrap().len(), 3);
    again.stop().await;
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
}
