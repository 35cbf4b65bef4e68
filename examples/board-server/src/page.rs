//! Relay connection windows: which slice of an ordered list of task ids a `first` / `after` /
//! `last` / `before` request answers, with its `hasPreviousPage` and `hasNextPage`, as the
//! [Relay Cursor Connections spec](https://relay.dev/graphql/connections.htm) defines them.
//! Pure: it knows ids, not rows, cursors' text or GraphQL, so every case is tested here.

use std::ops::Range;

/// A connection's arguments, the cursors already decoded to task ids.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Args {
    pub first: Option<i32>,
    pub after: Option<i64>,
    pub last: Option<i32>,
    pub before: Option<i64>,
}

/// The slice of the ids a request answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    /// Positions in the ids, in order.
    pub range: Range<usize>,
    pub has_previous_page: bool,
    pub has_next_page: bool,
}

/// A request the spec says to refuse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArgsError {
    /// `first` is negative.
    NegativeFirst,
    /// `last` is negative.
    NegativeLast,
}

impl std::fmt::Display for ArgsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArgsError::NegativeFirst => f.write_str("first must not be negative"),
            ArgsError::NegativeLast => f.write_str("last must not be negative"),
        }
    }
}

/// The window of `ids` (ascending, no repeats) that `args` ask for.
///
/// The spec's algorithm, with one refinement: a cursor marks a place in the order, not an
/// edge, so a cursor whose task was deleted since (or is filtered out) still pages on from
/// where it stood instead of starting over. With cursors that name listed tasks the result
/// is the spec's, which the tests check against a literal transcription. An `after` at or
/// past `before` answers no edges.
pub(crate) fn window(ids: &[i64], args: Args) -> Result<Window, ArgsError> {
    debug_assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "ids ascend");
    let first = args
        .first
        .map(|n| usize::try_from(n).map_err(|_| ArgsError::NegativeFirst))
        .transpose()?;
    let last = args
        .last
        .map(|n| usize::try_from(n).map_err(|_| ArgsError::NegativeLast))
        .transpose()?;
    // ApplyCursorsToEdges: what lies strictly after `after` and strictly before `before`.
    let after_end = args
        .after
        .map_or(0, |after| ids.partition_point(|&id| id <= after));
    let before_start = args
        .before
        .map_or(ids.len(), |before| ids.partition_point(|&id| id < before));
    let cursored = after_end..before_start.max(after_end);
    // EdgesToReturn: `first` keeps the front, then `last` the back.
    let mut range = cursored.clone();
    if let Some(first) = first {
        range.end = range.end.min(range.start + first);
    }
    if let Some(last) = last {
        range.start = range.start.max(range.end.saturating_sub(last));
    }
    // HasPreviousPage / HasNextPage: `last` / `first` decide when set; otherwise whether
    // anything lies before `after` / from `before` on (cheap here: the ids are at hand).
    let has_previous_page = match last {
        Some(last) => cursored.len() > last,
        None => after_end > 0,
    };
    let has_next_page = match first {
        Some(first) => cursored.len() > first,
        None => before_start < ids.len(),
    };
    Ok(Window {
        range,
        has_previous_page,
        has_next_page,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spec's algorithm, step by step, on edges that are their own cursors.
    fn spec(all: &[i64], args: Args) -> (Vec<i64>, bool, bool) {
        let mut edges = all.to_vec();
        if let Some(after) = args.after
            && let Some(at) = edges.iter().position(|&e| e == after)
        {
            edges.drain(..=at);
        }
        if let Some(before) = args.before
            && let Some(at) = edges.iter().position(|&e| e == before)
        {
            edges.truncate(at);
        }
        let cursored = edges.clone();
        if let Some(first) = args.first {
            edges.truncate(first as usize);
        }
        if let Some(last) = args.last {
            let last = last as usize;
            if edges.len() > last {
                edges.drain(..edges.len() - last);
            }
        }
        let has_previous = match (args.last, args.after) {
            (Some(last), _) => cursored.len() > last as usize,
            (None, Some(after)) => all.iter().any(|&e| e <= after),
            (None, None) => false,
        };
        let has_next = match (args.first, args.before) {
            (Some(first), _) => cursored.len() > first as usize,
            (None, Some(before)) => all.iter().any(|&e| e >= before),
            (None, None) => false,
        };
        (edges, has_previous, has_next)
    }

    #[test]
    fn every_request_with_listed_cursors_is_the_specs() {
        let ids = [2, 4, 6, 8, 10];
        let counts = [None, Some(0), Some(1), Some(2), Some(3), Some(5), Some(6)];
        let cursors = [None, Some(2), Some(4), Some(6), Some(8), Some(10)];
        let mut checked = 0;
        for first in counts {
            for last in counts {
                for after in cursors {
                    for before in cursors {
                        // Crossed cursors: the spec looks for `before` only after `after`.
                        if let (Some(a), Some(b)) = (after, before)
                            && a >= b
                        {
                            continue;
                        }
                        let args = Args {
                            first,
                            after,
                            last,
                            before,
                        };
                        let got = window(&ids, args).unwrap();
                        let got = (
                            ids[got.range].to_vec(),
                            got.has_previous_page,
                            got.has_next_page,
                        );
                        assert_eq!(got, spec(&ids, args), "{args:?}");
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 7 * 7 * (1 + 2 * 5 + 10));
    }

    #[test]
    fn pages_forwards_and_backwards() {
        let ids = [1, 2, 3, 4, 5];
        let first = |n, after| Args {
            first: Some(n),
            after,
            ..Args::default()
        };
        let last = |n, before| Args {
            last: Some(n),
            before,
            ..Args::default()
        };
        let w = |range, has_previous_page, has_next_page| Window {
            range,
            has_previous_page,
            has_next_page,
        };
        assert_eq!(window(&ids, first(2, None)), Ok(w(0..2, false, true)));
        assert_eq!(window(&ids, first(2, Some(2))), Ok(w(2..4, true, true)));
        assert_eq!(window(&ids, first(2, Some(4))), Ok(w(4..5, true, false)));
        assert_eq!(window(&ids, first(2, Some(5))), Ok(w(5..5, true, false)));
        assert_eq!(window(&ids, last(2, None)), Ok(w(3..5, true, false)));
        assert_eq!(window(&ids, last(2, Some(4))), Ok(w(1..3, true, true)));
        assert_eq!(window(&ids, last(2, Some(2))), Ok(w(0..1, false, true)));
        assert_eq!(window(&[], first(2, None)), Ok(w(0..0, false, false)));
    }

    #[test]
    fn a_cursor_of_a_missing_task_keeps_its_place() {
        let ids = [2, 4, 6];
        let after_3 = Args {
            first: Some(1),
            after: Some(3),
            ..Args::default()
        };
        assert_eq!(window(&ids, after_3).unwrap().range, 1..2);
        let before_5 = Args {
            last: Some(5),
            before: Some(5),
            ..Args::default()
        };
        let w = window(&ids, before_5).unwrap();
        assert_eq!((w.range, w.has_previous_page), (0..2, false));
    }

    #[test]
    fn crossed_cursors_answer_nothing_and_negative_counts_are_refused() {
        let ids = [1, 2, 3];
        let crossed = Args {
            after: Some(3),
            before: Some(1),
            ..Args::default()
        };
        assert!(window(&ids, crossed).unwrap().range.is_empty());
        let negative = |first, last| Args {
            first,
            last,
            ..Args::default()
        };
        assert_eq!(
            window(&ids, negative(Some(-1), None)),
            Err(ArgsError::NegativeFirst)
        );
        assert_eq!(
            window(&ids, negative(None, Some(-1))),
            Err(ArgsError::NegativeLast)
        );
    }
}
