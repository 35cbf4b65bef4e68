//! Why a mutation call was refused.

use std::fmt;

use crate::layer::{LayerError, LayerId};
use crate::patch::PatchError;

/// Why a [`Store::report`](crate::Store::report) (or another mutation call) was refused; the
/// store is unchanged.
///
/// ```
/// use optimist::{MutationError, Outcome, Patch, Store};
/// let mut store = Store::new();
/// let id = store.reserve("a query");
/// let err = store.report(id, Outcome::promote(), optimist::Instant::now()).unwrap_err();
/// assert!(matches!(err, MutationError::NotAMutation(_)));
/// ```
#[derive(Clone, PartialEq, Debug)]
pub enum MutationError {
    /// The id names no mutation record of this store (a query's layer, another store's id,
    /// or a record dismissed or dropped past the bound).
    NotAMutation(LayerId),
    /// The mutation is settled already (committed, failed, coalesced or abandoned).
    AlreadySettled(LayerId),
    /// The mutation is not in flight ([`Store::interrupt`](crate::Store::interrupt)).
    NotInFlight(LayerId),
    /// The answer's patch was refused.
    Patch(PatchError),
    /// The layer was refused (see [`LayerError`]).
    Layer(LayerError),
}

impl fmt::Display for MutationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MutationError::NotAMutation(id) => write!(f, "{id} is not a mutation of this store"),
            MutationError::AlreadySettled(id) => write!(f, "mutation {id} is settled already"),
            MutationError::NotInFlight(id) => write!(f, "mutation {id} is not in flight"),
            MutationError::Patch(err) => write!(f, "the answer was refused: {err}"),
            MutationError::Layer(err) => err.fmt(f),
        }
    }
}

impl std::error::Error for MutationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MutationError::Patch(err) => Some(err),
            MutationError::Layer(err) => Some(err),
            _ => None,
        }
    }
}

impl From<PatchError> for MutationError {
    fn from(err: PatchError) -> MutationError {
        MutationError::Patch(err)
    }
}

impl From<LayerError> for MutationError {
    fn from(err: LayerError) -> MutationError {
        MutationError::Layer(err)
    }
}
