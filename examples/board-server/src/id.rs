//! Global ids and cursors: the text a client sees for a row. A project is `p<n>` and a task
//! `t<n>` (`n` its row id), so `node(id:)` knows the table from the id alone; a task's cursor is
//! the base64 of its id, opaque to clients and stable for the task's life. Users have no id:
//! their key is their e-mail.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// A row a global id names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GlobalId {
    /// `p<n>`.
    Project(i64),
    /// `t<n>`.
    Task(i64),
}

impl GlobalId {
    /// `p12` or `t7`; `None` for any other text (a lookup by it finds nothing).
    pub(crate) fn parse(text: &str) -> Option<GlobalId> {
        let (kind, number) = text.split_at_checked(1)?;
        // Digits only: no sign, no `+`, no leading zero, so each row has exactly one id.
        if number.is_empty()
            || !number.bytes().all(|b| b.is_ascii_digit())
            || (number.starts_with('0') && number.len() > 1)
        {
            return None;
        }
        let number = number.parse().ok()?;
        match kind {
            "p" => Some(GlobalId::Project(number)),
            "t" => Some(GlobalId::Task(number)),
            _ => None,
        }
    }
}

impl std::fmt::Display for GlobalId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GlobalId::Project(n) => write!(f, "p{n}"),
            GlobalId::Task(n) => write!(f, "t{n}"),
        }
    }
}

/// The cursor of task `id`.
pub(crate) fn cursor(task: i64) -> String {
    STANDARD.encode(GlobalId::Task(task).to_string())
}

/// The task id a cursor stands for; `None` if this server did not make it.
pub(crate) fn parse_cursor(text: &str) -> Option<i64> {
    let bytes = STANDARD.decode(text).ok()?;
    match GlobalId::parse(std::str::from_utf8(&bytes).ok()?)? {
        GlobalId::Task(id) => Some(id),
        GlobalId::Project(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_nothing_else_parses() {
        for id in [GlobalId::Project(1), GlobalId::Task(42), GlobalId::Task(0)] {
            assert_eq!(GlobalId::parse(&id.to_string()), Some(id));
        }
        for bad in [
            "",
            "p",
            "t-1",
            "t+1",
            "t01",
            "x1",
            "P1",
            "t1 ",
            "42",
            "t99999999999999999999",
        ] {
            assert_eq!(GlobalId::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        assert_eq!(cursor(42), "dDQy");
        assert_eq!(parse_cursor(&cursor(42)), Some(42));
        for bad in ["", "t42", "cDE=", "!!!", "dDQy==="] {
            assert_eq!(parse_cursor(bad), None, "{bad:?}");
        }
    }
}
