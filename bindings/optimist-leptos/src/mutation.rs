//! Mutations: a handle that makes mutations ([`optimist::Store::mutate`]) from the app's
//! input and follows the latest one's record as it moves through the outbox.
//!
//! The store's layer watcher runs inside the store call, under the app's lock: it only
//! notifies a trigger when one of its events is the handle's mutation. The status is read
//! from the store when it is read (a memo), outside that call.

use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, PoisonError};

use leptos::prelude::*;
use optimist::{Failure, LayerId, Mutation, MutationStatus, PatchError, Store};

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

/// What [`use_mutation`] gives: [`mutate`](UseMutation::mutate) to fire, and the latest
/// mutation's status, error and idempotency key as signals (TanStack Query's `useMutation`,
/// dioxus-query's `use_mutation`). `Copy`, like Leptos's signals.
pub struct UseMutation<I: 'static, E: Send + Sync + 'static> {
    /// The latest mutation's status: `None` before the first (or once dismissed), then
    /// `Queued`, `InFlight`, `Retrying`, `Committed`, `Failed`, `Coalesced` as the store's
    /// layer events report them.
    pub status: Signal<Option<MutationStatus>>,
    /// Why the latest call did not go through: the builder's or the store's refusal, or the
    /// mutation's failure (shown until [`dismiss`](UseMutation::dismiss)ed).
    pub error: Signal<Option<MutateError<E>>>,
    /// The latest mutation's idempotency key (what the server dedupes retries by).
    pub idempotency_key: Signal<Option<Arc<str>>>,
    /// The latest mutation's id.
    pub id: Signal<Option<LayerId>>,
    inner: StoredValue<Inner<I, E>>,
}

struct Inner<I: 'static, E: 'static> {
    client: SharedClient,
    build: Arc<Build<I, E>>,
    /// The latest mutation (read by the layer watcher, set under the client's lock).
    latest: Arc<Mutex<Option<LayerId>>>,
    id: ArcRwSignal<Option<LayerId>>,
    key: ArcRwSignal<Option<Arc<str>>>,
    refused: ArcRwSignal<Option<MutateError<E>>>,
    /// Notified when the latest mutation's record may have changed.
    changed: ArcTrigger,
    _input: PhantomData<fn(I)>,
}

/// A mutation handle for the current component: `build` turns the app's input into a
/// [`Mutation`] (reading the store if it needs to: the next position, a temporary key), and
/// [`mutate`](UseMutation::mutate) pushes it. The handle follows the latest mutation it made
/// through the store's layer events; its watcher is removed when the component goes (the
/// mutation itself stays in the outbox).
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
    let latest: Arc<Mutex<Option<LayerId>>> = Arc::default();
    let changed = ArcTrigger::new();
    let watch = {
        let latest = latest.clone();
        let changed = changed.clone();
        client.lock().store_mut().watch_layers(move |events| {
            let mine = *latest.lock().unwrap_or_else(PoisonError::into_inner);
            if mine.is_some_and(|mine| events.iter().any(|(id, _)| *id == mine)) {
                changed.notify();
            }
        })
    };
    unwatch_on_cleanup(client.clone(), watch);

    let id = ArcRwSignal::new(None);
    let status = {
        let (client, id, changed) = (client.clone(), id.clone(), changed.clone());
        Memo::new(move |_| {
            changed.track();
            let id = id.get()?;
            let client = client.lock();
            client
                .store()
                .mutation(id)
                .map(|mutation| mutation.status().clone())
        })
    };
    let refused = ArcRwSignal::new(None);
    let error = {
        let refused = refused.clone();
        Memo::new_with_compare(
            move |_| {
                refused.get().or_else(|| match status.get() {
                    Some(MutationStatus::Failed(failure)) => Some(MutateError::Failed(failure)),
                    _ => None,
                })
            },
            |before, now| !matches!((before, now), (Some(None), Some(None))),
        )
    };
    let key = ArcRwSignal::new(None);
    UseMutation {
        status: status.into(),
        error: error.into(),
        idempotency_key: key.clone().into(),
        id: id.clone().into(),
        inner: StoredValue::new(Inner {
            client,
            build: Arc::new(move |store: &mut Store, input: I| build(store, input).into_mutation()),
            latest,
            id,
            key,
            refused,
            changed,
            _input: PhantomData,
        }),
    }
}

impl<I: 'static, E: Clone + Send + Sync + 'static> UseMutation<I, E> {
    /// Builds the mutation from `input` and pushes it (its guess shows at once; the app's I/O
    /// sends it): it becomes the handle's latest. On a refusal nothing is pushed, and the
    /// error is also shown by [`error`](UseMutation::error) until the next call.
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
            let made = {
                let mut client = inner.client.lock();
                let mut store = client.store_mut();
                let made = (inner.build)(&mut store, input)
                    .map_err(MutateError::Build)
                    .and_then(|mutation| store.mutate(mutation).map_err(MutateError::Patch));
                made.map(|(id, _)| {
                    *inner.latest.lock().unwrap_or_else(PoisonError::into_inner) = Some(id);
                    let key = store.mutation(id).map(|m| Arc::from(m.idempotency_key()));
                    (id, key)
                })
            };
            match made {
                Ok((id, key)) => {
                    inner.refused.set(None);
                    inner.id.set(Some(id));
                    inner.key.set(key);
                    inner.changed.notify();
                    Ok(id)
                }
                Err(error) => {
                    inner.refused.set(Some(error.clone()));
                    Err(error)
                }
            }
        })
    }

    /// Forgets the latest mutation's record once it settled (a failure the user has seen,
    /// [`optimist::Store::dismiss`]): its status and error go back to `None`. Returns false,
    /// and does nothing, while it is pending or when there is none.
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
                let latest = *inner.latest.lock().unwrap_or_else(PoisonError::into_inner);
                let dismissed =
                    latest.is_some_and(|id| inner.client.lock().store_mut().dismiss(id));
                if dismissed {
                    inner.refused.set(None);
                    inner.changed.notify();
                }
                dismissed
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
