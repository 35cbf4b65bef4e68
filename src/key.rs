//! Entity keys: `Type:id` strings, parsed once and shared cheaply.
//!
//! A key is the identity of one normalized entity. It stands apart from values because every
//! other module hashes, compares and clones keys on its hot path: a [`Key`] is two words, its
//! text inline up to 15 bytes (`Item:12345` costs no allocation, and a map lookup compares text
//! that sits in the map's own slot), a reference counted string beyond, so a clone copies two
//! words or counts a reference, and a lookup hashes the text once.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use ecow::EcoString;

/// The key of the root query entity, Apollo's `ROOT_QUERY`.
///
/// ```
/// assert_eq!(optimist::Key::root_query().as_str(), optimist::ROOT_QUERY);
/// ```
pub const ROOT_QUERY: &str = "ROOT_QUERY";
/// The key of the root mutation entity, Apollo's `ROOT_MUTATION`.
///
/// ```
/// assert_eq!(optimist::Key::root_mutation().as_str(), optimist::ROOT_MUTATION);
/// ```
pub const ROOT_MUTATION: &str = "ROOT_MUTATION";
/// The key of the root subscription entity, Apollo's `ROOT_SUBSCRIPTION`.
///
/// ```
/// assert!(optimist::Key::new(optimist::ROOT_SUBSCRIPTION)?.is_root());
/// # Ok::<(), optimist::KeyError>(())
/// ```
pub const ROOT_SUBSCRIPTION: &str = "ROOT_SUBSCRIPTION";

/// The key of one entity: `Type:id` (Apollo's `__typename:id`), or a root key such as
/// `ROOT_QUERY`.
///
/// The typename is the text before the first `:`; the id is everything after it and may itself
/// contain `:` (composite keys such as `Book:{"isbn":"1"}` do). A key without `:` is a root key:
/// it has no typename and no id. Keys are never empty, and an entity key never has an empty
/// typename or id; [`Key::new`] enforces this.
///
/// A `Key` derefs to `str`, so it can be passed wherever the store asks for `&str`.
///
/// ```
/// use optimist::Key;
///
/// let key = Key::new("Todo:1")?;
/// assert_eq!(key.typename(), Some("Todo"));
/// assert_eq!(key.id(), Some("1"));
///
/// let nested = Key::entity("Book", r#"{"isbn":"0-1:2"}"#)?;
/// assert_eq!(nested.as_str(), r#"Book:{"isbn":"0-1:2"}"#);
/// assert_eq!(nested.id(), Some(r#"{"isbn":"0-1:2"}"#));
///
/// assert!(Key::root_query().is_root());
/// assert!(Key::new("Todo:").is_err());
/// # Ok::<(), optimist::KeyError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(EcoString);

impl Key {
    /// Parses a key, rejecting an empty key and an entity key with an empty typename or id.
    ///
    /// ```
    /// use optimist::{Key, KeyError};
    ///
    /// assert_eq!(Key::new("User:a:b")?.id(), Some("a:b"));
    /// assert_eq!(Key::new(""), Err(KeyError::Empty));
    /// assert!(matches!(Key::new(":1"), Err(KeyError::EmptyTypename { .. })));
    /// # Ok::<(), KeyError>(())
    /// ```
    pub fn new(text: &str) -> Result<Key, KeyError> {
        validate(text)?;
        Ok(Key(EcoString::from(text)))
    }

    /// Builds the key `typename:id`.
    ///
    /// ```
    /// use optimist::Key;
    ///
    /// assert_eq!(Key::entity("Todo", "7")?.as_str(), "Todo:7");
    /// # Ok::<(), optimist::KeyError>(())
    /// ```
    pub fn entity(typename: &str, id: &str) -> Result<Key, KeyError> {
        if typename.contains(':') {
            return Err(KeyError::ColonInTypename {
                typename: typename.into(),
            });
        }
        let text = format!("{typename}:{id}");
        validate(&text)?;
        Ok(Key(EcoString::from(text)))
    }

    /// The key of the root query entity, `ROOT_QUERY`.
    ///
    /// ```
    /// assert_eq!(optimist::Key::root_query().as_str(), "ROOT_QUERY");
    /// ```
    pub fn root_query() -> Key {
        Key(EcoString::inline(ROOT_QUERY))
    }

    /// The key of the root mutation entity, `ROOT_MUTATION`.
    ///
    /// ```
    /// assert_eq!(optimist::Key::root_mutation().as_str(), "ROOT_MUTATION");
    /// ```
    pub fn root_mutation() -> Key {
        Key(EcoString::inline(ROOT_MUTATION))
    }

