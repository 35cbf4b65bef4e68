//! Mutations: a handle that makes mutations ([`optimist::Store::mutate`]) from the app's
//! input and follows the latest one's record as it moves through the outbox.
//!
//! The store's mutation watcher runs inside the store call, under the app's lock, and is handed
//! every status that call changed: it sets the handle's signals with them (where the context
//! sets signals: see `crate::home`), and never reads the store (or locks the client) again.

use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use leptos::prelude::*;
use optimist::{Failure, LayerId, Mutation, MutationStatus, MutationsChanged, PatchError, Store};

use crate::context::{SharedClient, use_client};
use crate::entity::unwatch_on_cleanup;

/// What a mutation's builder returns: a [`Mutation`], or a `Result` of one (the input was
/// refused: nothing is pushed).
///
/// ```
/// use optimist::{Mutation, Patch};
/// use optimist_leptos::IntoMutation;
/// let ok = Mutation::new("tick", Patch::new().set("Todo:1", "done", true));
/// assert!(ok.into_mutation().is_ok());
/// let refused: Result<Mutation, &str> = Err("empty title");
/// assert_eq!(refused.into_mutation().err(), Some("empty title"));
/// ```
pub trait IntoMutation {
    /// Why a builder refused its input (`Infallible` for a plain [`Mutation`]).
    type Error;
    /// The mutation, or why there is none.
    fn into_mutation(self) -> Result<Mutation, Self::Error>;
}

impl IntoMutation for Mutation {
    type Error = std::convert::Infallible;

    fn into_mutation(self) -> Result<Mutation, Self::Error> {
        Ok(self)
    }
}

impl<E> IntoMutation for Result<Mutation, E> {
    type Error = E;

    fn into_mutation(self) -> Result<Mutation, E> {
        self
    }
}

/// Why a mutation made by a [`UseMutation`] is not (or no longer) going through.
///
/// ```
/// use optimist_leptos::MutateError;
/// let refused: MutateError<&str> = MutateError::Build("empty title");
/// assert_eq!(refused.to_string(), "refused: empty title");
/// ```
#[derive(Clone, PartialEq, Debug)]
pub enum MutateError<E> {
    /// The builder refused the input; nothing was pushed.
    Build(E),
    /// The store refused the mutation's patch; nothing was pushed.
    Patch(PatchError),
    /// The mutation failed (rejected, a conflict, retries spent); its guess was reverted and
    /// the record stays until [`UseMutation::dismiss`].
    Failed(Failure),
}

impl<E: fmt::Display> fmt::Display for MutateError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MutateError::Build(error) => write!(f, "refused: {error}"),
            MutateError::Patch(error) => write!(f, "bad patch: {error}"),
            MutateError::Failed(failure) => write!(f, "{failure}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for MutateError<E> {}

type Build<I, E> = dyn Fn(&mut Store, I) -> Result<Mutation, E> + Send + Sync;

/// What [`use_mutation`] gives: [`mutate`](UseMutation::mutate) to fire, and the status, error
/// and idempotency key of the mutation it follows as signals (TanStack Query's `useMutation`,
/// dioxus-query's `use_mutation`). `Copy`, like Leptos's signals.
///
/// It follows the latest mutation it made, and, once that one was coalesced into a later one
/// ([`Mutation::coalesce`]), the mutation it went into: the one whose request carries its
/// values.
pub struct UseMutation<I: 'static, E: Send + Sync + 'static> {
    /// The followed mutation's status: `None` before the first, or once its record was
    /// dismissed (by [`dismiss`](UseMutation::dismiss) or by any [`Store::dismiss`]), then
    /// `Queued`, `InFlight`, `Retrying`, `Committed`, `Failed`, `Abandoned` as the store's
    /// mutation watcher tells them. Never `Coalesced`: the handle follows the mutation it went
    /// into instead.
    pub status: Signal<Option<MutationStatus>>,
    /// Why the latest call did not go through: the builder's or the store's refusal (until the
    /// next call), or the followed mutation's failure (until its record is dismissed, here or
    /// anywhere).
    pub error: Signal<Option<MutateError<E>>>,
    /// The followed mutation's idempotency key (what the server dedupes retries by); `None`
    /// before the first, or when the handle follows a mutation another handle or the app made
    /// (a coalesce into it: the store's mutation watcher tells statuses, not keys).
    pub idempotency_key: Signal<Option<Arc<str>>>,
    /// The followed mutation's id: the latest the handle made, or the one it went into.
    pub id: Signal<Option<LayerId>>,
    inner: StoredValue<Inner<I, E>>,
}

struct Inner<I: 'static, E: 'static> {
    client: SharedClient,
    build: Arc<Build<I, E>>,
    /// Which mutation the handle follows, shared with its mutation watcher.
    follow: Arc<Mutex<Follow<E>>>,
    shown: Shown<E>,
    _input: PhantomData<fn(I)>,
}

/// What the handle follows: read and written under the app's lock (by `mutate` and by the
/// store's mutation watcher, inside the store call), so in the store's order.
struct Follow<E> {
    /// The mutation whose status and error the handle shows.
    id: Option<LayerId>,
    /// The latest call's refusal, shown until the next call or a dismiss.
    refused: Option<MutateError<E>>,
    /// The handle's own `mutate` is in the store call: it shows the new mutation itself once
    /// the call returns (the watcher, told first, does not know it yet).
    making: bool,
}

/// The handle's signals, set only when what they show changed.
struct Shown<E: 'static> {
    status: ArcRwSignal<Option<MutationStatus>>,
    error: ArcRwSignal<Option<MutateError<E>>>,
    key: ArcRwSignal<Option<Arc<str>>>,
    id: ArcRwSignal<Option<LayerId>>,
}

