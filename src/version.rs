//! Entity versions: what a type policy's version field holds, and how two versions compare.
//!
//! A server write (a direct write, a confirmed layer, a layer folding into base) whose version
//! is older than the version of the entity below it is left out for that entity, so that for
//! versioned types the order in which answers arrive stops mattering. This module knows only
//! values: which field is the version is a [`Policies`](crate::Policies) matter, and where the
//! rule applies is the store's.

use std::cmp::Ordering;
use std::fmt;

use crate::entity::Entity;
use crate::op::Op;
use crate::value::Value;

/// A parsed version: a number, or an instant from an RFC 3339 timestamp.
///
/// Numbers compare numerically (integers exactly, a float against anything as `f64`).
/// Timestamps compare as instants, whatever their offsets (`2026-01-01T01:00:00+01:00` equals
/// `2026-01-01T00:00:00Z`), to the nanosecond. A number and a timestamp do not compare: a write
/// whose version cannot be compared with the one below it is not ignored.
///
/// ```
/// use optimist::{Value, Version};
/// let a = Version::parse(&Value::from(3)).unwrap().unwrap();
/// let b = Version::parse(&Value::from(4)).unwrap().unwrap();
/// assert!(a < b);
/// let t1 = Version::parse(&Value::from("2026-12-02T10:00:00+01:00")).unwrap().unwrap();
/// let t2 = Version::parse(&Value::from("2026-12-02T09:30:00.5Z")).unwrap().unwrap();
/// assert!(t1 < t2);
/// assert!(a.partial_cmp(&t1).is_none());
/// assert!(Version::parse(&Value::from(true)).is_err());
/// assert_eq!(Version::parse(&Value::Null), Ok(None));
/// ```
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Version {
    /// An integer version (a row version, a sequence number, a Unix time in any unit).
    Integer(i128),
    /// A fractional version.
    Float(f64),
    /// An RFC 3339 timestamp, as nanoseconds since 1970-01-01T00:00:00Z.
    Instant(i128),
}

impl Version {
    /// Parses a version field's value: a JSON number or an RFC 3339 timestamp string. `null`
    /// is no version (`Ok(None)`); anything else is an error.
    ///
    /// ```
    /// use optimist::{Value, Version};
    /// assert_eq!(Version::parse(&Value::from(7)), Ok(Some(Version::Integer(7))));
    /// assert!(Version::parse(&Value::from("yesterday")).is_err());
    /// ```
    pub fn parse(value: &Value) -> Result<Option<Version>, BadVersion> {
        match value {
            Value::Null => Ok(None),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Ok(Some(Version::Integer(i.into())))
                } else if let Some(u) = n.as_u64() {
                    Ok(Some(Version::Integer(u.into())))
                } else {
                    n.as_f64()
                        .map(|f| Some(Version::Float(f)))
                        .ok_or(BadVersion)
                }
            }
            Value::String(s) => rfc3339(s)
                .map(|t| Some(Version::Instant(t)))
                .ok_or(BadVersion),
            _ => Err(BadVersion),
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        match (*self, *other) {
            (Version::Integer(a), Version::Integer(b)) => Some(a.cmp(&b)),
            (Version::Instant(a), Version::Instant(b)) => Some(a.cmp(&b)),
            // Floats (and a float against an integer) compare as f64.
            (Version::Integer(a), Version::Float(b)) => (a as f64).partial_cmp(&b),
            (Version::Float(a), Version::Integer(b)) => a.partial_cmp(&(b as f64)),
            (Version::Float(a), Version::Float(b)) => a.partial_cmp(&b),
            _ => None,
        }
    }
}

/// A version field held something that is not a version (a number, an RFC 3339 timestamp, or
/// `null`).
///
/// ```
/// assert_eq!(optimist::BadVersion.to_string(), "not a version: expected a number, an RFC 3339 timestamp or null");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct BadVersion;

impl fmt::Display for BadVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a version: expected a number, an RFC 3339 timestamp or null")
    }
}

impl std::error::Error for BadVersion {}

/// The version that `ops` write into `field`: the value in the last [`Op::Write`] that sets
/// it, or `None` if none does (an unversioned write).
pub(crate) fn written<'a>(ops: &'a [Op], field: &str) -> Option<&'a Value> {
    ops.iter().rev().find_map(|op| match op {
        Op::Write(fields) => fields.get(field),
        _ => None,
    })
}

