//! Mutation records: what the store knows of each intent beyond its ops, so the app does the
//! I/O and the store decides everything else (sans-IO, as quinn-proto or a Crux core).
//!
//! Every intent ([`Store::push`](crate::Store::push), [`Store::mutate`](crate::Store::mutate))
//! gets a record: its label, the request the app will send, an idempotency key kept across
//! retries and restarts, a [`Scope`] (one mutation in flight per scope, in request order), the
//! attempts made and a [`MutationStatus`] a UI can show. The app asks which mutations to send
//! ([`Store::next_to_send`](crate::Store::next_to_send)), sends them, and reports each
//! [`Outcome`] ([`Store::report`](crate::Store::report)); the store settles the layer, schedules
//! retries, and keeps failures until they are dismissed.
//!
//! This module holds the data; `records.rs` the bookkeeping and `src/store/mutate.rs` the calls.

mod error;
mod idempotency;
pub(crate) mod records;
mod retry;

pub use error::MutationError;
pub use retry::RetryPolicy;

use std::fmt;
use std::sync::Arc;

use crate::key::{IntoKey, Key, KeyError};
use crate::layer::LayerId;
use crate::patch::Patch;
use crate::value::Value;

pub(crate) use idempotency::new_key as new_idempotency_key;

/// What mutations wait for each other: in one scope one mutation is in flight at a time, in
/// request order. A mutation with no scope waits for nobody.
///
/// Scope an item's edits by the item, so two quick renames are sent one after the other and
/// each reads the version the previous one left; a temporary key's scope follows it when it
/// is [`remap`](crate::Store::remap)ped, so an edit of an item whose create is in flight waits
/// for the create and is then sent under the real key.
///
/// ```
/// use optimist::Scope;
/// let item = Scope::item("Todo:1")?;
/// assert_eq!(item, Scope::Item(optimist::Key::new("Todo:1")?));
/// assert_ne!(item, Scope::named("Todo:1"));
/// # Ok::<(), optimist::KeyError>(())
/// ```
#[derive(
    Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize,
)]
pub enum Scope {
    /// One entity's mutations.
    Item(Key),
    /// Any group the app names (`"settings"`, `"reorder"`).
    Named(Arc<str>),
}

impl Scope {
    /// The scope of one entity's mutations.
    ///
    /// ```
    /// assert!(optimist::Scope::item("").is_err());
    /// ```
    pub fn item(key: impl IntoKey) -> Result<Scope, KeyError> {
        Ok(Scope::Item(key.into_key()?))
    }

    /// A scope the app names.
    ///
    /// ```
    /// assert_eq!(optimist::Scope::named("settings"), optimist::Scope::Named("settings".into()));
    /// ```
    pub fn named(name: &str) -> Scope {
        Scope::Named(Arc::from(name))
    }
}

/// A mutation to make: its optimistic guess (a [`Patch`], pushed as an intent), what the app
/// will send, and how it is queued. [`Store::push`](crate::Store::push) is
/// `mutate(Mutation::new(label, patch))`.
///
/// * `request`: the data the app needs to send it (a body, an id, an operation name), kept
///   with the record and saved with the store, so a queued mutation can be sent after a
///   restart without any code having to be saved (TanStack Query's `setMutationDefaults`
///   problem). Refs in it are renamed by [`remap`](crate::Store::remap).
/// * `idempotency_key`: given, or generated (a random UUID); kept across retries and restarts.
/// * `scope`: see [`Scope`]; none by default.
/// * `coalesce`: merge into the mutation queued just before it in the same scope, if that one
///   is not sent yet, is also coalescing, and writes exactly the same fields (a slider, a
///   debounced save): the earlier one is dropped unsent and this one carries the latest values.
/// * `retry`: the [`RetryPolicy`], by default the store's.
///
/// ```
/// use optimist::{Mutation, Patch, Scope, Store};
/// use serde_json::json;
///
/// let mut store = Store::new();
/// let (id, _) = store.mutate(
///     Mutation::new("rename", Patch::new().set("Todo:1", "title", "Buy oat milk"))
///         .request(json!({"title": "Buy oat milk"}))
///         .scope(Scope::item("Todo:1")?)
///         .idempotency_key("4f0c1e"),
/// )?;
/// let sent = store.next_to_send(optimist::Instant::now()).unwrap();
/// assert_eq!((sent.id, &*sent.idempotency_key, sent.attempt), (id, "4f0c1e", 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Mutation {
    pub(crate) label: Arc<str>,
    pub(crate) patch: Patch,
    pub(crate) request: Value,
    pub(crate) scope: Option<Scope>,
    pub(crate) idempotency_key: Option<Arc<str>>,
    pub(crate) coalesce: bool,
    pub(crate) retry: Option<RetryPolicy>,
}

