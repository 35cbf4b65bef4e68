//! A terminal UI on the example client, to drive by hand against the todo server: pending,
//! failed and confirmed states show live, and faults can be injected from the keyboard.
//!
//! `cargo run --example todo_tui --features tokio` starts a server of its own (a database in
//! the temporary directory). To watch two clients on one server, start the server apart
//! (`cargo run -p todo-server -- --port 3000`) and run
//! `cargo run --example todo_tui --features tokio -- --server http://127.0.0.1:3000 --client alice`
//! in one terminal and `... --client bob` in another.
//!
//! Keys: up/down select; space tick; `a` add; `e` rename; `d` delete; `r` refetch; `x` dismiss
//! errors; `q` quit (the outbox is saved and sent next time). With its own server: `f` the
//! next write fails, `l` the next answer is lost, `s` the next write takes 2 s, `k` the next
//! write finds its row locked, `o` takes the server down or up.

use std::path::PathBuf;
use std::time::Duration;

use optimist::Key;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, Wrap};
use todo_client::{Client, RowState, Shown};
use todo_server::{Config, Fault, Running};

/// What the keyboard is typing into.
enum Input {
    None,
    Adding(String),
    Renaming(Key, String),
}

struct App {
    client: Client,
    /// Our own server, when we started one: `Some(None)` while it is down.
    server: Option<Option<Running>>,
    db_path: PathBuf,
    port: u16,
    selected: ListState,
    input: Input,
    message: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut url = None;
    let mut name = "tui".to_owned();
    let mut outbox = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--server" => url = Some(args.next().ok_or("--server needs a URL")?),
            "--client" => name = args.next().ok_or("--client needs a name")?,
            "--outbox" => outbox = Some(PathBuf::from(args.next().ok_or("--outbox needs a path")?)),
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    let dir = std::env::temp_dir().join("optimist-todo-tui");
    std::fs::create_dir_all(&dir)?;
    let outbox = outbox.unwrap_or_else(|| dir.join(format!("outbox-{name}.json")));
    let db_path = dir.join("todos.sqlite3");
    let (server, url, port) = match url {
        Some(url) => (None, url, 0),
        None => {
            let server = todo_server::start(Config {
                db_path: Some(db_path.clone()),
                port: 0,
            })
            .await?;
            let (url, port) = (server.url(), server.addr().port());
            (Some(Some(server)), url, port)
        }
    };
    let client = Client::open(&url, &name, &outbox).await?;
    let message = match client.refetch().await {
        Ok(()) => format!("connected to {url} as {name:?}"),
        Err(error) => format!("offline: {error} (edits wait in the outbox)"),
    };
    let mut app = App {
        client,
        server,
        db_path,
        port,
        selected: ListState::default().with_selected(Some(0)),
        input: Input::None,
        message,
    };
    let mut terminal = ratatui::init();
    let result = run(&mut terminal, &mut app).await;
    ratatui::restore();
    app.client.shut_down().await?;
    if let Some(Some(server)) = app.server.take() {
        server.stop().await;
    }
    result
}

async fn run(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
) -> Result<(), Box<dyn std::error::Error>> {
    loop {
        let rows = app.client.shown();
        if app.selected.selected().is_none() && !rows.is_empty() {
            app.selected.select(Some(0));
        }
        terminal.draw(|frame| draw(frame, app, &rows))?;
        if !event::poll(Duration::from_millis(100))? {
            continue; // redraw: the driver or the event stream may have changed the store
        }
        let Event::Key(key) = event::read()? else {
            continue;
        };
        if key.kind != KeyEventKind::Press {
            continue;
        }
        let selected = app.selected.selected().and_then(|at| rows.get(at)).cloned();
        match std::mem::replace(&mut app.input, Input::None) {
            Input::Adding(mut text) => match key.code {
                KeyCode::Enter if !text.trim().is_empty() => {
                    report(app, app.client.create(text.trim()).map(|_| ()))
                }
                KeyCode::Esc | KeyCode::Enter => {}
                KeyCode::Backspace => {
                    text.pop();
                    app.input = Input::Adding(text);
                }
                KeyCode::Char(c) => {
                    text.push(c);
                    app.input = Input::Adding(text);
                }
                _ => app.input = Input::Adding(text),
            },
            Input::Renaming(target, mut text) => match key.code {
                KeyCode::Enter if !text.trim().is_empty() => {
                    report(app, app.client.rename(&target, text.trim()))
                }
                KeyCode::Esc | KeyCode::Enter => {}
                KeyCode::Backspace => {
                    text.pop();
                    app.input = Input::Renaming(target, text);
                }
                KeyCode::Char(c) => {
                    text.push(c);
                    app.input = Input::Renaming(target, text);
                }
                _ => app.input = Input::Renaming(target, text),
            },
            Input::None => match key.code {
                KeyCode::Char('q') | KeyCode::Esc => return Ok(()),
                KeyCode::Up | KeyCode::Char('k') if !rows.is_empty() => {
                    app.selected.select_previous()
                }
                KeyCode::Down | KeyCode::Char('j') if !rows.is_empty() => {
                    app.selected.select_next()
                }
                KeyCode::Char(' ') => {
                    if let Some(row) = selected {
                        let key = Key::new(&row.key)?;
                        report(app, app.client.set_done(&key, !row.done));
                    }
                }
                KeyCode::Char('a') => app.input = Input::Adding(String::new()),
                KeyCode::Char('e') => {
                    if let Some(row) = selected {
                        app.input = Input::Renaming(Key::new(&row.key)?, row.title.clone());
                    }
                }
                KeyCode::Char('d') => {
                    if let Some(row) = selected {
                        let key = Key::new(&row.key)?;
                        report(app, app.client.delete(&key));
                    }
                }
                KeyCode::Char('r') => {
                    app.message = match app.client.refetch().await {
                        Ok(()) => "refetched".into(),
                        Err(error) => format!("refetch failed: {error}"),
                    };
                }
                KeyCode::Char('x') => {
                    let mut client = app.client.client();
                    let mut store = client.store_mut();
                    let failed: Vec<_> = store.failed_mutations().map(|m| m.id()).collect();
                    for id in failed {
                        store.dismiss(id);
                    }
                }
                KeyCode::Char(c @ ('f' | 'l' | 's' | 'k')) => {
                    let fault = match c {
                        'f' => Fault::Fail,
                        'l' => Fault::Lose,
                        's' => Fault::Latency(Duration::from_secs(2)),
                        _ => Fault::Locked,
                    };
                    app.message = match &app.server {
                        Some(Some(server)) => {
                            for method in ["POST", "PATCH", "DELETE"] {
                                server.faults().next(method, "/todos", fault.clone());
                            }
                            format!("the next write of each kind gets {fault:?}")
                        }
                        Some(None) => "the server is down".into(),
                        None => "faults need the TUI's own server".into(),
                    };
                }
                KeyCode::Char('o') => toggle_server(app).await,
                _ => {}
            },
        }
        let last = app.client.shown().len().checked_sub(1);
        let at = app.selected.selected().unwrap_or(0);
        app.selected.select(last.map(|last| at.min(last)));
    }
}