    /// The key as text.
    ///
    /// ```
    /// assert_eq!(optimist::Key::new("Todo:1")?.as_str(), "Todo:1");
    /// # Ok::<(), optimist::KeyError>(())
    /// ```
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The typename: the text before the first `:`, or `None` for a root key.
    ///
    /// ```
    /// use optimist::Key;
    /// assert_eq!(Key::new("Todo:1")?.typename(), Some("Todo"));
    /// assert_eq!(Key::root_query().typename(), None);
    /// # Ok::<(), optimist::KeyError>(())
    /// ```
    pub fn typename(&self) -> Option<&str> {
        self.0.split_once(':').map(|(typename, _)| typename)
    }

    /// The id: the text after the first `:`, or `None` for a root key.
    ///
    /// ```
    /// use optimist::Key;
    /// assert_eq!(Key::new("Todo:tmp:1")?.id(), Some("tmp:1"));
    /// # Ok::<(), optimist::KeyError>(())
    /// ```
    pub fn id(&self) -> Option<&str> {
        self.0.split_once(':').map(|(_, id)| id)
    }

    /// Whether this is a root key (no `:`), such as `ROOT_QUERY`.
    ///
    /// ```
    /// use optimist::Key;
    /// assert!(Key::new("ROOT_QUERY")?.is_root());
    /// assert!(!Key::new("Todo:1")?.is_root());
    /// # Ok::<(), optimist::KeyError>(())
    /// ```
    pub fn is_root(&self) -> bool {
        !self.0.contains(':')
    }
}

/// Whether a key of this text is held inline (no allocation of its own): up to 15 bytes.
pub(crate) fn fits_inline(text: &str) -> bool {
    text.len() <= EcoString::INLINE_LIMIT
}

fn validate(text: &str) -> Result<(), KeyError> {
    if text.is_empty() {
        return Err(KeyError::Empty);
    }
    match text.split_once(':') {
        Some(("", _)) => Err(KeyError::EmptyTypename { key: text.into() }),
        Some((_, "")) => Err(KeyError::EmptyId { key: text.into() }),
        _ => Ok(()),
    }
}

impl Deref for Key {
    type Target = str;
    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

impl Borrow<str> for Key {
    fn borrow(&self) -> &str {
        self.0.as_str()
    }
}

impl AsRef<str> for Key {
    fn as_ref(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl TryFrom<&str> for Key {
    type Error = KeyError;
    fn try_from(text: &str) -> Result<Key, KeyError> {
        Key::new(text)
    }
}

impl TryFrom<String> for Key {
    type Error = KeyError;
    fn try_from(text: String) -> Result<Key, KeyError> {
        validate(&text)?;
        Ok(Key(EcoString::from(text)))
    }
}

impl serde::Serialize for Key {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Key, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Key::new(&text).map_err(serde::de::Error::custom)
    }
}

/// Anything a [`Patch`](crate::Patch) builder accepts as a key: a [`Key`], or text that is
/// parsed with [`Key::new`] (a bad key is reported when the patch is used).
///
/// ```
/// use optimist::{IntoKey, Key};
///
/// assert_eq!("Todo:1".into_key()?, Key::new("Todo:1")?);
/// assert!("".into_key().is_err());
/// # Ok::<(), optimist::KeyError>(())
/// ```
pub trait IntoKey {
    /// Converts `self` into a key.
    fn into_key(self) -> Result<Key, KeyError>;
}

impl IntoKey for Key {
    fn into_key(self) -> Result<Key, KeyError> {
        Ok(self)
    }
}

impl IntoKey for &Key {
    fn into_key(self) -> Result<Key, KeyError> {
        Ok(self.clone())
    }
}

impl IntoKey for &str {
    fn into_key(self) -> Result<Key, KeyError> {
        Key::new(self)
    }
}

impl IntoKey for String {
    fn into_key(self) -> Result<Key, KeyError> {
        Key::try_from(self)
    }
}

impl IntoKey for &String {
    fn into_key(self) -> Result<Key, KeyError> {
        Key::new(self)
    }
}

/// Why a text is not a valid [`Key`].
///
/// ```
/// use optimist::{Key, KeyError};
/// assert_eq!(Key::new("").unwrap_err().to_string(), "an entity key cannot be empty");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The key is the empty string.
    Empty,
    /// The key starts with `:`, so its typename is empty.
    EmptyTypename {
        /// The rejected key.
        key: Box<str>,
    },
    /// The key ends at its first `:`, so its id is empty.
    EmptyId {
        /// The rejected key.
        key: Box<str>,
    },
    /// A typename given to [`Key::entity`] contains `:`, which would make the key ambiguous.
    ColonInTypename {
        /// The rejected typename.
        typename: Box<str>,
    },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Empty => f.write_str("an entity key cannot be empty"),
            KeyError::EmptyTypename { key } => {
                write!(f, "entity key `{key}` has an empty typename")
            }
            KeyError::EmptyId { key } => write!(f, "entity key `{key}` has an empty id"),
            KeyError::ColonInTypename { typename } => {
                write!(f, "typename `{typename}` contains `:`")
            }
        }
    }
}

