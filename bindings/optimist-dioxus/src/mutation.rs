//! Mutations: a handle that builds a mutation from the component's input, makes it in the
//! store (its guess shows at once, its record joins the outbox), and follows the record's
//! status through the store's mutation watcher, which hands each new status over inside the
//! call that made it, until the record is dismissed.
//!
//! The store sends nothing: the app's I/O loop takes each mutation with `next_to_send` and
//! reports how it went; the handle only shows where it stands.

use std::convert::Infallible;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use dioxus_signals::{CopyValue, ReadableExt, SyncSignal};
use optimist::{Failure, LayerId, Mutation, MutationStatus, MutationsChanged, PatchError, Store};

use crate::context::{SharedClient, lock, use_client};
use crate::signals::{SyncReadSignal, pair, set, set_if_changed};
use crate::watch::use_mutations_watcher;

/// What a builder given to [`use_mutation`] returns: a [`Mutation`], or a `Result` of one
/// (the builder may refuse the input, or fail to make a temporary key).
pub trait IntoMutation {
    /// Why the builder refused (`Infallible` for a plain [`Mutation`]).
    type Error;

    /// The mutation, or why not.
    fn into_mutation(self) -> Result<Mutation, Self::Error>;
}

impl IntoMutation for Mutation {
    type Error = Infallible;

    fn into_mutation(self) -> Result<Mutation, Infallible> {
        Ok(self)
    }
}

impl<E> IntoMutation for Result<Mutation, E> {
    type Error = E;

    fn into_mutation(self) -> Result<Mutation, E> {
        self
    }
}

/// Why a mutation made through [`UseMutation::mutate`] did not go through.
///
/// ```
/// use optimist::{Failure, FailureKind};
/// let error = optimist_dioxus::MutateError::<std::convert::Infallible>::Failed(Failure {
///     kind: FailureKind::Rejected,
///     message: "422: title taken".into(),
/// });
/// assert_eq!(error.to_string(), "rejected: 422: title taken");
/// ```
#[derive(Clone, PartialEq, Debug)]
pub enum MutateError<E> {
    /// The builder refused the input; nothing was made.
    Build(E),
    /// The store refused the mutation's patch; nothing was made.
    Refused(PatchError),
    /// The server refused it (or its retries ran out): its guess was reverted. Shown until
    /// [`UseMutation::dismiss`].
    Failed(Failure),
}

impl<E: fmt::Display> fmt::Display for MutateError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MutateError::Build(error) => error.fmt(f),
            MutateError::Refused(error) => write!(f, "refused by the store: {error}"),
            MutateError::Failed(failure) => failure.fmt(f),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for MutateError<E> {}

/// What [`use_mutation`] gives: a function to fire ([`mutate`](UseMutation::mutate)) and the
/// state of the mutation it follows as signals. `Copy`: move it into event handlers freely.
///
/// The signals follow the mutation made last: a second `mutate` while the first is pending
/// moves the handle to the second (the first goes on in the store, shown by the data). A
/// mutation merged into a later one of its scope ([`Mutation::coalesce`]) is followed into
/// that one: its request is the one sent, so its status is the one that tells whether the
/// value was saved.
pub struct UseMutation<I: 'static, E: 'static = Infallible> {
    /// The followed mutation's status: `Queued`, `InFlight`, `Retrying`, `Committed`, `Failed`
    /// (kept until dismissed, here or anywhere else: [`Store::dismiss`]) or `Abandoned`;
    /// `None` before the first, after a refused one and after a dismiss. Written inside the
    /// store call that changed it, so it shows in the same render as the data that call
    /// changed. (`Coalesced` shows only if the store ever merged it into a mutation it did not
    /// tell of in the same call; it always does.)
    pub status: SyncReadSignal<Option<MutationStatus>>,
    /// Why the followed mutation did not go through: refused when made, or failed later
    /// (until dismissed). A server's rejection, or retries run out, is written at once as a
    /// bare `rejected`; its message and kind follow once the store call is over (optimist
    /// 0.1's `report` records them after telling watchers): a task of the component reads the
    /// record, and Dioxus runs a component's woken task before re-rendering it, so the
    /// render that shows the failure normally shows the message.
    pub error: SyncReadSignal<Option<MutateError<E>>>,
    /// The idempotency key of the followed mutation, when this handle made it (sent with every
    /// attempt). `None` after its mutation was merged into one made elsewhere (another
    /// handle, or the app's code): the store's mutation watcher is not told keys; read it with
    /// [`id`](UseMutation::id) and [`Store::mutation`].
    pub idempotency_key: SyncReadSignal<Option<Arc<str>>>,
    handle: CopyValue<Handle<I, E>>,
}

