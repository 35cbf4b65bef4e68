//! An object's identity as key text: `Type:id` by its `id` / `_id`, or `Type:{"a":1,"b":"x"}` by
//! its declared key fields, with numbers printed as JavaScript prints them so keys match
//! Apollo's.
//!
//! It stands apart from the walk because it is pure text building over the data: the walk
//! decides when an object needs a key and turns the problems here into errors with a path.

use serde_json::{Map, Number, Value as Json};
use smallvec::SmallVec;

use super::collect::Collected;
#[cfg(doc)]
use crate::policy::KeyFields;

/// The fields an object's key was made of, by name, with their values in the data.
pub(super) type KeyObject<'p> = SmallVec<[(&'p str, &'p Json); 2]>;

/// Why an object's key fields cannot make a key.
pub(super) enum KeyProblem<'p> {
    UnsupportedId { field: &'p str, found: &'p Json },
    Missing(&'p str),
    TooDeep,
}

/// Appends an object's id to `text` (`Type:` already in it): by `fields` ([`KeyFields::Fields`])
/// or, when `None`, by `id` / `_id`. `Ok(false)` if the object has no identity.
pub(super) fn key_text<'p>(
    text: &mut String,
    key_object: &mut KeyObject<'p>,
    fields: Option<&'p [String]>,
    data: &'p Map<String, Json>,
    aliases: Option<&Collected<'_>>,
    budget: usize,
) -> Result<bool, KeyProblem<'p>> {
    let lookup = |name: &str| {
        data.get(name).or_else(|| {
            let alias = aliases?.alias_of(name)?;
            data.get(alias)
        })
    };
    let Some(names) = fields else {
        let present = |name: &'static str| {
            lookup(name)
                .filter(|value| !value.is_null())
                .map(|value| (name, value))
        };
        let Some((field, id)) = present("id").or_else(|| present("_id")) else {
            return Ok(false);
        };
        key_object.push((field, id));
        match id {
            Json::String(id) => text.push_str(id),
            Json::Number(id) => write_js_number(text, id),
            found => return Err(KeyProblem::UnsupportedId { field, found }),
        }
        return Ok(true);
    };
    text.push('{');
    for (i, name) in names.iter().enumerate() {
        let value = lookup(name).ok_or(KeyProblem::Missing(name))?;
        if value.is_null() {
            return Ok(false);
        }
        key_object.push((name, value));
        if i > 0 {
            text.push(',');
        }
        push_json_string(text, name);
        text.push(':');
        if !write_json(text, value, budget) {
            return Err(KeyProblem::TooDeep);
        }
    }
    text.push('}');
    Ok(true)
}

/// Writes a number as JavaScript prints it, which is how Apollo writes it into a key: an
/// integral float without its `.0`.
pub(super) fn write_js_number(out: &mut String, n: &Number) {
    use std::fmt::Write;
    // Writing to a `String` cannot fail.
    if n.is_f64()
        && let Some(f) = n.as_f64()
        && f.fract() == 0.0
        && f.abs() < 1e21
    {
        // Exact: |f| < 1e21 fits in i128, and an integral float converts without rounding.
        let _ = write!(out, "{}", f as i128);
    } else {
        let _ = write!(out, "{n}");
    }
}

fn push_json_string(out: &mut String, text: &str) {
    // Serializing a string cannot fail.
    out.push_str(&serde_json::to_string(text).unwrap_or_default());
}

/// Writes `value` as JSON (numbers as JavaScript prints them) for a composite key; `false` if it
/// nests deeper than `budget` levels.
pub(super) fn write_json(out: &mut String, value: &Json, budget: usize) -> bool {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => write_js_number(out, n),
        Json::String(s) => push_json_string(out, s),
        Json::Array(items) => {
            if budget == 0 {
                return false;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !write_json(out, item, budget - 1) {
                    return false;
                }
            }
            out.push(']');
        }
        Json::Object(map) => {
            if budget == 0 {
                return false;
            }
            out.push('{');
            for (i, (name, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_string(out, name);
                out.push(':');
                if !write_json(out, item, budget - 1) {
                    return false;
                }
            }
            out.push('}');
        }
    }
    true
}
