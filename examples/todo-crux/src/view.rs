//! What the shell draws: the rows with their states, the list's state, the mutations pending
//! and the failures until dismissed. Read from the store's merged view and mutation records.

use std::fmt;

use optimist::{QueryStatus, Store, Value};
use serde::{Deserialize, Serialize};

use crate::model::Model;
use crate::rows::{LIST, Todo, confirmed, status_text};

/// The view model: everything the screen shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewModel {
    /// The list in the merged view (pending guesses included), in list order.
    pub rows: Vec<Row>,
    /// No list yet and a fetch under way: a spinner.
    pub loading: bool,
    /// The list's fetch failed for good (its retries spent): why.
    pub list_error: Option<String>,
    /// Whether the shell last said the device is online.
    pub online: bool,
    /// The mutations pending, oldest first, as `label: status`.
    pub pending: Vec<String>,
    /// The failed mutations, until the user dismisses them.
    pub failures: Vec<Failed>,
    /// A problem with how the app was started (a bad API URL).
    pub problem: Option<String>,
    /// Base's rows: what the server has confirmed to this client, no guess. Not drawn; a shell
    /// reads it to compare with the server, a UI could mark unsaved values with it.
    pub confirmed: Vec<Todo>,
}

/// One row of the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// The entity's key (a temporary one, `Todo:~1`, while its create is in flight): what
    /// the intents name.
    pub key: String,
    /// The title shown.
    pub title: String,
    /// Whether it shows as done.
    pub done: bool,
    /// Saved, or saving.
    pub state: RowState,
}

/// Where a row stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowState {
    /// What the server confirmed: no mutation of it pending.
    Confirmed,
    /// Mutations of it pending: their statuses, oldest first.
    Pending(Vec<String>),
}

/// A failed mutation, shown until dismissed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failed {
    /// Its id, for [`Event::Dismiss`](crate::Event::Dismiss).
    pub id: String,
    /// What it was (`delete Todo:3`).
    pub label: String,
    /// Why it failed.
    pub reason: String,
}

/// The view of `model`.
pub(crate) fn view(model: &Model) -> ViewModel {
    let store = model.client.store();
    let header = header(model);
    ViewModel {
        rows: rows(store),
        loading: header.loading,
        list_error: header.list_error,
        online: header.online,
        pending: store
            .mutations()
            .filter(|m| m.status().is_pending())
            .map(|m| format!("{}: {}", m.label(), status_text(m.status())))
            .collect(),
        failures: store
            .failed_mutations()
            .map(|m| Failed {
                id: m.id().to_string(),
                label: m.label().to_owned(),
                reason: match m.status() {
                    optimist::MutationStatus::Failed(failure) => failure.to_string(),
                    other => status_text(other),
                },
            })
            .collect(),
        problem: header.problem,
        confirmed: confirmed(store),
    }
}

/// The parts of the view that are not the store's data or its mutations' statuses: what a
/// store's `Changes` cannot say changed, compared before and after each update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    loading: bool,
    list_error: Option<String>,
    online: bool,
    problem: Option<String>,
}

pub(crate) fn header(model: &Model) -> Header {
    let state = model
        .list
        .and_then(|(observer, _)| model.client.state(observer));
    Header {
        loading: state.is_some_and(|state| state.is_loading()),
        list_error: state
            .filter(|state| state.status == QueryStatus::Error)
            .and_then(|state| state.error.as_ref())
            .map(ToString::to_string),
        online: model.online,
        problem: model.problem.clone(),
    }
}

/// The merged view's list, each row with its state.
fn rows(store: &Store) -> Vec<Row> {
    let Some(list) = store.get_field("ROOT_QUERY", LIST).and_then(Value::as_list) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(Value::as_ref_key)
        .filter_map(|key| {
            let entity = store.get(key.as_str())?;
            let pending: Vec<String> = store
                .mutations_touching(key.as_str(), None)
                .map(|m| status_text(m.status()))
                .collect();
            Some(Row {
                key: key.to_string(),
                title: entity
                    .get("title")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                done: entity
                    .get("done")
                    .and_then(Value::as_bool)
                    .unwrap_or_default(),
                state: if pending.is_empty() {
                    RowState::Confirmed
                } else {
                    RowState::Pending(pending)
                },
            })
        })
        .collect()
}

impl fmt::Display for ViewModel {
    /// The screen as text, as the native shell prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(problem) = &self.problem {
            writeln!(f, "  ! {problem}")?;
        }
        if !self.online {
            writeln!(f, "  (offline)")?;
        }
        if self.loading {
            writeln!(f, "  loading...")?;
        }
        if let Some(error) = &self.list_error {
            writeln!(f, "  the list could not load: {error}")?;
        }
        if self.rows.is_empty() && !self.loading {
            writeln!(f, "  (no todos)")?;
        }
        for row in &self.rows {
            let tick = if row.done { "x" } else { " " };
            write!(f, "  [{tick}] {:<24} {}", row.title, row.key)?;
            match &row.state {
                RowState::Confirmed => writeln!(f)?,
                RowState::Pending(statuses) => writeln!(f, "  ({})", statuses.join(", "))?,
            }
        }
        for failure in &self.failures {
            writeln!(
                f,
                "  ! {} failed: {} [{}]",
                failure.label, failure.reason, failure.id
            )?;
        }
        Ok(())
    }
}
