//! `board-server [--db PATH] [--port N] [--seed PROJECTSxTASKS]`: serves the board's GraphQL
//! API until interrupted. A database with no project is seeded (3x20 unless told otherwise;
//! `--seed 0x0` for none).

use std::path::PathBuf;

use board_server::Seed;

fn parse_seed(text: &str) -> Option<Seed> {
    let (projects, tasks) = text.split_once('x')?;
    Some(Seed {
        projects: projects.parse().ok()?,
        tasks_per_project: tasks.parse().ok()?,
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = board_server::Config {
        db_path: None,
        port: 4000,
        seed: Some(Seed {
            projects: 3,
            tasks_per_project: 20,
        }),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--db" => config.db_path = Some(PathBuf::from(args.next().ok_or("--db needs a path")?)),
            "--port" => config.port = args.next().ok_or("--port needs a number")?.parse()?,
            "--seed" => {
                let text = args.next().ok_or("--seed needs PROJECTSxTASKS")?;
                config.seed =
                    Some(parse_seed(&text).ok_or("--seed needs PROJECTSxTASKS, e.g. 3x20")?);
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?} (use --db PATH, --port N, --seed PROJECTSxTASKS)"
                )
                .into());
            }
        }
    }
    let server = board_server::start(config).await?;
    println!(
        "board server: POST {} (schema at {}/schema.graphql, database {})",
        server.graphql_url(),
        server.url(),
        server.db_path().display()
    );
    tokio::signal::ctrl_c().await?;
    server.stop().await;
    Ok(())
}