impl<E> Clone for Shown<E> {
    fn clone(&self) -> Self {
        Shown {
            status: self.status.clone(),
            error: self.error.clone(),
            key: self.key.clone(),
            id: self.id.clone(),
        }
    }
}

impl<E: Send + Sync + 'static> Shown<E> {
    fn status(&self, status: Option<MutationStatus>) {
        if self.status.with_untracked(|shown| *shown != status) {
            self.status.set(status);
        }
    }

    fn error(&self, error: Option<MutateError<E>>) {
        if !self.error.with_untracked(|shown| same_error(shown, &error)) {
            self.error.set(error);
        }
    }

    fn followed(&self, id: LayerId, key: Option<Arc<str>>) {
        if self.id.with_untracked(|shown| *shown != Some(id)) {
            self.id.set(Some(id));
        }
        if self.key.with_untracked(|shown| *shown != key) {
            self.key.set(key);
        }
    }
}

/// Whether two errors shown are the same (a refusal by the builder is always new: `E` need
/// not be `PartialEq`).
fn same_error<E>(a: &Option<MutateError<E>>, b: &Option<MutateError<E>>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(MutateError::Failed(a)), Some(MutateError::Failed(b))) => a == b,
        (Some(MutateError::Patch(a)), Some(MutateError::Patch(b))) => a == b,
        _ => false,
    }
}

/// The error a status shows (with the latest call's refusal first).
fn error_of<E: Clone>(
    refused: &Option<MutateError<E>>,
    status: Option<&MutationStatus>,
) -> Option<MutateError<E>> {
    refused.clone().or_else(|| match status {
        Some(MutationStatus::Failed(failure)) => Some(MutateError::Failed(failure.clone())),
        _ => None,
    })
}

/// Where the followed mutation `id` is after a call: the mutation it is now (itself, or the
/// one it was coalesced into, followed through), and its status if the call told it
/// (`Some(None)`: dismissed). `None` if the call did not change it.
fn moved(
    told: &MutationsChanged,
    id: LayerId,
) -> Option<(LayerId, Option<Option<MutationStatus>>)> {
    let status_of = |id: LayerId| {
        told.changed
            .iter()
            .find(|(changed, _)| *changed == id)
            .map(|(_, status)| status)
    };
    let mut now = id;
    // A mutation is coalesced into a later one: a chain is at most as long as the list.
    for _ in 0..=told.changed.len() {
        match status_of(now) {
            Some(Some(MutationStatus::Coalesced { into })) => now = *into,
            Some(status) => return Some((now, Some(status.clone()))),
            None => break,
        }
    }
    (now != id).then_some((now, None))
}