impl std::error::Error for KeyError {}

/// The typename Apollo gives a root entity that stores none (`ROOT_QUERY`: `Query`).
pub(crate) fn root_typename(key: &str) -> Option<&'static str> {
    match key {
        ROOT_QUERY => Some("Query"),
        ROOT_MUTATION => Some("Mutation"),
        ROOT_SUBSCRIPTION => Some("Subscription"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typename_is_text_before_the_first_colon() {
        let key = Key::new("Todo:a:b:c").unwrap();
        assert_eq!(key.typename(), Some("Todo"));
        assert_eq!(key.id(), Some("a:b:c"));
        assert!(!key.is_root());
    }

    #[test]
    fn short_keys_are_inline_and_long_keys_shared() {
        let short = Key::new("Item:1234567890").unwrap(); // 15 bytes
        let long = Key::new("Item:1234567890a").unwrap();
        assert!(fits_inline(&short) && !fits_inline(&long));
        let (short_copy, long_copy) = (short.clone(), long.clone());
        assert!(
            !std::ptr::eq(short.as_str(), short_copy.as_str()),
            "inline: copied"
        );
        assert!(
            std::ptr::eq(long.as_str(), long_copy.as_str()),
            "allocated: shared"
        );
        assert_eq!((short, long), (short_copy, long_copy));
    }

    proptest::proptest! {
        /// Inline and allocated keys alike (ids from 1 to 30 bytes, on both sides of the
        /// 15-byte limit) compare, order and hash as their text: a map keyed by `Key` finds
        /// an entry by its `&str`.
        #[test]
        fn keys_compare_order_and_hash_as_their_text(
            a in "[a-z0-9é]{1,30}",
            b in "[a-z0-9é]{1,30}",
        ) {
            use std::hash::BuildHasher;
            let (a, b) = (format!("Item:{a}"), format!("Item:{b}"));
            let (key_a, key_b) = (Key::new(&a).unwrap(), Key::new(&b).unwrap());
            proptest::prop_assert_eq!(key_a == key_b, a == b);
            proptest::prop_assert_eq!(key_a.cmp(&key_b), a.cmp(&b));
            let hasher = foldhash::fast::FixedState::with_seed(7);
            proptest::prop_assert_eq!(hasher.hash_one(&key_a), hasher.hash_one(a.as_str()));
            let map: std::collections::HashMap<Key, u8> = [(key_a.clone(), 1)].into();
            proptest::prop_assert_eq!(map.contains_key(b.as_str()), a == b);
            proptest::prop_assert_eq!(map.get(a.as_str()), Some(&1));
        }
    }

    #[test]
    fn root_keys_have_no_typename() {
        for root in [ROOT_QUERY, ROOT_MUTATION, ROOT_SUBSCRIPTION] {
            let key = Key::new(root).unwrap();
            assert!(key.is_root());
            assert_eq!(key.typename(), None);
            assert_eq!(key.id(), None);
        }
    }

    #[test]
    fn bad_keys_are_rejected_with_the_reason() {
        assert_eq!(Key::new(""), Err(KeyError::Empty));
        assert_eq!(
            Key::new(":1"),
            Err(KeyError::EmptyTypename { key: ":1".into() })
        );
        assert_eq!(
            Key::new("Todo:"),
            Err(KeyError::EmptyId {
                key: "Todo:".into()
            })
        );
        assert!(matches!(
            Key::entity("A:B", "1"),
            Err(KeyError::ColonInTypename { .. })
        ));
        assert_eq!(
            Key::entity("Todo", ""),
            Err(KeyError::EmptyId {
                key: "Todo:".into()
            })
        );
    }

    #[test]
    fn keys_serialize_as_strings_and_validate_on_the_way_back() {
        let key = Key::new("Todo:1").unwrap();
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(json, "\"Todo:1\"");
        assert_eq!(serde_json::from_str::<Key>(&json).unwrap(), key);
        assert!(serde_json::from_str::<Key>("\"\"").is_err());
    }
}
