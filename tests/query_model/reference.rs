//! The reference: the query records and the rules the client's documentation gives (fetch
//! policies, dedupe, staleness, supersession, retries, offline waits, triggers, `gc_time`),
//! each step's expected answer, and the steps not drawn because of a known bug.

use std::collections::{BTreeMap, BTreeSet};

use optimist::{FetchStatus, QueryStatus};

use crate::steps::{KEYS, Kind, Opts, Policy, Step};
use crate::store::{Layer, V};

/// One query record of the reference.
#[derive(Clone, Debug)]
pub(crate) struct Rec {
    pub(crate) key: usize,
    pub(crate) no_cache: bool,
    pub(crate) observers: Vec<usize>,
    pub(crate) status: QueryStatus,
    pub(crate) data: Option<V>,
    pub(crate) updated_at: Option<u64>,
    pub(crate) failures: u32,
    /// Attempts since the last answer, offline waits excluded.
    pub(crate) attempts: u32,
    pub(crate) fetch: Option<usize>,
    /// A new fetch is due that replaces the one in flight.
    pub(crate) supersede: bool,
    /// The key was marked stale after the fetch in flight was sent: its answer may predate
    /// the change, so an observer that wants a fetch does not join it.
    pub(crate) fetch_predates_mark: bool,
    /// When a fetch is due, in half seconds: `2t` for a trigger at `t`, `2t + 1` for a retry
    /// scheduled at `t` (due from `t + 1 s` on, before anything due then).
    pub(crate) due: Option<u64>,
    pub(crate) offline_wait: bool,
    pub(crate) unobserved_since: Option<u64>,
    pub(crate) gc: u64,
    pub(crate) max_attempts: u32,
    /// An explicit refetch asked for it while nobody observed it.
    pub(crate) asked: bool,
}

/// What the reference expects the step's call to answer.
#[derive(Clone, Debug, Default)]
pub(crate) enum Expect {
    #[default]
    Nothing,
    Observed {
        record: usize,
        observer: usize,
        fetch_due: bool,
    },
    /// `next_fetch`: the record, the fetch's serial, its attempt, whether it has a slot.
    Fetch(Option<(usize, usize, u32, bool)>),
    /// Whether `resolve` / `reject` / `refetch` is taken.
    Taken(bool),
}

#[derive(Clone, Debug)]
pub(crate) struct Model {
    /// Seconds since the test's `t0`.
    pub(crate) now: u64,
    /// The latest time a call gave the client: what it stamps the fetches due by a change
    /// through `store_mut` with (that call takes no time).
    pub(crate) seen: u64,
    pub(crate) online: bool,
    pub(crate) records: BTreeMap<usize, Rec>,
    pub(crate) collected: BTreeSet<usize>,
    pub(crate) records_made: usize,
    /// Live observers: their record, and their options.
    pub(crate) observers: BTreeMap<usize, (usize, Opts)>,
    pub(crate) observers_made: usize,
    /// Every fetch handed out: its record and key.
    pub(crate) fetches: Vec<(usize, usize)>,
    pub(crate) intents_made: usize,
    /// Oldest first.
    pub(crate) stack: Vec<Layer>,
    pub(crate) base_field: [bool; KEYS],
    pub(crate) base_v: [Option<V>; KEYS],
    /// Keys whose `ROOT_QUERY.f<key>` is marked stale.
    pub(crate) marks: BTreeSet<usize>,
    pub(crate) expect: Expect,
}

impl Default for Model {
    fn default() -> Model {
        Model {
            now: 0,
            seen: 0,
            online: true,
            records: BTreeMap::new(),
            collected: BTreeSet::new(),
            records_made: 0,
            observers: BTreeMap::new(),
            observers_made: 0,
            fetches: Vec::new(),
            intents_made: 0,
            stack: Vec::new(),
            base_field: [false; KEYS],
            base_v: [None; KEYS],
            marks: BTreeSet::new(),
            expect: Expect::Nothing,
        }
    }
}

impl Model {
    pub(crate) fn live(&self, key: usize, no_cache: bool) -> Option<usize> {
        self.records
            .iter()
            .find(|(_, rec)| rec.key == key && rec.no_cache == no_cache)
            .map(|(serial, _)| *serial)
    }

    pub(crate) fn options_of(&self, rec: &Rec) -> Vec<Opts> {
        rec.observers.iter().map(|o| self.observers[o].1).collect()
    }

