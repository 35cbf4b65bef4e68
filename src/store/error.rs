//! Why [`Store::confirm`](crate::Store::confirm) refused: the one store operation that can fail
//! for two reasons (a bad layer id or a bad server patch), so it has an error type of its own.

use std::fmt;

use crate::layer::LayerError;
use crate::patch::PatchError;

/// Why [`Store::confirm`](crate::Store::confirm) refused. A refused call changes nothing.
///
/// ```
/// use optimist::{ConfirmError, Patch, Store};
/// let mut store = Store::new();
/// let id = store.reserve("query");
/// let err = store.confirm(id, Patch::new().update("A:1", "missing", 1)).unwrap_err();
/// assert!(matches!(err, ConfirmError::Patch(_)));
/// assert!(store.layer(id).is_some(), "still pending");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfirmError {
    /// The layer id was refused.
    Layer(LayerError),
    /// The server's patch was refused.
    Patch(PatchError),
}

impl fmt::Display for ConfirmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfirmError::Layer(error) => write!(f, "cannot confirm: {error}"),
            ConfirmError::Patch(error) => write!(f, "cannot confirm: {error}"),
        }
    }
}

impl std::error::Error for ConfirmError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfirmError::Layer(error) => Some(error),
            ConfirmError::Patch(error) => Some(error),
        }
    }
}

impl From<LayerError> for ConfirmError {
    fn from(error: LayerError) -> ConfirmError {
        ConfirmError::Layer(error)
    }
}

impl From<PatchError> for ConfirmError {
    fn from(error: PatchError) -> ConfirmError {
        ConfirmError::Patch(error)
    }
}
