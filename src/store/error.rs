//! Why [`Store::confirm`](crate::Store::confirm) refused: the one store operation that can fail
//! for two reasons (a bad layer id or a bad server patch), so it has an error type of its own.

use std::fmt;

use crate::key::{Key, KeyError};
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

/// Why [`Store::remap`](crate::Store::remap) refused. A refused call changes nothing.
///
/// ```
/// use optimist::{RemapError, Store};
/// let mut store = Store::new();
/// let err = store.remap("Todo:1", "Todo:2").unwrap_err();
/// assert!(matches!(err, RemapError::NotTemporary(_)));
/// assert_eq!(err.to_string(), "`Todo:1` is not a temporary key of this store (see Store::temporary_key)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RemapError {
    /// The key to rename is not a temporary key minted by this store (or a clone of it) and
    /// still unmapped: only keys from [`Store::temporary_key`](crate::Store::temporary_key) can
    /// be renamed, since only for those the store knows every place they occur.
    NotTemporary(Key),
    /// The new key is not a valid key.
    InvalidKey(KeyError),
    /// The new key is not an entity key (`Type:id`): a root key cannot stand for an entity.
    NotAnEntity(Key),
    /// The new key is itself a temporary key.
    OntoTemporary(Key),
    /// The new key is of another type than the temporary key: an entity keeps its type, so
    /// the rules of one type (its version field) never judge what was let in under another's.
    OtherType {
        /// The temporary key.
        from: Key,
        /// The key of another type it was to become.
        to: Key,
    },
    /// The key was to be renamed onto itself.
    SameKey(Key),
}

impl fmt::Display for RemapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RemapError::NotTemporary(key) => write!(
                f,
                "`{key}` is not a temporary key of this store (see Store::temporary_key)"
            ),
            RemapError::InvalidKey(error) => write!(f, "bad key to remap onto: {error}"),
            RemapError::NotAnEntity(key) => {
                write!(f, "cannot remap onto `{key}`: not an entity key (Type:id)")
            }
            RemapError::OntoTemporary(key) => {
                write!(f, "cannot remap onto `{key}`: it is a temporary key itself")
            }
            RemapError::SameKey(key) => write!(f, "cannot remap `{key}` onto itself"),
            RemapError::OtherType { from, to } => write!(
                f,
                "cannot remap `{from}` onto `{to}`: a `{}` cannot become a `{}`",
                from.typename().unwrap_or_default(),
                to.typename().unwrap_or_default()
            ),
        }
    }
}

impl std::error::Error for RemapError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RemapError::InvalidKey(error) => Some(error),
            _ => None,
        }
    }
}