    /// Some observer's policy fetches on its own (not cache-only).
    pub(crate) fn wants(&self, rec: &Rec) -> bool {
        self.options_of(rec)
            .iter()
            .any(|o| o.policy != Policy::CacheOnly)
    }

    /// Stale for an observer with `stale`: no data, past its stale time since its answer (as
    /// old as can be with no answer), or it reads a marked field.
    pub(crate) fn is_stale(&self, rec: &Rec, stale: Option<u64>) -> bool {
        rec.data.is_none()
            || stale.is_some_and(|s| rec.updated_at.is_none_or(|at| self.now >= at + s))
            || (!rec.no_cache && self.marks.contains(&rec.key))
    }

    pub(crate) fn min_stale(&self, rec: &Rec) -> Option<u64> {
        self.options_of(rec).iter().filter_map(|o| o.stale).min()
    }

    /// A fetch of `serial` due now: joined if one is in flight, unless `supersede`.
    pub(crate) fn make_due(&mut self, serial: usize, supersede: bool) {
        self.make_due_at(serial, self.now, supersede);
    }

    /// A fetch of `serial` due at `at`: joined if one is in flight, unless `supersede`.
    pub(crate) fn make_due_at(&mut self, serial: usize, at: u64, supersede: bool) {
        let now2 = 2 * at;
        let rec = self.records.get_mut(&serial).expect("live");
        if rec.fetch.is_some() {
            if !supersede {
                return;
            }
            rec.supersede = true;
        }
        rec.due = Some(rec.due.map_or(now2, |due| due.min(now2)));
    }

    /// The records due now, in the order they go out.
    pub(crate) fn due_now(&self) -> Option<usize> {
        let now2 = 2 * self.now;
        self.records
            .iter()
            .filter(|(_, rec)| {
                rec.due.is_some_and(|due| due <= now2)
                    && !rec.offline_wait
                    && (rec.fetch.is_none() || rec.supersede)
            })
            .min_by_key(|(serial, rec)| (rec.due, **serial))
            .map(|(serial, _)| *serial)
    }

    pub(crate) fn fetch_status(&self, rec: &Rec) -> FetchStatus {
        match (rec.fetch, rec.due) {
            (Some(_), _) => FetchStatus::Fetching,
            (None, Some(_)) if !self.online || rec.offline_wait => FetchStatus::Paused,
            (None, Some(_)) => FetchStatus::Fetching,
            (None, None) => FetchStatus::Idle,
        }
    }

    /// The record whose fetch `fetch` is, if it is still awaited.
    pub(crate) fn awaited(&self, fetch: usize) -> Option<usize> {
        let (serial, _) = *self.fetches.get(fetch)?;
        (self.records.get(&serial)?.fetch == Some(fetch)).then_some(serial)
    }

    /// Refetches the observed queries stale for their smallest stale time, whose observers
    /// ask for it (every option in the test's set does, on focus and on reconnect).
    pub(crate) fn refetch_stale(&mut self) {
        let due: Vec<usize> = self
            .records
            .iter()
            .filter(|(_, rec)| {
                !rec.observers.is_empty()
                    && rec.fetch.is_none()
                    && self.wants(rec)
                    && self.is_stale(rec, self.min_stale(rec))
            })
            .map(|(serial, _)| *serial)
            .collect();
        for serial in due {
            self.make_due(serial, false);
        }
    }

    /// A cached query reads the view again after every step.
    pub(crate) fn reread(&mut self) {
        let reads: Vec<(usize, Option<V>)> = self
            .records
            .iter()
            .filter(|(_, rec)| !rec.no_cache && self.view_field(rec.key))
            .map(|(serial, rec)| (*serial, self.view_v(rec.key)))
            .collect();
        for (serial, v) in reads {
            let rec = self.records.get_mut(&serial).expect("listed");
            rec.data = v;
            if rec.status == QueryStatus::Pending && rec.data.is_some() {
                rec.status = QueryStatus::Success;
            }
        }
    }

