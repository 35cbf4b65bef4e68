//! An object's key from plain JSON, without normalizing it: what a REST client needs to turn
//! an answer (`POST /todos` → `{"id": 17}`) into the key `Todo:17`.
//!
//! It stands apart from the entry points because it is a question to the policies, answered
//! by the walk's own key building, so a key found here is the key normalization writes.

use serde_json::Value as Json;

use super::error::{NormalizeError, kind};
use super::path::Path;
use super::walk::Writer;
use crate::key::Key;
#[cfg(doc)]
use crate::policy::KeyFields;
use crate::policy::{Policies, TYPENAME};
use crate::store::Store;

impl Policies {
    /// The key of `object` as an entity of type `typename`, from the type's
    /// [`KeyFields`]: `Todo:17` for `{"id": 17}` (a number printed as JSON, a string as it
    /// is), as normalization would key it. The object's own `__typename`, if it has one, must
    /// be `typename`.
    ///
    /// Errors: [`NotAnObject`](NormalizeError::NotAnObject), no id
    /// ([`MissingId`](NormalizeError::MissingId), or
    /// [`MissingKeyField`](NormalizeError::MissingKeyField) for declared key fields), an id
    /// neither a string nor a number ([`UnsupportedId`](NormalizeError::UnsupportedId)), an
    /// embedded type ([`NotAnEntity`](NormalizeError::NotAnEntity)), an invalid key
    /// ([`InvalidKey`](NormalizeError::InvalidKey)), another `__typename`
    /// ([`TypenameConflict`](NormalizeError::TypenameConflict)).
    ///
    /// ```
    /// use optimist::{KeyFields, NormalizeError, Policies};
    /// use serde_json::json;
    ///
    /// let policies = Policies::new().key_fields("Book", KeyFields::fields(["isbn"]));
    /// assert_eq!(policies.identify("Todo", &json!({"id": 17, "title": "a"}))?.as_str(), "Todo:17");
    /// assert_eq!(policies.identify("Book", &json!({"isbn": "x"}))?.as_str(), r#"Book:{"isbn":"x"}"#);
    /// assert!(matches!(policies.identify("Todo", &json!({"title": "a"})), Err(NormalizeError::MissingId { .. })));
    /// assert!(matches!(policies.identify("Todo", &json!({"id": [1]})), Err(NormalizeError::UnsupportedId { .. })));
    /// # Ok::<(), NormalizeError>(())
    /// ```
    pub fn identify(&self, typename: &str, object: &Json) -> Result<Key, NormalizeError> {
        let Json::Object(data) = object else {
            return Err(NormalizeError::NotAnObject {
                found: kind(object),
            });
        };
        let mut writer = Writer::new(self);
        let found = writer
            .identify(typename, data, None, &Path::ROOT, 0, true)
            .map_err(|error| *error)?;
        let Some((key, _)) = found else {
            return Err(NormalizeError::NotAnEntity {
                path: String::new(),
                typename: typename.to_owned(),
            });
        };
        if let Some(Json::String(declared)) = data.get(TYPENAME)
            && declared != typename
        {
            return Err(NormalizeError::TypenameConflict {
                path: String::new(),
                typename: declared.clone(),
                key: key.to_string(),
            });
        }
        Ok(key)
    }
}

/// ## Identifying objects
///
/// The key an object would be stored under, by the store's policies.
impl Store {
    /// The key of `object` by its own `__typename` and the store's policies
    /// ([`Policies::identify`]); [`NormalizeError::NoTypename`] without a string `__typename`.
    ///
    /// ```
    /// use optimist::{NormalizeError, Store};
    /// use serde_json::json;
    ///
    /// let store = Store::new();
    /// assert_eq!(store.identify(&json!({"__typename": "Todo", "id": "1"}))?.as_str(), "Todo:1");
    /// assert!(matches!(store.identify(&json!({"id": 1})), Err(NormalizeError::NoTypename { .. })));
    /// # Ok::<(), NormalizeError>(())
    /// ```
    pub fn identify(&self, object: &Json) -> Result<Key, NormalizeError> {
        match object {
            Json::Object(data) => match data.get(TYPENAME) {
                Some(Json::String(typename)) => self.policies().identify(typename, object),
                _ => Err(NormalizeError::NoTypename {
                    path: String::new(),
                }),
            },
            other => Err(NormalizeError::NotAnObject { found: kind(other) }),
        }
    }
}