/// A mutation handle for the current component: `build` turns the app's input into a
/// [`Mutation`] (reading the store if it needs to: the next position, a temporary key), and
/// [`mutate`](UseMutation::mutate) pushes it. The handle follows the latest mutation it made
/// through the store's mutation watcher ([`Store::watch_mutations`]), which hands it each
/// status inside the call that changed it; the watcher is removed when the component goes
/// (the mutation itself stays in the outbox).
///
/// # Panics
///
/// Without a client in context ([`provide_client`](crate::provide_client)).
///
/// ```
/// use leptos::prelude::*;
/// use optimist::{Client, Instant, Mutation, MutationStatus, Outcome, Patch, Store};
/// use std::sync::{Arc, Mutex};
///
/// let client = Arc::new(Mutex::new(Client::new(Store::new())));
/// Owner::new().with(|| {
///     optimist_leptos::provide_client(client.clone());
///     let tick = optimist_leptos::use_mutation(|_store: &mut Store, done: bool| {
///         Mutation::new("tick", Patch::new().set("Todo:1", "done", done))
///     });
///     assert_eq!(tick.status.get_untracked(), None);
///     let id = tick.mutate(true).unwrap();
///     assert_eq!(tick.status.get_untracked(), Some(MutationStatus::Queued));
///     // The app's I/O sends it and reports the answer.
///     let sent = client.lock().unwrap().store_mut().next_to_send(Instant::now()).unwrap();
///     assert_eq!(tick.status.get_untracked(), Some(MutationStatus::InFlight { attempt: 1 }));
///     assert_eq!(tick.idempotency_key.get_untracked().as_deref(), Some(&*sent.idempotency_key));
///     client.lock().unwrap().store_mut().report(id, Outcome::promote(), Instant::now()).unwrap();
///     assert_eq!(tick.status.get_untracked(), Some(MutationStatus::Committed));
/// });
/// ```
#[track_caller]
pub fn use_mutation<I, R, F>(build: F) -> UseMutation<I, R::Error>
where
    I: 'static,
    R: IntoMutation,
    R::Error: Clone + Send + Sync + 'static,
    F: Fn(&mut Store, I) -> R + Send + Sync + 'static,
{
    let client = use_client();
    let follow = Arc::new(Mutex::new(Follow {
        id: None,
        refused: None,
        making: false,
    }));
    let shown = Shown {
        status: ArcRwSignal::new(None),
        error: ArcRwSignal::new(None),
        key: ArcRwSignal::new(None),
        id: ArcRwSignal::new(None),
    };
    let watch = {
        let (follow, shown, deliver) = (follow.clone(), shown.clone(), client.deliver().clone());
        client.lock().store_mut().watch_mutations(move |told| {
            let mut follow = lock(&follow);
            let Some(id) = follow.id.filter(|_| !follow.making) else {
                return;
            };
            let Some((now, status)) = moved(told, id) else {
                return;
            };
            follow.id = Some(now);
            if matches!(status, Some(None)) {
                // Dismissed, here or anywhere: nothing to show.
                follow.refused = None;
            }
            let error = status
                .as_ref()
                .map(|status| error_of(&follow.refused, status.as_ref()));
            let shown = shown.clone();
            deliver.run(move || {
                if now != id {
                    // Coalesced into a mutation another handle or the app made (this handle's
                    // own `mutate` shows its new mutation itself): its key is not told.
                    shown.followed(now, None);
                }
                if let (Some(status), Some(error)) = (status, error) {
                    shown.error(error);
                    shown.status(status);
                }
            });
        })
    };
    unwatch_on_cleanup(client.clone(), watch);

    UseMutation {
        status: shown.status.clone().into(),
        error: shown.error.clone().into(),
        idempotency_key: shown.key.clone().into(),
        id: shown.id.clone().into(),
        inner: StoredValue::new(Inner {
            client,
            build: Arc::new(move |store: &mut Store, input: I| build(store, input).into_mutation()),
            follow,
            shown,
            _input: PhantomData,
        }),
    }
}

/// Marks the handle's own `mutate` as in the store call, until dropped (a panicking builder
/// included).
struct Making<'a, E>(&'a Mutex<Follow<E>>);

impl<'a, E> Making<'a, E> {
    fn start(follow: &'a Mutex<Follow<E>>) -> Self {
        lock(follow).making = true;
        Making(follow)
    }
}

impl<E> Drop for Making<'_, E> {
    fn drop(&mut self) {
        lock(self.0).making = false;
    }
}