/// Whether a server write of `ops` onto `below` is older than `below` and must be left out:
/// both carry a version in `field` and the written one compares less. Unparsable values count
/// as no version (the store refuses them on the way in).
pub(crate) fn is_stale(ops: &[Op], below: Option<&Entity>, field: &str) -> bool {
    let Some(new) = written(ops, field).and_then(|v| Version::parse(v).ok().flatten()) else {
        return false;
    };
    let Some(old) = below
        .and_then(|e| e.get(field))
        .and_then(|v| Version::parse(v).ok().flatten())
    else {
        return false;
    };
    new.partial_cmp(&old) == Some(Ordering::Less)
}

/// Nanoseconds since the Unix epoch of an RFC 3339 date-time
/// (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, `t`/`z`/space accepted as RFC 3339 allows).
fn rfc3339(text: &str) -> Option<i128> {
    let b = text.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(part.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap(year) => 29,
        2 => 28,
        _ => return None,
    };
    // A leap second (60) is accepted and counted as the next second.
    if day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut at = 19;
    let mut nanos: i64 = 0;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 9 {
                nanos = nanos * 10 + i64::from(b[at] - b'0');
            }
            at += 1;
        }
        let digits = at - start;
        if digits == 0 {
            return None;
        }
        for _ in digits..9 {
            nanos *= 10;
        }
    }
    let offset_minutes = match b.get(at)? {
        b'Z' | b'z' if at + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if at + 6 == b.len() && b[at + 3] == b':' => {
            let (h, m) = (num(at + 1..at + 3)?, num(at + 4..at + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            let minutes = h * 60 + m;
            if *sign == b'-' { -minutes } else { minutes }
        }
        _ => return None,
    };
    // Days since the epoch (proleptic Gregorian), by the civil-from-days inverse.
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    Some(i128::from(seconds) * 1_000_000_000 + i128::from(nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_reads_instants() {
        assert_eq!(rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(rfc3339("1970-01-01T00:00:01.5Z"), Some(1_500_000_000));
        assert_eq!(
            rfc3339("1970-01-01T01:00:00+01:00"),
            rfc3339("1970-01-01T00:00:00Z")
        );
        assert_eq!(
            rfc3339("2000-03-01T00:00:00Z"),
            Some(951_868_800 * 1_000_000_000)
        );
        assert_eq!(rfc3339("1969-12-31T23:59:59Z"), Some(-1_000_000_000));
        assert_eq!(
            rfc3339("2024-02-29t12:00:00.123456789123-00:30"),
            rfc3339("2024-02-29T12:30:00.123456789Z")
        );
    }

    #[test]
    fn rfc3339_refuses_what_is_not_one() {
        for bad in [
            "",
            "2026-12-02",
            "2026-12-02T10:00:00",
            "2026-13-02T10:00:00Z",
            "2026-02-30T10:00:00Z",
            "2023-02-29T10:00:00Z",
            "2026-12-02T24:00:00Z",
            "2026-12-02T10:00:00.Z",
            "2026-12-02T10:00:00+1:00",
            "2026-12-02T10:00:00Zjunk",
            "+026-12-02T10:00:00Z",
            "2026-12-02T10:00:00+24:00",
        ] {
            assert_eq!(rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn stale_needs_both_versions_and_an_older_one() {
        let write = |v: Value| [Op::Write(Entity::new().with("v", v))];
        let below = Entity::new().with("v", 5);
        assert!(is_stale(&write(4.into()), Some(&below), "v"));
        assert!(!is_stale(&write(5.into()), Some(&below), "v"));
        assert!(!is_stale(&write(6.into()), Some(&below), "v"));
        assert!(!is_stale(&write(Value::Null), Some(&below), "v"));
        assert!(!is_stale(&write(4.into()), None, "v"));
        assert!(!is_stale(&[Op::Delete], Some(&below), "v"));
        assert!(!is_stale(
            &write("2026-12-02T10:00:00Z".into()),
            Some(&below),
            "v"
        ));
        assert!(is_stale(&write(4.5.into()), Some(&below), "v"));
    }
}