impl Mutation {
    /// A mutation labelled `label` whose guess is `patch`, with no request data, no scope, a
    /// generated idempotency key and the store's retry policy.
    ///
    /// ```
    /// let m = optimist::Mutation::new("like", optimist::Patch::new().increment("Post:1", "likes", 1));
    /// # let _ = m;
    /// ```
    pub fn new(label: &str, patch: Patch) -> Mutation {
        Mutation {
            label: Arc::from(label),
            patch,
            request: Value::Null,
            scope: None,
            idempotency_key: None,
            coalesce: false,
            retry: None,
        }
    }

    /// The data the app sends (see [`Mutation`]); JSON converts into it.
    ///
    /// ```
    /// let m = optimist::Mutation::new("like", optimist::Patch::new()).request(serde_json::json!({"post": 1}));
    /// # let _ = m;
    /// ```
    pub fn request(mut self, request: impl Into<Value>) -> Mutation {
        self.request = request.into();
        self
    }

    /// Queues the mutation in `scope`.
    ///
    /// ```
    /// let m = optimist::Mutation::new("like", optimist::Patch::new()).scope(optimist::Scope::named("likes"));
    /// # let _ = m;
    /// ```
    pub fn scope(mut self, scope: Scope) -> Mutation {
        self.scope = Some(scope);
        self
    }

    /// Uses this idempotency key instead of a generated one (for a mutation the app already
    /// keyed, say in its own outbox).
    ///
    /// ```
    /// let m = optimist::Mutation::new("like", optimist::Patch::new()).idempotency_key("req-1");
    /// # let _ = m;
    /// ```
    pub fn idempotency_key(mut self, key: &str) -> Mutation {
        self.idempotency_key = Some(Arc::from(key));
        self
    }

    /// Lets the mutation merge with the one queued just before it in its scope (see
    /// [`Mutation`]).
    ///
    /// ```
    /// let m = optimist::Mutation::new("volume", optimist::Patch::new()).coalesce();
    /// # let _ = m;
    /// ```
    pub fn coalesce(mut self) -> Mutation {
        self.coalesce = true;
        self
    }

    /// Retries it by this policy instead of the store's.
    ///
    /// ```
    /// let m = optimist::Mutation::new("save", optimist::Patch::new()).retry(optimist::RetryPolicy::forever());
    /// # let _ = m;
    /// ```
    pub fn retry(mut self, policy: RetryPolicy) -> Mutation {
        self.retry = Some(policy);
        self
    }
}

