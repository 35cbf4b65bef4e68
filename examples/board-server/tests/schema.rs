//! The SDL: served at `/schema.graphql`, equal to the committed `schema.graphql`, and holding
//! the interface and the union a client reads possible types from.

mod common;

use common::server;

#[test]
fn the_committed_schema_is_the_servers() {
    let committed = include_str!("../schema.graphql");
    let sdl = board_server::sdl();
    if std::env::var_os("BOARD_SERVER_WRITE_SCHEMA").is_some() {
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"), &sdl).unwrap();
        return;
    }
    assert!(
        committed == sdl,
        "schema.graphql is stale: run `BOARD_SERVER_WRITE_SCHEMA=1 cargo test -p board-server --test schema`"
    );
}

#[tokio::test]
async fn schema_graphql_serves_the_sdl_with_the_interface_and_the_union() {
    let server = server(None).await;
    let response = reqwest::get(format!("{}/schema.graphql", server.url()))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert_eq!(text, board_server::sdl());
    for needle in [
        "interface Node",
        "union SearchResult = Task | Project | User",
        "type Project implements Node",
        "type Task implements Node",
        "type User {",
        "type TaskConnection",
        "type PageInfo",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    let user = text
        .split("type User {")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .unwrap();
    assert!(!user.contains("id:"), "User has no id: {user}");
    server.stop().await;
}
