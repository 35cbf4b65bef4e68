//! The todo app as a [Crux](https://docs.rs/crux_core) core over optimist.
//!
//! Crux splits an app into a core (pure: events in, commands out) and a shell (the platform:
//! draws the view, does the I/O the commands ask for). optimist is sans-IO in the same way, so
//! the two fit without glue: the core keeps the optimist client, and with it the store, in
//! its [`Model`]; each [`Event`] changes the store or reports an answer; then the core asks
//! what to send and when to look again, and answers in commands.
//!
//! | optimist | Crux |
//! |---|---|
//! | `Client` (query records, the `Store` inside it) | kept in [`Model`] |
//! | an intent: `store.mutate(mutation)` (the guess shows at once) | [`Event::Add`], [`Event::Toggle`], [`Event::Rename`], [`Event::Delete`] |
//! | `client.next_fetch(now)` → `Fetch` | an HTTP command (`GET`), answered as [`Event::Fetched`] → `resolve` / `reject` |
//! | `store.next_to_send(now)` → `Outgoing` | an HTTP command (`POST` / `PATCH` / `DELETE` with `Idempotency-Key` and `If-Match`), answered as [`Event::Sent`] → `report` |
//! | `client.next_due()`, `store.next_retry_at()` | one crux_time timer at the earliest, answered as [`Event::TimerFired`] → `tick`, then the two calls above again |
//! | `Changes` non-empty (a key of the view, a mutation's status) | a render command; nothing changed, no render |
//! | `failed_mutations()` / `dismiss` | [`ViewModel::failures`] / [`Event::Dismiss`] |
//! | `client.offline` / `online` | [`Event::Offline`] / [`Event::Online`] (the outbox waits meanwhile) |
//!
//! Time: the core reads `optimist::Instant::now()` itself, and a fired timer moves its clock to
//! at least the deadline it was asked for (see [`Clock`]).
//!
//! Layout, pure pieces first: `rows.rs` (the data, the policies and the list query, shared with
//! `todo_client`'s pure part, as [`mutations`] (the intents as data) and [`requests`] (mutations
//! and fetches as HTTP requests) are), `answers.rs`
//! (HTTP answers as outcomes), `clock.rs`, `model.rs`, `event.rs`, `effect.rs`, `view.rs`,
//! `commands.rs` (Crux's HTTP and timer commands), `app.rs` (the update). With the `shell`
//! feature (on by default), `shell/` is a native shell on tokio and reqwest; the core itself
//! does no I/O and builds without it (`default-features = false`).
//!
//! ```
//! use crux_core::App as _;
//! use todo_crux::{App, Event, Model};
//!
//! let (app, mut model) = (App, Model::default());
//! let _ = app.update(Event::Start { api: "http://127.0.0.1:3000".into() }, &mut model);
//! let mut add = app.update(Event::Add { title: "Buy milk".into() }, &mut model);
//! let effects: Vec<_> = add.effects().collect();
//! assert_eq!(effects.iter().filter(|effect| effect.is_render()).count(), 1);
//! assert_eq!(app.view(&model).pending, [r#"create "Buy milk": in flight (attempt 1)"#]);
//! let post = effects.into_iter().find_map(|effect| effect.into_http()).unwrap();
//! assert_eq!((post.operation.method.as_str(), post.operation.url.as_str()), ("POST", "http://127.0.0.1:3000/todos"));
//! ```
#![forbid(unsafe_code)]

pub mod answers;
mod app;
mod clock;
mod commands;
mod effect;
mod event;
mod model;
mod rows;
#[cfg(feature = "shell")]
pub mod shell;
mod view;

pub use app::App;
pub use clock::Clock;
pub use effect::Effect;
pub use event::Event;
pub use model::Model;
pub use rows::{Todo, confirmed, list_options, list_query, policies, retry_policy, status_text};
pub use todo_client::{mutations, requests};
pub use view::{Failed, Row, RowState, ViewModel};
