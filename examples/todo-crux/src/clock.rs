//! The core's clock: the time every optimist call is given.
//!
//! optimist is sans-IO and takes `now` as an argument; something has to read a clock. The core
//! reads `optimist::Instant::now()` itself (std's `Instant` natively, `performance.now()` in a
//! browser, through `web-time`) rather than asking the shell for the time with every event:
//! an `Instant` cannot cross an FFI boundary, a shell in Swift or Kotlin has no way to make one,
//! and crux_time's wall-clock `now` (a `SystemTime`) is not monotonic. Two rules keep it exact
//! and testable: it never goes back (the latest time given is a floor), and a timer that fires
//! moves it to at least the deadline it was asked for, so a test that resolves a timer at once
//! sees the retry become due, with no sleeping and no timing assertions.

use optimist::Instant;

/// A monotonic clock that timers can move forward.
///
/// ```
/// use std::time::Duration;
/// let mut clock = todo_crux::Clock::default();
/// let first = clock.now();
/// let later = first + Duration::from_secs(60);
/// assert_eq!(clock.at_least(later), later, "a fired timer's deadline is the time");
/// assert!(clock.now() >= later, "and the clock does not go back after it");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Clock {
    /// The latest time handed out.
    last: Option<Instant>,
}

impl Clock {
    /// The time now: the system's, or the latest time handed out if that is later.
    pub fn now(&mut self) -> Instant {
        self.at_least(Instant::now())
    }

    /// The time now, at least `floor` (a timer's deadline, when it fires).
    pub fn at_least(&mut self, floor: Instant) -> Instant {
        let now = Instant::now().max(floor).max(self.last.unwrap_or(floor));
        self.last = Some(now);
        now
    }
}
