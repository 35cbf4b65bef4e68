//! String values: short ones inline, long ones shared.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use smol_str::SmolStr;

/// The text of a [`Value::String`](crate::Value::String): up to 23 bytes inline in the value
/// (no allocation: ids, names, dates, enum values), longer text in one shared allocation. A
/// clone is O(1) either way, and it reads as a `&str` through `Deref`.
///
/// ```
/// use optimist::{Str, Value};
///
/// let title = Str::from("Buy milk");
/// assert_eq!(&*title, "Buy milk");
/// assert_eq!(Value::String(title.clone()).as_str(), Some("Buy milk"));
/// assert_eq!(title.len(), 8);
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Str(SmolStr);

impl Str {
    /// The text as a `&str`.
    ///
    /// ```
    /// assert_eq!(optimist::Str::from("a").as_str(), "a");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the text is held inline, without an allocation of its own (23 bytes or fewer).
    ///
    /// ```
    /// use optimist::Str;
    /// assert!(Str::from("User:1").is_inline());
    /// assert!(!Str::from("a string of more than twenty-three bytes").is_inline());
    /// ```
    pub fn is_inline(&self) -> bool {
        !self.0.is_heap_allocated()
    }
}

impl Deref for Str {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Str {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Str {
    fn from(text: &str) -> Str {
        Str(SmolStr::new(text))
    }
}

impl From<String> for Str {
    fn from(text: String) -> Str {
        Str(SmolStr::from(text))
    }
}

impl From<Arc<str>> for Str {
    /// Shares the allocation when the text is too long to go inline.
    fn from(text: Arc<str>) -> Str {
        Str(SmolStr::from(text))
    }
}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Str {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_inline_and_long_text_shared() {
        let short = Str::from("x".repeat(23));
        let long = Str::from("x".repeat(24));
        assert!(short.is_inline());
        assert!(!long.is_inline());
        assert_eq!((short.len(), long.len()), (23, 24));
        let copy = long.clone();
        assert!(std::ptr::eq(copy.as_str(), long.as_str()), "a clone shares");
    }

    #[test]
    fn a_value_stays_three_words() {
        assert_eq!(size_of::<crate::Value>(), 24);
    }
}
