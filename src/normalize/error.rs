//! [`NormalizeError`], and the boxed form the walk carries it in.
//!
//! The public error is one enum for the whole of normalization, every data variant with the
//! path of the problem. The walk's error constructors live here too, out of line, so the
//! recursive frames stay small.

use std::fmt;

use serde_json::Value as Json;

use super::path::Path;
#[cfg(feature = "graphql")]
use crate::document::DocumentError;
use crate::key::KeyError;
#[cfg(doc)]
use crate::{Key, KeyFields, Policies};

/// Why a payload could not be normalized. Nothing is produced when normalization fails, so a
/// failed write writes nothing.
///
/// Every variant about the data carries the path of the problem in the payload, as response
/// keys and list indices joined by `.` (`items.3.owner`; the empty string for the top level),
/// also given by [`NormalizeError::path`].
///
/// ```
/// use optimist::{Key, NormalizeError, Policies, normalize};
/// use serde_json::json;
///
/// let payload = json!({"items": [{"__typename": "Item", "id": true}]});
/// let err = normalize(&Policies::new(), &Key::root_query(), &payload).unwrap_err();
/// assert!(matches!(err, NormalizeError::UnsupportedId { .. }));
/// assert_eq!(err.path(), "items.0");
/// assert_eq!(err.to_string(), "`Item` at `items.0` has a boolean as its `id`; an id must be a string or a number");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NormalizeError {
    /// The payload (a response's `data`, a fragment's data) is not a JSON object.
    NotAnObject {
        /// What it is instead (`an array`, `null`, ...).
        found: &'static str,
    },
    /// Objects and lists nest deeper than [`Policies::depth_limit`].
    TooDeep {
        /// Where the limit was crossed.
        path: String,
        /// The limit.
        limit: usize,
    },
    /// An object's `__typename` is present but not a string.
    TypenameNotAString {
        /// The path of the `__typename` field.
        path: String,
        /// What it is instead.
        found: &'static str,
    },
    /// An `id` (or `_id`) is neither a string nor a number, so it cannot identify the object.
    UnsupportedId {
        /// The object's path.
        path: String,
        /// The object's typename.
        typename: String,
        /// `id` or `_id`.
        field: String,
        /// What the id is instead.
        found: &'static str,
    },
    /// An object typed by a policy ([`Policies::type_at`], [`Policies::field_type`],
    /// [`Policies::type_with`]), or given to [`Policies::identify`], lacks its key: no `id` nor
    /// `_id` (both absent or `null`), or a declared key field is `null`.
    MissingId {
        /// The object's path.
        path: String,
        /// The object's type.
        typename: String,
    },
    /// [`Policies::identify`] was asked for the key of a type without identity
    /// ([`KeyFields::Embedded`], or a key function that returned `None` for this object).
    NotAnEntity {
        /// The object's path.
        path: String,
        /// The type.
        typename: String,
    },
    /// [`Store::identify`](crate::Store::identify) was given an object without a string
    /// `__typename`, so its type is unknown.
    NoTypename {
        /// The object's path.
        path: String,
    },
    /// An object lacks one of the key fields its type declares ([`KeyFields::Fields`]).
    MissingKeyField {
        /// The object's path.
        path: String,
        /// The object's typename.
        typename: String,
        /// The missing key field.
        field: String,
    },
    /// The key computed for an object (by its id, its key fields or a key function) is not a
    /// valid [`Key`], for example an empty id.
    InvalidKey {
        /// The object's path.
        path: String,
        /// Why the key is invalid.
        error: KeyError,
    },
    /// An object's `__typename` disagrees with its key: a key function returned another type's
    /// key, or a fragment's data names another type than the entity it is written to.
    TypenameConflict {
        /// The object's path.
        path: String,
        /// The object's `__typename`.
        typename: String,
        /// The key.
        key: String,
    },
    /// A field the document selects is missing from the data (Apollo's "Missing field").
    MissingField {
        /// The field's path.
        path: String,
        /// The field's response key (its alias, or its name).
        field: String,
    },
    /// The document selects fields of a field whose data is a scalar, not an object.
    ExpectedObject {
        /// The field's path (with the list index, inside a list).
        path: String,
        /// What the data is instead.
        found: &'static str,
    },
    /// The payload's text is not JSON, or nests deeper than serde_json's limit of 128 levels.
    Syntax {
        /// The line where the text stops being JSON, from 1.
        line: usize,
        /// The column, from 1.
        column: usize,
        /// serde_json's account of the problem, with the place.
        message: String,
    },
    /// A list directive's value (`@appendEdge`, `@deleteRecord`, ...) is not what the
    /// directive edits: not an edge, a node, or an id that names an entity.
    ListDirective {
        /// The field's path.
        path: String,
        /// What is wrong.
        message: String,
    },
    #[cfg(feature = "graphql")]
    /// The document cannot be used: it has no operation (or no such fragment), or a non-null
    /// variable is missing. The problem is the document's, so there is no path.
    Document(DocumentError),
}