/// Where a mutation is in its life.
///
/// Pending (its guess shows): [`Queued`](MutationStatus::Queued),
/// [`InFlight`](MutationStatus::InFlight), [`Retrying`](MutationStatus::Retrying). Settled:
/// the others. Whether a pending mutation is *superseded* (every field it sets is set again by
/// a later pending intent) is a separate question, [`MutationInfo::is_superseded`], since a
/// superseded mutation is still queued, in flight or retrying.
///
/// ```
/// use optimist::{MutationStatus, Outcome, Patch, Store};
/// use optimist::Instant;
/// let mut store = Store::new();
/// let (id, _) = store.push("save", Patch::new().set("Todo:1", "done", true))?;
/// assert_eq!(store.mutation(id).unwrap().status(), &MutationStatus::Queued);
/// store.next_to_send(Instant::now());
/// assert_eq!(store.mutation(id).unwrap().status(), &MutationStatus::InFlight { attempt: 1 });
/// store.report(id, Outcome::promote(), Instant::now())?;
/// assert_eq!(store.mutation(id).unwrap().status(), &MutationStatus::Committed);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Debug)]
pub enum MutationStatus {
    /// Not sent yet: waiting for its turn in its scope, or ready to send.
    Queued,
    /// Handed to the app by [`Store::next_to_send`](crate::Store::next_to_send) and not
    /// answered yet: the `attempt`-th send (from 1).
    InFlight {
        /// Which send this is, from 1.
        attempt: u32,
    },
    /// Its last send had an ambiguous outcome: the guess stays, and it is sent again when its
    /// delay has passed ([`MutationInfo::retry_at`]).
    Retrying {
        /// How many sends were made (those reported as not sent do not count).
        attempts: u32,
        /// Why the last one did not settle it.
        reason: Arc<str>,
    },
    /// The server accepted it; its layer is confirmed (and folds into base in request order).
    Committed,
    /// It failed and its guess was reverted; the record stays until
    /// [`dismiss`](crate::Store::dismiss)ed, so a UI can show why.
    Failed(Failure),
    /// Merged into a later mutation of its scope before it was sent (see
    /// [`Mutation::coalesce`]); its guess lives on in that one's.
    Coalesced {
        /// The mutation that carries its values.
        into: LayerId,
    },
    /// Its layer was cancelled ([`Store::cancel`](crate::Store::cancel), or a dropped guard):
    /// the guess was taken back and it will not be sent.
    Abandoned,
}

impl MutationStatus {
    /// Whether the mutation's guess still shows and it may still be sent.
    ///
    /// ```
    /// assert!(optimist::MutationStatus::Queued.is_pending());
    /// assert!(!optimist::MutationStatus::Committed.is_pending());
    /// ```
    pub fn is_pending(&self) -> bool {
        matches!(
            self,
            MutationStatus::Queued
                | MutationStatus::InFlight { .. }
                | MutationStatus::Retrying { .. }
        )
    }
}

/// Why a mutation failed.
///
/// ```
/// use optimist::{Failure, FailureKind};
/// let failure = Failure { kind: FailureKind::Conflict, message: "412: version 4 is current".into() };
/// assert_eq!(failure.to_string(), "conflict: 412: version 4 is current");
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Failure {
    /// What kind of failure.
    pub kind: FailureKind,
    /// The app's message (a server error, a status line); empty for a bare
    /// [`Store::fail`](crate::Store::fail).
    pub message: Arc<str>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            FailureKind::Rejected => "rejected",
            FailureKind::Conflict => "conflict",
            FailureKind::GaveUp => "gave up",
        };
        if self.message.is_empty() {
            f.write_str(kind)
        } else {
            write!(f, "{kind}: {}", self.message)
        }
    }
}

/// The kinds of [`Failure`].
///
/// ```
/// assert_ne!(optimist::FailureKind::Rejected, optimist::FailureKind::GaveUp);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
pub enum FailureKind {
    /// A definite failure: the server refused it (a 4xx, a validation error).
    Rejected,
    /// The server refused it as written against data that changed (a version check: 409,
    /// 412); the entities it touched are marked stale, to be refetched.
    Conflict,
    /// Every attempt allowed by its [`RetryPolicy`] was ambiguous.
    GaveUp,
}

/// How a send ended, as the app reports it to [`Store::report`](crate::Store::report).
///
/// ```
/// use optimist::{Outcome, Patch};
/// let ok = Outcome::confirm(Patch::new().set("Todo:1", "title", "from the server"));
/// let lost = Outcome::Ambiguous("timed out after 10 s".into());
/// # let _ = (ok, lost);
/// ```
#[derive(Clone, Debug)]
pub enum Outcome {
    /// The server applied it; how its answer settles the layer.
    Committed(Answer),
    /// A definite failure: revert the guess.
    Rejected(Arc<str>),
    /// The request may or may not have been applied (a timeout, a dropped connection, a 5xx
    /// from a proxy): keep the guess and send it again, with the same idempotency key, after
    /// the retry policy's delay; fail it when the policy's attempts are spent.
    Ambiguous(Arc<str>),
    /// The request surely never reached the server (offline, connection refused): keep the
    /// guess and send it again after the delay, without counting the attempt.
    NotSent(Arc<str>),
    /// A version conflict: revert the guess, write `current` (the server's current data, if
    /// the answer carried it) into base, and mark the entities the mutation touched that
    /// `current` does not write as stale.
    Conflict {
        /// The app's message.
        message: Arc<str>,
        /// The server's current data for what the mutation touched (may be empty).
        current: Patch,
    },
}

