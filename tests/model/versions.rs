//! The reference's versions: which values are versions, and how two compare, written from
//! `Version`'s documentation with a lookup table for the few timestamps the test writes.

use std::cmp::Ordering;

use optimist::Value;

use crate::reference::{Fields, KOp, MOp, version_field};

/// The timestamps the generator writes, with their instants in milliseconds after
/// 2026-01-01T00:00:00Z: some equal under different offsets, one with a fraction.
pub(crate) static TIMES: [(&str, i64); 5] = [
    ("2026-01-01T00:00:00Z", 0),
    ("2026-01-01T01:00:00+01:00", 0),
    ("2026-01-01T00:00:00.5Z", 500),
    ("2025-12-31T23:30:00-01:00", 1_800_000),
    ("2026-01-01T02:00:00+01:00", 3_600_000),
];

#[derive(Clone, Copy, Debug)]
enum V {
    Int(i128),
    Float(f64),
    Instant(i64),
}

/// The version a value holds: `None` for null and for anything that is not a version.
fn parse(value: &Value) -> Option<V> {
    match value {
        Value::Number(n) => Some(match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => V::Int(i.into()),
            (None, Some(u)) => V::Int(u.into()),
            _ => V::Float(n.as_f64()?),
        }),
        Value::String(s) => TIMES
            .iter()
            .find(|(text, _)| *text == &**s)
            .map(|(_, ms)| V::Instant(*ms)),
        _ => None,
    }
}

fn compare(a: V, b: V) -> Option<Ordering> {
    match (a, b) {
        (V::Int(a), V::Int(b)) => Some(a.cmp(&b)),
        (V::Instant(a), V::Instant(b)) => Some(a.cmp(&b)),
        (V::Int(a), V::Float(b)) => (a as f64).partial_cmp(&b),
        (V::Float(a), V::Int(b)) => a.partial_cmp(&(b as f64)),
        (V::Float(a), V::Float(b)) => a.partial_cmp(&b),
        _ => None,
    }
}

/// Whether a server write of `ops` (all on `key`) onto `below` is older than `below`: the
/// last write that sets the version field sets a version, `below` holds one, and the written
/// one compares strictly less.
pub(crate) fn stale(key: &str, ops: &[&KOp], below: Option<&Fields>) -> bool {
    let Some(field) = version_field(key) else {
        return false;
    };
    let written = ops.iter().rev().find_map(|op| match &op.op {
        MOp::Write(fields) => fields.iter().rev().find(|(name, _)| *name == field),
        _ => None,
    });
    let Some(new) = written.and_then(|(_, value)| parse(value)) else {
        return false;
    };
    let Some(old) = below.and_then(|entity| entity.get(field)).and_then(parse) else {
        return false;
    };
    compare(new, old) == Some(Ordering::Less)
}
