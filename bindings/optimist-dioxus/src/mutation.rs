//! Mutations: a handle that builds a mutation from the component's input, makes it in the
//! store (its guess shows at once, its record joins the outbox), and follows the record's
//! status through the store's layer events until the app dismisses it.
//!
//! The store sends nothing: the app's I/O loop takes each mutation with `next_to_send` and
//! reports how it went; the handle only shows where it stands.

use std::convert::Infallible;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use dioxus_core::use_hook;
use dioxus_signals::{CopyValue, ReadableExt, SyncSignal};
use optimist::{Failure, LayerId, Mutation, MutationStatus, PatchError, Store};

use crate::context::{SharedClient, lock, use_client};
use crate::refresh::{names, use_refresh};
use crate::signals::{SyncReadSignal, pair, set, set_if_changed};

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
/// last mutation's state as signals. `Copy`: move it into event handlers freely.
///
/// The signals follow the mutation made last: a second `mutate` while the first is pending
/// moves the handle to the second (the first goes on in the store, shown by the data).
pub struct UseMutation<I: 'static, E: 'static = Infallible> {
    /// The last mutation's status: `Queued`, `InFlight`, `Retrying`, `Committed`, `Failed`
    /// (kept until [`dismiss`](UseMutation::dismiss)ed), `Coalesced` or `Abandoned`; `None`
    /// before the first, after a refused one and after `dismiss`.
    pub status: SyncReadSignal<Option<MutationStatus>>,
    /// Why the last mutation did not go through: refused when made, or failed later.
    pub error: SyncReadSignal<Option<MutateError<E>>>,
    /// The last mutation's idempotency key (sent with every attempt).
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
    /// The mutation followed (read by the layer watcher, inside store calls).
    current: Arc<Mutex<Option<LayerId>>>,
    status: SyncSignal<Option<MutationStatus>>,
    error: SyncSignal<Option<MutateError<E>>>,
    idempotency_key: SyncSignal<Option<Arc<str>>>,
}

/// A mutation to fire from the component (TanStack Query's and dioxus-query's
/// `use_mutation`): `build` turns the input into a [`Mutation`] (its guess, request data,
/// scope), with the store at hand for temporary keys and current values; `mutate(input)`
/// makes it, and the handle's signals follow its record (the store's layer events), until a
/// failure is [`dismiss`](UseMutation::dismiss)ed.
///
/// `build` runs inside the client's lock: it must not lock the client itself.
///
/// # Panics
///
/// When no client is provided above the component (see [`use_client`]).
///
/// ```
/// use dioxus::prelude::*;
/// use optimist::{Client, Mutation, Patch, Store};
/// use optimist_dioxus::{shared, use_mutation};
///
/// fn Tick() -> Element {
///     let tick = use_mutation(|_store: &mut Store, done: bool| {
///         Mutation::new("tick", Patch::new().set("Todo:1", "done", done))
///     });
///     let status = match &*tick.status.read() {
///         Some(status) => format!("{status:?}"),
///         None => "idle".into(),
///     };
///     rsx! { button { onclick: move |_| { let _ = tick.mutate(true); }, "{status}" } }
/// }
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let client = shared(Client::new(Store::new()));
/// let mut dom = VirtualDom::new(Tick).with_root_context(client.clone());
/// dom.rebuild_in_place();
/// assert!(dioxus_ssr::render(&dom).contains("idle"));
/// # Ok(()) }
/// ```
pub fn use_mutation<I, R, F>(build: F) -> UseMutation<I, R::Error>
where
    I: 'static,
    R: IntoMutation,
    R::Error: Clone + Send + Sync + 'static,
    F: Fn(&mut Store, I) -> R + 'static,
{
    let client = use_client();
    let mutation = use_hook(|| {
        let (status, status_view) = pair(None);
        let (error, error_view) = pair(None);
        let (idempotency_key, key_view) = pair(None);
        UseMutation {
            status: status_view,
            error: error_view,
            idempotency_key: key_view,
            handle: CopyValue::new(Handle {
                client: client.clone(),
                build: Box::new(move |store, input| build(store, input).into_mutation()),
                current: Arc::new(Mutex::new(None)),
                status,
                error,
                idempotency_key,
            }),
        }
    });
    let (current, status, error) = {
        let handle = mutation.handle.peek();
        (handle.current.clone(), handle.status, handle.error)
    };
    let watched = current.clone();
    use_refresh(
        &client,
        move |events| {
            names(
                events,
                *watched.lock().unwrap_or_else(PoisonError::into_inner),
            )
        },
        move |store| {
            let id = *current.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(id) = id {
                show(store, id, status, error);
            }
        },
    );
    mutation
}

/// Shows the record of `id`: its status, and its failure as the error.
fn show<E: Send + Sync + 'static>(
    store: &Store,
    id: LayerId,
    status: SyncSignal<Option<MutationStatus>>,
    error: SyncSignal<Option<MutateError<E>>>,
) {
    let now = store.mutation(id).map(|record| record.status().clone());
    let failure = match &now {
        Some(MutationStatus::Failed(failure)) => Some(failure.clone()),
        _ => None,
    };
    let shown = error
        .try_peek()
        .is_ok_and(|error| match (&*error, &failure) {
            (Some(MutateError::Failed(old)), Some(new)) => old == new,
            (None, None) => true,
            _ => false,
        });
    if !shown {
        set(error, failure.map(MutateError::Failed));
    }
    set_if_changed(status, now);
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
        let mut client = lock(&handle.client);
        let mut store = client.store_mut();
        let made = match (handle.build)(&mut store, input) {
            Err(error) => Err(MutateError::Build(error)),
            Ok(mutation) => store
                .mutate(mutation)
                .map(|(id, _changes)| id)
                .map_err(MutateError::Refused),
        };
        let mut current = handle
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match &made {
            Ok(id) => {
                *current = Some(*id);
                let key = store.mutation(*id).map(|m| Arc::from(m.idempotency_key()));
                set_if_changed(handle.idempotency_key, key);
                show(&store, *id, handle.status, handle.error);
            }
            Err(error) => {
                *current = None;
                set_if_changed(handle.status, None);
                set_if_changed(handle.idempotency_key, None);
                set(handle.error, Some(error.clone()));
            }
        }
        made
    }

    /// Forgets the last mutation once settled (a failure the user has seen): its record
    /// leaves the store and the signals go back to `None`. Returns false, and does nothing,
    /// while it is pending or when there is none.
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
        let mut current = handle
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let Some(id) = *current else {
            return false;
        };
        if !client.store_mut().dismiss(id) {
            return false;
        }
        *current = None;
        set_if_changed(handle.status, None);
        set(handle.error, None);
        set_if_changed(handle.idempotency_key, None);
        true
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
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