impl Outcome {
    /// Success: the mutation's own ops become confirmed truth
    /// ([`Store::promote`](crate::Store::promote)).
    ///
    /// ```
    /// assert!(matches!(optimist::Outcome::promote(), optimist::Outcome::Committed(optimist::Answer::Promote)));
    /// ```
    pub fn promote() -> Outcome {
        Outcome::Committed(Answer::Promote)
    }

    /// Success with the server's answer replacing the guess
    /// ([`Store::confirm`](crate::Store::confirm)).
    ///
    /// ```
    /// let _ = optimist::Outcome::confirm(optimist::Patch::new().set("A:1", "x", 1));
    /// ```
    pub fn confirm(answer: Patch) -> Outcome {
        Outcome::Committed(Answer::Confirm(answer))
    }

    /// Success with the server's answer laid over the guess's relative ops
    /// ([`Store::confirm_keeping_relative`](crate::Store::confirm_keeping_relative)).
    ///
    /// ```
    /// let _ = optimist::Outcome::confirm_keeping_relative(optimist::Patch::new().set("A:1", "x", 1));
    /// ```
    pub fn confirm_keeping_relative(answer: Patch) -> Outcome {
        Outcome::Committed(Answer::ConfirmKeepingRelative(answer))
    }
}

/// How a committed mutation's answer settles its layer.
///
/// ```
/// let _ = optimist::Answer::Confirm(optimist::Patch::new());
/// ```
#[derive(Clone, Debug)]
pub enum Answer {
    /// Its own ops are the answer.
    Promote,
    /// The server's answer replaces its ops.
    Confirm(Patch),
    /// The server's answer is laid over its list edits, increments and updaters.
    ConfirmKeepingRelative(Patch),
}

/// A mutation to send now, from [`Store::next_to_send`](crate::Store::next_to_send).
///
/// ```
/// use optimist::{Mutation, Patch, Store};
/// let mut store = Store::new();
/// store.mutate(Mutation::new("like", Patch::new().increment("Post:1", "likes", 1)).request(1))?;
/// let out = store.next_to_send(optimist::Instant::now()).unwrap();
/// assert_eq!((&*out.label, out.request.as_i64(), out.attempt), ("like", Some(1), 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Debug)]
pub struct Outgoing {
    /// The mutation (its intent's layer id): report its outcome under it.
    pub id: LayerId,
    /// Its label.
    pub label: Arc<str>,
    /// The request data it was made with (refs renamed by remaps since).
    pub request: Value,
    /// The idempotency key to send with it; the same on every attempt.
    pub idempotency_key: Arc<str>,
    /// Its scope.
    pub scope: Option<Scope>,
    /// Which send this is, from 1.
    pub attempt: u32,
}

/// A mutation record, as [`Store::mutation`](crate::Store::mutation) and
/// [`Store::mutations`](crate::Store::mutations) show it.
///
/// ```
/// use optimist::{Patch, Store};
/// let mut store = Store::new();
/// let (id, _) = store.push("rename", Patch::new().set("Todo:1", "title", "a"))?;
/// let info = store.mutation(id).unwrap();
/// assert_eq!((info.id(), info.label(), info.attempts()), (id, "rename", 0));
/// assert_eq!(info.idempotency_key().len(), 36, "a generated UUID");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy)]
pub struct MutationInfo<'a> {
    pub(crate) record: &'a records::Record,
    pub(crate) store: &'a crate::Store,
}

