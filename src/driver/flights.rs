//! The requests in flight of one `run`: the app's futures, polled by the loop itself (no task
//! is spawned, so they need not be `Send`: a browser's fetch futures are not). Dropped with
//! the `run`, it puts the requests back: fetches due again, mutations retrying under the same
//! idempotency key.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use super::FetchBody;
use crate::client::{Client, FetchError, FetchId};
use crate::layer::LayerId;
use crate::mutation::Outcome;

/// A request's end.
pub(super) enum Done {
    Fetch(FetchId, Result<FetchBody, FetchError>),
    Send(LayerId, Outcome),
}

/// One request in flight: the app's future, and what it is for.
enum Flight<FF, SF> {
    Fetch(FetchId, Pin<Box<FF>>),
    Send(LayerId, Pin<Box<SF>>),
}

/// Generic over the app's two future types (not boxed as trait objects), so the `run` future
/// is `Send` exactly when they are: a tokio app spawns it, a browser app's need not be.
pub(super) struct Flights<'a, FF, SF> {
    client: &'a Mutex<Client>,
    flights: Vec<Flight<FF, SF>>,
}

impl<'a, FF, SF> Flights<'a, FF, SF>
where
    FF: Future<Output = Result<FetchBody, FetchError>>,
    SF: Future<Output = Outcome>,
{
    pub(super) fn new(client: &'a Mutex<Client>) -> Self {
        Flights {
            client,
            flights: Vec::new(),
        }
    }

    pub(super) fn fetch(&mut self, id: FetchId, request: FF) {
        self.flights.push(Flight::Fetch(id, Box::pin(request)));
    }

    pub(super) fn send(&mut self, id: LayerId, request: SF) {
        self.flights.push(Flight::Send(id, Box::pin(request)));
    }

    /// The next request to end, if one has. A request that panics ends as an attempt with no
    /// answer, retried by its policy (one that always panics gives up in the end).
    pub(super) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Done> {
        let why = "the request panicked";
        for at in 0..self.flights.len() {
            let done = match &mut self.flights[at] {
                Flight::Fetch(id, request) => {
                    match catch_unwind(AssertUnwindSafe(|| request.as_mut().poll(cx))) {
                        Ok(Poll::Pending) => continue,
                        Ok(Poll::Ready(answer)) => Done::Fetch(*id, answer),
                        Err(_) => Done::Fetch(*id, Err(FetchError::transient(why))),
                    }
                }
                Flight::Send(id, request) => {
                    match catch_unwind(AssertUnwindSafe(|| request.as_mut().poll(cx))) {
                        Ok(Poll::Pending) => continue,
                        Ok(Poll::Ready(outcome)) => Done::Send(*id, outcome),
                        Err(_) => Done::Send(*id, Outcome::Ambiguous(why.into())),
                    }
                }
            };
            drop(self.flights.swap_remove(at));
            return Poll::Ready(done);
        }
        Poll::Pending
    }
}

impl<FF, SF> Drop for Flights<'_, FF, SF> {
    fn drop(&mut self) {
        // The app's futures are dropped first, outside the client's lock.
        let requests: Vec<Result<FetchId, LayerId>> = self
            .flights
            .drain(..)
            .map(|flight| match flight {
                Flight::Fetch(id, _) => Ok(id),
                Flight::Send(id, _) => Err(id),
            })
            .collect();
        let mut client = super::lock(self.client);
        for request in requests {
            // Refused if it was settled meanwhile: nothing to do.
            match request {
                Ok(fetch) => {
                    let _ = client.interrupt(fetch);
                }
                Err(send) => {
                    let _ = client.store_mut().interrupt(send);
                }
            }
        }
    }
}
