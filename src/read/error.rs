//! What a read returns when it cannot return everything: errors, and partial results.

use std::fmt;

#[cfg(feature = "graphql")]
use super::de::Path;
#[cfg(feature = "graphql")]
use crate::document::DocumentError;
#[cfg(doc)]
use crate::{Policies, Store};

#[cfg(feature = "graphql")]
/// The result of [`Store::read_query_partial`]: what the store holds of a query, and what it
/// lacks.
///
/// ```
/// use optimist::{Document, Store};
/// let doc = Document::parse("{ a }")?;
/// let partial = Store::new().read_query_partial(&doc, &serde_json::Value::Null)?;
/// assert_eq!(partial.data, serde_json::json!({}));
/// assert_eq!(partial.missing, ["a"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PartialRead {
    /// The data read, with every missing field left out.
    pub data: serde_json::Value,
    /// The paths of the missing fields (response keys and list indices joined by `.`, such as
    /// `todos.2.owner.name`), in document order.
    pub missing: Vec<String>,
}

#[cfg(feature = "graphql")]
impl PartialRead {
    /// Whether nothing was missing (the data is what [`Store::read_query`] would return).
    ///
    /// ```
    /// use optimist::{Document, Patch, Store};
    /// let mut store = Store::new();
    /// store.write(Patch::new().set("ROOT_QUERY", "a", 1))?;
    /// let doc = Document::parse("{ a }")?;
    /// assert!(store.read_query_partial(&doc, &serde_json::Value::Null)?.is_complete());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty()
    }
}

/// Why a read failed. Paths are response keys (aliases) and list indices joined by `.`, such as
/// `todos.2.owner.name`; the empty path is the result itself.
///
/// ```
/// # #[cfg(feature = "graphql")] {
/// use optimist::{Document, Patch, ReadError, Store};
/// let mut store = Store::new();
/// store.write(Patch::new().set("ROOT_QUERY", "a", 1))?;
/// let err = store.read_query(&Document::parse("{ a b }")?, &serde_json::Value::Null).unwrap_err();
/// assert_eq!(err, ReadError::MissingField { path: "b".into() });
/// assert_eq!(err.to_string(), "field `b` is missing from the store");
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReadError {
    /// The entity the read starts from (the operation's root, or a fragment's id) is absent.
    MissingRoot {
        /// Its key.
        key: String,
    },
    /// A selected field is not stored.
    MissingField {
        /// Where the field would be in the result.
        path: String,
    },
    /// A field with a selection set holds a scalar.
    WrongShape {
        /// Where the field is in the result.
        path: String,
        /// What it holds: `"boolean"`, `"number"` or `"string"`.
        found: &'static str,
    },
    /// The read nests deeper than [`Policies::depth_limit`].
    TooDeep {
        /// Where the limit was crossed.
        path: String,
        /// The limit.
        limit: usize,
    },
    /// The read would produce more than [`Policies::node_limit`] nodes (objects, lists and
    /// scalars of the result, and missing fields of a partial read); nothing is returned.
    TooLarge {
        /// The limit.
        limit: usize,
    },
    #[cfg(feature = "graphql")]
    /// The document cannot be used for this read: it has no operation, no such fragment, or a
    /// required variable is missing.
    Document(DocumentError),
    /// The caller's type rejected the data (typed reads only).
    Deserialize {
        /// Where, in the result.
        path: String,
        /// The type's message.
        message: String,
    },
}

impl ReadError {
    #[cfg(feature = "graphql")]
    /// Places a type's error at `path`, unless a deeper level already did.
    pub(super) fn at(self, path: &Path<'_>) -> ReadError {
        match self {
            ReadError::Deserialize { path: at, message } if at.is_empty() => {
                ReadError::Deserialize {
                    path: path.render(),
                    message,
                }
            }
            other => other,
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::MissingRoot { key } => write!(f, "entity `{key}` is not in the store"),
            ReadError::MissingField { path } => {
                write!(f, "field `{path}` is missing from the store")
            }
            ReadError::WrongShape { path, found } => write!(
                f,
                "field `{path}` holds a {found} where the document selects fields"
            ),
            ReadError::TooDeep { path, limit } => {
                write!(f, "the read nests deeper than {limit} levels at `{path}`")
            }
            ReadError::TooLarge { limit } => {
                write!(f, "the read would produce more than {limit} nodes")
            }
            #[cfg(feature = "graphql")]
            ReadError::Document(error) => write!(f, "cannot read with this document: {error}"),
            ReadError::Deserialize { path, message } if path.is_empty() => {
                write!(f, "cannot deserialize the result: {message}")
            }
            ReadError::Deserialize { path, message } => {
                write!(f, "cannot deserialize `{path}`: {message}")
            }
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            #[cfg(feature = "graphql")]
            ReadError::Document(error) => Some(error),
            _ => None,
        }
    }
}

#[cfg(feature = "graphql")]
impl From<DocumentError> for ReadError {
    fn from(error: DocumentError) -> ReadError {
        ReadError::Document(error)
    }
}

impl serde::de::Error for ReadError {
    fn custom<T: fmt::Display>(message: T) -> ReadError {
        // The path is filled in on the way up, by the level that knows it.
        ReadError::Deserialize {
            path: String::new(),
            message: message.to_string(),
        }
    }
}
