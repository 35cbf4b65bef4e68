//! The store's mutation records, in request order, with the bounds on what it keeps of settled
//! ones. Knows nothing of layers beyond their ids.

use crate::Instant;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use super::{MutationStatus, RetryPolicy, Scope};
use crate::key::Key;
use crate::layer::LayerId;
use crate::value::Value;

/// How many settled records the store keeps for the app to look at: committed, coalesced and
/// abandoned ones past this are dropped oldest first; so are failures not yet dismissed past
/// the same number.
pub const MAX_SETTLED_MUTATIONS: usize = 1_024;

/// One intent's record.
#[derive(Clone, PartialEq, Debug)]
pub(crate) struct Record {
    pub(crate) id: LayerId,
    pub(crate) label: Arc<str>,
    pub(crate) request: Value,
    pub(crate) idempotency_key: Arc<str>,
    pub(crate) scope: Option<Scope>,
    /// Sends made, not counting those reported as not sent.
    pub(crate) attempts: u32,
    /// Sends reported as not sent since the last counted one: they lengthen the wait.
    pub(crate) unsent: u32,
    pub(crate) status: MutationStatus,
    pub(crate) retry: RetryPolicy,
    pub(crate) coalesce: bool,
    /// While retrying: not to be sent before this (`None`: at once).
    pub(crate) retry_at: Option<Instant>,
}

impl Record {
    /// Equal but for the store that issued the id (a loaded store's ids are its own).
    pub(crate) fn same_as(&self, other: &Record) -> bool {
        let status = match (&self.status, &other.status) {
            (MutationStatus::Coalesced { into: a }, MutationStatus::Coalesced { into: b }) => {
                a.seq == b.seq
            }
            (a, b) => a == b,
        };
        self.id.seq == other.id.seq
            && status
            && (
                &self.label,
                &self.request,
                &self.idempotency_key,
                &self.scope,
            ) == (
                &other.label,
                &other.request,
                &other.idempotency_key,
                &other.scope,
            )
            && (
                self.attempts,
                self.unsent,
                self.retry,
                self.coalesce,
                self.retry_at,
            ) == (
                other.attempts,
                other.unsent,
                other.retry,
                other.coalesce,
                other.retry_at,
            )
    }
}

/// Every record the store keeps, by request number.
#[derive(Clone, Default, PartialEq, Debug)]
pub(crate) struct Records {
    /// By the layer's request number, oldest first: every pending record, and settled ones
    /// up to the bounds.
    by_seq: BTreeMap<u64, Record>,
    /// Settled records other than failures, in the order they settled.
    settled: VecDeque<u64>,
    /// Failed records not dismissed, in the order they failed.
    failed: VecDeque<u64>,
    /// How many records are pending.
    pending: usize,
}

impl Records {
    pub(crate) fn insert(&mut self, record: Record) {
        debug_assert!(record.status.is_pending());
        self.pending += 1;
        self.by_seq.insert(record.id.seq, record);
    }

    /// A record restored from a saved store, in any status.
    pub(crate) fn restore(&mut self, record: Record) {
        let seq = record.id.seq;
        match &record.status {
            status if status.is_pending() => self.pending += 1,
            MutationStatus::Failed(_) => self.failed.push_back(seq),
            _ => self.settled.push_back(seq),
        }
        self.by_seq.insert(seq, record);
    }

    pub(crate) fn get(&self, id: LayerId) -> Option<&Record> {
        self.by_seq.get(&id.seq).filter(|record| record.id == id)
    }

    pub(crate) fn get_mut(&mut self, id: LayerId) -> Option<&mut Record> {
        self.by_seq
            .get_mut(&id.seq)
            .filter(|record| record.id == id)
    }

    /// Settles a pending record; a settled or unknown one is left as it is.
    pub(crate) fn settle(&mut self, id: LayerId, status: MutationStatus) {
        debug_assert!(!status.is_pending());
        let Some(record) = self.get_mut(id) else {
            return;
        };
        if !record.status.is_pending() {
            return;
        }
        let failed = matches!(status, MutationStatus::Failed(_));
        record.status = status;
        record.retry_at = None;
        self.pending -= 1;
        let queue = if failed {
            &mut self.failed
        } else {
            &mut self.settled
        };
        queue.push_back(id.seq);
        while queue.len() > MAX_SETTLED_MUTATIONS {
            if let Some(old) = queue.pop_front() {
                self.by_seq.remove(&old);
            }
        }
    }

    /// Replaces a settled record's status (a failure's kind and message, given after the layer
    /// was failed).
    pub(crate) fn restate(&mut self, id: LayerId, status: MutationStatus) {
        if let Some(record) = self.get_mut(id) {
            debug_assert_eq!(
                matches!(record.status, MutationStatus::Failed(_)),
                matches!(status, MutationStatus::Failed(_))
            );
            record.status = status;
        }
    }

    /// Forgets a settled record; false if it is pending or unknown.
    pub(crate) fn dismiss(&mut self, id: LayerId) -> bool {
        match self.get(id) {
            Some(record) if !record.status.is_pending() => {}
            _ => return false,
        }
        self.by_seq.remove(&id.seq);
        self.settled.retain(|seq| *seq != id.seq);
        self.failed.retain(|seq| *seq != id.seq);
        true
    }

    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &Record> {
        self.by_seq.values()
    }

    pub(crate) fn pending(&self) -> impl Iterator<Item = &Record> {
        self.by_seq
            .values()
            .filter(|record| record.status.is_pending())
    }

    pub(crate) fn pending_count(&self) -> usize {
        self.pending
    }

    /// The latest pending record in `scope` older than `seq`.
    pub(crate) fn last_pending_in(&self, scope: &Scope, before: u64) -> Option<&Record> {
        self.by_seq
            .range(..before)
            .rev()
            .map(|(_, record)| record)
            .find(|record| record.status.is_pending() && record.scope.as_ref() == Some(scope))
    }

    /// Renames the temporary key `from` to `to` in scopes and request data.
    pub(crate) fn rename(&mut self, from: &Key, to: &Key) {
        for record in self.by_seq.values_mut() {
            if record.scope.as_ref() == Some(&Scope::Item(from.clone())) {
                record.scope = Some(Scope::Item(to.clone()));
            }
            let rename = |key: &Key| (key == from).then(|| to.clone());
            if let Some(renamed) = crate::rewrite::rename_in_value(&record.request, &rename) {
                record.request = renamed;
            }
        }
    }

    /// Checks the pending count and the settled queues; used by `Store::check_invariants`.
    pub(crate) fn check(&self) -> Result<(), String> {
        let pending = self
            .by_seq
            .values()
            .filter(|r| r.status.is_pending())
            .count();
        if pending != self.pending {
            return Err(format!(
                "{} pending records counted as {}",
                pending, self.pending
            ));
        }
        let failed = self
            .by_seq
            .values()
            .filter(|r| matches!(r.status, MutationStatus::Failed(_)))
            .count();
        if failed != self.failed.len() || self.by_seq.len() != pending + failed + self.settled.len()
        {
            return Err("the settled queues disagree with the records".to_owned());
        }
        Ok(())
    }
}
