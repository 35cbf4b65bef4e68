//! What a flow reports: its timeline (printed by the example, kept by the test) and what it
//! found wrong.

use std::time::Instant;

/// What a flow found wrong.
#[derive(Debug)]
pub struct FlowError(pub String);

impl std::fmt::Display for FlowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::error::Error> From<E> for FlowError {
    fn from(error: E) -> FlowError {
        FlowError(error.to_string())
    }
}

pub(crate) fn check(condition: bool, message: impl FnOnce() -> String) -> Result<(), FlowError> {
    if condition {
        Ok(())
    } else {
        Err(FlowError(message()))
    }
}

/// Where the timeline goes: printed by the example, kept by the test.
pub trait Timeline {
    /// One entry (maybe several lines).
    fn line(&mut self, text: &str);
}

/// A timeline printed to stdout, each entry stamped with the time since the start.
pub struct Printed(pub Instant);

impl Timeline for Printed {
    fn line(&mut self, text: &str) {
        let at = self.0.elapsed().as_secs_f64();
        for (n, line) in text.lines().enumerate() {
            if n == 0 {
                println!("[{at:6.2}s] {line}");
            } else {
                println!("          {line}");
            }
        }
    }
}

/// A timeline kept in memory (printed by a failing test).
#[derive(Default)]
pub struct Kept(pub Vec<String>);

impl Timeline for Kept {
    fn line(&mut self, text: &str) {
        self.0.push(text.to_owned());
    }
}
