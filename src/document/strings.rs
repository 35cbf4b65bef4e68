//! GraphQL string literals to their values: escapes in quoted strings, indentation in block
//! strings (the spec's `StringValue` and `BlockStringValue`).
//!
//! It stands apart so that the rules of the text format are not mixed with building the tree,
//! and so that a malformed literal is a `None` here rather than a panic in a dependency.

/// The value of a quoted string, given the text between its quotes; `None` for a bad escape.
/// Any character is taken as it is, including those outside the Basic Multilingual Plane.
pub(super) fn string(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let escaped = match chars.next()? {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => unicode(&mut chars)?,
            _ => return None,
        };
        out.push(escaped);
    }
    Some(out)
}

/// The character of a `\u` escape (after the `u`): `{hex digits}`, or four hex digits, where a
/// leading surrogate must be followed by `\u` and a trailing one.
fn unicode(chars: &mut std::str::Chars<'_>) -> Option<char> {
    if chars.as_str().starts_with('{') {
        chars.next();
        let mut value: u32 = 0;
        let mut digits = 0;
        loop {
            let c = chars.next()?;
            if c == '}' {
                break;
            }
            value = value.checked_mul(16)?.checked_add(c.to_digit(16)?)?;
            digits += 1;
        }
        return if digits == 0 {
            None
        } else {
            char::from_u32(value)
        };
    }
    let first = hex4(chars)?;
    if (0xD800..0xDC00).contains(&first) {
        if chars.next()? != '\\' || chars.next()? != 'u' {
            return None;
        }
        let second = hex4(chars)?;
        if !(0xDC00..0xE000).contains(&second) {
            return None;
        }
        return char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00));
    }
    char::from_u32(first)
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
    let mut value = 0;
    for _ in 0..4 {
        value = value * 16 + chars.next()?.to_digit(16)?;
    }
    Some(value)
}

/// The value of a block string, given the text between its triple quotes: `\"""` unescaped,
/// the common indentation of every line but the first removed, blank leading and trailing lines
/// dropped, lines joined with `\n`.
pub(super) fn block_string(raw: &str) -> String {
    let raw = raw.replace("\\\"\"\"", "\"\"\"");
    let lines: Vec<&str> = raw
        .split("\r\n")
        .flat_map(|l| l.split(['\n', '\r']))
        .collect();
    let is_space = |c: char| c == ' ' || c == '\t';
    let indent = lines
        .iter()
        .skip(1)
        .filter_map(|line| {
            let width = line.len() - line.trim_start_matches(is_space).len();
            (width < line.len()).then_some(width)
        })
        .min()
        .unwrap_or(0);
    let mut lines: Vec<&str> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            if i == 0 {
                line
            } else {
                line.get(indent..).unwrap_or("")
            }
        })
        .collect();
    let blank = |line: &&str| line.chars().all(is_space);
    while lines.first().is_some_and(blank) {
        lines.remove(0);
    }
    while lines.last().is_some_and(blank) {
        lines.pop();
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_astral_characters() {
        assert_eq!(
            string(r"a\n\u00e9\u{1F600}\uD83D\uDE00😀").as_deref(),
            Some("a\né😀😀😀")
        );
        assert_eq!(string(r"\q"), None);
        assert_eq!(string(r"\uD83D"), None);
        assert_eq!(string(r"\u{FFFFFFFFFFFF}"), None);
        assert_eq!(string(r"\u{}"), None);
        assert_eq!(string("\\"), None);
    }

    #[test]
    fn block_strings_lose_common_indentation() {
        assert_eq!(
            block_string("\n    Hello,\n      World!\n\n    Yours 😀\n  "),
            "Hello,\n  World!\n\nYours 😀"
        );
        assert_eq!(block_string(r#"a \""" b"#), r#"a """ b"#);
        assert_eq!(block_string("   "), "");
    }
}