    pub(crate) fn observe(&mut self, key: usize, opts: Opts) {
        let no_cache = opts.policy == Policy::NoCache;
        let serial = match self.live(key, no_cache) {
            Some(serial) => serial,
            None => {
                let serial = self.records_made;
                self.records_made += 1;
                let data = (!no_cache && self.view_field(key))
                    .then(|| self.view_v(key))
                    .flatten();
                let status = if data.is_some() {
                    QueryStatus::Success
                } else {
                    QueryStatus::Pending
                };
                self.records.insert(
                    serial,
                    Rec {
                        key,
                        no_cache,
                        observers: Vec::new(),
                        status,
                        data,
                        updated_at: None,
                        failures: 0,
                        attempts: 0,
                        fetch: None,
                        supersede: false,
                        fetch_predates_mark: false,
                        due: None,
                        offline_wait: false,
                        unobserved_since: None,
                        gc: 0,
                        max_attempts: opts.attempts,
                        asked: false,
                    },
                );
                serial
            }
        };
        let observer = self.observers_made;
        self.observers_made += 1;
        self.observers.insert(observer, (serial, opts));
        let complete = !no_cache && self.view_field(key);
        let rec = self.records.get_mut(&serial).expect("live");
        rec.observers.push(observer);
        rec.unobserved_since = None;
        rec.asked = false;
        rec.gc = rec.gc.max(opts.gc);
        rec.max_attempts = opts.attempts;
        let rec = &self.records[&serial];
        let wanted = match opts.policy {
            Policy::CacheFirst => !complete || self.is_stale(rec, opts.stale),
            Policy::CacheAndNetwork | Policy::NoCache => true,
            Policy::CacheOnly => false,
        };
        if wanted {
            // A fetch sent before a mark on what it reads is superseded, not joined.
            let supersede = rec.fetch.is_some() && rec.fetch_predates_mark;
            self.make_due(serial, supersede);
        }
        let rec = &self.records[&serial];
        self.expect = Expect::Observed {
            record: serial,
            observer,
            fetch_due: rec.due.is_some_and(|due| due <= 2 * self.now) || rec.fetch.is_some(),
        };
    }

    pub(crate) fn unobserve(&mut self, observer: usize) {
        let (serial, _) = self.observers.remove(&observer).expect("live");
        let now = self.now;
        let rec = self.records.get_mut(&serial).expect("live");
        rec.observers.retain(|o| *o != observer);
        if !rec.observers.is_empty() {
            return;
        }
        rec.unobserved_since = Some(now);
        rec.due = None;
        rec.supersede = false;
        rec.offline_wait = false;
        rec.asked = false;
        if let Some(fetch) = rec.fetch.take() {
            self.cancel_slot(fetch);
        }
    }

    pub(crate) fn next_fetch(&mut self) {
        self.expect = Expect::Fetch(None);
        if !self.online {
            return;
        }
        let Some(serial) = self.due_now() else {
            return;
        };
        let rec = &self.records[&serial];
        let (key, no_cache) = (rec.key, rec.no_cache);
        if rec.supersede
            && let Some(old) = rec.fetch
        {
            self.cancel_slot(old);
        }
        let fetch = self.fetches.len();
        self.fetches.push((serial, key));
        if !no_cache {
            self.reserve(fetch, key);
        }
        let rec = self.records.get_mut(&serial).expect("live");
        rec.supersede = false;
        rec.fetch = Some(fetch);
        rec.fetch_predates_mark = false;
        rec.due = None;
        self.expect = Expect::Fetch(Some((serial, fetch, rec.attempts + 1, !no_cache)));
    }

    pub(crate) fn resolve(&mut self, fetch: usize, n: u8) {
        let Some(serial) = self.awaited(fetch) else {
            self.expect = Expect::Taken(false);
            return;
        };
        self.expect = Expect::Taken(true);
        let now = self.now;
        let rec = self.records.get_mut(&serial).expect("live");
        rec.fetch = None;
        rec.supersede = false;
        rec.attempts = 0;
        rec.failures = 0;
        rec.offline_wait = false;
        rec.updated_at = Some(now);
        rec.status = QueryStatus::Success;
        let (key, predates_mark) = (rec.key, rec.fetch_predates_mark);
        if rec.no_cache {
            rec.data = Some(V::Answer(n));
        } else {
            // A mark is cleared by a newer answer, never by an older one: an answer to a fetch
            // sent before the key was marked may predate the change, and the key stays stale.
            if !predates_mark {
                self.marks.remove(&key);
            }
            let at = self.slot_index(fetch).expect("its slot");
            self.stack[at] = Layer::Slot {
                fetch,
                key,
                answer: Some(n),
            };
            self.fold();
        }
    }

