//! What the normalize functions read: a parsed `serde_json::Value`, or the payload's text.
//!
//! Text goes to the streaming walk (`stream.rs`), which writes the patch straight from the
//! bytes; where it hands over, the text is parsed and the tree walk decides. Either way the
//! result is the one the parsed payload gives.

use serde_json::Value as Json;

use super::error::NormalizeError;
#[cfg(doc)]
use super::normalize;

/// A payload the normalize functions accept: a parsed [`serde_json::Value`], or JSON text
/// (`&str`, `&String`, `&[u8]`, `&Vec<u8>`): a response's body as it arrives.
///
/// Text is normalized as it is read, with no `serde_json::Value` built: names and typenames
/// are borrowed from it, a document's unselected fields skipped unread (fields a type condition
/// selects, met before the object's `__typename`, are kept as text until it comes). Payloads
/// the one pass cannot decide (key or type functions, declared key fields, escaped names,
/// repeated keys, an entity given two values for one field, nesting deeper than 100 levels,
/// and every payload in error) are parsed and walked as a tree,
/// so the patch, or the error and its path, is always the parsed payload's. Text that is not
/// JSON is a [`NormalizeError::Syntax`], and so is text nested deeper than serde_json's
/// limit of 128 levels.
///
/// ```
/// use optimist::{Key, Store, Value, normalize, NormalizeError};
///
/// let body = r#"{"todos": [{"__typename": "Todo", "id": 1, "title": "Buy milk"}]}"#;
/// let mut store = Store::new();
/// store.write(normalize(store.policies(), &Key::root_query(), body)?)?;
/// assert_eq!(store.get_field("Todo:1", "title"), Some(&Value::from("Buy milk")));
///
/// let cut = normalize(store.policies(), &Key::root_query(), &body.as_bytes()[..20]);
/// assert!(matches!(cut, Err(NormalizeError::Syntax { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Payload<'a>: sealed::Sealed<'a> {}

mod sealed {
    use serde_json::Value as Json;

    /// A payload, by form.
    pub enum Source<'a> {
        Tree(&'a Json),
        Text(Text<'a>),
    }

    /// Text, with what is known of it: a `str` is UTF-8 already, bytes are checked as read.
    #[derive(Clone, Copy)]
    pub enum Text<'a> {
        Str(&'a str),
        Bytes(&'a [u8]),
    }

    pub trait Sealed<'a> {
        fn source(self) -> Source<'a>;
    }
}

use sealed::Sealed;
pub(crate) use sealed::{Source, Text};

/// The form of a payload.
pub(crate) fn source<'a>(payload: impl Payload<'a>) -> Source<'a> {
    payload.source()
}

/// The payload as a parsed tree (text is parsed; a tree is cloned): for an answer kept as it
/// came, not normalized.
pub(crate) fn to_json<'a>(payload: impl Payload<'a>) -> Result<Json, NormalizeError> {
    match payload.source() {
        Source::Tree(json) => Ok(json.clone()),
        Source::Text(text) => parse(text),
    }
}

/// Parses text the stream handed over.
pub(super) fn parse(text: Text<'_>) -> Result<Json, NormalizeError> {
    match text {
        Text::Str(text) => serde_json::from_str(text),
        Text::Bytes(text) => serde_json::from_slice(text),
    }
    .map_err(|error| NormalizeError::Syntax {
        line: error.line(),
        column: error.column(),
        message: error.to_string(),
    })
}

macro_rules! payloads {
    ($($ty:ty => |$p:ident| $source:expr;)*) => {$(
        impl<'a> Sealed<'a> for &'a $ty {
            fn source(self) -> Source<'a> {
                let $p = self;
                $source
            }
        }
        impl<'a> Payload<'a> for &'a $ty {}
    )*};
}

payloads! {
    Json => |json| Source::Tree(json);
    str => |text| Source::Text(Text::Str(text));
    String => |text| Source::Text(Text::Str(text));
    [u8] => |text| Source::Text(Text::Bytes(text));
    Vec<u8> => |text| Source::Text(Text::Bytes(text));
}
