//! The server's failures: why it did not start, a database read from outside, and the codes
//! a GraphQL error carries in `extensions.code`, which is what a client branches on.

/// Why the server did not start.
#[derive(Debug)]
pub enum StartError {
    /// The database could not be opened, set up or seeded.
    Db(rusqlite::Error),
    /// The port could not be bound.
    Bind(std::io::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Db(error) => write!(f, "database: {error}"),
            StartError::Bind(error) => write!(f, "bind: {error}"),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Db(error) => Some(error),
            StartError::Bind(error) => Some(error),
        }
    }
}

/// A database read failed.
#[derive(Debug)]
pub struct DbError(pub rusqlite::Error);

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "database: {}", self.0)
    }
}

impl std::error::Error for DbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// The `extensions.code` of a GraphQL error this server answers with (besides the
/// executor's own parse and validation errors, which carry none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    /// An argument is malformed: a blank title or idempotency key, a negative `first` or
    /// `last`, a cursor or id this server did not make. `BAD_USER_INPUT`.
    BadUserInput,
    /// The id names no row. `NOT_FOUND`.
    NotFound,
    /// `updateTask`'s `expectedVersion` is not the task's version; `extensions.currentVersion`
    /// holds the version it has. `VERSION_CONFLICT`.
    VersionConflict,
    /// The delete is refused: the task's title starts with `locked`. `FORBIDDEN`.
    Forbidden,
    /// The idempotency key was used before, for another request. `IDEMPOTENCY_KEY_REUSED`.
    IdempotencyKeyReused,
    /// The database failed. `INTERNAL_SERVER_ERROR`.
    Internal,
    /// An error injected by [`Fault::Errors`](crate::Fault::Errors) or
    /// [`Fault::Fail`](crate::Fault::Fail). `INJECTED_FAULT`.
    Injected,
}

impl Code {
    /// The text in `extensions.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::BadUserInput => "BAD_USER_INPUT",
            Code::NotFound => "NOT_FOUND",
            Code::VersionConflict => "VERSION_CONFLICT",
            Code::Forbidden => "FORBIDDEN",
            Code::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            Code::Internal => "INTERNAL_SERVER_ERROR",
            Code::Injected => "INJECTED_FAULT",
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request refused by the database layer: becomes one GraphQL error with its code.
#[derive(Debug)]
pub(crate) struct Refusal {
    pub code: Code,
    pub message: String,
    /// For [`Code::VersionConflict`]: the version the task has.
    pub current_version: Option<i64>,
}

impl Refusal {
    pub(crate) fn new(code: Code, message: impl Into<String>) -> Refusal {
        Refusal {
            code,
            message: message.into(),
            current_version: None,
        }
    }
}

impl From<rusqlite::Error> for Refusal {
    fn from(error: rusqlite::Error) -> Refusal {
        Refusal::new(Code::Internal, format!("database: {error}"))
    }
}

impl From<Refusal> for async_graphql::Error {
    fn from(refusal: Refusal) -> async_graphql::Error {
        use async_graphql::ErrorExtensions;
        async_graphql::Error::new(refusal.message).extend_with(|_, extensions| {
            extensions.set("code", refusal.code.as_str());
            if let Some(version) = refusal.current_version {
                extensions.set("currentVersion", version);
            }
        })
    }
}
