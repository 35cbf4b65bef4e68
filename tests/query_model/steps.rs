//! What the test draws: the keys, an observer's options, the kinds of failure, the steps.

pub(crate) const KEYS: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Policy {
    CacheFirst,
    CacheAndNetwork,
    NoCache,
    CacheOnly,
}

/// An observer's options, from the small set the test draws from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Opts {
    pub(crate) policy: Policy,
    /// Seconds.
    pub(crate) stale: Option<u64>,
    pub(crate) attempts: u32,
    /// Seconds.
    pub(crate) gc: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Offline,
    Transient,
    Permanent,
}

#[derive(Clone, Debug)]
pub(crate) enum Step {
    /// Observe key `.0`.
    Observe(usize, Opts),
    /// The observer with this serial leaves.
    Unobserve(usize),
    /// Seconds.
    Advance(u64),
    NextFetch,
    /// The fetch with this serial is answered `{"id": i, "v": .1}`.
    Resolve(usize, u8),
    Reject(usize, Kind),
    Offline,
    Online,
    Focus,
    /// `invalidate_field(ROOT_QUERY, f<key>)`.
    Invalidate(usize),
    /// `Client::refetch` of the query with this serial (live or collected).
    Refetch(usize),
    /// A mutation sets `Item:<key>.v` to `g<.1>`.
    Push(usize, u8),
    /// Fails the mutation with this serial.
    Fail(usize),
    Promote(usize),
    Gc,
}