impl<'a> MutationInfo<'a> {
    /// The id of its intent's layer.
    ///
    /// ```
    /// # let mut store = optimist::Store::new();
    /// let (id, _) = store.push("a", optimist::Patch::new())?;
    /// assert_eq!(store.mutation(id).unwrap().id(), id);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn id(&self) -> LayerId {
        self.record.id
    }

    /// Its label.
    ///
    /// ```
    /// # let mut store = optimist::Store::new();
    /// let (id, _) = store.push("a", optimist::Patch::new())?;
    /// assert_eq!(store.mutation(id).unwrap().label(), "a");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn label(&self) -> &'a str {
        &self.record.label
    }

    /// The request data (see [`Mutation::request`]).
    ///
    /// ```
    /// # let mut store = optimist::Store::new();
    /// let (id, _) = store.mutate(optimist::Mutation::new("a", optimist::Patch::new()).request("x"))?;
    /// assert_eq!(store.mutation(id).unwrap().request().as_str(), Some("x"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn request(&self) -> &'a Value {
        &self.record.request
    }

    /// Its idempotency key.
    ///
    /// ```
    /// # let mut store = optimist::Store::new();
    /// let (id, _) = store.mutate(optimist::Mutation::new("a", optimist::Patch::new()).idempotency_key("k"))?;
    /// assert_eq!(store.mutation(id).unwrap().idempotency_key(), "k");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn idempotency_key(&self) -> &'a str {
        &self.record.idempotency_key
    }

    /// Its scope.
    ///
    /// ```
    /// # let mut store = optimist::Store::new();
    /// let (id, _) = store.push("a", optimist::Patch::new())?;
    /// assert_eq!(store.mutation(id).unwrap().scope(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn scope(&self) -> Option<&'a Scope> {
        self.record.scope.as_ref()
    }

    /// How many sends were made (those reported [`Outcome::NotSent`] do not count).
    ///
    /// ```
    /// # let mut store = optimist::Store::new();
    /// let (id, _) = store.push("a", optimist::Patch::new())?;
    /// store.next_to_send(optimist::Instant::now());
    /// assert_eq!(store.mutation(id).unwrap().attempts(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn attempts(&self) -> u32 {
        self.record.attempts
    }

    /// Its status.
    ///
    /// ```
    /// # let mut store = optimist::Store::new();
    /// let (id, _) = store.push("a", optimist::Patch::new())?;
    /// store.fail(id)?;
    /// assert!(matches!(store.mutation(id).unwrap().status(), optimist::MutationStatus::Failed(_)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn status(&self) -> &'a MutationStatus {
        &self.record.status
    }

    /// When a retrying mutation may be sent again (`None`: now, or not retrying).
    ///
    /// ```
    /// use optimist::{Outcome, Patch, Store};
    /// use optimist::Instant;
    /// let mut store = Store::new();
    /// let (id, _) = store.push("a", Patch::new())?;
    /// let now = Instant::now();
    /// store.next_to_send(now);
    /// store.report(id, Outcome::Ambiguous("timeout".into()), now)?;
    /// assert!(store.mutation(id).unwrap().retry_at() > Some(now));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retry_at(&self) -> Option<crate::Instant> {
        self.record.retry_at
    }

    /// The policy its retries follow.
    ///
    /// ```
    /// # let mut store = optimist::Store::new();
    /// let (id, _) = store.push("a", optimist::Patch::new())?;
    /// assert_eq!(store.mutation(id).unwrap().retry_policy(), store.retry_policy());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retry_policy(&self) -> RetryPolicy {
        self.record.retry
    }

    /// Whether it is pending and every field it sets is set again (written, removed, or its
    /// entity deleted) by a later intent that is still pending: its value will not be seen
    /// unless those fail. An increment or list edit counts as setting its field; an updater
    /// or a delete, whose fields are not known, is superseded only by a later delete of its
    /// entity. O(ops of the layers on its keys).
    ///
    /// ```
    /// use optimist::{Patch, Store};
    /// let mut store = Store::new();
    /// let (first, _) = store.push("rename", Patch::new().set("Todo:1", "title", "a"))?;
    /// assert!(!store.mutation(first).unwrap().is_superseded());
    /// store.push("rename", Patch::new().set("Todo:1", "title", "b"))?;
    /// assert!(store.mutation(first).unwrap().is_superseded());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_superseded(&self) -> bool {
        self.record.status.is_pending() && self.store.superseded(self.record.id)
    }
}

impl fmt::Debug for MutationInfo<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} {:?} {:?} attempts={}",
            self.record.id, self.record.label, self.record.status, self.record.attempts
        )
    }
}