    pub(crate) fn reject(&mut self, fetch: usize, kind: Kind) {
        let Some(serial) = self.awaited(fetch) else {
            self.expect = Expect::Taken(false);
            return;
        };
        self.expect = Expect::Taken(true);
        self.cancel_slot(fetch);
        let now2 = 2 * self.now;
        let rec = self.records.get_mut(&serial).expect("live");
        rec.fetch = None;
        // A fetch superseded while in flight: its replacement is due, and its failure is not
        // counted (Client::reject's docs); an offline failure still says the network is down.
        let superseded = std::mem::take(&mut rec.supersede);
        if kind == Kind::Offline {
            rec.offline_wait = true;
            rec.due = Some(now2);
            return;
        }
        if superseded {
            return;
        }
        rec.attempts += 1;
        rec.failures += 1;
        if kind == Kind::Transient && rec.attempts < rec.max_attempts {
            rec.due = Some(now2 + 1);
        } else {
            rec.status = QueryStatus::Error;
            rec.attempts = 0;
            rec.due = None;
        }
    }

    pub(crate) fn online(&mut self) {
        self.online = true;
        let now2 = 2 * self.now;
        for rec in self.records.values_mut() {
            if rec.offline_wait {
                rec.offline_wait = false;
                rec.due = Some(now2);
            }
        }
        self.refetch_stale();
    }

    pub(crate) fn invalidate(&mut self, key: usize) {
        // Marked again, a field is invalidated again: a fetch sent before this call may
        // predate the change it announces.
        if !self.view_field(key) {
            return;
        }
        self.marks.insert(key);
        if let Some(serial) = self.live(key, false) {
            let rec = self.records.get_mut(&serial).expect("live");
            rec.fetch_predates_mark = rec.fetch.is_some();
            let rec = &self.records[&serial];
            if !rec.observers.is_empty() && self.wants(rec) {
                let supersede = rec.fetch.is_some();
                self.make_due_at(serial, self.seen, supersede);
            }
        }
    }

    pub(crate) fn refetch(&mut self, serial: usize) {
        let Some(rec) = self.records.get(&serial) else {
            self.expect = Expect::Taken(false);
            return;
        };
        self.expect = Expect::Taken(true);
        // Under every policy but cache-only.
        if !rec.observers.is_empty() && !self.wants(rec) {
            return;
        }
        self.make_due(serial, true);
        let rec = self.records.get_mut(&serial).expect("live");
        if rec.observers.is_empty() {
            rec.asked = true;
        }
    }

    pub(crate) fn gc(&mut self) {
        let now = self.now;
        let expired: Vec<usize> = self
            .records
            .iter()
            .filter(|(_, rec)| {
                rec.observers.is_empty()
                    && rec.fetch.is_none()
                    && rec
                        .unobserved_since
                        .is_some_and(|since| now >= since + rec.gc)
            })
            .map(|(serial, _)| *serial)
            .collect();
        // An answer not yet folded into base writes the root: its fields wait for a later gc.
        let root_in_use = self.stack.iter().any(|layer| {
            matches!(
                layer,
                Layer::Slot {
                    answer: Some(_),
                    ..
                }
            )
        });
        if expired.is_empty() || root_in_use {
            return;
        }
        for serial in expired {
            let rec = self.records.remove(&serial).expect("listed");
            self.collected.insert(serial);
            if !rec.no_cache {
                self.base_field[rec.key] = false;
                self.marks.remove(&rec.key);
            }
        }
    }

    pub(crate) fn intent_pending(&self, serial: usize) -> Option<usize> {
        self.stack.iter().position(
            |layer| matches!(layer, Layer::Intent { serial: s, confirmed: false, .. } if *s == serial),
        )
    }

    pub(crate) fn pending_intents(&self) -> Vec<usize> {
        self.stack
            .iter()
            .filter_map(|layer| match layer {
                Layer::Intent {
                    serial,
                    confirmed: false,
                    ..
                } => Some(*serial),
                _ => None,
            })
            .collect()
    }
}

/// Steps whose outcome the reference does not model: not drawn.
pub(crate) fn not_modelled(m: &Model, step: &Step) -> Option<&'static str> {
    match step {
        Step::Reject(fetch, kind) => {
            let rec = &m.records[&m.awaited(*fetch)?];
            let retried = *kind == Kind::Transient && rec.attempts + 1 < rec.max_attempts;
            let retry_at = 2 * m.now + 1;
            (retried && m.records.values().any(|r| r.due == Some(retry_at)))
                .then_some("not modelled: two retries of one second, ordered by their jitter")
        }
        _ => None,
    }
}