impl<I: 'static, E: Clone + Send + Sync + 'static> UseMutation<I, E> {
    /// Builds the mutation from `input` and pushes it (its guess shows at once; the app's I/O
    /// sends it): it becomes the mutation the handle follows. On a refusal nothing is pushed,
    /// and the error is also shown by [`error`](UseMutation::error) until the next call.
    ///
    /// # Errors
    ///
    /// [`MutateError::Build`] when the builder refused the input, [`MutateError::Patch`] when
    /// the store refused its patch.
    ///
    /// # Panics
    ///
    /// Once the component that made the handle is gone.
    ///
    /// ```
    /// use leptos::prelude::*;
    /// use optimist::{Client, Mutation, Patch, Store};
    /// use optimist_leptos::MutateError;
    /// use std::sync::{Arc, Mutex};
    ///
    /// let client = Arc::new(Mutex::new(Client::new(Store::new())));
    /// Owner::new().with(|| {
    ///     optimist_leptos::provide_client(client.clone());
    ///     let rename = optimist_leptos::use_mutation(|_store: &mut Store, title: String| {
    ///         if title.is_empty() {
    ///             return Err("empty title");
    ///         }
    ///         Ok(Mutation::new("rename", Patch::new().set("Todo:1", "title", title)))
    ///     });
    ///     assert_eq!(rename.mutate(String::new()), Err(MutateError::Build("empty title")));
    ///     assert_eq!(rename.error.get_untracked(), Some(MutateError::Build("empty title")));
    ///     rename.mutate("Buy milk".into()).unwrap();
    ///     assert_eq!(rename.error.get_untracked(), None);
    ///     assert!(client.lock().unwrap().store().contains("Todo:1"));
    /// });
    /// ```
    pub fn mutate(&self, input: I) -> Result<LayerId, MutateError<E>> {
        self.inner.with_value(|inner| {
            let mut client = inner.client.lock();
            let made = {
                let mut store = client.store_mut();
                (inner.build)(&mut store, input)
                    .map_err(MutateError::Build)
                    .and_then(|mutation| {
                        let _making = Making::start(&inner.follow);
                        store.mutate(mutation).map_err(MutateError::Patch)
                    })
                    .map(|(id, _)| {
                        let record = store.mutation(id);
                        let key = record.map(|m| Arc::from(m.idempotency_key()));
                        (id, key, record.map(|m| m.status().clone()))
                    })
            };
            // Still under the lock: in the store's order with what the watcher is told.
            let mut follow = lock(&inner.follow);
            let shown = inner.shown.clone();
            let deliver = inner.client.deliver();
            match made {
                Ok((id, key, status)) => {
                    follow.id = Some(id);
                    follow.refused = None;
                    deliver.run(move || {
                        shown.followed(id, key);
                        shown.error(error_of(&None, status.as_ref()));
                        shown.status(status);
                    });
                    Ok(id)
                }
                Err(error) => {
                    follow.refused = Some(error.clone());
                    let refused = error.clone();
                    deliver.run(move || shown.error(Some(refused)));
                    Err(error)
                }
            }
        })
    }

    /// Forgets the followed mutation's record once it settled (a failure the user has seen,
    /// [`optimist::Store::dismiss`]): its status and error go back to `None`, in this handle
    /// and in every other handle following it. Returns false, and does nothing, while it is
    /// pending or when there is none.
    ///
    /// ```
    /// use leptos::prelude::*;
    /// use optimist::{Client, Instant, Mutation, Outcome, Patch, Store};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let client = Arc::new(Mutex::new(Client::new(Store::new())));
    /// Owner::new().with(|| {
    ///     optimist_leptos::provide_client(client.clone());
    ///     let tick = optimist_leptos::use_mutation(|_: &mut Store, done: bool| {
    ///         Mutation::new("tick", Patch::new().set("Todo:1", "done", done))
    ///     });
    ///     let id = tick.mutate(true).unwrap();
    ///     assert!(!tick.dismiss(), "pending");
    ///     client.lock().unwrap().store_mut().report(id, Outcome::Rejected("422".into()), Instant::now()).unwrap();
    ///     assert!(tick.error.get_untracked().is_some(), "shown until dismissed");
    ///     assert!(tick.dismiss());
    ///     assert_eq!((tick.status.get_untracked(), tick.error.get_untracked()), (None, None));
    /// });
    /// ```
    pub fn dismiss(&self) -> bool {
        self.inner
            .try_with_value(|inner| {
                let mut client = inner.client.lock();
                // The watcher, told inside the call, clears what the handle shows.
                let followed = lock(&inner.follow).id;
                followed.is_some_and(|id| client.store_mut().dismiss(id))
            })
            .unwrap_or(false)
    }
}

impl<I: 'static, E: Send + Sync + 'static> Clone for UseMutation<I, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I: 'static, E: Send + Sync + 'static> Copy for UseMutation<I, E> {}

impl<I: 'static, E: Send + Sync + 'static> fmt::Debug for UseMutation<I, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UseMutation")
            .field("id", &self.id.try_get_untracked().flatten())
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
