//! What normalizing a payload notices but writes anyway: the payload is taken as Apollo Client
//! takes it, and the app is told, where Apollo warns in development.

use std::fmt;

/// Something normalizing a payload noticed but wrote anyway ([`Patch::diagnostics`](crate::Patch::diagnostics)).
///
/// ```
/// let diagnostic = optimist::Diagnostic::MissingTypename { path: "me".into() };
/// assert!(diagnostic.to_string().contains("request text"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Diagnostic {
    /// An object a document selects has an `id` (or `_id`) but no `__typename` and no type from
    /// the policies: it is stored embedded under its parent (as Apollo stores it), so its
    /// entity is never written and no other query sees it. The answer to a document sent as
    /// written: send its [`request_text`](crate::Document::request_text), which asks for
    /// `__typename`, or type it from the schema
    /// ([`Policies::schema_from_sdl`](crate::Policies::schema_from_sdl)).
    MissingTypename {
        /// The object's path (response keys and list indices joined by `.`).
        path: String,
    },
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Diagnostic::MissingTypename { path } => write!(
                f,
                "the object at `{path}` has an id but no `__typename`: stored embedded, not as an \
                 entity (send the document's request text, which asks for `__typename`)"
            ),
        }
    }
}
