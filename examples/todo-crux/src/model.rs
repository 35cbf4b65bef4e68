//! The core's state: the optimist client (the store, its layers, its outbox, the list's query
//! record) and what the core needs to drive it.

use crux_time::TimerHandle;
use optimist::{Client, Instant, ObserverId, QueryId, Store};

use crate::clock::Clock;
use crate::rows::{policies, retry_policy};

/// The model: the client with its store, kept whole in the core (a Crux model is the app's
/// state; the store is the app's data).
pub struct Model {
    /// The query lifecycle and, inside it, the store.
    pub(crate) client: Client,
    /// The list's observer and query, once started.
    pub(crate) list: Option<(ObserverId, QueryId)>,
    /// The API's base URL, without a final `/`, once started.
    pub(crate) api: Option<String>,
    /// Whether the shell last said the device is online. While offline, nothing is sent: the
    /// outbox keeps the mutations, the view their guesses.
    pub(crate) online: bool,
    /// The one timer asked of the shell (at the earliest time anything is due), if any.
    pub(crate) timer: Option<Timer>,
    pub(crate) clock: Clock,
    /// A problem with how the app was started (a bad API URL), shown until it starts well.
    pub(crate) problem: Option<String>,
}

/// A timer asked of the shell: when it is for, and the handle that clears it.
pub(crate) struct Timer {
    pub(crate) deadline: Instant,
    pub(crate) handle: TimerHandle,
}

impl Default for Model {
    fn default() -> Model {
        let mut store = Store::with_policies(policies());
        store.set_retry_policy(retry_policy());
        Model::with_store(store)
    }
}

impl Model {
    /// A model over `store`: a new one, or one loaded from a saved outbox (its pending
    /// mutations are sent once the app starts).
    ///
    /// ```
    /// let model = todo_crux::Model::with_store(optimist::Store::with_policies(todo_crux::policies()));
    /// assert!(!model.store().is_mutating());
    /// ```
    pub fn with_store(store: Store) -> Model {
        Model {
            client: Client::new(store),
            list: None,
            api: None,
            online: true,
            timer: None,
            clock: Clock::default(),
            problem: None,
        }
    }

    /// The optimist client, to read (its queries' states).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The store, to read (the merged view, base, the mutation records).
    pub fn store(&self) -> &Store {
        self.client.store()
    }
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("client", &self.client)
            .field("api", &self.api)
            .field("online", &self.online)
            .field("timer", &self.timer.as_ref().map(|timer| timer.deadline))
            .finish_non_exhaustive()
    }
}