fn report(app: &mut App, result: Result<(), todo_client::ClientError>) {
    if let Err(error) = result {
        app.message = error.to_string();
    }
}

async fn toggle_server(app: &mut App) {
    match app.server.take() {
        Some(Some(server)) => {
            server.stop().await;
            app.server = Some(None);
            app.message = "server down: edits wait, offline, in the outbox".into();
        }
        Some(None) => match todo_server::start(Config {
            db_path: Some(app.db_path.clone()),
            port: app.port,
        })
        .await
        {
            Ok(server) => {
                app.server = Some(Some(server));
                app.message = "server up: the outbox is being sent".into();
            }
            Err(error) => {
                app.server = Some(None);
                app.message = format!("server did not start: {error}");
            }
        },
        None => app.message = "the server is not ours to stop".into(),
    }
}

fn draw(frame: &mut ratatui::Frame<'_>, app: &mut App, rows: &[Shown]) {
    let [list_area, status_area, input_area, help_area] = Layout::vertical([
        Constraint::Min(5),
        Constraint::Length(8),
        Constraint::Length(3),
        Constraint::Length(3),
    ])
    .areas(frame.area());

    let items: Vec<ListItem<'_>> = rows
        .iter()
        .map(|row| {
            let (badge, color) = match &row.state {
                RowState::Confirmed => ("confirmed".to_owned(), Color::Green),
                RowState::Pending(statuses) => {
                    (format!("saving: {}", statuses.join(", ")), Color::Yellow)
                }
            };
            ListItem::new(Line::from(vec![
                Span::raw(format!("[{}] ", if row.done { "x" } else { " " })),
                Span::styled(
                    format!("{:<32}", row.title),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
                Span::styled(
                    format!("{:<12}", row.key),
                    Style::default().fg(Color::DarkGray),
                ),
                Span::styled(badge, Style::default().fg(color)),
            ]))
        })
        .collect();
    let server = match &app.server {
        Some(Some(_)) => "own server: up",
        Some(None) => "own server: DOWN",
        None => "remote server",
    };
    let list = List::new(items)
        .block(Block::bordered().title(format!(" todos ({server}) ")))
        .highlight_style(Style::default().bg(Color::DarkGray))
        .highlight_symbol("> ");
    frame.render_stateful_widget(list, list_area, &mut app.selected);

    let mut lines: Vec<Line<'_>> = Vec::new();
    {
        let client = app.client.client();
        let store = client.store();
        for m in store.failed_mutations() {
            lines.push(Line::styled(
                format!(
                    "error: {}: {}",
                    m.label(),
                    todo_client::status_text(m.status())
                ),
                Style::default().fg(Color::Red),
            ));
        }
        for m in store.mutations().rev().filter(|m| m.status().is_pending()) {
            lines.push(Line::raw(format!(
                "{}: {}",
                m.label(),
                todo_client::status_text(m.status())
            )));
        }
    }
    lines.push(Line::styled(
        app.message.clone(),
        Style::default().fg(Color::Cyan),
    ));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(" mutations ")),
        status_area,
    );

    let input = match &app.input {
        Input::None => String::new(),
        Input::Adding(text) => format!("new todo: {text}_"),
        Input::Renaming(key, text) => format!("rename {key}: {text}_"),
    };
    frame.render_widget(
        Paragraph::new(input).block(Block::bordered().title(" input ")),
        input_area,
    );
    frame.render_widget(
        Paragraph::new(
            "up/down select  space tick  a add  e rename  d delete  r refetch  x dismiss  q quit | \
             own server: f fail  l lose  s slow  k locked  o down/up",
        )
        .wrap(Wrap { trim: true }),
        help_area,
    );
}