impl<I, E> Clone for UseMutation<I, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I, E> Copy for UseMutation<I, E> {}

/// The same handle (of the same component): lets a handle be a component's prop.
impl<I, E> PartialEq for UseMutation<I, E> {
    fn eq(&self, other: &Self) -> bool {
        self.handle == other.handle
    }
}

type Build<I, E> = Box<dyn Fn(&mut Store, I) -> Result<Mutation, E>>;

struct Handle<I: 'static, E: 'static> {
    client: SharedClient,
    build: Build<I, E>,
    shown: Shown<E>,
}

/// What the handle follows and its signals: shared with its mutation watcher, which writes
/// them inside store calls (on any thread).
struct Shown<E: 'static> {
    /// The mutation followed. Locked after the client, never held across a store call (the
    /// watcher locks it inside them).
    current: Arc<Mutex<Option<LayerId>>>,
    status: SyncSignal<Option<MutationStatus>>,
    error: SyncSignal<Option<MutateError<E>>>,
    idempotency_key: SyncSignal<Option<Arc<str>>>,
}

impl<E> Clone for Shown<E> {
    fn clone(&self) -> Self {
        Shown {
            current: self.current.clone(),
            ..*self
        }
    }
}

/// A mutation to fire from the component (TanStack Query's and dioxus-query's
/// `use_mutation`): `build` turns the input into a [`Mutation`] (its guess, request data,
/// scope), with the store at hand for temporary keys and current values; `mutate(input)`
/// makes it, and the handle's signals follow its record (the store's mutation watcher,
/// [`Store::watch_mutations`]), written inside the store call that changed it, until it is
/// dismissed (by [`dismiss`](UseMutation::dismiss) or any [`Store::dismiss`]).
///
/// `build` runs inside the client's lock: it must not lock the client itself.
///
/// # Panics
///
/// When no client is provided above the component (see [`use_client`]).
///
/// ```
/// use dioxus::prelude::*;
/// use optimist::{Client, Instant, Mutation, Outcome, Patch, Store};
/// use optimist_dioxus::{lock, shared, use_mutation};
///
/// fn Tick() -> Element {
///     let tick = use_mutation(|_store: &mut Store, done: bool| {
///         Mutation::new("tick", Patch::new().set("Todo:1", "done", done))
///     });
///     // A click, made here on mount (a button's `onclick` calls the same).
///     use_hook(|| tick.mutate(true).ok());
///     let status = match &*tick.status.read() {
///         Some(status) => format!("{status:?}"),
///         None => "idle".into(),
///     };
///     rsx! { button { onclick: move |_| { let _ = tick.mutate(true); }, "{status}" } }
/// }
///
/// let client = shared(Client::new(Store::new()));
/// let mut dom = VirtualDom::new(Tick).with_root_context(client.clone());
/// dom.rebuild_in_place();
/// assert_eq!(dioxus_ssr::render(&dom), "<button>Queued</button>");
///
/// // The app's I/O loop sends it, and the server accepts it: each shows at the next render.
/// let sent = lock(&client).store_mut().next_to_send(Instant::now()).expect("queued");
/// dom.render_immediate(&mut dioxus::core::NoOpMutations);
/// assert_eq!(dioxus_ssr::render(&dom), "<button>InFlight { attempt: 1 }</button>");
/// lock(&client).store_mut().report(sent.id, Outcome::promote(), Instant::now())?;
/// dom.render_immediate(&mut dioxus::core::NoOpMutations);
/// assert_eq!(dioxus_ssr::render(&dom), "<button>Committed</button>");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn use_mutation<I, R, F>(build: F) -> UseMutation<I, R::Error>
where
    I: 'static,
    R: IntoMutation,
    R::Error: Clone + Send + Sync + 'static,
    F: Fn(&mut Store, I) -> R + 'static,
{
    let client = use_client();
    use_mutations_watcher(&client, |_store| {
        let (status, status_view) = pair(None);
        let (error, error_view) = pair(None);
        let (idempotency_key, key_view) = pair(None);
        let shown = Shown {
            current: Arc::new(Mutex::new(None)),
            status,
            error,
            idempotency_key,
        };
        let mutation = UseMutation {
            status: status_view,
            error: error_view,
            idempotency_key: key_view,
            handle: CopyValue::new(Handle {
                client: client.clone(),
                build: Box::new(move |store, input| build(store, input).into_mutation()),
                shown: shown.clone(),
            }),
        };
        (mutation, move |told: &MutationsChanged| shown.told(told))
    })
}

