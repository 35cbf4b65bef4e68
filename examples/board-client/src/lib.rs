//! A project board on optimist, over GraphQL: what an app writes around the store, as an
//! Apollo Client user writes it.
//!
//! The documents are plain GraphQL (no `__typename`: the request text adds it); the
//! responses go whole to the client (`resolve_response`: data, errors, error policy); the
//! possible types of `Node` and `SearchResult` come from the server's SDL; `User` is keyed by
//! e-mail by one line of configuration; a project's tasks are one Relay connection
//! (`relay_style_pagination`), paged with `first` / `after` and read back as one list; a
//! task's detail is read from its cached row (a `Query.task` redirect); a create appends its
//! edge with `@appendEdge`, a delete removes its record with `@deleteRecord`; each row is a
//! fragment watch. No merge function, no update function, no possible type is written here.
//!
//! * `documents.rs`: the documents (pure);
//! * `policies.rs`: the cache's configuration (pure);
//! * `model.rs`: the data the documents read, as serde types (pure);
//! * `mutations.rs`: the user's changes as mutations, and their requests (pure);
//! * `answers.rs`: what an answer means: a fetch's body, a mutation's outcome (pure);
//! * `http.rs`: the requests, and the log of what was sent;
//! * `rows.rs`: a fragment watch per visible row;
//! * `board.rs`: [`Board`], the client the app calls;
//! * `error.rs`: [`BoardError`].
#![forbid(unsafe_code)]

pub mod answers;
mod board;
pub mod documents;
mod error;
mod http;
pub mod model;
pub mod mutations;
pub mod policies;
mod rows;

pub use board::{Board, BoardView, PAGE};
pub use error::BoardError;
pub use http::{Answer, Http};
pub use rows::{Render, Rows};
