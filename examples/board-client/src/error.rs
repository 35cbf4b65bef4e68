//! [`BoardError`]: what went wrong in a call the app makes directly.

use optimist::{
    DocumentError, FetchError, KeyError, MutationError, NormalizeError, PatchError, QueryError,
    ReadError, SchemaError,
};

/// What went wrong in a board call.
#[derive(Debug)]
pub enum BoardError {
    /// A request failed on the way (refused, reset, timed out) or answered an error status.
    Http(reqwest::Error),
    /// The server's schema did not read.
    Schema(SchemaError),
    /// A document did not parse (a bug in this app).
    Document(DocumentError),
    /// A query failed for good (its retries spent, or GraphQL errors).
    Fetch(FetchError),
    /// The store refused a change or a call (a bad guess, an unknown query); nothing changed.
    Store(String),
    /// The cache could not be read as the app asked.
    Read(ReadError),
    /// The driver stopped before the mutation settled.
    Stopped,
}

impl std::fmt::Display for BoardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BoardError::Http(error) => write!(f, "request failed: {error}"),
            BoardError::Schema(error) => write!(f, "schema: {error}"),
            BoardError::Document(error) => write!(f, "document: {error}"),
            BoardError::Fetch(error) => write!(f, "fetch failed: {error}"),
            BoardError::Store(why) => write!(f, "the store refused it: {why}"),
            BoardError::Read(error) => write!(f, "read: {error}"),
            BoardError::Stopped => write!(f, "the driver stopped"),
        }
    }
}

impl std::error::Error for BoardError {}

impl From<reqwest::Error> for BoardError {
    fn from(error: reqwest::Error) -> BoardError {
        BoardError::Http(error)
    }
}

impl From<SchemaError> for BoardError {
    fn from(error: SchemaError) -> BoardError {
        BoardError::Schema(error)
    }
}

impl From<DocumentError> for BoardError {
    fn from(error: DocumentError) -> BoardError {
        BoardError::Document(error)
    }
}

impl From<ReadError> for BoardError {
    fn from(error: ReadError) -> BoardError {
        BoardError::Read(error)
    }
}

impl From<KeyError> for BoardError {
    fn from(error: KeyError) -> BoardError {
        BoardError::Store(error.to_string())
    }
}

impl From<NormalizeError> for BoardError {
    fn from(error: NormalizeError) -> BoardError {
        BoardError::Store(error.to_string())
    }
}

impl From<QueryError> for BoardError {
    fn from(error: QueryError) -> BoardError {
        BoardError::Store(error.to_string())
    }
}

impl From<PatchError> for BoardError {
    fn from(error: PatchError) -> BoardError {
        BoardError::Store(error.to_string())
    }
}

impl From<MutationError> for BoardError {
    fn from(error: MutationError) -> BoardError {
        BoardError::Store(error.to_string())
    }
}