impl<E: Send + Sync + 'static> Shown<E> {
    /// What the mutation watcher does with a call's news: when the followed mutation is among
    /// them, shows its status after the call (following it into the mutation it was merged
    /// into, and forgetting it when dismissed). Runs inside the store call: never locks the
    /// client.
    fn told(&self, told: &MutationsChanged) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(id) = *current else {
            return;
        };
        let Some((now, status)) = follow(&told.changed, id) else {
            return;
        };
        match status {
            None => {
                *current = None;
                set_if_changed(self.idempotency_key, None);
                self.show(None);
            }
            Some(status) => {
                if now != id {
                    *current = Some(now);
                    // Its key is not told; `mutate` writes it when this handle made `now`.
                    set_if_changed(self.idempotency_key, None);
                }
                self.show(Some(status));
            }
        }
    }

    /// Shows `status`, and its failure as the error (any other error cleared).
    fn show(&self, status: Option<MutationStatus>) {
        let failure = match &status {
            Some(MutationStatus::Failed(failure)) => Some(failure),
            _ => None,
        };
        let shown = self
            .error
            .try_peek()
            .is_ok_and(|error| match (&*error, failure) {
                (Some(MutateError::Failed(old)), Some(new)) => old == new,
                (None, None) => true,
                _ => false,
            });
        if !shown {
            set(self.error, failure.cloned().map(MutateError::Failed));
        }
        set_if_changed(self.status, status);
    }
}

/// Where `id` stands in `changed` (a call's news): the mutation that now carries it (itself,
/// or the one it was merged into, and so on) and that one's status, or `None` when the call
/// did not change it.
fn follow(
    changed: &[(LayerId, Option<MutationStatus>)],
    id: LayerId,
) -> Option<(LayerId, Option<MutationStatus>)> {
    let status_of = |id: LayerId| {
        changed
            .iter()
            .find(|(changed, _)| *changed == id)
            .map(|(_, status)| status)
    };
    let mut status = status_of(id)?;
    let mut now = id;
    // Each step goes to a later mutation: at most one per entry.
    for _ in 0..changed.len() {
        match status {
            Some(MutationStatus::Coalesced { into }) if *into != now => {
                now = *into;
                match status_of(now) {
                    Some(next) => status = next,
                    // Merged into one this call did not tell of (the store tells both in the
                    // call that merges them): follow it, shown as merged until it is told.
                    None => break,
                }
            }
            _ => break,
        }
    }
    Some((now, status.clone()))
}

