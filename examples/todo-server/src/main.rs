//! `todo-server [--db PATH] [--port N]`: serves the todo API until interrupted.

use std::path::PathBuf;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = todo_server::Config {
        db_path: None,
        port: 3000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--db" => config.db_path = Some(PathBuf::from(args.next().ok_or("--db needs a path")?)),
            "--port" => config.port = args.next().ok_or("--port needs a number")?.parse()?,
            other => {
                return Err(format!("unknown argument {other:?} (use --db PATH, --port N)").into());
            }
        }
    }
    let server = todo_server::start(config).await?;
    println!(
        "todo server on {} (database {})",
        server.url(),
        server.db_path().display()
    );
    tokio::signal::ctrl_c().await?;
    server.stop().await;
    Ok(())
}