impl NormalizeError {
    /// Where in the payload the problem is: response keys and list indices joined by `.`; the
    /// empty string for the payload as a whole and for document errors.
    ///
    /// ```
    /// use optimist::{Key, Policies, normalize};
    /// use serde_json::json;
    ///
    /// let data = json!({"items": [{"owner": {"name": "a"}}, {"__typename": 5}]});
    /// let err = normalize(&Policies::new(), &Key::root_query(), &data).unwrap_err();
    /// assert_eq!(err.path(), "items.1.__typename");
    /// ```
    pub fn path(&self) -> &str {
        match self {
            NormalizeError::NotAnObject { .. } | NormalizeError::Syntax { .. } => "",
            #[cfg(feature = "graphql")]
            NormalizeError::Document(_) => "",
            NormalizeError::TooDeep { path, .. }
            | NormalizeError::TypenameNotAString { path, .. }
            | NormalizeError::UnsupportedId { path, .. }
            | NormalizeError::MissingKeyField { path, .. }
            | NormalizeError::MissingId { path, .. }
            | NormalizeError::NotAnEntity { path, .. }
            | NormalizeError::NoTypename { path }
            | NormalizeError::InvalidKey { path, .. }
            | NormalizeError::TypenameConflict { path, .. }
            | NormalizeError::MissingField { path, .. }
            | NormalizeError::ExpectedObject { path, .. }
            | NormalizeError::ListDirective { path, .. } => path,
        }
    }
}

/// Displays a path in backquotes, or "the top level" for the root.
struct At<'a>(&'a str);

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("the top level")
        } else {
            write!(f, "`{}`", self.0)
        }
    }
}

impl fmt::Display for NormalizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NormalizeError::NotAnObject { found } => {
                write!(f, "the payload must be a JSON object, not {found}")
            }
            NormalizeError::TooDeep { path, limit } => {
                write!(
                    f,
                    "{} nests deeper than the limit of {limit} levels",
                    At(path)
                )
            }
            NormalizeError::TypenameNotAString { path, found } => {
                write!(
                    f,
                    "{} is {found}, but a `__typename` must be a string",
                    At(path)
                )
            }
            NormalizeError::UnsupportedId {
                path,
                typename,
                field,
                found,
            } => write!(
                f,
                "`{typename}` at {} has {found} as its `{field}`; an id must be a string or a number",
                At(path)
            ),
            NormalizeError::MissingId { path, typename } => write!(
                f,
                "`{typename}` at {} has no key: its `id` (or `_id`, or its key fields) is missing or null",
                At(path)
            ),
            NormalizeError::NotAnEntity { path, typename } => write!(
                f,
                "the `{typename}` at {} has no identity: its type is embedded, or its key function gave none",
                At(path)
            ),
            NormalizeError::NoTypename { path } => write!(
                f,
                "the object at {} has no string `__typename`, so its type and key are unknown",
                At(path)
            ),
            NormalizeError::MissingKeyField {
                path,
                typename,
                field,
            } => write!(
                f,
                "`{typename}` at {} lacks its key field `{field}`",
                At(path)
            ),
            NormalizeError::InvalidKey { path, error } => {
                write!(f, "the object at {} gets an invalid key: {error}", At(path))
            }
            NormalizeError::TypenameConflict {
                path,
                typename,
                key,
            } => write!(
                f,
                "the object at {} has typename `{typename}` but key `{key}`",
                At(path)
            ),
            NormalizeError::MissingField { path, field } => write!(
                f,
                "missing field `{field}` at {}: the document selects it but the data lacks it",
                At(path)
            ),
            NormalizeError::ExpectedObject { path, found } => write!(
                f,
                "the document selects fields of {}, but its data is {found}",
                At(path)
            ),
            NormalizeError::Syntax { message, .. } => {
                write!(f, "the payload is not valid JSON: {message}")
            }
            NormalizeError::ListDirective { path, message } => {
                write!(f, "the list directive at {}: {message}", At(path))
            }
            #[cfg(feature = "graphql")]
            NormalizeError::Document(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for NormalizeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NormalizeError::InvalidKey { error, .. } => Some(error),
            #[cfg(feature = "graphql")]
            NormalizeError::Document(error) => Some(error),
            _ => None,
        }
    }
}

#[cfg(feature = "graphql")]
impl From<DocumentError> for NormalizeError {
    fn from(error: DocumentError) -> NormalizeError {
        NormalizeError::Document(error)
    }
}

/// How an error names the kind of a JSON value (`a boolean`, `an array`).
pub(super) fn kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

// Errors on the recursive path are built out of line and boxed: in a debug build every
// temporary of a frame gets its own stack slot, and a large error type inline in each of the
// walk's frames would halve the depth it can reach on a 2 MiB stack.

/// An error on its way out of the walk.
pub(super) type Fail = Box<NormalizeError>;

#[cold]
#[inline(never)]
pub(super) fn too_deep(path: &Path<'_>, limit: usize) -> Fail {
    Box::new(NormalizeError::TooDeep {
        path: path.render(),
        limit,
    })
}

#[cold]
#[inline(never)]
pub(super) fn missing_field(path: &Path<'_>, field: &str) -> Fail {
    Box::new(NormalizeError::MissingField {
        path: path.field(field).render(),
        field: field.to_owned(),
    })
}

#[cold]
#[inline(never)]
pub(super) fn not_a_string(path: &Path<'_>, found: &Json) -> Fail {
    Box::new(NormalizeError::TypenameNotAString {
        path: path.render(),
        found: kind(found),
    })
}

#[cold]
#[inline(never)]
pub(super) fn expected_object(path: &Path<'_>, found: &Json) -> Fail {
    Box::new(NormalizeError::ExpectedObject {
        path: path.render(),
        found: kind(found),
    })
}