impl<I: 'static, E: Clone + Send + Sync + 'static> UseMutation<I, E> {
    /// Makes the mutation `build` gives for `input`: its guess shows at once (every watcher
    /// and query told before this returns), its record is queued for the app's I/O loop, and
    /// the handle follows it. Returns its id, or why nothing was made (also shown as
    /// [`error`](UseMutation::error)).
    ///
    /// ```
    /// use dioxus::prelude::*;
    /// use optimist::{Client, Mutation, MutationStatus, Patch, Store};
    /// use optimist_dioxus::{lock, shared, use_mutation};
    ///
    /// fn App() -> Element {
    ///     let like = use_mutation(|_: &mut Store, post: u32| {
    ///         Mutation::new("like", Patch::new().set(&format!("Post:{post}"), "liked", true))
    ///     });
    ///     use_hook(|| like.mutate(7).expect("made"));
    ///     rsx! { "{like.status:?}" }
    /// }
    ///
    /// let client = shared(Client::new(Store::new()));
    /// let mut dom = VirtualDom::new(App).with_root_context(client.clone());
    /// dom.rebuild_in_place();
    /// assert_eq!(lock(&client).store().get_field("Post:7", "liked").and_then(|v| v.as_bool()), Some(true));
    /// assert!(lock(&client).store().is_mutating());
    /// ```
    pub fn mutate(&self, input: I) -> Result<LayerId, MutateError<E>> {
        let handle = self.handle.peek();
        let shown = &handle.shown;
        let mut client = lock(&handle.client);
        let mut store = client.store_mut();
        let made = match (handle.build)(&mut store, input) {
            Err(error) => Err(MutateError::Build(error)),
            Ok(mutation) => store
                .mutate(mutation)
                .map(|(id, _changes)| id)
                .map_err(MutateError::Refused),
        };
        // The watcher was told of it inside `mutate`, before the handle knew its id: shown here.
        let mut current = shown.current.lock().unwrap_or_else(PoisonError::into_inner);
        match &made {
            Ok(id) => {
                *current = Some(*id);
                let record = store.mutation(*id);
                let key = record.map(|m| Arc::from(m.idempotency_key()));
                set_if_changed(shown.idempotency_key, key);
                shown.show(record.map(|m| m.status().clone()));
            }
            Err(error) => {
                *current = None;
                set_if_changed(shown.status, None);
                set_if_changed(shown.idempotency_key, None);
                set(shown.error, Some(error.clone()));
            }
        }
        made
    }

    /// Forgets the followed mutation once settled (a failure the user has seen): its record
    /// leaves the store ([`Store::dismiss`]) and the signals go back to `None`, this handle's
    /// and those of every other handle following it. Returns false, and does nothing, while
    /// it is pending or when there is none.
    ///
    /// ```
    /// use dioxus::prelude::*;
    /// use optimist::{Client, Mutation, Patch, Store};
    /// use optimist_dioxus::{lock, shared, use_mutation};
    ///
    /// fn App() -> Element {
    ///     let save = use_mutation(|_: &mut Store, ()| Mutation::new("save", Patch::new().set("A:1", "x", 1)));
    ///     let client = optimist_dioxus::use_client();
    ///     let dismissed = use_hook(|| {
    ///         let id = save.mutate(()).expect("made");
    ///         let pending = save.dismiss();
    ///         lock(&client).store_mut().fail(id).expect("pending");
    ///         (pending, save.dismiss())
    ///     });
    ///     rsx! { "{dismissed:?}" }
    /// }
    ///
    /// let mut dom = VirtualDom::new(App).with_root_context(shared(Client::new(Store::new())));
    /// dom.rebuild_in_place();
    /// assert_eq!(dioxus_ssr::render(&dom), "(false, true)");
    /// ```
    pub fn dismiss(&self) -> bool {
        let handle = self.handle.peek();
        let mut client = lock(&handle.client);
        let current = *handle
            .shown
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // The watcher, told of the dismiss inside the call, clears the signals (as for a
        // dismiss made anywhere else).
        current.is_some_and(|id| client.store_mut().dismiss(id))
    }

    /// The mutation the handle follows, if any.
    ///
    /// ```
    /// use dioxus::prelude::*;
    /// use optimist::{Client, Mutation, Patch, Store};
    ///
    /// fn App() -> Element {
    ///     let save = optimist_dioxus::use_mutation(|_: &mut Store, ()| Mutation::new("save", Patch::new().set("A:1", "x", 1)));
    ///     let before = save.id();
    ///     let made = use_hook(|| save.mutate(()).ok());
    ///     rsx! { "{before.is_none()} {made == save.id()}" }
    /// }
    ///
    /// let mut dom = VirtualDom::new(App).with_root_context(optimist_dioxus::shared(Client::new(Store::new())));
    /// dom.rebuild_in_place();
    /// assert_eq!(dioxus_ssr::render(&dom), "true true");
    /// ```
    pub fn id(&self) -> Option<LayerId> {
        *self
            .handle
            .peek()
            .shown
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
