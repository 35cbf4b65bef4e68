//! What happens to the core: the user's intents, the shell's reports about the device, and the
//! answers to the effects the core asked for.

use crux_time::TimerOutcome;
use optimist::{FetchId, Instant, LayerId};
use serde::{Deserialize, Serialize};

use crate::answers::Answer;
use crate::requests::Write;

/// An event for [`App::update`](crux_core::App::update).
///
/// The intents and the device's reports cross an FFI boundary as they are (serde); the
/// answers are made by the core's own commands (`#[serde(skip)]`) and never built by a shell.
///
/// ```
/// use todo_crux::Event;
/// let json = serde_json::to_string(&Event::Toggle { key: "Todo:1".into() })?;
/// assert_eq!(json, r#"{"Toggle":{"key":"Todo:1"}}"#);
/// assert!(matches!(serde_json::from_str(&json)?, Event::Toggle { key } if key == "Todo:1"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Serialize, Deserialize)]
pub enum Event {
    /// The app opened, against the todo API at `api` (`http://127.0.0.1:3000`): the list is
    /// observed, so fetched.
    Start {
        /// The API's base URL.
        api: String,
    },
    /// Add a todo.
    Add {
        /// Its title (blank: nothing happens).
        title: String,
    },
    /// Tick a todo that is not done, untick one that is.
    Toggle {
        /// The row's key, as the view shows it.
        key: String,
    },
    /// Rename a todo.
    Rename {
        /// The row's key, as the view shows it.
        key: String,
        /// The new title (blank or unchanged: nothing happens).
        title: String,
    },
    /// Delete a todo.
    Delete {
        /// The row's key, as the view shows it.
        key: String,
    },
    /// The user has seen a failure: forget it.
    Dismiss {
        /// The failure's id, as the view shows it.
        failure: String,
    },
    /// Fetch the list again (pull to refresh).
    Refetch,
    /// The device has a network again: what waited for it goes.
    Online,
    /// The device lost its network: fetches pause and mutations wait in the outbox, their
    /// guesses shown.
    Offline,

    /// The answer to the list's fetch `fetch`.
    #[serde(skip)]
    Fetched {
        /// The fetch, as the client handed it out.
        fetch: FetchId,
        /// What came back.
        answer: Answer,
    },
    /// The answer to a send of mutation `mutation`.
    #[serde(skip)]
    Sent {
        /// The mutation.
        mutation: LayerId,
        /// The request that was sent.
        write: Write,
        /// What came back.
        answer: Answer,
    },
    /// A timer the core asked for fired, or was cleared.
    #[serde(skip)]
    TimerFired {
        /// The time it was asked for.
        deadline: Instant,
        /// Whether it ran out or was cleared.
        outcome: TimerOutcome,
    },
}
